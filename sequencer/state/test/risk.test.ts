/**
 * The risk engine with exact numbers (docs/risk.md repeats them as worked examples).
 * BTC: tiers 10% / 5% to $1M; penalty 1%; buffer 10%; oracle band 20% per update.
 */
import { describe, expect, it } from "vitest";
import { crossHealth } from "../margin.js";
import type { StfEvent } from "../receipt.js";
import { BTC, BTC_UNIT, Driver, ETH, USD, liquidate, testGenesis } from "./fixtures.js";

function waterfall(events: StfEvent[]) {
  return events.filter((e) => e.kind === "Waterfall").map((e) => (e.kind === "Waterfall" ? [e.step, e.amount] : []));
}

/** Account 0: $10,000, cross, long 1 BTC at $60,000 from account 1; account 2 liquidates. */
function longBtc(d: Driver, collateral = 10_000n * USD, size = BTC_UNIT) {
  d.deposit(0, collateral);
  d.deposit(1, 1_000_000n * USD);
  d.deposit(2, 1_000_000n * USD);
  for (const a of [0, 1, 2]) d.setCross(a, BTC);
  expect(d.trade(1, 0, BTC, "buy", 60_000n * USD, size).ok).toBe(true);
}

function move(d: Driver, price: bigint, market = BTC) {
  d.now += 1_000n;
  expect(d.oracle([{ id: market, price }]).ok).toBe(true);
}

describe("partial liquidation", () => {
  it("closes just enough to restore maintenance × 1.1, at the oracle price, with a 1% penalty to insurance", () => {
    const d = new Driver();
    longBtc(d);
    // At $55,000: equity 10,000 − 5,000 = 5,000 ≥ maintenance 2,750: not liquidatable.
    move(d, 55_000n * USD);
    expect(liquidate(d, 2, 0, BTC).reason).toBe("NOT_LIQUIDATABLE");
    // At $52,000: equity 2,000 < maintenance 2,600.
    move(d, 52_000n * USD);
    // Resting orders are cancelled first.
    expect(d.place(0, BTC, "sell", 70_000n * USD, 10_000n).ok).toBe(true);
    const r = liquidate(d, 2, 0, BTC);
    expect(r.ok).toBe(true);
    // Smallest δ (in 0.0001 BTC lots) with 2,000 − 1%·52,000·δ ≥ 1.1 · 5%·52,000·(1 − δ):
    // 2,340·δ ≥ 860 → δ ≥ 0.36752 → 0.3676 BTC; penalty ⌈0.3676 · 52,000 · 1%⌉ = $191.152.
    const liq = r.events.find((e) => e.kind === "Liquidation");
    expect(liq).toMatchObject({ size: 36_760_000n, price: 52_000n * USD, notional: 19_115_200_000n, penalty: 191_152_000n });
    expect(r.events.some((e) => e.kind === "OrderRemoved")).toBe(true);
    const a0 = d.state.accounts[0]!;
    expect(a0.positions[BTC]!.size).toBe(63_240_000n);
    // Balance: 10,000 − 8,000 × 0.3676 (realized) − 191.152 = 6,868.048.
    expect(a0.balances[0]).toBe(6_868_048_000n);
    const h = crossHealth(d.state, a0, d.now, false);
    expect(h.equity).toBe(1_808_848_000n);
    expect(h.equity * 10n).toBeGreaterThanOrEqual(h.maintenance * 11n);
    expect(d.state.insuranceFund[0]).toBe(191_152_000n);
    expect(d.state.accounts[2]!.positions[BTC]!.size).toBe(36_760_000n);
    // Healthy again: a second liquidation is refused.
    expect(liquidate(d, 2, 0, BTC).reason).toBe("NOT_LIQUIDATABLE");
  });

  it("takes the largest risk first and waits for the next window past a pacing cap", () => {
    const cfg = testGenesis({ risk: { pacingWindowMs: 60_000n } });
    cfg.markets[0]!.liquidationCap = 5_000n * USD;
    const d = new Driver(cfg);
    longBtc(d);
    d.setCross(0, ETH);
    d.setCross(1, ETH);
    expect(d.trade(1, 0, ETH, "buy", 3_000n * USD, BTC_UNIT / 10n).ok).toBe(true);
    move(d, 50_000n * USD);
    expect(liquidate(d, 2, 0, ETH).reason).toBe("NOT_LARGEST_RISK");
    // $5,000 cap per minute in BTC: at $50,000 that is 0.1 BTC per window.
    const r1 = liquidate(d, 2, 0, BTC);
    expect(r1.events.find((e) => e.kind === "Liquidation")).toMatchObject({ size: 10_000_000n, notional: 5_000n * USD });
    expect(liquidate(d, 2, 0, BTC).reason).toBe("LIQUIDATION_PACED");
    d.now += 60_000n;
    d.oracle([{ id: BTC, price: 50_000n * USD }, { id: ETH, price: 3_000n * USD }]);
    expect(liquidate(d, 2, 0, BTC).ok).toBe(true);
  });
});

describe("default waterfall", () => {
  it("absorbs a bankruptcy with the insurance fund", () => {
    const d = new Driver();
    longBtc(d); // fills the insurance fund with the first liquidation's penalty
    move(d, 52_000n * USD);
    liquidate(d, 2, 0, BTC);
    expect(d.state.insuranceFund[0]).toBe(191_152_000n);
    // Account 3: $1,000, long 0.1 BTC at $52,000 (initial $520), then a 20% gap to $41,600:
    // loss $1,040, net value −$40.
    d.deposit(3, 1_000n * USD);
    d.setCross(3, BTC);
    expect(d.trade(1, 3, BTC, "buy", 52_000n * USD, BTC_UNIT / 10n).ok).toBe(true);
    move(d, 41_600n * USD);
    const r = liquidate(d, 2, 3, BTC);
    expect(r.ok).toBe(true);
    // Whole position at $41,600, no penalty (no equity left), insurance pays the $40.
    expect(r.events.find((e) => e.kind === "Liquidation")).toMatchObject({ size: 10_000_000n, penalty: 0n });
    expect(waterfall(r.events)).toEqual([["insurance", 40n * USD]]);
    expect(d.state.accounts[3]!.balances[0]).toBe(0n);
    expect(d.state.insuranceFund[0]).toBe(151_152_000n);
    expect(d.state.socializedLoss).toBe(0n);
  });

  it("sells the bankrupt account's own WETH to the insurance fund before the fund pays", () => {
    const d = new Driver();
    longBtc(d);
    move(d, 52_000n * USD);
    liquidate(d, 2, 0, BTC);
    d.deposit(3, 1_000n * USD);
    // 0.01 WETH at $3,000 = $30 of own collateral (weight 0.8 for margin; full value in the waterfall).
    d.deposit(3, 10n ** 16n, 1);
    d.setCross(3, BTC);
    d.trade(1, 3, BTC, "buy", 52_000n * USD, BTC_UNIT / 10n);
    d.now += 1_000n;
    d.oracle([{ id: BTC, price: 41_600n * USD }, { kind: 1, id: 1, price: 3_000n * USD }]);
    const r = liquidate(d, 2, 3, BTC);
    expect(waterfall(r.events)).toEqual([
      ["collateral", 30n * USD],
      ["insurance", 10n * USD],
    ]);
    expect(d.state.accounts[3]!.balances[1]).toBe(0n);
    expect(d.state.insuranceFund[1]).toBe(10n ** 16n);
  });

  it("reaches auto-deleveraging when the insurance fund cannot cover, at the bankruptcy price", () => {
    const d = new Driver(); // empty insurance fund
    d.deposit(0, 1_000_000n * USD); // the short that will be deleveraged
    d.deposit(1, 1_000_000n * USD); // a liquidator
    d.deposit(2, 1_000n * USD); // goes bankrupt
    d.setCross(0, BTC);
    d.setCross(2, BTC);
    move(d, 52_000n * USD);
    expect(d.trade(0, 2, BTC, "buy", 52_000n * USD, BTC_UNIT / 10n).ok).toBe(true);
    move(d, 41_600n * USD);
    expect(liquidate(d, 1, 2, BTC).reason).toBe("INSURANCE_INSUFFICIENT");
    // Bankruptcy price: 41,600 + ⌈$40 × 1e8 / 0.1 BTC⌉ = $42,000.
    const r = d.apply({ type: "Deleverage", target: 2, market: BTC, counterparty: 0, size: BTC_UNIT / 10n });
    expect(r.ok).toBe(true);
    expect(r.events.find((e) => e.kind === "Deleveraged")).toMatchObject({ bankruptcyPrice: 42_000n * USD });
    // The bankrupt account ends at exactly zero; the short realizes $1,000 instead of $1,040.
    expect(d.state.accounts[2]!.balances[0]).toBe(0n);
    expect(d.state.accounts[2]!.positions[BTC]!.size).toBe(0n);
    expect(d.state.accounts[0]!.balances[0]).toBe(1_001_000n * USD);
    expect(d.state.accounts[0]!.positions[BTC]!.size).toBe(0n);
    expect(d.state.socializedLoss).toBe(0n);
    // A solvent account cannot be deleveraged.
    expect(d.apply({ type: "Deleverage", target: 1, market: BTC, counterparty: 0, size: 1n }).reason).toBe("NO_POSITION");
  });
});

describe("funding", () => {
  it("moves the index by the clamped rate and settles lazily through the market's pool", () => {
    const d = new Driver();
    longBtc(d);
    d.now += 1_000n;
    d.oracle([{ id: BTC, price: 60_000n * USD }]);
    // Premium 1%: index += 1% × 60,000 = $600 per BTC. Long 1 BTC owes $600, the short is owed $600.
    const r = d.apply({ type: "FundingTick", market: BTC, premiumPpm: 10_000n });
    expect(r.events[0]).toMatchObject({ kind: "Funding", ratePpm: 10_000n, fundingIndex: 600n * USD });
    expect(crossHealth(d.state, d.state.accounts[0]!, d.now).equity).toBe(9_400n * USD);
    expect(d.apply({ type: "FundingTick", market: BTC, premiumPpm: 10_000n }).reason).toBe("FUNDING_TOO_EARLY");
    // An hour later, a 10% premium is clamped to the 4% cap: +$2,400.
    d.now += 3_600_000n;
    d.oracle([{ id: BTC, price: 60_000n * USD }]);
    expect(d.apply({ type: "FundingTick", market: BTC, premiumPpm: 100_000n }).events[0]).toMatchObject({ ratePpm: 40_000n });
    // Settling both sides (closing the trade) leaves the pool at zero.
    expect(d.trade(1, 0, BTC, "sell", 60_000n * USD, BTC_UNIT).ok).toBe(true);
    expect(d.state.accounts[0]!.balances[0]).toBe(7_000n * USD);
    expect(d.state.accounts[1]!.balances[0]).toBe(1_003_000n * USD);
    expect(d.state.markets[BTC]!.fundingPool).toBe(0n);
  });
});

describe("portfolio margin", () => {
  it("frees margin on a hedged book (long BTC, short ETH in one correlation group) against plain cross", () => {
    const run = (portfolio: boolean) => {
      const d = new Driver();
      d.deposit(0, 10_000n * USD);
      d.deposit(1, 1_000_000n * USD);
      for (const a of [0, 1]) for (const m of [BTC, ETH]) d.setCross(a, m);
      if (portfolio) {
        expect(d.signed({ type: "SetPortfolioMargin", account: 0, nonce: d.nextNonce(), enabled: 1, signature: "0x" }).ok).toBe(true);
      }
      expect(d.trade(1, 0, BTC, "buy", 60_000n * USD, BTC_UNIT).ok).toBe(true);
      expect(d.trade(1, 0, ETH, "sell", 3_000n * USD, 20n * BTC_UNIT).ok).toBe(true);
      return { d, h: crossHealth(d.state, d.state.accounts[0]!, d.now) };
    };
    // Plain cross: 10% × $60,000 + 5% × $60,000 = $9,000 initial, $4,500 maintenance.
    const plain = run(false);
    expect(plain.h).toMatchObject({ initial: 9_000n * USD, maintenance: 4_500n * USD });
    // Portfolio: the group's net exposure is 60,000 − 60,000 = 0, so the ±16% scenarios lose
    // nothing; the floor 2% × $120,000 gross = $2,400 initial, 50% of it maintenance.
    const pm = run(true);
    expect(pm.h).toMatchObject({ initial: 2_400n * USD, maintenance: 1_200n * USD });
    const withdraw = (r: typeof plain, amount: bigint) =>
      r.d.signed({ type: "Withdraw", account: 0, nonce: r.d.nextNonce(), asset: 0, amount, signature: "0x" });
    expect(withdraw(plain, 1_001n * USD).reason).toBe("INSUFFICIENT_MARGIN");
    expect(withdraw(pm, 7_600n * USD).ok).toBe(true);
  });
});

describe("governed risk parameters", () => {
  const le = (x: bigint) => `0x${Array.from({ length: 32 }, (_, i) => ((x >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, "0")).join("")}` as const;
  it("apply at the queue position within their bounds, and refuse values that would break liquidation sizing", () => {
    const d = new Driver();
    const update = (key: number, value: bigint, target = 0) =>
      d.apply({ type: "ParamUpdate", queueIndex: d.state.l1.nextIndex, key, target, value: le(value) });
    expect(update(30, 20_000n).ok).toBe(true);
    expect(d.state.params.liquidationPenaltyPpm).toBe(20_000n);
    // ETH's maintenance is 2.5%: a 2.5% penalty would make liquidation sizing non-monotone.
    const r = update(30, 25_000n);
    expect(r).toMatchObject({ ok: false, reason: "PARAM_INVALID", l1Consumed: true });
    expect(d.state.params.liquidationPenaltyPpm).toBe(20_000n);
    expect(update(36, 100_001n).reason).toBe("PARAM_INVALID");
    expect(update(39, 300_000n, 1).ok).toBe(true);
    expect(d.state.params.groupShocksPpm[1]).toBe(300_000n);
    expect(update(40, 1n, ETH).ok).toBe(true);
    expect(d.state.markets[ETH]!.group).toBe(1);
    expect(update(41, 5n * USD, BTC).ok).toBe(true);
    expect(d.state.markets[BTC]!.liquidationCap).toBe(5n * USD);
  });
});
