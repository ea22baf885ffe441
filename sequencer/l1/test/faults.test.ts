/**
 * The poster under failures: an L1 RPC that drops and delays requests (a loopback proxy in
 * front of anvil), broadcasts whose answer is lost, a crash between recording a transaction
 * and broadcasting it, and a poster process killed with SIGKILL at random moments. In every
 * case L1 must end up with each sealed batch exactly once, in order (expectL1MatchesLog).
 */
import { type ChildProcess, spawn } from "node:child_process";
import Database from "better-sqlite3";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SequencerCore } from "../../core/sequencer.js";
import { OpLog } from "../../storage/index.js";
import { l1Clients } from "../deploy.js";
import { BatchPoster, type PosterOptions } from "../poster.js";
import { type FaultyProxy, startFaultyProxy } from "./faultyProxy.js";
import { type Chain, expectL1MatchesLog, fundAccounts, lineSink, openTestCore, sealTransfers, setupChain, sleep, tmpDb, until } from "./helpers.js";

let c: Chain;
let core: SequencerCore;
let db: string;
let proxy: FaultyProxy | null = null;
const posters: BatchPoster[] = [];

beforeEach(async () => {
  c = await setupChain();
  db = tmpDb();
  core = openTestCore(db);
});
afterEach(async () => {
  for (const p of posters.splice(0)) await p.stop();
  await proxy?.close();
  proxy = null;
  core?.log.close();
  await c?.anvil.stop();
});

/** A poster whose RPC goes through `url` with short timeouts and no transport retries (faults reach the poster). */
function posterVia(url: string, over: Partial<PosterOptions> = {}, sink = lineSink()) {
  const clients = l1Clients(url, c.anvil.chainId, { deployer: c.anvil.accounts[1]!.privateKey }, { timeoutMs: 1_000, retryCount: 0 });
  const p = new BatchPoster({ log: core.log, rollup: c.d.rollup, client: clients.public, account: clients.deployer.account, confirmations: 2, pollMs: 20, maxBackoffMs: 200, stuckAfterMs: 5_000, logLine: sink.logLine, ...over });
  posters.push(p);
  return { p, sink };
}

async function sealBatches(n: number): Promise<void> {
  await fundAccounts(core, c, 2);
  core.sealBatch();
  for (let i = 1; i < n; i++) await sealTransfers(core, c, 1 + (i % 3));
}

/** Mines a block every `ms` on anvil directly (so the last batches reach the confirmation depth). */
function blockTicker(ms: number): () => void {
  let on = true;
  void (async () => {
    while (on) {
      await sleep(ms);
      if (on) await c.anvil.mine(1).catch(() => undefined);
    }
  })();
  return () => {
    on = false;
  };
}

describe("poster under faults", () => {
  it("gets every batch on L1 once, in order, while the RPC drops and delays requests", async () => {
    const n = 6;
    await sealBatches(n);
    // About one request in eight is lost (a round makes ~10-15 requests, so most rounds hit
    // one), and answers wait up to 60 ms.
    proxy = await startFaultyProxy(c.anvil.url, { dropBeforeRate: 0.07, dropAfterRate: 0.05, delayMinMs: 0, delayMaxMs: 60 }, 7);
    const { p, sink } = posterVia(proxy.url);
    const stopTicker = blockTicker(300);
    try {
      p.start();
      await p.waitUntil(() => p.confirmedThrough() === n - 1, 45_000, "all confirmed through the faulty RPC");
    } finally {
      stopTicker();
      await p.stop();
    }
    expect(proxy.counts.droppedBefore + proxy.counts.droppedAfter).toBeGreaterThan(0);
    expect(p.stats.rpcErrors).toBeGreaterThan(0);
    expect(p.stats.rpcErrors).toBe(sink.count("rpc_error"));
    await expectL1MatchesLog(c, core.log, n);
  });

  it("follows a transaction whose broadcast answer was lost instead of sending it again", async () => {
    const n = 3;
    await sealBatches(n);
    // Every eth_sendRawTransaction reaches anvil, but its answer is cut.
    proxy = await startFaultyProxy(c.anvil.url, { dropAfterRate: 1, methods: ["eth_sendRawTransaction"] }, 3);
    const { p, sink } = posterVia(proxy.url);
    p.start();
    await p.waitUntil(() => p.stats.mined === n, 20_000, "all mined");
    await c.anvil.mine(1);
    await p.waitUntil(() => p.confirmedThrough() === n - 1, 10_000, "all confirmed");
    await p.stop();
    expect(proxy.counts.droppedAfter).toBeGreaterThanOrEqual(n);
    expect(sink.count("broadcast_unknown")).toBe(p.stats.broadcastErrors);
    expect(p.stats.broadcastErrors).toBeGreaterThanOrEqual(n);
    expect(p.stats.resent).toBe(0);
    expect(p.stats.attempts - p.stats.reverted).toBe(n);
    await expectL1MatchesLog(c, core.log, n);
  });

  it("recovers from a crash between recording a transaction and broadcasting it", async () => {
    await sealBatches(2);
    // The first poster's broadcasts never reach the node, as if it died right after the write.
    proxy = await startFaultyProxy(c.anvil.url, { dropBeforeRate: 1, methods: ["eth_sendRawTransaction"] }, 5);
    const a = posterVia(proxy.url);
    await a.p.tick().catch(() => undefined);
    const [rec] = a.p.store.withStatus("sent");
    expect(rec).toBeDefined();
    expect(rec!.batchIndex).toBe(0);
    await a.p.stop();

    const b = posterVia(c.anvil.url);
    b.p.start();
    await b.p.waitUntil(() => b.p.stats.mined === 2, 20_000, "both mined");
    await c.anvil.mine(1);
    await b.p.waitUntil(() => b.p.confirmedThrough() === 1, 10_000, "confirmed");
    await b.p.stop();
    expect(b.p.stats.resent).toBe(1);
    const rows = b.p.store.forBatch(0);
    expect(rows[0]!.status).toBe("dropped");
    expect(rows.some((r) => r.status === "confirmed" && r.nonce === rec!.nonce)).toBe(true);
    await expectL1MatchesLog(c, core.log, 2);
  });

  it("a poster process killed with SIGKILL at random moments leaves no batch lost, doubled or reordered", async () => {
    const n = 12;
    await sealBatches(n);
    core.log.close(); // the child processes own the file from here
    const child = fileURLToPath(new URL("./posterChild.ts", import.meta.url));
    const args = [db, c.anvil.url, String(c.anvil.chainId), c.d.rollup, c.anvil.accounts[1]!.privateKey];
    const run = () => {
      const p: ChildProcess = spawn(process.execPath, ["--import", "tsx", child, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      const lines: Record<string, unknown>[] = [];
      let buf = "";
      p.stdout!.on("data", (d: Buffer) => {
        buf += d.toString();
        for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
          lines.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
          buf = buf.slice(i + 1);
        }
      });
      let err = "";
      p.stderr!.on("data", (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((ok) => p.once("exit", (code) => ok(code)));
      return { p, lines, exited, err: () => err };
    };
    const stopTicker = blockTicker(250);
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let kills = 0;
    let sendsBeforeKill = 0;
    try {
      for (let round = 0; round < 4; round++) {
        const r = run();
        await until(() => r.lines.some((l) => l.event === "start"), 20_000, "child started");
        // Kill it at a random moment after it starts broadcasting (on a loaded machine a fixed
        // delay after "start" can land before the first send every time). A run with nothing
        // left to send goes on after 5 s: the check below needs one kill while posting.
        await until(() => r.lines.some((l) => l.event === "send"), 5_000, "child sending").catch(() => {});
        await sleep(rand() * 200);
        sendsBeforeKill += r.lines.filter((l) => l.event === "send").length;
        r.p.kill("SIGKILL");
        await r.exited;
        kills++;
      }
      const last = run();
      // Read the poster's table from outside (a killed run may already have confirmed some or all).
      const reader = new Database(db, { readonly: true });
      try {
        const confirmedThrough = () => (reader.prepare("SELECT MAX(batch_index) AS b FROM l1_posts WHERE status = 'confirmed'").get() as { b: number | null }).b ?? -1;
        await until(() => confirmedThrough() === n - 1, 45_000, "the last run confirms everything").catch((e: Error) => {
          throw new Error(`${e.message}; last run: ${JSON.stringify(last.lines.slice(-10))} ${last.err()}`);
        });
      } finally {
        reader.close();
      }
      await until(() => last.lines.some((l) => l.event === "start"), 20_000, "last child started");
      last.p.kill("SIGTERM");
      expect(await last.exited, last.err()).toBe(0);
    } finally {
      stopTicker();
    }
    expect(kills).toBe(4);
    expect(sendsBeforeKill).toBeGreaterThan(0); // the kills landed while posting
    core = { log: new OpLog(db) } as unknown as SequencerCore; // for expectL1MatchesLog and afterEach
    await expectL1MatchesLog(c, core.log, n);
  }, 120_000);
});
