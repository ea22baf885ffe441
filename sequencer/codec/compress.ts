/**
 * Batch data: the compressed form of canonical batch bytes (batch.ts) that the sequencer
 * posts to L1 (`Rollup.submitBatch(header, data)`) and a contract can decode in a dispute
 * (contracts/src/lib/BatchCodec.sol). Format and measurements: docs/codec.md.
 *
 *     data = version (0x01) ‖ varint(n) ‖ op_0 ‖ … ‖ op_{n-1}
 *     op   = varint(zigzag(timestamp − previous timestamp)) ‖ selector (1 byte) ‖ fields
 *
 * The first op's previous timestamp is 0. Fields follow the schema (schema.ts); an
 * OracleUpdate's `timestamp` field is followed by count (1 byte) ‖ count × PricePoint
 * (kind raw, id uint, price decimal) ‖ count (1 byte) ‖ count × 65-byte signature.
 * Varints are unsigned LEB128, at most 20 bytes, minimal (no trailing 0x00 byte).
 *
 * The coding is canonical: every batch has exactly one encoding, `decompressBatch` accepts
 * only that one (non-minimal varints, removable decimal zeros and a time-coded zero are
 * refused), so `compressBatch(decompressBatch(x)) = x` for every accepted `x`. The decoder is
 * total on bytes: it returns canonical batch bytes or throws a `BatchDataError` with the same
 * code, offset and operation index as the Solidity decoder's `BatchDataError` revert.
 */
import { MAX_BATCH_OPS, SEQUENCED_OP_PREFIX, splitBatch, BatchFormatError } from "./batch.js";
import {
  DECIMAL,
  MAX_ORACLE_SIGNERS,
  MAX_PRICE_POINTS,
  ORACLE_SELECTOR,
  PRICE_POINT_FIELDS,
  PRICE_POINT_SIZE,
  RAW,
  SCHEMA,
  SIGNATURE_SIZE,
  TIME,
  UINT,
  bodySize,
  fieldCode,
  type Field,
} from "./schema.js";

export const BATCH_DATA_VERSION = 1;
/** Longest varint: 20 × 7 = 140 bits hold the largest coded value (a u128 decimal, < 2^134). */
export const MAX_VARINT_BYTES = 20;
/**
 * Fewest data bytes one operation can take (a FundingTick: timestamp, selector, two one-byte
 * varints). A count above (bytes left) / MIN_OP_BYTES is refused before anything is written,
 * so a short input cannot make a decoder reserve memory for operations it does not contain.
 */
export const MIN_OP_BYTES = 4;

/** Error codes, shared with BatchCodec.sol. */
export const ERR = {
  BAD_VERSION: 1,
  TRUNCATED: 2,
  VARINT_TOO_LONG: 3,
  VARINT_NOT_MINIMAL: 4,
  TOO_MANY_OPS: 5,
  BAD_SELECTOR: 6,
  OUT_OF_RANGE: 7,
  NOT_CANONICAL: 8,
  LIST_TOO_LONG: 9,
  TRAILING_BYTES: 10,
} as const;
export type ErrorCode = (typeof ERR)[keyof typeof ERR];
const ERR_NAME = Object.fromEntries(Object.entries(ERR).map(([k, v]) => [v, k])) as Record<number, string>;

/**
 * Batch data that does not decode. `offset`: where the faulty item starts in the data (the
 * varint, byte or field being read); `opIndex`: the operation being decoded (0 while reading
 * the version and count; n for trailing bytes after the last operation).
 */
export class BatchDataError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly offset: number,
    readonly opIndex: number,
    detail = "",
  ) {
    super(`batch data: ${ERR_NAME[code]} at byte ${offset}, op ${opIndex}${detail ? `: ${detail}` : ""}`);
    this.name = "BatchDataError";
  }
}

const TWO64 = 1n << 64n;

// ─── Encoding ─────────────────────────────────────────────────────────────────────────

class ByteWriter {
  buf: Uint8Array;
  len = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(64, capacity));
  }
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  varint(v: bigint): void {
    this.room(MAX_VARINT_BYTES);
    if (v < 0x1_0000_0000n) {
      let n = Number(v);
      while (n >= 0x80) {
        this.buf[this.len++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      this.buf[this.len++] = n;
      return;
    }
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function zigzag(d: bigint): bigint {
  return d >= 0n ? d << 1n : ((-d) << 1n) - 1n;
}

/** Little-endian unsigned integer of `width` bytes at `at`. */
function readLE(b: Uint8Array, at: number, width: number): bigint {
  if (width <= 4) {
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + b[at + i]!;
    return BigInt(v);
  }
  let v = 0n;
  for (let i = width - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]!);
  return v;
}

const POW10: bigint[] = Array.from({ length: 40 }, (_, i) => 10n ** BigInt(i));

function encodeDecimal(w: ByteWriter, v: bigint, base: bigint): void {
  if (v === 0n) return w.varint(0n);
  let e = 0n;
  while (v % 10n === 0n) {
    v /= 10n;
    e++;
  }
  w.varint(v * base + e);
}

function encodeField(w: ByteWriter, f: Field, el: Uint8Array, at: number, ts: bigint): void {
  if (f.coding === "raw") return w.bytes(el.subarray(at, at + f.width));
  const v = readLE(el, at, f.width);
  switch (f.coding) {
    case "uint":
      return w.varint(v);
    case "decimal":
      return encodeDecimal(w, v, f.width === 8 ? 20n : 40n);
    case "time":
      return w.varint(v === 0n ? 0n : 1n + zigzag(v - ts));
    case "signed":
      return w.varint(zigzag(BigInt.asIntN(64, v)));
  }
}

/**
 * Compresses canonical batch bytes. Throws `BatchFormatError` (naming the operation) when
 * the bytes are not a canonical batch: every element is checked against its schema's exact
 * layout, so only bytes `decodeBatch` accepts compress.
 */
export function compressBatch(batch: Uint8Array): Uint8Array {
  const elements = splitBatch(batch);
  const w = new ByteWriter(batch.length);
  w.byte(BATCH_DATA_VERSION);
  w.varint(BigInt(elements.length));
  let prev = 0n;
  let at = 4 * elements.length;
  for (const [i, el] of elements.entries()) {
    const fail = (why: string): never => {
      throw new BatchFormatError(why, at, i);
    };
    if (el.length <= SEQUENCED_OP_PREFIX || readLE(el, 8, 4) !== BigInt(SEQUENCED_OP_PREFIX)) fail("not a SequencedOp encoding");
    const sel = el[SEQUENCED_OP_PREFIX]!;
    if (sel >= SCHEMA.length) fail(`unknown selector ${sel}`);
    const ts = readLE(el, 0, 8);
    w.varint(zigzag(ts - prev));
    prev = ts;
    w.byte(sel);
    const body = SEQUENCED_OP_PREFIX + 1;
    const len = el.length - body;
    if (sel !== ORACLE_SELECTOR) {
      if (len !== bodySize(sel)) fail(`body of ${len} bytes, selector ${sel} has ${bodySize(sel)}`);
      let p = body;
      for (const f of SCHEMA[sel]!) {
        encodeField(w, f, el, p, ts);
        p += f.width;
      }
    } else {
      // OracleUpdate body: timestamp (8) ‖ offset(prices) = 16 ‖ offset(signatures) ‖ prices ‖ signatures.
      if (len < 16 || readLE(el, body + 8, 4) !== 16n) fail("OracleUpdate: bad prices offset");
      const sigAt = Number(readLE(el, body + 12, 4));
      const points = (sigAt - 16) / PRICE_POINT_SIZE;
      const sigs = (len - sigAt) / SIGNATURE_SIZE;
      if (sigAt < 16 || sigAt > len || !Number.isInteger(points) || points > MAX_PRICE_POINTS) fail("OracleUpdate: bad prices list");
      if (!Number.isInteger(sigs) || sigs > MAX_ORACLE_SIGNERS) fail("OracleUpdate: bad signatures list");
      encodeField(w, SCHEMA[sel]![0]!, el, body, ts);
      w.byte(points);
      let p = body + 16;
      for (let k = 0; k < points; k++) {
        for (const f of PRICE_POINT_FIELDS) {
          encodeField(w, f, el, p, ts);
          p += f.width;
        }
      }
      w.byte(sigs);
      w.bytes(el.subarray(p));
    }
    at += el.length;
  }
  return w.result();
}

// ─── Decoding ─────────────────────────────────────────────────────────────────────────

class Decoder {
  p = 0;
  op = 0;
  o = 0;
  out: Uint8Array;
  view: DataView;
  constructor(
    readonly data: Uint8Array,
    capacity: number,
  ) {
    this.out = new Uint8Array(capacity);
    this.view = new DataView(this.out.buffer);
  }

  fail(code: ErrorCode, offset: number, detail = ""): never {
    throw new BatchDataError(code, offset, this.op, detail);
  }

  room(n: number): void {
    if (this.o + n <= this.out.length) return;
    const next = new Uint8Array(Math.max(this.out.length * 2, this.o + n));
    next.set(this.out.subarray(0, this.o));
    this.out = next;
    this.view = new DataView(next.buffer);
  }

  byte(): number {
    if (this.p >= this.data.length) this.fail(ERR.TRUNCATED, this.p);
    return this.data[this.p++]!;
  }

  varint(): bigint {
    const start = this.p;
    const d = this.data;
    // PERF: a number accumulator for the first 7 bytes (49 bits, exact); bigint beyond.
    let n = 0;
    let scale = 1;
    for (let k = 0; k < MAX_VARINT_BYTES; k++) {
      const at = start + k;
      if (at >= d.length) this.fail(ERR.TRUNCATED, start);
      const b = d[at]!;
      if (k < 7) {
        n += (b & 0x7f) * scale;
        scale *= 128;
        if (b < 0x80) {
          if (k > 0 && b === 0) this.fail(ERR.VARINT_NOT_MINIMAL, start);
          this.p = at + 1;
          return BigInt(n);
        }
        continue;
      }
      // Slow path: rebuild as bigint from here on.
      let v = BigInt(n);
      for (let j = k; j < MAX_VARINT_BYTES; j++) {
        const a = start + j;
        if (a >= d.length) this.fail(ERR.TRUNCATED, start);
        const c = d[a]!;
        v |= BigInt(c & 0x7f) << BigInt(7 * j);
        if (c < 0x80) {
          if (c === 0) this.fail(ERR.VARINT_NOT_MINIMAL, start);
          this.p = a + 1;
          return v;
        }
      }
      this.fail(ERR.VARINT_TOO_LONG, start);
    }
    this.fail(ERR.VARINT_TOO_LONG, start);
  }

  writeLE(v: bigint, width: number): void {
    this.room(width);
    if (width === 8) this.view.setBigUint64(this.o, v, true);
    else if (width === 16) {
      this.view.setBigUint64(this.o, v & (TWO64 - 1n), true);
      this.view.setBigUint64(this.o + 8, v >> 64n, true);
    } else {
      let n = Number(v);
      for (let i = 0; i < width; i++) {
        this.out[this.o + i] = n & 0xff;
        n = Math.floor(n / 256);
      }
    }
    this.o += width;
  }

  field(code: number, ts: bigint): void {
    const start = this.p;
    const width = code & 0x7f;
    if (code & RAW) {
      if (start + width > this.data.length) this.fail(ERR.TRUNCATED, start);
      this.room(width);
      this.out.set(this.data.subarray(start, start + width), this.o);
      this.o += width;
      this.p = start + width;
      return;
    }
    const w = width & 0x1f;
    const limit = 1n << BigInt(8 * w);
    const x = this.varint();
    let v: bigint;
    switch (code & 0x60) {
      case UINT:
        if (x >= limit) this.fail(ERR.OUT_OF_RANGE, start);
        v = x;
        break;
      case DECIMAL: {
        const base = w === 8 ? 20n : 40n;
        const e = x % base;
        const m = x / base;
        if (m === 0n) {
          if (e !== 0n) this.fail(ERR.NOT_CANONICAL, start, "zero with an exponent");
          v = 0n;
        } else {
          if (m % 10n === 0n) this.fail(ERR.NOT_CANONICAL, start, "mantissa ends in zero");
          if (m >= limit || e > (w === 8 ? 19n : 38n)) this.fail(ERR.OUT_OF_RANGE, start);
          v = m * POW10[Number(e)]!;
          if (v >= limit) this.fail(ERR.OUT_OF_RANGE, start);
        }
        break;
      }
      case TIME: {
        if (x === 0n) {
          v = 0n;
          break;
        }
        v = ts + unzigzag(x - 1n);
        if (v < 0n || v >= TWO64) this.fail(ERR.OUT_OF_RANGE, start);
        if (v === 0n) this.fail(ERR.NOT_CANONICAL, start, "time-coded zero");
        break;
      }
      default: {
        // SIGNED: zigzag of an int64 is below 2^64.
        if (x >= TWO64) this.fail(ERR.OUT_OF_RANGE, start);
        v = BigInt.asUintN(64, unzigzag(x));
      }
    }
    this.writeLE(v, w);
  }
}

function unzigzag(x: bigint): bigint {
  return x & 1n ? -((x >> 1n) + 1n) : x >> 1n;
}

/** The field codes of every selector, resolved once. */
const CODES: number[][] = SCHEMA.map((fs) => fs.map(fieldCode));
const POINT_CODES: number[] = PRICE_POINT_FIELDS.map(fieldCode);

/** Decompresses batch data into canonical batch bytes; throws `BatchDataError`. */
export function decompressBatch(data: Uint8Array): Uint8Array {
  const dec = new Decoder(data, Math.max(64, data.length * 2));
  const version = dec.byte();
  if (version !== BATCH_DATA_VERSION) dec.fail(ERR.BAD_VERSION, 0, `version ${version}`);
  const countAt = dec.p;
  const nBig = dec.varint();
  if (nBig > BigInt(MAX_BATCH_OPS) || nBig * BigInt(MIN_OP_BYTES) > BigInt(data.length - dec.p)) {
    dec.fail(ERR.TOO_MANY_OPS, countAt, `${nBig} operations`);
  }
  const n = Number(nBig);
  dec.room(4 * n);
  dec.o = 4 * n;
  let ts = 0n;
  for (let i = 0; i < n; i++) {
    dec.op = i;
    dec.view.setUint32(4 * i, dec.o, true);
    const tsAt = dec.p;
    ts += unzigzag(dec.varint());
    if (ts < 0n || ts >= TWO64) dec.fail(ERR.OUT_OF_RANGE, tsAt, "timestamp");
    const selAt = dec.p;
    const sel = dec.byte();
    if (sel >= CODES.length) dec.fail(ERR.BAD_SELECTOR, selAt, `selector ${sel}`);
    dec.room(SEQUENCED_OP_PREFIX + 1);
    dec.view.setBigUint64(dec.o, ts, true);
    dec.view.setUint32(dec.o + 8, SEQUENCED_OP_PREFIX, true);
    dec.out[dec.o + 12] = sel;
    dec.o += SEQUENCED_OP_PREFIX + 1;
    for (const code of CODES[sel]!) dec.field(code, ts);
    if (sel === ORACLE_SELECTOR) {
      const pointsAt = dec.p;
      const points = dec.byte();
      if (points > MAX_PRICE_POINTS) dec.fail(ERR.LIST_TOO_LONG, pointsAt, `${points} prices`);
      dec.room(8);
      dec.view.setUint32(dec.o, 16, true);
      dec.view.setUint32(dec.o + 4, 16 + PRICE_POINT_SIZE * points, true);
      dec.o += 8;
      for (let k = 0; k < points; k++) for (const code of POINT_CODES) dec.field(code, ts);
      const sigsAt = dec.p;
      const sigs = dec.byte();
      if (sigs > MAX_ORACLE_SIGNERS) dec.fail(ERR.LIST_TOO_LONG, sigsAt, `${sigs} signatures`);
      for (let k = 0; k < sigs; k++) dec.field(RAW | SIGNATURE_SIZE, ts);
    }
  }
  dec.op = n;
  if (dec.p !== data.length) dec.fail(ERR.TRAILING_BYTES, dec.p);
  return dec.out.slice(0, dec.o);
}
