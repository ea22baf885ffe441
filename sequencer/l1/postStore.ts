/**
 * The poster's durable record: one row per signed transaction (an "attempt"), in the
 * sequencer's SQLite file beside the op log's tables (which it does not touch).
 *
 * A row is written BEFORE its transaction is broadcast (write-ahead): after a crash at any
 * point the poster knows every transaction that may be in a mempool or on chain, with its
 * nonce and fees, so it never reuses a nonce at a fee a node would refuse as an underpriced
 * replacement and never loses track of a batch in flight. What is on L1 is still decided by
 * L1 (Rollup.nextBatchIndex and the stored header hashes); the rows say which of those
 * batches are ours and how far each got.
 *
 * `batch_index` is the op log's batch index; the Rollup's index is `batch_index + 1` (the
 * Rollup's batch 0 is genesis, the op log's first sealed batch is 0).
 *
 * Status of a row:
 *   sent       signed and written; broadcast or about to be (may or may not be in a mempool)
 *   replaced   another attempt with the same nonce was mined
 *   dropped    neither mined nor pending any more (evicted, nonce used by another attempt, refused)
 *   mined      included, succeeded, not yet at the confirmation depth
 *   confirmed  its batch is on L1 at the confirmation depth
 *   reverted   included and reverted (e.g. its l1Timestamp missed the block's timestamp)
 *   reorged    was mined or confirmed, then its block left the canonical chain
 */
import type Database from "better-sqlite3";

export type PostStatus = "sent" | "replaced" | "dropped" | "mined" | "confirmed" | "reverted" | "reorged";

export interface PostRow {
  txHash: `0x${string}`;
  batchIndex: number;
  attempt: number;
  nonce: number;
  status: PostStatus;
  headerHash: `0x${string}`;
  l1Timestamp: bigint;
  queueChainHash: `0x${string}`;
  dataHash: `0x${string}`;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  gas: bigint;
  blockNumber: bigint | null;
  blockHash: `0x${string}` | null;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS l1_posts (
  tx_hash BLOB PRIMARY KEY,
  batch_index INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  nonce INTEGER NOT NULL,
  status TEXT NOT NULL,
  header_hash BLOB NOT NULL,
  l1_timestamp TEXT NOT NULL,
  queue_chain_hash BLOB NOT NULL,
  data_hash BLOB NOT NULL,
  max_fee_per_gas TEXT NOT NULL,
  max_priority_fee_per_gas TEXT NOT NULL,
  gas TEXT NOT NULL,
  block_number INTEGER,
  block_hash BLOB,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (batch_index, attempt)
) STRICT;
CREATE INDEX IF NOT EXISTS l1_posts_status ON l1_posts (status, batch_index);
CREATE INDEX IF NOT EXISTS l1_posts_nonce ON l1_posts (nonce);
`;

interface Row {
  tx_hash: Buffer;
  batch_index: number;
  attempt: number;
  nonce: number;
  status: string;
  header_hash: Buffer;
  l1_timestamp: string;
  queue_chain_hash: Buffer;
  data_hash: Buffer;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string;
  gas: string;
  block_number: number | null;
  block_hash: Buffer | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

const hex = (b: Buffer): `0x${string}` => `0x${b.toString("hex")}`;
const buf = (h: string): Buffer => Buffer.from(h.slice(2), "hex");

function fromRow(r: Row): PostRow {
  return {
    txHash: hex(r.tx_hash),
    batchIndex: r.batch_index,
    attempt: r.attempt,
    nonce: r.nonce,
    status: r.status as PostStatus,
    headerHash: hex(r.header_hash),
    l1Timestamp: BigInt(r.l1_timestamp),
    queueChainHash: hex(r.queue_chain_hash),
    dataHash: hex(r.data_hash),
    maxFeePerGas: BigInt(r.max_fee_per_gas),
    maxPriorityFeePerGas: BigInt(r.max_priority_fee_per_gas),
    gas: BigInt(r.gas),
    blockNumber: r.block_number === null ? null : BigInt(r.block_number),
    blockHash: r.block_hash === null ? null : hex(r.block_hash),
    error: r.error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export type NewPost = Omit<PostRow, "attempt" | "status" | "blockNumber" | "blockHash" | "error" | "createdAt" | "updatedAt">;

export class L1PostStore {
  constructor(
    readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    db.exec(SCHEMA);
  }

  /** Writes a new attempt (status `sent`); its number is the next for the batch. Durable on return. */
  insert(p: NewPost): PostRow {
    const t = this.now();
    this.db.transaction(() => {
      const r = this.db.prepare("SELECT COALESCE(MAX(attempt) + 1, 0) AS a FROM l1_posts WHERE batch_index = ?").get(p.batchIndex) as { a: number };
      this.db
        .prepare(
          `INSERT INTO l1_posts (tx_hash, batch_index, attempt, nonce, status, header_hash, l1_timestamp, queue_chain_hash, data_hash,
             max_fee_per_gas, max_priority_fee_per_gas, gas, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'sent', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(buf(p.txHash), p.batchIndex, r.a, p.nonce, buf(p.headerHash), p.l1Timestamp.toString(), buf(p.queueChainHash), buf(p.dataHash), p.maxFeePerGas.toString(), p.maxPriorityFeePerGas.toString(), p.gas.toString(), t, t);
    })();
    return this.get(p.txHash)!;
  }

  setStatus(txHash: `0x${string}`, status: PostStatus, extra: { blockNumber?: bigint | null; blockHash?: `0x${string}` | null; error?: string | null } = {}): void {
    const sets = ["status = ?", "updated_at = ?"];
    const args: unknown[] = [status, this.now()];
    if (extra.blockNumber !== undefined) {
      sets.push("block_number = ?");
      args.push(extra.blockNumber === null ? null : Number(extra.blockNumber));
    }
    if (extra.blockHash !== undefined) {
      sets.push("block_hash = ?");
      args.push(extra.blockHash === null ? null : buf(extra.blockHash));
    }
    if (extra.error !== undefined) {
      sets.push("error = ?");
      args.push(extra.error);
    }
    this.db.prepare(`UPDATE l1_posts SET ${sets.join(", ")} WHERE tx_hash = ?`).run(...args, buf(txHash));
  }

  get(txHash: `0x${string}`): PostRow | undefined {
    const r = this.db.prepare("SELECT * FROM l1_posts WHERE tx_hash = ?").get(buf(txHash)) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  /** Rows with one of `statuses`, by batch then attempt. */
  withStatus(...statuses: PostStatus[]): PostRow[] {
    const q = `SELECT * FROM l1_posts WHERE status IN (${statuses.map(() => "?").join(",")}) ORDER BY batch_index, attempt`;
    return (this.db.prepare(q).all(...statuses) as Row[]).map(fromRow);
  }

  /** Every attempt for a batch, in order. */
  forBatch(batchIndex: number): PostRow[] {
    return (this.db.prepare("SELECT * FROM l1_posts WHERE batch_index = ? ORDER BY attempt").all(batchIndex) as Row[]).map(fromRow);
  }

  /** Every attempt that used `nonce` (its fees bound a replacement's). */
  forNonce(nonce: number): PostRow[] {
    return (this.db.prepare("SELECT * FROM l1_posts WHERE nonce = ? ORDER BY created_at, attempt").all(nonce) as Row[]).map(fromRow);
  }

  /** The attempt of `batchIndex` whose header hash is `headerHash` (the one L1 stored). */
  byHeader(batchIndex: number, headerHash: `0x${string}`): PostRow | undefined {
    const r = this.db.prepare("SELECT * FROM l1_posts WHERE batch_index = ? AND header_hash = ? ORDER BY attempt DESC LIMIT 1").get(batchIndex, buf(headerHash)) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  /** The queue chain hash after `batchIndex`, from any of its attempts (all carry the same). */
  queueChainAfter(batchIndex: number): `0x${string}` | undefined {
    const r = this.db.prepare("SELECT queue_chain_hash FROM l1_posts WHERE batch_index = ? LIMIT 1").get(batchIndex) as { queue_chain_hash: Buffer } | undefined;
    return r ? hex(r.queue_chain_hash) : undefined;
  }

  /** Highest op-log batch index confirmed on L1 (-1: none). */
  confirmedThrough(): number {
    const r = this.db.prepare("SELECT MAX(batch_index) AS b FROM l1_posts WHERE status = 'confirmed'").get() as { b: number | null };
    return r.b ?? -1;
  }

  all(): PostRow[] {
    return (this.db.prepare("SELECT * FROM l1_posts ORDER BY batch_index, attempt").all() as Row[]).map(fromRow);
  }
}
