/**
 * The batch poster: submits the op log's sealed batches to `Rollup.submitBatch(header, data)`,
 * strictly in order, and follows each to a governed confirmation depth.
 *
 * What L1 checks decides what the poster does. `Rollup.nextBatchIndex` says which batch L1
 * needs next; the poster only ever posts that one (the op log's batch `nextBatchIndex - 1`;
 * the Rollup's batch 0 is genesis). So no batch is skipped (L1 accepts only the next index)
 * and none is posted twice (a second copy names an index L1 already has and reverts; the
 * poster never sends one because it reads the index from L1 before every send).
 *
 * The header, field by field as Rollup.sol checks it:
 *   batchIndex      op-log index + 1
 *   parentHash      `Rollup.batch(batchIndex - 1).headerHash` read from L1
 *   prevStateRoot   the sealed batch's preRoot (checked equal to L1's parent root first)
 *   newStateRoot    the sealed batch's postRoot
 *   opCount         toSeq - fromSeq + 1
 *   queuePosition   the sealed batch's l1To (the state's l1.nextIndex after the batch)
 *   queueChainHash  the state's l1.chainHash after the batch: the keccak chain over the L1
 *                   inputs the batch's ops consumed (sequencer/state/l1Input.ts), folded from
 *                   the op log, and checked equal to L1's `queueChainAt(l1To)` (the same chain
 *                   over the Vault/Governance items, docs/contracts.md) before signing
 *   dataHash        keccak256(data), data = `batchData(index)` (the codec's bytes; default:
 *                   the SSZ list of the batch's canonical op bytes, see `sszBatchData`)
 *   l1Timestamp     must equal block.timestamp of the block that includes the transaction:
 *                   predicted before signing (default: block.timestamp as the node's pending
 *                   block sees it); a transaction mined in a block with another timestamp
 *                   reverts, and the poster re-posts with the next nonce. A pending
 *                   transaction whose predicted time has passed can no longer succeed and is
 *                   replaced at once with a fresh prediction.
 *
 * Because the parent hash covers the parent's l1Timestamp, which is only known once the
 * parent is mined, one batch is in flight at a time; the next is sent as soon as the previous
 * is mined (not yet confirmed). A reorg that drops mined batches is seen as L1's
 * `nextBatchIndex` falling below them: they are marked `reorged` and posted again from there.
 *
 * Nonces are the poster's: the first attempt of a batch takes the account's mined transaction
 * count (nothing of ours is in flight then), replacements reuse the nonce with fees above
 * every earlier attempt with that nonce (so a node never refuses them as underpriced). Each
 * transaction is signed locally and written to `l1_posts` (postStore.ts) before it is
 * broadcast, so a restart knows everything that may be in flight.
 *
 * Every attempt and outcome is one JSON line (`logLine`) and a counter in `stats`.
 */
import {
  type Address,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  type Hex,
  HttpRequestError,
  type LocalAccount,
  type PublicClient,
  TimeoutError,
  type Transport,
  encodeAbiParameters,
  encodeFunctionData,
  keccak256,
  toHex,
} from "viem";
import { bytesToHex, hexToBytes } from "../state/bytes.js";
import { isL1Input, nextChainHash } from "../state/index.js";
import type { OpLog, SealedBatch } from "../storage/index.js";
import { rollupAbi } from "./abi.js";
import { L1PostStore, type PostRow } from "./postStore.js";

/** `Rollup.BatchHeader`. */
export interface BatchHeader {
  batchIndex: bigint;
  parentHash: Hex;
  prevStateRoot: Hex;
  newStateRoot: Hex;
  opCount: bigint;
  queuePosition: bigint;
  queueChainHash: Hex;
  dataHash: Hex;
  l1Timestamp: bigint;
}

const submitBatchAbi = rollupAbi.find((x) => x.type === "function" && x.name === "submitBatch")!;
const HEADER_PARAM = submitBatchAbi.inputs[0];

/** `keccak256(abi.encode(header))`, the hash the Rollup stores. */
export function headerHash(h: BatchHeader): Hex {
  return keccak256(encodeAbiParameters([HEADER_PARAM], [h]));
}

/**
 * Default batch data until the codec lands: the SSZ serialization of `List[SequencedOp]` over
 * the batch's logged canonical bytes (4-byte little-endian offsets, then the elements), the
 * layout sequencer/codec/batch.ts documents, uncompressed.
 */
export function sszBatchData(log: OpLog): (batchIndex: number) => Uint8Array {
  return (batchIndex) => sszList(log.batchOps(batchIndex).map((o) => o.bytes));
}

export function sszList(elements: readonly Uint8Array[]): Uint8Array {
  const n = elements.length;
  let size = 4 * n;
  for (const e of elements) size += e.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let off = 4 * n;
  elements.forEach((e, i) => {
    view.setUint32(4 * i, off, true);
    out.set(e, off);
    off += e.length;
  });
  return out;
}

/** A prediction of the including block's timestamp from the latest block. */
export type TimestampPredictor = (latest: { number: bigint; timestamp: bigint }) => Promise<bigint> | bigint;

/** Init code that returns block.timestamp (TIMESTAMP PUSH0 MSTORE PUSH1 32 PUSH0 RETURN). */
const TIMESTAMP_CODE = "0x425f5260205ff3" as const;

/** block.timestamp as the node's pending block sees it (an eth_call with no target). */
export function pendingTimestamp(client: PublicClient<Transport, Chain | undefined>): TimestampPredictor {
  return async () => {
    const r = (await client.request({ method: "eth_call", params: [{ data: TIMESTAMP_CODE }, "pending"] } as never)) as Hex;
    return BigInt(r);
  };
}

/** For slot-based chains: the next slot after the latest block. */
export function nextSlot(slotSeconds: bigint): TimestampPredictor {
  return (latest) => latest.timestamp + slotSeconds;
}

export interface PosterOptions {
  /** The sequencer's op log (sealed batches); the poster's table goes into the same file. */
  log: OpLog;
  rollup: Address;
  client: PublicClient<Transport, Chain | undefined>;
  /** The sequencer's key: transactions are signed locally, recorded, then broadcast. */
  account: LocalAccount;
  /** The data bytes of op-log batch `index` (the codec's). Default `sszBatchData(log)`. */
  batchData?: (batchIndex: number) => Uint8Array;
  /** Blocks on top of the including one (inclusive) before a batch counts as confirmed. Default 3. */
  confirmations?: number;
  /** Replace a pending transaction after this long (default 30 s). */
  stuckAfterMs?: number;
  /** Fee increase of a replacement over every earlier attempt with its nonce, percent (default 25; nodes require ≥ 10). */
  feeBumpPercent?: number;
  /** Most the poster pays per gas (default 1,000 gwei). */
  maxFeePerGas?: bigint;
  /** Gas limit = estimate × (100 + this) / 100 (default 25). */
  gasMarginPercent?: number;
  /** Pause between rounds (default 1 s); after a failed round it doubles up to `maxBackoffMs` (default 10 s). */
  pollMs?: number;
  maxBackoffMs?: number;
  /** Predicts the including block's timestamp; default `pendingTimestamp(client)`. */
  predictTimestamp?: TimestampPredictor;
  /** Where JSON lines go (default: stdout). */
  logLine?: (line: string) => void;
  now?: () => number;
}

export interface PosterStats {
  /** Rounds run, and rounds that ended in an error (RPC or otherwise). */
  ticks: number;
  tickErrors: number;
  /** Of those errors, the ones where the RPC did not answer (timeouts, dropped connections, HTTP errors). */
  rpcErrors: number;
  /** Transactions signed and recorded. */
  attempts: number;
  /** Broadcasts the node accepted / failed. */
  broadcasts: number;
  broadcastErrors: number;
  /** Replacements: fee bumps of a stuck or stale transaction, re-sends of a transaction no node knows. */
  bumps: number;
  resent: number;
  mined: number;
  reverted: number;
  replaced: number;
  dropped: number;
  confirmed: number;
  reorged: number;
  /** Simulations L1 refused with a transient reason (retried next round). */
  simulationFailures: number;
  /** Rounds that waited for L1's queue to reach a batch's queue position (logged once per batch and queue length). */
  queueWaits: number;
}

const newStats = (): PosterStats => ({
  ticks: 0,
  tickErrors: 0,
  rpcErrors: 0,
  attempts: 0,
  broadcasts: 0,
  broadcastErrors: 0,
  bumps: 0,
  resent: 0,
  mined: 0,
  reverted: 0,
  replaced: 0,
  dropped: 0,
  confirmed: 0,
  reorged: 0,
  simulationFailures: 0,
  queueWaits: 0,
});

/** A condition the poster cannot resolve by retrying; it stops and reports it. */
export class PosterFatal extends Error {
  override name = "PosterFatal";
}

const ZERO32 = new Uint8Array(32);
const GWEI = 1_000_000_000n;

/** A reverted simulation names the header field; these can change by the next round. */
const TRANSIENT_HEADER_FIELDS = new Set(["batchIndex", "parentHash", "l1Timestamp", "queuePosition", "queueChainHash"]);

function isTransport(e: unknown): boolean {
  if (e instanceof BaseError) return e.walk((x) => x instanceof HttpRequestError || x instanceof TimeoutError) !== null;
  return e instanceof Error && /fetch failed|ECONNRE|socket hang up|timed? ?out/i.test(e.message);
}

function errorText(e: unknown): string {
  if (e instanceof BaseError) return e.shortMessage + (e.details ? ` (${e.details})` : "");
  return e instanceof Error ? e.message : String(e);
}

export class BatchPoster {
  readonly store: L1PostStore;
  readonly stats: PosterStats = newStats();
  private readonly log: OpLog;
  private readonly client: PublicClient<Transport, Chain | undefined>;
  private readonly account: LocalAccount;
  private readonly rollup: Address;
  private readonly batchData: (i: number) => Uint8Array;
  private readonly confirmations: number;
  private readonly stuckAfterMs: number;
  private readonly bump: bigint;
  private readonly feeCap: bigint;
  private readonly gasMargin: bigint;
  private readonly pollMs: number;
  private readonly maxBackoffMs: number;
  private readonly predict: TimestampPredictor;
  private readonly out: (line: string) => void;
  private readonly now: () => number;
  private readonly chainMemo = new Map<number, Uint8Array>();
  private chainId: number | null = null;
  private fatalError: PosterFatal | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private round: Promise<unknown> = Promise.resolve();
  /** The last queue wait logged (logged once per batch and L1 queue length, counted every round). */
  private lastQueueWait = "";
  private lastData: { index: number; data: Uint8Array } | null = null;

  constructor(o: PosterOptions) {
    this.log = o.log;
    this.client = o.client;
    this.account = o.account;
    if (this.account.type !== "local") throw new Error("poster: the account must be a local account (it signs before broadcasting)");
    this.rollup = o.rollup;
    this.batchData = o.batchData ?? sszBatchData(o.log);
    this.confirmations = Math.max(1, o.confirmations ?? 3);
    this.stuckAfterMs = o.stuckAfterMs ?? 30_000;
    this.bump = BigInt(o.feeBumpPercent ?? 25);
    if (this.bump < 10n) throw new Error("poster: feeBumpPercent below 10 (nodes refuse such replacements)");
    this.feeCap = o.maxFeePerGas ?? 1_000n * GWEI;
    this.gasMargin = BigInt(o.gasMarginPercent ?? 25);
    this.pollMs = o.pollMs ?? 1_000;
    this.maxBackoffMs = o.maxBackoffMs ?? 10_000;
    this.predict = o.predictTimestamp ?? pendingTimestamp(o.client);
    this.out = o.logLine ?? ((l) => process.stdout.write(`${l}\n`));
    this.now = o.now ?? Date.now;
    this.store = new L1PostStore(o.log.db, this.now);
  }

  /** Set when the poster stopped on a condition retrying cannot fix. */
  get error(): PosterFatal | null {
    return this.fatalError;
  }

  private event(event: string, fields: Record<string, unknown> = {}, level: "info" | "warn" | "error" = "info"): void {
    const line = JSON.stringify({ ts: new Date(this.now()).toISOString(), level, component: "poster", event, ...fields }, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    this.out(line);
  }

  private fatal(message: string, fields: Record<string, unknown> = {}): never {
    this.fatalError = new PosterFatal(message);
    this.event("fatal", { error: message, ...fields }, "error");
    throw this.fatalError;
  }

  // ─── Loop ──────────────────────────────────────────────────────────────────────────────

  /** Runs rounds every `pollMs` until `stop()` or a fatal condition. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.event("start", { account: this.account.address, rollup: this.rollup, confirmations: this.confirmations });
    this.loop = (async () => {
      let pause = this.pollMs;
      while (this.running && !this.fatalError) {
        try {
          await this.tick();
          pause = this.pollMs;
        } catch {
          // tick() logged and counted it; back off so a dead RPC is not hammered.
          pause = Math.min(pause * 2, this.maxBackoffMs);
        }
        if (!this.running || this.fatalError) break;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, pause);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = null;
      }
    })();
  }

  /** Stops after the current round (a transaction in flight stays recorded for the next start). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = null;
    this.event("stop", { stats: this.stats });
  }

  /** Polls until `pred()` holds; throws after `timeoutMs` or when the poster stopped on a fatal error. */
  async waitUntil(pred: () => boolean, timeoutMs: number, what = "condition"): Promise<void> {
    const deadline = this.now() + timeoutMs;
    while (!pred()) {
      if (this.fatalError) throw this.fatalError;
      if (this.now() > deadline) throw new Error(`poster: ${what} not reached within ${timeoutMs} ms (stats ${JSON.stringify(this.stats)})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Highest op-log batch index confirmed on L1 (-1: none). */
  confirmedThrough(): number {
    return this.store.confirmedThrough();
  }

  // ─── One round ─────────────────────────────────────────────────────────────────────────

  /**
   * One round: notice reorgs and confirmations, follow the transaction in flight (receipt,
   * bump, re-send), or send the batch L1 needs next. Throws (after logging and counting) on
   * an RPC failure; the loop retries.
   */
  async tick(): Promise<void> {
    // Rounds never overlap (the loop and a caller may both ask for one).
    const run = this.round.then(() => this.tickOnce());
    this.round = run.catch(() => undefined);
    return run;
  }

  private async tickOnce(): Promise<void> {
    if (this.fatalError) throw this.fatalError;
    this.stats.ticks++;
    try {
      this.chainId ??= await this.client.getChainId();
      // One view of L1 per round: the head, and what the Rollup holds at it. Receipts are read
      // after it, so a transaction mined meanwhile is newer than this view (see `fresh`).
      const head = await this.client.getBlock({ blockTag: "latest" });
      const confBlock = head.number - BigInt(this.confirmations - 1);
      const [chainNext, confirmedNext] = await Promise.all([
        this.nextBatchIndex(head.number),
        confBlock < 0n ? Promise.resolve(0n) : this.confirmations === 1 ? null : this.nextBatchIndex(confBlock),
      ]);
      const fresh = await this.settle();
      await this.reconcile(confBlock, chainNext, confirmedNext ?? chainNext, fresh);
      if (fresh.size > 0) return; // L1 moved since `head`: decide on a fresh view next round
      const inflight = this.store.withStatus("sent");
      if (inflight.length > 0) return await this.unstick(head, chainNext, inflight);
      await this.sendNext(head.number, chainNext);
    } catch (e) {
      if (e instanceof PosterFatal) throw e;
      this.stats.tickErrors++;
      const rpc = isTransport(e);
      if (rpc) this.stats.rpcErrors++;
      this.event(rpc ? "rpc_error" : "tick_error", { error: errorText(e) }, "warn");
      throw e;
    }
  }

  private async nextBatchIndex(blockNumber: bigint): Promise<bigint> {
    return this.client.readContract({ address: this.rollup, abi: rollupAbi, functionName: "nextBatchIndex", blockNumber });
  }

  /**
   * Reorgs: a mined or confirmed attempt whose batch L1 no longer has is `reorged` (it will be
   * posted again). Confirmations: every batch L1 had `confirmations - 1` blocks ago is
   * confirmed, once its stored header hash is matched to one of our attempts (else someone
   * else posted it: fatal).
   */
  private async reconcile(confBlock: bigint, chainNext: bigint, confirmedNext: bigint, fresh: Set<Hex>): Promise<void> {
    for (const row of this.store.withStatus("mined", "confirmed")) {
      // `fresh`: mined after the view `chainNext` was read at, not dropped.
      if (BigInt(row.batchIndex + 1) < chainNext || fresh.has(row.txHash)) continue;
      this.store.setStatus(row.txHash, "reorged");
      this.stats.reorged++;
      const deep = row.status === "confirmed";
      this.event(deep ? "reorg_beyond_confirmations" : "reorg", { batch: row.batchIndex, l1Batch: row.batchIndex + 1, tx: row.txHash, block: row.blockNumber, l1Next: chainNext }, deep ? "error" : "warn");
    }
    for (let i = this.store.confirmedThrough() + 1; BigInt(i + 1) < confirmedNext; i++) {
      const onChain = await this.client.readContract({ address: this.rollup, abi: rollupAbi, functionName: "batch", args: [BigInt(i + 1)], blockNumber: confBlock });
      const row = this.store.byHeader(i, onChain.headerHash);
      if (!row) this.fatal(`L1 batch ${i + 1} (header ${onChain.headerHash}) is not one this poster signed`, { batch: i });
      let { blockNumber, blockHash } = row;
      if (row.status !== "mined" || blockNumber === null) {
        // An attempt we had written off (replaced, reverted, reorged) is the one L1 kept.
        const rc = await this.receipt(row.txHash);
        blockNumber = rc?.blockNumber ?? null;
        blockHash = rc?.blockHash ?? null;
      }
      this.store.setStatus(row.txHash, "confirmed", { blockNumber, blockHash });
      // Another attempt of this batch we saw mined is not the one L1 kept (its block was reorged out).
      for (const other of this.store.forBatch(i)) {
        if (other.status !== "mined" || other.txHash === row.txHash) continue;
        this.store.setStatus(other.txHash, "reorged");
        this.stats.reorged++;
        this.event("reorg", { batch: i, l1Batch: i + 1, tx: other.txHash, block: other.blockNumber, keptTx: row.txHash }, "warn");
      }
      this.stats.confirmed++;
      this.event("confirmed", { batch: i, l1Batch: i + 1, tx: row.txHash, nonce: row.nonce, block: blockNumber, headerHash: onChain.headerHash, depth: this.confirmations });
    }
  }

  private async receipt(hash: Hex) {
    try {
      return await this.client.getTransactionReceipt({ hash });
    } catch (e) {
      if (e instanceof BaseError && e.name === "TransactionReceiptNotFoundError") return null;
      throw e;
    }
  }

  private async known(hash: Hex): Promise<boolean> {
    try {
      await this.client.getTransaction({ hash });
      return true;
    } catch (e) {
      if (e instanceof BaseError && e.name === "TransactionNotFoundError") return false;
      throw e;
    }
  }

  /**
   * Receipts of the transactions in flight: mined (succeeded) or reverted; the other attempts
   * with the same nonce are then replaced. Returns the hashes that changed.
   */
  private async settle(): Promise<Set<Hex>> {
    const rows = this.store.withStatus("sent");
    const changed = new Set<Hex>();
    for (const row of rows) {
      const rc = await this.receipt(row.txHash);
      if (!rc) continue;
      changed.add(row.txHash);
      if (rc.status === "success") {
        this.store.setStatus(row.txHash, "mined", { blockNumber: rc.blockNumber, blockHash: rc.blockHash });
        this.stats.mined++;
        this.event("mined", { batch: row.batchIndex, l1Batch: row.batchIndex + 1, tx: row.txHash, nonce: row.nonce, attempt: row.attempt, block: rc.blockNumber, gasUsed: rc.gasUsed, effectiveGasPrice: rc.effectiveGasPrice });
      } else {
        const blk = await this.client.getBlock({ blockNumber: rc.blockNumber });
        const why = blk.timestamp !== row.l1Timestamp ? `l1Timestamp ${row.l1Timestamp} != block.timestamp ${blk.timestamp}` : "reverted";
        this.store.setStatus(row.txHash, "reverted", { blockNumber: rc.blockNumber, blockHash: rc.blockHash, error: why });
        this.stats.reverted++;
        this.event("reverted", { batch: row.batchIndex, tx: row.txHash, nonce: row.nonce, attempt: row.attempt, block: rc.blockNumber, reason: why }, "warn");
      }
      for (const other of rows) {
        if (other.nonce !== row.nonce || other.txHash === row.txHash || changed.has(other.txHash)) continue;
        changed.add(other.txHash);
        this.store.setStatus(other.txHash, "replaced");
        this.stats.replaced++;
        this.event("replaced", { batch: other.batchIndex, tx: other.txHash, nonce: other.nonce, attempt: other.attempt, by: row.txHash });
      }
    }
    return changed;
  }

  /** The transaction in flight is neither mined nor reverted: gone? stuck? stale? */
  private async unstick(head: { number: bigint; timestamp: bigint }, chainNext: bigint, rows: PostRow[]): Promise<void> {
    // The account's nonce at the same view as `chainNext` (receipts were read after it).
    const mined = await this.client.getTransactionCount({ address: this.account.address, blockNumber: head.number });
    const drop = (r: PostRow, why: string) => {
      this.store.setStatus(r.txHash, "dropped", { error: why });
      this.stats.dropped++;
      this.event("dropped", { batch: r.batchIndex, tx: r.txHash, nonce: r.nonce, attempt: r.attempt, reason: why }, "warn");
    };
    const current = Math.max(...rows.map((r) => r.nonce));
    for (const r of rows) {
      if (r.nonce < current) drop(r, "superseded by an attempt with a later nonce");
    }
    const cur = rows.filter((r) => r.nonce === current);
    if (mined > current) {
      for (const r of cur) drop(r, `nonce ${current} was used by a transaction without a receipt among ours`);
      return;
    }
    if (mined < current) {
      // After a reorg the chain's nonce went back below this one: it can never be mined.
      for (const r of cur) drop(r, `nonce gap: account at ${mined}`);
      return;
    }
    const newest = cur[cur.length - 1]!;
    const target = Number(chainNext) - 1;
    if (newest.batchIndex !== target) {
      // Its batch is no longer the one L1 needs next (it would revert); post the right one at this nonce.
      for (const r of cur) drop(r, `batch ${newest.batchIndex} is not L1's next (${target})`);
      return;
    }
    let anyKnown = false;
    for (const r of cur) if (await this.known(r.txHash)) anyKnown = true;
    if (!anyKnown) {
      this.stats.resent++;
      this.event("resend", { batch: target, nonce: current, reason: "no node knows the transaction" }, "warn");
      for (const r of cur) this.store.setStatus(r.txHash, "dropped", { error: "not in the mempool" });
      await this.send(target, current, "resend", newest.gas);
      return;
    }
    const stale = head.timestamp > newest.l1Timestamp;
    if (stale || this.now() - newest.createdAt >= this.stuckAfterMs) {
      this.stats.bumps++;
      this.event("bump", { batch: target, nonce: current, reason: stale ? "stale l1Timestamp" : "stuck", waitedMs: this.now() - newest.createdAt, prevMaxFeePerGas: newest.maxFeePerGas, latestTimestamp: head.timestamp, predicted: newest.l1Timestamp });
      // Same batch, same gas (the header differs only in its timestamp); a simulation at
      // "pending" would see the attempt being replaced and fail.
      await this.send(target, current, "bump", newest.gas);
    }
  }

  private async sendNext(head: bigint, chainNext: bigint): Promise<void> {
    const target = Number(chainNext) - 1;
    if (!this.log.batch(target)) return;
    // Nothing of ours is in flight: the next nonce is the account's count at this view.
    const nonce = await this.client.getTransactionCount({ address: this.account.address, blockNumber: head });
    await this.send(target, nonce, "new");
  }

  // ─── Headers ───────────────────────────────────────────────────────────────────────────

  /**
   * The state's l1.chainHash after op-log batch `index`: the chain after the previous batch
   * (remembered, recorded with its attempts, or zero before the first) extended by every L1
   * input the batch's ops consumed, in order. Checks that they are exactly the queue range
   * [l1From, l1To) the batch names.
   */
  queueChainAfter(index: number): Uint8Array {
    let from = index;
    let chain: Uint8Array | undefined;
    while (from >= 0) {
      chain = this.chainMemo.get(from) ?? (() => {
        const h = this.store.queueChainAfter(from);
        return h ? hexToBytes(h) : undefined;
      })();
      if (chain) break;
      from--;
    }
    let acc = chain ?? ZERO32;
    for (let i = from + 1; i <= index; i++) {
      const b = this.log.batch(i);
      if (!b) throw new Error(`no sealed batch ${i}`);
      let next = b.l1From;
      for (const o of this.log.batchOps(i)) {
        const op = o.op.op;
        // Consumed = accepted, or refused but consumed (l1Consumed); an out-of-order input is neither.
        if (!isL1Input(op) || !(o.ok || o.l1Consumed)) continue;
        if (op.queueIndex !== next) this.fatal(`batch ${i}: op ${o.seq} consumes queue index ${op.queueIndex}, expected ${next}`);
        acc = nextChainHash(acc, op);
        next++;
      }
      if (next !== b.l1To) this.fatal(`batch ${i}: its ops consume the queue up to ${next}, the batch says ${b.l1To}`);
      this.chainMemo.set(i, acc);
    }
    return acc;
  }

  /** The header of op-log batch `b` for a given parent hash, data and predicted timestamp. */
  buildHeader(b: SealedBatch, parentHash: Hex, data: Uint8Array, l1Timestamp: bigint): BatchHeader {
    return {
      batchIndex: BigInt(b.index + 1),
      parentHash,
      prevStateRoot: bytesToHex(b.preRoot) as Hex,
      newStateRoot: bytesToHex(b.postRoot) as Hex,
      opCount: BigInt(b.toSeq - b.fromSeq + 1),
      queuePosition: b.l1To,
      queueChainHash: bytesToHex(this.queueChainAfter(b.index)) as Hex,
      dataHash: keccak256(data),
      l1Timestamp,
    };
  }

  // ─── Sending ───────────────────────────────────────────────────────────────────────────

  /** Fees for an attempt at `nonce`: the node's estimate, above every earlier attempt at it, capped. */
  private async fees(nonce: number): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const est = await this.client.estimateFeesPerGas();
    let maxFee = est.maxFeePerGas;
    let tip = est.maxPriorityFeePerGas;
    const up = (x: bigint) => (x * (100n + this.bump) + 99n) / 100n;
    for (const r of this.store.forNonce(nonce)) {
      if (up(r.maxFeePerGas) > maxFee) maxFee = up(r.maxFeePerGas);
      if (up(r.maxPriorityFeePerGas) > tip) tip = up(r.maxPriorityFeePerGas);
    }
    if (maxFee > this.feeCap) {
      this.event("fee_cap", { nonce, wanted: maxFee, cap: this.feeCap }, "warn");
      maxFee = this.feeCap;
    }
    if (tip > maxFee) tip = maxFee;
    return { maxFeePerGas: maxFee, maxPriorityFeePerGas: tip };
  }

  /**
   * Checks, signs, records and broadcasts one attempt for op-log batch `index` at `nonce`.
   * `gasHint`: reuse a previous attempt's gas limit instead of simulating (replacements).
   */
  private async send(index: number, nonce: number, kind: "new" | "bump" | "resend", gasHint?: bigint): Promise<void> {
    const b = this.log.batch(index);
    if (!b) throw new Error(`no sealed batch ${index}`);
    const l1Index = BigInt(index + 1);
    const [parent, queueLength, maxBatchSize] = await Promise.all([
      this.client.readContract({ address: this.rollup, abi: rollupAbi, functionName: "batch", args: [l1Index - 1n] }),
      this.client.readContract({ address: this.rollup, abi: rollupAbi, functionName: "queueLength" }),
      this.client.readContract({ address: this.rollup, abi: rollupAbi, functionName: "maxBatchSize" }),
    ]);
    if (parent.stateRoot !== bytesToHex(b.preRoot)) {
      this.fatal(`batch ${index}: its pre-state root ${bytesToHex(b.preRoot)} is not L1 batch ${l1Index - 1n}'s root ${parent.stateRoot} (the op log does not continue this L1 chain)`, { batch: index });
    }
    const opCount = BigInt(b.toSeq - b.fromSeq + 1);
    if (opCount > maxBatchSize) this.fatal(`batch ${index}: ${opCount} ops exceed L1's maxBatchSize ${maxBatchSize}`, { batch: index });
    if (b.l1To > queueLength) {
      // The sequencer consumed inputs L1 does not show (yet): wait for L1.
      this.stats.queueWaits++;
      const key = `${index}:${queueLength}`;
      if (this.lastQueueWait !== key) this.event("queue_wait", { batch: index, queuePosition: b.l1To, l1QueueLength: queueLength }, "warn");
      this.lastQueueWait = key;
      return;
    }
    // A replacement carries the same data: encode (compress) once per batch.
    if (this.lastData?.index !== index) this.lastData = { index, data: this.batchData(index) };
    const data = this.lastData.data;
    const queueChainHash = bytesToHex(this.queueChainAfter(index)) as Hex;
    const l1Chain = await this.client.readContract({ address: this.rollup, abi: rollupAbi, functionName: "queueChainAt", args: [b.l1To] });
    if (l1Chain !== queueChainHash) {
      this.fatal(`batch ${index}: the state's L1 chain hash ${queueChainHash} at queue position ${b.l1To} differs from L1's ${l1Chain} (the sequencer consumed inputs L1 did not enqueue)`, { batch: index });
    }
    const fees = await this.fees(nonce);
    // Predicted as late as possible: every round trip between here and the block is a chance
    // for the chain's clock to move past the prediction.
    const predicted = await this.predict(await this.client.getBlock({ blockTag: "latest" }));
    const header = this.buildHeader(b, parent.headerHash, data, predicted);
    const args = [header, toHex(data)] as const;
    let gas = gasHint;
    if (gas === undefined) {
      try {
        const est = await this.client.estimateContractGas({ address: this.rollup, abi: rollupAbi, functionName: "submitBatch", args, account: this.account, blockTag: "pending" });
        gas = (est * (100n + this.gasMargin)) / 100n;
      } catch (e) {
        const rev = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null;
        if (!(rev instanceof ContractFunctionRevertedError)) throw e;
        const name = rev.data?.errorName ?? "unknown";
        const field = name === "BadHeader" ? String(rev.data?.args?.[0]) : undefined;
        if (field !== undefined && TRANSIENT_HEADER_FIELDS.has(field)) {
          this.stats.simulationFailures++;
          this.event("simulation_failed", { batch: index, error: name, field, predicted }, "warn");
          return;
        }
        this.fatal(`batch ${index}: L1 refuses the batch: ${name}${field ? `(${field})` : ""} ${rev.data?.args ? JSON.stringify(rev.data.args, (_k, v) => (typeof v === "bigint" ? v.toString() : v)) : ""}`, { batch: index });
      }
    }
    const serialized = await this.account.signTransaction({
      chainId: this.chainId!,
      type: "eip1559",
      to: this.rollup,
      data: encodeFunctionData({ abi: rollupAbi, functionName: "submitBatch", args }),
      nonce,
      gas,
      ...fees,
    });
    const txHash = keccak256(serialized);
    // Write-ahead: recorded before any node can see it.
    const row = this.store.insert({ txHash, batchIndex: index, nonce, headerHash: headerHash(header), l1Timestamp: predicted, queueChainHash: header.queueChainHash, dataHash: header.dataHash, gas, ...fees });
    this.stats.attempts++;
    this.event("send", { kind, batch: index, l1Batch: index + 1, attempt: row.attempt, nonce, tx: txHash, l1Timestamp: predicted, opCount, queuePosition: b.l1To, dataBytes: data.length, gas, ...fees });
    try {
      await this.client.sendRawTransaction({ serializedTransaction: serialized });
      this.stats.broadcasts++;
    } catch (e) {
      const msg = errorText(e);
      if (/already known|known transaction|already imported/i.test(msg)) {
        this.stats.broadcasts++;
        return;
      }
      this.stats.broadcastErrors++;
      if (isTransport(e)) {
        // The node may or may not have it: the next round asks (getTransaction) before re-sending.
        this.event("broadcast_unknown", { batch: index, tx: txHash, nonce, error: msg }, "warn");
        return;
      }
      if (/insufficient funds/i.test(msg)) this.fatal(`the sequencer account cannot pay for batch ${index}: ${msg}`, { tx: txHash });
      // Refused (nonce too low, underpriced, …): the row is dead; its fees raise the next attempt's floor.
      this.store.setStatus(txHash, "dropped", { error: msg });
      this.stats.dropped++;
      this.event("dropped", { batch: index, tx: txHash, nonce, attempt: row.attempt, reason: msg }, "warn");
    }
  }
}
