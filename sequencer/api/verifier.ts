/**
 * GET /v1/verifier: the judgement of a verifier (prover/, `crossmargin-verifier
 * --status-port`) beside this sequencer, read from its loopback `GET /status`.
 *
 * The verifier's answer is input from another process: it is validated field by field and any
 * surprise is a VERIFIER_BAD_RESPONSE naming the field, never passed through. A verifier of
 * another Rollup is refused the same way (its verdicts would say nothing about these batches).
 */
import { z } from "zod";
import type { OpLog } from "../storage/index.js";
import { bytesToHex } from "../state/bytes.js";
import { ApiError } from "./errors.js";

/** How long the sequencer waits for the verifier's status before answering VERIFIER_UNREACHABLE. */
export const VERIFIER_TIMEOUT_MS = 2_000;
/** A status is a few kB (at most 20 disputes); anything far larger is not a verifier's. */
const MAX_STATUS_BYTES = 1 << 20;

const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);
const decimal = z.string().regex(/^[0-9]+$/);
const count = z.number().int().min(0);

const Verdict = z.object({
  batchIndex: count,
  status: z.enum(["verified", "dispute"]),
  reasons: z.array(z.string().regex(/^[a-z_]+$/)),
  detail: z.string().nullable(),
  headerRoot: hex32,
  derivedRoot: hex32.nullable(),
  opCount: decimal,
  queuePosition: decimal,
  txHash: hex32,
  blockNumber: decimal,
});

/** The fields of prover/verifier.ts's VerifierStatus this route uses (others are ignored). */
const Status = z.object({
  state: z.enum(["idle", "catching_up", "following", "stopped"]),
  rollup: z.string().regex(/^0x[0-9a-f]{40}$/),
  chainId: z.number().int().nullable(),
  l1Block: decimal.nullable(),
  l1Head: decimal.nullable(),
  lagBlocks: count.nullable(),
  l1LastBatch: count.nullable(),
  lastBatch: count,
  verifiedThrough: count,
  lastVerified: Verdict.nullable(),
  lagBatches: count,
  verified: count,
  disputed: count,
  disputes: z.array(Verdict).max(1000),
  rollbacks: count,
  lastRoundAt: z.number().nullable(),
  lastError: z.string().nullable(),
});
export type VerifierStatusJson = z.output<typeof Status>;

export interface VerifierSummary {
  url: string;
  state: VerifierStatusJson["state"];
  /** The verifier's newest verified batch, its root, and this sequencer's root for that batch. */
  lastVerified: {
    batch: number;
    root: string | null;
    txHash: string;
    l1Block: string;
    /** This sequencer's sealed root of the batch (null: not in this op log). */
    sequencerRoot: string | null;
    /** The verifier's replayed root equals what this sequencer sealed. */
    agrees: boolean | null;
  } | null;
  verifiedThrough: number;
  lastBatch: number;
  verified: number;
  disputed: number;
  disputes: { batch: number; reasons: string[]; detail: string | null; headerRoot: string; derivedRoot: string | null; txHash: string; l1Block: string }[];
  lag: {
    /** Batches on L1 the verifier has not judged yet (at the block it last read). */
    l1Batches: number;
    /** L1 head minus the block the verifier last read through (null before its first round). */
    l1Blocks: number | null;
    /** Batches this sequencer sealed that the verifier has not verified yet. */
    sealedBatches: number;
    /** Milliseconds since the verifier's last completed round (null: none yet). */
    sinceRoundMs: number | null;
  };
  l1Block: string | null;
  rollbacks: number;
  lastError: string | null;
}

/**
 * Reads `${url}/status` and summarizes it against this sequencer's op log. Throws ApiError:
 * VERIFIER_UNREACHABLE (no answer within the timeout, refused connection, non-200),
 * VERIFIER_BAD_RESPONSE (not JSON, a field out of shape, another Rollup).
 */
export async function verifierSummary(url: string, rollup: string, log: Pick<OpLog, "batch" | "lastBatch">, timeoutMs = VERIFIER_TIMEOUT_MS): Promise<VerifierSummary> {
  const statusUrl = `${url.replace(/\/+$/, "")}/status`;
  let text: string;
  try {
    // No redirects: the configured loopback URL is the only place asked.
    const r = await fetch(statusUrl, { signal: AbortSignal.timeout(timeoutMs), redirect: "error" });
    text = await r.text();
    if (r.status !== 200) throw new ApiError("VERIFIER_UNREACHABLE", `the verifier at ${statusUrl} answered HTTP ${r.status}: ${text.slice(0, 200)}`);
  } catch (e) {
    if (e instanceof ApiError) throw e;
    const why = (e as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : describeFetchError(e);
    throw new ApiError("VERIFIER_UNREACHABLE", `the verifier at ${statusUrl} is unreachable: ${why}`);
  }
  if (text.length > MAX_STATUS_BYTES) throw new ApiError("VERIFIER_BAD_RESPONSE", `the verifier at ${statusUrl} sent ${text.length} bytes; a status is far smaller`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ApiError("VERIFIER_BAD_RESPONSE", `the verifier at ${statusUrl} did not answer JSON: ${text.slice(0, 100)}`);
  }
  const p = Status.safeParse(raw);
  if (!p.success) {
    const i = p.error.issues[0]!;
    throw new ApiError("VERIFIER_BAD_RESPONSE", `the verifier at ${statusUrl} sent a status with ${i.path.join(".") || "(root)"}: ${i.message}`);
  }
  const s = p.data;
  if (s.rollup !== rollup.toLowerCase()) {
    throw new ApiError("VERIFIER_BAD_RESPONSE", `the verifier at ${statusUrl} follows the Rollup ${s.rollup}, this sequencer posts to ${rollup.toLowerCase()}: check --verifier-url`);
  }
  // L1 batch n is op-log batch n - 1.
  const sealedRoot = (l1Batch: number) => {
    const b = log.batch(l1Batch - 1);
    return b ? bytesToHex(b.postRoot) : null;
  };
  const lv = s.lastVerified;
  const seqRoot = lv ? sealedRoot(lv.batchIndex) : null;
  const sealed = (log.lastBatch()?.index ?? -1) + 1;
  return {
    url,
    state: s.state,
    lastVerified: lv && {
      batch: lv.batchIndex,
      root: lv.derivedRoot,
      txHash: lv.txHash,
      l1Block: lv.blockNumber,
      sequencerRoot: seqRoot,
      agrees: seqRoot === null ? null : seqRoot === lv.derivedRoot,
    },
    verifiedThrough: s.verifiedThrough,
    lastBatch: s.lastBatch,
    verified: s.verified,
    disputed: s.disputed,
    disputes: s.disputes.map((d) => ({ batch: d.batchIndex, reasons: d.reasons, detail: d.detail, headerRoot: d.headerRoot, derivedRoot: d.derivedRoot, txHash: d.txHash, l1Block: d.blockNumber })),
    lag: {
      l1Batches: s.lagBatches,
      l1Blocks: s.lagBlocks,
      sealedBatches: Math.max(0, sealed - s.verifiedThrough),
      sinceRoundMs: s.lastRoundAt === null ? null : Math.max(0, Date.now() - s.lastRoundAt),
    },
    l1Block: s.l1Block,
    rollbacks: s.rollbacks,
    lastError: s.lastError,
  };
}

function describeFetchError(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}
