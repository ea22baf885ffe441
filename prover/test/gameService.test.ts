/**
 * GameService's scan for the games its key is a party to: each round reads only the blocks
 * since the last one (with GAME_SCAN_OVERLAP below it for reorgs), keeps what it found, and
 * forgets a game L1 no longer has (its GameOpened event dropped by a reorg). L1 is a fake
 * client here: the game itself is played on anvil in game.test.ts and test/disputes.test.ts.
 */
import type { Address, Hex, LocalAccount, WalletClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { GAME_SCAN_OVERLAP, GamePlayer, GameService, type GameServiceOptions } from "../game.js";

const me = privateKeyToAccount(`0x${"11".repeat(32)}` as Hex);
const other = `0x${"22".repeat(20)}` as Address;
const ZERO32 = `0x${"00".repeat(32)}` as Hex;
const ZERO_ADDRESS = `0x${"00".repeat(20)}` as Address;

interface Opened {
  block: bigint;
  id: bigint;
  challenger: Address;
  defender: Address;
}

/** A chain of `head` blocks holding `events`; records the ranges it was asked for; every game reads as status None (none exists). */
function fakeL1(events: Opened[], logLine: (line: string) => void = () => {}) {
  const chain = { head: 0n, events, asked: [] as [bigint, bigint][] };
  const client = {
    getBlockNumber: async () => chain.head,
    getContractEvents: async ({ fromBlock, toBlock }: { fromBlock: bigint; toBlock: bigint }) => {
      chain.asked.push([fromBlock, toBlock]);
      return chain.events
        .filter((e) => e.block >= fromBlock && e.block <= toBlock)
        .map((e) => ({ args: { id: e.id, batchIndex: 1n, challenger: e.challenger, defender: e.defender } }));
    },
    readContract: async ({ functionName }: { functionName: string }) => {
      if (functionName !== "game") throw new Error(`unexpected read ${functionName}`);
      return { status: 0, turn: 0, batchIndex: 0n, lo: 0n, hi: 0n, loRoot: ZERO32, hiRoot: ZERO32, midRoot: ZERO32, opHash: ZERO32, headerHash: ZERO32, challenger: ZERO_ADDRESS, defender: ZERO_ADDRESS };
    },
  };
  const service = new GameService({
    client: client as unknown as GameServiceOptions["client"],
    wallet: {} as WalletClient,
    account: me as LocalAccount,
    disputeGame: `0x${"33".repeat(20)}` as Address,
    rollup: `0x${"44".repeat(20)}` as Address,
    fromBlock: 10n,
    contextOf: async () => {
      throw new Error("no game is played here");
    },
    logLine,
  });
  return { chain, service };
}

describe("GameService scan", () => {
  it("reads only new blocks (with the reorg overlap) and keeps the games it found", async () => {
    const { chain, service } = fakeL1([
      { block: 20n, id: 1n, challenger: me.address, defender: other },
      { block: 30n, id: 2n, challenger: other, defender: other }, // not ours
      { block: 500n, id: 3n, challenger: other, defender: me.address },
    ]);
    chain.head = 100n;
    expect((await service.games()).map((g) => g.id)).toEqual([1n]);
    chain.head = 600n;
    expect((await service.games()).map((g) => g.id)).toEqual([1n, 3n]);
    chain.head = 600n;
    expect((await service.games()).map((g) => g.id)).toEqual([1n, 3n]);
    // From the deployment block once, then from the last head less the overlap.
    expect(chain.asked).toEqual([
      [10n, 100n],
      [100n - GAME_SCAN_OVERLAP, 600n],
      [600n - GAME_SCAN_OVERLAP, 600n],
    ]);
  });

  it("forgets a game L1 does not have (its event dropped by a reorg) instead of warning every round", async () => {
    const lines: string[] = [];
    const { chain, service } = fakeL1([{ block: 20n, id: 7n, challenger: me.address, defender: other }], (l) => lines.push(l));
    chain.head = 50n;
    expect((await service.games()).map((g) => g.id)).toEqual([7n]);
    chain.events = []; // the block holding the event was replaced
    expect(await service.round()).toBe(0);
    expect(await service.games()).toEqual([]);
    expect(lines.filter((l) => l.includes("move_failed"))).toEqual([]);
  });
});

describe("GamePlayer move", () => {
  it("reports a game that ended between reading it and reading its batch as over (the batch rolled back)", async () => {
    let gameReads = 0;
    const client = {
      readContract: async ({ functionName }: { functionName: string }) => {
        if (functionName === "game") {
          // Bisecting, with this key as the challenger; from the second read on, won.
          const status = gameReads++ === 0 ? 1 : 3;
          return { status, turn: 0, batchIndex: 2n, lo: 0n, hi: 7n, loRoot: ZERO32, hiRoot: ZERO32, midRoot: ZERO32, opHash: ZERO32, headerHash: ZERO32, challenger: me.address, defender: other };
        }
        if (functionName === "clockLeft") return 3_600n;
        if (functionName === "batch") throw new Error("UnknownBatch(2)"); // rolled back meanwhile
        throw new Error(`unexpected read ${functionName}`);
      },
    };
    const lines: string[] = [];
    const player = new GamePlayer({
      client: client as unknown as GameServiceOptions["client"],
      wallet: {} as WalletClient,
      account: me as LocalAccount,
      disputeGame: `0x${"33".repeat(20)}` as Address,
      rollup: `0x${"44".repeat(20)}` as Address,
      contextOf: async () => {
        throw new Error("the batch is gone");
      },
      logLine: (l) => lines.push(l),
    });
    expect(await player.move(5n)).toBe("over");
    expect(player.stats.won).toBe(1);
    expect(lines.some((l) => l.includes('"event":"over"') && l.includes("ChallengerWon"))).toBe(true);
  });
});
