/**
 * Governed market changes through the real STF (docs/matching.md "Market changes"): a
 * ParamUpdate changing a market's tick and lot, and one listing a new market, reach the
 * engine through `onStfEvents` (ParamChanged, with `marketConfig`), and every fill the engine
 * emits afterwards is on the new lot and accepted.
 */
import { describe, expect, it } from "vitest";
import { createGenesisState } from "../state/genesis.js";
import { PARAM_KEYS } from "../state/ops/paramUpdate.js";
import { USD, testGenesis } from "../state/test/fixtures.js";
import { MatchingEngine } from "./engine.js";
import { Sim, engineConfig, paramValue } from "./test/sim.js";

const P = (dollars: number) => BigInt(dollars) * USD;

function setup(withMarketConfig = true): Sim {
  const state = createGenesisState(testGenesis());
  const cfg = engineConfig(state);
  if (!withMarketConfig) delete cfg.marketConfig;
  const sim = new Sim(state, new MatchingEngine(cfg), 1_000n, 1_000n);
  for (let a = 0; a < 6; a++) expect(sim.deposit(a, 10_000_000n * USD).ok).toBe(true);
  return sim;
}
const tickLot = (tick: bigint, lot: bigint) => paramValue([
  [0, 8, tick],
  [8, 8, lot],
]);

describe("governed market changes (real STF)", () => {
  it("a lot increase: sub-lot orders are detached at the ParamChanged, off-lot makers fill their on-lot part", () => {
    const sim = setup();
    expect(sim.place(1, 0, "sell", P(60_001), 10_000n).receipt.ok).toBe(true); // 1 old lot
    expect(sim.place(2, 0, "sell", P(60_001), 50_000n).receipt.ok).toBe(true); // 5 old lots
    expect(sim.place(3, 0, "sell", P(60_002), 60_000n).receipt.ok).toBe(true); // 6 old lots
    // Governance: tick $2, lot 0.0003 BTC.
    const r = sim.paramUpdate(PARAM_KEYS.MARKET_TICK_LOT, 0, tickLot(2n * USD, 30_000n));
    expect(r.ok, r.reason).toBe(true);
    expect(sim.engine.lotSize(0)).toBe(30_000n);
    expect(sim.engine.detachedOrders()).toEqual([{ account: 1, slot: 0, market: 0, reason: "lot-size" }]);
    expect(sim.stats.lotSizeCancelled).toBe(1);
    sim.check("after the lot change");

    const o = sim.place(0, 0, "buy", P(60_002), 120_000n).outcome!;
    expect(o.applied.every((x) => x.ok)).toBe(true);
    expect(o.rounds[0]!.fills.map((f) => [f.makerAccount, f.size])).toEqual([
      [2, 30_000n], // 20,000 would be left: below the lot
      [3, 60_000n],
    ]);
    expect(o.rounds[0]!.lotSizeCancelled).toEqual([{ account: 2, slot: 0 }]);
    expect(o.rounds[0]!.rested).toBe(true); // 30,000 rests at $60,002
    expect(sim.state.accounts[2]!.orders[0]!.remaining).toBe(20_000n); // live in the STF, detached
    expect(sim.engine.best(0)).toEqual({ bid: P(60_002), ask: null });
    sim.check("after the sweep");

    // A lot decrease detaches nothing; fills of the finer lot are accepted.
    expect(sim.paramUpdate(PARAM_KEYS.MARKET_TICK_LOT, 0, tickLot(USD, 5_000n)).ok).toBe(true);
    expect(sim.engine.lotSize(0)).toBe(5_000n);
    const o2 = sim.place(4, 0, "sell", P(60_002), 15_000n).outcome!;
    expect(o2.applied).toEqual([{ fill: expect.any(String), ok: true }]);
    expect(sim.engine.ordersOf(0).map((x) => x.remaining)).toEqual([15_000n]);
    sim.check("after the lot decrease");
  });

  it("a listing: the engine opens the market's book at the ParamChanged and matches in it", () => {
    const sim = setup();
    expect(() => sim.engine.book(2)).toThrow(/unknown market/);
    const r = sim.paramUpdate(PARAM_KEYS.LIST_MARKET, 2, paramValue([
      [0, 8, 10_000n],
      [8, 8, 1_000_000n],
      [16, 4, 100_000n],
      [20, 4, 50_000n],
    ]));
    expect(r.ok, r.reason).toBe(true);
    expect(sim.engine.lotSize(2)).toBe(1_000_000n);
    sim.now += 1n;
    expect(sim.oracle([{ id: 2, price: P(20) }]).ok).toBe(true);
    expect(sim.place(1, 2, "sell", P(20), 3_000_000n).outcome!.rounds[0]!.rested).toBe(true);
    const o = sim.place(0, 2, "buy", P(21), 2_000_000n, { flags: 2 }).outcome!;
    expect(o.applied.map((x) => x.ok)).toEqual([true]);
    expect(sim.state.accounts[0]!.positions[2]!.size).toBe(2_000_000n);
    sim.check("listed market");
  });

  it("without marketConfig the engine keeps the old lot (the caller must call onMarketChanged)", () => {
    const sim = setup(false);
    expect(sim.place(2, 0, "sell", P(60_001), 50_000n).receipt.ok).toBe(true);
    expect(sim.paramUpdate(PARAM_KEYS.MARKET_TICK_LOT, 0, tickLot(USD, 30_000n)).ok).toBe(true);
    expect(sim.engine.lotSize(0)).toBe(10_000n);
    const placed = sim.signed({ type: "PlaceOrder", account: 0, nonce: sim.nextNonce(), market: 0, flags: 0, price: P(60_001), size: 60_000n, expiry: 0n, clientOrderId: 0n, signature: "0x" });
    expect(placed.ok).toBe(true);
    const res = sim.engine.onPlaced(sim.placedFromState(0, 0), sim.now);
    expect(sim.apply(res.fills[0]!).reason).toBe("FILL_SIZE_INVALID"); // 50,000 is off the new lot
    expect(sim.engine.onFillRejected(res.fills[0]!, "FILL_SIZE_INVALID").blamed).toBe("unknown");
    // Told explicitly, it follows.
    const s2 = setup(false);
    expect(s2.paramUpdate(PARAM_KEYS.MARKET_TICK_LOT, 0, tickLot(USD, 30_000n)).ok).toBe(true);
    s2.engine.onMarketChanged(0, s2.state.markets[0]!);
    expect(s2.engine.lotSize(0)).toBe(30_000n);
  });
});
