/**
 * A local L1 for tests and the devnet: anvil from the `@foundry-rs/anvil` npm package, on a
 * free loopback port, plus the test-node RPCs the L1 tests need (time travel, manual mining,
 * snapshot/revert for reorg simulation).
 *
 * Loopback only: anvil is always started with `--host 127.0.0.1` (the default accounts' keys
 * are public, so the node must never be reachable from elsewhere) and extra arguments may not
 * override the host.
 *
 * The port: anvil is started with `--port 0`, binds a free port itself and prints
 * `Listening on 127.0.0.1:<port>`; we read it from its stdout. This has no race between
 * "find a free port" and "bind it", unlike probing a port first and handing it over.
 *
 * The binary: the platform package (`@foundry-rs/anvil-<platform>-<arch>`) that the npm
 * wrapper would run, spawned directly, so `stop()` signals anvil itself and not a wrapper
 * that might outlive it. Falls back to the wrapper (`node .../anvil/bin.mjs`) if the
 * platform package cannot be resolved.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { mnemonicToAccount } from "viem/accounts";
import { bytesToHex } from "viem";

export type Hex = `0x${string}`;

/** anvil's default mnemonic (public; local test chains only). */
export const ANVIL_MNEMONIC = "test test test test test test test test test test test junk";
export const ANVIL_CHAIN_ID = 31337;

export interface AnvilOptions {
  /** Chain id (default 31337). */
  chainId?: number;
  /** Interval mining every `blockTime` seconds instead of mining each transaction at once. */
  blockTime?: number;
  /** Start with automine off and no interval (`--no-mining`): blocks only on `mine()`. */
  noMining?: boolean;
  /** Dev accounts (default 10), each funded with `balanceEth` (default 10,000). */
  accounts?: number;
  balanceEth?: number;
  /** Mnemonic of the dev accounts (default anvil's). */
  mnemonic?: string;
  /** Genesis block timestamp (seconds). */
  timestamp?: bigint;
  /** More anvil arguments (never `--host`/`-h`, `--port`/`-p`). */
  args?: string[];
  /** How long to wait for anvil to answer (default 20 s). */
  startTimeoutMs?: number;
  /** Pass anvil's stdout/stderr through to this process's stderr (debugging). */
  verbose?: boolean;
  /**
   * Run anvil in its own process group, so a terminal's Ctrl-C reaches only this process,
   * which then stops its users of the chain before `stop()` (the devnet does this).
   */
  ownProcessGroup?: boolean;
}

export interface DevAccount {
  address: Hex;
  privateKey: Hex;
}

export interface Anvil {
  readonly url: string;
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly chainId: number;
  readonly pid: number;
  /** The funded dev accounts (index 0 first), keys derived from the mnemonic. */
  readonly accounts: DevAccount[];
  /** One JSON-RPC call; throws `RpcError` on an error response. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Latest block number and timestamp. */
  head(): Promise<{ number: bigint; timestamp: bigint; hash: Hex }>;
  /** Moves the chain clock forward (applies from the next block). */
  increaseTime(seconds: number | bigint): Promise<void>;
  /** The next block gets exactly this timestamp. */
  setNextBlockTimestamp(timestamp: bigint): Promise<void>;
  /** Mines `blocks` blocks (default 1); with `timestamp`, the first one at that time. */
  mine(blocks?: number, timestamp?: bigint): Promise<void>;
  setAutomine(on: boolean): Promise<void>;
  /** Interval mining every `seconds` (0 turns it off). */
  setIntervalMining(seconds: number): Promise<void>;
  /** Snapshot of the whole chain state; `revert(id)` returns to it (blocks after it vanish). */
  snapshot(): Promise<Hex>;
  revert(id: Hex): Promise<boolean>;
  /** Removes a transaction from the mempool. */
  dropTransaction(hash: Hex): Promise<void>;
  /** Hashes of transactions waiting in the mempool. */
  pendingTransactions(): Promise<Hex[]>;
  /** Stops anvil (SIGTERM, then SIGKILL after 3 s). Idempotent. */
  stop(): Promise<void>;
}

export class RpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(`${method}: ${message} (code ${code})`);
    this.name = "RpcError";
  }
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
/** A test process that dies without calling stop() must not leave anvil running. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const p of running) p.kill("SIGKILL");
  });
}

/** The anvil executable: the platform package's binary, else the npm wrapper. */
export function anvilCommand(): { command: string; prefix: string[] } {
  const require = createRequire(import.meta.url);
  const plat = process.platform === "win32" ? "win32" : process.platform;
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  try {
    const pkg = require.resolve(`@foundry-rs/anvil-${plat}-${arch}/package.json`);
    const bin = join(dirname(pkg), "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
    if (existsSync(bin)) return { command: bin, prefix: [] };
  } catch {
    // fall through to the wrapper
  }
  const wrapper = require.resolve("@foundry-rs/anvil/bin.mjs");
  return { command: process.execPath, prefix: [wrapper] };
}

/** Keys of the first `n` accounts of `mnemonic` (m/44'/60'/0'/0/i, as anvil derives them). */
export function devAccounts(n: number, mnemonic = ANVIL_MNEMONIC): DevAccount[] {
  const out: DevAccount[] = [];
  for (let i = 0; i < n; i++) {
    const acc = mnemonicToAccount(mnemonic, { addressIndex: i });
    const key = acc.getHdKey().privateKey;
    if (!key) throw new Error("no private key derived");
    out.push({ address: acc.address, privateKey: bytesToHex(key) });
  }
  return out;
}

const FORBIDDEN_ARGS = new Set(["--host", "-h", "--port", "-p"]);

export async function startAnvil(opts: AnvilOptions = {}): Promise<Anvil> {
  const chainId = opts.chainId ?? ANVIL_CHAIN_ID;
  const nAccounts = opts.accounts ?? 10;
  const mnemonic = opts.mnemonic ?? ANVIL_MNEMONIC;
  for (const a of opts.args ?? []) {
    if (FORBIDDEN_ARGS.has(a.split("=")[0]!)) throw new Error(`anvil: ${a} is not allowed (loopback only, free port chosen by anvil)`);
  }
  const args = ["--host", "127.0.0.1", "--port", "0", "--chain-id", String(chainId), "--accounts", String(nAccounts), "--balance", String(opts.balanceEth ?? 10_000), "--mnemonic", mnemonic];
  if (opts.blockTime !== undefined) args.push("--block-time", String(opts.blockTime));
  if (opts.noMining) args.push("--no-mining");
  if (opts.timestamp !== undefined) args.push("--timestamp", String(opts.timestamp));
  args.push(...(opts.args ?? []));

  const { command, prefix } = anvilCommand();
  const child = spawn(command, [...prefix, ...args], { stdio: ["ignore", "pipe", "pipe"], detached: opts.ownProcessGroup === true });
  running.add(child);
  installExitHook();
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      resolve();
    }),
  );
  const timeoutMs = opts.startTimeoutMs ?? 20_000;
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`anvil did not start within ${timeoutMs} ms:\n${output.slice(-2000)}`)), timeoutMs);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (opts.verbose) process.stderr.write(d);
      const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    void exitPromise.then(() => {
      clearTimeout(timer);
      reject(new Error(`anvil exited (${JSON.stringify(exited)}) before listening:\n${output.slice(-2000)}`));
    });
  }).catch((e) => {
    child.kill("SIGKILL");
    throw e;
  });
  // Keep draining the pipes (a full pipe would block anvil), but keep nothing.
  child.stdout!.removeAllListeners("data");
  child.stderr!.removeAllListeners("data");
  child.stdout!.on("data", (d: Buffer) => opts.verbose && process.stderr.write(d));
  child.stderr!.on("data", (d: Buffer) => opts.verbose && process.stderr.write(d));

  const url = `http://127.0.0.1:${port}`;
  let id = 0;
  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
    });
    const body = (await res.json()) as { result?: T; error?: { code: number; message: string; data?: unknown } };
    if (body.error) throw new RpcError(method, body.error.code, body.error.message, body.error.data);
    return body.result as T;
  };

  // "Listening" is printed once the socket is bound; wait until the node answers a call.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const got = Number(BigInt(await rpc<string>("eth_chainId")));
      if (got !== chainId) throw new Error(`anvil answered chain id ${got}, expected ${chainId}`);
      break;
    } catch (e) {
      if (e instanceof Error && e.message.startsWith("anvil answered")) throw e;
      if (exited || Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`anvil at ${url} did not answer: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  let stopping: Promise<void> | null = null;
  const anvil: Anvil = {
    url,
    host: "127.0.0.1",
    port,
    chainId,
    pid: child.pid!,
    accounts: devAccounts(nAccounts, mnemonic),
    rpc,
    async head() {
      const b = await rpc<{ number: Hex; timestamp: Hex; hash: Hex }>("eth_getBlockByNumber", ["latest", false]);
      return { number: BigInt(b.number), timestamp: BigInt(b.timestamp), hash: b.hash };
    },
    async increaseTime(seconds) {
      await rpc("evm_increaseTime", [Number(seconds)]);
    },
    async setNextBlockTimestamp(timestamp) {
      await rpc("evm_setNextBlockTimestamp", [Number(timestamp)]);
    },
    async mine(blocks = 1, timestamp) {
      if (timestamp !== undefined) await rpc("evm_setNextBlockTimestamp", [Number(timestamp)]);
      await rpc("anvil_mine", [`0x${blocks.toString(16)}`]);
    },
    async setAutomine(on) {
      await rpc("evm_setAutomine", [on]);
    },
    async setIntervalMining(seconds) {
      await rpc("evm_setIntervalMining", [seconds]);
    },
    async snapshot() {
      return rpc<Hex>("evm_snapshot");
    },
    async revert(snapshotId) {
      return rpc<boolean>("evm_revert", [snapshotId]);
    },
    async dropTransaction(hash) {
      await rpc("anvil_dropTransaction", [hash]);
    },
    async pendingTransactions() {
      const b = await rpc<{ transactions: Hex[] }>("eth_getBlockByNumber", ["pending", false]);
      return b.transactions;
    },
    stop() {
      stopping ??= (async () => {
        if (exited) return;
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 3_000);
        await exitPromise;
        clearTimeout(t);
      })();
      return stopping;
    },
  };
  return anvil;
}
