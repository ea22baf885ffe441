/**
 * Test harness: the real STF (sequencer/state) driven together with a MatchingEngine the way
 * docs/matching.md §"Sequencer flow" says the sequencer core does it — PlaceOrder to the STF,
 * `onPlaced`, every Fill applied at the placement timestamp with its receipt fed back
 * (`onStfEvents`, or `onFillRejected` for a refusal), then `rematch()` until no fill comes
 * out; every other receipt to `onStfEvents` in STF order.
 *
 * `randomActions` generates a seeded stream of plain-data actions (places, cancels, modifies,
 * dead-man switches, oracle updates, governed lot changes and a market listing, thinly
 * funded accounts whose resting orders cannot all be filled), so the same stream can drive
 * several Sims (restore test).
 */
import { expect } from "vitest";
import {
  ALL_MARKETS,
  CANCEL_BY_CLIENT_ID,
  FLAG_REDUCE_ONLY,
  FLAG_SELL,
  MARKET_ACTIVE,
  ORDER_SLOTS,
  TIF_IOC,
  TIF_MASK,
  TIF_POST_ONLY,
  TIF_SHIFT,
} from "../../state/constants.js";
import type { Hex, Op, ParamUpdate } from "../../state/ops.js";
import { isLive } from "../../state/ops/orders.js";
import { PARAM_KEYS } from "../../state/ops/paramUpdate.js";
import type { Receipt } from "../../state/receipt.js";
import type { CrossmarginState } from "../../state/state.js";
import { applyOp } from "../../state/stf.js";
import { ORACLE, USD, jsonBigint, owner } from "../../state/test/fixtures.js";
import { Rng } from "../../state/test/random.js";
import { fillBlame } from "../blame.js";
import { orderKey } from "../book.js";
import { type EngineConfig, type FillRejection, type PlacedOrder, type PlaceResult, type SelfTradePolicy, MatchingEngine } from "../engine.js";

export const tifOf = (flags: number) => (flags & TIF_MASK) >> TIF_SHIFT;

export interface SimOptions {
  selfTrade?: SelfTradePolicy;
  /** Configure `blameFill` with the STF-side helper (default true); false: the fallback rule. */
  blame?: boolean;
}

/** What the STF considers reduce-only (the engine's `marketReduceOnly`), never throwing. */
export function marketReduceOnly(state: CrossmarginState, m: number, now: bigint): boolean {
  const mk = state.markets[m];
  return mk === undefined || mk.status !== MARKET_ACTIVE || mk.oracleTimestamp === 0n || now - mk.oracleTimestamp > state.params.maxOracleAgeMs;
}

/** The engine config the sequencer builds from its state. */
export function engineConfig(state: CrossmarginState, o: SimOptions = {}): EngineConfig {
  return {
    markets: state.markets.map((m) => ({ lotSize: m.lotSize })),
    positionOf: (a, m) => state.accounts[a]?.positions[m]?.size ?? 0n,
    marketReduceOnly: (m, now) => marketReduceOnly(state, m, now),
    selfTrade: o.selfTrade ?? "cancel-oldest",
    blameFill: o.blame === false ? undefined : (fill, now) => fillBlame(state, fill, now),
    marketConfig: (m) => state.markets[m],
  };
}

/** One PlaceOrder's matching: every round (onPlaced, then each rematch that had work). */
export interface MatchOutcome {
  rounds: PlaceResult[];
  applied: { fill: string; ok: boolean; reason?: string }[];
  rejections: FillRejection[];
}

export interface Stats {
  places: number;
  placeRejected: number;
  fills: number;
  refused: number;
  makersEvicted: number;
  takersStopped: number;
  rematchFills: number;
  restedAfterRefusal: number;
  rested: number;
  iocDropped: number;
  postOnlyBlocked: number;
  reduceOnlyCancelled: number;
  lotSizeCancelled: number;
  lotChanges: number;
  listed: number;
  expired: number;
  selfTrade: number;
  cancels: number;
  modifies: number;
  deadman: number;
  maxRounds: number;
}

export const newStats = (): Stats => ({
  places: 0,
  placeRejected: 0,
  fills: 0,
  refused: 0,
  makersEvicted: 0,
  takersStopped: 0,
  rematchFills: 0,
  restedAfterRefusal: 0,
  rested: 0,
  iocDropped: 0,
  postOnlyBlocked: 0,
  reduceOnlyCancelled: 0,
  lotSizeCancelled: 0,
  lotChanges: 0,
  listed: 0,
  expired: 0,
  selfTrade: 0,
  cancels: 0,
  modifies: 0,
  deadman: 0,
  maxRounds: 0,
});

/** 32-byte ParamUpdate value with little-endian integers at byte offsets. */
export function paramValue(fields: [offset: number, bytes: number, value: bigint][]): Hex {
  const b = new Uint8Array(32);
  for (const [at, n, x] of fields) for (let i = 0; i < n; i++) b[at + i] = Number((x >> BigInt(8 * i)) & 0xffn);
  return `0x${Buffer.from(b).toString("hex")}` as Hex;
}

export class Sim {
  readonly stats = newStats();
  constructor(
    readonly state: CrossmarginState,
    readonly engine: MatchingEngine,
    public now: bigint,
    public nonce: bigint,
  ) {}

  static fresh(state: CrossmarginState, o: SimOptions = {}): Sim {
    return new Sim(state, new MatchingEngine(engineConfig(state, o)), state.clock > 1_000n ? state.clock : 1_000n, 1_000n);
  }

  nextNonce(): bigint {
    this.nonce = this.nonce < this.now ? this.now : this.nonce + 1n;
    return this.nonce;
  }

  apply(op: Op, signer: Hex | null = null, oracle = false): Receipt {
    return applyOp(this.state, op, { timestamp: this.now, signer, ...(oracle ? { oracleSigners: [ORACLE] } : {}) });
  }

  signed(op: Op & { account: number }): Receipt {
    return this.apply(op, this.state.accounts[op.account]?.owner ?? null);
  }

  /** Applies an op and feeds its receipt to the engine (everything but PlaceOrder). */
  applyAndFeed(op: Op, signer: Hex | null = null, oracle = false): Receipt {
    const r = this.apply(op, signer, oracle);
    this.stats.lotSizeCancelled += this.engine.onStfEvents(r.events).length;
    return r;
  }

  deposit(account: number, amount: bigint): Receipt {
    return this.applyAndFeed({ type: "Deposit", queueIndex: this.state.l1.nextIndex, account, owner: owner(account), asset: 0, amount });
  }

  paramUpdate(key: number, target: number, value: Hex): Receipt {
    const op: ParamUpdate = { type: "ParamUpdate", queueIndex: this.state.l1.nextIndex, key, target, value };
    return this.applyAndFeed(op);
  }

  oracle(prices: { id: number; price: bigint }[]): Receipt {
    return this.applyAndFeed({ type: "OracleUpdate", timestamp: this.now, prices: prices.map((p) => ({ kind: 0, id: p.id, price: p.price })), signatures: [] }, null, true);
  }

  placedFromState(account: number, slot: number): PlacedOrder {
    const o = this.state.accounts[account]!.orders[slot]!;
    return { account, slot, market: o.market, flags: o.flags, price: o.price, size: o.size, expiry: o.expiry, clientOrderId: o.clientOrderId, nonce: o.nonce };
  }

  /**
   * The core's matching loop for an order the STF accepted: apply the round's fills (each
   * receipt fed back), then `rematch()` while `rematchPending`. Bounded: each extra round
   * follows a refusal that took a resting order out of the book or stopped the taker.
   */
  match(first: PlaceResult): MatchOutcome {
    const out: MatchOutcome = { rounds: [first], applied: [], rejections: [] };
    const bound = this.engine.allOrders().length + 2;
    let round = first;
    for (;;) {
      for (const fill of round.fills) {
        const r = this.apply(fill);
        out.applied.push({ fill: JSON.stringify(fill, jsonBigint), ok: r.ok, ...(r.reason ? { reason: r.reason } : {}) });
        if (r.ok) {
          this.engine.onStfEvents(r.events);
          this.stats.fills++;
          if (out.rounds.length > 1) this.stats.rematchFills++;
        } else {
          const rej = this.engine.onFillRejected(fill, r.reason);
          out.rejections.push(rej);
          this.stats.refused++;
          if (rej.evicted) this.stats.makersEvicted++;
          if (rej.takerStopped) this.stats.takersStopped++;
        }
      }
      if (!this.engine.rematchPending) break;
      round = this.engine.rematch();
      out.rounds.push(round);
      if (round.rested && out.rejections.length > 0) this.stats.restedAfterRefusal++;
      if (out.rounds.length > bound) throw new Error(`rematch did not terminate within ${bound} rounds`);
    }
    expect(this.engine.rematchPending).toBe(false);
    expect(this.engine.pendingFills).toBe(0);
    this.stats.maxRounds = Math.max(this.stats.maxRounds, out.rounds.length);
    for (const r of out.rounds) {
      this.stats.reduceOnlyCancelled += r.reduceOnlyCancelled.length;
      this.stats.lotSizeCancelled += r.lotSizeCancelled.length;
      this.stats.expired += r.expired.length;
      this.stats.selfTrade += r.selfTradeCancelled.length;
    }
    const last = out.rounds[out.rounds.length - 1]!;
    if (first.rested || last.rested) this.stats.rested++;
    if (first.dropped > 0n && !first.rejected) this.stats.iocDropped++;
    return out;
  }

  /** PlaceOrder through the STF, then the matching loop. Null when the STF refused it. */
  place(
    account: number,
    market: number,
    side: "buy" | "sell",
    price: bigint,
    size: bigint,
    extra: { flags?: number; expiry?: bigint; clientOrderId?: bigint } = {},
  ): { receipt: Receipt; outcome: MatchOutcome | null } {
    const r = this.signed({
      type: "PlaceOrder",
      account,
      nonce: this.nextNonce(),
      market,
      flags: (side === "sell" ? FLAG_SELL : 0) | (extra.flags ?? 0),
      price,
      size,
      expiry: extra.expiry ?? 0n,
      clientOrderId: extra.clientOrderId ?? 0n,
      signature: "0x",
    });
    this.engine.onStfEvents(r.events);
    if (!r.ok) {
      this.stats.placeRejected++;
      return { receipt: r, outcome: null };
    }
    this.stats.places++;
    const e = r.events.find((x) => x.kind === "OrderPlaced")!;
    if (e.kind !== "OrderPlaced") throw new Error("unreachable");
    return { receipt: r, outcome: this.match(this.engine.onPlaced(this.placedFromState(account, e.slot), this.now)) };
  }

  liveSlots(account: number): number[] {
    const out: number[] = [];
    this.state.accounts[account]!.orders.forEach((o, i) => {
      if (isLive(o, this.now)) out.push(i);
    });
    return out;
  }

  /**
   * The engine's book equals the STF's live orders (remaining per (account, slot)) leaving
   * out IOC orders and detached ones; detached orders are live in the STF; no book is
   * crossed; positions net to zero per market.
   */
  check(context: string): void {
    this.engine.sweepExpired(this.now);
    expect(this.engine.pendingFills).toBe(0);
    expect(this.engine.rematchPending).toBe(false);
    const stf = new Map<number, bigint>();
    for (let a = 0; a < this.state.accounts.length; a++) {
      const orders = this.state.accounts[a]!.orders;
      for (let s = 0; s < ORDER_SLOTS; s++) {
        const o = orders[s]!;
        if (!isLive(o, this.now)) continue;
        if (tifOf(o.flags) === TIF_IOC) continue;
        if (this.engine.isDetached(a, s)) continue;
        stf.set(orderKey(a, s), o.remaining);
      }
    }
    const eng = new Map<number, bigint>();
    for (const o of this.engine.allOrders()) {
      eng.set(orderKey(o.account, o.slot), o.remaining);
      expect(this.engine.isDetached(o.account, o.slot)).toBe(false);
    }
    expect([...eng].sort((x, y) => x[0] - y[0]), `book vs STF at ${this.now}: ${context}`).toEqual([...stf].sort((x, y) => x[0] - y[0]));
    for (let m = 0; m < this.state.markets.length; m++) {
      let net = 0n;
      for (const acct of this.state.accounts) net += acct.positions[m]?.size ?? 0n;
      expect(net).toBe(0n);
      const b = this.engine.best(m);
      if (b.bid !== null && b.ask !== null) expect(b.bid < b.ask, `market ${m} crossed: ${context}`).toBe(true);
    }
  }

  /** Runs one generated action; returns what the engine emitted (for comparing two Sims). */
  run(a: Action): unknown {
    this.now += a.dt;
    const out: unknown[] = [];
    if (a.oracle) {
      const r = this.oracle(this.state.markets.map((_, id) => ({ id, price: MIDS[id]! })));
      expect(r.ok, r.reason).toBe(true);
    }
    out.push(this.engine.sweepExpired(this.now));
    for (const account of this.engine.due(this.now)) {
      const r = this.applyAndFeed({ type: "CancelAll", account, nonce: this.nextNonce(), market: ALL_MARKETS, signature: "0x" }, this.state.accounts[account]!.owner);
      expect(r.ok).toBe(true);
      this.stats.deadman++;
      out.push(["deadman", account]);
    }
    const st = this.state;
    switch (a.kind) {
      case "place": {
        const mk = st.markets[a.market];
        if (!mk) break;
        const price = MIDS[a.market]! + BigInt(a.ticks) * mk.tickSize;
        const size = mk.lotSize * BigInt(a.lots);
        const expiry = a.expiryIn === null ? 0n : this.now + a.expiryIn;
        if (tifOf(a.flags) === TIF_POST_ONLY && this.engine.wouldCross(a.market, a.side, price, this.now)) {
          this.stats.postOnlyBlocked++; // ingress refuses it before the STF: nothing is placed
          out.push("post-only-blocked");
          break;
        }
        const { receipt, outcome } = this.place(a.account, a.market, a.side, price, size, { flags: a.flags, expiry, clientOrderId: a.clientOrderId });
        if (outcome) expect(outcome.rounds[0]!.rejected).toBeUndefined();
        out.push(receipt.ok, outcome);
        break;
      }
      case "quote": {
        // A ladder away from the mid: each order passes placement alone, not all together.
        const mk = st.markets[a.market];
        if (!mk) break;
        for (const q of a.orders) {
          const price = MIDS[a.market]! + BigInt(a.side === "sell" ? q.ticks : -q.ticks) * mk.tickSize;
          const { receipt, outcome } = this.place(a.account, a.market, a.side, price, mk.lotSize * BigInt(q.lots));
          out.push(receipt.ok, outcome);
        }
        break;
      }
      case "topup":
        expect(this.deposit(a.account, a.amount).ok).toBe(true);
        break;
      case "cancel": {
        const live = this.liveSlots(a.account);
        if (live.length === 0) break;
        const slot = live[a.pick % live.length]!;
        if (a.engineFirst) out.push(this.engine.cancel(a.account, slot));
        const r = this.applyAndFeed({ type: "CancelOrder", account: a.account, nonce: this.nextNonce(), slot, clientOrderId: 0n, signature: "0x" }, st.accounts[a.account]!.owner);
        expect(r.ok).toBe(true);
        this.stats.cancels++;
        break;
      }
      case "cancelByClientId": {
        const hit = this.engine.cancelByClientId(a.account, a.clientOrderId);
        const r = this.applyAndFeed(
          { type: "CancelOrder", account: a.account, nonce: this.nextNonce(), slot: CANCEL_BY_CLIENT_ID, clientOrderId: a.clientOrderId, signature: "0x" },
          st.accounts[a.account]!.owner,
        );
        if (hit) expect(r.ok).toBe(true);
        if (r.ok) this.stats.cancels++;
        out.push(hit);
        break;
      }
      case "cancelAll": {
        const market = a.market === null ? ALL_MARKETS : a.market;
        if (market !== ALL_MARKETS && market >= st.markets.length) break;
        out.push(this.engine.cancelAll(a.account, a.market === null ? undefined : a.market));
        const r = this.applyAndFeed({ type: "CancelAll", account: a.account, nonce: this.nextNonce(), market, signature: "0x" }, st.accounts[a.account]!.owner);
        expect(r.ok).toBe(true);
        this.stats.cancels++;
        break;
      }
      case "modify": {
        const live = this.liveSlots(a.account).filter((s) => !this.engine.isDetached(a.account, s));
        if (live.length === 0) break;
        const slot = live[a.pick % live.length]!;
        const old = st.accounts[a.account]!.orders[slot]!;
        if (tifOf(old.flags) === TIF_IOC) break;
        const mk = st.markets[old.market]!;
        const signer = st.accounts[a.account]!.owner;
        const c = this.apply({ type: "CancelOrder", account: a.account, nonce: this.nextNonce(), slot, clientOrderId: 0n, signature: "0x" }, signer);
        expect(c.ok).toBe(true);
        const p = this.apply(
          {
            type: "PlaceOrder",
            account: a.account,
            nonce: this.nextNonce(),
            market: old.market,
            flags: old.flags & ~TIF_MASK, // GTC replacement (post-only would need the ingress pre-check)
            price: MIDS[old.market]! + BigInt(a.ticks) * mk.tickSize,
            size: mk.lotSize * BigInt(a.lots),
            expiry: 0n,
            clientOrderId: old.clientOrderId,
            signature: "0x",
          },
          signer,
        );
        // Receipts reach the engine in STF order: feed the cancel first, or let modify remove
        // the old order and drop that event (its OrderRemoved may name the replacement's slot).
        if (a.feedCancelFirst || !p.ok) this.engine.onStfEvents(c.events);
        if (p.ok) {
          const e = p.events.find((x) => x.kind === "OrderPlaced")!;
          if (e.kind !== "OrderPlaced") throw new Error("unreachable");
          const { cancelled, result } = this.engine.modify({ account: a.account, slot }, this.placedFromState(a.account, e.slot), this.now);
          out.push(cancelled, this.match(result));
          this.stats.modifies++;
        }
        break;
      }
      case "deadman":
        this.engine.scheduleCancelAll(a.account, this.now + a.delay);
        break;
      case "lot": {
        const mk = st.markets[a.market];
        if (!mk) break;
        const lot = BASE_LOTS[a.market]! * BigInt(a.num) / BigInt(a.den);
        const r = this.paramUpdate(PARAM_KEYS.MARKET_TICK_LOT, a.market, paramValue([[0, 8, mk.tickSize], [8, 8, lot]]));
        expect(r.ok, r.reason).toBe(true);
        expect(this.engine.lotSize(a.market)).toBe(lot);
        this.stats.lotChanges++;
        break;
      }
      case "list": {
        if (st.markets.length !== 2) break;
        const r = this.paramUpdate(PARAM_KEYS.LIST_MARKET, 2, paramValue([[0, 8, 10_000n], [8, 8, 1_000_000n], [16, 4, 100_000n], [20, 4, 50_000n]]));
        expect(r.ok, r.reason).toBe(true);
        expect(this.engine.lotSize(2)).toBe(1_000_000n);
        this.stats.listed++;
        break;
      }
    }
    return out;
  }
}

/** Oracle mids (market 2 is listed during the stream). */
export const MIDS = [60_000n * USD, 3_000n * USD, 20n * USD];
const BASE_LOTS = [10_000n, 100_000n, 1_000_000n];
/** Rich accounts 0..5; thin accounts 6..8 can afford one or two of their resting orders, not all. */
export const RICH = 6;
export const THIN = 3;
export const THIN_DEPOSIT = 7n * USD;

export type Action = { dt: bigint; oracle: boolean } & (
  | { kind: "place"; account: number; market: number; side: "buy" | "sell"; ticks: number; lots: number; flags: number; expiryIn: bigint | null; clientOrderId: bigint }
  | { kind: "quote"; account: number; market: number; side: "buy" | "sell"; orders: { ticks: number; lots: number }[] }
  | { kind: "topup"; account: number; amount: bigint }
  | { kind: "cancel"; account: number; pick: number; engineFirst: boolean }
  | { kind: "cancelByClientId"; account: number; clientOrderId: bigint }
  | { kind: "cancelAll"; account: number; market: number | null }
  | { kind: "modify"; account: number; pick: number; ticks: number; lots: number; feedCancelFirst: boolean }
  | { kind: "deadman"; account: number; delay: bigint }
  | { kind: "lot"; market: number; num: number; den: number }
  | { kind: "list" }
  | { kind: "idle" }
);

/** Genesis and funding shared by the stream tests. */
export function fundedSim(state: CrossmarginState, o: SimOptions = {}): Sim {
  const sim = Sim.fresh(state, o);
  for (let a = 0; a < RICH + THIN; a++) expect(sim.deposit(a, a < RICH ? 10_000_000n * USD : THIN_DEPOSIT).ok).toBe(true);
  return sim;
}

/**
 * A seeded action stream. Reads nothing from any Sim: the same seed gives the same actions,
 * and a Sim resolves them against its own state (which slot "pick" names, current lot/tick).
 */
export function* randomActions(seed: number, steps: number, opts: { lotChanges?: boolean; listAt?: number } = {}): Generator<Action> {
  const rng = new Rng(seed);
  let lastOracle = 0n;
  let now = 0n;
  let staleMode = false;
  for (let step = 0; step < steps; step++) {
    const dt = rng.chance(0.1) ? BigInt(1_000 + rng.int(4_000)) : BigInt(rng.int(3));
    now += dt;
    if (rng.chance(0.01)) staleMode = !staleMode; // let the oracle go stale: markets become reduce-only
    const oracle = now - lastOracle > (staleMode ? 90_000n : 20_000n);
    if (oracle) lastOracle = now;
    const base = { dt, oracle };
    const thin = rng.chance(0.4);
    const account = thin ? RICH + rng.int(THIN) : rng.int(RICH);
    const k = rng.int(100);
    if (opts.listAt !== undefined && step === opts.listAt) {
      yield { ...base, kind: "list" };
    } else if (opts.lotChanges && k === 99 && rng.chance(0.5)) {
      const [num, den] = rng.pick([
        [1, 2],
        [1, 1],
        [2, 1],
        [3, 1],
      ] as const);
      yield { ...base, kind: "lot", market: rng.int(opts.listAt !== undefined && step > opts.listAt ? 3 : 2), num, den };
    } else if (thin && k < 40) {
      const market = rng.int(opts.listAt !== undefined && step > opts.listAt ? 3 : 2);
      const side = rng.chance(0.8) === (account % 2 === 0) ? ("sell" as const) : ("buy" as const);
      const orders = Array.from({ length: 2 + rng.int(3) }, () => ({ ticks: 1 + rng.int(5), lots: 5 + rng.int(6) }));
      yield { ...base, kind: "quote", account, market, side, orders };
    } else if (thin && k < 50) {
      yield { ...base, kind: "topup", account, amount: BigInt(2 + rng.int(7)) * USD };
    } else if (k < 50) {
      const market = rng.int(opts.listAt !== undefined && step > opts.listAt ? 3 : 2);
      // Thin accounts quote mostly one side (sells for even accounts) with larger orders: each
      // needs up to $6 of margin alone, so two filled together exceed the $7 they hold.
      const side = (thin ? rng.chance(0.8) === (account % 2 === 0) : rng.chance(0.5)) ? ("sell" as const) : ("buy" as const);
      const ticks = rng.int(11) - 5;
      // Some rich orders are large enough to sweep a thin account's whole ladder.
      const lots = thin ? 5 + rng.int(6) : rng.chance(0.2) ? 10 + rng.int(31) : 1 + rng.int(10);
      const f = rng.int(100);
      // Thin accounts mostly quote (GTC), so their resting orders pile up beyond their margin.
      let flags = thin
        ? f < 80
          ? 0
          : TIF_IOC << TIF_SHIFT
        : f < 55
          ? 0
          : f < 75
            ? TIF_IOC << TIF_SHIFT
            : f < 88
              ? TIF_POST_ONLY << TIF_SHIFT
              : FLAG_REDUCE_ONLY;
      if (flags === FLAG_REDUCE_ONLY && rng.chance(0.3)) flags |= TIF_IOC << TIF_SHIFT;
      const expiryIn = rng.chance(0.2) ? BigInt(rng.int(10)) : null;
      const clientOrderId = rng.chance(0.3) ? BigInt(1 + rng.int(20)) : 0n;
      yield { ...base, kind: "place", account, market, side, ticks, lots, flags, expiryIn, clientOrderId };
    } else if (k < 62) {
      yield { ...base, kind: "cancel", account, pick: rng.int(ORDER_SLOTS), engineFirst: rng.chance(0.5) };
    } else if (k < 67) {
      yield { ...base, kind: "cancelByClientId", account, clientOrderId: BigInt(1 + rng.int(20)) };
    } else if (k < 70) {
      yield { ...base, kind: "cancelAll", account, market: rng.chance(0.5) ? null : rng.int(2) };
    } else if (k < 80) {
      yield { ...base, kind: "modify", account, pick: rng.int(ORDER_SLOTS), ticks: rng.int(11) - 5, lots: 1 + rng.int(10), feedCancelFirst: rng.chance(0.5) };
    } else if (k < 84) {
      yield { ...base, kind: "deadman", account, delay: BigInt(rng.int(50)) };
    } else {
      yield { ...base, kind: "idle" };
    }
  }
}
