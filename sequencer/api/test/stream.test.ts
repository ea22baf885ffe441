/** The WebSocket stream (order, resume, too-old resume), the dead-man's switch and modify, through the real server. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { FLAG_SELL, TIF_IOC, TIF_SHIFT } from "../../state/constants.js";
import type { RunningSequencer } from "../../service.js";
import { Signer, get, keyOf, post, startTest, tmpDb } from "./helpers.js";

const USD = 1_000_000n;
let seq: RunningSequencer;
const mm = new Signer(keyOf("ws/mm"));
const taker = new Signer(keyOf("ws/taker"));
let M = -1;
let T = -1;

const order = (s: Signer, account: number, side: "buy" | "sell", price: bigint, size: bigint, flags = 0, clientOrderId = 0n) =>
  s.sign({ type: "PlaceOrder", account, market: 0, flags: (side === "sell" ? FLAG_SELL : 0) | flags, price: price * USD, size, expiry: 0n, clientOrderId } as never);

/** Opens a stream, subscribes, and collects messages. */
async function open(url: string, sub: object) {
  const ws = new WebSocket(`${url.replace("http", "ws")}/v1/stream`);
  const msgs: any[] = [];
  ws.on("message", (d) => msgs.push(JSON.parse(String(d))));
  await new Promise((r, j) => {
    ws.once("open", r);
    ws.once("error", j);
  });
  ws.send(JSON.stringify({ op: "subscribe", ...sub }));
  await until(() => msgs.some((m) => m.subscribed || m.error));
  return { ws, msgs };
}

async function until(f: () => boolean, ms = 5000) {
  const t = Date.now();
  while (!f()) {
    if (Date.now() - t > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  seq = await startTest({ streamBuffer: 1000 });
  M = (await post(seq.url, "/v1/dev/deposit", { owner: mm.address, asset: 0, amount: String(10_000_000n * USD) })).json.account;
  T = (await post(seq.url, "/v1/dev/deposit", { owner: taker.address, asset: 0, amount: String(10_000_000n * USD) })).json.account;
});
afterAll(async () => {
  await seq?.close();
});

describe("stream", () => {
  it("publishes receipts, fills, account updates and book changes in log order, and resumes", async () => {
    const a = await open(seq.url, { channels: [{ type: "receipts" }, { type: "fills", market: 0 }, { type: "account", account: T }, { type: "book", market: 0 }] });
    expect(a.msgs[0].subscribed).toBeDefined();
    await post(seq.url, "/v1/op", order(mm, M, "sell", 60_000n, 10_000_000n));
    const take = await post(seq.url, "/v1/op", order(taker, T, "buy", 60_000n, 4_000_000n, TIF_IOC << TIF_SHIFT));
    const fillSeq = take.json.fills[0].seq;
    await until(() => a.msgs.some((m) => m.channel?.type === "fills"));
    const receipts = a.msgs.filter((m) => m.channel?.type === "receipts").map((m) => Number(m.seq));
    expect(receipts).toEqual([...receipts].sort((x, y) => x - y));
    expect(receipts).toContain(Number(fillSeq));
    const fill = a.msgs.find((m) => m.channel?.type === "fills");
    expect(fill.data).toMatchObject({ kind: "Fill", maker: M, taker: T, size: "4000000" });
    expect(a.msgs.some((m) => m.channel?.type === "account" && m.data.op.type === "PlaceOrder" && m.data.op.account === T)).toBe(true);
    await until(() => a.msgs.some((m) => m.channel?.type === "book" && m.data.asks[0]?.size === "6000000"));

    // Disconnect, miss some ops, resume from the last seq seen: nothing lost, nothing twice.
    const last = Math.max(...receipts);
    a.ws.close();
    const missed: number[] = [];
    for (let i = 0; i < 5; i++) missed.push(Number((await post(seq.url, "/v1/op", order(mm, M, "sell", 61_000n + BigInt(i), 1_000_000n))).json.seq));
    const b = await open(seq.url, { channels: [{ type: "receipts" }], fromSeq: String(last + 1) });
    await until(() => b.msgs.filter((m) => m.channel?.type === "receipts").length >= 5);
    const resumed = b.msgs.filter((m) => m.channel?.type === "receipts").map((m) => Number(m.seq));
    expect(resumed[0]).toBe(last + 1);
    for (const s of missed) expect(resumed).toContain(s);
    expect(new Set(resumed).size).toBe(resumed.length);
    b.ws.close();
  });

  it("refuses a resume older than the ring with RESUME_TOO_OLD, and a bad subscription with its field", async () => {
    const cancel = () => mm.sign({ type: "CancelAll", account: M, market: 0xffff } as never);
    for (let i = 0; i < 6; i++) await post(seq.url, "/v1/ops", { ops: Array.from({ length: 250 }, cancel) });
    const old = await open(seq.url, { channels: [{ type: "receipts" }], fromSeq: "1" });
    expect(old.msgs[0].error.code).toBe("RESUME_TOO_OLD");
    old.ws.close();
    const bad = await open(seq.url, { channels: [{ type: "book" }] });
    expect(bad.msgs[0].error).toMatchObject({ code: "INVALID_FIELD" });
    bad.ws.close();
  });
});

describe("dead-man's switch and modify", () => {
  it("cancel-replace moves an order and loses its time priority", async () => {
    const placed = await post(seq.url, "/v1/op", order(mm, M, "buy", 50_000n, 1_000_000n, 0, 501n));
    const slot = placed.json.events.find((e: any) => e.kind === "OrderPlaced").slot;
    const r = await post(seq.url, "/v1/orders/modify", {
      cancel: mm.sign({ type: "CancelOrder", account: M, slot, clientOrderId: 0n } as never),
      place: order(mm, M, "buy", 50_500n, 1_000_000n, 0, 502n),
    });
    expect(r.status).toBe(200);
    expect(r.json.cancel.ok && r.json.place.ok).toBe(true);
    const acct = (await get(seq.url, `/v1/accounts/${M}`)).json;
    expect(acct.orders.map((o: any) => o.clientOrderId)).toContain("502");
    expect(acct.orders.map((o: any) => o.clientOrderId)).not.toContain("501");
  });

  it("fires a held cancel-all when not pushed back, also across a restart", async () => {
    const db = tmpDb();
    let s = await startTest({ db });
    const k = new Signer(keyOf("ws/deadman"));
    const a = (await post(s.url, "/v1/dev/deposit", { owner: k.address, asset: 0, amount: String(1_000_000n * USD) })).json.account;
    await post(s.url, "/v1/op", order(k, a, "buy", 40_000n, 1_000_000n));
    // Someone else's signature cannot arm it.
    const foreign = await post(s.url, "/v1/deadman", { cancelAll: mm.sign({ type: "CancelAll", account: a, market: 0xffff } as never), at: String(Date.now() + 100) });
    expect(foreign.json.code).toBe("UNAUTHORIZED");
    const armed = await post(s.url, "/v1/deadman", { cancelAll: k.sign({ type: "CancelAll", account: a, market: 0xffff } as never), at: String(Date.now() + 60_000) });
    expect(armed.status).toBe(200);
    // Pushed back (here: forward) to fire soon; restart before it fires.
    await post(s.url, "/v1/deadman", { cancelAll: k.sign({ type: "CancelAll", account: a, market: 0xffff } as never), at: String(Date.now() + 700) });
    await s.close();
    s = await startTest({ db });
    try {
      expect((await get(s.url, `/v1/accounts/${a}`)).json.orders).toHaveLength(1);
      const t = Date.now();
      let orders = 1;
      while (orders > 0 && Date.now() - t < 5000) {
        await new Promise((r) => setTimeout(r, 50));
        orders = (await get(s.url, `/v1/accounts/${a}`)).json.orders.length;
      }
      expect(orders).toBe(0);
      expect((await get(s.url, `/v1/accounts/${a}`)).json.deadman).toBeNull();
    } finally {
      await s.close();
    }
  });
});
