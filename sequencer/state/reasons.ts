/**
 * Why an operation was rejected. The numeric id is consensus (the Solidity one-step STF
 * reports the same ids); the name is what receipts, the API and the SDK show.
 * docs/protocol.md is generated from nothing: keep its table in step with this one.
 */
export const REASONS = {
  UNAUTHORIZED: { id: 1, message: "the signer is not the account owner or an active session key allowed this operation" },
  BAD_SIGNATURE: { id: 2, message: "the signature does not recover to an address" },
  NONCE_USED: { id: 3, message: "this nonce was already used by the account" },
  NONCE_TOO_LOW: { id: 4, message: "the nonce is not above the lowest of the account's remembered nonces" },
  NONCE_OUT_OF_WINDOW: { id: 5, message: "the nonce (a millisecond timestamp) is too far from the operation's timestamp" },
  ACCOUNT_UNKNOWN: { id: 6, message: "no account with this index" },
  ASSET_UNKNOWN: { id: 7, message: "no collateral asset with this id" },
  MARKET_UNKNOWN: { id: 8, message: "no listed market with this id" },
  MARKET_HALTED: { id: 9, message: "the market is halted" },
  MARKET_REDUCE_ONLY: { id: 10, message: "the market is reduce-only (by governance or a stale oracle price) and this would add risk" },
  PRICE_INVALID: { id: 11, message: "the price is zero, too large or not a multiple of the tick size" },
  SIZE_INVALID: { id: 12, message: "the size is zero, too large or not a multiple of the lot size" },
  FLAGS_INVALID: { id: 13, message: "unknown order flags or time-in-force" },
  ORDER_EXPIRED: { id: 14, message: "the order's expiry has passed" },
  REDUCE_ONLY_INCREASES: { id: 15, message: "a reduce-only order would open or increase a position" },
  DUPLICATE_CLIENT_ORDER_ID: { id: 16, message: "another open order of the account has this client order id" },
  ORDER_SLOTS_FULL: { id: 17, message: "every order slot of the account holds an open order" },
  INSUFFICIENT_MARGIN: { id: 18, message: "the account would fall below its initial margin requirement" },
  INSUFFICIENT_BALANCE: { id: 19, message: "the balance of the asset is smaller than the amount" },
  ORDER_NOT_FOUND: { id: 20, message: "no open order in that slot or with that client order id" },
  SELF_TRADE: { id: 21, message: "maker and taker are the same account" },
  FILL_MISMATCH: { id: 22, message: "the two orders are not in the same market on opposite sides" },
  POST_ONLY_TAKER: { id: 23, message: "a post-only order cannot be the taker of a fill" },
  FILL_PRICE_INVALID: { id: 24, message: "the fill price is not the maker's price or is beyond the taker's limit" },
  FILL_SIZE_INVALID: { id: 25, message: "the fill size is zero, off-lot or larger than an order's remaining size" },
  ORACLE_NO_QUORUM: { id: 26, message: "fewer distinct oracle signers than the threshold signed the update" },
  ORACLE_STALE_UPDATE: { id: 27, message: "the update is not newer than the stored price" },
  ORACLE_OUT_OF_BAND: { id: 28, message: "a price moved further from the stored price than the sanity band allows" },
  ORACLE_FUTURE_TIMESTAMP: { id: 29, message: "the update's timestamp is later than the operation's timestamp" },
  ORACLE_INVALID_POINT: { id: 30, message: "a price point names an unknown market or asset, repeats one, or is zero" },
  SESSION_KEYS_FULL: { id: 31, message: "every session key slot holds an active key" },
  SESSION_KEY_NOT_FOUND: { id: 32, message: "the account has no such session key" },
  SESSION_KEY_INVALID: { id: 33, message: "the key is zero or the owner, or its expiry has passed" },
  POSITION_OPEN: { id: 34, message: "the margin mode cannot change while the position is open" },
  MODE_INVALID: { id: 35, message: "unknown margin mode" },
  POSITION_NOT_ISOLATED: { id: 36, message: "there is no open isolated position in this market" },
  AMOUNT_INVALID: { id: 37, message: "the amount is zero or out of range" },
  L1_OUT_OF_ORDER: { id: 38, message: "the L1 input is not the next one in the L1 queue" },
  ACCOUNT_MISMATCH: { id: 39, message: "the deposit's account index and owner do not match the state" },
  PARAM_INVALID: { id: 40, message: "unknown parameter or a value outside its bounds" },
  TIMESTAMP_REGRESSION: { id: 41, message: "the operation's timestamp is earlier than the last accepted one" },
  OVERFLOW: { id: 42, message: "a quantity would leave its representable range" },
  TRANSFER_TO_SELF: { id: 43, message: "a transfer must name another account" },
  NOT_LIQUIDATABLE: { id: 44, message: "the account (or isolated position) is at or above its maintenance requirement" },
  NOT_LARGEST_RISK: { id: 45, message: "liquidation must take the largest risk first: the cross position with the largest maintenance requirement (portfolio margin: whose close lowers the requirement most)" },
  LIQUIDATION_PACED: { id: 46, message: "the market's or account's liquidation cap for this pacing window is used up" },
  INSURANCE_INSUFFICIENT: { id: 47, message: "the account is bankrupt and the insurance fund cannot cover it: deleverage instead" },
  NOT_BANKRUPT: { id: 48, message: "deleveraging needs a bankrupt account the insurance fund cannot cover" },
  ADL_MISMATCH: { id: 49, message: "the counterparty has no opposite position of that size in the market" },
  FUNDING_TOO_EARLY: { id: 50, message: "the market's funding interval has not elapsed" },
  ORACLE_STALE: { id: 51, message: "the market's oracle price is stale" },
  NO_POSITION: { id: 52, message: "the account has no position in this market" },
  NO_BACKSTOP: { id: 53, message: "there is no backstop account able to take the position" },
} as const;

export type Reason = keyof typeof REASONS;

/**
 * Thrown inside an operation's validation. Operations validate everything before they
 * write, so catching this in the dispatcher means the state is untouched.
 */
// PERF: not an Error subclass, so throwing it captures no stack trace; rejections are an
// ordinary outcome on the hot path (a fill that fails its margin check), not a bug.
export class Rejection {
  constructor(
    readonly reason: Reason,
    readonly detail?: string,
  ) {}
}

export function reject(reason: Reason, detail?: string): never {
  throw new Rejection(reason, detail);
}
