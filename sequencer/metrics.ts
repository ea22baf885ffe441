/**
 * The sequencer's Prometheus figures (prom-client), served at `GET /metrics` (docs/sequencer.md
 * §Metrics lists them).
 *
 * Each service owns its Registry, never prom-client's global one: tests and the devnet run
 * several sequencers (and verifiers) in one process, and a shared registry would reject the
 * second's metric names or mix their figures.
 *
 * Two kinds of figure:
 * - events counted where they happen (ops accepted or refused, API request durations, error
 *   codes): the API layer calls `opsSubmitted` / `apiError` and mounts `middleware`;
 * - figures owned by another component (the op log's sealed batches, the poster's `stats`,
 *   the deriver's status, the stream's clients) are read at scrape time in `text()`. Those that
 *   only grow are exported as counters by adding the difference since the last scrape, so
 *   `rate()` works on them; the component stays the one source of truth.
 */
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { SubmitOutcome } from "./core/sequencer.js";
import type { Op } from "./state/ops.js";

/** What the metrics read from the L1 stages (a structural subset of service.ts's `L1Status`). */
export interface L1Figures {
  sealedBatches: number;
  /** Highest op-log batch confirmed on L1 (-1: none). */
  confirmedThrough: number;
  /** "distributed": `poster.stats` holds the post queue's job counts, not the poster's counters. */
  mode?: string;
  poster: { error: string | null; stats: object };
  derivation: {
    nextIndex: bigint;
    headBlock: bigint | null;
    safeBlock: bigint | null;
    queueLength: bigint | null;
    confirmedQueueLength: bigint | null;
    oldestUnconsumed: { queueIndex: bigint; secondsLeft: bigint } | null;
    included: number;
    error: string | null;
    lastRoundAt: number | null;
  };
}

export interface SequencerMetricsSources {
  /** Sealed op-log batches, ops not yet in a batch, the log's last seq. */
  sealedBatches: () => number;
  unsealedOps: () => number;
  lastSeq: () => number;
  /** WebSocket stream clients connected. */
  streamClients: () => number;
  /** L1 mode's status (null: no L1). */
  l1: () => L1Figures | null;
}

/** Buckets for request handling: an accepted op is acknowledged in ~4 ms at half load (docs/sequencer.md). */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A counter fed from a monotonic total read elsewhere: adds what grew since the last read. */
class FollowedCounter<L extends string> {
  private readonly last = new Map<string, number>();
  constructor(readonly counter: Counter<L>) {}
  follow(total: number, labels: Partial<Record<L, string>> = {}): void {
    const key = JSON.stringify(labels);
    const before = this.last.get(key) ?? 0;
    // A total that went down (a component restarted within this process) starts a new run.
    const add = total >= before ? total - before : total;
    if (add > 0) this.counter.inc(labels, add);
    else if (!this.last.has(key)) this.counter.inc(labels, 0);
    this.last.set(key, total);
  }
}

export class SequencerMetrics {
  readonly registry = new Registry();
  private readonly accepted: Counter<"type">;
  private readonly refused: Counter<"type" | "code">;
  private readonly fills: Counter<"outcome">;
  private readonly errors: Counter<"code">;
  private readonly requestSeconds: Histogram<"method" | "route" | "status">;
  private readonly sealed: FollowedCounter<never>;
  private readonly g: Record<"unsealed" | "seq" | "stream", Gauge>;
  /** Registered at the first scrape that sees L1 mode (a sequencer without L1 shows none of them). */
  private l1Group: ReturnType<typeof l1Metrics> | null = null;

  constructor(private readonly src: SequencerMetricsSources) {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) => new Counter<L>({ name: `crossmargin_${name}`, help, labelNames, registers });
    const gauge = (name: string, help: string) => new Gauge({ name: `crossmargin_${name}`, help, registers });
    this.accepted = counter("ops_accepted_total", "Signed operations sequenced (receipt ok), by operation type", ["type"]);
    this.refused = counter("ops_refused_total", "Submitted operations refused and not sequenced, by operation type and error code (docs/api.md)", ["type", "code"]);
    this.fills = counter("fills_total", "Fill operations the matching engine emitted, by the STF's outcome (ok, refused)", ["outcome"]);
    this.errors = counter("api_errors_total", "API responses that were rejections, by error code", ["code"]);
    this.requestSeconds = new Histogram({
      name: "crossmargin_api_request_duration_seconds",
      help: "HTTP request handling time, by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.sealed = new FollowedCounter(counter("batches_sealed_total", "Batches sealed in the op log (L1 batch n = op-log batch n - 1)"));
    this.g = {
      unsealed: gauge("unsealed_ops", "Sequenced operations not yet in a sealed batch"),
      seq: gauge("log_seq", "The op log's last sequence number"),
      stream: gauge("stream_clients", "WebSocket stream clients connected"),
    };
  }

  /** Hono middleware: times every request by its route pattern (never the raw path: bounded label values). */
  readonly middleware: MiddlewareHandler = async (c, next) => {
    const t0 = performance.now();
    await next();
    // The last matched route that is not middleware (`app.use`, method ALL); none: no route.
    const routes = matchedRoutes(c).filter((r) => r.method !== "ALL");
    const route = routes.at(-1)?.path ?? "unmatched";
    this.requestSeconds.observe({ method: c.req.method, route, status: String(c.res.status) }, (performance.now() - t0) / 1000);
  };

  /** Each op's outcome: sequenced (and its fills) or refused with an error code. */
  opsSubmitted(ops: readonly Op[], outs: readonly (SubmitOutcome | { code: string })[]): void {
    ops.forEach((op, i) => {
      const o = outs[i]!;
      if ("code" in o) {
        this.refused.inc({ type: op.type, code: o.code });
        return;
      }
      this.accepted.inc({ type: op.type });
      for (const f of o.fills) this.fills.inc({ outcome: f.receipt.ok ? "ok" : "refused" });
    });
  }

  apiError(code: string): void {
    this.errors.inc({ code });
  }

  /** The text exposition format, the figures read from their components first. */
  async text(): Promise<string> {
    const s = this.src;
    this.sealed.follow(s.sealedBatches());
    this.g.unsealed.set(s.unsealedOps());
    this.g.seq.set(s.lastSeq());
    this.g.stream.set(s.streamClients());
    const l1 = s.l1();
    if (l1) {
      const m = (this.l1Group ??= l1Metrics(this.registry));
      m.confirmed.set(l1.confirmedThrough + 1);
      m.unconfirmed.set(Math.max(0, l1.sealedBatches - (l1.confirmedThrough + 1)));
      m.posterFailed.set(l1.poster.error === null ? 0 : 1);
      const stats = Object.entries(l1.poster.stats).filter((e): e is [string, number] => typeof e[1] === "number");
      if (l1.mode === "distributed") for (const [state, n] of stats) m.postJobs.set({ state }, n);
      else for (const [event, n] of stats) m.posterEvents.follow(n, { event: snake(event) });
      const d = l1.derivation;
      m.included.follow(d.included);
      // Before the deriver's first round these are unknown and read 0.
      m.head.set(Number(d.headBlock ?? 0n));
      m.safe.set(Number(d.safeBlock ?? 0n));
      m.queueLength.set(Number(d.queueLength ?? 0n));
      m.queueLag.set(d.confirmedQueueLength !== null && d.confirmedQueueLength > d.nextIndex ? Number(d.confirmedQueueLength - d.nextIndex) : 0);
      m.deadline.reset();
      if (d.oldestUnconsumed) m.deadline.set({ queue_index: d.oldestUnconsumed.queueIndex.toString() }, Number(d.oldestUnconsumed.secondsLeft));
      m.derivationAt.set(d.lastRoundAt === null ? 0 : d.lastRoundAt / 1000);
      m.derivationStopped.set(d.error === null ? 0 : 1);
    }
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function l1Metrics(registry: Registry) {
  const registers = [registry];
  const gauge = (name: string, help: string) => new Gauge({ name: `crossmargin_${name}`, help, registers });
  return {
    posterEvents: new FollowedCounter(
      new Counter<"event">({
        name: "crossmargin_poster_events_total",
        help: "The batch poster's attempts and outcomes (BatchPoster.stats, embedded mode): attempts, broadcasts, bumps, mined, confirmed, dropped, reorged, ...",
        labelNames: ["event"],
        registers,
      }),
    ),
    postJobs: new Gauge<"state">({ name: "crossmargin_post_queue_jobs", help: "Distributed mode: post jobs in the BullMQ queue, by state", labelNames: ["state"], registers }),
    confirmed: gauge("poster_confirmed_through_batch", "Highest L1 batch index confirmed at the posting depth (0: none beyond genesis)"),
    unconfirmed: gauge("poster_unconfirmed_batches", "Sealed batches not yet confirmed on L1 (the posting lag)"),
    posterFailed: gauge("poster_failed", "1 while the poster (distributed: the newest failed post job) reports an error"),
    included: new FollowedCounter(new Counter({ name: "crossmargin_derivation_included_total", help: "L1 queue items the deriver handed to the core", registers })),
    head: gauge("derivation_head_block", "L1 head block at the deriver's latest round"),
    safe: gauge("derivation_safe_block", "L1 block the deriver reads at (head - confirmations)"),
    queueLength: gauge("derivation_queue_length", "Items in the Rollup's L1 queue at the head"),
    queueLag: gauge("derivation_queue_lag_items", "Items in the L1 queue at the confirmed block that the state has not consumed yet"),
    // Labelled by the item so that "none pending" is no sample at all (an unlabelled gauge would read 0: "due now").
    deadline: new Gauge<"queue_index">({
      name: "crossmargin_derivation_oldest_unconsumed_seconds_left",
      help: "Seconds until the oldest unconsumed L1 queue item's inclusion deadline (negative: missed; no sample: none pending)",
      labelNames: ["queue_index"],
      registers,
    }),
    derivationStopped: gauge("derivation_stopped", "1 when derivation stopped on an error it cannot retry (deep reorg, wrong chain)"),
    derivationAt: gauge("derivation_last_round_timestamp_seconds", "Unix time of the deriver's latest round (time() minus this: staleness)"),
  };
}
