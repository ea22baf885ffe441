/**
 * Golden vectors for `contracts/src/lib/BatchCodec.sol`, made by the TypeScript codec
 * (sequencer/codec): read by `contracts/test/BatchCodec.t.sol` (forge) and checked for
 * staleness by `sequencer/codec/test/fixture.test.ts` (vitest).
 *
 *   npx tsx contracts/script/gen-batch-fixtures.ts
 *
 * Cases:
 *  - `valid`: batches with their decoded canonical bytes (in full when small, else hash and
 *    length): the empty batch, one operation of every kind, extreme values, seeded random
 *    batches, and the reference-workload batches the bench measures (signed, 100/1k/5k ops);
 *  - `invalid`: hand-made malformed data, one or more per error code, with the code, offset
 *    and operation index the TypeScript decoder gives (the script checks each case fails
 *    with the code it was written for);
 *  - `mutations`: seeded random byte edits of small valid data, with whatever the TypeScript
 *    decoder says (decoded bytes, or the error triple): a differential test of the two decoders;
 *  - `worst`: data built to cost the most decode gas per byte (`unit` repeated `count` times
 *    after the header), with the TypeScript gas bound for its length.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { keccak256 } from 'viem';
import { BATCH_SIZES, referenceOps } from '../../bench/codec.js';
import { encodeBatch, encodeBatchFrom, splitBatch } from '../../sequencer/codec/batch.js';
import { BatchDataError, ERR, compressBatch, decompressBatch, type ErrorCode } from '../../sequencer/codec/compress.js';
import { DECODE_GAS_BOUND, decodeGasBound, maxBatchBytes } from '../../sequencer/codec/gas.js';
import { schemaTable } from '../../sequencer/codec/schema.js';
import { arbBatch } from '../../sequencer/codec/test/arbitrary.js';
import { bytesToHex, hexToBytes } from '../../sequencer/state/bytes.js';
import type { Hex, Op, SequencedOp } from '../../sequencer/state/ops.js';

export const BATCH_FIXTURE_PATH = fileURLToPath(new URL('../test/fixtures/batch-codec.json', import.meta.url));
/** The reference-workload batches (large: forge re-parses a JSON file at every read, so they live apart). */
export const WORKLOAD_FIXTURE_PATH = fileURLToPath(new URL('../test/fixtures/batch-workload.json', import.meta.url));

/** Decoded bytes up to this length are written out in full; longer ones as hash and length. */
const FULL_OUTPUT_MAX = 4096;

export interface ValidCase {
  name: string;
  ops: number;
  data: Hex;
  outHash: Hex;
  outLength: number;
  /** The decoded batch bytes (small cases only). */
  out?: Hex;
  /** Each operation's SequencedOp bytes (small cases only), for `opAt`. */
  elements?: Hex[];
  /** The TypeScript worst-case decode gas bound for this data length. */
  gasBound: number;
}
export interface InvalidCase {
  name: string;
  data: Hex;
  code: number;
  offset: number;
  opIndex: number;
}
export interface MutationCase {
  data: Hex;
  /** 0: decodes (to `outHash`); else the error code with `offset` and `opIndex`. */
  code: number;
  offset: number;
  opIndex: number;
  outHash: Hex;
}
export interface WorstCase {
  name: string;
  /** One operation's data; the batch is 0x01 ‖ varint(count) ‖ unit × count. */
  unit: Hex;
  count: number;
  dataLength: number;
  outHash: Hex;
  outLength: number;
  gasBound: number;
}
export interface BatchFixture {
  schema: Hex;
  gasLimit: number;
  maxDataBytes: number;
  valid: ValidCase[];
  invalid: InvalidCase[];
  mutations: MutationCase[];
  worst: WorstCase[];
}

const sig = (b: number): Hex => `0x${b.toString(16).padStart(2, '0').repeat(65)}` as Hex;
const U64 = (1n << 64n) - 1n;
const U128 = (1n << 128n) - 1n;
const T = 1_750_000_000_000n;

/** One operation of every kind, with values like real traffic. */
function everyKind(): SequencedOp[] {
  const ops: Op[] = [
    { type: 'Deposit', queueIndex: 12n, account: 3, owner: '0x00000000000000000000000000000000000000ab', asset: 0, amount: 5_000_000_000n },
    { type: 'ParamUpdate', queueIndex: 13n, key: 12, target: 1, value: `0x${'01'.repeat(32)}` },
    { type: 'Withdraw', account: 3, nonce: T, asset: 0, amount: 100_000_000n, signature: sig(0x11) },
    { type: 'Transfer', account: 3, nonce: T + 1n, to: 9_999, asset: 1, amount: 10n ** 18n, signature: sig(0x12) },
    { type: 'GrantSessionKey', account: 7, nonce: T + 2n, key: '0x5e55000000000000000000000000000000000001', expiry: T + 86_400_000n, signature: sig(0x13) },
    { type: 'RevokeSessionKey', account: 7, nonce: T + 3n, key: '0x5e55000000000000000000000000000000000001', signature: sig(0x14) },
    { type: 'PlaceOrder', account: 1, nonce: T + 4n, market: 0, flags: 0x10, price: 60_000_000_000n, size: 10_000n, expiry: T + 10_000n, clientOrderId: 42n, signature: sig(0x15) },
    { type: 'CancelOrder', account: 1, nonce: T + 5n, slot: 3, clientOrderId: 0n, signature: sig(0x16) },
    { type: 'CancelAll', account: 1, nonce: T + 6n, market: 0xffff, signature: sig(0x17) },
    { type: 'Fill', makerAccount: 1, makerSlot: 3, takerAccount: 2, takerSlot: 0, price: 60_000_100_000n, size: 5_000n },
    {
      type: 'OracleUpdate',
      timestamp: T + 8n,
      prices: [
        { kind: 0, id: 0, price: 60_012_345_678n },
        { kind: 0, id: 1, price: 3_001_234_567n },
        { kind: 1, id: 1, price: 3_001_234_567n },
      ],
      signatures: [sig(0x21), sig(0x22)],
    },
    { type: 'SetMarginMode', account: 4, nonce: T + 9n, market: 2, mode: 1, signature: sig(0x18) },
    { type: 'AdjustIsolatedMargin', account: 4, nonce: T + 10n, market: 2, delta: -25_000_000n, signature: sig(0x19) },
    { type: 'Liquidate', account: 5, nonce: T + 11n, target: 4, market: 2, signature: sig(0x1a) },
    { type: 'Deleverage', target: 4, market: 2, counterparty: 8, size: 1_000_000n },
    { type: 'FundingTick', market: 2, premiumPpm: -37n },
    { type: 'SetPortfolioMargin', account: 6, nonce: T + 12n, enabled: 1, signature: sig(0x1b) },
    { type: 'ForcedWithdraw', queueIndex: 14n, account: 6, asset: 0, amount: 1n },
    { type: 'ForcedClose', queueIndex: 15n, account: 6, market: 2 },
  ];
  return ops.map((op, i) => ({ timestamp: T + BigInt(4 * i), op }));
}

/** The largest and smallest values of every field, and timestamps that jump both ways. */
function extremes(): SequencedOp[] {
  const points = Array.from({ length: 68 }, (_, i) => ({ kind: i % 2, id: i === 0 ? 0xffff : i, price: i === 1 ? U64 : i === 2 ? 10n ** 19n : BigInt(i) * 10n ** BigInt(i % 19) }));
  return [
    { timestamp: 0n, op: { type: 'Deposit', queueIndex: U64, account: 0xffffffff, owner: `0x${'ff'.repeat(20)}`, asset: 255, amount: U128 } },
    { timestamp: U64, op: { type: 'ForcedWithdraw', queueIndex: 0n, account: 0, asset: 0, amount: 10n ** 38n } },
    { timestamp: 0n, op: { type: 'Transfer', account: 0, nonce: 0n, to: 0xffffffff, asset: 0, amount: 0n, signature: sig(0) } },
    { timestamp: 1n, op: { type: 'PlaceOrder', account: 0xffffffff, nonce: U64, market: 0xffff, flags: 255, price: U64, size: 10n ** 19n, expiry: 1n, clientOrderId: U64, signature: sig(0xff) } },
    { timestamp: U64, op: { type: 'GrantSessionKey', account: 1, nonce: 1n, key: `0x${'00'.repeat(20)}`, expiry: U64, signature: sig(1) } },
    { timestamp: 5n, op: { type: 'AdjustIsolatedMargin', account: 1, nonce: 4n, market: 0, delta: -(1n << 63n), signature: sig(2) } },
    { timestamp: 5n, op: { type: 'AdjustIsolatedMargin', account: 1, nonce: 6n, market: 0, delta: (1n << 63n) - 1n, signature: sig(3) } },
    { timestamp: 5n, op: { type: 'OracleUpdate', timestamp: 0n, prices: points, signatures: Array.from({ length: 8 }, (_, i) => sig(0x40 + i)) } },
    { timestamp: 5n, op: { type: 'OracleUpdate', timestamp: U64, prices: [], signatures: [] } },
    { timestamp: 5n, op: { type: 'Fill', makerAccount: 0, makerSlot: 0, takerAccount: 0, takerSlot: 0, price: 0n, size: 0n } },
    { timestamp: 4n, op: { type: 'FundingTick', market: 0xffff, premiumPpm: (1n << 63n) - 1n } },
    { timestamp: 4n, op: { type: 'ParamUpdate', queueIndex: 0n, key: 0xffff, target: 0xffff, value: `0x${'00'.repeat(32)}` } },
  ];
}

function valid(name: string, batch: Uint8Array): ValidCase {
  const data = compressBatch(batch);
  if (bytesToHex(decompressBatch(data)) !== bytesToHex(batch)) throw new Error(`${name}: round trip failed`);
  const c: ValidCase = {
    name,
    ops: splitBatch(batch).length,
    data: bytesToHex(data),
    outHash: keccak256(batch),
    outLength: batch.length,
    gasBound: decodeGasBound(data.length),
  };
  if (batch.length <= FULL_OUTPUT_MAX) {
    c.out = bytesToHex(batch);
    c.elements = splitBatch(batch).map(bytesToHex);
  }
  return c;
}

function varint(v: bigint): number[] {
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const cat = (...parts: (number[] | Uint8Array)[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

/** Each case: a name, the data, and the error code it was made to trigger. */
function invalidInputs(): [string, Uint8Array, ErrorCode][] {
  const one = (ts: number[], sel: number, ...fields: number[][]) => cat([1, 1], ts, [sel], ...fields);
  const fill = (fields: number[][]) => one([0], 9, ...fields);
  const tick = [0, 15, 0, 0];
  const place = (price: number[], expiry: number[] = [0]) => one([0], 6, [1], [0], [0], [0], price, [0], expiry, [0], new Array(65).fill(7));
  const oracleHead = [1, 1, 0, 10, 0];
  const good = compressBatch(encodeBatch(everyKind()));
  return [
    ['empty data', new Uint8Array(0), ERR.TRUNCATED],
    ['version 2', cat([2, 0]), ERR.BAD_VERSION],
    ['version only', cat([1]), ERR.TRUNCATED],
    ['count varint cut', cat([1, 0x80]), ERR.TRUNCATED],
    ['count varint not minimal', cat([1, 0x81, 0x00]), ERR.VARINT_NOT_MINIMAL],
    ['count varint of 21 bytes', cat([1], new Array(20).fill(0xff), [1]), ERR.VARINT_TOO_LONG],
    ['count above what the bytes can hold', cat([1, 3], tick, tick, [0, 15, 0]), ERR.TOO_MANY_OPS],
    ['selector 19', cat([1, 2], tick, [0, 19, 0, 0]), ERR.BAD_SELECTOR],
    ['selector 255', cat([1, 1], [0, 255, 0, 0]), ERR.BAD_SELECTOR],
    ['op cut before its selector', cat([1, 2], tick, [0x80, 0x80, 0x80, 0x01]), ERR.TRUNCATED],
    ['timestamp below zero', cat([1, 2], [4, 15, 0, 0], [5, 15, 0, 0]), ERR.OUT_OF_RANGE],
    ['timestamp above 2^64 - 1', cat([1, 1], varint(2n ** 65n), [15, 0, 0]), ERR.OUT_OF_RANGE],
    ['account of 2^32', fill([varint(2n ** 32n), [0], [0], [0], [0], [0]]), ERR.OUT_OF_RANGE],
    ['market of 2^16', cat([1, 1], [0, 15], varint(2n ** 16n), [0]), ERR.OUT_OF_RANGE],
    ['varint field not minimal', fill([[0x80, 0x00], [0], [0], [0], [0], [0]]), ERR.VARINT_NOT_MINIMAL],
    ['decimal mantissa ending in zero', fill([[0], [0], [0], [0], varint(10n * 20n + 1n), [0]]), ERR.NOT_CANONICAL],
    ['decimal zero with an exponent', fill([[0], [0], [0], [0], [5], [0]]), ERR.NOT_CANONICAL],
    ['decimal u64 above range', fill([[0], [0], [0], [0], varint(2n * 20n + 19n), [0]]), ERR.OUT_OF_RANGE],
    ['decimal u64 mantissa of 2^64', fill([[0], [0], [0], [0], [0], varint((2n ** 64n + 1n) * 20n)]), ERR.OUT_OF_RANGE],
    ['decimal u128 exponent 39', one([0], 17, [0], [0], [0], varint(40n + 39n)), ERR.OUT_OF_RANGE],
    ['decimal u128 above range', one([0], 17, [0], [0], [0], varint(4n * 40n + 38n)), ERR.OUT_OF_RANGE],
    ['time-coded zero', place([0], [1]), ERR.NOT_CANONICAL],
    ['time below zero', place([0], [2]), ERR.OUT_OF_RANGE],
    ['time above 2^64 - 1', place([0], varint(1n + 2n ** 65n)), ERR.OUT_OF_RANGE],
    ['int64 zigzag of 2^64', cat([1, 1], [0, 15, 0], varint(2n ** 64n)), ERR.OUT_OF_RANGE],
    ['69 price points', cat(oracleHead, [69]), ERR.LIST_TOO_LONG],
    ['9 signatures', cat(oracleHead, [0, 9]), ERR.LIST_TOO_LONG],
    ['oracle cut before its signature count', cat([1, 1], [0, 10, 0, 1, 0, 0, 0]), ERR.TRUNCATED],
    ['data cut 100 bytes short', good.subarray(0, good.length - 100), ERR.TRUNCATED],
    ['one byte after the last op', cat(good, [0]), ERR.TRAILING_BYTES],
    ['raw field cut', cat([1, 1], [0, 0, 0, 0], new Array(19).fill(1)), ERR.TRUNCATED],
  ];
}

function errorOf(data: Uint8Array): BatchDataError | null {
  try {
    decompressBatch(data);
    return null;
  } catch (e) {
    if (e instanceof BatchDataError) return e;
    throw e;
  }
}

function invalid(): InvalidCase[] {
  return invalidInputs().map(([name, data, want]) => {
    const e = errorOf(data);
    if (e === null || e.code !== want) throw new Error(`invalid case "${name}": expected code ${want}, got ${e ? e.message : 'success'}`);
    return { name, data: bytesToHex(data), code: e.code, offset: e.offset, opIndex: e.opIndex };
  });
}

/** Small data with every kind of field: unsigned operations, one signed order, a small oracle update. */
function mutationBases(): Uint8Array[] {
  const all = everyKind();
  const unsigned = all.filter((s) => !('signature' in s.op) && s.op.type !== 'OracleUpdate');
  const order = all.find((s) => s.op.type === 'PlaceOrder')!;
  const oracle: SequencedOp = { timestamp: T + 100n, op: { type: 'OracleUpdate', timestamp: T + 99n, prices: [{ kind: 0, id: 3, price: 12_340_000n }], signatures: [sig(0x31)] } };
  return [compressBatch(encodeBatch(unsigned)), compressBatch(encodeBatch([order, oracle, ...extremes().slice(9)]))];
}

/** Seeded single-byte edits, insertions and deletions of small valid data. */
function mutations(count: number): MutationCase[] {
  const bases = mutationBases();
  const edits = fc.sample(
    fc.record({ base: fc.nat(bases.length - 1), kind: fc.nat(2), at: fc.nat(), byte: fc.nat(255), n: fc.integer({ min: 1, max: 3 }) }),
    { numRuns: count, seed: 6 },
  );
  return edits.map(({ base, kind, at, byte, n }) => {
    const src = bases[base]!;
    const i = at % src.length;
    let d: Uint8Array;
    if (kind === 0) {
      d = src.slice();
      d[i] = byte === d[i] ? byte ^ 1 : byte;
    } else if (kind === 1) d = cat(src.subarray(0, i), new Array(n).fill(byte), src.subarray(i));
    else d = cat(src.subarray(0, i), src.subarray(i + n));
    const e = errorOf(d);
    return e === null
      ? { data: bytesToHex(d), code: 0, offset: 0, opIndex: 0, outHash: keccak256(decompressBatch(d)) }
      : { data: bytesToHex(d), code: e.code, offset: e.offset, opIndex: e.opIndex, outHash: `0x${'00'.repeat(32)}` as Hex };
  });
}

/** Data shaped to maximize decode gas per byte: many fields per byte, no signatures. */
function worst(): WorstCase[] {
  const units: [string, number[]][] = [
    ['fundingTick', [0, 15, 0, 0]],
    ['forcedClose', [0, 18, 0, 0, 0]],
    ['deleverage', [0, 14, 0, 0, 0, 0]],
    ['forcedWithdraw', [0, 17, 0, 0, 0, 0]],
    ['fill', [0, 9, 0, 0, 0, 0, 0, 0]],
    ['oracle68', [0, 10, 0, 68, ...new Array(68 * 3).fill(0), 0]],
  ];
  const make = (name: string, unit: number[], bytes: number): WorstCase => {
    const count = Math.floor(bytes / unit.length);
    const data = cat([1], varint(BigInt(count)), ...new Array(count).fill(unit));
    const out = decompressBatch(data);
    return { name: `${name}x${count}`, unit: bytesToHex(Uint8Array.from(unit)), count, dataLength: data.length, outHash: keccak256(out), outLength: out.length, gasBound: decodeGasBound(data.length) };
  };
  const cases = units.map(([name, unit]) => make(name, unit, 16_000));
  // The largest data the bound allows, in the costliest shape measured (one-byte oracle
  // price points, every byte a field): must decode under the limit.
  const worstUnit = units.find(([name]) => name === 'oracle68')!;
  cases.push(make(`${worstUnit[0]}AtLimit`, worstUnit[1], maxBatchBytes(DECODE_GAS_BOUND) - 4));
  return cases;
}

export interface WorkloadFixture {
  valid: ValidCase[];
}

/** The reference-workload batches the bench measures. */
export function buildWorkloadFixture(): WorkloadFixture {
  const workload = referenceOps(Math.max(...BATCH_SIZES));
  return { valid: BATCH_SIZES.map((n) => valid(`workload${n}`, encodeBatchFrom(workload.ops.slice(0, n)))) };
}

export function buildBatchFixture(): BatchFixture {
  const randoms = fc.sample(arbBatch(12), { numRuns: 6, seed: 42 });
  return {
    schema: bytesToHex(schemaTable()),
    gasLimit: DECODE_GAS_BOUND,
    maxDataBytes: maxBatchBytes(DECODE_GAS_BOUND),
    valid: [
      valid('empty', new Uint8Array(0)),
      valid('everyKind', encodeBatch(everyKind())),
      valid('extremes', encodeBatch(extremes())),
      ...randoms.map((ops, i) => valid(`random${i}`, encodeBatch(ops))),
    ],
    invalid: invalid(),
    mutations: mutations(250),
    worst: worst(),
  };
}

export function renderFixture(f: BatchFixture | WorkloadFixture): string {
  return `${JSON.stringify(f, null, 1)}\n`;
}

/** Rebuilds a worst case's data (the fixture stores the unit and count). */
export function worstData(w: WorstCase): Uint8Array {
  const unit = hexToBytes(w.unit);
  return cat([1], varint(BigInt(w.count)), ...new Array(w.count).fill(unit));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(BATCH_FIXTURE_PATH, renderFixture(buildBatchFixture()));
  console.log(`wrote ${BATCH_FIXTURE_PATH}`);
  writeFileSync(WORKLOAD_FIXTURE_PATH, renderFixture(buildWorkloadFixture()));
  console.log(`wrote ${WORKLOAD_FIXTURE_PATH}`);
}
