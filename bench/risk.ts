/**
 * Risk-engine benches (issue 3): liquidation throughput and the cascade simulation of
 * docs/risk.md. Exported for bench/run.ts; `npx tsx bench/risk.ts` runs them alone.
 *
 * - `risk.liquidations_per_s`: Liquidate operations applied per second on one core (roots
 *   excluded), on 1,000 leveraged traders after an 8% drop puts most below maintenance;
 *   printed beside the fill rate measured on the same state, its natural comparison.
 * - `risk.cascade_ms` (pacing on, the governed setting) and `risk.cascade_unpaced_ms`: the
 *   whole 1,000-account, ten-minute cascade, plus its outcome figures.
 */
import { fileURLToPath } from "node:url";
import { runCascade } from "../test/sim/cascade.js";
import { applyOp } from "../sequencer/state/index.js";
import type { Op, OpContext } from "../sequencer/state/index.js";
import { BTC, USD } from "../sequencer/state/test/fixtures.js";
import type { CrossmarginState } from "../sequencer/state/state.js";

export interface RiskEntry {
  name: string;
  value: number;
  unit: string;
  vs?: string;
}

class StopSetup extends Error {}

/** Runs the setup of the cascade, then measures liquidating everyone below maintenance. */
function measureLiquidations(): { perSecond: number; liquidations: number } {
  let state: CrossmarginState | null = null;
  let clock = 0n;
  try {
    runCascade({
      pacing: false,
      apply: (s, op, ctx) => {
        state = s;
        clock = ctx.timestamp;
        if (op.type === "OracleUpdate") throw new StopSetup();
        return applyOp(s, op, ctx);
      },
    });
  } catch (e) {
    if (!(e instanceof StopSetup)) throw e;
  }
  const s = state as unknown as CrossmarginState;
  const now = clock + 1_000n;
  const signer = s.params.oracleSigners[0]!;
  const drop = applyOp(s, { type: "OracleUpdate", timestamp: now, prices: [{ kind: 0, id: BTC, price: 55_200n * USD }], signatures: [] }, { timestamp: now, signer: null, oracleSigners: [signer] });
  if (!drop.ok) throw new Error(`oracle refused: ${drop.reason}`);
  const backstop = s.accounts[0]!;
  let nonce = now;
  const started = performance.now();
  let liquidations = 0;
  let attempts = 0;
  for (let round = 0; round < 5; round++) {
    for (const a of s.accounts) {
      if (a.index < 2 || !a.positions[BTC] || a.positions[BTC]!.size === 0n) continue;
      attempts++;
      const r = applyOp(s, { type: "Liquidate", account: 0, nonce: ++nonce, target: a.index, market: BTC, signature: "0x" }, { timestamp: now, signer: backstop.owner });
      if (r.ok) liquidations++;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: liquidations / seconds, liquidations };
}

export function riskBench(log: (s: string) => void = () => {}): RiskEntry[] {
  const out: RiskEntry[] = [];
  const liq = measureLiquidations();
  out.push({ name: "risk.liquidations_per_s", value: liq.perSecond, unit: "ops/s", vs: `${liq.liquidations} liquidations of 1,000 traders after an 8% drop` });
  log(`  risk.liquidations_per_s = ${Math.round(liq.perSecond)} (${liq.liquidations} liquidations)`);
  for (const pacing of [true, false]) {
    const t0 = performance.now();
    const r = runCascade({ pacing });
    const ms = performance.now() - t0;
    const tag = pacing ? "" : "_unpaced";
    out.push({ name: `risk.cascade${tag}_ms`, value: ms, unit: "ms", vs: `${r.ops} operations, 1,000 accounts, 600 oracle steps` });
    out.push({ name: `risk.cascade${tag}_bankruptcies`, value: r.bankruptcies, unit: "accounts" });
    out.push({ name: `risk.cascade${tag}_insurance_draw`, value: Number(r.insuranceDraw) / 1e6, unit: "USD" });
    out.push({ name: `risk.cascade${tag}_socialized`, value: Number(r.socializedLoss) / 1e6, unit: "USD" });
    out.push({ name: `risk.cascade${tag}_liquidated`, value: Number(r.liquidatedNotional) / 1e6, unit: "USD" });
    log(`  risk.cascade${tag}_ms = ${Math.round(ms)} (${r.ops} ops; bankruptcies ${r.bankruptcies}, insurance $${Number(r.insuranceDraw) / 1e6}, socialized $${Number(r.socializedLoss) / 1e6})`);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const e of riskBench(console.error)) console.log(`${e.name}\t${e.value}\t${e.unit}`);
}
