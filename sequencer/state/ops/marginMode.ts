import { MODE_CROSS, MODE_ISOLATED } from "../constants.js";
import type { OpContext } from "../context.js";
import { crossHealth, isolatedEquity, notional, tieredRequirement } from "../margin.js";
import type { AdjustIsolatedMargin, SetMarginMode } from "../ops.js";
import { reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { type CrossmarginState, setBalance, setPosition } from "../state.js";
import { authorize, checkNonce, checkU64, getMarket, useNonce } from "./common.js";

/** Chooses isolated (default) or cross margin for the account's position in a market; only while flat. */
export function processSetMarginMode(state: CrossmarginState, op: SetMarginMode, ctx: OpContext, events: StfEvent[]): void {
  const acct = authorize(state, op, ctx, false);
  const nonceSlot = checkNonce(state, acct, op.nonce, ctx.timestamp);
  getMarket(state, op.market);
  if (op.mode !== MODE_ISOLATED && op.mode !== MODE_CROSS) reject("MODE_INVALID");
  const pos = acct.positions[op.market] ?? null;
  if (pos !== null && (pos.size !== 0n || pos.isolatedMargin !== 0n)) reject("POSITION_OPEN");

  useNonce(state, acct, nonceSlot, op.nonce);
  setPosition(state, acct, op.market, { size: 0n, entryNotional: 0n, lastFundingIndex: 0n, isolatedMargin: 0n, marginMode: op.mode });
  events.push({
    kind: "PositionChanged",
    account: acct.index,
    market: op.market,
    size: 0n,
    entryNotional: 0n,
    isolatedMargin: 0n,
    marginMode: op.mode,
    realizedPnl: 0n,
  });
}

/**
 * Moves settlement-asset margin into (delta > 0) or out of (delta < 0) an open isolated
 * position. Adding needs the balance and leaves the cross pool at or above its initial
 * requirement; removing leaves the position at or above its own.
 */
export function processAdjustIsolatedMargin(
  state: CrossmarginState,
  op: AdjustIsolatedMargin,
  ctx: OpContext,
  events: StfEvent[],
): void {
  const acct = authorize(state, op, ctx, false);
  const nonceSlot = checkNonce(state, acct, op.nonce, ctx.timestamp);
  const market = getMarket(state, op.market);
  const pos = acct.positions[op.market] ?? null;
  if (pos === null || pos.size === 0n || pos.marginMode !== MODE_ISOLATED) reject("POSITION_NOT_ISOLATED");
  if (op.delta === 0n) reject("AMOUNT_INVALID");
  const isolatedMargin = checkU64(pos.isolatedMargin + op.delta, "isolated margin");
  const balance = acct.balances[0]! - op.delta;
  if (op.delta > 0n) {
    if (balance < 0n) reject("INSUFFICIENT_BALANCE");
    const h = crossHealth(state, acct, ctx.timestamp);
    if (h.equity - op.delta < h.initial) reject("INSUFFICIENT_MARGIN", "cross pool");
  } else {
    const after = { ...pos, isolatedMargin };
    const need = tieredRequirement(market.tiers, notional(pos.size, market.oraclePrice), false);
    if (isolatedEquity(after, market) < need) reject("INSUFFICIENT_MARGIN", "isolated position");
  }

  useNonce(state, acct, nonceSlot, op.nonce);
  setPosition(state, acct, op.market, { ...pos, isolatedMargin });
  setBalance(state, acct, 0, balance);
  events.push({ kind: "BalanceChanged", account: acct.index, asset: 0, delta: -op.delta, balance });
  events.push({
    kind: "PositionChanged",
    account: acct.index,
    market: op.market,
    size: pos.size,
    entryNotional: pos.entryNotional,
    isolatedMargin,
    marginMode: pos.marginMode,
    realizedPnl: 0n,
  });
}
