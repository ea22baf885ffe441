/** Batch data (compress.ts): round trips, canonical form, strict decoding, the schema. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesToHex, hexToBytes } from "../../state/bytes.js";
import { BatchFormatError, encodeBatch } from "../batch.js";
import { BATCH_DATA_VERSION, BatchDataError, ERR, MIN_OP_BYTES, compressBatch, decompressBatch } from "../compress.js";
import { maxOutputBytes } from "../gas.js";
import { SCHEMA, schemaMismatches, schemaTable } from "../schema.js";
import { arbBatch } from "./arbitrary.js";

function outcome(data: Uint8Array): { ok: Uint8Array } | { err: BatchDataError } {
  try {
    return { ok: decompressBatch(data) };
  } catch (e) {
    if (!(e instanceof BatchDataError)) throw e;
    return { err: e };
  }
}

describe("batch data", () => {
  it("decompresses to the canonical batch bytes it was made from", () => {
    fc.assert(
      fc.property(arbBatch(), (ops) => {
        const batch = encodeBatch(ops);
        const data = compressBatch(batch);
        expect(data[0]).toBe(BATCH_DATA_VERSION);
        expect(decompressBatch(data)).toEqual(batch);
        expect(batch.length).toBeLessThanOrEqual(maxOutputBytes(data.length));
      }),
      { numRuns: 300 },
    );
  });

  it("is canonical: whatever decodes re-encodes to the same data", () => {
    // Random edits of valid data: an edit that still decodes must be the encoding of what it
    // decodes to (so every batch has one encoding); an edit that does not raises BatchDataError.
    let decoded = 0;
    fc.assert(
      fc.property(arbBatch(8), fc.nat(), fc.nat(255), fc.nat(2), (ops, at, byte, kind) => {
        const src = compressBatch(encodeBatch(ops));
        const i = at % src.length;
        let d: Uint8Array;
        if (kind === 0) {
          d = src.slice();
          d[i] = byte;
        } else if (kind === 1) d = Uint8Array.from([...src.subarray(0, i), byte, ...src.subarray(i)]);
        else d = Uint8Array.from([...src.subarray(0, i), ...src.subarray(i + 1)]);
        const r = outcome(d);
        if ("ok" in r) {
          decoded++;
          expect(compressBatch(r.ok)).toEqual(d);
          expect(r.ok.length).toBeLessThanOrEqual(maxOutputBytes(d.length));
        } else {
          expect(r.err.offset).toBeGreaterThanOrEqual(0);
          expect(r.err.offset).toBeLessThanOrEqual(d.length);
        }
      }),
      { numRuns: 1000 },
    );
    expect(decoded).toBeGreaterThan(50);
  });

  it("codes a FundingTick and an order as docs/codec.md shows, byte by byte", () => {
    const sig = `0x${"ab".repeat(65)}` as const;
    const data = compressBatch(
      encodeBatch([
        { timestamp: 1_750_000_000_000n, op: { type: "FundingTick", market: 2, premiumPpm: -37n } },
        {
          timestamp: 1_750_000_000_004n,
          op: { type: "PlaceOrder", account: 1, nonce: 1_750_000_000_004n, market: 0, flags: 0x10, price: 60_000_000_000n, size: 10_000n, expiry: 1_750_000_010_004n, clientOrderId: 300n, signature: sig },
        },
      ]),
    );
    const hex = bytesToHex(data);
    expect(hex).toBe(
      `0x01` + // version
        `02` + // two operations
        `80f086c2ee65` + // Δtimestamp from 0: zigzag(1,750,000,000,000) = 3,500,000,000,000
        `0f` + `02` + `49` + // FundingTick, market 2, zigzag(-37) = 73
        `08` + // +4 ms
        `06` + `01` + `01` + `00` + `10` + // PlaceOrder, account 1, nonce = the timestamp, market 0, flags
        `8201` + // price 6·10^10: m = 6, e = 10 -> 6·20 + 10 = 130
        `18` + // size 10,000 = 1·10^4 -> 1·20 + 4 = 24
        `a19c01` + // expiry: 1 + zigzag(10,000) = 20,001
        `ac02` + // clientOrderId 300
        "ab".repeat(65),
    );
  });

  it("refuses each malformed input with the documented code", () => {
    const cases: [string, number[], number, number, number][] = [
      ["empty", [], ERR.TRUNCATED, 0, 0],
      ["version 2", [2, 0], ERR.BAD_VERSION, 0, 0],
      ["count cut", [1, 0x80], ERR.TRUNCATED, 1, 0],
      ["count not minimal", [1, 0x80, 0x00], ERR.VARINT_NOT_MINIMAL, 1, 0],
      ["count of 21 bytes", [1, ...new Array(20).fill(0xff), 1], ERR.VARINT_TOO_LONG, 1, 0],
      ["count above the bytes", [1, 2, 0, 15, 0, 0, 0], ERR.TOO_MANY_OPS, 1, 0],
      ["selector 19", [1, 1, 0, 19, 0, 0], ERR.BAD_SELECTOR, 3, 0],
      ["timestamp below zero", [1, 1, 1, 15, 0, 0], ERR.OUT_OF_RANGE, 2, 0],
      ["premium of 2^64", [1, 1, 0, 15, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02], ERR.OUT_OF_RANGE, 5, 0],
      ["market of 2^16", [1, 1, 0, 15, 0x80, 0x80, 0x04, 0], ERR.OUT_OF_RANGE, 4, 0],
      ["trailing byte", [1, 1, 0, 15, 0, 0, 9], ERR.TRAILING_BYTES, 6, 1],
      ["second op cut", [1, 2, 0, 15, 0, 0, 0, 15, 0x80, 0x80], ERR.TRUNCATED, 8, 1],
      ["69 prices", [1, 1, 0, 10, 0, 69], ERR.LIST_TOO_LONG, 5, 0],
      ["9 signatures", [1, 1, 0, 10, 0, 0, 9], ERR.LIST_TOO_LONG, 6, 0],
      ["decimal zero with exponent", [1, 1, 0, 14, 0, 0, 0, 3], ERR.NOT_CANONICAL, 7, 0],
      ["decimal mantissa ending in 0", [1, 1, 0, 14, 0, 0, 0, 0xc8, 0x01], ERR.NOT_CANONICAL, 7, 0],
    ];
    for (const [name, bytes, code, offset, opIndex] of cases) {
      const r = outcome(Uint8Array.from(bytes));
      expect("err" in r, name).toBe(true);
      if ("err" in r) expect({ name, code: r.err.code, offset: r.err.offset, opIndex: r.err.opIndex }).toEqual({ name, code, offset, opIndex });
    }
  });

  it("refuses a count above 100,000 operations before reading them", () => {
    const data = new Uint8Array(4 + 4 * 100_001);
    data.set([1, 0xa1, 0x8d, 0x06]);
    const r = outcome(data);
    expect("err" in r && { code: r.err.code, offset: r.err.offset }).toEqual({ code: ERR.TOO_MANY_OPS, offset: 1 });
  });

  it("compresses only canonical batch bytes", () => {
    const batch = encodeBatch([{ timestamp: 1n, op: { type: "FundingTick", market: 0, premiumPpm: 0n } }]);
    expect(() => compressBatch(batch.subarray(0, batch.length - 1))).toThrow(BatchFormatError);
    expect(() => compressBatch(Uint8Array.from([...batch, 0]))).toThrow(/body of 11 bytes, selector 15 has 10/);
    const oracle = encodeBatch([{ timestamp: 1n, op: { type: "OracleUpdate", timestamp: 1n, prices: [{ kind: 0, id: 0, price: 1n }], signatures: [] } }]);
    const badList = oracle.slice();
    badList[4 + 13 + 12] = 20; // offset(signatures) = 20: the prices list is not whole points
    expect(() => compressBatch(badList)).toThrow(/bad prices list/);
  });

  it("fails only with BatchDataError on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (raw, forceVersion) => {
        const d = forceVersion && raw.length > 0 ? Uint8Array.from([1, ...raw.subarray(1)]) : raw;
        const r = outcome(d);
        if ("ok" in r) expect(compressBatch(r.ok)).toEqual(d);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("schema", () => {
  it("matches every operation's SSZ fields, names, order and widths", () => {
    expect(schemaMismatches()).toEqual([]);
  });

  it("packs into the table the Solidity decoder embeds", () => {
    const table = schemaTable();
    expect(table.length).toBe(19 * 16);
    // PlaceOrder: account uint4, nonce time, market uint2, flags raw1, price dec8, size dec8,
    // expiry time, clientOrderId uint8, signature raw65.
    expect(bytesToHex(table.subarray(6 * 16, 7 * 16))).toBe("0x0448028128284808c100000000000000");
    expect(hexToBytes("0x02680000000000000000000000000000")).toEqual(table.subarray(15 * 16, 16 * 16));
  });

  it("makes a FundingTick the smallest operation, MIN_OP_BYTES long", () => {
    const min = SCHEMA.map((fields, sel) => 2 + fields.reduce((a, f) => a + (f.coding === "raw" ? f.width : 1), 0) + (sel === 10 ? 2 : 0));
    expect(Math.min(...min)).toBe(MIN_OP_BYTES);
    expect(min[15]).toBe(MIN_OP_BYTES);
  });
});
