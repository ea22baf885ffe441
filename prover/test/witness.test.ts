/**
 * The witness builder runs the STF through a recording view of the state; this checks that the
 * view changes nothing the STF computes. Two copies of the same random history (the STF
 * property tests' operation mix, every type, accepted and refused) run side by side, one
 * through `applyOp`, one through `applyWithWitness`: the receipts and roots must be equal at
 * every step, and every witness must hash to the pre-state root.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { applyWithWitness, witnessRoot } from "../witness.js";
import { bytesToHex } from "../../sequencer/state/bytes.js";
import { createGenesisState } from "../../sequencer/state/genesis.js";
import { applyOp, stateRoot } from "../../sequencer/state/stf.js";
import { testGenesis } from "../../sequencer/state/test/fixtures.js";
import { RandomOps, Rng } from "../../sequencer/state/test/random.js";

const sha = (a: Uint8Array, b: Uint8Array) => new Uint8Array(createHash("sha256").update(a).update(b).digest());

describe("applyWithWitness", () => {
  it("computes what applyOp computes, step by step, with witnesses that hash to the pre-root", () => {
    for (const seed of [1, 2, 3]) {
      const plain = createGenesisState(testGenesis());
      const recorded = createGenesisState(testGenesis());
      const a = new RandomOps(new Rng(seed), 5);
      const b = new RandomOps(new Rng(seed), 5);
      const types = new Set<string>();
      for (let i = 0; i < 150; i++) {
        const sa = a.next(plain);
        const sb = b.next(recorded);
        expect(sb.op).toEqual(sa.op);
        const preRoot = bytesToHex(stateRoot(recorded));
        const expected = applyOp(plain, sa.op, sa.ctx);
        const c = applyWithWitness(recorded, { timestamp: sb.ctx.timestamp, op: sb.op }, sb.ctx);
        expect(c.receipt, `seed ${seed} step ${i} ${sa.op.type}`).toEqual(expected);
        expect(c.preRoot).toBe(preRoot);
        expect(c.postRoot, `seed ${seed} step ${i}`).toBe(bytesToHex(stateRoot(plain)));
        expect(witnessRoot(c.witness, sha)).toBe(c.preRoot);
        types.add(sa.op.type);
      }
      expect(types.size).toBeGreaterThan(10);
    }
  }, 300_000);
});
