/**
 * GET /v1/l1/batches: each sealed batch as L1 sees it — the poster's attempts (l1_posts), the
 * record the Rollup stores (root, timestamp, submitter) and where it stands in its challenge
 * window. The dashboard's batch table reads this; operators read it to see what is final.
 *
 * Finality is computed as `Rollup.isFinalized` does (`timestamp + challengeWindow <=
 * block.timestamp`) against the L1 head block's timestamp read in the same request, so
 * `finalized` and `secondsLeft` describe the head at `head.number`; an `eth_call` to
 * isFinalized per batch would say the same thing at N times the RPC calls. Everything is read
 * at the head (not the confirmation depth): the dashboard shows what L1 holds now, and the
 * `post.status` column says how deep the poster has seen it.
 */
import type { Address, Hex, PublicClient } from "viem";
import { bytesToHex } from "../state/bytes.js";
import type { OpLog } from "../storage/index.js";
import { rollupAbi } from "./abi.js";
import type { L1PostStore, PostStatus } from "./postStore.js";

export interface L1BatchRow {
  /** Op-log batch index; the Rollup's index is `batch + 1` (its batch 0 is genesis). */
  batch: number;
  l1Batch: number;
  fromSeq: number;
  toSeq: number;
  /** The sequencer's sealed post-state root. */
  postRoot: Hex;
  /** The poster's latest attempt (null: not sent yet). `attempts` counts every signed transaction. */
  post: { status: PostStatus; txHash: Hex; blockNumber: bigint | null; attempts: number; error: string | null } | null;
  /** What the Rollup stores at `l1Batch` (null: L1 holds no batch at that index yet). */
  onL1: { stateRoot: Hex; timestamp: bigint; submitter: Address; headerHash: Hex; rootMatches: boolean } | null;
  /** `onL1.timestamp + challengeWindow` (null: not on L1). */
  finalAt: bigint | null;
  finalized: boolean;
  /** Seconds until final at the head's timestamp (0 once final; null: not on L1). */
  secondsLeft: bigint | null;
}

export interface L1BatchesView {
  challengeWindow: bigint;
  head: { number: bigint; timestamp: bigint };
  /** `Rollup.nextBatchIndex()`: L1 batches 0..nextBatchIndex-1 exist (0 is genesis). */
  nextBatchIndex: number;
  batches: L1BatchRow[];
}

export interface L1BatchViewDeps {
  client: PublicClient;
  rollup: Address;
  log: OpLog;
  posts: L1PostStore;
}

/** Sealed batches `from..from+limit-1` (op-log indexes) with their L1 standing. */
export async function l1BatchesView(d: L1BatchViewDeps, from: number, limit: number): Promise<L1BatchesView> {
  const sealed = d.log.batches(from, limit);
  // One block for every read: the figures then describe the same L1 moment.
  const head = await d.client.getBlock({ blockTag: "latest" });
  const at = { address: d.rollup, abi: rollupAbi, blockNumber: head.number } as const;
  const [challengeWindow, nextIndex] = await Promise.all([
    d.client.readContract({ ...at, functionName: "challengeWindow" }) as Promise<bigint>,
    d.client.readContract({ ...at, functionName: "nextBatchIndex" }) as Promise<bigint>,
  ]);
  const nextBatchIndex = Number(nextIndex);
  const stored = await Promise.all(
    sealed.map((b) =>
      b.index + 1 < nextBatchIndex
        ? (d.client.readContract({ ...at, functionName: "batch", args: [BigInt(b.index + 1)] }) as Promise<{ headerHash: Hex; stateRoot: Hex; timestamp: number | bigint; submitter: Address }>)
        : Promise.resolve(null),
    ),
  );
  const batches = sealed.map((b, i): L1BatchRow => {
    const attempts = d.posts.forBatch(b.index);
    const last = attempts[attempts.length - 1];
    const s = stored[i];
    const postRoot = bytesToHex(b.postRoot) as Hex;
    const finalAt = s ? BigInt(s.timestamp) + challengeWindow : null;
    return {
      batch: b.index,
      l1Batch: b.index + 1,
      fromSeq: b.fromSeq,
      toSeq: b.toSeq,
      postRoot,
      post: last ? { status: last.status, txHash: last.txHash, blockNumber: last.blockNumber, attempts: attempts.length, error: last.error } : null,
      onL1: s ? { stateRoot: s.stateRoot, timestamp: BigInt(s.timestamp), submitter: s.submitter, headerHash: s.headerHash, rootMatches: s.stateRoot.toLowerCase() === postRoot.toLowerCase() } : null,
      finalAt,
      finalized: finalAt !== null && finalAt <= head.timestamp,
      secondsLeft: finalAt === null ? null : finalAt > head.timestamp ? finalAt - head.timestamp : 0n,
    };
  });
  return { challengeWindow, head: { number: head.number, timestamp: head.timestamp }, nextBatchIndex, batches };
}
