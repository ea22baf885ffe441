/**
 * `npm run bench:peers`: side-by-side benchmarks against real peers (issue 9), on the same
 * machine, in the same run, on the reference workload (/work/shared/WORKLOAD.md).
 *
 *   npm run bench:peers                       # every pair, full counts (a few minutes)
 *   npm run bench:peers -- matching codec     # some pairs: matching, sequencer, gas, codec, hashing
 *   npm run bench:peers -- --scale tiny --out /tmp/x   # the test's scale, written elsewhere
 *
 * Writes `peer.*` entries into `<out>/latest.json` (merged by name with what is there, read
 * right before writing: other benches write the same file), and `<out>/report.md` with one
 * SVG chart per pair (`<out>/peers-*.svg`). Every pair is bounded in count and in time, and
 * everything it starts (anvil, the sequencer CLI) listens on 127.0.0.1 only and is stopped
 * before the next pair; `--max-seconds` (default 1,200) bounds the whole run.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ReferenceOps, measureSizes, referenceOps, signatureBytes } from "../codec.js";
import { Population } from "../workload.js";
import { rollupPostingGas, sealUnderCap, stfFillGas } from "./data.js";
import { type ChainRun, orderFlow, runChain, runOurs } from "./general.js";
import { blockRates, merkleizeState, signatureRates } from "./hashing.js";
import { matchingPair } from "./matching.js";
import { type Comparison, type Entry, type Section, writeReport } from "./report.js";
import { DECODE_GAS_BOUND, maxBatchBytes } from "../../sequencer/codec/gas.js";

const HERE = dirname(fileURLToPath(import.meta.url));

export const PAIRS = ["matching", "sequencer", "gas", "codec", "hashing"] as const;
export type PairName = (typeof PAIRS)[number];

export interface Scale {
  matchingMessages: number;
  matchingRounds: number;
  seqAccounts: number;
  seqMessages: number;
  seqChunk: number;
  seqSeconds: number;
  connections: number;
  perRequest: number;
  referenceOps: number;
  merkleAccounts: number;
  sigNative: number;
  sigViem: number;
}

export const SCALES: Record<"full" | "tiny", Scale> = {
  full: {
    matchingMessages: 200_000,
    matchingRounds: 3,
    seqAccounts: 200,
    seqMessages: 24_000,
    // NOTE: larger chunks put more of one sender's transactions in anvil's pool at once, and
    // past ~30 per sender anvil 1.7 (automine) was seen to lose some; 500 stays well below.
    seqChunk: 500,
    // Per side; a side that runs out of time counts the chunks it completed (anvil's automine
    // mode is the slow one).
    seqSeconds: 60,
    connections: 16,
    perRequest: 16,
    referenceOps: 5_000,
    merkleAccounts: 1_000,
    sigNative: 4_000,
    sigViem: 800,
  },
  tiny: {
    matchingMessages: 3_000,
    matchingRounds: 1,
    seqAccounts: 60,
    seqMessages: 600,
    seqChunk: 200,
    seqSeconds: 60,
    connections: 4,
    perRequest: 8,
    referenceOps: 600,
    merkleAccounts: 60,
    sigNative: 200,
    sigViem: 40,
  },
};

export interface RunOptions {
  pairs: PairName[];
  scale: "full" | "tiny";
  out: string;
  log: (s: string) => void;
}

const fmt = (x: number) => (Number.isInteger(x) || Math.abs(x) >= 1000 ? Math.round(x).toLocaleString("en-US") : Math.abs(x) >= 10 ? x.toFixed(1) : x.toPrecision(3));
/** Batch-size suffix of an entry name: 5k, 486. */
const sizeLabel = (n: number) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Runs the chosen pairs; returns the report's sections (each with its entries). */
export async function runPeers(o: RunOptions): Promise<Section[]> {
  const sc = SCALES[o.scale];
  const log = o.log;
  const sections: Section[] = [];
  const wants = (p: PairName) => o.pairs.includes(p);
  // The signed reference workload, built once for the gas and codec pairs (signing takes a while).
  let refCache: ReferenceOps | null = null;
  const reference = () => (refCache ??= referenceOps(sc.referenceOps));
  let lap = performance.now();
  const done = (what: string) => {
    log(`  (${what}: ${((performance.now() - lap) / 1000).toFixed(0)} s)`);
    lap = performance.now();
  };

  if (wants("matching")) {
    log("matching: our engine vs hft-limit-order-book…");
    const m = matchingPair(sc.matchingMessages, sc.matchingRounds);
    const ours: Entry = { name: "peer.match_ours_per_s", value: m.ours.eventsPerSec, unit: "events/s" };
    const peer: Entry = { name: "peer.match_hftlob_per_s", value: m.peer.eventsPerSec, unit: "events/s" };
    const s = m.stream;
    sections.push({
      id: "matching",
      title: "Matching: our engine vs hft-limit-order-book",
      how: `${fmt(s.events)} order events (${fmt(s.places)} quotes, ${fmt(s.takers)} crossing IOC takers, ${fmt(s.cancels)} cancels) from ${fmt(s.messages)} reference-workload messages over 20 markets and 10,000 accounts, replayed through each engine in one process, best of ${sc.matchingRounds}, one core. Ours runs \`MatchingEngine.onPlaced\`/\`cancel\` plus the caller-side bookkeeping its protocol requires (slot assignment, Fill/OrderRemoved events fed back); the peer one \`OrderBook\` per market with \`limit({postOnly, timeInForce})\`/\`cancel\`. Cross-check: lots filled on arrival, ours ${fmt(m.ours.filledLots)}, peer ${fmt(m.peer.filledLots)} (ours prevents self-trades, the peer does not).`,
      charts: [{ file: "peers-matching.svg", spec: { title: "Matching throughput (same order stream)", unit: "events/s", subtitle: "higher is better · one core", bars: [
        { label: "ours (sequencer/matching)", value: ours.value, ours: true },
        { label: "hft-limit-order-book 7.0.2", value: peer.value, ours: false },
      ] } }],
      comparisons: [
        {
          figure: "order events/s",
          ours,
          peer,
          better: "higher",
          win: "Ours is faster on the same stream although it does more per event: exact bigint prices and sizes (the STF's integers; the peer uses JS numbers), self-trade prevention, per-account slot and client-id indexes, and the STF event feedback.",
          lose: "Ours does more per event than the peer: bigint prices and sizes (the STF's exact integers; the peer uses JS numbers), self-trade prevention, per-account slot and client-id indexes, an expiry heap, and the Fill/OrderRemoved feedback the sequencer protocol needs. To win: keep ticks and lots as small integers (JS numbers) inside the book and convert to bigint at the edge, and skip client-id indexing for orders without one.",
        },
      ],
      entries: [ours, peer],
    });
    done("matching");
  }

  if (wants("sequencer") || wants("gas")) {
    log("general sequencer (anvil + MiniMargin) vs ours…");
    const pop = new Population(sc.seqAccounts, true, 9);
    const flow = orderFlow({ accounts: pop.accounts, messages: sc.seqMessages, chunk: sc.seqChunk });
    const counts = { quote: 0, cancel: 0, take: 0 };
    for (const c of flow) for (const m of c) counts[m.kind]++;
    const base = { connections: sc.connections, perRequest: sc.perRequest, seconds: sc.seqSeconds, log };
    const auto = await runChain(pop, flow, { ...base, mode: "automine" });
    log(`  anvil automine: ${auto.accepted}/${auto.messages} in ${auto.seconds.toFixed(2)} s = ${fmt(auto.perSec)} tx/s, ${auto.blocks} blocks`);
    const nomine = wants("sequencer") ? await runChain(pop, flow, { ...base, mode: "no-mining" }) : null;
    if (nomine) log(`  anvil no-mining: ${nomine.accepted}/${nomine.messages} in ${nomine.seconds.toFixed(2)} s = ${fmt(nomine.perSec)} tx/s, ${nomine.blocks} blocks`);
    const ours = wants("sequencer") ? await runOurs(pop, flow, base) : null;
    if (ours) log(`  ours: ${ours.accepted}/${ours.messages} in ${ours.seconds.toFixed(2)} s = ${fmt(ours.perSec)} ops/s`);
    done("sequencers");
    const flowText = `${fmt(sc.seqMessages)} messages (${fmt(counts.quote)} post-only quotes by 50 market makers 5–55 bps from the price, ${fmt(counts.cancel)} cancels of their oldest quote, ${fmt(counts.take)} takes of the best quote by a Zipf tail of ${sc.seqAccounts - 50} takers), in chunks of ${fmt(sc.seqChunk)} with a barrier between chunks (a take only names quotes of earlier chunks); the first chunk warms both sides up and is not counted`;

    if (ours && nomine) {
      const bestChain: ChainRun = nomine.perSec > auto.perSec ? nomine : auto;
      const peerE: Entry = { name: "peer.anvil_tx_per_s", value: bestChain.perSec, unit: "tx/s" };
      const oursE: Entry = { name: "peer.ours_ops_per_s", value: ours.perSec, unit: "ops/s" };
      const extra: Entry[] = [
        { name: "peer.anvil_tx_per_s_automine", value: auto.perSec, unit: "tx/s" },
        { name: "peer.anvil_tx_per_s_nomining", value: nomine.perSec, unit: "tx/s" },
      ];
      sections.push({
        id: "sequencer",
        title: "General sequencer (anvil) vs ours",
        how: `${flowText}. anvil (Foundry 1.7.1 from npm, in memory) gets each message as a pre-signed EIP-1559 transaction calling \`MiniMargin\` (contracts/src/test/MiniMargin.sol: place, cancel, fill with cross-margin checks), from the message's own account; ours gets the same messages as signed operations (takes as IOC orders at the quote's price) through \`POST /v1/ops\` of the sequencer CLI (SQLite op log, synchronous=FULL, native signature workers). Both: ${sc.connections} loopback connections, ${sc.perRequest} messages per request (a JSON-RPC batch for anvil), an account always on the same connection. anvil was measured twice on fresh chains: automine (${fmt(auto.perSec)} tx/s over ${fmt(auto.messages)} counted messages, ${auto.blocks} blocks: each block holds what arrived while the previous was mined) and \`--no-mining\` with \`evm_mine\` at the end of each chunk until the pool is empty (${fmt(nomine.perSec)} tx/s over ${fmt(nomine.messages)}, ${nomine.blocks} blocks of at most 30M gas); the table takes the faster. Each side stops starting chunks after ${sc.seqSeconds} s. anvil 1.7 lost transactions from its pool under this load (${auto.resent} with automine, ${nomine.resent} with --no-mining); the bench re-sent them as a wallet would, inside the timed window. A chunk counts when every transaction of it is mined; ours counts when every request is acknowledged. Accepted: anvil ${fmt(bestChain.accepted)}/${fmt(bestChain.messages)} transactions succeeded, ours ${fmt(ours.accepted)}/${fmt(ours.messages)} operations (${fmt(ours.refused)} refused: a take that matched a quote other than the one named, whose later cancel then finds no order).`,
        charts: [{ file: "peers-sequencer.svg", spec: { title: "Sequencing the same order messages", unit: "msg/s", subtitle: "higher is better · loopback, same connections", bars: [
          { label: "ours (sequencer CLI)", value: ours.perSec, ours: true },
          { label: "anvil, automine", value: auto.perSec, ours: false },
          { label: "anvil, --no-mining + evm_mine", value: nomine.perSec, ours: false },
        ] } }],
        comparisons: [
          {
            figure: "messages/s accepted",
            ours: oursE,
            peer: peerE,
            better: "higher",
            win: "An app-specific sequencer executes a quote, cancel or take as one STF operation over flat in-memory state and commits groups of them to its log at once; the general node interprets EVM bytecode, keeps every order and position in a storage trie it re-hashes per block, and builds blocks from a general mempool.",
            lose: "The general node keeps its state in memory and writes nothing durably before answering, while ours fsyncs each group of operations to SQLite (synchronous=FULL) before acknowledging and recovers every signature in worker threads on a 2-core machine. To win: larger group commits (more operations per fsync), a log on a replicated store instead of a local fsync, and signature recovery on more cores.",
          },
        ],
        entries: [oursE, peerE, ...extra],
      });
    }

    if (wants("gas")) {
      log("on-chain fill gas vs the rollup's posting gas…");
      const ref = reference();
      const post = await rollupPostingGas(ref, log);
      const sigShare = signatureBytes(ref.ops) / ref.ops.reduce((a, op) => a + op.length, 0);
      const fillMedian = median(auto.fillGas);
      if (!Number.isFinite(fillMedian)) throw new Error("no fill transaction succeeded on anvil");
      const onchain: Entry = { name: "peer.onchain_gas_per_fill", value: fillMedian, unit: "gas" };
      const rollup: Entry = { name: "peer.rollup_gas_per_fill", value: post.gasPerFill, unit: "gas" };
      const mix: Entry = { name: "peer.onchain_gas_per_fill_mix", value: auto.totalGas / Math.max(1, auto.fills), unit: "gas" };
      const perOp: Entry = { name: "peer.rollup_gas_per_op", value: post.gasPerOp, unit: "gas" };
      const stf = await stfFillGas(log);
      const stfE: Entry = { name: "peer.onchain_stf_gas_per_fill", value: stf.median, unit: "gas" };
      sections.push({
        id: "gas",
        title: "On-chain-only execution vs the rollup: L1 gas per fill",
        how: `On chain: the median receipt gasUsed of the ${fmt(auto.fills)} successful \`MiniMargin.fill\` transactions of the automine run above (21k, calldata and execution: the taker takes a resting order, both accounts are margin-checked across their markets); counting every transaction of that stream (quotes, cancels, fills) the chain spent ${fmt(mix.value)} gas per fill. Rollup: ${fmt(post.ops)} operations of the signed reference workload (real EIP-712 signatures, the generator's fills) sealed the way L1 mode seals them — as many as fit under the codec's decode-gas byte cap of ${fmt(post.capBytes)} B — into ${post.batches} batches (${fmt(post.bytes)} B), posted with \`Rollup.submitBatch\` to a Rollup deployed on a fresh anvil (Prague rules, so calldata pays the EIP-7623 floor); ${fmt(post.totalGas)} gas from the receipts over the ${fmt(post.fills)} fills in them, i.e. every quote, cancel, oracle update and transfer is charged to the fills (${fmt(post.gasPerOp)} gas per operation). The rollup's figure excludes the dispute path, which costs gas only when a root is challenged. Our own Solidity STF executing fills directly: \`OneStepProver.execute\` sent as a transaction on a fresh anvil for each of the ${stf.fills} accepted Fill golden vectors (contracts/test/fixtures/onestep-Fill.json, each checked to give the TypeScript STF's post-root): median ${fmt(stf.median)} gas, max ${fmt(stf.max)} (a stateless contract, so each call carries the SSZ witness of what the fill touches, median ${fmt(stf.witnessBytes)} B; accounts with positions in many markets cost more, docs/fault-proofs.md §Witness).`,
        charts: [{ file: "peers-gas.svg", spec: { title: "L1 gas per fill", unit: "gas", subtitle: "lower is better · measured from receipts on anvil", bars: [
          { label: "rollup: posted batches / fills", value: rollup.value, ours: true },
          { label: "on chain: one fill tx", value: onchain.value, ours: false },
          { label: "on chain: whole stream / fills", value: mix.value, ours: false },
          { label: "on chain: our Solidity STF per fill", value: stfE.value, ours: false },
        ] } }],
        comparisons: [
          {
            figure: "L1 gas per fill",
            ours: rollup,
            peer: onchain,
            better: "lower",
            win: `A fill on chain writes two positions and an order and walks both accounts' markets (storage, at thousands of gas per slot); in a batch it is ${fmt(post.bytes / post.ops)} bytes of calldata and the state work happens off chain. Even with every other message of the mix charged to the fills, the batch is cheaper than the fill transaction alone.`,
            lose: `Posting costs calldata for every operation of the mix (${fmt(post.gasPerOp)} gas each at the EIP-7623 floor), and here fills are too small a share of the operations to carry it. To win: post batches as blobs (EIP-4844) instead of calldata, and leave the signatures (${pct(ref.ops.length ? 0 : 0)}) out of the posted data.`,
          },
          {
            figure: "L1 gas per fill, vs our own STF executed on chain",
            ours: rollup,
            peer: stfE,
            better: "lower",
            win: "Executing this STF on L1 needs every leaf a fill touches proven against the state root in the call (SSZ witness in calldata, sha256 per node, re-hashing for the post-root); the rollup posts the fill's bytes once and runs the STF off chain, paying that cost only for the one operation of a dispute.",
            lose: "A batch with few fills among many other operations charges them all to the fills; to win, post as blobs and keep signatures out of the posted data.",
          },
        ],
        entries: [rollup, onchain, mix, perOp, stfE],
      });
      done("gas");
    }
  }

  if (wants("codec")) {
    log("codec: ours vs brotli q11 vs zstd -19…");
    const ref = reference();
    // The first sealed batch is the size the sequencer posts in L1 mode; the whole stream the large case.
    const capOps = sealUnderCap(ref.ops, maxBatchBytes(DECODE_GAS_BOUND))[0]!.count;
    const sizes = [...new Set([capOps, ref.ops.length])].sort((a, b) => a - b);
    const measured = await measureSizes(ref, sizes);
    const entries: Entry[] = [];
    const comparisons: Comparison[] = [];
    const bars: { label: string; value: number; ours: boolean }[] = [];
    for (const [i, s] of measured.entries()) {
      // The cap-sized batch keeps one name whatever its exact count; the large one is named by size.
      const L = i === 0 && s.ops === capOps ? "cap" : sizeLabel(s.ops);
      const ours: Entry = { name: `peer.codec_ours_bytes_per_op_${L}`, value: s.ours / s.ops, unit: "B" };
      const brotli: Entry = { name: `peer.codec_brotli_bytes_per_op_${L}`, value: s.brotli / s.ops, unit: "B" };
      const zstd: Entry = { name: `peer.codec_zstd_bytes_per_op_${L}`, value: s.zstd / s.ops, unit: "B" };
      const sig: Entry = { name: `peer.codec_sig_share_${L}`, value: s.sigShare, unit: "fraction" };
      entries.push(ours, brotli, zstd, sig);
      const label = `${fmt(s.ops)} ops`;
      bars.push({ label: `ours, ${label}`, value: ours.value, ours: true }, { label: `brotli q11, ${label}`, value: brotli.value, ours: false }, { label: `zstd -19, ${label}`, value: zstd.value, ours: false });
      const sigText = `signatures are ${pct(s.sigShare)} of the ${fmt(s.ssz / s.ops)} SSZ bytes per operation and no compressor shrinks them`;
      const why = {
        win: `Our format is a schema codec (docs/codec.md: each field coded by its type — varints, delta-coded timestamps, decimal-coded amounts — no LZ stage), so it beats general compressors on this data and stays decodable by a contract within the dispute gas bound; ${sigText}.`,
        lose: `brotli and zstd model the whole batch with large windows and entropy coding, which a contract cannot afford to decode in a dispute; ours must stay decodable on L1 (docs/codec.md). ${sigText[0]!.toUpperCase()}${sigText.slice(1)}, so to win the design needs the signatures out of the posted data (aggregated, or committed and revealed only on challenge) rather than a stronger compressor.`,
      };
      comparisons.push(
        { figure: `bytes/op vs brotli, ${label}`, ours, peer: brotli, better: "lower", ...why },
        { figure: `bytes/op vs zstd, ${label}`, ours, peer: zstd, better: "lower", ...why },
      );
    }
    sections.push({
      id: "codec",
      title: "Codec: ours vs brotli (q11) vs zstd (level 19)",
      how: `The signed reference workload (bench/codec.ts \`referenceOps\`: 10,000 accounts, real 65-byte EIP-712 signatures, the generator's fills) after a 2,000-message warm-up: the first ${fmt(capOps)} operations (the most that fit under the decode-gas byte cap, the batch the sequencer posts in L1 mode) and all ${fmt(ref.ops.length)}. Each compressor gets the same canonical SSZ batch bytes (bench/codec.ts \`measureSizes\`; zstd is @mongodb-js/zstd, brotli Node's zlib with quality 11 and a 16 MB window). Signature share: bytes of signatures over SSZ bytes.`,
      charts: [{ file: "peers-codec.svg", spec: { title: "Batch bytes per operation", unit: "B/op", subtitle: `lower is better · signatures ${measured.map((s) => pct(s.sigShare)).join(" / ")} of SSZ bytes`, bars } }],
      comparisons,
      entries,
    });
    done("codec");
  }

  if (wants("hashing")) {
    log("hashing and signatures…");
    const h = blockRates();
    const r = merkleizeState(sc.merkleAccounts);
    const s = await signatureRates(sc.sigNative, sc.sigViem);
    const e = {
      ht: { name: "peer.sha256_hashtree_per_s", value: h.hashtreeBlocksPerSec, unit: "blocks/s" },
      as: { name: "peer.sha256_assha256_per_s", value: h.asShaBlocksPerSec, unit: "blocks/s" },
      rootHt: { name: "peer.root_ms_hashtree", value: r.hashtreeMs, unit: "ms" },
      rootAs: { name: "peer.root_ms_assha256", value: r.asShaMs, unit: "ms" },
      nat: { name: "peer.sig_native_per_s", value: s.nativePerSec, unit: "ops/s" },
      viem: { name: "peer.sig_viem_per_s", value: s.viemPerSec, unit: "ops/s" },
    } satisfies Record<string, Entry>;
    sections.push({
      id: "hashing",
      title: "Hashing and signatures: our choices vs the defaults",
      how: `sha256: batched 64-byte blocks (2^16 per call, best of 5) through \`@chainsafe/hashtree\` \`hashInto\` (native; the state root uses it) and \`@chainsafe/as-sha256\` \`hashInto\` (WebAssembly; SSZ's default), outputs checked equal. Merkleization: one full \`types.State.hashTreeRoot\` of the workload state with ${fmt(r.accounts)} accounts (deposits, margin modes) with persistent-merkle-tree's hasher set to each, both roots checked against the STF's incremental \`stateRoot\`, best of 3. Signatures: recovery of EIP-712 digests of signed orders on one core (digests computed before the clock, every address checked): native libsecp256k1 (\`recoverAddressNative\`, used by the sequencer's workers and the verifier) against viem's \`recoverAddress\` (pure JS). These are the bases of the ceilings other benches quote (sha256.raw_per_s, seq.sig_ceiling_per_s).`,
      charts: [
        { file: "peers-hashing-sha256.svg", spec: { title: "sha256, 64-byte blocks", unit: "blocks/s", subtitle: "higher is better · one core", bars: [
          { label: "@chainsafe/hashtree (ours)", value: e.ht.value, ours: true },
          { label: "@chainsafe/as-sha256 (default)", value: e.as.value, ours: false },
        ] } },
        { file: "peers-hashing-root.svg", spec: { title: `Full SSZ state root, ${fmt(r.accounts)} accounts`, unit: "ms", subtitle: "lower is better", bars: [
          { label: "hashtree hasher (ours)", value: e.rootHt.value, ours: true },
          { label: "as-sha256 hasher (default)", value: e.rootAs.value, ours: false },
        ] } },
        { file: "peers-signatures.svg", spec: { title: "secp256k1 recovery, one core", unit: "ops/s", subtitle: "higher is better", bars: [
          { label: "native libsecp256k1 (ours)", value: e.nat.value, ours: true },
          { label: "viem recoverAddress (default)", value: e.viem.value, ours: false },
        ] } },
      ],
      comparisons: [
        { figure: "sha256 blocks/s", ours: e.ht, peer: e.as, better: "higher", win: "hashtree hashes many blocks per native call, with the CPU's SHA extensions where it has them; as-sha256 runs WebAssembly.", lose: "The WebAssembly path beat the native one on this machine: the state root should then take as-sha256 (the hasher is one import in sequencer/state/merkle.ts)." },
        { figure: "full state root ms", ours: e.rootHt, peer: e.rootAs, better: "lower", win: "The same tree walk, with the native batched hasher underneath.", lose: "Building the tree dominates over hashing at this size; the STF's own incremental root (sequencer/state/merkle.ts) avoids that walk, so only the hashing part would need the faster hasher." },
        { figure: "recoveries/s", ours: e.nat, peer: e.viem, better: "higher", win: "libsecp256k1 in C against elliptic-curve arithmetic on JS bigints.", lose: "The pure-JS path beat the native binding here, so the binding's call overhead dominates: batching recoveries per native call would be needed to win." },
      ],
      entries: [e.ht, e.as, e.rootHt, e.rootAs, e.nat, e.viem],
    });
    done("hashing");
  }
  return sections;
}

/** Merges `entries` into `file` by name, reading it right before writing (others write it too). */
export function mergeResults(file: string, entries: Entry[]): void {
  let previous: Entry[] = [];
  if (existsSync(file)) {
    const text = readFileSync(file, "utf8");
    try {
      previous = JSON.parse(text) as Entry[];
      if (!Array.isArray(previous)) throw new Error("not an array");
    } catch (e) {
      throw new Error(`${file} is not a JSON array of {name, value, unit} (${(e as Error).message}); refusing to overwrite other benches' results`);
    }
  }
  const names = new Set(entries.map((e) => e.name));
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify([...previous.filter((e) => !names.has(e.name)), ...entries.map(({ name, value, unit }) => ({ name, value, unit }))], null, 2)}\n`);
  renameSync(tmp, file);
}

function parseArgs(argv: string[]): { pairs: PairName[]; scale: "full" | "tiny"; out: string; maxSeconds: number } {
  const pairs: PairName[] = [];
  let scale: "full" | "tiny" = "full";
  let out = join(HERE, "..", "results");
  let maxSeconds = 1_200;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--scale") {
      const v = value();
      if (v !== "full" && v !== "tiny") throw new Error(`--scale: "${v}" is not one of full, tiny`);
      scale = v;
    } else if (a === "--out") out = value();
    else if (a === "--max-seconds") {
      maxSeconds = Number(value());
      if (!Number.isFinite(maxSeconds) || maxSeconds <= 0) throw new Error(`--max-seconds: "${argv[i]}" is not a positive number`);
    } else if ((PAIRS as readonly string[]).includes(a)) pairs.push(a as PairName);
    else throw new Error(`unknown argument "${a}": pairs are ${PAIRS.join(", ")}; options --scale full|tiny, --out <dir>, --max-seconds <n>`);
  }
  return { pairs: pairs.length > 0 ? pairs : [...PAIRS], scale, out, maxSeconds };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  // The whole run is bounded: anvil and the sequencer child die with this process (exit hooks).
  const guard = setTimeout(() => {
    log(`bench:peers: over ${args.maxSeconds} s, giving up`);
    process.exit(2);
  }, args.maxSeconds * 1000);
  guard.unref();
  const started = performance.now();
  // The machine may be shared: the report states how busy it was (1-minute load average).
  const loadBefore = loadavg()[0]!;
  const sections = await runPeers({ pairs: args.pairs, scale: args.scale, out: args.out, log });
  const loadAfter = loadavg()[0]!;
  const entries = sections.flatMap((s) => s.entries);
  mergeResults(join(args.out, "latest.json"), entries);
  const files = writeReport(args.out, sections, {
    command: `npm run bench:peers${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    scale: args.scale,
    machine: `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version} (load average ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end)`,
    seconds: (performance.now() - started) / 1000,
  });
  for (const e of entries) console.log(`${e.name}\t${fmt(e.value)}\t${e.unit}`);
  log(`wrote ${join(args.out, "latest.json")} and ${files.join(", ")}`);
  process.exit(0);
}
