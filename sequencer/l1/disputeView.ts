/**
 * GET /v1/l1/disputes: what the Rollup's DisputeGame (contracts/src/DisputeGame.sol) recorded
 * on L1 — each bisection game with its moves in order (opened, the defender's midpoint roots,
 * the challenger's choices, the operation loaded, how it ended) and each one-transaction fault
 * proof (a batch rolled back for a data or queue fault). The dashboard shows them beside the
 * verifier's disputes, which are the off-chain judgement that should lead to them.
 *
 * Read from the game's events since the deployment block (`--l1-from-block`) at the L1 head,
 * in one `eth_getLogs` per event kind over the whole range: fine for a devnet and for the
 * handful of games a healthy chain sees; a node that caps log ranges answers an error here
 * (503 L1_UNAVAILABLE) rather than a partial list. Each game's live fields (status, whose
 * turn, the disputed interval, the clock left) are read from `game(id)` and `clockLeft(id)`.
 */
import type { Address, Hex, PublicClient } from "viem";
import { disputeGameAbi, rollupAbi } from "./abi.js";

/** `DisputeGame.Status`, `Party`, `Outcome`, `Fault` by value (the contract's enum order). */
export const GAME_STATUS = ["none", "bisecting", "stepping", "challengerWon", "defenderWon", "void"] as const;
export const PARTY = ["challenger", "defender"] as const;
export const OUTCOME = ["stepDisproved", "stepConfirmed", "challengerTimedOut", "defenderTimedOut", "dataFault"] as const;
export const FAULT = [
  "none",
  "oversizedData",
  "undecodableData",
  "opCountMismatch",
  "emptyBatchRootChanged",
  "l1InputsSkipped",
  "l1InputsBeyondPosition",
  "l1InputsReordered",
  "l1InputAltered",
  "queueCursorMismatch",
] as const;

const name = <T extends readonly string[]>(table: T, v: number | bigint): string => table[Number(v)] ?? `unknown(${v})`;

/** Where an event was emitted. */
export interface At {
  block: bigint;
  txHash: Hex;
}

export type GameMove =
  | ({ kind: "opened"; challenger: Address; defender: Address; opCount: bigint } & At)
  | ({ kind: "bisected"; opIndex: bigint; root: Hex } & At)
  | ({ kind: "chosen"; agree: boolean; lo: bigint; hi: bigint } & At)
  | ({ kind: "opLoaded"; opIndex: bigint; opHash: Hex } & At)
  | ({ kind: "resolved"; winner: string; outcome: string; fault: string; payout: bigint } & At)
  | ({ kind: "voided" } & At);

export interface GameView {
  id: bigint;
  /** The Rollup's batch index the game disputes. */
  batch: bigint;
  challenger: Address;
  defender: Address;
  status: string;
  /** Whose move it is (meaningful while bisecting or stepping). */
  turn: string;
  /** The disputed interval of operations: the roots after `lo` agreed, after `hi` disputed. */
  lo: bigint;
  hi: bigint;
  /** Seconds left on the clock of the party to move (0 once it ran out or the game ended). */
  clockLeft: bigint;
  moves: GameMove[];
}

export interface FaultProofView extends At {
  batch: bigint;
  fault: string;
  /** The operation the fault is at (`opCount` for faults of the whole batch). */
  detail: bigint;
  prover: Address;
  slashed: bigint;
  /** For undecodable data: BatchCodec's error code, byte offset and operation index. */
  decode: { code: bigint; offset: bigint; opIndex: bigint } | null;
}

export interface DisputesView {
  disputeGame: Address;
  head: bigint;
  fromBlock: bigint;
  games: GameView[];
  faultProofs: FaultProofView[];
}

export interface DisputeViewDeps {
  client: PublicClient;
  rollup: Address;
  fromBlock: bigint;
}

type Log = { args: Record<string, unknown>; blockNumber: bigint | null; transactionHash: Hex | null; logIndex: number | null };

export async function disputesView(d: DisputeViewDeps): Promise<DisputesView> {
  const head = await d.client.getBlockNumber();
  const game = (await d.client.readContract({ address: d.rollup, abi: rollupAbi, functionName: "disputeGame", blockNumber: head })) as Address;
  const range = { address: game, abi: disputeGameAbi, fromBlock: d.fromBlock, toBlock: head } as const;
  const events = (eventName: string) => d.client.getContractEvents({ ...range, eventName } as never) as Promise<Log[]>;
  const [opened, bisected, chosen, loaded, resolved, voided, proven, undecodable] = await Promise.all(
    ["GameOpened", "Bisected", "Chosen", "OpLoaded", "GameResolved", "GameVoided", "FaultProven", "UndecodableData"].map(events),
  );
  const at = (l: Log): At => ({ block: l.blockNumber ?? 0n, txHash: l.transactionHash ?? "0x" });
  // Chain order: block, then log index (several moves may share a block).
  const order = (l: Log) => (l.blockNumber ?? 0n) * 1_000_000n + BigInt(l.logIndex ?? 0);
  const moves = new Map<bigint, { key: bigint; move: GameMove }[]>();
  const add = (l: Log, move: GameMove) => {
    const id = l.args.id as bigint;
    if (!moves.has(id)) moves.set(id, []);
    moves.get(id)!.push({ key: order(l), move });
  };
  for (const l of bisected!) add(l, { kind: "bisected", opIndex: l.args.opIndex as bigint, root: l.args.root as Hex, ...at(l) });
  for (const l of chosen!) add(l, { kind: "chosen", agree: l.args.agree as boolean, lo: l.args.lo as bigint, hi: l.args.hi as bigint, ...at(l) });
  for (const l of loaded!) add(l, { kind: "opLoaded", opIndex: l.args.opIndex as bigint, opHash: l.args.opHash as Hex, ...at(l) });
  for (const l of resolved!) {
    add(l, { kind: "resolved", winner: name(PARTY, l.args.winner as number), outcome: name(OUTCOME, l.args.outcome as number), fault: name(FAULT, l.args.fault as number), payout: l.args.payout as bigint, ...at(l) });
  }
  for (const l of voided!) add(l, { kind: "voided", ...at(l) });

  const games = await Promise.all(
    opened!.map(async (l): Promise<GameView> => {
      const id = l.args.id as bigint;
      const [g, clock] = await Promise.all([
        d.client.readContract({ address: game, abi: disputeGameAbi, functionName: "game", args: [id], blockNumber: head }) as Promise<{ status: number; turn: number; lo: bigint; hi: bigint }>,
        d.client.readContract({ address: game, abi: disputeGameAbi, functionName: "clockLeft", args: [id], blockNumber: head }) as Promise<bigint>,
      ]);
      const first: GameMove = { kind: "opened", challenger: l.args.challenger as Address, defender: l.args.defender as Address, opCount: l.args.opCount as bigint, ...at(l) };
      const rest = (moves.get(id) ?? []).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((m) => m.move);
      return {
        id,
        batch: l.args.batchIndex as bigint,
        challenger: l.args.challenger as Address,
        defender: l.args.defender as Address,
        status: name(GAME_STATUS, g.status),
        turn: name(PARTY, g.turn),
        lo: BigInt(g.lo),
        hi: BigInt(g.hi),
        clockLeft: clock,
        moves: [first, ...rest],
      };
    }),
  );
  // UndecodableData is emitted beside its FaultProven in the same transaction.
  const decodeOf = new Map(undecodable!.map((l) => [`${l.transactionHash}:${l.args.batchIndex}`, { code: l.args.code as bigint, offset: l.args.offset as bigint, opIndex: l.args.opIndex as bigint }]));
  const faultProofs = proven!.map(
    (l): FaultProofView => ({
      batch: l.args.batchIndex as bigint,
      fault: name(FAULT, l.args.fault as number),
      detail: l.args.detail as bigint,
      prover: l.args.prover as Address,
      slashed: l.args.slashed as bigint,
      decode: decodeOf.get(`${l.transactionHash}:${l.args.batchIndex}`) ?? null,
      ...at(l),
    }),
  );
  return { disputeGame: game, head, fromBlock: d.fromBlock, games, faultProofs };
}
