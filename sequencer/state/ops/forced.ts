/**
 * Forced operations: L1 inputs an owner enqueues (paying a fee on L1) when the sequencer
 * will not include their signed operation. Like every L1 input they are applied at the queue
 * position and consumed even when refused; the owner's authority was checked on L1.
 */
import { NO_ACCOUNT } from "../constants.js";
import type { ForcedClose, ForcedWithdraw } from "../ops.js";
import { Rejection, reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { type CrossmarginState, markMarket } from "../state.js";
import { getAccount, getMarket, isMarketStale } from "./common.js";
import { openInterestAfter } from "./openInterest.js";
import { commitTrade, planTrade } from "./tradePlan.js";
import { checkDebit, moveToWithdrawal } from "./withdraw.js";

/** Same rules as Withdraw (balance, initial requirement afterwards), without signature or nonce. */
export function processForcedWithdraw(state: CrossmarginState, op: ForcedWithdraw, now: bigint, events: StfEvent[]): void {
  const acct = getAccount(state, op.account);
  checkDebit(state, acct, op.asset, op.amount, now);
  moveToWithdrawal(state, acct, op.asset, op.amount, events);
}

/**
 * Closes the whole position at the oracle price against the protocol's backstop account,
 * which must meet its initial requirement afterwards (unless the trade only reduces its own
 * position). Refused with a stale oracle price, or with NO_BACKSTOP when there is no backstop
 * or it cannot take the position (its margin check fails: the owner's own margin is not what
 * is missing, so the refusal does not say INSUFFICIENT_MARGIN).
 */
export function processForcedClose(state: CrossmarginState, op: ForcedClose, now: bigint, events: StfEvent[]): void {
  const acct = getAccount(state, op.account);
  const market = getMarket(state, op.market);
  const size = acct.positions[op.market]?.size ?? 0n;
  if (size === 0n) reject("NO_POSITION");
  if (isMarketStale(state, market, now)) reject("ORACLE_STALE");
  const b = state.params.backstopAccount;
  if (b === NO_ACCOUNT || b === op.account || state.accounts[b] === undefined) reject("NO_BACKSTOP");
  const backstop = state.accounts[b]!;
  const closing = planTrade(state, acct, op.market, -size, market.oraclePrice, now);
  let taking: ReturnType<typeof planTrade>;
  try {
    taking = planTrade(state, backstop, op.market, size, market.oraclePrice, now);
  } catch (e) {
    if (e instanceof Rejection && e.reason === "INSUFFICIENT_MARGIN") reject("NO_BACKSTOP", `backstop ${b} cannot take the position: ${e.detail ?? ""}`);
    throw e;
  }
  const openInterest = openInterestAfter(market, [closing, taking]);
  commitTrade(state, closing, events);
  commitTrade(state, taking, events);
  market.openInterest = openInterest;
  markMarket(market);
}
