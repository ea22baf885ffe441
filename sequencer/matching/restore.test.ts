/**
 * Restart (docs/matching.md "Restart"): a random stream runs through the engine and the real
 * STF; at a few points the engine's `exportPriority()` is taken together with a snapshot of
 * the state (serialized and read back the way storage does), a fresh engine is built with
 * `MatchingEngine.restore` from the two, and from then on every Sim runs the same stream.
 * They must emit identical fills and outcomes at every step and end with the same state root.
 * The stream includes refused fills (thin accounts), lot changes and a market listing.
 */
import { describe, expect, it } from "vitest";
import { createGenesisState } from "../state/genesis.js";
import { stateRoot } from "../state/index.js";
import { isLive } from "../state/ops/orders.js";
import { testGenesis } from "../state/test/fixtures.js";
import { deserializeState, serializeState } from "../storage/snapshot.js";
import { MatchingEngine } from "./engine.js";
import { type SimOptions, Sim, engineConfig, fundedSim, randomActions } from "./test/sim.js";

/** The restarted Sim: snapshot round trip of the state, engine rebuilt from the priority bytes. */
function restart(from: Sim, o: SimOptions): Sim {
  const bytes = from.engine.exportPriority();
  const state = deserializeState(serializeState(from.state));
  expect(stateRoot(state)).toEqual(stateRoot(from.state));
  const engine = MatchingEngine.restore(engineConfig(state, o), bytes, state, state.clock > from.now ? state.clock : from.now);
  const b = new Sim(state, engine, from.now, from.nonce);
  sameBook(from, b);
  return b;
}

/** Same resting orders in the same order, same depth, same live detached records, same deadlines. */
function sameBook(a: Sim, b: Sim): void {
  a.engine.sweepExpired(a.now);
  b.engine.sweepExpired(b.now);
  expect(b.engine.allOrders()).toEqual(a.engine.allOrders());
  for (let m = 0; m < a.state.markets.length; m++) {
    expect(b.engine.depth(m, 1_000)).toEqual(a.engine.depth(m, 1_000));
    expect(b.engine.lotSize(m)).toBe(a.engine.lotSize(m));
  }
  const live = (s: Sim) => s.engine.detachedOrders().filter((d) => isLive(s.state.accounts[d.account]!.orders[d.slot] ?? null, s.now));
  expect(live(b)).toEqual(live(a));
  for (let acct = 0; acct < a.state.accounts.length; acct++) expect(b.engine.scheduledCancelAll(acct)).toBe(a.engine.scheduledCancelAll(acct));
}

const SOAK = Number(process.env.MATCHING_SOAK ?? 0);
const SEEDS = SOAK > 0 ? Array.from({ length: SOAK }, (_, i) => 500 + i) : [13, 16];
const STEPS = SOAK > 0 ? 6_000 : 2_000;

describe("restart: exportPriority + restore against the real STF", () => {
  for (const policy of ["cancel-oldest", "cancel-taker"] as const) {
    for (const seed of SEEDS) {
      it(`seed ${seed}, ${policy}: restored engines emit the same fills as the running one`, () => {
        const o: SimOptions = { selfTrade: policy };
        const sims = [fundedSim(createGenesisState(testGenesis()), o)];
        // Restart at the first step past each target where the book holds a few orders.
        const targets = [300, Math.floor(STEPS / 2), STEPS - 400];
        let step = 0;
        let compared = 0;
        const booked: number[] = [];
        for (const a of randomActions(seed, STEPS, { lotChanges: true, listAt: 400 })) {
          const last = sims[sims.length - 1]!;
          if (sims.length - 1 < targets.length && step >= targets[sims.length - 1]! && last.engine.allOrders().length >= 5) {
            booked.push(last.engine.allOrders().length);
            sims.push(restart(last, o)); // chained: each restart from the last restored one
          }
          const outs = sims.map((s) => s.run(a));
          for (let i = 1; i < outs.length; i++) expect(outs[i], `step ${step} ${a.kind}, sim ${i}`).toEqual(outs[0]);
          if (sims.length > 1) compared++;
          sims[0]!.check(`step ${step} ${a.kind}`);
          step++;
        }
        for (const s of sims.slice(1)) {
          expect(stateRoot(s.state)).toEqual(stateRoot(sims[0]!.state));
          sameBook(sims[0]!, s);
        }
        const st = sims[sims.length - 1]!.stats;
        console.log(JSON.stringify({ seed, policy, compared, restarts: sims.length - 1, booked, ...st }));
        expect(sims.length).toBe(4);
        expect(st.fills).toBeGreaterThan(20);
        // After the first restart the stream still refuses fills, changes lots and lists a market.
        expect(sims[1]!.stats.refused).toBeGreaterThan(0);
        expect(sims[1]!.stats.lotChanges).toBeGreaterThan(0);
        if (SOAK === 0) expect(sims[1]!.stats.listed).toBe(1);
      });
    }
  }
});
