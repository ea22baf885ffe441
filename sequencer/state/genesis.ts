/** Builds the initial state from a genesis configuration, validated like a ParamUpdate. */
import { MARKET_ACTIVE, MAX_ASSETS, MAX_MARKETS, MAX_ORACLE_SIGNERS, PPM, ZERO_ADDRESS } from "./constants.js";
import type { Hex } from "./ops.js";
import { checkTickLot, checkTiers } from "./ops/paramUpdate.js";
import { Rejection } from "./reasons.js";
import { CrossmarginState, type MarginTier, emptyTiers } from "./state.js";

export interface GenesisMarket {
  tickSize: bigint;
  lotSize: bigint;
  tiers: MarginTier[];
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
  /** Asset 0 is the settlement asset (weight 1, valued one for one). */
  assets: GenesisAsset[];
  markets: GenesisMarket[];
}

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
  });
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
    state.markets.push({
      status: MARKET_ACTIVE,
      tickSize: m.tickSize,
      lotSize: m.lotSize,
      tiers,
      oraclePrice: m.oraclePrice ?? 0n,
      oracleTimestamp: m.oracleTimestamp ?? 0n,
      fundingIndex: 0n,
      openInterest: 0n,
      root: null,
      tiersRoot: null,
    });
  });
  return state;
}
