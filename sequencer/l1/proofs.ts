/**
 * SSZ proofs of withdrawal records against a sealed batch's post-state root, as
 * `Vault.claimWithdrawal(batchIndex, index, w, proof)` checks them (StateProofs.verify at
 * `WITHDRAWALS_FIRST_GINDEX + index`, a branch of `WITHDRAWALS_PROOF_DEPTH` = 37 nodes).
 *
 * `withdrawalProof(state, index)` is pure (built the way contracts/script/gen-proof-fixtures.ts
 * builds the committed fixtures, with `@chainsafe/persistent-merkle-tree`). `stateAfterBatch`
 * rebuilds a batch's post-state from the op log: the newest snapshot at or before the batch's
 * last op (else genesis), then the logged ops up to it through the STF, each checked against
 * its logged outcome, and the result's root against the batch's stored post-root. The
 * sequencer keeps no per-batch states: a proof for an old batch costs a replay from the
 * snapshot before it (bounded by `--snapshot-every-ops`, from genesis when the op log has
 * pruned the older snapshots). Withdrawal records are append-only, so a record proven against
 * any later final batch is the same record.
 */
import { createProof, ProofType, type SingleProof } from "@chainsafe/persistent-merkle-tree";
import { bytesToHex } from "../state/bytes.js";
import type { GenesisConfig } from "../state/genesis.js";
import { applyOp, createGenesisState, stateRoot, toSszValue } from "../state/index.js";
import type { Hex } from "../state/ops.js";
import type { CrossmarginState } from "../state/state.js";
import { State } from "../state/types.js";
import type { OpLog } from "../storage/index.js";

/** Depth of a withdrawal record's branch (StateLayout.WITHDRAWALS_PROOF_DEPTH). */
export const WITHDRAWALS_PROOF_DEPTH = 37;
/** Generalized index of `state.withdrawals[0]` (StateLayout.WITHDRAWALS_FIRST_GINDEX). */
export const WITHDRAWALS_FIRST_GINDEX = 188_978_561_024n;

export interface WithdrawalProof {
  /** The record's index in `state.withdrawals` (Vault's `index`). */
  index: number;
  withdrawal: { account: number; owner: Hex; asset: number; amount: bigint };
  /** Sibling hashes from the leaf up (Vault's `proof`). */
  proof: Hex[];
  /** The state root the branch leads to. */
  root: Hex;
}

export class ProofError extends Error {
  constructor(
    readonly kind: "batch_unknown" | "withdrawal_unknown" | "replay",
    message: string,
  ) {
    super(message);
  }
}

/** The branch of `state.withdrawals[index]` to the state root. */
export function withdrawalProof(state: CrossmarginState, index: number): WithdrawalProof {
  const w = state.withdrawals[index];
  if (!Number.isInteger(index) || index < 0 || w === undefined) {
    throw new ProofError("withdrawal_unknown", `no withdrawal record ${index} in this state (it holds ${state.withdrawals.length})`);
  }
  const view = State.toView(toSszValue(state) as never);
  const gindex = State.getPathInfo(["withdrawals", index]).gindex;
  if (gindex !== WITHDRAWALS_FIRST_GINDEX + BigInt(index)) throw new Error(`state layout changed: withdrawals[${index}] at gindex ${gindex}`);
  const proof = (createProof(view.node, { type: ProofType.single, gindex }) as SingleProof).witnesses.map((x) => bytesToHex(x));
  if (proof.length !== WITHDRAWALS_PROOF_DEPTH) throw new Error(`withdrawal branch of ${proof.length} nodes, L1 expects ${WITHDRAWALS_PROOF_DEPTH}`);
  return { index, withdrawal: { account: w.account, owner: w.owner, asset: w.asset, amount: w.amount }, proof, root: bytesToHex(view.hashTreeRoot()) };
}

/** The state after op-log batch `batchIndex` (L1 batch `batchIndex + 1`), rebuilt from the log. */
export function stateAfterBatch(log: OpLog, genesis: GenesisConfig, batchIndex: number): CrossmarginState {
  const b = log.batch(batchIndex);
  if (!b) throw new ProofError("batch_unknown", `op-log batch ${batchIndex} is not sealed (${(log.lastBatch()?.index ?? -1) + 1} sealed)`);
  let state = createGenesisState(genesis);
  let from = 1;
  const snap = log.snapshots().find((s) => s.seq <= b.toSeq);
  if (snap) {
    state = log.loadSnapshot(snap.seq).state;
    from = snap.seq + 1;
  }
  if (from <= b.toSeq) {
    for (const o of log.readFrom(from, b.toSeq)) {
      const r = applyOp(state, o.op.op, { timestamp: o.op.timestamp, ...o.ctx });
      if (r.ok !== o.ok) throw new ProofError("replay", `seq ${o.seq}: replay gave ${r.ok ? "ok" : r.reason}, the log recorded ${o.ok ? "ok" : o.reason}`);
    }
  }
  const root = stateRoot(state);
  if (bytesToHex(root) !== bytesToHex(b.postRoot)) throw new ProofError("replay", `batch ${batchIndex}: rebuilt root ${bytesToHex(root)} differs from the sealed ${bytesToHex(b.postRoot)}`);
  return state;
}

/** Builds proofs against sealed batches, keeping the last rebuilt state (repeated claims of one batch). */
export class WithdrawalProver {
  private cached: { batchIndex: number; state: CrossmarginState } | null = null;
  constructor(
    private readonly log: OpLog,
    private readonly genesis: GenesisConfig,
  ) {}

  /** Proof of record `index` against the post-root of op-log batch `batchIndex`. */
  prove(batchIndex: number, index: number): WithdrawalProof {
    if (this.cached?.batchIndex !== batchIndex) this.cached = { batchIndex, state: stateAfterBatch(this.log, this.genesis, batchIndex) };
    return withdrawalProof(this.cached.state, index);
  }
}
