/**
 * The batch codec: canonical batch bytes (SSZ, batch.ts), batch data as posted to L1 and
 * decoded by `contracts/src/lib/BatchCodec.sol` (compress.ts), and its L1 gas (gas.ts).
 * docs/codec.md has the format byte by byte and the measurements.
 */
import type { SequencedOp } from "../state/ops.js";
import type { OpLog } from "../storage/opLog.js";
import { decodeBatch, encodeBatch, encodeBatchFrom } from "./batch.js";
import { compressBatch, decompressBatch } from "./compress.js";

export * from "./batch.js";
export * from "./compress.js";
export * from "./gas.js";
export { SCHEMA, schemaTable } from "./schema.js";

/** Batch data (what `Rollup.submitBatch` takes as `data`) of a list of operations. */
export function encodeBatchData(ops: readonly SequencedOp[]): Uint8Array {
  return compressBatch(encodeBatch(ops));
}

/** The operations in batch data; throws `BatchDataError` for data that is not a batch. */
export function decodeBatchData(data: Uint8Array): SequencedOp[] {
  return decodeBatch(decompressBatch(data));
}

/** Batch data of sealed batch `index`, from the logged canonical bytes (no re-encoding). */
export function sealedBatchData(log: OpLog, index: number): Uint8Array {
  return compressBatch(encodeBatchFrom(log.batchOps(index).map((o) => o.bytes)));
}
