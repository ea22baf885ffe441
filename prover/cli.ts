/**
 * `crossmargin-verifier --rpc <url> --rollup <addr> --from-block <n> --genesis <file> --db <file>`
 *
 * Derives every batch of the Rollup from L1, re-executes it and reports each as verified or
 * dispute (JSON lines on stdout; progress on stderr). Every option is validated up front; all
 * problems are printed together and the exit code is 2.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createPublicClient, createWalletClient, http, isAddress, type Address, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { rollupAbi } from "../sequencer/l1/abi.js";
import { Challenger } from "./challenger.js";
import { GameService, gameContext, postedBatch } from "./game.js";
import { ConfigError, parseGenesis } from "../sequencer/config.js";
import type { GenesisConfig } from "../sequencer/state/index.js";
import { isLoopbackRedisUrl } from "../sequencer/distributed/redis.js";
import { Verifier } from "./verifier.js";
import { startVerifyWorker } from "./worker.js";

export const USAGE = `usage: crossmargin-verifier --rpc <url> --rollup <addr> --from-block <n> --genesis <file> --db <file> [options]

  --rpc <url>             L1 JSON-RPC endpoint (http:// or https://)
  --rollup <addr>         the Rollup contract (0x + 40 hex digits)
  --from-block <n>        first L1 block to read (the deployment's block)
  --genesis <file.json>   the genesis configuration the Rollup was deployed with (docs/api.md)
  --db <file>             the verifier's SQLite file (created when missing; resumes from it)
  --confirmations <n>     read batches this many blocks deep (1 = latest; default 1)
  --poll-ms <n>           pause between rounds (default 2000)
  --signature-workers <n> worker threads for signature recovery (0: inline; default 0)
  --status-port <n>       serve GET /status (JSON), /batches/<n> (one verdict) and /metrics (Prometheus)
                          on 127.0.0.1:<n> (0: a free port; default: off); a sequencer's --verifier-url
  --once                  catch up, print the status as JSON and exit (exit code 3 if any batch is disputed)
  --redis-url <url>       distributed mode: answer the verify jobs queued in this Redis (redis://127.0.0.1:<port>)
                          with verdicts, instead of following L1 on a timer
  --redis-prefix <name>   BullMQ key prefix, as the sequencer's (default crossmargin)
  --lock-ms <n>           distributed mode: a killed worker's job moves to another after this long (default 30000)
  --challenger-key <0x..> challenge without a person (or env CROSSMARGIN_CHALLENGER_KEY): prove data faults on L1
                          in one transaction, open and play the bisection game on wrong roots; the key pays
                          the challenger bond and collects what it wins
  --help                  this text`;

export interface CliOptions {
  rpc: string;
  rollup: Address;
  fromBlock: bigint;
  genesis: GenesisConfig;
  genesisFile: string;
  db: string;
  confirmations: number;
  pollMs: number;
  statusPort: number | null;
  signatureWorkers: number;
  once: boolean;
  /** Distributed mode: verify jobs from this Redis. */
  redis: { url: string; prefix: string; lockMs: number } | null;
  /** The challenger's key (absent: detection only). */
  challengerKey: `0x${string}` | null;
}

export class CliError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

function int(v: string | undefined, name: string, min: number, max: number, problems: string[]): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    problems.push(`--${name}: ${JSON.stringify(v)} is not an integer in ${min}..${max}`);
    return undefined;
  }
  return Number(v);
}

/** Parses and validates the command line; throws CliError listing every problem. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        rpc: { type: "string" },
        rollup: { type: "string" },
        "from-block": { type: "string" },
        genesis: { type: "string" },
        db: { type: "string" },
        confirmations: { type: "string" },
        "poll-ms": { type: "string" },
        "status-port": { type: "string" },
        "signature-workers": { type: "string" },
        once: { type: "boolean" },
        "redis-url": { type: "string" },
        "redis-prefix": { type: "string" },
        "lock-ms": { type: "string" },
        "challenger-key": { type: "string" },
        help: { type: "boolean" },
      },
    }));
  } catch (e) {
    throw new CliError([(e as Error).message]);
  }
  if (values.help) return "help";
  const problems: string[] = [];
  const str = (k: string) => values[k] as string | undefined;
  for (const k of ["rpc", "rollup", "from-block", "genesis", "db"]) if (str(k) === undefined || str(k) === "") problems.push(`--${k}: required`);
  const rpc = str("rpc");
  if (rpc) {
    let ok = false;
    try {
      const u = new URL(rpc);
      ok = u.protocol === "http:" || u.protocol === "https:";
    } catch {
      ok = false;
    }
    if (!ok) problems.push(`--rpc: ${JSON.stringify(rpc)} is not an http:// or https:// URL`);
  }
  const rollup = str("rollup");
  if (rollup && !isAddress(rollup, { strict: false })) problems.push(`--rollup: ${JSON.stringify(rollup)} is not an address (0x + 40 hex digits)`);
  const fb = str("from-block");
  let fromBlock: bigint | undefined;
  if (fb !== undefined && fb !== "") {
    if (!/^\d+$/.test(fb)) problems.push(`--from-block: ${JSON.stringify(fb)} is not a block number (a non-negative integer)`);
    else fromBlock = BigInt(fb);
  }
  let genesis: GenesisConfig | undefined;
  const gf = str("genesis");
  if (gf) {
    try {
      genesis = parseGenesis(JSON.parse(readFileSync(gf, "utf8")), gf);
    } catch (e) {
      problems.push(e instanceof ConfigError ? `--genesis: ${e.problems.join("\n  ")}` : `--genesis: cannot read ${gf}: ${(e as Error).message}`);
    }
  }
  const db = str("db");
  if (db) {
    const dir = dirname(resolve(db));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) problems.push(`--db: directory ${dir} does not exist`);
    else if (existsSync(db) && statSync(db).isDirectory()) problems.push(`--db: ${db} is a directory, not a file`);
  }
  const confirmations = int(str("confirmations"), "confirmations", 1, 1000, problems) ?? 1;
  const pollMs = int(str("poll-ms"), "poll-ms", 10, 3_600_000, problems) ?? 2000;
  const signatureWorkers = int(str("signature-workers"), "signature-workers", 0, 256, problems) ?? 0;
  const statusPort = int(str("status-port"), "status-port", 0, 65535, problems) ?? null;
  const redisUrl = str("redis-url");
  if (redisUrl !== undefined && !isLoopbackRedisUrl(redisUrl)) problems.push(`--redis-url: ${JSON.stringify(redisUrl)} is not a redis:// URL on a loopback host with a port`);
  const prefix = str("redis-prefix") ?? "crossmargin";
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(prefix)) problems.push(`--redis-prefix: ${JSON.stringify(prefix)} is not 1 to 64 letters, digits, _ or -`);
  const lockMs = int(str("lock-ms"), "lock-ms", 1_000, 3_600_000, problems) ?? 30_000;
  if (redisUrl === undefined) for (const k of ["redis-prefix", "lock-ms"]) if (str(k) !== undefined) problems.push(`--${k}: only with --redis-url`);
  if (redisUrl !== undefined && values.once) problems.push("--once: not with --redis-url (a worker answers jobs until stopped)");
  const challengerKey = str("challenger-key") ?? env.CROSSMARGIN_CHALLENGER_KEY;
  if (challengerKey !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(challengerKey)) problems.push("--challenger-key: not a 0x-hex 32-byte private key");
  if (challengerKey !== undefined && values.once) problems.push("--challenger-key: not with --once (a challenger plays until stopped)");
  if (problems.length) throw new CliError(problems);
  return { challengerKey: challengerKey === undefined ? null : (challengerKey.toLowerCase() as `0x${string}`), rpc: rpc!, rollup: rollup!.toLowerCase() as Address, fromBlock: fromBlock!, genesis: genesis!, genesisFile: gf!, db: db!, confirmations, pollMs, statusPort, signatureWorkers, once: values.once === true, redis: redisUrl === undefined ? null : { url: redisUrl, prefix, lockMs } };
}

/** The challenger loop: a round every poll interval, beside the verifier's own rounds. */
async function startChallenging(v: Verifier, client: ReturnType<typeof createPublicClient>, o: CliOptions) {
  const account = privateKeyToAccount(o.challengerKey!);
  const chainId = await client.getChainId();
  const wallet = createWalletClient({ account, transport: http(o.rpc, { retryCount: 2 }), chain: { id: chainId, name: "l1", nativeCurrency: { name: "ETH", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [o.rpc] } } } });
  const disputeGame = (await client.readContract({ address: o.rollup, abi: rollupAbi, functionName: "disputeGame" })) as Address;
  const domain = { chainId: BigInt(chainId), verifyingContract: o.rollup };
  const logLine = (l: string) => process.stdout.write(`${l}\n`);
  // viem's client generics differ only in the account slot (none: reads, simulations, receipts).
  const pub = client as unknown as PublicClient;
  const games = new GameService({
    client: pub,
    wallet,
    account,
    disputeGame,
    rollup: o.rollup,
    fromBlock: o.fromBlock,
    logLine,
    contextOf: async (i) => gameContext(await v.stateAfter(i - 1), await postedBatch(client, o.rollup, o.fromBlock, i), domain),
  });
  const ch = new Challenger({ verifier: v, client: pub, wallet, account, rollup: o.rollup, disputeGame, games, logLine });
  process.stderr.write(`crossmargin-verifier: challenging as ${account.address} (dispute game ${disputeGame})\n`);
  let running = true;
  const loop = (async () => {
    while (running) {
      await ch.round().catch((e: Error) => logLine(json({ ts: new Date().toISOString(), level: "warn", component: "challenger", event: "round_error", error: e.message })));
      await new Promise((r) => setTimeout(r, o.pollMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

const json = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? v.toString() : v));

export async function main(argv: string[]): Promise<number> {
  let o: CliOptions | "help";
  try {
    o = parseCli(argv);
  } catch (e) {
    process.stderr.write(`crossmargin-verifier: invalid options:\n  ${(e as CliError).problems?.join("\n  ") ?? (e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (o === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const client = createPublicClient({ transport: http(o.rpc, { retryCount: 2 }), cacheTime: 0 });
  const v = new Verifier({
    client,
    rollup: o.rollup,
    fromBlock: o.fromBlock,
    genesis: o.genesis,
    db: o.db,
    confirmations: o.confirmations,
    pollMs: o.pollMs,
    signatureWorkers: o.signatureWorkers,
    logLine: (l) => process.stdout.write(`${l}\n`),
  });
  try {
    if (o.once) {
      while ((await v.round()) > 0);
      const s = v.status();
      process.stdout.write(`${json(s)}\n`);
      await v.close();
      return s.disputed > 0 ? 3 : 0;
    }
    await v.init();
    if (o.statusPort !== null) {
      const port = await v.serve(o.statusPort, "127.0.0.1");
      process.stderr.write(`crossmargin-verifier: status on http://127.0.0.1:${port}/status, metrics on http://127.0.0.1:${port}/metrics\n`);
    }
  } catch (e) {
    process.stderr.write(`crossmargin-verifier: ${(e as Error).message}\n`);
    await v.close().catch(() => {});
    return 1;
  }
  // Distributed mode: verify jobs drive the rounds; otherwise the verifier's own timer does.
  const worker = o.redis ? startVerifyWorker({ verifier: v, redisUrl: o.redis.url, prefix: o.redis.prefix, pollMs: o.pollMs, lockDurationMs: o.redis.lockMs, logLine: (l) => process.stdout.write(`${l}\n`) }) : null;
  if (worker) process.stderr.write(`crossmargin-verifier: answering verify jobs from ${o.redis!.url} (prefix ${o.redis!.prefix})\n`);
  else v.start();
  const challenging = o.challengerKey ? await startChallenging(v, client, o) : null;
  await new Promise<void>((r) => {
    process.once("SIGINT", r);
    process.once("SIGTERM", r);
  });
  await challenging?.stop();
  await worker?.close();
  await v.close();
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]).replace(/\.ts$/, "") === resolve(new URL(import.meta.url).pathname).replace(/\.ts$/, "")) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
