/**
 * Bench fixtures for measuring fills alone: crossing order pairs are placed first (not
 * timed), then the Fill ops that match them are timed. Prices sit at the market's current
 * oracle price, sizes are a few lots, so every fill passes its margin checks.
 */
import {
  FLAG_SELL,
  ORDER_SLOTS,
  TIF_GTC,
  TIF_POST_ONLY,
  TIF_SHIFT,
  applyOp,
  type CrossmarginState,
  type Fill,
  type PlaceOrder,
} from "../sequencer/state/index.js";
import { MARKETS, MARKET_COUNT, type Population, type Rng, ZERO_SIGNATURE } from "./workload.js";

/** Per-account nonce source: nonce = max(now, last + 1), the way a client picks them. */
export class Nonces {
  private readonly last = new Map<number, bigint>();
  next(acct: number, now: bigint): bigint {
    const l = this.last.get(acct) ?? 0n;
    const n = l >= now ? l + 1n : now;
    this.last.set(acct, n);
    return n;
  }
}

export interface PairOptions {
  /** Number of maker/taker order pairs. */
  pairs: number;
  timestamp: bigint;
  maker: (rng: Rng) => number;
  taker: (rng: Rng) => number;
  /** Probability that a pair is matched by two fills of half the size (partial, then rest). */
  splitProbability: number;
}

/**
 * Places `pairs` crossing orders (maker post-only, taker GTC at the same price) and returns
 * the fills matching them. Accounts whose slots are nearly full are skipped (re-drawn).
 */
export function placeCrossingPairs(
  state: CrossmarginState,
  pop: Population,
  rng: Rng,
  nonces: Nonces,
  opts: PairOptions,
): { fills: Fill[]; markets: number[] } {
  const fills: Fill[] = [];
  /** markets[i] is the market of fills[i] (a Fill names slots, not its market). */
  const markets: number[] = [];
  const used = new Map<number, number>();
  const now = opts.timestamp;
  const place = (account: number, market: number, sell: boolean, tif: number, price: bigint, size: bigint): number => {
    const op: PlaceOrder = {
      type: "PlaceOrder",
      account,
      nonce: nonces.next(account, now),
      market,
      flags: (sell ? FLAG_SELL : 0) | (tif << TIF_SHIFT),
      price,
      size,
      expiry: 0n,
      clientOrderId: 0n,
      signature: ZERO_SIGNATURE,
    };
    const r = applyOp(state, op, { timestamp: now, signer: pop.owner(account) });
    const e = r.events.find((x) => x.kind === "OrderPlaced");
    if (!r.ok || e?.kind !== "OrderPlaced") throw new Error(`fixture order rejected: ${r.reason} ${r.detail ?? ""}`);
    return e.slot;
  };
  const draw = (f: (rng: Rng) => number, other = -1): number => {
    for (;;) {
      const a = f(rng);
      // Leave slack below ORDER_SLOTS: the account may hold orders from earlier rounds.
      if (a !== other && (used.get(a) ?? 0) < ORDER_SLOTS / 2) {
        used.set(a, (used.get(a) ?? 0) + 1);
        return a;
      }
    }
  };
  for (let i = 0; i < opts.pairs; i++) {
    const m = rng.int(MARKET_COUNT);
    const spec = MARKETS[m]!;
    const market = state.markets[m]!;
    const price = (market.oraclePrice / spec.tickSize) * spec.tickSize;
    const lots = BigInt(2 + 2 * rng.int(5));
    const size = lots * spec.lotSize;
    const makerSells = rng.chance(0.5);
    const maker = draw(opts.maker);
    const taker = draw(opts.taker, maker);
    const makerSlot = place(maker, m, makerSells, TIF_POST_ONLY, price, size);
    const takerSlot = place(taker, m, !makerSells, TIF_GTC, price, size);
    const base = { type: "Fill", makerAccount: maker, makerSlot, takerAccount: taker, takerSlot, price } as const;
    if (rng.chance(opts.splitProbability)) {
      const half = (lots / 2n) * spec.lotSize;
      fills.push({ ...base, size: half }, { ...base, size: size - half });
      markets.push(m, m);
    } else {
      fills.push({ ...base, size });
      markets.push(m);
    }
  }
  return { fills, markets };
}
