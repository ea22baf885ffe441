/**
 * Matching pair: our engine (sequencer/matching) against `hft-limit-order-book` (npm) on the
 * same order stream, taken from the reference workload (/work/shared/WORKLOAD.md).
 *
 * The stream: the WorkloadGenerator is driven in lockstep with the STF (unsigned, as the STF
 * benches do) and every order message is kept — maker quotes (post-only or GTC), cancels
 * (single, by client id, cancel-all: one cancel per order the STF removed, and the STF's
 * expiries as cancels too, so neither engine needs a clock) and crossing IOC takers. Fills,
 * oracle, funds and key messages are dropped: each engine finds its own fills. Prices become
 * ticks and sizes lots for the peer (it takes JS numbers); ours keeps the STF's bigints.
 *
 * What each side runs per event, and nothing else is timed:
 *  - ours: `MatchingEngine.onPlaced` / `cancel`, plus the bookkeeping the engine's protocol
 *    requires of its caller (docs/matching.md): a stand-in for the STF assigns the order's
 *    slot and turns each emitted fill into the Fill / OrderRemoved events fed back through
 *    `onStfEvents` (the same stand-in `sequencer/matching/bench.ts` uses);
 *  - peer: one `OrderBook` per market, `limit({ postOnly, timeInForce })` / `cancel(id)`.
 * Best of `rounds` replays each, alternating, in one process.
 */
import { createRequire } from "node:module";
import { MatchingEngine, type PlacedOrder } from "../../sequencer/matching/index.js";
import { FLAG_SELL, ORDER_SLOTS, TIF_GTC, TIF_IOC, TIF_MASK, TIF_POST_ONLY, TIF_SHIFT } from "../../sequencer/state/constants.js";
import { applyOp, createGenesisState, type PlaceOrder } from "../../sequencer/state/index.js";
import type { StfEvent } from "../../sequencer/state/receipt.js";
import { MARKETS, Population, WorkloadGenerator, applyAll, setupItems, workloadGenesis } from "../workload.js";

const require = createRequire(import.meta.url);

/** The part of hft-limit-order-book's API used here (its package's `types` path is broken). */
interface HftOrderBook {
  limit(o: { id: string; side: "buy" | "sell"; size: number; price: number; postOnly?: boolean; timeInForce?: "GTC" | "IOC" | "FOK" }): {
    done: unknown[];
    partial: unknown;
    quantityLeft: number;
    err: { message: string } | null;
  };
  cancel(id: string): unknown;
}
const HftOrderBookCtor: new () => HftOrderBook = require("hft-limit-order-book").OrderBook;

export type Tif = "gtc" | "post" | "ioc";
export interface BookPlace {
  t: "place";
  /** Unique per order in the stream. */
  id: number;
  account: number;
  market: number;
  sell: boolean;
  tif: Tif;
  price: bigint;
  size: bigint;
  /** The same price and size in ticks and lots, for the peer. */
  ticks: number;
  lots: number;
}
export interface BookCancel {
  t: "cancel";
  id: number;
}
export type BookEvent = BookPlace | BookCancel;

export interface BookStream {
  events: BookEvent[];
  places: number;
  cancels: number;
  takers: number;
  /** Workload messages driven to produce it (all kinds). */
  messages: number;
}

/** The order messages of `messages` reference-workload messages after a warm-up, as book events. */
export function workloadBookStream(messages: number, opts: { accounts?: number; warmup?: number; seed?: number } = {}): BookStream {
  const pop = new Population(opts.accounts ?? 10_000);
  const state = createGenesisState(workloadGenesis());
  applyAll(state, setupItems(pop));
  const gen = new WorkloadGenerator({ population: pop, queueIndex: state.l1.nextIndex, seed: opts.seed ?? 1 });
  // Warm-up: books and slots in their steady state, as bench/codec.ts does.
  gen.drive(state, opts.warmup ?? 2_000, false);
  const events: BookEvent[] = [];
  /** (account·64 + STF slot) → stream id of the order resting there. */
  const live = new Map<number, number>();
  let nextId = 1;
  let places = 0;
  let cancels = 0;
  let takers = 0;
  const target = gen.messageCount() + messages;
  while (gen.messageCount() < target) {
    const it = gen.next();
    const r = applyOp(state, it.op, it.ctx);
    gen.observe(it, r);
    if (it.kind === "place" || it.kind === "taker") {
      const o = it.op as PlaceOrder;
      const spec = MARKETS[o.market]!;
      const tifCode = (o.flags & TIF_MASK) >> TIF_SHIFT;
      const tif: Tif = tifCode === TIF_IOC ? "ioc" : tifCode === TIF_POST_ONLY ? "post" : "gtc";
      const id = nextId++;
      events.push({ t: "place", id, account: o.account, market: o.market, sell: (o.flags & FLAG_SELL) !== 0, tif, price: o.price, size: o.size, ticks: Number(o.price / spec.tickSize), lots: Number(o.size / spec.lotSize) });
      if (it.kind === "taker") takers++;
      else places++;
      for (const e of r.events) if (e.kind === "OrderPlaced" && tif !== "ioc") live.set(e.account * ORDER_SLOTS + e.slot, id);
    }
    for (const e of r.events) {
      if (e.kind !== "OrderRemoved") continue;
      const key = e.account * ORDER_SLOTS + e.slot;
      const id = live.get(key);
      live.delete(key);
      // Filled orders leave each engine by its own matching; cancels and expiries are messages.
      if (id !== undefined && e.cause !== "filled") {
        events.push({ t: "cancel", id });
        cancels++;
      }
    }
  }
  return { events, places, cancels, takers, messages };
}

export interface EngineRun {
  seconds: number;
  eventsPerSec: number;
  /** Taker lots filled (sum over places of size filled on arrival), as a cross-check. */
  filledLots: number;
  /** Places the side could not take (ours: the account's 64 order slots were full). */
  skipped: number;
}

/** Our engine with the caller-side bookkeeping its protocol needs (see the file comment). */
export function runOurs(stream: BookStream): EngineRun {
  const engine = new MatchingEngine({ markets: MARKETS.map((s) => ({ lotSize: s.lotSize })), positionOf: () => 0n });
  /** remaining[account·64 + slot] (0n: free) and which stream id holds the slot. */
  const remaining = new Map<number, bigint[]>();
  const holder = new Map<number, Int32Array>();
  const refOf = new Map<number, number>();
  const slotsOf = (a: number) => {
    let s = remaining.get(a);
    if (!s) {
      remaining.set(a, (s = new Array<bigint>(ORDER_SLOTS).fill(0n)));
      holder.set(a, new Int32Array(ORDER_SLOTS));
    }
    return s;
  };
  const free = (a: number, slot: number) => {
    remaining.get(a)![slot] = 0n;
    holder.get(a)![slot] = 0;
  };
  const lotOf = MARKETS.map((s) => s.lotSize);
  let filledLots = 0;
  let skipped = 0;
  let nonce = 1n;
  const t0 = performance.now();
  const events = stream.events;
  for (let i = 0; i < events.length; i++) {
    const ev = events[i]!;
    const now = BigInt(1_000 + i);
    if (ev.t === "cancel") {
      const ref = refOf.get(ev.id);
      if (ref === undefined) continue;
      refOf.delete(ev.id);
      const a = Math.floor(ref / ORDER_SLOTS);
      const slot = ref % ORDER_SLOTS;
      if (holder.get(a)![slot] !== ev.id) continue; // filled meanwhile, slot reused
      engine.cancel(a, slot);
      free(a, slot);
      continue;
    }
    const mine = slotsOf(ev.account);
    const slot = mine.indexOf(0n);
    if (slot < 0) {
      skipped++;
      continue;
    }
    const tifCode = ev.tif === "ioc" ? TIF_IOC : ev.tif === "post" ? TIF_POST_ONLY : TIF_GTC;
    const o: PlacedOrder = {
      account: ev.account,
      slot,
      market: ev.market,
      flags: (ev.sell ? FLAG_SELL : 0) | (tifCode << TIF_SHIFT),
      price: ev.price,
      size: ev.size,
      expiry: ev.tif === "ioc" ? now : 0n,
      clientOrderId: 0n,
      nonce: nonce++,
    };
    mine[slot] = ev.size;
    holder.get(ev.account)![slot] = ev.id;
    const res = engine.onPlaced(o, now);
    const stf: StfEvent[] = [];
    for (const f of res.fills) {
      stf.push({ kind: "Fill", market: ev.market, maker: f.makerAccount, makerSlot: f.makerSlot, taker: f.takerAccount, takerSlot: f.takerSlot, price: f.price, size: f.size, takerBuys: !ev.sell });
      for (const [a, sl] of [
        [f.makerAccount, f.makerSlot],
        [f.takerAccount, f.takerSlot],
      ] as const) {
        const rest = remaining.get(a)!;
        rest[sl] = rest[sl]! - f.size;
        if (rest[sl] === 0n) {
          stf.push({ kind: "OrderRemoved", account: a, slot: sl, cause: "filled" });
          holder.get(a)![sl] = 0;
        }
      }
    }
    if (res.fills.length > 0) engine.onStfEvents(stf);
    filledLots += Number(res.filled / lotOf[ev.market]!);
    if (res.rested) refOf.set(ev.id, ev.account * ORDER_SLOTS + slot);
    else free(ev.account, slot);
    for (const m of res.selfTradeCancelled) free(m.account, m.slot);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, eventsPerSec: events.length / seconds, filledLots, skipped };
}

/** hft-limit-order-book: one book per market; ids and numbers prepared before the clock. */
export function runHftLob(stream: BookStream): EngineRun {
  const books = MARKETS.map(() => new HftOrderBookCtor());
  const ids = stream.events.map((e) => String(e.id));
  const marketOf = new Map<number, number>();
  for (const e of stream.events) if (e.t === "place") marketOf.set(e.id, e.market);
  const mk = stream.events.map((e) => (e.t === "place" ? e.market : marketOf.get(e.id) ?? -1));
  let filledLots = 0;
  let skipped = 0;
  const events = stream.events;
  const t0 = performance.now();
  for (let i = 0; i < events.length; i++) {
    const ev = events[i]!;
    const book = books[mk[i]!];
    if (ev.t === "cancel") {
      book?.cancel(ids[i]!);
      continue;
    }
    const r = book!.limit({ id: ids[i]!, side: ev.sell ? "sell" : "buy", size: ev.lots, price: ev.ticks, postOnly: ev.tif === "post", timeInForce: ev.tif === "ioc" ? "IOC" : "GTC" });
    if (r.err) skipped++;
    else filledLots += ev.lots - r.quantityLeft;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, eventsPerSec: events.length / seconds, filledLots, skipped };
}

export interface MatchingPair {
  stream: Omit<BookStream, "events"> & { events: number };
  ours: EngineRun;
  peer: EngineRun;
}

/** Best of `rounds` alternating replays of one workload stream through both engines. */
export function matchingPair(messages: number, rounds = 3, opts: { accounts?: number } = {}): MatchingPair {
  const stream = workloadBookStream(messages, opts);
  let ours: EngineRun | null = null;
  let peer: EngineRun | null = null;
  for (let r = 0; r < rounds; r++) {
    const o = runOurs(stream);
    const p = runHftLob(stream);
    if (!ours || o.seconds < ours.seconds) ours = o;
    if (!peer || p.seconds < peer.seconds) peer = p;
  }
  const { events, ...rest } = stream;
  return { stream: { ...rest, events: events.length }, ours: ours!, peer: peer! };
}
