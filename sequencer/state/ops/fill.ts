import { ORDER_SLOTS, TIF_POST_ONLY } from "../constants.js";
import type { OpContext } from "../context.js";
import type { Fill } from "../ops.js";
import { reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { type CrossmarginState, markMarket, setOrder } from "../state.js";
import { getAccount, tradingMode } from "./common.js";
import { openInterestAfter } from "./openInterest.js";
import { isLive, isReduceOnly, isSell, timeInForce } from "./orders.js";
import { commitTrade, planTrade } from "./tradePlan.js";

/**
 * Executes a match the sequencer found between a resting maker order and a taker order.
 * The STF checks the match is allowed, not that it was the best one (price-time priority
 * is a sequencer promise, docs/protocol.md):
 * - both slots hold live orders of different accounts, same market, opposite sides;
 * - the taker is not post-only; the price is the maker's and within the taker's limit;
 * - the size is on-lot and within both orders' remaining size;
 * - reduce-only orders only reduce; in a reduce-only market both sides only reduce;
 * - each side that adds risk stays at or above its initial requirement.
 */
export function processFill(state: CrossmarginState, op: Fill, ctx: OpContext, events: StfEvent[]): void {
  const now = ctx.timestamp;
  if (op.makerAccount === op.takerAccount) reject("SELF_TRADE");
  const makerAcct = getAccount(state, op.makerAccount);
  const takerAcct = getAccount(state, op.takerAccount);
  if (op.makerSlot >= ORDER_SLOTS || op.takerSlot >= ORDER_SLOTS) reject("ORDER_NOT_FOUND");
  const maker = makerAcct.orders[op.makerSlot] ?? null;
  const taker = takerAcct.orders[op.takerSlot] ?? null;
  if (!isLive(maker, now) || !isLive(taker, now)) reject("ORDER_NOT_FOUND");
  if (maker.market !== taker.market || isSell(maker.flags) === isSell(taker.flags)) reject("FILL_MISMATCH");
  if (timeInForce(taker.flags) === TIF_POST_ONLY) reject("POST_ONLY_TAKER");
  const takerBuys = !isSell(taker.flags);
  if (op.price !== maker.price || (takerBuys ? op.price > taker.price : op.price < taker.price)) reject("FILL_PRICE_INVALID");
  const market = state.markets[maker.market]!;
  if (op.size <= 0n || op.size % market.lotSize !== 0n || op.size > maker.remaining || op.size > taker.remaining) {
    reject("FILL_SIZE_INVALID");
  }
  const mode = tradingMode(state, market, now);

  const q = takerBuys ? op.size : -op.size;
  const takerPlan = planTrade(state, takerAcct, maker.market, q, op.price, now);
  const makerPlan = planTrade(state, makerAcct, maker.market, -q, op.price, now);
  if ((isReduceOnly(taker.flags) && !takerPlan.reduces) || (isReduceOnly(maker.flags) && !makerPlan.reduces)) {
    reject("REDUCE_ONLY_INCREASES");
  }
  if (mode === "reduceOnly" && !(takerPlan.reduces && makerPlan.reduces)) reject("MARKET_REDUCE_ONLY");
  const openInterest = openInterestAfter(market, [takerPlan, makerPlan]);

  events.push({
    kind: "Fill",
    market: maker.market,
    maker: makerAcct.index,
    makerSlot: op.makerSlot,
    taker: takerAcct.index,
    takerSlot: op.takerSlot,
    price: op.price,
    size: op.size,
    takerBuys,
  });
  commitTrade(state, makerPlan, events);
  commitTrade(state, takerPlan, events);
  for (const [acct, slot, order] of [
    [makerAcct, op.makerSlot, maker],
    [takerAcct, op.takerSlot, taker],
  ] as const) {
    const remaining = order.remaining - op.size;
    if (remaining === 0n) {
      setOrder(state, acct, slot, null);
      events.push({ kind: "OrderRemoved", account: acct.index, slot, cause: "filled" });
    } else {
      setOrder(state, acct, slot, { ...order, remaining });
    }
  }
  market.openInterest = openInterest;
  markMarket(market);
}
