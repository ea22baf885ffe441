/**
 * Property tests over ≥ 1,000 random operation sequences (seeded, so a failure names its
 * seed and replays exactly):
 * - determinism: two independent replays give identical receipts and roots;
 * - conservation per asset: collateral held by accounts, positions' cash, the insurance fund
 *   and withdrawals equal deposits; positions net to zero per market and open interest is
 *   the sum of longs;
 * - no accepted operation leaves an account it touched below its initial requirement,
 *   unless it only reduced that account's risk;
 * - a rejected operation changes nothing (the root is unchanged);
 * - the incremental root equals @chainsafe/ssz's hashTreeRoot of the whole state.
 */
import { describe, expect, it } from "vitest";
import { bytesToHex } from "../bytes.js";
import { MODE_CROSS } from "../constants.js";
import { createGenesisState } from "../genesis.js";
import { crossHealth, isolatedEquity, notional, tieredRequirement } from "../margin.js";
import { commitRoot } from "../merkle.js";
import type { Receipt } from "../receipt.js";
import type { CrossmarginState } from "../state.js";
import { applyOp } from "../stf.js";
import { referenceRoot } from "../sszValue.js";
import { jsonBigint, testGenesis } from "./fixtures.js";
import { RandomOps, Rng, type Step } from "./random.js";

const SEQUENCES = Number(process.env.STF_PROPERTY_SEQUENCES ?? 1_000);
const OPS_PER_SEQUENCE = 80;

function generate(seed: number): Step[] {
  const state = createGenesisState(testGenesis());
  const gen = new RandomOps(new Rng(seed));
  const steps: Step[] = [];
  for (let i = 0; i < OPS_PER_SEQUENCE; i++) {
    const s = gen.next(state);
    applyOp(state, s.op, s.ctx);
    steps.push(s);
  }
  return steps;
}

function replay(steps: Step[]): { receipts: Receipt[]; root: string } {
  const state = createGenesisState(testGenesis());
  const receipts = steps.map((s) => applyOp(state, s.op, s.ctx));
  return { receipts, root: bytesToHex(commitRoot(state)) };
}

/** Σ deposits − Σ withdrawals per asset must equal what the state holds for users. */
function holdings(state: CrossmarginState): bigint[] {
  const h = state.assets.map((_, i) => state.insuranceFund[i]!);
  for (const a of state.accounts) {
    a.balances.forEach((b, i) => {
      if (i < h.length) h[i]! += b;
    });
    for (const m of a.openMarkets) {
      const p = a.positions[m]!;
      // A position's cash: the margin set aside minus the quote paid to open it.
      h[0]! += p.isolatedMargin - p.entryNotional;
    }
  }
  for (const w of state.withdrawals) h[w.asset]! += w.amount;
  return h;
}

function checkMarkets(state: CrossmarginState): void {
  state.markets.forEach((m, id) => {
    let net = 0n;
    let longs = 0n;
    for (const a of state.accounts) {
      const s = a.positions[id]?.size ?? 0n;
      net += s;
      if (s > 0n) longs += s;
    }
    expect(net, `market ${id} nets to zero`).toBe(0n);
    expect(m.openInterest, `market ${id} open interest`).toBe(longs);
  });
}

function aboveInitial(state: CrossmarginState, account: number, market: number | null, now: bigint): boolean {
  const a = state.accounts[account]!;
  const h = crossHealth(state, a, now);
  if (h.equity < h.initial) return false;
  if (market === null) return true;
  const p = a.positions[market];
  if (!p || p.marginMode === MODE_CROSS || p.size === 0n) return true;
  const mk = state.markets[market]!;
  return isolatedEquity(p, mk) >= tieredRequirement(mk.tiers, notional(p.size, mk.oraclePrice), false);
}

describe("STF properties", () => {
  it(`hold over ${SEQUENCES} random sequences of ${OPS_PER_SEQUENCE} operations`, () => {
    let accepted = 0;
    let rejected = 0;
    const reasons = new Map<string, number>();
    for (let seed = 1; seed <= SEQUENCES; seed++) {
      const state = createGenesisState(testGenesis());
      const gen = new RandomOps(new Rng(seed));
      const deposits = state.assets.map(() => 0n);
      let root = bytesToHex(commitRoot(state));
      for (let i = 0; i < OPS_PER_SEQUENCE; i++) {
        const { op, ctx } = gen.next(state);
        const sizes = new Map<string, bigint>();
        if (op.type === "Fill") {
          for (const acc of [op.makerAccount, op.takerAccount]) {
            const o = state.accounts[acc]?.orders[acc === op.makerAccount ? op.makerSlot : op.takerSlot];
            if (o) sizes.set(`${acc}`, state.accounts[acc]!.positions[o.market]?.size ?? 0n);
          }
        }
        const r = applyOp(state, op, ctx);
        const after = bytesToHex(commitRoot(state));
        const where = `seed ${seed} op ${i} ${JSON.stringify(op, jsonBigint)} → ${JSON.stringify(r, jsonBigint)}`;
        if (!r.ok && !r.l1Consumed) {
          expect(after, `rejected op changed the root: ${where}`).toBe(root);
          rejected++;
          reasons.set(r.reason!, (reasons.get(r.reason!) ?? 0) + 1);
        } else {
          if (r.ok) accepted++;
          if (r.ok && op.type === "Deposit") deposits[op.asset]! += op.amount;
          const now = ctx.timestamp;
          if (r.ok && (op.type === "Withdraw" || op.type === "Transfer")) {
            expect(aboveInitial(state, op.account, null, now), `below initial after ${where}`).toBe(true);
          }
          if (r.ok && op.type === "AdjustIsolatedMargin") {
            expect(aboveInitial(state, op.account, op.market, now), `below initial after ${where}`).toBe(true);
          }
          if (r.ok && op.type === "Fill") {
            const fill = r.events.find((e) => e.kind === "Fill")!;
            if (fill.kind !== "Fill") throw new Error("no fill event");
            for (const acc of [op.makerAccount, op.takerAccount]) {
              const before = sizes.get(`${acc}`) ?? 0n;
              const now2 = state.accounts[acc]!.positions[fill.market]?.size ?? 0n;
              const reduced = before !== 0n && (before > 0n ? now2 >= 0n && now2 < before : now2 <= 0n && now2 > before);
              if (!reduced) expect(aboveInitial(state, acc, fill.market, now), `below initial after ${where}`).toBe(true);
            }
          }
        }
        root = after;
        expect(holdings(state), `conservation after ${where}`).toEqual(deposits);
        checkMarkets(state);
      }
      expect(root, `incremental root = ssz hashTreeRoot (seed ${seed})`).toBe(bytesToHex(referenceRoot(state)));
    }
    // The generator must exercise both outcomes broadly, or the properties say little.
    expect(accepted).toBeGreaterThan(SEQUENCES * 20);
    expect(rejected).toBeGreaterThan(SEQUENCES * 5);
    expect(reasons.size).toBeGreaterThan(20);
  });

  it("two independent replays give identical receipts and roots", () => {
    for (let seed = 1; seed <= Math.min(SEQUENCES, 200); seed++) {
      const steps = generate(seed);
      const a = replay(steps);
      const b = replay(steps);
      expect(JSON.stringify(a, jsonBigint)).toBe(JSON.stringify(b, jsonBigint));
    }
  });
});
