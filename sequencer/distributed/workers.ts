/**
 * Distributed mode's post worker (the verify worker is prover/worker.ts). Both are
 * stateless in the sense that matters for operations: any instance can take any job, a
 * killed one loses nothing (its job goes back to the queue when its lock expires and another
 * instance finishes it), and they keep nothing of their own. What must survive lives where it
 * already lives in embedded mode:
 *   - post worker: the sealed batches and the poster's `l1_posts` records (every signed
 *     transaction is written before it is broadcast) in the sequencer's SQLite file, opened
 *     in WAL mode beside the sequencer (same host or a shared volume), and L1 itself;
 *   - verify worker: a Verifier, which derives everything from L1 and keeps its replay
 *     snapshots in its own SQLite file (a cache: it can rebuild from L1 alone).
 *
 * A post job for op-log batch i runs poster rounds until L1 has confirmed batch i; rounds post
 * whatever L1 needs next, in order, so jobs never race each other for a nonce (the post queue's
 * global concurrency is 1, scheduler.ts) and a job can never skip or double a batch. Each
 * confirmed batch gets a verify job; the verify worker answers with the verifier's verdict.
 */
import { Queue } from "bullmq";
import type { Address, Chain, LocalAccount, PublicClient, Transport } from "viem";
import { sealedBatchData } from "../codec/index.js";
import { BatchPoster, PosterFatal } from "../l1/poster.js";
import { OpLog } from "../storage/index.js";
import { redisOptions } from "./redis.js";
import { DEFAULT_PREFIX, POST_QUEUE, VERIFY_QUEUE, startJobWorker, verifyJobId, type PostJob, type VerifyJob } from "./scheduler.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PostWorkerOptions {
  /** The sequencer's SQLite file (op log and l1_posts). */
  db: string;
  redisUrl: string;
  prefix?: string;
  rollup: Address;
  client: PublicClient<Transport, Chain | undefined>;
  account: LocalAccount;
  confirmations: number;
  pollMs: number;
  /** A job that has not seen its batch confirmed by then fails this attempt (retried with backoff). Default 120 s. */
  jobTimeoutMs?: number;
  lockDurationMs?: number;
  logLine?: (line: string) => void;
}

export interface RunningPostWorker {
  poster: BatchPoster;
  stats: { jobs: number; jobErrors: number; verifyQueued: number };
  close(): Promise<void>;
}

export async function startPostWorkerProcess(o: PostWorkerOptions): Promise<RunningPostWorker> {
  const out = o.logLine ?? ((l: string) => process.stdout.write(`${l}\n`));
  const event = (event: string, fields: Record<string, unknown> = {}, level = "info") =>
    out(JSON.stringify({ ts: new Date().toISOString(), level, component: "post-worker", event, ...fields }));
  // Reads batches and writes l1_posts; never appends ops (the sequencer is the single writer).
  const log = new OpLog(o.db, { synchronous: "FULL" });
  const poster = new BatchPoster({
    log,
    rollup: o.rollup,
    client: o.client,
    account: o.account,
    batchData: (i) => sealedBatchData(log, i),
    confirmations: o.confirmations,
    pollMs: o.pollMs,
    logLine: out,
  });
  const prefix = o.prefix ?? DEFAULT_PREFIX;
  const verifyQueue = new Queue<VerifyJob>(VERIFY_QUEUE, {
    connection: redisOptions(o.redisUrl),
    prefix,
    defaultJobOptions: { attempts: 30, backoff: { type: "exponential", delay: 500 }, removeOnComplete: 1_000, removeOnFail: false },
  });
  verifyQueue.on("error", () => {});
  const stats = { jobs: 0, jobErrors: 0, verifyQueued: 0 };
  const jobTimeoutMs = o.jobTimeoutMs ?? 120_000;
  const queuedVerify = new Set<string>();

  const queueVerifications = async (through: number) => {
    for (const row of poster.store.withStatus("confirmed")) {
      if (row.batchIndex > through) break;
      const job: VerifyJob = { l1BatchIndex: row.batchIndex + 1, txHash: row.txHash };
      const id = verifyJobId(job);
      if (queuedVerify.has(id)) continue;
      await verifyQueue.add("verify", job, { jobId: id });
      queuedVerify.add(id);
      stats.verifyQueued++;
    }
  };

  const worker = startJobWorker<PostJob, { confirmedThrough: number }>(
    POST_QUEUE,
    o.redisUrl,
    async ({ batchIndex }) => {
      stats.jobs++;
      if (log.batch(batchIndex) === undefined) throw new Error(`post job for batch ${batchIndex}: no such sealed batch in ${o.db} (wrong --db?)`);
      const deadline = Date.now() + jobTimeoutMs;
      while (poster.confirmedThrough() < batchIndex) {
        try {
          await poster.tick();
        } catch (e) {
          // Fatal (another poster, L1 refusing our inputs): fail the attempt loudly; RPC
          // errors were logged and counted by the poster and the next round retries.
          if (e instanceof PosterFatal) throw e;
        }
        if (poster.confirmedThrough() >= batchIndex) break;
        if (Date.now() > deadline) {
          stats.jobErrors++;
          throw new Error(`batch ${batchIndex} not confirmed on L1 within ${jobTimeoutMs} ms (confirmed through ${poster.confirmedThrough()})`);
        }
        await sleep(o.pollMs);
      }
      await queueVerifications(batchIndex);
      event("job_done", { batchIndex, confirmedThrough: poster.confirmedThrough() });
      return { confirmedThrough: poster.confirmedThrough() };
    },
    { prefix, lockDurationMs: o.lockDurationMs, onError: (e) => event("redis_error", { error: (e as Error).message }, "warn") },
  );
  worker.on("failed", (job, e) => event("job_failed", { batchIndex: job?.data.batchIndex, attempt: job?.attemptsMade, error: e.message }, "warn"));
  event("start", { db: o.db, account: o.account.address, rollup: o.rollup });
  return {
    poster,
    stats,
    async close() {
      await worker.close();
      await verifyQueue.close();
      log.close();
      event("stop", { stats, poster: poster.stats });
    },
  };
}
