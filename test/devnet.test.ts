/**
 * `npm start -- --demo` as a newcomer runs it: a child process (its own process group, as a
 * terminal runs it), which must print the API and RPC URLs and the funded accounts, get
 * batches confirmed on L1 within 90 s (checked on the chain itself, not only in its output),
 * run the demo's liquidation and withdrawal, and on Ctrl-C (SIGINT to the group) stop
 * cleanly: exit code 0, anvil gone.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createPublicClient, http } from "viem";
import { expect, it } from "vitest";
import { rollupAbi } from "../sequencer/l1/abi.js";

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
    // Eight funded dev accounts, each with its key.
    expect(out.match(/^ {2}0x[0-9a-fA-F]{40} {2}0x[0-9a-f]{64}$/gm)?.length).toBe(8);
    await waitFor(/L1: batch 1 confirmed/, deadline, "a batch confirmed on L1");
    await waitFor(/liquidation: alice liquidated/, deadline, "the demo's liquidation");
    await waitFor(/withdraw: bob withdrew/, deadline, "the demo's withdrawal");
    // On the chain itself: batches posted, and the API answers in L1 mode.
    const pub = createPublicClient({ transport: http(rpc) });
    expect(await pub.readContract({ address: rollup, abi: rollupAbi, functionName: "nextBatchIndex" })).toBeGreaterThanOrEqual(2n);
    const info = (await (await fetch(`${api}/v1/info`)).json()) as { l1: { confirmedThrough: number; poster: { error: string | null }; derivation: { error: string | null } } };
    expect(info.l1.confirmedThrough).toBeGreaterThanOrEqual(0);
    expect(info.l1.poster.error).toBeNull();
    expect(info.l1.derivation.error).toBeNull();
    expect(out).not.toMatch(/demo stopped|npm start:/);

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
    // anvil went with it.
    await expect(fetch(rpc, { method: "POST", headers: { "content-type": "application/json" }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}' })).rejects.toThrow();
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
  }
}, 130_000);
