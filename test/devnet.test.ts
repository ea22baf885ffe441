/**
 * `npm start -- --demo` as a newcomer runs it: a child process (its own process group, as a
 * terminal runs it), which must print the API, verifier and RPC URLs and the funded accounts,
 * get batches confirmed on L1 within 90 s (checked on the chain itself, not only in its
 * output), run the demo's liquidation and withdrawal, have its verifier judge every confirmed
 * batch verified with the roots posted on L1 (and the sequencer sealed), report that through
 * GET /v1/verifier and both /metrics, and on Ctrl-C (SIGINT to the group) stop cleanly: exit
 * code 0, anvil and the verifier's status server gone.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createPublicClient, http } from "viem";
import { expect, it } from "vitest";
import { rollupAbi } from "../sequencer/l1/abi.js";
import { metric, scrape } from "./prometheus.js";

const ROOT = join(dirname(new URL(import.meta.url).pathname), "..");

it("npm start -- --demo brings up the devnet, lands batches on L1 within 90 s, and stops cleanly on Ctrl-C", async () => {
  const child = spawn("npm", ["start", "--", "--demo"], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  // "close": npm and every process writing to its pipes (the devnet script) are gone.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("close", (code, signal) => r({ code, signal })));
  const waitFor = async (re: RegExp, deadline: number, what: string) => {
    while (!re.test(out)) {
      if (Date.now() > deadline) throw new Error(`no ${what} within the bound; output so far:\n${out}`);
      if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}) before ${what}:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return re.exec(out)!;
  };
  try {
    const deadline = Date.now() + 90_000;
    const api = (await waitFor(/API\s+(http:\/\/127\.0\.0\.1:\d+)/, deadline, "API URL"))[1]!;
    const rpc = (await waitFor(/L1 RPC\s+(http:\/\/127\.0\.0\.1:\d+)/, deadline, "RPC URL"))[1]!;
    const rollup = (await waitFor(/Rollup\s+(0x[0-9a-f]{40})/, deadline, "Rollup address"))[1]! as `0x${string}`;
    const verifier = (await waitFor(/Verifier\s+(http:\/\/127\.0\.0\.1:\d+)\/status/, deadline, "verifier URL"))[1]!;
    // Eight funded dev accounts, each with its key.
    expect(out.match(/^ {2}0x[0-9a-fA-F]{40} {2}0x[0-9a-f]{64}$/gm)?.length).toBe(8);
    await waitFor(/L1: batch 1 confirmed/, deadline, "a batch confirmed on L1");
    await waitFor(/liquidation: alice liquidated/, deadline, "the demo's liquidation");
    await waitFor(/withdraw: bob withdrew/, deadline, "the demo's withdrawal");
    // The batch made final (devnet time travel) and the withdrawal claimed on L1.
    await waitFor(/finality: devnet time travel .* final: true/, deadline, "the withdrawal's batch final");
    await waitFor(/claim: bob claimed 1000 USDC on L1/, deadline, "the claim on L1");
    expect(out).toMatch(/wallet [0-9.]+ → [0-9.]+ USDC/);
    // On the chain itself: batches posted, and the API answers in L1 mode.
    const pub = createPublicClient({ transport: http(rpc) });
    expect(await pub.readContract({ address: rollup, abi: rollupAbi, functionName: "nextBatchIndex" })).toBeGreaterThanOrEqual(2n);
    const info = (await (await fetch(`${api}/v1/info`)).json()) as { l1: { confirmedThrough: number; poster: { error: string | null }; derivation: { error: string | null } } };
    expect(info.l1.confirmedThrough).toBeGreaterThanOrEqual(0);
    expect(info.l1.poster.error).toBeNull();
    expect(info.l1.derivation.error).toBeNull();
    expect(out).not.toMatch(/demo stopped|npm start:/);

    // The verifier: every batch confirmed so far (the demo's deposits, trades, liquidation and
    // withdrawal) judged verified, each root equal to the one on L1 and the sequencer's.
    await waitFor(/verifier: batch 1 verified/, deadline, "the verifier's first verdict");
    const confirmed = info.l1.confirmedThrough + 1; // L1 batch index
    type Status = { verifiedThrough: number; verified: number; disputed: number; lastError: string | null };
    let status: Status;
    for (;;) {
      status = (await (await fetch(`${verifier}/status`)).json()) as Status;
      if (status.verifiedThrough >= confirmed) break;
      if (Date.now() > deadline) throw new Error(`the verifier did not verify through L1 batch ${confirmed} in time: ${JSON.stringify(status)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status.disputed).toBe(0);
    expect(status.verified).toBe(status.verifiedThrough);
    for (let i = 1; i <= status.verifiedThrough; i++) {
      const v = (await (await fetch(`${verifier}/batches/${i}`)).json()) as { status: string; derivedRoot: string; headerRoot: string };
      const onL1 = (await pub.readContract({ address: rollup, abi: rollupAbi, functionName: "batch", args: [BigInt(i)] })) as { stateRoot: string };
      const sealed = (await (await fetch(`${api}/v1/batches/${i - 1}`)).json()) as { postRoot: string };
      expect([i, v.status, v.derivedRoot, v.headerRoot]).toEqual([i, "verified", onL1.stateRoot.toLowerCase(), onL1.stateRoot.toLowerCase()]);
      expect(sealed.postRoot).toBe(v.derivedRoot);
    }
    // The same judgement through the sequencer's API.
    const summary = (await (await fetch(`${api}/v1/verifier`)).json()) as { state: string; disputed: number; verifiedThrough: number; lastVerified: { agrees: boolean } };
    expect(summary.state).toBe("following");
    expect(summary.disputed).toBe(0);
    expect(summary.verifiedThrough).toBeGreaterThanOrEqual(confirmed);
    expect(summary.lastVerified.agrees).toBe(true);
    // Both /metrics scrapes show the work done.
    const sm = await scrape(`${api}/metrics`);
    expect(metric(sm, "crossmargin_ops_accepted_total", { type: "PlaceOrder" })).toBeGreaterThanOrEqual(8); // 4 trades, maker and taker
    expect(metric(sm, "crossmargin_ops_accepted_total", { type: "Liquidate" })).toBe(1);
    expect(metric(sm, "crossmargin_derivation_included_total")).toBeGreaterThanOrEqual(3); // the three deposits
    expect(metric(sm, "crossmargin_poster_events_total", { event: "confirmed" })).toBeGreaterThanOrEqual(confirmed);
    expect(metric(sm, "crossmargin_poster_confirmed_through_batch")).toBeGreaterThanOrEqual(confirmed);
    expect(metric(sm, "crossmargin_derivation_head_block")).toBeGreaterThan(0);
    const vm = await scrape(`${verifier}/metrics`);
    expect(metric(vm, "crossmargin_verifier_batches_judged_total", { verdict: "verified" })).toBeGreaterThanOrEqual(status.verifiedThrough);
    expect(metric(vm, "crossmargin_verifier_batches_judged_total", { verdict: "dispute" })).toBe(0);
    expect(metric(vm, "crossmargin_verifier_replayed_ops_total")).toBeGreaterThan(0);

    // Ctrl-C: SIGINT to the process group, as a terminal sends it.
    process.kill(-child.pid!, "SIGINT");
    const r = await Promise.race([exited, new Promise<null>((res) => setTimeout(() => res(null), 20_000))]);
    expect(r, `did not exit (and close its output) within 20 s of SIGINT:\n${out.slice(-2000)}`).not.toBeNull();
    // npm re-raises the SIGINT its script got (so it ends by the signal, as in a terminal);
    // the devnet process itself printed "stopped" right before exit(0), after closing the
    // sequencer and anvil in order.
    expect(r!.code === 0 || r!.signal === "SIGINT", JSON.stringify(r)).toBe(true);
    expect(out).toContain("SIGINT: stopping");
    expect(out, out.slice(-1500)).toMatch(/\] stopped\n/);
    // anvil and the verifier's status server went with it.
    await expect(fetch(`${verifier}/status`)).rejects.toThrow();
    await expect(fetch(rpc, { method: "POST", headers: { "content-type": "application/json" }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}' })).rejects.toThrow();
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
  }
}, 130_000);
