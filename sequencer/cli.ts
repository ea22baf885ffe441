/**
 * `crossmargin sequencer --db <file> --port <n> ...`: starts the embedded sequencer. Every
 * option is validated before anything opens; each bad value is reported with its option.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { maxBatchBytes } from "./codec/index.js";
import { CONFIG_DEFAULTS, ConfigError, L1_DEFAULTS, kebab, parseGenesis, validateConfig } from "./config.js";
import { devnetGenesis } from "./devnet.js";
import { startSequencer } from "./service.js";
import { OPERATOR_COMMANDS, USAGE as OPERATOR_USAGE } from "./cli/commands.js";

const USAGE = `usage: crossmargin sequencer --db <file> [options]

  --db <file>                 SQLite op log (created when missing)            required
  --port <n>                  HTTP port on 127.0.0.1 (0 = any free port)      default ${CONFIG_DEFAULTS.port}
  --host <addr>               loopback address to bind                        default ${CONFIG_DEFAULTS.host}
  --genesis <file.json>       genesis (docs/api.md); default: the devnet genesis
  --chain-id <n>              L1 chain id of the EIP-712 domain               default ${CONFIG_DEFAULTS.chainId}
  --rollup <address>          Rollup contract (EIP-712 verifyingContract)     default ${CONFIG_DEFAULTS.rollup}
  --batch-interval-ms <n>     seal a batch at least this often                default ${CONFIG_DEFAULTS.batchIntervalMs}
  --batch-max-ops <n>         seal as soon as a batch holds this many ops     default ${CONFIG_DEFAULTS.batchMaxOps}
  --snapshot-every-ops <n>    snapshot the state this often                   default ${CONFIG_DEFAULTS.snapshotEveryOps}
  --max-body-bytes <n>        request body limit                              default ${CONFIG_DEFAULTS.maxBodyBytes}
  --rate-limit <n>            ops/s per signing key (0 = unlimited)           default ${CONFIG_DEFAULTS.rateLimit}
  --rate-burst <n>            burst per signing key                           default ${CONFIG_DEFAULTS.rateBurst}
  --signature-workers <n>     signature recovery threads                      default: one per core
  --stream-buffer <n>         ops kept for stream resumption                  default ${CONFIG_DEFAULTS.streamBuffer}
  --synchronous FULL|NORMAL   FULL survives power loss, NORMAL a crash only   default ${CONFIG_DEFAULTS.synchronous}
  --batch-max-bytes <n>       seal before a batch's data exceeds this         default: the L1 decode bound (${maxBatchBytes()}) in L1 mode, none without L1
  --dev-deposits              enable POST /v1/dev/deposit (no L1 vault; not with --l1-rpc)
  --mode embedded|distributed embedded: in-process timers and poster; distributed: a BullMQ
                              job scheduler over Redis seals, post workers post   default ${CONFIG_DEFAULTS.mode}
  --redis-url <url>           distributed mode's Redis (redis://127.0.0.1:<port>)
  --redis-prefix <name>       BullMQ key prefix                                default ${CONFIG_DEFAULTS.redisPrefix}
  --verifier-url <url>        a verifier's status server on loopback (crossmargin-verifier --status-port):
                              GET /v1/verifier reports its judgement      default: none

L1 mode (all of these need --l1-rpc; --chain-id and --rollup must match the deployment):
  --l1-rpc <url>              L1 JSON-RPC on loopback: follow the Rollup's queue, post batches
  --l1-sequencer-key <0x..>   the Rollup's sequencer key (or env CROSSMARGIN_SEQUENCER_KEY)
  --l1-from-block <n>         the deployment's first block                    default ${L1_DEFAULTS.fromBlock}
  --l1-confirmations <n>      blocks below the head before an L1 input counts default ${L1_DEFAULTS.confirmations}
  --l1-post-confirmations <n> blocks before a posted batch is confirmed      default ${L1_DEFAULTS.postConfirmations}
  --l1-poll-ms <n>            pause between derivation / posting rounds       default ${L1_DEFAULTS.pollMs}
  In L1 mode the Rollup's governed batchInterval and maxBatchSize drive sealing.

Other commands:
  crossmargin post-worker --help   distributed mode's batch poster (a separate process)
  crossmargin gateway --help       a stateless HTTP/WebSocket front of the sequencer (run several)`;

const INT_OPTIONS = ["port", "batchIntervalMs", "batchMaxOps", "batchMaxBytes", "snapshotEveryOps", "maxBodyBytes", "rateBurst", "signatureWorkers", "streamBuffer"] as const;
const L1_OPTIONS = ["l1-rpc", "l1-sequencer-key", "l1-from-block", "l1-confirmations", "l1-post-confirmations", "l1-poll-ms"] as const;

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === "post-worker") {
    const { postWorkerMain } = await import("./distributed/cli.js");
    return postWorkerMain(rest);
  }
  if (command === "gateway") {
    const { gatewayMain } = await import("./gateway/cli.js");
    return gatewayMain(rest);
  }
  if (command !== undefined && (OPERATOR_COMMANDS as readonly string[]).includes(command)) {
    const { operatorMain } = await import("./cli/index.js");
    process.exit(await operatorMain(command, rest));
  }
  if (command !== "sequencer") {
    console.error(command === undefined || command === "--help" ? `${USAGE}\n\n${OPERATOR_USAGE}` : `unknown command "${command}"\n\n${USAGE}\n\n${OPERATOR_USAGE}`);
    process.exit(command === "--help" ? 0 : 2);
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(
      ["db", "port", "host", "genesis", "chain-id", "rollup", "batch-interval-ms", "batch-max-ops", "snapshot-every-ops", "max-body-bytes", "rate-limit", "rate-burst", "signature-workers", "stream-buffer", "synchronous", "batch-max-bytes", "mode", "redis-url", "redis-prefix", "verifier-url", ...L1_OPTIONS].map((k) => [
        k,
        { type: "string" as const },
      ]),
    );
    values = parseArgs({ args: rest, options: { ...options, "dev-deposits": { type: "boolean" }, help: { type: "boolean" } }, strict: true }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};
  const camel = (k: string) => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  // L1 mode: --l1-rpc switches it on; the other --l1-* options need it.
  const l1: Record<string, unknown> = {};
  const sequencerKey = values["l1-sequencer-key"] ?? process.env.CROSSMARGIN_SEQUENCER_KEY;
  if (values["l1-rpc"] !== undefined) {
    l1.rpcUrl = values["l1-rpc"];
    if (sequencerKey === undefined) problems.push("--l1-sequencer-key: required with --l1-rpc (or set CROSSMARGIN_SEQUENCER_KEY)");
    else l1.sequencerKey = sequencerKey;
    raw.l1 = l1;
  } else {
    for (const k of L1_OPTIONS) if (values[k] !== undefined) problems.push(`--${k}: only with --l1-rpc (L1 mode)`);
  }
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || k === "genesis" || k === "help" || k === "l1-rpc" || k === "l1-sequencer-key") continue;
    if (k === "l1-from-block") {
      if (!/^[0-9]+$/.test(String(v))) problems.push(`--l1-from-block: "${v}" is not a block number`);
      else l1.fromBlock = BigInt(String(v));
      continue;
    }
    if (k.startsWith("l1-")) {
      const n = Number(v);
      const key = { "l1-confirmations": "confirmations", "l1-post-confirmations": "postConfirmations", "l1-poll-ms": "pollMs" }[k]!;
      if (String(v).trim() === "" || !Number.isFinite(n)) problems.push(`--${k}: "${v}" is not a number`);
      else l1[key] = n;
      continue;
    }
    const key = camel(k);
    if (key === "devDeposits") raw[key] = v === true;
    else if ((INT_OPTIONS as readonly string[]).includes(key) || key === "rateLimit") {
      const n = Number(v);
      if (String(v).trim() === "" || !Number.isFinite(n)) problems.push(`--${k}: "${v}" is not a number`);
      else raw[key] = n;
    } else if (key === "chainId") {
      if (!/^[0-9]+$/.test(String(v))) problems.push(`--chain-id: "${v}" is not a positive integer`);
      else raw[key] = BigInt(String(v));
    } else raw[key] = v;
  }
  if (values.db === undefined) problems.push("--db: required (the SQLite op log file)");
  let genesis = devnetGenesis();
  if (typeof values.genesis === "string") {
    try {
      genesis = parseGenesis(JSON.parse(readFileSync(values.genesis, "utf8")), values.genesis);
    } catch (e) {
      problems.push(e instanceof ConfigError ? e.problems.join("\n  ") : `--genesis: cannot read ${values.genesis}: ${(e as Error).message}`);
    }
  }
  let cfg: ReturnType<typeof validateConfig> | undefined;
  try {
    cfg = validateConfig(raw, genesis);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // Report every bad value at once; a missing --db is already in `problems`.
    for (const p of e.problems) if (!problems.some((q) => q.split(":")[0] === p.split(":")[0])) problems.push(p);
  }
  if (problems.length > 0 || cfg === undefined) {
    console.error(`crossmargin sequencer: invalid configuration\n  ${problems.join("\n  ")}\n\nrun with --help for the options`);
    process.exit(2);
  }
  let seq: Awaited<ReturnType<typeof startSequencer>>;
  try {
    seq = await startSequencer(cfg);
  } catch (e) {
    console.error(`crossmargin sequencer: cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
  console.log(
    JSON.stringify({
      event: "started",
      url: seq.url,
      db: cfg.db,
      snapshotSeq: seq.started.snapshotSeq,
      replayed: seq.started.replayed,
      seq: seq.started.seq,
      root: seq.started.root,
      startMs: Math.round(seq.started.ms),
      options: Object.fromEntries(Object.entries(cfg).filter(([k]) => k !== "genesis" && k !== "l1").map(([k, v]) => [kebab(k), typeof v === "bigint" ? v.toString() : v])),
      // The key stays secret: only its address is printed.
      l1: seq.l1 && { ...cfg.l1, sequencerKey: undefined, sequencer: seq.l1.clients.sequencer.account.address, fromBlock: cfg.l1!.fromBlock.toString() },
    }),
  );
  const stop = async (signal: string) => {
    console.log(JSON.stringify({ event: "stopping", signal }));
    await seq.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}

await main(process.argv.slice(2));
