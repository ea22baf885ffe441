/**
 * The sequencer's matching engine: one OrderBook per market, price-time priority, and the
 * bookkeeping the sequencer needs around it (cancels, modify, STF event sync, expiry,
 * self-trade prevention, reduce-only caps, dead-man's switch). Pure: no I/O, no clock —
 * every time-dependent call takes `now` (the sequencer's millisecond timestamp).
 *
 * Who updates `remaining`: ONLY the STF's receipts (onStfEvents, Fill events). onPlaced
 * computes fills against the book as it is and does not touch remaining; the sequencer
 * applies the fills to the STF and feeds the receipts back before calling onPlaced again
 * (enforced: onPlaced throws while emitted fills are neither confirmed nor rejected). So the
 * book equals the STF's live orders after every operation, and a fill the STF refuses
 * leaves the book as the STF left it. Removals are idempotent and may come from either side.
 * Rules and the sequencer protocol: docs/matching.md.
 */
import { FLAG_SELL, FLAG_REDUCE_ONLY, TIF_IOC, TIF_MASK, TIF_POST_ONLY, TIF_SHIFT } from "../state/constants.js";
import type { Fill } from "../state/ops.js";
import type { StfEvent } from "../state/receipt.js";
import { type Depth, type OrderKey, type OrderView, type Side, OrderBook, OrderNode, keyAccount, keySlot, orderKey } from "./book.js";
import { MinHeap } from "./heap.js";

export type SelfTradePolicy = "cancel-oldest" | "cancel-taker";

export interface MarketConfig {
  lotSize: bigint;
}

export interface EngineConfig {
  /** Indexed by market id. */
  markets: readonly MarketConfig[];
  /** The account's current signed position size in the market, as the STF holds it. */
  positionOf: (account: number, market: number) => bigint;
  /** Default "cancel-oldest": the resting maker is taken out of the book. */
  selfTrade?: SelfTradePolicy;
  /**
   * Optional: true when the STF only accepts reducing fills in the market at `now` (market
   * status REDUCE_ONLY or a stale oracle). Both sides of every fill are then capped like
   * reduce-only orders. Omitted: never.
   */
  marketReduceOnly?: (market: number, now: bigint) => boolean;
}

/** The order the STF just placed, with the slot from its OrderPlaced event. */
export interface PlacedOrder {
  account: number;
  slot: number;
  market: number;
  flags: number;
  price: bigint;
  size: bigint;
  expiry: bigint;
  clientOrderId: bigint;
  nonce: bigint;
}

export interface SlotRef {
  account: number;
  slot: number;
}

/** Why an order live in the STF is no longer in the engine's book ("detached"). */
export type DetachReason = "self-trade" | "post-only-would-cross" | "reduce-only";

export interface PlaceResult {
  /** Fill operations to apply to the STF, in order, at the same timestamp. */
  fills: Fill[];
  /** Sum of the fills' sizes. */
  filled: bigint;
  /** True when the order rests in the book (its remainder after the fills is `size - filled`). */
  rested: boolean;
  /** Size that neither filled nor rests (IOC remainder, cancelled taker, capped reduce-only). */
  dropped: bigint;
  /** Makers met during matching whose expiry had passed; removed from the book. */
  expired: SlotRef[];
  /** Orders taken out by self-trade prevention (makers, or the taker under "cancel-taker"). */
  selfTradeCancelled: SlotRef[];
  /** Reduce-only orders (maker or taker) taken out because they could only grow a position. */
  reduceOnlyCancelled: SlotRef[];
  /** Set when a post-only order would have crossed: nothing matched, nothing rests. */
  rejected?: "POST_ONLY_WOULD_CROSS";
}

const tif = (flags: number) => (flags & TIF_MASK) >> TIF_SHIFT;
const sideOf = (flags: number): Side => ((flags & FLAG_SELL) !== 0 ? "sell" : "buy");
const opposite = (s: Side): Side => (s === "buy" ? "sell" : "buy");
const crosses = (takerSide: Side, takerPrice: bigint, makerPrice: bigint) =>
  takerSide === "buy" ? makerPrice <= takerPrice : makerPrice >= takerPrice;
const fillId = (f: Pick<Fill, "makerAccount" | "makerSlot" | "takerAccount" | "takerSlot" | "price" | "size">) =>
  `${f.makerAccount}/${f.makerSlot}/${f.takerAccount}/${f.takerSlot}/${f.price}/${f.size}`;

interface Deadline {
  at: bigint;
  account: number;
}
interface ExpiryEntry {
  expiry: bigint;
  key: OrderKey;
  seq: number;
}

export class MatchingEngine {
  private readonly books: OrderBook[];
  private readonly lots: bigint[];
  private readonly positionOf: EngineConfig["positionOf"];
  private readonly marketReduceOnly: NonNullable<EngineConfig["marketReduceOnly"]>;
  selfTrade: SelfTradePolicy;
  private seq = 0;
  /** Every resting order by key (all markets). */
  private readonly nodes = new Map<OrderKey, OrderNode>();
  /** account -> keys of its resting orders. */
  private readonly byAccount = new Map<number, Set<OrderKey>>();
  /** account -> clientOrderId -> key (non-zero ids of resting orders). */
  private readonly byClientId = new Map<number, Map<bigint, OrderKey>>();
  /** Orders live in the STF but not matchable (see DetachReason). Cleared on OrderRemoved or slot reuse. */
  private readonly detached = new Map<OrderKey, { market: number; reason: DetachReason }>();
  /** Emitted fills not yet confirmed by a Fill event nor reported rejected. */
  private readonly pending = new Map<string, number>();
  private pendingCount = 0;
  private readonly expiries = new MinHeap<ExpiryEntry>((a, b) => a.expiry < b.expiry || (a.expiry === b.expiry && a.seq < b.seq));
  private readonly deadlines = new Map<number, bigint>();
  private readonly deadlineHeap = new MinHeap<Deadline>((a, b) => a.at < b.at || (a.at === b.at && a.account < b.account));

  constructor(cfg: EngineConfig) {
    this.lots = cfg.markets.map((m) => {
      if (m.lotSize <= 0n) throw new Error("lotSize must be positive");
      return m.lotSize;
    });
    this.books = cfg.markets.map((_, i) => new OrderBook(i));
    this.positionOf = cfg.positionOf;
    this.marketReduceOnly = cfg.marketReduceOnly ?? (() => false);
    this.selfTrade = cfg.selfTrade ?? "cancel-oldest";
  }

  book(market: number): OrderBook {
    const b = this.books[market];
    if (!b) throw new Error(`unknown market ${market}`);
    return b;
  }

  /** Lists a market added after construction (same id as the STF's). */
  addMarket(market: number, cfg: MarketConfig): void {
    if (market !== this.books.length) throw new Error(`next market id is ${this.books.length}`);
    this.lots.push(cfg.lotSize);
    this.books.push(new OrderBook(market));
  }

  // ---------------------------------------------------------------- placing and matching

  /**
   * Pre-check for post-only orders, called by ingress BEFORE the PlaceOrder goes to the STF:
   * true when a live (not expired at `now`) opposite order rests at a price the order crosses.
   * Own orders count too (a post-only order is never a taker).
   */
  wouldCross(market: number, side: Side, price: bigint, now: bigint): boolean {
    const s = this.book(market).side(opposite(side));
    for (let i = s.levels.length - 1; i >= 0; i--) {
      const level = s.levels[i]!;
      if (!crosses(side, price, level.price)) return false;
      for (let n = level.head; n; n = n.next) if (!n.expiredAt(now)) return true;
    }
    return false;
  }

  /**
   * The STF accepted `o` (slot from its OrderPlaced event). Matches it against the opposite
   * side and returns the fills to apply; the remainder of a GTC / post-only order rests with
   * remaining = size (the STF's value) until the fills' receipts come back via onStfEvents.
   */
  onPlaced(o: PlacedOrder, now: bigint): PlaceResult {
    if (this.pendingCount > 0) throw new Error(`${this.pendingCount} emitted fill(s) not yet confirmed or rejected`);
    const book = this.book(o.market);
    const lot = this.lots[o.market]!;
    const key = orderKey(o.account, o.slot);
    // The STF reuses only dead slots: an entry still here must be one the engine had not swept.
    const stale = this.findNode(key);
    if (stale) {
      if (!stale.expiredAt(now)) throw new Error(`slot (${o.account}, ${o.slot}) reused while its order is live`);
      this.removeNode(stale);
    }
    this.detached.delete(key);

    const side = sideOf(o.flags);
    const res: PlaceResult = {
      fills: [],
      filled: 0n,
      rested: false,
      dropped: 0n,
      expired: [],
      selfTradeCancelled: [],
      reduceOnlyCancelled: [],
    };
    const t = tif(o.flags);

    if (t === TIF_POST_ONLY) {
      if (this.wouldCross(o.market, side, o.price, now)) {
        res.rejected = "POST_ONLY_WOULD_CROSS";
        res.dropped = o.size;
        this.detached.set(key, { market: o.market, reason: "post-only-would-cross" });
        return res;
      }
      this.rest(o, side);
      res.rested = true;
      return res;
    }

    const marketRO = this.marketReduceOnly(o.market, now);
    const takerRO = marketRO || (o.flags & FLAG_REDUCE_ONLY) !== 0;
    // Position changes from the fills emitted in this call, per account (this market).
    const delta = new Map<number, bigint>();
    const capFor = (account: number, s: Side): bigint => {
      const pos = this.positionOf(account, o.market) + (delta.get(account) ?? 0n);
      const room = s === "buy" ? (pos < 0n ? -pos : 0n) : pos > 0n ? pos : 0n;
      return room - (room % lot);
    };

    let left = o.size;
    let stopTaker: "self-trade" | "reduce-only" | null = null;
    const makers = book.side(opposite(side));
    outer: for (let i = makers.levels.length - 1; i >= 0 && left > 0n; i--) {
      const level = makers.levels[i]!;
      if (!crosses(side, o.price, level.price)) break;
      // Removing orders of this level may drop the level (index i); lower indices are unaffected.
      let n: OrderNode | null = level.head;
      while (n && left > 0n) {
        const next: OrderNode | null = n.next;
        if (n.expiredAt(now)) {
          this.removeNode(n);
          res.expired.push({ account: n.account, slot: n.slot });
        } else if (n.account === o.account) {
          if (this.selfTrade === "cancel-taker") {
            stopTaker = "self-trade";
            break outer;
          }
          this.removeNode(n);
          this.detached.set(n.key, { market: o.market, reason: "self-trade" });
          res.selfTradeCancelled.push({ account: n.account, slot: n.slot });
        } else {
          const base = left < n.remaining ? left : n.remaining;
          let size = base;
          const tCap = takerRO ? capFor(o.account, side) : base;
          const makerRO = marketRO || (n.flags & FLAG_REDUCE_ONLY) !== 0;
          const mCap = makerRO ? capFor(n.account, n.side) : base;
          if (tCap < size) size = tCap;
          if (mCap < size) size = mCap;
          if (size > 0n) {
            res.fills.push({
              type: "Fill",
              makerAccount: n.account,
              makerSlot: n.slot,
              takerAccount: o.account,
              takerSlot: o.slot,
              price: n.price,
              size,
            });
            const q = side === "buy" ? size : -size;
            delta.set(o.account, (delta.get(o.account) ?? 0n) + q);
            delta.set(n.account, (delta.get(n.account) ?? 0n) - q);
          }
          // A reduce-only taker whose room is used up stops; its rest is dropped (never rests crossed).
          if (takerRO && size === tCap && tCap < left) stopTaker = "reduce-only";
          // A reduce-only maker whose room is used up while size remains can only grow its
          // position from here: take it out so it never blocks or crosses the book.
          if (makerRO && size === mCap && mCap < n.remaining) {
            this.removeNode(n);
            this.detached.set(n.key, { market: o.market, reason: "reduce-only" });
            res.reduceOnlyCancelled.push({ account: n.account, slot: n.slot });
          }
          left -= size;
          if (stopTaker) break outer;
        }
        n = next;
      }
    }

    res.filled = o.size - left;
    for (const f of res.fills) this.addPending(f);
    if (left === 0n) return res;
    if (stopTaker === "self-trade") {
      res.dropped = left;
      if (t !== TIF_IOC) this.detached.set(key, { market: o.market, reason: "self-trade" });
      res.selfTradeCancelled.push({ account: o.account, slot: o.slot });
      return res;
    }
    if (t === TIF_IOC) {
      res.dropped = left;
      return res;
    }
    if (stopTaker === "reduce-only") {
      res.dropped = left;
      this.detached.set(key, { market: o.market, reason: "reduce-only" });
      res.reduceOnlyCancelled.push({ account: o.account, slot: o.slot });
      return res;
    }
    this.rest(o, side);
    res.rested = true;
    return res;
  }

  private rest(o: PlacedOrder, side: Side): void {
    const key = orderKey(o.account, o.slot);
    const node = new OrderNode(
      key,
      o.account,
      o.slot,
      o.market,
      side,
      o.flags,
      o.price,
      o.size,
      o.size,
      o.expiry,
      o.clientOrderId,
      o.nonce,
      this.seq++,
    );
    this.book(o.market).add(node);
    this.nodes.set(key, node);
    let keys = this.byAccount.get(o.account);
    if (!keys) this.byAccount.set(o.account, (keys = new Set()));
    keys.add(key);
    if (o.clientOrderId !== 0n) {
      let ids = this.byClientId.get(o.account);
      if (!ids) this.byClientId.set(o.account, (ids = new Map()));
      ids.set(o.clientOrderId, key);
    }
    if (o.expiry !== 0n) this.expiries.push({ expiry: o.expiry, key, seq: node.seq });
  }

  private findNode(key: OrderKey): OrderNode | undefined {
    return this.nodes.get(key);
  }

  private nodeOf(account: number, slot: number): OrderNode | undefined {
    return this.nodes.get(orderKey(account, slot));
  }

  private removeNode(n: OrderNode): void {
    this.books[n.market]!.remove(n.key);
    this.nodes.delete(n.key);
    const keys = this.byAccount.get(n.account);
    if (keys) {
      keys.delete(n.key);
      if (keys.size === 0) this.byAccount.delete(n.account);
    }
    if (n.clientOrderId !== 0n) {
      const ids = this.byClientId.get(n.account);
      if (ids?.get(n.clientOrderId) === n.key) {
        ids.delete(n.clientOrderId);
        if (ids.size === 0) this.byClientId.delete(n.account);
      }
    }
  }

  // ---------------------------------------------------------------- cancels and modify

  /** Removes (account, slot) from the book; returns it, or null when it does not rest. */
  cancel(account: number, slot: number): OrderView | null {
    this.detached.delete(orderKey(account, slot));
    const n = this.nodeOf(account, slot);
    if (!n) return null;
    this.removeNode(n);
    return n.view();
  }

  cancelByClientId(account: number, clientOrderId: bigint): OrderView | null {
    if (clientOrderId === 0n) return null;
    const key = this.byClientId.get(account)?.get(clientOrderId);
    if (key === undefined) return null;
    return this.cancel(account, keySlot(key));
  }

  /** Removes every resting order of the account (in one market, or all). */
  cancelAll(account: number, market?: number): OrderView[] {
    const out: OrderView[] = [];
    for (const [key, d] of [...this.detached]) {
      if (keyAccount(key) === account && (market === undefined || d.market === market)) this.detached.delete(key);
    }
    const keys = this.byAccount.get(account);
    if (!keys) return out;
    for (const key of [...keys].sort((a, b) => a - b)) {
      const n = this.findNode(key)!;
      if (market !== undefined && n.market !== market) continue;
      this.removeNode(n);
      out.push(n.view());
    }
    return out;
  }

  /**
   * Cancel-replace: the sequencer applied CancelOrder(old) and PlaceOrder(new) to the STF
   * (the new order has the slot the STF gave it, often the old one). The replacement loses
   * time priority and may match.
   */
  modify(old: SlotRef, placed: PlacedOrder, now: bigint): { cancelled: OrderView | null; result: PlaceResult } {
    const cancelled = this.cancel(old.account, old.slot);
    return { cancelled, result: this.onPlaced(placed, now) };
  }

  // ---------------------------------------------------------------- STF sync

  /**
   * Keeps the book equal to the STF: Fill events lower remaining (the only place it changes),
   * OrderRemoved events remove (idempotent). OrderPlaced is ignored: onPlaced carries the
   * fields the event lacks (expiry, client id).
   */
  onStfEvents(events: readonly StfEvent[]): void {
    for (const e of events) {
      if (e.kind === "Fill") {
        const id = fillId({ makerAccount: e.maker, makerSlot: e.makerSlot, takerAccount: e.taker, takerSlot: e.takerSlot, price: e.price, size: e.size });
        this.resolvePending(id);
        this.reduce(e.maker, e.makerSlot, e.market, e.size);
        this.reduce(e.taker, e.takerSlot, e.market, e.size);
      } else if (e.kind === "OrderRemoved") {
        const key = orderKey(e.account, e.slot);
        this.detached.delete(key);
        const n = this.nodeOf(e.account, e.slot);
        if (n) this.removeNode(n);
      }
    }
  }

  /** The STF refused an emitted fill: the book stays as it is (remaining never moved). */
  onFillRejected(fill: Fill): void {
    if (!this.resolvePending(fillId(fill))) throw new Error(`fill ${fillId(fill)} was not pending`);
  }

  /** Emitted fills awaiting their STF receipt. */
  get pendingFills(): number {
    return this.pendingCount;
  }

  private reduce(account: number, slot: number, market: number, size: bigint): void {
    const key = orderKey(account, slot);
    const n = this.books[market]?.get(key);
    if (!n) return;
    if (size >= n.remaining) this.removeNode(n);
    else this.books[market]!.reduce(key, size);
  }

  private addPending(f: Fill): void {
    const id = fillId(f);
    this.pending.set(id, (this.pending.get(id) ?? 0) + 1);
    this.pendingCount++;
  }

  private resolvePending(id: string): boolean {
    const c = this.pending.get(id);
    if (c === undefined) return false;
    if (c === 1) this.pending.delete(id);
    else this.pending.set(id, c - 1);
    this.pendingCount--;
    return true;
  }

  /** Removes every resting order whose expiry is before `now` (the STF already treats them as dead). */
  sweepExpired(now: bigint): SlotRef[] {
    const out: SlotRef[] = [];
    for (let top = this.expiries.peek(); top && top.expiry < now; top = this.expiries.peek()) {
      this.expiries.pop();
      const n = this.nodes.get(top.key);
      if (n && n.seq === top.seq) {
        this.removeNode(n);
        out.push({ account: n.account, slot: n.slot });
      }
    }
    return out;
  }

  /** Orders live in the STF that the engine took out of matching, with the reason. */
  detachedOrders(): { account: number; slot: number; market: number; reason: DetachReason }[] {
    return [...this.detached]
      .sort(([a], [b]) => a - b)
      .map(([key, d]) => ({ account: keyAccount(key), slot: keySlot(key), ...d }));
  }

  isDetached(account: number, slot: number): boolean {
    return this.detached.has(orderKey(account, slot));
  }

  // ---------------------------------------------------------------- dead-man's switch

  /** (Re)schedules a cancel-all of the account's orders at `at` (ms). Pushing back = calling again. */
  scheduleCancelAll(account: number, at: bigint): void {
    this.deadlines.set(account, at);
    this.deadlineHeap.push({ at, account });
  }

  unscheduleCancelAll(account: number): void {
    this.deadlines.delete(account);
  }

  scheduledCancelAll(account: number): bigint | undefined {
    return this.deadlines.get(account);
  }

  /** Accounts whose deadline is ≤ now, earliest first; each is returned once and unscheduled. */
  due(now: bigint): number[] {
    const out: number[] = [];
    for (let top = this.deadlineHeap.peek(); top && top.at <= now; top = this.deadlineHeap.peek()) {
      this.deadlineHeap.pop();
      if (this.deadlines.get(top.account) === top.at) {
        this.deadlines.delete(top.account);
        out.push(top.account);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- queries

  depth(market: number, levels: number): Depth {
    return this.book(market).depth(levels);
  }

  best(market: number): { bid: bigint | null; ask: bigint | null } {
    return this.book(market).best();
  }

  /** The account's resting orders, by slot. */
  ordersOf(account: number): OrderView[] {
    const keys = this.byAccount.get(account);
    if (!keys) return [];
    return [...keys].sort((a, b) => a - b).map((k) => this.findNode(k)!.view());
  }

  /** Every resting order of every market. */
  allOrders(): OrderView[] {
    const out: OrderView[] = [];
    for (const b of this.books) for (const n of b.all()) out.push(n.view());
    return out;
  }
}
