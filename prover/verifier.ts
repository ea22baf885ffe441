/**
 * The verifier (detection): derives every batch from L1 alone and re-executes it.
 *
 * Per round, at the L1 block `head − (confirmations − 1)`:
 *  1. rollback check: our newest batch must still be L1's (`Rollup.batch(i).headerHash`); if
 *     not (invalidation or reorg), walk back to the newest batch L1 still holds, forget the
 *     rest and rebuild the state there;
 *  2. the L1 input queue: `Enqueued` logs, each checked (`parseEnqueuedLog`) and chained
 *     (`checkChainStep`) onto the previous item, stored;
 *  3. every new batch: its `BatchSubmitted` log, the `submitBatch` calldata of the transaction
 *     that emitted it (header equal to the event's, data hashing to `dataHash`), the data
 *     decoded by the codec, signatures recovered (native pre-pass), the operations replayed by
 *     the STF on the state after the previous batch, and the root, op count, queue position
 *     and queue chain hash compared with the header's.
 *
 * A batch is `verified` or `dispute` (reasons below); after a dispute, later batches build on
 * a wrong root and are `dispute` with `parent_disputed` until L1 rolls them back.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Address, type Hex, decodeEventLog, decodeFunctionData, encodeEventTopics, isAddress, keccak256, type PublicClient } from "viem";
import { BatchDataError, decodeBatchData, maxBatchBytes } from "../sequencer/codec/index.js";
import { SignaturePool } from "../sequencer/ingress/pool.js";
import { recoverOpNative } from "../sequencer/ingress/recover.js";
import { rollupAbi } from "../sequencer/l1/abi.js";
import { checkChainStep, parseEnqueuedLog, type RpcLogLike } from "../sequencer/l1/derive.js";
import { type BatchHeader, headerHash } from "../sequencer/l1/poster.js";
import { bytesToHex, hexToBytes } from "../sequencer/state/bytes.js";
import { type CrossmarginState, type GenesisConfig, type SequencedOp, type SigningDomain, applyBatch, createGenesisState, encodeOp, stateRoot } from "../sequencer/state/index.js";
import { nextChainHash } from "../sequencer/state/l1Input.js";
import { isL1Input } from "../sequencer/state/ops.js";
import { restoreState, serializeState } from "../sequencer/storage/snapshot.js";
import { VerifierMetrics } from "./metrics.js";
import { Progress, type ProgressStream } from "./progress.js";
import { type BatchRecord, VerifierStore } from "./store.js";

/** Why a batch is disputed. */
export type DisputeReason =
  | "root_mismatch"
  | "undecodable_data"
  | "oversized_data"
  | "op_count_mismatch"
  | "queue_position_mismatch"
  | "queue_chain_mismatch"
  | "l1_inputs_skipped"
  | "l1_inputs_beyond_position"
  | "l1_inputs_reordered"
  | "l1_input_altered"
  | "data_unavailable"
  | "data_hash_mismatch"
  | "prev_root_mismatch"
  | "stf_error"
  | "parent_disputed";

export type VerifierClient = Pick<PublicClient, "getBlockNumber" | "readContract" | "request" | "getTransaction" | "getChainId">;

export interface VerifierOptions {
  client: VerifierClient;
  rollup: Address;
  /** First L1 block to read (the deployment's). */
  fromBlock: bigint;
  genesis: GenesisConfig;
  /** SQLite file of the verifier's progress (created when missing). */
  db: string;
  /** Blocks a batch must be under before it is read (1 = the latest block). Default 1. */
  confirmations?: number;
  pollMs?: number;
  /** Largest `eth_getLogs` block range. Default 10,000. */
  maxBlockRange?: bigint;
  /** A snapshot after every n verified batches (and at the end of each round). Default 50. */
  snapshotEvery?: number;
  /** Snapshots kept. Default 8. */
  keepSnapshots?: number;
  /** Progress output (default process.stderr); false: none. */
  progress?: ProgressStream | false;
  /** Catch-ups shorter than this many batches print no progress. Default 2. */
  progressMinBatches?: number;
  progressIntervalMs?: number;
  /** One JSON line per event (default: none). */
  logLine?: (line: string) => void;
  /** Worker threads for the signature pre-pass (sequencer/ingress/pool.ts); 0: inline. Default 0. */
  signatureWorkers?: number;
}

export interface BatchVerdict {
  batchIndex: number;
  status: "verified" | "dispute";
  reasons: DisputeReason[];
  detail: string | null;
  headerRoot: string;
  derivedRoot: string | null;
  opCount: string;
  queuePosition: string;
  txHash: string;
  blockNumber: string;
}

export interface VerifierStatus {
  state: "idle" | "catching_up" | "following" | "stopped";
  rollup: string;
  chainId: number | null;
  genesisRoot: string;
  /** The L1 block of the last round (head − confirmations + 1). */
  l1Block: string | null;
  /** The L1 head seen by the latest round (completed or not). */
  l1Head: string | null;
  /** The block read through by the latest completed round. */
  syncedBlock: string | null;
  /** `l1Head − syncedBlock`: confirmations − 1 when healthy, grows while rounds fail (null before the first round). */
  lagBlocks: number | null;
  /** L1's `nextBatchIndex − 1` at that block. */
  l1LastBatch: number | null;
  /** Newest batch with a verdict. */
  lastBatch: number;
  /** Every batch up to here is verified. */
  verifiedThrough: number;
  /** The verdict of batch `verifiedThrough` (null: none verified yet). */
  lastVerified: BatchVerdict | null;
  /** Batches on L1 (at `l1Block`) without a verdict yet: what a catch-up has left. */
  lagBatches: number;
  verified: number;
  disputed: number;
  firstDispute: BatchVerdict | null;
  disputes: BatchVerdict[];
  rollbacks: number;
  replayedOps: number;
  rounds: number;
  /** Time (ms since the epoch) the latest round completed. */
  lastRoundAt: number | null;
  lastError: string | null;
  updatedAt: number;
}

/** An inconsistency in what L1 returned (not a verdict on a batch): the round fails, retried. */
export class VerifierError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VerifierError";
  }
}

const ZERO32 = `0x${"00".repeat(32)}` as Hex;
const ROUTES = "/status, /batches/<n>, /metrics";
const BATCH_SUBMITTED_TOPIC = encodeEventTopics({ abi: rollupAbi, eventName: "BatchSubmitted" })[0]!;
const ENQUEUED_TOPIC = encodeEventTopics({ abi: rollupAbi, eventName: "Enqueued" })[0]!;

interface SubmittedLog {
  batchIndex: number;
  headerHash: Hex;
  header: BatchHeader;
  blockNumber: bigint;
  logIndex: number;
  txHash: Hex;
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
function quantity(v: unknown, field: string): bigint {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(v)) throw new VerifierError(`${field}: not a hex quantity: ${String(v)}`);
  return BigInt(v);
}

/** Validates one raw `BatchSubmitted` log of `rollup` (untrusted RPC output). */
export function parseBatchSubmittedLog(log: RpcLogLike & { data?: unknown }, rollup: Address): SubmittedLog {
  const blockNumber = quantity(log.blockNumber, "BatchSubmitted log.blockNumber");
  const where = `BatchSubmitted log at block ${blockNumber}`;
  if (typeof log.transactionHash !== "string" || !HEX32.test(log.transactionHash)) throw new VerifierError(`${where}: transactionHash is not a 32-byte hash`);
  const txHash = log.transactionHash.toLowerCase() as Hex;
  const logIndex = Number(quantity(log.logIndex, `${where}: logIndex`));
  if (typeof log.address !== "string" || log.address.toLowerCase() !== rollup.toLowerCase()) throw new VerifierError(`${where}: emitted by ${String(log.address)}, not the Rollup ${rollup}`);
  if (log.removed === true) throw new VerifierError(`${where}: the RPC returned a removed log (reorg in progress); retrying`);
  const topics = log.topics;
  if (!Array.isArray(topics) || topics.length !== 2 || !topics.every((t) => typeof t === "string" && HEX32.test(t))) throw new VerifierError(`${where}: BatchSubmitted has 2 topics of 32 bytes`);
  if ((topics[0] as string).toLowerCase() !== BATCH_SUBMITTED_TOPIC) throw new VerifierError(`${where}: topic 0 is not BatchSubmitted`);
  if (typeof log.data !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(log.data)) throw new VerifierError(`${where}: data is not hex`);
  let args: { batchIndex: bigint; headerHash: Hex; header: BatchHeader };
  try {
    const d = decodeEventLog({ abi: rollupAbi, eventName: "BatchSubmitted", topics: topics as [Hex, Hex], data: log.data as Hex, strict: true });
    args = d.args as unknown as typeof args;
  } catch (e) {
    throw new VerifierError(`${where}: not an ABI BatchSubmitted(uint256, bytes32, BatchHeader): ${(e as Error).message.split("\n")[0]}`);
  }
  // 32 (headerHash) + 9 × 32 (the static header): nothing else may follow.
  if (log.data.length !== 2 + 2 * 32 * 10) throw new VerifierError(`${where}: data is ${(log.data.length - 2) / 2} bytes, the canonical encoding is 320`);
  if (args.batchIndex !== args.header.batchIndex || args.batchIndex < 1n || args.batchIndex > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new VerifierError(`${where}: indexed batch ${args.batchIndex} and header batch ${args.header.batchIndex} disagree or are out of range`);
  }
  if (headerHash(args.header) !== args.headerHash.toLowerCase()) throw new VerifierError(`${where}: headerHash ${args.headerHash} is not keccak256(abi.encode(header))`);
  return { batchIndex: Number(args.batchIndex), headerHash: args.headerHash.toLowerCase() as Hex, header: args.header, blockNumber, logIndex, txHash };
}

function sameHeader(a: BatchHeader, b: BatchHeader): boolean {
  return headerHash(a) === headerHash(b);
}

/** Decodes `submitBatch(header, data)` calldata; throws VerifierError naming what is wrong. */
export function decodeSubmitBatch(input: unknown, where: string): { header: BatchHeader; data: Uint8Array } {
  if (typeof input !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(input)) throw new VerifierError(`${where}: calldata is not hex`);
  let d;
  try {
    d = decodeFunctionData({ abi: rollupAbi, data: input as Hex });
  } catch (e) {
    throw new VerifierError(`${where}: calldata is not a Rollup call: ${(e as Error).message.split("\n")[0]}`);
  }
  if (d.functionName !== "submitBatch") throw new VerifierError(`${where}: the transaction calls ${d.functionName}, not submitBatch`);
  const [header, data] = d.args as unknown as [BatchHeader, Hex];
  return { header, data: hexToBytes(data) };
}

export class Verifier {
  readonly store: VerifierStore;
  private readonly o: Required<Omit<VerifierOptions, "progress" | "logLine">> & Pick<VerifierOptions, "progress" | "logLine">;
  private readonly genesisRoot: Hex;
  private readonly genesisHeaderHash: Hex;
  private domain: SigningDomain | null = null;
  private chainId: number | null = null;
  /** The state after batch `stateIndex`, the end of the verified prefix. */
  private state: CrossmarginState;
  private stateIndex = 0;
  private sinceSnapshot = 0;
  /** The state was changed by a replay whose verdict is not recorded yet. */
  private dirty = false;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private server: Server | null = null;
  private pool: SignaturePool | null = null;
  private s: Omit<VerifierStatus, "lastBatch" | "verifiedThrough" | "lastVerified" | "lagBatches" | "lagBlocks" | "verified" | "disputed" | "firstDispute" | "disputes">;
  /** Prometheus figures (its own registry), served at GET /metrics by `serve`. */
  readonly metrics: VerifierMetrics;

  constructor(opts: VerifierOptions) {
    if (!isAddress(opts.rollup, { strict: false })) throw new Error(`rollup: ${opts.rollup} is not an address`);
    if (opts.fromBlock < 0n) throw new Error("fromBlock: must be >= 0");
    this.o = {
      confirmations: 1,
      pollMs: 1000,
      maxBlockRange: 10_000n,
      snapshotEvery: 50,
      keepSnapshots: 8,
      progressMinBatches: 2,
      progressIntervalMs: 1000,
      signatureWorkers: 0,
      ...opts,
      rollup: opts.rollup.toLowerCase() as Address,
      progress: opts.progress === undefined ? process.stderr : opts.progress,
    };
    if (!Number.isInteger(this.o.confirmations) || this.o.confirmations < 1) throw new Error("confirmations: an integer >= 1");
    if (!Number.isInteger(this.o.signatureWorkers) || this.o.signatureWorkers < 0) throw new Error("signatureWorkers: an integer >= 0");
    if (this.o.maxBlockRange < 1n) throw new Error("maxBlockRange: >= 1");
    if (!Number.isInteger(this.o.snapshotEvery) || this.o.snapshotEvery < 1) throw new Error("snapshotEvery: an integer >= 1");
    if (!Number.isInteger(this.o.keepSnapshots) || this.o.keepSnapshots < 1) throw new Error("keepSnapshots: an integer >= 1");
    this.state = createGenesisState(opts.genesis);
    this.genesisRoot = bytesToHex(stateRoot(this.state)) as Hex;
    this.genesisHeaderHash = headerHash({
      batchIndex: 0n,
      parentHash: ZERO32,
      prevStateRoot: ZERO32,
      newStateRoot: this.genesisRoot,
      opCount: 0n,
      queuePosition: 0n,
      queueChainHash: ZERO32,
      dataHash: keccak256(new Uint8Array(0)),
      l1Timestamp: 0n,
    });
    this.store = new VerifierStore(opts.db);
    this.s = {
      state: "idle",
      rollup: this.o.rollup,
      chainId: null,
      genesisRoot: this.genesisRoot,
      l1Block: null,
      l1Head: null,
      syncedBlock: null,
      l1LastBatch: null,
      rollbacks: 0,
      replayedOps: 0,
      rounds: 0,
      lastRoundAt: null,
      lastError: null,
      updatedAt: Date.now(),
    };
    this.metrics = new VerifierMetrics(() => this.status());
  }

  // ─────────────────────────────────────────────────────────────────── public API

  /** The verifier's status as a plain JSON-safe object. */
  status(): VerifierStatus {
    const counts = this.store.counts();
    const last = this.store.lastBatch();
    const disputes = this.store.disputes(20).map(verdictOf);
    const lastBatch = last?.batchIndex ?? 0;
    return {
      ...this.s,
      lagBlocks: this.s.l1Head === null || this.s.syncedBlock === null ? null : Number(BigInt(this.s.l1Head) - BigInt(this.s.syncedBlock)),
      lastBatch,
      verifiedThrough: this.stateIndex,
      lastVerified: this.stateIndex > 0 ? (this.verdict(this.stateIndex) ?? null) : null,
      lagBatches: this.s.l1LastBatch === null ? 0 : Math.max(0, this.s.l1LastBatch - lastBatch),
      verified: counts.verified,
      disputed: counts.dispute,
      firstDispute: disputes[0] ?? null,
      disputes,
    };
  }

  /** The verdict of one batch (undefined before it is read). */
  verdict(batchIndex: number): BatchVerdict | undefined {
    const r = this.store.batch(batchIndex);
    return r && verdictOf(r);
  }

  /** All verdicts, in batch order. */
  verdicts(): BatchVerdict[] {
    return this.store.batches().map(verdictOf);
  }

  /** Checks the genesis and chain against L1 and resumes from the newest snapshot. */
  async init(): Promise<void> {
    if (this.domain) return;
    const chainId = await this.o.client.getChainId();
    const genesis = (await this.o.client.readContract({ address: this.o.rollup, abi: rollupAbi, functionName: "batch", args: [0n] })) as { headerHash: Hex; stateRoot: Hex };
    if (genesis.stateRoot.toLowerCase() !== this.genesisRoot) {
      throw new VerifierError(`genesis: the Rollup's genesis root is ${genesis.stateRoot}, the given genesis file's is ${this.genesisRoot}: wrong --genesis or --rollup`);
    }
    if (genesis.headerHash.toLowerCase() !== this.genesisHeaderHash) throw new VerifierError(`genesis: the Rollup's batch 0 header hash ${genesis.headerHash} is not genesisHeader(root)`);
    this.store.bind({ rollup: this.o.rollup, chainId: String(chainId), genesisRoot: this.genesisRoot });
    this.chainId = chainId;
    this.s.chainId = chainId;
    this.domain = { chainId: BigInt(chainId), verifyingContract: this.o.rollup };
    if (this.o.signatureWorkers > 0) this.pool = new SignaturePool(this.domain, this.o.signatureWorkers);
    // Resume: the verified prefix ends before the first dispute (or at the last batch).
    const first = this.store.disputes(1)[0];
    const end = first ? first.batchIndex - 1 : (this.store.lastBatch()?.batchIndex ?? 0);
    await this.rebuild(end);
    this.event("resume", { verifiedThrough: this.stateIndex, lastBatch: this.store.lastBatch()?.batchIndex ?? 0 });
  }

  /** One round: rollbacks, queue, every new batch up to the confirmed head. Returns batches judged. */
  async round(): Promise<number> {
    const t0 = performance.now();
    let judged: number;
    try {
      judged = await this.roundOnce();
    } catch (e) {
      this.metrics.round("error");
      throw e;
    }
    this.metrics.round("ok", (performance.now() - t0) / 1000);
    return judged;
  }

  private async roundOnce(): Promise<number> {
    await this.init();
    const c = this.o.client;
    const head = await c.getBlockNumber();
    this.s.l1Head = head.toString();
    const at = head - BigInt(this.o.confirmations - 1);
    if (at < this.o.fromBlock) return 0;
    const next = Number((await c.readContract({ address: this.o.rollup, abi: rollupAbi, functionName: "nextBatchIndex", blockNumber: at })) as bigint);
    if (!Number.isSafeInteger(next) || next < 1) throw new VerifierError(`Rollup.nextBatchIndex returned ${next}`);
    this.s.l1Block = at.toString();
    this.s.l1LastBatch = next - 1;
    await this.checkRollback(at, next);
    await this.syncQueue(at);
    const last = this.store.lastBatch();
    const from = (last?.batchIndex ?? 0) + 1;
    const to = next - 1;
    let judged = 0;
    if (from <= to) {
      this.s.state = "catching_up";
      const logs = await this.submittedLogs(last?.blockNumber ?? this.o.fromBlock, at);
      const progress = this.o.progress && to - from + 1 >= this.o.progressMinBatches ? new Progress(this.o.progress, from, to, this.o.progressIntervalMs) : null;
      for (let i = from; i <= to; i++) {
        const log = logs.get(i);
        if (!log) throw new VerifierError(`L1 holds batch ${i} but no BatchSubmitted log for it was found in blocks ${last?.blockNumber ?? this.o.fromBlock}..${at} (is --from-block after the deployment?)`);
        let ops: number;
        try {
          ops = await this.judge(log);
        } catch (e) {
          // A failure after a replay began leaves a state no verdict describes: restore it.
          if (this.dirty) await this.rebuild(this.stateIndex);
          throw e;
        }
        judged++;
        progress?.update(i, ops);
      }
      this.snapshot();
    }
    this.s.state = "following";
    this.s.rounds++;
    this.s.syncedBlock = at.toString();
    this.s.lastError = null;
    this.s.updatedAt = this.s.lastRoundAt = Date.now();
    return judged;
  }

  /** Rounds until stopped; errors are logged, kept in `status().lastError` and retried. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          await this.round();
        } catch (e) {
          this.s.lastError = (e as Error).message;
          this.s.updatedAt = Date.now();
          this.event("round_error", { error: (e as Error).message });
        }
        if (!this.running) break;
        await new Promise<void>((r) => {
          const t = setTimeout(r, this.o.pollMs);
          this.wake = () => {
            clearTimeout(t);
            r();
          };
        });
      }
    })();
  }

  /** Resolves once `pred` holds (checked after each poll), or throws after `timeoutMs`. */
  async waitUntil(pred: (s: VerifierStatus) => boolean, timeoutMs: number, what: string): Promise<VerifierStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.status();
      if (pred(s)) return s;
      if (Date.now() > deadline) throw new Error(`verifier: timed out after ${timeoutMs} ms waiting for ${what}; status ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * On a loopback address: `GET /status` (JSON), `GET /batches/<n>` (one verdict, JSON; 404
   * before it is judged) and `GET /metrics` (Prometheus text). Returns the bound port.
   */
  async serve(port = 0, host = "127.0.0.1"): Promise<number> {
    if (host !== "127.0.0.1" && host !== "::1" && host !== "localhost") throw new Error(`status endpoint: only loopback hosts (127.0.0.1, ::1, localhost), not ${host}`);
    const json = (res: ServerResponse, status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0]!;
      if (req.method !== "GET") return json(res, 405, { error: `only GET (${ROUTES})` });
      if (path === "/status") return json(res, 200, this.status());
      if (path === "/metrics") {
        this.metrics.text().then(
          (text) => {
            res.writeHead(200, { "content-type": this.metrics.contentType });
            res.end(text);
          },
          (e: Error) => json(res, 500, { error: `metrics: ${e.message}` }),
        );
        return;
      }
      const m = /^\/batches\/([0-9]{1,15})$/.exec(path);
      if (m) {
        const v = this.verdict(Number(m[1]));
        return v ? json(res, 200, v) : json(res, 404, { error: `batch ${m[1]} has no verdict (judged through ${this.status().lastBatch})` });
      }
      json(res, 404, { error: `no route GET ${path} (${ROUTES})` });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = null;
    if (this.server) {
      const s = this.server;
      this.server = null;
      await new Promise<void>((r) => s.close(() => r()));
    }
    this.s.state = "stopped";
  }

  /** Stops and closes the database (and the signature workers). */
  async close(): Promise<void> {
    await this.stop();
    await this.pool?.close();
    this.pool = null;
    this.store.close();
  }

  // ─────────────────────────────────────────────────────────────────── rounds

  private event(event: string, fields: Record<string, unknown> = {}): void {
    if (!this.o.logLine) return;
    this.o.logLine(JSON.stringify({ ts: new Date().toISOString(), component: "verifier", event, ...fields }, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
  }

  private async l1Batch(index: number, at: bigint): Promise<{ headerHash: Hex; stateRoot: Hex }> {
    return (await this.o.client.readContract({ address: this.o.rollup, abi: rollupAbi, functionName: "batch", args: [BigInt(index)], blockNumber: at })) as { headerHash: Hex; stateRoot: Hex };
  }

  /** Invalidation or reorg: forget batches L1 no longer holds, rebuild the state before them. */
  private async checkRollback(at: bigint, next: number): Promise<void> {
    const last = this.store.lastBatch();
    if (!last) return;
    if (last.batchIndex < next && (await this.l1Batch(last.batchIndex, at)).headerHash.toLowerCase() === last.headerHash) return;
    let k = Math.min(last.batchIndex, next - 1);
    while (k > 0) {
      const mine = this.store.batch(k);
      if (mine && (await this.l1Batch(k, at)).headerHash.toLowerCase() === mine.headerHash) break;
      k--;
    }
    this.s.rollbacks++;
    this.metrics.rollback();
    this.event("rollback", { from: last.batchIndex, keep: k, l1NextBatch: next });
    this.store.truncateAfter(k);
    if (this.stateIndex > k) await this.rebuild(k);
  }

  /** Reads `Enqueued` logs past the stored queue, each chained onto the previous item. */
  private async syncQueue(at: bigint): Promise<void> {
    const lastItem = this.store.lastQueueItem();
    const from = lastItem ? lastItem.blockNumber : this.o.fromBlock;
    for (const raw of await this.rawLogs(ENQUEUED_TOPIC, from, at)) {
      const q = parseEnqueuedLog(raw, this.o.rollup);
      const have = this.store.queueItem(q.queueIndex);
      if (have) {
        if (have.chainHash === q.chainHash) continue;
        // A reorged queue: L1 now holds another item here; drop ours from it on.
        this.event("queue_reorg", { queueIndex: q.queueIndex });
        this.store.truncateQueueFrom(q.queueIndex);
      }
      const length = this.store.queueLength();
      if (q.queueIndex !== length) throw new VerifierError(`Enqueued log for queue index ${q.queueIndex} at block ${q.blockNumber}, but ${length} items are known: a log is missing (RPC log limit?)`);
      const prev = length === 0n ? new Uint8Array(32) : hexToBytes(this.store.queueItem(length - 1n)!.chainHash);
      checkChainStep(prev, q);
      this.store.putQueueItem({ queueIndex: q.queueIndex, item: encodeOp(q.input), chainHash: q.chainHash, blockNumber: q.blockNumber });
    }
  }

  private async rawLogs(topic: Hex, from: bigint, to: bigint, topic1?: Hex): Promise<(RpcLogLike & { data?: unknown })[]> {
    const out: (RpcLogLike & { data?: unknown })[] = [];
    for (let a = from; a <= to; a += this.o.maxBlockRange) {
      const b = a + this.o.maxBlockRange - 1n < to ? a + this.o.maxBlockRange - 1n : to;
      const topics = topic1 ? [topic, topic1] : [topic];
      const logs = await this.o.client.request({
        method: "eth_getLogs",
        params: [{ address: this.o.rollup, topics, fromBlock: `0x${a.toString(16)}`, toBlock: `0x${b.toString(16)}` }],
      } as never);
      if (!Array.isArray(logs)) throw new VerifierError(`eth_getLogs ${a}..${b}: the RPC returned ${typeof logs}, not an array`);
      out.push(...(logs as (RpcLogLike & { data?: unknown })[]));
    }
    return out;
  }

  /** The newest `BatchSubmitted` log of each batch index in blocks from..to. */
  private async submittedLogs(from: bigint, to: bigint, batchIndex?: number): Promise<Map<number, SubmittedLog>> {
    const topic1 = batchIndex === undefined ? undefined : (`0x${batchIndex.toString(16).padStart(64, "0")}` as Hex);
    const map = new Map<number, SubmittedLog>();
    for (const raw of await this.rawLogs(BATCH_SUBMITTED_TOPIC, from, to, topic1)) {
      const l = parseBatchSubmittedLog(raw, this.o.rollup);
      const have = map.get(l.batchIndex);
      if (!have || l.blockNumber > have.blockNumber || (l.blockNumber === have.blockNumber && l.logIndex > have.logIndex)) map.set(l.batchIndex, l);
    }
    return map;
  }

  /** The calldata of the transaction that emitted `log`; null when it is not a direct submitBatch call. */
  private async batchData(log: SubmittedLog): Promise<{ data: Uint8Array } | { unavailable: string }> {
    const where = `batch ${log.batchIndex} (tx ${log.txHash})`;
    const tx = await this.o.client.getTransaction({ hash: log.txHash });
    if (tx.hash.toLowerCase() !== log.txHash) throw new VerifierError(`${where}: the RPC returned transaction ${tx.hash}`);
    if (tx.blockNumber !== log.blockNumber) throw new VerifierError(`${where}: the transaction is in block ${tx.blockNumber}, its log in ${log.blockNumber} (reorg in progress?)`);
    if (!tx.to || tx.to.toLowerCase() !== this.o.rollup) return { unavailable: `${where}: the transaction calls ${tx.to ?? "(create)"}, not the Rollup: its data is not in calldata` };
    let decoded;
    try {
      decoded = decodeSubmitBatch(tx.input, where);
    } catch (e) {
      return { unavailable: (e as Error).message };
    }
    if (!sameHeader(decoded.header, log.header)) return { unavailable: `${where}: the calldata header differs from the event's` };
    return { data: decoded.data };
  }

  /** Judges one batch; returns the operations replayed. */
  private async judge(log: SubmittedLog): Promise<number> {
    const t0 = performance.now();
    const i = log.batchIndex;
    const h = log.header;
    const parent = i === 1 ? this.genesisHeaderHash : this.store.batch(i - 1)?.headerHash;
    if (parent === undefined) throw new VerifierError(`batch ${i}: batch ${i - 1} has no verdict yet`);
    if (h.parentHash.toLowerCase() !== parent) throw new VerifierError(`batch ${i}: parent hash ${h.parentHash} is not batch ${i - 1}'s ${parent} (chain changed under this round; retrying)`);
    const reasons: DisputeReason[] = [];
    const details: string[] = [];
    const dispute = (r: DisputeReason, d: string) => {
      if (!reasons.includes(r)) reasons.push(r);
      details.push(`${r}: ${d}`);
    };
    let derivedRoot: string | null = null;
    let ops = 0;
    let replayed = false;
    if (this.stateIndex < i - 1) {
      dispute("parent_disputed", `batch ${this.stateIndex + 1} is disputed; this batch builds on its root`);
    } else {
      const got = await this.batchData(log);
      const ourRoot = bytesToHex(stateRoot(this.state));
      if (h.prevStateRoot.toLowerCase() !== ourRoot) dispute("prev_root_mismatch", `header prevStateRoot ${h.prevStateRoot}, replay of batch ${i - 1} gives ${ourRoot}`);
      else if ("unavailable" in got) dispute("data_unavailable", got.unavailable);
      else if (bytesToHex(keccak256(got.data, "bytes")) !== h.dataHash.toLowerCase()) dispute("data_hash_mismatch", `keccak256(data) is not the header's ${h.dataHash}`);
      // L1's decode bound (DisputeGame.MAX_DATA_BYTES): larger data is a fault there, whatever it holds.
      else if (got.data.length > maxBatchBytes()) dispute("oversized_data", `${got.data.length} bytes, L1 decodes at most ${maxBatchBytes()}`);
      else {
        let decoded: SequencedOp[] | null = null;
        try {
          decoded = decodeBatchData(got.data);
        } catch (e) {
          if (!(e instanceof BatchDataError)) throw e;
          dispute("undecodable_data", e.message);
        }
        if (decoded) {
          ops = decoded.length;
          if (BigInt(decoded.length) !== h.opCount) dispute("op_count_mismatch", `header says ${h.opCount} operations, the data holds ${decoded.length}`);
          this.l1InputShape(decoded, i, h, dispute);
          replayed = true;
          derivedRoot = await this.replay(decoded, h, dispute);
        }
      }
    }
    const status = reasons.length === 0 ? "verified" : "dispute";
    this.store.record({
      batchIndex: i,
      headerHash: log.headerHash,
      blockNumber: log.blockNumber,
      txHash: log.txHash,
      status,
      reason: reasons.length ? reasons.join(",") : null,
      detail: details.length ? details.join("; ") : null,
      headerRoot: h.newStateRoot.toLowerCase(),
      derivedRoot,
      opCount: h.opCount,
      queuePosition: h.queuePosition,
      ops,
      verifiedAt: Date.now(),
    });
    this.s.replayedOps += ops;
    this.metrics.batchJudged(status, ops, (performance.now() - t0) / 1000);
    if (status === "verified") {
      this.event("verified", { batch: i, ops, root: derivedRoot, tx: log.txHash, block: log.blockNumber });
      this.dirty = false;
      this.stateIndex = i;
      if (++this.sinceSnapshot >= this.o.snapshotEvery) this.snapshot();
    } else {
      this.event("dispute", { batch: i, reasons, detail: details.join("; "), headerRoot: h.newStateRoot, derivedRoot, tx: log.txHash });
      // The replay changed the state: back to the state after batch i - 1.
      if (replayed) await this.rebuild(i - 1);
    }
    return ops;
  }

  /**
   * The L1 inputs of the batch's data as DisputeGame.proveDataFault checks them, before any
   * replay: the k-th input names queue index `parent.queuePosition + k`, there are exactly
   * `queuePosition − parent.queuePosition` of them, and their encodings chain to the header's
   * queueChainHash. Structural, like L1: an input the STF would refuse (its timestamp) still
   * counts, so a batch L1 can roll back is never called verified.
   */
  private l1InputShape(ops: SequencedOp[], i: number, h: BatchHeader, dispute: (r: DisputeReason, d: string) => void): void {
    const parentPos = i === 1 ? 0n : this.store.batch(i - 1)!.queuePosition;
    let chain: Uint8Array = parentPos === 0n ? new Uint8Array(32) : hexToBytes(this.store.queueItem(parentPos - 1n)!.chainHash as Hex);
    let n = 0n;
    for (let k = 0; k < ops.length; k++) {
      const op = ops[k]!.op;
      if (!isL1Input(op)) continue;
      if (op.queueIndex !== parentPos + n) return dispute("l1_inputs_reordered", `op ${k} carries queue index ${op.queueIndex}, the batch's next L1 input is ${parentPos + n}`);
      if (op.queueIndex >= h.queuePosition) return dispute("l1_inputs_beyond_position", `op ${k} carries queue index ${op.queueIndex}, at or past the header's queue position ${h.queuePosition}`);
      chain = nextChainHash(chain, op);
      n++;
    }
    if (parentPos + n !== h.queuePosition) return dispute("l1_inputs_skipped", `the data holds ${n} L1 inputs from ${parentPos}, the header's queue position ${h.queuePosition} needs ${h.queuePosition - parentPos}`);
    if (bytesToHex(chain) !== h.queueChainHash.toLowerCase()) dispute("l1_input_altered", `the data's L1 inputs chain to ${bytesToHex(chain)}, the header's (L1's) queue chain is ${h.queueChainHash}`);
  }

  /** Runs the STF over a decoded batch on `this.state` and compares with the header; returns the root. */
  private async replay(ops: SequencedOp[], h: BatchHeader, dispute: (r: DisputeReason, d: string) => void): Promise<string | null> {
    const domain = this.domain!;
    const known = this.store.queueLength();
    if (known < h.queuePosition) throw new VerifierError(`batch ${h.batchIndex}: the header consumed the L1 queue up to ${h.queuePosition}, the Enqueued logs read hold ${known} items (RPC missing logs?)`);
    // L1 checked queueChainHash against its own queue; check our copy of the queue agrees.
    const l1Chain = h.queuePosition === 0n ? ZERO32 : this.store.queueItem(h.queuePosition - 1n)?.chainHash;
    if (l1Chain !== h.queueChainHash.toLowerCase()) {
      throw new VerifierError(`batch ${h.batchIndex}: L1 accepted queue chain ${h.queueChainHash} at ${h.queuePosition}, the Enqueued logs give ${l1Chain}`);
    }
    const recovered = await this.recover(ops, domain);
    const startQueue = this.state.l1.nextIndex;
    let result;
    this.dirty = true;
    try {
      result = applyBatch(this.state, ops, recovered);
    } catch (e) {
      dispute("stf_error", `the STF threw: ${(e as Error).message}`);
      return null;
    }
    const root = bytesToHex(result.root);
    if (root !== h.newStateRoot.toLowerCase()) dispute("root_mismatch", `header newStateRoot ${h.newStateRoot}, replay gives ${root}`);
    // L1 inputs: each consumed input must be L1's item at its index, in order, up to the header's position.
    const pos = this.state.l1.nextIndex;
    ops.forEach((s, k) => {
      if (!isL1Input(s.op)) return;
      const r = result.receipts[k]!;
      if (r.reason === "L1_OUT_OF_ORDER") dispute("l1_inputs_reordered", `op ${k} carries queue index ${s.op.queueIndex} out of order`);
      else if (r.ok || r.l1Consumed) {
        const item = this.store.queueItem(s.op.queueIndex);
        if (!item) dispute("l1_input_altered", `op ${k} consumes queue item ${s.op.queueIndex}, which L1 never enqueued`);
        else if (bytesToHex(item.item) !== bytesToHex(encodeOp(s.op))) dispute("l1_input_altered", `op ${k} (queue item ${s.op.queueIndex}) differs from the item L1 enqueued`);
      }
    });
    if (pos < h.queuePosition) dispute("l1_inputs_skipped", `header queue position ${h.queuePosition}, the batch consumed the queue up to ${pos} (from ${startQueue})`);
    else if (pos > h.queuePosition) dispute("l1_inputs_beyond_position", `header queue position ${h.queuePosition}, the batch consumed the queue up to ${pos}`);
    const chain = bytesToHex(this.state.l1.chainHash);
    if (chain !== h.queueChainHash.toLowerCase()) dispute("queue_chain_mismatch", `header queue chain hash ${h.queueChainHash}, replay gives ${chain}`);
    return root;
  }

  /** The signature pre-pass: the worker pool when configured, else inline native recovery. */
  private recover(ops: SequencedOp[], domain: SigningDomain) {
    return this.pool ? this.pool.recover(ops.map((s) => s.op)) : Promise.resolve(ops.map((s) => recoverOpNative(s.op, domain)));
  }

  private snapshot(): void {
    if (this.sinceSnapshot === 0 && this.store.snapshotAtOrBefore(this.stateIndex)?.batchIndex === this.stateIndex) return;
    this.store.saveSnapshot(this.stateIndex, stateRoot(this.state), serializeState(this.state), this.o.keepSnapshots);
    this.sinceSnapshot = 0;
  }

  /**
   * Sets the state to the one after batch `to` (every batch up to it verified): the newest
   * snapshot at or before it, then the verified batches after it replayed from L1 again.
   */
  private async rebuild(to: number): Promise<void> {
    const { state, from } = await this.replayTo(to);
    this.state = state;
    this.stateIndex = to;
    this.dirty = false;
    if (to > from) this.event("rebuild", { from, to });
    this.sinceSnapshot = to - from;
    this.snapshot();
  }

  /**
   * A fresh copy of the state after batch `to` (every batch up to it verified), for the
   * dispute game's player (prover/game.ts): the pre-state of batch `to + 1`. The verifier's
   * own state is not touched.
   */
  async stateAfter(to: number): Promise<CrossmarginState> {
    await this.init();
    return (await this.replayTo(to)).state;
  }

  /** The newest snapshot at or before `to`, then the verified batches after it replayed from L1. */
  private async replayTo(to: number): Promise<{ state: CrossmarginState; from: number }> {
    const snap = this.store.snapshotAtOrBefore(to);
    const from = snap ? snap.batchIndex : 0;
    const state = snap ? restoreState(snap.state, snap.root) : createGenesisState(this.o.genesis);
    for (let j = from + 1; j <= to; j++) {
      const rec = this.store.batch(j);
      if (!rec || rec.status !== "verified") throw new VerifierError(`rebuild: batch ${j} is not verified`);
      const logs = await this.submittedLogs(rec.blockNumber, rec.blockNumber, j);
      const log = [...logs.values()].find((l) => l.headerHash === rec.headerHash);
      if (!log) throw new VerifierError(`rebuild: batch ${j}'s log (header ${rec.headerHash}) is no longer in block ${rec.blockNumber}`);
      const got = await this.batchData(log);
      if ("unavailable" in got) throw new VerifierError(`rebuild: ${got.unavailable}`);
      const ops = decodeBatchData(got.data);
      const { root } = applyBatch(state, ops, await this.recover(ops, this.domain!));
      if (bytesToHex(root) !== rec.derivedRoot) throw new VerifierError(`rebuild: batch ${j} replays to ${bytesToHex(root)}, recorded ${rec.derivedRoot}`);
    }
    return { state, from };
  }
}

function verdictOf(r: BatchRecord): BatchVerdict {
  return {
    batchIndex: r.batchIndex,
    status: r.status,
    reasons: (r.reason ? r.reason.split(",") : []) as DisputeReason[],
    detail: r.detail,
    headerRoot: r.headerRoot,
    derivedRoot: r.derivedRoot,
    opCount: r.opCount.toString(),
    queuePosition: r.queuePosition.toString(),
    txHash: r.txHash,
    blockNumber: r.blockNumber.toString(),
  };
}
