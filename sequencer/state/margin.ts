/**
 * Margin arithmetic: valuation of collateral and positions, tiered requirements, and the
 * position update of a trade. Integers only; each rounding goes against the account
 * (values down, requirements up), so no rounding can create margin.
 *
 * Units: quote amounts are atoms of the settlement asset (asset 0, e.g. 1e-6 USD);
 * sizes are 1e-8 base units; prices are quote atoms per whole base unit, so a position's
 * value is size × price / 1e8.
 */
import { ACCOUNT_PORTFOLIO_MARGIN, CORRELATION_GROUPS, MODE_CROSS, PPM, SIZE_SCALE } from "./constants.js";
import { POW10, abs, divCeil, divFloor, max } from "./math.js";
import type { AccountState, CrossCache, CrossmarginState, MarginTier, MarketState, Position } from "./state.js";

/** Value of a signed size at `price`, rounded down (a short's liability rounds up). */
export function markValue(size: bigint, price: bigint): bigint {
  return divFloor(size * price, SIZE_SCALE);
}

/** Notional of a size at `price`, rounded up (it sizes requirements). */
export function notional(size: bigint, price: bigint): bigint {
  return divCeil(abs(size) * price, SIZE_SCALE);
}

/**
 * Requirement for a notional under progressive tiers: each band's share of the notional is
 * charged at the band's fraction, like tax brackets, so the requirement is continuous and
 * non-decreasing in size. Tier i covers [cap(i-1), cap(i)); the last used tier (imfPpm > 0)
 * extends to infinity. Rounded up.
 */
export function tieredRequirement(tiers: MarginTier[], n: bigint, maintenance: boolean): bigint {
  let acc = 0n;
  let lower = 0n;
  for (let i = 0; i < tiers.length; i++) {
    const t = tiers[i]!;
    if (t.imfPpm === 0n) break;
    const last = i + 1 === tiers.length || tiers[i + 1]!.imfPpm === 0n;
    const upper = last || n < t.notionalCap ? n : t.notionalCap;
    if (upper > lower) acc += (upper - lower) * (maintenance ? t.mmfPpm : t.imfPpm);
    if (last || n <= t.notionalCap) break;
    lower = t.notionalCap;
  }
  return divCeil(acc, PPM);
}

export interface Contribution {
  upnl: bigint;
  initial: bigint;
  maintenance: bigint;
}

const ZERO_CONTRIBUTION: Contribution = { upnl: 0n, initial: 0n, maintenance: 0n };

/**
 * Funding the position owes since it last settled (negative: is owed). Rounded up, so the
 * market's funding pool never pays out more than it took in.
 */
export function pendingFunding(pos: Position, market: MarketState): bigint {
  if (pos.size === 0n || market.fundingIndex === pos.lastFundingIndex) return 0n;
  return divCeil(pos.size * (market.fundingIndex - pos.lastFundingIndex), SIZE_SCALE);
}

/** Unrealized PnL (net of pending funding) and requirements of one position at the oracle price. */
export function contribution(pos: Position | null, market: MarketState): Contribution {
  if (pos === null || pos.size === 0n) {
    return pos === null || pos.entryNotional === 0n ? ZERO_CONTRIBUTION : { upnl: -pos.entryNotional, initial: 0n, maintenance: 0n };
  }
  const n = notional(pos.size, market.oraclePrice);
  const upnl = markValue(pos.size, market.oraclePrice) - pos.entryNotional - pendingFunding(pos, market);
  // PERF: most positions sit inside the first band; both requirements then need one
  // multiplication each (the same numbers tieredRequirement returns).
  const t0 = market.tiers[0]!;
  const single = market.tiers.length < 2 || market.tiers[1]!.imfPpm === 0n;
  if (single || n <= t0.notionalCap) {
    return { upnl, initial: divCeil(n * t0.imfPpm, PPM), maintenance: divCeil(n * t0.mmfPpm, PPM) };
  }
  return { upnl, initial: tieredRequirement(market.tiers, n, false), maintenance: tieredRequirement(market.tiers, n, true) };
}

/**
 * Σ over the account's cross positions, cached per account (for a portfolio-margin account
 * the requirements are the portfolio requirement instead). The cache is valid while no input
 * of many accounts' valuation changed (state.oracleEpoch: oracle prices, tiers, funding,
 * portfolio parameters) and is kept exact on position changes by replacing the changed
 * position's term (a portfolio account's cache is dropped instead), so cached and recomputed
 * values are equal.
 */
export function crossSums(state: CrossmarginState, acct: AccountState): CrossCache {
  const c = acct.crossCache;
  if (c !== null && c.epoch === state.oracleEpoch) return c;
  let upnl = 0n;
  let initial = 0n;
  let maintenance = 0n;
  for (const m of acct.openMarkets) {
    const p = acct.positions[m]!;
    if (p.marginMode !== MODE_CROSS) continue;
    const k = contribution(p, state.markets[m]!);
    upnl += k.upnl;
    initial += k.initial;
    maintenance += k.maintenance;
  }
  if (isPortfolio(acct)) ({ initial, maintenance } = portfolioRequirement(state, acct));
  const fresh = { epoch: state.oracleEpoch, upnl, initial, maintenance };
  acct.crossCache = fresh;
  return fresh;
}

export function isPortfolio(acct: AccountState): boolean {
  return (acct.flags & ACCOUNT_PORTFOLIO_MARGIN) !== 0n;
}

/**
 * Portfolio margin for the cross pool: the worst loss over the governed scenarios — each
 * correlation group's prices shocked up and down by its shock, groups independently — and
 * never below the floor fraction of gross notional. Perpetuals are linear, so a group's worst
 * loss is at ±shock: |Σ signed notional in the group| × shock. Maintenance is a governed
 * fraction of it. All rounded up.
 */
export function portfolioRequirement(state: CrossmarginState, acct: AccountState, override?: { market: number; size: bigint }) {
  const net = new Array<bigint>(CORRELATION_GROUPS).fill(0n);
  let gross = 0n;
  for (const m of acct.openMarkets) {
    const p = acct.positions[m]!;
    if (p.marginMode !== MODE_CROSS) continue;
    const size = override && override.market === m ? override.size : p.size;
    const mk = state.markets[m]!;
    net[mk.group]! += size * mk.oraclePrice;
    gross += abs(size) * mk.oraclePrice;
  }
  if (override && !acct.openMarkets.includes(override.market)) {
    const mk = state.markets[override.market]!;
    net[mk.group]! += override.size * mk.oraclePrice;
    gross += abs(override.size) * mk.oraclePrice;
  }
  let worst = 0n;
  for (let g = 0; g < CORRELATION_GROUPS; g++) worst += abs(net[g]!) * state.params.groupShocksPpm[g]!;
  const initial = max(divCeil(worst, SIZE_SCALE * PPM), divCeil(gross * state.params.portfolioFloorPpm, SIZE_SCALE * PPM));
  return { initial, maintenance: divCeil(initial * state.params.portfolioMaintenancePpm, PPM) };
}

/**
 * The portfolio requirement of `acct` as a function of the size `s` of its cross position in
 * `market`, before any rounding: `max(Σ_g |net_g| × shock_g, gross × floor) ×
 * portfolioMaintenancePpm`, i.e. the maintenance requirement scaled by 1e8 × 1e6 × 1e6 (exact,
 * with no ceiling). It is convex in `s` (a maximum of sums of absolute values of affine
 * functions), which liquidation sizing relies on (ops/liquidate.ts).
 */
export function portfolioMaintenanceExact(state: CrossmarginState, acct: AccountState, market: number): (s: bigint) => bigint {
  const net = new Array<bigint>(CORRELATION_GROUPS).fill(0n);
  let gross = 0n;
  for (const m of acct.openMarkets) {
    const p = acct.positions[m]!;
    if (p.marginMode !== MODE_CROSS || m === market) continue;
    const mk = state.markets[m]!;
    net[mk.group]! += p.size * mk.oraclePrice;
    gross += abs(p.size) * mk.oraclePrice;
  }
  const mk = state.markets[market]!;
  const { groupShocksPpm, portfolioFloorPpm, portfolioMaintenancePpm } = state.params;
  return (s: bigint) => {
    let worst = 0n;
    for (let g = 0; g < CORRELATION_GROUPS; g++) worst += abs(g === mk.group ? net[g]! + s * mk.oraclePrice : net[g]!) * groupShocksPpm[g]!;
    const floor = (gross + abs(s) * mk.oraclePrice) * portfolioFloorPpm;
    return max(worst, floor) * portfolioMaintenancePpm;
  };
}

/** Keeps the cross cache exact when one cross position changes. */
export function replaceCrossTerm(state: CrossmarginState, acct: AccountState, before: Contribution, after: Contribution): void {
  const c = acct.crossCache;
  if (c === null || c.epoch !== state.oracleEpoch) return;
  if (isPortfolio(acct)) {
    // Scenario requirements are not a sum of per-position terms: recompute next time.
    acct.crossCache = null;
    return;
  }
  c.upnl += after.upnl - before.upnl;
  c.initial += after.initial - before.initial;
  c.maintenance += after.maintenance - before.maintenance;
}

/** Is the asset's oracle price older than the governed limit at `now`? */
export function isStale(oracleTimestamp: bigint, now: bigint, maxAge: bigint): boolean {
  return oracleTimestamp === 0n || now - oracleTimestamp > maxAge;
}

/**
 * Weighted value of the account's collateral. Asset 0 is the settlement asset: its balance
 * counts one for one and may be negative (realized losses). Other assets count at
 * balance × price × weight; for initial checks (new risk) a stale price counts as zero.
 */
export function collateralValue(state: CrossmarginState, acct: AccountState, now: bigint, forInitial: boolean): bigint {
  let v = acct.balances[0]!;
  for (let i = 1; i < state.assets.length; i++) {
    const b = acct.balances[i]!;
    if (b === 0n) continue;
    const a = state.assets[i]!;
    if (forInitial && isStale(a.oracleTimestamp, now, state.params.maxOracleAgeMs)) continue;
    v += divFloor(b * a.oraclePrice * a.weightPpm, POW10[a.decimals]! * PPM);
  }
  return v;
}

export interface CrossHealth {
  equity: bigint;
  initial: bigint;
  maintenance: bigint;
}

/** Equity and requirements of the account's cross pool. */
export function crossHealth(state: CrossmarginState, acct: AccountState, now: bigint, forInitial = true): CrossHealth {
  const s = crossSums(state, acct);
  return { equity: collateralValue(state, acct, now, forInitial) + s.upnl, initial: s.initial, maintenance: s.maintenance };
}

/** Equity of an isolated position: its margin plus its unrealized PnL, net of pending funding. */
export function isolatedEquity(pos: Position, market: MarketState): bigint {
  return pos.isolatedMargin + markValue(pos.size, market.oraclePrice) - pos.entryNotional - pendingFunding(pos, market);
}

export interface TradeResult {
  size: bigint;
  entryNotional: bigint;
  /** PnL realized by the part of the trade that reduced the position. */
  realized: bigint;
}

/**
 * A position after trading signed size `q` at `price`. The trade's quote amount is
 * `trunc(q × price / 1e8)`: exact for on-tick, on-lot fills (governance keeps lotSize ×
 * tickSize a multiple of 1e8), truncated toward zero for liquidations, ADL and forced closes
 * at oracle or bankruptcy prices. A reduction releases the entry notional pro rata,
 * truncated toward zero. The account's cash minus entry notional changes by exactly −quote,
 * and truncation is odd (trunc(−x) = −trunc(x)), so the two sides of a trade net to zero
 * whether or not the quote was exact.
 */
export function trade(size: bigint, entryNotional: bigint, q: bigint, price: bigint): TradeResult {
  const quote = (q * price) / SIZE_SCALE;
  if (size === 0n || (size > 0n) === (q > 0n)) return { size: size + q, entryNotional: entryNotional + quote, realized: 0n };
  const absSize = abs(size);
  const absQ = abs(q);
  if (absQ <= absSize) {
    const released = (entryNotional * absQ) / absSize;
    return { size: size + q, entryNotional: entryNotional - released, realized: -(quote + released) };
  }
  // Flip: close the whole position, open the remainder on the other side.
  const closeQuote = (-size * price) / SIZE_SCALE;
  const rest = size + q;
  return { size: rest, entryNotional: quote - closeQuote, realized: -(closeQuote + entryNotional) };
}

/** Does moving from `before` to `after` only reduce the position (no increase, no flip)? */
export function reducesOnly(before: bigint, after: bigint): boolean {
  if (before === 0n) return false;
  return before > 0n ? after >= 0n && after < before : after <= 0n && after > before;
}
