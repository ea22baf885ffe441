/**
 * The state in memory: plain objects that mirror the SSZ schema in types.ts.
 *
 * Every write goes through the setters below, because each one records what it made dirty
 * for the incremental state root (merkle.ts). Reads are direct field access.
 *
 * Caches kept beside the state (not part of the root) are documented where they live:
 * `CrossmarginState.oracleEpoch` and `AccountState.crossCache` (margin.ts), the Merkle
 * caches (`merkle` fields, merkle.ts).
 */
import {
  CORRELATION_GROUPS,
  MARGIN_TIERS,
  MARKET_ACTIVE,
  MAX_ASSETS,
  MAX_MARKETS,
  MAX_ORACLE_SIGNERS,
  NONCE_WINDOW,
  ORDER_SLOTS,
  SESSION_KEYS,
  ZERO_ADDRESS,
} from "./constants.js";
import type { Hex } from "./ops.js";

export interface MarginTier {
  notionalCap: bigint;
  imfPpm: bigint;
  mmfPpm: bigint;
}

export interface MarketState {
  status: number;
  tickSize: bigint;
  lotSize: bigint;
  tiers: MarginTier[];
  oraclePrice: bigint;
  oracleTimestamp: bigint;
  fundingIndex: bigint;
  openInterest: bigint;
  group: number;
  liquidationCap: bigint;
  lastFundingTime: bigint;
  fundingPool: bigint;
  pacingWindowStart: bigint;
  liquidatedInWindow: bigint;
  /** Merkle cache: the market's root, null when a field changed since the last commit. */
  root: Uint8Array | null;
  /** Merkle cache: root of `tiers`, null when the tiers changed. */
  tiersRoot: Uint8Array | null;
}

export interface AssetState {
  decimals: number;
  weightPpm: bigint;
  oraclePrice: bigint;
  oracleTimestamp: bigint;
}

export interface Position {
  size: bigint;
  entryNotional: bigint;
  lastFundingIndex: bigint;
  isolatedMargin: bigint;
  marginMode: number;
}

export interface Order {
  market: number;
  flags: number;
  price: bigint;
  size: bigint;
  remaining: bigint;
  expiry: bigint;
  clientOrderId: bigint;
  nonce: bigint;
}

export interface SessionKey {
  key: Hex;
  expiry: bigint;
}

export interface Withdrawal {
  account: number;
  owner: Hex;
  asset: number;
  amount: bigint;
}

export interface Params {
  maxOracleAgeMs: bigint;
  oracleBandPpm: bigint;
  nonceWindowMs: bigint;
  oracleThreshold: number;
  /** Exactly MAX_ORACLE_SIGNERS entries; unused ones are the zero address. */
  oracleSigners: Hex[];
  liquidationPenaltyPpm: bigint;
  liquidationBufferPpm: bigint;
  pacingWindowMs: bigint;
  accountLiquidationCap: bigint;
  insuranceLossCap: bigint;
  fundingIntervalMs: bigint;
  maxFundingRatePpm: bigint;
  portfolioFloorPpm: bigint;
  portfolioMaintenancePpm: bigint;
  /** Exactly CORRELATION_GROUPS entries. */
  groupShocksPpm: bigint[];
  /** The protocol's backstop account; NO_ACCOUNT when there is none. */
  backstopAccount: number;
}

/** Dirty bits of an account's small parts (merkle.ts). */
export const DIRTY_HEADER = 1;
export const DIRTY_BALANCES = 2;
export const DIRTY_NONCES = 4;
export const DIRTY_KEYS = 8;
export const DIRTY_PACING = 16;
export const DIRTY_POSITIONS = 32;
export const DIRTY_ORDERS = 64;
/** Set until the account's first commit (its owner bytes are cached then). */
export const DIRTY_NEW = 128;
export const DIRTY_ALL = 255;

// PERF: a million accounts mostly never trade. Their slot arrays, nonces and keys start as
// these shared, frozen empties and are copied on first write (setters below), which saves
// ~1.5 KB and four heap objects per idle account and keeps full GCs short.
const EMPTY_POSITIONS: readonly (Position | null)[] = Object.freeze(new Array<Position | null>(MAX_MARKETS).fill(null));
const EMPTY_ORDERS: readonly (Order | null)[] = Object.freeze(new Array<Order | null>(ORDER_SLOTS).fill(null));
const EMPTY_NONCES: readonly bigint[] = Object.freeze(new Array<bigint>(NONCE_WINDOW).fill(0n));
const EMPTY_KEYS: readonly SessionKey[] = Object.freeze(
  Array.from({ length: SESSION_KEYS }, () => Object.freeze({ key: ZERO_ADDRESS as Hex, expiry: 0n })),
);
const NO_MARKETS: readonly number[] = Object.freeze([]);
const ZERO_PACING = Object.freeze({ windowStart: 0n, liquidatedInWindow: 0n });

/** Cross-margin aggregates cached per account (margin.ts). */
export interface CrossCache {
  /** `CrossmarginState.oracleEpoch` the sums were computed at; stale when it differs. */
  epoch: number;
  /** Σ unrealized PnL of cross positions at oracle prices. */
  upnl: bigint;
  /** Σ initial requirement of cross positions (portfolio-margin account: the portfolio requirement). */
  initial: bigint;
  /** Σ maintenance requirement of cross positions (portfolio-margin account: the portfolio maintenance). */
  maintenance: bigint;
}

export class AccountState {
  flags = 0n;
  readonly balances: bigint[] = new Array<bigint>(MAX_ASSETS).fill(0n);
  /** The NONCE_WINDOW highest nonces used (write with `setNonce`). */
  nonces: readonly bigint[] = EMPTY_NONCES;
  /** Write with `setSessionKey`. */
  sessionKeys: readonly SessionKey[] = EMPTY_KEYS;
  /** One slot per market; null is the zero position (isolated, flat). Write with `setPosition`. */
  positions: readonly (Position | null)[] = EMPTY_POSITIONS;
  /** Write with `setOrder`. */
  orders: readonly (Order | null)[] = EMPTY_ORDERS;
  /** Markets with a non-null position, ascending (bounded by MAX_MARKETS). */
  openMarkets: readonly number[] = NO_MARKETS;

  /** Liquidation pacing: start of the window and notional liquidated in it (replace, don't mutate). */
  pacing: { readonly windowStart: bigint; readonly liquidatedInWindow: bigint } = ZERO_PACING;

  crossCache: CrossCache | null = null;

  // Merkle bookkeeping (merkle.ts). Not part of the state's meaning.
  dirtyParts = DIRTY_ALL;
  inDirtyList = false;

  constructor(
    readonly index: number,
    readonly owner: Hex,
  ) {}
}

export class CrossmarginState {
  params: Params;
  l1: { nextIndex: bigint; chainHash: Uint8Array } = { nextIndex: 0n, chainHash: new Uint8Array(32) };
  clock = 0n;
  readonly assets: AssetState[] = [];
  readonly markets: MarketState[] = [];
  readonly accounts: AccountState[] = [];
  readonly withdrawals: Withdrawal[] = [];
  readonly insuranceFund: bigint[] = new Array<bigint>(MAX_ASSETS).fill(0n);
  insuranceWindow = { windowStart: 0n, paidInWindow: 0n };
  socializedLoss = 0n;

  /**
   * Bumped whenever an input to position valuation changes for many accounts at once
   * (oracle prices, margin tiers, funding index, portfolio parameters, market groups).
   * Account caches computed at an older epoch are stale.
   */
  oracleEpoch = 0;

  // Merkle bookkeeping (merkle.ts).
  readonly dirtyAccounts: AccountState[] = [];
  /** Top-level fields (params, l1, clock, assets, insurance) changed since the last commit. */
  topDirty = true;
  /** Withdrawals appended since the last commit start at this index. */
  withdrawalsCommitted = 0;
  merkle: unknown = null;

  constructor(params: Params) {
    if (params.oracleSigners.length !== MAX_ORACLE_SIGNERS) throw new Error("oracleSigners must have MAX_ORACLE_SIGNERS entries");
    if (params.groupShocksPpm.length !== CORRELATION_GROUPS) throw new Error("groupShocksPpm must have CORRELATION_GROUPS entries");
    this.params = params;
  }
}

/** A newly listed market: active, no price yet (so reduce-only until the first oracle update). */
export function newMarket(tickSize: bigint, lotSize: bigint, tiers: MarginTier[], extra: Partial<MarketState> = {}): MarketState {
  return {
    status: MARKET_ACTIVE,
    tickSize,
    lotSize,
    tiers,
    oraclePrice: 0n,
    oracleTimestamp: 0n,
    fundingIndex: 0n,
    openInterest: 0n,
    group: 0,
    liquidationCap: (1n << 64n) - 1n,
    lastFundingTime: 0n,
    fundingPool: 0n,
    pacingWindowStart: 0n,
    liquidatedInWindow: 0n,
    root: null,
    tiersRoot: null,
    ...extra,
  };
}

export function emptyTiers(): MarginTier[] {
  return Array.from({ length: MARGIN_TIERS }, () => ({ notionalCap: 0n, imfPpm: 0n, mmfPpm: 0n }));
}

// ─── Setters: the only way the STF writes ─────────────────────────────────────────────

function touchAccount(state: CrossmarginState, acct: AccountState): void {
  if (!acct.inDirtyList) {
    acct.inDirtyList = true;
    state.dirtyAccounts.push(acct);
  }
}

export function markAccountPart(state: CrossmarginState, acct: AccountState, part: number): void {
  acct.dirtyParts |= part;
  touchAccount(state, acct);
}

export function setBalance(state: CrossmarginState, acct: AccountState, asset: number, value: bigint): void {
  acct.balances[asset] = value;
  markAccountPart(state, acct, DIRTY_BALANCES);
}

export function setPosition(state: CrossmarginState, acct: AccountState, market: number, pos: Position | null): void {
  const isZero =
    pos === null ||
    (pos.size === 0n && pos.entryNotional === 0n && pos.lastFundingIndex === 0n && pos.isolatedMargin === 0n && pos.marginMode === 0);
  const had = acct.positions[market] !== null;
  if (acct.positions === EMPTY_POSITIONS) acct.positions = EMPTY_POSITIONS.slice();
  (acct.positions as (Position | null)[])[market] = isZero ? null : pos;
  if (had !== !isZero) {
    const open = acct.openMarkets.filter((m) => m !== market);
    if (!isZero) open.push(market);
    acct.openMarkets = open.sort((a, b) => a - b);
  }
  markAccountPart(state, acct, DIRTY_POSITIONS);
}

export function setOrder(state: CrossmarginState, acct: AccountState, slot: number, order: Order | null): void {
  if (acct.orders === EMPTY_ORDERS) acct.orders = EMPTY_ORDERS.slice();
  (acct.orders as (Order | null)[])[slot] = order;
  markAccountPart(state, acct, DIRTY_ORDERS);
}

export function setNonce(state: CrossmarginState, acct: AccountState, slot: number, nonce: bigint): void {
  if (acct.nonces === EMPTY_NONCES) acct.nonces = EMPTY_NONCES.slice();
  (acct.nonces as bigint[])[slot] = nonce;
  markAccountPart(state, acct, DIRTY_NONCES);
}

export function setSessionKey(state: CrossmarginState, acct: AccountState, slot: number, key: SessionKey): void {
  if (acct.sessionKeys === EMPTY_KEYS) acct.sessionKeys = EMPTY_KEYS.slice();
  (acct.sessionKeys as SessionKey[])[slot] = key;
  markAccountPart(state, acct, DIRTY_KEYS);
}

export function setPacing(state: CrossmarginState, acct: AccountState, windowStart: bigint, liquidatedInWindow: bigint): void {
  acct.pacing = { windowStart, liquidatedInWindow };
  markAccountPart(state, acct, DIRTY_PACING);
}

export function markMarket(market: MarketState, tiersChanged = false): void {
  market.root = null;
  if (tiersChanged) market.tiersRoot = null;
}
