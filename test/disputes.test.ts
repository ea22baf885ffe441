/**
 * The dispute game played by the services themselves, no person involved:
 * - the sequencer service (L1 mode) defends its honest batch against a lying challenger and
 *   wins at the one-step proof, keeping the batch and taking the bond;
 * - a verifier process started with `--challenger-key` sees a wrong root over good data, opens
 *   the game and plays it against a lying defender to the end — killed with SIGKILL mid-game and
 *   restarted, it continues from the game's state on L1 — and the batch is rolled back.
 */
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterEach, expect, it } from "vitest";
import { gameContext, postedBatch } from "../prover/game.js";
import { honestBatch, testPlayer } from "../prover/test/helpers.js";
import { postLie } from "../prover/test/malicious.js";
import { createCrossmarginClient } from "../sdk/index.js";
import type { SequencerCore } from "../sequencer/core/sequencer.js";
import { DEVNET_ORACLE_KEY } from "../sequencer/devnet.js";
import { disputeGameAbi, rollupAbi } from "../sequencer/l1/abi.js";
import type { Deployment } from "../sequencer/l1/deploy.js";
import { stateAtL1Batch } from "../sequencer/l1/proofs.js";
import { type Chain, GENESIS as L1_GENESIS, fundAccounts, openTestCore, sealTransfers, setupChain, tmpDb } from "../sequencer/l1/test/helpers.js";
import { GENESIS, kill, spawnProject, type Stack, startStack, stopStack, until } from "./stack.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const status = async (d: Deployment, id: bigint) => Number(((await d.clients.public.readContract({ address: d.disputeGame, abi: disputeGameAbi, functionName: "game", args: [id] })) as { status: number }).status);
const STATUS_CHALLENGER_WON = 3;
const STATUS_DEFENDER_WON = 4;

it("the sequencer service defends its honest batch against a lying challenger and wins", async () => {
  const stack: Stack = await startStack("embedded");
  cleanup.push(() => stopStack(stack));
  const { anvil, d, seq, lines } = stack;
  const oracle = createCrossmarginClient({ url: seq.url, account: privateKeyToAccount(DEVNET_ORACLE_KEY), accountIndex: 0 });
  let last: bigint = 0n;
  for (let i = 0; i < 3; i++) {
    const r = await oracle.submitOp(await oracle.signOracleUpdate({ timestamp: BigInt(Date.now() - 100), prices: [{ kind: 0, id: 0, price: (60_000n + BigInt(i)) * 1_000_000n }] }));
    expect(r.ok).toBe(true);
    last = r.seq;
  }
  const op = await until(lines, async () => ((await oracle.op(last)).batch === null ? null : oracle.op(last)), 15_000, "the updates sealed");
  await until(lines, async () => ((await oracle.info()).l1!.confirmedThrough >= op.batch! ? true : null), 30_000, "their batch confirmed");
  const l1Batch = op.batch! + 1;

  // A liar disputes the honest batch and disagrees with everything the defender says.
  const pub = d.clients.public;
  const domain = { chainId: BigInt(anvil.chainId), verifyingContract: d.rollup };
  const liarKey = anvil.accounts[7]!.privateKey;
  const liar = testPlayer(d, liarKey, async (i) => {
    const ctx = gameContext(stateAtL1Batch(seq.core.log, GENESIS, i - 1), await postedBatch(pub, d.rollup, d.fromBlock, i), domain);
    for (let k = 1; k < ctx.trace.roots.length; k++) ctx.trace.roots[k] = `0x${"22".repeat(32)}` as Hex;
    return ctx;
  });
  const next = await pub.readContract({ address: d.rollup, abi: rollupAbi, functionName: "nextBatchIndex" });
  const id = await liar.open(l1Batch);
  // The liar moves when it is its turn; the sequencer service answers by itself.
  await until(lines, async () => {
    await liar.playWhileMoving(id);
    return (await status(d, id)) === STATUS_DEFENDER_WON;
  }, 60_000, "the defender's win");
  expect(lines.some((l) => l.includes('"component":"game"') && l.includes('"event":"bisected"'))).toBe(true);
  // The service logs its step after the receipt the test may already have seen.
  await until(lines, () => lines.some((l) => l.includes('"component":"game"') && l.includes('"event":"stepped"')), 10_000, "the defender's step line");
  // The batch stands (later ones may have been posted meanwhile); the service withdrew the bond it won.
  expect(await pub.readContract({ address: d.rollup, abi: rollupAbi, functionName: "nextBatchIndex" })).toBeGreaterThanOrEqual(next);
  await until(lines, async () => ((await pub.readContract({ address: d.disputeGame, abi: disputeGameAbi, functionName: "credit", args: [seq.l1!.clients.sequencer.account.address] })) === 0n ? true : null), 15_000, "the defender's withdrawal");
  expect(seq.l1!.defender!.player.stats.won).toBe(1);
}, 180_000);

it("a verifier with --challenger-key opens and plays the game on a wrong root, survives a SIGKILL mid-game, and wins", async () => {
  const c: Chain = await setupChain();
  cleanup.push(() => c.anvil.stop());
  const core: SequencerCore = openTestCore(tmpDb());
  cleanup.push(() => core.log.close());
  const pub = c.d.clients.public;
  const honest = (i: number) => honestBatch(core, i);
  await fundAccounts(core, c, 2);
  core.sealBatch();
  const h0 = honest(0);
  await postLie(c, h0.data, h0);
  // Seven transfers: three bisection rounds, room to kill the challenger between moves.
  const idx = await sealTransfers(core, c, 7);
  const good = honest(idx);
  const wrong = `0x${"44".repeat(32)}` as Hex;
  await postLie(c, good.data, { ...good, newStateRoot: wrong });

  const dir = tmpDb().replace(/seq\.db$/, "");
  const genesisFile = join(dir, "genesis.json");
  writeFileSync(genesisFile, JSON.stringify(L1_GENESIS, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
  const out: string[] = [];
  const host = { lines: out, workers: [] as ChildProcess[] };
  const challengerKey = c.anvil.accounts[8]!.privateKey;
  const start = () =>
    spawnProject(host, "verifier", ["prover/cli.ts", "--rpc", c.anvil.url, "--rollup", c.d.rollup, "--from-block", String(c.d.fromBlock), "--genesis", genesisFile, "--db", join(dir, "verifier.db"), "--poll-ms", "100", "--challenger-key", challengerKey]);
  let proc = start();
  cleanup.push(() => kill(proc, "SIGTERM"));

  // The lying defender: true roots, the lie only at the end (the strongest lie there is).
  const domain = { chainId: BigInt(c.anvil.chainId), verifyingContract: c.d.rollup };
  const liar = testPlayer(c.d, c.anvil.accounts[1]!.privateKey, async (i) => {
    const ctx = gameContext(stateAtL1Batch(core.log, L1_GENESIS, i - 1), await postedBatch(pub, c.d.rollup, c.d.fromBlock, i), domain);
    ctx.trace.roots[ctx.trace.roots.length - 1] = wrong;
    return ctx;
  });
  const opened = await until(out, () => out.find((l) => l.includes('"event":"game_opened"')), 60_000, "the verifier opening a game");
  const id = BigInt((JSON.parse(opened.slice(opened.indexOf("{"))) as { id: string }).id);
  // The first choice made, the challenger is killed and restarted: it continues from L1.
  await until(out, async () => {
    await liar.playWhileMoving(id);
    return out.some((l) => l.includes('"event":"chose"'));
  }, 60_000, "the challenger's first choice");
  await kill(proc, "SIGKILL");
  const chosenBefore = out.filter((l) => l.includes('"event":"chose"')).length;
  proc = start();
  await until(out, async () => {
    await liar.playWhileMoving(id);
    return (await status(c.d, id)) === STATUS_CHALLENGER_WON;
  }, 90_000, "the challenger's win");
  expect(out.filter((l) => l.includes('"event":"chose"')).length).toBeGreaterThan(chosenBefore);
  // The step was the challenger's (its line may follow the receipt the test saw).
  await until(out, () => out.some((l) => l.includes('"event":"stepped"')), 10_000, "the challenger's step line");
  // One game only (the restarted challenger did not open a second), and the batch rolled back.
  expect(out.filter((l) => l.includes('"event":"game_opened"'))).toHaveLength(1);
  expect(await pub.readContract({ address: c.d.rollup, abi: rollupAbi, functionName: "nextBatchIndex" })).toBe(2n);
}, 240_000);
