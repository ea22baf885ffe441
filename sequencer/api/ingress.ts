/**
 * Ingress: everything between a request body and the single writer. Parses and validates
 * (zod, with the failing field named), recovers signatures on the worker pool (requests that
 * arrive together share one round trip), and applies per-key rate limits. Nothing here
 * touches the state.
 */
import type { z } from "zod";
import { encodeOp } from "../state/codec.js";
import type { Op } from "../state/ops.js";
import type { Recovered } from "../state/stf.js";
import type { SignaturePool } from "../ingress/pool.js";
import { ApiError } from "./errors.js";
import { MAX_OPS_PER_REQUEST, NOT_SUBMITTABLE, SubmittedOpSchema } from "./schema.js";

/** Formats a zod issue path as `ops[0].price`. */
export function fieldPath(prefix: string, path: readonly PropertyKey[]): string {
  let s = prefix;
  for (const p of path) s += typeof p === "number" ? `[${p}]` : s === "" ? String(p) : `.${String(p)}`;
  return s;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError("MALFORMED_JSON", `the request body is not valid JSON: ${(e as Error).message}`);
  }
}

/** Validates one submitted operation; `at` is its place in the request (for `field`). */
export function parseOp(raw: unknown, at: string): Op {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new ApiError("INVALID_FIELD", "an operation must be a JSON object", at || undefined);
  const type = (raw as { type?: unknown }).type;
  if (typeof type === "string" && NOT_SUBMITTABLE.has(type)) {
    throw new ApiError("UNSUPPORTED_OPERATION", `${type} operations come from ${type === "Fill" || type === "Deleverage" || type === "FundingTick" ? "the sequencer" : "L1"}, not the API`, fieldPath(at, ["type"]));
  }
  const r = SubmittedOpSchema.safeParse(raw);
  if (!r.success) throw zodError(r.error, at);
  return r.data as Op;
}

export function zodError(err: z.ZodError, at: string): ApiError {
  const issue = err.issues[0]!;
  // A discriminated union with an unknown tag reports at the tag.
  const path = issue.code === "invalid_union" && issue.path.length === 0 ? ["type"] : issue.path;
  const field = fieldPath(at, path);
  return new ApiError("INVALID_FIELD", `${field || "body"}: ${issue.message}`, field || undefined);
}

export function parseOps(body: unknown): Op[] {
  if (body === null || typeof body !== "object" || !Array.isArray((body as { ops?: unknown }).ops)) {
    throw new ApiError("INVALID_FIELD", "the body must be { ops: [operation, …] }", "ops");
  }
  const ops = (body as { ops: unknown[] }).ops;
  if (ops.length === 0) throw new ApiError("INVALID_FIELD", "ops is empty", "ops");
  if (ops.length > MAX_OPS_PER_REQUEST) throw new ApiError("TOO_MANY_OPERATIONS", `at most ${MAX_OPS_PER_REQUEST} operations per request`, "ops");
  return ops.map((o, i) => parseOp(o, `ops[${i}]`));
}

/**
 * Collects the operations of requests that arrive in the same event-loop turn and recovers
 * them in one pool call: fewer messages to the workers, larger chunks per worker.
 */
export class RecoveryBatcher {
  private queue: { ops: Uint8Array[]; resolve: (r: Recovered[]) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(private readonly pool: SignaturePool) {}

  /** Recovers the signers of `ops`; `bytes` receives each op's canonical encoding (kept for the log). */
  recover(ops: Op[], bytes: Uint8Array[] = []): Promise<Recovered[]> {
    for (const op of ops) bytes.push(encodeOp(op));
    return new Promise((resolve, reject) => {
      this.queue.push({ ops: bytes, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.run());
      }
    });
  }

  private run(): void {
    this.scheduled = false;
    const q = this.queue;
    this.queue = [];
    const all = q.flatMap((x) => x.ops);
    this.pool.recoverEncoded(all).then(
      (rs) => {
        let i = 0;
        for (const x of q) {
          x.resolve(rs.slice(i, i + x.ops.length));
          i += x.ops.length;
        }
      },
      (e) => {
        for (const x of q) x.reject(e);
      },
    );
  }
}

/**
 * Token bucket per signing key: `rate` operations per second, bursts up to `burst`. Time is
 * the wall clock (ms) passed in; rate limiting is not consensus. Idle buckets are forgotten
 * once full again, so the map holds only keys active in the last few seconds.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private lastSweep = 0;

  constructor(
    readonly rate: number,
    readonly burst: number,
  ) {}

  /** Takes `n` tokens for `key`; false (and nothing taken) when the bucket lacks them. */
  take(key: string, n: number, now: number): boolean {
    if (this.rate <= 0) return true;
    if (now - this.lastSweep > 10_000) this.sweep(now);
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.rate) / 1000);
      b.at = now;
    }
    if (b.tokens < n) return false;
    b.tokens -= n;
    return true;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) * this.rate) / 1000 >= this.burst) this.buckets.delete(k);
  }
}
