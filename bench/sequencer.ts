/**
 * End-to-end sequencer bench (issue 5): the real CLI as a child process (SQLite op log with
 * synchronous=FULL, worker-pool signature recovery, HTTP on loopback), driven by concurrent
 * clients posting pre-signed operations in the reference mix (WORKLOAD.md).
 *
 *  - seq.ops_per_s: accepted signed operations per second at saturation (closed loop);
 *  - seq.ack_p50_ms / seq.ack_p99_ms: acknowledgement latency per request, open loop at half
 *    the saturated rate;
 *  - seq.sig_ceiling_per_s: native recoveries/s on all cores, measured in the same run.
 *
 * Traffic: 50 market makers (80% of messages: post-only quotes around the price and cancels
 * by client order id of their oldest quote) and a Zipf tail of takers (IOC orders through
 * the spread, so fills happen), oracle updates for all markets (2%), transfers (1.5%) and
 * session-key grants/revocations (0.4%). Funding ticks (0.1%) are the sequencer's own and are
 * not client traffic. Operations are signed before the clock starts (native secp256k1), with
 * per-account nonces; each account is served by one connection so its nonces arrive in order.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { opToJson, toJson } from "../sequencer/api/schema.js";
import { bytesToHex, hexToBytes } from "../sequencer/state/bytes.js";
import { FLAG_SELL, PRICE_KIND_ASSET, PRICE_KIND_MARKET, TIF_IOC, TIF_POST_ONLY, TIF_SHIFT, CANCEL_BY_CLIENT_ID } from "../sequencer/state/constants.js";
import { type Op, type SignedOp, signingDigest } from "../sequencer/state/index.js";
import type { OracleUpdate } from "../sequencer/state/ops.js";
import { signatureBench } from "./signatures.js";
import { BENCH_DOMAIN, ETH_MARKET, MARKETS, MARKET_MAKERS, ORACLE_KEYS, Population, Rng, ZipfSampler, workloadGenesis } from "./workload.js";

const require = createRequire(import.meta.url);
const secp: { ecdsaSign(msg: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number } } = require("secp256k1");

const USD = 1_000_000n;

export interface SeqBenchOptions {
  accounts?: number;
  /** Operations pre-signed for the saturated phase and for the half-load phase. */
  saturatedOps?: number;
  halfLoadOps?: number;
  connections?: number;
  opsPerRequest?: number;
  /** Hard bound on each phase. */
  phaseSeconds?: number;
  log?: (s: string) => void;
}

export interface SeqEntry {
  name: string;
  value: number;
  unit: string;
  target?: { op: ">=" | "<="; value: number };
  vs?: string;
}

export function signNative(op: SignedOp | OracleUpdate, key: Uint8Array): `0x${string}` {
  const { signature, recid } = secp.ecdsaSign(signingDigest(op, BENCH_DOMAIN), key);
  const out = new Uint8Array(65);
  out.set(signature, 0);
  out[64] = 27 + recid;
  return bytesToHex(out);
}

/** Per-account operation streams in the reference mix, signed. */
class Traffic {
  readonly rng = new Rng(7);
  private readonly keys: Uint8Array[] = [];
  private readonly nonces: bigint[] = [];
  private readonly openQuotes: bigint[][] = [];
  private readonly clientIds: bigint[] = [];
  private readonly grantedKey: (string | null)[] = [];
  private readonly tail: ZipfSampler;
  private oracleTs: bigint;
  constructor(
    readonly pop: Population,
    start: bigint,
  ) {
    for (let i = 0; i < pop.accounts; i++) {
      this.keys.push(hexToBytes(pop.privateKey(i)));
      this.nonces.push(start);
      this.openQuotes.push([]);
      this.clientIds.push(0n);
      this.grantedKey.push(null);
    }
    this.tail = new ZipfSampler(pop.accounts - MARKET_MAKERS);
    this.oracleTs = start;
  }

  private signed(op: SignedOp): Op {
    this.nonces[op.account] = (this.nonces[op.account] ?? 0n) + 1n;
    op.nonce = this.nonces[op.account]!;
    op.signature = signNative(op, this.keys[op.account]!);
    return op;
  }

  /** One client message: [account stream key, op]. Oracle updates use key -1. */
  next(): [number, Op] {
    if (this.rng.float() < 0.02) return [-1, this.oracle()];
    const m = Math.floor(this.rng.float() * MARKETS.length);
    // Market makers send 80% of messages, quotes and cancels 55:33. The tail sends the
    // takers (8% of all), funds (1.5%), session keys (0.4%) and the rest of the quoting.
    if (this.rng.float() < 0.8) {
      const account = Math.floor(this.rng.float() * MARKET_MAKERS);
      return [account, this.rng.float() < 55 / 88 || this.openQuotes[account]!.length === 0 ? this.quote(account, m) : this.cancel(account)];
    }
    const account = MARKET_MAKERS + this.tail.sample(this.rng);
    const r = this.rng.float() * 19.6;
    if (r < 8) return [account, this.taker(account, m)];
    if (r < 9.5) return [account, this.transfer(account)];
    if (r < 9.9) return [account, this.sessionKey(account)];
    return [account, r < 9.9 + 9.7 * (55 / 88) || this.openQuotes[account]!.length === 0 ? this.quote(account, m) : this.cancel(account)];
  }

  private quote(account: number, m: number): Op {
    const q = this.openQuotes[account]!;
    // Keep within the 64 order slots: the oldest quote is cancelled first.
    if (q.length >= 48) return this.cancel(account);
    const spec = MARKETS[m]!;
    const sell = this.rng.float() < 0.5;
    const away = BigInt(5 + Math.floor(this.rng.float() * 50)); // 5..55 bps from the price
    const offset = ((spec.price * away) / 10_000n / spec.tickSize) * spec.tickSize;
    const price = sell ? spec.price + offset : spec.price - offset;
    const id = ++this.clientIds[account]!;
    q.push(id);
    return this.signed({ type: "PlaceOrder", account, nonce: 0n, market: m, flags: (sell ? FLAG_SELL : 0) | (TIF_POST_ONLY << TIF_SHIFT), price, size: spec.lotSize * BigInt(1 + Math.floor(this.rng.float() * 5)), expiry: 0n, clientOrderId: id, signature: "0x" });
  }

  private cancel(account: number): Op {
    const id = this.openQuotes[account]!.shift()!;
    return this.signed({ type: "CancelOrder", account, nonce: 0n, slot: CANCEL_BY_CLIENT_ID, clientOrderId: id, signature: "0x" });
  }

  private taker(account: number, m: number): Op {
    const spec = MARKETS[m]!;
    const sell = this.rng.float() < 0.5;
    const through = ((spec.price * 100n) / 10_000n / spec.tickSize) * spec.tickSize; // 1% through the price
    const price = sell ? spec.price - through : spec.price + through;
    return this.signed({ type: "PlaceOrder", account, nonce: 0n, market: m, flags: (sell ? FLAG_SELL : 0) | (TIF_IOC << TIF_SHIFT), price, size: spec.lotSize * 2n, expiry: 0n, clientOrderId: 0n, signature: "0x" });
  }

  private transfer(account: number): Op {
    const to = account === MARKET_MAKERS ? MARKET_MAKERS + 1 : MARKET_MAKERS;
    return this.signed({ type: "Transfer", account, nonce: 0n, to, asset: 0, amount: 1n * USD, signature: "0x" });
  }

  private sessionKey(account: number): Op {
    const k = this.grantedKey[account];
    if (k) {
      this.grantedKey[account] = null;
      return this.signed({ type: "RevokeSessionKey", account, nonce: 0n, key: k as `0x${string}`, signature: "0x" });
    }
    const key = `0x${(0xbe00 + account).toString(16).padStart(40, "0")}` as const;
    this.grantedKey[account] = key;
    return this.signed({ type: "GrantSessionKey", account, nonce: 0n, key, expiry: this.nonces[account]! + 86_400_000n, signature: "0x" });
  }

  oracle(): OracleUpdate {
    this.oracleTs += 1n;
    const prices = MARKETS.map((s, id) => ({ kind: PRICE_KIND_MARKET, id, price: s.price }));
    prices.push({ kind: PRICE_KIND_ASSET, id: 1, price: MARKETS[ETH_MARKET]!.price });
    const op: OracleUpdate = { type: "OracleUpdate", timestamp: this.oracleTs, prices, signatures: [] };
    op.signatures = ORACLE_KEYS.slice(0, 2).map((k) => signNative(op, hexToBytes(k)));
    return op;
  }
}

export async function startChild(dir: string, log: (s: string) => void): Promise<{ child: ChildProcess; url: string }> {
  const genesis = workloadGenesis();
  writeFileSync(join(dir, "genesis.json"), JSON.stringify(toJson(genesis)));
  const child = spawn(
    process.execPath,
    [
      // e.g. SEQ_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the sequencer.
      ...(process.env.SEQ_NODE_ARGS ?? "").split(" ").filter(Boolean),
      "--import",
      "tsx",
      "sequencer/cli.ts",
      "sequencer",
      "--db",
      join(dir, "seq.db"),
      "--port",
      "0",
      "--genesis",
      join(dir, "genesis.json"),
      "--dev-deposits",
      "--rate-limit",
      "0",
      ...(process.env.SEQ_EXTRA_ARGS ?? "").split(" ").filter(Boolean),
      "--synchronous",
      "FULL",
      "--chain-id",
      String(BENCH_DOMAIN.chainId),
      "--rollup",
      BENCH_DOMAIN.verifyingContract,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stderr!.on("data", (d) => log(`  sequencer: ${String(d).trim()}`));
  const url = await new Promise<string>((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (d) => {
      buf += String(d);
      const line = buf.split("\n").find((l) => l.includes('"started"'));
      if (line) resolve(JSON.parse(line).url);
    });
    child.once("exit", (code) => reject(new Error(`sequencer exited with ${code}`)));
  });
  return { child, url };
}

export async function postJson(url: string, body: unknown): Promise<any> {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return r.json();
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export interface PhaseResult {
  accepted: number;
  refused: Record<string, number>;
  seconds: number;
  latencies: number[];
  requests: number;
}

/**
 * Sends each connection's queue as POST /v1/ops requests. Closed loop when `interval` is 0
 * (next request as soon as the answer arrives); else open loop, one request per connection
 * every `interval` ms on a fixed schedule (latency counted from the scheduled send time).
 */
export async function phase(url: string, queues: string[][][], intervalMs: number, seconds: number): Promise<PhaseResult> {
  const res: PhaseResult = { accepted: 0, refused: {}, seconds: 0, latencies: [], requests: 0 };
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    queues.map(async (reqs, c) => {
      for (let i = 0; i < reqs.length && performance.now() < deadline; i++) {
        let sendAt = performance.now();
        if (intervalMs > 0) {
          sendAt = t0 + (i + c / queues.length) * intervalMs;
          const wait = sendAt - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        const r = await fetch(`${url}/v1/ops`, { method: "POST", headers: { "content-type": "application/json" }, body: `{"ops":[${reqs[i]!.join(",")}]}` });
        const json = (await r.json()) as { results?: { ok?: boolean; error?: { code: string } }[]; code?: string };
        res.latencies.push(performance.now() - sendAt);
        res.requests++;
        if (!json.results) throw new Error(`request refused: ${JSON.stringify(json)}`);
        for (const x of json.results) {
          if (x.error) res.refused[x.error.code] = (res.refused[x.error.code] ?? 0) + 1;
          else res.accepted++;
        }
      }
    }),
  );
  res.seconds = (performance.now() - t0) / 1000;
  return res;
}

export async function sequencerBench(o: SeqBenchOptions = {}): Promise<SeqEntry[]> {
  const log = o.log ?? (() => {});
  const accounts = o.accounts ?? 1_000;
  const connections = o.connections ?? 16;
  const perRequest = o.opsPerRequest ?? 16;
  const satOps = o.saturatedOps ?? 60_000;
  const halfOps = o.halfLoadOps ?? 20_000;
  const seconds = o.phaseSeconds ?? 20;

  const [ceiling] = await signatureBench(20_000);
  log(`  signature ceiling ${Math.round(ceiling!.value)} ops/s (${ceiling!.vs})`);

  const dir = mkdtempSync(join(tmpdir(), "cm-seqbench-"));
  const { child, url } = await startChild(dir, log);
  try {
    const pop = new Population(accounts, true, 3);
    log(`  funding ${accounts} accounts through dev deposits…`);
    for (let i = 0; i < accounts; i++) {
      const amount = i < MARKET_MAKERS ? 50_000_000n * USD : 1_000_000n * USD;
      const r = await postJson(`${url}/v1/dev/deposit`, { owner: pop.owner(i), asset: 0, amount: String(amount) });
      if (r.account !== i) throw new Error(`deposit ${i}: ${JSON.stringify(r)}`);
    }
    const traffic = new Traffic(pop, BigInt(Date.now()));
    const first = await postJson(`${url}/v1/op`, opToJson(traffic.oracle()));
    if (!first.ok) throw new Error(`oracle update refused: ${JSON.stringify(first)}`);

    /** Pre-signs `n` messages, sharded by account over the connections (oracle updates on connection 0). */
    const build = (n: number): string[][][] => {
      const per: string[][] = Array.from({ length: connections }, () => []);
      for (let i = 0; i < n; i++) {
        const [acct, op] = traffic.next();
        per[acct < 0 ? 0 : acct % connections]!.push(JSON.stringify(opToJson(op)));
      }
      return per.map((ops) => {
        const reqs: string[][] = [];
        for (let i = 0; i < ops.length; i += perRequest) reqs.push(ops.slice(i, i + perRequest));
        return reqs;
      });
    };
    // Built in the order they are sent: each account's nonces (and the oracle's timestamps) rise.
    let t = performance.now();
    const warm = build(2_000);
    const sat = build(satOps);
    const half = build(halfOps);
    log(`  signed ${2_000 + satOps + halfOps} ops in ${((performance.now() - t) / 1000).toFixed(1)} s; saturating with ${connections} connections × ${perRequest} ops/request…`);
    // Warm-up: JIT, worker threads, SQLite pages (not counted).
    await phase(url, warm, 0, seconds);
    const s = await phase(url, sat, 0, seconds);
    const rate = s.accepted / s.seconds;
    log(`  saturated: ${s.accepted} accepted in ${s.seconds.toFixed(2)} s = ${Math.round(rate)}/s; refused ${JSON.stringify(s.refused)}`);

    // Open loop at half the saturated rate: each connection sends one request every `interval` ms.
    const interval = (connections * perRequest * 1000) / (rate / 2);
    const h = await phase(url, half, interval, seconds);
    log(`  half load: ${h.requests} requests, ${Math.round(h.accepted / h.seconds)}/s accepted; refused ${JSON.stringify(h.refused)}`);
    const p50 = percentile(h.latencies, 50);
    const p99 = percentile(h.latencies, 99);
    const refusedShare = (Object.values(s.refused).reduce((a, b) => a + b, 0) / (s.accepted + Object.values(s.refused).reduce((a, b) => a + b, 0))) * 100;
    return [
      {
        name: "seq.ops_per_s",
        value: rate,
        unit: "ops/s",
        target: { op: ">=", value: 0.7 * ceiling!.value },
        vs: `${((rate / ceiling!.value) * 100).toFixed(0)}% of seq.sig_ceiling_per_s (target 70%); ${connections} connections × ${perRequest} ops/request, synchronous=FULL, ${refusedShare.toFixed(1)}% refused by the STF`,
      },
      { name: "seq.ack_p50_ms", value: p50, unit: "ms", vs: `open loop at ${Math.round(h.accepted / h.seconds)} ops/s (half of saturation), per ${perRequest}-op request` },
      { name: "seq.ack_p99_ms", value: p99, unit: "ms", target: { op: "<=", value: 10 }, vs: `same run; saturated p99 ${percentile(s.latencies, 99).toFixed(1)} ms` },
      { ...ceiling!, target: undefined },
    ];
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("sequencer.ts")) {
  for (const e of await sequencerBench({ log: (s) => process.stderr.write(`${s}\n`) })) console.log(`${e.name}\t${e.value.toFixed(2)}\t${e.unit}\t${e.vs ?? ""}`);
}
