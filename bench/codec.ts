/**
 * Batch codec bench (issue 6): bytes per operation of our batch data (sequencer/codec) beside
 * brotli (quality 11) and zstd (level 19) on the same canonical batch bytes, L1 gas per
 * operation, and the on-chain decode gas measured by forge on the same batches.
 *
 * Traffic: the reference workload (/work/shared/WORKLOAD.md) in signed mode — every client
 * operation carries a real 65-byte EIP-712 signature, which no compressor can shrink, so
 * they are most of every batch — with the fills the generator's matching emits. The stream
 * runs `WARMUP_MESSAGES` first so books and order slots are in their steady state, then the
 * batches are the first 100, 1,000 and 5,000 operations after it.
 *
 * Decode gas comes from `contracts/test/BatchCodec.t.sol`, which decodes these same batches
 * from the committed fixture (contracts/script/gen-batch-fixtures.ts builds it with
 * `referenceOps` below); the bench checks the fixture holds exactly the data it compressed.
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { brotliCompressSync, constants as zlib } from "node:zlib";
import { keccak256 } from "viem";
import { encodeBatchFrom } from "../sequencer/codec/batch.js";
import { compressBatch } from "../sequencer/codec/compress.js";
import { SCHEMA } from "../sequencer/codec/schema.js";
import { DECODE_GAS_BOUND, calldataTokens, decodeGasBound, maxBatchBytes, submitCalldata, submitCalldataGas } from "../sequencer/codec/gas.js";
import { createGenesisState, encodeSequencedOp } from "../sequencer/state/index.js";
import { Population, WorkloadGenerator, applyAll, setupItems, workloadGenesis, type ItemKind } from "./workload.js";

const require = createRequire(import.meta.url);
const zstd: { compress(b: Buffer, level: number): Promise<Buffer> } = require("@mongodb-js/zstd");
// Solady's own FastLZ compressor (the JS twin of LibZip.flzDecompress), for the comparison.
const solady: { LibZip: { flzCompress(hex: string): string } } = require("solady/js/solady.js");

/** Batch sizes (operations) the bench and the forge fixture measure. */
export const BATCH_SIZES = [100, 1_000, 5_000] as const;
/** Messages run before the measured window, so resting books and order slots are in their steady state. */
export const WARMUP_MESSAGES = 2_000;

export interface ReferenceOps {
  /** Canonical SequencedOp bytes, in order. */
  ops: Uint8Array[];
  kinds: ItemKind[];
}

/**
 * `count` operations of the signed reference workload after `warmup` messages: 10,000
 * accounts, seed 1, the generator's 4 ms per message.
 *
 * Setup (deposits and margin modes) is applied with the real owners but unsigned: it is not
 * part of the measured batches, and signing its ~60k SetMarginMode ops would add a minute.
 * The STF reads the signer from `ctx` (the pre-pass result), so the state is the same.
 */
export function referenceOps(count: number, opts: { accounts?: number; warmup?: number; seed?: number } = {}): ReferenceOps {
  const pop = new Population(opts.accounts ?? 10_000, true);
  const setupView = {
    accounts: pop.accounts,
    signed: false,
    seed: pop.seed,
    owner: (i: number) => pop.owner(i),
    privateKey: (i: number) => pop.privateKey(i),
  } as unknown as Population;
  const state = createGenesisState(workloadGenesis());
  applyAll(state, setupItems(setupView));
  const gen = new WorkloadGenerator({ population: pop, queueIndex: state.l1.nextIndex, seed: opts.seed ?? 1 });
  gen.drive(state, opts.warmup ?? WARMUP_MESSAGES, false);
  const ops: Uint8Array[] = [];
  const kinds: ItemKind[] = [];
  // Whole messages: a taker's fills stay with it (drive finishes pending fills).
  while (ops.length < count) {
    for (const it of gen.drive(state, 1)) {
      ops.push(encodeSequencedOp({ timestamp: it.timestamp, op: it.op }));
      kinds.push(it.kind);
    }
  }
  return { ops: ops.slice(0, count), kinds: kinds.slice(0, count) };
}

const SIGNED_SELECTORS = new Set(SCHEMA.flatMap((fields, sel) => (fields.some((f) => f.name === "signature") ? [sel] : [])));

/** Bytes of the 65-byte signatures in a batch's canonical bytes (selector-aware). */
export function signatureBytes(ops: readonly Uint8Array[]): number {
  let n = 0;
  for (const e of ops) {
    const sel = e[12]!;
    if (sel === 10) {
      // OracleUpdate: signatures run from offset(signatures) to the end of the body.
      const body = 13;
      const sigAt = e[body + 12]! | (e[body + 13]! << 8);
      n += e.length - body - sigAt;
    } else if (SIGNED_SELECTORS.has(sel)) n += 65;
  }
  return n;
}

export interface CodecRow {
  name: string;
  value: number;
  unit: string;
  target?: { op: ">=" | "<="; value: number };
  vs?: string;
}

export interface SizeResult {
  ops: number;
  ssz: number;
  ours: number;
  brotli: number;
  zstd: number;
  fastlz: number;
  sigShare: number;
  dataHash: string;
  calldataGas: number;
  /** EIP-7623 tokens of the whole call (zero bytes + 4 × other bytes). */
  calldataTokens: number;
}

export async function measureSizes(ref: ReferenceOps, sizes: readonly number[] = BATCH_SIZES): Promise<SizeResult[]> {
  const out: SizeResult[] = [];
  for (const n of sizes) {
    const slice = ref.ops.slice(0, n);
    const ssz = encodeBatchFrom(slice);
    const data = compressBatch(ssz);
    const br = brotliCompressSync(ssz, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_LGWIN]: 24, [zlib.BROTLI_PARAM_SIZE_HINT]: ssz.length },
    });
    const zs = await zstd.compress(Buffer.from(ssz), 19);
    const flz = (solady.LibZip.flzCompress(`0x${Buffer.from(ssz).toString("hex")}`).length - 2) / 2;
    out.push({
      ops: n,
      ssz: ssz.length,
      ours: data.length,
      brotli: br.length,
      zstd: zs.length,
      fastlz: flz,
      sigShare: signatureBytes(slice) / ssz.length,
      dataHash: keccak256(data),
      calldataGas: submitCalldataGas(data, n),
      calldataTokens: calldataTokens(submitCalldata(data, n)),
    });
  }
  return out;
}

interface ForgeGas {
  name: string;
  ops: number;
  dataHash: string;
  decodeGas: number;
  submitGas: number;
  /** Solady FastLZ of the same SSZ bytes (workload batches only): its size and decode gas. */
  fastlzBytes?: number;
  fastlzGas?: number;
}

/**
 * Decode and submitBatch gas of the fixture batches, from `BatchCodecGasTest` (forge): one
 * `gas <name> <ops> <dataHash> <decode> <submit>` log line per batch, and for the workload
 * batches `fastlz <name> <bytes> <decodeGas>` (Solady's FastLZ of the same SSZ bytes).
 */
export function forgeGas(cwd: string): ForgeGas[] {
  const raw = execFileSync("npx", ["forge", "test", "--match-contract", "BatchCodecGasTest", "--json", "-vv"], { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  const json = JSON.parse(raw) as Record<string, { test_results: Record<string, { status: string; decoded_logs: string[] }> }>;
  const out: ForgeGas[] = [];
  for (const suite of Object.values(json)) {
    for (const [test, r] of Object.entries(suite.test_results)) {
      if (r.status !== "Success") throw new Error(`forge ${test}: ${r.status}`);
      for (const line of r.decoded_logs) {
        const m = /^gas (\S+) (\d+) (0x[0-9a-f]{64}) (\d+) (\d+)$/.exec(line.trim());
        if (m) out.push({ name: m[1]!, ops: Number(m[2]), dataHash: m[3]!, decodeGas: Number(m[4]), submitGas: Number(m[5]) });
        const f = /^fastlz (\S+) (\d+) (\d+)$/.exec(line.trim());
        const g = f && out.find((x) => x.name === f[1]);
        if (f && g) {
          g.fastlzBytes = Number(f[2]);
          g.fastlzGas = Number(f[3]);
        }
      }
    }
  }
  return out;
}

function label(n: number): string {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

/** The bench rows (see docs/codec.md for how to read them). */
export async function codecBench(opts: { cwd: string; log?: (s: string) => void }): Promise<CodecRow[]> {
  const log = opts.log ?? (() => {});
  log("  reference workload, signed…");
  const ref = referenceOps(Math.max(...BATCH_SIZES));
  const sizes = await measureSizes(ref);
  log("  forge: decode and submitBatch gas on the fixture batches…");
  const gas = forgeGas(opts.cwd);
  const rows: CodecRow[] = [];
  for (const s of sizes) {
    const L = label(s.ops);
    const g = gas.find((x) => x.ops === s.ops && x.name.startsWith("workload"));
    const fresh = g !== undefined && g.dataHash === s.dataHash;
    if (!fresh) log(`  warning: the forge fixture's ${s.ops}-op batch is not this run's data (run npx tsx contracts/script/gen-batch-fixtures.ts)`);
    const sig = `${(s.sigShare * 100).toFixed(0)}% of the ${(s.ssz / s.ops).toFixed(1)} SSZ bytes/op are signatures`;
    rows.push({ name: `batch.bytes_per_op_${L}`, value: s.ours / s.ops, unit: "B", vs: `${s.ops} signed reference ops; ${sig}` });
    rows.push({ name: `batch.brotli_bytes_per_op_${L}`, value: s.brotli / s.ops, unit: "B", vs: `brotli q11 of the canonical SSZ; ${sig}` });
    rows.push({ name: `batch.zstd_bytes_per_op_${L}`, value: s.zstd / s.ops, unit: "B", vs: `zstd -19 of the canonical SSZ; ${sig}` });
    rows.push({
      name: `batch.ratio_to_brotli_${L}`,
      value: s.ours / s.brotli,
      unit: "x",
      target: { op: "<=", value: 1.25 },
      vs: `ours ${s.ours} B vs brotli ${s.brotli} B; zstd ${(s.zstd / s.brotli).toFixed(3)}x, Solady FastLZ ${(s.fastlz / s.brotli).toFixed(3)}x (${(s.fastlz / s.ops).toFixed(1)} B/op)`,
    });
    if (fresh) {
      // Transaction gas of posting: 21k + calldata (16/non-zero, 4/zero byte of the whole
      // ABI-encoded call) + submitBatch's execution (header checks, keccak of the data, 3 slots).
      const tx = 21_000 + s.calldataGas + g.submitGas;
      rows.push({
        name: `batch.l1_gas_per_op_${L}`,
        value: tx / s.ops,
        unit: "gas",
        vs: `21k + calldata ${s.calldataGas} + submitBatch execution ${g.submitGas}, over ${s.ops} ops; under the EIP-7623 floor (10 gas/token) ${((21_000 + Math.max(4 * s.calldataTokens + g.submitGas, 10 * s.calldataTokens)) / s.ops).toFixed(0)}`,
      });
      rows.push({
        name: `batch.decode_gas_per_op_${L}`,
        value: g.decodeGas / s.ops,
        unit: "gas",
        vs: `BatchCodec.decode of ${s.ours} B: ${g.decodeGas} gas (worst case for that length ${decodeGasBound(s.ours)}); Solady FastLZ of the SSZ: ${g.fastlzGas === undefined ? "?" : (g.fastlzGas / s.ops).toFixed(0)} gas/op`,
      });
    }
  }
  const maxBytes = maxBatchBytes(DECODE_GAS_BOUND);
  const big = sizes[sizes.length - 1]!;
  rows.push({
    name: "batch.max_data_bytes_15m",
    value: maxBytes,
    unit: "B",
    vs: `largest batch data whose worst-case decode stays under ${DECODE_GAS_BOUND.toLocaleString("en-US")} gas; ≈ ${Math.floor(maxBytes / (big.ours / big.ops))} reference ops`,
  });
  return rows;
}
