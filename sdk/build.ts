/**
 * Friendly parameters → operation fields. Kept apart from the client so a batch for
 * `submit([...])` is built with the same code (and the same flag encoding) as the one-op
 * methods. Amounts, prices and sizes are the protocol's integer units (atoms of the asset,
 * price atoms per 1e8 base units…, docs/protocol.md), never decimals: the SDK does not guess
 * a scale.
 */
import {
  ALL_MARKETS,
  CANCEL_BY_CLIENT_ID,
  FLAG_REDUCE_ONLY,
  FLAG_SELL,
  MODE_CROSS,
  MODE_ISOLATED,
  ORDER_SLOTS,
  TIF_GTC,
  TIF_IOC,
  TIF_POST_ONLY,
  TIF_SHIFT,
} from "../sequencer/state/constants.js";
import type {
  AdjustIsolatedMargin,
  CancelAll,
  CancelOrder,
  GrantSessionKey,
  Hex,
  Liquidate,
  PlaceOrder,
  RevokeSessionKey,
  SetMarginMode,
  SetPortfolioMargin,
  Transfer,
  Withdraw,
} from "../sequencer/state/ops.js";
import type { OpInput } from "./signing.js";

/** An integer: a bigint, a safe integer number, or a decimal string. */
export type IntLike = bigint | number | string;
/** A millisecond timestamp, or a Date. */
export type TimeLike = IntLike | Date;

export function toBigInt(v: IntLike | Date, name: string): bigint {
  if (typeof v === "bigint") return v;
  if (v instanceof Date) {
    const t = v.getTime();
    if (Number.isNaN(t)) throw new RangeError(`${name}: invalid Date`);
    return BigInt(t);
  }
  if (typeof v === "number") {
    // A float or an unsafe integer has already lost precision: refuse instead of signing a rounded amount.
    if (!Number.isSafeInteger(v)) throw new RangeError(`${name}: ${v} is not a safe integer; pass a bigint or a decimal string`);
    return BigInt(v);
  }
  if (typeof v === "string" && /^-?(0|[1-9][0-9]*)$/.test(v)) return BigInt(v);
  throw new TypeError(`${name}: expected an integer (bigint, safe number or decimal string), got ${JSON.stringify(v)}`);
}

function smallInt(v: number, name: string, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${name}: expected an integer in 0..${max}, got ${v}`);
  return v;
}

export type Side = "buy" | "sell";
export type TimeInForce = "gtc" | "ioc" | "post-only";

export interface PlaceOrderParams {
  market: number;
  side: Side;
  price: IntLike;
  size: IntLike;
  /** Default "gtc". */
  tif?: TimeInForce;
  reduceOnly?: boolean;
  /** Millisecond timestamp after which the order is dead; 0 or absent: no expiry. */
  expiry?: TimeLike;
  /** The caller's id for the order (non-zero to cancel by it); unique among the account's open orders. */
  clientOrderId?: IntLike;
}

const TIF: Record<TimeInForce, number> = { gtc: TIF_GTC, ioc: TIF_IOC, "post-only": TIF_POST_ONLY };

/** PlaceOrder.flags from the friendly parameters (sequencer/state/constants.ts). */
export function orderFlags(p: { side: Side; tif?: TimeInForce; reduceOnly?: boolean }): number {
  if (p.side !== "buy" && p.side !== "sell") throw new TypeError(`side: expected "buy" or "sell", got ${JSON.stringify(p.side)}`);
  const tif = TIF[p.tif ?? "gtc"];
  if (tif === undefined) throw new TypeError(`tif: expected "gtc", "ioc" or "post-only", got ${JSON.stringify(p.tif)}`);
  return (p.side === "sell" ? FLAG_SELL : 0) | (tif << TIF_SHIFT) | (p.reduceOnly ? FLAG_REDUCE_ONLY : 0);
}

export function placeOrderOp(p: PlaceOrderParams): OpInput<PlaceOrder> {
  return {
    type: "PlaceOrder",
    market: smallInt(p.market, "market", 0xffff),
    flags: orderFlags(p),
    price: toBigInt(p.price, "price"),
    size: toBigInt(p.size, "size"),
    expiry: p.expiry === undefined ? 0n : toBigInt(p.expiry, "expiry"),
    clientOrderId: p.clientOrderId === undefined ? 0n : toBigInt(p.clientOrderId, "clientOrderId"),
  };
}

/** Which order to cancel: its slot (from the OrderPlaced event or `account().orders`), or its client order id. */
export type CancelTarget = { slot: number } | { clientOrderId: IntLike };

export function cancelOrderOp(t: CancelTarget): OpInput<CancelOrder> {
  if ("slot" in t) return { type: "CancelOrder", slot: smallInt(t.slot, "slot", ORDER_SLOTS - 1), clientOrderId: 0n };
  const id = toBigInt(t.clientOrderId, "clientOrderId");
  // Client order id 0 means "none" in the protocol: cancelling by it can only fail.
  if (id === 0n) throw new RangeError("clientOrderId: 0 names no order; cancel by slot instead");
  return { type: "CancelOrder", slot: CANCEL_BY_CLIENT_ID, clientOrderId: id };
}

/** Every market when `market` is omitted. */
export function cancelAllOp(market?: number): OpInput<CancelAll> {
  return { type: "CancelAll", market: market === undefined ? ALL_MARKETS : smallInt(market, "market", 0xffff) };
}

export function withdrawOp(p: { asset: number; amount: IntLike }): OpInput<Withdraw> {
  return { type: "Withdraw", asset: smallInt(p.asset, "asset", 255), amount: toBigInt(p.amount, "amount") };
}

export function transferOp(p: { to: number; asset: number; amount: IntLike }): OpInput<Transfer> {
  return { type: "Transfer", to: smallInt(p.to, "to", 0xffffffff), asset: smallInt(p.asset, "asset", 255), amount: toBigInt(p.amount, "amount") };
}

function addressOf(k: Hex | { address: Hex }, name: string): Hex {
  const a = typeof k === "string" ? k : k?.address;
  if (typeof a !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(a)) throw new TypeError(`${name}: expected a 0x-hex address, got ${JSON.stringify(a)}`);
  return a.toLowerCase() as Hex;
}

/** `key` may be the session key's address or its viem account. */
export function grantSessionKeyOp(p: { key: Hex | { address: Hex }; expiry: TimeLike }): OpInput<GrantSessionKey> {
  return { type: "GrantSessionKey", key: addressOf(p.key, "key"), expiry: toBigInt(p.expiry, "expiry") };
}

export function revokeSessionKeyOp(key: Hex | { address: Hex }): OpInput<RevokeSessionKey> {
  return { type: "RevokeSessionKey", key: addressOf(key, "key") };
}

export type MarginMode = "isolated" | "cross";

export function setMarginModeOp(market: number, mode: MarginMode): OpInput<SetMarginMode> {
  if (mode !== "isolated" && mode !== "cross") throw new TypeError(`mode: expected "isolated" or "cross", got ${JSON.stringify(mode)}`);
  return { type: "SetMarginMode", market: smallInt(market, "market", 0xffff), mode: mode === "cross" ? MODE_CROSS : MODE_ISOLATED };
}

/** Positive `delta` moves margin from the account into the isolated position, negative back. */
export function adjustIsolatedMarginOp(market: number, delta: IntLike): OpInput<AdjustIsolatedMargin> {
  return { type: "AdjustIsolatedMargin", market: smallInt(market, "market", 0xffff), delta: toBigInt(delta, "delta") };
}

/** `market` 0xFFFF settles a flat account's debt (docs/risk.md). */
export function liquidateOp(target: number, market: number): OpInput<Liquidate> {
  return { type: "Liquidate", target: smallInt(target, "target", 0xffffffff), market: smallInt(market, "market", 0xffff) };
}

export function setPortfolioMarginOp(enabled: boolean): OpInput<SetPortfolioMargin> {
  return { type: "SetPortfolioMargin", enabled: enabled ? 1 : 0 };
}
