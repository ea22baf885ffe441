/** Checks shared by several operations. Each either returns or rejects; none writes. */
import { INT128_MAX, INT128_MIN, INT64_MAX, INT64_MIN, MARKET_ACTIVE, MARKET_REDUCE_ONLY, UINT64_MAX } from "../constants.js";
import type { OpContext } from "../context.js";
import { lowerAddress } from "../bytes.js";
import { isStale } from "../margin.js";
import type { SignedOp } from "../ops.js";
import { reject } from "../reasons.js";
import { type AccountState, type CrossmarginState, type MarketState, setNonce } from "../state.js";

export function getAccount(state: CrossmarginState, index: number): AccountState {
  return state.accounts[index] ?? reject("ACCOUNT_UNKNOWN", `account ${index}`);
}

export function getMarket(state: CrossmarginState, id: number): MarketState {
  const m = state.markets[id];
  if (m === undefined) reject("MARKET_UNKNOWN", `market ${id}`);
  return m;
}

export function checkAsset(state: CrossmarginState, id: number): void {
  if (id >= state.assets.length) reject("ASSET_UNKNOWN", `asset ${id}`);
}

/**
 * The account the operation names, if its signer may act for it: the owner always; an
 * active session key (expiry after the operation's timestamp) only for trading operations.
 * Addresses compare lowercase (stored owners and keys are lowercase).
 */
export function authorize(state: CrossmarginState, op: SignedOp, ctx: OpContext, ownerOnly: boolean): AccountState {
  const acct = getAccount(state, op.account);
  if (ctx.signer === null) reject("BAD_SIGNATURE");
  const signer = lowerAddress(ctx.signer);
  if (signer === acct.owner) return acct;
  if (!ownerOnly) {
    for (const k of acct.sessionKeys) if (k.key === signer && k.expiry > ctx.timestamp) return acct;
  }
  reject("UNAUTHORIZED", `signer ${signer}`);
}

/**
 * Nonces are millisecond timestamps picked by the signer. Accepted when within the governed
 * window of the operation's timestamp, not already used, and above the lowest of the
 * NONCE_WINDOW highest nonces the account remembers (so concurrent clients may arrive out
 * of order). Returns the slot the nonce will take: the lowest remembered one.
 */
export function checkNonce(state: CrossmarginState, acct: AccountState, nonce: bigint, now: bigint): number {
  const w = state.params.nonceWindowMs;
  if (nonce <= 0n || nonce < now - w || nonce > now + w) reject("NONCE_OUT_OF_WINDOW", `nonce ${nonce} at ${now}`);
  const ns = acct.nonces;
  let lowest = 0;
  for (let i = 0; i < ns.length; i++) {
    if (ns[i] === nonce) reject("NONCE_USED", `nonce ${nonce}`);
    if (ns[i]! < ns[lowest]!) lowest = i;
  }
  if (nonce <= ns[lowest]!) reject("NONCE_TOO_LOW", `nonce ${nonce}`);
  return lowest;
}

export function useNonce(state: CrossmarginState, acct: AccountState, slot: number, nonce: bigint): void {
  setNonce(state, acct, slot, nonce);
}

export function isMarketStale(state: CrossmarginState, market: MarketState, now: bigint): boolean {
  return isStale(market.oracleTimestamp, now, state.params.maxOracleAgeMs);
}

/** Rejects unless the market accepts trades; returns whether it accepts only reductions. */
export function tradingMode(state: CrossmarginState, market: MarketState, now: bigint): "open" | "reduceOnly" {
  if (market.status === MARKET_ACTIVE) return isMarketStale(state, market, now) ? "reduceOnly" : "open";
  if (market.status === MARKET_REDUCE_ONLY) return "reduceOnly";
  reject("MARKET_HALTED");
}

export function checkI64(x: bigint, what: string): bigint {
  if (x < INT64_MIN || x > INT64_MAX) reject("OVERFLOW", what);
  return x;
}
export function checkU64(x: bigint, what: string): bigint {
  if (x < 0n || x > UINT64_MAX) reject("OVERFLOW", what);
  return x;
}
export function checkI128(x: bigint, what: string): bigint {
  if (x < INT128_MIN || x > INT128_MAX) reject("OVERFLOW", what);
  return x;
}
