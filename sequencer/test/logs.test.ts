/**
 * Structured logs: every API response carries an `x-request-id` (the caller's plain token
 * kept, anything else replaced) and the request's log line carries the same id; every sealed
 * batch has one line with its batch id. Lines are parsed as JSON exactly as a log shipper would.
 */
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestLog } from "../api/requestLog.js";
import { validateConfig } from "../config.js";
import { createLogger, lineSink, LogLevelError } from "../log.js";
import { type RunningSequencer, startSequencer } from "../service.js";
import { apiGenesis, DOMAIN, keyOf, post, Signer, tmpDb } from "../api/test/helpers.js";

const lines: Record<string, unknown>[] = [];
let seq: RunningSequencer;

beforeAll(async () => {
  const cfg = validateConfig(
    { db: tmpDb(), port: 0, chainId: DOMAIN.chainId, rollup: DOMAIN.verifyingContract, devDeposits: true, signatureWorkers: 1, synchronous: "NORMAL", batchIntervalMs: 100 },
    apiGenesis(),
  );
  const logger = createLogger({ level: "debug", destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
  seq = await startSequencer({ ...cfg, logger });
}, 60_000);

afterAll(async () => {
  await seq?.close();
});

const wait = async (f: () => unknown, what: string) => {
  for (let i = 0; i < 100; i++) {
    const v = f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe("request ids", () => {
  it("keeps a caller's plain id, echoes it and logs it with the request", async () => {
    const r = await fetch(`${seq.url}/v1/info`, { headers: { "x-request-id": "desk-7.order:42" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-request-id")).toBe("desk-7.order:42");
    const line = (await wait(() => lines.find((l) => l.reqId === "desk-7.order:42"), "the request line")) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "debug", component: "api", event: "request", method: "GET", path: "/v1/info", status: 200 });
    expect(typeof line.time).toBe("string");
    expect(Number.isNaN(Date.parse(line.time as string))).toBe(false);
  });

  it("gives an id to a request without one, and replaces one that is not a plain token", async () => {
    const a = await fetch(`${seq.url}/v1/batches/999999`);
    expect(a.status).toBe(404);
    const id = a.headers.get("x-request-id")!;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await wait(() => lines.find((l) => l.reqId === id && l.status === 404), "the 404 line");
    const b = await fetch(`${seq.url}/v1/info`, { headers: { "x-request-id": "a b\"}{injected" } });
    expect(b.headers.get("x-request-id")).not.toContain("injected");
    expect(b.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const c = await fetch(`${seq.url}/v1/info`, { headers: { "x-request-id": "x".repeat(65) } });
    expect(c.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("seal lines", () => {
  it("logs each sealed batch once with its batch id, op range and root", async () => {
    const alice = new Signer(keyOf("logs/alice"));
    const r = await post(seq.url, "/v1/dev/deposit", { owner: alice.address, asset: 0, amount: "1000000" });
    expect(r.status).toBe(200);
    const seal = (await wait(() => lines.find((l) => l.event === "sealed"), "a sealed line")) as Record<string, unknown>;
    const b = (await (await fetch(`${seq.url}/v1/batches/${seal.batch as number}`)).json()) as Record<string, unknown>;
    expect(seal).toMatchObject({ level: "info", component: "sequencer", l1Batch: (seal.batch as number) + 1, fromSeq: b.fromSeq, toSeq: b.toSeq, postRoot: b.postRoot, intervalMs: 100 });
    expect(seal.ops).toBe((b.toSeq as number) - (b.fromSeq as number) + 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(lines.filter((l) => l.event === "sealed" && l.batch === seal.batch)).toHaveLength(1);
  });
});

describe("log level", () => {
  it("refuses an unknown level, naming the variable and the levels", () => {
    expect(() => createLogger({ level: "verbose" })).toThrow(LogLevelError);
    expect(() => createLogger({ level: "verbose" })).toThrow('CROSSMARGIN_LOG_LEVEL: "verbose" is not a level; use one of trace, debug, info, warn, error, fatal, silent');
  });
});

describe("error lines", () => {
  it("logs a server error at error level with its request id and the API's answer", async () => {
    const got: Record<string, unknown>[] = [];
    const log = createLogger({ level: "info", destination: { write: (s: string) => void got.push(JSON.parse(s) as Record<string, unknown>) } });
    const app = new Hono();
    app.use("*", requestLog(log));
    app.get("/boom", (c) => c.json({ code: "INTERNAL_ERROR", message: "internal error: disk full" }, 500));
    app.get("/ok", (c) => c.json({ ok: true }));
    const r = await app.request("/boom", { headers: { "x-request-id": "trace-1" } });
    expect(r.status).toBe(500);
    expect(r.headers.get("x-request-id")).toBe("trace-1");
    expect(await r.json()).toEqual({ code: "INTERNAL_ERROR", message: "internal error: disk full" });
    await app.request("/ok");
    // info level: the success is not logged, the failure is.
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ level: "error", event: "request_failed", reqId: "trace-1", status: 500, path: "/boom", answer: '{"code":"INTERNAL_ERROR","message":"internal error: disk full"}' });
  });

  it("re-emits the poster's and deriver's JSON lines through pino at their own level", () => {
    const got: Record<string, unknown>[] = [];
    const sink = lineSink(createLogger({ level: "info", destination: { write: (s: string) => void got.push(JSON.parse(s) as Record<string, unknown>) } }));
    sink(JSON.stringify({ ts: "2026-01-01T00:00:00.000Z", level: "warn", component: "poster", event: "bump", l1Batch: 4 }));
    sink(JSON.stringify({ ts: "x", level: "info", component: "derive", msg: "caught up" }));
    sink("not json");
    expect(got.map(({ time: _t, pid: _p, ...rest }) => rest)).toEqual([
      { level: "warn", component: "poster", event: "bump", l1Batch: 4 },
      { level: "info", component: "derive", msg: "caught up" },
      { level: "info", msg: "not json" },
    ]);
  });
});
