/**
 * Canonical batch bytes: the SSZ serialization of `List[SequencedOp, MAX_BATCH_OPS]`.
 *
 * Why a bare list and not a container with a header: everything else a batch commits to
 * (index, roots, queue position, op count) is in the L1 `BatchHeader`, and a list of
 * variable-size elements gives random access for free — its serialization starts with one
 * 4-byte offset per element, so a dispute finds operation `i` by reading offset `i`, without
 * walking the ones before it.
 *
 * Layout (n operations; integers little-endian):
 *
 *     offset_0 (u32) ‖ … ‖ offset_{n-1} (u32) ‖ element_0 ‖ … ‖ element_{n-1}
 *     offset_0 = 4n, offset_{i+1} = offset_i + |element_i|
 *     element  = SequencedOp = timestamp (u64) ‖ 0x0c000000 ‖ selector ‖ body   (docs/protocol.md §4.1)
 *
 * The empty batch is the empty byte string. `decodeBatch` accepts exactly the bytes
 * `@chainsafe/ssz` accepts for this type (tested), and says where it failed: the byte offset
 * in the batch and the index of the operation.
 */
import { ListCompositeType } from "@chainsafe/ssz";
import { decodeSequencedOp, encodeSequencedOp } from "../state/codec.js";
import type { SequencedOp as SequencedOpValue } from "../state/ops.js";
import { OP_TYPES, SequencedOp } from "../state/types.js";

/**
 * Most operations in one batch. Equal to the upper bound Governance allows for the Rollup's
 * `maxBatchSize` (contracts/src/Governance.sol), so any batch L1 accepts fits the type.
 */
export const MAX_BATCH_OPS = 100_000;

/** The SSZ type of a batch (for `hashTreeRoot` and cross-checks against the library). */
export const BatchOps = new ListCompositeType(SequencedOp, MAX_BATCH_OPS, { typeName: "BatchOps" });

/** Fixed part of a SequencedOp: timestamp (8) and the union's offset (4). */
export const SEQUENCED_OP_PREFIX = 12;

/** A batch that is not canonical SSZ; `offset` is into the batch bytes, `opIndex` the element. */
export class BatchFormatError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
    readonly opIndex: number | null,
  ) {
    super(`batch ${opIndex === null ? "" : `op ${opIndex} `}at byte ${offset}: ${reason}`);
    this.name = "BatchFormatError";
  }
}

/** The batch bytes of `ops`. Throws on an op that has no canonical encoding (list over its limit). */
export function encodeBatch(ops: readonly SequencedOpValue[]): Uint8Array {
  return encodeBatchFrom(ops.map((s) => encodeSequencedOp(s)));
}

/**
 * The batch bytes from each operation's canonical SequencedOp bytes, without re-encoding
 * (the op log stores exactly these: `LoggedOp.bytes`). Checks each element's fixed prefix
 * and selector, not its body: callers hand over bytes the STF already decoded.
 */
export function encodeBatchFrom(elements: readonly Uint8Array[]): Uint8Array {
  if (elements.length > MAX_BATCH_OPS) throw new BatchFormatError(`${elements.length} operations exceed ${MAX_BATCH_OPS}`, 0, null);
  let size = 4 * elements.length;
  for (const [i, e] of elements.entries()) {
    if (e.length <= SEQUENCED_OP_PREFIX || e[8] !== SEQUENCED_OP_PREFIX || e[9] !== 0 || e[10] !== 0 || e[11] !== 0 || e[12]! >= OP_TYPES.length) {
      throw new BatchFormatError("not a SequencedOp encoding", 0, i);
    }
    size += e.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 4 * elements.length;
  for (const [i, e] of elements.entries()) {
    view.setUint32(4 * i, at, true);
    out.set(e, at);
    at += e.length;
  }
  return out;
}

/**
 * Splits batch bytes into its elements (views into `bytes`), checking the offset table as
 * SSZ does: the first offset is 4 × count, offsets never decrease and never pass the end.
 * The elements themselves are not decoded.
 */
export function splitBatch(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length === 0) return [];
  if (bytes.length < 4) throw new BatchFormatError(`${bytes.length} bytes: shorter than one offset`, 0, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = view.getUint32(0, true);
  if (first % 4 !== 0 || first === 0) throw new BatchFormatError(`first offset ${first} is not a positive multiple of 4`, 0, 0);
  if (first > bytes.length) throw new BatchFormatError(`first offset ${first} is past the end (${bytes.length} bytes)`, 0, 0);
  const n = first / 4;
  if (n > MAX_BATCH_OPS) throw new BatchFormatError(`${n} operations exceed ${MAX_BATCH_OPS}`, 0, 0);
  const out: Uint8Array[] = [];
  let start = first;
  for (let i = 0; i < n; i++) {
    const end = i + 1 < n ? view.getUint32(4 * (i + 1), true) : bytes.length;
    if (end < start) throw new BatchFormatError(`offset ${end} is below the previous offset ${start}`, 4 * (i + 1), i + 1);
    if (end > bytes.length) throw new BatchFormatError(`offset ${end} is past the end (${bytes.length} bytes)`, 4 * (i + 1), i + 1);
    out.push(bytes.subarray(start, end));
    start = end;
  }
  return out;
}

/** Decodes batch bytes; rejects anything non-canonical, naming the operation and its offset. */
export function decodeBatch(bytes: Uint8Array): SequencedOpValue[] {
  const elements = splitBatch(bytes);
  const out: SequencedOpValue[] = [];
  let at = 4 * elements.length;
  for (const [i, e] of elements.entries()) {
    try {
      out.push(decodeSequencedOp(e));
    } catch (err) {
      throw new BatchFormatError(`not a canonical SequencedOp (${e.length} bytes): ${(err as Error).message}`, at, i);
    }
    at += e.length;
  }
  return out;
}

/** Byte range of operation `i` in batch bytes, from the offset table alone (what a dispute reads). */
export function opRange(bytes: Uint8Array, i: number): { start: number; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length === 0 ? 0 : view.getUint32(0, true) / 4;
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`op ${i} is not in a batch of ${n}`);
  return { start: view.getUint32(4 * i, true), end: i + 1 < n ? view.getUint32(4 * (i + 1), true) : bytes.length };
}
