/**
 * Operations as plain objects. Field names and meanings mirror the SSZ containers in
 * types.ts exactly; codec.ts converts between the two (addresses as 0x-hex, signed fields).
 */
export type Hex = `0x${string}`;

/** L1 input: collateral deposited into the L1 vault, credited here. */
export interface Deposit {
  type: "Deposit";
  queueIndex: bigint;
  /** Account index assigned by the L1 vault (the next free index for a new owner). */
  account: number;
  owner: Hex;
  asset: number;
  amount: bigint;
}
/** L1 input: a governance parameter change, applied where the L1 queue puts it. */
export interface ParamUpdate {
  type: "ParamUpdate";
  queueIndex: bigint;
  key: number;
  target: number;
  /** 32 bytes; how they are read depends on `key` (ops/paramUpdate.ts, docs/protocol.md §7.2). */
  value: Hex;
}
interface Signed {
  account: number;
  /** Millisecond timestamp chosen by the signer; see nonces in docs/protocol.md. */
  nonce: bigint;
  /** 65-byte secp256k1 signature over the EIP-712 message (signing.ts). */
  signature: Hex;
}
export interface Withdraw extends Signed {
  type: "Withdraw";
  asset: number;
  amount: bigint;
}
export interface Transfer extends Signed {
  type: "Transfer";
  to: number;
  asset: number;
  amount: bigint;
}
export interface GrantSessionKey extends Signed {
  type: "GrantSessionKey";
  key: Hex;
  expiry: bigint;
}
export interface RevokeSessionKey extends Signed {
  type: "RevokeSessionKey";
  key: Hex;
}
export interface PlaceOrder extends Signed {
  type: "PlaceOrder";
  market: number;
  flags: number;
  price: bigint;
  size: bigint;
  expiry: bigint;
  clientOrderId: bigint;
}
export interface CancelOrder extends Signed {
  type: "CancelOrder";
  slot: number;
  clientOrderId: bigint;
}
export interface CancelAll extends Signed {
  type: "CancelAll";
  market: number;
}
/** Emitted by the sequencer's matching engine; carries no signature of its own. */
export interface Fill {
  type: "Fill";
  makerAccount: number;
  makerSlot: number;
  takerAccount: number;
  takerSlot: number;
  price: bigint;
  size: bigint;
}
export interface PricePoint {
  kind: number;
  id: number;
  price: bigint;
}
export interface OracleUpdate {
  type: "OracleUpdate";
  timestamp: bigint;
  prices: PricePoint[];
  signatures: Hex[];
}
export interface SetMarginMode extends Signed {
  type: "SetMarginMode";
  market: number;
  mode: number;
}
export interface AdjustIsolatedMargin extends Signed {
  type: "AdjustIsolatedMargin";
  market: number;
  /** Positive moves margin from the account into the position, negative back. */
  delta: bigint;
}

/**
 * A liquidator (any account, or the protocol's backstop account) takes over part of a
 * position of an account below its maintenance requirement, at the oracle price. Signed by
 * the liquidator, who must consent to the position it receives. The STF computes the size.
 */
export interface Liquidate extends Signed {
  type: "Liquidate";
  target: number;
  /** The position to reduce, or 0xFFFF to settle a flat account's debt (waterfall only). */
  market: number;
}
/**
 * Auto-deleveraging: closes part of a bankrupt account's position against an opposite
 * position, at the bankrupt account's bankruptcy price. Emitted by the sequencer, which
 * ranks counterparties (docs/risk.md); allowed only when the insurance fund cannot cover.
 */
export interface Deleverage {
  type: "Deleverage";
  target: number;
  market: number;
  counterparty: number;
  size: bigint;
}
/** A market's funding payment for one interval, from the premium the sequencer observed. */
export interface FundingTick {
  type: "FundingTick";
  market: number;
  /** Premium of the mark over the oracle price, ppm (signed); clamped to the governed maximum. */
  premiumPpm: bigint;
}
/** Opts the account's cross pool in or out of portfolio margin. */
export interface SetPortfolioMargin extends Signed {
  type: "SetPortfolioMargin";
  enabled: number;
}

/** L1 input (forced operation, paid for on L1): withdraw without the sequencer's cooperation. */
export interface ForcedWithdraw {
  type: "ForcedWithdraw";
  queueIndex: bigint;
  account: number;
  asset: number;
  amount: bigint;
}
/** L1 input (forced operation): close a whole position at the oracle price against the backstop. */
export interface ForcedClose {
  type: "ForcedClose";
  queueIndex: bigint;
  account: number;
  market: number;
}

export type Op =
  | Deposit
  | ParamUpdate
  | Withdraw
  | Transfer
  | GrantSessionKey
  | RevokeSessionKey
  | PlaceOrder
  | CancelOrder
  | CancelAll
  | Fill
  | OracleUpdate
  | SetMarginMode
  | AdjustIsolatedMargin
  | Liquidate
  | Deleverage
  | FundingTick
  | SetPortfolioMargin
  | ForcedWithdraw
  | ForcedClose;

export type OpType = Op["type"];
export type SignedOp = Extract<Op, { signature: Hex; account: number }>;
export type L1Input = Deposit | ParamUpdate | ForcedWithdraw | ForcedClose;

export function isL1Input(op: Op): op is L1Input {
  return op.type === "Deposit" || op.type === "ParamUpdate" || op.type === "ForcedWithdraw" || op.type === "ForcedClose";
}
export function isSignedByAccount(op: Op): op is SignedOp {
  return "signature" in op && "account" in op;
}

/** An operation with the timestamp the sequencer gave it (milliseconds). */
export interface SequencedOp {
  timestamp: bigint;
  op: Op;
}
