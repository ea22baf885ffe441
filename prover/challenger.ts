/**
 * The challenger, first part: proves data faults on L1 without a person. For each batch the
 * verifier judged `dispute` for a reason the DisputeGame proves in one transaction
 * (`proveDataFault`: data past the decode bound, undecodable data, an op count the data does not hold, L1 inputs skipped,
 * reordered, altered or claimed beyond the header's position), it reads the batch's header and
 * data from the submitting transaction on L1, simulates the proof, sends it, and collects the
 * slashed bond credited to it. The batch and its successors are rolled back by the Rollup; the
 * verifier follows the rollback and judges what the sequencer posts next.
 *
 * Restart-safe without a store of its own: whether a disputed batch still needs proving is read
 * from L1 each round (the Rollup still holds that header hash), so a restart, a proof another
 * challenger sent first, or a proof whose receipt was lost are all seen the same way. A wrong
 * state root with well-formed data (`root_mismatch`) needs the bisection game
 * (docs/fault-proofs.md): with a GameService (prover/game.ts) the challenger opens one (unless
 * one of its games on that batch is live) and plays every game it is in each round; without,
 * it reports it. `stf_error` (the STF threw on our replay) is reported: no trace to play from.
 */
import { type Address, BaseError, ContractFunctionRevertedError, type Hex, type LocalAccount, type PublicClient, type WalletClient } from "viem";
import { disputeGameAbi, rollupAbi } from "../sequencer/l1/abi.js";
import { headerHash } from "../sequencer/l1/poster.js";
import type { GameService } from "./game.js";
import { type BatchVerdict, type DisputeReason, type Verifier, decodeSubmitBatch } from "./verifier.js";

/** Reasons `DisputeGame.proveDataFault` proves in one transaction. */
export const DATA_FAULT_REASONS: ReadonlySet<DisputeReason> = new Set([
  "oversized_data",
  "undecodable_data",
  "op_count_mismatch",
  "l1_inputs_skipped",
  "l1_inputs_beyond_position",
  "l1_inputs_reordered",
  "l1_input_altered",
]);

export interface ChallengerOptions {
  verifier: Pick<Verifier, "verdicts">;
  client: Pick<PublicClient, "readContract" | "getTransaction" | "simulateContract" | "waitForTransactionReceipt">;
  wallet: WalletClient;
  account: LocalAccount;
  rollup: Address;
  disputeGame: Address;
  /** Opens and plays bisection games on wrong roots over good data (absent: reported only). */
  games?: GameService;
  logLine?: (line: string) => void;
}

export interface ChallengerStats {
  proofsSent: number;
  proofsWon: number;
  /** Disputes already gone from L1 when looked at (another challenger, or a reorg). */
  alreadyGone: number;
  /** Disputes that need the bisection game, and the games this challenger opened. */
  needGame: number;
  gamesOpened: number;
  withdrawn: bigint;
  errors: number;
}

export class Challenger {
  readonly stats: ChallengerStats = { proofsSent: 0, proofsWon: 0, alreadyGone: 0, needGame: 0, gamesOpened: 0, withdrawn: 0n, errors: 0 };
  private readonly reported = new Set<string>();
  private readonly out: (line: string) => void;

  constructor(private readonly o: ChallengerOptions) {
    this.out = o.logLine ?? ((l) => process.stdout.write(`${l}\n`));
  }

  private event(event: string, fields: Record<string, unknown> = {}, level = "info"): void {
    this.out(JSON.stringify({ ts: new Date().toISOString(), level, component: "challenger", event, ...fields }, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
  }

  /** One round: proves every provable dispute still on L1, then withdraws what was credited. Returns proofs sent. */
  async round(): Promise<number> {
    let sent = 0;
    // The first dispute is the one that matters: later batches are `parent_disputed` and roll back with it.
    for (const v of this.o.verifier.verdicts()) {
      if (v.status !== "dispute" || v.reasons.includes("parent_disputed")) continue;
      try {
        if (await this.handle(v)) sent++;
      } catch (e) {
        this.stats.errors++;
        this.event("error", { batch: v.batchIndex, error: e instanceof BaseError ? e.shortMessage : (e as Error).message }, "warn");
      }
    }
    if (this.o.games) {
      try {
        await this.o.games.round();
      } catch (e) {
        this.stats.errors++;
        this.event("game_error", { error: e instanceof BaseError ? e.shortMessage : (e as Error).message }, "warn");
      }
    }
    await this.withdrawCredit();
    return sent;
  }

  private async handle(v: BatchVerdict): Promise<boolean> {
    const tx = await this.o.client.getTransaction({ hash: v.txHash as Hex });
    const { header, data } = decodeSubmitBatch(tx.input, `batch ${v.batchIndex} (tx ${v.txHash})`);
    const key = `${v.batchIndex}:${header.l1Timestamp}:${header.newStateRoot}`;
    // Still on L1? The Rollup holds this exact header (else it was rolled back or reorged away).
    const next = (await this.o.client.readContract({ address: this.o.rollup, abi: rollupAbi, functionName: "nextBatchIndex" })) as bigint;
    if (BigInt(v.batchIndex) >= next) return this.gone(v, key);
    const stored = (await this.o.client.readContract({ address: this.o.rollup, abi: rollupAbi, functionName: "batch", args: [BigInt(v.batchIndex)] })) as { headerHash: Hex };
    if (stored.headerHash.toLowerCase() !== headerHash(header).toLowerCase()) return this.gone(v, key);

    if (!v.reasons.some((r) => DATA_FAULT_REASONS.has(r))) {
      if (!this.reported.has(key)) {
        this.reported.add(key);
        this.stats.needGame++;
        this.event("needs_game", { batch: v.batchIndex, reasons: v.reasons, detail: v.detail }, "warn");
      }
      // A wrong root over good data: open a game unless one of ours already disputed this batch
      // (live, or decided: a lost game is not replayed with another bond; only a void one is).
      if (this.o.games && v.reasons.includes("root_mismatch")) {
        const mine = (await this.o.games.games()).filter((g) => g.batchIndex === v.batchIndex && g.challenger.toLowerCase() === this.o.account.address.toLowerCase());
        for (const g of mine) {
          const st = await this.o.games.player.state(g.id);
          if (st.headerHash === headerHash(header).toLowerCase() && st.status !== "Void") return false;
        }
        const id = await this.o.games.player.open(v.batchIndex);
        this.stats.gamesOpened++;
        this.event("game_opened", { batch: v.batchIndex, id });
        return true;
      }
      return false;
    }
    let request;
    try {
      ({ request } = await this.o.client.simulateContract({ address: this.o.disputeGame, abi: disputeGameAbi, functionName: "proveDataFault", args: [header, `0x${Buffer.from(data).toString("hex")}` as Hex], account: this.o.account }));
    } catch (e) {
      const revert = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null;
      const name = (revert as ContractFunctionRevertedError | null)?.data?.errorName;
      // L1 sees no data fault where the verifier does: the rules differ; say so loudly, do not guess.
      if (name === "NoFault") {
        if (!this.reported.has(key)) {
          this.reported.add(key);
          this.event("no_fault_on_l1", { batch: v.batchIndex, reasons: v.reasons, detail: v.detail }, "error");
        }
        return false;
      }
      throw e;
    }
    const hash = await this.o.wallet.writeContract({ ...request, account: this.o.account } as never);
    this.stats.proofsSent++;
    this.event("proof_sent", { batch: v.batchIndex, reasons: v.reasons, tx: hash });
    const r = await this.o.client.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 60_000 });
    if (r.status !== "success") throw new Error(`proveDataFault for batch ${v.batchIndex} reverted (tx ${hash})`);
    this.stats.proofsWon++;
    this.reported.add(key);
    this.event("batch_rolled_back", { batch: v.batchIndex, reasons: v.reasons, tx: hash, block: r.blockNumber });
    return true;
  }

  private gone(v: BatchVerdict, key: string): false {
    if (!this.reported.has(key)) {
      this.reported.add(key);
      this.stats.alreadyGone++;
      this.event("already_gone", { batch: v.batchIndex });
    }
    return false;
  }

  private async withdrawCredit(): Promise<void> {
    const credit = (await this.o.client.readContract({ address: this.o.disputeGame, abi: disputeGameAbi, functionName: "credit", args: [this.o.account.address] })) as bigint;
    if (credit === 0n) return;
    const { request } = await this.o.client.simulateContract({ address: this.o.disputeGame, abi: disputeGameAbi, functionName: "withdraw", account: this.o.account });
    const hash = await this.o.wallet.writeContract({ ...request, account: this.o.account } as never);
    const r = await this.o.client.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 60_000 });
    if (r.status !== "success") throw new Error(`DisputeGame.withdraw reverted (tx ${hash})`);
    this.stats.withdrawn += credit;
    this.event("withdrawn", { amount: credit, tx: hash });
  }
}
