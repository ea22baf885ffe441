import { ALL_MARKETS, MODE_CROSS, ORDER_SLOTS, PPM } from "../constants.js";
import type { OpContext } from "../context.js";
import { contribution, crossHealth, isPortfolio, isolatedEquity, notional, portfolioRequirement, tieredRequirement } from "../margin.js";
import { min } from "../math.js";
import type { Liquidate } from "../ops.js";
import { reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { insuranceAvailable, isFlat, liquidationPenalty, netValue, settleDebt, sizeWithinCap, windowStart } from "../risk.js";
import { type AccountState, type CrossmarginState, type Position, markMarket, setOrder, setPacing } from "../state.js";
import { authorize, checkNonce, getAccount, getMarket, isMarketStale, useNonce } from "./common.js";
import { openInterestAfter } from "./openInterest.js";
import { commitTrade, planTrade } from "./tradePlan.js";

/**
 * Partial liquidation (docs/risk.md):
 * - only an account (cross pool) or isolated position below its maintenance requirement;
 * - the cross position with the largest maintenance requirement goes first;
 * - the STF sizes it: the smallest number of lots that restores equity ≥ maintenance ×
 *   (1 + buffer) after the penalty, else the whole position, then capped by the market's and
 *   the account's pacing caps (past a cap, liquidations wait for the next window);
 * - the target's resting orders are cancelled first;
 * - the position moves to the liquidator at the oracle price (the liquidator must meet its
 *   initial requirement unless it only reduces); the penalty (capped at the target's
 *   remaining equity) goes to the insurance fund;
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
  if (cross) {
    const h = crossHealth(state, target, now, false);
    if (h.equity >= h.maintenance) reject("NOT_LIQUIDATABLE", `equity ${h.equity} ≥ maintenance ${h.maintenance}`);
    let largest = -1;
    let largestReq = -1n;
    for (const m of target.openMarkets) {
      const p = target.positions[m]!;
      if (p.marginMode !== MODE_CROSS || p.size === 0n) continue;
      const req = contribution(p, state.markets[m]!).maintenance;
      if (req > largestReq) [largest, largestReq] = [m, req];
    }
    if (largest !== op.market) reject("NOT_LARGEST_RISK", `market ${largest} first`);
    equity = h.equity;
    const mmOld = contribution(pos, market).maintenance;
    maintenanceAfter = isPortfolio(target)
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
  let lo = 1n;
  let hi = units;
  while (lo < hi) {
    const mid = (lo + hi) >> 1n;
    if (healthyAfter(min(mid * lot, abs))) hi = mid;
    else lo = mid + 1n;
  }
  let delta = min(lo * lot, abs);

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
  const penalty = min(liquidationPenalty(state, liquidated), equity > 0n ? equity : 0n);

  // Writes.
  useNonce(state, liquidator, nonceSlot, op.nonce);
  cancelAllOrders(state, target, events);
  const after: Position = targetPlan.after;
  const fromMargin = after.size !== 0n && !cross ? min(penalty, after.isolatedMargin) : 0n;
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

