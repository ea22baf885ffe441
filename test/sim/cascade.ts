/**
 * A liquidation cascade on 1,000 accounts (docs/risk.md, "Cascade simulation").
 *
 * Population (seeded): account 0 is the protocol backstop (liquidator of last resort, $1B),
 * account 1 a market maker that took the other side of every opening trade ($1B), and 1,000
 * traders with $1k–$50k each at 2×–9.5× leverage on BTC (70% long), half cross, half isolated.
 *
 * Price path: BTC falls 12% from $60,000 over five minutes (one oracle update a second),
 * then recovers half of it over the next five. Liquidations have price impact: every dollar
 * liquidated in a second moves the next oracle price by `impactPpmPerMillion` ppm per $1M
 * against the liquidated side — the feedback that turns a drop into a cascade.
 *
 * Each second the keeper (the sequencer's liquidation engine) liquidates every account below
 * maintenance through the backstop, deleverages bankrupt accounts the insurance fund cannot
 * cover (counterparties ranked by unrealized PnL × leverage), and settles flat accounts' debt.
 */
import { BTC, BTC_UNIT, Driver, USD, testGenesis } from "../../sequencer/state/test/fixtures.js";
import { Rng } from "../../sequencer/state/test/random.js";
import { crossHealth, isolatedEquity, markValue, notional, tieredRequirement } from "../../sequencer/state/margin.js";
import { netValue } from "../../sequencer/state/risk.js";
import type { OpContext, Op, Receipt } from "../../sequencer/state/index.js";
import type { AccountState, CrossmarginState } from "../../sequencer/state/state.js";

export interface CascadeOptions {
  pacing: boolean;
  traders?: number;
  impactPpmPerMillion?: bigint;
  /** Applies one operation (a checked STF in tests, the plain one in benches). */
  apply?: (state: CrossmarginState, op: Op, ctx: OpContext) => Receipt;
}

export interface CascadeReport {
  liquidations: number;
  liquidatedNotional: bigint;
  bankruptcies: number;
  deleverages: number;
  insuranceDraw: bigint;
  insuranceEnd: bigint;
  socializedLoss: bigint;
  pacedRetries: number;
  lowestPrice: bigint;
  ops: number;
}

const BACKSTOP = 0;
const MAKER = 1;

export function runCascade(opts: CascadeOptions): CascadeReport & { state: CrossmarginState } {
  const traders = opts.traders ?? 1_000;
  const impact = opts.impactPpmPerMillion ?? 2_000n;
  const cfg = testGenesis({
    risk: opts.pacing
      ? { pacingWindowMs: 1_000n, accountLiquidationCap: 20_000n * USD }
      : { pacingWindowMs: 1_000n },
  });
  if (opts.pacing) cfg.markets[BTC]!.liquidationCap = 400_000n * USD;
  const d = new Driver(cfg);
  const report: CascadeReport = {
    liquidations: 0,
    liquidatedNotional: 0n,
    bankruptcies: 0,
    deleverages: 0,
    insuranceDraw: 0n,
    insuranceEnd: 0n,
    socializedLoss: 0n,
    pacedRetries: 0,
    lowestPrice: 0n,
    ops: 0,
  };
  const apply = (op: Op, ctx: Partial<OpContext> = {}): Receipt => {
    report.ops++;
    const full = { timestamp: d.now, signer: null, ...ctx };
    return opts.apply ? opts.apply(d.state, op, full) : d.apply(op, full);
  };
  const signedBy = (account: number, op: Op) => apply(op, { signer: d.state.accounts[account]!.owner });

  // Population.
  apply({ type: "Deposit", queueIndex: 0n, account: BACKSTOP, owner: ownerOf(BACKSTOP), asset: 0, amount: 1_000_000_000n * USD });
  apply({ type: "Deposit", queueIndex: 1n, account: MAKER, owner: ownerOf(MAKER), asset: 0, amount: 1_000_000_000n * USD });
  for (const a of [BACKSTOP, MAKER]) signedBy(a, { type: "SetMarginMode", account: a, nonce: d.nextNonce(), market: BTC, mode: 1, signature: "0x" });
  const rng = new Rng(20261128);
  const price = 60_000n * USD;
  for (let i = 0; i < traders; i++) {
    const account = i + 2;
    const collateral = (1_000n + rng.big(49_001n)) * USD;
    apply({ type: "Deposit", queueIndex: BigInt(account), account, owner: ownerOf(account), asset: 0, amount: collateral });
    if (rng.chance(0.5)) signedBy(account, { type: "SetMarginMode", account, nonce: d.nextNonce(), market: BTC, mode: 1, signature: "0x" });
    const leverageTenths = 20n + rng.big(76n); // 2.0× … 9.5×
    const lots = (collateral * leverageTenths * BTC_UNIT) / (10n * price * 10_000n);
    if (lots === 0n) continue;
    const side = rng.chance(0.7) ? "buy" : "sell";
    const r = tradeVia(d, apply, MAKER, account, side, price, lots * 10_000n);
    if (!r.ok) throw new Error(`setup trade refused: ${r.reason} ${r.detail ?? ""}`);
  }

  // The path: 300 s down 12%, then 300 s up 6%, one oracle update per second.
  let impactPpm = 0n;
  /** Accounts whose net value was below zero when the keeper reached them. */
  const bankrupt = new Set<number>();
  report.lowestPrice = price;
  for (let t = 1; t <= 600; t++) {
    d.now += 1_000n;
    const base = t <= 300 ? price - (price * 12n * BigInt(t)) / 30_000n : price - (price * 12n) / 100n + (price * 6n * BigInt(t - 300)) / 30_000n;
    const p = (base * (1_000_000n - impactPpm)) / 1_000_000n;
    const rounded = (p / USD) * USD;
    if (rounded < report.lowestPrice) report.lowestPrice = rounded;
    const o = apply({ type: "OracleUpdate", timestamp: d.now, prices: [{ kind: 0, id: BTC, price: rounded }], signatures: [] }, { oracleSigners: [d.state.params.oracleSigners[0]!] });
    if (!o.ok) throw new Error(`oracle refused at t=${t}: ${o.reason}`);
    const liquidatedBefore = report.liquidatedNotional;
    keeper(d, apply, report, bankrupt);
    report.bankruptcies = bankrupt.size;
    // Impact: liquidations sell into the book (longs dominate), pushing the price down.
    impactPpm += ((report.liquidatedNotional - liquidatedBefore) * impact) / (1_000_000n * USD);
    if (impactPpm > 200_000n) impactPpm = 200_000n;
  }
  report.insuranceEnd = d.state.insuranceFund[0]!;
  report.socializedLoss = d.state.socializedLoss;
  return { ...report, state: d.state };
}

function ownerOf(i: number): `0x${string}` {
  return `0x${(0x10000 + i).toString(16).padStart(40, "0")}`;
}

function tradeVia(d: Driver, apply: (op: Op, ctx?: Partial<OpContext>) => Receipt, maker: number, taker: number, side: "buy" | "sell", price: bigint, size: bigint): Receipt {
  const owner = (a: number) => ({ signer: d.state.accounts[a]!.owner });
  const m = apply({ type: "PlaceOrder", account: maker, nonce: d.nextNonce(), market: BTC, flags: side === "buy" ? 1 : 0, price, size, expiry: 0n, clientOrderId: 0n, signature: "0x" }, owner(maker));
  if (!m.ok) return m;
  const t = apply({ type: "PlaceOrder", account: taker, nonce: d.nextNonce(), market: BTC, flags: (side === "buy" ? 0 : 1) | 2, price, size, expiry: 0n, clientOrderId: 0n, signature: "0x" }, owner(taker));
  if (!t.ok) return t;
  const slot = (r: Receipt) => (r.events.find((e) => e.kind === "OrderPlaced") as { slot: number }).slot;
  return apply({ type: "Fill", makerAccount: maker, makerSlot: slot(m), takerAccount: taker, takerSlot: slot(t), price, size });
}

function belowMaintenance(state: CrossmarginState, a: AccountState, now: bigint): boolean {
  const p = a.positions[BTC];
  if (!p || p.size === 0n) return false;
  const mk = state.markets[BTC]!;
  if (p.marginMode === 1) {
    const h = crossHealth(state, a, now, false);
    return h.equity < h.maintenance;
  }
  return isolatedEquity(p, mk) < tieredRequirement(mk.tiers, notional(p.size, mk.oraclePrice), true);
}

/** Counterparties for ADL: opposite positions, highest unrealized PnL × leverage first. */
function adlRanking(state: CrossmarginState, target: AccountState): AccountState[] {
  const mk = state.markets[BTC]!;
  const side = target.positions[BTC]!.size > 0n;
  const scored: { a: AccountState; score: bigint }[] = [];
  for (const a of state.accounts) {
    const p = a.positions[BTC];
    if (!p || p.size === 0n || p.size > 0n === side || a === target) continue;
    const upnl = markValue(p.size, mk.oraclePrice) - p.entryNotional;
    const equity = netValue(state, a);
    if (upnl <= 0n || equity <= 0n) continue;
    // Score = upnl × notional / equity, compared as integers (×1e6 to keep precision).
    scored.push({ a, score: (upnl * notional(p.size, mk.oraclePrice) * 1_000_000n) / equity });
  }
  scored.sort((x, y) => (x.score === y.score ? x.a.index - y.a.index : x.score > y.score ? -1 : 1));
  return scored.map((s) => s.a);
}

function keeper(d: Driver, apply: (op: Op, ctx?: Partial<OpContext>) => Receipt, report: CascadeReport, bankrupt: Set<number>): void {
  const state = d.state;
  for (const a of state.accounts) {
    if (a.index <= MAKER || !belowMaintenance(state, a, d.now)) continue;
    for (let guard = 0; guard < 20 && belowMaintenance(state, a, d.now); guard++) {
      if (netValue(state, a) < 0n) bankrupt.add(a.index);
      const r = apply({ type: "Liquidate", account: BACKSTOP, nonce: d.nextNonce(), target: a.index, market: BTC, signature: "0x" }, { signer: state.accounts[BACKSTOP]!.owner });
      count(report, r);
      if (r.ok) continue;
      if (r.reason === "LIQUIDATION_PACED") {
        report.pacedRetries++;
        break;
      }
      if (r.reason !== "INSURANCE_INSUFFICIENT") break;
      // ADL: take the bankrupt position against the ranked counterparties.
      for (const cp of adlRanking(state, a)) {
        const size = a.positions[BTC]?.size ?? 0n;
        if (size === 0n) break;
        const theirs = cp.positions[BTC]!.size;
        const abs = (x: bigint) => (x < 0n ? -x : x);
        const take = abs(size) < abs(theirs) ? abs(size) : abs(theirs);
        const x = apply({ type: "Deleverage", target: a.index, market: BTC, counterparty: cp.index, size: take });
        count(report, x);
        if (x.ok) report.deleverages++;
        if (!x.ok) break;
      }
      break;
    }
    if (a.positions[BTC]?.size === 0n && a.balances[0]! < 0n) {
      count(report, apply({ type: "Liquidate", account: BACKSTOP, nonce: d.nextNonce(), target: a.index, market: 0xffff, signature: "0x" }, { signer: state.accounts[BACKSTOP]!.owner }));
    }
  }
}

function count(report: CascadeReport, r: Receipt): void {
  for (const e of r.events) {
    if (e.kind === "Liquidation") {
      report.liquidations++;
      report.liquidatedNotional += e.notional;
    }
    if (e.kind === "Waterfall" && e.step === "insurance") report.insuranceDraw += e.amount;
  }
}
