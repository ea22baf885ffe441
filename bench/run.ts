/**
 * `npm run bench`: STF throughput, state-root cost and memory on the reference workload
 * (/work/shared/WORKLOAD.md). Prints a table and merges its entries into
 * bench/results/latest.json (entries other benches wrote under other names are kept).
 *
 * Signatures are excluded everywhere here (ctx.signer is set directly); roots are excluded
 * from the throughput figures and measured on their own. Rates are one core. The
 * root benches run in child processes (bench/root.ts), one per state size.
 *
 * Arguments pick benches (`npm run bench -- fills mixed`): sha256, fills, mixed, risk, roots, l1, sig, seq, codec, verifier, dispute; none
 * runs all. `dispute` runs forge (OneStepProver and DisputeGame gas tests). The sha256 ceiling always runs (other rows are read against it).
 *
 * Environment: BENCH_LARGE_ACCOUNTS (default 1,000,000) sizes the large root bench; a
 * value other than a million writes entries named after it (e.g. `_100k`), not `_1m`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { hashInto } from "@chainsafe/hashtree";
import { applyOp, createGenesisState, stateRoot, type CrossmarginState } from "../sequencer/state/index.js";
import { Nonces, placeCrossingPairs } from "./fixtures.js";
import { gasEntries } from "../contracts/script/gas-to-bench.js";
import { codecBench } from "./codec.js";
import { disputeBench, disputeFuzzBench } from "./dispute.js";
import { riskBench } from "./risk.js";
import { sequencerBench } from "./sequencer.js";
import { signatureBench } from "./signatures.js";
import { verifierBench } from "./verifier.js";
import { MARKET_MAKERS, Population, Rng, T0, WorkloadGenerator, applyAll, setupItems, workloadGenesis, type WorkItem } from "./workload.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const RESULTS = join(HERE, "results", "latest.json");

interface Entry {
  name: string;
  value: number;
  unit: string;
}
interface Row extends Entry {
  target?: { op: ">=" | "<="; value: number };
  /** The ceiling or baseline this figure is read against. */
  vs?: string;
}
const rows: Row[] = [];
function record(row: Row): void {
  rows.push(row);
  log(`  ${row.name} = ${fmt(row.value)} ${row.unit}${row.vs ? ` (${row.vs})` : ""}`);
}
function log(s: string): void {
  process.stderr.write(`${s}\n`);
}
function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000 || Number.isInteger(x)) return Math.round(x).toLocaleString("en-US");
  return x.toPrecision(3);
}
const now = () => performance.now();

// ─── sha256 ceiling ───────────────────────────────────────────────────────────────────

/** The machine's batched 64-byte sha256 rate with the hasher the STF uses (best of 5). */
function sha256Raw(): number {
  const blocks = 1 << 18;
  const input = new Uint8Array(blocks * 64);
  for (let i = 0; i < input.length; i++) input[i] = (i * 131) & 255;
  const output = new Uint8Array(blocks * 32);
  hashInto(input, output);
  let best = 0;
  for (let r = 0; r < 5; r++) {
    const t = now();
    hashInto(input, output);
    best = Math.max(best, blocks / ((now() - t) / 1000));
  }
  return best;
}

// ─── Fills ────────────────────────────────────────────────────────────────────────────

function workloadState(accounts: number): { state: CrossmarginState; pop: Population } {
  const pop = new Population(accounts);
  const state = createGenesisState(workloadGenesis());
  applyAll(state, setupItems(pop));
  stateRoot(state);
  return { state, pop };
}

/**
 * Fill ops/s: market makers' resting orders against long-tail takers' crossing orders,
 * half of them matched in two partial fills (1.5 fills per taker order, as in the mix).
 * Orders are placed and the root committed between rounds, outside the timed loop. The
 * figure is the median of the rounds' rates, so a burst of load from elsewhere on the
 * machine moves it less than a total would.
 */
function fillsBench(): { rate: number; aggregate: number; fills: number; accepted: number } {
  const { state, pop } = workloadState(10_000);
  const rng = new Rng(11);
  const nonces = new Nonces();
  const warmup = 5;
  const rounds = 45;
  let fills = 0;
  let accepted = 0;
  let ms = 0;
  const rates: number[] = [];
  for (let round = 0; round < warmup + rounds; round++) {
    const ts = T0 + BigInt(round + 1);
    const batch = placeCrossingPairs(state, pop, rng, nonces, {
      pairs: 1_500,
      timestamp: ts,
      maker: (r) => r.int(MARKET_MAKERS),
      taker: (r) => MARKET_MAKERS + r.int(pop.accounts - MARKET_MAKERS),
      splitProbability: 0.5,
    }).fills;
    const ctx = { timestamp: ts, signer: null };
    let ok = 0;
    const t = now();
    for (let i = 0; i < batch.length; i++) if (applyOp(state, batch[i]!, ctx).ok) ok++;
    const dt = now() - t;
    if (round >= warmup) {
      ms += dt;
      fills += batch.length;
      accepted += ok;
      rates.push(batch.length / (dt / 1000));
    }
    stateRoot(state);
  }
  return { rate: median(rates), aggregate: fills / (ms / 1000), fills, accepted };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

// ─── Mixed ────────────────────────────────────────────────────────────────────────────

/**
 * The message mix through applyOp. The stream is generated once in lockstep with an STF
 * (the generator needs receipts for order slots), then replayed on a fresh copy of the
 * set-up state, timing applyOp alone. Best of two replays.
 */
function mixedBench(messages: number): { rate: number; ops: number; msgRate: number; accepted: number; fills: number } {
  const accounts = 10_000;
  const pop = new Population(accounts);
  const setup = setupItems(pop);
  const genState = createGenesisState(workloadGenesis());
  applyAll(genState, setup);
  const gen = new WorkloadGenerator({ population: pop, queueIndex: genState.l1.nextIndex, seed: 1 });
  const items: WorkItem[] = gen.drive(genState, messages);
  const fills = items.filter((i) => i.kind === "fill").length;
  let best = Infinity;
  let accepted = 0;
  for (let rep = 0; rep < 2; rep++) {
    const state = createGenesisState(workloadGenesis());
    applyAll(state, setup);
    stateRoot(state);
    let ok = 0;
    const t = now();
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (applyOp(state, it.op, it.ctx).ok) ok++;
    }
    best = Math.min(best, now() - t);
    accepted = ok;
  }
  return { rate: items.length / (best / 1000), ops: items.length, msgRate: messages / (best / 1000), accepted, fills };
}

// ─── Roots (child processes) ──────────────────────────────────────────────────────────

interface RootResult {
  accounts: number;
  buildMs: number;
  firstCommitMs: number;
  heapMb: number;
  buffersMb: number;
  rootMsMedian: number;
  rootMs: number[];
  hashesPerFill: number;
  gcMsInRoot: number[];
  majorGcRounds: number;
  rootMsMedianExGc: number;
  bytesPerTradingAccount: number;
  fillsPerS: number;
  fillsOk: number;
  fillsTotal: number;
  naiveMsMedian?: number;
  naiveMirrorMsMedian?: number;
  viewBuildMs?: number;
  rootsAgree?: boolean;
}

function rootChild(accounts: number, rounds: number, naive: boolean, timeoutMs: number): RootResult | null {
  const args = ["--expose-gc", "--max-old-space-size=12000", "--import", "tsx", join(HERE, "root.ts"), String(accounts), String(rounds)];
  if (naive) args.push("--naive");
  const t = now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", timeout: timeoutMs, maxBuffer: 1 << 24 });
  log(`  (root bench, ${accounts.toLocaleString("en-US")} accounts: ${((now() - t) / 1000).toFixed(0)} s)`);
  if (r.status !== 0) {
    log(`  root bench failed (${r.signal ?? r.status}): ${r.stderr.slice(-2000)}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as RootResult;
}

function gcNote(r: RootResult): string {
  return `median ${r.rootMsMedianExGc.toFixed(1)} ms without GC pauses, major GC in ${r.majorGcRounds}/${r.rootMs.length} rounds`;
}

function label(n: number): string {
  return n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}m` : n >= 1_000 && n % 1_000 === 0 ? `${n / 1_000}k` : String(n);
}

// ─── Main ─────────────────────────────────────────────────────────────────────────────

const KNOWN = ["sha256", "fills", "mixed", "risk", "roots", "l1", "sig", "seq", "codec", "verifier", "dispute"];
const picked = process.argv.slice(2);
for (const p of picked) if (!KNOWN.includes(p)) throw new Error(`unknown bench ${p}; pick from ${KNOWN.join(", ")}`);
const wants = (b: string) => picked.length === 0 || picked.includes(b);

const started = now();
log("sha256 ceiling…");
const raw = sha256Raw();
record({ name: "sha256.raw_per_s", value: raw, unit: "blocks/s", vs: "ceiling: hashtree hashInto, 64-byte blocks, one core" });

if (wants("fills")) {
  log("fills…");
  const f = fillsBench();
  record({
    name: "stf.fills_per_s",
    value: f.rate,
    unit: "fills/s",
    target: { op: ">=", value: 100_000 },
    vs: `median of rounds (all rounds together ${fmt(f.aggregate)}); ${f.accepted}/${f.fills} accepted; roots, signatures excluded`,
  });
}

if (wants("mixed")) {
  log("mixed workload…");
  const mx = mixedBench(200_000);
  record({
    name: "stf.mixed_ops_per_s",
    value: mx.rate,
    unit: "ops/s",
    vs: `${fmt(mx.msgRate)} client msgs/s; ${mx.ops} ops incl. ${mx.fills} fills, ${mx.accepted} accepted`,
  });
}

if (wants("risk")) {
  // Liquidations and the cascade simulation (bench/risk.ts); its rows carry their own `vs`.
  log("risk…");
  for (const e of riskBench()) record(e);
}

if (wants("sig")) {
  // The signature pre-pass ceiling on all cores (bench/signatures.ts), for the sequencer's figures.
  log("signatures…");
  // With the sequencer bench, its own run measures the ceiling it is read against.
  for (const e of await signatureBench()) if (!(wants("seq") && e.name === "seq.sig_ceiling_per_s")) record(e);
}

if (wants("seq")) {
  // The sequencer end to end (bench/sequencer.ts): the CLI as a child process under loopback
  // clients; its signature ceiling is measured in the same run, just before.
  log("sequencer end to end…");
  for (const e of await sequencerBench({ log })) record(e);
}

if (wants("l1")) {
  // L1 gas of each contract entry point, from forge's gas report (contracts/script/gas-to-bench.ts).
  log("l1 gas…");
  const out = execFileSync("npx", ["forge", "test", "--gas-report", "--json", "--match-contract", "GasBench"], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  for (const e of gasEntries(JSON.parse(out))) record({ ...e, vs: "execution gas of one call (no 21k base, no calldata)" });
}

if (wants("codec")) {
  // Batch data size against brotli and zstd on the same signed reference batches, L1 gas of
  // posting them and forge-measured decode gas (bench/codec.ts, docs/codec.md).
  log("batch codec…");
  for (const e of await codecBench({ cwd: ROOT, log })) record(e);
}

if (wants("verifier")) {
  // Decode + native signature recovery + STF replay of signed reference batches (bench/verifier.ts).
  log("verifier replay…");
  for (const e of await verifierBench({ log })) record(e);
}

if (wants("dispute")) {
  // One-step proof gas per op type and the honest side's whole game (forge, bench/dispute.ts).
  log("dispute gas (forge)…");
  for (const e of disputeBench(ROOT)) record(e);
  log("dispute differential fuzz (TypeScript STF vs OneStepProver on anvil)…");
  for (const e of await disputeFuzzBench({ log })) record(e);
}

if (wants("roots")) {
  log("roots…");
  const large = Number(process.env.BENCH_LARGE_ACCOUNTS ?? 1_000_000);
  // The naive baseline runs in its own process: its millions of tree nodes would otherwise
  // share a heap with (and slow the GC of) the 10k figure it is compared with.
  const small = rootChild(10_000, 12, false, 60_000);
  const naive = rootChild(10_000, 12, true, 120_000);
  const big = rootChild(large, 12, false, 300_000);
  const lowerBound = (r: RootResult) => ((r.hashesPerFill * 1000) / raw) * 1000;
  if (small) {
    record({
      name: "stf.root_ms_per_1k_fills_10k",
      value: small.rootMsMedian,
      unit: "ms",
      vs: `${(small.rootMsMedian / lowerBound(small)).toFixed(1)}× sha256 bound ${lowerBound(small).toFixed(1)} ms; ${naive ? `${(small.rootMsMedian / naive.naiveMsMedian!).toFixed(2)}× naive; ` : ""}${gcNote(small)}`,
    });
  }
  if (naive) {
    record({
      name: "stf.root_ms_per_1k_fills_10k_naive_viewdu",
      value: naive.naiveMsMedian!,
      unit: "ms",
      vs: `baseline: ssz ViewDU + hashtree hasher, same fills; roots ${naive.rootsAgree ? "agree" : "DIFFER"}; view build ${fmt(naive.viewBuildMs!)} ms`,
    });
  }
  if (big) {
    const L = label(large);
    record({
      name: `stf.root_ms_per_1k_fills_${L}`,
      value: big.rootMsMedian,
      unit: "ms",
      target: { op: "<=", value: 50 },
      vs: `${(big.rootMsMedian / lowerBound(big)).toFixed(1)}× sha256 bound ${lowerBound(big).toFixed(1)} ms; ${gcNote(big)}; rounds ${big.rootMs.map((x) => x.toFixed(0)).join("/")}`,
    });
    if (small) {
      record({
        name: `stf.root_ratio_${L}_vs_10k`,
        value: big.rootMsMedian / small.rootMsMedian,
        unit: "x",
        target: { op: "<=", value: 2 },
        vs: `hashes/fill ${big.hashesPerFill.toFixed(1)} vs ${small.hashesPerFill.toFixed(1)}`,
      });
    }
    record({
      name: `stf.hashes_per_fill`,
      value: big.hashesPerFill,
      unit: "blocks",
      vs: `at ${L} accounts (${small ? small.hashesPerFill.toFixed(1) : "?"} at 10k); sha256 bound ${(lowerBound(big) / 1000).toFixed(3)} ms/fill`,
    });
    record({
      name: `stf.heap_mb_${L}_accounts`,
      value: big.heapMb + big.buffersMb,
      unit: "MB",
      target: { op: "<=", value: 6144 },
      vs: `JS heap ${fmt(big.heapMb)} + array buffers ${fmt(big.buffersMb)}, deposits only; build ${fmt(big.buildMs / 1000)} s, first commit ${fmt(big.firstCommitMs / 1000)} s`,
    });
    record({
      name: `stf.fills_per_s_${L}_accounts`,
      value: big.fillsPerS,
      unit: "fills/s",
      vs: `random account pairs, GC included; ${small ? `${fmt(small.fillsPerS)} at 10k the same way` : ""}`,
    });
    // Trading allocates per-account Merkle trees on first use: what a state where every
    // account has traded would add, measured on the accounts the rounds touched.
    record({
      name: "stf.heap_bytes_per_trading_account",
      value: big.bytesPerTradingAccount,
      unit: "B",
      vs: `${L} accounts all trading ≈ ${fmt(big.heapMb + big.buffersMb + (big.bytesPerTradingAccount * large) / 2 ** 20)} MB`,
    });
  }
}

// ─── Report ───────────────────────────────────────────────────────────────────────────

const table = [["name", "value", "unit", "target", "pass/miss", "vs (ceiling / baseline)"]];
for (const r of rows) {
  const pass = r.target ? (r.target.op === ">=" ? r.value >= r.target.value : r.value <= r.target.value) : null;
  table.push([r.name, fmt(r.value), r.unit, r.target ? `${r.target.op} ${fmt(r.target.value)}` : "", pass === null ? "" : pass ? "pass" : "MISS", r.vs ?? ""]);
}
const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
for (const [i, row] of table.entries()) {
  console.log(row.map((cell, c) => (c === 1 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join(" | ").trimEnd());
  if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
}
console.log(`\n(${((now() - started) / 1000).toFixed(0)} s)`);

const ours: Entry[] = rows.map(({ name, value, unit }) => ({ name, value, unit }));
let previous: Entry[] = [];
if (existsSync(RESULTS)) {
  try {
    previous = JSON.parse(readFileSync(RESULTS, "utf8")) as Entry[];
  } catch {
    log(`warning: ${RESULTS} is not valid JSON; rewriting it`);
  }
}
const names = new Set(ours.map((e) => e.name));
mkdirSync(dirname(RESULTS), { recursive: true });
writeFileSync(RESULTS, `${JSON.stringify([...previous.filter((e) => !names.has(e.name)), ...ours], null, 2)}\n`);
