/**
 * The reference workload (/work/shared/WORKLOAD.md) as a deterministic generator, shared by
 * benches and tests so every figure is measured against the same traffic.
 *
 * - `workloadGenesis()`: 20 markets, 2 collateral assets, a fixed oracle signer set.
 * - `Population`: account owners (cheap synthetic addresses, or real keys in signed mode).
 * - `setupItems()`: the Deposit ops that create the accounts (the L1 vault assigns indices
 *   in order), SetMarginMode ops (market makers and 30% of takers trade cross) and
 *   SetPortfolioMargin for 5% of accounts.
 * - `WorkloadGenerator`: the message stream. It is stateful and driven in lockstep with the
 *   STF: `next()` returns one item, the caller applies it and hands the receipt back with
 *   `observe()` before asking for the next. The generator never reads the state; it keeps
 *   its own model of resting orders, positions and session keys from the receipts' events,
 *   which is what a real matching engine sees, so its Fill ops name live order slots.
 * - `stressPricePath()` / `stressOracleItems()`: the liquidation-bench price path.
 *
 * Signatures: by default ops carry a zero signature and `ctx` holds the signer the
 * pre-pass would recover (STF benches exclude signatures). `new Population(n, true)` signs
 * every op for real (EIP-712, `BENCH_DOMAIN`) for end-to-end benches; slower.
 *
 * Determinism: only integer PRNG output and IEEE +,−,×,÷,sqrt feed the choices (no
 * Math.random, no transcendental functions whose last bit may differ between engines).
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import {
  ALL_MARKETS,
  CANCEL_BY_CLIENT_ID,
  FLAG_SELL,
  MODE_CROSS,
  ORDER_SLOTS,
  PRICE_KIND_ASSET,
  PRICE_KIND_MARKET,
  SIZE_SCALE,
  TIF_GTC,
  TIF_IOC,
  TIF_POST_ONLY,
  TIF_SHIFT,
  applyOp,
  signDigest,
  signingDigest,
  type CrossmarginState,
  type GenesisConfig,
  type Hex,
  type Op,
  type OpContext,
  type OracleUpdate,
  type PlaceOrder,
  type PricePoint,
  type Receipt,
  type SignedOp,
  type SigningDomain,
} from "../sequencer/state/index.js";

// ─── PRNG ─────────────────────────────────────────────────────────────────────────────

/** xoshiro128** seeded through splitmix32: 32-bit integer math only, so every engine agrees. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed | 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let t = s ^ (s >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
  }

  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }
  /** Uniform in [0, 1) with 32 bits of resolution. */
  float(): number {
    return this.u32() / 4294967296;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  /** Standard normal, approximated by the Irwin–Hall sum of 12 uniforms (no log/cos needed). */
  normal(): number {
    let s = 0;
    for (let i = 0; i < 12; i++) s += this.float();
    return s - 6;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Samples index i ∈ [0, n) with probability ∝ 1/(i+1) (Zipf, exponent 1) by CDF search. */
export class ZipfSampler {
  private readonly cdf: Float64Array;
  constructor(readonly n: number) {
    this.cdf = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) this.cdf[i] = acc += 1 / (i + 1);
    for (let i = 0; i < n; i++) this.cdf[i]! /= acc;
  }
  /** Probability of index i. */
  share(i: number): number {
    return this.cdf[i]! - (i === 0 ? 0 : this.cdf[i - 1]!);
  }
  sample(rng: Rng): number {
    const u = rng.float();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! <= u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

// ─── Markets, assets, genesis ─────────────────────────────────────────────────────────

/** Genesis time (ms); every generated timestamp is after it. */
export const T0 = 1_750_000_000_000n;
export const QUOTE_ATOMS_PER_USD = 1_000_000;
const USD = 1_000_000n;

export interface MarketSpec {
  symbol: string;
  /** Starting price, USD per whole base unit. */
  priceUsd: number;
  /** Quote atoms (1e-6 USD) per whole base unit. */
  price: bigint;
  tickSize: bigint;
  lotSize: bigint;
}

/** Starting prices: one near 60,000, one near 3,000, 18 spread between 500 and 0.1. */
const START_PRICES: [string, number][] = [
  ["BTC", 60_000],
  ["ETH", 3_000],
  ...(
    [500, 310, 190, 120, 75, 46, 28, 17, 10.5, 6.5, 4, 2.45, 1.5, 0.92, 0.56, 0.34, 0.21, 0.1] as const
  ).map((p, i): [string, number] => [`ALT${i + 2}`, p]),
];

function pow10(e: number): bigint {
  return 10n ** BigInt(e);
}

/**
 * Tick ≈ 1e-5 of the price (a power of ten in quote atoms); lot the smallest power of ten
 * with tick × lot a multiple of 1e8 (the STF's exact-quote rule) and worth at least 1 USD.
 */
function specOf(symbol: string, priceUsd: number): MarketSpec {
  const price = BigInt(Math.round(priceUsd * QUOTE_ATOMS_PER_USD));
  let tickExp = 0;
  while (pow10(tickExp + 1) * 100_000n <= price) tickExp++;
  let lotExp = Math.max(0, 8 - tickExp);
  while ((pow10(lotExp) * price) / SIZE_SCALE < USD) lotExp++;
  return { symbol, priceUsd, price, tickSize: pow10(tickExp), lotSize: pow10(lotExp) };
}

export const MARKETS: readonly MarketSpec[] = START_PRICES.map(([s, p]) => specOf(s, p));
export const MARKET_COUNT = MARKETS.length;
/** Asset 1 (ETH-like) is priced by the ETH market's walk. */
export const ETH_MARKET = 1;
export const ETH_ATOMS = 10n ** 18n;

/** Progressive tiers: majors 5% initial up to $1M notional; alts 10%. Maintenance is half. */
function tiersFor(m: number) {
  const base = m < 2 ? 50_000n : 100_000n;
  return [
    { notionalCap: 1_000_000n * USD, imfPpm: base, mmfPpm: base / 2n },
    { notionalCap: 10_000_000n * USD, imfPpm: base * 2n, mmfPpm: base },
    { notionalCap: 0n, imfPpm: base * 4n, mmfPpm: base * 2n },
  ];
}

/** Fixed private keys of the oracle signer set (2 of 3). Test keys: never use elsewhere. */
export const ORACLE_KEYS: readonly Hex[] = [1, 2, 3].map((i) => keyFrom(`crossmargin-bench/oracle/${i}`));
export const ORACLE_SIGNERS: readonly Hex[] = ORACLE_KEYS.map(addressOf);
export const ORACLE_THRESHOLD = 2;

/** The EIP-712 domain signed-mode items are signed for (anvil's chain id, a fixed address). */
export const BENCH_DOMAIN: SigningDomain = { chainId: 31337n, verifyingContract: "0x00000000000000000000000000000000c0ffee01" };

export const GENESIS_PARAMS = {
  /** A market whose price is older than this trades reduce-only; oracle updates come every ~50 ms. */
  maxOracleAgeMs: 60_000n,
  /** 10%: a one-message move larger than this is refused (the stress path moves far less per step). */
  oracleBandPpm: 100_000n,
  /** One day, so a busy account whose nonces run ahead of the clock (nonce = max(now, last+1)) stays inside. */
  nonceWindowMs: 86_400_000n,
};
/**
 * The governed minimum funding interval (the default is an hour): with 20 markets it allows
 * a tick every 3 s, enough for the mix's 0.1% share at the generator's 250 messages/s.
 */
export const FUNDING_INTERVAL_MS = 60_000n;

export function workloadGenesis(): GenesisConfig {
  return {
    ...GENESIS_PARAMS,
    oracleThreshold: ORACLE_THRESHOLD,
    oracleSigners: [...ORACLE_SIGNERS],
    risk: { fundingIntervalMs: FUNDING_INTERVAL_MS },
    assets: [
      { decimals: 6, weightPpm: 1_000_000n, oraclePrice: USD, oracleTimestamp: T0 },
      { decimals: 18, weightPpm: 800_000n, oraclePrice: MARKETS[ETH_MARKET]!.price, oracleTimestamp: T0 },
    ],
    markets: MARKETS.map((s, m) => ({
      tickSize: s.tickSize,
      lotSize: s.lotSize,
      tiers: tiersFor(m),
      oraclePrice: s.price,
      oracleTimestamp: T0,
    })),
  };
}

// ─── Keys and accounts ────────────────────────────────────────────────────────────────

function toHex(b: Uint8Array): Hex {
  return `0x${Buffer.from(b).toString("hex")}`;
}
/** A secp256k1 private key from a label (sha256; below the curve order with overwhelming odds). */
function keyFrom(label: string): Hex {
  return toHex(sha256(new TextEncoder().encode(label)));
}
export function addressOf(privateKey: Hex): Hex {
  const pub = secp256k1.getPublicKey(Buffer.from(privateKey.slice(2), "hex"), false);
  return toHex(keccak_256(pub.subarray(1)).subarray(12));
}

/** Market makers: the first accounts (indices 0..49); the long tail follows. */
export const MARKET_MAKERS = 50;
export const ZERO_SIGNATURE: Hex = `0x${"00".repeat(65)}`;

/**
 * Who owns account i. Unsigned mode uses synthetic addresses (free to compute for a
 * million accounts); signed mode derives a private key per account, slower but real.
 */
export class Population {
  private readonly keys = new Map<number, Hex>();
  private readonly owners = new Map<number, Hex>();
  constructor(
    readonly accounts: number,
    readonly signed = false,
    readonly seed = 1,
  ) {
    if (accounts <= MARKET_MAKERS) throw new Error(`need more than ${MARKET_MAKERS} accounts`);
  }
  privateKey(i: number): Hex {
    let k = this.keys.get(i);
    if (k === undefined) this.keys.set(i, (k = keyFrom(`crossmargin-bench/account/${this.seed}/${i}`)));
    return k;
  }
  owner(i: number): Hex {
    if (!this.signed) return `0x${(0xac00_0000 + this.seed).toString(16).padStart(8, "0")}${i.toString(16).padStart(32, "0")}`;
    let o = this.owners.get(i);
    if (o === undefined) this.owners.set(i, (o = addressOf(this.privateKey(i))));
    return o;
  }
}

// ─── Items ────────────────────────────────────────────────────────────────────────────

/** Client messages of the mix, plus what the sequencer adds (fills) and setup traffic. */
export type MessageKind = "place" | "cancel" | "taker" | "oracle" | "funding" | "funds" | "sessionKey";
export type ItemKind = MessageKind | "fill" | "setup";

export interface WorkItem {
  timestamp: bigint;
  op: Op;
  /** What the signature pre-pass would recover (the signer is known, so benches skip it). */
  ctx: OpContext;
  kind: ItemKind;
}

/**
 * The documented mix, percent of messages. Funding ticks are the sequencer's, not a client's,
 * but count as messages here as in WORKLOAD.md.
 */
export const MIX: Readonly<Record<MessageKind, number>> = {
  place: 55,
  cancel: 33,
  taker: 8,
  oracle: 2,
  funding: 0.1,
  funds: 1.5,
  sessionKey: 0.4,
};
/** Share of all messages sent by the 50 market makers. They only quote and cancel. */
export const MM_SHARE = 80;

function sign(op: SignedOp, pop: Population, signer: number): void {
  op.signature = signDigest(signingDigest(op, BENCH_DOMAIN), pop.privateKey(signer));
}

function ctxFor(pop: Population, account: number, timestamp: bigint): OpContext {
  return { timestamp, signer: pop.owner(account) };
}

/** An all-markets (and asset 1) oracle update with its signatures and recovered signers. */
export function oracleItem(timestamp: bigint, marketPrices: readonly bigint[], assetPrice: bigint, signed: boolean): WorkItem {
  const prices: PricePoint[] = marketPrices.map((price, id) => ({ kind: PRICE_KIND_MARKET, id, price }));
  prices.push({ kind: PRICE_KIND_ASSET, id: 1, price: assetPrice });
  const op: OracleUpdate = { type: "OracleUpdate", timestamp, prices, signatures: [] };
  if (signed) {
    const digest = signingDigest(op, BENCH_DOMAIN);
    op.signatures = ORACLE_KEYS.map((k) => signDigest(digest, k));
  } else op.signatures = ORACLE_SIGNERS.map(() => ZERO_SIGNATURE);
  return { timestamp, op, ctx: { timestamp, signer: null, oracleSigners: [...ORACLE_SIGNERS] }, kind: "oracle" };
}

export interface SetupOptions {
  /** Queue index of the first deposit: the state's `l1.nextIndex`. */
  queueIndex?: bigint;
  /**
   * Cross margin for every market maker and 30% of takers in every market, portfolio margin
   * for a sixth of those takers (5% of accounts), as WORKLOAD.md describes.
   */
  marginModes?: boolean;
  timestamp?: bigint;
}

/** Collateral: market makers $50M and 100 ETH; takers $50k + $5M/rank (Zipf-active accounts hold more). */
export function depositAmount(i: number): bigint {
  if (i < MARKET_MAKERS) return 50_000_000n * USD;
  return 50_000n * USD + (5_000_000n * USD) / BigInt(i - MARKET_MAKERS + 1);
}
/** A fixed hash of the index in [0, 1), so membership does not depend on the PRNG's position. */
function indexHash(i: number): number {
  return (Math.imul(i, 0x9e3779b1) >>> 0) / 4294967296;
}
/** 30% of takers trade cross (the other 70% keep the isolated default). */
export function isCrossTaker(i: number): boolean {
  return i >= MARKET_MAKERS && indexHash(i) < 0.3;
}
/** 5% of all accounts put their cross pool on portfolio margin: a sixth of the cross takers. */
export function isPortfolioAccount(i: number): boolean {
  return i >= MARKET_MAKERS && indexHash(i) < 0.3 / 6;
}

/** Deposit ops creating accounts [from, from+count), one per account (plus ETH for market makers). */
export function* depositItems(pop: Population, from: number, count: number, queueIndex: bigint, timestamp = T0): Generator<WorkItem> {
  let q = queueIndex;
  for (let i = from; i < from + count; i++) {
    const owner = pop.owner(i);
    yield { timestamp, op: { type: "Deposit", queueIndex: q++, account: i, owner, asset: 0, amount: depositAmount(i) }, ctx: { timestamp, signer: null }, kind: "setup" };
    if (i < MARKET_MAKERS) {
      yield { timestamp, op: { type: "Deposit", queueIndex: q++, account: i, owner, asset: 1, amount: 100n * ETH_ATOMS }, ctx: { timestamp, signer: null }, kind: "setup" };
    }
  }
}

/** Everything before the stream: accounts, collateral and margin modes. */
export function setupItems(pop: Population, opts: SetupOptions = {}): WorkItem[] {
  const ts = opts.timestamp ?? T0;
  const items = [...depositItems(pop, 0, pop.accounts, opts.queueIndex ?? 0n, ts)];
  if (opts.marginModes ?? true) {
    for (let i = 0; i < pop.accounts; i++) {
      if (i >= MARKET_MAKERS && !isCrossTaker(i)) continue;
      for (let m = 0; m < MARKET_COUNT; m++) {
        // Nonces below the setup time, so the stream's nonces (from the clock on) never collide.
        const nonce = ts - BigInt(MARKET_COUNT - m);
        const op: SignedOp = { type: "SetMarginMode", account: i, nonce, market: m, mode: MODE_CROSS, signature: ZERO_SIGNATURE };
        if (pop.signed) sign(op, pop, i);
        items.push({ timestamp: ts, op, ctx: ctxFor(pop, i, ts), kind: "setup" });
      }
      if (isPortfolioAccount(i)) {
        // Nonce = the setup time: above the margin-mode nonces, below the stream's.
        const op: SignedOp = { type: "SetPortfolioMargin", account: i, nonce: ts, enabled: 1, signature: ZERO_SIGNATURE };
        if (pop.signed) sign(op, pop, i);
        items.push({ timestamp: ts, op, ctx: ctxFor(pop, i, ts), kind: "setup" });
      }
    }
  }
  return items;
}

/** Applies items to the state; throws on the first rejection (setup must not fail). */
export function applyAll(state: CrossmarginState, items: Iterable<WorkItem>): number {
  let n = 0;
  for (const it of items) {
    const r = applyOp(state, it.op, it.ctx);
    if (!r.ok) throw new Error(`setup op ${n} (${it.op.type}) rejected: ${r.reason} ${r.detail ?? ""}`);
    n++;
  }
  return n;
}

// ─── The stream ───────────────────────────────────────────────────────────────────────

interface Resting {
  account: number;
  slot: number;
  market: number;
  sell: boolean;
  price: bigint;
  remaining: bigint;
  expiry: bigint;
  clientOrderId: bigint;
}

export interface GeneratorOptions {
  seed?: number;
  population: Population;
  /** Queue index of the next L1 input (after setup). */
  queueIndex: bigint;
  /**
   * Virtual time between messages (default 4 ms: 250 messages/s); fills share their taker
   * order's timestamp. It paces everything time-based: the price walk's volatility, quote
   * expiry, and how many funding ticks the funding interval allows.
   */
  msPerMessage?: number;
  startTime?: bigint;
  /** Lifetime of market-maker quotes: stale quotes expire, so order slots recycle. */
  quoteTtlMs?: number;
}

export interface GeneratorStats {
  /** Messages emitted, by kind (fills are not messages: they count under `emitted.fill`). */
  messages: Record<MessageKind, number>;
  /** Items emitted, by kind, and how many the STF accepted. */
  emitted: Record<ItemKind, number>;
  accepted: Record<ItemKind, number>;
  rejected: Record<string, number>;
  mmMessages: number;
}

const DAY_MS = 86_400_000;
const DAILY_VOL = 0.03;

function emptyCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}
const MESSAGE_KINDS = Object.keys(MIX) as MessageKind[];
const ITEM_KINDS: ItemKind[] = [...MESSAGE_KINDS, "fill", "setup"];

/**
 * The message stream. Protocol: `item = next()`, apply it, `observe(item, receipt)`, repeat.
 * Fills are generated after the taker order's receipt names its slot.
 */
export class WorkloadGenerator {
  readonly rng: Rng;
  readonly pop: Population;
  now: bigint;
  private queueIndex: bigint;
  private readonly msPerMessage: bigint;
  private readonly quoteTtl: bigint;
  private readonly tail: ZipfSampler;
  /** Current prices in USD (the random walk) and when the oracle last published them. */
  readonly priceUsd: number[] = MARKETS.map((s) => s.priceUsd);
  private lastOracle: number;

  // Model of the state, from receipts.
  private readonly slots = new Map<number, (Resting | null)[]>();
  private readonly book: Resting[][][] = MARKETS.map(() => [[], []]);
  private readonly positions = new Map<number, bigint>();
  private readonly sessionKeys = new Map<number, Hex[]>();
  private readonly nonces = new Map<number, bigint>();
  private readonly clientIds = new Map<number, bigint>();
  private readonly pending: WorkItem[] = [];
  /** The taker order awaiting its receipt, with the maker orders it will hit. */
  private takerPlan: { makers: Resting[]; sizes: bigint[] } | null = null;
  private keyCounter = 0;
  /** Funding ticks drawn but not yet sent because no market was due (interval not elapsed). */
  private fundingOwed = 0;
  private readonly lastFunding: bigint[] = MARKETS.map(() => 0n);

  readonly stats: GeneratorStats = {
    messages: emptyCounts(MESSAGE_KINDS),
    emitted: emptyCounts(ITEM_KINDS),
    accepted: emptyCounts(ITEM_KINDS),
    rejected: {},
    mmMessages: 0,
  };

  constructor(opts: GeneratorOptions) {
    this.rng = new Rng(opts.seed ?? 1);
    this.pop = opts.population;
    this.queueIndex = opts.queueIndex;
    this.msPerMessage = BigInt(opts.msPerMessage ?? 4);
    this.quoteTtl = BigInt(opts.quoteTtlMs ?? 10_000);
    this.now = opts.startTime ?? T0;
    this.lastOracle = Number(this.now);
    this.tail = new ZipfSampler(this.pop.accounts - MARKET_MAKERS);
  }

  next(): WorkItem {
    const p = this.pending.shift();
    if (p !== undefined) return this.emit(p);
    let kind = this.drawKind();
    // A market accepts one funding tick per interval: a tick drawn while none is due waits
    // (and this draw is replaced) until one is, so the share holds over a run.
    while (kind === "funding") {
      this.fundingOwed++;
      kind = this.drawKind();
    }
    this.now += this.msPerMessage;
    const item = (this.fundingOwed > 0 && this.fundingTick()) || this.message(kind);
    this.stats.messages[item.kind as MessageKind]++;
    return this.emit(item);
  }

  /** Feeds the receipt of the item `next()` returned back into the model. */
  observe(item: WorkItem, r: Receipt): void {
    if (r.ok) this.stats.accepted[item.kind]++;
    else this.stats.rejected[`${item.kind}:${r.reason}`] = (this.stats.rejected[`${item.kind}:${r.reason}`] ?? 0) + 1;
    const op = item.op;
    for (const e of r.events) {
      switch (e.kind) {
        case "OrderPlaced": {
          const o = op as PlaceOrder;
          // The STF caps an IOC order's expiry at its own timestamp (placeOrder.ts).
          const ioc = ((o.flags >> TIF_SHIFT) & 3) === TIF_IOC;
          const expiry = ioc && (o.expiry === 0n || o.expiry > item.timestamp) ? item.timestamp : o.expiry;
          this.addOrder(!ioc, {
            account: e.account,
            slot: e.slot,
            market: e.market,
            sell: (e.flags & FLAG_SELL) !== 0,
            price: e.price,
            remaining: e.size,
            expiry,
            clientOrderId: o.clientOrderId,
          });
          break;
        }
        case "OrderRemoved":
          this.removeOrder(e.account, e.slot);
          break;
        case "Fill":
          for (const [a, s] of [
            [e.maker, e.makerSlot],
            [e.taker, e.takerSlot],
          ] as const) {
            const o = this.slots.get(a)?.[s];
            if (o) o.remaining -= e.size;
          }
          break;
        case "PositionChanged":
          this.positions.set(e.account * 64 + e.market, e.size);
          break;
        case "SessionKeyGranted":
          this.sessionKeys.set(e.account, [...(this.sessionKeys.get(e.account) ?? []), e.key]);
          break;
        case "SessionKeyRevoked":
          this.sessionKeys.set(e.account, (this.sessionKeys.get(e.account) ?? []).filter((k) => k !== e.key));
          break;
      }
    }
    const plan = this.takerPlan;
    if (plan !== null && item.kind === "taker") {
      this.takerPlan = null;
      const placed = r.events.find((e) => e.kind === "OrderPlaced");
      if (placed?.kind === "OrderPlaced") {
        plan.makers.forEach((m, i) => {
          this.pending.push({
            timestamp: item.timestamp,
            op: {
              type: "Fill",
              makerAccount: m.account,
              makerSlot: m.slot,
              takerAccount: placed.account,
              takerSlot: placed.slot,
              price: m.price,
              size: plan.sizes[i]!,
            },
            ctx: { timestamp: item.timestamp, signer: null },
            kind: "fill",
          });
        });
      }
    }
  }

  /** Runs `messages` client messages (and their fills) through the STF; returns every item. */
  drive(state: CrossmarginState, messages: number, record = true): WorkItem[] {
    const out: WorkItem[] = [];
    const target = this.messageCount() + messages;
    while (this.messageCount() < target || this.pending.length > 0) {
      const it = this.next();
      this.observe(it, applyOp(state, it.op, it.ctx));
      if (record) out.push(it);
    }
    return out;
  }

  messageCount(): number {
    let n = 0;
    for (const k of MESSAGE_KINDS) n += this.stats.messages[k];
    return n;
  }

  // ── choosing ──

  private emit(item: WorkItem): WorkItem {
    this.stats.emitted[item.kind]++;
    return item;
  }

  /** Draws a message kind. Market makers send 80% of messages, all of them quotes or cancels. */
  private drawKind(): MessageKind {
    let u = this.rng.float() * 100;
    for (const k of MESSAGE_KINDS) {
      if (u < MIX[k]) return k;
      u -= MIX[k];
    }
    return "place";
  }

  private message(kind: MessageKind): WorkItem {
    switch (kind) {
      case "oracle":
        return this.oracle();
      case "taker":
        return this.taker() ?? this.quote(this.tailAccount());
      case "funds":
        return this.funds();
      case "sessionKey":
        return this.sessionKey();
      case "place":
      case "cancel": {
        // Of place+cancel (88%), market makers send 80 points; the tail the other 8.
        const mm = this.rng.float() * (MIX.place + MIX.cancel) < MM_SHARE;
        if (mm) this.stats.mmMessages++;
        const acct = mm ? this.rng.int(MARKET_MAKERS) : this.tailAccount();
        const live = this.liveOrders(acct);
        if (kind === "place" && live.length < ORDER_SLOTS - 4) return this.quote(acct);
        return this.cancel(acct, live);
      }
      default:
        throw new Error(`unexpected kind ${kind}`);
    }
  }

  private tailAccount(): number {
    return MARKET_MAKERS + this.tail.sample(this.rng);
  }

  /** Majors get a larger share of the traffic: BTC 20%, ETH 15%, each alt 65%/18. */
  private market(): number {
    const u = this.rng.float();
    if (u < 0.2) return 0;
    if (u < 0.35) return 1;
    return 2 + this.rng.int(MARKET_COUNT - 2);
  }

  private nonce(acct: number): bigint {
    const last = this.nonces.get(acct) ?? 0n;
    const n = last >= this.now ? last + 1n : this.now;
    this.nonces.set(acct, n);
    return n;
  }
  private clientOrderId(acct: number): bigint {
    const c = (this.clientIds.get(acct) ?? 0n) + 1n;
    this.clientIds.set(acct, c);
    return c;
  }

  private signed(op: SignedOp, kind: MessageKind): WorkItem {
    if (this.pop.signed) sign(op, this.pop, op.account);
    return { timestamp: this.now, op, ctx: ctxFor(this.pop, op.account, this.now), kind };
  }

  /** Oracle price in quote atoms of market m from the walk. */
  private oraclePrice(m: number): bigint {
    return BigInt(Math.max(1, Math.round(this.priceUsd[m]! * QUOTE_ATOMS_PER_USD)));
  }

  /** Side that reduces the account's position in m with probability 0.6, so inventories stay bounded. */
  private side(acct: number, m: number): boolean {
    const pos = this.positions.get(acct * 64 + m) ?? 0n;
    if (pos !== 0n && this.rng.chance(0.6)) return pos > 0n;
    return this.rng.chance(0.5);
  }

  /** Lots worth about `usd` in market m (at least one). */
  private lotsFor(m: number, usd: number): bigint {
    const s = MARKETS[m]!;
    const lotUsd = (Number(s.lotSize) * this.priceUsd[m]!) / Number(SIZE_SCALE);
    return BigInt(Math.max(1, Math.round(usd / lotUsd)));
  }

  /** A resting maker quote 1..20 ticks behind the current price. */
  private quote(acct: number): WorkItem {
    const m = this.market();
    const s = MARKETS[m]!;
    const sell = this.side(acct, m);
    const mm = acct < MARKET_MAKERS;
    const midTicks = Math.round((this.priceUsd[m]! * QUOTE_ATOMS_PER_USD) / Number(s.tickSize));
    const away = 1 + (mm ? this.rng.int(20) : 10 + this.rng.int(40));
    const ticks = Math.max(1, sell ? midTicks + away : midTicks - away);
    const lots = this.lotsFor(m, mm ? 1_000 + this.rng.int(19_000) : 200 + this.rng.int(5_000));
    const tif = this.rng.chance(0.7) ? TIF_POST_ONLY : TIF_GTC;
    const op: PlaceOrder = {
      type: "PlaceOrder",
      account: acct,
      nonce: this.nonce(acct),
      market: m,
      flags: (sell ? FLAG_SELL : 0) | (tif << TIF_SHIFT),
      price: BigInt(ticks) * s.tickSize,
      size: lots * s.lotSize,
      expiry: this.now + (mm ? this.quoteTtl : 6n * this.quoteTtl),
      clientOrderId: this.clientOrderId(acct),
      signature: ZERO_SIGNATURE,
    };
    return this.signed(op, "place");
  }

  /** Cancel one live order (by slot, or by client id 10% of the time), or cancel-all (5%). */
  private cancel(acct: number, live: Resting[]): WorkItem {
    const nonce = this.nonce(acct);
    if (live.length === 0 || this.rng.chance(0.05)) {
      const market = this.rng.chance(0.5) ? ALL_MARKETS : this.market();
      return this.signed({ type: "CancelAll", account: acct, nonce, market, signature: ZERO_SIGNATURE }, "cancel");
    }
    const o = live[this.rng.int(live.length)]!;
    const byId = this.rng.chance(0.1);
    return this.signed(
      {
        type: "CancelOrder",
        account: acct,
        nonce,
        slot: byId ? CANCEL_BY_CLIENT_ID : o.slot,
        clientOrderId: byId ? o.clientOrderId : 0n,
        signature: ZERO_SIGNATURE,
      },
      "cancel",
    );
  }

  /**
   * An IOC order crossing the best one or two resting orders of other accounts; the fills
   * follow once its receipt gives its slot. Half the takers sweep the best order and part of
   * the next (2 fills), half take part of the best (1 fill): 1.5 fills on average.
   */
  private taker(): WorkItem | null {
    const acct = this.tailAccount();
    for (let attempt = 0; attempt < 4; attempt++) {
      const m = this.market();
      const buy = !this.side(acct, m);
      const makers = this.best(m, buy ? 1 : 0, acct, this.rng.chance(0.5) ? 2 : 1);
      if (makers.length === 0) continue;
      const lot = MARKETS[m]!.lotSize;
      const sizes = makers.map((o, i) =>
        i + 1 < makers.length ? o.remaining : lot * BigInt(1 + this.rng.int(Number(o.remaining / lot))),
      );
      const worst = makers[makers.length - 1]!.price;
      this.takerPlan = { makers, sizes };
      const op: PlaceOrder = {
        type: "PlaceOrder",
        account: acct,
        nonce: this.nonce(acct),
        market: m,
        flags: (buy ? 0 : FLAG_SELL) | (TIF_IOC << TIF_SHIFT),
        price: worst,
        size: sizes.reduce((a, b) => a + b, 0n),
        expiry: 0n,
        clientOrderId: 0n,
        signature: ZERO_SIGNATURE,
      };
      return this.signed(op, "taker");
    }
    return null;
  }

  /** The best `n` live orders on `side` (1 = asks) of market m not owned by `exclude`. */
  private best(m: number, side: number, exclude: number, n: number): Resting[] {
    const list = this.book[m]![side]!;
    const out: Resting[] = [];
    const expired: Resting[] = [];
    for (const o of list) {
      if (o.expiry !== 0n && o.expiry < this.now) expired.push(o);
      else if (o.account !== exclude && o.remaining > 0n) out.push(o);
    }
    // Expired orders leave no event (the STF reuses their slots): drop them from the model here.
    for (const o of expired) this.removeOrder(o.account, o.slot);
    // Asks ascending, bids descending; ties by placement (list order) for time priority.
    out.sort((a, b) => (a.price === b.price ? 0 : (side === 1 ? a.price < b.price : a.price > b.price) ? -1 : 1));
    return out.slice(0, n);
  }

  /** A funding tick for the market longest without one, if its interval has elapsed. */
  private fundingTick(): WorkItem | null {
    let m = 0;
    for (let i = 1; i < MARKET_COUNT; i++) if (this.lastFunding[i]! < this.lastFunding[m]!) m = i;
    if (this.lastFunding[m] !== 0n && this.now < this.lastFunding[m]! + FUNDING_INTERVAL_MS) return null;
    this.fundingOwed--;
    this.lastFunding[m] = this.now;
    // Premium of ±1 bp around zero, the order of a calm market's hourly rate.
    const premiumPpm = BigInt(this.rng.range(-100, 100));
    return { timestamp: this.now, op: { type: "FundingTick", market: m, premiumPpm }, ctx: { timestamp: this.now, signer: null }, kind: "funding" };
  }

  private oracle(): WorkItem {
    const t = Number(this.now);
    const dt = Math.max(1, t - this.lastOracle);
    this.lastOracle = t;
    const sigma = DAILY_VOL * Math.sqrt(dt / DAY_MS);
    for (let m = 0; m < MARKET_COUNT; m++) this.priceUsd[m]! *= 1 + sigma * this.rng.normal();
    const prices = MARKETS.map((_, m) => this.oraclePrice(m));
    return oracleItem(this.now, prices, prices[ETH_MARKET]!, this.pop.signed);
  }

  /** Deposit, withdraw or transfer, a third each, by long-tail accounts. */
  private funds(): WorkItem {
    const acct = this.tailAccount();
    const u = this.rng.int(3);
    const amount = BigInt(100 + this.rng.int(900)) * USD;
    if (u === 0) {
      return {
        timestamp: this.now,
        op: { type: "Deposit", queueIndex: this.queueIndex++, account: acct, owner: this.pop.owner(acct), asset: 0, amount },
        ctx: { timestamp: this.now, signer: null },
        kind: "funds",
      };
    }
    const nonce = this.nonce(acct);
    if (u === 1) return this.signed({ type: "Withdraw", account: acct, nonce, asset: 0, amount, signature: ZERO_SIGNATURE }, "funds");
    let to = this.rng.int(this.pop.accounts);
    if (to === acct) to = (to + 1) % this.pop.accounts;
    return this.signed({ type: "Transfer", account: acct, nonce, to, asset: 0, amount, signature: ZERO_SIGNATURE }, "funds");
  }

  /** Grant a new trading key (expiring in a day), or revoke one the account granted. */
  private sessionKey(): WorkItem {
    const acct = this.tailAccount();
    const nonce = this.nonce(acct);
    const keys = this.sessionKeys.get(acct) ?? [];
    if (keys.length >= 4 || (keys.length > 0 && this.rng.chance(0.5))) {
      const key = keys[this.rng.int(keys.length)]!;
      return this.signed({ type: "RevokeSessionKey", account: acct, nonce, key, signature: ZERO_SIGNATURE }, "sessionKey");
    }
    const key: Hex = `0x5e55${(this.keyCounter++).toString(16).padStart(36, "0")}`;
    return this.signed(
      { type: "GrantSessionKey", account: acct, nonce, key, expiry: this.now + BigInt(DAY_MS), signature: ZERO_SIGNATURE },
      "sessionKey",
    );
  }

  // ── the order model ──

  private liveOrders(acct: number): Resting[] {
    const s = this.slots.get(acct);
    if (s === undefined) return [];
    const out: Resting[] = [];
    for (const o of s) if (o !== null && o.remaining > 0n && (o.expiry === 0n || o.expiry >= this.now)) out.push(o);
    return out;
  }

  /** Records an order in its slot; resting ones (not IOC) also in the book takers search. */
  private addOrder(rests: boolean, o: Resting): void {
    this.removeOrder(o.account, o.slot);
    let s = this.slots.get(o.account);
    if (s === undefined) this.slots.set(o.account, (s = new Array(ORDER_SLOTS).fill(null)));
    s[o.slot] = o;
    if (rests) this.book[o.market]![o.sell ? 1 : 0]!.push(o);
  }

  private removeOrder(acct: number, slot: number): void {
    const s = this.slots.get(acct);
    const o = s?.[slot];
    if (!s || !o) return;
    s[slot] = null;
    const list = this.book[o.market]![o.sell ? 1 : 0]!;
    const i = list.indexOf(o);
    if (i >= 0) list.splice(i, 1);
  }
}

// ─── Stress path ──────────────────────────────────────────────────────────────────────

export interface PricePathPoint {
  /** Milliseconds after the path's start. */
  offsetMs: number;
  /** Oracle price per market, quote atoms. */
  prices: bigint[];
}

/**
 * The liquidation-bench path: the two largest markets (BTC, ETH) fall 12% linearly over five
 * minutes, then recover half the drop over the next ten; the other markets hold still.
 * One point every `stepMs` (the default 1 s keeps each step far inside the oracle band).
 */
export function stressPricePath(opts: { stepMs?: number; start?: readonly bigint[] } = {}): PricePathPoint[] {
  const step = opts.stepMs ?? 1_000;
  const start = opts.start ?? MARKETS.map((s) => s.price);
  const fall = 5 * 60_000;
  const recover = 10 * 60_000;
  const out: PricePathPoint[] = [];
  for (let t = step; t <= fall + recover; t += step) {
    // Fraction of the start price, in ppm, so the arithmetic below stays in bigint.
    const ppm = t <= fall ? 1_000_000 - Math.round((120_000 * t) / fall) : 880_000 + Math.round((60_000 * (t - fall)) / recover);
    out.push({ offsetMs: t, prices: start.map((p, m) => (m < 2 ? (p * BigInt(ppm)) / 1_000_000n : p)) });
  }
  return out;
}

/** The stress path as oracle update items starting at `startMs`. */
export function stressOracleItems(startMs: bigint, signed = false, opts: { stepMs?: number; start?: readonly bigint[] } = {}): WorkItem[] {
  return stressPricePath(opts).map((p) => oracleItem(startMs + BigInt(p.offsetMs), p.prices, p.prices[ETH_MARKET]!, signed));
}
