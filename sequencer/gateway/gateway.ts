/**
 * The stateless gateway (`crossmargin gateway`): an HTTP + WebSocket front of the sequencer
 * that desks point the SDK at, any number of them in front of one sequencer. It keeps no
 * state that matters: kill one and clients resend to another.
 *
 * What it does, in request order:
 * 1. per-client rate limit (by remote address, optional);
 * 2. the sequencer's own syntactic checks (sequencer/api/requests.ts, ingress.ts: body size,
 *    JSON, the zod operation schema, path and query parameters), refusing with the same
 *    `{code, message, field}` and status, so malformed requests never reach the single writer;
 * 3. for signed operations: signature recovery (the same worker pool and batching as the
 *    sequencer), the per-signing-key rate limit (the sequencer's RateLimiter), and refusal of
 *    signatures that recover to no address (BAD_SIGNATURE);
 * 4. forwarding to the sequencer over a keep-alive agent, status and body relayed as they
 *    came. No answer from the sequencer: 503 UPSTREAM_UNAVAILABLE with Retry-After.
 *
 * SAFETY: the gateway only ever refuses; it never vouches. The sequencer recovers every
 * signature again itself and trusts nothing the gateway says (docs/distributed.md §Gateway
 * explains why there is no trusted path). A compromised gateway can drop or delay traffic,
 * which any network hop can, but cannot get an operation sequenced that the sequencer alone
 * would refuse.
 */
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { type Context, Hono } from "hono";
import { WebSocket, WebSocketServer } from "ws";
import { ApiError, type ErrorCode } from "../api/errors.js";
import { RateLimiter, RecoveryBatcher, parseJson, parseOp, parseOps } from "../api/ingress.js";
import { addressParam, bodyLimitMiddleware, intParam, parseBatchesQuery, parseBookQuery, parseDeadman, parseDevDeposit, parseModify } from "../api/requests.js";
import { parseSubscribe } from "../api/stream.js";
import { SignaturePool } from "../ingress/pool.js";
import type { Op } from "../state/ops.js";
import type { Recovered } from "../state/stf.js";
import { Upstream, UpstreamUnavailable } from "./upstream.js";

export interface GatewayOptions {
  /** The sequencer's base URL (loopback), e.g. http://127.0.0.1:9545. */
  upstream: string;
  host: string;
  port: number;
  maxBodyBytes: number;
  /** Operations per second per signing key (0: unlimited) and the burst: the sequencer's RateLimiter. */
  rateLimit: number;
  rateBurst: number;
  /** Requests per second per client address (0: unlimited) and the burst. */
  clientRateLimit: number;
  clientRateBurst: number;
  /** Signature recovery threads. */
  signatureWorkers: number;
  /** How long the sequencer may take to answer before the client gets UPSTREAM_UNAVAILABLE. */
  upstreamTimeoutMs: number;
  /** Retry-After (seconds) sent with UPSTREAM_UNAVAILABLE. */
  retryAfterS: number;
}

export const GATEWAY_DEFAULTS = {
  host: "127.0.0.1",
  port: 9645,
  clientRateLimit: 0,
  clientRateBurst: 200,
  signatureWorkers: 1,
  upstreamTimeoutMs: 30_000,
  retryAfterS: 1,
} as const;

/** What the gateway has done since it started (GET /gateway/status). */
export interface GatewayStats {
  /** Requests relayed to the sequencer (whatever it answered). */
  forwarded: number;
  /** Requests (and operations of /v1/ops) the gateway answered itself with an error, by code. */
  refused: Partial<Record<ErrorCode, number>>;
  /** Requests the sequencer did not answer. */
  upstreamFailures: number;
  /** Stream connections open now, and stream messages refused at the gateway. */
  streams: number;
  streamRefused: number;
  /** Stream clients cut off for not reading (more than STREAM_CLIENT_BUFFER_BYTES unsent). */
  streamsDropped: number;
}

/** Unsent bytes a stream client may let pile up in the gateway before it is disconnected. */
export const STREAM_CLIENT_BUFFER_BYTES = 8 * 1024 * 1024;

export interface RunningGateway {
  url: string;
  port: number;
  stats: GatewayStats;
  close(): Promise<void>;
}

/** The part of the sequencer's GET /v1/info the gateway needs. */
interface UpstreamInfo {
  domain: { chainId: bigint; verifyingContract: `0x${string}` };
  devDeposits: boolean;
}

export async function startGateway(o: GatewayOptions): Promise<RunningGateway> {
  const upstream = new Upstream(new URL(o.upstream), o.upstreamTimeoutMs);
  const opLimiter = new RateLimiter(o.rateLimit, o.rateBurst);
  const clientLimiter = new RateLimiter(o.clientRateLimit, o.clientRateBurst);
  const stats: GatewayStats = { forwarded: 0, refused: {}, upstreamFailures: 0, streams: 0, streamRefused: 0, streamsDropped: 0 };
  const refused = (code: ErrorCode, n = 1) => (stats.refused[code] = (stats.refused[code] ?? 0) + n);

  /** Calls the sequencer; no answer becomes UPSTREAM_UNAVAILABLE (and the cached info is dropped: it may be another sequencer when it is back). */
  async function call(method: string, path: string, headers: Record<string, string>, body?: Uint8Array) {
    try {
      const a = await upstream.request(method, path, headers, body);
      stats.forwarded++;
      return a;
    } catch (e) {
      if (!(e instanceof UpstreamUnavailable)) throw e;
      stats.upstreamFailures++;
      info = null;
      const what = e.mayHaveArrived
        ? "the request may have reached it: resend the same signed operation (NONCE_USED then means it was sequenced)"
        : "the request did not reach it";
      throw new ApiError("UPSTREAM_UNAVAILABLE", `${e.message}; ${what}`);
    }
  }

  // ─── the sequencer's signing domain, for recovery ────────────────────────────────────
  let info: Promise<UpstreamInfo> | null = null;
  function upstreamInfo(): Promise<UpstreamInfo> {
    info ??= (async () => {
      const a = await call("GET", "/v1/info", { accept: "application/json" });
      const j = (() => {
        try {
          return JSON.parse(a.body.toString("utf8")) as { chainId?: unknown; verifyingContract?: unknown; devDeposits?: unknown };
        } catch {
          return null;
        }
      })();
      if (a.status !== 200 || j === null || typeof j.chainId !== "string" || !/^[0-9]+$/.test(j.chainId) || typeof j.verifyingContract !== "string" || typeof j.devDeposits !== "boolean") {
        throw new ApiError("UPSTREAM_UNAVAILABLE", `the sequencer at ${o.upstream} answered GET /v1/info with HTTP ${a.status} and no usable { chainId, verifyingContract, devDeposits }`);
      }
      return { domain: { chainId: BigInt(j.chainId), verifyingContract: j.verifyingContract.toLowerCase() as `0x${string}` }, devDeposits: j.devDeposits };
    })().catch((e) => {
      info = null;
      throw e;
    });
    return info;
  }

  let signatures: { key: string; pool: SignaturePool; batcher: RecoveryBatcher } | null = null;
  async function recover(ops: Op[]): Promise<Recovered[]> {
    const { domain } = await upstreamInfo();
    const key = `${domain.chainId}:${domain.verifyingContract}`;
    if (signatures?.key !== key) {
      // Another deployment behind the same URL (a restart with another Rollup): recover for it;
      // the old pool finishes what it holds before it is closed.
      const old = signatures;
      const pool = new SignaturePool(domain, o.signatureWorkers);
      signatures = { key, pool, batcher: new RecoveryBatcher(pool) };
      if (old) setTimeout(() => void old.pool.close(), 5_000).unref();
    }
    return signatures.batcher.recover(ops);
  }

  /** The sequencer's order: the key's rate limit first (an unrecoverable signature shares one bucket), then the signature. */
  function admit(op: Op, rec: Recovered, tokens: number, now: number): void {
    if (op.type === "OracleUpdate") return;
    if (!opLimiter.take(rec.signer ?? "invalid-signature", tokens, now)) throw new ApiError("RATE_LIMITED");
    if (rec.signer === null) throw new ApiError("BAD_SIGNATURE");
  }

  // ─── HTTP ────────────────────────────────────────────────────────────────────────────
  const app = new Hono();
  const clientAddress = (c: Context) => getConnInfo(c).remote.address ?? "unknown";

  app.onError((e, c) => {
    if (!(e instanceof ApiError)) {
      console.error("gateway: unexpected error", e);
      e = new ApiError("INTERNAL_ERROR", `internal error in the gateway: ${(e as Error).message}`);
    }
    const err = e as ApiError;
    refused(err.code);
    if (err.code === "UPSTREAM_UNAVAILABLE") c.header("retry-after", String(o.retryAfterS));
    return c.json(err.body(), err.status as 400);
  });

  app.use("*", async (c, next) => {
    if (!clientLimiter.take(clientAddress(c), 1, Date.now())) {
      throw new ApiError("RATE_LIMITED", `this client (${clientAddress(c)}) sent more requests than the gateway's per-client limit allows; retry later`);
    }
    await next();
  });
  app.use("*", bodyLimitMiddleware(o.maxBodyBytes));

  const bytes = async (c: Context) => new Uint8Array(await c.req.arrayBuffer());
  const json = (b: Uint8Array) => parseJson(new TextDecoder().decode(b));
  function forwardHeaders(c: Context): Record<string, string> {
    const h: Record<string, string> = { "x-forwarded-for": clientAddress(c) };
    for (const k of ["content-type", "accept", "user-agent"]) {
      const v = c.req.header(k);
      if (v !== undefined) h[k] = v;
    }
    return h;
  }
  /** Relays the request (its body as received) and the sequencer's answer, untouched. */
  async function forward(c: Context, body?: Uint8Array): Promise<Response> {
    const url = new URL(c.req.url);
    const a = await call(c.req.method, url.pathname + url.search, forwardHeaders(c), body);
    return new Response(a.status === 204 || a.status === 304 || a.body.length === 0 ? null : a.body, { status: a.status, headers: a.headers });
  }

  app.get("/gateway/status", (c) => c.json({ upstream: o.upstream, ...stats }));

  app.post("/v1/op", async (c) => {
    const raw = await bytes(c);
    const op = parseOp(json(raw), "");
    const [rec] = await recover([op]);
    admit(op, rec!, 1, Date.now());
    return forward(c, raw);
  });

  app.post("/v1/ops", async (c) => {
    const raw = await bytes(c);
    const body = json(raw);
    const ops = parseOps(body);
    const recs = await recover(ops);
    const now = Date.now();
    const verdicts = ops.map((op, i): ApiError | null => {
      try {
        admit(op, recs[i]!, 1, now);
        return null;
      } catch (e) {
        return e as ApiError;
      }
    });
    const keep = verdicts.flatMap((v, i) => (v === null ? [i] : []));
    if (keep.length === ops.length) return forward(c, raw);
    for (const v of verdicts) if (v) refused(v.code);
    const answer = (upstreamResults: unknown[]) => {
      let k = 0;
      return c.json({ results: verdicts.map((v) => (v ? { error: v.body() } : upstreamResults[k++])) });
    };
    if (keep.length === 0) return answer([]);
    // The sequencer gets the admitted operations, as the client wrote them, in request order.
    const rawOps = (body as { ops: unknown[] }).ops;
    const a = await call("POST", "/v1/ops", forwardHeaders(c), new TextEncoder().encode(JSON.stringify({ ops: keep.map((i) => rawOps[i]) })));
    let results: unknown;
    try {
      results = a.status === 200 ? (JSON.parse(a.body.toString("utf8")) as { results?: unknown }).results : undefined;
    } catch {}
    // A request-level answer (503 SEQUENCER_UNAVAILABLE…) or an unexpected one is relayed as it came.
    if (!Array.isArray(results) || results.length !== keep.length) return new Response(a.body, { status: a.status, headers: a.headers });
    return answer(results);
  });

  app.post("/v1/orders/modify", async (c) => {
    const raw = await bytes(c);
    const { cancel, place } = parseModify(json(raw));
    const [rc] = await recover([cancel, place]);
    // As the sequencer: two tokens of the cancel's signer; a cancel it would refuse refuses the
    // request. A place with a bad signature is the sequencer's to refuse (the cancel stands).
    admit(cancel, rc!, 2, Date.now());
    return forward(c, raw);
  });

  app.post("/v1/deadman", async (c) => {
    const raw = await bytes(c);
    const { op } = parseDeadman(json(raw));
    const [rec] = await recover([op]);
    if (rec!.signer === null) throw new ApiError("BAD_SIGNATURE");
    return forward(c, raw);
  });

  app.post("/v1/dev/deposit", async (c) => {
    if (!(await upstreamInfo()).devDeposits) throw new ApiError("DEV_ONLY");
    const raw = await bytes(c);
    parseDevDeposit(json(raw));
    return forward(c, raw);
  });

  app.get("/v1/accounts/by-owner/:address", (c) => {
    addressParam(c.req.param("address"), "address");
    return forward(c);
  });
  app.get("/v1/accounts/:index", (c) => {
    intParam(c.req.param("index"), "index");
    return forward(c);
  });
  const proofRoute = (c: Context) => {
    intParam(c.req.param("index")!, "index");
    const q = c.req.query("batch");
    if (q !== undefined) intParam(q, "batch");
    return forward(c);
  };
  app.get("/v1/withdrawals/:index/proof", proofRoute);
  app.get("/v1/accounts/:index/exit-proof", proofRoute);
  app.get("/v1/markets/:id/book", (c) => {
    parseBookQuery(c.req.param("id"), c.req.query("levels"));
    return forward(c);
  });
  app.get("/v1/ops/:seq", (c) => {
    intParam(c.req.param("seq"), "seq");
    return forward(c);
  });
  app.get("/v1/batches", (c) => {
    parseBatchesQuery(c.req.query("from"), c.req.query("limit"));
    return forward(c);
  });
  app.get("/v1/batches/:index", (c) => {
    intParam(c.req.param("index"), "index");
    return forward(c);
  });
  // Everything else (info, markets, openapi, verifier, metrics, unknown paths) is the
  // sequencer's to answer: a route added there works through the gateway at once.
  app.all("*", async (c) => forward(c, c.req.method === "GET" || c.req.method === "HEAD" ? undefined : await bytes(c)));

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: o.host, port: o.port }, () => resolve(s));
    s.once("error", reject);
  });
  const http = server as import("node:http").Server;
  // As the sequencer: SDK clients keep connections open between bursts (service.ts).
  http.keepAliveTimeout = 65_000;

  // ─── WebSocket stream ────────────────────────────────────────────────────────────────
  // Each client socket gets its own socket to the sequencer's /v1/stream; messages pass
  // through as they are. The sequencer owns the replay ring, so resuming (fromSeq) behaves
  // exactly as direct, whichever gateway the client reconnects through.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const pairs = new Set<{ client: WebSocket; up: WebSocket }>();
  http.on("upgrade", (req, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== "/v1/stream") return socket.destroy();
    const address = req.socket.remoteAddress ?? "unknown";
    if (!clientLimiter.take(address, 1, Date.now())) {
      return refuseUpgrade(socket, new ApiError("RATE_LIMITED", `this client (${address}) sent more requests than the gateway's per-client limit allows; retry later`));
    }
    const up = new WebSocket(`ws://${o.upstream.replace(/^https?:\/\//, "").replace(/\/+$/, "")}${url.pathname}${url.search}`, {
      perMessageDeflate: false,
      handshakeTimeout: o.upstreamTimeoutMs,
      maxPayload: 256 * 1024 * 1024,
    });
    let opened = false;
    const early = () => up.terminate();
    socket.once("close", early);
    up.once("open", () => {
      opened = true;
      socket.off("close", early);
      if (socket.destroyed) return up.close();
      wss.handleUpgrade(req, socket, head, (client) => pipe(client, up));
    });
    const fail = (why: string) => {
      if (opened) return;
      stats.upstreamFailures++;
      info = null;
      up.terminate();
      refuseUpgrade(socket, new ApiError("UPSTREAM_UNAVAILABLE", `the sequencer's stream at ${o.upstream} ${why}; the stream was not opened`));
    };
    up.once("error", (e: NodeJS.ErrnoException) => fail(`is unreachable (${e.code ?? e.message})`));
    up.once("unexpected-response", (_r, res) => fail(`answered the upgrade with HTTP ${res.statusCode}`));
  });

  function refuseUpgrade(socket: Duplex, e: ApiError): void {
    refused(e.code);
    const body = JSON.stringify(e.body());
    const retry = e.code === "UPSTREAM_UNAVAILABLE" ? `retry-after: ${o.retryAfterS}\r\n` : "";
    if (!socket.destroyed) {
      socket.end(`HTTP/1.1 ${e.status} ${e.status === 429 ? "Too Many Requests" : "Service Unavailable"}\r\ncontent-type: application/json\r\n${retry}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    }
  }

  function pipe(client: WebSocket, up: WebSocket): void {
    const pair = { client, up };
    pairs.add(pair);
    stats.streams++;
    up.on("message", (data, isBinary) => {
      if (client.readyState !== WebSocket.OPEN) return;
      // A client that does not read would grow this process without bound. Dropping it costs
      // it nothing: the SDK reconnects and resumes from its last seq out of the sequencer's ring.
      if (client.bufferedAmount > STREAM_CLIENT_BUFFER_BYTES) {
        stats.streamsDropped++;
        return client.terminate();
      }
      client.send(data, { binary: isBinary });
    });
    client.on("message", (data) => {
      const text = String(data);
      const r = parseSubscribe(text);
      if (!r.ok) {
        // The sequencer's answer to the same message, without bothering it.
        stats.streamRefused++;
        return client.send(JSON.stringify({ error: r.error }));
      }
      if (up.readyState === WebSocket.OPEN) up.send(text);
    });
    const end = () => {
      if (!pairs.delete(pair)) return;
      stats.streams--;
      // 1012 "service restart": the SDK reconnects and resumes from its last seq.
      if (client.readyState === WebSocket.OPEN) client.close(1012, "the sequencer's stream closed");
      if (up.readyState === WebSocket.OPEN || up.readyState === WebSocket.CONNECTING) up.close();
    };
    up.on("close", end);
    client.on("close", end);
    up.on("error", () => up.terminate());
    client.on("error", () => client.terminate());
  }

  // Warm up: learn the domain and start the recovery threads before the first operation (the
  // sequencer may not be up yet; the first operation then tries again).
  recover([]).catch(() => {});

  const port = (server.address() as AddressInfo).port;
  const host = o.host.includes(":") ? `[${o.host}]` : o.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    stats,
    close() {
      closing ??= (async () => {
        for (const p of pairs) {
          p.client.close(1001, "gateway stopping");
          p.up.close();
        }
        wss.close();
        // Requests in flight are answered; idle keep-alive connections close now, stragglers after 5 s.
        const forced = setTimeout(() => http.closeAllConnections(), 5_000);
        await new Promise<void>((r) => http.close(() => r()));
        clearTimeout(forced);
        upstream.close();
        await signatures?.pool.close();
      })();
      return closing;
    },
  };
}
