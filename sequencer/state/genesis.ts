/** Builds the initial state from a genesis configuration, validated like a ParamUpdate. */
import { CORRELATION_GROUPS, NO_ACCOUNT, MAX_ASSETS, MAX_MARKETS, MAX_ORACLE_SIGNERS, PPM, ZERO_ADDRESS } from "./constants.js";
import type { Hex } from "./ops.js";
import { checkTickLot, checkTiers } from "./ops/paramUpdate.js";
import { Rejection } from "./reasons.js";
import { CrossmarginState, type MarginTier, type Params, emptyTiers, newMarket } from "./state.js";

export interface GenesisMarket {
  tickSize: bigint;
  lotSize: bigint;
  tiers: MarginTier[];
  /** Portfolio-margin correlation group (default 0). */
  group?: number;
  /** Notional liquidated per pacing window (default: unlimited). */
  liquidationCap?: bigint;
  oraclePrice?: bigint;
  oracleTimestamp?: bigint;
}
export interface GenesisAsset {
  decimals: number;
  weightPpm: bigint;
  oraclePrice?: bigint;
  oracleTimestamp?: bigint;
}
export interface GenesisConfig {
  maxOracleAgeMs: bigint;
  oracleBandPpm: bigint;
  nonceWindowMs: bigint;
  oracleThreshold: number;
  oracleSigners: Hex[];
  /** Risk parameters (docs/risk.md); defaults in RISK_DEFAULTS. */
  risk?: Partial<RiskParams>;
  /** Asset 0 is the settlement asset (weight 1, valued one for one). */
  assets: GenesisAsset[];
  markets: GenesisMarket[];
}

/** The risk engine's parameters (docs/risk.md): the part of Params genesis may override. */
export type RiskParams = Omit<Params, "maxOracleAgeMs" | "oracleBandPpm" | "nonceWindowMs" | "oracleThreshold" | "oracleSigners">;

const UNLIMITED = (1n << 64n) - 1n;

/** Conservative defaults, in the spirit of dYdX v4 and Hyperliquid (ANCHORS.md). */
export const RISK_DEFAULTS: RiskParams = {
  liquidationPenaltyPpm: 10_000n, // 1% of liquidated notional to the insurance fund
  liquidationBufferPpm: 100_000n, // stop at maintenance × 1.1
  pacingWindowMs: 1_000n,
  accountLiquidationCap: UNLIMITED,
  insuranceLossCap: UNLIMITED,
  fundingIntervalMs: 3_600_000n,
  maxFundingRatePpm: 40_000n, // 4% per interval (Hyperliquid's hourly cap)
  portfolioFloorPpm: 20_000n,
  portfolioMaintenancePpm: 500_000n, // maintenance = 50% of initial (Paradex)
  groupShocksPpm: [160_000n, 250_000n, 0n, 0n, 0n, 0n, 0n, 0n], // ±16% crypto majors, ±25% others
  backstopAccount: NO_ACCOUNT,
};

export function createGenesisState(cfg: GenesisConfig): CrossmarginState {
  const fail = (msg: string): never => {
    throw new Error(`invalid genesis: ${msg}`);
  };
  const wrap = (f: () => void, what: string) => {
    try {
      f();
    } catch (e) {
      if (e instanceof Rejection) fail(`${what}: ${e.detail ?? e.reason}`);
      throw e;
    }
  };
  if (cfg.oracleSigners.length > MAX_ORACLE_SIGNERS) fail("too many oracle signers");
  if (cfg.oracleThreshold < 1 || cfg.oracleThreshold > cfg.oracleSigners.length) fail("oracle threshold");
  if (cfg.assets.length < 1 || cfg.assets.length > MAX_ASSETS) fail("1..MAX_ASSETS assets");
  if (cfg.markets.length > MAX_MARKETS) fail("too many markets");
  const signers = cfg.oracleSigners.map((s) => s.toLowerCase() as Hex);
  while (signers.length < MAX_ORACLE_SIGNERS) signers.push(ZERO_ADDRESS);
  const state = new CrossmarginState({
    maxOracleAgeMs: cfg.maxOracleAgeMs,
    oracleBandPpm: cfg.oracleBandPpm,
    nonceWindowMs: cfg.nonceWindowMs,
    oracleThreshold: cfg.oracleThreshold,
    oracleSigners: signers,
    ...RISK_DEFAULTS,
    ...cfg.risk,
  });
  if (state.params.liquidationPenaltyPpm >= minMaintenancePpm(cfg.markets)) fail("liquidation penalty must be below every market's first maintenance fraction");
  if (state.params.groupShocksPpm.length !== CORRELATION_GROUPS) fail("groupShocksPpm length");
  cfg.assets.forEach((a, i) => {
    if (a.weightPpm < 0n || a.weightPpm > PPM) fail(`asset ${i} weight`);
    if (i === 0 && a.weightPpm !== PPM) fail("the settlement asset has weight 1,000,000");
    state.assets.push({ decimals: a.decimals, weightPpm: a.weightPpm, oraclePrice: a.oraclePrice ?? 0n, oracleTimestamp: a.oracleTimestamp ?? 0n });
  });
  cfg.markets.forEach((m, i) => {
    const tiers = emptyTiers();
    m.tiers.forEach((t, j) => (tiers[j] = { ...t }));
    wrap(() => checkTickLot(m.tickSize, m.lotSize), `market ${i}`);
    wrap(() => checkTiers(tiers), `market ${i}`);
    state.markets.push(
      newMarket(m.tickSize, m.lotSize, tiers, {
        oraclePrice: m.oraclePrice ?? 0n,
        oracleTimestamp: m.oracleTimestamp ?? 0n,
        group: m.group ?? 0,
        liquidationCap: m.liquidationCap ?? UNLIMITED,
      }),
    );
  });
  return state;
}

function minMaintenancePpm(markets: GenesisMarket[]): bigint {
  let m = PPM;
  for (const x of markets) if (x.tiers[0] && x.tiers[0].mmfPpm < m) m = x.tiers[0].mmfPpm;
  return m;
}
