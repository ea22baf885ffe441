/**
 * Synthetic throughput of the matching engine alone (no STF, no signatures): a stream of
 * resting places, cancels and crossing IOC orders over `accounts` accounts in one market.
 * A tiny stand-in for the STF assigns the lowest free slot, turns every emitted fill into
 * the Fill / OrderRemoved events the real STF would emit, and feeds them back, so the
 * measured loop is the one the sequencer runs. Wall time is read here only (bench code).
 */
import { FLAG_SELL, ORDER_SLOTS, TIF_IOC, TIF_SHIFT } from "../state/constants.js";
import type { StfEvent } from "../state/receipt.js";
import { MatchingEngine, type PlacedOrder } from "./engine.js";

export interface MatchingBenchResult {
  orders: number;
  fills: number;
  cancels: number;
  seconds: number;
  ordersPerSec: number;
}

export function benchMatching(n: number, accounts = 200, seed = 1): MatchingBenchResult {
  let s = seed >>> 0 || 1;
  const rnd = (k: number) => {
    // xorshift32: deterministic, fast, no Math.random
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % k;
  };
  const lot = 100n;
  const engine = new MatchingEngine({ markets: [{ lotSize: lot }], positionOf: () => 0n });
  // slots[account][slot] = remaining (0n = free), kept the way the STF keeps them.
  const slots = Array.from({ length: accounts }, () => new Array<bigint>(ORDER_SLOTS).fill(0n));
  let fills = 0;
  let cancels = 0;
  let nonce = 1n;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const now = BigInt(1_000 + i);
    const account = rnd(accounts);
    const mine = slots[account]!;
    const r = rnd(10);
    if (r < 3) {
      const live = engine.ordersOf(account);
      if (live.length > 0) {
        const o = live[rnd(live.length)]!;
        engine.cancel(account, o.slot);
        mine[o.slot] = 0n;
        cancels++;
        continue;
      }
    }
    const slot = mine.indexOf(0n);
    if (slot < 0) {
      engine.cancelAll(account);
      mine.fill(0n);
      cancels++;
      continue;
    }
    const sell = rnd(2) === 1;
    const crossing = r >= 8;
    const mid = 10_000n;
    const off = BigInt(1 + rnd(20));
    const price = crossing ? (sell ? mid - off : mid + off) : sell ? mid + off : mid - off;
    const size = lot * BigInt(1 + rnd(10));
    const o: PlacedOrder = {
      account,
      slot,
      market: 0,
      flags: (sell ? FLAG_SELL : 0) | (crossing ? TIF_IOC << TIF_SHIFT : 0),
      price,
      size,
      expiry: crossing ? now : 0n,
      clientOrderId: 0n,
      nonce: nonce++,
    };
    mine[slot] = size;
    const res = engine.onPlaced(o, now);
    const events: StfEvent[] = [];
    for (const f of res.fills) {
      events.push({ kind: "Fill", market: 0, maker: f.makerAccount, makerSlot: f.makerSlot, taker: f.takerAccount, takerSlot: f.takerSlot, price: f.price, size: f.size, takerBuys: !sell });
      for (const [a, sl] of [
        [f.makerAccount, f.makerSlot],
        [f.takerAccount, f.takerSlot],
      ] as const) {
        slots[a]![sl] = slots[a]![sl]! - f.size;
        if (slots[a]![sl] === 0n) events.push({ kind: "OrderRemoved", account: a, slot: sl, cause: "filled" });
      }
    }
    fills += res.fills.length;
    engine.onStfEvents(events);
    if (!res.rested) mine[slot] = 0n; // IOC rest or self-trade-cancelled taker: slot is dead / detached
    for (const m of res.selfTradeCancelled) slots[m.account]![m.slot] = 0n;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { orders: n, fills, cancels, seconds, ordersPerSec: n / seconds };
}
