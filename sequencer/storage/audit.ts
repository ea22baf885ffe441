/**
 * The audit trail: every liquidation, default-waterfall step (collateral seized, insurance
 * paid, loss socialized) and auto-deleveraging, indexed by account, counterparty, market and
 * the operation (seq) that caused it, in the op log's SQLite file.
 *
 * Rows are derived data: the STF's receipts say what happened; the core hands each record's
 * events here as it executes (and as it replays on restart), so the index can always be
 * rebuilt from the log. A row may be written just before its op's transaction commits; a crash
 * in between leaves a row for a seq the log never kept, so opening trims rows past the log's
 * last seq before the replay re-adds what the log holds (`INSERT OR IGNORE` on (seq, idx)).
 * The batch of a row comes from the batches table at query time (null until sealed).
 */
import type Database from "better-sqlite3";
import type { StfEvent } from "../state/receipt.js";

/** Event kinds the trail keeps; "socialized loss" is the Waterfall step `socialized`. */
export const AUDIT_KINDS = ["Liquidation", "Waterfall", "Deleveraged"] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_events (
  seq INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  kind TEXT NOT NULL,
  account INTEGER NOT NULL,
  counterparty INTEGER,
  market INTEGER,
  step TEXT,
  event TEXT NOT NULL,
  PRIMARY KEY (seq, idx)
) STRICT;
CREATE INDEX IF NOT EXISTS audit_account ON audit_events (account, seq);
CREATE INDEX IF NOT EXISTS audit_counterparty ON audit_events (counterparty, seq);
CREATE INDEX IF NOT EXISTS audit_market ON audit_events (market, seq);
`;

export interface AuditEntry {
  seq: number;
  /** Position of the event among its operation's events. */
  eventIndex: number;
  kind: AuditKind;
  /** The account liquidated, deleveraged or whose deficit the waterfall covered. */
  account: number;
  /** The liquidator (Liquidation) or the ADL counterparty (Deleveraged). */
  counterparty: number | null;
  market: number | null;
  /** Waterfall step: collateral | insurance | socialized. */
  step: string | null;
  /** Op-log batch holding the operation and the op's index in it (null: not sealed yet). */
  batch: number | null;
  opIndex: number | null;
  event: StfEvent;
}

export interface AuditQuery {
  /** As the account acted on, or as counterparty (liquidator, ADL counterparty). */
  account?: number;
  market?: number;
  /** Op-log batch index. */
  batch?: number;
  kind?: AuditKind;
  /** Only socialized-loss waterfall steps. */
  socializedOnly?: boolean;
  /** Rows after this seq (pagination), at most `limit` (default 1,000; a page holds whole operations unless one operation alone exceeds it). */
  afterSeq?: number;
  limit?: number;
}

const isAudit = (e: StfEvent): e is Extract<StfEvent, { kind: AuditKind }> => (AUDIT_KINDS as readonly string[]).includes(e.kind);
const json = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
const BIGINT_FIELDS = new Set(["size", "price", "notional", "penalty", "bankruptcyPrice", "amount", "seized"]);

export class AuditLog {
  private readonly insert: Database.Statement;

  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
    this.insert = db.prepare("INSERT OR IGNORE INTO audit_events (seq, idx, kind, account, counterparty, market, step, event) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  }

  /** Drops rows past the log's last durable seq (see the header). */
  trimAfter(lastSeq: number): number {
    return this.db.prepare("DELETE FROM audit_events WHERE seq > ?").run(lastSeq).changes;
  }

  /** Indexes the audit events among an operation's events. */
  record(seq: number, events: readonly StfEvent[]): void {
    events.forEach((e, idx) => {
      if (!isAudit(e)) return;
      const counterparty = e.kind === "Liquidation" ? e.liquidator : e.kind === "Deleveraged" ? e.counterparty : null;
      const market = e.kind === "Waterfall" ? null : e.market;
      this.insert.run(seq, idx, e.kind, e.account, counterparty, market, e.kind === "Waterfall" ? e.step : null, json(e));
    });
  }

  query(q: AuditQuery): AuditEntry[] {
    const where: string[] = ["a.seq > ?"];
    const args: unknown[] = [q.afterSeq ?? 0];
    if (q.account !== undefined) {
      where.push("(a.account = ? OR a.counterparty = ?)");
      args.push(q.account, q.account);
    }
    if (q.market !== undefined) {
      // A waterfall step belongs to the liquidation or ADL of the same operation.
      where.push("(a.market = ? OR (a.market IS NULL AND EXISTS (SELECT 1 FROM audit_events m WHERE m.seq = a.seq AND m.market = ?)))");
      args.push(q.market, q.market);
    }
    if (q.batch !== undefined) {
      where.push("a.seq BETWEEN (SELECT from_seq FROM batches WHERE idx = ?) AND (SELECT to_seq FROM batches WHERE idx = ?)");
      args.push(q.batch, q.batch);
    }
    if (q.kind !== undefined) {
      where.push("a.kind = ?");
      args.push(q.kind);
    }
    if (q.socializedOnly) where.push("a.step = 'socialized'");
    const limit = Math.max(1, Math.min(q.limit ?? 1_000, 10_000));
    const rows = this.db
      .prepare(
        `SELECT a.*, b.idx AS batch, b.from_seq AS from_seq FROM audit_events a
         LEFT JOIN batches b ON a.seq BETWEEN b.from_seq AND b.to_seq
         WHERE ${where.join(" AND ")} ORDER BY a.seq, a.idx LIMIT ${limit}`,
      )
      .all(...args) as { seq: number; idx: number; kind: AuditKind; account: number; counterparty: number | null; market: number | null; step: string | null; event: string; batch: number | null; from_seq: number | null }[];
    // A page never ends inside an operation's events (the next page starts after a whole seq).
    if (rows.length === limit && rows[0]!.seq !== rows[rows.length - 1]!.seq) {
      const last = rows[rows.length - 1]!.seq;
      while (rows[rows.length - 1]!.seq === last) rows.pop();
    }
    return rows.map((r) => ({
      seq: r.seq,
      eventIndex: r.idx,
      kind: r.kind,
      account: r.account,
      counterparty: r.counterparty,
      market: r.market,
      step: r.step,
      batch: r.batch,
      opIndex: r.from_seq === null ? null : r.seq - r.from_seq,
      event: JSON.parse(r.event, (k, v) => (BIGINT_FIELDS.has(k) && typeof v === "string" ? BigInt(v) : v)) as StfEvent,
    }));
  }
}

/** CSV of audit entries: one row per event, the event's fields flattened (amounts in atoms). */
export function auditCsv(rows: readonly AuditEntry[]): string {
  const cols = ["seq", "batch", "opIndex", "eventIndex", "kind", "account", "counterparty", "market", "step", "size", "price", "notional", "penalty", "bankruptcyPrice", "amount", "asset", "seized"] as const;
  const cell = (v: unknown) => {
    if (v === null || v === undefined) return "";
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [cols.join(",")];
  for (const r of rows) {
    const e = r.event as unknown as Record<string, unknown>;
    lines.push(cols.map((c) => cell(c in r ? (r as unknown as Record<string, unknown>)[c] : e[c])).join(","));
  }
  return `${lines.join("\n")}\n`;
}
