/**
 * Error mapping against a real HTTP server on loopback: rejection bodies become
 * CrossmarginApiError with code, status and field; anything else a server or the network
 * can do becomes the matching other error, never a silent success.
 */
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrossmarginApiError, CrossmarginNetworkError, CrossmarginResponseError, cancelAllOp, createCrossmarginClient, placeOrderOp } from "../index.js";
import { INFO, accountOf, json, serve } from "./fixtures.js";

const alice = accountOf("alice");
const receipt = (seq: number) => ({ seq, timestamp: "1764388800125", ok: true, events: [], fills: [], detached: [] });

let srv: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  srv = await serve((req, res) => {
    if (req.path === "/v1/info") return json(res, 200, INFO);
    if (req.path.startsWith("/v1/accounts/by-owner/")) return json(res, 404, { code: "ACCOUNT_UNKNOWN", message: `no account is owned by ${req.path.split("/").pop()}` });
    if (req.path === "/v1/op") {
      const op = JSON.parse(req.body);
      if (op.type === "PlaceOrder") return json(res, 409, { code: "NONCE_USED", message: "this nonce was already used by the account", field: "nonce" });
      return json(res, 200, receipt(5));
    }
    if (req.path === "/v1/ops") {
      const { ops } = JSON.parse(req.body);
      return json(res, 200, { results: ops.map((o: { type: string }, i: number) => (o.type === "CancelAll" ? receipt(10 + i) : { error: { code: "INVALID_FIELD", message: "price: must be between 0 and 18446744073709551615", field: `ops[${i}].price` } })) });
    }
    if (req.path === "/v1/markets") return json(res, 502, "<html>bad gateway</html>");
    if (req.path === "/v1/batches?from=0&limit=100") return json(res, 500, { code: "SOMETHING_NEW", message: "a code from a newer server" });
    if (req.path === "/v1/batches/1") return json(res, 200, { index: 1, fromSeq: 1, toSeq: 9 }); // fields missing
    if (req.path === "/v1/markets/0/book") return; // never answers: the timeout must fire
    json(res, 404, { code: "NOT_FOUND", message: "no such resource" });
  });
});
afterAll(async () => {
  await srv?.close();
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection, got a result");
}

describe("errors", () => {
  it("a rejection body becomes CrossmarginApiError with code, HTTP status and field", async () => {
    const c = createCrossmarginClient({ url: srv.url, account: alice, accountIndex: 2 });
    const e = await rejection(c.placeOrder({ market: 0, side: "buy", price: 1n, size: 1n }));
    expect(e).toBeInstanceOf(CrossmarginApiError);
    expect(e).toMatchObject({ code: "NONCE_USED", status: 409, field: "nonce", message: "this nonce was already used by the account", name: "CrossmarginApiError" });
    // A 200 is a receipt.
    expect((await c.cancelAll()).seq).toBe(5n);
  });

  it("an unknown owner surfaces as ACCOUNT_UNKNOWN (404), and is looked up again next time", async () => {
    const c = createCrossmarginClient({ url: srv.url, account: alice });
    const n0 = srv.requests.length;
    for (let i = 0; i < 2; i++) {
      const e = await rejection(c.cancelAll());
      expect(e).toBeInstanceOf(CrossmarginApiError);
      expect(e).toMatchObject({ code: "ACCOUNT_UNKNOWN", status: 404 });
    }
    expect(srv.requests.slice(n0).filter((r) => r.path.startsWith("/v1/accounts/by-owner/"))).toHaveLength(2);
  });

  it("submit returns each operation's receipt or rejection, in request order, without throwing", async () => {
    const c = createCrossmarginClient({ url: srv.url, account: alice, accountIndex: 2 });
    const out = await c.submit([cancelAllOp(), placeOrderOp({ market: 0, side: "sell", price: 1n, size: 1n }), cancelAllOp(0)]);
    expect(out).toHaveLength(3);
    expect(out[0]).not.toBeInstanceOf(Error);
    expect((out[0] as { seq: bigint }).seq).toBe(10n);
    expect(out[1]).toBeInstanceOf(CrossmarginApiError);
    // The table's status for a per-operation rejection (the request itself was a 200).
    expect(out[1]).toMatchObject({ code: "INVALID_FIELD", status: 400, field: "ops[1].price" });
    expect((out[2] as { seq: bigint }).seq).toBe(12n);
    // The three were signed with ascending nonces, in array order.
    const sent = JSON.parse(srv.requests.at(-1)!.body).ops.map((o: { nonce: string }) => BigInt(o.nonce));
    expect(sent[0] < sent[1] && sent[1] < sent[2]).toBe(true);
  });

  it("a non-2xx without a rejection body, an unknown code, or a 2xx missing fields is a CrossmarginResponseError", async () => {
    const c = createCrossmarginClient({ url: srv.url, account: alice, accountIndex: 2 });
    const html = await rejection(c.markets());
    expect(html).toBeInstanceOf(CrossmarginResponseError);
    expect(html).toMatchObject({ status: 502 });
    expect((html as Error).message).toMatch(/HTTP 502/);
    const unknown = await rejection(c.batches());
    expect(unknown).toBeInstanceOf(CrossmarginResponseError);
    expect((unknown as CrossmarginResponseError).body).toContain("SOMETHING_NEW");
    const partial = await rejection(c.batch(1));
    expect(partial).toBeInstanceOf(CrossmarginResponseError);
    expect((partial as Error).message).toMatch(/preRoot: expected 0x-hex, got nothing/);
  });

  it("a refused connection is a CrossmarginNetworkError naming the URL and the cause", async () => {
    // A port that was just free: bind, note, close.
    const tmp = createServer();
    await new Promise<void>((r) => tmp.listen(0, "127.0.0.1", r));
    const port = (tmp.address() as AddressInfo).port;
    await new Promise<void>((r) => tmp.close(() => r()));
    const c = createCrossmarginClient({ url: `http://127.0.0.1:${port}`, account: alice, accountIndex: 2 });
    const e = await rejection(c.info());
    expect(e).toBeInstanceOf(CrossmarginNetworkError);
    expect((e as Error).message).toMatch(new RegExp(`GET http://127.0.0.1:${port}/v1/info failed: .*ECONNREFUSED`));
    expect((e as CrossmarginNetworkError).url).toBe(`http://127.0.0.1:${port}/v1/info`);
    expect((e as Error).cause).toBeDefined();
  });

  it("a server that never answers times out as a CrossmarginNetworkError", async () => {
    const c = createCrossmarginClient({ url: srv.url, account: alice, accountIndex: 2, timeoutMs: 200 });
    const t = Date.now();
    const e = await rejection(c.book(0));
    expect(e).toBeInstanceOf(CrossmarginNetworkError);
    expect((e as Error).message).toMatch(/no answer within 200 ms/);
    expect(Date.now() - t).toBeLessThan(5_000);
  });

  it("refuses to arm a dead-man's switch whose cancel-all would be outside the nonce window when it fires", async () => {
    const c = createCrossmarginClient({ url: srv.url, account: alice, accountIndex: 2 });
    const n0 = srv.requests.length;
    // INFO.nonceWindowMs is 60 s.
    await expect(c.keepAlive(120_000)).rejects.toThrow(/beyond the nonce window/);
    expect(srv.requests.slice(n0).some((r) => r.path === "/v1/deadman")).toBe(false);
  });
});
