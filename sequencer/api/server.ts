/**
 * The HTTP API (hono): routes of docs/api.md. Handlers validate, recover, rate-limit, then
 * hand the op to the single writer (SequencerCore) synchronously and answer once the op log
 * holds it. Every failure becomes `{code, message, field?}` with the table's status.
 */
import { Hono, type Context } from "hono";
import { Refused, type SequencerCore, type SubmitOutcome } from "../core/sequencer.js";
import { bytesToHex } from "../state/bytes.js";
import { stateRoot } from "../state/index.js";
import type { CancelAll, Op } from "../state/ops.js";
import type { Recovered } from "../state/stf.js";
import { ApiError, isErrorCode } from "./errors.js";
import { type RateLimiter, type RecoveryBatcher, parseJson, parseOp, parseOps } from "./ingress.js";
import { addressParam, bodyLimitMiddleware, intParam, parseBatchesQuery, parseBookQuery, parseDeadman, parseDevDeposit, parseModify, parseWhatIf } from "./requests.js";
import { openApiDocument } from "./openapi.js";
import { toJson } from "./schema.js";
import { accountView, assetsView, marketsView } from "./views.js";
import { type BatchProver, ProofError } from "../l1/proofs.js";
import type { SequencerMetrics } from "../metrics.js";
import { verifierSummary } from "./verifier.js";
import { type ReservesReport, ReservesError } from "../l1/reserves.js";
import { NAV_MAX_BATCHES, navHistory } from "../l1/nav.js";
import { marginWhatIf, WhatIfError, whatIfOfAccount } from "../state/whatIf.js";
import type { GenesisConfig } from "../state/genesis.js";
import { AUDIT_KINDS, type AuditKind, type AuditLog, auditCsv } from "../storage/audit.js";
import { BaseError } from "viem";
import { registerDashboard } from "./dashboard.js";
import type { L1BatchesView } from "../l1/batchView.js";
import type { DisputesView } from "../l1/disputeView.js";

export interface ApiDeps {
  core: SequencerCore;
  batcher: RecoveryBatcher;
  limiter: RateLimiter;
  domain: { chainId: bigint; verifyingContract: `0x${string}` };
  maxBodyBytes: number;
  devDeposits: boolean;
  /** Recent receipts by seq (the stream's ring), for GET /v1/ops/:seq. */
  recentRecord: (seq: number) => { events: unknown[] } | undefined;
  /** L1 mode: the poster's and the derivation's status (null: no L1). */
  l1Status?: () => unknown;
  /** Withdrawal and exit proofs against sealed batches (L1 batch index). */
  prover?: BatchProver;
  /** Prometheus figures: request timing, op outcomes, error codes; served at GET /metrics. */
  metrics?: SequencerMetrics;
  /** A verifier's status server (loopback) reported by GET /v1/verifier. */
  verifierUrl?: string;
  /** The genesis the op log starts from (NAV history replays from it when no snapshot is older). */
  genesis?: GenesisConfig;
  /** L1 mode: the highest L1 batch final now (NAV points are marked final or not). */
  latestFinalized?: () => Promise<number>;
  /** The audit trail (liquidations, waterfall steps, ADL) served by GET /v1/audit. */
  audit?: AuditLog;
  /** L1 mode: the proof-of-reserves report of an L1 batch (default: the latest final one). */
  reserves?: (batch: number | undefined) => Promise<ReservesReport>;
  /** L1 mode: sealed batches with their posts, L1 records and challenge windows (GET /v1/l1/batches). */
  l1Batches?: (from: number, limit: number) => Promise<L1BatchesView>;
  /** L1 mode: the DisputeGame's games with their moves and its fault proofs (GET /v1/l1/disputes). */
  l1Disputes?: () => Promise<DisputesView>;
}

function outcomeJson(o: SubmitOutcome) {
  const r = o.record;
  return toJson({
    seq: r.seq,
    timestamp: r.op.timestamp,
    ok: r.receipt.ok,
    reason: r.receipt.reason,
    events: r.receipt.events,
    fills: o.fills.map((f) => ({ seq: f.seq, ok: f.receipt.ok, reason: f.receipt.reason, events: f.receipt.events })),
    detached: o.detached,
  });
}

function refusal(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof Refused) {
    if (isErrorCode(e.reason)) return new ApiError(e.reason, e.detail === undefined ? undefined : `${new ApiError(e.reason).message} (${e.detail})`);
  }
  throw e;
}

export function createApi(d: ApiDeps): Hono {
  const { core } = d;
  const app = new Hono();
  if (d.metrics) app.use("*", d.metrics.middleware);

  app.onError((e, c) => {
    d.metrics?.apiError(e instanceof ApiError ? e.code : "INTERNAL_ERROR");
    if (e instanceof ApiError) return c.json(e.body(), e.status as 400);
    console.error("api: unexpected error", e);
    return c.json(new ApiError("INTERNAL_ERROR", `internal error: ${(e as Error).message}`).body(), 500);
  });
  app.notFound((c) => {
    d.metrics?.apiError("NOT_FOUND");
    return c.json(new ApiError("NOT_FOUND", `no route ${c.req.method} ${c.req.path}`).body(), 404);
  });

  // Syntactic checks live in requests.ts: the gateway (sequencer/gateway/) runs the same ones.
  const limit = bodyLimitMiddleware(d.maxBodyBytes);
  const body = async (c: Context) => parseJson(await c.req.text());

  /** Recovers, rate-limits and submits ops in request order; each result is an outcome or an error. */
  async function submitAll(ops: Op[]): Promise<(SubmitOutcome | ApiError)[]> {
    const bytes: Uint8Array[] = [];
    const recs = await d.batcher.recover(ops, bytes);
    const nowMs = Date.now();
    const outs = ops.map((op, i) => {
      const rec = recs[i]!;
      try {
        if (op.type !== "OracleUpdate" && !d.limiter.take(rec.signer ?? "invalid-signature", 1, nowMs)) throw new ApiError("RATE_LIMITED");
        return core.submit(op, rec, undefined, bytes[i]);
      } catch (e) {
        return refusal(e);
      }
    });
    d.metrics?.opsSubmitted(ops, outs);
    return outs;
  }

  app.get("/v1/info", (c) => {
    // Commit what is queued first, so the seq and root answered are durable.
    core.log.flush();
    return c.json(
      toJson({
        chainId: d.domain.chainId,
        verifyingContract: d.domain.verifyingContract,
        nonceWindowMs: core.state.params.nonceWindowMs,
        maxOracleAgeMs: core.state.params.maxOracleAgeMs,
        seq: core.log.lastSeq(),
        root: bytesToHex(stateRoot(core.state)),
        clock: core.state.clock,
        l1NextIndex: core.state.l1.nextIndex,
        markets: marketsView(core.state),
        assets: assetsView(core.state),
        devDeposits: d.devDeposits,
        l1: d.l1Status?.() ?? null,
      }) as object,
    );
  });

  app.post("/v1/op", limit, async (c) => {
    const op = parseOp(await body(c), "");
    const [out] = await submitAll([op]);
    if (out instanceof ApiError) throw out;
    await out!.durable;
    return c.json(outcomeJson(out!) as object);
  });

  app.post("/v1/ops", limit, async (c) => {
    const ops = parseOps(await body(c));
    const outs = await submitAll(ops);
    await Promise.all(outs.map((o) => (o instanceof ApiError ? null : o.durable)));
    return c.json({ results: outs.map((o) => (o instanceof ApiError ? { error: o.body() } : outcomeJson(o))) });
  });

  app.post("/v1/orders/modify", limit, async (c) => {
    const { cancel, place } = parseModify(await body(c));
    const bytes: Uint8Array[] = [];
    const [rc, rp] = await d.batcher.recover([cancel, place], bytes);
    if (!d.limiter.take(rc!.signer ?? "invalid-signature", 2, Date.now())) throw new ApiError("RATE_LIMITED");
    let outs: ReturnType<SequencerCore["modify"]>;
    try {
      outs = core.modify(cancel, rc!, place, rp!, bytes);
    } catch (e) {
      const refused = refusal(e);
      d.metrics?.opsSubmitted([cancel], [refused]);
      throw refused;
    }
    d.metrics?.opsSubmitted([cancel, place], [outs.cancel, outs.place instanceof Refused ? refusal(outs.place) : outs.place]);
    const placed = outs.place instanceof Refused ? null : outs.place;
    await Promise.all([outs.cancel.durable, placed?.durable]);
    return c.json({ cancel: outcomeJson(outs.cancel), place: placed ? outcomeJson(placed) : { error: refusal(outs.place).body() } });
  });

  app.post("/v1/deadman", limit, async (c) => {
    const { op, at } = parseDeadman(await body(c));
    const [rec] = await d.batcher.recover([op]);
    try {
      core.scheduleDeadman(op as CancelAll, rec as Recovered, at);
    } catch (e) {
      throw refusal(e);
    }
    return c.json(toJson({ account: op.account, at }) as object);
  });

  app.get("/v1/accounts/by-owner/:address", (c) => {
    const a = addressParam(c.req.param("address"), "address");
    const i = core.state.accounts.findIndex((x) => x.owner.toLowerCase() === a);
    if (i < 0) throw new ApiError("ACCOUNT_UNKNOWN", `no account is owned by ${a}`);
    return c.json({ index: i });
  });

  app.get("/v1/accounts/:index", (c) => {
    const i = intParam(c.req.param("index"), "index");
    const v = accountView(core.state, i, core.now());
    if (v === null) throw new ApiError("ACCOUNT_UNKNOWN", `no account ${i}`, "index");
    return c.json(toJson({ ...(v as object), deadman: core.deadmanOf(i) ?? null }) as object);
  });

  app.get("/v1/withdrawals/:index/proof", (c) => {
    if (!d.prover) throw new ApiError("NOT_FOUND", "withdrawal proofs are not served by this sequencer");
    const index = intParam(c.req.param("index"), "index");
    const q = c.req.query("batch");
    const last = core.log.lastBatch();
    const l1Batch = q === undefined ? (last ? last.index + 1 : 0) : intParam(q, "batch");
    if (l1Batch === 0) throw new ApiError("BATCH_UNKNOWN", last ? "L1 batch 0 is genesis, which holds no withdrawals" : "no batch is sealed yet", "batch");
    try {
      const p = d.prover.withdrawal(l1Batch, index);
      return c.json(toJson({ batch: l1Batch, ...p }) as object);
    } catch (e) {
      if (e instanceof ProofError && e.kind === "batch_unknown") throw new ApiError("BATCH_UNKNOWN", `L1 batch ${l1Batch}: ${e.message}`, "batch");
      if (e instanceof ProofError && e.kind === "withdrawal_unknown") throw new ApiError("WITHDRAWAL_UNKNOWN", `L1 batch ${l1Batch}: ${e.message}`, "index");
      throw e;
    }
  });

  // After a freeze: the exit batch's proofs of one account (Vault.exit, proveMarket, proveAsset).
  // Batch 0 (genesis) is allowed: a rollup frozen before any batch was final exits at genesis.
  app.get("/v1/accounts/:index/exit-proof", (c) => {
    if (!d.prover) throw new ApiError("NOT_FOUND", "exit proofs are not served by this sequencer");
    const index = intParam(c.req.param("index"), "index");
    const q = c.req.query("batch");
    const last = core.log.lastBatch();
    const l1Batch = q === undefined ? (last ? last.index + 1 : 0) : intParam(q, "batch");
    try {
      const p = d.prover.exit(l1Batch, index);
      return c.json(toJson({ batch: l1Batch, ...p }) as object);
    } catch (e) {
      if (e instanceof ProofError && e.kind === "batch_unknown") throw new ApiError("BATCH_UNKNOWN", `L1 batch ${l1Batch}: ${e.message}`, "batch");
      if (e instanceof ProofError && e.kind === "account_unknown") throw new ApiError("ACCOUNT_UNKNOWN", `L1 batch ${l1Batch}: ${e.message}`, "index");
      throw e;
    }
  });

  app.get("/v1/markets", (c) => c.json(marketsView(core.state) as object));

  app.get("/v1/markets/:id/book", (c) => {
    // Both parameters' syntax first (as the gateway checks them), then the state's market.
    const { market: m, levels } = parseBookQuery(c.req.param("id"), c.req.query("levels"));
    if (m >= core.state.markets.length) throw new ApiError("MARKET_UNKNOWN", `no market ${m}`, "id");
    core.engine.sweepExpired(core.now());
    return c.json(toJson({ market: m, seq: core.log.lastSeq(), ...core.engine.depth(m, levels) }) as object);
  });

  app.get("/v1/ops/:seq", (c) => {
    const seq = intParam(c.req.param("seq"), "seq");
    if (seq < 1 || seq > core.log.lastSeq()) throw new ApiError("NOT_FOUND", `no logged operation ${seq}`, "seq");
    const logged = core.log.readFrom(seq, seq).next().value;
    if (!logged) throw new ApiError("NOT_FOUND", `no logged operation ${seq}`, "seq");
    const recent = d.recentRecord(seq);
    const batch = core.log.db.prepare("SELECT idx FROM batches WHERE from_seq <= ? AND to_seq >= ?").get(seq, seq) as { idx: number } | undefined;
    return c.json(
      toJson({
        seq,
        timestamp: logged.op.timestamp,
        op: logged.op.op,
        signer: logged.ctx.signer,
        ok: logged.ok,
        reason: logged.reason,
        batch: batch?.idx ?? null,
        events: recent?.events,
      }) as object,
    );
  });

  app.get("/v1/batches", (c) => {
    const { from, limit: lim } = parseBatchesQuery(c.req.query("from"), c.req.query("limit"));
    return c.json(core.log.batches(from, lim).map(batchJson));
  });

  app.get("/v1/batches/:index", (c) => {
    const b = core.log.batch(intParam(c.req.param("index"), "index"));
    if (!b) throw new ApiError("NOT_FOUND", "no such batch", "index");
    return c.json(batchJson(b));
  });

  // Sealed batches as L1 sees them: posts, stored roots, time left in the challenge window.
  app.get("/v1/l1/batches", async (c) => {
    if (!d.l1Batches) throw new ApiError("NOT_FOUND", "L1 batch status needs the sequencer in L1 mode (--l1-rpc)");
    const { from, limit: lim } = parseBatchesQuery(c.req.query("from"), c.req.query("limit"));
    if (lim > 100) throw new ApiError("INVALID_FIELD", "limit must be 1..100 (each batch is an L1 read)", "limit");
    try {
      return c.json(toJson(await d.l1Batches(from, lim)) as object);
    } catch (e) {
      if (e instanceof BaseError) throw new ApiError("L1_UNAVAILABLE", e.shortMessage);
      throw e;
    }
  });

  app.get("/v1/l1/disputes", async (c) => {
    if (!d.l1Disputes) throw new ApiError("NOT_FOUND", "L1 disputes need the sequencer in L1 mode (--l1-rpc)");
    try {
      return c.json(toJson(await d.l1Disputes()) as object);
    } catch (e) {
      if (e instanceof BaseError) throw new ApiError("L1_UNAVAILABLE", e.shortMessage);
      throw e;
    }
  });

  app.get("/v1/openapi.json", (c) => c.json(openApiDocument() as object));

  // NAV history (docs/api.md): the account's net value after each sealed batch in a range.
  app.get("/v1/accounts/:index/nav", async (c) => {
    if (!d.genesis) throw new ApiError("NOT_FOUND", "NAV history is not served by this sequencer");
    const index = intParam(c.req.param("index"), "index");
    const last = core.log.lastBatch();
    if (!last) throw new ApiError("BATCH_UNKNOWN", "no batch is sealed yet", "to");
    const to = c.req.query("to") === undefined ? last.index + 1 : intParam(c.req.query("to")!, "to");
    const from = c.req.query("from") === undefined ? Math.max(1, to - 99) : intParam(c.req.query("from")!, "from");
    if (from < 1 || from > to) throw new ApiError("INVALID_FIELD", `from must be 1..to (${to})`, "from");
    if (to > last.index + 1) throw new ApiError("BATCH_UNKNOWN", `L1 batch ${to} is not sealed (${last.index + 1} sealed)`, "to");
    if (to - from + 1 > NAV_MAX_BATCHES) throw new ApiError("INVALID_FIELD", `at most ${NAV_MAX_BATCHES} batches per request`, "from");
    const finalThrough = d.latestFinalized ? await d.latestFinalized().catch(() => null) : null;
    let points;
    try {
      points = navHistory(core.log, d.genesis, index, from, to);
    } catch (e) {
      if (e instanceof ProofError && e.kind === "account_unknown") throw new ApiError("ACCOUNT_UNKNOWN", e.message, "index");
      throw e;
    }
    return c.json(toJson({ account: index, from, to, finalizedThrough: finalThrough, points: points.map((p) => ({ ...p, finalized: finalThrough === null ? null : p.batch <= finalThrough })) }) as object);
  });

  // What-if margin (docs/api.md): one portfolio under isolated, cross and portfolio margin.
  app.post("/v1/margin/what-if", limit, async (c) => {
    const req = parseWhatIf(await body(c));
    try {
      const input = "account" in req ? whatIfOfAccount(core.state, req.account) : req;
      return c.json(toJson(marginWhatIf(core.state, input, core.now())) as object);
    } catch (e) {
      if (e instanceof WhatIfError) throw new ApiError(e.field === "account" ? "ACCOUNT_UNKNOWN" : "INVALID_FIELD", e.message, e.field);
      throw e;
    }
  });

  // The audit trail (docs/api.md): JSON, or CSV with ?format=csv.
  app.get("/v1/audit", (c) => {
    if (!d.audit) throw new ApiError("NOT_FOUND", "the audit trail is not served by this sequencer");
    const q = (k: string) => c.req.query(k);
    const opt = (k: string) => (q(k) === undefined ? undefined : intParam(q(k)!, k));
    const kind = q("kind");
    if (kind !== undefined && !(AUDIT_KINDS as readonly string[]).includes(kind)) throw new ApiError("INVALID_FIELD", `kind must be one of ${AUDIT_KINDS.join(", ")}`, "kind");
    const format = q("format") ?? "json";
    if (format !== "json" && format !== "csv") throw new ApiError("INVALID_FIELD", "format must be json or csv", "format");
    const socialized = q("socialized");
    if (socialized !== undefined && socialized !== "true" && socialized !== "false") throw new ApiError("INVALID_FIELD", "socialized must be true or false", "socialized");
    const limit = opt("limit");
    if (limit !== undefined && (limit < 1 || limit > 10_000)) throw new ApiError("INVALID_FIELD", "limit must be 1..10000", "limit");
    const rows = d.audit.query({ account: opt("account"), market: opt("market"), batch: opt("batch"), kind: kind as AuditKind | undefined, socializedOnly: socialized === "true", afterSeq: opt("after"), limit });
    if (format === "csv") return c.body(auditCsv(rows), 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="crossmargin-audit.csv"' });
    // `next`: pass as ?after= for the following page (null: this was the last).
    const more = rows.length > 0 && d.audit.query({ account: opt("account"), market: opt("market"), batch: opt("batch"), kind: kind as AuditKind | undefined, socializedOnly: socialized === "true", afterSeq: rows[rows.length - 1]!.seq, limit: 1 }).length > 0;
    return c.json(toJson({ entries: rows, next: more ? rows[rows.length - 1]!.seq : null }) as object);
  });

  // Proof of reserves (docs/api.md): the state's liabilities at a root against the Vault on L1.
  app.get("/v1/reserves", async (c) => {
    if (!d.reserves) throw new ApiError("RESERVES_UNAVAILABLE");
    const q = c.req.query("batch");
    const batch = q === undefined ? undefined : intParam(q, "batch");
    try {
      return c.json(toJson(await d.reserves(batch)) as object);
    } catch (e) {
      if ((e instanceof ReservesError || e instanceof ProofError) && e.kind === "batch_unknown") throw new ApiError("BATCH_UNKNOWN", e.message, "batch");
      if (e instanceof ReservesError) throw new ApiError("L1_UNAVAILABLE", e.message);
      if (e instanceof BaseError) throw new ApiError("L1_UNAVAILABLE", e.shortMessage);
      throw e;
    }
  });

  app.get("/v1/verifier", async (c) => {
    if (!d.verifierUrl) throw new ApiError("VERIFIER_NOT_CONFIGURED");
    return c.json((await verifierSummary(d.verifierUrl, d.domain.verifyingContract, core.log)) as object);
  });

  // Prometheus text (docs/sequencer.md §Metrics); not under /v1: scrapers expect /metrics.
  app.get("/metrics", async (c) => {
    if (!d.metrics) throw new ApiError("NOT_FOUND", "metrics are not served by this sequencer");
    return c.body(await d.metrics.text(), 200, { "content-type": d.metrics.contentType });
  });

  app.post("/v1/dev/deposit", limit, async (c) => {
    if (!d.devDeposits) throw new ApiError("DEV_ONLY");
    const { owner, asset, amount } = parseDevDeposit(await body(c));
    const existing = core.state.accounts.findIndex((a) => a.owner.toLowerCase() === owner);
    const account = existing >= 0 ? existing : core.state.accounts.length;
    const out = core.submitL1Input({ type: "Deposit", queueIndex: core.state.l1.nextIndex, account, owner, asset, amount });
    await out.durable;
    if (!out.record.receipt.ok) throw refusal(new Refused(out.record.receipt.reason!, out.record.receipt.detail));
    return c.json(toJson({ account, seq: out.record.seq }) as object);
  });

  registerDashboard(app);
  return app;
}

function batchJson(b: { index: number; fromSeq: number; toSeq: number; preRoot: Uint8Array; postRoot: Uint8Array; l1From: bigint; l1To: bigint; timestamp: bigint }) {
  return toJson({
    index: b.index,
    fromSeq: b.fromSeq,
    toSeq: b.toSeq,
    preRoot: bytesToHex(b.preRoot),
    postRoot: bytesToHex(b.postRoot),
    l1From: b.l1From,
    l1To: b.l1To,
    timestamp: b.timestamp,
  }) as object;
}

