/**
 * The risk engine with exact numbers (docs/risk.md repeats them as worked examples).
 * BTC: tiers 10% / 5% to $1M; penalty 1%; buffer 10%; oracle band 20% per update.
 */
import { describe, expect, it } from "vitest";
import { INT128_MIN, PPM } from "../constants.js";
import { crossHealth, isolatedEquity, portfolioRequirement } from "../margin.js";
import type { StfEvent } from "../receipt.js";
import { setBalance } from "../state.js";
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

describe("waterfall: the insurance fund's collateral purchases", () => {
  /**
   * Account 0: $100 and 1 WETH ($3,000 at weight 0.8), cross long 0.1 BTC at $60,000, closed
   * at $57,000: realized −$300, so it is flat with a settlement balance of −$200 and its
   * WETH. Account 3 ($10,000, long 1 BTC) is liquidated at $52,000 later to fill the fund
   * with the worked example's $191.152 penalty.
   */
  function flatWithDebt(cfg = testGenesis()) {
    const d = new Driver(cfg);
    d.deposit(0, 100n * USD);
    d.deposit(0, 10n ** 18n, 1);
    d.deposit(1, 1_000_000n * USD);
    d.deposit(2, 1_000_000n * USD);
    d.deposit(3, 10_000n * USD);
    for (const a of [0, 1, 2, 3]) d.setCross(a, BTC);
    expect(d.trade(1, 3, BTC, "buy", 60_000n * USD, BTC_UNIT).ok).toBe(true);
    expect(d.trade(1, 0, BTC, "buy", 60_000n * USD, BTC_UNIT / 10n).ok).toBe(true);
    move(d, 57_000n * USD);
    expect(d.trade(1, 0, BTC, "sell", 57_000n * USD, BTC_UNIT / 10n).ok).toBe(true);
    expect(d.state.accounts[0]!.balances[0]).toBe(-200n * USD);
    return d;
  }

  it("never pays for collateral it does not have: the fund stays non-negative and the debt waits, backed by the collateral", () => {
    const d = flatWithDebt();
    expect(d.state.insuranceFund[0]).toBe(0n);
    // Empty fund: it cannot buy the WETH, and the debt is not socialized while WETH backs it.
    const r = liquidate(d, 2, 0, 0xffff);
    expect(r.reason).toBe("INSURANCE_INSUFFICIENT");
    expect(d.state.insuranceFund[0]).toBe(0n);
    expect(d.state.accounts[0]!.balances[0]).toBe(-200n * USD);
    expect(d.state.accounts[0]!.balances[1]).toBe(10n ** 18n);
    expect(d.state.socializedLoss).toBe(0n);
  });

  it("counts collateral purchases against the per-window loss cap, like the fund's cover", () => {
    const d = flatWithDebt(testGenesis({ risk: { insuranceLossCap: 150n * USD, pacingWindowMs: 60_000n } }));
    move(d, 52_000n * USD);
    expect(liquidate(d, 2, 3, BTC).ok).toBe(true);
    expect(d.state.insuranceFund[0]).toBe(191_152_000n);
    // The cap ($150 per minute) limits the purchase: 0.05 WETH for $150; $50 of debt waits.
    const r1 = liquidate(d, 2, 0, 0xffff);
    expect(r1.ok).toBe(true);
    expect(waterfall(r1.events)).toEqual([["collateral", 150n * USD]]);
    expect(d.state.insuranceWindow.paidInWindow).toBe(150n * USD);
    expect(d.state.accounts[0]!.balances[0]).toBe(-50n * USD);
    expect(d.state.accounts[0]!.balances[1]).toBe(95n * 10n ** 16n);
    expect(d.state.insuranceFund[1]).toBe(5n * 10n ** 16n);
    expect(liquidate(d, 2, 0, 0xffff).reason).toBe("INSURANCE_INSUFFICIENT");
    // Next window: the fund has $41.152 left, so it buys that much; the rest still waits.
    d.now += 60_000n;
    const r2 = liquidate(d, 2, 0, 0xffff);
    expect(waterfall(r2.events)).toEqual([["collateral", 41_152_000n]]);
    expect(d.state.insuranceFund[0]).toBe(0n);
    expect(d.state.accounts[0]!.balances[0]).toBe(-8_848_000n);
    expect(d.state.socializedLoss).toBe(0n);
  });
});

describe("portfolio-margin liquidation", () => {
  const PM = (d: Driver, a: number) =>
    expect(d.signed({ type: "SetPortfolioMargin", account: a, nonce: d.nextNonce(), enabled: 1, signature: "0x" }).ok).toBe(true);
  const withdraw = (d: Driver, a: number, amount: bigint) =>
    d.signed({ type: "Withdraw", account: a, nonce: d.nextNonce(), asset: 0, amount, signature: "0x" });

  /**
   * Account 0 (portfolio margin, $10,000): long 1 BTC at $60,000, short `eth` ETH at $3,000,
   * both cross in group 0 (shock 16 %, floor 2 %, maintenance 50 %), then withdraws down to
   * its initial requirement; a funding tick on ETH (shorts pay) then costs it `funding`.
   */
  function hedged(ethUnits: bigint, premiumPpm: bigint) {
    const d = new Driver();
    d.deposit(0, 10_000n * USD);
    d.deposit(1, 10_000_000n * USD);
    d.deposit(2, 10_000_000n * USD);
    for (const a of [0, 1, 2]) for (const m of [BTC, ETH]) d.setCross(a, m);
    PM(d, 0);
    expect(d.trade(1, 0, BTC, "buy", 60_000n * USD, BTC_UNIT).ok).toBe(true);
    expect(d.trade(1, 0, ETH, "sell", 3_000n * USD, ethUnits).ok).toBe(true);
    const h0 = crossHealth(d.state, d.state.accounts[0]!, d.now);
    expect(withdraw(d, 0, h0.equity - h0.initial).ok).toBe(true);
    expect(d.apply({ type: "FundingTick", market: ETH, premiumPpm }).ok).toBe(true);
    return d;
  }

  it("sizes to the smallest healthy δ even though health is not monotone in δ (closing past the hedge raises the requirement)", () => {
    // Long 1 BTC, short 15 ETH: net +$15,000 → initial 16 % × 15,000 = $2,400, maintenance
    // $1,200. Funding at −2.7556 % of $3,000 costs the short 15 × $82.668 = $1,240.02, leaving
    // equity $1,159.98 < $1,200. Selling BTC shrinks the group's net exposure, so health rises
    // until the net crosses zero at 0.25 BTC and falls after it: at 0.5 BTC (the first
    // midpoint of a plain binary search over the 10,000 lots) maintenance is back at $1,200,
    // and closing the whole BTC leg would leave $3,600 of maintenance and $559.98 of equity.
    const d = hedged(15n * BTC_UNIT, -27_556n);
    const a0 = d.state.accounts[0]!;
    const before = crossHealth(d.state, a0, d.now, false);
    expect(before).toMatchObject({ equity: 1_159_980_000n, maintenance: 1_200n * USD });
    const r = liquidate(d, 2, 0, BTC);
    expect(r.ok).toBe(true);
    // δ = 0.0342 BTC ($2,052): penalty $20.52; maintenance 50 % × 16 % × $12,948 = $1,035.84;
    // equity 1,159.98 − 20.52 = $1,139.46 ≥ 1.1 × 1,035.84 = $1,139.424.
    const liq = r.events.find((e) => e.kind === "Liquidation");
    if (liq?.kind !== "Liquidation") throw new Error("no Liquidation event");
    expect(liq).toMatchObject({ size: 3_420_000n, notional: 2_052n * USD, penalty: 20_520_000n });
    const after = crossHealth(d.state, a0, d.now, false);
    expect(after).toMatchObject({ equity: 1_139_460_000n, maintenance: 1_035_840_000n });
    expect(after.equity * 10n).toBeGreaterThanOrEqual(after.maintenance * 11n);
    // And it is the smallest such size: one lot less does not restore health.
    const less = liq.size - d.state.markets[BTC]!.lotSize;
    const mmLess = portfolioRequirement(d.state, a0, { market: BTC, size: BTC_UNIT - less }).maintenance;
    const penLess = (((less * 60_000n * USD) / BTC_UNIT) * d.state.params.liquidationPenaltyPpm + PPM - 1n) / PPM;
    expect((before.equity - penLess) * 10n).toBeLessThan(mmLess * 11n);
  });

  it("takes the position whose close lowers the portfolio requirement most first, not the largest tiered one", () => {
    // Long 1 BTC, short 30 ETH: net −$30,000 → maintenance 50 % × 16 % × 30,000 = $2,400.
    // Closing BTC would leave net −$90,000 ($7,200); closing ETH leaves +$60,000 ($4,800): the
    // ETH short is the larger risk although BTC's tiered maintenance ($3,000) is larger than
    // ETH's ($2,250). Funding at −2.7 % costs the short 30 × $81 = $2,430.
    const d = hedged(30n * BTC_UNIT, -27_000n);
    const h = crossHealth(d.state, d.state.accounts[0]!, d.now, false);
    expect(h.equity).toBeLessThan(h.maintenance);
    expect(liquidate(d, 2, 0, BTC)).toMatchObject({ ok: false, reason: "NOT_LARGEST_RISK" });
    expect(liquidate(d, 2, 0, ETH).ok).toBe(true);
    const after = crossHealth(d.state, d.state.accounts[0]!, d.now, false);
    expect(after.equity * 10n).toBeGreaterThanOrEqual(after.maintenance * 11n);
  });
});

describe("isolated liquidation penalty", () => {
  it("is paid from the position's isolated margin, never from the cross pool", () => {
    const d = new Driver();
    d.deposit(0, 20_000n * USD);
    d.deposit(1, 10_000_000n * USD);
    d.deposit(2, 10_000_000n * USD);
    d.setCross(2, BTC);
    // Isolated long 1 BTC at $60,000 ($6,000 of margin moved from the balance).
    expect(d.trade(1, 0, BTC, "buy", 60_000n * USD, BTC_UNIT).ok).toBe(true);
    // At $72,000 the position's $12,000 profit covers its initial requirement ($7,200): all
    // but $280 of its margin goes back to the cross balance.
    move(d, 72_000n * USD);
    expect(d.signed({ type: "AdjustIsolatedMargin", account: 0, nonce: d.nextNonce(), market: BTC, delta: -5_720n * USD, signature: "0x" }).ok).toBe(true);
    // Back at $66,000 (profit $6,000), two funding ticks of 4 % cost the long $5,280.
    move(d, 66_000n * USD);
    expect(d.apply({ type: "FundingTick", market: BTC, premiumPpm: 40_000n }).ok).toBe(true);
    d.now += 3_600_000n;
    expect(d.oracle([{ id: BTC, price: 66_000n * USD }]).ok).toBe(true);
    expect(d.apply({ type: "FundingTick", market: BTC, premiumPpm: 40_000n }).ok).toBe(true);
    const a0 = d.state.accounts[0]!;
    // Isolated equity 280 + 6,000 − 5,280 = $1,000 < maintenance 5 % × 66,000 = $3,300.
    expect(isolatedEquity(a0.positions[BTC]!, d.state.markets[BTC]!)).toBe(1_000n * USD);
    const cross = a0.balances[0]!;
    const r = liquidate(d, 2, 0, BTC);
    expect(r.ok).toBe(true);
    const liq = r.events.find((e) => e.kind === "Liquidation");
    if (liq?.kind !== "Liquidation") throw new Error("no Liquidation event");
    // The partial close leaves margin 280 + realized profit − funding, less than the 1 %
    // penalty: the penalty is capped at that margin, and the cross balance does not pay.
    expect(a0.positions[BTC]!.size).toBeGreaterThan(0n);
    expect(liq.penalty).toBeGreaterThan(0n);
    expect(liq.penalty).toBeLessThan((liq.notional + 99n) / 100n);
    expect(a0.positions[BTC]!.isolatedMargin).toBe(0n);
    expect(a0.balances[0]).toBe(cross);
    expect(d.state.insuranceFund[0]).toBe(liq.penalty);
  });

  it("refuses a penalty that would take the settlement balance below int128 (OVERFLOW), changing nothing", () => {
    // Asset 2: 0 decimals at 2 quote atoms each, so a balance near 2^126 is worth ~2^127.
    const cfg = testGenesis();
    cfg.assets.push({ decimals: 0, weightPpm: PPM, oraclePrice: 2n, oracleTimestamp: 1_000n });
    const d = new Driver(cfg);
    d.deposit(0, 10_000n * USD);
    d.deposit(1, 1_000_000n * USD);
    d.deposit(2, 1_000_000n * USD);
    for (const a of [0, 1, 2]) d.setCross(a, BTC);
    expect(d.trade(1, 0, BTC, "buy", 60_000n * USD, BTC_UNIT).ok).toBe(true);
    // A settlement balance 5 atoms above int128's minimum, backed by asset 2: equity $2,000
    // (+5 atoms) < maintenance $3,000, no PnL to realize at $60,000.
    const a0 = d.state.accounts[0]!;
    setBalance(d.state, a0, 0, INT128_MIN + 5n);
    setBalance(d.state, a0, 2, (1n << 126n) + 1_000n * USD);
    a0.crossCache = null;
    expect(crossHealth(d.state, a0, d.now, false).equity).toBe(2_000n * USD + 5n);
    const r = liquidate(d, 2, 0, BTC);
    expect(r).toMatchObject({ ok: false, reason: "OVERFLOW" });
    expect(a0.balances[0]).toBe(INT128_MIN + 5n);
    expect(a0.positions[BTC]!.size).toBe(BTC_UNIT);
  });
});
