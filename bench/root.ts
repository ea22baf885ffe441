/**
 * Root-commit bench, run as a child process per state size (bench/run.ts spawns it with
 * --expose-gc and a large heap) so a million-account state neither shares a heap with the
 * other benches nor skews their GC:
 *
 *   node --expose-gc --max-old-space-size=12000 --import tsx bench/root.ts <accounts> <rounds> [--naive]
 *
 * Builds a state with one deposit per account (Deposit ops through applyOp, the way the L1
 * vault creates accounts), commits the root once, measures the heap, then per round places
 * 1,000 crossing order pairs over uniformly random accounts (not timed, committed), applies
 * the 1,000 fills (timed separately) and times `stateRoot` alone. With --naive it keeps the same
 * state as a tree-backed `@chainsafe/ssz` ViewDU, applies the same changes through the view
 * and times `hashTreeRoot()`, checking both roots agree. Prints one JSON line.
 */
import { PerformanceObserver } from "node:perf_hooks";
import { setHasher } from "@chainsafe/persistent-merkle-tree";
import { hasher as hashtreeHasher } from "@chainsafe/persistent-merkle-tree/hasher/hashtree";
import { applyOp, createGenesisState, hashCounter, stateRoot, toSszValue, types, type CrossmarginState } from "../sequencer/state/index.js";
import { Nonces, placeCrossingPairs } from "./fixtures.js";
import { Population, Rng, T0, depositItems, workloadGenesis } from "./workload.js";

const FILLS_PER_ROUND = 1_000;
/** Rounds run first and not reported: the first commits run before the JIT has optimized them. */
const WARMUP_ROUNDS = 3;

const accounts = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 7);
const naive = process.argv.includes("--naive");
const gc = (globalThis as { gc?: () => void }).gc;

function heapBytes(): { heap: number; buffers: number } {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

// ─── Build ────────────────────────────────────────────────────────────────────────────

const base = heapBytes();
const pop = new Population(accounts);
const state = createGenesisState(workloadGenesis());
let t = performance.now();
for (const it of depositItems(pop, 0, accounts, 0n)) {
  const r = applyOp(state, it.op, it.ctx);
  if (!r.ok) throw new Error(`deposit rejected: ${r.reason}`);
}
const buildMs = performance.now() - t;
t = performance.now();
stateRoot(state);
const firstCommitMs = performance.now() - t;
const mem = heapBytes();

// ─── Naive baseline: tree-backed ViewDU of the same state ─────────────────────────────

type View = ReturnType<typeof types.State.toViewDU>;
let view: View | null = null;
let viewBuildMs = 0;
if (naive) {
  // The fastest hasher persistent-merkle-tree offers (the default is pure-JS noble), so the
  // baseline is the layout, not a slower sha256.
  setHasher(hashtreeHasher);
  t = performance.now();
  view = types.State.toViewDU(toSszValue(state));
  view.hashTreeRoot();
  viewBuildMs = performance.now() - t;
}

const u64 = (x: bigint) => BigInt.asUintN(64, x);
const u128 = (x: bigint) => BigInt.asUintN(128, x);
const EMPTY_ORDER = { market: 0, flags: 0, price: 0n, size: 0n, remaining: 0n, expiry: 0n, clientOrderId: 0n, nonce: 0n };
const EMPTY_POSITION = { size: 0n, entryNotional: 0n, lastFundingIndex: 0n, isolatedMargin: 0n, marginMode: 0 };

/** Copies what the last ops changed (the named slots, positions, balances, nonces) into the view. */
function mirror(
  v: View,
  s: CrossmarginState,
  touched: { account: number; slots: number[]; markets: number[]; nonces: boolean }[],
  markets: Set<number>,
): void {
  for (const x of touched) {
    const a = s.accounts[x.account]!;
    const av = v.accounts.get(x.account);
    av.balances.set(0, u128(a.balances[0]!));
    if (x.nonces) for (let i = 0; i < a.nonces.length; i++) av.nonces.set(i, a.nonces[i]!);
    for (const slot of x.slots) av.orders.set(slot, types.Order.toViewDU(a.orders[slot] ? { ...a.orders[slot]! } : EMPTY_ORDER));
    for (const m of x.markets) {
      const p = a.positions[m];
      av.positions.set(
        m,
        types.Position.toViewDU(
          p
            ? { size: u64(p.size), entryNotional: u64(p.entryNotional), lastFundingIndex: u64(p.lastFundingIndex), isolatedMargin: p.isolatedMargin, marginMode: p.marginMode }
            : EMPTY_POSITION,
        ),
      );
    }
  }
  for (const m of markets) v.markets.get(m).openInterest = s.markets[m]!.openInterest;
  v.clock = s.clock;
}

// ─── Rounds ───────────────────────────────────────────────────────────────────────────

/** GC pauses, to tell how much of each timed root was garbage collection (reported per round). */
const gcPauses: { start: number; end: number; major: boolean }[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as { detail?: { kind?: number } }).detail?.kind ?? 0;
    // NODE_PERFORMANCE_GC_MAJOR = 4 (mark-compact); 1 is a scavenge.
    gcPauses.push({ start: e.startTime, end: e.startTime + e.duration, major: (kind & 4) !== 0 });
  }
});
gcObserver.observe({ entryTypes: ["gc"] });
const windows: [number, number][] = [];
const touchedAccounts = new Set<number>();

const rng = new Rng(7);
const nonces = new Nonces();
const rootMs: number[] = [];
/** The fills themselves, timed too: at a million accounts they run against a GC-heavy heap. */
const fillMs: number[] = [];
const naiveMs: number[] = [];
const naiveMirrorMs: number[] = [];
let hashes = 0;
let fillsOk = 0;
let fillsTotal = 0;
let rootsAgree = true;
for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
  const measured = round >= WARMUP_ROUNDS;
  const ts = T0 + BigInt(round + 1);
  const uniform = (r: Rng) => r.int(accounts);
  const { fills, markets: fillMarkets } = placeCrossingPairs(state, pop, rng, nonces, { pairs: FILLS_PER_ROUND, timestamp: ts, maker: uniform, taker: uniform, splitProbability: 0 });
  stateRoot(state);
  if (view) {
    const touched = fills.flatMap((f) => [
      { account: f.makerAccount, slots: [f.makerSlot], markets: [], nonces: true },
      { account: f.takerAccount, slots: [f.takerSlot], markets: [], nonces: true },
    ]);
    mirror(view, state, touched, new Set());
    view.hashTreeRoot();
  }

  const tf = performance.now();
  for (const f of fills) {
    const ok = applyOp(state, f, { timestamp: ts, signer: null }).ok;
    if (measured) {
      fillsTotal++;
      if (ok) fillsOk++;
    }
  }
  if (measured) fillMs.push(performance.now() - tf);
  const h0 = hashCounter.blocks;
  t = performance.now();
  const root = stateRoot(state);
  if (measured) {
    windows.push([t, performance.now()]);
    rootMs.push(performance.now() - t);
    hashes += hashCounter.blocks - h0;
  }
  for (const f of fills) touchedAccounts.add(f.makerAccount).add(f.takerAccount);

  if (view) {
    const markets = new Set(fillMarkets);
    const touched = fills.flatMap((f, i) => [
      { account: f.makerAccount, slots: [f.makerSlot], markets: [fillMarkets[i]!], nonces: false },
      { account: f.takerAccount, slots: [f.takerSlot], markets: [fillMarkets[i]!], nonces: false },
    ]);
    t = performance.now();
    mirror(view, state, touched, markets);
    if (measured) naiveMirrorMs.push(performance.now() - t);
    t = performance.now();
    const naiveRoot = view.hashTreeRoot();
    if (measured) naiveMs.push(performance.now() - t);
    if (hex(naiveRoot) !== hex(root)) rootsAgree = false;
  }
}

// Heap growth per account that traded: order and position trees are allocated on first use.
const after = heapBytes();
// Touch the state after measuring, or V8 may collect it before the measurement above.
if (state.accounts.length !== accounts) throw new Error("account count changed");
await new Promise((r) => setTimeout(r, 50)); // let the GC observer deliver its entries
gcObserver.disconnect();
const gcMsInRoot = windows.map(([a, b]) =>
  gcPauses.filter((g) => g.end > a && g.start < b).reduce((acc, g) => acc + Math.min(b, g.end) - Math.max(a, g.start), 0),
);
const majorGcRounds = windows.filter(([a, b]) => gcPauses.some((g) => g.major && g.end > a && g.start < b)).length;

const out = {
  accounts,
  rounds,
  buildMs,
  firstCommitMs,
  heapMb: (mem.heap - base.heap) / 2 ** 20,
  buffersMb: (mem.buffers - base.buffers) / 2 ** 20,
  rootMsMedian: median(rootMs),
  rootMs,
  hashesPerFill: hashes / (rounds * FILLS_PER_ROUND),
  gcMsInRoot,
  majorGcRounds,
  rootMsMedianExGc: median(rootMs.map((x, i) => x - gcMsInRoot[i]!)),
  bytesPerTradingAccount: (after.heap + after.buffers - mem.heap - mem.buffers) / touchedAccounts.size,
  fillsPerS: FILLS_PER_ROUND / (median(fillMs) / 1000),
  fillsOk,
  fillsTotal,
  ...(view ? { naiveMsMedian: median(naiveMs), naiveMs, naiveMirrorMsMedian: median(naiveMirrorMs), viewBuildMs, rootsAgree } : {}),
};
console.log(JSON.stringify(out));
