/**
 * Dispute gas (issue 7): runs the forge tests that measure it and turns their console lines
 * into bench entries.
 *   dispute.onestep_gas_<Op>   the most gas `OneStepProver.execute` used on any golden vector of
 *                              that op type, accepted or refused (OneStepProver.t.sol; execution
 *                              gas of the call). Target ≤ 2M each.
 *   dispute.onestep_gas_<Op>[_<variant>]_64_markets the same op with accounts holding positions
 *                              in all 64 markets (the wide and wide-risk vectors: the witness
 *                              grows with open markets; variant: cross, portfolio, bankrupt…).
 *   dispute.total_gas_max_batch the honest challenger's whole game on a maximum-size batch (every
 *                              transaction incl. 21,000 base and calldata; each max-size shape
 *                              of DisputeGame.t.sol's test_gas_fullGame*), with the test
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
  // Lines read "onestep_gas_wide [<variant words>] <Op> <gas>" (the wide and wide-risk vectors).
  for (const m of oneStepOut.matchAll(/onestep_gas_wide ((?:[A-Za-z]+ )*[A-Za-z]+):?\s+(\d+)/g)) {
    const words = m[1]!.split(" ");
    const op = words.pop()!;
    const variant = words.length ? `_${words.join("_")}` : "";
    const who = words.length ? `a target (${words.join(", ")}) holding all 64 markets` : "both accounts holding all 64 markets";
    out.push({ name: `dispute.onestep_gas_${op}${variant}_64_markets`, value: Number(m[2]), unit: "gas", target: { op: "<=", value: 2_000_000 }, vs: `OneStepProver.execute, ${who}` });
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

/**
 * Differential fuzzing at full count (issue 7: ≥ 10,000 random single operations): fresh
 * random vectors of every supported op type (contracts/script/gen-onestep-fixtures.ts, a seed
 * other than the committed fixtures'), each executed by the TypeScript STF with its witness and
 * by `OneStepProver.execute` on anvil; the post-roots must be equal bit for bit. CI runs the
 * committed 40 vectors per type through forge; this runs `total` (default 10,000).
 *   dispute.fuzz_ops          operations compared
 *   dispute.fuzz_mismatches   post-roots that differ (target 0)
 *   dispute.fuzz_accepted_share  the share the STF accepted (the rest are refusals, also compared)
 */
export async function disputeFuzzBench(o: { total?: number; seed?: number; log?: (s: string) => void } = {}): Promise<DisputeEntry[]> {
  const { ONESTEP_DOMAIN, ONESTEP_TYPES, buildVectors } = await import("../contracts/script/gen-onestep-fixtures.js");
  const { startAnvil } = await import("../sequencer/l1/anvil.js");
  const { creator, deployOneStepProver, l1Clients } = await import("../sequencer/l1/deploy.js");
  const { loadArtifact } = await import("../sequencer/l1/artifacts.js");
  const log = o.log ?? (() => {});
  const total = o.total ?? Number(process.env.BENCH_FUZZ_OPS ?? 10_000);
  const per = Math.ceil(total / ONESTEP_TYPES.length);
  const anvil = await startAnvil({});
  try {
    const clients = l1Clients(anvil.url, anvil.chainId, { deployer: anvil.accounts[0]!.privateKey, sequencer: anvil.accounts[1]!.privateKey }, { pollingIntervalMs: 20 });
    const art = loadArtifact("OneStepProver");
    const prover = await deployOneStepProver(creator(clients.deployer, clients.public), ONESTEP_DOMAIN.chainId, ONESTEP_DOMAIN.verifyingContract);
    let ops = 0;
    let accepted = 0;
    const mismatches: string[] = [];
    const t0 = Date.now();
    for (const type of ONESTEP_TYPES) {
      const vectors = buildVectors(type, per, o.seed ?? 1_009);
      for (const v of vectors) {
        let got: string;
        try {
          got = (await clients.public.readContract({ address: prover, abi: art.abi, functionName: "execute", args: [v.preRoot, v.opBytes, v.witness] })) as string;
        } catch (e) {
          got = `reverted: ${(e as Error).message.split("\n")[0]}`;
        }
        ops++;
        if (v.accepted) accepted++;
        if (got.toLowerCase() !== v.postRoot.toLowerCase()) mismatches.push(`${v.name}: TS ${v.postRoot}, Solidity ${got}`);
      }
      log(`  ${type}: ${vectors.length} ops compared (${ops} so far, ${mismatches.length} mismatches, ${Math.round((Date.now() - t0) / 1000)} s)`);
    }
    for (const m of mismatches.slice(0, 10)) log(`  MISMATCH ${m}`);
    return [
      { name: "dispute.fuzz_ops", value: ops, unit: "ops", vs: `${ONESTEP_TYPES.length} op types × ${per} random single operations with witnesses, TypeScript STF vs OneStepProver.execute on anvil` },
      { name: "dispute.fuzz_mismatches", value: mismatches.length, unit: "ops", target: { op: "<=", value: 0 }, vs: "post-roots that differ (accepted and refused ops both compared)" },
      { name: "dispute.fuzz_accepted_share", value: accepted / Math.max(1, ops), unit: "fraction", vs: "share of the random ops the STF accepted" },
    ];
  } finally {
    await anvil.stop();
  }
}
