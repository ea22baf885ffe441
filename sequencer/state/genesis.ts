/**
 * Builds the initial state from a genesis configuration. Risk parameters, markets and assets
 * are validated with the bounds ParamUpdate enforces (ops/paramUpdate.ts), so genesis cannot
 * put a value into the state that governance could not (e.g. a zero pacing window, which
 * would divide by zero at the first liquidation).
 */
import { CORRELATION_GROUPS, NO_ACCOUNT, MAX_ASSETS, MAX_MARKETS, MAX_ORACLE_SIGNERS, MAX_PRICE, PPM, ZERO_ADDRESS } from "./constants.js";
import type { Hex } from "./ops.js";
import { PARAM_BOUNDS, checkTickLot, checkTiers } from "./ops/paramUpdate.js";
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

/** Conservative defaults, in the spirit of dYdX v4 and Hyperliquid (docs/risk.md). */
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
  const risk = checkRiskParams(cfg, fail);
  const signers = cfg.oracleSigners.map((s) => s.toLowerCase() as Hex);
  while (signers.length < MAX_ORACLE_SIGNERS) signers.push(ZERO_ADDRESS);
  const state = new CrossmarginState({
    maxOracleAgeMs: cfg.maxOracleAgeMs,
    oracleBandPpm: cfg.oracleBandPpm,
    nonceWindowMs: cfg.nonceWindowMs,
    oracleThreshold: cfg.oracleThreshold,
    oracleSigners: signers,
    ...risk,
  });
  cfg.assets.forEach((a, i) => {
    if (a.weightPpm < 0n || a.weightPpm > PPM) fail(`asset ${i} weight`);
    if (i === 0 && a.weightPpm !== PPM) fail("the settlement asset has weight 1,000,000");
    if (!Number.isInteger(a.decimals) || a.decimals < 0 || a.decimals > 36) fail(`asset ${i} decimals = ${a.decimals} outside [0, 36]`);
    checkPrice(a.oraclePrice, `asset ${i} oraclePrice`, fail);
    state.assets.push({ decimals: a.decimals, weightPpm: a.weightPpm, oraclePrice: a.oraclePrice ?? 0n, oracleTimestamp: a.oracleTimestamp ?? 0n });
  });
  cfg.markets.forEach((m, i) => {
    const tiers = emptyTiers();
    m.tiers.forEach((t, j) => (tiers[j] = { ...t }));
    wrap(() => checkTickLot(m.tickSize, m.lotSize), `market ${i}`);
    wrap(() => checkTiers(tiers), `market ${i}`);
    const group = m.group ?? 0;
    if (!Number.isInteger(group) || group < 0 || group >= CORRELATION_GROUPS) fail(`market ${i} group = ${group} outside [0, ${CORRELATION_GROUPS - 1}]`);
    if (m.liquidationCap !== undefined) inBounds(m.liquidationCap, PARAM_BOUNDS.liquidationCap, `market ${i} liquidationCap`, fail);
    checkPrice(m.oraclePrice, `market ${i} oraclePrice`, fail);
    state.markets.push(
      newMarket(m.tickSize, m.lotSize, tiers, {
        oraclePrice: m.oraclePrice ?? 0n,
        oracleTimestamp: m.oracleTimestamp ?? 0n,
        group,
        liquidationCap: m.liquidationCap ?? UNLIMITED,
      }),
    );
  });
  if (state.params.liquidationPenaltyPpm >= minMaintenancePpm(cfg.markets)) {
    fail(`risk.liquidationPenaltyPpm = ${state.params.liquidationPenaltyPpm} must be below every market's first maintenance fraction (${minMaintenancePpm(cfg.markets)})`);
  }
  return state;
}

function inBounds(x: unknown, [lo, hi]: readonly [bigint, bigint], what: string, fail: (msg: string) => never): bigint {
  if (typeof x !== "bigint") fail(`${what} must be a bigint, got ${typeof x}`);
  if (x < lo || x > hi) fail(`${what} = ${x} outside [${lo}, ${hi}]`);
  return x;
}

function checkPrice(price: bigint | undefined, what: string, fail: (msg: string) => never): void {
  if (price !== undefined) inBounds(price, [0n, MAX_PRICE], what, fail);
}

/**
 * The genesis risk parameters: RISK_DEFAULTS overridden by `cfg.risk`, each within the bounds
 * ParamUpdate enforces for its key (PARAM_BOUNDS); the error names the field. The penalty's
 * bound (below every market's first maintenance fraction) is checked once markets are known.
 */
function checkRiskParams(cfg: GenesisConfig, fail: (msg: string) => never): RiskParams {
  // A key given as undefined keeps its default (as an absent key does).
  const given = Object.fromEntries(Object.entries(cfg.risk ?? {}).filter(([, v]) => v !== undefined));
  for (const k of Object.keys(given)) {
    if (!(k in RISK_DEFAULTS)) fail(`risk.${k} is not a risk parameter (${Object.keys(RISK_DEFAULTS).join(", ")})`);
  }
  const r = { ...RISK_DEFAULTS, ...given } as RiskParams;
  const B = PARAM_BOUNDS;
  const check = (name: keyof RiskParams, bounds: readonly [bigint, bigint]) => inBounds(r[name], bounds, `risk.${name}`, fail);
  // Below every market's first maintenance fraction (checked by the caller), so ≤ 1e6.
  check("liquidationPenaltyPpm", [0n, PPM]);
  check("liquidationBufferPpm", B.liquidationBufferPpm);
  check("pacingWindowMs", B.pacingWindowMs);
  check("accountLiquidationCap", B.liquidationCap);
  check("insuranceLossCap", B.liquidationCap);
  check("fundingIntervalMs", B.fundingIntervalMs);
  check("maxFundingRatePpm", B.maxFundingRatePpm);
  check("portfolioFloorPpm", B.portfolioFloorPpm);
  check("portfolioMaintenancePpm", B.portfolioMaintenancePpm);
  const shocks = r.groupShocksPpm as unknown;
  if (!Array.isArray(shocks) || shocks.length !== CORRELATION_GROUPS) fail(`risk.groupShocksPpm must have ${CORRELATION_GROUPS} entries`);
  const groupShocksPpm = (shocks as unknown[]).map((x, g) => inBounds(x, B.groupShockPpm, `risk.groupShocksPpm[${g}]`, fail));
  // ParamUpdate accepts only an existing account or none; genesis has no accounts yet.
  const backstop = r.backstopAccount as unknown;
  if (backstop !== NO_ACCOUNT && backstop !== BigInt(NO_ACCOUNT)) {
    fail(`risk.backstopAccount = ${String(backstop)} must be ${NO_ACCOUNT} (no account exists at genesis; set it with ParamUpdate key 42)`);
  }
  return { ...r, groupShocksPpm, backstopAccount: NO_ACCOUNT };
}

function minMaintenancePpm(markets: GenesisMarket[]): bigint {
  let m = PPM;
  for (const x of markets) if (x.tiers[0] && x.tiers[0].mmfPpm < m) m = x.tiers[0].mmfPpm;
  return m;
}
