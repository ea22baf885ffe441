/** Genesis validation: the same bounds ParamUpdate enforces, with errors that name the field. */
import { describe, expect, it } from "vitest";
import { NO_ACCOUNT } from "../constants.js";
import { createGenesisState } from "../genesis.js";
import { PARAM_BOUNDS } from "../ops/paramUpdate.js";
import { BTC, BTC_UNIT, Driver, USD, liquidate, testGenesis } from "./fixtures.js";

describe("genesis risk parameters", () => {
  it("refuses a zero pacing window (it would divide by zero at the first liquidation), naming the field", () => {
    expect(() => createGenesisState(testGenesis({ risk: { pacingWindowMs: 0n } }))).toThrow(/invalid genesis: risk\.pacingWindowMs = 0 outside \[100, 3600000\]/);
  });

  it("applies ParamUpdate's bound to every risk parameter", () => {
    const cases: [string, Record<string, unknown>][] = [
      ["liquidationBufferPpm", { liquidationBufferPpm: PARAM_BOUNDS.liquidationBufferPpm[1] + 1n }],
      ["pacingWindowMs", { pacingWindowMs: PARAM_BOUNDS.pacingWindowMs[1] + 1n }],
      ["accountLiquidationCap", { accountLiquidationCap: 0n }],
      ["insuranceLossCap", { insuranceLossCap: 0n }],
      ["fundingIntervalMs", { fundingIntervalMs: 1_000n }],
      ["maxFundingRatePpm", { maxFundingRatePpm: 100_001n }],
      ["portfolioFloorPpm", { portfolioFloorPpm: 999n }],
      ["portfolioMaintenancePpm", { portfolioMaintenancePpm: 99_999n }],
      ["groupShocksPpm\\[3\\]", { groupShocksPpm: [0n, 0n, 0n, 1_000_001n, 0n, 0n, 0n, 0n] }],
      ["groupShocksPpm", { groupShocksPpm: [0n] }],
      ["liquidationPenaltyPpm", { liquidationPenaltyPpm: -1n }],
      ["liquidationPenaltyPpm", { liquidationPenaltyPpm: 25_000n }], // ETH's maintenance is 2.5 %
      ["backstopAccount", { backstopAccount: 0 }],
      ["pacingWindowMz", { pacingWindowMz: 1_000n }],
    ];
    for (const [field, risk] of cases) {
      expect(() => createGenesisState(testGenesis({ risk: risk as never })), field).toThrow(new RegExp(`invalid genesis: risk\\.${field}`));
    }
    const m = testGenesis();
    m.markets[0]!.group = 8;
    expect(() => createGenesisState(m)).toThrow(/market 0 group = 8/);
    const c = testGenesis();
    c.markets[1]!.liquidationCap = 0n;
    expect(() => createGenesisState(c)).toThrow(/market 1 liquidationCap = 0/);
    const a = testGenesis();
    a.assets[1]!.decimals = 37;
    expect(() => createGenesisState(a)).toThrow(/asset 1 decimals = 37/);
  });

  it("accepts values at the bounds, and the resulting state liquidates", () => {
    const cfg = testGenesis({
      risk: { pacingWindowMs: PARAM_BOUNDS.pacingWindowMs[0], liquidationBufferPpm: 0n, backstopAccount: NO_ACCOUNT, portfolioFloorPpm: 1_000n },
    });
    const d = new Driver(cfg);
    expect(d.state.params.pacingWindowMs).toBe(100n);
    d.deposit(0, 10_000n * USD);
    d.deposit(1, 1_000_000n * USD);
    d.deposit(2, 1_000_000n * USD);
    for (const a of [0, 1, 2]) d.setCross(a, BTC);
    expect(d.trade(1, 0, BTC, "buy", 60_000n * USD, BTC_UNIT).ok).toBe(true);
    d.now += 1_000n;
    expect(d.oracle([{ id: BTC, price: 52_000n * USD }]).ok).toBe(true);
    expect(liquidate(d, 2, 0, BTC).ok).toBe(true);
  });
});
