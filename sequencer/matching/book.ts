/**
 * One market's resting orders in price-time priority.
 *
 * Layout: per side, a sorted array of price levels with the BEST level LAST (bids ascending,
 * asks descending), so taking out the best level is an array pop and a new level is placed
 * by binary search. A Map from price to level finds an existing level in O(1). Each level is
 * a doubly linked FIFO list of orders (arrival order), and a Map from order key to node gives
 * O(1) cancel. Inserting or removing a level costs O(log L) comparisons plus an array splice
 * (a memmove, only when the level is not the best one).
 *
 * The book never changes an order's `remaining` on its own: `reduce` is called by the engine
 * only from STF Fill events (see engine.ts and docs/matching.md).
 */
import { ORDER_SLOTS } from "../state/constants.js";

export type Side = "buy" | "sell";

/** (account, slot) packed into one number: account * 64 + slot (exact below 2^53). */
export type OrderKey = number;
export function orderKey(account: number, slot: number): OrderKey {
  return account * ORDER_SLOTS + slot;
}
export function keyAccount(key: OrderKey): number {
  return Math.floor(key / ORDER_SLOTS);
}
export function keySlot(key: OrderKey): number {
  return key % ORDER_SLOTS;
}

/** A resting order as the API reports it. */
export interface OrderView {
  account: number;
  slot: number;
  market: number;
  side: Side;
  flags: number;
  price: bigint;
  size: bigint;
  remaining: bigint;
  expiry: bigint;
  clientOrderId: bigint;
  nonce: bigint;
}

export class OrderNode {
  prev: OrderNode | null = null;
  next: OrderNode | null = null;
  level: Level | null = null;
  constructor(
    readonly key: OrderKey,
    readonly account: number,
    readonly slot: number,
    readonly market: number,
    readonly side: Side,
    readonly flags: number,
    readonly price: bigint,
    readonly size: bigint,
    public remaining: bigint,
    readonly expiry: bigint,
    readonly clientOrderId: bigint,
    readonly nonce: bigint,
    /** Arrival sequence number (time priority), unique per engine. */
    readonly seq: number,
  ) {}

  /** Dead by the STF's rule: expiry set and before `now`. */
  expiredAt(now: bigint): boolean {
    return this.expiry !== 0n && this.expiry < now;
  }

  view(): OrderView {
    return {
      account: this.account,
      slot: this.slot,
      market: this.market,
      side: this.side,
      flags: this.flags,
      price: this.price,
      size: this.size,
      remaining: this.remaining,
      expiry: this.expiry,
      clientOrderId: this.clientOrderId,
      nonce: this.nonce,
    };
  }
}

export class Level {
  head: OrderNode | null = null;
  tail: OrderNode | null = null;
  /** Sum of the remaining sizes at this level. */
  total = 0n;
  count = 0;
  constructor(readonly price: bigint) {}
}

export interface DepthLevel {
  price: bigint;
  size: bigint;
  orders: number;
}
export interface Depth {
  bids: DepthLevel[];
  asks: DepthLevel[];
}

class BookSide {
  /** Best level last. */
  readonly levels: Level[] = [];
  readonly byPrice = new Map<bigint, Level>();
  constructor(readonly side: Side) {}

  /** True when price a is better than price b for this side. */
  better(a: bigint, b: bigint): boolean {
    return this.side === "buy" ? a > b : a < b;
  }

  /** Index where a level with `price` is or would be inserted (array sorted worst → best). */
  private search(price: bigint): number {
    const a = this.levels;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.better(price, a[mid]!.price)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  levelFor(price: bigint): Level {
    let level = this.byPrice.get(price);
    if (level) return level;
    level = new Level(price);
    this.byPrice.set(price, level);
    const a = this.levels;
    if (a.length === 0 || this.better(price, a[a.length - 1]!.price)) a.push(level);
    else a.splice(this.search(price), 0, level);
    return level;
  }

  dropLevel(level: Level): void {
    this.byPrice.delete(level.price);
    const a = this.levels;
    if (a[a.length - 1] === level) {
      a.pop();
      return;
    }
    const i = this.search(level.price);
    if (a[i] !== level) throw new Error(`book corrupt: level ${level.price} not at its index`);
    a.splice(i, 1);
  }

  best(): Level | undefined {
    return this.levels[this.levels.length - 1];
  }
}

export class OrderBook {
  readonly bids = new BookSide("buy");
  readonly asks = new BookSide("sell");
  private readonly orders = new Map<OrderKey, OrderNode>();

  constructor(readonly market: number) {}

  get size(): number {
    return this.orders.size;
  }

  side(s: Side): BookSide {
    return s === "buy" ? this.bids : this.asks;
  }

  get(key: OrderKey): OrderNode | undefined {
    return this.orders.get(key);
  }

  /** Appends the order at the back of its price level. */
  add(node: OrderNode): void {
    if (node.market !== this.market) throw new Error(`order for market ${node.market} added to book ${this.market}`);
    if (this.orders.has(node.key)) throw new Error(`order (${node.account}, ${node.slot}) already rests`);
    if (node.remaining <= 0n) throw new Error("resting order needs remaining > 0");
    const level = this.side(node.side).levelFor(node.price);
    node.level = level;
    node.prev = level.tail;
    node.next = null;
    if (level.tail) level.tail.next = node;
    else level.head = node;
    level.tail = node;
    level.total += node.remaining;
    level.count++;
    this.orders.set(node.key, node);
  }

  /** Unlinks the order; returns it, or undefined when it does not rest here. */
  remove(key: OrderKey): OrderNode | undefined {
    const node = this.orders.get(key);
    if (!node) return undefined;
    this.orders.delete(key);
    const level = node.level!;
    if (node.prev) node.prev.next = node.next;
    else level.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else level.tail = node.prev;
    level.total -= node.remaining;
    level.count--;
    node.prev = node.next = null;
    node.level = null;
    if (level.count === 0) this.side(node.side).dropLevel(level);
    return node;
  }

  /** Lowers an order's remaining (from an STF Fill event); removes it at zero. */
  reduce(key: OrderKey, by: bigint): OrderNode | undefined {
    const node = this.orders.get(key);
    if (!node) return undefined;
    if (by <= 0n || by > node.remaining) throw new Error(`fill of ${by} exceeds remaining ${node.remaining} of (${node.account}, ${node.slot})`);
    if (by === node.remaining) return this.remove(key);
    node.remaining -= by;
    node.level!.total -= by;
    return node;
  }

  best(): { bid: bigint | null; ask: bigint | null } {
    return { bid: this.bids.best()?.price ?? null, ask: this.asks.best()?.price ?? null };
  }

  /** Aggregated top `levels` levels per side, best first. */
  depth(levels: number): Depth {
    const take = (s: BookSide): DepthLevel[] => {
      const out: DepthLevel[] = [];
      for (let i = s.levels.length - 1; i >= 0 && out.length < levels; i--) {
        const l = s.levels[i]!;
        out.push({ price: l.price, size: l.total, orders: l.count });
      }
      return out;
    };
    return { bids: take(this.bids), asks: take(this.asks) };
  }

  /** Every resting order in priority order (best level first, FIFO within it). */
  *ordersInPriority(s: Side): Generator<OrderNode> {
    const side = this.side(s);
    for (let i = side.levels.length - 1; i >= 0; i--) {
      for (let n = side.levels[i]!.head; n; n = n.next) yield n;
    }
  }

  all(): IterableIterator<OrderNode> {
    return this.orders.values();
  }
}
