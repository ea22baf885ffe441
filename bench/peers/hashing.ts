/**
 * Hashing and signatures: the choices the other benches' ceilings stand on, against the
 * defaults a TypeScript project would take.
 *
 *  - sha256 of 64-byte blocks, batched: `@chainsafe/hashtree` `hashInto` (native, what the
 *    state root uses) against `@chainsafe/as-sha256` `hashInto` (WebAssembly, SSZ's default).
 *  - merkleization of a real state: `types.State.hashTreeRoot(toSszValue(state))` of the
 *    workload state (deposits and margin modes of `accounts` accounts), with
 *    persistent-merkle-tree's hasher set to each; both roots are checked against the STF's
 *    incremental `stateRoot`. One full root from scratch, best of `rounds`.
 *  - signature recovery on one core, of EIP-712 digests of signed PlaceOrder ops (digests
 *    computed before the clock): native libsecp256k1 (`recoverAddressNative`, what the
 *    sequencer's workers and the verifier use) against viem's `recoverAddress` (pure JS,
 *    @noble/curves). Every recovered address is checked.
 */
import { hashInto as hashtreeInto } from "@chainsafe/hashtree";
import { hashInto as asShaInto } from "@chainsafe/as-sha256";
import { setHasher } from "@chainsafe/persistent-merkle-tree";
import { hasher as asShaHasher } from "@chainsafe/persistent-merkle-tree/hasher/as-sha256";
import { hasher as hashtreeHasher } from "@chainsafe/persistent-merkle-tree/hasher/hashtree";
import { recoverAddress } from "viem";
import { recoverAddressNative } from "../../sequencer/ingress/recover.js";
import { bytesToHex, hexToBytes } from "../../sequencer/state/bytes.js";
import { applyOp, createGenesisState, signDigest, signingDigest, stateRoot, toSszValue, types, type Op } from "../../sequencer/state/index.js";
import { BENCH_DOMAIN, Population, setupItems, workloadGenesis } from "../workload.js";

function best(rounds: number, f: () => void): number {
  let ms = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    f();
    ms = Math.min(ms, performance.now() - t);
  }
  return ms;
}

export interface HashRates {
  hashtreeBlocksPerSec: number;
  asShaBlocksPerSec: number;
}

/** Batched 64-byte sha256 blocks per second, best of `rounds`, the same input for both. */
export function blockRates(blocks = 1 << 16, rounds = 5): HashRates {
  const input = new Uint8Array(blocks * 64);
  for (let i = 0; i < input.length; i++) input[i] = (i * 131) & 255;
  const a = new Uint8Array(blocks * 32);
  const b = new Uint8Array(blocks * 32);
  hashtreeInto(input, a);
  asShaInto(input, b);
  if (Buffer.compare(a, b) !== 0) throw new Error("hashtree and as-sha256 disagree on the same blocks");
  const ht = best(rounds, () => hashtreeInto(input, a));
  const as = best(rounds, () => asShaInto(input, b));
  return { hashtreeBlocksPerSec: blocks / (ht / 1000), asShaBlocksPerSec: blocks / (as / 1000) };
}

export interface RootTimes {
  accounts: number;
  hashtreeMs: number;
  asShaMs: number;
}

/** One full SSZ root of the workload state with each hasher (best of `rounds`). */
export function merkleizeState(accounts: number, rounds = 3): RootTimes {
  const pop = new Population(accounts);
  const state = createGenesisState(workloadGenesis());
  for (const it of setupItems(pop)) {
    const r = applyOp(state, it.op, it.ctx);
    if (!r.ok) throw new Error(`setup op refused: ${r.reason}`);
  }
  const expected = bytesToHex(stateRoot(state));
  const value = toSszValue(state);
  const time = (h: typeof hashtreeHasher): number => {
    setHasher(h);
    const root = bytesToHex(types.State.hashTreeRoot(value));
    if (root !== expected) throw new Error(`SSZ root ${root} != the STF's ${expected}`);
    return best(rounds, () => types.State.hashTreeRoot(value));
  };
  try {
    const asShaMs = time(asShaHasher);
    const hashtreeMs = time(hashtreeHasher);
    return { accounts, hashtreeMs, asShaMs };
  } finally {
    setHasher(hashtreeHasher);
  }
}

export interface SigRates {
  nativePerSec: number;
  viemPerSec: number;
  count: number;
}

/** Recoveries per second on one core: native against viem, on the same digests. */
export async function signatureRates(nativeCount = 4_000, viemCount = 800): Promise<SigRates> {
  const n = Math.max(nativeCount, viemCount);
  const pop = new Population(100, true, 4);
  const digests: Uint8Array[] = [];
  const sigs: `0x${string}`[] = [];
  const owners: string[] = [];
  for (let i = 0; i < n; i++) {
    const account = i % 100;
    const op: Op = { type: "PlaceOrder", account, nonce: 1_000n + BigInt(i), market: i % 20, flags: i % 2, price: 1_000_000n, size: 10_000n, expiry: 0n, clientOrderId: BigInt(i), signature: "0x" };
    const d = signingDigest(op, BENCH_DOMAIN);
    digests.push(d);
    sigs.push(signDigest(d, pop.privateKey(account)));
    owners.push(pop.owner(account));
  }
  const sigBytes = sigs.map(hexToBytes);
  const digestHex = digests.map((d) => bytesToHex(d));
  // Warm both paths (JIT, lazy tables) before timing.
  for (let i = 0; i < 50; i++) {
    recoverAddressNative(digests[i]!, sigBytes[i]!);
    await recoverAddress({ hash: digestHex[i]!, signature: sigs[i]! });
  }
  let t = performance.now();
  for (let i = 0; i < nativeCount; i++) if (recoverAddressNative(digests[i]!, sigBytes[i]!) !== owners[i]) throw new Error(`native recovery ${i} wrong`);
  const nativePerSec = nativeCount / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < viemCount; i++) if ((await recoverAddress({ hash: digestHex[i]!, signature: sigs[i]! })).toLowerCase() !== owners[i]) throw new Error(`viem recovery ${i} wrong`);
  const viemPerSec = viemCount / ((performance.now() - t) / 1000);
  return { nativePerSec, viemPerSec, count: n };
}
