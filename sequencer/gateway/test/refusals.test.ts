/**
 * Bad input stops at the gateway: every malformed request gets the answer the sequencer
 * would give (status and `{code, message, field}` equal to a direct request's), and the
 * sequencer's own counters (GET /metrics) show none of them arrived. Signing-key and client
 * rate limits, stream messages and the CLI's option checks.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTest, Signer, keyOf, post } from "../../api/test/helpers.js";
import type { RunningSequencer } from "../../service.js";
import { GatewayChild, scrape } from "./child.js";

const MAX_BODY = 4096;
let seq: RunningSequencer;
let gw: GatewayChild;
const alice = new Signer(keyOf("gw-refusals/alice"));
let A = -1;

beforeAll(async () => {
  seq = await startTest({ maxBodyBytes: MAX_BODY });
  gw = await GatewayChild.start(["--upstream", seq.url, "--port", "0", "--max-body-bytes", String(MAX_BODY)]);
  // Through the gateway: it learns the sequencer's domain (GET /v1/info) before the counting starts.
  const r = await post(gw.url, "/v1/dev/deposit", { owner: alice.address, asset: 0, amount: "1000000000000" });
  expect(r.status).toBe(200);
  A = r.json.account;
}, 60_000);

afterAll(async () => {
  await gw?.stop("SIGTERM");
  await seq?.close();
});

async function send(base: string, c: { method: "GET" | "POST"; path: string; body?: string }): Promise<{ status: number; json: unknown }> {
  const r = await fetch(base + c.path, c.method === "GET" ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: c.body });
  return { status: r.status, json: await r.json() };
}

/** A signature no address recovers from: v = 5 (valid ones end in 00, 01, 1b or 1c). */
const UNRECOVERABLE = `0x${"11".repeat(64)}05`;

describe("bad input is refused at the gateway", () => {
  it("with the sequencer's answer, and the sequencer never sees it", async () => {
    const order = () => alice.sign({ type: "PlaceOrder", account: A, market: 0, flags: 0, price: 60_000_000_000n, size: 10_000n, expiry: 0n, clientOrderId: 1n } as never);
    const cancelAll = () => alice.sign({ type: "CancelAll", account: A, market: 0 } as never);
    const cases: { name: string; method: "GET" | "POST"; path: string; body?: string; code: string }[] = [
      { name: "not JSON", method: "POST", path: "/v1/op", body: "{bad", code: "MALFORMED_JSON" },
      { name: "too large", method: "POST", path: "/v1/op", body: JSON.stringify({ pad: "x".repeat(MAX_BODY) }), code: "BODY_TOO_LARGE" },
      { name: "not an object", method: "POST", path: "/v1/op", body: "[]", code: "INVALID_FIELD" },
      { name: "an L1 operation", method: "POST", path: "/v1/op", body: JSON.stringify({ type: "Deposit" }), code: "UNSUPPORTED_OPERATION" },
      { name: "unknown type", method: "POST", path: "/v1/op", body: JSON.stringify({ type: "Teleport" }), code: "INVALID_FIELD" },
      { name: "wrong field type", method: "POST", path: "/v1/op", body: JSON.stringify({ ...order(), market: "zero" }), code: "INVALID_FIELD" },
      { name: "out of range", method: "POST", path: "/v1/op", body: JSON.stringify({ ...order(), price: "18446744073709551616" }), code: "INVALID_FIELD" },
      { name: "extra field", method: "POST", path: "/v1/op", body: JSON.stringify({ ...order(), leverage: 100 }), code: "INVALID_FIELD" },
      { name: "no signature", method: "POST", path: "/v1/op", body: JSON.stringify({ ...order(), signature: undefined }), code: "INVALID_FIELD" },
      { name: "unrecoverable signature", method: "POST", path: "/v1/op", body: JSON.stringify({ ...order(), signature: UNRECOVERABLE }), code: "BAD_SIGNATURE" },
      { name: "ops not a list", method: "POST", path: "/v1/ops", body: JSON.stringify({ ops: 3 }), code: "INVALID_FIELD" },
      { name: "ops empty", method: "POST", path: "/v1/ops", body: JSON.stringify({ ops: [] }), code: "INVALID_FIELD" },
      { name: "too many ops", method: "POST", path: "/v1/ops", body: JSON.stringify({ ops: Array.from({ length: 257 }, () => ({})) }), code: "TOO_MANY_OPERATIONS" },
      { name: "one bad op of two", method: "POST", path: "/v1/ops", body: JSON.stringify({ ops: [cancelAll(), { type: "Fill" }] }), code: "UNSUPPORTED_OPERATION" },
      { name: "modify without a body", method: "POST", path: "/v1/orders/modify", body: "null", code: "INVALID_FIELD" },
      { name: "modify with a place as cancel", method: "POST", path: "/v1/orders/modify", body: JSON.stringify({ cancel: order(), place: order() }), code: "INVALID_FIELD" },
      {
        name: "modify with an unrecoverable cancel",
        method: "POST",
        path: "/v1/orders/modify",
        body: JSON.stringify({ cancel: { ...alice.sign({ type: "CancelOrder", account: A, slot: 0, clientOrderId: 0n } as never), signature: UNRECOVERABLE }, place: order() }),
        code: "BAD_SIGNATURE",
      },
      { name: "deadman bad at", method: "POST", path: "/v1/deadman", body: JSON.stringify({ cancelAll: cancelAll(), at: -5 }), code: "INVALID_FIELD" },
      { name: "deadman not a CancelAll", method: "POST", path: "/v1/deadman", body: JSON.stringify({ cancelAll: order(), at: "0" }), code: "INVALID_FIELD" },
      { name: "deadman unrecoverable", method: "POST", path: "/v1/deadman", body: JSON.stringify({ cancelAll: { ...cancelAll(), signature: UNRECOVERABLE }, at: "0" }), code: "BAD_SIGNATURE" },
      { name: "deposit to zero", method: "POST", path: "/v1/dev/deposit", body: JSON.stringify({ owner: `0x${"0".repeat(40)}`, asset: 0, amount: "5" }), code: "INVALID_FIELD" },
      { name: "deposit bad amount", method: "POST", path: "/v1/dev/deposit", body: JSON.stringify({ owner: alice.address, asset: 0, amount: -5 }), code: "INVALID_FIELD" },
      { name: "account index", method: "GET", path: "/v1/accounts/abc", code: "INVALID_FIELD" },
      { name: "owner address", method: "GET", path: "/v1/accounts/by-owner/0x1234", code: "INVALID_FIELD" },
      { name: "market id", method: "GET", path: "/v1/markets/x/book", code: "INVALID_FIELD" },
      { name: "book levels", method: "GET", path: "/v1/markets/0/book?levels=0", code: "INVALID_FIELD" },
      { name: "book levels on an unknown market", method: "GET", path: "/v1/markets/99/book?levels=501", code: "INVALID_FIELD" },
      { name: "op seq", method: "GET", path: "/v1/ops/-1", code: "INVALID_FIELD" },
      { name: "batches limit", method: "GET", path: "/v1/batches?limit=5000", code: "INVALID_FIELD" },
      { name: "batches from", method: "GET", path: "/v1/batches?from=x", code: "INVALID_FIELD" },
      { name: "batch index", method: "GET", path: "/v1/batches/1e3", code: "INVALID_FIELD" },
      { name: "withdrawal index", method: "GET", path: "/v1/withdrawals/x/proof", code: "INVALID_FIELD" },
      { name: "exit-proof batch", method: "GET", path: `/v1/accounts/${A}/exit-proof?batch=last`, code: "INVALID_FIELD" },
    ];
    const before = await scrape(seq.url);
    const viaGateway = [];
    for (const c of cases) viaGateway.push(await send(gw.url, c));
    const after = await scrape(seq.url);

    // Nothing arrived: the only request the sequencer handled in between is the first scrape.
    const requests = "crossmargin_api_request_duration_seconds_count";
    expect(after(requests) - before(requests)).toBe(1);
    expect(after(requests, 'route="/metrics"') - before(requests, 'route="/metrics"')).toBe(1);
    expect(after("crossmargin_api_errors_total") - before("crossmargin_api_errors_total")).toBe(0);
    expect(after("crossmargin_ops_refused_total") - before("crossmargin_ops_refused_total")).toBe(0);
    expect(after("crossmargin_log_seq")).toBe(before("crossmargin_log_seq"));

    // The same requests direct: the same status and body, field for field.
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      const d = await send(seq.url, c);
      expect(viaGateway[i], c.name).toEqual(d);
      expect((viaGateway[i]!.json as { code: string }).code, c.name).toBe(c.code);
    }
    const status = (await (await fetch(`${gw.url}/gateway/status`)).json()) as { refused: Record<string, number> };
    const byCode: Record<string, number> = {};
    for (const c of cases) byCode[c.code] = (byCode[c.code] ?? 0) + 1;
    expect(status.refused).toEqual(byCode);
  });

  it("an unrecoverable op in /v1/ops is answered in place; only the others reach the sequencer", async () => {
    const good = alice.sign({ type: "CancelAll", account: A, market: 1 } as never);
    const bad = { ...alice.sign({ type: "CancelAll", account: A, market: 0 } as never), signature: UNRECOVERABLE };
    const before = await scrape(seq.url);
    const r = await post(gw.url, "/v1/ops", { ops: [bad, good] });
    const after = await scrape(seq.url);
    expect(r.status).toBe(200);
    expect(r.json.results[0]).toEqual({ error: { code: "BAD_SIGNATURE", message: "the signature does not recover to an address" } });
    expect(r.json.results[1]).toMatchObject({ ok: true, events: [] });
    // The sequencer saw one /v1/ops request holding one op, which it sequenced.
    expect(after("crossmargin_ops_accepted_total", 'type="CancelAll"') - before("crossmargin_ops_accepted_total", 'type="CancelAll"')).toBe(1);
    expect(after("crossmargin_ops_refused_total") - before("crossmargin_ops_refused_total")).toBe(0);
    // Direct, the sequencer answers that op the same way in its own results.
    const d = await post(seq.url, "/v1/ops", { ops: [bad] });
    expect(d.json.results[0]).toEqual(r.json.results[0]);
  });

  it("stream messages are checked at the gateway with the sequencer's answers", async () => {
    const answers = async (base: string) => {
      const ws = new WebSocket(`${base.replace(/^http/, "ws")}/v1/stream`);
      const got: unknown[] = [];
      ws.on("message", (d) => got.push(JSON.parse(String(d))));
      await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
      for (const m of ["{nope", JSON.stringify({ op: "subscribe", channels: [] }), JSON.stringify({ op: "subscribe", channels: [{ type: "gossip" }] })]) ws.send(m);
      const t = Date.now();
      while (got.length < 3 && Date.now() - t < 5_000) await new Promise((r) => setTimeout(r, 20));
      ws.close();
      return got;
    };
    const before = ((await (await fetch(`${gw.url}/gateway/status`)).json()) as { streamRefused: number }).streamRefused;
    const g = await answers(gw.url);
    expect(g).toHaveLength(3);
    expect(g).toEqual(await answers(seq.url));
    expect(g.map((x) => (x as { error: { code: string } }).error.code)).toEqual(["MALFORMED_JSON", "INVALID_FIELD", "INVALID_FIELD"]);
    const after = ((await (await fetch(`${gw.url}/gateway/status`)).json()) as { streamRefused: number }).streamRefused;
    expect(after - before).toBe(3);
  });
});

describe("rate limits at the gateway", () => {
  it("per signing key (the sequencer's RateLimiter) and per client address", async () => {
    // Refill is negligible (0.01/s): exactly the bursts pass.
    const limited = await GatewayChild.start(["--upstream", seq.url, "--port", "0", "--rate-limit", "0.01", "--rate-burst", "3", "--client-rate-limit", "0.01", "--client-rate-burst", "8"]);
    try {
      const bob = new Signer(keyOf("gw-refusals/bob"));
      await post(seq.url, "/v1/dev/deposit", { owner: bob.address, asset: 0, amount: "1000000" });
      const B = ((await (await fetch(`${seq.url}/v1/accounts/by-owner/${bob.address}`)).json()) as { index: number }).index;
      const before = await scrape(seq.url);
      const outs = [];
      for (let i = 0; i < 5; i++) outs.push(await post(limited.url, "/v1/op", bob.sign({ type: "CancelAll", account: B, market: 0 } as never)));
      const after = await scrape(seq.url);
      expect(outs.map((o) => o.status)).toEqual([200, 200, 200, 429, 429]);
      expect(outs[3]!.json).toEqual({ code: "RATE_LIMITED", message: "this signing key sent more operations than its rate limit allows; retry later" });
      expect(after("crossmargin_ops_accepted_total", 'type="CancelAll"') - before("crossmargin_ops_accepted_total", 'type="CancelAll"')).toBe(3);
      // Another key has its own bucket; the client's (8 requests) runs out on the third query.
      const carol = new Signer(keyOf("gw-refusals/carol"));
      const c = await post(limited.url, "/v1/op", carol.sign({ type: "CancelAll", account: A, market: 0 } as never));
      expect(c.json.code).toBe("UNAUTHORIZED"); // the sequencer's answer: carol does not own A
      const queries = [];
      for (let i = 0; i < 3; i++) queries.push(await fetch(`${limited.url}/v1/markets`));
      expect(queries.map((q) => q.status)).toEqual([200, 200, 429]);
      expect(await queries[2]!.json()).toMatchObject({ code: "RATE_LIMITED", message: expect.stringMatching(/this client \(.*\) sent more requests than the gateway's per-client limit/) });
    } finally {
      await limited.stop("SIGTERM");
    }
  }, 60_000);
});

describe("crossmargin gateway options", () => {
  it("reports every bad option at once and exits 2", async () => {
    const r = await GatewayChild.run(["--upstream", "http://10.1.2.3:80/v1", "--host", "0.0.0.0", "--port", "70000", "--rate-burst", "0", "--rate-limit", "fast", "--max-body-bytes", "12"]);
    expect(r.code).toBe(2);
    for (const opt of ["--upstream", "--host", "--port", "--rate-burst", "--rate-limit", "--max-body-bytes"]) expect(r.stderr).toContain(`${opt}:`);
    const missing = await GatewayChild.run([]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--upstream: required");
    const unknown = await GatewayChild.run(["--upstream", seq.url, "--db", "x"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--db'/);
  }, 60_000);

  it("prints one JSON start line and stops cleanly on SIGTERM", async () => {
    const g = await GatewayChild.start(["--upstream", seq.url, "--port", "0", "--host", "127.0.0.1"]);
    expect(g.stdout.split("\n")[0]).toMatch(/^\{"event":"started","url":"http:\/\/127\.0\.0\.1:\d+"/);
    expect((await fetch(`${g.url}/v1/markets`)).status).toBe(200);
    const exit = await g.stop("SIGTERM");
    expect(exit).toEqual({ code: 0, signal: null });
    expect(g.stdout).toContain('"event":"stopping"');
    expect(g.stderr).toBe("");
  }, 60_000);
});
