/**
 * Liquidate and Deleverage operations for the one-step golden vectors
 * (contracts/script/gen-onestep-fixtures.ts → contracts/test/fixtures/onestep-{Liquidate,Deleverage}.json).
 *
 * A random state rarely holds an account below maintenance, so each draw first builds one: a
 * target opens a leveraged position through the real STF (Deposit, SetMarginMode,
 * SetPortfolioMargin, PlaceOrder and Fill against a funded counterparty), then the market's
 * oracle price moves against it (written directly, followed by the state's own `markMarket`
 * and the epoch bump OracleUpdate makes) until the target is just below maintenance, deep
 * below it, or bankrupt, as the draw asks. Around that: flat accounts with debt (with and
 * without other collateral, a funded or an exhausted insurance fund), pacing caps and used
 * windows, stale prices, the wrong market, self-liquidation, unknown accounts, healthy
 * targets, and Deleverage counterparties on the wrong side or with too little.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "../../sequencer/state/bytes.js";
import { FLAG_SELL, MARKET_ACTIVE, MODE_CROSS, PPM, SIZE_SCALE } from "../../sequencer/state/constants.js";
import { contribution, crossHealth, isolatedEquity, isPortfolio, notional, portfolioRequirement, tieredRequirement } from "../../sequencer/state/margin.js";
import type { Hex, Liquidate, Op, SignedOp } from "../../sequencer/state/ops.js";
import type { Receipt } from "../../sequencer/state/receipt.js";
import { type SigningDomain, signDigest, signingDigest } from "../../sequencer/state/signing.js";
import { netValue, windowStart } from "../../sequencer/state/risk.js";
import { type CrossmarginState, markMarket, setBalance, setPacing } from "../../sequencer/state/state.js";
import { applyOp } from "../../sequencer/state/stf.js";
import type { Rng } from "../../sequencer/state/test/random.js";

/** What the generator lends the draw: its signing and nonce habits, and the known keys. */
export interface RiskDrawContext {
  /** Signs as the generator does (owner, session key, stranger, broken signatures). */
  sign: <T extends SignedOp>(op: T) => T;
  /** A nonce as the generator picks them (mostly fresh; replays, out of window, zero...). */
  nonce: (account: number) => bigint;
  /** A fresh nonce for the operation under test. */
  fresh: bigint;
  ownerKeys: readonly Hex[];
  owners: readonly Hex[];
  /** The vectors' signing domain (for signatures the draw must not break). */
  domain: SigningDomain;
}

const USD = 1_000_000n;
/** A key no account of the vectors' states is owned by or has granted. */
const STRANGER_KEY = bytesToHex(keccak_256(new TextEncoder().encode("crossmargin one-step risk stranger"))) as Hex;
/** Price moves go in steps of 0.25%, up to ×4 against a short (a long's price stops at 1). */
const MAX_STEPS = 1_200;

/** Builds pre-states through the STF at the vector's timestamp. */
class Builder {
  private nonce: bigint;

  constructor(
    readonly rng: Rng,
    readonly state: CrossmarginState,
    readonly now: bigint,
    readonly c: RiskDrawContext,
  ) {
    // Above the operation's own nonce, so the pre-state never uses it.
    this.nonce = c.fresh + 1_000n;
  }

  private signed(op: Op, account: number): Receipt {
    return applyOp(this.state, op, { timestamp: this.now, signer: this.state.accounts[account]?.owner ?? null });
  }

  deposit(account: number, asset: number, amount: bigint): void {
    const owner = this.state.accounts[account]?.owner ?? this.c.owners[account]!;
    applyOp(this.state, { type: "Deposit", queueIndex: this.state.l1.nextIndex, account, owner, asset, amount }, { timestamp: this.now, signer: null });
  }

  /** A new account (the next index) with `cash` of the settlement asset. */
  newAccount(cash: bigint): number {
    const index = this.state.accounts.length;
    if (this.now < this.state.clock) return this.rng.int(index); // a regressing vector: nothing applies
    applyOp(
      this.state,
      { type: "Deposit", queueIndex: this.state.l1.nextIndex, account: index, owner: this.c.owners[Math.min(index, this.c.owners.length - 1)]!, asset: 0, amount: cash },
      { timestamp: this.now, signer: null },
    );
    return index;
  }

  setMode(account: number, market: number, mode: number): void {
    this.nonce += 1n;
    this.signed({ type: "SetMarginMode", account, nonce: this.nonce, market, mode, signature: "0x" }, account);
  }

  setPortfolio(account: number, enabled: number): void {
    this.nonce += 1n;
    this.signed({ type: "SetPortfolioMargin", account, nonce: this.nonce, enabled, signature: "0x" }, account);
  }

  /** `taker` trades signed `size` against `maker` at the oracle price (rounded to the tick). */
  trade(taker: number, maker: number, market: number, size: bigint): boolean {
    const m = this.state.markets[market]!;
    const price = m.oraclePrice - (m.oraclePrice % m.tickSize);
    if (price <= 0n || size === 0n) return false;
    const abs = size < 0n ? -size : size;
    const place = (account: number, sell: boolean) => {
      this.nonce += 1n;
      const r = this.signed(
        { type: "PlaceOrder", account, nonce: this.nonce, market, flags: sell ? FLAG_SELL : 0, price, size: abs, expiry: 0n, clientOrderId: 0n, signature: "0x" },
        account,
      );
      const e = r.events.find((x) => x.kind === "OrderPlaced");
      return e?.kind === "OrderPlaced" ? e.slot : -1;
    };
    const makerSlot = place(maker, size > 0n);
    if (makerSlot < 0) return false;
    const takerSlot = place(taker, size < 0n);
    if (takerSlot < 0) return false;
    const r = applyOp(
      this.state,
      { type: "Fill", makerAccount: maker, makerSlot, takerAccount: taker, takerSlot, price, size: abs },
      { timestamp: this.now, signer: null },
    );
    return r.ok;
  }

  /** Opens about `use` (ppm) of what the account can add; halves the size while refused. */
  open(taker: number, maker: number, market: number, use: bigint, long: boolean): boolean {
    let size = this.leveragedSize(taker, market, use, long);
    const lot = this.state.markets[market]!.lotSize;
    for (let tries = 0; tries < 5 && size !== 0n; tries++) {
      if (this.trade(taker, maker, market, size)) return true;
      size /= 2n;
      size -= size % lot;
    }
    return false;
  }

  /**
   * A signed size in `market` that uses about `use` (ppm) of what `account` can still add at
   * the initial requirement (the settlement balance bounds an isolated position's top-up).
   */
  leveragedSize(account: number, market: number, use: bigint, long: boolean): bigint {
    const acct = this.state.accounts[account]!;
    const m = this.state.markets[market]!;
    const h = crossHealth(this.state, acct, this.now);
    let free = h.equity - h.initial;
    const cross = (acct.positions[market]?.marginMode ?? 0) === MODE_CROSS;
    if (!cross && acct.balances[0]! < free) free = acct.balances[0]!;
    const imf = m.tiers[0]!.imfPpm;
    if (free <= 0n || m.oraclePrice <= 0n) return 0n;
    const n = (free * PPM * use) / (imf * PPM);
    let size = (n * SIZE_SCALE) / m.oraclePrice;
    size -= size % m.lotSize;
    return long ? size : -size;
  }

  /** Writes a market's oracle price and time as OracleUpdate does (markMarket, new epoch). */
  setPrice(market: number, price: bigint, timestamp = this.now): void {
    const m = this.state.markets[market]!;
    m.oraclePrice = price;
    m.oracleTimestamp = timestamp;
    markMarket(m);
    this.state.oracleEpoch++;
    this.state.topDirty = true;
  }

  setAssetPrice(asset: number, price: bigint): void {
    const a = this.state.assets[asset]!;
    a.oraclePrice = price;
    a.oracleTimestamp = this.now;
    this.state.oracleEpoch++;
    this.state.topDirty = true;
  }

  setInsurance(fund: bigint, paidInWindow: bigint | null): void {
    this.state.insuranceFund[0] = fund;
    if (paidInWindow !== null) this.state.insuranceWindow = { windowStart: windowStart(this.now, this.state.params.pacingWindowMs), paidInWindow };
    this.state.topDirty = true;
  }

  /** Below maintenance (cross pool, or the isolated position in `market`)? */
  underwater(account: number, market: number): boolean {
    const acct = this.state.accounts[account]!;
    const p = acct.positions[market];
    if (!p || p.size === 0n) return false;
    const m = this.state.markets[market]!;
    if (p.marginMode === MODE_CROSS) {
      const h = crossHealth(this.state, acct, this.now, false);
      return h.equity < h.maintenance;
    }
    return isolatedEquity(p, m) < tieredRequirement(m.tiers, notional(p.size, m.oraclePrice), true);
  }

  /**
   * Moves the prices of `legs` against their positions in steps of 0.25% until the account is
   * underwater (`depth` 1), halfway from there to bankrupt (2) or bankrupt (3), then
   * `extra` more steps; depth 0 leaves the prices alone. Returns whether the goal was met.
   */
  moveAgainst(account: number, legs: number[], depth: number, extra: number): boolean {
    if (depth === 0) return true;
    const acct = this.state.accounts[account]!;
    const base = legs.map((m) => this.state.markets[m]!.oraclePrice);
    const dirs = legs.map((m) => ((acct.positions[m]?.size ?? 0n) > 0n ? -1n : 1n));
    const at = (step: number) =>
      legs.forEach((m, i) => {
        let p = base[i]! + (dirs[i]! * base[i]! * BigInt(step) * 2_500n) / PPM;
        if (p < 1n) p = 1n;
        this.setPrice(m, p);
      });
    let first = -1;
    let broke = -1;
    for (let step = 1; step <= MAX_STEPS && broke < 0; step++) {
      at(step);
      if (first < 0 && this.underwater(account, legs[0]!)) first = step;
      if (netValue(this.state, acct) < 0n) broke = step;
    }
    if (first < 0) {
      at(0);
      return false;
    }
    const end = broke < 0 ? MAX_STEPS : broke;
    const goal = depth === 1 ? first : depth === 2 ? Math.max(first, (first + end) >> 1) : end;
    at(Math.min(goal + extra, MAX_STEPS));
    return true;
  }
}

interface Built {
  target: number;
  counterparty: number;
  market: number;
  /** A second cross position of the target (smaller risk), or -1. */
  other: number;
}

/**
 * A target with a leveraged position in a random market: cross, isolated or (cross) under
 * portfolio margin with a hedge leg in the other market; the counterparty is freshly funded.
 */
function buildPosition(b: Builder, kind: "cross" | "isolated" | "portfolio", twoLegs: boolean): Built | null {
  // An account of the history may have no margin to spare: then a fresh one.
  return openFor(b, kind, twoLegs, b.rng.chance(0.3)) ?? openFor(b, kind, twoLegs, true);
}

function openFor(b: Builder, kind: "cross" | "isolated" | "portfolio", twoLegs: boolean, fresh: boolean): Built | null {
  const { rng, state } = b;
  const target = fresh ? b.newAccount(rng.chance(0.5) ? 20_000n * USD : 200_000n * USD) : rng.int(Math.min(state.accounts.length, 4));
  let counterparty = rng.int(state.accounts.length);
  if (counterparty === target) counterparty = (target + 1) % state.accounts.length;
  b.deposit(counterparty, 0, 50_000_000n * USD);
  if (rng.chance(0.3)) b.deposit(target, 1, 10n ** 18n * BigInt(1 + rng.int(5))); // WETH collateral
  // Markets that trade (the history may have halted one, or made it reduce-only).
  const active = state.markets.flatMap((m, i) => (m.status === MARKET_ACTIVE ? [i] : []));
  if (active.length === 0) return null;
  const market = rng.pick(active);
  const second = active.length > 1 ? active[(active.indexOf(market) + 1) % active.length]! : -1;
  // Fresh prices (the history may have left them stale: trading would be reduce-only).
  for (const m of [market, second]) if (m >= 0) b.setPrice(m, state.markets[m]!.oraclePrice);
  const long = rng.chance(0.5);
  const mode = kind === "isolated" ? 0 : MODE_CROSS;
  b.setMode(target, market, mode);
  // SetMarginMode needs the slot flat: a history position may keep its mode.
  const modeOf = (m: number) => state.accounts[target]!.positions[m]?.marginMode ?? 0;
  if (modeOf(market) !== mode) return null;
  b.setMode(counterparty, market, rng.chance(0.5) ? MODE_CROSS : 0);
  if (kind === "portfolio") b.setPortfolio(target, 1);
  const use = BigInt(600_000 + rng.int(380_000));
  let other = -1;
  if (second >= 0 && kind !== "isolated" && (twoLegs || rng.chance(kind === "portfolio" ? 0.9 : 0.3))) {
    // A second cross leg: a hedge (opposite side) for a portfolio account, else a smaller position.
    b.setMode(target, second, MODE_CROSS);
    b.setMode(counterparty, second, MODE_CROSS);
    if (modeOf(second) !== MODE_CROSS) return null;
    const hedge = kind === "portfolio" ? !long : rng.chance(0.5) ? long : !long;
    if (kind !== "portfolio" && !b.open(target, counterparty, second, 150_000n, hedge)) return null;
    other = second;
  }
  if (!b.open(target, counterparty, market, use, long)) return null;
  if (kind === "portfolio" && other >= 0) {
    // The hedge leg: near the first leg's notional, on the other side.
    const first = state.accounts[target]!.positions[market]!.size;
    const m0 = state.markets[market]!;
    const m1 = state.markets[second]!;
    const ratio = BigInt(500 + rng.int(1_000));
    let size = (((first < 0n ? -first : first) * m0.oraclePrice * ratio) / 1_000n / m1.oraclePrice);
    size -= size % m1.lotSize;
    if (!b.trade(target, counterparty, second, long ? -size : size)) other = -1;
  }
  // Funding accrued since the trades (as FundingTick moves the index): pending funding the
  // liquidation settles, in the target's equity either way.
  if (rng.chance(0.5)) {
    const m = state.markets[market]!;
    m.fundingIndex += (m.oraclePrice * BigInt(rng.int(4_001) - 2_000)) / 1_000_000n;
    markMarket(m);
    state.oracleEpoch++;
    state.topDirty = true;
  }
  // A resting order of the target, for the liquidation to cancel.
  if (rng.chance(0.5)) {
    const m = state.markets[market]!;
    const price = m.oraclePrice - (m.oraclePrice % m.tickSize) - m.tickSize * BigInt(10 + rng.int(100));
    if (price > 0n) {
      applyOp(
        state,
        { type: "PlaceOrder", account: target, nonce: b.c.fresh + 900n, market, flags: 0, price, size: m.lotSize, expiry: 0n, clientOrderId: 3n, signature: "0x" },
        { timestamp: b.now, signer: state.accounts[target]!.owner },
      );
    }
  }
  return { target, counterparty, market, other };
}

/**
 * Pacing: a small cap for the market or the account (a partial liquidation), a window that
 * already used all of it (LIQUIDATION_PACED), or the last window's use (no longer counted).
 */
function pace(b: Builder, target: number, market: number, mode: "cap" | "usedUp" | "lastWindow"): void {
  const { rng, state } = b;
  const m = state.markets[market]!;
  const small = (m.oraclePrice * m.lotSize * BigInt(1 + rng.int(30))) / SIZE_SCALE;
  const ws = windowStart(b.now, state.params.pacingWindowMs);
  const window = mode === "usedUp" ? ws : ws - state.params.pacingWindowMs;
  const onMarket = rng.chance(0.5);
  if (mode === "cap" && onMarket) {
    m.liquidationCap = small;
    markMarket(m);
  } else if (mode === "cap") {
    state.params.accountLiquidationCap = small;
  } else if (onMarket) {
    m.liquidationCap = small;
    m.pacingWindowStart = window;
    m.liquidatedInWindow = small;
    markMarket(m);
  } else {
    state.params.accountLiquidationCap = small;
    setPacing(state, state.accounts[target]!, window, small);
  }
  state.topDirty = true;
}

/** A stale price (older than maxOracleAgeMs) for the market. */
function makeStale(b: Builder, market: number): void {
  const m = b.state.markets[market]!;
  // Older than the limit but after time zero (a uint64 in the state).
  // (Time zero when the vector's time is too early for that: a price never updated.)
  const old = b.now - b.state.params.maxOracleAgeMs - 1n - b.rng.big(5_000n);
  b.setPrice(market, m.oraclePrice, old > 0n ? old : 0n);
}

/** The insurance fund covers a bankrupt target's deficit (and more), in an open window. */
function fundInsurance(b: Builder, target: number): void {
  const deficit = -netValue(b.state, b.state.accounts[target]!);
  const fund = deficit > 0n ? deficit + b.rng.big(deficit + 1n) : b.rng.big(1_000n * USD);
  b.setInsurance(fund, null);
}

/**
 * A Liquidate 0xFFFF target: a flat account with debt the waterfall can settle now (its other
 * collateral, priced or not, the insurance fund and its window vary), or one it must refuse:
 * open positions, no debt, or collateral of value while the fund can pay nothing this window.
 */
function buildDebt(b: Builder, mode: "settleable" | "socialized" | "positions" | "noDebt" | "insuranceShort"): number {
  const { rng, state } = b;
  if (mode === "positions") {
    const open = state.accounts.flatMap((a, i) => (a.openMarkets.some((m) => a.positions[m]!.size !== 0n) ? [i] : []));
    if (open.length > 0) return rng.pick(open);
    return buildPosition(b, "cross", false)?.target ?? 0;
  }
  const target = b.newAccount(1n + rng.big(1_000n * USD));
  const acct = state.accounts[target]!;
  const debt = 1n + rng.big(50_000n * USD);
  setBalance(state, acct, 0, mode === "noDebt" ? rng.big(100n * USD) : -debt);
  if (mode === "socialized") {
    // Nothing of value to sell (none, or unpriced collateral), the fund short: the rest is socialized.
    if (rng.chance(0.5)) {
      setBalance(state, acct, 1, 1n + rng.big(20n * 10n ** 18n));
      b.setAssetPrice(1, 0n);
    }
    b.setInsurance(rng.chance(0.5) ? 0n : rng.big(debt), null);
    return target;
  }
  const weth = mode === "insuranceShort" || rng.chance(0.55);
  if (weth) setBalance(state, acct, 1, 1n + rng.big(20n * 10n ** 18n));
  const ws = windowStart(b.now, state.params.pacingWindowMs);
  if (mode === "insuranceShort") {
    // Nothing to pay with: an empty fund, or this window's cap used up.
    if (rng.chance(0.5)) b.setInsurance(0n, null);
    else {
      state.params.insuranceLossCap = 1n + rng.big(debt);
      b.setInsurance(1n + rng.big(debt * 2n), state.params.insuranceLossCap);
    }
    return target;
  }
  if (weth && rng.chance(0.15)) b.setAssetPrice(1, 0n); // collateral without a price: worth nothing
  const f = rng.int(100);
  if (f < 25 && !weth) b.setInsurance(0n, null); // nothing to sell, nothing to pay: all socialized
  else if (f < 50) b.setInsurance(1n + rng.big(debt), null); // the fund covers part
  else {
    b.setInsurance(1n + rng.big(debt * 2n), null);
    if (rng.chance(0.5)) {
      // A loss cap, partly used in this window (or in the last one, which no longer counts).
      state.params.insuranceLossCap = 1n + rng.big(debt);
      state.insuranceWindow = { windowStart: ws - (rng.chance(0.3) ? state.params.pacingWindowMs : 0n), paidInWindow: rng.big(state.params.insuranceLossCap) };
    }
  }
  return target;
}

/** A Liquidate signed by the liquidator's owner with a fresh nonce, or as the generator signs. */
function signLiquidate(b: Builder, liquidator: number, target: number, market: number, careful = true): Liquidate {
  const { state, c } = b;
  const key = c.ownerKeys[c.owners.indexOf(state.accounts[liquidator]?.owner ?? "0x")];
  if (careful && key !== undefined) {
    // A clean signature: the scenarios decide the refusals (badSignature, a stranger).
    const op = { type: "Liquidate" as const, account: liquidator, nonce: c.fresh, target, market, signature: "0x" as Hex };
    return { ...op, signature: signDigest(signingDigest(op, c.domain), key) };
  }
  return c.sign({ type: "Liquidate" as const, account: liquidator, nonce: c.nonce(liquidator), target, market, signature: "0x" as Hex });
}

/** liquidate.ts's largest-risk cross position of the account (-1: none). */
export function largestRisk(state: CrossmarginState, account: number): number {
  const acct = state.accounts[account]!;
  const maintenance = crossHealth(state, acct, 0n, false).maintenance;
  let best = -1;
  let bestRisk = 0n;
  for (const m of acct.openMarkets) {
    const p = acct.positions[m]!;
    if (p.marginMode !== MODE_CROSS || p.size === 0n) continue;
    const risk = isPortfolio(acct) ? maintenance - portfolioRequirement(state, acct, { market: m, size: 0n }).maintenance : contribution(p, state.markets[m]!).maintenance;
    if (best < 0 || risk > bestRisk) [best, bestRisk] = [m, risk];
  }
  return best;
}

/** A liquidator that only reduces (the counterparty) or another known account. */
function pickLiquidator(b: Builder, built: Built): number {
  const { rng, state, c } = b;
  if (rng.chance(0.85)) return built.counterparty;
  const others = state.accounts.map((_, i) => i).filter((i) => i !== built.target && c.owners.includes(state.accounts[i]!.owner));
  return others.length > 0 ? rng.pick(others) : built.counterparty;
}

/**
 * Each vector set walks these scenarios in turn (40 vectors: the first 18 twice, the last 4
 * once), so every branch and refusal is in the golden vectors whatever the random draws inside them.
 */
const LIQUIDATE_SCENARIOS = [
  "cross", "isolated", "portfolio", "debt", "crossBankruptInsured", "pacedOut", "debtRefused",
  "isolatedBankruptInsured", "paced", "stale", "wrongMarket", "self", "unknownAccount", "bankruptUninsured",
  "healthy", "liquidatorShort", "asIs", "badSignature", "debtShort", "isolatedDeep", "portfolio", "cross",
] as const;
const DELEVERAGE_SCENARIOS = [
  "cross", "isolated", "portfolio", "crossPart", "mismatch", "self", "notBankrupt", "stale", "noPosition", "unknown",
] as const;

/** Draws made so far with this random stream (one stream per vector set). */
const drawsOf = new WeakMap<Rng, number>();
/** The next scenario, and the round (how many times the list was walked before). */
function nextScenario<T>(rng: Rng, list: readonly T[]): [T, number] {
  const k = drawsOf.get(rng) ?? 0;
  drawsOf.set(rng, k + 1);
  return [list[k % list.length]!, Math.floor(k / list.length)];
}

export function drawLiquidate(rng: Rng, state: CrossmarginState, now: bigint, c: RiskDrawContext): Op {
  const b = new Builder(rng, state, now, c);
  const [scenario, round] = nextScenario(rng, LIQUIDATE_SCENARIOS);
  // A timestamp before the clock (TIMESTAMP_REGRESSION) applies nothing: the state as is.
  if (now < state.clock) {
    const target = rng.int(state.accounts.length);
    return signLiquidate(b, (target + 1) % state.accounts.length, target, rng.int(state.markets.length));
  }
  if (scenario === "asIs") {
    // A target with nothing in the market, a fresh account (NO_POSITION), or no such market.
    const target = b.newAccount(1n + rng.big(1_000n * USD));
    const market = round % 2 === 0 ? rng.int(state.markets.length) : state.markets.length + rng.int(3);
    return signLiquidate(b, rng.int(target), target, market);
  }
  if (scenario === "debt" || scenario === "debtRefused" || scenario === "debtShort") {
    const mode =
      scenario === "debt" ? (round % 2 === 0 ? "settleable" : "socialized")
      : scenario === "debtShort" ? "insuranceShort"
      : rng.pick(["positions", "noDebt"] as const);
    const target = buildDebt(b, mode);
    return signLiquidate(b, (target + 1 + rng.int(3)) % state.accounts.length, target, 0xffff);
  }
  const kind = scenario.startsWith("isolated") ? "isolated" : scenario === "portfolio" ? "portfolio" : "cross";
  const built = buildPosition(b, kind, scenario === "wrongMarket");
  if (built === null) return signLiquidate(b, 0, 1, 0);
  const depth =
    scenario === "healthy" ? 0
    : scenario.toLowerCase().includes("bankrupt") ? 3
    : scenario === "isolatedDeep" ? 2
    : rng.chance(0.7) ? 1 : 2;
  const legs = built.other >= 0 && kind === "portfolio" ? [built.market, built.other] : [built.market];
  b.moveAgainst(built.target, legs, depth, rng.chance(0.5) ? 0 : rng.int(depth === 3 ? 40 : 4));
  if (scenario.includes("BankruptInsured")) fundInsurance(b, built.target);
  if (scenario === "bankruptUninsured") b.setInsurance(0n, null);
  if (scenario === "paced") pace(b, built.target, built.market, round % 2 === 0 ? "cap" : "lastWindow");
  if (scenario === "pacedOut") pace(b, built.target, built.market, "usedUp");
  if (scenario === "stale") makeStale(b, built.market);
  // The cross position liquidate.ts takes first (wrongMarket: another one).
  const first = kind === "isolated" ? built.market : largestRisk(state, built.target);
  let liquidator = pickLiquidator(b, built);
  let target = built.target;
  if (scenario === "self" && round % 2 === 0) liquidator = built.target;
  if (scenario === "self" && round % 2 === 1) {
    // Signed by a key that owns no account and is no session key: UNAUTHORIZED.
    const op = { type: "Liquidate" as const, account: liquidator, nonce: c.fresh, target, market: built.market, signature: "0x" as Hex };
    return { ...op, signature: signDigest(signingDigest(op, c.domain), STRANGER_KEY) };
  }
  const market = scenario === "wrongMarket" && built.other >= 0 ? (first === built.other ? built.market : built.other) : first;
  if (scenario === "unknownAccount") {
    if (round % 2 === 0) target = state.accounts.length + rng.int(3);
    else liquidator = state.accounts.length + rng.int(3);
  }
  if (scenario === "liquidatorShort") liquidator = b.newAccount(1n + rng.big(100n * USD)); // takes on risk it cannot carry
  if (scenario === "badSignature") {
    // The owner's signature with v = 30 (neither 27/28 nor 0/1): BAD_SIGNATURE.
    const op = signLiquidate(b, liquidator, target, market);
    return { ...op, signature: `${op.signature.slice(0, -2)}1e` as Hex };
  }
  return signLiquidate(b, liquidator, target, market);
}

export function drawDeleverage(rng: Rng, state: CrossmarginState, now: bigint, c: RiskDrawContext): Op {
  const b = new Builder(rng, state, now, c);
  const [scenario] = nextScenario(rng, DELEVERAGE_SCENARIOS);
  if (now < state.clock) {
    const n = state.accounts.length;
    return { type: "Deleverage", target: rng.int(n), market: rng.int(state.markets.length), counterparty: rng.int(n), size: rng.big(10n ** 8n) };
  }
  const kind = scenario === "isolated" ? "isolated" : scenario === "portfolio" ? "portfolio" : "cross";
  const built = buildPosition(b, kind, false);
  if (built === null) return { type: "Deleverage", target: 0, market: 0, counterparty: 1, size: 1n };
  const depth = scenario === "notBankrupt" ? rng.int(3) : 3;
  b.moveAgainst(built.target, [built.market], depth, rng.int(depth === 3 ? 60 : 4));
  if (scenario === "notBankrupt" && rng.chance(0.5)) {
    b.moveAgainst(built.target, [built.market], 3, rng.int(10));
    fundInsurance(b, built.target); // the fund can cover it: liquidate instead
  }
  if (scenario === "stale") makeStale(b, built.market);
  const held = state.accounts[built.target]!.positions[built.market]?.size ?? 0n;
  const abs = held < 0n ? -held : held;
  const otherSize = state.accounts[built.counterparty]!.positions[built.market]?.size ?? 0n;
  const otherAbs = otherSize < 0n ? -otherSize : otherSize;
  const most = abs < otherAbs ? abs : otherAbs;
  const lot = state.markets[built.market]!.lotSize;
  let size = most > 0n ? (scenario === "crossPart" ? 1n + rng.big(most) : rng.chance(0.4) ? most : 1n + rng.big(most)) : 1n;
  if (rng.chance(0.5) && size > lot) size -= size % lot;
  let { target, counterparty, market } = built;
  if (scenario === "mismatch") {
    const r = rng.int(3);
    if (r === 0) size = rng.chance(0.5) ? 0n : most + 1n + rng.big(lot);
    else {
      // Someone on the same side or flat in the market.
      const wrong = state.accounts.map((_, i) => i).filter((i) => {
        const s2 = state.accounts[i]!.positions[built.market]?.size ?? 0n;
        return i !== built.target && (s2 === 0n || s2 > 0n === held > 0n);
      });
      if (wrong.length > 0) counterparty = rng.pick(wrong);
      else size = 0n;
    }
  } else if (scenario === "self") counterparty = target;
  else if (scenario === "unknown") {
    const r = rng.int(3);
    if (r === 0) target = state.accounts.length + rng.int(2);
    else if (r === 1) counterparty = state.accounts.length + rng.int(2);
    else market = state.markets.length + rng.int(2);
  } else if (scenario === "noPosition") {
    // A market where the target holds nothing (a fresh account's), or the other market.
    target = b.newAccount(1_000n * USD);
  }
  return { type: "Deleverage", target, market, counterparty, size };
}
