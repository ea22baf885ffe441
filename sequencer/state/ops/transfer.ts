import type { OpContext } from "../context.js";
import type { Transfer } from "../ops.js";
import { reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { type CrossmarginState, setBalance } from "../state.js";
import { authorize, checkI128, checkNonce, getAccount, useNonce } from "./common.js";
import { checkDebit } from "./withdraw.js";

/** Moves collateral between two accounts; the sender must stay above its initial requirement. */
export function processTransfer(state: CrossmarginState, op: Transfer, ctx: OpContext, events: StfEvent[]): void {
  const from = authorize(state, op, ctx, true);
  const nonceSlot = checkNonce(state, from, op.nonce, ctx.timestamp);
  const to = getAccount(state, op.to);
  if (to === from) reject("TRANSFER_TO_SELF");
  checkDebit(state, from, op.asset, op.amount, ctx.timestamp);
  const toBalance = checkI128(to.balances[op.asset]! + op.amount, "balance");

  useNonce(state, from, nonceSlot, op.nonce);
  const fromBalance = from.balances[op.asset]! - op.amount;
  setBalance(state, from, op.asset, fromBalance);
  setBalance(state, to, op.asset, toBalance);
  events.push({ kind: "BalanceChanged", account: from.index, asset: op.asset, delta: -op.amount, balance: fromBalance });
  events.push({ kind: "BalanceChanged", account: to.index, asset: op.asset, delta: op.amount, balance: toBalance });
}
