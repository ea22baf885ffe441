/**
 * The durable op log: every sequenced operation, in order, before its receipt is sent.
 *
 * One SQLite file (better-sqlite3), WAL journal, `synchronous=FULL`: a transaction is on disk
 * (the WAL fsynced) when COMMIT returns, so it survives a process crash and a power loss.
 * Group commit amortizes that fsync: `append` queues the item, assigns its `seq` at once (the
 * call order IS the total order), and a flush scheduled with `setImmediate` writes everything
 * queued in one transaction and only then resolves the promises, in seq order. A caller sends
 * the receipt after its promise resolved. See docs/storage.md.
 *
 * What is stored per operation: the canonical bytes (`encodeSequencedOp`), the signature
 * pre-pass result (signer / oracleSigners) so replay needs no signature recovery, and the
 * receipt summary (ok, reason, l1Consumed), which recovery compares against the replay.
 *
 * A failed commit is fatal: the caller's in-memory state already contains the operations of
 * the failed group, so the log refuses every later append (`failed`) and the process must
 * restart and recover from disk.
 */
import Database from "better-sqlite3";
import { bytesToHex, hexToBytes } from "../state/bytes.js";
import { decodeSequencedOp, encodeSequencedOp, stateRoot, type Recovered } from "../state/index.js";
import type { CrossmarginState } from "../state/state.js";
import { restoreState, serializeState } from "./snapshot.js";
import type { Hex, SequencedOp } from "../state/ops.js";

export interface LogItem {
  op: SequencedOp;
  /** Canonical bytes of `op` when the caller already has them (else encoded here). */
  bytes?: Uint8Array;
  /** The signature pre-pass result the STF ran this operation with. */
  signer: Hex | null;
  oracleSigners?: (Hex | null)[];
  /** Receipt summary. */
  ok: boolean;
  reason?: string;
  l1Consumed?: boolean;
}

/** The log item for an operation the STF just executed with `ctx`, giving `receipt`. */
export function logItem(op: SequencedOp, ctx: Recovered, receipt: { ok: boolean; reason?: string; l1Consumed?: boolean }, bytes?: Uint8Array): LogItem {
  const item: LogItem = { op, signer: ctx.signer, ok: receipt.ok };
  if (ctx.oracleSigners !== undefined) item.oracleSigners = ctx.oracleSigners;
  if (receipt.reason !== undefined) item.reason = receipt.reason;
  if (receipt.l1Consumed) item.l1Consumed = true;
  if (bytes !== undefined) item.bytes = bytes;
  return item;
}

export interface LoggedOp {
  seq: number;
  bytes: Uint8Array;
  op: SequencedOp;
  ctx: Recovered;
  ok: boolean;
  reason?: string;
  l1Consumed?: boolean;
}

export interface BatchInput {
  fromSeq: number;
  toSeq: number;
  preRoot: Uint8Array;
  postRoot: Uint8Array;
  /** L1 queue indices consumed by the batch: [l1From, l1To) (state.l1.nextIndex before and after). */
  l1From: bigint;
  l1To: bigint;
  /** The batch's timestamp (ms), e.g. the last operation's sequencer timestamp. */
  timestamp: bigint;
}

export interface SealedBatch extends BatchInput {
  index: number;
  /** Wall-clock time the row was written (ms); informational, not part of the protocol. */
  sealedAt: number;
}

export interface OpLogOptions {
  /** Most items written in one transaction (a larger queue is split). Default 4096. */
  maxGroup?: number;
  /** "FULL" (default): durable against power loss. "NORMAL": only against process crash. */
  synchronous?: "FULL" | "NORMAL";
}

interface Pending {
  seq: number;
  bytes: Uint8Array;
  item: LogItem;
  resolve: (seq: number) => void;
  reject: (e: unknown) => void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS ops (
  seq INTEGER PRIMARY KEY,
  bytes BLOB NOT NULL,
  signer BLOB,
  oracle_signers BLOB,
  ok INTEGER NOT NULL,
  reason TEXT,
  l1_consumed INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE IF NOT EXISTS batches (
  idx INTEGER PRIMARY KEY,
  from_seq INTEGER NOT NULL,
  to_seq INTEGER NOT NULL,
  pre_root BLOB NOT NULL,
  post_root BLOB NOT NULL,
  l1_from TEXT NOT NULL,
  l1_to TEXT NOT NULL,
  timestamp TEXT NOT NULL,
  sealed_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS snapshots (
  seq INTEGER PRIMARY KEY,
  root BLOB NOT NULL,
  state BLOB NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
`;

/** oracle_signers: 21 bytes per entry, a presence byte (0 = null) then the address. */
function packSigners(xs: (Hex | null)[]): Uint8Array {
  const out = new Uint8Array(21 * xs.length);
  xs.forEach((x, i) => {
    if (x !== null) {
      out[21 * i] = 1;
      out.set(hexToBytes(x), 21 * i + 1);
    }
  });
  return out;
}
function unpackSigners(b: Uint8Array): (Hex | null)[] {
  const out: (Hex | null)[] = [];
  for (let i = 0; i + 21 <= b.length; i += 21) out.push(b[i] === 0 ? null : bytesToHex(b.subarray(i + 1, i + 21)));
  return out;
}

interface OpRow {
  seq: number;
  bytes: Buffer;
  signer: Buffer | null;
  oracle_signers: Buffer | null;
  ok: number;
  reason: string | null;
  l1_consumed: number;
}
interface BatchRow {
  idx: number;
  from_seq: number;
  to_seq: number;
  pre_root: Buffer;
  post_root: Buffer;
  l1_from: string;
  l1_to: string;
  timestamp: string;
  sealed_at: number;
}

function rowToOp(r: OpRow): LoggedOp {
  const bytes = new Uint8Array(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
  const ctx: Recovered = { signer: r.signer === null ? null : bytesToHex(r.signer) };
  if (r.oracle_signers !== null) ctx.oracleSigners = unpackSigners(r.oracle_signers);
  const out: LoggedOp = { seq: r.seq, bytes, op: decodeSequencedOp(bytes), ctx, ok: r.ok === 1 };
  if (r.reason !== null) out.reason = r.reason;
  if (r.l1_consumed === 1) out.l1Consumed = true;
  return out;
}

function rowToBatch(r: BatchRow): SealedBatch {
  return {
    index: r.idx,
    fromSeq: r.from_seq,
    toSeq: r.to_seq,
    preRoot: new Uint8Array(r.pre_root),
    postRoot: new Uint8Array(r.post_root),
    l1From: BigInt(r.l1_from),
    l1To: BigInt(r.l1_to),
    timestamp: BigInt(r.timestamp),
    sealedAt: r.sealed_at,
  };
}

const READ_CHUNK = 1024;
/** Snapshots kept: the newest and one before it (a fallback if the newest fails its check). */
export const SNAPSHOTS_KEPT = 2;

export class OpLog {
  readonly db: Database.Database;
  /** Transactions committed by this instance and the op rows they wrote (for tests, metrics). */
  readonly stats = { transactions: 0, items: 0 };
  private readonly maxGroup: number;
  private queue: Pending[] = [];
  private scheduled = false;
  private next: number;
  private committed: number;
  private failure: unknown = null;
  private closed = false;

  private readonly insertOp: Database.Statement;
  private readonly writeGroup: (items: Pending[]) => void;

  constructor(
    readonly path: string,
    opts: OpLogOptions = {},
  ) {
    this.maxGroup = opts.maxGroup ?? 4096;
    this.db = new Database(path);
    const mode = this.db.pragma("journal_mode = WAL", { simple: true });
    if (String(mode).toLowerCase() !== "wal") throw new Error(`op log: could not enable WAL (got ${String(mode)})`);
    this.db.pragma(`synchronous = ${opts.synchronous ?? "FULL"}`);
    // macOS: fsync does not reach the platter; F_FULLFSYNC does (no effect elsewhere).
    this.db.pragma("fullfsync = ON");
    this.db.exec(SCHEMA);
    this.insertOp = this.db.prepare(
      "INSERT INTO ops (seq, bytes, signer, oracle_signers, ok, reason, l1_consumed) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.writeGroup = this.db.transaction((items: Pending[]) => {
      for (const p of items) {
        const it = p.item;
        this.insertOp.run(
          p.seq,
          p.bytes,
          it.signer === null ? null : hexToBytes(it.signer),
          it.oracleSigners === undefined ? null : packSigners(it.oracleSigners),
          it.ok ? 1 : 0,
          it.reason ?? null,
          it.l1Consumed ? 1 : 0,
        );
      }
    });
    this.committed = this.readLastSeq();
    this.next = this.committed + 1;
  }

  private readLastSeq(): number {
    const r = this.db.prepare("SELECT MAX(seq) AS s FROM ops").get() as { s: number | null };
    return r.s ?? 0;
  }

  /** Highest committed (durable) seq; 0 when the log is empty. Seqs start at 1. */
  lastSeq(): number {
    return this.committed;
  }

  /** The seq the next `append` will get. */
  nextSeq(): number {
    return this.next;
  }

  get failed(): unknown {
    return this.failure;
  }

  private check(): void {
    if (this.closed) throw new Error("op log closed");
    if (this.failure !== null) throw new Error(`op log failed earlier: ${String(this.failure)}`);
  }

  private enqueue(item: LogItem): Promise<number> {
    const bytes = item.bytes ?? encodeSequencedOp(item.op);
    const seq = this.next++;
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ seq, bytes, item, resolve, reject });
    });
  }

  /**
   * Queues one operation; its seq is assigned now (call order = log order). The promise
   * resolves with the seq after the transaction holding it committed (fsynced).
   */
  append(item: LogItem): Promise<number> {
    this.check();
    const p = this.enqueue(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return p;
  }

  /**
   * Writes `items` (after anything already queued) in one transaction, synchronously, and
   * returns their seqs. Durable on return.
   */
  appendMany(items: LogItem[]): number[] {
    this.check();
    this.flush();
    if (this.failure !== null) throw this.failure;
    const noop = () => {};
    const encoded = items.map((item) => item.bytes ?? encodeSequencedOp(item.op));
    const group: Pending[] = items.map((item, i) => ({ seq: this.next++, bytes: encoded[i]!, item, resolve: noop, reject: noop }));
    if (group.length === 0) return [];
    this.commitGroup(group);
    if (this.failure !== null) throw this.failure;
    return group.map((p) => p.seq);
  }

  private commitGroup(group: Pending[]): void {
    if (this.failure !== null) {
      for (const p of group) p.reject(this.failure);
      return;
    }
    try {
      this.writeGroup(group);
    } catch (e) {
      this.failure = e;
      for (const p of group) p.reject(e);
      return;
    }
    this.stats.transactions++;
    this.stats.items += group.length;
    this.committed = group[group.length - 1]!.seq;
    for (const p of group) p.resolve(p.seq);
  }

  /** Commits everything queued now (also called by the scheduled flush). */
  flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const group = this.queue.length <= this.maxGroup ? this.queue : this.queue.slice(0, this.maxGroup);
      this.queue = this.queue.length <= this.maxGroup ? [] : this.queue.slice(this.maxGroup);
      this.commitGroup(group);
    }
  }

  /** Committed operations with seq ≥ `from`, in order (read in chunks; safe to write between). */
  *readFrom(from = 1, to = Number.MAX_SAFE_INTEGER): Generator<LoggedOp> {
    const stmt = this.db.prepare("SELECT * FROM ops WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?");
    let at = from;
    for (;;) {
      const rows = stmt.all(at, to, READ_CHUNK) as OpRow[];
      for (const r of rows) yield rowToOp(r);
      if (rows.length < READ_CHUNK) return;
      at = rows[rows.length - 1]!.seq + 1;
    }
  }

  // ─── Batches ──────────────────────────────────────────────────────────────────────────

  /**
   * Stores a sealed batch: the next index, covering committed ops [fromSeq, toSeq] right
   * after the previous batch, with preRoot equal to the previous batch's postRoot.
   */
  sealBatch(b: BatchInput): SealedBatch {
    this.check();
    const prev = this.db.prepare("SELECT * FROM batches ORDER BY idx DESC LIMIT 1").get() as BatchRow | undefined;
    const index = prev ? prev.idx + 1 : 0;
    const expectFrom = prev ? prev.to_seq + 1 : 1;
    if (b.fromSeq !== expectFrom) throw new Error(`batch ${index}: fromSeq ${b.fromSeq}, expected ${expectFrom}`);
    if (b.toSeq < b.fromSeq) throw new Error(`batch ${index}: empty range`);
    if (b.toSeq > this.committed) throw new Error(`batch ${index}: toSeq ${b.toSeq} beyond the durable log (${this.committed})`);
    if (prev && Buffer.compare(prev.post_root, Buffer.from(b.preRoot)) !== 0) throw new Error(`batch ${index}: preRoot differs from batch ${prev.idx}'s postRoot`);
    if (prev && BigInt(prev.l1_to) !== b.l1From) throw new Error(`batch ${index}: l1From ${b.l1From}, expected ${prev.l1_to}`);
    if (b.l1To < b.l1From) throw new Error(`batch ${index}: l1To < l1From`);
    const sealedAt = Date.now();
    this.db
      .prepare(
        "INSERT INTO batches (idx, from_seq, to_seq, pre_root, post_root, l1_from, l1_to, timestamp, sealed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(index, b.fromSeq, b.toSeq, b.preRoot, b.postRoot, b.l1From.toString(), b.l1To.toString(), b.timestamp.toString(), sealedAt);
    return { index, ...b, sealedAt };
  }

  batch(index: number): SealedBatch | undefined {
    const r = this.db.prepare("SELECT * FROM batches WHERE idx = ?").get(index) as BatchRow | undefined;
    return r ? rowToBatch(r) : undefined;
  }

  batches(fromIndex = 0, limit = 1000): SealedBatch[] {
    return (this.db.prepare("SELECT * FROM batches WHERE idx >= ? ORDER BY idx LIMIT ?").all(fromIndex, limit) as BatchRow[]).map(rowToBatch);
  }

  lastBatch(): SealedBatch | undefined {
    const r = this.db.prepare("SELECT * FROM batches ORDER BY idx DESC LIMIT 1").get() as BatchRow | undefined;
    return r ? rowToBatch(r) : undefined;
  }

  /** The operations of a sealed batch, in order. */
  batchOps(index: number): LoggedOp[] {
    const b = this.batch(index);
    if (!b) throw new Error(`no batch ${index}`);
    return [...this.readFrom(b.fromSeq, b.toSeq)];
  }

  // ─── Snapshots ────────────────────────────────────────────────────────────────────────

  /**
   * Stores `state` as the state after op `seq` (0: before any op), with its root; keeps
   * the newest `SNAPSHOTS_KEPT`. `seq` must be durable already: a snapshot must never cover
   * an operation the log could lose.
   */
  writeSnapshot(state: CrossmarginState, seq: number): { seq: number; root: Uint8Array; bytes: number } {
    this.check();
    if (seq > this.committed) throw new Error(`snapshot at seq ${seq} beyond the durable log (${this.committed})`);
    const root = stateRoot(state);
    const bytes = serializeState(state);
    this.db.transaction(() => {
      this.db.prepare("INSERT OR REPLACE INTO snapshots (seq, root, state, created_at) VALUES (?, ?, ?, ?)").run(seq, root, bytes, Date.now());
      this.db
        .prepare("DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?)")
        .run(SNAPSHOTS_KEPT);
    })();
    return { seq, root, bytes: bytes.length };
  }

  /** Seqs and roots of the stored snapshots, newest first. */
  snapshots(): { seq: number; root: Uint8Array }[] {
    return (this.db.prepare("SELECT seq, root FROM snapshots ORDER BY seq DESC").all() as { seq: number; root: Buffer }[]).map((r) => ({
      seq: r.seq,
      root: new Uint8Array(r.root),
    }));
  }

  /** Restores the snapshot at `seq` and checks its root (throws on a mismatch). */
  loadSnapshot(seq: number): { state: CrossmarginState; seq: number; root: Uint8Array } {
    const r = this.db.prepare("SELECT seq, root, state FROM snapshots WHERE seq = ?").get(seq) as { seq: number; root: Buffer; state: Buffer } | undefined;
    if (!r) throw new Error(`no snapshot at seq ${seq}`);
    const root = new Uint8Array(r.root);
    return { state: restoreState(new Uint8Array(r.state), root), seq: r.seq, root };
  }

  /** The newest snapshot, restored and root-checked; undefined when there is none. */
  loadLatest(): { state: CrossmarginState; seq: number; root: Uint8Array } | undefined {
    const newest = this.snapshots()[0];
    return newest ? this.loadSnapshot(newest.seq) : undefined;
  }

  // ─── Meta ─────────────────────────────────────────────────────────────────────────────

  getMeta(key: string): Uint8Array | undefined {
    const r = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: Buffer } | undefined;
    return r ? new Uint8Array(r.value) : undefined;
  }

  setMeta(key: string, value: Uint8Array): void {
    this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  /** Commits what is queued, then closes the database. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }
}
