/**
 * GET /metrics and GET /v1/verifier through the real server (dev deposits, no L1): the
 * figures move by exactly what the test did (ops accepted and refused by code, fills, request
 * timings by route, error codes, sealed batches, stream clients); /v1/verifier answers each
 * failure with its code, validates what a verifier sends, and checks its roots against the
 * op log. The verifier's own metrics and a real verifier are in prover/test/metrics.test.ts
 * and test/devnet.test.ts.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrossmarginApiError, ShapeError, createCrossmarginClient, parseVerifierReport } from "../../../sdk/index.js";
import WebSocket from "ws";
import { metric, scrape } from "../../../test/prometheus.js";
import { ConfigError, validateConfig } from "../../config.js";
import { FLAG_SELL, TIF_IOC, TIF_POST_ONLY, TIF_SHIFT } from "../../state/constants.js";
import { bytesToHex } from "../../state/bytes.js";
import type { RunningSequencer } from "../../service.js";
import { DOMAIN, Signer, apiGenesis, get, keyOf, post, startTest } from "./helpers.js";

const USD = 1_000_000n;
const alice = new Signer(keyOf("metrics-alice"));
const bob = new Signer(keyOf("metrics-bob"));
let seq: RunningSequencer;
let A = -1;
let B = -1;

const order = (s: Signer, account: number, side: "buy" | "sell", size: bigint, tif: number) =>
  s.sign({ type: "PlaceOrder", account, market: 0, flags: (side === "sell" ? FLAG_SELL : 0) | (tif << TIF_SHIFT), price: 60_000n * USD, size, expiry: 0n, clientOrderId: 0n });

beforeAll(async () => {
  seq = await startTest();
  A = (await post(seq.url, "/v1/dev/deposit", { owner: alice.address, asset: 0, amount: String(1_000_000n * USD) })).json.account;
  B = (await post(seq.url, "/v1/dev/deposit", { owner: bob.address, asset: 0, amount: String(1_000_000n * USD) })).json.account;
});
afterAll(async () => {
  await seq?.close();
});

describe("GET /metrics", () => {
  it("counts accepted and refused ops by type and code, fills, request timings by route, error codes", async () => {
    const before = await scrape(`${seq.url}/metrics`);
    const was = (name: string, labels: Record<string, string> = {}) => metric(before, name, labels) ?? 0;

    // 3 accepted through /v1/op: a resting ask, a taker that fills against it, a transfer.
    expect((await post(seq.url, "/v1/op", order(alice, A, "sell", 10_000_000n, TIF_POST_ONLY))).json.ok).toBe(true);
    const take = await post(seq.url, "/v1/op", order(bob, B, "buy", 4_000_000n, TIF_IOC));
    expect(take.json.fills.map((f: { ok: boolean }) => f.ok)).toEqual([true]);
    expect((await post(seq.url, "/v1/op", alice.sign({ type: "Transfer", account: A, to: B, asset: 0, amount: 5n * USD }))).status).toBe(200);
    // 2 accepted and 2 refused through /v1/ops: a replayed nonce (NONCE_USED) and a transfer of more than alice has.
    const t1 = alice.sign({ type: "Transfer", account: A, to: B, asset: 0, amount: 1n * USD });
    const batch = await post(seq.url, "/v1/ops", {
      ops: [t1, t1, alice.sign({ type: "Transfer", account: A, to: B, asset: 0, amount: 10n ** 15n * USD }), bob.sign({ type: "Transfer", account: B, to: A, asset: 0, amount: 2n * USD })],
    });
    const codes = batch.json.results.map((r: { error?: { code: string } }) => r.error?.code ?? "ok");
    expect(codes[0]).toBe("ok");
    expect(codes[1]).toBe("NONCE_USED");
    expect(codes[2]).not.toBe("ok");
    expect(codes[3]).toBe("ok");
    // A post-only order that would cross (refused before the STF) through /v1/op: a 409.
    expect((await post(seq.url, "/v1/op", order(bob, B, "buy", 1_000_000n, TIF_POST_ONLY))).json.code).toBe("POST_ONLY_WOULD_CROSS");
    // Two 404s: an unknown route and an unknown account.
    expect((await get(seq.url, "/v1/nothing")).status).toBe(404);
    expect((await get(seq.url, "/v1/accounts/999")).json.code).toBe("ACCOUNT_UNKNOWN");

    const m = await scrape(`${seq.url}/metrics`);
    const grew = (name: string, labels: Record<string, string> = {}) => (metric(m, name, labels) ?? 0) - was(name, labels);
    expect(grew("crossmargin_ops_accepted_total")).toBe(5);
    expect(grew("crossmargin_ops_accepted_total", { type: "PlaceOrder" })).toBe(2);
    expect(grew("crossmargin_ops_accepted_total", { type: "Transfer" })).toBe(3);
    expect(grew("crossmargin_ops_refused_total")).toBe(3);
    expect(grew("crossmargin_ops_refused_total", { type: "Transfer", code: "NONCE_USED" })).toBe(1);
    expect(grew("crossmargin_ops_refused_total", { type: "Transfer", code: codes[2] })).toBe(1);
    expect(grew("crossmargin_ops_refused_total", { type: "PlaceOrder", code: "POST_ONLY_WOULD_CROSS" })).toBe(1);
    expect(grew("crossmargin_fills_total", { outcome: "ok" })).toBe(1);
    // Request timings by route pattern (never the raw path) and status.
    expect(grew("crossmargin_api_request_duration_seconds_count", { method: "POST", route: "/v1/op", status: "200" })).toBe(3);
    expect(grew("crossmargin_api_request_duration_seconds_count", { method: "POST", route: "/v1/op", status: "409" })).toBe(1);
    expect(grew("crossmargin_api_request_duration_seconds_count", { method: "POST", route: "/v1/ops", status: "200" })).toBe(1);
    expect(grew("crossmargin_api_request_duration_seconds_count", { method: "GET", route: "/v1/accounts/:index", status: "404" })).toBe(1);
    expect(grew("crossmargin_api_request_duration_seconds_count", { method: "GET", route: "unmatched", status: "404" })).toBe(1);
    expect(m.some((s) => s.name.startsWith("crossmargin_api_request") && /999|nothing/.test(s.labels.route ?? ""))).toBe(false);
    expect(grew("crossmargin_api_request_duration_seconds_sum", { route: "/v1/op" })).toBeGreaterThan(0);
    // Rejections by code: the 409 and the two 404s (a refusal inside a 200 /v1/ops answer is not one).
    expect(grew("crossmargin_api_errors_total", { code: "POST_ONLY_WOULD_CROSS" })).toBe(1);
    expect(grew("crossmargin_api_errors_total", { code: "NOT_FOUND" })).toBe(1);
    expect(grew("crossmargin_api_errors_total", { code: "ACCOUNT_UNKNOWN" })).toBe(1);
    expect(grew("crossmargin_api_errors_total", { code: "NONCE_USED" })).toBe(0);
    // The log's head; no L1 figures without L1.
    expect(metric(m, "crossmargin_log_seq")).toBe((await get(seq.url, "/v1/info")).json.seq);
    expect(m.some((s) => s.name.startsWith("crossmargin_poster_") || s.name.startsWith("crossmargin_derivation_"))).toBe(false);
  });

  it("follows sealed batches, unsealed ops and stream clients", async () => {
    const m0 = await scrape(`${seq.url}/metrics`);
    const sealed0 = metric(m0, "crossmargin_batches_sealed_total")!;
    expect(sealed0).toBe(((await get(seq.url, "/v1/batches?limit=1000")).json as unknown[]).length);
    // A transfer, then the interval (200 ms) seals it.
    expect((await post(seq.url, "/v1/op", bob.sign({ type: "Transfer", account: B, to: A, asset: 0, amount: 1n }))).status).toBe(200);
    const deadline = Date.now() + 5_000;
    let m = m0;
    while (metric(m, "crossmargin_batches_sealed_total")! === sealed0) {
      if (Date.now() > deadline) throw new Error("no batch sealed within 5 s");
      await new Promise((r) => setTimeout(r, 50));
      m = await scrape(`${seq.url}/metrics`);
    }
    expect(metric(m, "crossmargin_batches_sealed_total")).toBe(sealed0 + 1);
    expect(metric(m, "crossmargin_unsealed_ops")).toBe(0);

    // Subscribed clients (a socket counts once it has subscribed).
    expect(metric(m, "crossmargin_stream_clients")).toBe(0);
    const ws = new WebSocket(`${seq.url.replace("http", "ws")}/v1/stream`);
    await new Promise<void>((resolve, reject) => ws.once("open", () => resolve()).once("error", reject));
    const subscribed = new Promise<void>((resolve) => ws.once("message", () => resolve()));
    ws.send(JSON.stringify({ op: "subscribe", channels: [{ type: "receipts" }] }));
    await subscribed;
    const waitClients = async (n: number) => {
      const end = Date.now() + 5_000;
      for (;;) {
        const v = metric(await scrape(`${seq.url}/metrics`), "crossmargin_stream_clients");
        if (v === n) return;
        if (Date.now() > end) throw new Error(`stream_clients stayed ${v}, expected ${n}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await waitClients(1);
    } finally {
      ws.close();
    }
    await waitClients(0);
  });

  it("each service has its own registry: two sequencers in one process count apart", async () => {
    const other = await startTest();
    try {
      const before = metric(await scrape(`${seq.url}/metrics`), "crossmargin_ops_accepted_total") ?? 0;
      const carol = new Signer(keyOf("metrics-carol"));
      const C = (await post(other.url, "/v1/dev/deposit", { owner: carol.address, asset: 0, amount: String(1_000n * USD) })).json.account;
      const D = (await post(other.url, "/v1/dev/deposit", { owner: bob.address, asset: 0, amount: String(1_000n * USD) })).json.account;
      expect((await post(other.url, "/v1/op", carol.sign({ type: "Transfer", account: C, to: D, asset: 0, amount: 1n }))).json.ok).toBe(true);
      expect(metric(await scrape(`${other.url}/metrics`), "crossmargin_ops_accepted_total")).toBe(1);
      expect(metric(await scrape(`${seq.url}/metrics`), "crossmargin_ops_accepted_total")).toBe(before);
    } finally {
      await other.close();
    }
  });
});

/** A loopback HTTP server answering GET /status with whatever `answer` holds when asked. */
async function fakeVerifier(answer: { status: number; body: () => string }): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    res.writeHead(req.url === "/status" ? answer.status : 404, { "content-type": "application/json" });
    res.end(answer.body());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A status as prover/verifier.ts writes it, for this sequencer's Rollup and its sealed batch 0. */
function statusFor(s: RunningSequencer, over: Record<string, unknown> = {}) {
  const b = s.core.log.batch(0)!;
  const verdict = {
    batchIndex: 1,
    status: "verified",
    reasons: [],
    detail: null,
    headerRoot: bytesToHex(b.postRoot),
    derivedRoot: bytesToHex(b.postRoot),
    opCount: String(b.toSeq - b.fromSeq + 1),
    queuePosition: b.l1To.toString(),
    txHash: `0x${"ab".repeat(32)}`,
    blockNumber: "12",
  };
  return {
    state: "following",
    rollup: DOMAIN.verifyingContract,
    chainId: 31337,
    genesisRoot: `0x${"00".repeat(32)}`,
    l1Block: "20",
    l1Head: "20",
    syncedBlock: "20",
    lagBlocks: 0,
    l1LastBatch: 2,
    lastBatch: 2,
    verifiedThrough: 1,
    lastVerified: verdict,
    lagBatches: 0,
    verified: 1,
    disputed: 1,
    firstDispute: null,
    disputes: [{ ...verdict, batchIndex: 2, status: "dispute", reasons: ["root_mismatch"], detail: "root_mismatch: header newStateRoot 0x11…, replay gives 0x22…", headerRoot: `0x${"11".repeat(32)}` }],
    rollbacks: 0,
    replayedOps: 3,
    rounds: 4,
    lastRoundAt: Date.now() - 1_000,
    lastError: null,
    updatedAt: Date.now(),
    ...over,
  };
}

describe("GET /v1/verifier", () => {
  it("VERIFIER_NOT_CONFIGURED without --verifier-url (the SDK throws it typed)", async () => {
    const r = await get(seq.url, "/v1/verifier");
    expect(r.status).toBe(404);
    expect(r.json.code).toBe("VERIFIER_NOT_CONFIGURED");
    const sdk = createCrossmarginClient({ url: seq.url, account: privateKeyToAccount(alice.key) });
    const e = await sdk.verifier().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CrossmarginApiError);
    expect(e).toMatchObject({ code: "VERIFIER_NOT_CONFIGURED", status: 404 });
  });

  it("VERIFIER_UNREACHABLE when nothing answers", async () => {
    // A port nobody listens on: bind one, close it, use it.
    const gone = await fakeVerifier({ status: 200, body: () => "{}" });
    await new Promise<void>((r) => gone.server.close(() => r()));
    const s = await startTest({ verifierUrl: gone.url });
    try {
      const r = await get(s.url, "/v1/verifier");
      expect(r.status).toBe(503);
      expect(r.json.code).toBe("VERIFIER_UNREACHABLE");
      expect(r.json.message).toMatch(/ECONNREFUSED/);
    } finally {
      await s.close();
    }
  });

  it("validates what the verifier sends (VERIFIER_BAD_RESPONSE naming the field, another Rollup refused) and checks its root against the op log", async () => {
    const answer = { status: 200, body: () => "{}" };
    const fake = await fakeVerifier(answer);
    const s = await startTest({ verifierUrl: fake.url });
    try {
      // Sealed batch 0 (L1 batch 1), the batch the verifier's status says it verified.
      await post(s.url, "/v1/dev/deposit", { owner: alice.address, asset: 0, amount: "1000" });
      s.core.sealBatch();
      const cases: [number, () => string, number, string, RegExp][] = [
        [500, () => '{"error":"boom"}', 503, "VERIFIER_UNREACHABLE", /HTTP 500/],
        [200, () => "not json", 502, "VERIFIER_BAD_RESPONSE", /did not answer JSON/],
        [200, () => JSON.stringify(statusFor(s, { verifiedThrough: -1 })), 502, "VERIFIER_BAD_RESPONSE", /verifiedThrough/],
        [200, () => JSON.stringify(statusFor(s, { disputes: [{ batchIndex: 2 }] })), 502, "VERIFIER_BAD_RESPONSE", /disputes\.0\./],
        [200, () => JSON.stringify(statusFor(s, { rollup: `0x${"12".repeat(20)}` })), 502, "VERIFIER_BAD_RESPONSE", /follows the Rollup 0x1212/],
      ];
      for (const [status, body, want, code, message] of cases) {
        Object.assign(answer, { status, body });
        const r = await get(s.url, "/v1/verifier");
        expect([r.status, r.json.code], body().slice(0, 80)).toEqual([want, code]);
        expect(r.json.message).toMatch(message);
      }

      // A well-formed status: the summary, the verifier's root equal to this op log's.
      Object.assign(answer, { status: 200, body: () => JSON.stringify(statusFor(s)) });
      const root = bytesToHex(s.core.log.batch(0)!.postRoot);
      let r = await get(s.url, "/v1/verifier");
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({
        url: fake.url,
        state: "following",
        lastVerified: { batch: 1, root, sequencerRoot: root, agrees: true, l1Block: "12" },
        verifiedThrough: 1,
        lastBatch: 2,
        verified: 1,
        disputed: 1,
        disputes: [{ batch: 2, reasons: ["root_mismatch"], headerRoot: `0x${"11".repeat(32)}`, derivedRoot: root }],
        lag: { l1Batches: 0, l1Blocks: 0, sealedBatches: 0 },
        lastError: null,
      });
      expect(r.json.lag.sinceRoundMs).toBeGreaterThanOrEqual(1_000);
      // A verifier whose replay gives another root for a batch this sequencer sealed: agrees false.
      const other = `0x${"33".repeat(32)}`;
      Object.assign(answer, { body: () => JSON.stringify(statusFor(s, { lastVerified: { ...statusFor(s).lastVerified, derivedRoot: other } })) });
      r = await get(s.url, "/v1/verifier");
      expect(r.json.lastVerified).toMatchObject({ root: other, sequencerRoot: root, agrees: false });
      // The SDK parses the answer and names a field out of shape.
      const report = await createCrossmarginClient({ url: s.url, account: privateKeyToAccount(alice.key) }).verifier();
      expect(report.lastVerified).toMatchObject({ batch: 1, root: other, agrees: false, l1Block: 12n });
      expect(report.disputes[0]).toMatchObject({ batch: 2, reasons: ["root_mismatch"], l1Block: 12n });
      expect(() => parseVerifierReport({ ...r.json, lag: { ...r.json.lag, l1Batches: "1" } })).toThrow(ShapeError);
      expect(() => parseVerifierReport({ ...r.json, lag: { ...r.json.lag, l1Batches: "1" } })).toThrow(/lag\.l1Batches/);
      expect(() => parseVerifierReport({ ...r.json, lastVerified: undefined })).toThrow(/lastVerified/);
      // The route's requests and error codes are in the metrics too.
      const m = await scrape(`${s.url}/metrics`);
      expect(metric(m, "crossmargin_api_errors_total", { code: "VERIFIER_BAD_RESPONSE" })).toBe(4);
      expect(metric(m, "crossmargin_api_request_duration_seconds_count", { route: "/v1/verifier", status: "200" })).toBe(3); // two direct, one through the SDK
    } finally {
      await s.close();
      fake.server.close();
    }
  });

  it("--verifier-url is validated like the other URLs: loopback http(s), no path", () => {
    const bad = (url: string) => {
      try {
        validateConfig({ db: "x.db", verifierUrl: url }, apiGenesis());
      } catch (e) {
        return (e as ConfigError).problems.join("\n");
      }
      return "accepted";
    };
    expect(bad("http://10.0.0.1:9000")).toMatch(/^--verifier-url: an http URL on a loopback host/);
    expect(bad("ftp://127.0.0.1:9000")).toMatch(/^--verifier-url: /);
    expect(bad("http://127.0.0.1:9000/status")).toMatch(/^--verifier-url: the verifier's base URL without a path/);
    expect(bad("http://127.0.0.1:9000")).toBe("accepted");
    expect(bad("http://[::1]:9000/")).toBe("accepted");
  });
});
