/**
 * The embedded sequencer service: op log, recovery, single writer, matching, signature
 * workers, HTTP + WebSocket API, and the timers that seal batches and fire dead-man's
 * switches. `startSequencer` is what the CLI, the tests and the bench run.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { WebSocketServer } from "ws";
import { RateLimiter, RecoveryBatcher } from "./api/ingress.js";
import { createApi } from "./api/server.js";
import { requestLog } from "./api/requestLog.js";
import { createLogger, lineSink } from "./log.js";
import { StreamHub } from "./api/stream.js";
import type { SequencerConfig } from "./config.js";
import { maxBatchBytes } from "./codec/index.js";
import { PRIORITY_KEY, SequencerCore } from "./core/sequencer.js";
import { SignaturePool } from "./ingress/pool.js";
import { type EngineConfig, MatchingEngine, fillBlame } from "./matching/index.js";
import { bytesToHex } from "./state/bytes.js";
import { createGenesisState, stateRoot } from "./state/index.js";
import { tradingMode } from "./state/ops/common.js";
import type { CrossmarginState } from "./state/state.js";
import { OpLog } from "./storage/index.js";
import { AuditLog } from "./storage/audit.js";
import { sealedBatchData } from "./codec/index.js";
import { rollupAbi } from "./l1/abi.js";
import { l1Clients, type L1Clients } from "./l1/deploy.js";
import { L1Deriver } from "./l1/derive.js";
import { BatchPoster } from "./l1/poster.js";
import { L1PostStore } from "./l1/postStore.js";
import { stateAtL1Batch } from "./l1/proofs.js";
import { GameService, gameContext, postedBatch } from "../prover/game.js";
import { l1BatchesView } from "./l1/batchView.js";
import { disputesView } from "./l1/disputeView.js";
import { latestFinalized, ReservesError, reservesAt } from "./l1/reserves.js";
import { POST_QUEUE, type DistributedSealing, startDistributedSealing } from "./distributed/scheduler.js";
import { BatchProver } from "./l1/proofs.js";
import { SequencerMetrics } from "./metrics.js";

export interface RunningSequencer {
  url: string;
  port: number;
  core: SequencerCore;
  /** How the start went: ops replayed from the log, and the root reached. */
  started: { replayed: number; snapshotSeq: number; seq: number; root: string; ms: number };
  /** L1 mode: the deriver (L1 inputs into the core) and the poster (sealed batches to L1). */
  l1: L1Running | null;
  close(): Promise<void>;
}

export interface L1Running {
  clients: L1Clients;
  deriver: L1Deriver;
  /** Embedded mode's in-process poster; null in distributed mode (post workers post). */
  poster: BatchPoster | null;
  /** Distributed mode: the BullMQ job scheduler sealing batches and queueing post jobs. */
  sealing: DistributedSealing | null;
  /** Plays the dispute games opened on this sequencer's batches (null: no game contract). */
  defender: GameService | null;
  /** The seal interval in force (ms): the Rollup's governed `batchInterval`. */
  batchIntervalMs(): number;
  status(): L1Status;
}

/** What GET /v1/info reports under `l1`. */
export interface L1Status {
  rpcUrl: string;
  rollup: string;
  sequencer: string;
  batchIntervalMs: number;
  batchMaxOps: number;
  batchMaxBytes: number;
  /** Op-log batches sealed, and the highest confirmed on L1 (-1: none). L1 batch = op-log batch + 1. */
  sealedBatches: number;
  confirmedThrough: number;
  /** "embedded": the in-process poster's counters; "distributed": the post queue's job counts. */
  mode: "embedded" | "distributed";
  poster: { error: string | null; stats: Record<string, number> };
  derivation: Omit<ReturnType<L1Deriver["status"]>, "error"> & { error: string | null };
}

const GENESIS_KEY = "genesis_root";

/**
 * Opens (or creates) the op log and rebuilds state and book: from the newest snapshot that
 * has the book's priority beside it (else genesis), then the log after it, replayed through
 * the core itself.
 */
export function openCore(cfg: Pick<SequencerConfig, "db" | "genesis" | "batchMaxOps" | "snapshotEveryOps" | "synchronous" | "clock"> & { batchMaxBytes?: number; ignoreSnapshots?: boolean }) {
  const t0 = performance.now();
  // One transaction per flush, however large: an op and the fills it caused are appended in
  // one synchronous step, so they are always in one flush; split across two transactions, a
  // crash between the commits would leave a PlaceOrder without its fills, which the replay
  // below refuses (the sequencer could not restart). Splitting would not answer anyone
  // sooner either: the receipts go out after the whole flush returns.
  const log = new OpLog(cfg.db, { synchronous: cfg.synchronous, maxGroup: Number.MAX_SAFE_INTEGER });
  try {
    let state = createGenesisState(cfg.genesis);
    const genesisRoot = stateRoot(state);
    const stored = log.getMeta(GENESIS_KEY);
    if (stored === undefined) log.setMeta(GENESIS_KEY, genesisRoot);
    else if (!Buffer.from(stored).equals(genesisRoot)) {
      throw new Error(`the op log ${cfg.db} was started from genesis ${bytesToHex(stored)}, not this genesis (${bytesToHex(genesisRoot)})`);
    }
    let engine = newEngine(state);
    let fromSeq = 0;
    for (const snap of cfg.ignoreSnapshots ? [] : log.snapshots()) {
      const priority = log.getMeta(`${PRIORITY_KEY}${snap.seq}`);
      if (!priority) continue;
      try {
        const restored = log.loadSnapshot(snap.seq).state;
        engine = MatchingEngine.restore(engineConfig(restored), priority, restored, restored.clock);
        state = restored;
        fromSeq = snap.seq;
        break;
      } catch (e) {
        console.error(`sequencer: snapshot at seq ${snap.seq} not usable (${(e as Error).message}); trying an older one`);
      }
    }
    const core = new SequencerCore({ log, state, engine, clock: cfg.clock, batchMaxOps: cfg.batchMaxOps, batchMaxBytes: cfg.batchMaxBytes, snapshotEveryOps: cfg.snapshotEveryOps });
    // The audit trail indexes what the core executes, the replay below included (storage/audit.ts).
    const audit = new AuditLog(log.db);
    audit.trimAfter(log.lastSeq());
    core.onRecord((r) => audit.record(r.seq, r.receipt.events));
    const replayed = core.replay(log.readFrom(fromSeq + 1));
    core.restoreDeadman();
    return { core, audit, replayed, snapshotSeq: fromSeq, ms: performance.now() - t0 };
  } catch (e) {
    log.close();
    throw e;
  }
}

function engineConfig(state: CrossmarginState): EngineConfig {
  return {
    markets: state.markets.map((m) => ({ lotSize: m.lotSize })),
    positionOf: (account, market) => state.accounts[account]?.positions[market]?.size ?? 0n,
    marketReduceOnly: (market, now) => {
      const m = state.markets[market];
      return m === undefined || tradingMode(state, m, now) === "reduceOnly";
    },
    // Which side of a refused fill is at fault, from the state as the STF left it.
    blameFill: (fill, now) => fillBlame(state, fill, now),
    // Governed lot changes and listings, followed from the STF's ParamChanged events.
    marketConfig: (market) => state.markets[market],
  };
}

export function newEngine(state: CrossmarginState): MatchingEngine {
  return new MatchingEngine(engineConfig(state));
}

/**
 * Connects to the L1 node and checks it is the configured chain with the Rollup deployed and
 * this key as its sequencer, before anything runs: each mismatch is named with its option.
 * The sequencer and distributed mode's post workers both start through it.
 */
export async function connectL1(o: { rpcUrl: string; chainId: bigint; rollup: `0x${string}`; sequencerKey: `0x${string}`; fromBlock?: bigint }): Promise<L1Clients> {
  const clients = l1Clients(o.rpcUrl, Number(o.chainId), { deployer: o.sequencerKey }, { retryCount: 1, timeoutMs: 5_000 });
  let chainId: number;
  try {
    chainId = await clients.public.getChainId();
  } catch (e) {
    throw new Error(`--l1-rpc: no L1 node answers at ${o.rpcUrl} (${(e as Error).message.split("\n")[0]})`);
  }
  if (BigInt(chainId) !== o.chainId) throw new Error(`--chain-id: ${o.chainId}, but the L1 node at ${o.rpcUrl} is chain ${chainId}`);
  const code = await clients.public.getCode({ address: o.rollup });
  if (code === undefined || code === "0x") throw new Error(`--rollup: no contract at ${o.rollup} on the L1 node at ${o.rpcUrl}`);
  const seq = (await clients.public.readContract({ address: o.rollup, abi: rollupAbi, functionName: "sequencer" })) as string;
  const me = clients.sequencer.account.address;
  if (seq.toLowerCase() !== me.toLowerCase()) throw new Error(`--l1-sequencer-key: its address ${me} is not the Rollup's sequencer (${seq})`);
  if (o.fromBlock !== undefined) {
    const head = await clients.public.getBlockNumber();
    if (o.fromBlock > head) throw new Error(`--l1-from-block: ${o.fromBlock} is past the L1 head (${head})`);
  }
  return clients;
}

export async function startSequencer(cfg: SequencerConfig): Promise<RunningSequencer> {
  const clients = cfg.l1 ? await connectL1({ ...cfg.l1, chainId: cfg.chainId, rollup: cfg.rollup }) : null;
  // The byte cap exists for L1 (a dispute must decode a batch within the gas bound); without
  // L1 nothing is posted and sealing by interval and op count is enough.
  const { core, audit, replayed, snapshotSeq, ms } = openCore({ ...cfg, batchMaxBytes: cfg.batchMaxBytes ?? (cfg.l1 ? maxBatchBytes() : Number.MAX_SAFE_INTEGER) });
  // Declared before the API serves (it reports l1's status).
  let intervalMs = cfg.batchIntervalMs;
  let l1: L1Running | null = null;
  const stopTimers: (() => void)[] = [];
  const domain = { chainId: cfg.chainId, verifyingContract: cfg.rollup };
  const log = cfg.logger ?? createLogger();
  // With `l1Log` (the devnet's progress printer, tests) the service's lines go there as JSON
  // strings, as they always did; otherwise through pino.
  const emit = (level: "info" | "warn" | "error", fields: Record<string, unknown>) => {
    if (cfg.l1Log) cfg.l1Log(JSON.stringify({ ts: new Date().toISOString(), level, ...fields }));
    else log[level](fields);
  };
  const pool = new SignaturePool(domain, cfg.signatureWorkers);
  const hub = new StreamHub(core, cfg.streamBuffer);
  const metrics = new SequencerMetrics({
    sealedBatches: () => (core.log.lastBatch()?.index ?? -1) + 1,
    unsealedOps: () => core.unsealedOps(),
    lastSeq: () => core.log.lastSeq(),
    streamClients: () => hub.clientCount,
    l1: () => l1?.status() ?? null,
  });
  const prover = new BatchProver(core.log, cfg.genesis);
  let postsView: L1PostStore | undefined;
  const app = createApi({
    core,
    batcher: new RecoveryBatcher(pool),
    limiter: new RateLimiter(cfg.rateLimit, cfg.rateBurst),
    domain,
    maxBodyBytes: cfg.maxBodyBytes,
    devDeposits: cfg.devDeposits,
    recentRecord: (seq) => hub.recent(seq),
    l1Status: () => l1?.status() ?? null,
    prover,
    audit,
    genesis: cfg.genesis,
    latestFinalized: clients ? () => latestFinalized(clients.public, cfg.rollup) : undefined,
    // Reserves read the Vault on L1 at the batch's block: L1 mode only.
    reserves: clients
      ? async (batch) => {
          const l1Batch = batch ?? (await latestFinalized(clients.public, cfg.rollup));
          if (l1Batch === 0) throw new ReservesError("batch_unknown", "no batch is final yet (only genesis): pass ?batch=N for a posted one");
          return reservesAt({ client: clients.public, rollup: cfg.rollup, fromBlock: cfg.l1!.fromBlock, batch: l1Batch, state: prover.at(l1Batch).state });
        }
      : undefined,
    metrics,
    verifierUrl: cfg.verifierUrl,
    // The poster's rows live in the op log's file (post workers write them in distributed mode).
    l1Batches: clients ? (from, limit) => l1BatchesView({ client: clients.public, rollup: cfg.rollup, log: core.log, posts: (postsView ??= new L1PostStore(core.log.db)) }, from, limit) : undefined,
    l1Disputes: clients ? () => disputesView({ client: clients.public, rollup: cfg.rollup, fromBlock: cfg.l1!.fromBlock }) : undefined,
  });

  // Request ids: the middleware wraps the whole API (its own error handling included).
  const root = new Hono();
  root.use("*", requestLog(log.child({ component: "api" })));
  root.all("*", (c) => app.fetch(c.req.raw, c.env));
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: root.fetch, hostname: cfg.host, port: cfg.port }, () => resolve(s));
    s.once("error", reject);
  });
  // Clients keep connections open between bursts; Node's 5 s default closes them under a
  // client about to reuse one, which fails a POST (not retried). Idle ones go after 65 s.
  (server as import("node:http").Server).keepAliveTimeout = 65_000;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on("upgrade", (req, socket, head) => {
    if (new URL(req.url ?? "/", "http://x").pathname !== "/v1/stream") return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => hub.attach(ws));
  });

  // L1 mode: the deriver feeds L1 inputs to the core, the poster sends sealed batches; the
  // Rollup's governed batchInterval (seconds) and maxBatchSize drive the sealing below.
  if (cfg.l1 && clients) {
    const o = cfg.l1;
    const out = cfg.l1Log ?? lineSink(log);
    const deriver = new L1Deriver({
      client: clients.public,
      rollup: cfg.rollup,
      startBlock: o.fromBlock,
      core,
      confirmations: o.confirmations,
      pollIntervalMs: o.pollMs,
      logger: (msg) => emit("warn", { component: "derive", msg }),
    });
    deriver.onParams((p, changed) => {
      intervalMs = Math.min(3_600_000, Math.max(10, Number(p.batchInterval) * 1000));
      l1?.sealing?.setIntervalMs(intervalMs).catch((e: Error) => emit("error", { component: "distributed", event: "interval_update_failed", error: e.message }));
      core.batchMaxOps = Math.max(1, Math.min(cfg.batchMaxOps, Number(p.maxBatchSize)));
      emit("info", { component: "derive", event: "params", changed, batchIntervalMs: intervalMs, batchMaxOps: core.batchMaxOps });
    });
    deriver.onError((e) => emit("error", { component: "derive", event: "stopped", kind: e.kind, error: e.message }));
    const distributed = cfg.mode === "distributed";
    const poster = distributed
      ? null
      : new BatchPoster({
      log: core.log,
      rollup: cfg.rollup,
      client: clients.public,
      account: clients.sequencer.account,
      batchData: (i) => sealedBatchData(core.log, i),
      confirmations: o.postConfirmations,
      pollMs: o.pollMs,
      logLine: out,
    });
    // Distributed: post workers (separate processes) write l1_posts into this same file.
    const postStore = poster?.store ?? new L1PostStore(core.log.db);
    const sealing = distributed
      ? await startDistributedSealing({
          core,
          redisUrl: cfg.redisUrl!,
          prefix: cfg.redisPrefix,
          intervalMs,
          postFrom: () => postStore.confirmedThrough() + 1,
          onError: (where, e) => emit("warn", { component: "distributed", event: "redis_error", where, error: (e as Error).message }),
        })
      : null;
    // status() is synchronous; the post queue's counts are refreshed in the background.
    let queueCounts: Record<string, number> = {};
    let lastPostFailure: string | null = null;
    const refreshCounts = sealing
      ? setInterval(() => {
          sealing.postQueue
            .getJobCounts("waiting", "active", "completed", "failed", "delayed", "prioritized")
            .then((c) => (queueCounts = c))
            .catch(() => {});
          sealing.postQueue
            .getFailed(0, 0)
            .then((f) => (lastPostFailure = f[0] ? `post job ${f[0].id}: ${f[0].failedReason}` : null))
            .catch(() => {});
        }, 500)
      : null;
    if (refreshCounts) stopTimers.push(() => clearInterval(refreshCounts));
    // The defender: plays every dispute game opened on this sequencer's batches, from the op log
    // (prover/game.ts). The game contract is read once at start (governance appoints it).
    const gameAddress = (await clients.public.readContract({ address: cfg.rollup, abi: rollupAbi, functionName: "disputeGame" })) as `0x${string}`;
    const defender =
      gameAddress !== "0x0000000000000000000000000000000000000000"
        ? new GameService({
            client: clients.public,
            wallet: clients.sequencer,
            account: clients.sequencer.account,
            disputeGame: gameAddress,
            rollup: cfg.rollup,
            fromBlock: o.fromBlock,
            logLine: out,
            contextOf: async (i) => gameContext(stateAtL1Batch(core.log, cfg.genesis, i - 1), await postedBatch(clients.public, cfg.rollup, o.fromBlock, i), domain),
          })
        : null;
    if (defender) {
      let busy = false;
      const t = setInterval(() => {
        if (busy) return;
        busy = true;
        defender
          .round()
          .catch((e: Error) => emit("warn", { component: "game", event: "round_error", error: e.message }))
          .finally(() => (busy = false));
      }, Math.max(500, o.pollMs * 4));
      stopTimers.push(() => clearInterval(t));
    }
    l1 = {
      clients,
      deriver,
      poster,
      sealing,
      defender,
      batchIntervalMs: () => intervalMs,
      status: () => {
        const d = deriver.status();
        return {
          rpcUrl: o.rpcUrl,
          rollup: cfg.rollup,
          sequencer: clients.sequencer.account.address,
          batchIntervalMs: intervalMs,
          batchMaxOps: core.batchMaxOps,
          batchMaxBytes: core.batchMaxBytes,
          sealedBatches: (core.log.lastBatch()?.index ?? -1) + 1,
          confirmedThrough: postStore.confirmedThrough(),
          mode: distributed ? "distributed" : "embedded",
          poster: poster ? { error: poster.error?.message ?? null, stats: { ...poster.stats } } : { error: lastPostFailure, stats: { ...queueCounts } },
          derivation: { ...d, error: d.error?.message ?? null },
        };
      },
    };
  }

  // Seal on the governed interval, or as soon as the size cap is reached (checked often). In
  // distributed mode the interval is the BullMQ job scheduler's; the size cap stays local.
  let lastSeal = Date.now();
  const byInterval = !l1?.sealing;
  // One line per sealed batch, whoever sealed it (this timer, the core's size and byte caps,
  // the distributed scheduler): the batch id joins it to the poster's lines (l1Batch).
  let loggedBatch = core.log.lastBatch()?.index ?? -1;
  const logSeals = () => {
    const last = core.log.lastBatch();
    if (last === undefined || last.index <= loggedBatch) return;
    for (const b of last.index === loggedBatch + 1 ? [last] : core.log.batches(loggedBatch + 1, last.index - loggedBatch)) {
      emit("info", { component: "sequencer", event: "sealed", batch: b.index, l1Batch: b.index + 1, ops: b.toSeq - b.fromSeq + 1, fromSeq: b.fromSeq, toSeq: b.toSeq, postRoot: bytesToHex(b.postRoot), sealedAt: b.sealedAt, intervalMs });
    }
    loggedBatch = last.index;
  };
  const timer = setInterval(() => {
    try {
      core.tick();
      if (core.unsealedOps() >= core.batchMaxOps || (byInterval && Date.now() - lastSeal >= intervalMs)) {
        core.sealBatch();
        lastSeal = Date.now();
      }
      logSeals();
    } catch (e) {
      log.error({ component: "sequencer", event: "timer_failed", err: e });
    }
  }, Math.min(10, cfg.batchIntervalMs));
  if (l1) {
    l1.deriver.start();
    l1.poster?.start();
  }

  const port = (server.address() as AddressInfo).port;
  const host = cfg.host.includes(":") ? `[${cfg.host}]` : cfg.host;
  let closed = false;
  return {
    url: `http://${host}:${port}`,
    port,
    core,
    l1,
    started: { replayed, snapshotSeq, seq: core.log.lastSeq(), root: bytesToHex(stateRoot(core.state)), ms },
    async close() {
      if (closed) return;
      closed = true;
      // Derivation first (its submitted items are durable when it stops), then the poster (a
      // transaction in flight stays recorded in l1_posts and is followed at the next start).
      if (l1) {
        await l1.deriver.stop();
        await l1.poster?.stop();
        await l1.sealing?.close();
      }
      clearInterval(timer);
      for (const stop of stopTimers) stop();
      hub.close();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
      if (core.failed === null) core.sealBatch();
      await pool.close();
      core.log.close();
    },
  };
}
