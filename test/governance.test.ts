/**
 * Must show (issue 8): the batch interval changes through `crossmargin governance` on the
 * devnet, and the sequencer's batches follow it.
 *
 * anvil + the contracts + the sequencer in L1 mode (test/stack.ts). Traffic (an oracle update
 * every 150 ms) keeps every interval non-empty, so a batch seals at each interval. The
 * governed interval starts at 1 s (deploy defaults); `crossmargin governance propose
 * batchInterval 3` and `… execute …` run as processes (bin/crossmargin), with anvil's clock
 * moved over the 2-day timelock between them. The seal times come from the sequencer's
 * "sealed" log lines (sealedAt, wall clock), and the gaps before and after are compared; the
 * Rollup's stored timestamps of the same batches (whole seconds) show the same on L1 (their
 * median: one batch posted across the time travel is a 2-day outlier).
 *
 * The same stack then serves the other L1 commands in-process (their output in text and
 * --json): governance's refusals (bounds, step, owner, not scheduled), `batch show` of a
 * posted batch, `account` of a desk that deposited on L1, and `reserves --verify` of a batch
 * made final by the time travel.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCrossmarginClient } from "../sdk/index.js";
import { operatorMain } from "../sequencer/cli/index.js";
import { DEVNET_ORACLE_KEY } from "../sequencer/devnet.js";
import { contractsOf, walletFor } from "../sequencer/l1/deploy.js";
import { type Stack, startStack, stopStack, until } from "./stack.js";

const ROOT = new URL("..", import.meta.url).pathname;
const USD = 1_000_000n;
const PRICES = [60_000n * USD, 3_000n * USD, 150n * USD];

let stack: Stack;
let traffic: { running: boolean; task: Promise<void> } | null = null;

interface Seal {
  batch: number;
  sealedAt: number;
  intervalMs: number;
}
const seals = (): Seal[] =>
  stack.lines.flatMap((l) => {
    if (!l.startsWith("{")) return [];
    const o = JSON.parse(l) as Record<string, unknown>;
    return o.event === "sealed" ? [{ batch: o.batch as number, sealedAt: o.sealedAt as number, intervalMs: o.intervalMs as number }] : [];
  });

/** Gaps between consecutive seals that both happened under `intervalMs`. */
function gaps(intervalMs: number): number[] {
  const s = seals();
  const out: number[] = [];
  for (let i = 1; i < s.length; i++) if (s[i]!.intervalMs === intervalMs && s[i - 1]!.intervalMs === intervalMs) out.push(s[i]!.sealedAt - s[i - 1]!.sealedAt);
  return out;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** `bin/crossmargin …` as its own process: exit code, stdout, stderr. */
function crossmargin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bin/crossmargin", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "0" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** An operator command in-process, its streams captured. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string; json: () => any }> {
  let out = "";
  let err = "";
  const code = await operatorMain(args[0]!, args.slice(1), { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err, json: () => JSON.parse(out) };
}

beforeAll(async () => {
  stack = await startStack("embedded");
  const oracle = createCrossmarginClient({ url: stack.seq.url, account: privateKeyToAccount(DEVNET_ORACLE_KEY), accountIndex: 0 });
  const t = { running: true, task: Promise.resolve() };
  // Bounded: stops in afterAll, and never runs past 5 minutes.
  const end = Date.now() + 300_000;
  t.task = (async () => {
    while (t.running && Date.now() < end) {
      const r = await oracle.submitOp(await oracle.signOracleUpdate({ timestamp: BigInt(Date.now() - 50), prices: PRICES.map((price, id) => ({ kind: 0, id, price })) }));
      if (!r.ok) throw new Error(`oracle update refused: ${r.reason}`);
      await new Promise((res) => setTimeout(res, 150));
    }
  })();
  traffic = t;
}, 120_000);

afterAll(async () => {
  if (traffic) {
    traffic.running = false;
    await traffic.task.catch(() => {});
  }
  await stopStack(stack);
}, 60_000);

describe("crossmargin governance on the devnet", () => {
  it("changes the batch interval from 1 s to 3 s and the sequencer's batches follow", async () => {
    const owner = stack.anvil.accounts[0]!.privateKey;
    const l1 = ["--rpc", stack.anvil.url, "--governance", stack.d.governance];
    // A desk deposits on L1 before the change: the account and reserves checks below read it.
    const desk = stack.anvil.accounts[2]!;
    const k = contractsOf(stack.d, walletFor(stack.d.clients, desk.privateKey));
    const mined = async (h: `0x${string}`) => void (await stack.d.clients.public.waitForTransactionReceipt({ hash: h, pollingInterval: 50 }));
    await mined(await contractsOf(stack.d).tokens[0]!.write.mint([desk.address, 5_000n * USD]));
    await mined(await k.tokens[0]!.write.approve([stack.d.vault, 5_000n * USD]));
    await mined(await k.vault.write.deposit([0, 5_000n * USD]));

    // Before: sealed at the deployment's 1 s.
    await until(stack.lines, () => gaps(1000).length >= 6, 60_000, "six gaps between batches at the 1 s interval");

    const proposed = await crossmargin(["governance", "propose", "batchInterval", "3", ...l1, "--key", owner, "--json"]);
    expect(proposed.stderr).toBe("");
    expect(proposed.code).toBe(0);
    const p = JSON.parse(proposed.stdout) as Record<string, string>;
    expect(p).toMatchObject({ action: "propose", param: "batchInterval", unit: "s", current: "1", value: "3", delay: String(stack.d.timelockDelay), governance: stack.d.governance.toLowerCase() });
    expect(p.eta).toBe(new Date(Number(p.readyAt) * 1000).toISOString().replace(".000Z", "Z"));

    // Too early: refused with the ETA, nothing sent.
    const early = await crossmargin(["governance", "execute", "batchInterval", "3", ...l1, "--key", owner, "--json"]);
    expect(early.code).toBe(1);
    expect(JSON.parse(early.stdout)).toMatchObject({ error: { code: "NOT_READY", field: "<value>" } });
    expect(early.stderr).toContain(`executable from ${p.eta} (L1 time)`);
    expect(early.stderr).toContain("rerun then, or pass --wait");

    // Over the timelock on L1's clock.
    await stack.anvil.increaseTime(BigInt(p.delay!) + 1n);
    await stack.anvil.mine(1);
    // Any key may execute; the text output shows the change.
    const executed = await crossmargin(["governance", "execute", "batchInterval", "3", ...l1, "--key", stack.anvil.accounts[3]!.privateKey]);
    expect(executed.stderr).toBe("");
    expect(executed.code).toBe(0);
    expect(executed.stdout).toContain("executed batchInterval: 1 s -> 3 s");
    expect(executed.stdout).toContain(`  id         ${p.id}`);
    expect(await stack.d.clients.public.readContract({ address: stack.d.rollup, abi: contractsOf(stack.d).rollup.abi, functionName: "batchInterval" })).toBe(3n);

    // After: the deriver reads the new interval at its confirmation depth, sealing follows.
    await until(stack.lines, () => stack.lines.some((l) => l.includes('"event":"params"') && l.includes('"batchIntervalMs":3000')), 30_000, "the sequencer's params line with 3000 ms");
    await until(stack.lines, () => gaps(3000).length >= 4, 60_000, "four gaps between batches at the 3 s interval");
    const before = gaps(1000);
    const after = gaps(3000);
    console.log(`batch gaps at 1 s (ms): ${before.join(", ")}; at 3 s: ${after.join(", ")}`);
    // A seal needs the interval to have passed since the last one; the 10 ms timer and a
    // loaded machine only add to a gap.
    for (const g of before) expect(g).toBeGreaterThanOrEqual(1000);
    for (const g of after) expect(g).toBeGreaterThanOrEqual(3000);
    expect(median(before)).toBeLessThan(1600);
    expect(median(after)).toBeLessThan(3600);
    expect((await stack.seq.core.log.lastBatch())!.index).toBeGreaterThan(10);

    // The same on L1: the Rollup's stored timestamps of the posted batches (whole seconds).
    const s = seals();
    const last = s[s.length - 1]!.batch;
    const rows = await until(
      stack.lines,
      async () => {
        const v = (await (await fetch(`${stack.seq.url}/v1/l1/batches?from=0&limit=100`)).json()) as { batches: { batch: number; onL1: { timestamp: string } | null }[] };
        const through = v.batches.find((b) => b.batch === last);
        return through?.onL1 ? v.batches : null;
      },
      30_000,
      `batch ${last} stored on L1`,
    );
    const l1Time = new Map(rows.filter((r) => r.onL1).map((r) => [r.batch, Number(r.onL1!.timestamp)]));
    const l1Gaps = (intervalMs: number) =>
      s.slice(1).flatMap((x, i) => (x.intervalMs === intervalMs && s[i]!.intervalMs === intervalMs && l1Time.has(x.batch) && l1Time.has(s[i]!.batch) ? [l1Time.get(x.batch)! - l1Time.get(s[i]!.batch)!] : []));
    const l1Before = l1Gaps(1000);
    const l1After = l1Gaps(3000);
    console.log(`L1 timestamp gaps (s) at 1 s: ${l1Before.join(", ")}; at 3 s: ${l1After.join(", ")}`);
    expect(l1After.length).toBeGreaterThanOrEqual(3);
    expect(median(l1Before)).toBeLessThanOrEqual(1);
    expect(median(l1After)).toBeGreaterThanOrEqual(2);
    expect(median(l1After)).toBeLessThanOrEqual(4);
  }, 300_000);

  it("refuses out-of-bounds values, too large steps, a key that is not the owner, and an unscheduled execute", async () => {
    const owner = stack.anvil.accounts[0]!.privateKey;
    const l1 = ["--rpc", stack.anvil.url, "--governance", stack.d.governance];
    const bounds = await run(["governance", "propose", "batchInterval", "2h", ...l1, "--key", owner, "--json"]);
    expect(bounds.code).toBe(2);
    expect(JSON.parse(bounds.out).error).toEqual({
      code: "OUT_OF_BOUNDS",
      message: "batchInterval 7200 s is outside its bounds 1 s .. 3600 s (Governance.bounds; docs/contracts.md §Governance parameters)",
      field: "<value>",
    });
    const step = await run(["governance", "propose", "batchInterval", "700", ...l1, "--key", owner]);
    expect(step.code).toBe(2);
    expect(step.err).toContain("batchInterval may move by at most 600 s per change; it is 3 s, so propose 603 first and the rest in later changes");
    const notOwner = await run(["governance", "propose", "batchInterval", "5", ...l1, "--key", stack.anvil.accounts[4]!.privateKey, "--json"]);
    expect(notOwner.code).toBe(1);
    expect(JSON.parse(notOwner.out).error.code).toBe("NOT_OWNER");
    expect(notOwner.err).toContain(`the key's address ${stack.anvil.accounts[4]!.address} is not Governance's owner ${stack.anvil.accounts[0]!.address.toLowerCase()}`);
    const unscheduled = await run(["governance", "execute", "maxBatchSize", "9000", ...l1, "--key", owner]);
    expect(unscheduled.code).toBe(1);
    expect(unscheduled.err).toContain(`no pending proposal of maxBatchSize = 9000 on Governance ${stack.d.governance.toLowerCase()}`);
    // The rule the bounds table cannot show, found by simulating the setter as the timelock
    // calls it: the timelock delay may not fall below the challenge window (1 day).
    const delay = await run(["governance", "propose", "delay", "23h", ...l1, "--key", owner, "--json"]);
    expect(delay.code).toBe(1);
    expect(JSON.parse(delay.out).error).toMatchObject({ code: "DELAY_BELOW_CHALLENGE_WINDOW" });
    // The dispute game's rule, found the same way: its span may take at most half the window.
    const span = await run(["governance", "propose", "clockDuration", "6h", ...l1, "--key", owner, "--json"]);
    expect(span.code).toBe(1);
    expect(span.json().error).toMatchObject({ code: "GAME_SPAN_TOO_LONG", field: "<value>" });
    expect(span.err).toContain("a dispute game would then last up to 46800 s, more than half the 86400 s challenge window");
    // A dispute game parameter in wei, as text.
    const bond = await run(["governance", "propose", "challengerBond", "0.2eth", ...l1, "--key", owner]);
    expect(bond.err).toBe("");
    expect(bond.code).toBe(0);
    expect(bond.out).toContain("proposed challengerBond: 100000000000000000 wei -> 200000000000000000 wei");
    expect(bond.out).toMatch(/ {2}ETA {8}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(L1 time, in (2d|1d 23h[0-9ms ]*)\)/);
    expect(bond.out).toContain(`crossmargin governance execute challengerBond 200000000000000000 --rpc ${stack.anvil.url} --governance ${stack.d.governance.toLowerCase()} --salt `);
    // --wait: the execute waits for the ETA on L1's clock, its progress on stderr.
    const proposed = await run(["governance", "propose", "maxBatchSize", "9000", ...l1, "--key", owner, "--json"]);
    expect(proposed.code).toBe(0);
    const { salt, delay: wait } = JSON.parse(proposed.out) as { salt: string; delay: string };
    const waiting = run(["governance", "execute", "maxBatchSize", "9000", ...l1, "--key", owner, "--salt", salt, "--wait", "--poll-ms", "100", "--json"]);
    await new Promise((r) => setTimeout(r, 1500));
    await stack.anvil.increaseTime(BigInt(wait) + 1n);
    await stack.anvil.mine(1);
    const waited = await waiting;
    expect(waited.code).toBe(0);
    expect(waited.json()).toMatchObject({ action: "execute", param: "maxBatchSize", previous: "10000", value: "9000", salt });
    expect(waited.err).toMatch(/^waiting for the timelock \(ETA [0-9TZ:-]+\): 0\/\d+ 0% (1d 23h [0-9ms ]+|2d) left$/m);
    expect(waited.err).toMatch(/^waiting for the timelock \(ETA [0-9TZ:-]+\): (\d+)\/\1 100% ready$/m);
    // Executed once: the same salt is no longer pending.
    const again = await run(["governance", "execute", "maxBatchSize", "9000", ...l1, "--key", owner, "--salt", salt]);
    expect(again.err).toContain(`maxBatchSize = 9000 with salt ${salt} is not pending`);
    // A contract that is not Governance (the Vault) is named as the thing to check.
    const wrong = await run(["governance", "propose", "batchInterval", "5", "--rpc", stack.anvil.url, "--governance", stack.d.vault, "--key", owner, "--json"]);
    expect(wrong.code).toBe(1);
    expect(wrong.json().error).toMatchObject({ code: "L1_FAILED", field: "--governance" });
    expect(wrong.err).toContain("check --governance and --rollup");
    const nothing = await run(["governance", "propose", "batchInterval", "5", "--rpc", stack.anvil.url, "--governance", `0x${"42".repeat(20)}`, "--key", owner, "--json"]);
    expect(nothing.json().error).toMatchObject({ code: "NO_CONTRACT", field: "--governance" });
    // The L1 found through the sequencer's API (--url) when --rpc/--governance are not given.
    const viaUrl = await run(["governance", "execute", "maxBatchSize", "8000", "--url", stack.seq.url, "--key", owner, "--json"]);
    expect(JSON.parse(viaUrl.out).error.code).toBe("NOT_SCHEDULED");
  }, 120_000);

  it("batch show, account and reserves --verify read the stack", async () => {
    const url = ["--url", stack.seq.url];
    // A batch that L1 holds and that the time travel made final.
    const first = await run(["batch", "show", "0", ...url, "--json"]);
    expect(first.code).toBe(0);
    const b = JSON.parse(first.out);
    const sealed = stack.seq.core.log.batch(0)!;
    expect(b).toMatchObject({ index: 0, l1Batch: 1, ops: { count: Number(sealed.toSeq - sealed.fromSeq) + 1 }, l1: { finalized: true, onL1: { rootMatches: true }, post: { status: "confirmed" } } });
    const text = await run(["batch", "show", "0", ...url, "--ops"]);
    expect(text.code).toBe(0);
    expect(text.out).toContain(`batch 0 (L1 batch 1)\n  ops          ${b.ops.count} (seq ${b.ops.fromSeq}..${b.ops.toSeq})`);
    expect(text.out).toContain(`  post-root    ${b.postRoot}`);
    expect(text.out).toMatch(/on L1 {8}root 0x[0-9a-f]{64} \(matches\)/);
    expect(text.out).toContain("finality     final (since");
    expect(text.out).toMatch(/seq\s+type\s+signer\s+result/);
    const missing = await run(["batch", "show", "99999", ...url, "--json"]);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.out).error).toMatchObject({ code: "NOT_FOUND" });

    const desk = stack.anvil.accounts[2]!;
    const acct = await run(["account", desk.address, ...url, "--json"]);
    expect(acct.code).toBe(0);
    const a = JSON.parse(acct.out);
    expect(a.owner.toLowerCase()).toBe(desk.address.toLowerCase());
    expect(a.balances[0]).toBe(String(5_000n * USD));
    const acctText = await run(["account", String(a.index), ...url]);
    expect(acctText.out).toContain(`account ${a.index}  owner ${a.owner}`);
    expect(acctText.out).toMatch(/^ {2}0 +5000$/m);
    expect(acctText.out).toMatch(/collateral +5000\n/);

    const reserves = await run(["reserves", ...url, "--verify", "--json"]);
    expect(reserves.err).toBe("");
    expect(reserves.code).toBe(0);
    const r = JSON.parse(reserves.out);
    expect(r).toMatchObject({ finalized: true, covered: true, verified: { ok: true } });
    expect(BigInt(r.assets[0].liabilities.total)).toBeGreaterThanOrEqual(5_000n * USD);
    const rText = await run(["reserves", ...url, "--batch", String(r.batch), "--verify"]);
    expect(rText.out).toContain(`reserves at L1 batch ${r.batch} (final): COVERED`);
    expect(rText.out).toContain("verified against L1: every figure and the root hold (SDK verifyReserves)");

    // A sequencer that inflates its Vault balance (a proxy that tampers with /v1/reserves):
    // --verify reads L1 itself and fails, naming the figure; without --verify it is believed.
    const liar = createServer((req, res) => {
      void (async () => {
        const up = await fetch(`${stack.seq.url}${req.url}`);
        let body = await up.text();
        if (req.url?.startsWith("/v1/reserves")) {
          const j = JSON.parse(body);
          j.assets[0].vaultBalance = String(BigInt(j.assets[0].vaultBalance) + 1_000_000n * USD);
          j.assets[0].surplus = String(BigInt(j.assets[0].surplus) + 1_000_000n * USD);
          body = JSON.stringify(j);
        }
        res.writeHead(up.status, { "content-type": "application/json" }).end(body);
      })();
    });
    await new Promise<void>((r) => liar.listen(0, "127.0.0.1", () => r()));
    try {
      const liarUrl = ["--url", `http://127.0.0.1:${(liar.address() as AddressInfo).port}`];
      const believed = await run(["reserves", ...liarUrl, "--json"]);
      expect(believed.code).toBe(0);
      expect(BigInt(believed.json().assets[0].vaultBalance)).toBe(BigInt(r.assets[0].vaultBalance) + 1_000_000n * USD);
      const caught = await run(["reserves", ...liarUrl, "--verify", "--json"]);
      expect(caught.code).toBe(1);
      expect(caught.json().verified).toEqual({ ok: false, problems: [`asset 0 vaultBalance: the API says ${BigInt(r.assets[0].vaultBalance) + 1_000_000n * USD}, L1 says ${r.assets[0].vaultBalance}`] });
      expect(caught.json().error).toEqual({ code: "RESERVES_MISMATCH", message: `the sequencer's reserves report for L1 batch ${r.batch} does not match L1 (1 problem in verified.problems)`, field: null });
      expect(caught.err).toContain(`the sequencer's reserves report for L1 batch ${r.batch} does not match L1 (1 problem in verified.problems)`);
      const caughtText = await run(["reserves", ...liarUrl, "--verify"]);
      expect(caughtText.code).toBe(1);
      expect(caughtText.out).toContain("VERIFICATION FAILED against L1:\n  asset 0 vaultBalance: the API says");
      expect(caughtText.err).toContain("does not match L1 (1 problem above)");
    } finally {
      await new Promise<void>((r) => liar.close(() => r()));
    }
  }, 120_000);
});
