/**
 * General sequencer vs ours, and on-chain-only execution vs the rollup.
 *
 * One order flow (`orderFlow`), in the reference mix's proportions of order messages
 * (WORKLOAD.md: quotes 55, cancels 33, takers 8): 50 market makers quote post-only 5–55 bps
 * from the price and cancel their oldest quote by client id; a Zipf tail of takers each takes
 * the best resting quote of a market and side, whole, at its price. Every message is one
 * transaction on the general chain and one signed operation on ours, so both sides get the
 * same N messages:
 *
 *  - anvil (Foundry's EVM node, from npm, loopback): `MiniMargin.place / cancel / fill`
 *    (contracts/src/test/MiniMargin.sol), each a pre-signed EIP-1559 transaction from the
 *    message's own account, sent as JSON-RPC batches of `perRequest` over `connections`
 *    concurrent connections (an account always on the same one, so its nonces arrive in
 *    order). Two ways, each on a fresh anvil: automine (a block is mined as transactions
 *    arrive: the general node's lowest-latency setting) and `--no-mining` with explicit
 *    `evm_mine` calls at the end of each chunk until its pool is empty (blocks filled up to
 *    the default 30M gas limit). A chunk counts once every transaction of it is mined.
 *  - ours: the sequencer CLI as a child process (bench/sequencer.ts `startChild`: SQLite op
 *    log with synchronous=FULL, signature workers, HTTP on loopback) receiving the same
 *    messages as signed operations (takers as IOC orders at the quote's price) through
 *    `POST /v1/ops`, batches of `perRequest`, the same connections and account mapping.
 *
 * The flow is cut into chunks with a barrier between them (both sides): a taker only takes
 * quotes from earlier chunks, so on the chain its `fill` never runs before the `place` it
 * names, whichever connection carried it. Before each chunk ours receives a fresh oracle
 * update (untimed; the chain's prices are set once and never go stale).
 *
 * The on-chain cost of a fill is read from the fill transactions' receipts (gasUsed: 21k,
 * calldata and execution); the rollup's is the gas of posting reference batches with
 * `Rollup.submitBatch` on the same anvil (receipts again), see `rollupPostingGas`.
 */
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Abi, type Address, type Hex, encodeAbiParameters, encodeFunctionData, keccak256, serializeTransaction } from "viem";
import { opToJson } from "../../sequencer/api/schema.js";
import { hexToBytes } from "../../sequencer/state/bytes.js";
import { CANCEL_BY_CLIENT_ID, FLAG_SELL, PRICE_KIND_ASSET, PRICE_KIND_MARKET, TIF_IOC, TIF_POST_ONLY, TIF_SHIFT } from "../../sequencer/state/constants.js";
import type { Op, OracleUpdate } from "../../sequencer/state/ops.js";
import { type Anvil, startAnvil } from "../../sequencer/l1/anvil.js";
import { loadArtifact } from "../../sequencer/l1/artifacts.js";
import { SIZE_SCALE } from "../../sequencer/state/constants.js";
import { phase, postJson, signNative, startChild } from "../sequencer.js";
import { ETH_MARKET, MARKETS, MARKET_MAKERS, ORACLE_KEYS, Population, Rng, ZipfSampler } from "../workload.js";

const require = createRequire(import.meta.url);
const secp: { ecdsaSign(msg: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number } } = require("secp256k1");

const USD = 1_000_000n;
/** Chunks run first on each side and not counted (sockets, caches, the sequencer's JIT and workers). */
export const WARMUP_CHUNKS = 1;

// ─── The order flow ───────────────────────────────────────────────────────────────────

export type FlowMsg =
  | { kind: "quote"; account: number; clientId: bigint; market: number; sell: boolean; price: bigint; size: bigint }
  | { kind: "cancel"; account: number; clientId: bigint }
  | { kind: "take"; account: number; makerAccount: number; makerClientId: bigint; market: number; makerSells: boolean; price: bigint; size: bigint };

interface Quote {
  account: number;
  clientId: bigint;
  market: number;
  sell: boolean;
  price: bigint;
  size: bigint;
  chunk: number;
  seq: number;
  live: boolean;
}

export interface FlowOptions {
  accounts: number;
  messages: number;
  chunk: number;
  seed?: number;
}

/**
 * The flow, in chunks. Deterministic (integer PRNG). A take names the best live quote of its
 * market and side (oldest first at a price), and only when that quote is from an earlier
 * chunk; otherwise the message becomes a quote. Takes are never cancelled later (the quote
 * is consumed), so the chain and our engine see the same book.
 */
export function orderFlow(o: FlowOptions): FlowMsg[][] {
  if (o.accounts <= MARKET_MAKERS + 1) throw new Error(`orderFlow: need more than ${MARKET_MAKERS + 1} accounts`);
  const rng = new Rng(o.seed ?? 5);
  const tail = new ZipfSampler(o.accounts - MARKET_MAKERS);
  const open: Quote[][] = Array.from({ length: MARKET_MAKERS }, () => []);
  /** book[market][sell ? 1 : 0]: live quotes. */
  const book: Quote[][][] = MARKETS.map(() => [[], []]);
  const nextId: bigint[] = new Array<bigint>(o.accounts).fill(0n);
  const chunks: FlowMsg[][] = [];
  let seq = 0;
  for (let c = 0; c * o.chunk < o.messages; c++) {
    const out: FlowMsg[] = [];
    const n = Math.min(o.chunk, o.messages - c * o.chunk);
    const quote = (account: number): FlowMsg => {
      const q = open[account]!;
      if (q.length >= 48) return cancel(account); // stay well inside the 64 order slots
      const market = rng.int(MARKETS.length);
      const spec = MARKETS[market]!;
      const sell = rng.chance(0.5);
      const awayTicks = BigInt(50 + rng.int(500)); // 5..55 bps: the tick is 1e-5 of the price
      const price = sell ? spec.price + awayTicks * spec.tickSize : spec.price - awayTicks * spec.tickSize;
      const lotUsd = Number((spec.lotSize * spec.price) / SIZE_SCALE) / Number(USD);
      const size = spec.lotSize * BigInt(Math.max(1, Math.round((500 + rng.int(4_500)) / Math.max(lotUsd, 1e-9))));
      const clientId = ++nextId[account]!;
      const e: Quote = { account, clientId, market, sell, price, size, chunk: c, seq: seq++, live: true };
      q.push(e);
      book[market]![sell ? 1 : 0]!.push(e);
      return { kind: "quote", account, clientId, market, sell, price, size };
    };
    const cancel = (account: number): FlowMsg => {
      const q = open[account]!;
      const e = q.shift();
      if (!e) return quote(account);
      e.live = false;
      return { kind: "cancel", account, clientId: e.clientId };
    };
    const take = (): FlowMsg | null => {
      const account = MARKET_MAKERS + tail.sample(rng);
      for (let attempt = 0; attempt < 4; attempt++) {
        const market = rng.int(MARKETS.length);
        const makerSells = rng.chance(0.5);
        const side = book[market]![makerSells ? 1 : 0]!;
        let best: Quote | null = null;
        for (let i = side.length - 1; i >= 0; i--) {
          const e = side[i]!;
          if (!e.live) {
            side.splice(i, 1);
            continue;
          }
          const better = best === null || (makerSells ? e.price < best.price : e.price > best.price) || (e.price === best.price && e.seq < best.seq);
          if (better) best = e;
        }
        if (best === null || best.chunk === c) continue;
        best.live = false;
        const q = open[best.account]!;
        q.splice(q.indexOf(best), 1);
        return { kind: "take", account, makerAccount: best.account, makerClientId: best.clientId, market, makerSells, price: best.price, size: best.size };
      }
      return null;
    };
    for (let i = 0; i < n; i++) {
      const u = rng.int(96); // quotes 55 : cancels 33 : takers 8 (the mix's order messages)
      const mm = rng.int(MARKET_MAKERS);
      if (u < 55) out.push(quote(mm));
      else if (u < 88) out.push(open[mm]!.length > 0 ? cancel(mm) : quote(mm));
      else out.push(take() ?? quote(mm));
    }
    chunks.push(out);
  }
  return chunks;
}

// ─── Results ──────────────────────────────────────────────────────────────────────────

export interface SideRun {
  messages: number;
  accepted: number;
  refused: number;
  seconds: number;
  perSec: number;
}

export interface ChainRun extends SideRun {
  mode: "automine" | "no-mining";
  blocks: number;
  /** gasUsed of every successful fill transaction's receipt, and of the whole stream. */
  fillGas: number[];
  fills: number;
  totalGas: number;
  /** Transactions anvil lost from its pool and the bench sent again (see Rebroadcast). */
  resent: number;
}

// ─── The general chain ────────────────────────────────────────────────────────────────

const miniAbi = () => loadArtifact("MiniMargin").abi;
const erc20Abi = () => loadArtifact("MockERC20").abi;

/** A pre-signed EIP-1559 transaction, signed natively (the JS signer would dominate setup). */
function signTx(key: Uint8Array, tx: { chainId: number; nonce: number; to: Address; data: Hex; gas: bigint }): Hex {
  const unsigned = { type: "eip1559" as const, chainId: tx.chainId, nonce: tx.nonce, to: tx.to, data: tx.data, gas: tx.gas, maxFeePerGas: 100_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, value: 0n };
  const { signature, recid } = secp.ecdsaSign(hexToBytes(keccak256(serializeTransaction(unsigned))), key);
  const hex = Buffer.from(signature).toString("hex");
  return serializeTransaction(unsigned, { r: `0x${hex.slice(0, 64)}`, s: `0x${hex.slice(64)}`, yParity: recid });
}

async function rpcBatch(url: string, method: string, params: unknown[][]): Promise<unknown[]> {
  const body = params.map((p, id) => ({ jsonrpc: "2.0", id, method, params: p }));
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = (await r.json()) as { id: number; result?: unknown; error?: { message: string } }[];
  const out = new Array<unknown>(params.length);
  for (const x of json) {
    if (x.error) throw new Error(`${method}: ${x.error.message}`);
    out[x.id] = x.result;
  }
  return out;
}

/** A signed raw transaction, who sent it (account index; -1 for the deployer) and its nonce. */
interface RawTx {
  raw: Hex;
  from: number;
  addr: Hex;
  nonce: number;
}

/**
 * Every transaction sent, by sender and nonce, to send again what anvil's pool lost.
 * NOTE: anvil 1.7 under load was seen to drop some of a sender's transactions from its pool
 * (the later nonces then wait as "queued" forever), with automine and with --no-mining alike.
 * A wallet would re-broadcast them; so does the bench, and the report counts how many.
 */
class Rebroadcast {
  private readonly raws = new Map<string, Hex>();
  /** Sender → the nonce after the last one sent. */
  private readonly expected = new Map<string, number>();
  resent = 0;
  remember(txs: readonly RawTx[]): void {
    for (const t of txs) {
      const addr = t.addr.toLowerCase();
      this.raws.set(`${addr}/${t.nonce}`, t.raw);
      this.expected.set(addr, Math.max(this.expected.get(addr) ?? 0, t.nonce + 1));
    }
  }
  /** Re-sends, for every sender with queued transactions, the nonces missing below them. */
  async repair(anvil: Anvil): Promise<void> {
    const inspect = await anvil.rpc<{ queued: Record<string, Record<string, string>> }>("txpool_inspect");
    for (const [addr, byNonce] of Object.entries(inspect.queued)) {
      const first = Math.min(...Object.keys(byNonce).map(Number));
      const next = Number(BigInt(await anvil.rpc<Hex>("eth_getTransactionCount", [addr, "latest"])));
      await this.resend(anvil, addr, next, first);
    }
  }
  /**
   * With the pool empty: every sender's mined nonce must be the one after its last sent
   * transaction; a sender whose LAST transactions were lost leaves nothing queued to notice.
   * Returns how many were re-sent (0: all mined).
   */
  async complete(anvil: Anvil): Promise<number> {
    const before = this.resent;
    const addrs = [...this.expected.keys()];
    const counts = await rpcBatch(anvil.url, "eth_getTransactionCount", addrs.map((a) => [a, "latest"]));
    for (const [i, addr] of addrs.entries()) {
      const mined = Number(BigInt(counts[i] as Hex));
      await this.resend(anvil, addr, mined, this.expected.get(addr)!);
    }
    return this.resent - before;
  }
  private async resend(anvil: Anvil, addr: string, from: number, to: number): Promise<void> {
    for (let n = from; n < to; n++) {
      const raw = this.raws.get(`${addr.toLowerCase()}/${n}`);
      if (raw === undefined) throw new Error(`anvil lost ${addr}'s transaction ${n}, which this bench never sent`);
      try {
        await anvil.rpc("eth_sendRawTransaction", [raw]);
        this.resent++;
      } catch {
        // Already known or mined meanwhile: nothing to repair.
      }
    }
  }
}

/**
 * Sends each connection's queue of raw transactions as JSON-RPC batches of up to
 * `perRequest`, cut early where a sender repeats. NOTE: anvil 1.7 handles a batch's calls
 * concurrently; two transactions of one sender in a batch could then arrive out of nonce
 * order, and under automine the later one was seen to stay "queued" for good after the
 * earlier was mined. One transaction per sender per batch keeps each sender's order.
 */
async function sendRaw(url: string, queues: RawTx[][], perRequest: number, rebroadcast: Rebroadcast): Promise<Hex[][]> {
  return Promise.all(
    queues.map(async (txs) => {
      const hashes: Hex[] = [];
      let i = 0;
      while (i < txs.length) {
        const senders = new Set<number>();
        let j = i;
        while (j < txs.length && j - i < perRequest && !senders.has(txs[j]!.from)) senders.add(txs[j++]!.from);
        rebroadcast.remember(txs.slice(i, j));
        for (const h of await rpcBatch(url, "eth_sendRawTransaction", txs.slice(i, j).map((t) => [t.raw]))) hashes.push(h as Hex);
        i = j;
      }
      return hashes;
    }),
  );
}

/**
 * Until anvil's pool is empty. With `mine` (no-mining mode) a block (up to the gas limit) is
 * mined each round something is left. Under automine anvil mines as transactions arrive, and
 * what did not fit the last block (30M gas) waits for the next arrival: when the pool has not
 * moved for 100 ms, one block is mined by hand. NOTE: calling evm_mine while automine is
 * still mining was seen to lose transactions from the pool (anvil 1.7), hence the wait.
 */
async function waitMined(anvil: Anvil, mine: boolean, deadline: number, rebroadcast: Rebroadcast): Promise<void> {
  let last = Infinity;
  let since = performance.now();
  for (;;) {
    const st = await anvil.rpc<{ pending: Hex; queued: Hex }>("txpool_status");
    const left = Number(BigInt(st.pending)) + Number(BigInt(st.queued));
    if (left === 0 && (await rebroadcast.complete(anvil)) === 0) return;
    if (performance.now() > deadline) {
      const inspect = await anvil.rpc<{ pending: Record<string, Record<string, string>>; queued: Record<string, Record<string, string>> }>("txpool_inspect");
      const who = Object.keys(inspect.queued)[0];
      const nonce = who ? await anvil.rpc<Hex>("eth_getTransactionCount", [who, "latest"]) : "-";
      const sample = `${who ?? ""} at nonce ${nonce}: ${JSON.stringify(inspect).slice(0, 300)}`;
      throw new Error(`anvil: ${left} transactions still in the pool at the deadline: ${sample}`);
    }
    if (left < last) {
      last = left;
      since = performance.now();
    }
    // Stalled: the pool has not shrunk for 100 ms (with or without blocks being mined).
    const stalled = performance.now() - since > 100;
    if (stalled && Number(BigInt(st.queued)) > 0) {
      await rebroadcast.repair(anvil);
      since = performance.now();
    }
    if (mine) await anvil.mine();
    else if (stalled) {
      await anvil.mine();
      since = performance.now();
    } else await new Promise((r) => setTimeout(r, 5));
  }
}

interface ChainSetup {
  anvil: Anvil;
  margin: Address;
  keys: Uint8Array[];
  nonces: number[];
}

/** Gas limits per call (upper bounds; receipts give what was used). */
const GAS = { place: 250_000n, cancel: 120_000n, fill: 400_000n, approve: 100_000n, deposit: 150_000n, mint: 100_000n };

async function chainSetup(pop: Population, log: (s: string) => void, connections: number, perRequest: number, rebroadcast: Rebroadcast): Promise<ChainSetup> {
  // anvil's defaults: chain id 31337, block gas limit 30M (an L1-sized block), Prague rules.
  const anvil = await startAnvil({});
  try {
    const deployer = anvil.accounts[0]!;
    const dkey = hexToBytes(deployer.privateKey);
    const deploy = async (name: "MockERC20" | "MiniMargin", args: Hex): Promise<Address> => {
      const a = loadArtifact(name);
      const nonce = Number(await anvil.rpc<Hex>("eth_getTransactionCount", [deployer.address, "pending"]));
      const raw = signTxCreate(dkey, anvil.chainId, nonce, `${a.bytecode}${args.slice(2)}` as Hex);
      const hash = await anvil.rpc<Hex>("eth_sendRawTransaction", [raw]);
      const r = await receipt(anvil, hash);
      if (r.status !== "0x1" || !r.contractAddress) throw new Error(`${name} deployment failed`);
      return r.contractAddress;
    };
    // MockERC20("USD Coin (test)", "USDC", 6) and MiniMargin(token).
    const token = await deploy("MockERC20", encodeCtorArgs(erc20Abi(), ["USD Coin (test)", "USDC", 6]));
    const margin = await deploy("MiniMargin", encodeCtorArgs(miniAbi(), [token]));
    const keys: Uint8Array[] = [];
    const nonces: number[] = [];
    for (let i = 0; i < pop.accounts; i++) {
      keys.push(hexToBytes(pop.privateKey(i)));
      nonces.push(0);
    }
    // Setup (not timed): prices, ETH for gas, then mint → approve → deposit per account.
    let dn = Number(await anvil.rpc<Hex>("eth_getTransactionCount", [deployer.address, "pending"]));
    const owner: RawTx[] = [];
    for (const [m, s] of MARKETS.entries()) {
      const base = m < 2 ? 50_000 : 100_000; // the workload's first tier: 5% majors, 10% alts; maintenance half
      owner.push({ from: -1, addr: deployer.address, nonce: dn, raw: signTx(dkey, { chainId: anvil.chainId, nonce: dn++, to: margin, data: encodeFunctionData({ abi: miniAbi(), functionName: "setMarket", args: [BigInt(m), s.price, base, base / 2] }), gas: GAS.mint }) });
    }
    await rpcBatch(anvil.url, "anvil_setBalance", Array.from({ length: pop.accounts }, (_, i) => [pop.owner(i), "0x3635c9adc5dea00000"])); // 1,000 ETH
    const per: RawTx[][] = Array.from({ length: connections }, () => []);
    for (let i = 0; i < pop.accounts; i++) {
      const amount = i < MARKET_MAKERS ? 50_000_000n * USD : 1_000_000n * USD;
      owner.push({ from: -1, addr: deployer.address, nonce: dn, raw: signTx(dkey, { chainId: anvil.chainId, nonce: dn++, to: token, data: encodeFunctionData({ abi: erc20Abi(), functionName: "mint", args: [pop.owner(i), amount] }), gas: GAS.mint }) });
      per[i % connections]!.push(
        { from: i, addr: pop.owner(i), nonce: nonces[i]!, raw: signTx(keys[i]!, { chainId: anvil.chainId, nonce: nonces[i]!++, to: token, data: encodeFunctionData({ abi: erc20Abi(), functionName: "approve", args: [margin, amount] }), gas: GAS.approve }) },
        { from: i, addr: pop.owner(i), nonce: nonces[i]!, raw: signTx(keys[i]!, { chainId: anvil.chainId, nonce: nonces[i]!++, to: margin, data: encodeFunctionData({ abi: miniAbi(), functionName: "deposit", args: [amount] }), gas: GAS.deposit }) },
      );
    }
    const deadline = performance.now() + 120_000;
    const h1 = (await sendRaw(anvil.url, [owner], perRequest, rebroadcast)).flat();
    await waitMined(anvil, false, deadline, rebroadcast);
    const h2 = (await sendRaw(anvil.url, per, perRequest, rebroadcast)).flat();
    await waitMined(anvil, false, deadline, rebroadcast);
    const bad = (await receipts(anvil.url, [...h1, ...h2])).filter((r) => r.status !== "0x1").length;
    if (bad > 0) throw new Error(`chain setup: ${bad} transactions reverted`);
    log(`  anvil ${anvil.url}: MiniMargin at ${margin}, ${pop.accounts} accounts funded`);
    return { anvil, margin, keys, nonces };
  } catch (e) {
    await anvil.stop();
    throw e;
  }
}

function encodeCtorArgs(abi: Abi, args: readonly unknown[]): Hex {
  const ctor = abi.find((x): x is Extract<Abi[number], { type: "constructor" }> => x.type === "constructor");
  if (!ctor) throw new Error("no constructor in the ABI");
  return encodeAbiParameters(ctor.inputs, args);
}

function signTxCreate(key: Uint8Array, chainId: number, nonce: number, data: Hex): Hex {
  const unsigned = { type: "eip1559" as const, chainId, nonce, data, gas: 8_000_000n, maxFeePerGas: 100_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, value: 0n };
  const { signature, recid } = secp.ecdsaSign(hexToBytes(keccak256(serializeTransaction(unsigned))), key);
  const hex = Buffer.from(signature).toString("hex");
  return serializeTransaction(unsigned, { r: `0x${hex.slice(0, 64)}`, s: `0x${hex.slice(64)}`, yParity: recid });
}

interface Receipt {
  status: Hex;
  gasUsed: Hex;
  contractAddress: Address | null;
  blockNumber: Hex;
}

async function receipt(anvil: Anvil, hash: Hex): Promise<Receipt> {
  for (let i = 0; i < 500; i++) {
    const r = await anvil.rpc<Receipt | null>("eth_getTransactionReceipt", [hash]);
    if (r) return r;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error(`no receipt for ${hash}`);
}

async function receipts(url: string, hashes: Hex[]): Promise<Receipt[]> {
  const out: Receipt[] = [];
  for (let i = 0; i < hashes.length; i += 500) {
    for (const r of await rpcBatch(url, "eth_getTransactionReceipt", hashes.slice(i, i + 500).map((h) => [h]))) {
      if (!r) throw new Error("a sent transaction has no receipt");
      out.push(r as Receipt);
    }
  }
  return out;
}

const clientKey = (owner: Hex, clientId: bigint) => (BigInt(owner) << 96n) | clientId;

/** The flow on a fresh anvil with MiniMargin, in one of its two mining modes. */
export async function runChain(
  pop: Population,
  flow: FlowMsg[][],
  o: { mode: "automine" | "no-mining"; connections: number; perRequest: number; seconds: number; log: (s: string) => void },
): Promise<ChainRun> {
  const rebroadcast = new Rebroadcast();
  const setup = await chainSetup(pop, o.log, o.connections, o.perRequest, rebroadcast);
  const { anvil, margin, keys, nonces } = setup;
  try {
    const abi = miniAbi();
    const chainId = anvil.chainId;
    // Pre-sign everything before the clock starts.
    const signed = flow.map((chunk) => {
      const per: RawTx[][] = Array.from({ length: o.connections }, () => []);
      const fillIdx: boolean[][] = Array.from({ length: o.connections }, () => []);
      for (const m of chunk) {
        const a = m.account;
        let data: Hex;
        let gas: bigint;
        if (m.kind === "quote") {
          data = encodeFunctionData({ abi, functionName: "place", args: [m.clientId, m.market, m.sell, m.price, m.size] });
          gas = GAS.place;
        } else if (m.kind === "cancel") {
          data = encodeFunctionData({ abi, functionName: "cancel", args: [m.clientId] });
          gas = GAS.cancel;
        } else {
          data = encodeFunctionData({ abi, functionName: "fill", args: [clientKey(pop.owner(m.makerAccount), m.makerClientId), m.size] });
          gas = GAS.fill;
        }
        per[a % o.connections]!.push({ from: a, addr: pop.owner(a), nonce: nonces[a]!, raw: signTx(keys[a]!, { chainId, nonce: nonces[a]!++, to: margin, data, gas }) });
        fillIdx[a % o.connections]!.push(m.kind === "take");
      }
      return { per, fillIdx };
    });
    let startBlock = 0n;
    if (o.mode === "no-mining") await anvil.setAutomine(false);
    const hashes: Hex[] = [];
    const isFill = new Set<Hex>();
    let messages = 0;
    let seconds = 0;
    const deadline = performance.now() + o.seconds * 1000;
    for (const [c, chunk] of signed.entries()) {
      if (performance.now() > deadline) break;
      if (c === WARMUP_CHUNKS) startBlock = BigInt(await anvil.rpc<Hex>("eth_blockNumber"));
      const t0 = performance.now();
      const sent = await sendRaw(anvil.url, chunk.per, o.perRequest, rebroadcast);
      sent.forEach((hs, conn) =>
        hs.forEach((h, i) => {
          if (chunk.fillIdx[conn]![i]) isFill.add(h);
        }),
      );
      for (const hs of sent) hashes.push(...hs);
      // The chunk counts once it is mined (the barrier the next chunk's takes rely on).
      await waitMined(anvil, o.mode === "no-mining", deadline + 60_000, rebroadcast);
      if (c >= WARMUP_CHUNKS) {
        seconds += (performance.now() - t0) / 1000;
        messages += flow[c]!.length;
      }
    }
    if (messages === 0) throw new Error("the chain run ended before any counted chunk");
    const endBlock = BigInt(await anvil.rpc<Hex>("eth_blockNumber"));
    const rs = await receipts(anvil.url, hashes);
    const warmupTxs = flow.slice(0, WARMUP_CHUNKS).reduce((a, c) => a + c.length, 0);
    let accepted = 0;
    let totalGas = 0;
    const fillGas: number[] = [];
    rs.forEach((r, i) => {
      const gas = Number(BigInt(r.gasUsed));
      // Gas is counted over every chunk (it does not depend on timing); acceptance over the counted ones.
      totalGas += gas;
      if (r.status !== "0x1") return;
      if (i >= warmupTxs) accepted++;
      if (isFill.has(hashes[i]!)) fillGas.push(gas);
    });
    if (rebroadcast.resent > 0) o.log(`  anvil (${o.mode}) lost ${rebroadcast.resent} transactions from its pool; re-sent`);
    return { mode: o.mode, messages, accepted, refused: messages - accepted, seconds, perSec: accepted / seconds, blocks: Number(endBlock - startBlock), fillGas, fills: fillGas.length, totalGas, resent: rebroadcast.resent };
  } finally {
    await anvil.stop();
  }
}

// ─── Ours ─────────────────────────────────────────────────────────────────────────────

function oracleOp(timestamp: bigint): OracleUpdate {
  const prices = MARKETS.map((s, id) => ({ kind: PRICE_KIND_MARKET, id, price: s.price }));
  prices.push({ kind: PRICE_KIND_ASSET, id: 1, price: MARKETS[ETH_MARKET]!.price });
  const op: OracleUpdate = { type: "OracleUpdate", timestamp, prices, signatures: [] };
  op.signatures = ORACLE_KEYS.slice(0, 2).map((k) => signNative(op, hexToBytes(k)));
  return op;
}

/** The flow through our sequencer (CLI child process), signed for it. */
export async function runOurs(pop: Population, flow: FlowMsg[][], o: { connections: number; perRequest: number; seconds: number; log: (s: string) => void }): Promise<SideRun> {
  const dir = mkdtempSync(join(tmpdir(), "cm-peers-"));
  const { child, url } = await startChild(dir, o.log);
  // SAFETY: a bench that dies (or hits its time bound) must not leave the sequencer running.
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  try {
    for (let i = 0; i < pop.accounts; i++) {
      const amount = i < MARKET_MAKERS ? 50_000_000n * USD : 1_000_000n * USD;
      const r = await postJson(`${url}/v1/dev/deposit`, { owner: pop.owner(i), asset: 0, amount: String(amount) });
      if (r.account !== i) throw new Error(`deposit ${i}: ${JSON.stringify(r)}`);
    }
    const keys = Array.from({ length: pop.accounts }, (_, i) => hexToBytes(pop.privateKey(i)));
    const start = BigInt(Date.now());
    const nonces = new Array<bigint>(pop.accounts).fill(start);
    const sign = (op: Op & { account: number; nonce: bigint; signature: Hex }): string => {
      op.nonce = ++nonces[op.account]!;
      op.signature = signNative(op as never, keys[op.account]!);
      return JSON.stringify(opToJson(op));
    };
    // Pre-signed before the clock, in send order (each account's nonces rise).
    const chunks = flow.map((chunk) => {
      const per: string[][] = Array.from({ length: o.connections }, () => []);
      for (const m of chunk) {
        let op: Op;
        if (m.kind === "quote") {
          op = { type: "PlaceOrder", account: m.account, nonce: 0n, market: m.market, flags: (m.sell ? FLAG_SELL : 0) | (TIF_POST_ONLY << TIF_SHIFT), price: m.price, size: m.size, expiry: 0n, clientOrderId: m.clientId, signature: "0x" };
        } else if (m.kind === "cancel") {
          op = { type: "CancelOrder", account: m.account, nonce: 0n, slot: CANCEL_BY_CLIENT_ID, clientOrderId: m.clientId, signature: "0x" };
        } else {
          op = { type: "PlaceOrder", account: m.account, nonce: 0n, market: m.market, flags: (m.makerSells ? 0 : FLAG_SELL) | (TIF_IOC << TIF_SHIFT), price: m.price, size: m.size, expiry: 0n, clientOrderId: 0n, signature: "0x" };
        }
        per[m.account % o.connections]!.push(sign(op as never));
      }
      return per.map((ops) => {
        const reqs: string[][] = [];
        for (let i = 0; i < ops.length; i += o.perRequest) reqs.push(ops.slice(i, i + o.perRequest));
        return reqs;
      });
    });
    let oracleTs = start;
    let accepted = 0;
    let refused = 0;
    let messages = 0;
    let seconds = 0;
    const refusedBy: Record<string, number> = {};
    const deadline = performance.now() + o.seconds * 1000;
    for (const [c, queues] of chunks.entries()) {
      if (performance.now() > deadline) break;
      const counted = c >= WARMUP_CHUNKS;
      // Untimed: keep the oracle fresh (the STF turns a market reduce-only when its price is stale).
      oracleTs = BigInt(Math.max(Number(oracleTs) + 1, Date.now()));
      const or = await postJson(`${url}/v1/op`, opToJson(oracleOp(oracleTs)));
      if (!or.ok) throw new Error(`oracle update refused: ${JSON.stringify(or)}`);
      const r = await phase(url, queues, 0, Math.max(1, (deadline - performance.now()) / 1000 + 60));
      for (const [k, v] of Object.entries(r.refused)) {
        if (counted) refused += v;
        refusedBy[k] = (refusedBy[k] ?? 0) + v;
      }
      if (!counted) continue;
      accepted += r.accepted;
      seconds += r.seconds;
      messages += flow[c]!.length;
    }
    if (messages === 0) throw new Error("our run ended before any counted chunk");
    if (refused > 0) o.log(`  ours refused ${JSON.stringify(refusedBy)}`);
    return { messages, accepted, refused, seconds, perSec: accepted / seconds };
  } finally {
    process.removeListener("exit", kill);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
