/**
 * Which side of a refused Fill is at fault, read from the STF state right after the refusal
 * (a refused operation changes nothing, so this is the state the STF judged). The STF's
 * receipt names a reason but not a side; this helper runs each side's own checks of
 * processFill (ops/fill.ts) alone, without writing anything:
 * - the order is live (ORDER_NOT_FOUND) and has room for the size (FILL_SIZE_INVALID);
 * - the trade passes the account's margin (planTrade: INSUFFICIENT_MARGIN, OVERFLOW);
 * - a reduce-only order only reduces (REDUCE_ONLY_INCREASES), and in a reduce-only market
 *   the side only reduces (MARKET_REDUCE_ONLY).
 * Checks about the pair (same account, market, sides, price, lot, halted market, open
 * interest) blame neither side. The engine's `blameFill` hook is meant to be
 * `(fill, now) => fillBlame(state, fill, now)` with `now` the fill's timestamp.
 *
 * planTrade only reads the state; it may refresh the account's cross-margin cache, which is
 * exact by construction (margin.ts) and not part of the state root.
 */
import type { Fill } from "../state/ops.js";
import { tradingMode } from "../state/ops/common.js";
import { isLive, isReduceOnly, isSell } from "../state/ops/orders.js";
import { planTrade } from "../state/ops/tradePlan.js";
import { Rejection, type Reason } from "../state/reasons.js";
import type { AccountState, CrossmarginState, Order } from "../state/state.js";
import type { FillBlame } from "./engine.js";

export function fillBlame(state: CrossmarginState, fill: Fill, now: bigint): FillBlame {
  const makerAcct = state.accounts[fill.makerAccount];
  const takerAcct = state.accounts[fill.takerAccount];
  const maker = makerAcct?.orders[fill.makerSlot] ?? null;
  const taker = takerAcct?.orders[fill.takerSlot] ?? null;
  const out: { maker: Reason | null; taker: Reason | null } = { maker: null, taker: null };
  if (!makerAcct || !isLive(maker, now)) out.maker = "ORDER_NOT_FOUND";
  else if (fill.size > maker.remaining) out.maker = "FILL_SIZE_INVALID";
  if (!takerAcct || !isLive(taker, now)) out.taker = "ORDER_NOT_FOUND";
  else if (fill.size > taker.remaining) out.taker = "FILL_SIZE_INVALID";
  if (out.maker !== null || out.taker !== null) return out;
  if (fill.makerAccount === fill.takerAccount || maker!.market !== taker!.market || isSell(maker!.flags) === isSell(taker!.flags)) return out;
  const market = state.markets[maker!.market];
  if (!market) return out;
  let mode: "open" | "reduceOnly";
  try {
    mode = tradingMode(state, market, now);
  } catch (e) {
    if (e instanceof Rejection) return out; // halted: the market's, not a side's
    throw e;
  }
  const q = isSell(taker!.flags) ? -fill.size : fill.size;
  out.taker = sideFault(state, takerAcct!, taker!, q, fill.price, now, mode);
  out.maker = sideFault(state, makerAcct!, maker!, -q, fill.price, now, mode);
  return out;
}

function sideFault(state: CrossmarginState, acct: AccountState, order: Order, q: bigint, price: bigint, now: bigint, mode: "open" | "reduceOnly"): Reason | null {
  try {
    const plan = planTrade(state, acct, order.market, q, price, now);
    if (isReduceOnly(order.flags) && !plan.reduces) return "REDUCE_ONLY_INCREASES";
    if (mode === "reduceOnly" && !plan.reduces) return "MARKET_REDUCE_ONLY";
    return null;
  } catch (e) {
    if (e instanceof Rejection) return e.reason;
    throw e;
  }
}
