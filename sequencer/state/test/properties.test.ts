/**
 * Property tests over ≥ 1,000 random operation sequences (seeded, so a failure names its
 * seed and replays exactly). Every invariant in invariants.ts is checked around every
 * operation; in addition two independent replays must give identical receipts and roots,
 * and the incremental root must equal @chainsafe/ssz's hashTreeRoot.
 */
import { describe, expect, it } from "vitest";
import { bytesToHex } from "../bytes.js";
import { createGenesisState } from "../genesis.js";
import { commitRoot } from "../merkle.js";
import type { Receipt } from "../receipt.js";
import { applyOp } from "../stf.js";
import { referenceRoot } from "../sszValue.js";
import { jsonBigint, testGenesis } from "./fixtures.js";
import { CheckedStf } from "./invariants.js";
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

describe("STF properties", { timeout: 300_000 }, () => {
  it(`hold over ${SEQUENCES} random sequences of ${OPS_PER_SEQUENCE} operations`, () => {
    const accepted = new Map<string, number>();
    const reasons = new Set<string>();
    let rejected = 0;
    for (let seed = 1; seed <= SEQUENCES; seed++) {
      const stf = new CheckedStf(createGenesisState(testGenesis()));
      const gen = new RandomOps(new Rng(seed));
      for (let i = 0; i < OPS_PER_SEQUENCE; i++) {
        const { op, ctx } = gen.next(stf.state);
        stf.apply(op, ctx, `seed ${seed} #${i}`);
      }
      stf.rootMatchesReference(referenceRoot);
      for (const [k, n] of stf.accepted) accepted.set(k, (accepted.get(k) ?? 0) + n);
      for (const [k, n] of stf.rejected) {
        reasons.add(k.split(":")[1]!);
        rejected += n;
      }
    }
    // The generator must exercise both outcomes broadly, or the properties say little.
    const total = [...accepted.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(SEQUENCES * 20);
    expect(rejected).toBeGreaterThan(SEQUENCES * 5);
    expect(reasons.size).toBeGreaterThan(30);
    for (const kind of ["Fill", "Liquidate", "FundingTick", "SetPortfolioMargin", "Withdraw", "Transfer", "OracleUpdate", "ForcedWithdraw", "ForcedClose"]) {
      expect(accepted.get(kind) ?? 0, `accepted ${kind}`).toBeGreaterThan(SEQUENCES / 100);
    }
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
