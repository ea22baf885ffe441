/**
 * The verifier's /metrics and /batches/<n> on a real anvil: the figures move with real work
 * (batches posted by the real poster, a lying batch posted with the sequencer's key), a
 * catch-up is visible mid-way, and a failing RPC shows as round errors and a growing lag.
 */
import { type Hex, keccak256 } from "viem";
import { afterEach, beforeEach, expect, it } from "vitest";
import { encodeBatchData, sealedBatchData } from "../../sequencer/codec/index.js";
import type { SequencerCore } from "../../sequencer/core/sequencer.js";
import { contractsOf } from "../../sequencer/l1/deploy.js";
import { type BatchHeader, BatchPoster } from "../../sequencer/l1/poster.js";
import { type Chain, GENESIS, fundAccounts, openTestCore, sealTransfers, setupChain, tmpDb } from "../../sequencer/l1/test/helpers.js";
import { bytesToHex } from "../../sequencer/state/bytes.js";
import { metric, scrape } from "../../test/prometheus.js";
import { Verifier, type VerifierClient } from "../verifier.js";

let c: Chain;
let core: SequencerCore;
let v: Verifier | null = null;

beforeEach(async () => {
  c = await setupChain();
  core = openTestCore(tmpDb());
});
afterEach(async () => {
  await v?.close();
  v = null;
  core?.log.close();
  await c?.anvil.stop();
});

/** Posts every sealed batch not yet on L1 with the real poster and waits until mined. */
async function postAll(): Promise<void> {
  const n = core.log.lastBatch()!.index + 1;
  const p = new BatchPoster({
    log: core.log,
    rollup: c.d.rollup,
    client: c.d.clients.public,
    account: c.d.clients.sequencer.account,
    confirmations: 1,
    pollMs: 20,
    batchData: (i) => sealedBatchData(core.log, i),
    logLine: () => {},
  });
  const k = contractsOf(c.d);
  try {
    p.start();
    const deadline = Date.now() + 30_000;
    while ((await k.rollup.read.nextBatchIndex()) < BigInt(n + 1)) {
      if (Date.now() > deadline) throw new Error(`poster did not post ${n} batches in 30 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await p.stop();
  }
}

/** Posts an empty batch claiming `newStateRoot` (L1 accepts it: it does not check roots). */
async function postLie(newStateRoot: Hex): Promise<void> {
  const k = contractsOf(c.d, c.d.clients.sequencer);
  const next = await k.rollup.read.nextBatchIndex();
  const parent = await k.rollup.read.batch([next - 1n]);
  const ts = (await c.anvil.head()).timestamp + 1n;
  await c.anvil.setNextBlockTimestamp(ts);
  const data = encodeBatchData([]);
  const header: BatchHeader = {
    batchIndex: next,
    parentHash: parent.headerHash,
    prevStateRoot: parent.stateRoot,
    newStateRoot,
    opCount: 0n,
    queuePosition: BigInt(parent.queuePosition),
    queueChainHash: await k.rollup.read.queueChainAt([BigInt(parent.queuePosition)]),
    dataHash: keccak256(data),
    l1Timestamp: ts,
  };
  const hash = await k.rollup.write.submitBatch([header, bytesToHex(data) as Hex]);
  expect((await c.d.clients.public.waitForTransactionReceipt({ hash, pollingInterval: 20 })).status).toBe("success");
}

it("counts judged batches, replayed ops, disputes, round errors and lag; shows a catch-up mid-way; serves one verdict per batch", async () => {
  // The real RPC, with two faults the test switches on: a held getTransaction (a catch-up
  // paused mid-way) and a failing nextBatchIndex read (rounds that fail after seeing the head).
  const pub = c.d.clients.public;
  let hold: Promise<void> | null = null;
  let failReads = false;
  const client = {
    getBlockNumber: (a?: object) => pub.getBlockNumber(a),
    getChainId: () => pub.getChainId(),
    request: pub.request,
    readContract: (a: { functionName: string }) => {
      if (failReads && a.functionName === "nextBatchIndex") return Promise.reject(new Error("injected: nextBatchIndex read failed"));
      return pub.readContract(a as never);
    },
    getTransaction: async (a: { hash: Hex }) => {
      await hold;
      return pub.getTransaction(a);
    },
  } as unknown as VerifierClient;
  v = new Verifier({ client, rollup: c.d.rollup, fromBlock: c.d.fromBlock, genesis: GENESIS, db: tmpDb().replace(/seq\.db$/, "verifier.db"), pollMs: 25, progress: false });
  const base = `http://127.0.0.1:${await v.serve(0)}`;

  let m = await scrape(`${base}/metrics`);
  expect(metric(m, "crossmargin_verifier_batches_judged_total", { verdict: "verified" })).toBe(0);
  expect(metric(m, "crossmargin_verifier_batches_judged_total", { verdict: "dispute" })).toBe(0);
  expect(metric(m, "crossmargin_verifier_state", { state: "idle" })).toBe(1);

  // Two honest batches: 2 deposits, then 3 transfers.
  await fundAccounts(core, c, 2);
  core.sealBatch();
  await sealTransfers(core, c, 3);
  await postAll();
  expect(await v.round()).toBe(2);
  m = await scrape(`${base}/metrics`);
  expect(metric(m, "crossmargin_verifier_batches_judged_total", { verdict: "verified" })).toBe(2);
  expect(metric(m, "crossmargin_verifier_replayed_ops_total")).toBe(5);
  expect(metric(m, "crossmargin_verifier_batch_judge_seconds_count")).toBe(2);
  expect(metric(m, "crossmargin_verifier_verified_through_batch")).toBe(2);
  expect(metric(m, "crossmargin_verifier_l1_last_batch")).toBe(2);
  expect(metric(m, "crossmargin_verifier_catchup_remaining_batches")).toBe(0);
  expect(metric(m, "crossmargin_verifier_rounds_total", { outcome: "ok" })).toBe(1);
  expect(metric(m, "crossmargin_verifier_state", { state: "following" })).toBe(1);
  const head = Number(await pub.getBlockNumber());
  expect(metric(m, "crossmargin_verifier_l1_head_block")).toBe(head);
  expect(metric(m, "crossmargin_verifier_synced_block")).toBe(head); // confirmations 1: reads the head
  expect(metric(m, "crossmargin_verifier_l1_lag_blocks")).toBe(0);
  expect(metric(m, "crossmargin_verifier_last_round_timestamp_seconds")).toBeGreaterThan(Date.now() / 1000 - 60);

  // One verdict per batch, with the roots the sequencer sealed.
  const b2 = (await (await fetch(`${base}/batches/2`)).json()) as { status: string; derivedRoot: string; headerRoot: string };
  expect(b2).toMatchObject({ status: "verified", derivedRoot: bytesToHex(core.log.batch(1)!.postRoot), headerRoot: bytesToHex(core.log.batch(1)!.postRoot) });
  expect((await fetch(`${base}/batches/3`)).status).toBe(404);
  expect((await fetch(`${base}/batches/x`)).status).toBe(404);
  expect((await fetch(`${base}/metrics`, { method: "POST" })).status).toBe(405);

  // A catch-up of 2 batches held at the second one's transaction: 1 judged, 1 left.
  await sealTransfers(core, c, 2);
  await sealTransfers(core, c, 1);
  await postAll();
  let release!: () => void;
  let fetched = 0;
  hold = new Promise<void>((r) => (release = r));
  const origGet = client.getTransaction;
  client.getTransaction = async (a) => {
    if (++fetched === 1) return pub.getTransaction(a); // batch 3 goes through
    return origGet(a);
  };
  const round = v.round();
  await v.waitUntil((s) => s.lastBatch === 3, 20_000, "batch 3 judged");
  m = await scrape(`${base}/metrics`);
  expect(metric(m, "crossmargin_verifier_state", { state: "catching_up" })).toBe(1);
  expect(metric(m, "crossmargin_verifier_l1_last_batch")).toBe(4);
  expect(metric(m, "crossmargin_verifier_catchup_remaining_batches")).toBe(1);
  expect(metric(m, "crossmargin_verifier_batches_judged_total", { verdict: "verified" })).toBe(3);
  release();
  hold = null;
  expect(await round).toBe(2);
  m = await scrape(`${base}/metrics`);
  expect(metric(m, "crossmargin_verifier_catchup_remaining_batches")).toBe(0);
  expect(metric(m, "crossmargin_verifier_batches_judged_total", { verdict: "verified" })).toBe(4);
  expect(metric(m, "crossmargin_verifier_replayed_ops_total")).toBe(5 + 2 + 1);

  // A lie: an empty batch claiming another root.
  await postLie(`0x${"11".repeat(32)}`);
  expect(await v.round()).toBe(1);
  m = await scrape(`${base}/metrics`);
  expect(metric(m, "crossmargin_verifier_batches_judged_total", { verdict: "dispute" })).toBe(1);
  expect(metric(m, "crossmargin_verifier_disputed_batches")).toBe(1);
  expect(metric(m, "crossmargin_verifier_verified_through_batch")).toBe(4);
  expect(((await (await fetch(`${base}/batches/5`)).json()) as { reasons: string[] }).reasons).toEqual(["root_mismatch"]);

  // Rounds that fail after reading the head: errors counted, the lag grows with the chain.
  failReads = true;
  await c.anvil.mine(3);
  await expect(v.round()).rejects.toThrow(/injected/);
  m = await scrape(`${base}/metrics`);
  expect(metric(m, "crossmargin_verifier_rounds_total", { outcome: "error" })).toBe(1);
  expect(metric(m, "crossmargin_verifier_l1_lag_blocks")).toBe(3);
  failReads = false;
  await v.round();
  m = await scrape(`${base}/metrics`);
  expect(metric(m, "crossmargin_verifier_l1_lag_blocks")).toBe(0);
  expect(metric(m, "crossmargin_verifier_rounds_total", { outcome: "ok" })).toBe(4);
}, 90_000);
