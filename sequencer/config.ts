/**
 * The sequencer's configuration and genesis file, validated at start: every bad value is
 * reported with the option (or JSON path) it came from and what is expected.
 */
import { availableParallelism } from "node:os";
import { z } from "zod";
import type { GenesisConfig } from "./state/genesis.js";
import type { Hex } from "./state/ops.js";
import { maxBatchBytes } from "./codec/gas.js";
import { isLoopbackRedisUrl } from "./distributed/redis.js";

/** True for an http(s) URL on a loopback host (the sequencer and its workers talk to a local L1 node only). */
export function isLoopbackHttpUrl(u: string): boolean {
  try {
    const url = new URL(u);
    return (url.protocol === "http:" || url.protocol === "https:") && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  } catch {
    return false;
  }
}

const loopbackUrl = z.string().refine(isLoopbackHttpUrl, "an http URL on a loopback host (http://127.0.0.1:<port>)");

/** L1 mode: derive L1 inputs from the Rollup's queue and post sealed batches to it. */
export const L1ConfigSchema = z
  .object({
    /** JSON-RPC URL of the L1 node (loopback only). */
    rpcUrl: loopbackUrl,
    /** First block of the deployment (derivation scans the Rollup's logs from here). */
    fromBlock: z.bigint().min(0n),
    /** The sequencer's private key (the Rollup's sequencer: it signs batch transactions). */
    sequencerKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a 0x-hex 32-byte private key").transform((s) => s.toLowerCase() as Hex),
    /** Blocks below the L1 head an L1 input must be before it enters the state. */
    confirmations: z.number().int().min(0).max(256),
    /** Blocks (inclusive) before the poster counts a batch as confirmed. */
    postConfirmations: z.number().int().min(1).max(256),
    /** Pause between derivation and posting rounds (ms). */
    pollMs: z.number().int().min(10).max(60_000),
  })
  .strict();
export type L1Config = z.output<typeof L1ConfigSchema>;

export const L1_DEFAULTS = { fromBlock: 0n, confirmations: 2, postConfirmations: 2, pollMs: 250 };

const bigintString = z.union([z.string().regex(/^-?[0-9]+$/, "a decimal integer string"), z.number().int()]).transform((v) => BigInt(v));
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "a 0x-hex address")
  .transform((s) => s.toLowerCase() as Hex);

const tier = z.object({ notionalCap: bigintString, imfPpm: bigintString, mmfPpm: bigintString }).strict();

export const GenesisSchema = z
  .object({
    maxOracleAgeMs: bigintString,
    oracleBandPpm: bigintString,
    nonceWindowMs: bigintString,
    oracleThreshold: z.number().int().min(1),
    oracleSigners: z.array(address).min(1),
    risk: z.record(z.string(), z.union([bigintString, z.array(bigintString)])).optional(),
    assets: z
      .array(z.object({ decimals: z.number().int().min(0).max(36), weightPpm: bigintString, oraclePrice: bigintString.optional(), oracleTimestamp: bigintString.optional() }).strict())
      .min(1),
    markets: z.array(
      z
        .object({
          tickSize: bigintString,
          lotSize: bigintString,
          tiers: z.array(tier).min(1),
          group: z.number().int().min(0).optional(),
          liquidationCap: bigintString.optional(),
          oraclePrice: bigintString.optional(),
          oracleTimestamp: bigintString.optional(),
        })
        .strict(),
    ),
  })
  .strict();

export function parseGenesis(json: unknown, source = "genesis"): GenesisConfig {
  const r = GenesisSchema.safeParse(json);
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => `${source}: ${i.path.join(".") || "(root)"}: ${i.message}`));
  return r.data as unknown as GenesisConfig;
}

export const SequencerConfigSchema = z
  .object({
    /** SQLite op log file (created when missing). */
    db: z.string().min(1, "a file path"),
    host: z.string().refine((h) => h === "127.0.0.1" || h === "localhost" || h === "::1", "only loopback addresses (127.0.0.1, ::1, localhost)"),
    port: z.number().int().min(0).max(65535),
    /** EIP-712 domain: the L1 chain id and the Rollup contract address. */
    chainId: z.bigint().min(1n),
    rollup: address,
    batchIntervalMs: z.number().int().min(10).max(3_600_000),
    batchMaxOps: z.number().int().min(1).max(1_000_000),
    /** Most bytes of batch data (the codec's) per batch: at most what decodes on L1 under the decode gas bound. */
    /** Omitted: the L1 decode bound in L1 mode, no byte cap without L1 (nothing is posted). */
    batchMaxBytes: z.number().int().min(1024).max(maxBatchBytes(), `at most maxBatchBytes(DECODE_GAS_BOUND) = ${maxBatchBytes()} (docs/codec.md §4)`).optional(),
    snapshotEveryOps: z.number().int().min(1),
    maxBodyBytes: z.number().int().min(1024).max(16 * 1024 * 1024),
    /** Operations per second per signing key (0: unlimited) and the burst. */
    rateLimit: z.number().min(0),
    rateBurst: z.number().int().min(1),
    signatureWorkers: z.number().int().min(1).max(64),
    streamBuffer: z.number().int().min(1000),
    /** "FULL" fsyncs every commit (survives power loss); "NORMAL" only survives a process crash. */
    synchronous: z.enum(["FULL", "NORMAL"]),
    /** Dev mode: POST /v1/dev/deposit stands in for the L1 vault. */
    devDeposits: z.boolean(),
    /** L1 mode (absent: no L1; inputs only from dev deposits, nothing posted). */
    l1: L1ConfigSchema.optional(),
    /** "embedded": in-process timers; "distributed": a BullMQ job scheduler over Redis drives sealing (sequencer/distributed). */
    mode: z.enum(["embedded", "distributed"]),
    /** Redis for distributed mode: a redis:// URL on a loopback host (redis://127.0.0.1:6379). */
    redisUrl: z.string().refine(isLoopbackRedisUrl, "a redis:// URL on a loopback host with a port (redis://127.0.0.1:6379)").optional(),
    /** BullMQ key prefix: deployments sharing one Redis keep apart by it. */
    redisPrefix: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1 to 64 letters, digits, _ or -"),
    /** A verifier's status server (crossmargin-verifier --status-port) whose judgement GET /v1/verifier reports. */
    verifierUrl: loopbackUrl.refine((u) => /^https?:\/\/[^/?#]+\/?$/.test(u), "the verifier's base URL without a path (http://127.0.0.1:<status-port>)").optional(),
  })
  .strict()
  .refine((c) => c.mode !== "distributed" || c.redisUrl !== undefined, { path: ["redisUrl"], message: "required in distributed mode (--mode distributed)" })
  .refine((c) => c.mode !== "distributed" || c.l1 !== undefined, {
    path: ["mode"],
    message: "distributed mode runs the L1 stages (posting, verification) as workers over Redis: it needs L1 mode (--l1-rpc)",
  })
  .refine((c) => !(c.devDeposits && c.l1), {
    path: ["devDeposits"],
    message: "cannot be combined with L1 mode (--l1-rpc): deposits come from the Vault on L1; drop --dev-deposits",
  });

export type SequencerConfig = z.output<typeof SequencerConfigSchema> & {
  genesis: GenesisConfig;
  clock?: () => bigint;
  /** Where the L1 poster's, deriver's and seal lines go as JSON strings (default: `logger`). */
  l1Log?: (line: string) => void;
  /** The service's structured log (default: pino on stdout, sequencer/log.ts). */
  logger?: import("./log.js").Logger;
};

export const CONFIG_DEFAULTS = {
  host: "127.0.0.1",
  port: 8545 + 1000,
  chainId: 31337n,
  rollup: "0x0000000000000000000000000000000000c0ffee" as Hex,
  batchIntervalMs: 1000,
  batchMaxOps: 10_000,
  snapshotEveryOps: 200_000,
  maxBodyBytes: 256 * 1024,
  rateLimit: 2_000,
  rateBurst: 4_000,
  signatureWorkers: Math.max(1, availableParallelism()),
  streamBuffer: 100_000,
  synchronous: "FULL" as const,
  devDeposits: false,
  mode: "embedded" as const,
  redisPrefix: "crossmargin",
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
}

export function validateConfig(raw: Record<string, unknown>, genesis: GenesisConfig): SequencerConfig {
  const l1 = raw.l1 === undefined ? {} : { l1: { ...L1_DEFAULTS, ...(raw.l1 as object) } };
  const r = SequencerConfigSchema.safeParse({ ...CONFIG_DEFAULTS, ...raw, ...l1 });
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => `--${optionName(i.path)}: ${i.message}`));
  return { ...r.data, genesis };
}

export const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The CLI option a config path comes from (`l1.rpcUrl` → `l1-rpc-url`). */
export const L1_OPTION: Record<string, string> = {
  rpcUrl: "l1-rpc",
  fromBlock: "l1-from-block",
  sequencerKey: "l1-sequencer-key",
  confirmations: "l1-confirmations",
  postConfirmations: "l1-post-confirmations",
  pollMs: "l1-poll-ms",
};
function optionName(path: readonly PropertyKey[]): string {
  if (path[0] === "l1") return path[1] === undefined ? "l1-rpc" : (L1_OPTION[String(path[1])] ?? `l1-${kebab(String(path[1]))}`);
  return kebab(String(path[0] ?? ""));
}
