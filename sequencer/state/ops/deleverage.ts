import { MAX_PRICE, SIZE_SCALE } from "../constants.js";
import type { OpContext } from "../context.js";
import { divCeil } from "../math.js";
import type { Deleverage } from "../ops.js";
import { reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { insuranceAvailable, netValue, settleDebt } from "../risk.js";
import { type CrossmarginState, markMarket } from "../state.js";
import { getAccount, getMarket, isMarketStale } from "./common.js";
import { openInterestAfter } from "./openInterest.js";
import { commitTrade, planTrade } from "./tradePlan.js";

/**
 * Auto-deleveraging, the waterfall step after the insurance fund: part of a bankrupt
 * account's position closes against an opposite position at the bankruptcy price — the
 * price at which closing the whole position would bring the account's net value to zero:
 *   long:  oracle + ⌈deficit × 1e8 / |size|⌉      short: oracle − ⌈deficit × 1e8 / |size|⌉
 * (clamped to [1, MAX_PRICE]; a deficit the clamp leaves is socialized once flat).
 * The counterparty's position only shrinks, so its requirement only falls. Which
 * counterparty goes first (highest unrealized PnL × leverage) is a sequencer promise.
 */
export function processDeleverage(state: CrossmarginState, op: Deleverage, ctx: OpContext, events: StfEvent[]): void {
  const now = ctx.timestamp;
  const target = getAccount(state, op.target);
  const counterparty = getAccount(state, op.counterparty);
  if (target === counterparty) reject("SELF_TRADE");
  const market = getMarket(state, op.market);
  if (isMarketStale(state, market, now)) reject("ORACLE_STALE");
  const pos = target.positions[op.market] ?? null;
  if (pos === null || pos.size === 0n) reject("NO_POSITION");
  const other = counterparty.positions[op.market]?.size ?? 0n;
  const abs = pos.size < 0n ? -pos.size : pos.size;
  if (other === 0n || other > 0n === pos.size > 0n || op.size <= 0n || op.size > abs || op.size > (other < 0n ? -other : other)) {
    reject("ADL_MISMATCH");
  }
  const deficit = -netValue(state, target);
  if (deficit <= 0n || deficit <= insuranceAvailable(state, now)) reject("NOT_BANKRUPT");
  const shift = divCeil(deficit * SIZE_SCALE, abs);
  let price = pos.size > 0n ? market.oraclePrice + shift : market.oraclePrice - shift;
  if (price < 1n) price = 1n;
  if (price > MAX_PRICE) price = MAX_PRICE;
  const dir = pos.size > 0n ? -1n : 1n;
  const targetPlan = planTrade(state, target, op.market, dir * op.size, price, now);
  const counterPlan = planTrade(state, counterparty, op.market, -dir * op.size, price, now);
  const openInterest = openInterestAfter(market, [targetPlan, counterPlan]);

  events.push({ kind: "Deleveraged", account: target.index, counterparty: counterparty.index, market: op.market, size: op.size, bankruptcyPrice: price });
  commitTrade(state, targetPlan, events);
  commitTrade(state, counterPlan, events);
  market.openInterest = openInterest;
  markMarket(market);
  settleDebt(state, target, now, events);
}
