/**
 * Verifier replay bench (issue 6): `verifier.replay_ops_per_s`, the rate at which the verifier
 * turns posted batch data back into a checked root — codec decode (decodeBatchData), the
 * native signature pre-pass (recoverOpNative) and the STF (applyBatch, one root commit per
 * batch) — on batches of the signed reference workload (/work/shared/WORKLOAD.md: 10,000
 * accounts, seed 1, after the codec bench's warm-up). L1 reads are not included.
 *
 * Each batch is whole client messages (a taker's fills stay with it). The replay starts from a
 * snapshot of the state before the batch (restored outside the timing) and must reach the
 * generator's own root, so a replay that diverged would fail the bench rather than report.
 */
import { encodeBatchFrom } from "../sequencer/codec/batch.js";
import { compressBatch, decodeBatchData } from "../sequencer/codec/index.js";
import { availableParallelism } from "node:os";
import { SignaturePool } from "../sequencer/ingress/pool.js";
import { recoverOpNative } from "../sequencer/ingress/recover.js";
import { bytesToHex } from "../sequencer/state/bytes.js";
import { applyBatch, createGenesisState, encodeSequencedOp, stateRoot } from "../sequencer/state/index.js";
import { deserializeState, serializeState } from "../sequencer/storage/snapshot.js";
import { WARMUP_MESSAGES } from "./codec.js";
import { BENCH_DOMAIN, Population, WorkloadGenerator, applyAll, setupItems, workloadGenesis } from "./workload.js";

export interface VerifierRow {
  name: string;
  value: number;
  unit: string;
  vs?: string;
}

export async function verifierBench(opts: { log?: (s: string) => void; accounts?: number; batchOps?: number; batches?: number } = {}): Promise<VerifierRow[]> {
  const log = opts.log ?? (() => {});
  const accounts = opts.accounts ?? 10_000;
  const batchOps = opts.batchOps ?? 1_000;
  const batches = opts.batches ?? 5;
  const pop = new Population(accounts, true);
  const setupView = { accounts: pop.accounts, signed: false, seed: pop.seed, owner: (i: number) => pop.owner(i), privateKey: (i: number) => pop.privateKey(i) } as unknown as Population;
  const state = createGenesisState(workloadGenesis());
  applyAll(state, setupItems(setupView));
  const gen = new WorkloadGenerator({ population: pop, queueIndex: state.l1.nextIndex, seed: 1 });
  gen.drive(state, WARMUP_MESSAGES, false);

  // Consecutive batches, each with its pre-state snapshot, data and the generator's root.
  const work: { pre: Uint8Array; data: Uint8Array; root: string; ops: number }[] = [];
  for (let b = 0; b < batches; b++) {
    const pre = serializeState(state);
    const bytes: Uint8Array[] = [];
    while (bytes.length < batchOps) for (const it of gen.drive(state, 1)) bytes.push(encodeSequencedOp({ timestamp: it.timestamp, op: it.op }));
    work.push({ pre, data: compressBatch(encodeBatchFrom(bytes)), root: bytesToHex(stateRoot(state)), ops: bytes.length });
  }
  log(`  verifier: ${batches} batches of ~${batchOps} signed reference ops built`);

  const workers = availableParallelism();
  const pool = new SignaturePool(BENCH_DOMAIN, workers);
  const measure = async (usePool: boolean) => {
    let ops = 0;
    let decodeMs = 0;
    let recoverMs = 0;
    let stfMs = 0;
    for (let round = 0; round < 2; round++) {
      // Round 0 warms the JIT (and the workers); round 1 is measured.
      for (const w of work) {
        const s = deserializeState(w.pre);
        stateRoot(s); // the restored state's first full hash is not the replay's cost
        const t0 = performance.now();
        const decoded = decodeBatchData(w.data);
        const t1 = performance.now();
        const recovered = usePool ? await pool.recover(decoded.map((x) => x.op)) : decoded.map((x) => recoverOpNative(x.op, BENCH_DOMAIN));
        const t2 = performance.now();
        const { root } = applyBatch(s, decoded, recovered);
        const t3 = performance.now();
        if (bytesToHex(root) !== w.root) throw new Error(`verifier bench: replay root ${bytesToHex(root)} differs from the generator's ${w.root}`);
        if (round === 1) {
          ops += decoded.length;
          decodeMs += t1 - t0;
          recoverMs += t2 - t1;
          stfMs += t3 - t2;
        }
      }
    }
    return { ops, decodeMs, recoverMs, stfMs };
  };
  const inline = await measure(false);
  let pooled;
  try {
    pooled = await measure(true);
  } finally {
    await pool.close();
  }
  const { ops, decodeMs, recoverMs, stfMs } = inline;
  const total = decodeMs + recoverMs + stfMs;
  const share = (x: number, of: { decodeMs: number; recoverMs: number; stfMs: number } = inline) => Math.round((100 * x) / (of.decodeMs + of.recoverMs + of.stfMs));
  return [
    {
      name: "verifier.replay_ops_per_s",
      value: ops / (total / 1000),
      unit: "ops/s",
      vs: `decode ${share(decodeMs)}% + native recover ${share(recoverMs)}% + STF with root ${share(stfMs)}%; ${batches} batches of ~${batchOps} signed reference ops, ${accounts} accounts, one core`,
    },
    {
      name: "verifier.replay_ops_per_s_workers",
      value: pooled.ops / ((pooled.decodeMs + pooled.recoverMs + pooled.stfMs) / 1000),
      unit: "ops/s",
      vs: `the same with signature recovery on ${workers} worker threads (--signature-workers ${workers}); recover ${share(pooled.recoverMs, pooled)}%`,
    },
  ];
}
