/** Shared by the storage tests: a seeded sequencer stand-in over the STF and the op log. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { applyOp, createGenesisState, decodeSequencedOp, encodeSequencedOp, stateRoot, type Recovered, type Receipt } from "../../state/index.js";
import type { Op, SequencedOp } from "../../state/ops.js";
import type { CrossmarginState } from "../../state/state.js";
import { testGenesis } from "../../state/test/fixtures.js";
import { RandomOps, Rng, type Step } from "../../state/test/random.js";
import { OpLog, logItem, type LogItem } from "../opLog.js";

export { testGenesis, RandomOps, Rng };

export function tempDb(name = "oplog"): string {
  return join(mkdtempSync(join(tmpdir(), "crossmargin-storage-")), `${name}.sqlite`);
}

const ZERO_SIG = `0x${"00".repeat(65)}` as const;

/**
 * The random generator writes placeholder signatures ("0x"); the log stores canonical bytes,
 * so give every signature 65 bytes and an OracleUpdate one per recovered signer, then take
 * the operation back through the codec so the live path applies exactly what replay decodes.
 */
export function canonical(step: Step): { sop: SequencedOp; bytes: Uint8Array; ctx: Recovered } {
  const op = { ...step.op } as Op & { signature?: string; signatures?: string[] };
  if (op.type === "OracleUpdate") (op as { signatures: string[] }).signatures = (step.ctx.oracleSigners ?? []).map(() => ZERO_SIG);
  else if ("signature" in op) op.signature = ZERO_SIG;
  const bytes = encodeSequencedOp({ timestamp: step.ctx.timestamp, op });
  const ctx: Recovered = { signer: step.ctx.signer };
  if (step.ctx.oracleSigners !== undefined) ctx.oracleSigners = step.ctx.oracleSigners;
  return { sop: decodeSequencedOp(bytes), bytes, ctx };
}

/** Generates the next random op, executes it on `state`, and returns the log item. */
export function nextItem(gen: RandomOps, state: CrossmarginState): { item: LogItem; receipt: Receipt } {
  const { sop, bytes, ctx } = canonical(gen.next(state));
  const receipt = applyOp(state, sop.op, { timestamp: sop.timestamp, ...ctx });
  return { item: logItem(sop, ctx, receipt, bytes), receipt };
}

export function sha(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 16);
}

/**
 * An independent replay of the whole log from genesis (no snapshot): returns the final root
 * and the root after each seq in `at`.
 */
export function independentReplay(dbPath: string, at: number[] = []): { root: string; seq: number; rootsAt: Map<number, string> } {
  const log = new OpLog(dbPath);
  try {
    const state = createGenesisState(testGenesis());
    const want = new Set(at);
    const rootsAt = new Map<number, string>();
    if (want.has(0)) rootsAt.set(0, hex(stateRoot(state)));
    let seq = 0;
    for (const o of log.readFrom(1)) {
      applyOp(state, o.op.op, { timestamp: o.op.timestamp, ...o.ctx });
      seq = o.seq;
      if (want.has(seq)) rootsAt.set(seq, hex(stateRoot(state)));
    }
    return { root: hex(stateRoot(state)), seq, rootsAt };
  } finally {
    log.close();
  }
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
