/** Canonical batch bytes (batch.ts) against @chainsafe/ssz's List[SequencedOp, 100000]. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeSequencedOp } from "../../state/codec.js";
import { BatchFormatError, BatchOps, MAX_BATCH_OPS, decodeBatch, encodeBatch, encodeBatchFrom, opRange, splitBatch } from "../batch.js";
import { arbBatch } from "./arbitrary.js";

const json = (x: unknown) => JSON.stringify(x, (_, v) => (typeof v === "bigint" ? `${v}n` : v));

function libAccepts(bytes: Uint8Array): boolean {
  try {
    BatchOps.deserialize(bytes);
    return true;
  } catch {
    return false;
  }
}
function oursAccepts(bytes: Uint8Array): boolean {
  try {
    decodeBatch(bytes);
    return true;
  } catch (e) {
    expect(e).toBeInstanceOf(BatchFormatError);
    return false;
  }
}

describe("batch bytes", () => {
  it("are the SSZ serialization of List[SequencedOp] and decode back to the same operations", () => {
    fc.assert(
      fc.property(arbBatch(), (ops) => {
        const bytes = encodeBatch(ops);
        expect(BatchOps.serialize(BatchOps.deserialize(bytes))).toEqual(bytes);
        expect(json(decodeBatch(bytes))).toBe(json(ops));
        expect(encodeBatchFrom(ops.map((s) => encodeSequencedOp(s)))).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it("give each operation's bytes by its offset alone", () => {
    fc.assert(
      fc.property(arbBatch(12).filter((ops) => ops.length > 0), (ops) => {
        const bytes = encodeBatch(ops);
        ops.forEach((s, i) => {
          const { start, end } = opRange(bytes, i);
          expect(bytes.subarray(start, end)).toEqual(encodeSequencedOp(s));
        });
        expect(() => opRange(bytes, ops.length)).toThrow(RangeError);
      }),
      { numRuns: 50 },
    );
  });

  it("of no operations are the empty string", () => {
    expect(encodeBatch([])).toEqual(new Uint8Array(0));
    expect(decodeBatch(new Uint8Array(0))).toEqual([]);
  });

  it("decode accepts exactly what @chainsafe/ssz accepts, on random edits of valid batches", () => {
    fc.assert(
      fc.property(arbBatch(6), fc.nat(), fc.nat(255), fc.nat(2), (ops, at, byte, kind) => {
        const src = encodeBatch(ops);
        let b: Uint8Array;
        if (src.length === 0 || kind === 0) b = Uint8Array.from([...src, byte]);
        else if (kind === 1) {
          b = src.slice();
          b[at % src.length] = byte;
        } else b = src.subarray(0, at % src.length);
        expect(oursAccepts(b)).toBe(libAccepts(b));
      }),
      { numRuns: 400 },
    );
  });

  it("name the operation and offset that is wrong", () => {
    const ops = [
      { timestamp: 5n, op: { type: "FundingTick", market: 1, premiumPpm: 2n } },
      { timestamp: 6n, op: { type: "ForcedClose", queueIndex: 1n, account: 2, market: 3 } },
    ] as const;
    const bytes = encodeBatch([...ops]);
    // The second element's selector byte: table (8) + first element (12 + 1 + 10) + 12.
    const bad = bytes.slice();
    bad[8 + 23 + 12] = 99;
    expect(() => decodeBatch(bad)).toThrow(/op 1 at byte 31: not a canonical SequencedOp/);
    const e = (() => {
      try {
        decodeBatch(bad);
      } catch (err) {
        return err as BatchFormatError;
      }
    })();
    expect(e).toMatchObject({ opIndex: 1, offset: 31 });
    // An offset below the previous one, and one past the end.
    const down = bytes.slice();
    down[4] = 7;
    expect(() => splitBatch(down)).toThrow(/op 1 at byte 4: offset 7 is below the previous offset 8/);
    const past = bytes.slice();
    past[5] = 1;
    expect(() => splitBatch(past)).toThrow(/past the end/);
    expect(() => splitBatch(Uint8Array.from([3, 0, 0, 0]))).toThrow(/not a positive multiple of 4/);
    expect(() => splitBatch(Uint8Array.from([8, 0]))).toThrow(/shorter than one offset/);
  });

  it("refuse more than MAX_BATCH_OPS operations", () => {
    const n = MAX_BATCH_OPS + 1;
    const head = new Uint8Array(4);
    new DataView(head.buffer).setUint32(0, 4 * n, true);
    const big = new Uint8Array(4 * n);
    big.set(head);
    expect(() => splitBatch(big)).toThrow(/100001 operations exceed 100000/);
    const element = encodeSequencedOp({ timestamp: 1n, op: { type: "FundingTick", market: 0, premiumPpm: 0n } });
    expect(() => encodeBatchFrom(new Array(n).fill(element))).toThrow(/exceed/);
  });

  it("encodeBatchFrom refuses bytes that are not a SequencedOp", () => {
    const element = encodeSequencedOp({ timestamp: 1n, op: { type: "FundingTick", market: 0, premiumPpm: 0n } });
    const wrongOffset = element.slice();
    wrongOffset[8] = 13;
    expect(() => encodeBatchFrom([element, wrongOffset])).toThrow(/op 1 .*not a SequencedOp/);
    const badSelector = element.slice();
    badSelector[12] = 19;
    expect(() => encodeBatchFrom([badSelector])).toThrow(BatchFormatError);
  });
});
