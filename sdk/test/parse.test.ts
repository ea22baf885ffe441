/**
 * Response parsing: decimal strings become bigints, exactly. Operations and STF events go
 * through the sequencer's own `toJson` and back; account and market views are the API's own
 * (sequencer/api/views.ts) over a state with real trades, so a shape change there fails here.
 */
import { describe, expect, it } from "vitest";
import { toJson } from "../../sequencer/api/schema.js";
import { accountView, marketsView } from "../../sequencer/api/views.js";
import { MODE_CROSS } from "../../sequencer/state/constants.js";
import type { Op, StfEvent } from "../../sequencer/state/index.js";
import { BTC, BTC_UNIT, Driver, ETH, USD, owner, slotOf } from "../../sequencer/state/test/fixtures.js";
import { parseAccount, parseEvent, parseOp, parseReceipt } from "../index.js";
import { parseMarkets } from "../types.js";

/** What goes over the wire: the server's toJson, serialized and parsed as text. */
const wire = (v: unknown) => JSON.parse(JSON.stringify(toJson(v)));
const sig = `0x${"11".repeat(65)}` as const;

const EVERY_OP: Op[] = [
  { type: "Deposit", queueIndex: 7n, account: 3, owner: "0x00000000000000000000000000000000000000ab", asset: 1, amount: 10n ** 30n },
  { type: "ParamUpdate", queueIndex: 8n, key: 12, target: 1, value: `0x${"01".repeat(32)}` },
  { type: "Withdraw", account: 1, nonce: 1n, asset: 0, amount: 2n ** 128n - 1n, signature: sig },
  { type: "Transfer", account: 1, nonce: 2n, to: 2, asset: 0, amount: 0n, signature: sig },
  { type: "GrantSessionKey", account: 1, nonce: 3n, key: "0x00000000000000000000000000000000000000cd", expiry: 2n ** 64n - 1n, signature: sig },
  { type: "RevokeSessionKey", account: 1, nonce: 4n, key: "0x00000000000000000000000000000000000000cd", signature: sig },
  { type: "PlaceOrder", account: 1, nonce: 1_700_000_000_000n, market: 2, flags: 9, price: 60_000n * USD, size: 10_000n, expiry: 0n, clientOrderId: 42n, signature: sig },
  { type: "CancelOrder", account: 1, nonce: 5n, slot: 255, clientOrderId: 42n, signature: sig },
  { type: "CancelAll", account: 1, nonce: 6n, market: 0xffff, signature: sig },
  { type: "Fill", makerAccount: 1, makerSlot: 3, takerAccount: 2, takerSlot: 63, price: 5n, size: 6n },
  { type: "OracleUpdate", timestamp: 9n, prices: [{ kind: 0, id: 1, price: 2n }, { kind: 1, id: 1, price: 3n }], signatures: [sig] },
  { type: "SetMarginMode", account: 1, nonce: 7n, market: 0, mode: 1, signature: sig },
  { type: "AdjustIsolatedMargin", account: 1, nonce: 8n, market: 0, delta: -(2n ** 63n), signature: sig },
  { type: "Liquidate", account: 1, nonce: 9n, target: 2, market: 0, signature: sig },
  { type: "Deleverage", target: 2, market: 0, counterparty: 3, size: 10n },
  { type: "FundingTick", market: 0, premiumPpm: -1234n },
  { type: "SetPortfolioMargin", account: 1, nonce: 10n, enabled: 1, signature: sig },
  { type: "ForcedWithdraw", queueIndex: 11n, account: 1, asset: 0, amount: 1n },
  { type: "ForcedClose", queueIndex: 12n, account: 1, market: 0 },
];

/** Two accounts trade BTC (one short), one rests an ETH order, one goes cross: real STF events and views. */
function tradedState() {
  const d = new Driver();
  const events: StfEvent[] = [];
  const run = (r: { ok: boolean; reason?: string; events: StfEvent[] }) => {
    expect(r.reason).toBeUndefined();
    events.push(...r.events);
    return r;
  };
  run(d.deposit(0, 1_000_000n * USD));
  run(d.deposit(1, 1_000_000n * USD));
  run(d.setCross(1, BTC));
  run(d.trade(0, 1, BTC, "sell", 60_000n * USD, BTC_UNIT / 2n)); // account 1 sells: short
  const resting = run(d.place(0, ETH, "buy", 2_900n * USD, 1_000_000n, { clientOrderId: 2n ** 64n - 1n, expiry: 10n ** 15n }));
  d.now += 1_000n; // an oracle update must be newer than the genesis price
  run(d.oracle([{ id: BTC, price: 61_000n * USD }]));
  return { d, events, restingSlot: slotOf(resting as never) };
}

describe("parsing", () => {
  it("round-trips every operation type through the wire, bigints exact (negative, > 2^64)", () => {
    for (const op of EVERY_OP) expect(parseOp(wire(op))).toEqual(op);
    expect(new Set(EVERY_OP.map((o) => o.type)).size).toBe(19);
  });

  it("round-trips the STF's own events", () => {
    const { events } = tradedState();
    const kinds = new Set(events.map((e) => e.kind));
    for (const k of ["AccountCreated", "BalanceChanged", "OrderPlaced", "OrderRemoved", "Fill", "PositionChanged", "OraclePrice"]) expect(kinds).toContain(k);
    for (const e of events) expect(parseEvent(wire(e))).toEqual(e);
  });

  it("parses the API's account view into bigints that match the state", () => {
    const { d, restingSlot } = tradedState();
    const now = d.now;
    for (const i of [0, 1]) {
      const a = parseAccount(wire(accountView(d.state, i, now)));
      const st = d.state.accounts[i]!;
      expect(a.index).toBe(i);
      expect(a.owner).toBe(owner(i));
      expect(a.balances).toEqual(st.balances);
      expect(a.positions.map((p) => [p.market, p.size, p.entryNotional, p.isolatedMargin])).toEqual(
        st.openMarkets.map((m) => [m, st.positions[m]!.size, st.positions[m]!.entryNotional, st.positions[m]!.isolatedMargin]),
      );
      expect(a.margin.health).toBe(a.margin.equity - a.margin.maintenanceRequirement);
      expect(typeof a.margin.collateral).toBe("bigint");
      expect(a.deadman).toBeNull();
    }
    const short = parseAccount(wire(accountView(d.state, 1, now)));
    expect(short.positions[0]).toMatchObject({ market: BTC, size: -(BTC_UNIT / 2n), marginMode: "cross" });
    expect(d.state.accounts[1]!.positions[BTC]!.marginMode).toBe(MODE_CROSS);
    expect(short.positions[0]!.unrealizedPnl).toBeLessThan(0n); // short while the price rose
    const long = parseAccount(wire(accountView(d.state, 0, now)));
    expect(long.positions[0]).toMatchObject({ size: BTC_UNIT / 2n, marginMode: "isolated" });
    expect(typeof long.positions[0]!.isolatedEquity).toBe("bigint");
    expect(long.orders).toEqual([
      { slot: restingSlot, market: ETH, side: "buy", price: 2_900n * USD, size: 1_000_000n, remaining: 1_000_000n, expiry: 10n ** 15n, clientOrderId: 2n ** 64n - 1n, flags: 0 },
    ]);
    // The server adds the armed dead-man time; its absence and null both read as null.
    expect(parseAccount({ ...wire(accountView(d.state, 0, now)), deadman: "1764388800000" }).deadman).toBe(1_764_388_800_000n);
  });

  it("parses the API's market view", () => {
    const { d } = tradedState();
    const ms = parseMarkets(wire(marketsView(d.state)));
    expect(ms.map((m) => m.id)).toEqual([BTC, ETH]);
    expect(ms[BTC]!.oraclePrice).toBe(61_000n * USD);
    expect(ms[BTC]!.tickSize).toBe(d.state.markets[BTC]!.tickSize);
    expect(ms[BTC]!.openInterest).toBe(d.state.markets[BTC]!.openInterest);
    expect(ms[BTC]!.tiers[0]!.imfPpm).toBe(d.state.markets[BTC]!.tiers[0]!.imfPpm);
  });

  it("parses a receipt as the server builds it, seq as string or number", () => {
    const { events } = tradedState();
    const body = wire({ seq: 42, timestamp: 1_764_388_800_125n, ok: true, events, fills: [{ seq: "43", ok: false, reason: "SELF_TRADE", events: [] }], detached: [{ account: 1, slot: 2 }] });
    const r = parseReceipt(body);
    expect(r.seq).toBe(42n);
    expect(r.timestamp).toBe(1_764_388_800_125n);
    expect(r.events).toEqual(events);
    expect(r.fills).toEqual([{ seq: 43n, ok: false, reason: "SELF_TRADE", events: [] }]);
    expect(r.detached).toEqual([{ account: 1, slot: 2 }]);
  });

  it("names the field when a response does not have the documented shape", () => {
    const { d } = tradedState();
    const good = wire(accountView(d.state, 0, d.now));
    expect(() => parseAccount({ ...good, balances: ["1", 1.5] })).toThrow(/balances\[1\]: expected an integer/);
    expect(() => parseAccount({ ...good, margin: { ...good.margin, health: "1e9" } })).toThrow(/margin\.health/);
    expect(() => parseAccount({ ...good, positions: [{ ...good.positions[0], marginMode: "portfolio" }] })).toThrow(/positions\[0\]\.marginMode: expected cross \| isolated/);
    expect(() => parseOp({ account: 1 })).toThrow(/type/);
  });
});
