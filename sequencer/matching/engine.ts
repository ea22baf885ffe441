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
 * A refused fill is resolved by `onFillRejected` (which side is at fault: that order leaves
 * matching) and `rematch` (the taker goes on against the rest of the book). The book's time
 * priority survives a restart through `exportPriority` / `MatchingEngine.restore`; governed
 * lot-size changes and listings reach it through `onStfEvents` (ParamChanged) or
 * `onMarketChanged`. Rules and the sequencer protocol: docs/matching.md.
 */
import { FLAG_SELL, FLAG_REDUCE_ONLY, ORDER_SLOTS, TIF_IOC, TIF_MASK, TIF_POST_ONLY, TIF_SHIFT } from "../state/constants.js";
import type { Fill } from "../state/ops.js";
import { isLive } from "../state/ops/orders.js";
import { PARAM_KEYS } from "../state/ops/paramUpdate.js";
import type { StfEvent } from "../state/receipt.js";
import type { Order } from "../state/state.js";
import { type Depth, type OrderKey, type OrderView, type Side, OrderBook, OrderNode, keyAccount, keySlot, orderKey } from "./book.js";
import { MinHeap } from "./heap.js";

export type SelfTradePolicy = "cancel-oldest" | "cancel-taker";

export interface MarketConfig {
  lotSize: bigint;
}

/**
 * Which side of a refused fill fails on its own: a reason (the STF's name) for each side that
 * the STF would refuse, null for a side that is fine. Both null: the refusal is about the pair
 * (or cannot be told) — see `fillBlame` in blame.ts for the STF-side helper.
 */
export interface FillBlame {
  maker: string | null;
  taker: string | null;
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
  /**
   * Optional but recommended: says which side of a refused fill is at fault, from the STF's
   * state right after the refusal (`(fill, now) => fillBlame(state, fill, now)`, blame.ts).
   * Omitted: the fallback rule of docs/matching.md ("Refused fills").
   */
  blameFill?: (fill: Fill, now: bigint) => FillBlame;
  /**
   * Optional: the market's current config as the STF holds it (`(m) => state.markets[m]`).
   * With it, `onStfEvents` follows governed lot-size changes and listings (ParamChanged
   * events); without it the caller must call `onMarketChanged` itself.
   */
  marketConfig?: (market: number) => MarketConfig | undefined;
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
export type DetachReason = "self-trade" | "post-only-would-cross" | "reduce-only" | "fill-refused" | "lot-size" | "crossed-on-restore";

/** Wire codes of DetachReason in `exportPriority` (append only). */
const DETACH_CODES: readonly DetachReason[] = ["self-trade", "post-only-would-cross", "reduce-only", "fill-refused", "lot-size", "crossed-on-restore"];

/** What `onFillRejected` did about a refused fill. */
export interface FillRejection {
  /** Who was held responsible ("unknown": neither side fails alone; treated as the taker). */
  blamed: "maker" | "taker" | "both" | "unknown";
  /** The maker order taken out of matching (detached, "fill-refused"); null when none. */
  evicted: SlotRef | null;
  /** True when the taker stops matching: it does not rest (detached "fill-refused" unless IOC). */
  takerStopped: boolean;
  /** True when `rematch()` has work (the taker goes on against the rest of the book). */
  rematch: boolean;
}

/** The STF's live orders, read by `MatchingEngine.restore` (a CrossmarginState fits). */
export interface LiveOrderSource {
  readonly accounts: readonly { readonly orders: readonly (Order | null)[] }[];
}

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
  /** Makers taken out because what is left of them is below the market's lot (after a lot change). */
  lotSizeCancelled: SlotRef[];
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
interface Detached {
  market: number;
  reason: DetachReason;
  /** The order's nonce: tells this order from a later one in the same slot (restore). */
  nonce: bigint;
}
/**
 * The order being matched (from onPlaced until the next onPlaced). Fill events naming it as
 * taker lower `left`, so a refused fill leaves it with the STF's remaining for `rematch`.
 */
interface Session {
  o: PlacedOrder;
  key: OrderKey;
  side: Side;
  tif: number;
  now: bigint;
  /** The taker's remaining in the STF: size minus confirmed fills. */
  left: bigint;
  /** False once the taker was stopped (self-trade, reduce-only, refused, post-only): no rematch. */
  active: boolean;
  /** A fill of it was refused since the last round: rematch() has work. */
  refused: boolean;
  /** Maker accounts blamed by the fallback rule (no blameFill configured) in this session. */
  guessed: Set<number> | null;
}
type StopReason = "self-trade" | "reduce-only" | "lot-size";
interface ExpiryEntry {
  expiry: bigint;
  key: OrderKey;
  seq: number;
}

function emptyResult(): PlaceResult {
  return { fills: [], filled: 0n, rested: false, dropped: 0n, expired: [], selfTradeCancelled: [], reduceOnlyCancelled: [], lotSizeCancelled: [] };
}

/**
 * Receipt reasons the fallback rule (no blameFill) pins on one side; any other refusal
 * (pair mismatch, price, size, halted market, overflow) is "unknown" and stops the taker.
 */
const FALLBACK_SIDE_REASONS: ReadonlySet<string> = new Set(["INSUFFICIENT_MARGIN", "REDUCE_ONLY_INCREASES", "MARKET_REDUCE_ONLY", "ORDER_NOT_FOUND"]);

/** "CXPB": Crossmargin book priority. */
const PRIORITY_MAGIC = [0x43, 0x58, 0x50, 0x42] as const;
const PRIORITY_VERSION = 1;

interface DecodedPriority {
  orders: { account: number; slot: number; nonce: bigint }[];
  detached: { account: number; slot: number; nonce: bigint; reason: DetachReason }[];
  deadlines: { account: number; at: bigint }[];
}

function decodePriority(bytes: Uint8Array): DecodedPriority {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const need = (n: number) => {
    if (at + n > bytes.length) throw new Error("book priority: truncated");
  };
  need(PRIORITY_MAGIC.length + 1);
  if (PRIORITY_MAGIC.some((b, i) => bytes[i] !== b)) throw new Error("book priority: bad magic");
  at = PRIORITY_MAGIC.length;
  const version = bytes[at++]!;
  if (version !== PRIORITY_VERSION) throw new Error(`book priority: unsupported version ${version}`);
  const u8 = () => {
    need(1);
    return bytes[at++]!;
  };
  const u32 = () => {
    need(4);
    const x = v.getUint32(at, true);
    at += 4;
    return x;
  };
  const u64 = () => {
    need(8);
    const x = v.getBigUint64(at, true);
    at += 8;
    return x;
  };
  const slot = () => {
    const s = u8();
    if (s >= ORDER_SLOTS) throw new Error(`book priority: slot ${s}`);
    return s;
  };
  const out: DecodedPriority = { orders: [], detached: [], deadlines: [] };
  for (let n = u32(); n > 0; n--) out.orders.push({ account: u32(), slot: slot(), nonce: u64() });
  for (let n = u32(); n > 0; n--) {
    const account = u32();
    const s = slot();
    const nonce = u64();
    const code = u8();
    const reason = DETACH_CODES[code];
    if (reason === undefined) throw new Error(`book priority: detach reason ${code}`);
    out.detached.push({ account, slot: s, nonce, reason });
  }
  for (let n = u32(); n > 0; n--) out.deadlines.push({ account: u32(), at: u64() });
  if (at !== bytes.length) throw new Error("book priority: trailing bytes");
  return out;
}

export class MatchingEngine {
  private readonly books: OrderBook[];
  private readonly lots: bigint[];
  private readonly positionOf: EngineConfig["positionOf"];
  private readonly marketReduceOnly: NonNullable<EngineConfig["marketReduceOnly"]>;
  private readonly blameFill: EngineConfig["blameFill"];
  private readonly marketConfig: EngineConfig["marketConfig"];
  selfTrade: SelfTradePolicy;
  private seq = 0;
  /** Every resting order by key (all markets). */
  private readonly nodes = new Map<OrderKey, OrderNode>();
  /** account -> keys of its resting orders. */
  private readonly byAccount = new Map<number, Set<OrderKey>>();
  /** account -> clientOrderId -> key (non-zero ids of resting orders). */
  private readonly byClientId = new Map<number, Map<bigint, OrderKey>>();
  /** Orders live in the STF but not matchable (see DetachReason). Cleared on OrderRemoved or slot reuse. */
  private readonly detached = new Map<OrderKey, Detached>();
  /** Emitted fills not yet confirmed by a Fill event nor reported rejected. */
  private readonly pending = new Map<string, number>();
  private pendingCount = 0;
  private session: Session | null = null;
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
    this.blameFill = cfg.blameFill;
    this.marketConfig = cfg.marketConfig;
    this.selfTrade = cfg.selfTrade ?? "cancel-oldest";
  }

  book(market: number): OrderBook {
    const b = this.books[market];
    if (!b) throw new Error(`unknown market ${market}`);
    return b;
  }

  /** The lot size the engine matches market `market` with. */
  lotSize(market: number): bigint {
    const l = this.lots[market];
    if (l === undefined) throw new Error(`unknown market ${market}`);
    return l;
  }

  /** Lists a market added after construction (same id as the STF's). */
  addMarket(market: number, cfg: MarketConfig): void {
    if (market !== this.books.length) throw new Error(`next market id is ${this.books.length}`);
    if (cfg.lotSize <= 0n) throw new Error("lotSize must be positive");
    this.lots.push(cfg.lotSize);
    this.books.push(new OrderBook(market));
  }

  /**
   * Follows a governed market change (the STF's ParamChanged for MARKET_TICK_LOT or
   * LIST_MARKET): a new id (the next one) is listed; a known one takes the new lot size.
   * Resting orders whose remaining is below the new lot can never fill: they are detached
   * ("lot-size") and returned. Orders left off-lot but above the lot fill their on-lot part
   * (the residue is detached then). The tick size does not matter to matching (a fill is at
   * the maker's price, which the STF does not re-check against the tick).
   */
  onMarketChanged(market: number, cfg: MarketConfig): SlotRef[] {
    if (market === this.books.length) {
      this.addMarket(market, cfg);
      return [];
    }
    const book = this.book(market);
    if (cfg.lotSize <= 0n) throw new Error("lotSize must be positive");
    if (this.lots[market] === cfg.lotSize) return [];
    this.lots[market] = cfg.lotSize;
    const out: SlotRef[] = [];
    for (const n of [...book.all()]) {
      if (n.remaining < cfg.lotSize) {
        this.detachNode(n, "lot-size");
        out.push({ account: n.account, slot: n.slot });
      }
    }
    return out;
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
   * remaining = size until the fills' receipts come back via onStfEvents. After the fills,
   * the caller calls `rematch()` (see there) until it emits no fill.
   */
  onPlaced(o: PlacedOrder, now: bigint): PlaceResult {
    if (this.pendingCount > 0) throw new Error(`${this.pendingCount} emitted fill(s) not yet confirmed or rejected`);
    if (this.session?.refused) throw new Error("a refused fill awaits rematch()");
    this.book(o.market);
    const key = orderKey(o.account, o.slot);
    // The STF reuses only dead slots: an entry still here must be one the engine had not swept.
    const stale = this.findNode(key);
    if (stale) {
      if (!stale.expiredAt(now)) throw new Error(`slot (${o.account}, ${o.slot}) reused while its order is live`);
      this.removeNode(stale);
    }
    this.detached.delete(key);

    const s: Session = {
      o,
      key,
      side: sideOf(o.flags),
      tif: tif(o.flags),
      now,
      left: o.size,
      active: true,
      refused: false,
      guessed: null,
    };
    this.session = s;
    const res = emptyResult();

    if (s.tif === TIF_POST_ONLY) {
      s.active = false; // never a taker
      if (this.wouldCross(o.market, s.side, o.price, now)) {
        res.rejected = "POST_ONLY_WOULD_CROSS";
        res.dropped = o.size;
        this.detached.set(key, { market: o.market, reason: "post-only-would-cross", nonce: o.nonce });
        return res;
      }
      this.rest(o, s.side, o.size);
      res.rested = true;
      return res;
    }
    this.sweep(s, res);
    return res;
  }

  /**
   * After the fills of `onPlaced` (or of the previous `rematch`) were all applied and fed
   * back: when one was refused, matches the taker's remaining (as the STF holds it) against
   * the book as it is now — the makers found at fault are gone — and returns further fills
   * at the same timestamp, with the taker's outcome for this round (a GTC taker that was
   * fully matched but kept size because of a refusal rests now). Returns an empty result
   * when there is nothing to do, so the caller loops `apply fills; rematch()` until no fill
   * comes out. Each round follows a refusal that took a maker out of the book or stopped the
   * taker, so the loop ends after at most (resting orders + 1) rounds.
   */
  rematch(): PlaceResult {
    if (this.pendingCount > 0) throw new Error(`${this.pendingCount} emitted fill(s) not yet confirmed or rejected`);
    const res = emptyResult();
    const s = this.session;
    if (!s || !s.refused) return res;
    s.refused = false;
    if (!s.active || s.left <= 0n) return res;
    this.sweep(s, res);
    return res;
  }

  /** True while a refused fill's taker awaits `rematch()`. */
  get rematchPending(): boolean {
    return this.session?.refused === true;
  }

  /** One matching round for the session's taker, from its current remaining. */
  private sweep(s: Session, res: PlaceResult): void {
    const o = s.o;
    const now = s.now;
    const side = s.side;
    const book = this.book(o.market);
    const lot = this.lots[o.market]!;
    const marketRO = this.marketReduceOnly(o.market, now);
    const takerRO = marketRO || (o.flags & FLAG_REDUCE_ONLY) !== 0;
    // Position changes from the fills emitted in this round, per account (this market).
    const delta = new Map<number, bigint>();
    const capFor = (account: number, sd: Side): bigint => {
      const pos = this.positionOf(account, o.market) + (delta.get(account) ?? 0n);
      const room = sd === "buy" ? (pos < 0n ? -pos : 0n) : pos > 0n ? pos : 0n;
      return room - (room % lot);
    };

    let left = s.left;
    let stop: StopReason | null = null;
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
            stop = "self-trade";
            break outer;
          }
          this.detachNode(n, "self-trade");
          res.selfTradeCancelled.push({ account: n.account, slot: n.slot });
        } else {
          // After a lot-size change a maker may hold an off-lot remaining: only its on-lot part fills.
          const fillable = n.remaining - (n.remaining % lot);
          if (fillable === 0n) {
            this.detachNode(n, "lot-size");
            res.lotSizeCancelled.push({ account: n.account, slot: n.slot });
            n = next;
            continue;
          }
          let base = left < fillable ? left : fillable;
          base -= base % lot;
          if (base === 0n) {
            stop = "lot-size"; // the taker's own remainder is below the lot (defensive: takers are on-lot)
            break outer;
          }
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
          if (takerRO && size === tCap && tCap < left) stop = "reduce-only";
          // A reduce-only maker whose room is used up while size remains can only grow its
          // position from here: take it out so it never blocks or crosses the book.
          if (makerRO && size === mCap && mCap < n.remaining) {
            this.detachNode(n, "reduce-only");
            res.reduceOnlyCancelled.push({ account: n.account, slot: n.slot });
          } else if (size === fillable && fillable < n.remaining) {
            // What this fill leaves of the maker is below the lot: it can never fill.
            this.detachNode(n, "lot-size");
            res.lotSizeCancelled.push({ account: n.account, slot: n.slot });
          }
          left -= size;
          if (stop) break outer;
        }
        n = next;
      }
    }

    res.filled = s.left - left;
    for (const f of res.fills) this.addPending(f);
    if (left === 0n) return; // a taker already in the book leaves it with the Fill events
    const me = { account: o.account, slot: o.slot };
    if (stop === "self-trade") {
      res.dropped = left;
      this.stopTaker(s, "self-trade");
      res.selfTradeCancelled.push(me);
      return;
    }
    if (s.tif === TIF_IOC) {
      res.dropped = left; // the STF kills it at the next millisecond; it stays matchable by rematch()
      return;
    }
    if (stop !== null) {
      res.dropped = left;
      this.stopTaker(s, stop);
      (stop === "reduce-only" ? res.reduceOnlyCancelled : res.lotSizeCancelled).push(me);
      return;
    }
    if (!this.nodes.has(s.key)) this.rest(o, side, s.left);
    res.rested = true;
  }

  /** The session's taker stops matching: out of the book, detached unless IOC (it dies on its own). */
  private stopTaker(s: Session, reason: DetachReason): void {
    s.active = false;
    const n = this.nodes.get(s.key);
    if (n) this.removeNode(n);
    if (s.tif !== TIF_IOC) this.detached.set(s.key, { market: s.o.market, reason, nonce: s.o.nonce });
  }

  private detachNode(n: OrderNode, reason: DetachReason): void {
    this.removeNode(n);
    this.detached.set(n.key, { market: n.market, reason, nonce: n.nonce });
  }

  private rest(o: PlacedOrder, side: Side, remaining: bigint): void {
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
      remaining,
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
   * fields the event lacks (expiry, client id). With `marketConfig` configured, ParamChanged
   * for MARKET_TICK_LOT / LIST_MARKET runs `onMarketChanged`. Returns the orders detached
   * meanwhile (lot-size changes).
   */
  onStfEvents(events: readonly StfEvent[]): SlotRef[] {
    let out: SlotRef[] | null = null;
    for (const e of events) {
      if (e.kind === "Fill") {
        const id = fillId({ makerAccount: e.maker, makerSlot: e.makerSlot, takerAccount: e.taker, takerSlot: e.takerSlot, price: e.price, size: e.size });
        this.resolvePending(id);
        const s = this.session;
        if (s && s.o.account === e.taker && s.o.slot === e.takerSlot) s.left -= e.size;
        this.reduce(e.maker, e.makerSlot, e.market, e.size);
        this.reduce(e.taker, e.takerSlot, e.market, e.size);
      } else if (e.kind === "OrderRemoved") {
        const key = orderKey(e.account, e.slot);
        this.detached.delete(key);
        const n = this.nodeOf(e.account, e.slot);
        if (n) this.removeNode(n);
      } else if (e.kind === "ParamChanged" && (e.key === PARAM_KEYS.MARKET_TICK_LOT || e.key === PARAM_KEYS.LIST_MARKET) && this.marketConfig) {
        const cfg = this.marketConfig(e.target);
        if (cfg) (out ??= []).push(...this.onMarketChanged(e.target, cfg));
      }
    }
    return out ?? [];
  }

  /**
   * The STF refused an emitted fill (`reason`: the receipt's). The book needs no rollback
   * (remaining never moved); what changes is who may go on matching. The side at fault —
   * `blameFill` when configured, else the fallback rule of docs/matching.md — leaves matching:
   * a maker at fault is detached ("fill-refused"); a taker at fault (or "unknown": neither side
   * fails alone) stops, does not rest and is detached unless IOC. Unless the taker stopped,
   * `rematch()` then continues it against the rest of the book.
   */
  onFillRejected(fill: Fill, reason?: string): FillRejection {
    if (!this.resolvePending(fillId(fill))) throw new Error(`fill ${fillId(fill)} was not pending`);
    const s = this.session;
    const mine = s !== null && s.o.account === fill.takerAccount && s.o.slot === fill.takerSlot ? s : null;
    let blamed: FillRejection["blamed"];
    if (this.blameFill) {
      const b = this.blameFill(fill, s?.now ?? 0n);
      blamed = b.maker !== null ? (b.taker !== null ? "both" : "maker") : b.taker !== null ? "taker" : "unknown";
    } else if (reason !== undefined && !FALLBACK_SIDE_REASONS.has(reason)) {
      blamed = "unknown"; // a refusal about the pair (or the market): no side to blame
    } else {
      // Fallback: the maker's fault (the usual case: several resting orders each passed
      // placement but not together), unless this taker already had a fill refused against
      // another maker account — then the taker is the one that fails.
      const other = mine?.guessed != null && [...mine.guessed].some((a) => a !== fill.makerAccount);
      blamed = other ? "taker" : "maker";
      if (mine && !other) (mine.guessed ??= new Set()).add(fill.makerAccount);
    }
    const out: FillRejection = { blamed, evicted: null, takerStopped: false, rematch: false };
    if (blamed === "maker" || blamed === "both") {
      const n = this.nodeOf(fill.makerAccount, fill.makerSlot);
      if (n) {
        this.detachNode(n, "fill-refused");
        out.evicted = { account: n.account, slot: n.slot };
      }
    }
    if (mine) {
      if (blamed !== "maker") {
        if (mine.active) this.stopTaker(mine, "fill-refused");
        mine.refused = false;
        out.takerStopped = true;
      } else if (mine.active) {
        mine.refused = true;
      }
      out.rematch = mine.refused;
    }
    return out;
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
      .map(([key, d]) => ({ account: keyAccount(key), slot: keySlot(key), market: d.market, reason: d.reason }));
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

  // ---------------------------------------------------------------- restart

  /**
   * The part of the engine the STF state does not hold, for a snapshot: every resting
   * order's (account, slot, nonce) in arrival order (so, within each price level, time
   * priority), the detached records, and the dead-man deadlines. Compact and versioned
   * (layout in docs/matching.md, "Restart"). Call it at the point the state snapshot is taken,
   * between operations (throws while fills are pending or a rematch is due).
   */
  exportPriority(): Uint8Array {
    if (this.pendingCount > 0) throw new Error(`${this.pendingCount} emitted fill(s) not yet confirmed or rejected`);
    if (this.session?.refused) throw new Error("a refused fill awaits rematch()");
    const orders = [...this.nodes.values()].sort((a, b) => a.seq - b.seq);
    const detached = [...this.detached].sort(([a], [b]) => a - b);
    const deadlines = [...this.deadlines].sort(([a], [b]) => a - b);
    const out = new Uint8Array(PRIORITY_MAGIC.length + 1 + 12 + 13 * orders.length + 14 * detached.length + 12 * deadlines.length);
    const v = new DataView(out.buffer);
    let at = 0;
    for (const b of PRIORITY_MAGIC) out[at++] = b;
    out[at++] = PRIORITY_VERSION;
    const u32 = (x: number) => {
      v.setUint32(at, x, true);
      at += 4;
    };
    const u64 = (x: bigint) => {
      v.setBigUint64(at, BigInt.asUintN(64, x), true);
      at += 8;
    };
    u32(orders.length);
    for (const n of orders) {
      u32(n.account);
      out[at++] = n.slot;
      u64(n.nonce);
    }
    u32(detached.length);
    for (const [key, d] of detached) {
      u32(keyAccount(key));
      out[at++] = keySlot(key);
      u64(d.nonce);
      out[at++] = DETACH_CODES.indexOf(d.reason);
    }
    u32(deadlines.length);
    for (const [account, when] of deadlines) {
      u32(account);
      u64(when);
    }
    return out;
  }

  /**
   * Rebuilds an engine after a restart from the STF's live orders (`source`, e.g. the
   * snapshot's CrossmarginState; `now`: its clock) and the `exportPriority` bytes taken with
   * that snapshot (null: none). Orders come back with the STF's remaining, in the exported
   * priority; an exported entry whose slot no longer holds that order (other nonce, dead) is
   * skipped; a live STF order missing from the export goes to the back of its level, those
   * ordered by (nonce, account, slot). IOC orders never rest; detached records come back
   * for orders still live; a restored order that would cross the book is detached
   * ("crossed-on-restore"), one below the market's lot is detached ("lot-size"). `cfg`
   * must know every market the STF lists.
   */
  static restore(cfg: EngineConfig, priority: Uint8Array | null, source: LiveOrderSource, now: bigint): MatchingEngine {
    const e = new MatchingEngine(cfg);
    const dec = priority ? decodePriority(priority) : { orders: [], detached: [], deadlines: [] };
    const used = new Set<OrderKey>();
    const liveAt = (account: number, slot: number, nonce?: bigint): Order | null => {
      const o = slot < ORDER_SLOTS ? (source.accounts[account]?.orders[slot] ?? null) : null;
      if (!isLive(o, now) || (nonce !== undefined && o.nonce !== nonce)) return null;
      if (o.market >= e.books.length) throw new Error(`the STF's market ${o.market} is not in the engine config`);
      return o;
    };
    const place = (account: number, slot: number, o: Order) => {
      const key = orderKey(account, slot);
      used.add(key);
      if (tif(o.flags) === TIF_IOC) return; // lives only at its placement millisecond; never rests
      const placed: PlacedOrder = { account, slot, market: o.market, flags: o.flags, price: o.price, size: o.size, expiry: o.expiry, clientOrderId: o.clientOrderId, nonce: o.nonce };
      const side = sideOf(o.flags);
      const reason: DetachReason | null =
        o.remaining < e.lots[o.market]! ? "lot-size" : e.crossesAny(o.market, side, o.price) ? "crossed-on-restore" : null;
      if (reason) e.detached.set(key, { market: o.market, reason, nonce: o.nonce });
      else e.rest(placed, side, o.remaining);
    };
    for (const r of dec.orders) {
      const o = used.has(orderKey(r.account, r.slot)) ? null : liveAt(r.account, r.slot, r.nonce);
      if (o) place(r.account, r.slot, o);
    }
    for (const r of dec.detached) {
      const key = orderKey(r.account, r.slot);
      const o = used.has(key) ? null : liveAt(r.account, r.slot, r.nonce);
      if (!o) continue;
      used.add(key);
      e.detached.set(key, { market: o.market, reason: r.reason, nonce: o.nonce });
    }
    const rest: { account: number; slot: number; o: Order }[] = [];
    source.accounts.forEach((_, account) => {
      for (let slot = 0; slot < ORDER_SLOTS; slot++) {
        if (used.has(orderKey(account, slot))) continue;
        const o = liveAt(account, slot);
        if (o) rest.push({ account, slot, o });
      }
    });
    rest.sort((a, b) => (a.o.nonce < b.o.nonce ? -1 : a.o.nonce > b.o.nonce ? 1 : a.account - b.account || a.slot - b.slot));
    for (const r of rest) place(r.account, r.slot, r.o);
    for (const d of dec.deadlines) e.scheduleCancelAll(d.account, d.at);
    return e;
  }

  /** Any opposite order at a price `price` crosses (expiry not considered: restore only). */
  private crossesAny(market: number, side: Side, price: bigint): boolean {
    const best = this.book(market).side(opposite(side)).best();
    return best !== undefined && crosses(side, price, best.price);
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
