/**
 * Typed responses of the sequencer API and their parsers. JSON carries every integer that
 * can exceed 2^53 as a decimal string (docs/api.md §Conventions); the parsers turn those into
 * bigints and check each field's presence and type, so a response from an incompatible
 * server fails here with the field's path instead of as a NaN somewhere in a desk's code.
 */
import type { Reason } from "../sequencer/state/reasons.js";
import { CrossmarginApiError } from "./errors.js";
import type { Hex, Op } from "../sequencer/state/ops.js";
import type { StfEvent } from "../sequencer/state/receipt.js";
import type { ExitProofBundle } from "../sequencer/l1/proofs.js";

export type { Hex, Op, Reason, StfEvent };
export type FillEvent = Extract<StfEvent, { kind: "Fill" }>;

export interface MarginTier {
  notionalCap: bigint;
  imfPpm: bigint;
  mmfPpm: bigint;
}
export interface Market {
  id: number;
  /** 0 unlisted, 1 active, 2 reduce-only, 3 halted (sequencer/state/constants.ts). */
  status: number;
  tickSize: bigint;
  lotSize: bigint;
  tiers: MarginTier[];
  oraclePrice: bigint;
  oracleTimestamp: bigint;
  fundingIndex: bigint;
  openInterest: bigint;
  group: number;
}
export interface Asset {
  id: number;
  decimals: number;
  weightPpm: bigint;
  oraclePrice: bigint;
  oracleTimestamp: bigint;
  /** The insurance fund's balance in this asset (atoms); absent from older servers. */
  insuranceFund?: bigint;
}
export interface Info {
  chainId: bigint;
  /** The Rollup contract: the EIP-712 domain's verifyingContract. */
  verifyingContract: Hex;
  nonceWindowMs: bigint;
  /** Oracle prices older than this (ms, against `clock`) are stale; absent from older servers. */
  maxOracleAgeMs?: bigint;
  /** Last durable op-log seq. */
  seq: bigint;
  root: Hex;
  clock: bigint;
  markets: Market[];
  assets: Asset[];
  /** Not in docs/api.md's route table, but answered by the server; absent from older servers. */
  l1NextIndex?: bigint;
  devDeposits?: boolean;
  /** L1 mode: poster and derivation status (docs/api.md, `GET /v1/info`); null without L1; absent from older servers. */
  l1?: L1Info | null;
}
/** The parts of `info.l1` the SDK checks; the rest of the server's object is kept as sent. */
export interface L1Info {
  rollup: Hex;
  batchIntervalMs: number;
  sealedBatches: number;
  /** Highest op-log batch confirmed on L1 (L1 batch index − 1); −1: none. */
  confirmedThrough: number;
  poster: { error: string | null; stats: Record<string, number> };
  derivation: { nextIndex: bigint; error: string | null } & Record<string, unknown>;
  [k: string]: unknown;
}
export interface Position {
  market: number;
  size: bigint;
  entryNotional: bigint;
  isolatedMargin: bigint;
  marginMode: "cross" | "isolated";
  markPrice: bigint;
  unrealizedPnl: bigint;
  /** Isolated positions only. */
  isolatedEquity?: bigint;
}
export interface OpenOrder {
  slot: number;
  market: number;
  side: "buy" | "sell";
  price: bigint;
  size: bigint;
  remaining: bigint;
  expiry: bigint;
  clientOrderId: bigint;
  flags: number;
}
export interface SessionKeyInfo {
  key: Hex;
  expiry: bigint;
}
export interface Margin {
  portfolio: boolean;
  collateral: bigint;
  equity: bigint;
  initialRequirement: bigint;
  maintenanceRequirement: bigint;
  health: bigint;
  liquidatable: boolean;
}
export interface Account {
  index: number;
  owner: Hex;
  /** Per asset id. */
  balances: bigint[];
  positions: Position[];
  orders: OpenOrder[];
  sessionKeys: SessionKeyInfo[];
  margin: Margin;
  /** When the armed dead-man's switch fires (ms), or null when none is armed. */
  deadman: bigint | null;
}
export interface BookLevel {
  price: bigint;
  size: bigint;
  orders: number;
}
export interface Book {
  market: number;
  /** The op-log seq the snapshot reflects. */
  seq: bigint;
  /** Best first. */
  bids: BookLevel[];
  asks: BookLevel[];
}
export interface SlotRef {
  account: number;
  slot: number;
}
export interface FillReceipt {
  seq: bigint;
  ok: boolean;
  reason?: Reason;
  events: StfEvent[];
}
/** What `POST /v1/op` answers once the operation (and its fills) is in the op log. */
export interface Receipt {
  seq: bigint;
  timestamp: bigint;
  ok: boolean;
  reason?: Reason;
  events: StfEvent[];
  /** Fill operations a PlaceOrder caused. */
  fills: FillReceipt[];
  /** Orders the matching engine took out of the book while placing (self-trade, reduce-only). */
  detached: SlotRef[];
}
export interface ModifyResult {
  cancel: Receipt;
  /** The new order's receipt, or its rejection (the cancel stands either way). */
  place: Receipt | CrossmarginApiError;
}
export interface DeadmanResult {
  account: number;
  /** 0 when disarmed. */
  at: bigint;
}
export interface DevDepositResult {
  account: number;
  seq: bigint;
}
/** A logged operation as the stream's `receipts` and `account` channels send it. */
export interface OpRecord {
  seq: bigint;
  timestamp: bigint;
  op: Op;
  /** The recovered signer; null for unsigned operations (fills, L1 inputs, oracle updates). */
  signer: Hex | null;
  ok: boolean;
  reason?: Reason;
  events: StfEvent[];
}
/** `GET /v1/ops/:seq`. */
export interface LoggedOp extends Omit<OpRecord, "events"> {
  /** The sealed batch holding it, or null while unsealed. */
  batch: number | null;
  /** Present while the sequencer still holds the receipt in memory. */
  events?: StfEvent[];
}
/** `GET /v1/withdrawals/:index/proof`: the arguments of `Vault.claimWithdrawal(batch, index, withdrawal, proof)`. */
export interface WithdrawalProof {
  /** L1 batch index (op-log batch + 1) whose post-state root the proof leads to. */
  batch: number;
  /** The record's index in the state's withdrawal list. */
  index: number;
  withdrawal: { account: number; owner: Hex; asset: number; amount: bigint };
  /** Sibling hashes from the leaf up (37). */
  proof: Hex[];
  root: Hex;
}
/**
 * `GET /v1/accounts/:index/exit-proof`: an account's exit proofs against L1 batch `batch`'s
 * post-state root (the exit batch after a freeze): the arguments of `Vault.exit` (`account`),
 * `Vault.proveMarket` (`markets`: the account's open markets) and `Vault.proveAsset` (`assets`:
 * every listed asset but the settlement asset). Built by sequencer/l1/proofs.ts, which also
 * builds it offline from an op log or a verifier's state.
 */
export type ExitProof = ExitProofBundle & { batch: number };

export interface Batch {
  index: number;
  fromSeq: bigint;
  toSeq: bigint;
  preRoot: Hex;
  postRoot: Hex;
  l1From: bigint;
  l1To: bigint;
  timestamp: bigint;
}

// ─── parsing ─────────────────────────────────────────────────────────────────────────

/** A response that does not have the documented shape; `path` names the field. */
export class ShapeError extends Error {
  constructor(
    readonly path: string,
    expected: string,
    got: unknown,
  ) {
    super(`${path || "response"}: expected ${expected}, got ${describe(got)}`);
  }
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

type J = Record<string, unknown>;
const DECIMAL = /^-?(0|[1-9][0-9]*)$/;
const HEX = /^0x[0-9a-fA-F]*$/;

export function obj(v: unknown, path: string): J {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ShapeError(path, "an object", v);
  return v as J;
}
function at(path: string, k: string | number): string {
  return typeof k === "number" ? `${path}[${k}]` : path ? `${path}.${k}` : k;
}
/** A decimal string, or a safe JSON integer (the API sends small seqs as numbers in places). */
export function toBig(v: unknown, path: string): bigint {
  if (typeof v === "string" && DECIMAL.test(v)) return BigInt(v);
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  throw new ShapeError(path, "an integer (decimal string)", v);
}
const big = (o: J, k: string, p: string) => toBig(o[k], at(p, k));
function num(o: J, k: string, p: string): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new ShapeError(at(p, k), "an integer", v);
  return v;
}
function bool(o: J, k: string, p: string): boolean {
  const v = o[k];
  if (typeof v !== "boolean") throw new ShapeError(at(p, k), "a boolean", v);
  return v;
}
function hex(o: J, k: string, p: string): Hex {
  const v = o[k];
  if (typeof v !== "string" || !HEX.test(v)) throw new ShapeError(at(p, k), "0x-hex", v);
  return v as Hex;
}
function oneOf<T extends string>(o: J, k: string, p: string, values: readonly T[]): T {
  const v = o[k];
  if (typeof v !== "string" || !(values as readonly string[]).includes(v)) throw new ShapeError(at(p, k), values.join(" | "), v);
  return v as T;
}
function arr<T>(o: J, k: string, p: string, f: (x: unknown, path: string) => T): T[] {
  const v = o[k];
  if (!Array.isArray(v)) throw new ShapeError(at(p, k), "an array", v);
  return v.map((x, i) => f(x, at(at(p, k), i)));
}
function optional<T>(o: J, k: string, f: (o: J, k: string, p: string) => T, p: string): T | undefined {
  return o[k] === undefined ? undefined : f(o, k, p);
}
function reason(o: J, p: string): Reason | undefined {
  const v = o.reason;
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new ShapeError(at(p, "reason"), "a reason code", v);
  return v as Reason;
}

/**
 * Operations and STF events travel as `toJson` made them: every bigint became a decimal
 * string, and no other field of theirs is a decimal string (the rest are numbers, booleans,
 * 0x-hex or words). Reviving every decimal string therefore restores exactly the original
 * values without a per-type field list that would drift from ops.ts and receipt.ts.
 */
export function reviveBigints(v: unknown): unknown {
  if (typeof v === "string") return DECIMAL.test(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(reviveBigints);
  if (v !== null && typeof v === "object") {
    const o: J = {};
    for (const [k, x] of Object.entries(v)) o[k] = reviveBigints(x);
    return o;
  }
  return v;
}
export function parseOp(v: unknown, path = ""): Op {
  const o = obj(v, path);
  if (typeof o.type !== "string") throw new ShapeError(at(path, "type"), "an operation type", o.type);
  return reviveBigints(o) as Op;
}
export function parseEvent(v: unknown, path = ""): StfEvent {
  const o = obj(v, path);
  if (typeof o.kind !== "string") throw new ShapeError(at(path, "kind"), "an event kind", o.kind);
  return reviveBigints(o) as StfEvent;
}
export function parseFillEvent(v: unknown, path = ""): FillEvent {
  const e = parseEvent(v, path);
  if (e.kind !== "Fill") throw new ShapeError(at(path, "kind"), '"Fill"', e.kind);
  return e;
}

const tier = (v: unknown, p: string): MarginTier => {
  const o = obj(v, p);
  return { notionalCap: big(o, "notionalCap", p), imfPpm: big(o, "imfPpm", p), mmfPpm: big(o, "mmfPpm", p) };
};
export function parseMarket(v: unknown, p = ""): Market {
  const o = obj(v, p);
  return {
    id: num(o, "id", p),
    status: num(o, "status", p),
    tickSize: big(o, "tickSize", p),
    lotSize: big(o, "lotSize", p),
    tiers: arr(o, "tiers", p, tier),
    oraclePrice: big(o, "oraclePrice", p),
    oracleTimestamp: big(o, "oracleTimestamp", p),
    fundingIndex: big(o, "fundingIndex", p),
    openInterest: big(o, "openInterest", p),
    group: num(o, "group", p),
  };
}
export function parseAsset(v: unknown, p = ""): Asset {
  const o = obj(v, p);
  return {
    id: num(o, "id", p),
    decimals: num(o, "decimals", p),
    weightPpm: big(o, "weightPpm", p),
    oraclePrice: big(o, "oraclePrice", p),
    oracleTimestamp: big(o, "oracleTimestamp", p),
    ...(o.insuranceFund === undefined ? {} : { insuranceFund: big(o, "insuranceFund", p) }),
  };
}
export function parseMarkets(v: unknown): Market[] {
  if (!Array.isArray(v)) throw new ShapeError("", "an array of markets", v);
  return v.map((x, i) => parseMarket(x, `[${i}]`));
}
export function parseInfo(v: unknown): Info {
  const o = obj(v, "");
  const info: Info = {
    chainId: big(o, "chainId", ""),
    verifyingContract: hex(o, "verifyingContract", ""),
    nonceWindowMs: big(o, "nonceWindowMs", ""),
    seq: big(o, "seq", ""),
    root: hex(o, "root", ""),
    clock: big(o, "clock", ""),
    markets: arr(o, "markets", "", parseMarket),
    assets: arr(o, "assets", "", parseAsset),
  };
  const l1 = optional(o, "l1NextIndex", big, "");
  if (l1 !== undefined) info.l1NextIndex = l1;
  const maxAge = optional(o, "maxOracleAgeMs", big, "");
  if (maxAge !== undefined) info.maxOracleAgeMs = maxAge;
  const dev = optional(o, "devDeposits", bool, "");
  if (dev !== undefined) info.devDeposits = dev;
  if (o.l1 === null) info.l1 = null;
  else if (o.l1 !== undefined) {
    const l = obj(o.l1, "l1");
    const poster = obj(l.poster, "l1.poster");
    const derivation = obj(l.derivation, "l1.derivation");
    const errText = (x: J, p: string) => {
      if (x.error !== null && typeof x.error !== "string") throw new ShapeError(`${p}.error`, "a string or null", x.error);
      return x.error as string | null;
    };
    info.l1 = {
      ...l,
      rollup: hex(l, "rollup", "l1"),
      batchIntervalMs: num(l, "batchIntervalMs", "l1"),
      sealedBatches: num(l, "sealedBatches", "l1"),
      confirmedThrough: num(l, "confirmedThrough", "l1"),
      poster: { error: errText(poster, "l1.poster"), stats: obj(poster.stats, "l1.poster.stats") as Record<string, number> },
      derivation: { ...derivation, nextIndex: big(derivation, "nextIndex", "l1.derivation"), error: errText(derivation, "l1.derivation") },
    };
  }
  return info;
}

const position = (v: unknown, p: string): Position => {
  const o = obj(v, p);
  const pos: Position = {
    market: num(o, "market", p),
    size: big(o, "size", p),
    entryNotional: big(o, "entryNotional", p),
    isolatedMargin: big(o, "isolatedMargin", p),
    marginMode: oneOf(o, "marginMode", p, ["cross", "isolated"] as const),
    markPrice: big(o, "markPrice", p),
    unrealizedPnl: big(o, "unrealizedPnl", p),
  };
  const eq = optional(o, "isolatedEquity", big, p);
  if (eq !== undefined) pos.isolatedEquity = eq;
  return pos;
};
const order = (v: unknown, p: string): OpenOrder => {
  const o = obj(v, p);
  return {
    slot: num(o, "slot", p),
    market: num(o, "market", p),
    side: oneOf(o, "side", p, ["buy", "sell"] as const),
    price: big(o, "price", p),
    size: big(o, "size", p),
    remaining: big(o, "remaining", p),
    expiry: big(o, "expiry", p),
    clientOrderId: big(o, "clientOrderId", p),
    flags: num(o, "flags", p),
  };
};
const sessionKey = (v: unknown, p: string): SessionKeyInfo => {
  const o = obj(v, p);
  return { key: hex(o, "key", p), expiry: big(o, "expiry", p) };
};
export function parseAccount(v: unknown): Account {
  const o = obj(v, "");
  const m = obj(o.margin, "margin");
  return {
    index: num(o, "index", ""),
    owner: hex(o, "owner", ""),
    balances: arr(o, "balances", "", toBig),
    positions: arr(o, "positions", "", position),
    orders: arr(o, "orders", "", order),
    sessionKeys: arr(o, "sessionKeys", "", sessionKey),
    margin: {
      portfolio: bool(m, "portfolio", "margin"),
      collateral: big(m, "collateral", "margin"),
      equity: big(m, "equity", "margin"),
      initialRequirement: big(m, "initialRequirement", "margin"),
      maintenanceRequirement: big(m, "maintenanceRequirement", "margin"),
      health: big(m, "health", "margin"),
      liquidatable: bool(m, "liquidatable", "margin"),
    },
    deadman: o.deadman === undefined || o.deadman === null ? null : big(o, "deadman", ""),
  };
}
export function parseWithdrawalProof(v: unknown): WithdrawalProof {
  const o = obj(v, "");
  const w = obj(o.withdrawal, "withdrawal");
  const proof = arr(o, "proof", "", (x, p) => {
    if (typeof x !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(x)) throw new ShapeError(p, "a 32-byte 0x-hex hash", x);
    return x as Hex;
  });
  return {
    batch: num(o, "batch", ""),
    index: num(o, "index", ""),
    withdrawal: { account: num(w, "account", "withdrawal"), owner: hex(w, "owner", "withdrawal"), asset: num(w, "asset", "withdrawal"), amount: big(w, "amount", "withdrawal") },
    proof,
    root: hex(o, "root", ""),
  };
}

const hash32 = (x: unknown, p: string): Hex => {
  if (typeof x !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(x)) throw new ShapeError(p, "a 32-byte 0x-hex hash", x);
  return x as Hex;
};

export function parseExitProof(v: unknown): ExitProof {
  const o = obj(v, "");
  const a = obj(o.account, "account");
  const p = "account";
  return {
    batch: num(o, "batch", ""),
    root: hash32(o.root, "root"),
    account: {
      account: num(a, "account", p),
      owner: hex(a, "owner", p),
      balances: arr(a, "balances", p, (x, q) => toBig(x, q)),
      fieldRoots: arr(a, "fieldRoots", p, hash32),
      positionRoots: arr(a, "positionRoots", p, hash32),
      markets: arr(a, "markets", p, (x, q) => {
        if (typeof x !== "number" || !Number.isSafeInteger(x)) throw new ShapeError(q, "an integer", x);
        return x;
      }),
      positions: arr(a, "positions", p, (x, q) => {
        const r = obj(x, q);
        return { size: big(r, "size", q), entryNotional: big(r, "entryNotional", q), lastFundingIndex: big(r, "lastFundingIndex", q), isolatedMargin: big(r, "isolatedMargin", q), marginMode: num(r, "marginMode", q) };
      }),
      proof: arr(a, "proof", p, hash32),
    },
    markets: arr(o, "markets", "", (x, q) => {
      const m = obj(x, q);
      return { market: num(m, "market", q), price: big(m, "price", q), fundingIndex: big(m, "fundingIndex", q), priceProof: arr(m, "priceProof", q, hash32), fundingProof: arr(m, "fundingProof", q, hash32) };
    }),
    assets: arr(o, "assets", "", (x, q) => {
      const s = obj(x, q);
      const r = obj(s.record, at(q, "record"));
      const rq = at(q, "record");
      return {
        asset: num(s, "asset", q),
        record: { decimals: num(r, "decimals", rq), weightPpm: big(r, "weightPpm", rq), oraclePrice: big(r, "oraclePrice", rq), oracleTimestamp: big(r, "oracleTimestamp", rq) },
        proof: arr(s, "proof", q, hash32),
      };
    }),
  };
}

export function parseIndex(v: unknown): number {
  return num(obj(v, ""), "index", "");
}

const level = (v: unknown, p: string): BookLevel => {
  const o = obj(v, p);
  return { price: big(o, "price", p), size: big(o, "size", p), orders: num(o, "orders", p) };
};
/** A book snapshot; `seq` comes from the body (`GET …/book`) or from the stream message. */
export function parseBook(v: unknown, seq?: bigint): Book {
  const o = obj(v, "");
  return {
    market: num(o, "market", ""),
    seq: seq ?? big(o, "seq", ""),
    bids: arr(o, "bids", "", level),
    asks: arr(o, "asks", "", level),
  };
}

const fillReceipt = (v: unknown, p: string): FillReceipt => {
  const o = obj(v, p);
  const r: FillReceipt = { seq: big(o, "seq", p), ok: bool(o, "ok", p), events: arr(o, "events", p, parseEvent) };
  const why = reason(o, p);
  if (why !== undefined) r.reason = why;
  return r;
};
const slotRef = (v: unknown, p: string): SlotRef => {
  const o = obj(v, p);
  return { account: num(o, "account", p), slot: num(o, "slot", p) };
};
export function parseReceipt(v: unknown, p = ""): Receipt {
  const o = obj(v, p);
  const r: Receipt = {
    seq: big(o, "seq", p),
    timestamp: big(o, "timestamp", p),
    ok: bool(o, "ok", p),
    events: arr(o, "events", p, parseEvent),
    fills: o.fills === undefined ? [] : arr(o, "fills", p, fillReceipt),
    detached: o.detached === undefined ? [] : arr(o, "detached", p, slotRef),
  };
  const why = reason(o, p);
  if (why !== undefined) r.reason = why;
  return r;
}
export function parseModify(v: unknown): ModifyResult {
  const o = obj(v, "");
  const place = obj(o.place, "place");
  if (place.error === undefined) return { cancel: parseReceipt(o.cancel, "cancel"), place: parseReceipt(place, "place") };
  const err = CrossmarginApiError.fromBody(place.error);
  if (err === null) throw new ShapeError("place.error", "a rejection { code, message }", place.error);
  return { cancel: parseReceipt(o.cancel, "cancel"), place: err };
}
export function parseDeadman(v: unknown): DeadmanResult {
  const o = obj(v, "");
  return { account: num(o, "account", ""), at: big(o, "at", "") };
}
export function parseDevDeposit(v: unknown): DevDepositResult {
  const o = obj(v, "");
  return { account: num(o, "account", ""), seq: big(o, "seq", "") };
}

function signer(o: J, p: string): Hex | null {
  return o.signer === null || o.signer === undefined ? null : hex(o, "signer", p);
}
export function parseOpRecord(v: unknown, p = ""): OpRecord {
  const o = obj(v, p);
  const r: OpRecord = {
    seq: big(o, "seq", p),
    timestamp: big(o, "timestamp", p),
    op: parseOp(o.op, at(p, "op")),
    signer: signer(o, p),
    ok: bool(o, "ok", p),
    events: arr(o, "events", p, parseEvent),
  };
  const why = reason(o, p);
  if (why !== undefined) r.reason = why;
  return r;
}
export function parseLoggedOp(v: unknown): LoggedOp {
  const o = obj(v, "");
  const r: LoggedOp = {
    seq: big(o, "seq", ""),
    timestamp: big(o, "timestamp", ""),
    op: parseOp(o.op, "op"),
    signer: signer(o, ""),
    ok: bool(o, "ok", ""),
    batch: o.batch === null || o.batch === undefined ? null : num(o, "batch", ""),
  };
  const why = reason(o, "");
  if (why !== undefined) r.reason = why;
  if (o.events !== undefined) r.events = arr(o, "events", "", parseEvent);
  return r;
}
export function parseBatch(v: unknown, p = ""): Batch {
  const o = obj(v, p);
  return {
    index: num(o, "index", p),
    fromSeq: big(o, "fromSeq", p),
    toSeq: big(o, "toSeq", p),
    preRoot: hex(o, "preRoot", p),
    postRoot: hex(o, "postRoot", p),
    l1From: big(o, "l1From", p),
    l1To: big(o, "l1To", p),
    timestamp: big(o, "timestamp", p),
  };
}
export function parseBatches(v: unknown): Batch[] {
  if (!Array.isArray(v)) throw new ShapeError("", "an array of batches", v);
  return v.map((x, i) => parseBatch(x, `[${i}]`));
}

/** `GET /v1/verifier`: the judgement of the verifier beside the sequencer (docs/api.md). Batches are L1 batch indexes. */
export interface VerifierReport {
  /** The verifier's status server the sequencer asked. */
  url: string;
  state: "idle" | "catching_up" | "following" | "stopped";
  /** The newest verified batch: the verifier's replayed root, and the sequencer's sealed root (null: not in its op log). */
  lastVerified: { batch: number; root: Hex | null; txHash: Hex; l1Block: bigint; sequencerRoot: Hex | null; agrees: boolean | null } | null;
  verifiedThrough: number;
  lastBatch: number;
  verified: number;
  disputed: number;
  /** At most 20, oldest first, with the verifier's reasons (docs/verifier.md). */
  disputes: { batch: number; reasons: string[]; detail: string | null; headerRoot: Hex; derivedRoot: Hex | null; txHash: Hex; l1Block: bigint }[];
  lag: { l1Batches: number; l1Blocks: number | null; sealedBatches: number; sinceRoundMs: number | null };
  l1Block: bigint | null;
  rollbacks: number;
  lastError: string | null;
}

function orNull<T>(o: J, k: string, p: string, f: (o: J, k: string, p: string) => T): T | null {
  if (!(k in o)) throw new ShapeError(at(p, k), "a value or null", undefined);
  return o[k] === null ? null : f(o, k, p);
}
function text(o: J, k: string, p: string): string {
  const v = o[k];
  if (typeof v !== "string") throw new ShapeError(at(p, k), "a string", v);
  return v;
}

export function parseVerifierReport(v: unknown): VerifierReport {
  const o = obj(v, "");
  const lag = obj(o.lag, "lag");
  return {
    url: text(o, "url", ""),
    state: oneOf(o, "state", "", ["idle", "catching_up", "following", "stopped"] as const),
    lastVerified: orNull(o, "lastVerified", "", (o, k, p) => {
      const x = obj(o[k], at(p, k));
      const q = at(p, k);
      return { batch: num(x, "batch", q), root: orNull(x, "root", q, hex), txHash: hex(x, "txHash", q), l1Block: big(x, "l1Block", q), sequencerRoot: orNull(x, "sequencerRoot", q, hex), agrees: orNull(x, "agrees", q, bool) };
    }),
    verifiedThrough: num(o, "verifiedThrough", ""),
    lastBatch: num(o, "lastBatch", ""),
    verified: num(o, "verified", ""),
    disputed: num(o, "disputed", ""),
    disputes: arr(o, "disputes", "", (d, p) => {
      const x = obj(d, p);
      return {
        batch: num(x, "batch", p),
        reasons: arr(x, "reasons", p, (r, rp) => {
          if (typeof r !== "string") throw new ShapeError(rp, "a dispute reason", r);
          return r;
        }),
        detail: orNull(x, "detail", p, text),
        headerRoot: hex(x, "headerRoot", p),
        derivedRoot: orNull(x, "derivedRoot", p, hex),
        txHash: hex(x, "txHash", p),
        l1Block: big(x, "l1Block", p),
      };
    }),
    lag: { l1Batches: num(lag, "l1Batches", "lag"), l1Blocks: orNull(lag, "l1Blocks", "lag", num), sealedBatches: num(lag, "sealedBatches", "lag"), sinceRoundMs: orNull(lag, "sinceRoundMs", "lag", num) },
    l1Block: orNull(o, "l1Block", "", big),
    rollbacks: num(o, "rollbacks", ""),
    lastError: orNull(o, "lastError", "", text),
  };
}

/** `GET /v1/reserves` (docs/api.md): the state's liabilities at a root against the Vault on L1. */
export type Reserves = import("../sequencer/l1/reserves.js").ReservesReport;

export function parseReserves(v: unknown): Reserves {
  const o = obj(v, "");
  return {
    batch: num(o, "batch", ""),
    root: hash32(o.root, "root"),
    finalized: bool(o, "finalized", ""),
    l1Block: big(o, "l1Block", ""),
    vault: hex(o, "vault", ""),
    queueConsumed: big(o, "queueConsumed", ""),
    covered: bool(o, "covered", ""),
    assets: arr(o, "assets", "", (x, q) => {
      const a = obj(x, q);
      const lq = at(q, "liabilities");
      const l = obj(a.liabilities, lq);
      return {
        asset: num(a, "asset", q),
        token: hex(a, "token", q),
        liabilities: {
          balances: big(l, "balances", lq),
          positionCash: big(l, "positionCash", lq),
          fundingPools: big(l, "fundingPools", lq),
          insuranceFund: big(l, "insuranceFund", lq),
          withdrawals: big(l, "withdrawals", lq),
          socializedLoss: big(l, "socializedLoss", lq),
          total: big(l, "total", lq),
        },
        claimedWithdrawals: big(a, "claimedWithdrawals", q),
        owed: big(a, "owed", q),
        pendingDeposits: big(a, "pendingDeposits", q),
        vaultBalance: big(a, "vaultBalance", q),
        surplus: big(a, "surplus", q),
      };
    }),
  };
}

/** `GET /v1/accounts/:index/nav`: an account's net value after each sealed batch of a range. */
export interface NavHistory {
  account: number;
  from: number;
  to: number;
  /** L1 mode: the highest final batch; null without L1. */
  finalizedThrough: number | null;
  points: { batch: number; root: Hex; timestamp: bigint; nav: bigint; settlementBalance: bigint; positionsValue: bigint; openMarkets: number[]; finalized: boolean | null }[];
}

export function parseNavHistory(v: unknown): NavHistory {
  const o = obj(v, "");
  return {
    account: num(o, "account", ""),
    from: num(o, "from", ""),
    to: num(o, "to", ""),
    finalizedThrough: o.finalizedThrough === null ? null : num(o, "finalizedThrough", ""),
    points: arr(o, "points", "", (x, q) => {
      const p = obj(x, q);
      return {
        batch: num(p, "batch", q),
        root: hash32(p.root, at(q, "root")),
        timestamp: big(p, "timestamp", q),
        nav: big(p, "nav", q),
        settlementBalance: big(p, "settlementBalance", q),
        positionsValue: big(p, "positionsValue", q),
        openMarkets: arr(p, "openMarkets", q, (m, mq) => {
          if (typeof m !== "number" || !Number.isSafeInteger(m)) throw new ShapeError(mq, "an integer", m);
          return m;
        }),
        finalized: p.finalized === null ? null : bool(p, "finalized", q),
      };
    }),
  };
}

/** `POST /v1/margin/what-if` (sequencer/state/whatIf.ts). */
export type WhatIf = import("../sequencer/state/whatIf.js").WhatIfResult;

export function parseWhatIf(v: unknown): WhatIf {
  const o = obj(v, "");
  const mode = (k: string) => {
    const m = obj(o[k], k);
    return { initial: big(m, "initial", k), maintenance: big(m, "maintenance", k), excess: big(m, "excess", k) };
  };
  return {
    collateralValue: big(o, "collateralValue", ""),
    unrealizedPnl: big(o, "unrealizedPnl", ""),
    positions: arr(o, "positions", "", (x, q) => {
      const p = obj(x, q);
      return { market: num(p, "market", q), size: big(p, "size", q), notional: big(p, "notional", q), upnl: big(p, "upnl", q), initial: big(p, "initial", q), maintenance: big(p, "maintenance", q) };
    }),
    isolated: mode("isolated"),
    cross: mode("cross"),
    portfolio: mode("portfolio"),
    freedByCross: big(o, "freedByCross", ""),
    freedByPortfolio: big(o, "freedByPortfolio", ""),
  };
}

/** `GET /v1/l1/batches` (docs/api.md): sealed batches as L1 sees them, at one L1 head block. */
export type L1Batches = import("../sequencer/l1/batchView.js").L1BatchesView;
const POST_STATUSES = ["sent", "replaced", "dropped", "mined", "confirmed", "reverted", "reorged"] as const;

export function parseL1Batches(v: unknown): L1Batches {
  const o = obj(v, "");
  const head = obj(o.head, "head");
  return {
    challengeWindow: big(o, "challengeWindow", ""),
    head: { number: big(head, "number", "head"), timestamp: big(head, "timestamp", "head") },
    nextBatchIndex: num(o, "nextBatchIndex", ""),
    batches: arr(o, "batches", "", (x, p) => {
      const b = obj(x, p);
      return {
        batch: num(b, "batch", p),
        l1Batch: num(b, "l1Batch", p),
        fromSeq: num(b, "fromSeq", p),
        toSeq: num(b, "toSeq", p),
        postRoot: hash32(b.postRoot, at(p, "postRoot")),
        post: orNull(b, "post", p, (o, k, q) => {
          const r = obj(o[k], at(q, k));
          const rp = at(q, k);
          return { status: oneOf(r, "status", rp, POST_STATUSES), txHash: hash32(r.txHash, at(rp, "txHash")), blockNumber: orNull(r, "blockNumber", rp, big), attempts: num(r, "attempts", rp), error: orNull(r, "error", rp, text) };
        }),
        onL1: orNull(b, "onL1", p, (o, k, q) => {
          const r = obj(o[k], at(q, k));
          const rp = at(q, k);
          return { stateRoot: hash32(r.stateRoot, at(rp, "stateRoot")), timestamp: big(r, "timestamp", rp), submitter: hex(r, "submitter", rp), headerHash: hash32(r.headerHash, at(rp, "headerHash")), rootMatches: bool(r, "rootMatches", rp) };
        }),
        finalAt: orNull(b, "finalAt", p, big),
        finalized: bool(b, "finalized", p),
        secondsLeft: orNull(b, "secondsLeft", p, big),
      };
    }),
  };
}

/** `GET /v1/l1/disputes` (docs/api.md): the DisputeGame's games with their moves, and its fault proofs. */
export type L1Disputes = import("../sequencer/l1/disputeView.js").DisputesView;
type GameMove = import("../sequencer/l1/disputeView.js").GameMove;

function gameMove(x: unknown, p: string): GameMove {
  const m = obj(x, p);
  const where = { block: big(m, "block", p), txHash: hash32(m.txHash, at(p, "txHash")) };
  const kind = oneOf(m, "kind", p, ["opened", "bisected", "chosen", "opLoaded", "resolved", "voided"] as const);
  switch (kind) {
    case "opened":
      return { kind, challenger: hex(m, "challenger", p), defender: hex(m, "defender", p), opCount: big(m, "opCount", p), ...where };
    case "bisected":
      return { kind, opIndex: big(m, "opIndex", p), root: hash32(m.root, at(p, "root")), ...where };
    case "chosen":
      return { kind, agree: bool(m, "agree", p), lo: big(m, "lo", p), hi: big(m, "hi", p), ...where };
    case "opLoaded":
      return { kind, opIndex: big(m, "opIndex", p), opHash: hash32(m.opHash, at(p, "opHash")), ...where };
    case "resolved":
      return { kind, winner: text(m, "winner", p), outcome: text(m, "outcome", p), fault: text(m, "fault", p), payout: big(m, "payout", p), ...where };
    case "voided":
      return { kind, ...where };
  }
}

export function parseL1Disputes(v: unknown): L1Disputes {
  const o = obj(v, "");
  return {
    disputeGame: hex(o, "disputeGame", ""),
    head: big(o, "head", ""),
    fromBlock: big(o, "fromBlock", ""),
    games: arr(o, "games", "", (x, p) => {
      const g = obj(x, p);
      return {
        id: big(g, "id", p),
        batch: big(g, "batch", p),
        challenger: hex(g, "challenger", p),
        defender: hex(g, "defender", p),
        status: oneOf(g, "status", p, ["none", "bisecting", "stepping", "challengerWon", "defenderWon", "void"] as const),
        turn: oneOf(g, "turn", p, ["challenger", "defender"] as const),
        lo: big(g, "lo", p),
        hi: big(g, "hi", p),
        clockLeft: big(g, "clockLeft", p),
        moves: arr(g, "moves", p, gameMove),
      };
    }),
    faultProofs: arr(o, "faultProofs", "", (x, p) => {
      const f = obj(x, p);
      return {
        batch: big(f, "batch", p),
        fault: text(f, "fault", p),
        detail: big(f, "detail", p),
        prover: hex(f, "prover", p),
        slashed: big(f, "slashed", p),
        decode: orNull(f, "decode", p, (o, k, q) => {
          const d = obj(o[k], at(q, k));
          const dp = at(q, k);
          return { code: big(d, "code", dp), offset: big(d, "offset", dp), opIndex: big(d, "opIndex", dp) };
        }),
        block: big(f, "block", p),
        txHash: hash32(f.txHash, at(p, "txHash")),
      };
    }),
  };
}
