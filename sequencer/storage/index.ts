/** Ordering durability: the SQLite op log, sealed batches, snapshots and recovery. */
export { OpLog, SNAPSHOTS_KEPT, logItem, type LogItem, type LoggedOp, type BatchInput, type SealedBatch, type OpLogOptions } from "./opLog.js";
export { fromSszValue, serializeState, deserializeState, restoreState } from "./snapshot.js";
export { recover, recoverLog, ReplayDivergence, type Recovery, type RecoverOptions } from "./recover.js";
