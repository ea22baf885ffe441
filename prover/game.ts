/**
 * The dispute game's player (docs/fault-proofs.md §1), for both sides: the challenger (a
 * verifier that found a wrong root over good data) and the defender (the sequencer whose batch
 * is challenged). Each plays from its own trace of the batch: the state root after every
 * operation, replayed from the batch's pre-state, and the one-step case (operation bytes and
 * witness, prover/witness.ts) of any operation.
 *
 *   challenger   opens the game with its bond; at each of the defender's midpoints agrees iff
 *                the midpoint root is its own root there; once one operation is left, loads it
 *                (`loadOp`) and proves it (`step`): from the agreed root, the operation cannot
 *                lead to the defender's root unless the defender was right
 *   defender     bisects with its own roots; once one operation is left, loads and proves it
 *                too (it may, to win early)
 *   either       calls `timeout` when the other side's clock ran out
 *
 * One move per `move(id)`: the game's state is on L1, read fresh each time, so a player that
 * restarts (or a second instance) continues from wherever the game is; the trace is rebuilt
 * from the pre-state. A side whose own trace cannot be computed (the STF throws) does not move.
 */
import { type Address, BaseError, type Hex, type LocalAccount, type PublicClient, type WalletClient } from "viem";
import { recoverOpNative } from "../sequencer/ingress/recover.js";
import { disputeGameAbi, rollupAbi } from "../sequencer/l1/abi.js";
import type { BatchHeader } from "../sequencer/l1/poster.js";
import { bytesToHex } from "../sequencer/state/bytes.js";
import type { CrossmarginState, SequencedOp, SigningDomain } from "../sequencer/state/index.js";
import { applyOp, stateRoot } from "../sequencer/state/index.js";
import type { Recovered } from "../sequencer/state/stf.js";
import { restoreState, serializeState } from "../sequencer/storage/snapshot.js";
import { decodeBatchData } from "../sequencer/codec/index.js";
import { decodeSubmitBatch } from "./verifier.js";
import { type OneStepCase, applyWithWitness } from "./witness.js";

/** DisputeGame.Status. */
export const STATUS = ["None", "Bisecting", "Stepping", "ChallengerWon", "DefenderWon", "Void"] as const;
/** DisputeGame.Party. */
export const PARTY = ["Challenger", "Defender"] as const;

export interface Trace {
  /** roots[k]: the state root after the batch's first k operations (roots[0] = its pre-root). */
  roots: Hex[];
  /** The one-step case of operation k (its bytes, the witness against roots[k]). */
  caseAt(k: number): OneStepCase;
}

/** Replays `ops` from `pre` (left untouched) and returns the batch's trace. */
export function traceBatch(pre: CrossmarginState, ops: readonly SequencedOp[], domain: SigningDomain): Trace {
  const bytes = serializeState(pre);
  const root0 = stateRoot(pre);
  const copy = () => restoreState(bytes, root0);
  const recovered: Recovered[] = ops.map((o) => recoverOpNative(o.op, domain));
  const work = copy();
  const roots: Hex[] = [bytesToHex(root0) as Hex];
  ops.forEach((o, k) => {
    applyOp(work, o.op, { timestamp: o.timestamp, ...recovered[k]! });
    roots.push(bytesToHex(stateRoot(work)) as Hex);
  });
  return {
    roots,
    caseAt(k) {
      const s = copy();
      for (let j = 0; j < k; j++) applyOp(s, ops[j]!.op, { timestamp: ops[j]!.timestamp, ...recovered[j]! });
      const c = applyWithWitness(s, ops[k]!, recovered[k]!);
      if (c.preRoot.toLowerCase() !== roots[k]) throw new Error(`trace: operation ${k}'s witness is against ${c.preRoot}, the trace has ${roots[k]}`);
      return c;
    },
  };
}

/** What one side plays from: the batch as posted, and its trace of it. */
export interface GameContext {
  header: BatchHeader;
  data: Uint8Array;
  trace: Trace;
}

export interface GameState {
  id: bigint;
  status: (typeof STATUS)[number];
  turn: (typeof PARTY)[number];
  batchIndex: number;
  lo: number;
  hi: number;
  loRoot: Hex;
  hiRoot: Hex;
  midRoot: Hex;
  opHash: Hex;
  /** keccak256(abi.encode(header)) of the disputed batch (`headerHash` in poster.ts). */
  headerHash: Hex;
  challenger: Address;
  defender: Address;
}

export interface GamePlayerOptions {
  client: Pick<PublicClient, "readContract" | "simulateContract" | "estimateContractGas" | "waitForTransactionReceipt">;
  wallet: WalletClient;
  account: LocalAccount;
  disputeGame: Address;
  rollup: Address;
  /** The batch and this side's trace of it (cached per game by the player). */
  contextOf: (batchIndex: number) => Promise<GameContext>;
  logLine?: (line: string) => void;
}

export type MoveResult = "moved" | "waiting" | "over";

const ZERO = `0x${"00".repeat(32)}`;

export class GamePlayer {
  private readonly contexts = new Map<string, Promise<GameContext>>();
  private readonly out: (line: string) => void;
  readonly stats = { moves: 0, won: 0, lost: 0 };

  constructor(private readonly o: GamePlayerOptions) {
    this.out = o.logLine ?? ((l) => process.stdout.write(`${l}\n`));
  }

  private event(event: string, fields: Record<string, unknown> = {}, level = "info"): void {
    this.out(JSON.stringify({ ts: new Date().toISOString(), level, component: "game", event, ...fields }, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
  }

  /**
   * This side's context of the batch L1 holds at `batchIndex` now, cached by its header hash:
   * after a rollback another batch takes the same index and gets its own context.
   */
  private async context(batchIndex: number): Promise<GameContext> {
    const stored = (await this.o.client.readContract({ address: this.o.rollup, abi: rollupAbi, functionName: "batch", args: [BigInt(batchIndex)] })) as { headerHash: Hex };
    const key = `${batchIndex}:${stored.headerHash.toLowerCase()}`;
    let c = this.contexts.get(key);
    if (!c) {
      c = this.o.contextOf(batchIndex);
      c.catch(() => this.contexts.delete(key));
      this.contexts.set(key, c);
    }
    return c;
  }

  async state(id: bigint): Promise<GameState> {
    const g = (await this.o.client.readContract({ address: this.o.disputeGame, abi: disputeGameAbi, functionName: "game", args: [id] })) as Record<string, unknown>;
    return {
      id,
      status: STATUS[Number(g.status)]!,
      turn: PARTY[Number(g.turn)]!,
      batchIndex: Number(g.batchIndex),
      lo: Number(g.lo),
      hi: Number(g.hi),
      loRoot: (g.loRoot as Hex).toLowerCase() as Hex,
      hiRoot: (g.hiRoot as Hex).toLowerCase() as Hex,
      midRoot: (g.midRoot as Hex).toLowerCase() as Hex,
      opHash: g.opHash as Hex,
      headerHash: (g.headerHash as Hex).toLowerCase() as Hex,
      challenger: (g.challenger as Address).toLowerCase() as Address,
      defender: (g.defender as Address).toLowerCase() as Address,
    };
  }

  private async send(functionName: string, args: readonly unknown[], value?: bigint): Promise<bigint | null> {
    const { request, result } = await this.o.client.simulateContract({ address: this.o.disputeGame, abi: disputeGameAbi, functionName: functionName as never, args: args as never, account: this.o.account, ...(value === undefined ? {} : { value }) } as never);
    // A margin over the node's estimate: `step` forwards 63/64 of its gas to the prover, and an
    // estimate at the edge made a mined step run out (seen under load).
    const gas = await this.o.client.estimateContractGas({ address: this.o.disputeGame, abi: disputeGameAbi, functionName: functionName as never, args: args as never, account: this.o.account, ...(value === undefined ? {} : { value }) } as never);
    const hash = await this.o.wallet.writeContract({ ...(request as object), account: this.o.account, gas: (gas * 13n) / 10n + 50_000n } as never);
    const r = await this.o.client.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 60_000 });
    if (r.status !== "success") throw new Error(`DisputeGame.${functionName} reverted (tx ${hash})`);
    this.stats.moves++;
    return typeof result === "bigint" ? result : null;
  }

  /** Challenger: opens a game on L1 batch `batchIndex` (its trace must disagree with the posted root). Returns the game id. */
  async open(batchIndex: number): Promise<bigint> {
    const ctx = await this.context(batchIndex);
    const n = ctx.trace.roots.length - 1;
    if (ctx.trace.roots[n] === ctx.header.newStateRoot.toLowerCase()) throw new Error(`batch ${batchIndex}: our replay gives the posted root ${ctx.header.newStateRoot}; nothing to dispute`);
    const bond = (await this.o.client.readContract({ address: this.o.disputeGame, abi: disputeGameAbi, functionName: "challengerBond" })) as bigint;
    const id = await this.send("open", [ctx.header], bond);
    this.event("opened", { id, batch: batchIndex, ops: n, posted: ctx.header.newStateRoot, ours: ctx.trace.roots[n] });
    return id!;
  }

  /** One move in game `id`, if this side has one to make. */
  async move(id: bigint): Promise<MoveResult> {
    const g = await this.state(id);
    const me = this.o.account.address.toLowerCase();
    const role = g.challenger === me ? "Challenger" : g.defender === me ? "Defender" : null;
    if (g.status === "ChallengerWon" || g.status === "DefenderWon" || g.status === "Void") {
      if (role !== null && !this.finished.has(id)) {
        this.finished.add(id);
        const won = g.status === `${role}Won`;
        if (won) this.stats.won++;
        else if (g.status !== "Void") this.stats.lost++;
        this.event("over", { id, batch: g.batchIndex, status: g.status, role });
      }
      return "over";
    }
    if (role === null) throw new Error(`game ${id}: ${me} is neither its challenger nor its defender`);
    // The other side's clock ran out: end it.
    const left = (await this.o.client.readContract({ address: this.o.disputeGame, abi: disputeGameAbi, functionName: "clockLeft", args: [id] })) as bigint;
    if (left === 0n && g.turn !== role) {
      await this.send("timeout", [id]);
      this.event("timeout", { id, against: g.turn });
      return "moved";
    }
    let ctx: GameContext;
    try {
      ctx = await this.context(g.batchIndex);
    } catch (e) {
      // The game may have ended since its state was read (the other side's step or a data-fault
      // proof rolled the batch back, so L1 no longer has it): then it is over, not an error.
      const now = await this.state(id);
      if (now.status === "ChallengerWon" || now.status === "DefenderWon" || now.status === "Void") return this.move(id);
      throw e;
    }
    if (g.status === "Bisecting") {
      if (g.turn !== role) return "waiting";
      const mid = Math.floor((g.lo + g.hi) / 2);
      if (role === "Defender") {
        await this.send("bisect", [id, ctx.trace.roots[mid]]);
        this.event("bisected", { id, lo: g.lo, hi: g.hi, mid, root: ctx.trace.roots[mid] });
      } else {
        const agree = g.midRoot === ctx.trace.roots[mid];
        await this.send("choose", [id, agree]);
        this.event("chose", { id, lo: g.lo, hi: g.hi, mid, agree });
      }
      return "moved";
    }
    // Stepping: one operation, `lo`. Either side may load and prove it; each does when the
    // proof is in its favour (ours from the agreed root gives our root at lo + 1).
    const c = ctx.trace.caseAt(g.lo);
    const favours = role === "Defender" ? c.postRoot.toLowerCase() === g.hiRoot : c.postRoot.toLowerCase() !== g.hiRoot;
    if (!favours || c.preRoot.toLowerCase() !== g.loRoot) return "waiting";
    if (g.opHash === ZERO) {
      await this.send("loadOp", [id, ctx.header, bytesToHex(ctx.data)]);
      this.event("op_loaded", { id, op: g.lo });
      return "moved";
    }
    try {
      await this.send("step", [id, c.opBytes, c.witnessBytes]);
    } catch (e) {
      this.event("step_failed", { id, op: g.lo, error: e instanceof BaseError ? e.shortMessage : (e as Error).message }, "warn");
      throw e;
    }
    this.event("stepped", { id, op: g.lo, post: c.postRoot, claimed: g.hiRoot });
    return "moved";
  }

  private readonly finished = new Set<bigint>();

  /**
   * Moves while this side has a move (up to `maxMoves`). Returns "over" when the game ended,
   * "moved" when this side made at least one move, else "waiting" (the other side must act,
   * or time must pass).
   */
  async playWhileMoving(id: bigint, maxMoves = 100): Promise<MoveResult> {
    let moved = false;
    for (let i = 0; i < maxMoves; i++) {
      const r = await this.move(id);
      if (r === "over") return r;
      if (r === "waiting") break;
      moved = true;
    }
    return moved ? "moved" : "waiting";
  }

  /** Withdraws what the game credited this side. Returns the amount. */
  async withdraw(): Promise<bigint> {
    const credit = (await this.o.client.readContract({ address: this.o.disputeGame, abi: disputeGameAbi, functionName: "credit", args: [this.o.account.address] })) as bigint;
    if (credit > 0n) await this.send("withdraw", []);
    return credit;
  }
}

export interface GameServiceOptions extends GamePlayerOptions {
  client: GamePlayerOptions["client"] & Pick<PublicClient, "getContractEvents" | "getBlockNumber">;
  /** First block to look for games from (the game's deployment). */
  fromBlock: bigint;
}

/** A game this key is a party to, as its GameOpened event names it. */
export interface GameRef {
  id: bigint;
  batchIndex: number;
  challenger: Address;
  defender: Address;
}

/**
 * Blocks below the last head seen that each round reads again: a reorg that drops, moves or
 * adds a GameOpened event in them is seen (a game whose event a reorg dropped reads as status
 * None on L1 and is forgotten).
 */
export const GAME_SCAN_OVERLAP = 64n;

/**
 * Finds every game this key is a party to (GameOpened events, challenger or defender) and
 * moves in each that is not over; what it knows comes from L1 each round, so it survives
 * restarts mid-game. The sequencer runs one as the defender of its batches, a verifier with a
 * challenger key as the challenger (prover/challenger.ts opens the games).
 */
export class GameService {
  readonly player: GamePlayer;
  private readonly over = new Set<bigint>();
  /** The games found so far, and the head block the last scan read up to. */
  private readonly known = new Map<bigint, GameRef>();
  private scannedTo: bigint | null = null;

  constructor(private readonly o: GameServiceOptions) {
    this.player = new GamePlayer(o);
  }

  /**
   * The games this key is a party to. Each call reads only the blocks since the last one (and
   * GAME_SCAN_OVERLAP below it), not every block since the deployment: the sequencer calls it
   * about once a second for as long as it runs.
   */
  async games(): Promise<GameRef[]> {
    const me = this.o.account.address.toLowerCase();
    const head = await this.o.client.getBlockNumber();
    const overlapFrom = this.scannedTo === null ? this.o.fromBlock : this.scannedTo - GAME_SCAN_OVERLAP;
    const fromBlock = overlapFrom > this.o.fromBlock ? overlapFrom : this.o.fromBlock;
    if (fromBlock <= head) {
      const logs = await this.o.client.getContractEvents({ address: this.o.disputeGame, abi: disputeGameAbi, eventName: "GameOpened", fromBlock, toBlock: head });
      for (const l of logs) {
        const a = l.args as { id: bigint; batchIndex: bigint; challenger: Address; defender: Address };
        if (a.challenger.toLowerCase() === me || a.defender.toLowerCase() === me) {
          this.known.set(a.id, { id: a.id, batchIndex: Number(a.batchIndex), challenger: a.challenger, defender: a.defender });
        }
      }
    }
    this.scannedTo = head;
    return [...this.known.values()];
  }

  /** One round: moves in every live game; withdraws what was won. Returns the moves made. */
  async round(): Promise<number> {
    let moves = 0;
    for (const g of await this.games()) {
      if (this.over.has(g.id)) continue;
      const before = this.player.stats.moves;
      try {
        const r = await this.player.playWhileMoving(g.id);
        if (r === "over") this.over.add(g.id);
      } catch (e) {
        // A game whose GameOpened event a reorg dropped does not exist on L1 (status None).
        if ((await this.player.state(g.id).catch(() => null))?.status === "None") {
          this.known.delete(g.id);
          continue;
        }
        // One game's trouble (its batch rolled back by another proof: `cancel` voids it; an RPC
        // error) must not stop the others; it is retried next round.
        this.o.logLine?.(JSON.stringify({ ts: new Date().toISOString(), level: "warn", component: "game", event: "move_failed", id: g.id.toString(), error: (e as Error).message.split("\n")[0] }));
      }
      moves += this.player.stats.moves - before;
    }
    if (moves > 0 || this.over.size > 0) await this.player.withdraw();
    return moves;
  }
}

/** Batch `batchIndex` as L1 holds it now: its header and data from the submitting transaction's calldata. */
export async function postedBatch(client: Pick<PublicClient, "readContract" | "getContractEvents" | "getTransaction">, rollup: Address, fromBlock: bigint, batchIndex: number): Promise<{ header: BatchHeader; data: Uint8Array }> {
  const stored = (await client.readContract({ address: rollup, abi: rollupAbi, functionName: "batch", args: [BigInt(batchIndex)] })) as { headerHash: Hex };
  const logs = await client.getContractEvents({ address: rollup, abi: rollupAbi, eventName: "BatchSubmitted", args: { batchIndex: BigInt(batchIndex) }, fromBlock });
  const log = logs.reverse().find((l) => (l.args as { headerHash?: Hex }).headerHash?.toLowerCase() === stored.headerHash.toLowerCase());
  if (!log) throw new Error(`batch ${batchIndex}: no BatchSubmitted event with its stored header ${stored.headerHash} since block ${fromBlock}`);
  const tx = await client.getTransaction({ hash: log.transactionHash! });
  return decodeSubmitBatch(tx.input, `batch ${batchIndex} (tx ${log.transactionHash})`);
}

/** A side's context: the posted batch, traced from `pre` (this side's state before it). */
export function gameContext(pre: CrossmarginState, posted: { header: BatchHeader; data: Uint8Array }, domain: SigningDomain): GameContext {
  return { ...posted, trace: traceBatch(pre, decodeBatchData(posted.data), domain) };
}
