/**
 * The SDK's errors. Three kinds, so a caller can tell "the sequencer refused this" (act on
 * `code`) from "we could not reach it" (retry or fail over) from "it answered something we
 * cannot read" (version skew or a proxy in the way): each calls for a different reaction.
 */
import { type ApiErrorBody, ERRORS, type ErrorCode, isErrorCode } from "../sequencer/api/errors.js";

/** A rejection from the sequencer: `{ code, message, field? }` with its HTTP status. */
export class CrossmarginApiError extends Error {
  override readonly name = "CrossmarginApiError";
  constructor(
    /** One of the codes in sequencer/api/errors.ts (docs/api.md §Errors). */
    readonly code: ErrorCode,
    message: string,
    /** The HTTP status answered; for per-operation results of `submit` and stream errors, the table's status of `code`. */
    readonly status: number,
    /** The request field at fault, e.g. `ops[0].price`. */
    readonly field?: string,
  ) {
    super(message);
  }

  /** Builds the error from a rejection body; null when the body is not one (or names a code this SDK does not know). */
  static fromBody(body: unknown, status?: number): CrossmarginApiError | null {
    if (body === null || typeof body !== "object") return null;
    const { code, message, field } = body as Partial<Record<keyof ApiErrorBody, unknown>>;
    if (typeof code !== "string" || !isErrorCode(code) || typeof message !== "string") return null;
    return new CrossmarginApiError(code, message, status ?? ERRORS[code].status, typeof field === "string" ? field : undefined);
  }
}

/** The request never got an answer: connection refused, DNS, TLS, timeout, socket reset. */
export class CrossmarginNetworkError extends Error {
  override readonly name = "CrossmarginNetworkError";
  constructor(
    message: string,
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The sequencer (or something in front of it) answered, but not in a shape this SDK
 * understands: a non-2xx without a rejection body, an unknown error code, invalid JSON, or
 * a 2xx body missing fields. `body` is the raw text so nothing is lost.
 */
export class CrossmarginResponseError extends Error {
  override readonly name = "CrossmarginResponseError";
  constructor(
    message: string,
    /** The HTTP status; 0 for a message on the stream. */
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
  }
}
