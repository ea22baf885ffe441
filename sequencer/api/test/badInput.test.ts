/**
 * Bad input through HTTP: each is a 4xx with its documented code (and field where one is at
 * fault), and the state root and log head are unchanged afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSequencer } from "../../service.js";
import { ERRORS } from "../errors.js";
import { DOMAIN, Signer, get, keyOf, post, startTest } from "./helpers.js";

const USD = 1_000_000n;
let seq: RunningSequencer;
const alice = new Signer(keyOf("bad/alice"));
const session = new Signer(keyOf("bad/session"));
let A = -1;

const place = (over: Record<string, unknown> = {}, signer = alice, domain = DOMAIN) =>
  signer.sign({ type: "PlaceOrder", account: A, market: 0, flags: 0, price: 50_000n * USD, size: 1_000_000n, expiry: 0n, clientOrderId: 0n, ...over } as never, domain);

async function head() {
  const info = (await get(seq.url, "/v1/info")).json;
  return { root: info.root as string, seq: info.seq as number };
}

/** Sends `body`, expects `status` and `code` (and `field`), and checks nothing changed. */
async function refused(path: string, body: unknown, status: number, code: string, field?: string) {
  const before = await head();
  const r = await post(seq.url, path, body);
  expect(r.status, JSON.stringify(r.json)).toBe(status);
  expect(r.json.code).toBe(code);
  expect(ERRORS[code as keyof typeof ERRORS].status).toBe(status);
  expect(typeof r.json.message).toBe("string");
  if (field !== undefined) expect(r.json.field).toBe(field);
  expect(await head()).toEqual(before);
  return r.json;
}

beforeAll(async () => {
  seq = await startTest({ maxBodyBytes: 4096 });
  A = (await post(seq.url, "/v1/dev/deposit", { owner: alice.address, asset: 0, amount: String(100_000n * USD) })).json.account;
});
afterAll(async () => {
  await seq?.close();
});

describe("bad input through HTTP", () => {
  it("malformed JSON", async () => {
    await refused("/v1/op", '{"type": "PlaceOrder", ', 400, "MALFORMED_JSON");
  });

  it("oversized body", async () => {
    await refused("/v1/ops", JSON.stringify({ ops: [], pad: "x".repeat(10_000) }), 413, "BODY_TOO_LARGE");
  });

  it("wrong types name the field", async () => {
    await refused("/v1/op", { ...place(), price: "sixty thousand" }, 400, "INVALID_FIELD", "price");
    await refused("/v1/op", { ...place(), market: "0" }, 400, "INVALID_FIELD", "market");
    await refused("/v1/op", { ...place(), size: "-5" }, 400, "INVALID_FIELD", "size");
    await refused("/v1/op", { ...place(), extra: 1 }, 400, "INVALID_FIELD");
    await refused("/v1/ops", { ops: [place(), { ...place(), nonce: 1.5 }] }, 400, "INVALID_FIELD", "ops[1].nonce");
    await refused("/v1/op", { ...place(), type: "Teleport" }, 400, "INVALID_FIELD", "type");
    await refused("/v1/op", [1, 2], 400, "INVALID_FIELD");
  });

  it("operations only the sequencer or L1 create", async () => {
    await refused("/v1/op", { type: "Fill", makerAccount: 0, makerSlot: 0, takerAccount: 1, takerSlot: 0, price: "1", size: "1" }, 400, "UNSUPPORTED_OPERATION", "type");
    await refused("/v1/op", { type: "Deposit", queueIndex: "9", account: 0, owner: alice.address, asset: 0, amount: "1" }, 400, "UNSUPPORTED_OPERATION", "type");
  });

  it("a signature that recovers to nobody", async () => {
    const op = place();
    // r = s = 0 is not a valid signature.
    await refused("/v1/op", { ...op, signature: `0x${"00".repeat(64)}1b` }, 401, "BAD_SIGNATURE");
  });

  it("a signature for another chain or another Rollup contract", async () => {
    await refused("/v1/op", place({}, alice, { ...DOMAIN, chainId: 1n }), 401, "UNAUTHORIZED");
    await refused("/v1/op", place({}, alice, { ...DOMAIN, verifyingContract: "0x00000000000000000000000000000000c0ffee02" }), 401, "UNAUTHORIZED");
  });

  it("a tampered operation", async () => {
    await refused("/v1/op", { ...place(), price: String(40_000n * USD) }, 401, "UNAUTHORIZED");
  });

  it("a replayed nonce", async () => {
    const op = place();
    expect((await post(seq.url, "/v1/op", op)).status).toBe(200);
    await refused("/v1/op", op, 409, "NONCE_USED");
  });

  it("an unknown market and an unknown account", async () => {
    await refused("/v1/op", place({ market: 9 }), 404, "MARKET_UNKNOWN");
    await refused("/v1/op", { ...place(), account: 4242 }, 404, "ACCOUNT_UNKNOWN");
    const r = await get(seq.url, "/v1/markets/9/book");
    expect(r.status).toBe(404);
    expect(r.json.code).toBe("MARKET_UNKNOWN");
    expect((await get(seq.url, "/v1/accounts/4242")).json.code).toBe("ACCOUNT_UNKNOWN");
    expect((await get(seq.url, "/v1/accounts/x")).json).toMatchObject({ code: "INVALID_FIELD", field: "index" });
  });

  it("a revoked session key", async () => {
    const expiry = BigInt(Date.now() + 3_600_000);
    expect((await post(seq.url, "/v1/op", alice.sign({ type: "GrantSessionKey", account: A, key: session.address, expiry } as never))).json.ok).toBe(true);
    expect((await post(seq.url, "/v1/op", place({}, session))).status).toBe(200);
    expect((await post(seq.url, "/v1/op", alice.sign({ type: "RevokeSessionKey", account: A, key: session.address } as never))).json.ok).toBe(true);
    await refused("/v1/op", place({}, session), 401, "UNAUTHORIZED");
  });

  it("per-key rate limits", async () => {
    // A fresh server with a tight limit: 5 ops burst, 1/s.
    const s = await startTest({ rateLimit: 1, rateBurst: 5 });
    try {
      const k = new Signer(keyOf("bad/limited"));
      const a = (await post(s.url, "/v1/dev/deposit", { owner: k.address, asset: 0, amount: String(100_000n * USD) })).json.account;
      const ops = Array.from({ length: 8 }, () => k.sign({ type: "CancelAll", account: a, market: 0xffff } as never));
      const r = await post(s.url, "/v1/ops", { ops });
      expect(r.status).toBe(200);
      const codes = r.json.results.map((x: any) => x.error?.code ?? "ok");
      expect(codes).toEqual(["ok", "ok", "ok", "ok", "ok", "RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED"]);
      const one = await post(s.url, "/v1/op", k.sign({ type: "CancelAll", account: a, market: 0xffff } as never));
      expect(one.status).toBe(429);
      expect(one.json.code).toBe("RATE_LIMITED");
    } finally {
      await s.close();
    }
  });

  it("dev deposits are refused unless enabled", async () => {
    const s = await startTest({ devDeposits: false });
    try {
      const r = await post(s.url, "/v1/dev/deposit", { owner: alice.address, asset: 0, amount: "1" });
      expect(r.status).toBe(403);
      expect(r.json.code).toBe("DEV_ONLY");
    } finally {
      await s.close();
    }
  });

  it("unknown routes", async () => {
    const r = await get(seq.url, "/v1/nothing");
    expect(r.status).toBe(404);
    expect(r.json.code).toBe("NOT_FOUND");
  });
});
