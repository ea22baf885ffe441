/**
 * The verifier's own SQLite file: its verdict per L1 batch, state snapshots to resume from,
 * and the L1 input queue items it read (each checked against L1's hash chain).
 *
 *   meta      (key PRIMARY KEY, value)                 rollup, chain id, genesis root
 *   batches   (batch_index PRIMARY KEY, header_hash, block_number, tx_hash, status, reason,
 *              detail, header_root, derived_root, op_count, queue_position, ops, verified_at)
 *   snapshots (batch_index PRIMARY KEY, root, state)  the state after a verified batch
 *   queue     (queue_index PRIMARY KEY, item, chain_hash, block_number)
 */
import Database from "better-sqlite3";

export type Verdict = "verified" | "dispute";

export interface BatchRecord {
  batchIndex: number;
  headerHash: string;
  blockNumber: bigint;
  txHash: string;
  status: Verdict;
  /** Machine-readable reason of a dispute (null when verified). */
  reason: string | null;
  detail: string | null;
  headerRoot: string;
  /** Root of the replay (null when the batch could not be replayed). */
  derivedRoot: string | null;
  opCount: bigint;
  queuePosition: bigint;
  /** Operations decoded and replayed. */
  ops: number;
  verifiedAt: number;
}

export interface QueueRow {
  queueIndex: bigint;
  item: Uint8Array;
  chainHash: string;
  blockNumber: bigint;
}

interface BatchRow {
  batch_index: number;
  header_hash: string;
  block_number: string;
  tx_hash: string;
  status: Verdict;
  reason: string | null;
  detail: string | null;
  header_root: string;
  derived_root: string | null;
  op_count: string;
  queue_position: string;
  ops: number;
  verified_at: number;
}

const toRecord = (r: BatchRow): BatchRecord => ({
  batchIndex: r.batch_index,
  headerHash: r.header_hash,
  blockNumber: BigInt(r.block_number),
  txHash: r.tx_hash,
  status: r.status,
  reason: r.reason,
  detail: r.detail,
  headerRoot: r.header_root,
  derivedRoot: r.derived_root,
  opCount: BigInt(r.op_count),
  queuePosition: BigInt(r.queue_position),
  ops: r.ops,
  verifiedAt: r.verified_at,
});

export class VerifierStore {
  readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS batches (
        batch_index INTEGER PRIMARY KEY, header_hash TEXT NOT NULL, block_number TEXT NOT NULL,
        tx_hash TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('verified','dispute')),
        reason TEXT, detail TEXT, header_root TEXT NOT NULL, derived_root TEXT,
        op_count TEXT NOT NULL, queue_position TEXT NOT NULL, ops INTEGER NOT NULL, verified_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS snapshots (batch_index INTEGER PRIMARY KEY, root BLOB NOT NULL, state BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS queue (queue_index INTEGER PRIMARY KEY, item BLOB NOT NULL, chain_hash TEXT NOT NULL, block_number TEXT NOT NULL);
    `);
  }

  /** Binds the file to one rollup: a file made for another rollup, chain or genesis is refused. */
  bind(meta: Record<string, string>): void {
    const get = this.db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?");
    const put = this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(meta)) {
        const have = get.get(k);
        if (have === undefined) put.run(k, v);
        else if (have.value !== v) {
          throw new Error(`verifier db: it was made for ${k} = ${have.value}, this run has ${k} = ${v}; use another --db file`);
        }
      }
    })();
  }

  record(r: BatchRecord): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO batches (batch_index, header_hash, block_number, tx_hash, status, reason, detail, header_root,
         derived_root, op_count, queue_position, ops, verified_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      )
      .run(r.batchIndex, r.headerHash, r.blockNumber.toString(), r.txHash, r.status, r.reason, r.detail, r.headerRoot, r.derivedRoot, r.opCount.toString(), r.queuePosition.toString(), r.ops, r.verifiedAt);
  }

  batch(index: number): BatchRecord | undefined {
    const r = this.db.prepare<[number], BatchRow>("SELECT * FROM batches WHERE batch_index = ?").get(index);
    return r && toRecord(r);
  }

  lastBatch(): BatchRecord | undefined {
    const r = this.db.prepare<[], BatchRow>("SELECT * FROM batches ORDER BY batch_index DESC LIMIT 1").get();
    return r && toRecord(r);
  }

  batches(): BatchRecord[] {
    return this.db.prepare<[], BatchRow>("SELECT * FROM batches ORDER BY batch_index").all().map(toRecord);
  }

  disputes(limit = 100): BatchRecord[] {
    return this.db.prepare<[number], BatchRow>("SELECT * FROM batches WHERE status = 'dispute' ORDER BY batch_index LIMIT ?").all(limit).map(toRecord);
  }

  counts(): { verified: number; dispute: number } {
    const rows = this.db.prepare<[], { status: Verdict; n: number }>("SELECT status, COUNT(*) AS n FROM batches GROUP BY status").all();
    const out = { verified: 0, dispute: 0 };
    for (const r of rows) out[r.status] = r.n;
    return out;
  }

  /** Forgets batches after `index` and the snapshots after it (rollback, or a replay restart). */
  truncateAfter(index: number): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM batches WHERE batch_index > ?").run(index);
      this.db.prepare("DELETE FROM snapshots WHERE batch_index > ?").run(index);
    })();
  }

  saveSnapshot(index: number, root: Uint8Array, state: Uint8Array, keep: number): void {
    this.db.transaction(() => {
      this.db.prepare("INSERT OR REPLACE INTO snapshots (batch_index, root, state) VALUES (?, ?, ?)").run(index, Buffer.from(root), Buffer.from(state));
      this.db.prepare("DELETE FROM snapshots WHERE batch_index NOT IN (SELECT batch_index FROM snapshots ORDER BY batch_index DESC LIMIT ?)").run(keep);
    })();
  }

  /** The newest snapshot at or before `index`. */
  snapshotAtOrBefore(index: number): { batchIndex: number; root: Uint8Array; state: Uint8Array } | undefined {
    const r = this.db
      .prepare<[number], { batch_index: number; root: Buffer; state: Buffer }>("SELECT * FROM snapshots WHERE batch_index <= ? ORDER BY batch_index DESC LIMIT 1")
      .get(index);
    return r && { batchIndex: r.batch_index, root: new Uint8Array(r.root), state: new Uint8Array(r.state) };
  }

  queueLength(): bigint {
    const r = this.db.prepare<[], { n: number | null }>("SELECT MAX(queue_index) AS n FROM queue").get();
    return r?.n === null || r?.n === undefined ? 0n : BigInt(r.n) + 1n;
  }

  queueItem(index: bigint): QueueRow | undefined {
    const r = this.db
      .prepare<[number], { queue_index: number; item: Buffer; chain_hash: string; block_number: string }>("SELECT * FROM queue WHERE queue_index = ?")
      .get(Number(index));
    return r && { queueIndex: BigInt(r.queue_index), item: new Uint8Array(r.item), chainHash: r.chain_hash, blockNumber: BigInt(r.block_number) };
  }

  lastQueueItem(): QueueRow | undefined {
    const n = this.queueLength();
    return n === 0n ? undefined : this.queueItem(n - 1n);
  }

  putQueueItem(q: QueueRow): void {
    this.db.prepare("INSERT OR REPLACE INTO queue (queue_index, item, chain_hash, block_number) VALUES (?, ?, ?, ?)").run(Number(q.queueIndex), Buffer.from(q.item), q.chainHash, q.blockNumber.toString());
  }

  truncateQueueFrom(index: bigint): void {
    this.db.prepare("DELETE FROM queue WHERE queue_index >= ?").run(Number(index));
  }

  close(): void {
    this.db.close();
  }
}
