/**
 * SSZ proofs of what L1 reads from a state root, in one place: withdrawal records
 * (`Vault.claimWithdrawal`), and for the exit after a freeze, account records (`Vault.exit`),
 * market marks (`Vault.proveMarket`) and asset records (`Vault.proveAsset`). The sequencer's
 * API, the SDK's offline exit path and contracts/script/gen-proof-fixtures.ts (the fixture
 * ProofFixture.t.sol checks against the contracts) all build them here.
 *
 * `StateProver` is pure: it builds the state's SSZ tree once (`@chainsafe/persistent-merkle-tree`)
 * and answers any number of branches against its root. `stateAfterBatch` rebuilds a batch's
 * post-state from the op log: the newest snapshot at or before the batch's last op (else
 * genesis), then the logged ops up to it through the STF, each checked against its logged
 * outcome, and the result's root against the batch's stored post-root. The sequencer keeps no
 * per-batch states: a proof for an old batch costs a replay from the snapshot before it
 * (bounded by `--snapshot-every-ops`, from genesis when the op log has pruned the older
 * snapshots). Withdrawal records are append-only, so a record proven against any later final
 * batch is the same record.
 *
 * Without a sequencer (after a halt) the same proofs come from any copy of the state at the
 * exit batch: the stopped sequencer's op log reopened offline (`openOfflineProver`), or the
 * verifier's replay of L1 data alone (prover/, `Verifier.verifiedState()`), passed to
 * `new StateProver(state)`.
 */
import { existsSync } from "node:fs";
import { createProof, ProofType, type SingleProof, Tree } from "@chainsafe/persistent-merkle-tree";
import { bytesToHex } from "../state/bytes.js";
import type { GenesisConfig } from "../state/genesis.js";
import { applyOp, createGenesisState, stateRoot, toSszValue } from "../state/index.js";
import type { Hex } from "../state/ops.js";
import type { CrossmarginState } from "../state/state.js";
import { Account, State } from "../state/types.js";
import { OpLog } from "../storage/index.js";

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

/** `StateProofs.Position`, field order as the Solidity struct. */
export interface PositionRecord {
  size: bigint;
  entryNotional: bigint;
  lastFundingIndex: bigint;
  isolatedMargin: bigint;
  marginMode: number;
}

/** `Vault.ExitProof`: an account record and its branch, as `Vault.exit` takes it. */
export interface AccountExitProof {
  account: number;
  owner: Hex;
  /** `Account.balances`, MAX_ASSETS entries. */
  balances: bigint[];
  /** Root of every `Account` field, in field order (owner, balances, positions are recomputed on L1). */
  fieldRoots: Hex[];
  /** Root of each of the MAX_MARKETS position slots. */
  positionRoots: Hex[];
  /** Markets (ascending) of the non-zero position slots, and their records. */
  markets: number[];
  positions: PositionRecord[];
  /** Branch of `state.accounts[account]`. */
  proof: Hex[];
}

/** `Vault.proveMarket`'s arguments. */
export interface MarketProof {
  market: number;
  price: bigint;
  fundingIndex: bigint;
  priceProof: Hex[];
  fundingProof: Hex[];
}

/** `Vault.proveAsset`'s arguments (`record` is `StateProofs.Asset`). */
export interface AssetProof {
  asset: number;
  record: { decimals: number; weightPpm: bigint; oraclePrice: bigint; oracleTimestamp: bigint };
  proof: Hex[];
}

/**
 * Everything one account's exit needs against one root: its record, the marks of the markets
 * it holds positions in, and every listed non-settlement asset's record (the account's
 * collateral, withdrawal records in that asset, and the vault's value at `settle` need them;
 * each is proven once on L1 by whoever comes first).
 */
export interface ExitProofBundle {
  root: Hex;
  account: AccountExitProof;
  markets: MarketProof[];
  assets: AssetProof[];
}

export class ProofError extends Error {
  constructor(
    readonly kind: "batch_unknown" | "withdrawal_unknown" | "account_unknown" | "market_unknown" | "asset_unknown" | "replay",
    message: string,
  ) {
    super(message);
  }
}

const ACCOUNT_FIELDS = Object.keys(Account.fields);

/** Branches of one state's SSZ tree (built once) to its root. */
export class StateProver {
  readonly root: Hex;
  private readonly view: ReturnType<typeof State.toView>;
  private readonly tree: Tree;

  constructor(readonly state: CrossmarginState) {
    this.view = State.toView(toSszValue(state) as never);
    this.tree = new Tree(this.view.node);
    this.root = bytesToHex(this.view.hashTreeRoot()) as Hex;
  }

  private gindex(path: (string | number)[]): bigint {
    return State.getPathInfo(path).gindex;
  }

  private branch(gindex: bigint): Hex[] {
    return (createProof(this.view.node, { type: ProofType.single, gindex }) as SingleProof).witnesses.map((x) => bytesToHex(x) as Hex);
  }

  private nodeRoot(path: (string | number)[]): Hex {
    return bytesToHex(this.tree.getNode(this.gindex(path)).root) as Hex;
  }

  /**
   * The node at each generalized index of this state's tree (any depth: leaf chunks, record
   * roots, zero subtrees), for multiproofs such as the one-step witnesses of prover/witness.ts.
   */
  nodes(gindices: readonly bigint[]): Uint8Array[] {
    return gindices.map((g) => this.tree.getNode(g).root);
  }

  /** The branch of `state.withdrawals[index]`. */
  withdrawal(index: number): WithdrawalProof {
    const w = Number.isInteger(index) && index >= 0 ? this.state.withdrawals[index] : undefined;
    if (w === undefined) {
      throw new ProofError("withdrawal_unknown", `no withdrawal record ${index} in this state (it holds ${this.state.withdrawals.length})`);
    }
    const gindex = this.gindex(["withdrawals", index]);
    if (gindex !== WITHDRAWALS_FIRST_GINDEX + BigInt(index)) throw new Error(`state layout changed: withdrawals[${index}] at gindex ${gindex}`);
    const proof = this.branch(gindex);
    if (proof.length !== WITHDRAWALS_PROOF_DEPTH) throw new Error(`withdrawal branch of ${proof.length} nodes, L1 expects ${WITHDRAWALS_PROOF_DEPTH}`);
    return { index, withdrawal: { account: w.account, owner: w.owner, asset: w.asset, amount: w.amount }, proof, root: this.root };
  }

  /** Account `index`'s record with every position slot root and its branch (`Vault.ExitProof`). */
  account(index: number): AccountExitProof {
    const a = Number.isInteger(index) && index >= 0 ? this.state.accounts[index] : undefined;
    if (a === undefined) throw new ProofError("account_unknown", `no account ${index} in this state (it holds ${this.state.accounts.length})`);
    const open = a.positions.flatMap((p, m) => (p === null ? [] : [{ p, m }]));
    return {
      account: index,
      owner: a.owner,
      balances: [...a.balances],
      fieldRoots: ACCOUNT_FIELDS.map((f) => this.nodeRoot(["accounts", index, f])),
      positionRoots: a.positions.map((_, m) => this.nodeRoot(["accounts", index, "positions", m])),
      markets: open.map(({ m }) => m),
      positions: open.map(({ p }) => ({ size: p.size, entryNotional: p.entryNotional, lastFundingIndex: p.lastFundingIndex, isolatedMargin: p.isolatedMargin, marginMode: p.marginMode })),
      proof: this.branch(this.gindex(["accounts", index])),
    };
  }

  /** Market `market`'s oracle price and funding index with their branches. */
  market(market: number): MarketProof {
    const m = this.state.markets[market];
    if (m === undefined) throw new ProofError("market_unknown", `no market ${market} in this state`);
    return {
      market,
      price: m.oraclePrice,
      fundingIndex: m.fundingIndex,
      priceProof: this.branch(this.gindex(["markets", market, "oraclePrice"])),
      fundingProof: this.branch(this.gindex(["markets", market, "fundingIndex"])),
    };
  }

  /** Asset `asset`'s record with its branch. */
  asset(asset: number): AssetProof {
    const a = this.state.assets[asset];
    if (a === undefined) throw new ProofError("asset_unknown", `no asset ${asset} in this state`);
    return {
      asset,
      record: { decimals: a.decimals, weightPpm: a.weightPpm, oraclePrice: a.oraclePrice, oracleTimestamp: a.oracleTimestamp },
      proof: this.branch(this.gindex(["assets", asset])),
    };
  }

  /** Account `index`'s exit: its record, its markets' marks, every non-settlement asset's record. */
  exit(index: number): ExitProofBundle {
    const account = this.account(index);
    return {
      root: this.root,
      account,
      markets: account.markets.map((m) => this.market(m)),
      assets: this.state.assets.slice(1).map((_, i) => this.asset(i + 1)),
    };
  }
}

/** The branch of `state.withdrawals[index]` to the state root (one proof: builds the tree once). */
export function withdrawalProof(state: CrossmarginState, index: number): WithdrawalProof {
  return new StateProver(state).withdrawal(index);
}

/**
 * Replays op-log batches `from..to` (inclusive) from the newest snapshot at or before batch
 * `from`'s first op (else genesis), calling `visit` with the state after each batch; each
 * batch's rebuilt root is checked against its sealed post-root, each op against its logged
 * outcome. One forward pass: a history over many batches costs one replay, not one per batch.
 * `visit` must not modify the state.
 */
export function replayBatches(log: OpLog, genesis: GenesisConfig, from: number, to: number, visit: (batchIndex: number, state: CrossmarginState) => void): void {
  const first = log.batch(from);
  const last = log.batch(to);
  const sealed = (log.lastBatch()?.index ?? -1) + 1;
  if (!first) throw new ProofError("batch_unknown", `op-log batch ${from} is not sealed (${sealed} sealed)`);
  if (!last) throw new ProofError("batch_unknown", `op-log batch ${to} is not sealed (${sealed} sealed)`);
  let state = createGenesisState(genesis);
  let next = 1;
  // A snapshot inside batch `from` is fine too: batch `from` ends at or after it.
  const snap = log.snapshots().find((s) => s.seq <= first.toSeq);
  if (snap) {
    state = log.loadSnapshot(snap.seq).state;
    next = snap.seq + 1;
  }
  const ops = next <= last.toSeq ? log.readFrom(next, last.toSeq)[Symbol.iterator]() : [][Symbol.iterator]();
  let pending = ops.next();
  for (let i = from; i <= to; i++) {
    const b = log.batch(i)!;
    for (; !pending.done && pending.value.seq <= b.toSeq; pending = ops.next()) {
      const o = pending.value;
      const r = applyOp(state, o.op.op, { timestamp: o.op.timestamp, ...o.ctx });
      if (r.ok !== o.ok) throw new ProofError("replay", `seq ${o.seq}: replay gave ${r.ok ? "ok" : r.reason}, the log recorded ${o.ok ? "ok" : o.reason}`);
    }
    const root = stateRoot(state);
    if (bytesToHex(root) !== bytesToHex(b.postRoot)) throw new ProofError("replay", `batch ${i}: rebuilt root ${bytesToHex(root)} differs from the sealed ${bytesToHex(b.postRoot)}`);
    visit(i, state);
  }
}

/** The state after op-log batch `batchIndex` (L1 batch `batchIndex + 1`), rebuilt from the log. */
export function stateAfterBatch(log: OpLog, genesis: GenesisConfig, batchIndex: number): CrossmarginState {
  let out: CrossmarginState | null = null;
  replayBatches(log, genesis, batchIndex, batchIndex, (_i, state) => (out = state));
  return out!;
}

/** The state at L1 batch `l1Batch`: genesis for batch 0, else the post-state of op-log batch `l1Batch - 1`. */
export function stateAtL1Batch(log: OpLog, genesis: GenesisConfig, l1Batch: number): CrossmarginState {
  if (!Number.isSafeInteger(l1Batch) || l1Batch < 0) throw new ProofError("batch_unknown", `L1 batch ${l1Batch} is not a batch index`);
  return l1Batch === 0 ? createGenesisState(genesis) : stateAfterBatch(log, genesis, l1Batch - 1);
}

/** Builds proofs against sealed batches (L1 batch indices), keeping the last rebuilt state (repeated claims of one batch). */
export class BatchProver {
  private cached: { l1Batch: number; prover: StateProver } | null = null;
  constructor(
    private readonly log: OpLog,
    private readonly genesis: GenesisConfig,
  ) {}

  /** The prover of L1 batch `l1Batch`'s state (genesis for 0). */
  at(l1Batch: number): StateProver {
    if (this.cached?.l1Batch !== l1Batch) this.cached = { l1Batch, prover: new StateProver(stateAtL1Batch(this.log, this.genesis, l1Batch)) };
    return this.cached.prover;
  }

  /** Proof of withdrawal record `index` against L1 batch `l1Batch`'s post-root. */
  withdrawal(l1Batch: number, index: number): WithdrawalProof {
    return this.at(l1Batch).withdrawal(index);
  }

  /** Account `account`'s exit proofs against L1 batch `l1Batch`'s post-root (the exit batch after a freeze). */
  exit(l1Batch: number, account: number): ExitProofBundle {
    return this.at(l1Batch).exit(account);
  }
}

/**
 * A prover over an op-log file opened offline (the sequencer stopped): what a desk runs after
 * a halt when it kept (or was given) the sequencer's database. Every state it rebuilds is
 * checked against the sealed post-roots; compare the root with `Rollup.batch(exitBatch)` before
 * using a proof (the SDK's exit does). `close()` releases the file.
 */
export function openOfflineProver(db: string, genesis: GenesisConfig): BatchProver & { close(): void } {
  // Opening a missing path would create an empty log and report every batch unknown.
  if (!existsSync(db)) throw new Error(`op log ${db} does not exist`);
  const log = new OpLog(db, { synchronous: "NORMAL" });
  const prover = new BatchProver(log, genesis);
  return Object.assign(prover, { close: () => log.close() });
}
