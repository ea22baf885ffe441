/**
 * The full stack for tests across parts: anvil from npm with the contracts deployed, the
 * sequencer in L1 mode, and in distributed mode a real redis-server with the post worker and
 * the verify worker as separate processes (tsx from source), their output kept in `lines`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Verifier } from "../prover/verifier.js";
import type { VerifyResult } from "../prover/worker.js";
import { validateConfig } from "../sequencer/config.js";
import { devnetGenesis } from "../sequencer/devnet.js";
import { redisOptions } from "../sequencer/distributed/redis.js";
import { VERIFY_QUEUE } from "../sequencer/distributed/scheduler.js";
import { RedisServer } from "../sequencer/distributed/test/redisServer.js";
import { type Anvil, startAnvil } from "../sequencer/l1/anvil.js";
import { deploy, type Deployment, l1Clients } from "../sequencer/l1/deploy.js";
import { type RunningSequencer, startSequencer } from "../sequencer/service.js";

export const GENESIS = devnetGenesis();

export type Mode = "embedded" | "distributed";

export interface Stack {
  mode: Mode;
  anvil: Anvil;
  d: Deployment;
  seq: RunningSequencer;
  dir: string;
  db: string;
  /** Distributed mode: the Redis, the worker processes, and how to start another post worker. */
  redis: RedisServer | null;
  /** With `startStack(mode, { verifier: true })`: the verifier whose status the sequencer reports. */
  verifier: Verifier | null;
  workers: ChildProcess[];
  startPostWorker: () => ChildProcess;
  lines: string[];
  cleanup: (() => Promise<void> | void)[];
}

const ROOT = new URL("..", import.meta.url).pathname;

export async function until<T>(lines: string[], f: () => Promise<T | null | undefined | false> | T | null | undefined | false, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== null && v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${lines.slice(-30).join("\n")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The name each spawned process's lines are tagged with (`[name] line`). */
export const processName = new WeakMap<ChildProcess, string>();

/** A worker process of the project (tsx from source), its output kept in `lines`. */
export function spawnProject(stack: Pick<Stack, "lines" | "workers">, name: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "0" } });
  for (const s of [child.stdout!, child.stderr!]) s.on("data", (b: Buffer) => stack.lines.push(...b.toString().trimEnd().split("\n").map((l) => `[${name}] ${l}`)));
  stack.workers.push(child);
  processName.set(child, name);
  return child;
}

export async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((r) => {
    child.once("exit", () => r());
    child.kill(signal);
  });
}

/**
 * `verifier`: also run an in-process verifier with its status server (as `npm start` does) and
 * give its URL to the sequencer (GET /v1/verifier); it is `stack.verifier`.
 */
export async function startStack(mode: Mode, opts: { lockMs?: number; verifier?: boolean } = {}): Promise<Stack> {
  const anvil = await startAnvil();
  const lines: string[] = [];
  const cleanup: Stack["cleanup"] = [() => anvil.stop()];
  const clients = l1Clients(anvil.url, anvil.chainId, { deployer: anvil.accounts[0]!.privateKey, sequencer: anvil.accounts[1]!.privateKey });
  const d = await deploy({ clients, genesis: GENESIS });
  const dir = mkdtempSync(join(tmpdir(), `cm-e2e-${mode}-`));
  const db = join(dir, "seq.db");
  const redis = mode === "distributed" ? await RedisServer.start() : null;
  if (redis) cleanup.push(() => redis.stop());
  const sequencerKey = anvil.accounts[1]!.privateKey;
  let verifier: Verifier | null = null;
  let verifierUrl: string | undefined;
  if (opts.verifier) {
    verifier = new Verifier({ client: d.clients.public, rollup: d.rollup, fromBlock: d.fromBlock, genesis: GENESIS, db: join(dir, "verifier-live.db"), confirmations: 1, pollMs: 100, progress: false, logLine: (l) => lines.push(`[verifier] ${l}`) });
    cleanup.push(() => verifier!.close());
    await verifier.init();
    verifierUrl = `http://127.0.0.1:${await verifier.serve(0, "127.0.0.1")}`;
    verifier.start();
  }
  const cfg = validateConfig(
    {
      db,
      port: 0,
      chainId: BigInt(anvil.chainId),
      rollup: d.rollup,
      synchronous: "NORMAL",
      signatureWorkers: 1,
      l1: { rpcUrl: anvil.url, fromBlock: d.fromBlock, sequencerKey, confirmations: 1, postConfirmations: 2, pollMs: 50 },
      ...(redis ? { mode: "distributed", redisUrl: redis.url } : {}),
      ...(verifierUrl ? { verifierUrl } : {}),
    },
    GENESIS,
  );
  const seq = await startSequencer({ ...cfg, l1Log: (l) => lines.push(l) });
  cleanup.push(() => seq.close());
  // Blocks keep coming, as on a real chain (confirmation depths need them).
  const ticker = setInterval(() => void anvil.mine(1).catch(() => {}), 250);
  cleanup.push(() => clearInterval(ticker));
  const stack: Stack = { mode, anvil, d, seq, dir, db, redis, verifier, workers: [], startPostWorker: () => null as never, lines, cleanup };
  if (redis) {
    const common = ["--redis-url", redis.url, "--l1-poll-ms", "50"];
    let n = 0;
    stack.startPostWorker = () =>
      spawnProject(stack, `post-worker-${++n}`, [
        "sequencer/cli.ts", "post-worker", "--db", db, "--l1-rpc", anvil.url, "--rollup", d.rollup, "--chain-id", String(anvil.chainId),
        "--l1-sequencer-key", sequencerKey, "--l1-post-confirmations", "2", "--lock-ms", String(opts.lockMs ?? 2000), ...common,
      ]);
    stack.startPostWorker();
    const genesisFile = join(dir, "genesis.json");
    writeFileSync(genesisFile, JSON.stringify(GENESIS, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
    spawnProject(stack, "verify-worker", [
      "prover/cli.ts", "--rpc", anvil.url, "--rollup", d.rollup, "--from-block", String(d.fromBlock), "--genesis", genesisFile, "--db", join(dir, "verifier.db"),
      "--poll-ms", "100", "--redis-url", redis.url, "--lock-ms", "2000",
    ]);
    cleanup.push(async () => {
      for (const w of stack.workers) await kill(w, "SIGTERM");
    });
  }
  return stack;
}

export async function stopStack(stack: Stack | undefined): Promise<void> {
  for (const f of (stack?.cleanup ?? []).reverse()) await f();
}

/** The verifier's verdicts for L1 batches 1..last: from the verify jobs (distributed) or an in-process verifier (embedded). */
export async function verdicts(stack: Stack, last: number): Promise<Map<number, { status: string; derivedRoot: string | null; headerRoot: string; txHash: string }>> {
  const out = new Map<number, { status: string; derivedRoot: string | null; headerRoot: string; txHash: string }>();
  if (stack.redis) {
    const q = new Queue(VERIFY_QUEUE, { connection: redisOptions(stack.redis.url), prefix: "crossmargin" });
    try {
      await until(stack.lines, async () => {
        for (const j of await q.getJobs(["completed"])) {
          const r = j.returnvalue as VerifyResult | null;
          if (r && r.sameTransaction) out.set(r.batchIndex, r);
        }
        return [...Array(last).keys()].every((i) => out.has(i + 1));
      }, 60_000, `verify jobs for L1 batches 1..${last}`);
    } finally {
      await q.close();
    }
    return out;
  }
  const v = new Verifier({ client: stack.d.clients.public, rollup: stack.d.rollup, fromBlock: stack.d.fromBlock, genesis: GENESIS, db: join(stack.dir, "verifier.db"), progress: false });
  try {
    while ((await v.round()) > 0);
    for (const x of v.verdicts()) out.set(x.batchIndex, x);
  } finally {
    await v.close();
  }
  return out;
}
