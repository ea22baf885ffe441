/**
 * Dispute gas (issue 7): runs the forge tests that measure it and turns their console lines
 * into bench entries.
 *   dispute.onestep_gas_<Op>   the most gas `OneStepProver.execute` used on any golden vector of
 *                              that op type, accepted or refused (OneStepProver.t.sol; execution
 *                              gas of the call). Target ≤ 2M each.
 *   dispute.onestep_gas_<Op>_64_markets the same op with both accounts holding positions in all
 *                              64 markets (the wide vectors: the witness grows with open markets).
 *   dispute.total_gas_max_batch the honest challenger's whole game on a maximum-size batch (every
 *                              transaction incl. 21,000 base and calldata; DisputeGame.t.sol's
 *                              two worst shapes: most ops, costliest decode), with the test
 *                              prover's step replaced by the real prover's most expensive step.
 *                              Target ≤ 15M.
 *   dispute.defender_gas_max_batch the honest defender's side of the same games.
 */
import { execFileSync } from "node:child_process";

export interface DisputeEntry {
  name: string;
  value: number;
  unit: string;
  target?: { op: "<="; value: number };
  vs?: string;
}

function forge(root: string, args: string[]): string {
  try {
    return execFileSync("npx", ["forge", "test", ...args, "-vv"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 1_800_000, maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`forge test ${args.join(" ")} failed:\n${(err.stdout ?? "").slice(-4000)}${err.stderr ?? err.message}`);
  }
}

/** The entries from the two forge runs' output (exported for its test). */
export function parseDisputeGas(oneStepOut: string, gameOut: string): DisputeEntry[] {
  const perOp = new Map<string, number>();
  for (const m of oneStepOut.matchAll(/onestep_gas_(\w+) max (?:accepted|refused):?\s+(\d+)/g)) perOp.set(m[1]!, Math.max(perOp.get(m[1]!) ?? 0, Number(m[2])));
  if (perOp.size === 0) throw new Error("no onestep_gas_<op> lines in OneStepProver.t.sol's output");
  const out: DisputeEntry[] = [...perOp.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, gas]) => ({ name: `dispute.onestep_gas_${op}`, value: gas, unit: "gas", target: { op: "<=", value: 2_000_000 }, vs: "OneStepProver.execute, worst golden vector of the type" }));
  // The worst case the random vectors do not reach: both accounts with positions in all 64
  // markets (OneStepProver.t.sol's wide vectors): reported beside the per-type figures.
  for (const m of oneStepOut.matchAll(/onestep_gas_wide (\w+):?\s+(\d+)/g)) {
    out.push({ name: `dispute.onestep_gas_${m[1]}_64_markets`, value: Number(m[2]), unit: "gas", target: { op: "<=", value: 2_000_000 }, vs: "OneStepProver.execute, both accounts holding all 64 markets" });
  }
  const worstStep = Math.max(...perOp.values());
  const shapes = [...gameOut.matchAll(/challenger: incl\. 21k \+ calldata per tx:?\s+(\d+)[\s\S]*?step execution gas \(test prover\):?\s+(\d+)/g)];
  const defender = [...gameOut.matchAll(/defender: incl\. 21k \+ calldata per tx:?\s+(\d+)/g)].map((m) => Number(m[1]));
  if (shapes.length === 0) throw new Error("no full-game gas lines in DisputeGame.t.sol's output");
  const total = Math.max(...shapes.map((m) => Number(m[1]) - Number(m[2]) + worstStep));
  out.push({ name: "dispute.total_gas_max_batch", value: total, unit: "gas", target: { op: "<=", value: 15_000_000 }, vs: `upper bound: the honest challenger's whole game on the worst of ${shapes.length} max-size batches (tx costs included), its step priced at the costliest real step of any op type (${worstStep})` });
  if (defender.length) out.push({ name: "dispute.defender_gas_max_batch", value: Math.max(...defender), unit: "gas", vs: "honest defender's whole game (all bisects, tx costs)" });
  return out;
}

export function disputeBench(root: string): DisputeEntry[] {
  const oneStep = forge(root, ["--match-path", "contracts/test/OneStepProver.t.sol"]);
  const game = forge(root, ["--match-path", "contracts/test/DisputeGame.t.sol", "--match-test", "test_gas_fullGame"]);
  return parseDisputeGas(oneStep, game);
}
