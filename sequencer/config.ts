/**
 * The sequencer's configuration and genesis file, validated at start: every bad value is
 * reported with the option (or JSON path) it came from and what is expected.
 */
import { availableParallelism } from "node:os";
import { z } from "zod";
import type { GenesisConfig } from "./state/genesis.js";
import type { Hex } from "./state/ops.js";

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
  })
  .strict();

export type SequencerConfig = z.output<typeof SequencerConfigSchema> & { genesis: GenesisConfig; clock?: () => bigint };

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
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
}

export function validateConfig(raw: Record<string, unknown>, genesis: GenesisConfig): SequencerConfig {
  const r = SequencerConfigSchema.safeParse({ ...CONFIG_DEFAULTS, ...raw });
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => `--${kebab(String(i.path[0] ?? ""))}: ${i.message}`));
  return { ...r.data, genesis };
}

export const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
