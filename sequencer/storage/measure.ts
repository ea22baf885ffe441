/**
 * Quick append-throughput measurement (not part of `npm run bench`):
 *   npx tsx sequencer/storage/measure.ts [ops]
 * Pre-generates random operations, then appends them (a) one transaction per op, awaiting
 * each, (b) with group commit (all `append` calls in flight), (c) with `appendMany` in
 * groups of 256, each on a fresh file in os.tmpdir with synchronous=FULL (and NORMAL for
 * comparison).
 */
import { createGenesisState } from "../state/index.js";
import { OpLog, type LogItem } from "./opLog.js";
import { RandomOps, Rng, nextItem, tempDb, testGenesis } from "./test/helpers.js";

const N = Number(process.argv[2] ?? 20_000);
const state = createGenesisState(testGenesis());
const gen = new RandomOps(new Rng(42));
const items: LogItem[] = Array.from({ length: N }, () => nextItem(gen, state).item);

async function run(name: string, sync: "FULL" | "NORMAL", f: (log: OpLog, xs: LogItem[]) => Promise<void>, n = N) {
  const log = new OpLog(tempDb(name), { synchronous: sync });
  const xs = items.slice(0, n);
  const t0 = performance.now();
  await f(log, xs);
  const ms = performance.now() - t0;
  console.log(`${name.padEnd(28)} sync=${sync.padEnd(6)} ${n} ops ${ms.toFixed(0).padStart(6)} ms  ${Math.round((n / ms) * 1000).toLocaleString("en").padStart(9)} ops/s  ${log.stats.transactions} transactions`);
  log.close();
}

for (const sync of ["FULL", "NORMAL"] as const) {
  await run("one transaction per op", sync, async (log, xs) => {
    for (const x of xs) await log.append(x);
  }, Math.min(N, 3000));
  await run("group commit (all in flight)", sync, async (log, xs) => {
    await Promise.all(xs.map((x) => log.append(x)));
  });
  await run("group commit (64 per tick)", sync, async (log, xs) => {
    const ps: Promise<number>[] = [];
    for (let i = 0; i < xs.length; i += 64) {
      for (const x of xs.slice(i, i + 64)) ps.push(log.append(x));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(ps);
  });
  await run("appendMany(256)", sync, async (log, xs) => {
    for (let i = 0; i < xs.length; i += 256) log.appendMany(xs.slice(i, i + 256));
  });
}
