/**
 * Crash test through the API: the real CLI runs as a child process (SQLite op log with
 * synchronous=FULL) while several clients in this process trade over HTTP on loopback —
 * resting and crossing orders (so fills happen), cancels, cancel-alls, cancel-replaces,
 * transfers, multi-op requests, dev deposits. At a seeded random moment the child is
 * SIGKILLed, then restarted on the same file, and:
 *
 *  (a) every acknowledged operation (a 200 receipt: signed ops, the fills listed in their
 *      receipts, dev deposits) is in the log at the seq its receipt named, with the same
 *      content (the op's fields, timestamp, signer; a fill's maker, taker, price, size);
 *  (b) acknowledgements of one client carry increasing seqs in the order they were received
 *      (each client waits for an answer before sending the next request), and the fills of
 *      a PlaceOrder directly follow it;
 *  (c) the seq and root the restarted child reports (GET /v1/info) equal those of an
 *      independent STF-only replay of the log from genesis (`recover`, snapshots ignored),
 *      run on a consistent copy of the file (SQLite backup) so two writers never share it;
 *  (d) no signed operation is logged refused (only L1 inputs and fills may be).
 *
 * Requests the kill cut off are expected to fail (connection errors); their ops were not
 * acknowledged and may or may not be in the log. Any other failure (HTTP 500, a hung
 * request, the child exiting by itself) fails the test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { bytesToHex } from "../../state/bytes.js";
import { ALL_MARKETS, CANCEL_BY_CLIENT_ID, FLAG_SELL, TIF_GTC, TIF_IOC, TIF_POST_ONLY, TIF_SHIFT } from "../../state/constants.js";
import { isSignedByAccount } from "../../state/ops.js";
import { Rng } from "../../state/test/random.js";
import { OpLog, recover } from "../../storage/index.js";
import { opToJson } from "../schema.js";
import { SequencerChild, writeGenesisFile } from "./child.js";
import { DOMAIN, Signer, apiGenesis, keyOf } from "./helpers.js";

const ROUNDS = Number(process.env.API_CRASH_ROUNDS ?? 20);
const CLIENTS = 8;
/** Requests one client sends at most between two kills. */
const MAX_REQUESTS_PER_ROUND = 400;
const SEED = Number(process.env.API_CRASH_SEED ?? 20250611);

const USD = 1_000_000n;
const MARKETS = [
  { id: 0, mid: 60_000n * USD, step: USD, lot: 10_000n }, // BTC: tick $1, lot 0.0001
  { id: 1, mid: 3_000n * USD, step: 100_000n, lot: 100_000n }, // ETH: tick $0.01 (steps of $0.10), lot 0.001
] as const;

// ─── HTTP ──────────────────────────────────────────────────────────────────────────────

/** Codes that are the sequencer's fault, not the op's (also inside a 200 `/v1/ops` answer). */
const SERVER_FAULTS = new Set(["INTERNAL_ERROR", "SEQUENCER_UNAVAILABLE", "OVERLOADED"]);

/** The request failed because the sequencer went away (expected around a kill). */
class Down extends Error {}

async function call(url: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  let r: Response;
  try {
    r = await fetch(url + path, {
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    throw classify(e);
  }
  let text: string;
  try {
    text = await r.text();
  } catch (e) {
    throw classify(e);
  }
  return { status: r.status, json: JSON.parse(text) };
}

/** Connection refused / reset / closed mid-answer → Down; a timeout is a hung sequencer (a failure). */
function classify(e: unknown): Error {
  const err = e as Error & { cause?: { code?: string } };
  if (err.name === "TimeoutError" || err.name === "AbortError") return new Error(`request hung: ${err.message}`);
  return new Down(`${err.message}${err.cause?.code ? ` (${err.cause.code})` : ""}`);
}

// ─── What was acknowledged ─────────────────────────────────────────────────────────────

type Expected =
  | { kind: "signed"; client: number; op: Record<string, unknown>; timestamp: string; signer: string }
  | { kind: "fill"; client: number; parentSeq: number; timestamp: string; ok: boolean; fill?: { maker: number; taker: number; price: string; size: string } }
  | { kind: "deposit"; client: number; owner: string; amount: string; account: number };

/** Every acknowledged seq and what it must hold; a seq acknowledged twice is a failure. */
const expected = new Map<number, Expected>();
let ackedThisRound = 0;
/** Called at each acknowledged signed op (a round times its kill from the first one). */
let onSignedAck: () => void = () => {};

function acknowledged(seq: number, e: Expected): void {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new Error(`acknowledged seq ${seq} is not a positive integer`);
  const prev = expected.get(seq);
  if (prev !== undefined) throw new Error(`seq ${seq} acknowledged twice: ${JSON.stringify(prev)} and ${JSON.stringify(e)}`);
  expected.set(seq, e);
  ackedThisRound++;
  if (e.kind === "signed") onSignedAck();
}

// ─── Clients ───────────────────────────────────────────────────────────────────────────

class Client {
  readonly signer: Signer;
  readonly rng: Rng;
  account = -1;
  /** Seqs of this client's acknowledgements in the order received (fills included). */
  readonly ackSeqs: number[] = [];
  /** Client order ids of resting orders it placed (they may have filled or expired since). */
  open: { coid: bigint; market: number }[] = [];
  private coid = 0n;
  readonly refused = new Map<string, number>();
  requests = 0;
  downs = 0;

  constructor(
    readonly index: number,
    seed: number,
  ) {
    this.signer = new Signer(keyOf(`crash-client-${index}`));
    this.rng = new Rng(seed);
  }

  private ack(seq: number): void {
    const last = this.ackSeqs[this.ackSeqs.length - 1];
    // (b): a later acknowledgement of this client names a later seq.
    if (last !== undefined && seq <= last) throw new Error(`client ${this.index}: acknowledgement of seq ${seq} after one of seq ${last}`);
    this.ackSeqs.push(seq);
  }

  /** Records a 200 receipt for the signed op `op` (JSON as sent). */
  private receipt(op: Record<string, unknown>, r: any): void {
    if (r.ok !== true) throw new Error(`client ${this.index}: a 200 receipt with ok=${r.ok} for ${op.type}: ${JSON.stringify(r)}`);
    const seq = Number(r.seq);
    this.ack(seq);
    acknowledged(seq, { kind: "signed", client: this.index, op, timestamp: String(r.timestamp), signer: this.signer.address.toLowerCase() });
    let at = seq;
    for (const f of r.fills ?? []) {
      const fs = Number(f.seq);
      // The fills a PlaceOrder caused are logged right after it.
      if (fs !== at + 1) throw new Error(`client ${this.index}: fill seq ${fs} does not follow seq ${at} (PlaceOrder at ${seq})`);
      at = fs;
      this.ack(fs);
      const ev = (f.events ?? []).find((e: any) => e.kind === "Fill");
      acknowledged(fs, {
        kind: "fill",
        client: this.index,
        parentSeq: seq,
        timestamp: String(r.timestamp),
        ok: f.ok === true,
        ...(f.ok === true ? { fill: { maker: ev.maker, taker: ev.taker, price: String(ev.price), size: String(ev.size) } } : {}),
      });
    }
  }

  /** A rejection the clients may get (the op is not logged); a server fault fails the test. */
  private refusal(body: any, status: number): void {
    const code = String(body?.code ?? `HTTP ${status}`);
    if (status >= 500 || SERVER_FAULTS.has(code)) throw new Error(`client ${this.index}: HTTP ${status} ${JSON.stringify(body)}`);
    this.refused.set(code, (this.refused.get(code) ?? 0) + 1);
  }

  async deposit(url: string, amount: bigint): Promise<void> {
    this.requests++;
    const r = await call(url, "/v1/dev/deposit", { owner: this.signer.address, asset: 0, amount: String(amount) });
    if (r.status !== 200) return this.refusal(r.json, r.status);
    const seq = Number(r.json.seq);
    if (this.account >= 0 && r.json.account !== this.account) throw new Error(`client ${this.index}: deposit went to account ${r.json.account}, not ${this.account}`);
    this.account = r.json.account;
    this.ack(seq);
    acknowledged(seq, { kind: "deposit", client: this.index, owner: this.signer.address.toLowerCase(), amount: String(amount), account: this.account });
  }

  // Operation builders (signed JSON, as sent).

  private order(m: (typeof MARKETS)[number], side: "buy" | "sell", price: bigint, tif: number, opts: { expiry?: bigint; rest?: boolean } = {}) {
    const coid = ++this.coid;
    const size = m.lot * BigInt(1 + this.rng.int(8));
    const op = this.signer.sign({
      type: "PlaceOrder",
      account: this.account,
      market: m.id,
      flags: (side === "sell" ? FLAG_SELL : 0) | (tif << TIF_SHIFT),
      price,
      size,
      expiry: opts.expiry ?? 0n,
      clientOrderId: coid,
    });
    if (opts.rest) this.open.push({ coid, market: m.id });
    if (this.open.length > 48) this.open.shift();
    return op;
  }

  private resting() {
    const m = this.rng.pick(MARKETS);
    const side = this.rng.chance(0.5) ? "buy" : "sell";
    const off = m.step * BigInt(1 + this.rng.int(30));
    const price = side === "buy" ? m.mid - off : m.mid + off;
    const expiry = this.rng.chance(0.15) ? BigInt(Date.now() + 100 + this.rng.int(2_000)) : 0n;
    return this.order(m, side, price, this.rng.chance(0.8) ? TIF_POST_ONLY : TIF_GTC, { expiry, rest: true });
  }

  private crossing() {
    const m = this.rng.pick(MARKETS);
    const side = this.rng.chance(0.5) ? "buy" : "sell";
    const gtc = this.rng.chance(0.25);
    const off = m.step * BigInt(gtc ? 1 + this.rng.int(5) : 31);
    return this.order(m, side, side === "buy" ? m.mid + off : m.mid - off, gtc ? TIF_GTC : TIF_IOC, { rest: gtc });
  }

  private cancel() {
    if (this.open.length === 0) return this.resting();
    const i = this.rng.int(this.open.length);
    const { coid } = this.open[i]!;
    this.open.splice(i, 1);
    return this.signer.sign({ type: "CancelOrder", account: this.account, slot: CANCEL_BY_CLIENT_ID, clientOrderId: coid });
  }

  private cancelAll() {
    const market = this.rng.pick([0, 1, ALL_MARKETS]);
    this.open = market === ALL_MARKETS ? [] : this.open.filter((o) => o.market !== market);
    return this.signer.sign({ type: "CancelAll", account: this.account, market });
  }

  private transfer(others: Client[]) {
    const to = this.rng.pick(others.filter((c) => c !== this && c.account >= 0));
    return this.signer.sign({ type: "Transfer", account: this.account, to: to.account, asset: 0, amount: USD * BigInt(1 + this.rng.int(50)) });
  }

  private anyOp(others: Client[]) {
    const x = this.rng.int(100);
    if (x < 40) return this.resting();
    if (x < 65) return this.crossing();
    if (x < 80) return this.cancel();
    if (x < 88) return this.cancelAll();
    return this.transfer(others);
  }

  /** One request: a single op, a multi-op request, a cancel-replace, a deposit or a read. */
  async step(url: string, others: Client[]): Promise<void> {
    const x = this.rng.int(100);
    this.requests++;
    if (x < 62 || (x >= 82 && x < 92 && this.open.length === 0)) {
      const op = this.anyOp(others);
      const r = await call(url, "/v1/op", op);
      if (r.status === 200) this.receipt(op, r.json);
      else this.refusal(r.json, r.status);
    } else if (x < 82) {
      const ops = Array.from({ length: 2 + this.rng.int(5) }, () => this.anyOp(others));
      const r = await call(url, "/v1/ops", { ops });
      if (r.status !== 200) return this.refusal(r.json, r.status);
      expect(r.json.results).toHaveLength(ops.length);
      r.json.results.forEach((res: any, i: number) => (res.error ? this.refusal(res.error, 400) : this.receipt(ops[i]!, res)));
    } else if (x < 92) {
      const cancel = this.cancel();
      const place = this.resting();
      const r = await call(url, "/v1/orders/modify", { cancel, place });
      if (r.status !== 200) return this.refusal(r.json, r.status);
      // A refused place is answered beside the cancel's receipt (docs/api.md).
      this.receipt(cancel, r.json.cancel);
      if (r.json.place.error) this.refusal(r.json.place.error, 400);
      else this.receipt(place, r.json.place);
    } else if (x < 95) {
      this.requests--;
      await this.deposit(url, 1_000n * USD);
    } else {
      const r = await call(url, `/v1/markets/${this.rng.int(2)}/book?levels=5`);
      if (r.status !== 200) this.refusal(r.json, r.status);
    }
  }

  /** Sends requests until the sequencer goes away, `stop` is set or the round's budget is spent. */
  async run(url: string, others: Client[], phase: { stop: boolean }): Promise<void> {
    for (let n = 0; n < MAX_REQUESTS_PER_ROUND && !phase.stop; n++) {
      try {
        await this.step(url, others);
      } catch (e) {
        if (!(e instanceof Down)) throw e;
        this.downs++;
        return;
      }
    }
  }
}

// ─── Checks ────────────────────────────────────────────────────────────────────────────

interface Info {
  seq: number;
  root: string;
}

/**
 * Copies the live file with SQLite's online backup: a consistent snapshot while the child
 * keeps it open, and the child stays its only writer.
 */
async function copyLog(db: string, copy: string): Promise<void> {
  for (const f of [copy, `${copy}-wal`, `${copy}-shm`]) rmSync(f, { force: true });
  const src = new Database(db, { readonly: true, fileMustExist: true });
  try {
    await src.backup(copy);
  } finally {
    src.close();
  }
}

/**
 * Checks the copy's log against the acknowledgements received before it was taken
 * (`expected`), and replays it independently.
 */
function checkCopy(copy: string, info: Info, expected: ReadonlyMap<number, Expected>, genesis: ReturnType<typeof apiGenesis>) {
  const log = new OpLog(copy, { synchronous: "NORMAL" });
  let last: number;
  let matched = 0;
  try {
    last = log.lastSeq();
    expect(last, "the log holds what the restarted sequencer reports").toBe(info.seq);
    let want = 1;
    for (const o of log.readFrom(1)) {
      expect(o.seq, "contiguous seqs").toBe(want++);
      const op = o.op.op;
      // (d) a refused signed op is answered, never logged.
      if (isSignedByAccount(op) || op.type === "OracleUpdate") {
        if (!o.ok) throw new Error(`seq ${o.seq}: a signed ${op.type} is logged refused (${o.reason})`);
      }
      const e = expected.get(o.seq);
      if (e === undefined) continue;
      matched++;
      const where = `acknowledged seq ${o.seq} (client ${e.client}, ${e.kind === "fill" ? `fill of seq ${e.parentSeq}` : e.kind})`;
      if (e.kind === "signed") {
        expect(opToJson(op), where).toEqual(e.op);
        expect(String(o.op.timestamp), where).toBe(e.timestamp);
        expect(o.ctx.signer?.toLowerCase(), where).toBe(e.signer);
        expect(o.ok, where).toBe(true);
      } else if (e.kind === "fill") {
        expect(op.type, where).toBe("Fill");
        expect(String(o.op.timestamp), where).toBe(e.timestamp);
        expect(o.ok, where).toBe(e.ok);
        if (op.type === "Fill" && e.fill) {
          expect({ maker: op.makerAccount, taker: op.takerAccount, price: String(op.price), size: String(op.size) }, where).toEqual(e.fill);
        }
      } else {
        expect(op.type, where).toBe("Deposit");
        if (op.type === "Deposit") expect({ owner: op.owner.toLowerCase(), amount: String(op.amount), account: op.account }, where).toEqual({ owner: e.owner, amount: e.amount, account: e.account });
        expect(o.ok, where).toBe(true);
      }
    }
    expect(want - 1).toBe(last);
    // (a) every acknowledged seq is within the log (and was matched above).
    const missing = [...expected.keys()].filter((s) => s > last);
    expect(missing, "acknowledged seqs beyond the end of the log").toEqual([]);
    expect(matched).toBe(expected.size);
    // Sealed batches chain over the log.
    const batches = log.batches(0, 1_000_000);
    batches.forEach((b, i) => {
      expect(b.fromSeq).toBe(i === 0 ? 1 : batches[i - 1]!.toSeq + 1);
      if (i > 0) expect(bytesToHex(b.preRoot)).toBe(bytesToHex(batches[i - 1]!.postRoot));
    });
    if (batches.length > 0) expect(batches[batches.length - 1]!.toSeq).toBeLessThanOrEqual(last);
  } finally {
    log.close();
  }

  // (c) an independent replay: the STF alone, from genesis, over the whole log.
  const r = recover(copy, genesis, { ignoreSnapshots: true, collectReceipts: false });
  try {
    expect(r.seq).toBe(info.seq);
    expect(bytesToHex(r.root), "root of the restarted sequencer = independent replay of the log").toBe(info.root);
  } finally {
    r.log.close();
  }
  return { last, matched };
}

// ─── The test ──────────────────────────────────────────────────────────────────────────

let child: SequencerChild | undefined;
afterAll(async () => {
  await child?.kill();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

describe("sequencer crash durability through the API", () => {
  it(`every acknowledged op survives SIGKILL of the sequencer process, in order, and the root is the log's (${ROUNDS} kills)`, { timeout: 120_000 }, async () => {
    const t0 = performance.now();
    const dir = mkdtempSync(join(tmpdir(), "cm-api-crash-"));
    const db = join(dir, "seq.db");
    const copy = join(dir, "check.db");
    const genesis = apiGenesis();
    const genesisFile = writeGenesisFile(join(dir, "genesis.json"), genesis);
    const args = [
      "--db", db,
      "--port", "0",
      "--genesis", genesisFile,
      "--dev-deposits",
      "--synchronous", "FULL",
      "--chain-id", String(DOMAIN.chainId),
      "--rollup", DOMAIN.verifyingContract,
      "--signature-workers", "1",
      "--rate-limit", "0",
      // Seal and snapshot often, so kills also land in batch seals and snapshot writes.
      "--batch-interval-ms", "50",
      "--snapshot-every-ops", "500",
    ];
    const rng = new Rng(SEED);
    const clients = Array.from({ length: CLIENTS }, (_, i) => new Client(i, SEED * 31 + i));

    child = await SequencerChild.start(args);
    expect(child.started.seq).toBe(0);
    for (const c of clients) await c.deposit(child.url, 1_000_000n * USD);
    expect(clients.map((c) => c.account)).toEqual(clients.map((_, i) => i));
    console.log(`setup: child started in ${child.spawnMs.toFixed(0)} ms, ${CLIENTS} accounts funded; op log ${db} (kept when the test fails)`);

    let totalAcks = expected.size;
    /** The previous round's check, run while the restarted child loads its signature workers. */
    let pendingCheck: (() => void) | null = null;
    for (let round = 0; round < ROUNDS; round++) {
      ackedThisRound = 0;
      const phase = { stop: false };
      const url = child.url;
      // The kill is timed from the first acknowledged signed op after the restart: until then
      // the child is still loading its signature workers (~1 s after "started") and only dev
      // deposits (no signature) can be acknowledged.
      const serving = new Promise<void>((resolve) => (onSignedAck = resolve));
      // A client failing (anything but the expected connection errors) ends the round at once.
      const loops = Promise.all(clients.map((c) => c.run(url, clients, phase)));
      const failed = loops.then(() => new Promise<never>(() => {}));
      const tr = performance.now();
      (pendingCheck as (() => void) | null)?.();
      pendingCheck = null;
      await Promise.race([withTimeout(serving, 20_000, `round ${round}: nothing acknowledged within 20 s of the restart`), failed]);
      const readyMs = performance.now() - tr;
      const delay = 50 + rng.int(551);
      await Promise.race([sleep(delay), failed]);
      const ended = await child.kill();
      expect(ended.signal, `the child died by itself: ${child.errors}`).toBe("SIGKILL");
      expect(child.errors, "the child wrote to stderr").toBe("");
      phase.stop = true;
      await loops;
      const acks = ackedThisRound;
      totalAcks += acks;

      child = await SequencerChild.start(args);
      const { started, spawnMs } = child;
      const info = (await call(child.url, "/v1/info")).json as Info;
      expect(info.seq).toBe(started.seq);
      expect(info.root).toBe(started.root);
      // Copy the log and the acknowledgements now, before the next round's clients send
      // anything; check them while the child warms up (the check is synchronous).
      await copyLog(db, copy);
      const acked = new Map(expected);
      pendingCheck = () => {
        const tc = performance.now();
        const { last } = checkCopy(copy, info, acked, genesis);
        console.log(
          `round ${String(round).padStart(2)}: first signed ack ${readyMs.toFixed(0)} ms after the clients started, kill ${String(delay).padStart(3)} ms later, ` +
            `${String(acks).padStart(3)} acks (${totalAcks} total), log ${last} ops, restart ${spawnMs.toFixed(0)} ms ` +
            `(snapshot ${started.snapshotSeq ?? 0} + ${started.replayed} replayed in ${started.startMs} ms), checks ${(performance.now() - tc).toFixed(0)} ms`,
        );
      };
    }
    (pendingCheck as (() => void) | null)?.();

    const refused = new Map<string, number>();
    for (const c of clients) for (const [k, v] of c.refused) refused.set(k, (refused.get(k) ?? 0) + v);
    const fills = [...expected.values()].filter((e) => e.kind === "fill").length;
    const refusedFills = [...expected.values()].filter((e) => e.kind === "fill" && !e.ok).length;
    console.log(
      `${ROUNDS} kills in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${expected.size} acknowledged seqs (${fills} fills, ${refusedFills} of them refused), ` +
        `${clients.reduce((s, c) => s + c.requests, 0)} requests, ${clients.reduce((s, c) => s + c.downs, 0)} cut off by kills; ` +
        `refused: ${JSON.stringify(Object.fromEntries(refused))}`,
    );
    expect(fills).toBeGreaterThan(50);
    expect(expected.size).toBeGreaterThan(500);
    await child.kill();
    child = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
});
