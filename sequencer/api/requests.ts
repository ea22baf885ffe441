/**
 * The syntactic checks of each route's request: body size, JSON, operation shapes (zod),
 * path parameters and query strings. Shared by the sequencer's API (server.ts) and the
 * stateless gateway (sequencer/gateway/), so both refuse the same bad input with the same
 * `{code, message, field}`; nothing here reads the state. Checks that need the state
 * (unknown market, account, nonce…) stay in the sequencer.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { ZERO_ADDRESS } from "../state/constants.js";
import type { CancelAll, Op } from "../state/ops.js";
import { ApiError } from "./errors.js";
import { parseOp, zodError } from "./ingress.js";

/** Refuses a body over `maxBytes` with BODY_TOO_LARGE (before reading it all). */
export function bodyLimitMiddleware(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError("BODY_TOO_LARGE", `the request body is larger than ${maxBytes} bytes`);
    },
  });
}

/** A path or query integer: 1 to 15 decimal digits (always a safe integer). */
export function intParam(s: string, field: string): number {
  if (!/^[0-9]{1,15}$/.test(s)) throw new ApiError("INVALID_FIELD", `${field} must be a non-negative integer`, field);
  return Number(s);
}

/** An optional query integer: `dflt` when absent. */
export function intQuery(s: string | undefined, field: string, dflt: number): number {
  return s === undefined ? dflt : intParam(s, field);
}

/** `/v1/accounts/by-owner/:address`: a 0x-hex address, lowercased. */
export function addressParam(s: string, field: string): `0x${string}` {
  const a = s.toLowerCase();
  if (!/^0x[0-9a-f]{40}$/.test(a)) throw new ApiError("INVALID_FIELD", `${field} must be a 0x-hex address`, field);
  return a as `0x${string}`;
}

/** `GET /v1/markets/:id/book?levels=`: the market id and the depth (1..500, default 20). */
export function parseBookQuery(id: string, levels: string | undefined): { market: number; levels: number } {
  const market = intParam(id, "id");
  const n = intQuery(levels, "levels", 20);
  if (n < 1 || n > 500) throw new ApiError("INVALID_FIELD", "levels must be 1..500", "levels");
  return { market, levels: n };
}

/** `GET /v1/batches?from=&limit=`: limit 1..1000 (default 100). */
export function parseBatchesQuery(from: string | undefined, limit: string | undefined): { from: number; limit: number } {
  const f = intQuery(from, "from", 0);
  const l = intQuery(limit, "limit", 100);
  if (l < 1 || l > 1000) throw new ApiError("INVALID_FIELD", "limit must be 1..1000", "limit");
  return { from: f, limit: l };
}

/** `POST /v1/orders/modify`: `{ cancel: CancelOrder, place: PlaceOrder }`. */
export function parseModify(body: unknown): { cancel: Op; place: Op } {
  const b = body as { cancel?: unknown; place?: unknown } | null;
  if (b === null || typeof b !== "object") throw new ApiError("INVALID_FIELD", "the body must be { cancel, place }");
  const cancel = parseOp(b.cancel, "cancel");
  const place = parseOp(b.place, "place");
  if (cancel.type !== "CancelOrder") throw new ApiError("INVALID_FIELD", "cancel must be a CancelOrder", "cancel.type");
  if (place.type !== "PlaceOrder") throw new ApiError("INVALID_FIELD", "place must be a PlaceOrder", "place.type");
  return { cancel, place };
}

const DeadmanSchema = z.object({ cancelAll: z.unknown(), at: z.union([z.string().regex(/^[0-9]+$/), z.number().int().min(0)]) }).strict();

/** `POST /v1/deadman`: `{ cancelAll: CancelAll, at }`. */
export function parseDeadman(body: unknown): { op: CancelAll; at: bigint } {
  const r = DeadmanSchema.safeParse(body);
  if (!r.success) throw zodError(r.error, "");
  const op = parseOp(r.data.cancelAll, "cancelAll");
  if (op.type !== "CancelAll") throw new ApiError("INVALID_FIELD", "cancelAll must be a CancelAll operation", "cancelAll.type");
  return { op, at: BigInt(r.data.at) };
}

const DevDepositSchema = z
  .object({
    owner: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "a 0x-hex address"),
    asset: z.number().int().min(0),
    amount: z.union([z.string().regex(/^[0-9]+$/), z.number().int().min(1)]),
  })
  .strict();

/** `POST /v1/dev/deposit`: `{ owner, asset, amount }` (the caller checks DEV_ONLY first). */
export function parseDevDeposit(body: unknown): { owner: `0x${string}`; asset: number; amount: bigint } {
  const r = DevDepositSchema.safeParse(body);
  if (!r.success) throw zodError(r.error, "");
  const owner = r.data.owner.toLowerCase() as `0x${string}`;
  if (owner === ZERO_ADDRESS) throw new ApiError("INVALID_FIELD", "owner must not be the zero address", "owner");
  return { owner, asset: r.data.asset, amount: BigInt(r.data.amount) };
}

const signedInt = z.union([z.string().regex(/^-?[0-9]{1,30}$/, "a decimal integer string"), z.number().int()]).transform((v) => BigInt(v));
const unsignedInt = z.union([z.string().regex(/^[0-9]{1,30}$/, "a non-negative decimal integer string"), z.number().int().min(0)]).transform((v) => BigInt(v));
const WhatIfSchema = z.union([
  z.object({ account: z.number().int().min(0) }).strict(),
  z
    .object({
      collateral: z.array(signedInt).max(16),
      positions: z.array(z.object({ market: z.number().int().min(0).max(65_535), size: signedInt, entryPrice: unsignedInt.optional() }).strict()).max(64),
    })
    .strict(),
]);

/**
 * `POST /v1/margin/what-if`: `{ account }` (an existing account as it stands) or
 * `{ collateral: [atoms per asset], positions: [{ market, size, entryPrice? }] }`.
 */
export function parseWhatIf(body: unknown): { account: number } | { collateral: bigint[]; positions: { market: number; size: bigint; entryPrice?: bigint }[] } {
  const r = WhatIfSchema.safeParse(body);
  if (!r.success) throw zodError(r.error, "");
  return r.data;
}
