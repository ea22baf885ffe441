/**
 * Distributed mode's verify worker: answers `verify` jobs (queued by the post worker for each
 * batch it saw confirmed, sequencer/distributed/workers.ts) with this verifier's verdict,
 * running its rounds until the batch is judged. The Verifier derives everything from L1, so
 * any instance can answer any job; a killed one's job goes to another when its lock expires.
 * In this mode only jobs run rounds (the verifier's own loop is not started: rounds must not
 * overlap).
 */
import { VERIFY_QUEUE, startJobWorker, type VerifyJob } from "../sequencer/distributed/scheduler.js";
import type { BatchVerdict, Verifier } from "./verifier.js";

export interface VerifyResult extends BatchVerdict {
  /** False when L1 now holds another transaction for this index (reorged and re-posted). */
  sameTransaction: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface VerifyWorkerOptions {
  verifier: Verifier;
  redisUrl: string;
  prefix?: string;
  pollMs: number;
  jobTimeoutMs?: number;
  lockDurationMs?: number;
  logLine?: (line: string) => void;
}

/** Answers verify jobs with the verifier's verdict, running its rounds until the batch is judged. */
export function startVerifyWorker(o: VerifyWorkerOptions) {
  const out = o.logLine ?? ((l: string) => process.stdout.write(`${l}\n`));
  const jobTimeoutMs = o.jobTimeoutMs ?? 120_000;
  const stats = { jobs: 0, verified: 0, disputed: 0, jobErrors: 0 };
  const worker = startJobWorker<VerifyJob, VerifyResult>(
    VERIFY_QUEUE,
    o.redisUrl,
    async (job) => {
      stats.jobs++;
      const deadline = Date.now() + jobTimeoutMs;
      for (;;) {
        const v = o.verifier.verdict(job.l1BatchIndex);
        if (v) {
          if (v.status === "verified") stats.verified++;
          else stats.disputed++;
          const result = { ...v, sameTransaction: v.txHash.toLowerCase() === job.txHash.toLowerCase() };
          out(JSON.stringify({ ts: new Date().toISOString(), level: v.status === "verified" ? "info" : "error", component: "verify-worker", event: v.status, ...result }));
          return result;
        }
        // Round errors (RPC) are retried within the job, then by the queue's backoff.
        await o.verifier.round().catch((e: Error) => out(JSON.stringify({ ts: new Date().toISOString(), level: "warn", component: "verify-worker", event: "round_error", error: e.message })));
        if (o.verifier.verdict(job.l1BatchIndex)) continue;
        if (Date.now() > deadline) {
          stats.jobErrors++;
          throw new Error(`batch ${job.l1BatchIndex} not judged within ${jobTimeoutMs} ms (L1's last batch ${o.verifier.status().l1LastBatch})`);
        }
        await sleep(o.pollMs);
      }
    },
    { prefix: o.prefix, lockDurationMs: o.lockDurationMs },
  );
  return {
    stats,
    worker,
    async close() {
      await worker.close();
    },
  };
}
