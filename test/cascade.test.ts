/**
 * The cascade simulation of docs/risk.md, run through the invariant checker so every
 * liquidation, ADL and waterfall step it produces is checked (conservation, insurance moves,
 * ADL shrinks, funding, positions net to zero). The figures are the documented outcome.
 */
import { describe, expect, it } from "vitest";
import { referenceRoot } from "../sequencer/state/sszValue.js";
import { CheckedStf } from "../sequencer/state/test/invariants.js";
import type { CrossmarginState } from "../sequencer/state/state.js";
import { runCascade } from "./sim/cascade.js";

function checked() {
  let stf: CheckedStf | null = null;
  return {
    apply: (state: CrossmarginState, op: Parameters<CheckedStf["apply"]>[0], ctx: Parameters<CheckedStf["apply"]>[1]) => {
      stf ??= new CheckedStf(state, { locality: false });
      return stf.apply(op, ctx, "cascade");
    },
    finish: () => stf!.rootMatchesReference(referenceRoot),
  };
}

describe("liquidation cascade: 1,000 accounts, BTC −12% over five minutes with price impact", { timeout: 300_000 }, () => {
  it("without pacing: fast liquidation feeds the price impact and the fall deepens", () => {
    const c = checked();
    const { state, ...r } = runCascade({ pacing: false, apply: c.apply });
    c.finish();
    expect(r).toMatchObject({
      liquidations: 2_662,
      liquidatedNotional: 80_272_178_257_200n,
      bankruptcies: 70,
      deleverages: 0,
      insuranceDraw: 26_600_343_872n,
      socializedLoss: 0n,
      lowestPrice: 44_329_000_000n,
    });
  });

  it("with pacing: less is liquidated and the fall is shallower, but waiting accounts go bankrupt more often", () => {
    const c = checked();
    const { state, ...r } = runCascade({ pacing: true, apply: c.apply });
    c.finish();
    expect(r).toMatchObject({
      liquidations: 7_571,
      liquidatedNotional: 54_843_709_567_200n,
      bankruptcies: 194,
      deleverages: 114,
      insuranceDraw: 329_176_176_612n,
      socializedLoss: 0n,
      lowestPrice: 47_016_000_000n,
    });
    const unpaced = runCascade({ pacing: false });
    expect(r.lowestPrice).toBeGreaterThan(unpaced.lowestPrice);
    expect(r.liquidatedNotional).toBeLessThan(unpaced.liquidatedNotional);
    expect(r.bankruptcies).toBeGreaterThan(unpaced.bankruptcies);
  });
});

