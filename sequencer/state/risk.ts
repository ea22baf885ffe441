/**
 * Shared pieces of the risk engine (docs/risk.md): pacing windows, the account's net value
 * at full collateral value, the insurance fund's capacity, and the end of the default
 * waterfall for an account left flat with debt.
 */
import { PPM, SIZE_SCALE } from "./constants.js";
import { isolatedEquity, markValue, pendingFunding } from "./margin.js";
import { POW10, divCeil, divFloor, min } from "./math.js";
import type { StfEvent } from "./receipt.js";
import { type AccountState, type CrossmarginState, setBalance } from "./state.js";

/** Start of the pacing window containing `now`: windows are aligned multiples of the length. */
export function windowStart(now: bigint, windowMs: bigint): bigint {
  return now - (now % windowMs);
}

/**
 * What the account is worth if everything were sold at oracle prices: settlement balance,
 * other collateral at full value (no weight), and every position's equity. Negative means
 * bankrupt: the deficit someone else must absorb.
 */
export function netValue(state: CrossmarginState, acct: AccountState): bigint {
  let v = collateralAtOracle(state, acct);
  for (const m of acct.openMarkets) {
    const p = acct.positions[m]!;
    const mk = state.markets[m]!;
    v += p.marginMode === 0 ? isolatedEquity(p, mk) : markValue(p.size, mk.oraclePrice) - p.entryNotional - pendingFunding(p, mk);
  }
  return v;
}

/** The account's collateral at full oracle value (no weight): the first part of `netValue`. */
export function collateralAtOracle(state: CrossmarginState, acct: AccountState): bigint {
  let v = acct.balances[0]!;
  for (let i = 1; i < state.assets.length; i++) {
    const b = acct.balances[i]!;
    if (b !== 0n) v += divFloor(b * state.assets[i]!.oraclePrice, POW10[state.assets[i]!.decimals]!);
  }
  return v;
}

export function isFlat(acct: AccountState): boolean {
  for (const m of acct.openMarkets) if (acct.positions[m]!.size !== 0n) return false;
  return true;
}

/** What the insurance fund can still pay for bankruptcies in the current window. */
export function insuranceAvailable(state: CrossmarginState, now: bigint): bigint {
  const ws = windowStart(now, state.params.pacingWindowMs);
  const paid = state.insuranceWindow.windowStart === ws ? state.insuranceWindow.paidInWindow : 0n;
  const fund = state.insuranceFund[0]!;
  const room = state.params.insuranceLossCap - paid;
  return fund <= 0n || room <= 0n ? 0n : min(fund, room);
}

/**
 * What the account's collateral other than the settlement asset is worth at full oracle
 * value (no weight, last price even if stale), each asset rounded down: the part of
 * `netValue` the waterfall's first step can sell.
 */
export function otherCollateralValue(state: CrossmarginState, acct: AccountState): bigint {
  let v = 0n;
  for (let i = 1; i < state.assets.length; i++) {
    const b = acct.balances[i]!;
    const a = state.assets[i]!;
    if (b > 0n && a.oraclePrice > 0n) v += divFloor(b * a.oraclePrice, POW10[a.decimals]!);
  }
  return v;
}

/**
 * Pays `amount` of the settlement asset out of the insurance fund, counted against the
 * per-window cap. Callers pay at most `insuranceAvailable`, so the fund never goes negative
 * and `paidInWindow` never passes `insuranceLossCap`.
 */
function payFromInsurance(state: CrossmarginState, now: bigint, amount: bigint): void {
  const ws = windowStart(now, state.params.pacingWindowMs);
  if (state.insuranceWindow.windowStart !== ws) state.insuranceWindow = { windowStart: ws, paidInWindow: 0n };
  state.insuranceWindow.paidInWindow += amount;
  state.insuranceFund[0]! -= amount;
}

/**
 * Can `settleDebt` do anything for a flat account with debt right now? Not when the fund has
 * nothing to pay with (empty, or its cap for this window used up) while the account still
 * holds collateral of value: that debt waits, backed by the collateral, for the fund.
 */
export function debtSettleable(state: CrossmarginState, acct: AccountState, now: bigint): boolean {
  return insuranceAvailable(state, now) > 0n || otherCollateralValue(state, acct) === 0n;
}

/**
 * The end of the waterfall for a flat account whose settlement balance is negative:
 *   1. its own other collateral is sold to the insurance fund at the oracle price;
 *   2. the insurance fund pays what remains;
 *   3. what is still owed is written off and recorded as socialized loss — but only once the
 *      account holds no collateral of value: a debt still backed by collateral the fund could
 *      not buy yet stays on the account until a later `Liquidate` (market 0xFFFF) settles it.
 * Steps 1 and 2 are both payments of the fund's settlement asset: together they are bounded
 * by `insuranceAvailable` (the fund's balance and what is left of `insuranceLossCap` in the
 * current window) and both count against the cap, so the fund never goes negative.
 * (Auto-deleveraging comes between 2 and 3 while the account still has positions: the
 * Deleverage operation.) Each step that moves value is a receipt event.
 */
export function settleDebt(state: CrossmarginState, acct: AccountState, now: bigint, events: StfEvent[]): void {
  let debt = -acct.balances[0]!;
  if (debt <= 0n || !isFlat(acct)) return;
  const credit = (amount: bigint) => {
    const b = acct.balances[0]! + amount;
    setBalance(state, acct, 0, b);
    events.push({ kind: "BalanceChanged", account: acct.index, asset: 0, delta: amount, balance: b });
    debt -= amount;
  };
  for (let i = 1; i < state.assets.length && debt > 0n; i++) {
    const held = acct.balances[i]!;
    const a = state.assets[i]!;
    if (held <= 0n || a.oraclePrice <= 0n) continue;
    const budget = min(debt, insuranceAvailable(state, now));
    if (budget <= 0n) break;
    const unit = POW10[a.decimals]!;
    const seized = min(held, divCeil(budget * unit, a.oraclePrice));
    const value = min(budget, divFloor(seized * a.oraclePrice, unit));
    setBalance(state, acct, i, held - seized);
    state.insuranceFund[i]! += seized;
    if (value > 0n) payFromInsurance(state, now, value);
    events.push({ kind: "BalanceChanged", account: acct.index, asset: i, delta: -seized, balance: held - seized });
    events.push({ kind: "Waterfall", account: acct.index, step: "collateral", amount: value, asset: i, seized });
    credit(value);
  }
  const cover = min(debt, insuranceAvailable(state, now));
  if (cover > 0n) {
    payFromInsurance(state, now, cover);
    events.push({ kind: "Waterfall", account: acct.index, step: "insurance", amount: cover });
    credit(cover);
  }
  if (debt > 0n && otherCollateralValue(state, acct) === 0n) {
    state.socializedLoss += debt;
    events.push({ kind: "Waterfall", account: acct.index, step: "socialized", amount: debt });
    credit(debt);
  }
  state.topDirty = true;
}

/** Penalty on a liquidated notional, rounded up. */
export function liquidationPenalty(state: CrossmarginState, liquidatedNotional: bigint): bigint {
  return divCeil(liquidatedNotional * state.params.liquidationPenaltyPpm, PPM);
}

/** Largest size (multiple of `lot`, at most `size`) whose notional at `price` fits `cap`. */
export function sizeWithinCap(size: bigint, lot: bigint, price: bigint, cap: bigint): bigint {
  if (cap <= 0n) return 0n;
  const units = (cap * SIZE_SCALE) / price;
  let s = (units / lot) * lot;
  if (s > size) s = size;
  while (s > 0n && divCeil(s * price, SIZE_SCALE) > cap) s -= lot;
  return s < 0n ? 0n : s;
}
