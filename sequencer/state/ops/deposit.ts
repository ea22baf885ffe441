import { lowerAddress } from "../bytes.js";
import { ZERO_ADDRESS } from "../constants.js";
import type { Deposit } from "../ops.js";
import { reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { AccountState, type CrossmarginState, setBalance } from "../state.js";
import { checkAsset, checkI128 } from "./common.js";

/**
 * Credits collateral deposited into the L1 vault. The vault assigns account indices: a new
 * owner gets the next index, which creates the account here (owner stored lowercase, and
 * compared lowercase). The L1 queue position is checked and advanced by the dispatcher
 * (stf.ts); l1Input.ts extends the queue's hash chain.
 */
export function processDeposit(state: CrossmarginState, op: Deposit, events: StfEvent[]): void {
  checkAsset(state, op.asset);
  if (op.amount < 0n) reject("AMOUNT_INVALID");
  const owner = lowerAddress(op.owner);
  let acct = state.accounts[op.account];
  if (acct === undefined) {
    if (op.account !== state.accounts.length || owner === ZERO_ADDRESS) {
      reject("ACCOUNT_MISMATCH", `account ${op.account} is not the next index ${state.accounts.length}`);
    }
  } else if (acct.owner !== owner) {
    reject("ACCOUNT_MISMATCH", `account ${op.account} is owned by ${acct.owner}`);
  }
  const balance = checkI128((acct?.balances[op.asset] ?? 0n) + op.amount, "balance");
  if (acct === undefined) {
    acct = new AccountState(op.account, owner);
    state.accounts.push(acct);
    events.push({ kind: "AccountCreated", account: acct.index, owner: acct.owner });
  }
  setBalance(state, acct, op.asset, balance);
  events.push({ kind: "BalanceChanged", account: acct.index, asset: op.asset, delta: op.amount, balance });
}
