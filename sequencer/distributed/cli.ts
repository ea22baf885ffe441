/**
 * `crossmargin post-worker`: distributed mode's batch poster, a process of its own. Every
 * option is validated before anything connects; all problems are printed together (exit 2).
 */
import { existsSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { isAddress, type Address } from "viem";
import { CONFIG_DEFAULTS, L1_DEFAULTS, isLoopbackHttpUrl } from "../config.js";
import { connectL1 } from "../service.js";
import { isLoopbackRedisUrl } from "./redis.js";
import { startPostWorkerProcess } from "./workers.js";

export const POST_WORKER_USAGE = `usage: crossmargin post-worker --db <file> --redis-url <url> --l1-rpc <url> --rollup <addr> --chain-id <n> [options]

Takes post jobs from Redis (queued by a sequencer in --mode distributed) and posts the sealed
batches to the Rollup, one at a time across all post workers, each until confirmed.

  --db <file>                 the sequencer's SQLite file (batches; the poster's records)  required
  --redis-url <url>           redis://127.0.0.1:<port> (loopback)                         required
  --redis-prefix <name>       BullMQ key prefix, as the sequencer's            default ${CONFIG_DEFAULTS.redisPrefix}
  --l1-rpc <url>              L1 JSON-RPC on loopback                                     required
  --rollup <address>          the Rollup contract                                         required
  --chain-id <n>              L1 chain id                                                 required
  --l1-sequencer-key <0x..>   the Rollup's sequencer key (or env CROSSMARGIN_SEQUENCER_KEY)
  --l1-post-confirmations <n> blocks before a posted batch is confirmed    default ${L1_DEFAULTS.postConfirmations}
  --l1-poll-ms <n>            pause between poster rounds                  default ${L1_DEFAULTS.pollMs}
  --lock-ms <n>               a killed worker's job moves to another after this long   default 30000
  --job-timeout-ms <n>        an attempt fails (and is retried with backoff) after this long   default 120000`;

export interface PostWorkerCli {
  db: string;
  redisUrl: string;
  redisPrefix: string;
  rpcUrl: string;
  rollup: Address;
  chainId: bigint;
  sequencerKey: `0x${string}`;
  confirmations: number;
  pollMs: number;
  lockMs: number;
  jobTimeoutMs: number;
}


/** Parses and validates; returns "help" or the options, or the list of problems. */
export function parsePostWorkerCli(argv: string[], env: NodeJS.ProcessEnv = process.env): PostWorkerCli | "help" | string[] {
  let v: Record<string, string | boolean | undefined>;
  try {
    const names = ["db", "redis-url", "redis-prefix", "l1-rpc", "rollup", "chain-id", "l1-sequencer-key", "l1-post-confirmations", "l1-poll-ms", "lock-ms", "job-timeout-ms"];
    v = parseArgs({ args: argv, strict: true, options: { ...Object.fromEntries(names.map((n) => [n, { type: "string" as const }])), help: { type: "boolean" } } }).values;
  } catch (e) {
    return [(e as Error).message];
  }
  if (v.help) return "help";
  const p: string[] = [];
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const int = (k: string, min: number, max: number, dflt: number) => {
    const s = str(k);
    if (s === undefined) return dflt;
    if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) p.push(`--${k}: ${JSON.stringify(s)} is not an integer in ${min}..${max}`);
    return Number(s);
  };
  const db = str("db");
  if (!db) p.push("--db: required (the sequencer's SQLite file)");
  else if (!existsSync(db) || !statSync(db).isFile()) p.push(`--db: ${db} is not an existing file (start the sequencer first; its --db)`);
  const redisUrl = str("redis-url");
  if (!redisUrl) p.push("--redis-url: required");
  else if (!isLoopbackRedisUrl(redisUrl)) p.push(`--redis-url: ${JSON.stringify(redisUrl)} is not a redis:// URL on a loopback host with a port`);
  const redisPrefix = str("redis-prefix") ?? CONFIG_DEFAULTS.redisPrefix;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(redisPrefix)) p.push(`--redis-prefix: ${JSON.stringify(redisPrefix)} is not 1 to 64 letters, digits, _ or -`);
  const rpcUrl = str("l1-rpc");
  if (!rpcUrl) p.push("--l1-rpc: required");
  else if (!isLoopbackHttpUrl(rpcUrl)) p.push(`--l1-rpc: ${JSON.stringify(rpcUrl)} is not an http(s) URL on a loopback host`);
  const rollup = str("rollup");
  if (!rollup) p.push("--rollup: required");
  else if (!isAddress(rollup, { strict: false })) p.push(`--rollup: ${JSON.stringify(rollup)} is not an address (0x + 40 hex digits)`);
  const chainId = str("chain-id");
  if (!chainId) p.push("--chain-id: required");
  else if (!/^[1-9][0-9]*$/.test(chainId)) p.push(`--chain-id: ${JSON.stringify(chainId)} is not a positive integer`);
  const key = str("l1-sequencer-key") ?? env.CROSSMARGIN_SEQUENCER_KEY;
  if (!key) p.push("--l1-sequencer-key: required (or set CROSSMARGIN_SEQUENCER_KEY)");
  else if (!/^0x[0-9a-fA-F]{64}$/.test(key)) p.push("--l1-sequencer-key: not a 0x-hex 32-byte private key");
  const confirmations = int("l1-post-confirmations", 1, 1_000, L1_DEFAULTS.postConfirmations);
  const pollMs = int("l1-poll-ms", 10, 600_000, L1_DEFAULTS.pollMs);
  const lockMs = int("lock-ms", 1_000, 3_600_000, 30_000);
  const jobTimeoutMs = int("job-timeout-ms", 1_000, 3_600_000, 120_000);
  if (p.length) return p;
  return {
    db: db!,
    redisUrl: redisUrl!,
    redisPrefix,
    rpcUrl: rpcUrl!,
    rollup: rollup!.toLowerCase() as Address,
    chainId: BigInt(chainId!),
    sequencerKey: key!.toLowerCase() as `0x${string}`,
    confirmations,
    pollMs,
    lockMs,
    jobTimeoutMs,
  };
}

export async function postWorkerMain(argv: string[]): Promise<void> {
  const o = parsePostWorkerCli(argv);
  if (o === "help") {
    console.log(POST_WORKER_USAGE);
    return;
  }
  if (Array.isArray(o)) {
    console.error(`crossmargin post-worker: invalid options\n  ${o.join("\n  ")}\n\nrun with --help for the options`);
    process.exit(2);
  }
  let w: Awaited<ReturnType<typeof startPostWorkerProcess>>;
  try {
    const clients = await connectL1({ rpcUrl: o.rpcUrl, chainId: o.chainId, rollup: o.rollup, sequencerKey: o.sequencerKey });
    w = await startPostWorkerProcess({
      db: o.db,
      redisUrl: o.redisUrl,
      prefix: o.redisPrefix,
      rollup: o.rollup,
      client: clients.public,
      account: clients.sequencer.account,
      confirmations: o.confirmations,
      pollMs: o.pollMs,
      lockDurationMs: o.lockMs,
      jobTimeoutMs: o.jobTimeoutMs,
    });
  } catch (e) {
    console.error(`crossmargin post-worker: cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
  const stop = async () => {
    await w.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}
