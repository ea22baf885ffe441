/**
 * Restart: open the log, restore the newest snapshot that passes its root check (else
 * genesis), replay every logged operation after it with `applyOp` and the stored signer
 * context, and check each replayed receipt against the stored summary.
 */
import { bytesToHex } from "../state/bytes.js";
import { applyOp, createGenesisState, stateRoot, type GenesisConfig, type Receipt } from "../state/index.js";
import type { CrossmarginState } from "../state/state.js";
import { OpLog, type OpLogOptions } from "./opLog.js";

export interface RecoverOptions extends OpLogOptions {
  /** Keep the replayed receipts (default true). */
  collectReceipts?: boolean;
  /** Ignore snapshots and replay the whole log from genesis. */
  ignoreSnapshots?: boolean;
}

export interface Recovery {
  /** The open log; appends continue at `seq + 1`. */
  log: OpLog;
  state: CrossmarginState;
  /** Last operation applied (= log.lastSeq()); 0 for an empty log. */
  seq: number;
  root: Uint8Array;
  /** Seq the restored snapshot covered (0: started from genesis). */
  snapshotSeq: number;
  /** Snapshots that failed to restore (root mismatch or decode error), newest first. */
  rejectedSnapshots: { seq: number; error: string }[];
  /** Operations replayed from the log. */
  replayed: number;
  /** Receipts of the replayed operations, by seq (when collected). */
  receipts: { seq: number; receipt: Receipt }[];
}

export class ReplayDivergence extends Error {}

const GENESIS_KEY = "genesis_root";

export function recover(dbPath: string, genesis: GenesisConfig, opts: RecoverOptions = {}): Recovery {
  const log = new OpLog(dbPath, opts);
  try {
    return recoverLog(log, genesis, opts);
  } catch (e) {
    log.close();
    throw e;
  }
}

export function recoverLog(log: OpLog, genesis: GenesisConfig, opts: RecoverOptions = {}): Recovery {
  const genesisState = createGenesisState(genesis);
  const genesisRoot = stateRoot(genesisState);
  const stored = log.getMeta(GENESIS_KEY);
  if (stored === undefined) log.setMeta(GENESIS_KEY, genesisRoot);
  else if (Buffer.compare(Buffer.from(stored), Buffer.from(genesisRoot)) !== 0) {
    throw new Error(`op log ${log.path} was started from genesis ${bytesToHex(stored)}, not ${bytesToHex(genesisRoot)}`);
  }

  let state = genesisState;
  let snapshotSeq = 0;
  const rejectedSnapshots: { seq: number; error: string }[] = [];
  if (!opts.ignoreSnapshots) {
    for (const s of log.snapshots()) {
      try {
        state = log.loadSnapshot(s.seq).state;
        snapshotSeq = s.seq;
        break;
      } catch (e) {
        rejectedSnapshots.push({ seq: s.seq, error: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  const collect = opts.collectReceipts ?? true;
  const receipts: { seq: number; receipt: Receipt }[] = [];
  let replayed = 0;
  let expect = snapshotSeq + 1;
  for (const o of log.readFrom(snapshotSeq + 1)) {
    if (o.seq !== expect) throw new ReplayDivergence(`op log gap: expected seq ${expect}, found ${o.seq}`);
    expect++;
    const receipt = applyOp(state, o.op.op, { timestamp: o.op.timestamp, ...o.ctx });
    if (receipt.ok !== o.ok || (receipt.reason ?? null) !== (o.reason ?? null) || !!receipt.l1Consumed !== !!o.l1Consumed) {
      throw new ReplayDivergence(
        `seq ${o.seq}: replay gave ${receipt.ok ? "ok" : `rejected ${receipt.reason}`}, the log recorded ${o.ok ? "ok" : `rejected ${o.reason}`}`,
      );
    }
    if (collect) receipts.push({ seq: o.seq, receipt });
    replayed++;
  }
  const seq = expect - 1;
  if (seq !== log.lastSeq()) throw new ReplayDivergence(`replayed to seq ${seq}, log ends at ${log.lastSeq()}`);
  return { log, state, seq, root: stateRoot(state), snapshotSeq, rejectedSnapshots, replayed, receipts };
}
