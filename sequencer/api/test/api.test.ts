/**
 * Through the real HTTP server: two accounts trade; positions, margins and the book reflect
 * it; post-only crossing, reduce-only growing, expired and self-trading orders behave as
 * docs/matching.md says.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLAG_REDUCE_ONLY, FLAG_SELL, TIF_IOC, TIF_POST_ONLY, TIF_SHIFT } from "../../state/constants.js";
import type { RunningSequencer } from "../../service.js";
import { Signer, get, keyOf, post, startTest } from "./helpers.js";

const USD = 1_000_000n;
const BTC = 0;
const POST_ONLY = TIF_POST_ONLY << TIF_SHIFT;
const IOC = TIF_IOC << TIF_SHIFT;

let seq: RunningSequencer;
const alice = new Signer(keyOf("alice"));
const bob = new Signer(keyOf("bob"));
let A = -1;
let B = -1;

const order = (s: Signer, account: number, o: { side: "buy" | "sell"; price: bigint; size: bigint; flags?: number; expiry?: bigint; clientOrderId?: bigint }) =>
  s.sign({
    type: "PlaceOrder",
    account,
    market: BTC,
    flags: (o.side === "sell" ? FLAG_SELL : 0) | (o.flags ?? 0),
    price: o.price,
    size: o.size,
    expiry: o.expiry ?? 0n,
    clientOrderId: o.clientOrderId ?? 0n,
  });

beforeAll(async () => {
  seq = await startTest();
  A = (await post(seq.url, "/v1/dev/deposit", { owner: alice.address, asset: 0, amount: String(1_000_000n * USD) })).json.account;
  B = (await post(seq.url, "/v1/dev/deposit", { owner: bob.address, asset: 0, amount: String(1_000_000n * USD) })).json.account;
});
afterAll(async () => {
  await seq?.close();
});

describe("trading through HTTP", () => {
  it("two accounts trade: receipts, positions, margin and book agree", async () => {
    expect([A, B]).toEqual([0, 1]);
    const ask = await post(seq.url, "/v1/op", order(alice, A, { side: "sell", price: 60_000n * USD, size: 100_000_000n, flags: POST_ONLY }));
    expect(ask.status).toBe(200);
    expect(ask.json.ok).toBe(true);
    const book = await get(seq.url, `/v1/markets/${BTC}/book`);
    expect(book.json.asks).toEqual([{ price: String(60_000n * USD), size: "100000000", orders: 1 }]);

    const take = await post(seq.url, "/v1/op", order(bob, B, { side: "buy", price: 60_000n * USD, size: 40_000_000n, flags: IOC }));
    expect(take.status).toBe(200);
    expect(take.json.fills).toHaveLength(1);
    expect(take.json.fills[0].ok).toBe(true);
    const fill = take.json.fills[0].events.find((e: any) => e.kind === "Fill");
    expect(fill).toMatchObject({ maker: A, taker: B, size: "40000000", price: String(60_000n * USD) });

    const a = (await get(seq.url, `/v1/accounts/${A}`)).json;
    const b = (await get(seq.url, `/v1/accounts/${B}`)).json;
    expect(a.positions).toMatchObject([{ market: BTC, size: "-40000000" }]);
    expect(b.positions).toMatchObject([{ market: BTC, size: "40000000" }]);
    expect(a.orders).toMatchObject([{ market: BTC, side: "sell", remaining: "60000000" }]);
    expect(BigInt(b.positions[0].isolatedMargin)).toBeGreaterThan(0n); // isolated is the default
    expect(b.margin.liquidatable).toBe(false);
    const after = await get(seq.url, `/v1/markets/${BTC}/book`);
    expect(after.json.asks).toEqual([{ price: String(60_000n * USD), size: "60000000", orders: 1 }]);
  });

  it("a post-only order that would cross is refused and not placed", async () => {
    const before = (await get(seq.url, "/v1/info")).json.seq;
    const r = await post(seq.url, "/v1/op", order(bob, B, { side: "buy", price: 60_000n * USD, size: 10_000_000n, flags: POST_ONLY }));
    expect(r.status).toBe(409);
    expect(r.json.code).toBe("POST_ONLY_WOULD_CROSS");
    expect((await get(seq.url, "/v1/info")).json.seq).toBe(before);
  });

  it("a reduce-only order that would grow the position is refused", async () => {
    // Bob is long: a reduce-only buy would grow it.
    const r = await post(seq.url, "/v1/op", order(bob, B, { side: "buy", price: 59_000n * USD, size: 10_000_000n, flags: FLAG_REDUCE_ONLY }));
    expect(r.status).toBe(422);
    expect(r.json.code).toBe("REDUCE_ONLY_INCREASES");
    // A reduce-only sell is fine, and caps at the position when it trades.
    const ok = await post(seq.url, "/v1/op", order(bob, B, { side: "sell", price: 61_000n * USD, size: 10_000_000n, flags: FLAG_REDUCE_ONLY }));
    expect(ok.json.ok).toBe(true);
  });

  it("an expired order is refused, and one that expires while resting is never matched", async () => {
    const past = await post(seq.url, "/v1/op", order(alice, A, { side: "buy", price: 50_000n * USD, size: 1_000_000n, expiry: BigInt(Date.now() - 1000) }));
    expect(past.status).toBe(422);
    expect(past.json.code).toBe("ORDER_EXPIRED");
    const soon = BigInt(Date.now() + 150);
    const resting = await post(seq.url, "/v1/op", order(alice, A, { side: "buy", price: 55_000n * USD, size: 1_000_000n, expiry: soon }));
    expect(resting.json.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    const sell = await post(seq.url, "/v1/op", order(bob, B, { side: "sell", price: 55_000n * USD, size: 1_000_000n, flags: IOC }));
    expect(sell.json.ok).toBe(true);
    expect(sell.json.fills).toEqual([]);
    const book = (await get(seq.url, `/v1/markets/${BTC}/book`)).json;
    expect(book.bids.find((l: any) => l.price === String(55_000n * USD))).toBeUndefined();
  });

  it("self-trade prevention takes the resting own order out instead of filling it", async () => {
    const bid = await post(seq.url, "/v1/op", order(alice, A, { side: "buy", price: 58_000n * USD, size: 1_000_000n, clientOrderId: 77n }));
    expect(bid.json.ok).toBe(true);
    const sell = await post(seq.url, "/v1/op", order(alice, A, { side: "sell", price: 58_000n * USD, size: 1_000_000n, flags: IOC }));
    expect(sell.json.ok).toBe(true);
    expect(sell.json.fills).toEqual([]);
    expect(sell.json.detached).toHaveLength(1);
    const book = (await get(seq.url, `/v1/markets/${BTC}/book`)).json;
    expect(book.bids.find((l: any) => l.price === String(58_000n * USD))).toBeUndefined();
  });

  it("batches are sealed with roots and listed", async () => {
    await new Promise((r) => setTimeout(r, 400));
    const batches = (await get(seq.url, "/v1/batches")).json;
    expect(batches.length).toBeGreaterThan(0);
    expect(batches[0].fromSeq).toBe(1);
    for (let i = 1; i < batches.length; i++) {
      expect(batches[i].preRoot).toBe(batches[i - 1].postRoot);
      expect(batches[i].fromSeq).toBe(batches[i - 1].toSeq + 1);
    }
    const op = (await get(seq.url, "/v1/ops/3")).json;
    expect(op.op.type).toBe("PlaceOrder");
    const holding = batches.find((b: any) => b.fromSeq <= 3 && b.toSeq >= 3);
    expect(op.batch).toBe(holding.index);
  });
});
