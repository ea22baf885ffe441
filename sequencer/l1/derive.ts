/**
 * L1 input derivation: follows the Rollup's L1 input queue (Vault deposits, forced operations,
 * Governance parameter updates) at a confirmation depth and feeds every item, in queue order
 * and exactly once, to the sequencer core (`submitL1Input`), which runs it through the STF and
 * logs it.
 *
 * Source of truth. The queue is the Rollup's `Enqueued(queueIndex, chainHash, item)` event:
 * `item` is the canonical encoding the keccak chain commits to (docs/contracts.md, "L1 input
 * queue"), so it is the only input the STF can consume and still match L1. The Vault's
 * `Deposited`/`Forced*Requested` events are emitted by the same calls but carry less (no
 * owner) and are not committed to by anything, so they are not read. Views at the confirmed
 * block (`queueLength`, `queueChainAt`) cross-check the events: an RPC that drops or alters a
 * log is caught by the index sequence or the chain hash.
 *
 * Checks, each of which stops derivation with an `L1DerivationError` (nothing is submitted
 * from a round that fails a check, and a stopped deriver stays stopped until restarted):
 * - every log field (address, topics, ABI data) and every item field against what the
 *   contracts can emit (`decodeQueueItem`; a malformed item names the field);
 * - indices: the log's indexed index, the item's embedded index and the queue position agree,
 *   and consecutive items follow each other with no gap and no duplicate;
 * - chain: for each item the chain hash L1 committed equals `nextChainHash(prev, item)`
 *   (sequencer/state/l1Input.ts), and after the round `queueChainAt(next)` at the confirmed
 *   block equals the state's `l1.chainHash`;
 * - the consumed prefix: at the start of every round the state's `l1.chainHash` must equal
 *   L1's `queueChainAt(state.l1.nextIndex)`.
 *
 * Confirmation depth and reorgs. Only blocks at least `confirmations` below the head are read
 * (views included, via `blockNumber`), so a reorg shallower than the depth never reaches the
 * state: the design ASSUMES no reorg is deeper than the depth. If one is (an item the state
 * already consumed vanished or changed on L1), the consumed-prefix check fails and derivation
 * stops with kind "reorg": the L2 state then holds inputs L1 no longer has, which no local
 * action can repair (an operator must decide: roll the op log back to before the first
 * differing input and replay, or let the rollup freeze). It is never silently "fixed". A
 * deep reorg that only moved the same items to other blocks (same bytes, same chain hash) is
 * harmless: the scan, missing an item after its hint block, rescans once from `startBlock`.
 *
 * Resume. The deriver keeps no cursor of its own: the next item is always the state's
 * `l1.nextIndex`, which after a restart is what the replayed op log consumed. So no item is
 * taken twice or skipped across restarts. Where to start scanning logs is only a hint
 * (meta key `l1_derive_hint` in the op log's database: the block of a consumed item, a lower
 * bound for the blocks of all later items), written after the item is durable; without it the
 * scan starts at `startBlock`.
 *
 * Deadlines. Every queue item must be consumed by a posted batch within the Rollup's governed
 * `inclusionDeadline` of being enqueued, else anyone may freeze the rollup. Items are submitted
 * in the round that first sees them at depth; `status()` reports the oldest item the state
 * has not consumed and the oldest item no batch on L1 has consumed, each with its deadline and
 * the seconds left at the L1 head's time, and `onDeadline` fires when either is closer than
 * `deadlineWarningSeconds`.
 *
 * Governed settings. STF parameters travel through the queue (ParamUpdate) and are applied by
 * the STF exactly at their queue position. The Rollup's own parameters (batchInterval,
 * maxBatchSize, inclusionDeadline, …) are set directly by Governance (`ParamSet`) and are not
 * queue items: they are read at the confirmed block, at the first round and whenever a
 * `ParamSet` log is seen, and published through `onParams`, for the service to apply (e.g. the
 * batch interval). maxBatchSize and forcedOpFee take effect on L1 at once, not at the depth:
 * whoever submits batches must check maxBatchSize at the head block, not rely on `onParams`.
 */
import { type Address, type Hex, type PublicClient, decodeAbiParameters, encodeEventTopics, isAddress, isHex } from "viem";
import { bytesToHex, hexToBytes } from "../state/bytes.js";
import { encodeOp } from "../state/codec.js";
import { MAX_ASSETS, MAX_MARKETS } from "../state/constants.js";
import { nextChainHash } from "../state/l1Input.js";
import type { L1Input } from "../state/ops.js";
import { PARAM_KEYS } from "../state/ops/paramUpdate.js";
import type { Receipt } from "../state/receipt.js";
import type { SubmitOutcome } from "../core/sequencer.js";
import type { CrossmarginState } from "../state/state.js";
import { rollupAbi } from "./abi.js";

// ───────────────────────────────────────────────────────────────────────── errors

/**
 * Why derivation stopped:
 * - malformed: a log or queue item field is not what the contracts emit (`field` names it);
 * - order: an index is missing, duplicated or out of place;
 * - chain: a chain hash L1 committed differs from the STF's chain over the same items;
 * - reorg: the prefix the state already consumed is no longer on L1 (a reorg deeper than the
 *   confirmation depth, or the deriver points at another Rollup than the state was built from);
 * - sink: the core refused to consume an item, failed to log it, or another writer consumed
 *   L1 inputs meanwhile.
 */
export type DerivationErrorKind = "malformed" | "order" | "chain" | "reorg" | "sink";

export interface ErrorWhere {
  queueIndex?: bigint;
  field?: string;
  blockNumber?: bigint;
  txHash?: Hex;
}

export class L1DerivationError extends Error {
  readonly kind: DerivationErrorKind;
  readonly queueIndex?: bigint;
  readonly field?: string;
  readonly blockNumber?: bigint;
  readonly txHash?: Hex;
  constructor(kind: DerivationErrorKind, message: string, where: ErrorWhere = {}) {
    const at = [
      where.queueIndex !== undefined ? `queue index ${where.queueIndex}` : null,
      where.blockNumber !== undefined ? `block ${where.blockNumber}` : null,
      where.txHash !== undefined ? `tx ${where.txHash}` : null,
    ].filter((x) => x !== null);
    super(`L1 derivation stopped (${kind}): ${message}${at.length ? ` [${at.join(", ")}]` : ""}`);
    this.name = "L1DerivationError";
    this.kind = kind;
    if (where.queueIndex !== undefined) this.queueIndex = where.queueIndex;
    if (where.field !== undefined) this.field = where.field;
    if (where.blockNumber !== undefined) this.blockNumber = where.blockNumber;
    if (where.txHash !== undefined) this.txHash = where.txHash;
  }
}

/** An item the Rollup counts has no log in the scanned blocks. */
class MissingItem extends L1DerivationError {
  constructor(message: string, where: ErrorWhere) {
    super("order", message, where);
  }
}

function malformed(field: string, message: string, where: ErrorWhere = {}): L1DerivationError {
  return new L1DerivationError("malformed", `${field}: ${message}`, { ...where, field });
}

// ───────────────────────────────────────────────────────────────────────── queue items

/** Item sizes by selector (docs/contracts.md): selector byte + the container's fixed fields. */
const ITEM = {
  0: { type: "Deposit", bytes: 50 },
  1: { type: "ParamUpdate", bytes: 45 },
  17: { type: "ForcedWithdraw", bytes: 30 },
  18: { type: "ForcedClose", bytes: 15 },
} as const;
const I128_MAX = (1n << 127n) - 1n;
const KNOWN_PARAM_KEYS = new Set<number>(Object.values(PARAM_KEYS));

function le(b: Uint8Array, offset: number, len: number): bigint {
  let x = 0n;
  for (let i = len - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[offset + i]!);
  return x;
}

/**
 * Decodes one queue item (the `item` bytes of an `Enqueued` log) into the STF's L1 input,
 * checking every field against what Vault and Governance can enqueue. `where` locates it for
 * the error. Throws `L1DerivationError` (kind "malformed", `field` set) on anything else.
 *
 * Why refuse items the STF would merely reject (amount 0, unknown asset or key): the
 * contracts never enqueue them, so one means the deriver reads the wrong contract, or the
 * contracts and the STF disagree on the protocol; consuming it would commit the rollup to
 * that disagreement. Stopping loudly leaves the decision to an operator.
 */
export function decodeQueueItem(item: Uint8Array, where: ErrorWhere = {}): L1Input {
  if (item.length === 0) throw malformed("item", "empty", where);
  const selector = item[0]!;
  const spec = ITEM[selector as keyof typeof ITEM];
  if (spec === undefined) throw malformed("item.selector", `${selector} is not an L1 input (Deposit 0, ParamUpdate 1, ForcedWithdraw 17, ForcedClose 18)`, where);
  if (item.length !== spec.bytes) throw malformed("item.length", `a ${spec.type} item is ${spec.bytes} bytes, got ${item.length}`, where);
  const queueIndex = le(item, 1, 8);
  let input: L1Input;
  switch (spec.type) {
    case "Deposit": {
      const account = Number(le(item, 9, 4));
      const owner = bytesToHex(item.subarray(13, 33));
      const asset = item[33]!;
      const amount = le(item, 34, 16);
      if (/^0x0{40}$/.test(owner)) throw malformed("Deposit.owner", "the zero address", where);
      if (asset >= MAX_ASSETS) throw malformed("Deposit.asset", `${asset} >= MAX_ASSETS (${MAX_ASSETS})`, where);
      if (amount === 0n || amount > I128_MAX) throw malformed("Deposit.amount", `${amount} outside 1..2^127-1 (the Vault's bounds)`, where);
      input = { type: "Deposit", queueIndex, account, owner, asset, amount };
      break;
    }
    case "ParamUpdate": {
      const key = Number(le(item, 9, 2));
      const target = Number(le(item, 11, 2));
      const value = bytesToHex(item.subarray(13, 45));
      if (!KNOWN_PARAM_KEYS.has(key)) throw malformed("ParamUpdate.key", `${key} is not a ParamUpdate key of the STF (ops/paramUpdate.ts)`, where);
      input = { type: "ParamUpdate", queueIndex, key, target, value };
      break;
    }
    case "ForcedWithdraw": {
      const account = Number(le(item, 9, 4));
      const asset = item[13]!;
      const amount = le(item, 14, 16);
      if (asset >= MAX_ASSETS) throw malformed("ForcedWithdraw.asset", `${asset} >= MAX_ASSETS (${MAX_ASSETS})`, where);
      if (amount === 0n || amount > I128_MAX) throw malformed("ForcedWithdraw.amount", `${amount} outside 1..2^127-1 (the Vault's bounds)`, where);
      input = { type: "ForcedWithdraw", queueIndex, account, asset, amount };
      break;
    }
    case "ForcedClose": {
      const account = Number(le(item, 9, 4));
      const market = Number(le(item, 13, 2));
      if (market >= MAX_MARKETS) throw malformed("ForcedClose.market", `${market} >= MAX_MARKETS (${MAX_MARKETS})`, where);
      input = { type: "ForcedClose", queueIndex, account, market };
      break;
    }
  }
  // The STF's codec must give back exactly the bytes L1 hashed, or the chains part: this
  // catches a drift between this parser, the STF's SSZ types and L1Inputs.sol.
  const again = encodeOp(input);
  if (bytesToHex(again) !== bytesToHex(item)) throw malformed("item", `re-encodes as ${bytesToHex(again)}, not as L1 holds it (${bytesToHex(item)})`, where);
  return input;
}

/** One `Enqueued` log, validated. */
export interface QueueItemLog {
  queueIndex: bigint;
  input: L1Input;
  /** The chain hash the Rollup stored after this item. */
  chainHash: Hex;
  blockNumber: bigint;
  logIndex: number;
  txHash: Hex;
  /** The block's timestamp when the RPC includes it in the log (the item's `enqueuedAt`). */
  blockTimestamp?: bigint;
}

/** A raw `eth_getLogs` entry as JSON-RPC returns it (untrusted). */
export interface RpcLogLike {
  address?: unknown;
  topics?: unknown;
  data?: unknown;
  blockNumber?: unknown;
  logIndex?: unknown;
  transactionHash?: unknown;
  removed?: unknown;
  blockTimestamp?: unknown;
}

const ENQUEUED_TOPIC = encodeEventTopics({ abi: rollupAbi, eventName: "Enqueued" })[0]!;
const PARAM_SET_TOPIC = encodeEventTopics({ abi: rollupAbi, eventName: "ParamSet" })[0]!;

function quantity(v: unknown, field: string, where: ErrorWhere): bigint {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(v)) throw malformed(field, `not a hex quantity: ${String(v)}`, where);
  return BigInt(v);
}

function hash32(v: unknown, field: string, where: ErrorWhere): Hex {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw malformed(field, `not a 32-byte hash: ${String(v)}`, where);
  return v.toLowerCase() as Hex;
}

/** Position fields of a raw log (validated). */
function logPosition(log: RpcLogLike): { blockNumber: bigint; logIndex: number; txHash: Hex } {
  const blockNumber = quantity(log.blockNumber, "log.blockNumber", {});
  const txHash = hash32(log.transactionHash, "log.transactionHash", { blockNumber });
  const logIndex = Number(quantity(log.logIndex, "log.logIndex", { blockNumber, txHash }));
  return { blockNumber, logIndex, txHash };
}

/**
 * Validates and decodes one `Enqueued` log of `rollup`. Everything in it is checked: emitter,
 * topic count, the indexed index (a uint64), the ABI data (exactly `(bytes32, bytes)`), the
 * item (`decodeQueueItem`), and that the item names the index the log names.
 */
export function parseEnqueuedLog(log: RpcLogLike, rollup: Address): QueueItemLog {
  const pos = logPosition(log);
  const where: ErrorWhere = { blockNumber: pos.blockNumber, txHash: pos.txHash };
  if (typeof log.address !== "string" || log.address.toLowerCase() !== rollup.toLowerCase()) {
    throw malformed("log.address", `${String(log.address)} is not the Rollup ${rollup}`, where);
  }
  if (log.removed === true) throw new L1DerivationError("reorg", "the RPC returned a removed log below the confirmation depth", where);
  const topics = log.topics;
  if (!Array.isArray(topics) || topics.length !== 2) throw malformed("log.topics", `Enqueued has 2 topics, got ${Array.isArray(topics) ? topics.length : String(topics)}`, where);
  if (hash32(topics[0], "log.topics[0]", where) !== ENQUEUED_TOPIC) throw malformed("log.topics[0]", "not the Enqueued event", where);
  const indexWord = quantity(topics[1], "Enqueued.queueIndex", where);
  if (indexWord >= 1n << 64n) throw malformed("Enqueued.queueIndex", `${indexWord} does not fit uint64`, where);
  where.queueIndex = indexWord;
  if (typeof log.data !== "string" || !isHex(log.data, { strict: true })) throw malformed("Enqueued.data", "not hex", where);
  let chainHash: Hex;
  let item: Hex;
  try {
    [chainHash, item] = decodeAbiParameters([{ type: "bytes32" }, { type: "bytes" }], log.data);
  } catch (e) {
    throw malformed("Enqueued.data", `not an ABI (bytes32, bytes): ${(e as Error).message.split("\n")[0]}`, where);
  }
  // Canonical ABI encoding only: 64 head bytes + the padded item. Extra trailing data would
  // mean a different event layout than this ABI knows.
  const itemLen = (item.length - 2) / 2;
  const expectedLen = 2 + 2 * (96 + Math.ceil(itemLen / 32) * 32);
  if (log.data.length !== expectedLen) throw malformed("Enqueued.data", `${(log.data.length - 2) / 2} bytes, the canonical encoding is ${(expectedLen - 2) / 2}`, where);
  const input = decodeQueueItem(hexToBytes(item), where);
  if (input.queueIndex !== indexWord) throw malformed("item.queueIndex", `the item names index ${input.queueIndex}, the log ${indexWord}`, where);
  const out: QueueItemLog = { queueIndex: indexWord, input, chainHash: chainHash.toLowerCase() as Hex, ...pos };
  if (log.blockTimestamp !== undefined && log.blockTimestamp !== null) out.blockTimestamp = quantity(log.blockTimestamp, "log.blockTimestamp", where);
  return out;
}

/**
 * One step of the chain check: the hash L1 committed after `input` must be the STF's
 * `nextChainHash(prev, input)`. Returns the new chain hash.
 */
export function checkChainStep(prev: Uint8Array, item: Pick<QueueItemLog, "input" | "chainHash" | "queueIndex" | "blockNumber" | "txHash">): Uint8Array {
  const computed = nextChainHash(prev, item.input);
  if (bytesToHex(computed) !== item.chainHash) {
    throw new L1DerivationError("chain", `L1 committed chain hash ${item.chainHash} after this item, the STF's chain gives ${bytesToHex(computed)}`, {
      queueIndex: item.queueIndex,
      blockNumber: item.blockNumber,
      txHash: item.txHash,
    });
  }
  return computed;
}

// ───────────────────────────────────────────────────────────────────────── deriver

/** The Rollup's governed parameters (`Rollup.Param`), read at a confirmed block. */
export interface L1Params {
  /** Seconds between sealed batches (read by the sequencer). */
  batchInterval: bigint;
  maxBatchSize: bigint;
  challengeWindow: bigint;
  /** Seconds within which each queue item must be consumed by a posted batch. */
  inclusionDeadline: bigint;
  maxBatchGap: bigint;
  exitWindow: bigint;
  sequencerBond: bigint;
  forcedOpFee: bigint;
  /** The block the values were read at. */
  block: bigint;
}
const PARAM_NAMES = ["batchInterval", "maxBatchSize", "challengeWindow", "inclusionDeadline", "maxBatchGap", "exitWindow", "sequencerBond", "forcedOpFee"] as const;
export type L1ParamName = (typeof PARAM_NAMES)[number];

/** How close a queue item is to its inclusion deadline, at the L1 head's time. */
export interface PendingDeadline {
  queueIndex: bigint;
  /** L1 time (s) the item was enqueued (`Rollup.enqueuedAt`). */
  enqueuedAt: bigint;
  /** `enqueuedAt + inclusionDeadline`; `Rollup.freeze()` succeeds once the head is past it. */
  deadline: bigint;
  /** The L1 head's timestamp when measured. */
  l1Time: bigint;
  /** `deadline - l1Time` (negative: missed). */
  secondsLeft: bigint;
}

/** An item the deriver handed to the core. */
export interface IncludedInput {
  queueIndex: bigint;
  input: L1Input;
  /** The STF's receipt (a refused effect is still consumed: `l1Consumed`). */
  receipt: Receipt;
  /** The op log's seq of the item. */
  seq: number;
  l1Block: bigint;
  txHash: Hex;
  enqueuedAt: bigint;
  deadline: bigint;
  /** The L1 head's timestamp in the round that included it (so `l1Time <= deadline` is "in time" as far as the state goes). */
  l1Time: bigint;
}

export interface DerivationStatus {
  running: boolean;
  /** The state's next queue index and chain hash. */
  nextIndex: bigint;
  chainHash: Hex;
  headBlock: bigint | null;
  safeBlock: bigint | null;
  /** Items on L1 at the head, and at the confirmed block. */
  queueLength: bigint | null;
  confirmedQueueLength: bigint | null;
  /** The oldest item on L1 the state has not consumed yet (null: none). */
  oldestUnconsumed: PendingDeadline | null;
  /** The oldest item no batch on L1 has consumed yet (what `Rollup.freeze()` checks; null: none). */
  oldestUnposted: PendingDeadline | null;
  params: L1Params | null;
  /** Items submitted by this deriver since it was created. */
  included: number;
  /** The error that stopped derivation, if any. */
  error: L1DerivationError | null;
  /** The last transient RPC failure (retried at the next round). */
  lastRpcError: string | null;
  lastRoundAt: number | null;
}

/** What a round did. */
export interface RoundResult {
  included: IncludedInput[];
  /** True when confirmed items remain (the round hit `maxItemsPerRound`). */
  more: boolean;
  safeBlock: bigint | null;
}

/** The part of the sequencer core the deriver uses. */
export interface L1InputSink {
  readonly state: Pick<CrossmarginState, "l1">;
  submitL1Input(input: L1Input): SubmitOutcome;
  /** Where the scan hint is kept (the op log's meta table); optional. */
  readonly log?: { getMeta(key: string): Uint8Array | undefined; setMeta(key: string, value: Uint8Array): void };
}

/** A public client with the calls the deriver makes (any transport). */
export type DeriverClient = Pick<PublicClient, "getBlockNumber" | "getBlock" | "readContract" | "request">;

export interface L1DeriverOptions {
  client: DeriverClient;
  rollup: Address;
  /** First block that can hold queue items (the deployment's first block). */
  startBlock: bigint;
  core: L1InputSink;
  /**
   * Blocks below the head a block must be to be read (0: the head itself). Set by the operator
   * (sequencer config); Governance has no such parameter on L1 (see the report).
   */
  confirmations: number;
  /** Pause between rounds when caught up (default 1000 ms). */
  pollIntervalMs?: number;
  /** Widest `eth_getLogs` block range (default 5,000: common RPC limits). */
  maxLogRange?: bigint;
  /** Most items per round (default 1,000): bounds how long one round holds the main thread. */
  maxItemsPerRound?: number;
  /** `onDeadline` fires when an item has fewer seconds left than this (default 3,600). */
  deadlineWarningSeconds?: bigint;
  /** Diagnostics (default: console.error). */
  logger?: (msg: string) => void;
}

export const HINT_KEY = "l1_derive_hint";

interface Hint {
  rollup: string;
  nextIndex: string;
  block: string;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export class L1Deriver {
  private readonly client: DeriverClient;
  private readonly rollup: Address;
  private readonly startBlock: bigint;
  private readonly core: L1InputSink;
  readonly confirmations: number;
  private readonly pollIntervalMs: number;
  private readonly maxLogRange: bigint;
  private readonly maxItemsPerRound: number;
  private readonly deadlineWarningSeconds: bigint;
  private readonly logger: (msg: string) => void;

  /** Next block to scan for logs (a lower bound for the next item's block). */
  private scanFrom: bigint;
  private paramsDirty = true;
  private currentParams: L1Params | null = null;
  private failure: L1DerivationError | null = null;
  private included = 0;
  private head: bigint | null = null;
  private safe: bigint | null = null;
  private queueLen: bigint | null = null;
  private confirmedLen: bigint | null = null;
  private unconsumed: PendingDeadline | null = null;
  private unposted: PendingDeadline | null = null;
  private lastRpcError: string | null = null;
  private readonly warned: { unconsumed: bigint | null; unposted: bigint | null } = { unconsumed: null, unposted: null };
  private lastRoundAt: number | null = null;

  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private inRound: Promise<RoundResult> | null = null;

  private readonly inputListeners = new Set<(e: IncludedInput) => void>();
  private readonly paramListeners = new Set<(p: L1Params, changed: L1ParamName[]) => void>();
  private readonly errorListeners = new Set<(e: L1DerivationError) => void>();
  private readonly deadlineListeners = new Set<(d: PendingDeadline, which: "unconsumed" | "unposted") => void>();

  constructor(o: L1DeriverOptions) {
    if (!isAddress(o.rollup, { strict: false })) throw new Error(`L1Deriver: rollup ${o.rollup} is not an address`);
    if (!Number.isInteger(o.confirmations) || o.confirmations < 0) throw new Error(`L1Deriver: confirmations must be a non-negative integer, got ${o.confirmations}`);
    this.client = o.client;
    this.rollup = o.rollup;
    this.startBlock = o.startBlock;
    this.core = o.core;
    this.confirmations = o.confirmations;
    this.pollIntervalMs = o.pollIntervalMs ?? 1000;
    this.maxLogRange = o.maxLogRange ?? 5000n;
    this.maxItemsPerRound = o.maxItemsPerRound ?? 1000;
    this.deadlineWarningSeconds = o.deadlineWarningSeconds ?? 3600n;
    this.logger = o.logger ?? ((m) => console.error(m));
    if (this.maxLogRange < 1n || this.maxItemsPerRound < 1) throw new Error("L1Deriver: maxLogRange and maxItemsPerRound must be positive");
    this.scanFrom = this.readHint() ?? this.startBlock;
  }

  // ---- subscriptions (each returns its unsubscribe) ----

  /** Every item handed to the core, in queue order, right after `submitL1Input` returned. */
  onInput(f: (e: IncludedInput) => void): () => void {
    this.inputListeners.add(f);
    return () => this.inputListeners.delete(f);
  }
  /** The Rollup's parameters: once at the first round, then whenever a confirmed value changes. */
  onParams(f: (p: L1Params, changed: L1ParamName[]) => void): () => void {
    this.paramListeners.add(f);
    if (this.currentParams) f(this.currentParams, [...PARAM_NAMES]);
    return () => this.paramListeners.delete(f);
  }
  /** The error that stopped derivation (once). */
  onError(f: (e: L1DerivationError) => void): () => void {
    this.errorListeners.add(f);
    return () => this.errorListeners.delete(f);
  }
  /** An item is closer to its inclusion deadline than `deadlineWarningSeconds` (each round). */
  onDeadline(f: (d: PendingDeadline, which: "unconsumed" | "unposted") => void): () => void {
    this.deadlineListeners.add(f);
    return () => this.deadlineListeners.delete(f);
  }

  get params(): L1Params | null {
    return this.currentParams;
  }
  get error(): L1DerivationError | null {
    return this.failure;
  }

  status(): DerivationStatus {
    return {
      running: this.running,
      nextIndex: this.core.state.l1.nextIndex,
      chainHash: bytesToHex(this.core.state.l1.chainHash),
      headBlock: this.head,
      safeBlock: this.safe,
      queueLength: this.queueLen,
      confirmedQueueLength: this.confirmedLen,
      oldestUnconsumed: this.unconsumed,
      oldestUnposted: this.unposted,
      params: this.currentParams,
      included: this.included,
      error: this.failure,
      lastRpcError: this.lastRpcError,
      lastRoundAt: this.lastRoundAt,
    };
  }

  // ---- running ----

  /** Starts following L1: rounds back to back while behind, every `pollIntervalMs` when caught up. */
  start(): void {
    if (this.running) return;
    if (this.failure) throw this.failure;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        let more = false;
        try {
          more = (await this.round()).more;
        } catch (e) {
          // A derivation error was recorded and published by round(); anything else is a
          // transient RPC failure, retried after the interval.
          if (e instanceof L1DerivationError) break;
        }
        if (!this.running) break;
        if (!more) await new Promise<void>((r) => {
          const t = setTimeout(r, this.pollIntervalMs);
          this.wake = () => {
            clearTimeout(t);
            r();
          };
        });
        this.wake = null;
      }
      this.running = false;
    })();
  }

  /** Stops after the current round (its submitted items are durable when this resolves). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.inRound?.catch(() => undefined);
    this.loop = null;
  }

  /**
   * One round: checks the consumed prefix against L1, reads the confirmed items after it
   * (at most `maxItemsPerRound`), checks them, submits them in order, waits until they are
   * durable, refreshes parameters and deadlines. Rounds never overlap. Throws the stopping
   * `L1DerivationError`, or a transient RPC error (nothing submitted; safe to retry).
   */
  round(): Promise<RoundResult> {
    if (this.failure) return Promise.reject(this.failure);
    const prev = this.inRound ?? Promise.resolve();
    const next = prev
      .catch(() => undefined)
      .then(() => this.roundOnce())
      .then(
        (r) => {
          this.lastRpcError = null;
          this.lastRoundAt = Date.now();
          return r;
        },
        (e: unknown) => {
          if (e instanceof L1DerivationError) this.fail(e);
          else {
            this.lastRpcError = (e as Error)?.message?.split("\n")[0] ?? String(e);
            this.logger(`l1 derivation: RPC failure, retrying: ${this.lastRpcError}`);
          }
          throw e;
        },
      );
    this.inRound = next;
    return next;
  }

  /** Resolves once the state has consumed every item below `index` (or rejects on a stop/timeout). */
  async waitForIndex(index: bigint, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.core.state.l1.nextIndex < index) {
      if (this.failure) throw this.failure;
      if (Date.now() > deadline) throw new Error(`timed out waiting for L1 queue index ${index} (state at ${this.core.state.l1.nextIndex})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private fail(e: L1DerivationError): void {
    if (this.failure) return;
    this.failure = e;
    this.running = false;
    this.wake?.();
    this.logger(e.message);
    this.notify(this.errorListeners, e);
  }

  /** A listener that throws must not abort a round halfway through its submissions. */
  private notify<A extends unknown[]>(listeners: Set<(...a: A) => void>, ...args: A): void {
    for (const f of listeners) {
      try {
        f(...args);
      } catch (e) {
        this.logger(`l1 derivation: a listener threw: ${String(e)}`);
      }
    }
  }

  private async roundOnce(): Promise<RoundResult> {
    if (this.failure) throw this.failure;
    const c = this.client;
    const head = await c.getBlockNumber();
    const safe = head - BigInt(this.confirmations);
    this.head = head;
    if (safe < this.startBlock) {
      // Nothing of the deployment is confirmed yet (and the Rollup may not exist at the head).
      this.safe = null;
      return { included: [], more: false, safeBlock: null };
    }
    this.safe = safe;
    const read = <T>(functionName: string, args: readonly unknown[], blockNumber: bigint) => this.view<T>(functionName, args, blockNumber);
    const [confirmedLen, headLen] = await Promise.all([read<bigint>("queueLength", [], safe), read<bigint>("queueLength", [], head)]);
    this.confirmedLen = confirmedLen;
    this.queueLen = headLen;

    // 1. The prefix the state consumed must still be L1's (a reorg deeper than the depth, or
    //    a deriver pointed at another Rollup than the op log was built from, fails here).
    const next = this.core.state.l1.nextIndex;
    const chain = this.core.state.l1.chainHash.slice();
    if (next > 0n) {
      if (next > headLen) {
        throw new L1DerivationError("reorg", `the state consumed ${next} queue items but the Rollup at the head block has ${headLen}: a reorg deeper than ${this.confirmations} confirmations, or another Rollup`, { blockNumber: head });
      }
      const at = next <= confirmedLen ? safe : head;
      const l1Chain = await read<Hex>("queueChainAt", [next], at);
      if (l1Chain.toLowerCase() !== bytesToHex(chain)) {
        throw new L1DerivationError(
          "reorg",
          `the state's chain hash after ${next} items is ${bytesToHex(chain)}, the Rollup's is ${l1Chain}: the consumed prefix is no longer on L1 (a reorg deeper than ${this.confirmations} confirmations, or another Rollup)`,
          { queueIndex: next - 1n, blockNumber: at },
        );
      }
    }

    // 2. The confirmed items after it, checked.
    const capped = confirmedLen - next > BigInt(this.maxItemsPerRound);
    const want = capped ? next + BigInt(this.maxItemsPerRound) : confirmedLen;
    const { items, sawParamSet } = await this.scan(next, want, safe, capped);
    if (sawParamSet) this.paramsDirty = true;
    let running: Uint8Array = chain;
    for (const it of items) running = checkChainStep(running, it);
    if (items.length > 0) {
      const l1Chain = await read<Hex>("queueChainAt", [want], safe);
      if (l1Chain.toLowerCase() !== bytesToHex(running)) {
        throw new L1DerivationError("chain", `queueChainAt(${want}) at the confirmed block is ${l1Chain}, the events' chain gives ${bytesToHex(running)}`, { queueIndex: want - 1n, blockNumber: safe });
      }
    }
    // Deadlines need each item's enqueue time and the head's time.
    const inclusionDeadline = await read<bigint>("inclusionDeadline", [], head);
    const headBlock = await c.getBlock({ blockNumber: head });
    const blockTimes = new Map<bigint, bigint>();
    for (const it of items) if (it.blockTimestamp !== undefined) blockTimes.set(it.blockNumber, it.blockTimestamp);
    for (const it of items) {
      if (!blockTimes.has(it.blockNumber)) blockTimes.set(it.blockNumber, (await c.getBlock({ blockNumber: it.blockNumber })).timestamp);
    }

    // 3. Submit, synchronously and in order. Nothing awaits in this loop, so no other writer
    //    can interleave an L1 input; one might have done so during the awaits above.
    const l1 = () => this.core.state.l1;
    if (l1().nextIndex !== next || !sameBytes(l1().chainHash, chain)) {
      throw new L1DerivationError("sink", `another writer consumed L1 inputs during the round (next index ${next} → ${l1().nextIndex}); only the deriver may submit L1 inputs`, { queueIndex: l1().nextIndex });
    }
    const included: IncludedInput[] = [];
    const durables: Promise<void>[] = [];
    for (const it of items) {
      let out: SubmitOutcome;
      try {
        out = this.core.submitL1Input(it.input);
      } catch (err) {
        // The core refuses everything once its log failed (SEQUENCER_UNAVAILABLE): not an RPC
        // hiccup to retry, derivation cannot go on.
        throw new L1DerivationError("sink", `the core refused the item: ${(err as Error).message}`, { queueIndex: it.queueIndex, blockNumber: it.blockNumber, txHash: it.txHash });
      }
      const receipt = out.record.receipt;
      if (!receipt.ok && !receipt.l1Consumed) {
        throw new L1DerivationError("sink", `the STF did not consume the item: ${receipt.reason}${receipt.detail ? ` (${receipt.detail})` : ""}`, { queueIndex: it.queueIndex, blockNumber: it.blockNumber, txHash: it.txHash });
      }
      if (l1().nextIndex !== it.queueIndex + 1n || bytesToHex(l1().chainHash) !== it.chainHash) {
        throw new L1DerivationError("chain", `after consuming the item the state is at index ${l1().nextIndex} with chain ${bytesToHex(l1().chainHash)}, L1 committed ${it.chainHash}`, { queueIndex: it.queueIndex, blockNumber: it.blockNumber, txHash: it.txHash });
      }
      durables.push(out.durable);
      const enqueuedAt = blockTimes.get(it.blockNumber)!;
      const e: IncludedInput = {
        queueIndex: it.queueIndex,
        input: it.input,
        receipt,
        seq: out.record.seq,
        l1Block: it.blockNumber,
        txHash: it.txHash,
        enqueuedAt,
        deadline: enqueuedAt + inclusionDeadline,
        l1Time: headBlock.timestamp,
      };
      included.push(e);
      this.included++;
      this.notify(this.inputListeners, e);
    }
    if (included.length > 0) {
      const last = items.at(-1)!;
      try {
        await Promise.all(durables);
      } catch (err) {
        throw new L1DerivationError("sink", `the op log failed to store consumed items: ${String(err)}`, { queueIndex: last.queueIndex });
      }
      this.writeHint(last.queueIndex + 1n, last.blockNumber);
    }

    // 4. Governed parameters, at the confirmed block.
    if (this.paramsDirty) await this.refreshParams(safe);
    await this.refreshDeadlines(head, inclusionDeadline, headBlock.timestamp);
    return { included, more: want < confirmedLen, safeBlock: safe };
  }

  /**
   * Reads the `Enqueued` logs for indices [next, want) and the `ParamSet` logs from `scanFrom`
   * up to `safe`, in ranges of `maxLogRange`, checking the index sequence. When `capped` (more
   * confirmed items than one round takes) it stops at the last item taken and the next round
   * rescans that block; otherwise it reads through `safe`, so a `ParamSet` is seen even when
   * no item came.
   */
  private async scan(next: bigint, want: bigint, safe: bigint, capped: boolean): Promise<{ items: QueueItemLog[]; sawParamSet: boolean }> {
    try {
      return await this.scanFrom_(this.scanFrom, next, want, safe, capped);
    } catch (e) {
      // The scan starts at a lower bound of the next item's block, derived from where the last
      // consumed item was. A reorg deeper than the depth that re-included the same items in
      // other blocks (same chain hash, so the prefix check passes) can move them below it:
      // look once from the deployment before giving up.
      if (!(e instanceof MissingItem) || this.scanFrom <= this.startBlock) throw e;
      this.logger(`l1 derivation: ${e.message}; rescanning from block ${this.startBlock}`);
      return this.scanFrom_(this.startBlock, next, want, safe, capped);
    }
  }

  private async scanFrom_(start: bigint, next: bigint, want: bigint, safe: bigint, capped: boolean): Promise<{ items: QueueItemLog[]; sawParamSet: boolean }> {
    const items: QueueItemLog[] = [];
    let sawParamSet = false;
    let expect = next;
    let from = start;
    let resumeAt = safe + 1n;
    let range = this.maxLogRange;
    scanning: while (from <= safe) {
      const to = from + range - 1n < safe ? from + range - 1n : safe;
      let logs: unknown;
      try {
        logs = await this.client.request({
          method: "eth_getLogs",
          params: [{ address: this.rollup, fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}`, topics: [[ENQUEUED_TOPIC, PARAM_SET_TOPIC]] }],
        });
      } catch (e) {
        // Providers refuse ranges with too many results; narrow down before calling it an
        // RPC failure.
        if (to === from) throw e;
        range = (to - from + 1n) / 2n;
        continue;
      }
      if (!Array.isArray(logs)) throw malformed("eth_getLogs", `the RPC answered ${typeof logs}, not a list of logs`, { blockNumber: from });
      let lastPos: { blockNumber: bigint; logIndex: number } | null = null;
      let lastIndex: bigint | null = null;
      for (const raw of logs as RpcLogLike[]) {
        const pos = logPosition(raw);
        if (pos.blockNumber < from || pos.blockNumber > to) throw malformed("log.blockNumber", `${pos.blockNumber} outside the requested range ${from}..${to}`, pos);
        if (lastPos && (pos.blockNumber < lastPos.blockNumber || (pos.blockNumber === lastPos.blockNumber && pos.logIndex <= lastPos.logIndex))) {
          throw new L1DerivationError("order", "the RPC returned logs out of chain order", pos);
        }
        lastPos = pos;
        const t0 = Array.isArray(raw.topics) && typeof raw.topics[0] === "string" ? raw.topics[0].toLowerCase() : "";
        if (t0 === PARAM_SET_TOPIC) {
          sawParamSet = true;
          continue;
        }
        const it = parseEnqueuedLog(raw, this.rollup);
        // Indices grow by one per log, whether consumed before (the scan starts at a lower
        // bound of the next item's block) or not.
        if (lastIndex !== null && it.queueIndex !== lastIndex + 1n) {
          throw new L1DerivationError("order", `queue item ${it.queueIndex} follows item ${lastIndex} (an item is missing or duplicated)`, it);
        }
        lastIndex = it.queueIndex;
        if (it.queueIndex < expect) continue;
        if (it.queueIndex !== expect) {
          throw new L1DerivationError("order", `expected queue item ${expect}, the next Enqueued log names ${it.queueIndex} (an item is missing)`, it);
        }
        if (it.queueIndex >= want) {
          throw new L1DerivationError("order", `queue item ${it.queueIndex} is in a confirmed block but the Rollup there holds only ${want} items`, it);
        }
        items.push(it);
        expect++;
        if (capped && expect === want) {
          resumeAt = it.blockNumber;
          break scanning;
        }
      }
      from = to + 1n;
    }
    if (expect < want) {
      throw new MissingItem(`the Rollup holds ${want} confirmed items but no Enqueued log for item ${expect} was found in blocks ${start}..${safe}`, { queueIndex: expect, blockNumber: safe });
    }
    this.scanFrom = resumeAt;
    return { items, sawParamSet };
  }

  /** A Rollup view at a given block (the ABI decodes and checks the result's type). */
  private view<T>(functionName: string, args: readonly unknown[], blockNumber: bigint): Promise<T> {
    // The name is one of the Rollup's views, chosen in this file; viem's per-name typing
    // would need a literal at each call.
    return this.client.readContract({ address: this.rollup, abi: rollupAbi, functionName, args, blockNumber } as never) as Promise<T>;
  }

  private async refreshParams(safe: bigint): Promise<void> {
    const values = await Promise.all(
      PARAM_NAMES.map((n) => this.view<bigint>(n, [], safe)),
    );
    const p = { block: safe } as L1Params;
    PARAM_NAMES.forEach((n, i) => {
      const v = values[i];
      if (typeof v !== "bigint" || v < 0n) throw malformed(`Rollup.${n}`, `not an unsigned integer: ${String(v)}`, { blockNumber: safe });
      p[n] = v;
    });
    const old = this.currentParams;
    const changed = PARAM_NAMES.filter((n) => old === null || old[n] !== p[n]);
    this.currentParams = p;
    this.paramsDirty = false;
    if (changed.length > 0) this.notify(this.paramListeners, p, changed);
  }

  private async refreshDeadlines(head: bigint, inclusionDeadline?: bigint, headTime?: bigint): Promise<void> {
    const c = this.client;
    const read = <T>(functionName: string, args: readonly unknown[] = []) => this.view<T>(functionName, args, head);
    const [len, deadlineSecs, time] = await Promise.all([
      read<bigint>("queueLength"),
      inclusionDeadline ?? read<bigint>("inclusionDeadline"),
      headTime ?? c.getBlock({ blockNumber: head }).then((b) => b.timestamp),
    ]);
    this.queueLen = len;
    const pending = async (index: bigint): Promise<PendingDeadline | null> => {
      if (index >= len) return null;
      const enqueuedAt = await read<bigint>("enqueuedAt", [index]);
      const deadline = enqueuedAt + deadlineSecs;
      return { queueIndex: index, enqueuedAt, deadline, l1Time: time, secondsLeft: deadline - time };
    };
    const headBatch = (await read<bigint>("nextBatchIndex")) - 1n;
    const posted = (await read<{ queuePosition: bigint | number }>("batch", [headBatch])).queuePosition;
    [this.unconsumed, this.unposted] = await Promise.all([pending(this.core.state.l1.nextIndex), pending(BigInt(posted))]);
    for (const [d, which] of [
      [this.unconsumed, "unconsumed"],
      [this.unposted, "unposted"],
    ] as const) {
      if (d && d.secondsLeft < this.deadlineWarningSeconds) {
        // Logged once per item; listeners hear it every round (they may track the countdown).
        if (this.warned[which] !== d.queueIndex) this.logger(`l1 derivation: queue item ${d.queueIndex} (${which}) has ${d.secondsLeft} s left before its inclusion deadline`);
        this.warned[which] = d.queueIndex;
        this.notify(this.deadlineListeners, d, which);
      }
    }
  }

  // ---- the scan hint ----

  private readHint(): bigint | null {
    const raw = this.core.log?.getMeta(HINT_KEY);
    if (!raw) return null;
    try {
      const h = JSON.parse(new TextDecoder().decode(raw)) as Hint;
      // Only a hint for this Rollup, at or below the state's position, bounds the next item's block.
      if (h.rollup.toLowerCase() !== this.rollup.toLowerCase()) return null;
      if (BigInt(h.nextIndex) > this.core.state.l1.nextIndex) return null;
      const b = BigInt(h.block);
      return b >= this.startBlock ? b : null;
    } catch {
      return null;
    }
  }

  private writeHint(nextIndex: bigint, block: bigint): void {
    if (!this.core.log) return;
    const h: Hint = { rollup: this.rollup.toLowerCase(), nextIndex: String(nextIndex), block: String(block) };
    this.core.log.setMeta(HINT_KEY, new TextEncoder().encode(JSON.stringify(h)));
  }
}
