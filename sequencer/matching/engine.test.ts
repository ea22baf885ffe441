import { describe, expect, it } from "vitest";
import { FLAG_REDUCE_ONLY, FLAG_SELL, TIF_IOC, TIF_POST_ONLY, TIF_SHIFT } from "../state/constants.js";
import type { Fill } from "../state/ops.js";
import type { StfEvent } from "../state/receipt.js";
import { type EngineConfig, MatchingEngine, type PlacedOrder, type PlaceResult } from "./engine.js";
import { OrderBook, OrderNode, orderKey } from "./book.js";

const LOT = 10n;
const IOC = TIF_IOC << TIF_SHIFT;
const POST = TIF_POST_ONLY << TIF_SHIFT;

function setup(cfg: Partial<EngineConfig> = {}, positions = new Map<string, bigint>()) {
  const engine = new MatchingEngine({
    markets: [{ lotSize: LOT }, { lotSize: LOT }],
    positionOf: (a, m) => positions.get(`${a}/${m}`) ?? 0n,
    ...cfg,
  });
  const nextSlot = new Map<number, number>();
  let nonce = 1n;
  const place = (
    account: number,
    side: "buy" | "sell",
    price: bigint,
    size: bigint,
    extra: { flags?: number; expiry?: bigint; clientOrderId?: bigint; market?: number; slot?: number; now?: bigint } = {},
  ): PlaceResult & { order: PlacedOrder } => {
    const slot = extra.slot ?? nextSlot.get(account) ?? 0;
    nextSlot.set(account, slot + 1);
    const order: PlacedOrder = {
      account,
      slot,
      market: extra.market ?? 0,
      flags: (side === "sell" ? FLAG_SELL : 0) | (extra.flags ?? 0),
      price,
      size,
      expiry: extra.expiry ?? 0n,
      clientOrderId: extra.clientOrderId ?? 0n,
      nonce: nonce++,
    };
    const r = engine.onPlaced(order, extra.now ?? 100n);
    return { ...r, order };
  };
  /** Feeds back the receipts the STF would give for the fills (Fill events; the engine removes at zero). */
  const confirm = (fills: Fill[], takerBuys: boolean, market = 0) => {
    const events: StfEvent[] = fills.map((f) => ({
      kind: "Fill",
      market,
      maker: f.makerAccount,
      makerSlot: f.makerSlot,
      taker: f.takerAccount,
      takerSlot: f.takerSlot,
      price: f.price,
      size: f.size,
      takerBuys,
    }));
    engine.onStfEvents(events);
  };
  return { engine, place, confirm, positions };
}

const brief = (fills: Fill[]) => fills.map((f) => [f.makerAccount, f.makerSlot, f.price, f.size]);

describe("OrderBook", () => {
  it("keeps levels sorted best-last with FIFO inside, and drops empty levels", () => {
    const b = new OrderBook(0);
    const prices = [105n, 101n, 110n, 101n, 99n, 120n, 105n, 100n];
    prices.forEach((p, i) => b.add(new OrderNode(orderKey(i, 0), i, 0, 0, "buy", 0, p, 10n, 10n, 0n, 0n, 0n, i)));
    prices.forEach((p, i) => b.add(new OrderNode(orderKey(i, 1), i, 1, 0, "sell", 1, p + 100n, 10n, 10n, 0n, 0n, 0n, 100 + i)));
    expect(b.bids.levels.map((l) => l.price)).toEqual([99n, 100n, 101n, 105n, 110n, 120n]);
    expect(b.asks.levels.map((l) => l.price)).toEqual([220n, 210n, 205n, 201n, 200n, 199n]);
    expect([...b.ordersInPriority("buy")].map((n) => n.account)).toEqual([5, 2, 0, 6, 1, 3, 7, 4]);
    expect(b.depth(2)).toEqual({
      bids: [
        { price: 120n, size: 10n, orders: 1 },
        { price: 110n, size: 10n, orders: 1 },
      ],
      asks: [
        { price: 199n, size: 10n, orders: 1 },
        { price: 200n, size: 10n, orders: 1 },
      ],
    });
    b.remove(orderKey(0, 0));
    expect(b.depth(10).bids.find((l) => l.price === 105n)).toEqual({ price: 105n, size: 10n, orders: 1 });
    b.remove(orderKey(6, 0));
    expect(b.bids.levels.map((l) => l.price)).toEqual([99n, 100n, 101n, 110n, 120n]);
    b.reduce(orderKey(5, 0), 4n);
    expect(b.best()).toEqual({ bid: 120n, ask: 199n });
    expect(b.depth(1).bids[0]).toEqual({ price: 120n, size: 6n, orders: 1 });
    b.reduce(orderKey(5, 0), 6n);
    expect(b.best().bid).toBe(110n);
    expect(b.remove(orderKey(5, 0))).toBeUndefined();
    expect(() => b.reduce(orderKey(2, 0), 11n)).toThrow();
  });
});

describe("MatchingEngine", () => {
  it("matches in price-time priority across levels and within a level, at the maker's price", () => {
    const { engine, place, confirm } = setup();
    place(1, "sell", 101n, 10n); // (1,0)
    place(2, "sell", 101n, 20n); // (2,0)
    place(3, "sell", 100n, 10n); // (3,0)
    place(4, "sell", 102n, 10n); // (4,0)
    place(5, "sell", 101n, 10n); // (5,0)
    expect(engine.best(0)).toEqual({ bid: null, ask: 100n });
    const r = place(9, "buy", 105n, 60n);
    expect(brief(r.fills)).toEqual([
      [3, 0, 100n, 10n],
      [1, 0, 101n, 10n],
      [2, 0, 101n, 20n],
      [5, 0, 101n, 10n],
      [4, 0, 102n, 10n],
    ]);
    expect(r.fills.every((f) => f.takerAccount === 9 && f.takerSlot === 0)).toBe(true);
    expect(r.filled).toBe(60n);
    expect(r.rested).toBe(false);
    confirm(r.fills, true);
    expect(engine.allOrders()).toEqual([]);
  });

  it("partially fills across several makers; the GTC remainder rests and the last maker keeps its rest", () => {
    const { engine, place, confirm } = setup();
    place(1, "buy", 99n, 30n);
    place(2, "buy", 100n, 20n);
    place(3, "buy", 100n, 20n);
    const r = place(4, "sell", 100n, 30n);
    expect(brief(r.fills)).toEqual([
      [2, 0, 100n, 20n],
      [3, 0, 100n, 10n],
    ]);
    expect(r.rested).toBe(false);
    confirm(r.fills, false);
    expect(engine.ordersOf(3)[0]!.remaining).toBe(10n);
    expect(engine.depth(0, 5).bids).toEqual([
      { price: 100n, size: 10n, orders: 1 },
      { price: 99n, size: 30n, orders: 1 },
    ]);
    // A larger sell at 99 sweeps both levels and rests its remainder at 99.
    const r2 = place(5, "sell", 99n, 60n);
    expect(brief(r2.fills)).toEqual([
      [3, 0, 100n, 10n],
      [1, 0, 99n, 30n],
    ]);
    expect(r2.rested).toBe(true);
    // Remaining moves only with the STF's Fill events: before them the taker rests with its full size.
    expect(engine.ordersOf(5)[0]!.remaining).toBe(60n);
    confirm(r2.fills, false);
    expect(engine.ordersOf(5)[0]!.remaining).toBe(20n);
    expect(engine.best(0)).toEqual({ bid: null, ask: 99n });
  });

  it("drops an IOC remainder and never rests it", () => {
    const { engine, place, confirm } = setup();
    place(1, "sell", 100n, 10n);
    const r = place(2, "buy", 101n, 50n, { flags: IOC });
    expect(brief(r.fills)).toEqual([[1, 0, 100n, 10n]]);
    expect(r.rested).toBe(false);
    expect(r.dropped).toBe(40n);
    confirm(r.fills, true);
    expect(engine.allOrders()).toEqual([]);
    const r2 = place(2, "buy", 101n, 50n, { flags: IOC });
    expect(r2.fills).toEqual([]);
    expect(r2.dropped).toBe(50n);
    expect(engine.ordersOf(2)).toEqual([]);
  });

  it("detects post-only crossing before placement (wouldCross) and refuses it in onPlaced", () => {
    const { engine, place } = setup();
    place(1, "sell", 100n, 10n, { expiry: 150n });
    expect(engine.wouldCross(0, "buy", 100n, 120n)).toBe(true);
    expect(engine.wouldCross(0, "buy", 99n, 120n)).toBe(false);
    expect(engine.wouldCross(0, "sell", 100n, 120n)).toBe(false);
    expect(engine.wouldCross(0, "buy", 100n, 151n)).toBe(false); // the only ask expired
    const r = place(2, "buy", 100n, 10n, { flags: POST, now: 120n });
    expect(r.rejected).toBe("POST_ONLY_WOULD_CROSS");
    expect(r.fills).toEqual([]);
    expect(r.rested).toBe(false);
    expect(engine.isDetached(2, 0)).toBe(true);
    const ok = place(2, "buy", 99n, 10n, { flags: POST, now: 120n });
    expect(ok.rested).toBe(true);
    expect(ok.rejected).toBeUndefined();
    expect(engine.best(0)).toEqual({ bid: 99n, ask: 100n });
  });

  it("caps reduce-only takers at the position and drops the rest", () => {
    const { engine, place, confirm, positions } = setup();
    positions.set("7/0", 35n); // long 3.5 lots: room is floored to 3 lots
    place(1, "buy", 100n, 20n);
    place(2, "buy", 99n, 20n);
    const r = place(7, "sell", 90n, 50n, { flags: FLAG_REDUCE_ONLY });
    expect(brief(r.fills)).toEqual([
      [1, 0, 100n, 20n],
      [2, 0, 99n, 10n],
    ]);
    expect(r.dropped).toBe(20n);
    expect(r.rested).toBe(false);
    expect(r.reduceOnlyCancelled).toEqual([{ account: 7, slot: 0 }]);
    expect(engine.isDetached(7, 0)).toBe(true);
    confirm(r.fills, false);
    // A reduce-only taker that is not capped rests like any GTC order.
    positions.set("8/0", -100n);
    const r2 = place(8, "buy", 50n, 30n, { flags: FLAG_REDUCE_ONLY });
    expect(r2.rested).toBe(true);
  });

  it("caps reduce-only makers, counting earlier fills of the same sweep, and takes out exhausted ones", () => {
    const { engine, place, confirm, positions } = setup();
    positions.set("1/0", 50n); // long 5 lots
    place(1, "sell", 100n, 30n, { flags: FLAG_REDUCE_ONLY }); // (1,0)
    place(1, "sell", 101n, 30n, { flags: FLAG_REDUCE_ONLY }); // (1,1)
    place(2, "sell", 102n, 30n); // (2,0)
    const r = place(3, "buy", 110n, 100n);
    expect(brief(r.fills)).toEqual([
      [1, 0, 100n, 30n],
      [1, 1, 101n, 20n],
      [2, 0, 102n, 30n],
    ]);
    expect(r.reduceOnlyCancelled).toEqual([{ account: 1, slot: 1 }]);
    expect(r.rested).toBe(true);
    confirm(r.fills, true);
    expect(engine.ordersOf(1)).toEqual([]);
    expect(engine.ordersOf(3)[0]!.remaining).toBe(20n);
    expect(engine.best(0)).toEqual({ bid: 110n, ask: null });
  });

  it("skips and reports expired makers; expiry = now is still live; sweepExpired removes the rest", () => {
    const { engine, place, confirm } = setup();
    place(1, "sell", 100n, 10n, { expiry: 99n, now: 50n });
    place(2, "sell", 100n, 10n, { expiry: 100n, now: 50n });
    place(3, "sell", 101n, 10n, { expiry: 120n, now: 50n });
    place(4, "sell", 102n, 10n, { expiry: 0n, now: 50n });
    const r = place(5, "buy", 101n, 10n, { now: 100n });
    expect(r.expired).toEqual([{ account: 1, slot: 0 }]);
    expect(brief(r.fills)).toEqual([[2, 0, 100n, 10n]]);
    confirm(r.fills, true);
    expect(engine.sweepExpired(120n)).toEqual([]);
    expect(engine.sweepExpired(121n)).toEqual([{ account: 3, slot: 0 }]);
    expect(engine.allOrders().map((o) => o.account)).toEqual([4]);
    // The STF reuses an expired order's slot: the engine replaces the stale entry.
    place(6, "sell", 103n, 10n, { expiry: 130n, now: 121n, slot: 5 });
    place(6, "sell", 104n, 10n, { now: 131n, slot: 5 });
    expect(engine.ordersOf(6).map((o) => o.price)).toEqual([104n]);
    expect(() => place(6, "sell", 105n, 10n, { now: 132n, slot: 5 })).toThrow(/reused while its order is live/);
  });

  it("self-trade prevention, cancel-oldest: the own maker leaves the book and matching goes on", () => {
    const { engine, place } = setup();
    place(1, "sell", 100n, 10n); // own
    place(2, "sell", 100n, 10n);
    place(1, "sell", 101n, 10n); // own
    place(3, "sell", 101n, 10n);
    const r = place(1, "buy", 101n, 30n);
    expect(r.selfTradeCancelled).toEqual([
      { account: 1, slot: 0 },
      { account: 1, slot: 1 },
    ]);
    expect(brief(r.fills)).toEqual([
      [2, 0, 100n, 10n],
      [3, 0, 101n, 10n],
    ]);
    expect(r.rested).toBe(true);
    expect(r.fills.every((f) => f.makerAccount !== f.takerAccount)).toBe(true);
    expect(engine.detachedOrders()).toEqual([
      { account: 1, slot: 0, market: 0, reason: "self-trade" },
      { account: 1, slot: 1, market: 0, reason: "self-trade" },
    ]);
    // The STF's OrderRemoved (the owner's later cancel, or expiry) clears the record.
    engine.onStfEvents([{ kind: "OrderRemoved", account: 1, slot: 0, cause: "cancelled" }]);
    expect(engine.detachedOrders().map((d) => d.slot)).toEqual([1]);
  });

  it("self-trade prevention, cancel-taker: matching stops at the own maker and the taker is taken out", () => {
    const { engine, place } = setup({ selfTrade: "cancel-taker" });
    place(2, "sell", 100n, 10n);
    place(1, "sell", 100n, 10n); // own, behind account 2 in time
    place(3, "sell", 100n, 10n);
    const r = place(1, "buy", 101n, 30n);
    expect(brief(r.fills)).toEqual([[2, 0, 100n, 10n]]);
    expect(r.selfTradeCancelled).toEqual([{ account: 1, slot: 1 }]);
    expect(r.rested).toBe(false);
    expect(r.dropped).toBe(20n);
    expect(engine.ordersOf(1).map((o) => o.slot)).toEqual([0]); // the resting own order stays
  });

  it("cancels by slot, by client order id, all, all in one market; STF removals are idempotent", () => {
    const { engine, place } = setup();
    place(1, "buy", 90n, 10n, { clientOrderId: 11n });
    place(1, "buy", 91n, 10n, { clientOrderId: 12n });
    place(1, "buy", 92n, 10n, { market: 1 });
    place(1, "sell", 120n, 10n, { market: 1 });
    place(2, "buy", 90n, 10n, { clientOrderId: 11n });
    expect(engine.cancel(1, 0)?.clientOrderId).toBe(11n);
    expect(engine.cancel(1, 0)).toBeNull();
    engine.onStfEvents([{ kind: "OrderRemoved", account: 1, slot: 0, cause: "cancelled" }]);
    expect(engine.cancelByClientId(1, 11n)).toBeNull();
    expect(engine.cancelByClientId(1, 12n)?.slot).toBe(1);
    expect(engine.ordersOf(2).length).toBe(1);
    expect(engine.cancelAll(1, 1).map((o) => o.slot)).toEqual([2, 3]);
    place(1, "buy", 80n, 10n, { slot: 0 });
    place(1, "buy", 80n, 10n, { slot: 1, market: 1 });
    expect(engine.cancelAll(1).map((o) => o.slot)).toEqual([0, 1]);
    expect(engine.ordersOf(1)).toEqual([]);
    expect(engine.depth(0, 5).bids).toEqual([{ price: 90n, size: 10n, orders: 1 }]);
    // Cancels driven only by STF events work the same.
    engine.onStfEvents([{ kind: "OrderRemoved", account: 2, slot: 0, cause: "cancelled" }]);
    expect(engine.allOrders()).toEqual([]);
  });

  it("modify = cancel-replace: loses time priority and may match", () => {
    const { engine, place, confirm } = setup();
    place(1, "buy", 100n, 10n);
    place(2, "buy", 100n, 10n);
    place(3, "sell", 105n, 10n);
    // Account 1 re-prices at the same level: goes behind account 2.
    const m = engine.modify({ account: 1, slot: 0 }, { account: 1, slot: 0, market: 0, flags: 0, price: 100n, size: 20n, expiry: 0n, clientOrderId: 0n, nonce: 99n }, 100n);
    expect(m.cancelled?.size).toBe(10n);
    expect(m.result.rested).toBe(true);
    const r = place(4, "sell", 100n, 10n, { flags: IOC });
    expect(brief(r.fills)).toEqual([[2, 0, 100n, 10n]]);
    confirm(r.fills, false);
    // Account 3 moves its ask down through the bid: the replacement matches.
    const m2 = engine.modify({ account: 3, slot: 0 }, { account: 3, slot: 0, market: 0, flags: FLAG_SELL, price: 100n, size: 10n, expiry: 0n, clientOrderId: 0n, nonce: 100n }, 101n);
    expect(brief(m2.result.fills)).toEqual([[1, 0, 100n, 10n]]);
    confirm(m2.result.fills, false);
    expect(engine.ordersOf(1)[0]!.remaining).toBe(10n);
    expect(engine.ordersOf(3)).toEqual([]);
  });

  it("requires emitted fills to be confirmed or rejected before the next placement; a rejection takes the maker out (fallback rule)", () => {
    const { engine, place } = setup();
    place(1, "sell", 100n, 10n);
    const r = place(2, "buy", 100n, 10n, { flags: IOC });
    expect(engine.pendingFills).toBe(1);
    expect(() => place(3, "buy", 100n, 10n)).toThrow(/not yet confirmed/);
    const rej = engine.onFillRejected(r.fills[0]!, "INSUFFICIENT_MARGIN");
    expect(rej).toEqual({ blamed: "maker", evicted: { account: 1, slot: 0 }, takerStopped: false, rematch: true });
    expect(engine.pendingFills).toBe(0);
    expect(engine.detachedOrders()).toEqual([{ account: 1, slot: 0, market: 0, reason: "fill-refused" }]);
    expect(() => engine.onFillRejected(r.fills[0]!)).toThrow(/not pending/);
    expect(engine.rematchPending).toBe(true);
    expect(() => place(3, "buy", 100n, 10n)).toThrow(/awaits rematch/);
    const again = engine.rematch();
    expect(again.fills).toEqual([]);
    expect(again.dropped).toBe(10n); // IOC: nothing else to meet
    expect(engine.rematchPending).toBe(false);
    expect(engine.rematch()).toMatchObject({ fills: [], rested: false, dropped: 0n });
  });

  it("dead-man's switch: due() returns accounts whose deadline passed; pushing back reschedules", () => {
    const { engine } = setup();
    engine.scheduleCancelAll(1, 1_000n);
    engine.scheduleCancelAll(2, 1_500n);
    engine.scheduleCancelAll(3, 900n);
    expect(engine.due(800n)).toEqual([]);
    engine.scheduleCancelAll(1, 2_000n); // pushed back
    expect(engine.due(1_000n)).toEqual([3]);
    expect(engine.due(1_000n)).toEqual([]);
    expect(engine.scheduledCancelAll(1)).toBe(2_000n);
    engine.unscheduleCancelAll(2);
    expect(engine.due(1_999n)).toEqual([]);
    expect(engine.due(5_000n)).toEqual([1]);
    expect(engine.scheduledCancelAll(1)).toBeUndefined();
  });

  it("queries: best, depth, ordersOf", () => {
    const { engine, place } = setup();
    place(1, "buy", 98n, 10n);
    place(2, "buy", 99n, 20n);
    place(3, "buy", 99n, 30n);
    place(1, "sell", 101n, 40n);
    expect(engine.best(0)).toEqual({ bid: 99n, ask: 101n });
    expect(engine.depth(0, 1)).toEqual({ bids: [{ price: 99n, size: 50n, orders: 2 }], asks: [{ price: 101n, size: 40n, orders: 1 }] });
    expect(engine.ordersOf(1).map((o) => [o.slot, o.side, o.price, o.remaining])).toEqual([
      [0, "buy", 98n, 10n],
      [1, "sell", 101n, 40n],
    ]);
    expect(engine.best(1)).toEqual({ bid: null, ask: null });
    expect(() => engine.depth(7, 1)).toThrow(/unknown market/);
  });
});

describe("MatchingEngine: refused fills (blameFill rules)", () => {
  const blaming = (maker: string | null, taker: string | null) => setup({ blameFill: () => ({ maker, taker }) });

  it("maker at fault on every fill: each round evicts, rematch goes down the book and ends (bounded)", () => {
    const { engine, place } = blaming("INSUFFICIENT_MARGIN", null);
    for (let a = 1; a <= 5; a++) place(a, "sell", 100n + BigInt(a), 10n);
    const r = place(9, "buy", 110n, 20n);
    expect(r.fills.map((f) => f.makerAccount)).toEqual([1, 2]);
    let round: PlaceResult = r;
    const seen: number[][] = [];
    let rounds = 1;
    for (;;) {
      seen.push(round.fills.map((f) => f.makerAccount));
      for (const f of round.fills) expect(engine.onFillRejected(f, "INSUFFICIENT_MARGIN").evicted?.account).toBe(f.makerAccount);
      if (!engine.rematchPending) break;
      round = engine.rematch();
      rounds++;
      expect(rounds).toBeLessThanOrEqual(5 + 1);
    }
    expect(seen).toEqual([[1, 2], [3, 4], [5], []]);
    expect(round.rested).toBe(true); // GTC taker: nothing left to cross, it rests with its full size
    expect(engine.ordersOf(9).map((o) => o.remaining)).toEqual([20n]);
    expect(engine.best(0)).toEqual({ bid: 110n, ask: null });
    expect(engine.detachedOrders().map((d) => [d.account, d.reason])).toEqual([1, 2, 3, 4, 5].map((a) => [a, "fill-refused"]));
  });

  it("taker at fault, both, unknown: the taker stops; a resting taker leaves the book", () => {
    for (const [maker, taker, blamed, evicted] of [
      [null, "INSUFFICIENT_MARGIN", "taker", false],
      ["INSUFFICIENT_MARGIN", "INSUFFICIENT_MARGIN", "both", true],
      [null, null, "unknown", false],
    ] as const) {
      const { engine, place, confirm } = blaming(maker, taker);
      place(1, "sell", 100n, 10n);
      place(2, "sell", 101n, 10n);
      const r = place(9, "buy", 101n, 30n); // rests 10 after the two fills
      expect(r.rested).toBe(true);
      confirm([r.fills[0]!], true);
      const rej = engine.onFillRejected(r.fills[1]!, "INSUFFICIENT_MARGIN");
      expect(rej).toEqual({ blamed, evicted: evicted ? { account: 2, slot: 0 } : null, takerStopped: true, rematch: false });
      expect(engine.ordersOf(9)).toEqual([]);
      expect(engine.isDetached(9, 0)).toBe(true);
      expect(engine.isDetached(2, 0)).toBe(evicted);
      expect(engine.rematchPending).toBe(false);
    }
  });

  it("fallback rule: a refusal reason about the pair is 'unknown' and stops the taker", () => {
    const { engine, place } = setup();
    place(1, "sell", 100n, 10n);
    const r = place(9, "buy", 100n, 10n);
    expect(engine.onFillRejected(r.fills[0]!, "FILL_SIZE_INVALID")).toEqual({ blamed: "unknown", evicted: null, takerStopped: true, rematch: false });
    expect(engine.ordersOf(1).length).toBe(1);
  });
});

describe("MatchingEngine: market changes", () => {
  it("a larger lot detaches orders below it, fills only the on-lot part and detaches the residue", () => {
    const { engine, place, confirm } = setup();
    place(1, "sell", 100n, 10n); // 1 lot
    place(2, "sell", 100n, 50n); // 5 lots
    place(3, "sell", 101n, 60n);
    expect(engine.onMarketChanged(0, { lotSize: 30n })).toEqual([{ account: 1, slot: 0 }]);
    expect(engine.lotSize(0)).toBe(30n);
    expect(engine.detachedOrders()).toEqual([{ account: 1, slot: 0, market: 0, reason: "lot-size" }]);
    const r = place(9, "buy", 101n, 90n);
    expect(brief(r.fills)).toEqual([
      [2, 0, 100n, 30n],
      [3, 0, 101n, 60n],
    ]);
    expect(r.lotSizeCancelled).toEqual([{ account: 2, slot: 0 }]); // 20 left: below the lot
    confirm(r.fills, true);
    expect(engine.allOrders()).toEqual([]);
    // A smaller lot detaches nothing; the reduce-only room is floored to it.
    expect(engine.onMarketChanged(0, { lotSize: 5n })).toEqual([]);
  });

  it("follows ParamChanged with marketConfig (lot change, listing); without it they are ignored", () => {
    const lots = [10n, 10n];
    const { engine, place } = setup({ marketConfig: (m) => (lots[m] === undefined ? undefined : { lotSize: lots[m]! }) });
    place(1, "sell", 100n, 10n);
    lots[0] = 20n;
    expect(engine.onStfEvents([{ kind: "ParamChanged", key: 11, target: 0 }])).toEqual([{ account: 1, slot: 0 }]);
    lots[2] = 7n;
    engine.onStfEvents([{ kind: "ParamChanged", key: 13, target: 2 }]);
    expect(engine.lotSize(2)).toBe(7n);
    expect(place(2, "buy", 5n, 7n, { market: 2 }).rested).toBe(true);
    engine.onStfEvents([{ kind: "ParamChanged", key: 1, target: 0 }]); // other keys: nothing
    const plain = setup().engine;
    plain.onStfEvents([{ kind: "ParamChanged", key: 13, target: 2 }]);
    expect(() => plain.lotSize(2)).toThrow(/unknown market/);
    plain.onMarketChanged(2, { lotSize: 3n });
    expect(plain.lotSize(2)).toBe(3n);
    expect(() => plain.onMarketChanged(5, { lotSize: 3n })).toThrow(/unknown market/);
  });
});

describe("MatchingEngine: exportPriority / restore", () => {
  type O = { market: number; flags: number; price: bigint; size: bigint; remaining: bigint; expiry: bigint; clientOrderId: bigint; nonce: bigint };
  /** A stand-in for the STF's order slots. */
  const source = () => {
    const accounts = Array.from({ length: 10 }, () => ({ orders: new Array<O | null>(64).fill(null) }));
    return {
      accounts,
      put: (a: number, s: number, o: Partial<O> & { price: bigint; nonce: bigint }) =>
        (accounts[a]!.orders[s] = { market: 0, flags: 0, size: 10n, remaining: 10n, expiry: 0n, clientOrderId: 0n, ...o }),
    };
  };
  const cfg = { markets: [{ lotSize: LOT }, { lotSize: LOT }], positionOf: () => 0n };

  it("round-trips the book, detached records and deadlines; the exported priority beats nonce order", () => {
    const e = new MatchingEngine(cfg);
    const src = source();
    const add = (a: number, side: "buy" | "sell", price: bigint, nonce: bigint, flags = 0) => {
      const f = (side === "sell" ? FLAG_SELL : 0) | flags;
      src.put(a, 0, { price, nonce, flags: f });
      return e.onPlaced({ account: a, slot: 0, market: 0, flags: f, price, size: 10n, expiry: 0n, clientOrderId: 0n, nonce }, 100n);
    };
    // Arrival order differs from nonce order (clients pick their nonces): 3 arrives before 1.
    add(3, "buy", 99n, 50n);
    add(1, "buy", 99n, 40n);
    add(2, "buy", 98n, 30n);
    add(4, "sell", 105n, 20n);
    expect(add(5, "buy", 105n, 60n, POST).rejected).toBe("POST_ONLY_WOULD_CROSS"); // detached
    e.scheduleCancelAll(4, 5_000n);
    const bytes = e.exportPriority();
    expect(bytes.length).toBe(5 + 12 + 13 * 4 + 14 * 1 + 12 * 1);
    const r = MatchingEngine.restore(cfg, bytes, src, 100n);
    expect(r.allOrders()).toEqual(e.allOrders());
    expect(r.depth(0, 10)).toEqual(e.depth(0, 10));
    expect(r.detachedOrders()).toEqual([{ account: 5, slot: 0, market: 0, reason: "post-only-would-cross" }]);
    expect(r.scheduledCancelAll(4)).toBe(5_000n);
    expect(r.exportPriority()).toEqual(bytes);
    const sell = { account: 8, slot: 0, market: 0, flags: FLAG_SELL, price: 98n, size: 20n, expiry: 0n, clientOrderId: 0n, nonce: 9n };
    const fills = e.onPlaced(sell, 100n).fills;
    expect(brief(fills)).toEqual([
      [3, 0, 99n, 10n],
      [1, 0, 99n, 10n],
    ]);
    expect(r.onPlaced(sell, 100n).fills).toEqual(fills);
    // Without the priority bytes, orders come back by (nonce, account, slot): 1 before 3, and
    // the post-only bid (unknown as detached) crosses the ask, so it is detached again.
    const n = MatchingEngine.restore(cfg, null, src, 100n);
    expect(brief(n.onPlaced(sell, 100n).fills)).toEqual([
      [1, 0, 99n, 10n],
      [3, 0, 99n, 10n],
    ]);
    expect(n.detachedOrders()).toEqual([{ account: 5, slot: 0, market: 0, reason: "crossed-on-restore" }]);
  });

  it("skips stale entries, appends unlisted orders by (nonce, account, slot), leaves out IOC / expired, detaches crossing and sub-lot ones", () => {
    const e = new MatchingEngine(cfg);
    const src = source();
    const add = (a: number, s: number, price: bigint, nonce: bigint, flags = 0) => {
      src.put(a, s, { price, nonce, flags });
      e.onPlaced({ account: a, slot: s, market: 0, flags, price, size: 10n, expiry: 0n, clientOrderId: 0n, nonce }, 100n);
    };
    add(1, 0, 99n, 10n);
    add(2, 0, 99n, 11n);
    add(3, 0, 99n, 12n);
    add(4, 0, 99n, 13n, FLAG_SELL); // a sell taker: its fills are refused
    e.onFillRejected({ type: "Fill", makerAccount: 1, makerSlot: 0, takerAccount: 4, takerSlot: 0, price: 99n, size: 10n }, "INSUFFICIENT_MARGIN");
    expect(e.rematchPending).toBe(true);
    e.rematch(); // (1,0) was evicted; (4,0) meets (2,0)
    e.onFillRejected({ type: "Fill", makerAccount: 2, makerSlot: 0, takerAccount: 4, takerSlot: 0, price: 99n, size: 10n }, "INSUFFICIENT_MARGIN");
    // Fallback rule: a second maker account refused, so the taker is the one stopped.
    expect(e.allOrders().map((o) => o.account)).toEqual([2, 3]);
    const bytes = e.exportPriority();
    src.accounts[2]!.orders[0] = null; // (2,0) gone since: its entry is skipped
    src.put(3, 0, { price: 99n, nonce: 99n }); // another order in (3,0): stale entry, goes to the back
    src.put(5, 0, { price: 99n, nonce: 50n }); // unlisted, nonce 50
    src.put(6, 1, { price: 99n, nonce: 50n }); // unlisted, same nonce: account decides
    src.put(6, 0, { price: 99n, nonce: 60n, flags: TIF_IOC << TIF_SHIFT }); // IOC: never rests
    src.put(7, 0, { price: 97n, nonce: 40n, expiry: 90n }); // expired at 100
    src.put(8, 0, { price: 98n, nonce: 70n, flags: FLAG_SELL }); // unlisted sell crossing the 99 bids placed before it
    src.put(9, 0, { price: 90n, nonce: 42n, remaining: 5n }); // below the lot
    const r = MatchingEngine.restore(cfg, bytes, src, 100n);
    expect(r.allOrders().map((o) => [o.account, o.slot, o.remaining])).toEqual([
      [5, 0, 10n],
      [6, 1, 10n],
      [3, 0, 10n],
    ]);
    expect(r.detachedOrders()).toEqual([
      { account: 1, slot: 0, market: 0, reason: "fill-refused" },
      { account: 4, slot: 0, market: 0, reason: "fill-refused" },
      { account: 8, slot: 0, market: 0, reason: "crossed-on-restore" },
      { account: 9, slot: 0, market: 0, reason: "lot-size" },
    ]);
    src.put(1, 3, { price: 99n, nonce: 1n, market: 7 });
    expect(() => MatchingEngine.restore(cfg, bytes, src, 100n)).toThrow(/market 7 is not in the engine config/);
  });

  it("rejects malformed bytes and refuses to export mid-operation", () => {
    const e = new MatchingEngine(cfg);
    const good = e.exportPriority();
    const src = source();
    const bad = (mut: (b: Uint8Array) => Uint8Array, msg: RegExp) => expect(() => MatchingEngine.restore(cfg, mut(good.slice()), src, 0n)).toThrow(msg);
    bad((b) => ((b[0] = 0), b), /bad magic/);
    bad((b) => ((b[4] = 2), b), /unsupported version 2/);
    bad((b) => b.subarray(0, b.length - 1), /truncated/);
    bad((b) => Uint8Array.from([...b, 0]), /trailing/);
    bad((b) => ((b[5] = 1), b), /truncated/);
    const one = new MatchingEngine(cfg);
    one.onPlaced({ account: 1, slot: 0, market: 0, flags: 0, price: 1n, size: 10n, expiry: 0n, clientOrderId: 0n, nonce: 1n }, 0n);
    const ob = one.exportPriority();
    ob[5 + 4 + 4] = 64;
    expect(() => MatchingEngine.restore(cfg, ob, src, 0n)).toThrow(/slot 64/);
    one.onPlaced({ account: 2, slot: 0, market: 0, flags: FLAG_SELL, price: 1n, size: 10n, expiry: 0n, clientOrderId: 0n, nonce: 2n }, 0n);
    expect(() => one.exportPriority()).toThrow(/not yet confirmed/);
  });
});
