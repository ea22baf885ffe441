import { MAX_ORDER_SIZE, MAX_PRICE, ORDER_FLAGS_KNOWN, ORDER_SLOTS, TIF_IOC, TIF_POST_ONLY } from "../constants.js";
import type { OpContext } from "../context.js";
import type { PlaceOrder } from "../ops.js";
import { reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { type CrossmarginState, setOrder } from "../state.js";
import { authorize, checkNonce, getMarket, tradingMode, useNonce } from "./common.js";
import { isLive, isReduceOnly, isSell, timeInForce } from "./orders.js";
import { planTrade } from "./tradePlan.js";

/**
 * Rests a signed limit order in the account's lowest free order slot (an empty slot or one
 * whose order expired). Matching happens in the sequencer, which then emits Fill operations
 * naming the slots.
 *
 * - An IOC order lives only at the timestamp it was placed at (its expiry is set to that
 *   timestamp), so only fills sequenced at the same millisecond can execute it.
 * - Margin: unless the order can only reduce the position, a full fill at the limit price
 *   must leave the account at or above its initial requirement (the same check a Fill makes).
 */
export function processPlaceOrder(state: CrossmarginState, op: PlaceOrder, ctx: OpContext, events: StfEvent[]): void {
  const now = ctx.timestamp;
  const acct = authorize(state, op, ctx, false);
  const nonceSlot = checkNonce(state, acct, op.nonce, now);
  const market = getMarket(state, op.market);
  const mode = tradingMode(state, market, now);
  if ((op.flags & ~ORDER_FLAGS_KNOWN) !== 0 || timeInForce(op.flags) > TIF_POST_ONLY) reject("FLAGS_INVALID");
  if (op.price <= 0n || op.price > MAX_PRICE || op.price % market.tickSize !== 0n) reject("PRICE_INVALID");
  if (op.size <= 0n || op.size > MAX_ORDER_SIZE || op.size % market.lotSize !== 0n) reject("SIZE_INVALID");
  if (op.expiry !== 0n && op.expiry < now) reject("ORDER_EXPIRED");

  const q = isSell(op.flags) ? -op.size : op.size;
  const position = acct.positions[op.market]?.size ?? 0n;
  const opposite = position !== 0n && position > 0n !== q > 0n;
  if (isReduceOnly(op.flags) && !opposite) reject("REDUCE_ONLY_INCREASES");
  const reducing = opposite && (isReduceOnly(op.flags) || op.size <= (position < 0n ? -position : position));
  if (mode === "reduceOnly" && !reducing) reject("MARKET_REDUCE_ONLY");

  let slot = -1;
  for (let i = 0; i < ORDER_SLOTS; i++) {
    const o = acct.orders[i]!;
    if (!isLive(o, now)) {
      if (slot < 0) slot = i;
    } else if (op.clientOrderId !== 0n && o.clientOrderId === op.clientOrderId) {
      reject("DUPLICATE_CLIENT_ORDER_ID");
    }
  }
  if (slot < 0) reject("ORDER_SLOTS_FULL");
  if (!reducing) planTrade(state, acct, op.market, q, op.price, now);

  useNonce(state, acct, nonceSlot, op.nonce);
  const expiry = timeInForce(op.flags) === TIF_IOC ? (op.expiry === 0n || op.expiry > now ? now : op.expiry) : op.expiry;
  setOrder(state, acct, slot, {
    market: op.market,
    flags: op.flags,
    price: op.price,
    size: op.size,
    remaining: op.size,
    expiry,
    clientOrderId: op.clientOrderId,
    nonce: op.nonce,
  });
  events.push({ kind: "OrderPlaced", account: acct.index, slot, market: op.market, flags: op.flags, price: op.price, size: op.size });
}
