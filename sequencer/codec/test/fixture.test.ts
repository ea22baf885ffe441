/**
 * The TypeScript half of the golden vectors `contracts/test/BatchCodec.t.sol` checks with
 * forge: the committed fixtures must be what contracts/script/gen-batch-fixtures.ts builds
 * from the codec as it is now (run `npx tsx contracts/script/gen-batch-fixtures.ts`).
 */
import { readFileSync } from "node:fs";
import { keccak256 } from "viem";
import { describe, expect, it } from "vitest";
import {
  BATCH_FIXTURE_PATH,
  WORKLOAD_FIXTURE_PATH,
  buildBatchFixture,
  renderFixture,
  worstData,
  type BatchFixture,
  type WorkloadFixture,
} from "../../../contracts/script/gen-batch-fixtures.js";
import { hexToBytes } from "../../state/bytes.js";
import { ERR, compressBatch, decompressBatch } from "../compress.js";
import { DECODE_GAS_BOUND, decodeGasBound, maxBatchBytes } from "../gas.js";

describe("batch codec fixtures (contracts/test/fixtures/batch-*.json)", () => {
  it("batch-codec.json is up to date with the generator", () => {
    expect(readFileSync(BATCH_FIXTURE_PATH, "utf8")).toBe(renderFixture(buildBatchFixture()));
  });

  it("covers every error code, and mutations that decode and that do not", () => {
    const f = JSON.parse(readFileSync(BATCH_FIXTURE_PATH, "utf8")) as BatchFixture;
    expect(new Set(f.invalid.map((c) => c.code))).toEqual(new Set(Object.values(ERR)));
    expect(f.mutations.filter((m) => m.code === 0).length).toBeGreaterThan(20);
    expect(f.mutations.filter((m) => m.code !== 0).length).toBeGreaterThan(100);
    expect(f.maxDataBytes).toBe(maxBatchBytes(DECODE_GAS_BOUND));
    for (const w of f.worst) {
      const data = worstData(w);
      expect(data.length).toBe(w.dataLength);
      expect(keccak256(decompressBatch(data))).toBe(w.outHash);
    }
    // The costliest shape at the largest allowed length is in the fixture, so forge checks it.
    expect(Math.max(...f.worst.map((w) => w.dataLength))).toBeGreaterThan(f.maxDataBytes - 210);
  });

  it("batch-workload.json decodes to its hashes and is each batch's canonical data", () => {
    // Regenerating the signed workload takes ~20 s; the bench checks that this file holds the
    // batches it measures (by data hash), this test that the codec still agrees with it.
    const f = JSON.parse(readFileSync(WORKLOAD_FIXTURE_PATH, "utf8")) as WorkloadFixture;
    expect(f.valid.map((c) => c.ops)).toEqual([100, 1000, 5000]);
    for (const c of f.valid) {
      const data = hexToBytes(c.data);
      const out = decompressBatch(data);
      expect(keccak256(out)).toBe(c.outHash);
      expect(out.length).toBe(c.outLength);
      expect(compressBatch(out)).toEqual(data);
      expect(c.gasBound).toBe(decodeGasBound(data.length));
    }
  });
});
