/**
 * The verifier on a real anvil: batches from a real sequencer core posted by the real poster
 * (codec data), and lying batches posted directly with the sequencer's key (headers L1
 * accepts: it checks neither the new root nor the op count nor the data's contents).
 */
import { request } from "node:http";
import type { Hex } from "viem";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SequencerCore } from "../../sequencer/core/sequencer.js";
import { encodeBatchData, sealedBatchData } from "../../sequencer/codec/index.js";
import { contractsOf, walletFor } from "../../sequencer/l1/deploy.js";
import { BatchPoster } from "../../sequencer/l1/poster.js";
import { type Chain, GENESIS, depositOnL1, fundAccounts, lineSink, openTestCore, sealTransfers, setupChain, tmpDb } from "../../sequencer/l1/test/helpers.js";
import { bytesToHex } from "../../sequencer/state/bytes.js";
import type { ProgressStream } from "../progress.js";
import { Verifier, type VerifierOptions } from "../verifier.js";
import { type Lie, postLie } from "./malicious.js";

let c: Chain;
let core: SequencerCore;
const open: { close(): Promise<void> }[] = [];

beforeEach(async () => {
  c = await setupChain();
  core = openTestCore(tmpDb());
});
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
  core?.log.close();
  await c?.anvil.stop();
});

function newVerifier(over: Partial<VerifierOptions> = {}) {
  const sink = lineSink();
  const v = new Verifier({
    client: c.d.clients.public,
    rollup: c.d.rollup,
    fromBlock: c.d.fromBlock,
    genesis: GENESIS,
    db: tmpDb().replace(/seq\.db$/, "verifier.db"),
    pollMs: 25,
    progress: false,
    logLine: sink.logLine,
    ...over,
  });
  open.push(v);
  return { v, sink };
}

/** Posts every sealed batch of the core with the real poster (codec data) and waits until mined. */
async function postAll(): Promise<void> {
  const n = core.log.lastBatch()!.index + 1;
  const p = new BatchPoster({
    log: core.log,
    rollup: c.d.rollup,
    client: c.d.clients.public,
    account: c.d.clients.sequencer.account,
    confirmations: 1,
    pollMs: 20,
    stuckAfterMs: 60_000,
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

/** Posts `data` as the next batch with the sequencer's key (malicious.ts). */
const postRaw = (data: Uint8Array, lie: Lie) => postLie(c, data, lie);

/** Rolls back L1 batch `index` and later ones, as the dispute game would (governance impersonated to appoint it). */
async function invalidate(index: number): Promise<void> {
  const game = c.anvil.accounts[9]!;
  await c.anvil.rpc("anvil_impersonateAccount", [c.d.governance]);
  await c.anvil.rpc("anvil_setBalance", [c.d.governance, "0xde0b6b3a7640000"]);
  const pub = c.d.clients.public;
  const govTx = await c.d.clients.deployer.writeContract({
    address: c.d.rollup,
    abi: (await import("../../sequencer/l1/abi.js")).rollupAbi,
    functionName: "setDisputeGame",
    args: [game.address],
    account: c.d.governance,
    chain: c.d.clients.deployer.chain,
  });
  expect((await pub.waitForTransactionReceipt({ hash: govTx, pollingInterval: 20 })).status).toBe("success");
  await c.anvil.rpc("anvil_stopImpersonatingAccount", [c.d.governance]);
  const k = contractsOf(c.d, walletFor(c.d.clients, game.privateKey));
  const tx = await k.rollup.write.invalidate([BigInt(index)]);
  expect((await pub.waitForTransactionReceipt({ hash: tx, pollingInterval: 20 })).status).toBe("success");
  // The sequencer's bond was slashed: it posts a new one to go on.
  const bond = await contractsOf(c.d, c.d.clients.sequencer).rollup.write.postBond({ value: c.d.params.sequencerBond });
  expect((await pub.waitForTransactionReceipt({ hash: bond, pollingInterval: 20 })).status).toBe("success");
}

function getStatus(port: number): Promise<{ code: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path: "/status", method: "GET" }, (res) => {
      let s = "";
      res.on("data", (d) => (s += d));
      res.on("end", () => resolve({ code: res.statusCode!, body: JSON.parse(s) as Record<string, unknown> }));
    })
      .on("error", reject)
      .end();
  });
}

describe("verifier", () => {
  it("verifies honest batches (roots equal to the sequencer's), serves /status, and resumes after a restart without replaying from genesis", async () => {
    await fundAccounts(core, c, 2);
    core.sealBatch(); // L1 batch 1: two deposits
    await sealTransfers(core, c, 3); // 2
    await depositOnL1(c, c.depositors[2]!, 1, 5n * 10n ** 18n).then(async (inputs) => {
      for (const x of inputs) await core.submitL1Input(x).durable;
    });
    await sealTransfers(core, c, 2); // 3: a WETH deposit and transfers
    await postAll();

    const db = tmpDb().replace(/seq\.db$/, "verifier.db");
    const a = newVerifier({ db });
    expect(await a.v.round()).toBe(3);
    const verdicts = a.v.verdicts();
    expect(verdicts.map((x) => [x.batchIndex, x.status])).toEqual([
      [1, "verified"],
      [2, "verified"],
      [3, "verified"],
    ]);
    for (const x of verdicts) {
      const b = core.log.batch(x.batchIndex - 1)!;
      expect(x.derivedRoot).toBe(bytesToHex(b.postRoot));
      expect(x.headerRoot).toBe(bytesToHex(b.postRoot));
      expect(x.queuePosition).toBe(b.l1To.toString());
    }
    const port = await a.v.serve(0, "127.0.0.1");
    const { code, body } = await getStatus(port);
    expect(code).toBe(200);
    expect(body).toMatchObject({ verifiedThrough: 3, lastBatch: 3, verified: 3, disputed: 0, l1LastBatch: 3, replayedOps: 2 + 3 + 3 });
    await expect(a.v.serve(0, "0.0.0.0")).rejects.toThrow(/loopback/);
    await a.v.close();
    open.splice(open.indexOf(a.v), 1);

    // Two more batches; a new verifier on the same file verifies only those.
    await sealTransfers(core, c, 4);
    await sealTransfers(core, c, 1);
    await postAll();
    const b = newVerifier({ db });
    b.v.start();
    const s = await b.v.waitUntil((x) => x.verifiedThrough === 5, 20_000, "batches 4, 5");
    expect(b.sink.lines.find((l) => l.event === "resume")).toMatchObject({ verifiedThrough: 3, lastBatch: 3 });
    expect(s.replayedOps).toBe(5); // 4 + 1: nothing before batch 4 was replayed again
    expect(s.verified).toBe(5);
    expect(s.disputed).toBe(0);
    expect(b.v.verdict(5)!.derivedRoot).toBe(bytesToHex(core.log.batch(4)!.postRoot));
  }, 60_000);

  it("disputes a wrong root, undecodable data, an op count lie and skipped L1 inputs; follows rollbacks and verifies the honest re-post", async () => {
    await fundAccounts(core, c, 2);
    core.sealBatch();
    await postAll(); // L1 batch 1, honest
    const { v, sink } = newVerifier();
    v.start();
    await v.waitUntil((s) => s.verifiedThrough === 1, 20_000, "batch 1");

    // A real batch of the sequencer, posted with a wrong new root.
    const idx = await sealTransfers(core, c, 3);
    const data = sealedBatchData(core.log, idx);
    const good = bytesToHex(core.log.batch(idx)!.postRoot) as Hex;
    const wrong = `0x${"11".repeat(32)}` as Hex;
    expect(await postRaw(data, { newStateRoot: wrong, opCount: 3n })).toBe(2);
    await postRaw(encodeBatchData([]), { newStateRoot: wrong, opCount: 0n }); // 3, on top of the lie
    await v.waitUntil((s) => s.lastBatch === 3, 20_000, "batches 2, 3 judged");
    expect(v.verdict(2)).toMatchObject({ status: "dispute", reasons: ["root_mismatch"], headerRoot: wrong, derivedRoot: good });
    expect(v.verdict(3)).toMatchObject({ status: "dispute", reasons: ["parent_disputed"] });
    expect(v.status()).toMatchObject({ verifiedThrough: 1, disputed: 2, firstDispute: { batchIndex: 2 } });
    expect(sink.lines.filter((l) => l.event === "dispute").map((l) => l.batch)).toEqual([2, 3]);

    // Rolled back: batches 2 and 3 vanish; undecodable data in their place.
    await invalidate(2);
    await postRaw(new Uint8Array([0xff, 0x00, 0x13, 0x37, 0x42]), { newStateRoot: good, opCount: 3n });
    await v.waitUntil((s) => s.rollbacks === 1 && s.lastBatch === 2, 20_000, "rollback and the new batch 2");
    expect(v.verdict(3)).toBeUndefined();
    expect(v.verdict(2)).toMatchObject({ status: "dispute", reasons: ["undecodable_data"], derivedRoot: null });
    expect(v.verdict(2)!.detail).toMatch(/batch data: .* at byte \d+/);

    // An op count lie: the right data and root, one operation claimed too many.
    await invalidate(2);
    await postRaw(data, { newStateRoot: good, opCount: 4n });
    await v.waitUntil((s) => s.rollbacks === 2 && s.lastBatch === 2, 20_000, "second rollback");
    expect(v.verdict(2)).toMatchObject({ status: "dispute", reasons: ["op_count_mismatch"], derivedRoot: good });

    // L1 inputs skipped: a deposit is enqueued, the header claims it consumed, the data does not hold it.
    await invalidate(2);
    const inputs = await depositOnL1(c, c.depositors[2]!, 0, 123_000_000n);
    await postRaw(data, { newStateRoot: good, opCount: 3n, queuePosition: inputs[0]!.queueIndex + 1n });
    await v.waitUntil((s) => s.rollbacks === 3 && s.lastBatch === 2, 20_000, "third rollback");
    expect(v.verdict(2)).toMatchObject({ status: "dispute", reasons: ["l1_inputs_skipped", "queue_chain_mismatch"], derivedRoot: good });

    // The honest batch re-posted: verified; the state was rebuilt correctly after each dispute.
    await invalidate(2);
    await postRaw(data, { newStateRoot: good, opCount: 3n });
    await v.waitUntil((s) => s.rollbacks === 4 && s.verifiedThrough === 2, 20_000, "honest batch 2");
    expect(v.status()).toMatchObject({ verified: 2, disputed: 0, lastError: null });
    expect(v.verdicts().map((x) => x.status)).toEqual(["verified", "verified"]);
  }, 90_000);

  it("follows an L1 reorg that replaces a verified batch, and disputes an altered L1 input", async () => {
    await fundAccounts(core, c, 2);
    core.sealBatch();
    await postAll(); // 1
    const { v } = newVerifier();
    v.start();
    await v.waitUntil((s) => s.verifiedThrough === 1, 20_000, "batch 1");

    // Batch 2 (honest) is verified, then an L1 reorg drops it.
    const snap = await c.anvil.snapshot();
    const idx = await sealTransfers(core, c, 2);
    const good = bytesToHex(core.log.batch(idx)!.postRoot) as Hex;
    await postRaw(sealedBatchData(core.log, idx), { newStateRoot: good, opCount: 2n });
    await v.waitUntil((s) => s.verifiedThrough === 2, 20_000, "batch 2");
    expect(await c.anvil.revert(snap)).toBe(true);
    await c.anvil.mine(2);

    // In its place: a deposit L1 enqueued, carried in the data with another amount.
    const [dep] = await depositOnL1(c, c.depositors[2]!, 0, 50_000_000n);
    const altered = { ...dep!, amount: 60_000_000n };
    const data = encodeBatchData([{ timestamp: BigInt(Date.now()), op: altered }]);
    await postRaw(data, { newStateRoot: good, opCount: 1n, queuePosition: dep!.queueIndex + 1n });
    await v.waitUntil((s) => s.rollbacks === 1 && s.lastBatch === 2 && s.disputed === 1, 20_000, "reorg seen and the new batch 2 judged");
    // The root differs too (the batch credited 60 USDC, not the 2 transfers' root).
    expect(v.verdict(2)).toMatchObject({ status: "dispute", reasons: ["l1_input_altered", "root_mismatch", "queue_chain_mismatch"] });
    expect(v.verdict(2)!.detail).toMatch(/queue item \d+\) differs from the item L1 enqueued/);
    expect(v.status().verifiedThrough).toBe(1);
  }, 60_000);

  it("catches up from genesis over many batches with a progress bar (TTY) or plain lines (no TTY)", async () => {
    await fundAccounts(core, c, 2);
    core.sealBatch();
    const N = 24;
    for (let i = 1; i < N; i++) await sealTransfers(core, c, 1 + (i % 3));
    await postAll();

    const plain: string[] = [];
    const notTty: ProgressStream = { isTTY: false, write: (s: string) => plain.push(s) };
    const db = tmpDb().replace(/seq\.db$/, "verifier.db");
    const a = newVerifier({ db, progress: notTty, progressIntervalMs: 0, snapshotEvery: 10 });
    const t0 = performance.now();
    expect(await a.v.round()).toBe(N);
    const ms = performance.now() - t0;
    expect(a.v.status()).toMatchObject({ verifiedThrough: N, verified: N, disputed: 0 });
    expect(plain.length).toBe(N);
    expect(plain.every((l) => l.endsWith("\n") && !l.includes("\r"))).toBe(true);
    expect(plain[0]).toMatch(/catching up: batch 1 \(1\/24\) 4%/);
    expect(plain.at(-1)).toMatch(/batch 24 \(24\/24\) 100%/);
    // Nothing new: a second round judges nothing and prints nothing.
    expect(await a.v.round()).toBe(0);
    expect(plain.length).toBe(N);

    const tty: string[] = [];
    // The second verifier recovers signatures in worker threads (SignaturePool): same verdicts and roots.
    const b = newVerifier({ progress: { isTTY: true, write: (s: string) => tty.push(s) }, signatureWorkers: 2 });
    expect(await b.v.round()).toBe(N);
    expect(tty.length).toBe(N);
    expect(tty.every((l) => l.startsWith("\rverifier ["))).toBe(true);
    expect(tty.at(-1)).toMatch(/\[#{30}\] batch 24 \(24\/24\) 100% .*\n$/);
    expect(b.v.verdicts().map((x) => x.derivedRoot)).toEqual(a.v.verdicts().map((x) => x.derivedRoot));
    expect(ms).toBeLessThan(20_000);

    // A crash mid-catch-up leaves verdicts past the newest snapshot: the restart restores the
    // snapshot at 10 and replays 11..24 from L1 (checking each against its recorded root), judges nothing again.
    expect(a.v.store.snapshotAtOrBefore(10)?.batchIndex).toBe(10);
    a.v.store.db.prepare("DELETE FROM snapshots WHERE batch_index > 10").run();
    await a.v.close();
    open.splice(open.indexOf(a.v), 1);
    const r = newVerifier({ db });
    expect(await r.v.round()).toBe(0);
    expect(r.sink.lines.filter((l) => l.event === "rebuild")).toMatchObject([{ from: 10, to: N }]);
    expect(r.v.status()).toMatchObject({ verifiedThrough: N, verified: N, replayedOps: 0 });
    expect(r.v.store.snapshotAtOrBefore(N)?.batchIndex).toBe(N);
  }, 90_000);

  it("refuses a genesis that is not the Rollup's and a db made for another rollup", async () => {
    const { v } = newVerifier({ genesis: { ...GENESIS, markets: GENESIS.markets.slice(0, 1) } });
    await expect(v.round()).rejects.toThrow(/genesis root .* wrong --genesis or --rollup/);
    const db = tmpDb().replace(/seq\.db$/, "verifier.db");
    const a = newVerifier({ db });
    await a.v.round();
    expect(() => a.v.store.bind({ rollup: "0x0000000000000000000000000000000000000001" })).toThrow(/made for rollup = 0x.*use another --db file/);
  }, 60_000);
});
