/**
 * Every code an API rejection can carry, in one table: the sequencer's HTTP and WebSocket
 * layers answer with it, the SDK's typed errors mirror it, and docs/api.md lists it (a test
 * keeps the page equal to this table). STF reasons (sequencer/state/reasons.ts) are part of
 * it: a signed operation the STF refuses is answered with the STF's reason, unchanged.
 *
 * A rejection body is always `{ code, message, field? }`; `field` is a JSON path into the
 * request (e.g. `ops[0].price`) when one field is at fault.
 */
import { REASONS, type Reason } from "../state/reasons.js";

interface Entry {
  status: number;
  message: string;
}

/** Codes the API layer gives (the sequencer's or a gateway's: sequencer/gateway/), before or around the STF. */
export const INGRESS_ERRORS = {
  MALFORMED_JSON: { status: 400, message: "the request body is not valid JSON" },
  BODY_TOO_LARGE: { status: 413, message: "the request body is larger than the limit" },
  INVALID_FIELD: { status: 400, message: "a field is missing, has the wrong type or is out of range" },
  UNSUPPORTED_OPERATION: { status: 400, message: "this operation type cannot be submitted through the API" },
  TOO_MANY_OPERATIONS: { status: 400, message: "too many operations in one request" },
  RATE_LIMITED: { status: 429, message: "this signing key sent more operations than its rate limit allows; retry later" },
  POST_ONLY_WOULD_CROSS: { status: 409, message: "a post-only order would cross the book and was not placed" },
  NOT_FOUND: { status: 404, message: "no such resource" },
  OVERLOADED: { status: 503, message: "the sequencer's queue is full; retry later" },
  INTERNAL_ERROR: { status: 500, message: "the sequencer failed to handle the request (a bug: please report it with the request)" },
  SEQUENCER_UNAVAILABLE: { status: 503, message: "the sequencer is stopping or failed; the operation was not accepted" },
  UPSTREAM_UNAVAILABLE: {
    status: 503,
    message: "the gateway got no answer from the sequencer (down, restarting or too slow); an operation sent may or may not be sequenced: resend the same signed operation after Retry-After (NONCE_USED then means it was)",
  },
  DEV_ONLY: { status: 403, message: "this route exists only when the sequencer runs with dev deposits enabled" },
  RESUME_TOO_OLD: { status: 410, message: "the stream cannot resume that far back; resubscribe without fromSeq and re-query state" },
  BATCH_UNKNOWN: { status: 404, message: "no such sealed batch (L1 batch n is op-log batch n - 1; GET /v1/batches lists them)" },
  WITHDRAWAL_UNKNOWN: { status: 404, message: "no withdrawal record with that index in the batch's post-state" },
  VERIFIER_NOT_CONFIGURED: { status: 404, message: "this sequencer has no verifier configured (start it with --verifier-url <the verifier's status URL>)" },
  VERIFIER_UNREACHABLE: { status: 503, message: "the configured verifier did not answer its status in time (not running, or a wrong --verifier-url); retry later" },
  RESERVES_UNAVAILABLE: { status: 404, message: "proof of reserves needs the sequencer in L1 mode (--l1-rpc): the vault's balances are on L1" },
  L1_UNAVAILABLE: { status: 503, message: "the L1 node did not answer (or answered inconsistently) while building the answer; retry later" },
  VERIFIER_BAD_RESPONSE: { status: 502, message: "the configured verifier answered something that is not a verifier status for this Rollup" },
} as const satisfies Record<string, Entry>;

export type IngressCode = keyof typeof INGRESS_ERRORS;
export type ErrorCode = IngressCode | Reason;

/** HTTP status of each STF reason when it refuses a submitted operation. */
function reasonStatus(r: Reason): number {
  switch (r) {
    case "BAD_SIGNATURE":
    case "UNAUTHORIZED":
      return 401;
    case "ACCOUNT_UNKNOWN":
    case "ASSET_UNKNOWN":
    case "MARKET_UNKNOWN":
    case "ORDER_NOT_FOUND":
    case "SESSION_KEY_NOT_FOUND":
    case "NO_POSITION":
      return 404;
    case "NONCE_USED":
    case "NONCE_TOO_LOW":
    case "NONCE_OUT_OF_WINDOW":
    case "DUPLICATE_CLIENT_ORDER_ID":
    case "TIMESTAMP_REGRESSION":
      return 409;
    case "PRICE_INVALID":
    case "SIZE_INVALID":
    case "FLAGS_INVALID":
    case "AMOUNT_INVALID":
    case "MODE_INVALID":
    case "SESSION_KEY_INVALID":
    case "TRANSFER_TO_SELF":
    case "PARAM_INVALID":
      return 400;
    default:
      return 422;
  }
}

/** The whole table: code → HTTP status and message. */
export const ERRORS: Record<ErrorCode, Entry> = {
  ...INGRESS_ERRORS,
  ...(Object.fromEntries(Object.entries(REASONS).map(([k, v]) => [k, { status: reasonStatus(k as Reason), message: v.message }])) as Record<
    Reason,
    Entry
  >),
};

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

/** The JSON body of every rejection. */
export interface ApiErrorBody {
  code: ErrorCode;
  message: string;
  field?: string;
}

/** Thrown inside the gateway; the HTTP layer turns it into `{code, message, field?}`. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly field?: string,
  ) {
    super(message ?? ERRORS[code].message);
    this.status = ERRORS[code].status;
  }
  body(): ApiErrorBody {
    return this.field === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, field: this.field };
  }
}
