/**
 * The single writer. Every operation — a client's signed op, an L1 input, a fill the
 * matching engine emits, a dead-man's cancel-all — enters the total order here, on one
 * thread, synchronously: STF, then op-log append, then the matching engine, with no await in
 * between. So the order the log holds is the order the STF ran, and replaying the log
 * through this same code (`replay`) rebuilds the state and the book exactly.
 *
 * A client's op is acknowledged only when the log transaction holding it (and the fills it
 * caused) has committed: `submit` returns the receipt with a promise of durability.
 *
 * A signed op the STF refuses changes nothing (stf.ts), so it is not logged: the client gets
 * the rejection and the batch does not carry dead bytes. Fills the STF refuses are logged
 * (the engine's next decisions depend on the refusal, and replay must see it).
 */
import { FLAG_SELL, TIF_MASK, TIF_POST_ONLY, TIF_SHIFT } from "../state/constants.js";
import { encodeSequencedOpFrom } from "../state/codec.js";
import { applyOp, decodeOp, encodeOp, encodeSequencedOp, stateRoot, type Receipt, type Recovered } from "../state/index.js";
import type { CancelAll, Fill, L1Input, Op, PlaceOrder, SequencedOp } from "../state/ops.js";
import type { CrossmarginState } from "../state/state.js";
import type { MatchingEngine, PlaceResult, SlotRef } from "../matching/index.js";
import { logItem, type LoggedOp, type OpLog, type SealedBatch } from "../storage/index.js";
import { compressBatch, encodeBatchFrom, maxBatchBytes, SCHEMA, SEQUENCED_OP_PREFIX } from "../codec/index.js";
import { ORACLE_SELECTOR } from "../codec/schema.js";

/** One logged operation and what the STF did with it, as the stream publishes it. */
export interface Record_ {
  seq: number;
  op: SequencedOp;
  signer: `0x${string}` | null;
  receipt: Receipt;
}

export interface SubmitOutcome {
  /** The op's own record, and the fills it caused (PlaceOrder). */
  record: Record_;
  fills: Record_[];
  /** Orders the engine took out of matching while placing (self-trade, reduce-only caps). */
  detached: SlotRef[];
  /** Resolves when every record above is durable. */
  durable: Promise<void>;
}

export class Refused extends Error {
  constructor(
    readonly reason: string,
    readonly detail?: string,
  ) {
    super(detail === undefined ? reason : `${reason}: ${detail}`);
  }
}

export interface SequencerCoreOptions {
  log: OpLog;
  state: CrossmarginState;
  engine: MatchingEngine;
  /** Wall clock in ms (tests pass a controlled one). Timestamps never go backwards anyway. */
  clock?: () => bigint;
  /** Seal a batch once it holds this many ops (governed maximum batch size). */
  batchMaxOps?: number;
  /** Write a snapshot at the first seal after this many ops since the last one. */
  snapshotEveryOps?: number;
  /**
   * Most bytes of batch data (the codec's, what L1 receives) a sealed batch may hold; default
   * `maxBatchBytes()` (the decode gas bound). Enforced before each op runs: see `reserve`.
   */
  batchMaxBytes?: number;
}

/** Batch data header bound: version byte + varint op count (< 2^28 ops). */
const DATA_HEADER_BOUND = 5;

/**
 * An upper bound on the bytes one operation adds to batch data: its encoding as a one-op
 * batch without the header. The codec writes the timestamp as a delta from the previous op's
 * (timestamps never decrease), so the delta from 0 bounds it; every other field is coded
 * on its own. Exact but costly (~10 µs): `reserve` uses `quickDataBound` and runs the codec
 * only on the tail of a batch near the cap.
 */
export function opDataBound(opBytes: Uint8Array): number {
  return compressBatch(encodeBatchFrom([opBytes])).length - 2;
}

const varintBytes = (bits: number) => Math.max(1, Math.ceil(bits / 7));
/** The most bytes a field's coding can take (docs/codec.md; schema.ts's codings). */
function fieldWorst(f: { coding: string; width: number }): number {
  switch (f.coding) {
    case "raw":
      return f.width;
    case "uint":
      return varintBytes(8 * f.width);
    case "decimal": // m·B + e with B ≤ 40 (< 2^6), plus a byte of margin
      return varintBytes(8 * f.width + 6) + 1;
    default: // time (1 + zigzag of a 64-bit difference) and signed (zigzag int64)
      return varintBytes(66);
  }
}
/** Per fixed-size selector: timestamp delta (≤ 10 bytes) + selector + each field's worst case. */
const SELECTOR_WORST = SCHEMA.map((fields) => 10 + 1 + fields.reduce((t, f) => t + fieldWorst(f), 0));

/** An O(1) upper bound of `opDataBound` (exact for the variable-size OracleUpdate). */
export function quickDataBound(opBytes: Uint8Array): number {
  const sel = opBytes[SEQUENCED_OP_PREFIX]!;
  return sel === ORACLE_SELECTOR || SELECTOR_WORST[sel] === undefined ? opDataBound(opBytes) : SELECTOR_WORST[sel]!;
}

type Sink = (op: SequencedOp, rec: Recovered, receipt: Receipt, opBytes?: Uint8Array) => { seq: number; durable: Promise<unknown> | null };

const DEADMAN_KEY = "deadman";
/** Meta key prefix of the book priority stored with the snapshot at a seq. */
export const PRIORITY_KEY = "engine_priority:";

const tif = (flags: number) => (flags & TIF_MASK) >> TIF_SHIFT;

export class SequencerCore {
  readonly log: OpLog;
  readonly state: CrossmarginState;
  readonly engine: MatchingEngine;
  private readonly clock: () => bigint;
  /** Seal before a batch would exceed this many ops (the service lowers it to L1's governed maxBatchSize). */
  batchMaxOps: number;
  readonly snapshotEveryOps: number;
  readonly batchMaxBytes: number;
  /**
   * The unsealed ops' batch data, bounded in two parts: `checkedData` (header + the codec's
   * exact sizes of the ops checked so far) and the ops after them (`unchecked`, with their
   * `quickDataBound` sum). null: recount from the log.
   */
  private checkedData: number | null = null;
  private unchecked: Uint8Array[] = [];
  private uncheckedBound = 0;
  private replaying = false;
  /** Last seq of the last sealed batch (kept here: asking SQLite per op is too slow). */
  private sealedTo = 0;
  /** False when batchMaxBytes is unbounded: ops are then not sized at all. */
  private readonly byteCapped: boolean;
  /** The op `reserve` measured last (its bytes and data bound), reused when it is logged. */
  private reserved: { op: SequencedOp; bytes: Uint8Array; bound: number } | null = null;
  private readonly listeners = new Set<(r: Record_) => void>();
  /** Pre-signed cancel-alls held for the dead-man's switch, by account. */
  private readonly deadman = new Map<number, { op: CancelAll; rec: Recovered }>();
  private sink: Sink;
  private lastSnapshotSeq = 0;
  /** Set when an append failed: the in-memory state is ahead of the log; nothing more is accepted. */
  private failure: unknown = null;

  constructor(o: SequencerCoreOptions) {
    this.log = o.log;
    this.state = o.state;
    this.engine = o.engine;
    this.clock = o.clock ?? (() => BigInt(Date.now()));
    this.batchMaxOps = o.batchMaxOps ?? 10_000;
    this.snapshotEveryOps = o.snapshotEveryOps ?? 200_000;
    this.batchMaxBytes = o.batchMaxBytes ?? maxBatchBytes();
    if (!Number.isInteger(this.batchMaxBytes) || this.batchMaxBytes < 1024) throw new Error(`batchMaxBytes must be an integer >= 1024, got ${this.batchMaxBytes}`);
    this.sink = this.appendToLog;
    this.lastSnapshotSeq = this.log.snapshots()[0]?.seq ?? 0;
    this.sealedTo = this.log.lastBatch()?.toSeq ?? 0;
    this.byteCapped = this.batchMaxBytes < Number.MAX_SAFE_INTEGER;
  }

  onRecord(f: (r: Record_) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  get failed(): unknown {
    return this.failure;
  }

  /** The sequencer's timestamp for the next operation: wall clock, never below the state's clock. */
  now(): bigint {
    const t = this.clock();
    return t > this.state.clock ? t : this.state.clock;
  }

  private appendToLog: Sink = (op, rec, receipt, opBytes) => {
    const seq = this.log.nextSeq();
    const held = this.reserved?.op === op ? this.reserved : null;
    this.reserved = null;
    const item = logItem(op, rec, receipt, held?.bytes ?? (opBytes && encodeSequencedOpFrom(op.timestamp, opBytes)) ?? encodeSequencedOp(op));
    if (this.byteCapped && this.checkedData !== null) {
      this.unchecked.push(item.bytes!);
      this.uncheckedBound += held?.bound ?? quickDataBound(item.bytes!);
    }
    const durable = this.log.append(item);
    durable.catch((e) => (this.failure ??= e));
    return { seq, durable };
  };

  private emit(r: Record_): void {
    for (const f of this.listeners) f(r);
  }

  private check(): void {
    if (this.failure !== null) throw new Refused("SEQUENCER_UNAVAILABLE", `the op log failed: ${String(this.failure)}`);
  }

  /**
   * Orders and executes a client's signed op (or an oracle update) whose signature the
   * ingress pre-pass recovered as `rec`. Throws `Refused` with the STF's reason (nothing
   * logged, state unchanged) or POST_ONLY_WOULD_CROSS. `opBytes`: the op's canonical
   * encoding when the caller has it (saves encoding it again for the log).
   */
  submit(op: Op, rec: Recovered, timestamp = this.now(), opBytes?: Uint8Array): SubmitOutcome {
    this.check();
    if (op.type === "PlaceOrder" && tif(op.flags) === TIF_POST_ONLY && op.market < this.state.markets.length) {
      // Checked before the STF so a crossing post-only order is not placed at all.
      if (this.engine.wouldCross(op.market, (op.flags & FLAG_SELL) !== 0 ? "sell" : "buy", op.price, timestamp)) {
        throw new Refused("POST_ONLY_WOULD_CROSS");
      }
    }
    return this.execute({ timestamp, op }, rec, true, opBytes);
  }

  /** Appends an L1 input (always logged: it is consumed even when its effect is refused). */
  submitL1Input(input: L1Input, timestamp = this.now()): SubmitOutcome {
    this.check();
    return this.execute({ timestamp, op: input }, { signer: null }, false);
  }

  /**
   * Runs one root operation and whatever it causes. `dropRefused`: a refused signed op is
   * answered, not logged.
   */
  private execute(sop: SequencedOp, rec: Recovered, dropRefused: boolean, opBytes?: Uint8Array): SubmitOutcome {
    this.reserve(sop, opBytes ? encodeSequencedOpFrom(sop.timestamp, opBytes) : encodeSequencedOp(sop));
    const receipt = applyOp(this.state, sop.op, { timestamp: sop.timestamp, ...rec });
    if (!receipt.ok && dropRefused) throw new Refused(receipt.reason!, receipt.detail);
    const durables: Promise<unknown>[] = [];
    const record = this.record(sop, rec, receipt, durables, opBytes);
    const fills: Record_[] = [];
    let detached: SlotRef[] = [];
    if (receipt.ok && sop.op.type === "PlaceOrder") {
      detached = this.match(sop.op, receipt, sop.timestamp, fills, durables);
    } else {
      detached = this.engine.onStfEvents(receipt.events);
    }
    return { record, fills, detached, durable: Promise.all(durables).then(() => undefined) };
  }

  private record(sop: SequencedOp, rec: Recovered, receipt: Receipt, durables: Promise<unknown>[], opBytes?: Uint8Array): Record_ {
    const { seq, durable } = this.sink(sop, rec, receipt, opBytes);
    if (durable) durables.push(durable);
    const r: Record_ = { seq, op: sop, signer: rec.signer, receipt };
    this.emit(r);
    return r;
  }

  /**
   * Hands a placed order to the engine and applies the fills it emits at the order's
   * timestamp. A refused fill takes the side at fault out of matching (docs/matching.md
   * §Refused fills) and the taker goes on against the rest of the book (`rematch`), so a
   * taker never rests crossed; each round removes an order or stops the taker, so it ends.
   * Returns the orders the engine detached on the way.
   */
  private match(op: PlaceOrder, receipt: Receipt, timestamp: bigint, fills: Record_[], durables: Promise<unknown>[]): SlotRef[] {
    const detached = this.engine.onStfEvents(receipt.events);
    const placed = receipt.events.find((e) => e.kind === "OrderPlaced");
    if (placed?.kind !== "OrderPlaced") throw new Error("an accepted PlaceOrder without OrderPlaced");
    let round = this.engine.onPlaced(
      {
        account: op.account,
        slot: placed.slot,
        market: op.market,
        flags: op.flags,
        price: op.price,
        size: op.size,
        expiry: op.expiry,
        clientOrderId: op.clientOrderId,
        nonce: op.nonce,
      },
      timestamp,
    );
    for (;;) {
      detached.push(...round.selfTradeCancelled, ...round.reduceOnlyCancelled, ...round.lotSizeCancelled);
      for (const fill of round.fills) {
        const sop: SequencedOp = { timestamp, op: fill };
        this.reserve(sop, encodeSequencedOp(sop));
        const r = applyOp(this.state, fill, { timestamp, signer: null });
        fills.push(this.record(sop, { signer: null }, r, durables));
        if (r.ok) detached.push(...this.engine.onStfEvents(r.events));
        else {
          const why = this.engine.onFillRejected(fill, r.reason);
          if (why.evicted) detached.push(why.evicted);
          if (why.takerStopped) detached.push({ account: op.account, slot: placed.slot });
        }
      }
      if (!this.engine.rematchPending) return detached;
      round = this.engine.rematch();
    }
  }

  /**
   * Cancel-replace: the cancel, then (if it was accepted) the new order, at one timestamp.
   * A refused cancel refuses the whole (throws); a refused place is returned beside the
   * cancel's outcome, which stands.
   */
  modify(cancel: Op, cancelRec: Recovered, place: Op, placeRec: Recovered, bytes: Uint8Array[] = []): { cancel: SubmitOutcome; place: SubmitOutcome | Refused } {
    const timestamp = this.now();
    const c = this.submit(cancel, cancelRec, timestamp, bytes[0]);
    try {
      return { cancel: c, place: this.submit(place, placeRec, timestamp, bytes[1]) };
    } catch (e) {
      if (!(e instanceof Refused)) throw e;
      return { cancel: c, place: e };
    }
  }

  // ---- dead-man's switch ----

  /**
   * Holds a pre-signed CancelAll for `account`, applied when `at` passes unless pushed back;
   * `at = 0` disarms. The signed op proves the caller may act for the account.
   */
  scheduleDeadman(op: CancelAll, rec: Recovered, at: bigint): void {
    this.check();
    const acct = this.state.accounts[op.account];
    if (!acct) throw new Refused("ACCOUNT_UNKNOWN");
    if (!this.mayAct(op.account, rec.signer)) throw new Refused(rec.signer === null ? "BAD_SIGNATURE" : "UNAUTHORIZED");
    if (at === 0n) return this.unscheduleDeadman(op.account);
    this.deadman.set(op.account, { op, rec });
    this.engine.scheduleCancelAll(op.account, at);
    this.persistDeadman();
  }

  unscheduleDeadman(account: number): void {
    this.deadman.delete(account);
    this.engine.unscheduleCancelAll(account);
    this.persistDeadman();
  }

  /**
   * Armed switches survive a restart: a desk whose client died must not find its orders left
   * live because the sequencer restarted meanwhile. Kept as one meta row (few accounts arm one).
   */
  private persistDeadman(): void {
    const rows = [...this.deadman].map(([account, { op, rec }]) => ({
      account,
      at: String(this.engine.scheduledCancelAll(account) ?? 0n),
      op: Buffer.from(encodeOp(op)).toString("hex"),
      signer: rec.signer,
    }));
    this.log.setMeta(DEADMAN_KEY, new TextEncoder().encode(JSON.stringify(rows)));
  }

  /** Re-arms the switches persisted before a restart. */
  restoreDeadman(): number {
    const raw = this.log.getMeta(DEADMAN_KEY);
    if (!raw) return 0;
    const rows = JSON.parse(new TextDecoder().decode(raw)) as { account: number; at: string; op: string; signer: `0x${string}` | null }[];
    for (const r of rows) {
      const op = decodeOp(Buffer.from(r.op, "hex")) as CancelAll;
      this.deadman.set(r.account, { op, rec: { signer: r.signer } });
      this.engine.scheduleCancelAll(r.account, BigInt(r.at));
    }
    return rows.length;
  }

  deadmanOf(account: number): bigint | undefined {
    return this.engine.scheduledCancelAll(account);
  }

  /** True when `signer` is the account's owner or one of its unexpired session keys. */
  mayAct(account: number, signer: `0x${string}` | null): boolean {
    const acct = this.state.accounts[account];
    if (!acct || signer === null) return false;
    const s = signer.toLowerCase();
    if (acct.owner.toLowerCase() === s) return true;
    const now = this.now();
    return acct.sessionKeys.some((k) => k.key.toLowerCase() === s && k.expiry >= now);
  }

  /**
   * Timer work: fires due dead-man's switches and sweeps expired orders from the book.
   * Returns the dead-man records it logged.
   */
  tick(): SubmitOutcome[] {
    if (this.failure !== null) return [];
    const now = this.now();
    this.engine.sweepExpired(now);
    const out: SubmitOutcome[] = [];
    for (const account of this.engine.due(now)) {
      const held = this.deadman.get(account);
      this.deadman.delete(account);
      if (!held) continue;
      this.persistDeadman();
      try {
        out.push(this.execute({ timestamp: now, op: held.op }, held.rec, true));
      } catch (e) {
        // The held op went stale (nonce outside the window, key revoked): nothing to cancel with.
        if (!(e instanceof Refused)) throw e;
      }
    }
    return out;
  }

  // ---- batches and snapshots ----

  /** Ops appended (not necessarily durable yet) after the last sealed batch. */
  unsealedOps(): number {
    return this.log.nextSeq() - 1 - this.sealedTo;
  }

  /**
   * Called right before an op runs (the state then matches the log's end exactly): seals the
   * ops waiting when this op could take their batch past `batchMaxOps` ops or past
   * `batchMaxBytes` of batch data. So no sealed batch exceeds either cap (an op alone larger
   * than the byte cap would, but no operation comes near it). This can seal between a placed
   * order and its fills; no snapshot is taken there (a restart must not start at a fill).
   */
  private reserve(op: SequencedOp, bytes: Uint8Array): void {
    if (this.replaying) return;
    if (!this.byteCapped) {
      // No byte cap (nothing is posted to L1): only the op count matters, and no sizing.
      if (this.unsealedOps() >= this.batchMaxOps) this.sealBatch(false);
      return;
    }
    const bound = quickDataBound(bytes);
    this.reserved = { op, bytes, bound };
    const waiting = this.unsealedOps();
    if (waiting === 0) {
      this.resetData();
      return;
    }
    if (this.checkedData === null) this.countUnsealedData();
    if (waiting >= this.batchMaxOps) return void this.sealBatch(false);
    if (this.checkedData! + this.uncheckedBound + bound <= this.batchMaxBytes) return;
    // Near the cap: size the unchecked ops with the codec, once each. Encoded as a batch of
    // their own, their first timestamp is coded from 0, which bounds its real delta; their
    // own header (≥ 2 bytes) is covered by DATA_HEADER_BOUND.
    if (this.unchecked.length > 0) {
      this.checkedData! += compressBatch(encodeBatchFrom(this.unchecked)).length - 2;
      this.unchecked = [];
      this.uncheckedBound = 0;
    }
    if (this.checkedData! + bound > this.batchMaxBytes) this.sealBatch(false);
  }

  private resetData(): void {
    this.checkedData = DATA_HEADER_BOUND;
    this.unchecked = [];
    this.uncheckedBound = 0;
  }

  private countUnsealedData(): void {
    const last = this.log.lastBatch();
    this.log.flush();
    this.resetData();
    for (const o of this.log.readFrom(last ? last.toSeq + 1 : 1)) {
      this.unchecked.push(o.bytes);
      this.uncheckedBound += quickDataBound(o.bytes);
    }
  }

  /**
   * Seals everything logged since the last batch into the next one (none when empty):
   * flushes the log (the batch may only cover durable ops), commits the state root.
   * `snapshot: false` when sealing in the middle of an op's fills.
   */
  sealBatch(snapshot = true): SealedBatch | null {
    this.check();
    this.log.flush();
    if (this.log.failed !== null) {
      this.failure ??= this.log.failed;
      this.check();
    }
    const last = this.log.lastBatch();
    const fromSeq = last ? last.toSeq + 1 : 1;
    const toSeq = this.log.lastSeq();
    if (toSeq < fromSeq) return null;
    const preRoot = last ? last.postRoot : this.genesisRoot();
    const l1From = last ? last.l1To : 0n;
    const batch = this.log.sealBatch({
      fromSeq,
      toSeq,
      preRoot,
      postRoot: stateRoot(this.state),
      l1From,
      l1To: this.state.l1.nextIndex,
      timestamp: this.state.clock,
    });
    this.sealedTo = toSeq;
    this.resetData();
    if (snapshot && toSeq - this.lastSnapshotSeq >= this.snapshotEveryOps) this.snapshot();
    return batch;
  }

  /**
   * Writes a snapshot of the state at the log's end, with the book's time priority (which the
   * state does not hold) beside it: a restart restores both and replays only what follows.
   */
  snapshot(): void {
    this.log.flush();
    const seq = this.log.lastSeq();
    this.log.setMeta(`${PRIORITY_KEY}${seq}`, this.engine.exportPriority());
    this.log.writeSnapshot(this.state, seq);
    // The op log keeps its newest snapshots only; drop the priorities of the pruned ones.
    this.log.db.prepare("DELETE FROM meta WHERE key LIKE ? AND CAST(substr(key, ?) AS INTEGER) NOT IN (SELECT seq FROM snapshots)").run(`${PRIORITY_KEY}%`, PRIORITY_KEY.length + 1);
    this.lastSnapshotSeq = seq;
  }

  private genesisRoot(): Uint8Array {
    const g = this.log.getMeta("genesis_root");
    if (!g) throw new Error("op log has no genesis root");
    return g;
  }

  // ---- restart ----

  /**
   * Rebuilds the state and the book by running logged ops through this same code. The
   * root ops (client ops, L1 inputs, dead-man cancels) drive it; the fills they cause must
   * come out equal to the next logged ops — the log is the oracle, nothing is appended.
   */
  replay(ops: Iterable<LoggedOp>): number {
    const it = ops[Symbol.iterator]();
    let n = 0;
    let pending: LoggedOp | undefined;
    const next = (): LoggedOp | undefined => {
      const r = it.next();
      return r.done ? undefined : r.value;
    };
    this.sink = (op, _rec, receipt) => {
      const logged = pending ?? next();
      pending = undefined;
      if (!logged) throw new ReplayMismatch(`the log ended where the replay produced ${op.op.type}`);
      if (!sameOp(logged, op) || logged.ok !== receipt.ok || (logged.reason ?? undefined) !== (receipt.reason ?? undefined)) {
        throw new ReplayMismatch(`seq ${logged.seq}: the log holds ${describe(logged.op, logged.ok, logged.reason)}, replay produced ${describe(op, receipt.ok, receipt.reason)}`);
      }
      n++;
      return { seq: logged.seq, durable: null };
    };
    this.replaying = true;
    this.checkedData = null;
    try {
      for (let root = next(); root; root = next()) {
        pending = root;
        const rec = root.ctx;
        const op = root.op.op;
        if (op.type === "Fill") throw new ReplayMismatch(`seq ${root.seq}: a Fill no placed order caused`);
        this.executeLogged(root.op, rec, root.ok);
      }
    } finally {
      this.sink = this.appendToLog;
      this.replaying = false;
    }
    return n;
  }

  private executeLogged(sop: SequencedOp, rec: Recovered, ok: boolean): void {
    try {
      this.execute(sop, rec, sop.op.type !== "Deposit" && sop.op.type !== "ParamUpdate" && sop.op.type !== "ForcedWithdraw" && sop.op.type !== "ForcedClose");
    } catch (e) {
      if (e instanceof Refused && !ok) throw new ReplayMismatch(`a refused signed op was logged (${e.message})`);
      throw e;
    }
  }
}

export class ReplayMismatch extends Error {}

/** Canonical bytes decide: the logged op and the replayed one must encode identically. */
function sameOp(logged: LoggedOp, b: SequencedOp): boolean {
  return Buffer.from(logged.bytes).equals(encodeSequencedOp(b));
}

function describe(op: SequencedOp, ok: boolean, reason?: string): string {
  return `${op.op.type}@${op.timestamp} ${ok ? "ok" : `refused ${reason}`}`;
}

