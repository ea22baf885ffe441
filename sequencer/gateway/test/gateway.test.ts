/**
 * The SDK through two gateway processes (`crossmargin gateway`, spawned) in front of one
 * sequencer gets the answers it gets direct: deposits, place, fill, modify, cancel, batch
 * submit, refusals, every query route (byte for byte), and the stream, which resumes across
 * a gateway SIGKILLed and restarted on its port without losing or repeating an operation.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrossmarginApiError, type CrossmarginClient, type StreamMessage, cancelOrderOp, createCrossmarginClient, placeOrderOp } from "../../../sdk/index.js";
import { accountOf } from "../../../sdk/test/fixtures.js";
import { startTest } from "../../api/test/helpers.js";
import type { RunningSequencer } from "../../service.js";
import { GatewayChild, until } from "./child.js";

const USD = 1_000_000n;
const BTC = 0;
const ETH = 1;
const aliceKey = accountOf("gw/alice");
const bobKey = accountOf("gw/bob");

let seq: RunningSequencer;
let gwA: GatewayChild;
let gwB: GatewayChild;
/** alice talks to gateway A, bob to gateway B; `direct` reads the sequencer itself. */
let alice: CrossmarginClient;
let bob: CrossmarginClient;
let aliceViaB: CrossmarginClient;
let direct: CrossmarginClient;
let A = -1;
let B = -1;

async function rejection(p: Promise<unknown>): Promise<CrossmarginApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CrossmarginApiError) return e;
    throw e;
  }
  throw new Error("expected a rejection, got a result");
}

/** The raw answer (status, content type, body bytes) of GET `path` at `base`. */
async function raw(base: string, path: string): Promise<{ status: number; type: string | null; body: string }> {
  const r = await fetch(base + path);
  return { status: r.status, type: r.headers.get("content-type"), body: await r.text() };
}

beforeAll(async () => {
  seq = await startTest({ streamBuffer: 1000, batchIntervalMs: 100 });
  [gwA, gwB] = await Promise.all([GatewayChild.start(["--upstream", seq.url, "--port", "0"]), GatewayChild.start(["--upstream", seq.url, "--port", "0"])]);
  alice = createCrossmarginClient({ url: gwA.url, account: aliceKey });
  bob = createCrossmarginClient({ url: gwB.url, account: bobKey });
  // Sends what alice signed through the other gateway (one signer, so nonces never collide).
  aliceViaB = createCrossmarginClient({ url: gwB.url, account: aliceKey });
  direct = createCrossmarginClient({ url: seq.url, account: accountOf("gw/reader") });
  A = (await alice.devDeposit({ asset: 0, amount: 1_000_000n * USD })).account;
  B = (await bob.devDeposit({ asset: 0, amount: 1_000_000n * USD })).account;
}, 60_000);

afterAll(async () => {
  await Promise.all([gwA?.stop("SIGTERM"), gwB?.stop("SIGTERM")]);
  await seq?.close();
});

describe("the SDK through two gateways", () => {
  it("trades as direct: place, fill, modify, cancel, batch submit; the log holds what the receipts say", async () => {
    expect(A).not.toBe(B);
    expect(await alice.accountIndex()).toBe(A);
    expect(await direct.accountByOwner(bobKey.address)).toBe(B);

    const ask = await alice.placeOrder({ market: BTC, side: "sell", price: 60_000n * USD, size: 100_000_000n, tif: "post-only", clientOrderId: 7n });
    expect(ask.ok).toBe(true);
    const take = await bob.placeOrder({ market: BTC, side: "buy", price: 60_000n * USD, size: 40_000_000n, tif: "ioc" });
    expect(take.fills).toHaveLength(1);
    expect(take.fills[0]!.events.find((e) => e.kind === "Fill")).toMatchObject({ maker: A, taker: B, size: 40_000_000n });

    // The receipts are the log's: the same op read back direct and through both gateways
    // (once sealed, so that its `batch` cannot change between the reads).
    await until(async () => (await direct.op(take.fills[0]!.seq)).batch !== null, 5_000, "the fill sealed");
    for (const s of [ask.seq, take.seq, take.fills[0]!.seq]) {
      const d = await direct.op(s);
      expect(await alice.op(s)).toEqual(d);
      expect(await bob.op(s)).toEqual(d);
    }
    expect((await direct.op(ask.seq)).op).toMatchObject({ type: "PlaceOrder", account: A, clientOrderId: 7n });

    // Cancel-replace through gateway A, then a cancel alice signed sent through gateway B.
    const m = await alice.modifyOrder({ cancel: { clientOrderId: 7n }, place: { market: BTC, side: "sell", price: 61_000n * USD, size: 50_000_000n, clientOrderId: 8n } });
    if (m.place instanceof CrossmarginApiError) throw m.place;
    expect(m.cancel.ok && m.place.ok).toBe(true);
    const cancel = await alice.signOp(cancelOrderOp({ clientOrderId: 8n }));
    expect((await aliceViaB.submitOp(cancel)).ok).toBe(true);
    expect((await direct.account(A)).orders).toEqual([]);

    // Several in one request: per-operation answers in order, the STF's refusal in place.
    const out = await bob.submit([
      placeOrderOp({ market: BTC, side: "sell", price: 64_000n * USD, size: 10_000n }),
      placeOrderOp({ market: BTC, side: "sell", price: 64_000n * USD + 1n, size: 10_000n }),
      { type: "CancelAll", market: 0xffff },
    ]);
    expect(out[0]).not.toBeInstanceOf(Error);
    expect(out[1]).toMatchObject({ code: "PRICE_INVALID", status: 400 });
    expect(out[2]).not.toBeInstanceOf(Error);

    // The dead-man's switch is armed through a gateway and seen direct.
    const at = BigInt(Date.now() + 30_000);
    expect(await alice.deadman(at)).toMatchObject({ account: A, at });
    expect((await direct.account(A)).deadman).toBe(at);
    await alice.disarmDeadman();
  });

  it("refusals from the sequencer arrive as they would direct (code, status, message, field)", async () => {
    const viaGateway = await rejection(alice.cancelOrder({ clientOrderId: 999n }));
    const signed = await alice.signOp(cancelOrderOp({ clientOrderId: 999n }));
    const directly = await rejection(createCrossmarginClient({ url: seq.url, account: aliceKey }).submitOp(signed));
    expect(viaGateway).toMatchObject({ code: "ORDER_NOT_FOUND", status: 404 });
    expect({ ...viaGateway, message: viaGateway.message }).toEqual({ ...directly, message: directly.message });

    // A tampered signature recovers to another address: the sequencer's UNAUTHORIZED, relayed.
    const order = await alice.signOp(placeOrderOp({ market: ETH, side: "buy", price: 2_000n * USD, size: 100_000n }));
    expect(await rejection(alice.submitOp({ ...order, size: 200_000n } as never))).toMatchObject({ code: "UNAUTHORIZED", status: 401 });
    expect(await rejection(bob.account(9_999))).toMatchObject({ code: "ACCOUNT_UNKNOWN", status: 404 });
  });

  it("every query route answers byte for byte as direct", async () => {
    await until(async () => (await direct.batches()).length > 0, 5_000, "a sealed batch");
    // Quiet once every op is sealed (the timer seals only pending ops): nothing moves the state
    // between the two reads of each pair. (Without this, a batch sealed in between under load.)
    await until(async () => seq.core.unsealedOps() === 0, 10_000, "every op sealed");
    const paths = [
      "/v1/info",
      "/v1/markets",
      `/v1/markets/${BTC}/book?levels=5`,
      `/v1/markets/${ETH}/book`,
      `/v1/accounts/${A}`,
      `/v1/accounts/${B}`,
      `/v1/accounts/by-owner/${aliceKey.address}`,
      "/v1/ops/1",
      "/v1/batches?from=0&limit=10",
      "/v1/batches/0",
      "/v1/openapi.json",
      "/v1/withdrawals/0/proof?batch=1",
      `/v1/accounts/${A}/exit-proof?batch=1`,
      "/v1/accounts/77",
      "/v1/markets/9/book",
      "/v1/batches/100000",
      "/v1/no-such-route",
    ];
    for (const p of paths) {
      const d = await raw(seq.url, p);
      expect(await raw(gwA.url, p), p).toEqual(d);
      expect(await raw(gwB.url, p), p).toEqual(d);
    }
  });

  it("the stream through a gateway equals the direct stream, and resumes across a gateway SIGKILL and restart", async () => {
    const port = new URL(gwA.url).port;
    const viaGateway: StreamMessage[] = [];
    const viaDirect: StreamMessage[] = [];
    const gwErrors: Error[] = [];
    const s1 = alice.subscribe([{ type: "receipts" }], (m) => viaGateway.push(m), { onError: (e) => gwErrors.push(e), reconnect: { initialDelayMs: 50, maxDelayMs: 300 } });
    const s2 = direct.subscribe([{ type: "receipts" }], (m) => viaDirect.push(m));
    try {
      await until(() => s1.lastSeq !== null && s2.lastSeq !== null, 10_000, "both subscriptions");
      const place = (price: bigint) => bob.placeOrder({ market: ETH, side: "sell", price, size: 100_000n, tif: "post-only" });
      for (let i = 0; i < 5; i++) await place(3_000n * USD + BigInt(i) * USD);
      await until(() => viaGateway.length >= 5, 10_000, "5 messages through gateway A");

      // Gateway A dies; traffic goes on through B while nobody listens through A.
      await gwA.stop("SIGKILL");
      for (let i = 5; i < 15; i++) await place(3_000n * USD + BigInt(i) * USD);
      const last = (await bob.cancelAll(ETH)).seq;
      // A new gateway on A's port: the SDK reconnects there and resubscribes with fromSeq.
      gwA = await GatewayChild.start(["--upstream", seq.url, "--port", port]);
      await until(() => s1.lastSeq !== null && s1.lastSeq >= last && s2.lastSeq !== null && s2.lastSeq >= last, 15_000, "the resumed stream to reach the last op");

      const seqs = viaGateway.map((m) => m.seq);
      expect(new Set(seqs).size).toBe(seqs.length); // nothing twice
      expect(seqs).toEqual([...seqs].sort((x, y) => (x < y ? -1 : 1))); // in log order
      // Exactly the direct stream's messages over the same span: nothing missing, nothing changed.
      const from = viaGateway[0]!.seq;
      expect(viaGateway).toEqual(viaDirect.filter((m) => m.seq >= from && m.seq <= last));
      expect(gwErrors.some((e) => /disconnected/.test(e.message))).toBe(true);
    } finally {
      s1.close();
      s2.close();
    }
  }, 60_000);
});
