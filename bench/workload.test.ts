import { describe, expect, it } from "vitest";
import { applyOp, createGenesisState, recoverOp, SIZE_SCALE, type OracleUpdate } from "../sequencer/state/index.js";
import {
  BENCH_DOMAIN,
  MARKETS,
  MIX,
  MM_SHARE,
  Population,
  Rng,
  T0,
  WorkloadGenerator,
  applyAll,
  setupItems,
  stressOracleItems,
  stressPricePath,
  workloadGenesis,
  type MessageKind,
  type WorkItem,
} from "./workload.js";

function run(accounts: number, messages: number, seed: number, signed = false) {
  const pop = new Population(accounts, signed);
  const state = createGenesisState(workloadGenesis());
  const setup = setupItems(pop);
  applyAll(state, setup);
  const gen = new WorkloadGenerator({ population: pop, queueIndex: state.l1.nextIndex, seed });
  const items = gen.drive(state, messages);
  return { gen, items, setup, state };
}

const serialize = (items: WorkItem[]) => JSON.stringify(items, (_, v) => (typeof v === "bigint" ? `${v}n` : v));

describe("workload generator", () => {
  it("is deterministic: the same seed gives the same ops, another seed other ops", () => {
    const a = serialize(run(2_000, 5_000, 42).items);
    const b = serialize(run(2_000, 5_000, 42).items);
    const c = serialize(run(2_000, 5_000, 43).items);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it("PRNG: a seed fixes the sequence", () => {
    const seq = (seed: number) => ((r) => Array.from({ length: 8 }, () => r.u32()))(new Rng(seed));
    expect(seq(1)).toEqual(seq(1));
    expect(seq(1)).not.toEqual(seq(2));
    expect(new Set(seq(1)).size).toBe(8);
  });

  it("produces the documented mix, and the STF accepts nearly everything", () => {
    const messages = 50_000;
    const { gen } = run(10_000, messages, 1);
    const s = gen.stats;
    const total = Object.values(s.messages).reduce((a, b) => a + b, 0); // funding included
    for (const k of Object.keys(MIX) as MessageKind[]) {
      const share = (100 * s.messages[k]) / total;
      // Binomial sd at 50k draws is < 0.25 points for the largest share; allow 4 sd or 20% relative.
      expect(Math.abs(share - MIX[k]), `${k}: ${share.toFixed(2)}%`).toBeLessThan(Math.max(1, MIX[k] * 0.2));
    }
    expect((100 * s.mmMessages) / total).toBeGreaterThan(MM_SHARE - 1.5);
    expect((100 * s.mmMessages) / total).toBeLessThan(MM_SHARE + 1.5);
    const fillsPerTaker = s.emitted.fill / s.messages.taker;
    expect(fillsPerTaker).toBeGreaterThan(1.35);
    expect(fillsPerTaker).toBeLessThan(1.65);

    expect(s.accepted.fill / s.emitted.fill).toBeGreaterThanOrEqual(0.9);
    expect(s.accepted.taker / s.emitted.taker).toBeGreaterThanOrEqual(0.9);
    const emitted = Object.values(s.emitted).reduce((a, b) => a + b, 0);
    const accepted = Object.values(s.accepted).reduce((a, b) => a + b, 0);
    expect(accepted / emitted, JSON.stringify(s.rejected)).toBeGreaterThanOrEqual(0.98);
  });

  it("signed mode: every signature recovers to the signer the item names", () => {
    // 70 accounts: account 68 is a portfolio-margin account, so setup signs that op type too.
    const { items, setup } = run(70, 300, 5, true);
    expect(setup.some((it) => it.op.type === "SetPortfolioMargin")).toBe(true);
    let checked = 0;
    const sample = [...setup.filter((_, i) => i % 17 === 0 || setup[i]!.op.type === "SetPortfolioMargin"), ...items];
    for (const it of sample) {
      if (!("signature" in it.op) && it.op.type !== "OracleUpdate") continue;
      const rec = recoverOp(it.op, BENCH_DOMAIN);
      if (it.op.type === "OracleUpdate") expect(rec.oracleSigners).toEqual(it.ctx.oracleSigners);
      else expect(rec.signer).toBe(it.ctx.signer);
      checked++;
    }
    expect(checked).toBeGreaterThan(300);
  });
});

describe("workload genesis and prices", () => {
  it("lists 20 markets with exact-quote tick and lot sizes", () => {
    expect(MARKETS).toHaveLength(20);
    expect(Number(MARKETS[0]!.price) / 1e6).toBeCloseTo(60_000, -3);
    expect(Number(MARKETS[1]!.price) / 1e6).toBeCloseTo(3_000, -2);
    for (const m of MARKETS.slice(2)) expect(m.priceUsd >= 0.1 && m.priceUsd <= 500).toBe(true);
    for (const m of MARKETS) {
      expect((m.tickSize * m.lotSize) % SIZE_SCALE).toBe(0n);
      expect(m.price % m.tickSize).toBe(0n);
    }
    expect(() => createGenesisState(workloadGenesis())).not.toThrow();
  });

  it("stress path: BTC and ETH fall 12% in five minutes, recover half; the STF accepts every step", () => {
    const path = stressPricePath();
    const at5 = path.find((p) => p.offsetMs === 300_000)!;
    expect(at5.prices[0]).toBe((MARKETS[0]!.price * 88n) / 100n);
    expect(at5.prices[1]).toBe((MARKETS[1]!.price * 88n) / 100n);
    expect(at5.prices[2]).toBe(MARKETS[2]!.price);
    expect(path[path.length - 1]!.prices[0]).toBe((MARKETS[0]!.price * 94n) / 100n);

    const state = createGenesisState(workloadGenesis());
    for (const it of stressOracleItems(T0, false)) {
      const r = applyOp(state, it.op as OracleUpdate, it.ctx);
      expect(r.ok, r.reason).toBe(true);
    }
    expect(state.markets[0]!.oraclePrice).toBe((MARKETS[0]!.price * 94n) / 100n);
  });
});
