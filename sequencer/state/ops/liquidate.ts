import { ALL_MARKETS, MODE_CROSS, ORDER_SLOTS, PPM } from "../constants.js";
import type { OpContext } from "../context.js";
import { contribution, crossHealth, isPortfolio, isolatedEquity, notional, portfolioMaintenanceExact, portfolioRequirement, tieredRequirement } from "../margin.js";
import { max, min } from "../math.js";
import type { Liquidate } from "../ops.js";
import { reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { debtSettleable, insuranceAvailable, isFlat, liquidationPenalty, netValue, settleDebt, sizeWithinCap, windowStart } from "../risk.js";
import { type AccountState, type CrossmarginState, type Position, markMarket, setOrder, setPacing } from "../state.js";
import { authorize, checkI128, checkNonce, getAccount, getMarket, isMarketStale, useNonce } from "./common.js";
import { openInterestAfter } from "./openInterest.js";
import { commitTrade, planTrade } from "./tradePlan.js";

/**
 * Partial liquidation (docs/risk.md):
 * - only an account (cross pool) or isolated position below its maintenance requirement;
 * - the cross position with the largest risk goes first: the largest tiered maintenance
 *   requirement, or for a portfolio-margin account the largest drop of the portfolio
 *   maintenance requirement if the position were closed;
 * - the STF sizes it: the smallest number of lots that restores equity ≥ maintenance ×
 *   (1 + buffer) after the penalty, else the whole position, then capped by the market's and
 *   the account's pacing caps (past a cap, liquidations wait for the next window);
 * - the target's resting orders are cancelled first;
 * - the position moves to the liquidator at the oracle price (the liquidator must meet its
 *   initial requirement unless it only reduces); the penalty (capped at the target's
 *   remaining equity, and for an isolated position at its isolated margin after the trade)
 *   goes to the insurance fund;
 * - a bankrupt target is liquidated only if the insurance fund can cover its deficit,
 *   otherwise it must be deleveraged; a target left flat with debt runs the waterfall's end.
 * `market = 0xFFFF` only settles a flat account's debt.
 */
export function processLiquidate(state: CrossmarginState, op: Liquidate, ctx: OpContext, events: StfEvent[]): void {
  const now = ctx.timestamp;
  const liquidator = authorize(state, op, ctx, false);
  const nonceSlot = checkNonce(state, liquidator, op.nonce, now);
  const target = getAccount(state, op.target);
  if (target === liquidator) reject("SELF_TRADE");

  if (op.market === ALL_MARKETS) {
    if (!isFlat(target) || target.balances[0]! >= 0n) reject("NOT_LIQUIDATABLE", "only a flat account with debt");
    if (!debtSettleable(state, target, now)) reject("INSURANCE_INSUFFICIENT", "the insurance fund cannot buy the account's collateral in this window");
    useNonce(state, liquidator, nonceSlot, op.nonce);
    settleDebt(state, target, now, events);
    return;
  }

  const market = getMarket(state, op.market);
  const pos = target.positions[op.market] ?? null;
  if (pos === null || pos.size === 0n) reject("NO_POSITION");
  if (isMarketStale(state, market, now)) reject("ORACLE_STALE");
  const price = market.oraclePrice;
  const cross = pos.marginMode === MODE_CROSS;

  // Eligibility and the health function of the liquidated size.
  let equity: bigint;
  let maintenanceAfter: (newSize: bigint) => bigint;
  const portfolio = cross && isPortfolio(target);
  if (cross) {
    const h = crossHealth(state, target, now, false);
    if (h.equity >= h.maintenance) reject("NOT_LIQUIDATABLE", `equity ${h.equity} ≥ maintenance ${h.maintenance}`);
    // Largest risk: the tiered maintenance of the position; for a portfolio account (whose
    // requirement is not a sum of per-position terms) what closing the position would take
    // off the portfolio maintenance requirement, which is negative for a hedge leg.
    let largest = -1;
    let largestRisk = 0n;
    for (const m of target.openMarkets) {
      const p = target.positions[m]!;
      if (p.marginMode !== MODE_CROSS || p.size === 0n) continue;
      const risk = portfolio
        ? h.maintenance - portfolioRequirement(state, target, { market: m, size: 0n }).maintenance
        : contribution(p, state.markets[m]!).maintenance;
      if (largest < 0 || risk > largestRisk) [largest, largestRisk] = [m, risk];
    }
    if (largest !== op.market) reject("NOT_LARGEST_RISK", `market ${largest} first`);
    equity = h.equity;
    const mmOld = contribution(pos, market).maintenance;
    maintenanceAfter = portfolio
      ? (s) => portfolioRequirement(state, target, { market: op.market, size: s }).maintenance
      : (s) => h.maintenance - mmOld + tieredRequirement(market.tiers, notional(s, price), true);
  } else {
    equity = isolatedEquity(pos, market);
    const mm = tieredRequirement(market.tiers, notional(pos.size, price), true);
    if (equity >= mm) reject("NOT_LIQUIDATABLE", `isolated equity ${equity} ≥ maintenance ${mm}`);
    maintenanceAfter = (s) => tieredRequirement(market.tiers, notional(s, price), true);
  }
  const abs = pos.size < 0n ? -pos.size : pos.size;
  const dir = pos.size < 0n ? -1n : 1n;
  const target1 = PPM + state.params.liquidationBufferPpm;
  // Closing at the oracle price leaves equity unchanged but for the penalty.
  const healthyAfter = (delta: bigint) =>
    (equity - liquidationPenalty(state, notional(delta, price))) * PPM >= maintenanceAfter(pos.size - dir * delta) * target1;
  const lot = market.lotSize;
  const units = (abs + lot - 1n) / lot;
  const sizeOf = (k: bigint) => min(k * lot, abs);
  // The search range. Tiered maintenance falls faster in δ than the penalty grows (governance
  // keeps the penalty below every maintenance fraction), so health only rises with δ: all
  // lots. A portfolio requirement can rise again once the group's net exposure changes sign
  // (closing a hedge leg), and its floor can fall slower than the penalty grows, so health
  // is not monotone; but without rounding it is concave in δ, so search up to its peak.
  const peak = portfolio ? portfolioPeak(state, target, op.market, pos.size, equity, units, sizeOf) : units;
  let lo = 1n;
  let hi = peak;
  while (lo < hi) {
    const mid = (lo + hi) >> 1n;
    if (healthyAfter(sizeOf(mid))) hi = mid;
    else lo = mid + 1n;
  }
  // No size up to the peak restores health: the whole position.
  let delta = lo === peak && peak !== units && !healthyAfter(sizeOf(peak)) ? abs : sizeOf(lo);

  // Pacing.
  const ws = windowStart(now, state.params.pacingWindowMs);
  const marketUsed = market.pacingWindowStart === ws ? market.liquidatedInWindow : 0n;
  const accountUsed = target.pacing.windowStart === ws ? target.pacing.liquidatedInWindow : 0n;
  const room = min(market.liquidationCap - marketUsed, state.params.accountLiquidationCap - accountUsed);
  if (notional(delta, price) > room) delta = sizeWithinCap(delta, lot, price, room);
  if (delta <= 0n) reject("LIQUIDATION_PACED");
  const liquidated = notional(delta, price);

  const deficit = -netValue(state, target);
  if (deficit > 0n && deficit > insuranceAvailable(state, now)) reject("INSURANCE_INSUFFICIENT", `deficit ${deficit}`);
  const targetPlan = planTrade(state, target, op.market, -dir * delta, price, now);
  const liquidatorPlan = planTrade(state, liquidator, op.market, dir * delta, price, now);
  const openInterest = openInterestAfter(market, [targetPlan, liquidatorPlan]);
  // The penalty, capped at the equity left; an isolated position pays it from its own margin
  // (what remains after the trade, or what the trade releases when it closes the position),
  // never from the cross pool.
  let penalty = min(liquidationPenalty(state, liquidated), equity > 0n ? equity : 0n);
  const after: Position = targetPlan.after;
  if (!cross) penalty = min(penalty, after.size !== 0n ? after.isolatedMargin : max(targetPlan.settlementDelta, 0n));
  const fromMargin = !cross && after.size !== 0n ? penalty : 0n;
  checkI128(target.balances[0]! + targetPlan.settlementDelta - (penalty - fromMargin), "settlement balance");
  checkI128(state.insuranceFund[0]! + penalty, "insurance fund");

  // Writes.
  useNonce(state, liquidator, nonceSlot, op.nonce);
  cancelAllOrders(state, target, events);
  after.isolatedMargin -= fromMargin;
  targetPlan.settlementDelta -= penalty - fromMargin;
  events.push({ kind: "Liquidation", account: target.index, liquidator: liquidator.index, market: op.market, size: delta, price, notional: liquidated, penalty });
  commitTrade(state, targetPlan, events);
  commitTrade(state, liquidatorPlan, events);
  state.insuranceFund[0]! += penalty;
  market.openInterest = openInterest;
  market.pacingWindowStart = ws;
  market.liquidatedInWindow = marketUsed + liquidated;
  markMarket(market);
  setPacing(state, target, ws, accountUsed + liquidated);
  state.topDirty = true;
  settleDebt(state, target, now, events);
}

export function cancelAllOrders(state: CrossmarginState, acct: AccountState, events: StfEvent[]): void {
  for (let slot = 0; slot < ORDER_SLOTS; slot++) {
    if (acct.orders[slot] === null) continue;
    setOrder(state, acct, slot, null);
    events.push({ kind: "OrderRemoved", account: acct.index, slot, cause: "cancelled" });
  }
}

/**
 * The lot count in [1, units] at which a portfolio account's liquidation health is highest,
 * computed without rounding: `H(δ) = (E·1e20 − δ·price·penaltyPpm·1e6)·1e6 −
 * maintenanceExact(size − dir·δ)·(1e6 + buffer)`, the health inequality of the sizing scaled
 * by 1e20 with every ceiling removed. H is concave in δ (linear minus convex), so along
 * δ(k) = min(k·lot, |size|) the sign of H(δ(k+1)) − H(δ(k)) goes from + to − once: binary
 * search for the first k where the step does not rise.
 */
function portfolioPeak(
  state: CrossmarginState,
  target: AccountState,
  market: number,
  size: bigint,
  equity: bigint,
  units: bigint,
  sizeOf: (k: bigint) => bigint,
): bigint {
  const exact = portfolioMaintenanceExact(state, target, market);
  const price = state.markets[market]!.oraclePrice;
  const dir = size < 0n ? -1n : 1n;
  const t = PPM + state.params.liquidationBufferPpm;
  const E = equity * 10n ** 20n;
  const H = (k: bigint) => {
    const d = sizeOf(k);
    return (E - d * price * state.params.liquidationPenaltyPpm * PPM) * PPM - exact(size - dir * d) * t;
  };
  let lo = 1n;
  let hi = units;
  while (lo < hi) {
    const mid = (lo + hi) >> 1n;
    if (H(mid) >= H(mid + 1n)) hi = mid;
    else lo = mid + 1n;
  }
  return lo;
}
