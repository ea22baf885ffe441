/**
 * The dispute game played to the end on a real anvil, with the real one-step prover, by the
 * game players of both sides (prover/game.ts):
 * - a malicious sequencer posts a wrong root over good data (three transfers); the verifier
 *   disputes it; the challenger opens a game and plays it from the verifier's replay of L1
 *   against the lying defender (true midpoints, the lie only at the end); the step proves the
 *   last transfer; the batch is rolled back and the challenger paid; the honest batch is posted
 *   again and verified;
 * - a lying challenger disputes an honest batch and disagrees with every midpoint; the honest
 *   defender (the sequencer, playing from its op log) wins at the step and takes the bond; the
 *   batch stays.
 */
import type { Hex } from "viem";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { SequencerCore } from "../../sequencer/core/sequencer.js";
import { disputeGameAbi, rollupAbi } from "../../sequencer/l1/abi.js";
import { contractsOf } from "../../sequencer/l1/deploy.js";
import { stateAtL1Batch } from "../../sequencer/l1/proofs.js";
import { type Chain, GENESIS, fundAccounts, lineSink, sealTransfers } from "../../sequencer/l1/test/helpers.js";
import { GamePlayer, type GameContext, gameContext, postedBatch } from "../game.js";
import { Verifier } from "../verifier.js";
import { closeTestbed, honestBatch, openTestbed, testPlayer } from "./helpers.js";
import { postLie } from "./malicious.js";

let c: Chain;
let core: SequencerCore;
let v: Verifier;
beforeEach(async () => {
  ({ c, core, v } = await openTestbed());
});
afterEach(() => closeTestbed({ c, core, v }));

const domain = () => ({ chainId: BigInt(c.anvil.chainId), verifyingContract: c.d.rollup });
const player = (key: Hex, contextOf: (i: number) => Promise<GameContext>, sink = lineSink()) => testPlayer(c.d, key, contextOf, sink.logLine);

/** Alternates the two players until the game is over (each side moves when it is its turn). */
async function playOut(a: GamePlayer, b: GamePlayer, id: bigint): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [x, y] = [await a.playWhileMoving(id), await b.playWhileMoving(id)];
    if (x === "over" && y === "over") return;
    if (x === "waiting" && y === "waiting") throw new Error(`game ${id}: neither side can move (${JSON.stringify(await a.state(id), (_k, v) => (typeof v === "bigint" ? v.toString() : v))})`);
  }
  throw new Error(`game ${id} did not end`);
}

const honest = (i: number) => honestBatch(core, i);

/** L1 batch 1 (deposits) posted honestly and verified; returns batch 2 (three transfers), sealed, not posted. */
async function depositsPostedTransfersSealed() {
  await fundAccounts(core, c, 2);
  core.sealBatch();
  const h0 = honest(0);
  await postLie(c, h0.data, h0);
  while ((await v.round()) > 0);
  return honest(await sealTransfers(core, c, 3));
}

it("an honest challenger beats a wrong root over good data at the one-step proof; the batch is rolled back and re-posted", async () => {
  const pub = c.d.clients.public;
  const good = await depositsPostedTransfersSealed();
  const wrong = `0x${"11".repeat(32)}` as Hex;
  expect(await postLie(c, good.data, { ...good, newStateRoot: wrong })).toBe(2);
  while ((await v.round()) > 0);
  expect(v.verdict(2)).toMatchObject({ status: "dispute", reasons: ["root_mismatch"] });

  // The challenger plays from the verifier's replay of L1; the lying defender from the truth, but claims its lie at the end.
  const challengerKey = c.anvil.accounts[8]!.privateKey;
  const sink = lineSink();
  const challenger = player(challengerKey, async (i) => gameContext(await v.stateAfter(i - 1), await postedBatch(pub, c.d.rollup, c.d.fromBlock, i), domain()), sink);
  const liar = player(c.anvil.accounts[1]!.privateKey, async (i) => {
    const ctx = gameContext(stateAtL1Batch(core.log, GENESIS, i - 1), await postedBatch(pub, c.d.rollup, c.d.fromBlock, i), domain());
    ctx.trace.roots[ctx.trace.roots.length - 1] = wrong;
    return ctx;
  });
  const id = await challenger.open(2);
  await playOut(challenger, liar, id);
  expect((await challenger.state(id)).status).toBe("ChallengerWon");
  expect(sink.lines.map((l) => l.event)).toEqual(expect.arrayContaining(["opened", "chose", "op_loaded", "stepped", "over"]));
  expect(sink.lines.filter((l) => l.event === "chose").every((l) => l.agree === true)).toBe(true);
  // Rolled back; the challenger collects its bond back plus the sequencer's.
  expect(await pub.readContract({ address: c.d.rollup, abi: rollupAbi, functionName: "nextBatchIndex" })).toBe(2n);
  expect(await challenger.withdraw()).toBeGreaterThan(c.d.params.sequencerBond);

  // The sequencer bonds again; the honest batch is re-posted and verified.
  const k = contractsOf(c.d, c.d.clients.sequencer);
  expect((await pub.waitForTransactionReceipt({ hash: await k.rollup.write.postBond({ value: c.d.params.sequencerBond }), pollingInterval: 20 })).status).toBe("success");
  await postLie(c, good.data, good);
  while ((await v.round()) > 0);
  expect(v.status()).toMatchObject({ verifiedThrough: 2, disputed: 0 });
}, 180_000);

it("a lying challenger loses to the honest defender at the one-step proof; the batch stays", async () => {
  const pub = c.d.clients.public;
  const good = await depositsPostedTransfersSealed();
  await postLie(c, good.data, good);
  while ((await v.round()) > 0);
  expect(v.status().verifiedThrough).toBe(2);

  // The defender: the sequencer, from its op log. The liar: believes every midpoint is wrong and the posted root too.
  const defender = player(c.anvil.accounts[1]!.privateKey, async (i) => gameContext(stateAtL1Batch(core.log, GENESIS, i - 1), await postedBatch(pub, c.d.rollup, c.d.fromBlock, i), domain()));
  const liarKey = c.anvil.accounts[7]!;
  const liar = player(liarKey.privateKey, async (i) => {
    const ctx = gameContext(await v.stateAfter(i - 1), await postedBatch(pub, c.d.rollup, c.d.fromBlock, i), domain());
    for (let k = 1; k < ctx.trace.roots.length; k++) ctx.trace.roots[k] = `0x${"22".repeat(32)}` as Hex;
    return ctx;
  });
  const id = await liar.open(2);
  await playOut(liar, defender, id);
  expect((await defender.state(id)).status).toBe("DefenderWon");
  expect(defender.stats.won).toBe(1);
  // The batch stands; the defender takes the challenger's bond.
  expect(await pub.readContract({ address: c.d.rollup, abi: rollupAbi, functionName: "nextBatchIndex" })).toBe(3n);
  const bond = (await pub.readContract({ address: c.d.disputeGame, abi: disputeGameAbi, functionName: "challengerBond" })) as bigint;
  expect(await defender.withdraw()).toBe(bond);
}, 180_000);

it("a defender that does not answer loses on its clock: the challenger calls timeout", async () => {
  const pub = c.d.clients.public;
  const good = await depositsPostedTransfersSealed();
  await postLie(c, good.data, { ...good, newStateRoot: `0x${"33".repeat(32)}` as Hex });
  while ((await v.round()) > 0);
  const challenger = player(c.anvil.accounts[8]!.privateKey, async (i) => gameContext(await v.stateAfter(i - 1), await postedBatch(pub, c.d.rollup, c.d.fromBlock, i), domain()));
  const id = await challenger.open(2);
  // The defender's move; it stays silent. Before its clock runs out the challenger waits.
  expect(await challenger.playWhileMoving(id)).toBe("waiting");
  const clock = (await pub.readContract({ address: c.d.disputeGame, abi: disputeGameAbi, functionName: "clockLeft", args: [id] })) as bigint;
  expect(clock).toBeGreaterThan(0n);
  await c.anvil.increaseTime(clock + 1n);
  await c.anvil.mine(1);
  expect(await challenger.playWhileMoving(id)).toBe("over");
  expect((await challenger.state(id)).status).toBe("ChallengerWon");
  expect(await pub.readContract({ address: c.d.rollup, abi: rollupAbi, functionName: "nextBatchIndex" })).toBe(2n);
}, 120_000);
