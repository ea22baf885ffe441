/**
 * The embedded sequencer service: op log, recovery, single writer, matching, signature
 * workers, HTTP + WebSocket API, and the timers that seal batches and fire dead-man's
 * switches. `startSequencer` is what the CLI, the tests and the bench run.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { WebSocketServer } from "ws";
import { RateLimiter, RecoveryBatcher } from "./api/ingress.js";
import { createApi } from "./api/server.js";
import { StreamHub } from "./api/stream.js";
import type { SequencerConfig } from "./config.js";
import { PRIORITY_KEY, SequencerCore } from "./core/sequencer.js";
import { SignaturePool } from "./ingress/pool.js";
import { type EngineConfig, MatchingEngine, fillBlame } from "./matching/index.js";
import { bytesToHex } from "./state/bytes.js";
import { createGenesisState, stateRoot } from "./state/index.js";
import { tradingMode } from "./state/ops/common.js";
import type { CrossmarginState } from "./state/state.js";
import { OpLog } from "./storage/index.js";

export interface RunningSequencer {
  url: string;
  port: number;
  core: SequencerCore;
  /** How the start went: ops replayed from the log, and the root reached. */
  started: { replayed: number; snapshotSeq: number; seq: number; root: string; ms: number };
  close(): Promise<void>;
}

const GENESIS_KEY = "genesis_root";

/**
 * Opens (or creates) the op log and rebuilds state and book: from the newest snapshot that
 * has the book's priority beside it (else genesis), then the log after it, replayed through
 * the core itself.
 */
export function openCore(cfg: Pick<SequencerConfig, "db" | "genesis" | "batchMaxOps" | "snapshotEveryOps" | "synchronous" | "clock"> & { ignoreSnapshots?: boolean }) {
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
    const core = new SequencerCore({ log, state, engine, clock: cfg.clock, batchMaxOps: cfg.batchMaxOps, snapshotEveryOps: cfg.snapshotEveryOps });
    const replayed = core.replay(log.readFrom(fromSeq + 1));
    core.restoreDeadman();
    return { core, replayed, snapshotSeq: fromSeq, ms: performance.now() - t0 };
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

export async function startSequencer(cfg: SequencerConfig): Promise<RunningSequencer> {
  const { core, replayed, snapshotSeq, ms } = openCore(cfg);
  const domain = { chainId: cfg.chainId, verifyingContract: cfg.rollup };
  const pool = new SignaturePool(domain, cfg.signatureWorkers);
  const hub = new StreamHub(core, cfg.streamBuffer);
  const app = createApi({
    core,
    batcher: new RecoveryBatcher(pool),
    limiter: new RateLimiter(cfg.rateLimit, cfg.rateBurst),
    domain,
    maxBodyBytes: cfg.maxBodyBytes,
    devDeposits: cfg.devDeposits,
    recentRecord: (seq) => hub.recent(seq),
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: cfg.host, port: cfg.port }, () => resolve(s));
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

  // Seal on the governed interval, or as soon as the size cap is reached (checked often).
  let lastSeal = Date.now();
  const timer = setInterval(() => {
    try {
      core.tick();
      if (core.unsealedOps() >= cfg.batchMaxOps || Date.now() - lastSeal >= cfg.batchIntervalMs) {
        core.sealBatch();
        lastSeal = Date.now();
      }
    } catch (e) {
      console.error("sequencer: timer failed", e);
    }
  }, Math.min(10, cfg.batchIntervalMs));

  const port = (server.address() as AddressInfo).port;
  const host = cfg.host.includes(":") ? `[${cfg.host}]` : cfg.host;
  let closed = false;
  return {
    url: `http://${host}:${port}`,
    port,
    core,
    started: { replayed, snapshotSeq, seq: core.log.lastSeq(), root: bytesToHex(stateRoot(core.state)), ms },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      hub.close();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
      if (core.failed === null) core.sealBatch();
      await pool.close();
      core.log.close();
    },
  };
}
