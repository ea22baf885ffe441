/**
 * JSON forms of operations and the zod schemas that validate them at the gateway. Integers
 * wider than 2^53 travel as decimal strings (u64/u128/i64 fields); small ids as numbers.
 * Every bound here is the SSZ field's range, so a value that passes always encodes; the STF
 * then applies the protocol's own rules (tick, lot, margin…).
 *
 * Shared by the gateway (`parseSubmittedOp`) and the SDK (`opToJson`), so both speak the
 * same shapes; docs/api.md shows them.
 */
import { z } from "zod";
import { MAX_MARKETS, MAX_ASSETS, ORDER_SLOTS, CANCEL_BY_CLIENT_ID, ALL_MARKETS, MAX_PRICE_POINTS, MAX_ORACLE_SIGNERS } from "../state/constants.js";
import type { Op, Hex } from "../state/ops.js";

const U8 = 255n;
const U16 = 65535n;
const U32 = 4294967295n;
const U64 = (1n << 64n) - 1n;
const U128 = (1n << 128n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** An integer given as a decimal string or a safe JSON number, within [lo, hi]. */
function int(lo: bigint, hi: bigint) {
  return z
    .union([z.string().regex(/^-?(0|[1-9][0-9]{0,39})$/, "a decimal integer string"), z.number().int().refine(Number.isSafeInteger, "a safe integer")])
    .transform((v, ctx) => {
      const b = BigInt(v);
      if (b < lo || b > hi) {
        ctx.addIssue({ code: "custom", message: `must be between ${lo} and ${hi}` });
        return z.NEVER;
      }
      return b;
    });
}
/** A small id as a JSON number. */
function small(max: number) {
  return z.number().int().min(0).max(max);
}
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "a 20-byte 0x-hex address")
  .transform((s) => s.toLowerCase() as Hex);
const signature = z
  .string()
  .regex(/^0x[0-9a-fA-F]{130}$/, "a 65-byte 0x-hex signature")
  .transform((s) => s.toLowerCase() as Hex);

const signed = {
  account: small(Number(U32)),
  nonce: int(1n, U64),
  signature,
};

export const SubmittedOpSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("Withdraw"), ...signed, asset: small(MAX_ASSETS - 1), amount: int(0n, U128) }).strict(),
  z.object({ type: z.literal("Transfer"), ...signed, to: small(Number(U32)), asset: small(MAX_ASSETS - 1), amount: int(0n, U128) }).strict(),
  z.object({ type: z.literal("GrantSessionKey"), ...signed, key: address, expiry: int(0n, U64) }).strict(),
  z.object({ type: z.literal("RevokeSessionKey"), ...signed, key: address }).strict(),
  z
    .object({
      type: z.literal("PlaceOrder"),
      ...signed,
      market: small(Number(U16)),
      flags: small(Number(U8)),
      price: int(0n, U64),
      size: int(0n, U64),
      expiry: int(0n, U64),
      clientOrderId: int(0n, U64),
    })
    .strict(),
  z.object({ type: z.literal("CancelOrder"), ...signed, slot: small(Number(U8)), clientOrderId: int(0n, U64) }).strict(),
  z.object({ type: z.literal("CancelAll"), ...signed, market: small(Number(U16)) }).strict(),
  z.object({ type: z.literal("SetMarginMode"), ...signed, market: small(Number(U16)), mode: small(Number(U8)) }).strict(),
  z.object({ type: z.literal("AdjustIsolatedMargin"), ...signed, market: small(Number(U16)), delta: int(I64_MIN, I64_MAX) }).strict(),
  z.object({ type: z.literal("Liquidate"), ...signed, target: small(Number(U32)), market: small(Number(U16)) }).strict(),
  z.object({ type: z.literal("SetPortfolioMargin"), ...signed, enabled: small(1) }).strict(),
  z
    .object({
      type: z.literal("OracleUpdate"),
      timestamp: int(0n, U64),
      prices: z.array(z.object({ kind: small(1), id: small(Number(U16)), price: int(0n, U64) }).strict()).min(1).max(MAX_PRICE_POINTS),
      signatures: z.array(signature).min(1).max(MAX_ORACLE_SIGNERS),
    })
    .strict(),
]);

/** Operations a client may submit: every account-signed operation and oracle updates. */
export type SubmittedOp = z.output<typeof SubmittedOpSchema> & Op;
export const SUBMITTABLE = new Set(SubmittedOpSchema.options.map((o) => o.shape.type.value));

/** Operation types that exist but only the sequencer or L1 may create. */
export const NOT_SUBMITTABLE = new Set(["Deposit", "ParamUpdate", "Fill", "Deleverage", "FundingTick", "ForcedWithdraw", "ForcedClose"]);

export const MAX_OPS_PER_REQUEST = 256;

/** JSON of any value with bigints as decimal strings (responses, SDK requests). */
export function toJson(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString("hex")}`;
  if (v !== null && typeof v === "object") {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = toJson(x);
    return o;
  }
  return v;
}

export const opToJson = (op: Op): Record<string, unknown> => toJson(op) as Record<string, unknown>;

export { ALL_MARKETS, CANCEL_BY_CLIENT_ID, MAX_MARKETS, ORDER_SLOTS };
