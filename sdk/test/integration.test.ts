/**
 * The SDK against the real sequencer (sequencer/service.ts: SQLite op log, worker-pool
 * recovery, HTTP and WebSocket on loopback): two accounts funded by dev deposits trade,
 * and every SDK method is used through the real server; typed errors carry the server's
 * codes; the stream resumes across a dropped connection without losing or repeating an op.
 */
import { type Server, type Socket, createServer, connect } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiGenesis, startTest } from "../../sequencer/api/test/helpers.js";
import type { RunningSequencer } from "../../sequencer/service.js";
import { CrossmarginApiError, type CrossmarginClient, type StreamMessage, createCrossmarginClient, placeOrderOp } from "../index.js";
import { DOMAIN, accountOf } from "./fixtures.js";

const USD = 1_000_000n;
const BTC = 0;
const ETH = 1;
const aliceKey = accountOf("it/alice");
const bobKey = accountOf("it/bob");
const sessionKey = accountOf("it/session");
const oracleKey = accountOf("it/oracle");

let seq: RunningSequencer;
let alice: CrossmarginClient;
let bob: CrossmarginClient;
let A = -1;
let B = -1;
/** URLs every client fetched, to check what is cached. */
const fetched: string[] = [];
const countingFetch: typeof fetch = (input, init) => {
  fetched.push(String(input));
  return fetch(input, init);
};

async function until(f: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const t = Date.now();
  while (!(await f())) {
    if (Date.now() - t > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}
async function rejection(p: Promise<unknown>): Promise<CrossmarginApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CrossmarginApiError) return e;
    throw e;
  }
  throw new Error("expected a rejection, got a result");
}

beforeAll(async () => {
  // Oracle prices that stay fresh (the clock is wall time); our oracle key signs updates.
  seq = await startTest({ streamBuffer: 1000, genesis: { ...apiGenesis(), oracleSigners: [oracleKey.address.toLowerCase() as `0x${string}`] } });
  alice = createCrossmarginClient({ url: seq.url, account: aliceKey, fetch: countingFetch });
  bob = createCrossmarginClient({ url: seq.url, account: bobKey, fetch: countingFetch });
  A = (await alice.devDeposit({ asset: 0, amount: 1_000_000n * USD })).account;
  B = (await bob.devDeposit({ asset: 0, amount: 1_000_000n * USD })).account;
});
afterAll(async () => {
  await seq?.close();
});

describe("SDK through the real sequencer", () => {
  it("resolves each account by owner and reads info once for signing", async () => {
    expect(await alice.accountIndex()).toBe(A);
    expect(await bob.accountIndex()).toBe(B);
    expect(A).not.toBe(B);
    const info = await alice.info();
    expect(info.chainId).toBe(DOMAIN.chainId);
    expect(info.verifyingContract).toBe(DOMAIN.verifyingContract);
    expect(info.nonceWindowMs).toBe(60_000n);
    expect(info.seq).toBeGreaterThanOrEqual(2n);
    expect(info.markets.map((m) => m.id)).toEqual([BTC, ETH]);
    const a = await alice.account();
    expect(a.index).toBe(A);
    expect(a.owner).toBe(aliceKey.address.toLowerCase());
    expect(a.balances[0]).toBe(1_000_000n * USD);
  });

  it("two accounts trade; receipts, accounts, book and stream agree, in bigints", async () => {
    const streamed: StreamMessage[] = [];
    const errors: Error[] = [];
    const sub = bob.subscribe([{ type: "fills", market: BTC }, { type: "account", account: B }, { type: "book", market: BTC }], (m) => streamed.push(m), {
      onError: (e) => errors.push(e),
    });
    try {
      await until(() => sub.lastSeq !== null);
      const ask = await alice.placeOrder({ market: BTC, side: "sell", price: 60_000n * USD, size: 100_000_000n, tif: "post-only", clientOrderId: 7n });
      expect(ask.ok).toBe(true);
      expect(ask.events.find((e) => e.kind === "OrderPlaced")).toMatchObject({ account: A, market: BTC, price: 60_000n * USD, size: 100_000_000n });

      const take = await bob.placeOrder({ market: BTC, side: "buy", price: 60_000n * USD, size: 40_000_000n, tif: "ioc" });
      expect(take.ok).toBe(true);
      expect(take.fills).toHaveLength(1);
      expect(take.fills[0]!.seq).toBe(take.seq + 1n);
      expect(take.fills[0]!.events.find((e) => e.kind === "Fill")).toMatchObject({ maker: A, taker: B, price: 60_000n * USD, size: 40_000_000n, takerBuys: true });

      const [a, b] = await Promise.all([alice.account(), bob.account()]);
      expect(a.positions).toMatchObject([{ market: BTC, size: -40_000_000n, marginMode: "isolated" }]);
      expect(b.positions).toMatchObject([{ market: BTC, size: 40_000_000n }]);
      expect(a.orders).toMatchObject([{ market: BTC, side: "sell", remaining: 60_000_000n, clientOrderId: 7n }]);
      expect(b.margin.liquidatable).toBe(false);
      const book = await bob.book(BTC, 5);
      expect(book.asks).toEqual([{ price: 60_000n * USD, size: 60_000_000n, orders: 1 }]);
      expect(book.bids).toEqual([]);
      expect(book.seq).toBeGreaterThanOrEqual(take.fills[0]!.seq);

      await until(() => streamed.some((m) => m.type === "book" && m.data.asks[0]?.size === 60_000_000n));
      const fill = streamed.find((m) => m.type === "fills");
      expect(fill).toMatchObject({ seq: take.fills[0]!.seq, data: { kind: "Fill", maker: A, taker: B, size: 40_000_000n } });
      expect(streamed.some((m) => m.type === "account" && m.data.op.type === "PlaceOrder" && m.seq === take.seq)).toBe(true);
      expect(errors).toEqual([]);
      expect(sub.lastSeq! >= take.fills[0]!.seq).toBe(true);
    } finally {
      sub.close();
    }
  });

  it("refusals are CrossmarginApiError with the server's code, status and field", async () => {
    const cross = await rejection(bob.placeOrder({ market: BTC, side: "buy", price: 60_000n * USD, size: 10_000n, tif: "post-only" }));
    expect(cross).toMatchObject({ code: "POST_ONLY_WOULD_CROSS", status: 409 });
    const grow = await rejection(bob.placeOrder({ market: BTC, side: "buy", price: 59_000n * USD, size: 10_000n, reduceOnly: true }));
    expect(grow).toMatchObject({ code: "REDUCE_ONLY_INCREASES", status: 422 });
    const healthy = await rejection(bob.liquidate(A, BTC));
    expect(healthy).toMatchObject({ code: "NOT_LIQUIDATABLE", status: 422 });
    const missing = await rejection(alice.cancelOrder({ clientOrderId: 999n }));
    expect(missing).toMatchObject({ code: "ORDER_NOT_FOUND", status: 404 });
    // A value outside its EIP-712 type cannot even be signed (viem checks), so nothing is sent ...
    await expect(alice.placeOrder({ market: BTC, side: "sell", price: 2n ** 64n, size: 10_000n })).rejects.toThrow(/unsigned integer range/);
    // ... but a signed op altered afterwards reaches the gateway, which names the field.
    const signed = await alice.signOp(placeOrderOp({ market: BTC, side: "sell", price: 70_000n * USD, size: 10_000n }));
    const bad = await rejection(alice.submitOp({ ...signed, market: 70_000 } as never));
    expect(bad).toMatchObject({ code: "INVALID_FIELD", status: 400, field: "market" });
    const tampered = await rejection(alice.submitOp({ ...signed, size: 20_000n } as never));
    expect(tampered).toMatchObject({ code: "UNAUTHORIZED", status: 401 });
    const unknownAccount = await rejection(alice.account(9_999));
    expect(unknownAccount).toMatchObject({ code: "ACCOUNT_UNKNOWN", status: 404 });
  });

  it("modify, cancel by client order id, by slot, and cancel-all", async () => {
    const m = await alice.modifyOrder({ cancel: { clientOrderId: 7n }, place: { market: BTC, side: "sell", price: 61_000n * USD, size: 50_000_000n, clientOrderId: 8n } });
    if (m.place instanceof CrossmarginApiError) throw m.place;
    expect(m.cancel.ok && m.place.ok).toBe(true);
    expect(m.place.seq).toBeGreaterThan(m.cancel.seq);
    // A refused replacement does not hide that the cancel went through.
    await alice.placeOrder({ market: BTC, side: "sell", price: 64_000n * USD, size: 10_000n, clientOrderId: 9n });
    const refused = await alice.modifyOrder({ cancel: { clientOrderId: 9n }, place: { market: BTC, side: "sell", price: 64_000n * USD + 1n, size: 10_000n } });
    expect(refused.cancel.ok).toBe(true);
    expect(refused.place).toBeInstanceOf(CrossmarginApiError);
    expect(refused.place).toMatchObject({ code: "PRICE_INVALID" });
    let orders = (await alice.account()).orders;
    expect(orders.map((o) => [o.clientOrderId, o.price])).toEqual([[8n, 61_000n * USD]]);
    expect((await alice.cancelOrder({ clientOrderId: 8n })).ok).toBe(true);

    const r = await alice.placeOrder({ market: BTC, side: "sell", price: 62_000n * USD, size: 10_000n });
    const slot = r.events.find((e) => e.kind === "OrderPlaced")!;
    expect((await alice.cancelOrder({ slot: (slot as { slot: number }).slot })).ok).toBe(true);

    await alice.placeOrder({ market: BTC, side: "sell", price: 63_000n * USD, size: 10_000n });
    await alice.placeOrder({ market: ETH, side: "buy", price: 2_000n * USD, size: 100_000n });
    expect((await alice.cancelAll(BTC)).ok).toBe(true);
    orders = (await alice.account()).orders;
    expect(orders.map((o) => o.market)).toEqual([ETH]);
    expect((await alice.cancelAll()).ok).toBe(true);
    expect((await alice.account()).orders).toEqual([]);
  });

  it("submit sends many in one request and answers each in order", async () => {
    const out = await alice.submit([
      placeOrderOp({ market: BTC, side: "sell", price: 64_000n * USD, size: 10_000n }),
      placeOrderOp({ market: BTC, side: "sell", price: 64_000n * USD + 1n, size: 10_000n }), // off tick
      { type: "CancelAll", market: 0xffff },
    ]);
    expect(out).toHaveLength(3);
    expect(out[0]).not.toBeInstanceOf(Error);
    expect(out[1]).toBeInstanceOf(CrossmarginApiError);
    expect(out[1]).toMatchObject({ code: "PRICE_INVALID", status: 400 });
    expect(out[2]).not.toBeInstanceOf(Error);
    expect((out[2] as { seq: bigint }).seq).toBeGreaterThan((out[0] as { seq: bigint }).seq);
    expect((await alice.account()).orders).toEqual([]);
  });

  it("a session key acts for the account only while granted", async () => {
    const s = createCrossmarginClient({ url: seq.url, account: sessionKey, sessionFor: A });
    const order = { market: BTC, side: "sell" as const, price: 65_000n * USD, size: 10_000n, clientOrderId: 77n };
    expect(await rejection(s.placeOrder(order))).toMatchObject({ code: "UNAUTHORIZED", status: 401 });

    const expiry = BigInt(Date.now() + 3_600_000);
    expect((await alice.grantSessionKey({ key: sessionKey, expiry })).ok).toBe(true);
    expect((await alice.account()).sessionKeys).toEqual([{ key: sessionKey.address.toLowerCase(), expiry }]);
    const placed = await s.placeOrder(order);
    expect(placed.ok).toBe(true);
    const logged = await s.op(placed.seq);
    expect(logged).toMatchObject({ seq: placed.seq, ok: true, signer: sessionKey.address.toLowerCase(), op: { type: "PlaceOrder", account: A, clientOrderId: 77n } });
    expect((await s.account()).index).toBe(A);
    expect((await s.cancelOrder({ clientOrderId: 77n })).ok).toBe(true);

    expect((await alice.revokeSessionKey(sessionKey.address)).ok).toBe(true);
    expect(await rejection(s.placeOrder(order))).toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("margin, transfer and withdraw operations", async () => {
    const before = await bob.account();
    const iso = before.positions.find((p) => p.market === BTC)!;
    expect((await bob.adjustIsolatedMargin(BTC, 1_000n * USD)).ok).toBe(true);
    const after = (await bob.account()).positions.find((p) => p.market === BTC)!;
    expect(after.isolatedMargin).toBe(iso.isolatedMargin + 1_000n * USD);
    expect((await bob.adjustIsolatedMargin(BTC, -500n * USD)).ok).toBe(true);

    expect(await rejection(bob.setMarginMode(BTC, "cross"))).toMatchObject({ code: "POSITION_OPEN" });
    expect((await bob.setMarginMode(ETH, "cross")).ok).toBe(true);
    expect((await bob.setPortfolioMargin(true)).ok).toBe(true);
    expect((await bob.account()).margin.portfolio).toBe(true);
    expect((await bob.setPortfolioMargin(false)).ok).toBe(true);

    const aBal = (await alice.account()).balances[0]!;
    const bBal = (await bob.account()).balances[0]!;
    expect((await bob.transfer({ to: A, asset: 0, amount: 500n * USD })).ok).toBe(true);
    expect((await alice.account()).balances[0]).toBe(aBal + 500n * USD);
    const w = await bob.withdraw({ asset: 0, amount: 1_000n * USD });
    expect(w.events.find((e) => e.kind === "WithdrawalCreated")).toMatchObject({ account: B, asset: 0, amount: 1_000n * USD });
    expect((await bob.account()).balances[0]).toBe(bBal - 1_500n * USD);
  });

  it("an oracle signer's update moves the price", async () => {
    const oracle = createCrossmarginClient({ url: seq.url, account: oracleKey, accountIndex: 0 });
    const update = await oracle.signOracleUpdate({ timestamp: BigInt(Date.now() - 1_000), prices: [{ kind: 0, id: BTC, price: 61_000n * USD }] });
    const r = await oracle.submitOp(update);
    expect(r.ok).toBe(true);
    expect(r.events.find((e) => e.kind === "OraclePrice")).toMatchObject({ id: BTC, price: 61_000n * USD });
    expect((await oracle.markets())[BTC]!.oraclePrice).toBe(61_000n * USD);
  });

  it("the dead-man's switch arms, disarms, and fires", async () => {
    await bob.placeOrder({ market: BTC, side: "buy", price: 50_000n * USD, size: 10_000n });
    const armed = await bob.keepAlive(30_000);
    expect(armed.account).toBe(B);
    expect((await bob.account()).deadman).toBe(armed.at);
    expect((await bob.disarmDeadman()).at).toBe(0n);
    expect((await bob.account()).deadman).toBeNull();

    await bob.keepAlive(300);
    expect((await bob.account()).orders).toHaveLength(1);
    await until(async () => (await bob.account()).orders.length === 0);
    expect((await bob.account()).deadman).toBeNull();
  });

  it("ops and batches are queryable, in bigints", async () => {
    const r = await alice.placeOrder({ market: BTC, side: "sell", price: 70_000n * USD, size: 10_000n });
    const logged = await alice.op(r.seq);
    expect(logged).toMatchObject({ seq: r.seq, timestamp: r.timestamp, ok: true, signer: aliceKey.address.toLowerCase(), op: { type: "PlaceOrder", price: 70_000n * USD } });
    expect(logged.events).toEqual(r.events);
    let batches = await alice.batches(0, 1000);
    await until(async () => {
      batches = await alice.batches(0, 1000);
      return batches.some((b) => b.toSeq >= r.seq);
    });
    expect(batches[0]!.fromSeq).toBe(1n);
    for (let i = 1; i < batches.length; i++) {
      expect(batches[i]!.fromSeq).toBe(batches[i - 1]!.toSeq + 1n);
      expect(batches[i]!.preRoot).toBe(batches[i - 1]!.postRoot);
    }
    const last = batches.at(-1)!;
    expect(await alice.batch(last.index)).toEqual(last);
    expect((await alice.op(r.seq)).batch).toBe(batches.find((b) => b.fromSeq <= r.seq && r.seq <= b.toSeq)!.index);
    expect(await rejection(alice.op(10n ** 12n))).toMatchObject({ code: "NOT_FOUND", status: 404 });
    expect(((await alice.openApi()) as { openapi: string }).openapi).toMatch(/^3\.1/);
  });

  it("signing used one /v1/info fetch per client and one owner lookup", () => {
    // info() calls are explicit queries; the signing path must not have added any.
    const byOwner = fetched.filter((u) => u.includes("/v1/accounts/by-owner/"));
    expect(byOwner.filter((u) => u.endsWith(aliceKey.address.toLowerCase()))).toHaveLength(1);
    expect(byOwner.filter((u) => u.endsWith(bobKey.address.toLowerCase()))).toHaveLength(1);
    // alice called info() once herself; bob never did: two clients, two cached fetches, plus alice's query.
    expect(fetched.filter((u) => u.endsWith("/v1/info"))).toHaveLength(3);
  });

  it("the stream resumes across a dropped connection without losing or repeating an operation", async () => {
    const proxy = await tcpProxy(seq.port);
    try {
      const viaProxy = createCrossmarginClient({ url: proxy.url, account: aliceKey, accountIndex: A });
      const got: bigint[] = [];
      const errors: Error[] = [];
      const sub = viaProxy.subscribe([{ type: "account", account: A }], (m) => got.push(m.seq), { onError: (e) => errors.push(e), reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
      try {
        await until(() => sub.lastSeq !== null);
        const first = await alice.placeOrder({ market: BTC, side: "sell", price: 71_000n * USD, size: 10_000n });
        await until(() => got.includes(first.seq));

        proxy.down(); // the connection drops, and reconnects fail until it is back up
        const missed: bigint[] = [];
        for (let i = 0; i < 3; i++) missed.push((await alice.placeOrder({ market: BTC, side: "sell", price: (72_000n + BigInt(i)) * USD, size: 10_000n })).seq);
        await until(() => errors.length >= 2); // the drop and at least one refused reconnect
        proxy.up();
        const after = (await alice.cancelAll()).seq;

        await until(() => got.includes(after));
        expect(got).toEqual([first.seq, ...missed, after]);
        expect(proxy.connections()).toBeGreaterThanOrEqual(2);
      } finally {
        sub.close();
      }
    } finally {
      await proxy.close();
    }
  });
});

/** A TCP proxy on 127.0.0.1 to `port` that can drop every connection and refuse new ones. */
async function tcpProxy(port: number) {
  let isUp = true;
  let accepted = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (!isUp) return client.destroy();
    accepted++;
    const upstream = connect(port, "127.0.0.1");
    for (const s of [client, upstream]) {
      open.add(s);
      s.on("close", () => open.delete(s));
      s.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    down() {
      isUp = false;
      for (const s of open) s.destroy();
    },
    up() {
      isUp = true;
    },
    connections: () => accepted,
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}
