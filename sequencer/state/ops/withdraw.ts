import { MODE_CROSS } from "../constants.js";
import type { OpContext } from "../context.js";
import { crossHealth } from "../margin.js";
import type { Withdraw } from "../ops.js";
import { reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { type AccountState, type CrossmarginState, setBalance } from "../state.js";
import { authorize, checkAsset, checkNonce, isMarketStale, useNonce } from "./common.js";

/**
 * Checks that taking `amount` of `asset` out of the account leaves its balance non-negative
 * and its cross pool at or above its initial requirement. Shared by Withdraw, Transfer and
 * ForcedWithdraw.
 *
 * Conservative with stale prices: a stale collateral asset counts zero (initial valuation),
 * and a debit is refused outright (ORACLE_STALE) while the account holds an open cross
 * position in a market whose price is stale — its unrealized PnL and requirement at the last
 * price say nothing about what the position is worth now, and collateral that has left the
 * system cannot back it later.
 */
export function checkDebit(state: CrossmarginState, acct: AccountState, asset: number, amount: bigint, now: bigint): void {
  checkAsset(state, asset);
  if (amount <= 0n) reject("AMOUNT_INVALID");
  const balance = acct.balances[asset]!;
  if (balance < amount) reject("INSUFFICIENT_BALANCE", `balance ${balance} < ${amount}`);
  for (const m of acct.openMarkets) {
    const p = acct.positions[m]!;
    if (p.marginMode === MODE_CROSS && p.size !== 0n && isMarketStale(state, state.markets[m]!, now)) {
      reject("ORACLE_STALE", `cross position in market ${m} has a stale price`);
    }
  }
  const h = crossHealth(state, acct, now);
  // The asset's weighted value falls by at least its value at the weight; recompute exactly.
  acct.balances[asset] = balance - amount;
  const after = crossHealth(state, acct, now).equity;
  acct.balances[asset] = balance;
  if (after < h.initial) reject("INSUFFICIENT_MARGIN", `equity after ${after} < initial ${h.initial}`);
}

/** Moves collateral out to a pending withdrawal record, claimable on L1 by the owner. */
export function processWithdraw(state: CrossmarginState, op: Withdraw, ctx: OpContext, events: StfEvent[]): void {
  const acct = authorize(state, op, ctx, true);
  const nonceSlot = checkNonce(state, acct, op.nonce, ctx.timestamp);
  checkDebit(state, acct, op.asset, op.amount, ctx.timestamp);

  useNonce(state, acct, nonceSlot, op.nonce);
  moveToWithdrawal(state, acct, op.asset, op.amount, events);
}

/** Debits a checked amount and appends the withdrawal record L1 claims prove. */
export function moveToWithdrawal(state: CrossmarginState, acct: AccountState, asset: number, amount: bigint, events: StfEvent[]): void {
  const balance = acct.balances[asset]! - amount;
  setBalance(state, acct, asset, balance);
  const index = state.withdrawals.length;
  state.withdrawals.push({ account: acct.index, owner: acct.owner, asset, amount });
  events.push({ kind: "BalanceChanged", account: acct.index, asset, delta: -amount, balance });
  events.push({ kind: "WithdrawalCreated", index, account: acct.index, asset, amount });
}
