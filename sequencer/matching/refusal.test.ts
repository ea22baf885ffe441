/**
 * Refused fills through the real STF (docs/matching.md "Refused fills"): the side at fault
 * leaves matching, the taker goes on against the rest of the book (`rematch`), and the book
 * is never left crossed. Then a random stream with thinly funded accounts (whose resting
 * orders each pass placement but not together), governed lot changes and a listing, checking
 * after every step that the book equals the STF's live orders and is not crossed.
 */
import { describe, expect, it } from "vitest";
import { createGenesisState } from "../state/genesis.js";
import { USD, testGenesis } from "../state/test/fixtures.js";
import { fillBlame } from "./blame.js";
import { type SimOptions, Sim, fundedSim, randomActions } from "./test/sim.js";

const P = (dollars: number) => BigInt(dollars) * USD; // market 0 (BTC) price, tick $1
const LOTS = (n: number) => 10_000n * BigInt(n); // market 0 lot = 0.0001 BTC

/** Accounts 0..5 rich, 6..8 with $100 each. */
function setup(o: SimOptions = {}): Sim {
  const sim = Sim.fresh(createGenesisState(testGenesis()), o);
  for (let a = 0; a < 9; a++) expect(sim.deposit(a, a < 6 ? 10_000_000n * USD : 100n * USD).ok).toBe(true);
  return sim;
}
const brief = (fills: { makerAccount: number; makerSlot: number; price: bigint; size: bigint }[]) =>
  fills.map((f) => [f.makerAccount, f.makerSlot, Number(f.price / USD), Number(f.size / 10_000n)]);

/**
 * Maker 6 ($100) quotes three sells of 100 lots ($600 notional, $60 initial margin each):
 * each passes placement alone, only the first can be filled. Account 1 quotes behind it.
 */
function thinMakerBook(sim: Sim, withDepth: boolean) {
  expect(sim.place(6, 0, "sell", P(60_001), LOTS(100)).receipt.ok).toBe(true); // (6,0)
  expect(sim.place(6, 0, "sell", P(60_002), LOTS(100)).receipt.ok).toBe(true); // (6,1)
  expect(sim.place(6, 0, "sell", P(60_002), LOTS(100)).receipt.ok).toBe(true); // (6,2)
  expect(sim.place(1, 0, "sell", P(60_002), LOTS(100)).receipt.ok).toBe(true); // (1,0)
  if (withDepth) expect(sim.place(2, 0, "sell", P(60_003), LOTS(300)).receipt.ok).toBe(true); // (2,0)
}

describe("refused fills (real STF)", () => {
  it("maker at fault: its orders are detached, the taker rematches against the rest of the book", () => {
    const sim = setup();
    thinMakerBook(sim, true);
    const { outcome } = sim.place(0, 0, "buy", P(60_003), LOTS(400));
    const o = outcome!;
    expect(brief(o.rounds[0]!.fills)).toEqual([
      [6, 0, 60_001, 100],
      [6, 1, 60_002, 100],
      [6, 2, 60_002, 100],
      [1, 0, 60_002, 100],
    ]);
    expect(o.applied.map((a) => a.reason ?? "ok")).toEqual(["ok", "INSUFFICIENT_MARGIN", "INSUFFICIENT_MARGIN", "ok", "ok"]);
    expect(o.rejections.map((r) => [r.blamed, r.evicted, r.takerStopped, r.rematch])).toEqual([
      ["maker", { account: 6, slot: 1 }, false, true],
      ["maker", { account: 6, slot: 2 }, false, true],
    ]);
    // Round 2: the 200 lots the refusals left go to the next maker in priority.
    expect(o.rounds.length).toBe(2);
    expect(brief(o.rounds[1]!.fills)).toEqual([[2, 0, 60_003, 200]]);
    expect(o.rounds[1]!.rested).toBe(false);
    expect(sim.state.accounts[0]!.positions[0]!.size).toBe(LOTS(400));
    expect(sim.engine.detachedOrders()).toEqual([
      { account: 6, slot: 1, market: 0, reason: "fill-refused" },
      { account: 6, slot: 2, market: 0, reason: "fill-refused" },
    ]);
    expect(sim.engine.depth(0, 5).asks).toEqual([{ price: P(60_003), size: LOTS(100), orders: 1 }]);
    sim.check("maker at fault");
  });

  it("a GTC taker fully matched on paper keeps the refused size and rests it, not crossed", () => {
    const sim = setup();
    thinMakerBook(sim, false);
    const { outcome } = sim.place(0, 0, "buy", P(60_003), LOTS(400));
    const o = outcome!;
    expect(o.rounds[0]!.rested).toBe(false); // the engine matched all 400 lots
    expect(o.rounds.length).toBe(2);
    expect(o.rounds[1]!.fills).toEqual([]);
    expect(o.rounds[1]!.rested).toBe(true); // 200 lots were refused: they rest now
    expect(sim.engine.ordersOf(0).map((x) => [x.slot, x.remaining])).toEqual([[0, LOTS(200)]]);
    expect(sim.engine.best(0)).toEqual({ bid: P(60_003), ask: null });
    sim.check("taker rests after refusal");
    // The owner cancels a detached order: the record goes with the STF's OrderRemoved.
    const r = sim.applyAndFeed({ type: "CancelOrder", account: 6, nonce: sim.nextNonce(), slot: 1, clientOrderId: 0n, signature: "0x" }, sim.state.accounts[6]!.owner);
    expect(r.ok).toBe(true);
    expect(sim.engine.detachedOrders().map((d) => d.slot)).toEqual([2]);
  });

  it("taker at fault: it stops, does not rest, and is detached; the maker stays in the book", () => {
    const sim = setup();
    expect(sim.place(1, 0, "sell", P(60_001), LOTS(100)).receipt.ok).toBe(true);
    expect(sim.place(2, 0, "sell", P(60_002), LOTS(100)).receipt.ok).toBe(true);
    // Taker 7 ($100) buys 100 lots; between its placement and the fill it withdraws most of
    // its collateral (the core never does this; it makes the taker the failing side).
    const placed = sim.signed({ type: "PlaceOrder", account: 7, nonce: sim.nextNonce(), market: 0, flags: 0, price: P(60_002), size: LOTS(150), expiry: 0n, clientOrderId: 0n, signature: "0x" });
    expect(placed.ok).toBe(true);
    const res = sim.engine.onPlaced(sim.placedFromState(7, 0), sim.now);
    expect(brief(res.fills)).toEqual([
      [1, 0, 60_001, 100],
      [2, 0, 60_002, 50],
    ]);
    expect(sim.applyAndFeed({ type: "Withdraw", account: 7, nonce: sim.nextNonce(), asset: 0, amount: 95n * USD, signature: "0x" }, sim.state.accounts[7]!.owner).ok).toBe(true);
    const f = res.fills[0]!;
    expect(fillBlame(sim.state, f, sim.now)).toEqual({ maker: null, taker: "INSUFFICIENT_MARGIN" });
    const r = sim.apply(f);
    expect(r.reason).toBe("INSUFFICIENT_MARGIN");
    const rej = sim.engine.onFillRejected(f, r.reason);
    expect(rej).toEqual({ blamed: "taker", evicted: null, takerStopped: true, rematch: false });
    expect(sim.engine.isDetached(7, 0)).toBe(true);
    const r2 = sim.apply(res.fills[1]!);
    expect(r2.ok).toBe(false);
    expect(sim.engine.onFillRejected(res.fills[1]!, r2.reason).takerStopped).toBe(true);
    expect(sim.engine.rematchPending).toBe(false);
    expect(sim.engine.rematch().fills).toEqual([]);
    expect(sim.engine.detachedOrders()).toEqual([{ account: 7, slot: 0, market: 0, reason: "fill-refused" }]);
    expect(sim.engine.depth(0, 5).asks.map((l) => l.size)).toEqual([LOTS(100), LOTS(100)]);
    sim.check("taker at fault");
  });

  it("fallback rule (no blameFill): maker first; a refusal against a second maker account stops the taker", () => {
    // Same maker account twice: both of its orders are evicted, the taker goes on.
    const a = setup({ blame: false });
    thinMakerBook(a, true);
    const oa = a.place(0, 0, "buy", P(60_003), LOTS(400)).outcome!;
    expect(oa.rejections.map((r) => r.blamed)).toEqual(["maker", "maker"]);
    expect(brief(oa.rounds[1]!.fills)).toEqual([[2, 0, 60_003, 200]]);
    a.check("fallback, one maker account");

    // Two thin maker accounts: the second refusal (another account) is pinned on the taker.
    const b = setup({ blame: false });
    const c = setup();
    for (const sim of [b, c]) {
      expect(sim.place(6, 0, "sell", P(60_001), LOTS(100)).receipt.ok).toBe(true);
      expect(sim.place(6, 0, "sell", P(60_001), LOTS(100)).receipt.ok).toBe(true);
      expect(sim.place(7, 0, "sell", P(60_002), LOTS(100)).receipt.ok).toBe(true);
      expect(sim.place(7, 0, "sell", P(60_002), LOTS(100)).receipt.ok).toBe(true);
      expect(sim.place(1, 0, "sell", P(60_003), LOTS(300)).receipt.ok).toBe(true);
    }
    const ob = b.place(0, 0, "buy", P(60_003), LOTS(500)).outcome!;
    expect(ob.rejections.map((r) => [r.blamed, r.takerStopped])).toEqual([
      ["maker", false],
      ["taker", true],
    ]);
    expect(b.engine.isDetached(0, 0)).toBe(true);
    b.check("fallback, two maker accounts");
    // With the STF-side helper both refusals are the makers'; the taker fills in full.
    const oc = c.place(0, 0, "buy", P(60_003), LOTS(500)).outcome!;
    expect(oc.rejections.map((r) => r.blamed)).toEqual(["maker", "maker"]);
    expect(brief(oc.rounds[1]!.fills)).toEqual([[1, 0, 60_003, 200]]);
    expect(c.state.accounts[0]!.positions[0]!.size).toBe(LOTS(500));
    c.check("blameFill, two maker accounts");
  });

  it("an IOC taker rematches at its placement millisecond; onPlaced refuses to run while a rematch is due", () => {
    const sim = setup();
    thinMakerBook(sim, true);
    const placed = sim.signed({ type: "PlaceOrder", account: 0, nonce: sim.nextNonce(), market: 0, flags: 2, price: P(60_003), size: LOTS(400), expiry: 0n, clientOrderId: 0n, signature: "0x" });
    const res = sim.engine.onPlaced(sim.placedFromState(0, 0), sim.now);
    expect(res.dropped).toBe(0n);
    for (const f of res.fills) {
      const r = sim.apply(f);
      if (r.ok) sim.engine.onStfEvents(r.events);
      else sim.engine.onFillRejected(f, r.reason);
    }
    expect(placed.ok).toBe(true);
    expect(sim.engine.rematchPending).toBe(true);
    expect(() => sim.engine.onPlaced({ ...sim.placedFromState(0, 0), slot: 1, nonce: 1n }, sim.now)).toThrow(/awaits rematch/);
    expect(() => sim.engine.exportPriority()).toThrow(/awaits rematch/);
    const r2 = sim.engine.rematch();
    expect(brief(r2.fills)).toEqual([[2, 0, 60_003, 200]]);
    expect(sim.apply(r2.fills[0]!).ok).toBe(true);
    expect(sim.engine.rematchPending).toBe(false);
  });
});

// MATCHING_SOAK=<n> runs n seeds of 10,000 steps each instead of the quick default.
const SOAK = Number(process.env.MATCHING_SOAK ?? 0);
const SEEDS = SOAK > 0 ? Array.from({ length: SOAK }, (_, i) => 300 + i) : [13, 16];
const STEPS = SOAK > 0 ? 10_000 : 2_500;

describe("random stream with thin accounts, lot changes and a listing (real STF)", () => {
  for (const blame of [true, false]) {
    for (const policy of ["cancel-oldest", "cancel-taker"] as const) {
      for (const seed of SEEDS) {
        it(`seed ${seed}, ${blame ? "blameFill" : "fallback rule"}, ${policy}: book = STF live orders, never crossed, rematch bounded`, () => {
          const sim = fundedSim(createGenesisState(testGenesis()), { selfTrade: policy, blame });
          let step = 0;
          for (const a of randomActions(seed, STEPS, { lotChanges: true, listAt: 400 })) {
            sim.run(a);
            sim.check(`step ${step++} ${a.kind}`);
          }
          const s = sim.stats;
          console.log(JSON.stringify({ seed, blame, policy, ...s }));
          // The flow must exercise the features (in soak mode: at least one refusal per seed).
          expect(s.fills).toBeGreaterThan(200);
          expect(s.refused).toBeGreaterThan(SOAK > 0 ? 0 : 5);
          expect(s.makersEvicted).toBeGreaterThan(SOAK > 0 ? 0 : 5);
          expect(s.listed).toBe(1);
          if (SOAK === 0) {
            expect(s.rematchFills).toBeGreaterThan(0);
            expect(s.restedAfterRefusal).toBeGreaterThan(0);
            expect(s.maxRounds).toBeGreaterThan(2);
            expect(s.lotChanges).toBeGreaterThan(3);
            expect(s.lotSizeCancelled).toBeGreaterThan(0);
          }
        });
      }
    }
  }
});
