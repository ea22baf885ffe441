/**
 * Distributed mode's sequencer side: a BullMQ job scheduler drives the batch interval. A
 * worker in the sequencer process (the single writer) consumes `seal` jobs and calls
 * `core.sealBatch()`; after each seal it enqueues one `post` job per new batch, with
 * jobId `batch-<index>` so a batch is never queued twice while Redis holds it. Post workers
 * (workers.ts, separate processes) take them one at a time (the post queue's global
 * concurrency is 1: one L1 nonce sequence, one batch in flight, as the poster requires).
 *
 * Redis is a work queue, not a store: when it restarts empty, the scheduler is upserted again
 * and post jobs are enqueued again from `postFrom` (the post handler must be idempotent by
 * batch index, as the L1 poster is through its l1_posts records). Sealing only happens
 * through the op log, so a Redis outage delays a batch but cannot lose or reorder ops.
 */
import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { SequencerCore } from "../core/sequencer.js";
import { connectRedis, redisOptions } from "./redis.js";

export const SEAL_QUEUE = "seal";
export const POST_QUEUE = "post";
export const VERIFY_QUEUE = "verify";
export const SCHEDULER_ID = "batch-interval";
export const DEFAULT_PREFIX = "crossmargin";

export interface PostJob {
  batchIndex: number;
}

export const postJobId = (batchIndex: number) => `batch-${batchIndex}`;

export interface VerifyJob {
  /** The Rollup's batch index (op-log batch + 1). */
  l1BatchIndex: number;
  /** The transaction the poster saw confirmed (a re-post after a reorg gets its own job). */
  txHash: string;
}

export const verifyJobId = (j: VerifyJob) => `verify-${j.l1BatchIndex}-${j.txHash.slice(2, 18).toLowerCase()}`;

export interface DistributedSealingOptions {
  core: Pick<SequencerCore, "sealBatch" | "tick" | "log">;
  redisUrl: string;
  intervalMs: number;
  /** BullMQ key prefix (isolates deployments sharing a Redis). */
  prefix?: string;
  /** First batch index that may still need posting (re-enqueued after a Redis restart). */
  postFrom?: () => number;
  /** Post job options: attempts and the base of the exponential backoff (ms). */
  postAttempts?: number;
  postBackoffMs?: number;
  onError?: (where: string, e: unknown) => void;
}

export interface DistributedSealing {
  sealQueue: Queue;
  postQueue: Queue;
  /** Seal jobs processed (each seals at most one batch). */
  stats: { sealJobs: number; sealed: number; enqueued: number; ensures: number; retried: number };
  /** The interval in force (ms). */
  intervalMs(): number;
  /** A governed interval change: the scheduler is upserted with the new period. */
  setIntervalMs(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startDistributedSealing(o: DistributedSealingOptions): Promise<DistributedSealing> {
  const connection = redisOptions(o.redisUrl);
  const prefix = o.prefix ?? DEFAULT_PREFIX;
  const onError = o.onError ?? ((where, e) => console.error(`distributed: ${where}: ${(e as Error).message}`));
  const sealQueue = new Queue(SEAL_QUEUE, { connection, prefix });
  const postQueue = new Queue<PostJob>(POST_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: { attempts: o.postAttempts ?? 8, backoff: { type: "exponential", delay: o.postBackoffMs ?? 200 }, removeOnComplete: false, removeOnFail: false },
  });
  sealQueue.on("error", (e) => onError("seal queue", e));
  postQueue.on("error", (e) => onError("post queue", e));
  const stats = { sealJobs: 0, sealed: 0, enqueued: 0, ensures: 0, retried: 0 };
  let closing = false;
  let intervalMs = o.intervalMs;

  /** Queues a post job for every batch from `from` on (existing job ids are left as they are). */
  const enqueuePosts = async (from: number) => {
    const last = o.core.log.lastBatch()?.index ?? -1;
    for (let i = from; i <= last; i++) {
      await postQueue.add("post", { batchIndex: i }, { jobId: postJobId(i) });
      stats.enqueued++;
    }
  };
  // Batches sealed but not yet queued (a seal whose enqueue failed is queued by the next one).
  let queuedThrough = -1;
  const enqueueNew = async () => {
    const from = queuedThrough + 1;
    await enqueuePosts(from);
    queuedThrough = Math.max(queuedThrough, o.core.log.lastBatch()?.index ?? -1);
  };

  const ensure = async () => {
    if (closing) return;
    stats.ensures++;
    await upsert();
    // One post job runs at a time across all workers (kept in Redis: set again after a restart).
    await postQueue.setGlobalConcurrency(1);
    queuedThrough = Math.min(queuedThrough, (o.postFrom?.() ?? 0) - 1);
    await enqueueNew();
  };
  const upsert = () => sealQueue.upsertJobScheduler(SCHEDULER_ID, { every: intervalMs }, { name: "seal", data: {}, opts: { removeOnComplete: 100, removeOnFail: 100 } });

  // A post job that used up its attempts (L1 down for long) is retried at the next seal: the
  // batches after it would get it posted anyway (the poster always sends what L1 needs next),
  // but the newest batch has no successor to carry it.
  const retryFailedPosts = async () => {
    if (!o.postFrom) return;
    const last = o.core.log.lastBatch()?.index ?? -1;
    for (let i = o.postFrom(); i <= last; i++) {
      const job = await postQueue.getJob(postJobId(i));
      if (job && (await job.isFailed())) {
        await job.retry("failed");
        stats.retried++;
      }
    }
  };

  // Each (re)connection of this client means Redis may have restarted empty: upsert again.
  const monitor: Redis = connectRedis(o.redisUrl);
  monitor.on("error", () => {});
  let first = true;
  const ready = new Promise<void>((resolve, reject) => {
    monitor.on("ready", () => {
      const p = ensure();
      if (first) {
        first = false;
        p.then(resolve, reject);
      } else p.catch((e) => onError("re-upsert after reconnect", e));
    });
  });

  const worker = new Worker(
    SEAL_QUEUE,
    async (_job: Job) => {
      stats.sealJobs++;
      o.core.tick();
      if (o.core.sealBatch()) stats.sealed++;
      await enqueueNew();
      await retryFailedPosts();
    },
    { connection, prefix, concurrency: 1 },
  );
  worker.on("error", (e) => onError("seal worker", e));
  await ready;

  return {
    sealQueue,
    postQueue,
    stats,
    intervalMs: () => intervalMs,
    async setIntervalMs(ms: number) {
      if (ms === intervalMs) return;
      intervalMs = ms;
      if (!closing) await upsert();
    },
    async close() {
      if (closing) return;
      closing = true;
      await worker.close();
      await sealQueue.removeJobScheduler(SCHEDULER_ID).catch(() => {});
      await Promise.all([sealQueue.close(), postQueue.close()]);
      monitor.disconnect();
    },
  };
}

export interface JobWorkerOptions {
  prefix?: string;
  onError?: (e: unknown) => void;
  /** A job whose worker stops renewing its lock (killed) is handed to another after this long (default 30 s). */
  lockDurationMs?: number;
}

/**
 * A worker on `queue`: runs `handle` for each job (retried with backoff when it throws). A
 * killed worker's job goes back to the queue once its lock expires; it may stall many times
 * (workers restart) without being failed, since the handlers are idempotent.
 */
export function startJobWorker<T, R>(queue: string, redisUrl: string, handle: (data: T, job: Job<T>) => Promise<R>, opts: JobWorkerOptions = {}): Worker<T, R> {
  const lockDuration = opts.lockDurationMs ?? 30_000;
  const worker = new Worker<T, R>(queue, async (job) => handle(job.data, job), {
    connection: redisOptions(redisUrl),
    prefix: opts.prefix ?? DEFAULT_PREFIX,
    concurrency: 1,
    lockDuration,
    stalledInterval: Math.max(1_000, Math.floor(lockDuration / 2)),
    maxStalledCount: 1_000,
  });
  worker.on("error", opts.onError ?? (() => {}));
  return worker;
}

/** A post worker: runs `handle` for each `post` job. */
export function startPostWorker(redisUrl: string, handle: (job: PostJob) => Promise<void>, opts: JobWorkerOptions = {}): Worker<PostJob> {
  return startJobWorker<PostJob, void>(POST_QUEUE, redisUrl, (d) => handle(d), opts);
}
