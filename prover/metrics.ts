/**
 * The verifier's Prometheus figures (prom-client), served at `GET /metrics` beside `/status`.
 *
 * Each Verifier owns its Registry (never prom-client's global one): several verifiers, and a
 * sequencer with its own registry, can live in one process (tests, the devnet) without their
 * metric names colliding or one's figures showing in another's scrape.
 *
 * Counters count what this process did (judgements, replayed operations, rollbacks, rounds);
 * they restart at 0 with the process, as Prometheus expects of counters. Gauges are read from
 * `status()` at scrape time, so they describe the verifier's file (which survives restarts).
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { VerifierStatus } from "./verifier.js";

const STATES: VerifierStatus["state"][] = ["idle", "catching_up", "following", "stopped"];

export class VerifierMetrics {
  readonly registry = new Registry();
  private readonly judged: Counter<"verdict">;
  private readonly replayedOps: Counter;
  private readonly rollbacks: Counter;
  private readonly rounds: Counter<"outcome">;
  private readonly replaySeconds: Histogram;
  private readonly roundSeconds: Histogram;
  private readonly gauges: Record<
    "verifiedThrough" | "lastBatch" | "l1LastBatch" | "catchupRemaining" | "disputed" | "verified" | "l1Head" | "syncedBlock" | "lagBlocks" | "lastRoundAt",
    Gauge
  >;
  private readonly state: Gauge<"state">;

  constructor(private readonly status: () => VerifierStatus) {
    const registers = [this.registry];
    this.judged = new Counter({ name: "crossmargin_verifier_batches_judged_total", help: "Batches this process judged, by verdict (verified, dispute)", labelNames: ["verdict"], registers });
    for (const verdict of ["verified", "dispute"]) this.judged.inc({ verdict }, 0);
    this.replayedOps = new Counter({ name: "crossmargin_verifier_replayed_ops_total", help: "Operations decoded and replayed by the STF (judgements only, not rebuilds)", registers });
    this.rollbacks = new Counter({ name: "crossmargin_verifier_rollbacks_total", help: "Rollbacks followed (L1 invalidated or reorged batches this verifier had judged)", registers });
    this.rounds = new Counter({ name: "crossmargin_verifier_rounds_total", help: "Rounds run, by outcome (ok, error: the round is retried after pollMs)", labelNames: ["outcome"], registers });
    for (const outcome of ["ok", "error"]) this.rounds.inc({ outcome }, 0);
    // A batch of the demo replays in milliseconds, a 1,000-op batch in ~150 ms (docs/verifier.md).
    this.replaySeconds = new Histogram({
      name: "crossmargin_verifier_batch_judge_seconds",
      help: "Time to judge one batch: fetch its calldata, decode, recover signatures, replay, compare",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.roundSeconds = new Histogram({ name: "crossmargin_verifier_round_seconds", help: "Time of one completed round", buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600], registers });
    const gauge = (name: string, help: string) => new Gauge({ name: `crossmargin_verifier_${name}`, help, registers });
    this.gauges = {
      verifiedThrough: gauge("verified_through_batch", "Every L1 batch up to this index is verified (the end of the verified prefix)"),
      lastBatch: gauge("last_judged_batch", "Newest L1 batch with a verdict"),
      l1LastBatch: gauge("l1_last_batch", "Newest batch on L1 (Rollup.nextBatchIndex - 1) at the block last read"),
      catchupRemaining: gauge("catchup_remaining_batches", "Batches on L1 without a verdict yet (catch-up progress; 0 when following)"),
      disputed: gauge("disputed_batches", "Batches judged dispute that L1 still holds"),
      verified: gauge("verified_batches", "Batches judged verified that L1 still holds"),
      l1Head: gauge("l1_head_block", "L1 head block seen by the latest round"),
      syncedBlock: gauge("synced_block", "L1 block read through by the latest completed round"),
      lagBlocks: gauge("l1_lag_blocks", "L1 head (latest round) minus the block read through (latest completed round): confirmations - 1 when healthy, grows while rounds fail"),
      lastRoundAt: gauge("last_round_timestamp_seconds", "Unix time of the latest completed round (time() minus this: staleness)"),
    };
    this.state = new Gauge({ name: "crossmargin_verifier_state", help: "1 for the verifier's current state (idle, catching_up, following, stopped)", labelNames: ["state"], registers });
  }

  /** One batch judged in `seconds`, with `ops` operations replayed. */
  batchJudged(verdict: "verified" | "dispute", ops: number, seconds: number): void {
    this.judged.inc({ verdict });
    this.replayedOps.inc(ops);
    this.replaySeconds.observe(seconds);
  }

  rollback(): void {
    this.rollbacks.inc();
  }

  round(outcome: "ok" | "error", seconds?: number): void {
    this.rounds.inc({ outcome });
    if (seconds !== undefined) this.roundSeconds.observe(seconds);
  }

  /** The text exposition format, gauges refreshed from `status()` first. */
  async text(): Promise<string> {
    const s = this.status();
    const g = this.gauges;
    g.verifiedThrough.set(s.verifiedThrough);
    g.lastBatch.set(s.lastBatch);
    g.catchupRemaining.set(s.lagBatches);
    g.disputed.set(s.disputed);
    g.verified.set(s.verified);
    // Unknown before the first round: 0 (a last-round time of 0 reads as "never").
    g.l1LastBatch.set(s.l1LastBatch ?? 0);
    g.l1Head.set(Number(s.l1Head ?? 0));
    g.syncedBlock.set(Number(s.syncedBlock ?? 0));
    g.lagBlocks.set(s.lagBlocks ?? 0);
    g.lastRoundAt.set(s.lastRoundAt === null ? 0 : s.lastRoundAt / 1000);
    for (const state of STATES) this.state.set({ state }, state === s.state ? 1 : 0);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
