/**
 * The subscription's own behaviour against a scripted WebSocket server on loopback (ws
 * package): it resumes with fromSeq = last seen + 1 after abrupt disconnects (also when
 * nothing but the acknowledgement was seen), continues live after RESUME_TOO_OLD, stops on
 * a refused subscription and on close(), parses each channel's data, and survives a
 * throwing handler. The real sequencer's stream is exercised in integration.test.ts.
 */
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { CrossmarginApiError, CrossmarginNetworkError, type StreamMessage, createCrossmarginClient } from "../index.js";
import { accountOf } from "./fixtures.js";

type Conn = { ws: WebSocket; subs: Record<string, unknown>[] };

/** A WebSocket server on 127.0.0.1 that hands each new connection to `script[n]`. */
async function scripted(script: ((c: Conn) => void)[]) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/v1/stream" });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  const conns: Conn[] = [];
  wss.on("connection", (ws) => {
    const c: Conn = { ws, subs: [] };
    const step = script[conns.length];
    conns.push(c);
    ws.on("message", (d) => {
      c.subs.push(JSON.parse(String(d)));
      step?.(c);
    });
  });
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    conns,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

const record = (seq: number) => ({
  seq,
  timestamp: String(1_764_388_800_000 + seq),
  op: { type: "CancelAll", account: 1, nonce: String(1_764_388_800_000 + seq), market: 65535, signature: `0x${"11".repeat(65)}` },
  signer: `0x${"ab".repeat(20)}`,
  ok: true,
  events: [],
});
const send = (c: Conn, m: unknown) => c.ws.send(JSON.stringify(m));
const ack = (c: Conn, head: number, fromSeq = head + 1) => send(c, { subscribed: { channels: c.subs.at(-1)!.channels, fromSeq: String(fromSeq), head: String(head) } });
const receipt = (c: Conn, seq: number) => send(c, { channel: { type: "receipts" }, seq: String(seq), data: record(seq) });

async function until(f: () => boolean, ms = 5_000) {
  const t = Date.now();
  while (!f()) {
    if (Date.now() - t > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0)) await f();
});

const FAST = { initialDelayMs: 20, maxDelayMs: 100 };
const client = (url: string) => createCrossmarginClient({ url, account: accountOf("stream"), accountIndex: 1 });

describe("subscription", () => {
  it("resubscribes with fromSeq = last seen + 1 after each abrupt disconnect, missing nothing and repeating nothing", async () => {
    const srv = await scripted([
      (c) => {
        ack(c, 10); // a fresh subscription starts after head 10 ...
        setTimeout(() => c.ws.terminate(), 20); // ... and drops before any message
      },
      (c) => {
        ack(c, 12, 11);
        receipt(c, 11);
        receipt(c, 12);
        setTimeout(() => c.ws.terminate(), 20);
      },
      (c) => {
        ack(c, 13, 13);
        receipt(c, 13);
      },
    ]);
    cleanups.push(srv.close);
    const seen: bigint[] = [];
    const errors: Error[] = [];
    const sub = client(srv.url).subscribe([{ type: "receipts" }], (m) => seen.push(m.seq), { onError: (e) => errors.push(e), reconnect: FAST });
    cleanups.push(() => sub.close());
    await until(() => seen.length === 3);
    expect(srv.conns.map((c) => c.subs[0]!.fromSeq)).toEqual([undefined, "11", "13"]);
    expect(srv.conns[0]!.subs[0]).toEqual({ op: "subscribe", channels: [{ type: "receipts" }] });
    expect(seen).toEqual([11n, 12n, 13n]);
    expect(sub.lastSeq).toBe(13n);
    expect(errors.filter((e) => e instanceof CrossmarginNetworkError)).toHaveLength(2);
  });

  it("starts from an explicit fromSeq, and after RESUME_TOO_OLD reports it and continues live from the head", async () => {
    const srv = await scripted([
      (c) => {
        if (c.subs.length === 1) return send(c, { error: { code: "RESUME_TOO_OLD", message: "the stream holds seq 50..100; 1 is older" } });
        ack(c, 100);
        receipt(c, 101);
      },
    ]);
    cleanups.push(srv.close);
    const seen: StreamMessage[] = [];
    const errors: Error[] = [];
    const sub = client(srv.url).subscribe([{ type: "receipts" }], (m) => seen.push(m), { fromSeq: 1n, onError: (e) => errors.push(e), reconnect: FAST });
    cleanups.push(() => sub.close());
    await until(() => seen.length === 1);
    expect(srv.conns[0]!.subs.map((s) => s.fromSeq)).toEqual(["1", undefined]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(CrossmarginApiError);
    expect(errors[0]).toMatchObject({ code: "RESUME_TOO_OLD", status: 410 });
    expect(seen[0]!.seq).toBe(101n);
    expect(seen[0]!.data).toMatchObject({ seq: 101n, op: { type: "CancelAll", nonce: 1_764_388_800_101n } });
  });

  it("ends the subscription when the subscription itself is refused, without reconnecting", async () => {
    const srv = await scripted([(c) => send(c, { error: { code: "INVALID_FIELD", message: "channels[0].market: expected number", field: "channels[0].market" } }), () => {}]);
    cleanups.push(srv.close);
    const errors: Error[] = [];
    const sub = client(srv.url).subscribe([{ type: "book" } as never], () => {}, { onError: (e) => errors.push(e), reconnect: FAST });
    cleanups.push(() => sub.close());
    await until(() => errors.length > 0);
    await new Promise((r) => setTimeout(r, 300)); // several backoff periods
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "INVALID_FIELD", field: "channels[0].market" });
    expect(srv.conns).toHaveLength(1);
  });

  it("close() stops reconnecting", async () => {
    const srv = await scripted([(c) => (ack(c, 5), c.ws.terminate()), (c) => ack(c, 5)]);
    cleanups.push(srv.close);
    let errors = 0;
    const sub = client(srv.url).subscribe([{ type: "receipts" }], () => {}, { onError: () => errors++, reconnect: { initialDelayMs: 200, maxDelayMs: 200 } });
    await until(() => errors > 0); // disconnected; a reconnect is scheduled
    sub.close();
    await new Promise((r) => setTimeout(r, 400));
    expect(srv.conns).toHaveLength(1);
  });

  it("parses every channel's data, keeps going when the handler throws, and uses a WebSocket constructor passed in", async () => {
    const srv = await scripted([
      (c) => {
        ack(c, 7);
        send(c, { channel: { type: "fills", market: 0 }, seq: "8", data: { kind: "Fill", market: 0, maker: 1, makerSlot: 0, taker: 2, takerSlot: 1, price: "60000000000", size: "40000000", takerBuys: true } });
        send(c, { channel: { type: "book", market: 0 }, seq: "8", data: { market: 0, bids: [], asks: [{ price: "60000000000", size: "60000000", orders: 1 }] } });
        send(c, { channel: { type: "account", account: 2 }, seq: "9", data: record(9) });
        send(c, { channel: { type: "receipts" }, seq: "10", data: { ...record(10), op: "not an op" } });
        receipt(c, 11);
      },
    ]);
    cleanups.push(srv.close);
    let constructed = 0;
    class Counting extends WebSocket {
      constructor(url: string) {
        super(url);
        constructed++;
      }
    }
    const c = createCrossmarginClient({ url: srv.url, account: accountOf("stream"), accountIndex: 1, WebSocket: Counting as never });
    const seen: StreamMessage[] = [];
    const errors: Error[] = [];
    const sub = c.subscribe(
      [{ type: "fills", market: 0 }, { type: "book", market: 0 }, { type: "account", account: 2 }, { type: "receipts" }],
      (m) => {
        seen.push(m);
        if (m.type === "book") throw new Error("handler bug");
      },
      { onError: (e) => errors.push(e), reconnect: FAST },
    );
    cleanups.push(() => sub.close());
    await until(() => seen.some((m) => m.seq === 11n));
    expect(constructed).toBe(1);
    const [fill, book, acct] = seen;
    expect(fill).toMatchObject({ type: "fills", channel: { type: "fills", market: 0 }, seq: 8n, data: { kind: "Fill", price: 60_000_000_000n, size: 40_000_000n, takerBuys: true } });
    expect(book).toMatchObject({ type: "book", channel: { type: "book", market: 0 }, data: { market: 0, seq: 8n, bids: [], asks: [{ price: 60_000_000_000n, size: 60_000_000n, orders: 1 }] } });
    expect(acct).toMatchObject({ type: "account", channel: { type: "account", account: 2 }, data: { seq: 9n, ok: true } });
    expect(seen.map((m) => m.seq)).toEqual([8n, 8n, 9n, 11n]); // the unreadable seq 10 is reported, not delivered
    expect(errors.map((e) => e.message)).toEqual(["handler bug", expect.stringMatching(/unreadable stream message: data\.op: expected an object/)]);
  });
});
