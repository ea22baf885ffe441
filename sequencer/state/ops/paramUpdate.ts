/**
 * Governance parameter changes, applied where the L1 queue puts them. The L1 Governance
 * contract enforces bounds and step limits before enqueueing; the STF re-checks the bounds
 * it depends on so a bad value can never enter the state (it is refused, and the queue item
 * is still consumed).
 *
 * `value` is 32 bytes; integer fields are little-endian at the byte offsets listed per key
 * (docs/protocol.md, "ParamUpdate keys").
 */
import { CORRELATION_GROUPS, MARGIN_TIERS, MARKET_ACTIVE, NO_ACCOUNT, MARKET_HALTED, MAX_ASSETS, MAX_MARKETS, MAX_ORACLE_SIGNERS, PPM, SIZE_SCALE, ZERO_ADDRESS } from "../constants.js";
import { bytesToHex, hexToBytes } from "../bytes.js";
import type { Hex, ParamUpdate } from "../ops.js";
import { reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { type CrossmarginState, type MarginTier, emptyTiers, markMarket, newMarket } from "../state.js";

export const PARAM_KEYS = {
  MAX_ORACLE_AGE_MS: 1,
  ORACLE_BAND_PPM: 2,
  NONCE_WINDOW_MS: 3,
  ORACLE_THRESHOLD: 4,
  ORACLE_SIGNER: 5,
  MARKET_STATUS: 10,
  MARKET_TICK_LOT: 11,
  MARKET_TIER: 12,
  LIST_MARKET: 13,
  ASSET_WEIGHT: 20,
  LIST_ASSET: 21,
  LIQUIDATION_PENALTY_PPM: 30,
  LIQUIDATION_BUFFER_PPM: 31,
  PACING_WINDOW_MS: 32,
  ACCOUNT_LIQUIDATION_CAP: 33,
  INSURANCE_LOSS_CAP: 34,
  FUNDING_INTERVAL_MS: 35,
  MAX_FUNDING_RATE_PPM: 36,
  PORTFOLIO_FLOOR_PPM: 37,
  PORTFOLIO_MAINTENANCE_PPM: 38,
  GROUP_SHOCK_PPM: 39,
  MARKET_GROUP: 40,
  MARKET_LIQUIDATION_CAP: 41,
  BACKSTOP_ACCOUNT: 42,
} as const;

export const PARAM_BOUNDS = {
  maxOracleAgeMs: [1_000n, 86_400_000n],
  oracleBandPpm: [1n, 1_000_000n],
  nonceWindowMs: [1_000n, 7n * 86_400_000n],
  liquidationBufferPpm: [0n, 1_000_000n],
  pacingWindowMs: [100n, 3_600_000n],
  liquidationCap: [1n, (1n << 64n) - 1n],
  fundingIntervalMs: [60_000n, 86_400_000n],
  maxFundingRatePpm: [0n, 100_000n],
  portfolioFloorPpm: [1_000n, 1_000_000n],
  portfolioMaintenancePpm: [100_000n, 1_000_000n],
  groupShockPpm: [0n, 1_000_000n],
} as const;

/** The lowest first-band maintenance fraction of all markets: the penalty must stay below it. */
function lowestMaintenance(state: CrossmarginState, tiersOverride?: { market: number; tiers: MarginTier[] }): bigint {
  let low = PPM;
  state.markets.forEach((m, i) => {
    const t = (tiersOverride && tiersOverride.market === i ? tiersOverride.tiers : m.tiers)[0]!;
    if (t.mmfPpm < low) low = t.mmfPpm;
  });
  return low;
}

function u(value: Uint8Array, offset: number, bytes: number): bigint {
  let x = 0n;
  for (let i = bytes - 1; i >= 0; i--) x = (x << 8n) | BigInt(value[offset + i]!);
  return x;
}

function inBounds(x: bigint, [lo, hi]: readonly [bigint, bigint]): bigint {
  if (x < lo || x > hi) reject("PARAM_INVALID", `${x} outside [${lo}, ${hi}]`);
  return x;
}

/** A market's tick and lot must make every fill's quote amount an integer. */
export function checkTickLot(tick: bigint, lot: bigint): void {
  if (tick <= 0n || lot <= 0n || (tick * lot) % SIZE_SCALE !== 0n) reject("PARAM_INVALID", "tick × lot must be a positive multiple of 1e8");
}

/** Used tiers come first, caps strictly increase, fractions do not decrease, mmf ≤ imf ≤ 100%. */
export function checkTiers(tiers: MarginTier[]): void {
  let used = true;
  for (let i = 0; i < tiers.length; i++) {
    const t = tiers[i]!;
    if (t.imfPpm === 0n) {
      if (i === 0 || t.mmfPpm !== 0n || t.notionalCap !== 0n) reject("PARAM_INVALID", "tier 0 must be used; unused tiers are zero");
      used = false;
      continue;
    }
    if (!used) reject("PARAM_INVALID", "a used tier after an unused one");
    if (t.mmfPpm <= 0n || t.mmfPpm > t.imfPpm || t.imfPpm > PPM) reject("PARAM_INVALID", "need 0 < mmf ≤ imf ≤ 1e6");
    if (i > 0) {
      const p = tiers[i - 1]!;
      if (t.imfPpm < p.imfPpm || t.mmfPpm < p.mmfPpm) reject("PARAM_INVALID", "fractions must not decrease");
      const isLast = i + 1 === tiers.length || tiers[i + 1]!.imfPpm === 0n;
      if (!isLast && t.notionalCap <= p.notionalCap) reject("PARAM_INVALID", "caps must increase");
    }
  }
}

export function processParamUpdate(state: CrossmarginState, op: ParamUpdate, events: StfEvent[]): void {
  const v = hexToBytes(op.value);
  if (v.length !== 32) reject("PARAM_INVALID", "value must be 32 bytes");
  const p = state.params;
  const K = PARAM_KEYS;
  switch (op.key) {
    case K.MAX_ORACLE_AGE_MS:
      p.maxOracleAgeMs = inBounds(u(v, 0, 8), PARAM_BOUNDS.maxOracleAgeMs);
      break;
    case K.ORACLE_BAND_PPM:
      p.oracleBandPpm = inBounds(u(v, 0, 8), PARAM_BOUNDS.oracleBandPpm);
      break;
    case K.NONCE_WINDOW_MS:
      p.nonceWindowMs = inBounds(u(v, 0, 8), PARAM_BOUNDS.nonceWindowMs);
      break;
    case K.ORACLE_THRESHOLD: {
      const t = u(v, 0, 8);
      const members = p.oracleSigners.filter((s) => s !== ZERO_ADDRESS).length;
      if (t < 1n || t > BigInt(members)) reject("PARAM_INVALID", "threshold must be within 1..signers");
      p.oracleThreshold = Number(t);
      break;
    }
    case K.ORACLE_SIGNER: {
      if (op.target >= MAX_ORACLE_SIGNERS) reject("PARAM_INVALID", "signer slot");
      const signer = bytesToHex(v.subarray(0, 20)) as Hex;
      if (signer !== ZERO_ADDRESS && p.oracleSigners.some((s, i) => s === signer && i !== op.target)) reject("PARAM_INVALID", "duplicate signer");
      const next = p.oracleSigners.map((s, i) => (i === op.target ? signer : s));
      if (next.filter((s) => s !== ZERO_ADDRESS).length < p.oracleThreshold) reject("PARAM_INVALID", "fewer signers than the threshold");
      p.oracleSigners = next;
      break;
    }
    case K.MARKET_STATUS: {
      const m = state.markets[op.target] ?? reject("MARKET_UNKNOWN");
      const status = Number(u(v, 0, 8));
      if (status < MARKET_ACTIVE || status > MARKET_HALTED) reject("PARAM_INVALID", "status");
      m.status = status;
      markMarket(m);
      break;
    }
    case K.MARKET_TICK_LOT: {
      const m = state.markets[op.target] ?? reject("MARKET_UNKNOWN");
      const tick = u(v, 0, 8);
      const lot = u(v, 8, 8);
      checkTickLot(tick, lot);
      m.tickSize = tick;
      m.lotSize = lot;
      markMarket(m);
      break;
    }
    case K.MARKET_TIER: {
      const m = state.markets[op.target] ?? reject("MARKET_UNKNOWN");
      const index = Number(u(v, 16, 1));
      if (index >= MARGIN_TIERS) reject("PARAM_INVALID", "tier index");
      const tiers = m.tiers.map((t) => ({ ...t }));
      tiers[index] = { notionalCap: u(v, 0, 8), imfPpm: u(v, 8, 4), mmfPpm: u(v, 12, 4) };
      checkTiers(tiers);
      if (p.liquidationPenaltyPpm >= lowestMaintenance(state, { market: op.target, tiers })) reject("PARAM_INVALID", "maintenance must stay above the liquidation penalty");
      m.tiers = tiers;
      markMarket(m, true);
      state.oracleEpoch++;
      break;
    }
    case K.LIST_MARKET: {
      if (op.target !== state.markets.length || op.target >= MAX_MARKETS) reject("PARAM_INVALID", "market id must be the next one");
      const tick = u(v, 0, 8);
      const lot = u(v, 8, 8);
      checkTickLot(tick, lot);
      const tiers = emptyTiers();
      tiers[0] = { notionalCap: 0n, imfPpm: u(v, 16, 4), mmfPpm: u(v, 20, 4) };
      checkTiers(tiers);
      if (tiers[0].mmfPpm <= p.liquidationPenaltyPpm) reject("PARAM_INVALID", "maintenance must stay above the liquidation penalty");
      state.markets.push(newMarket(tick, lot, tiers));
      break;
    }
    case K.ASSET_WEIGHT: {
      if (op.target === 0 || op.target >= state.assets.length) reject("PARAM_INVALID", "asset (the settlement asset has no weight)");
      state.assets[op.target]!.weightPpm = inBounds(u(v, 0, 8), [0n, PPM]);
      break;
    }
    case K.LIST_ASSET: {
      if (op.target !== state.assets.length || op.target >= MAX_ASSETS) reject("PARAM_INVALID", "asset id must be the next one");
      const decimals = Number(u(v, 0, 1));
      if (decimals > 36) reject("PARAM_INVALID", "decimals");
      state.assets.push({ decimals, weightPpm: inBounds(u(v, 8, 4), [0n, PPM]), oraclePrice: 0n, oracleTimestamp: 0n });
      break;
    }
    case K.LIQUIDATION_PENALTY_PPM: {
      const x = u(v, 0, 8);
      if (x >= lowestMaintenance(state)) reject("PARAM_INVALID", "the penalty must stay below every maintenance fraction");
      p.liquidationPenaltyPpm = x;
      break;
    }
    case K.LIQUIDATION_BUFFER_PPM:
      p.liquidationBufferPpm = inBounds(u(v, 0, 8), PARAM_BOUNDS.liquidationBufferPpm);
      break;
    case K.PACING_WINDOW_MS:
      p.pacingWindowMs = inBounds(u(v, 0, 8), PARAM_BOUNDS.pacingWindowMs);
      break;
    case K.ACCOUNT_LIQUIDATION_CAP:
      p.accountLiquidationCap = inBounds(u(v, 0, 8), PARAM_BOUNDS.liquidationCap);
      break;
    case K.INSURANCE_LOSS_CAP:
      p.insuranceLossCap = inBounds(u(v, 0, 8), PARAM_BOUNDS.liquidationCap);
      break;
    case K.FUNDING_INTERVAL_MS:
      p.fundingIntervalMs = inBounds(u(v, 0, 8), PARAM_BOUNDS.fundingIntervalMs);
      break;
    case K.MAX_FUNDING_RATE_PPM:
      p.maxFundingRatePpm = inBounds(u(v, 0, 8), PARAM_BOUNDS.maxFundingRatePpm);
      break;
    case K.PORTFOLIO_FLOOR_PPM:
      p.portfolioFloorPpm = inBounds(u(v, 0, 8), PARAM_BOUNDS.portfolioFloorPpm);
      state.oracleEpoch++;
      break;
    case K.PORTFOLIO_MAINTENANCE_PPM:
      p.portfolioMaintenancePpm = inBounds(u(v, 0, 8), PARAM_BOUNDS.portfolioMaintenancePpm);
      state.oracleEpoch++;
      break;
    case K.GROUP_SHOCK_PPM: {
      if (op.target >= CORRELATION_GROUPS) reject("PARAM_INVALID", "correlation group");
      const x = inBounds(u(v, 0, 8), PARAM_BOUNDS.groupShockPpm);
      p.groupShocksPpm = p.groupShocksPpm.map((g, i) => (i === op.target ? x : g));
      state.oracleEpoch++;
      break;
    }
    case K.MARKET_GROUP: {
      const m = state.markets[op.target] ?? reject("MARKET_UNKNOWN");
      const g = u(v, 0, 8);
      if (g >= BigInt(CORRELATION_GROUPS)) reject("PARAM_INVALID", "correlation group");
      m.group = Number(g);
      markMarket(m);
      state.oracleEpoch++;
      break;
    }
    case K.MARKET_LIQUIDATION_CAP: {
      const m = state.markets[op.target] ?? reject("MARKET_UNKNOWN");
      m.liquidationCap = inBounds(u(v, 0, 8), PARAM_BOUNDS.liquidationCap);
      markMarket(m);
      break;
    }
    case K.BACKSTOP_ACCOUNT: {
      const a = Number(u(v, 0, 4));
      if (a !== NO_ACCOUNT && a >= state.accounts.length) reject("PARAM_INVALID", "the backstop must be an existing account");
      p.backstopAccount = a;
      break;
    }
    default:
      reject("PARAM_INVALID", `unknown key ${op.key}`);
  }
  state.topDirty = true;
  events.push({ kind: "ParamChanged", key: op.key, target: op.target });
}
