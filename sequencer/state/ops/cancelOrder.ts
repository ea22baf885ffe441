import { ALL_MARKETS, CANCEL_BY_CLIENT_ID, ORDER_SLOTS } from "../constants.js";
import type { OpContext } from "../context.js";
import type { CancelAll, CancelOrder } from "../ops.js";
import { reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { type CrossmarginState, setOrder } from "../state.js";
import { authorize, checkNonce, useNonce } from "./common.js";
import { isLive } from "./orders.js";

/** Cancels one live order, named by slot, or by client order id when slot is 255. */
export function processCancelOrder(state: CrossmarginState, op: CancelOrder, ctx: OpContext, events: StfEvent[]): void {
  const now = ctx.timestamp;
  const acct = authorize(state, op, ctx, false);
  const nonceSlot = checkNonce(state, acct, op.nonce, now);
  let slot = -1;
  if (op.slot === CANCEL_BY_CLIENT_ID) {
    if (op.clientOrderId !== 0n) slot = acct.orders.findIndex((o) => isLive(o, now) && o.clientOrderId === op.clientOrderId);
  } else if (op.slot < ORDER_SLOTS && op.clientOrderId === 0n && isLive(acct.orders[op.slot]!, now)) {
    slot = op.slot;
  }
  if (slot < 0) reject("ORDER_NOT_FOUND");

  useNonce(state, acct, nonceSlot, op.nonce);
  setOrder(state, acct, slot, null);
  events.push({ kind: "OrderRemoved", account: acct.index, slot, cause: "cancelled" });
}

/**
 * Clears every order slot of the account in one market (or all markets), expired ones
 * included, so the account's slots are empty afterwards. Accepted even when nothing rests:
 * a dead-man's switch must always succeed.
 */
export function processCancelAll(state: CrossmarginState, op: CancelAll, ctx: OpContext, events: StfEvent[]): void {
  const now = ctx.timestamp;
  const acct = authorize(state, op, ctx, false);
  const nonceSlot = checkNonce(state, acct, op.nonce, now);
  if (op.market !== ALL_MARKETS && op.market >= state.markets.length) reject("MARKET_UNKNOWN");

  useNonce(state, acct, nonceSlot, op.nonce);
  for (let slot = 0; slot < ORDER_SLOTS; slot++) {
    const o = acct.orders[slot]!;
    if (o === null || (op.market !== ALL_MARKETS && o.market !== op.market)) continue;
    const live = isLive(o, now);
    setOrder(state, acct, slot, null);
    events.push({ kind: "OrderRemoved", account: acct.index, slot, cause: live ? "cancelled" : "expired" });
  }
}
