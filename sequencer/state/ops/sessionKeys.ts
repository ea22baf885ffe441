import { lowerAddress } from "../bytes.js";
import { ZERO_ADDRESS } from "../constants.js";
import type { OpContext } from "../context.js";
import type { GrantSessionKey, RevokeSessionKey } from "../ops.js";
import { reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { type CrossmarginState, setSessionKey } from "../state.js";
import { authorize, checkNonce, useNonce } from "./common.js";

/**
 * Lets a trading system sign for the account until `expiry`. Session keys may place and
 * cancel orders and manage margin modes; only the owner withdraws, transfers and manages
 * keys. Re-granting a key updates its expiry; a new key takes the first empty or expired slot.
 * Keys are stored, compared and reported lowercase, whatever case the operation spells them in.
 */
export function processGrantSessionKey(state: CrossmarginState, op: GrantSessionKey, ctx: OpContext, events: StfEvent[]): void {
  const acct = authorize(state, op, ctx, true);
  const nonceSlot = checkNonce(state, acct, op.nonce, ctx.timestamp);
  const key = lowerAddress(op.key);
  if (key === ZERO_ADDRESS || key === acct.owner || op.expiry <= ctx.timestamp) reject("SESSION_KEY_INVALID");
  let slot = acct.sessionKeys.findIndex((k) => k.key === key);
  if (slot < 0) slot = acct.sessionKeys.findIndex((k) => k.key === ZERO_ADDRESS || k.expiry <= ctx.timestamp);
  if (slot < 0) reject("SESSION_KEYS_FULL");

  useNonce(state, acct, nonceSlot, op.nonce);
  setSessionKey(state, acct, slot, { key, expiry: op.expiry });
  events.push({ kind: "SessionKeyGranted", account: acct.index, key, expiry: op.expiry });
}

export function processRevokeSessionKey(state: CrossmarginState, op: RevokeSessionKey, ctx: OpContext, events: StfEvent[]): void {
  const acct = authorize(state, op, ctx, true);
  const nonceSlot = checkNonce(state, acct, op.nonce, ctx.timestamp);
  const key = lowerAddress(op.key);
  const slot = key === ZERO_ADDRESS ? -1 : acct.sessionKeys.findIndex((k) => k.key === key);
  if (slot < 0) reject("SESSION_KEY_NOT_FOUND");

  useNonce(state, acct, nonceSlot, op.nonce);
  setSessionKey(state, acct, slot, { key: ZERO_ADDRESS, expiry: 0n });
  events.push({ kind: "SessionKeyRevoked", account: acct.index, key });
}
