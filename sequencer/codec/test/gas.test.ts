/** The decode gas bound and calldata pricing (gas.ts). */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeBatch } from "../batch.js";
import { compressBatch, decompressBatch } from "../compress.js";
import {
  DECODE_GAS_BOUND,
  L1_INPUTS_FIXED_GAS,
  L1_INPUTS_GAS_PER_BYTE,
  LOCATE_FIXED_GAS,
  LOCATE_GAS_PER_BYTE,
  MAX_EXPANSION,
  MAX_OP_BYTES,
  calldataGas,
  calldataTokens,
  decodeGasBound,
  l1InputsGasBound,
  locateGasBound,
  maxBatchBytes,
  maxOutputBytes,
  memoryGas,
  submitCalldata,
} from "../gas.js";
import { arbBatch } from "./arbitrary.js";

describe("decode gas bound", () => {
  it("gives the largest length whose bound fits", () => {
    for (const bound of [1_000_000, DECODE_GAS_BOUND, 30_000_000]) {
      const max = maxBatchBytes(bound);
      expect(decodeGasBound(max)).toBeLessThanOrEqual(bound);
      expect(decodeGasBound(max + 1)).toBeGreaterThan(bound);
    }
    expect(maxBatchBytes(30_000_000)).toBeGreaterThan(maxBatchBytes(DECODE_GAS_BOUND));
  });

  it("prices memory as the EVM does", () => {
    expect(memoryGas(0)).toBe(0);
    expect(memoryGas(1)).toBe(3);
    expect(memoryGas(1024)).toBe(3 * 1024 + 2048);
  });

  it("bounds the output of any data by MAX_EXPANSION (ForcedWithdraw: 46 bytes from 6)", () => {
    expect(MAX_EXPANSION).toEqual({ num: 46, den: 6 });
    const forcedWithdraw = Uint8Array.from([1, 1, 0, 17, 0, 0, 0, 0]);
    expect(decompressBatch(forcedWithdraw).length).toBe(46);
    expect(maxOutputBytes(forcedWithdraw.length - 2)).toBe(46);
    fc.assert(
      fc.property(arbBatch(), (ops) => {
        const batch = encodeBatch(ops);
        expect(batch.length).toBeLessThanOrEqual(maxOutputBytes(compressBatch(batch).length));
      }),
      { numRuns: 100 },
    );
  });
});

describe("locate gas bound", () => {
  it("stays under the decode bound and inside 15M at the data cap", () => {
    const cap = maxBatchBytes();
    expect(locateGasBound(cap)).toBeLessThan(decodeGasBound(cap));
    expect(locateGasBound(cap)).toBeLessThan(11_000_000);
    expect(MAX_OP_BYTES).toBe(13 + 16 + 68 * 11 + 8 * 65);
  });

  it("is the bound the forge gas test checks (BatchCodec.t.sol mirrors its constants)", () => {
    const sol = readFileSync(new URL("../../../contracts/test/BatchCodec.t.sol", import.meta.url), "utf8");
    const constant = (name: string) => Number(new RegExp(`${name} = ([0-9_]+);`).exec(sol)?.[1]?.replace(/_/g, ""));
    expect(constant("LOCATE_FIXED_GAS")).toBe(LOCATE_FIXED_GAS);
    expect(constant("LOCATE_GAS_PER_BYTE")).toBe(LOCATE_GAS_PER_BYTE);
    expect(constant("MAX_OP_BYTES")).toBe(MAX_OP_BYTES);
  });
});

describe("L1-input walk gas bound", () => {
  it("leaves room under EIP-7825's per-transaction cap at the data cap", () => {
    const cap = maxBatchBytes();
    expect(l1InputsGasBound(cap)).toBeGreaterThan(locateGasBound(cap));
    // The walk alone; the proof adds the inputs' hash chain and the transaction's own costs.
    expect(l1InputsGasBound(cap)).toBeLessThan(15_100_000);
    expect(l1InputsGasBound(cap)).toBeLessThan(16_777_216);
  });

  it("is the bound the forge gas test checks (BatchCodec.t.sol mirrors its constants)", () => {
    const sol = readFileSync(new URL("../../../contracts/test/BatchCodec.t.sol", import.meta.url), "utf8");
    const constant = (name: string) => Number(new RegExp(`${name} = ([0-9_]+);`).exec(sol)?.[1]?.replace(/_/g, ""));
    expect(constant("L1_INPUTS_FIXED_GAS")).toBe(L1_INPUTS_FIXED_GAS);
    expect(constant("L1_INPUTS_GAS_PER_BYTE")).toBe(L1_INPUTS_GAS_PER_BYTE);
  });
});

describe("calldata gas", () => {
  it("counts 16 per non-zero and 4 per zero byte, and EIP-7623 tokens", () => {
    expect(calldataGas(Uint8Array.from([0, 1, 0, 255]))).toBe(4 + 16 + 4 + 16);
    expect(calldataTokens(Uint8Array.from([0, 1, 0, 255]))).toBe(1 + 4 + 1 + 4);
  });

  it("encodes the whole submitBatch call: selector, 9 header words, offset, length, padded data", () => {
    const data = new Uint8Array(33).fill(7);
    const call = submitCalldata(data);
    expect(call.length).toBe(4 + 9 * 32 + 32 + 32 + 64);
    expect(call.subarray(4 + 11 * 32, 4 + 11 * 32 + 33)).toEqual(data);
  });
});
