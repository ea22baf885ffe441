/**
 * The poster on a real anvil, with batches from a real sequencer core.
 *
 * The L1 queue: Rollup.submitBatch requires `queueChainHash == queueChainAt(queuePosition)`,
 * so a batch that consumed L1 inputs is accepted only if those inputs are the ones L1
 * enqueued. These tests therefore make real Vault deposits on anvil and feed the very items
 * L1 enqueued (decoded from the Enqueued events) to the core, as the L1 derivation will;
 * batches of transfers in between consume nothing (queue position unchanged). Dev deposits
 * invented off-chain would make L1 refuse the batch (the poster stops: see "refuses").
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SequencerCore } from "../../core/sequencer.js";
import type { Deposit } from "../../state/ops.js";
import { contractsOf } from "../deploy.js";
import { BatchPoster, type PosterOptions } from "../poster.js";
import { type Chain, depositOnL1, expectL1MatchesLog, feed, fundAccounts, lineSink, openTestCore, sealTransfers, setupChain, tmpDb } from "./helpers.js";

let c: Chain;
let core: SequencerCore;
let db: string;
const posters: BatchPoster[] = [];

beforeEach(async () => {
  c = await setupChain();
  db = tmpDb();
  core = openTestCore(db);
});
afterEach(async () => {
  for (const p of posters.splice(0)) await p.stop();
  core?.log.close();
  await c?.anvil.stop();
});

function newPoster(over: Partial<PosterOptions> = {}, sink = lineSink()) {
  const p = new BatchPoster({
    log: core.log,
    rollup: c.d.rollup,
    client: c.d.clients.public,
    account: c.d.clients.sequencer.account,
    confirmations: 2,
    pollMs: 25,
    stuckAfterMs: 60_000,
    logLine: sink.logLine,
    ...over,
  });
  posters.push(p);
  return { p, sink };
}

/** Batches 0..: deposits (each consuming queue items) and transfers (consuming none). */
async function sealMixed(): Promise<number> {
  await fundAccounts(core, c, 2);
  core.sealBatch(); // 0: two deposits, queue 0 → 2
  await sealTransfers(core, c, 3); // 1: transfers, queue stays at 2
  await feed(core, await depositOnL1(c, c.depositors[2]!, 1, 5n * 10n ** 18n));
  await feed(core, await depositOnL1(c, c.depositors[0]!, 0, 7_000_000n));
  await sealTransfers(core, c, 2); // 2: two deposits (WETH, USDC top-up) and transfers, queue 2 → 4
  await sealTransfers(core, c, 1); // 3
  return core.log.lastBatch()!.index + 1;
}

/** Every counter equals the number of its JSON lines. */
function expectCountsMatchLines(p: BatchPoster, sink: ReturnType<typeof lineSink>) {
  const s = p.stats;
  expect(s.attempts).toBe(sink.count("send"));
  expect(s.mined).toBe(sink.count("mined"));
  expect(s.reverted).toBe(sink.count("reverted"));
  expect(s.confirmed).toBe(sink.count("confirmed"));
  expect(s.reorged).toBe(sink.count("reorg") + sink.count("reorg_beyond_confirmations"));
  expect(s.bumps).toBe(sink.count("bump"));
  expect(s.resent).toBe(sink.count("resend"));
  expect(s.replaced).toBe(sink.count("replaced"));
  expect(s.dropped).toBe(sink.count("dropped"));
  expect(s.rpcErrors).toBe(sink.count("rpc_error"));
  expect(s.tickErrors).toBe(sink.count("rpc_error") + sink.count("tick_error"));
}

describe("poster", () => {
  it("posts sealed batches in order, each once, with headers L1 accepts, and confirms them", async () => {
    const n = await sealMixed();
    expect(n).toBe(4);
    const { p, sink } = newPoster();
    p.start();
    await p.waitUntil(() => p.stats.mined === n, 20_000, "all batches mined");
    // Confirmation depth 2: the last batch needs one block on top, and no round confirms it before.
    await p.waitUntil(() => p.confirmedThrough() === n - 2, 10_000, "all but the last confirmed");
    await p.stop();
    for (let i = 0; i < 3; i++) await p.tick();
    expect(p.confirmedThrough()).toBe(n - 2);
    await c.anvil.mine(1);
    await p.tick();
    expect(p.confirmedThrough()).toBe(n - 1);
    await expectL1MatchesLog(c, core.log, n);
    const k = contractsOf(c.d);
    expect(await k.rollup.read.batch([4n])).toMatchObject({ queuePosition: 4n });

    // Nothing more to post: further rounds send nothing.
    const attempts = p.stats.attempts;
    for (let i = 0; i < 5; i++) await p.tick();
    expect(p.stats.attempts).toBe(attempts);
    expect(p.stats.attempts - p.stats.reverted).toBe(n);
    expectCountsMatchLines(p, sink);
    const sends = sink.lines.filter((l) => l.event === "send");
    expect(sends.every((l) => typeof l.tx === "string" && typeof l.nonce === "number")).toBe(true);
    expect(p.store.all().filter((r) => r.status === "confirmed").map((r) => r.batchIndex)).toEqual([0, 1, 2, 3]);
  });

  it("restarts mid-way: the transaction in flight is followed, not sent again; nothing is posted twice", async () => {
    core.sealBatch(); // nothing logged yet: no batch
    await fundAccounts(core, c, 2);
    core.sealBatch();
    await sealTransfers(core, c, 2);
    const a = newPoster();
    a.p.start();
    await a.p.waitUntil(() => a.p.stats.mined === 2, 20_000, "batches 0, 1 mined");
    await a.p.stop();

    // Batch 2 is sent and left pending when the first poster stops.
    await sealTransfers(core, c, 2);
    await sealTransfers(core, c, 1);
    await c.anvil.setAutomine(false);
    await a.p.tick();
    const inflight = a.p.store.withStatus("sent");
    expect(inflight.map((r) => r.batchIndex)).toEqual([2]);
    expect(await c.anvil.pendingTransactions()).toEqual([inflight[0]!.txHash]);

    const b = newPoster();
    await b.p.tick(); // sees the recorded transaction pending: sends nothing
    expect(b.p.stats.attempts).toBe(0);
    // The block the first poster aimed at (anvil would otherwise stamp the wall clock).
    await c.anvil.mine(1, inflight[0]!.l1Timestamp);
    await c.anvil.setAutomine(true);
    b.p.start();
    await b.p.waitUntil(() => b.p.stats.mined === 2, 20_000, "batches 2, 3 mined by the second poster");
    await c.anvil.mine(1);
    await b.p.waitUntil(() => b.p.confirmedThrough() === 3, 10_000, "all confirmed");
    await b.p.stop();
    expect(b.p.stats.attempts - b.p.stats.reverted).toBe(1); // batch 3 only
    expect(b.p.store.forBatch(2).map((r) => [r.attempt, r.status])).toEqual([[0, "confirmed"]]);
    await expectL1MatchesLog(c, core.log, 4);

    // A third start finds everything posted and confirmed.
    const d = newPoster();
    for (let i = 0; i < 3; i++) await d.p.tick();
    expect(d.p.stats.attempts).toBe(0);
    expect(d.p.confirmedThrough()).toBe(3);
  });

  it("replaces a stuck transaction with higher fees; the replacement is the one mined", async () => {
    await fundAccounts(core, c, 2);
    core.sealBatch();
    await c.anvil.setAutomine(false);
    const { p, sink } = newPoster({ stuckAfterMs: 300 });
    p.start();
    await p.waitUntil(() => p.stats.bumps >= 1, 10_000, "a fee bump");
    await p.stop();
    const rows = p.store.forBatch(0);
    const [first, second] = rows;
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(second!.nonce).toBe(first!.nonce);
    expect(second!.maxFeePerGas).toBeGreaterThanOrEqual((first!.maxFeePerGas * 125n) / 100n);
    expect(second!.maxPriorityFeePerGas).toBeGreaterThanOrEqual((first!.maxPriorityFeePerGas * 125n) / 100n);
    // The node holds only the newest attempt (each replaced the one before).
    const newest = rows[rows.length - 1]!;
    expect(await c.anvil.pendingTransactions()).toEqual([newest.txHash]);
    expect(sink.lines.find((l) => l.event === "bump")).toMatchObject({ reason: "stuck", batch: 0 });

    await c.anvil.mine(1, newest.l1Timestamp);
    await c.anvil.setAutomine(true);
    p.start();
    await p.waitUntil(() => p.stats.mined === 1, 10_000, "mined");
    await c.anvil.mine(1);
    await p.waitUntil(() => p.confirmedThrough() === 0, 10_000, "confirmed");
    await p.stop();
    expect(p.store.get(newest.txHash)!.status).toBe("confirmed");
    expect(p.store.forBatch(0).filter((r) => r.status === "replaced")).toHaveLength(rows.length - 1);
    await expectL1MatchesLog(c, core.log, 1);
    expectCountsMatchLines(p, sink);
  });

  it("a transaction mined in a block with another timestamp reverts; the batch is posted again with the next nonce", async () => {
    await fundAccounts(core, c, 2);
    core.sealBatch();
    await sealTransfers(core, c, 1);
    await c.anvil.setAutomine(false);
    const { p, sink } = newPoster();
    await p.tick();
    const [first] = p.store.withStatus("sent");
    expect(first!.batchIndex).toBe(0);
    await c.anvil.mine(1, first!.l1Timestamp + 5n); // the predicted block was missed
    await p.tick();
    expect(p.store.get(first!.txHash)!.status).toBe("reverted");
    expect(p.store.get(first!.txHash)!.error).toMatch(/l1Timestamp/);
    await p.tick();
    const [second] = p.store.withStatus("sent");
    expect(second!.batchIndex).toBe(0);
    expect(second!.nonce).toBe(first!.nonce + 1);
    await c.anvil.mine(1, second!.l1Timestamp > first!.l1Timestamp + 5n ? second!.l1Timestamp : first!.l1Timestamp + 5n);
    await c.anvil.setAutomine(true);
    p.start();
    await p.waitUntil(() => p.stats.mined === 2, 10_000, "both batches mined");
    await c.anvil.mine(1);
    await p.waitUntil(() => p.confirmedThrough() === 1, 10_000, "confirmed");
    await p.stop();
    expect(p.stats.reverted).toBeGreaterThanOrEqual(1);
    await expectL1MatchesLog(c, core.log, 2);
    expectCountsMatchLines(p, sink);
  });

  it("survives a reorg (anvil snapshot/revert): the dropped batches are posted again, once each", async () => {
    await fundAccounts(core, c, 2);
    core.sealBatch();
    await sealTransfers(core, c, 2);
    const { p, sink } = newPoster({ confirmations: 3 });
    p.start();
    await p.waitUntil(() => p.stats.mined === 2, 20_000, "batches 0, 1 mined");
    await c.anvil.mine(2);
    await p.waitUntil(() => p.confirmedThrough() === 1, 10_000, "batches 0, 1 confirmed");
    await p.stop();

    const snap = await c.anvil.snapshot();
    await sealTransfers(core, c, 1);
    await sealTransfers(core, c, 2);
    p.start();
    await p.waitUntil(() => p.stats.mined === 4, 20_000, "batches 2, 3 mined");
    await p.stop();
    expect(p.confirmedThrough()).toBe(1); // 2 and 3 are 2 and 1 blocks deep
    const dropped = p.store.withStatus("mined").map((r) => r.txHash);
    expect(dropped).toHaveLength(2);

    // The blocks holding batches 2 and 3 leave the chain; another block takes their place.
    expect(await c.anvil.revert(snap)).toBe(true);
    await c.anvil.mine(1);
    expect(await contractsOf(c.d).rollup.read.nextBatchIndex()).toBe(3n);
    p.start();
    await p.waitUntil(() => p.stats.reorged === 2 && p.stats.mined === 6, 20_000, "batches 2, 3 re-posted");
    await c.anvil.mine(2);
    await p.waitUntil(() => p.confirmedThrough() === 3, 10_000, "all confirmed");
    await p.stop();
    for (const tx of dropped) expect(p.store.get(tx)!.status).toBe("reorged");
    expect(sink.lines.filter((l) => l.event === "reorg").map((l) => l.batch)).toEqual([2, 3]);
    await expectL1MatchesLog(c, core.log, 4);
    expectCountsMatchLines(p, sink);
  });

  it("re-posts a batch reorged out even past the confirmation depth, and says so", async () => {
    await fundAccounts(core, c, 1);
    const snap = await c.anvil.snapshot();
    core.sealBatch();
    const { p, sink } = newPoster({ confirmations: 1 });
    p.start();
    await p.waitUntil(() => p.confirmedThrough() === 0, 20_000, "batch 0 confirmed");
    await p.stop();
    // The deposit was mined before the snapshot, so L1's queue still holds it after the revert.
    await c.anvil.revert(snap);
    p.start();
    await p.waitUntil(() => p.stats.mined === 2 && p.confirmedThrough() === 0, 20_000, "batch 0 re-posted and confirmed");
    await p.stop();
    expect(sink.count("reorg_beyond_confirmations")).toBe(1);
    await expectL1MatchesLog(c, core.log, 1);
  });

  it("waits while L1's queue is behind the batch, and stops on inputs L1 never enqueued", async () => {
    await fundAccounts(core, c, 1);
    // An input the sequencer consumed that L1 does not have (yet): queue index 1.
    const ghost: Deposit = { type: "Deposit", queueIndex: 1n, account: 1, owner: c.depositors[1]!.address, asset: 0, amount: 5_000_000n };
    await feed(core, [ghost]);
    core.sealBatch();
    const { p, sink } = newPoster();
    await p.tick();
    expect(p.stats.queueWaits).toBe(1);
    expect(p.stats.attempts).toBe(0);
    // L1 now enqueues a different deposit at index 1: the chains differ, L1 would refuse.
    await depositOnL1(c, c.depositors[1]!, 0, 6_000_000n);
    await expect(p.tick()).rejects.toThrow(/chain hash/);
    expect(p.error?.message).toMatch(/consumed inputs L1 did not enqueue/);
    expect(p.stats.attempts).toBe(0);
    expect(sink.count("fatal")).toBe(1);
    expect(await contractsOf(c.d).rollup.read.nextBatchIndex()).toBe(1n);
  });
});
