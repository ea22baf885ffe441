/**
 * The state root, kept incrementally.
 *
 * The root is exactly `State.hashTreeRoot(toSszValue(state))` (types.ts); tests check it.
 * It is not computed with tree-backed SSZ views because their per-node objects cost about
 * 100 bytes each: an account is ~300 nodes, so a million accounts would not fit in 6 GB,
 * and every node hashed is one call into the hasher. Instead:
 *
 * - Large collections (accounts, withdrawals) and each account's 64-slot position and order
 *   vectors are heap-ordered trees in flat `Uint8Array`s (node g at byte 32·g; children of g
 *   are 2g and 2g+1, contiguous): a million accounts cost 64 MB of nodes.
 * - Writes only mark what they touched (state.ts setters). `commitRoot` then re-hashes
 *   exactly the touched leaves and their paths, level by level, ACROSS all touched
 *   accounts at once, so each level is one call to the native batched hasher
 *   (`@chainsafe/hashtree` `hashInto`) instead of one call per node.
 * - Small, rarely changed parts (params, assets, session keys) are re-hashed directly.
 *
 * PERF: a fill touches 2 order slots, 2 positions, 2 accounts and 1 market; the cost per
 * commit is ~ (touched leaves × path length) hashes, independent of the number of accounts
 * except for the log2(accounts) path above each touched account.
 */
import { hashInto } from "@chainsafe/hashtree";
import { ACCOUNTS_LIMIT_DEPTH, MAX_ASSETS, MAX_MARKETS, MAX_ORACLE_SIGNERS, ORDER_SLOTS, WITHDRAWALS_LIMIT_DEPTH, ZERO_ADDRESS } from "./constants.js";
import {
  type AccountState,
  type CrossmarginState,
  DIRTY_BALANCES,
  DIRTY_KEYS,
  DIRTY_ALL,
  DIRTY_NEW,
  DIRTY_NONCES,
  DIRTY_ORDERS,
  DIRTY_PACING,
  DIRTY_POSITIONS,
  type MarketState,
  type Order,
  type Position,
} from "./state.js";
import { hexToBytesInto } from "./bytes.js";

// ─── Hashing primitives ───────────────────────────────────────────────────────────────

/** Number of 64-byte sha256 compressions done by this module (for benchmarks). */
export const hashCounter = { blocks: 0 };

function hashBlocks(input: Uint8Array, output: Uint8Array): void {
  hashCounter.blocks += input.length >>> 6;
  hashInto(input, output);
}

const pairIn = new Uint8Array(64);
export function hash64(a: Uint8Array, b: Uint8Array): Uint8Array {
  pairIn.set(a, 0);
  pairIn.set(b, 32);
  const out = new Uint8Array(32);
  hashBlocks(pairIn, out);
  return out;
}

export const ZERO_HASHES: Uint8Array[] = [new Uint8Array(32)];
for (let i = 1; i <= 64; i++) ZERO_HASHES.push(hash64(ZERO_HASHES[i - 1]!, ZERO_HASHES[i - 1]!));

/**
 * Copies `words` 32-bit words between two byte buffers at word-aligned byte offsets.
 * PERF: avoids a `subarray` view object per 32-byte node on the commit's hot loops.
 */
function copyWords(src: Int32Array, srcByte: number, dst: Int32Array, dstByte: number, words: number): void {
  const s = srcByte >>> 2;
  const d = dstByte >>> 2;
  for (let w = 0; w < words; w++) dst[d + w] = src[s + w]!;
}
// SAFETY: word copies and the flags write below assume a little-endian host (SSZ is
// little-endian); every platform Node ships for is, but refuse to run anywhere else.
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error("crossmargin's state root needs a little-endian host");
const wordsOf = (b: Uint8Array): Int32Array => new Int32Array(b.buffer, b.byteOffset, b.length >>> 2);

/** Growable scratch buffers for batched hashing (ping-pong: hashInto must not alias). */
class Scratch {
  buf = new Uint8Array(1 << 16);
  take(bytes: number): Uint8Array {
    if (this.buf.length < bytes) this.buf = new Uint8Array(Math.max(bytes, this.buf.length * 2));
    return this.buf;
  }
}
const scratchA = new Scratch();
const scratchB = new Scratch();
const scratchC = new Scratch();
const scratchD = new Scratch();
const scratchRows = new Scratch();

/**
 * Merkleizes `rows` consecutive groups of `width` chunks (width a power of two) in `buf`,
 * one hasher call per tree level for all rows together. Returns a buffer whose first
 * rows·32 bytes are the row roots (valid until the next call).
 */
export function merkleizeRows(buf: Uint8Array, rows: number, width: number): Uint8Array {
  let src = buf;
  let w = width;
  let flip = false;
  while (w > 1) {
    const outBytes = rows * w * 16;
    const dst = (flip ? scratchA : scratchB).take(outBytes);
    hashBlocks(src.subarray(0, rows * w * 32), dst.subarray(0, outBytes));
    src = dst;
    w >>= 1;
    flip = !flip;
  }
  return src;
}

// ─── Heap-ordered trees ──────────────────────────────────────────────────────────────

/** A tree over `leaves` (a power of two) chunks: node g at bytes [32g, 32g+32); root at g=1. */
export function newTree(leaves: number, leaf: Uint8Array): Uint8Array {
  const nodes = new Uint8Array(leaves * 64);
  for (let i = 0; i < leaves; i++) nodes.set(leaf, (leaves + i) * 32);
  rebuildTree(nodes, leaves);
  return nodes;
}

/** Recomputes every internal node: one hasher call per level (children are contiguous). */
export function rebuildTree(nodes: Uint8Array, leaves: number): void {
  for (let first = leaves >>> 1; first >= 1; first >>>= 1) {
    // Nodes [first, 2·first) have children [2·first, 4·first): one contiguous input.
    hashBlocks(nodes.subarray(first * 64, first * 128), nodes.subarray(first * 32, first * 64));
  }
}

export function treeRoot(nodes: Uint8Array): Uint8Array {
  return nodes.subarray(32, 64);
}

/**
 * Re-hashes the paths above the given dirty leaves (ascending, unique) of a heap tree, one
 * hasher call per level. PERF: copies go through Int32Array views (node offsets are multiples
 * of 32), so the hot loop allocates nothing per node.
 */
export function updateTree(nodes: Uint8Array, dirty: number[], leaves: number): void {
  const words = new Int32Array(nodes.buffer, nodes.byteOffset, nodes.length >>> 2);
  const cur = new Int32Array(dirty.length);
  let n = 0;
  for (const i of dirty) cur[n++] = i + leaves;
  for (let level = leaves; level > 1; level >>>= 1) {
    // Parents of the current level, deduplicated (the list is ascending).
    let parents = 0;
    for (let j = 0; j < n; j++) {
      const p = cur[j]! >>> 1;
      if (parents === 0 || cur[parents - 1] !== p) cur[parents++] = p;
    }
    n = parents;
    const input = scratchA.take(n * 64);
    const inWords = new Int32Array(input.buffer, 0, n * 16);
    for (let j = 0; j < n; j++) {
      const src = cur[j]! * 16; // children 2p, 2p+1 start at word 16p
      const dst = j * 16;
      for (let w = 0; w < 16; w++) inWords[dst + w] = words[src + w]!;
    }
    const output = scratchB.take(n * 32);
    hashBlocks(input.subarray(0, n * 64), output.subarray(0, n * 32));
    const outWords = new Int32Array(output.buffer, 0, n * 8);
    for (let j = 0; j < n; j++) {
      const dst = cur[j]! * 8;
      const src = j * 8;
      for (let w = 0; w < 8; w++) words[dst + w] = outWords[src + w]!;
    }
  }
}

/**
 * An SSZ list of composite elements backed by a growable heap tree: capacity is the
 * smallest power of two holding the list; above it the path to the limit depth runs
 * through zero hashes; the length is mixed in last.
 */
export class ListTree {
  capacity = 1;
  nodes: Uint8Array = newTree(1, ZERO_HASHES[0]!);

  constructor(readonly limitDepth: number) {}

  /** Makes room for `length` leaves, rebuilding once per doubling. */
  ensure(length: number): void {
    if (length <= this.capacity) return;
    let cap = this.capacity;
    while (cap < length) cap *= 2;
    const nodes = new Uint8Array(cap * 64);
    nodes.set(this.nodes.subarray(this.capacity * 32, this.capacity * 64), cap * 32);
    rebuildTree(nodes, cap);
    this.nodes = nodes;
    this.capacity = cap;
  }

  setLeaf(i: number, root: Uint8Array): void {
    this.nodes.set(root, (this.capacity + i) * 32);
  }

  leaf(i: number): Uint8Array {
    return this.nodes.subarray((this.capacity + i) * 32, (this.capacity + i + 1) * 32);
  }

  update(sortedDirty: number[]): void {
    updateTree(this.nodes, sortedDirty, this.capacity);
  }

  root(length: number): Uint8Array {
    let r: Uint8Array = treeRoot(this.nodes);
    for (let d = Math.log2(this.capacity); d < this.limitDepth; d++) r = hash64(r, ZERO_HASHES[d]!);
    return mixInLength(r, length);
  }
}

export function mixInLength(root: Uint8Array, length: number): Uint8Array {
  const len = new Uint8Array(32);
  new DataView(len.buffer).setBigUint64(0, BigInt(length), true);
  return hash64(root, len);
}

/**
 * Roots of many sparse 64-slot vectors at once. Each job lists its occupied slots (ascending)
 * with their leaf roots at `leafRoots[32·k]`, k counting across jobs; every other slot is the
 * empty container, whose subtree at height h is ZERO_HASHES[3 + h]. Only the paths above
 * occupied slots are hashed, level by level for all jobs together.
 */
function sparseVectorRoots(jobs: number[][], leafRoots: Uint8Array, depth: number, out: Uint8Array): void {
  let total = 0;
  for (const j of jobs) total += j.length;
  let g = new Int32Array(total);
  let vals = scratchC.take(total * 32);
  vals.set(leafRoots.subarray(0, total * 32));
  const counts = new Int32Array(jobs.length);
  let k = 0;
  jobs.forEach((slots, i) => {
    counts[i] = slots.length;
    for (const s of slots) g[k++] = (1 << depth) + s;
  });
  for (let h = 0; h < depth; h++) {
    const zeroW = wordsOf(ZERO_HASHES[3 + h]!);
    const input = scratchA.take(total * 64);
    const inW = wordsOf(input);
    const valW = wordsOf(vals);
    let parents = 0;
    let read = 0;
    const nextCounts = new Int32Array(jobs.length);
    const nextG = new Int32Array(total);
    for (let i = 0; i < jobs.length; i++) {
      const end = read + counts[i]!;
      while (read < end) {
        const node = g[read]!;
        const off = parents * 64;
        if ((node & 1) === 0) {
          copyWords(valW, read * 32, inW, off, 8);
          if (read + 1 < end && g[read + 1] === node + 1) {
            copyWords(valW, (read + 1) * 32, inW, off + 32, 8);
            read += 2;
          } else {
            copyWords(zeroW, 0, inW, off + 32, 8);
            read += 1;
          }
        } else {
          copyWords(zeroW, 0, inW, off, 8);
          copyWords(valW, read * 32, inW, off + 32, 8);
          read += 1;
        }
        nextG[parents++] = node >>> 1;
        nextCounts[i]!++;
      }
    }
    const next = (vals === scratchC.buf ? scratchD : scratchC).take(parents * 32);
    hashBlocks(input.subarray(0, parents * 64), next.subarray(0, parents * 32));
    vals = next;
    g = nextG;
    counts.set(nextCounts);
    total = parents;
  }
  let read = 0;
  for (let i = 0; i < jobs.length; i++) {
    if (counts[i] === 0) out.set(ZERO_HASHES[3 + depth]!, i * 32);
    else out.set(vals.subarray(read * 32, read * 32 + 32), i * 32), read++;
  }
}

// ─── Chunk packing ───────────────────────────────────────────────────────────────────

function putU64(view: DataView, off: number, v: bigint): void {
  view.setBigUint64(off, BigInt.asUintN(64, v), true);
}
function putU128(view: DataView, off: number, v: bigint): void {
  const u = BigInt.asUintN(128, v);
  view.setBigUint64(off, u & 0xffffffffffffffffn, true);
  view.setBigUint64(off + 8, u >> 64n, true);
}

function packPosition(view: DataView, off: number, p: Position): void {
  putU64(view, off, p.size);
  putU64(view, off + 32, p.entryNotional);
  putU64(view, off + 64, p.lastFundingIndex);
  putU64(view, off + 96, p.isolatedMargin);
  view.setUint8(off + 128, p.marginMode);
}

function packOrder(view: DataView, off: number, o: Order): void {
  view.setUint16(off, o.market, true);
  view.setUint8(off + 32, o.flags);
  putU64(view, off + 64, o.price);
  putU64(view, off + 96, o.size);
  putU64(view, off + 128, o.remaining);
  putU64(view, off + 160, o.expiry);
  putU64(view, off + 192, o.clientOrderId);
  putU64(view, off + 224, o.nonce);
}

// ─── Commit ─────────────────────────────────────────────────────────────────────────

/** Per-account roots kept in shared buffers (one ArrayBuffer for all accounts, not one each). */
const PART_BALANCES = 0;
const PART_NONCES = 1;
const PART_KEYS = 2;
const PART_PACING = 3;
const PART_POSITIONS = 4;
const PART_ORDERS = 5;
const PARTS = 6;

interface MerkleCache {
  accounts: ListTree;
  withdrawals: ListTree;
  /** Tree over the markets list's 64 element roots. */
  markets: Uint8Array;
  /** PARTS roots per account, 32 bytes each, indexed by account. */
  parts: Uint8Array;
  /** Each account's owner as a chunk (20 bytes, zero padded), indexed by account. */
  owners: Uint8Array;
}

function cacheOf(state: CrossmarginState): MerkleCache {
  if (state.merkle === null) {
    const c: MerkleCache = {
      accounts: new ListTree(ACCOUNTS_LIMIT_DEPTH),
      withdrawals: new ListTree(WITHDRAWALS_LIMIT_DEPTH),
      markets: newTree(MAX_MARKETS, ZERO_HASHES[0]!),
      parts: new Uint8Array(0),
      owners: new Uint8Array(0),
    };
    state.merkle = c;
    // A state built outside the setters (snapshot, genesis) is hashed whole at first commit.
    for (const a of state.accounts) {
      a.dirtyParts = DIRTY_ALL;
      if (!a.inDirtyList) {
        a.inDirtyList = true;
        state.dirtyAccounts.push(a);
      }
    }
    state.withdrawalsCommitted = 0;
    for (const m of state.markets) {
      m.root = null;
      m.tiersRoot = null;
    }
  }
  return state.merkle as MerkleCache;
}

function grow(buf: Uint8Array, bytes: number): Uint8Array {
  if (buf.length >= bytes) return buf;
  const next = new Uint8Array(Math.max(bytes, buf.length * 2, 1 << 16));
  next.set(buf);
  return next;
}

/** Roots of the parts of an account nobody has touched: the same for every new account. */
const EMPTY_KEYS_ROOT = ZERO_HASHES[3]!; // 4 keys × (zero key, zero expiry)
const EMPTY_PACING_ROOT = ZERO_HASHES[1]!;

/**
 * Brings every cached root up to date with the state and returns the state root.
 * Cost is proportional to what changed since the previous call.
 */
export function commitRoot(state: CrossmarginState): Uint8Array {
  const cache = cacheOf(state);
  commitAccounts(state, cache);
  return topRoot(state, cache);
}

function commitAccounts(state: CrossmarginState, cache: MerkleCache): void {
  const dirty = state.dirtyAccounts;
  if (dirty.length === 0) return;
  cache.parts = grow(cache.parts, state.accounts.length * PARTS * 32);
  cache.owners = grow(cache.owners, state.accounts.length * 32);
  const parts = cache.parts;

  // Stage 1: the leaf containers (8 chunks) of every occupied slot of every account whose
  // positions or orders changed, all at once; then their sparse 64-slot vectors.
  const posJobs: number[][] = [];
  const posAccts: AccountState[] = [];
  const ordJobs: number[][] = [];
  const ordAccts: AccountState[] = [];
  let rows = 0;
  for (const a of dirty) {
    if (a.dirtyParts & DIRTY_POSITIONS) {
      const slots = a.openMarkets as number[];
      posJobs.push(slots);
      posAccts.push(a);
      rows += slots.length;
    }
    if (a.dirtyParts & DIRTY_ORDERS) {
      const slots: number[] = [];
      for (let i = 0; i < ORDER_SLOTS; i++) if (a.orders[i] !== null) slots.push(i);
      ordJobs.push(slots);
      ordAccts.push(a);
      rows += slots.length;
    }
  }
  if (rows > 0 || posJobs.length + ordJobs.length > 0) {
    const rowBuf = scratchRows.take(rows * 256);
    rowBuf.fill(0, 0, rows * 256);
    const view = new DataView(rowBuf.buffer, rowBuf.byteOffset);
    let r = 0;
    posJobs.forEach((slots, i) => {
      for (const m of slots) packPosition(view, r++ * 256, posAccts[i]!.positions[m]!);
    });
    ordJobs.forEach((slots, i) => {
      for (const s of slots) packOrder(view, r++ * 256, ordAccts[i]!.orders[s]!);
    });
    const leafRoots = merkleizeRows(rowBuf, rows, 8);
    // Both vectors are 64 slots (MAX_MARKETS === ORDER_SLOTS): one batch.
    const jobs = [...posJobs, ...ordJobs];
    const roots = new Uint8Array(jobs.length * 32);
    sparseVectorRoots(jobs, leafRoots, 6, roots);
    posAccts.forEach((a, i) => parts.set(roots.subarray(i * 32, i * 32 + 32), (a.index * PARTS + PART_POSITIONS) * 32));
    ordAccts.forEach((a, i) => {
      const k = posAccts.length + i;
      parts.set(roots.subarray(k * 32, k * 32 + 32), (a.index * PARTS + PART_ORDERS) * 32);
    });
  }

  // Stage 2: balances (2 chunks) and nonces (4 chunks) per account, batched; keys and
  // pacing directly (rare), or their constant empty roots.
  commitSmallParts(dirty, parts, cache.owners);

  // Stage 3: the account containers (8 fields, 8 chunks).
  const acctBuf = scratchRows.take(dirty.length * 256);
  const acctW = wordsOf(acctBuf);
  const ownersW = wordsOf(cache.owners);
  const partsW = wordsOf(parts);
  for (let k = 0; k < dirty.length; k++) {
    const a = dirty[k]!;
    const off = k * 256;
    const base = a.index * PARTS * 32;
    copyWords(ownersW, a.index * 32, acctW, off, 8);
    const flags = BigInt.asUintN(64, a.flags);
    acctW[(off + 32) >>> 2] = Number(flags & 0xffffffffn) | 0;
    acctW[(off + 36) >>> 2] = Number(flags >> 32n) | 0;
    for (let w = (off + 40) >>> 2; w < (off + 64) >>> 2; w++) acctW[w] = 0;
    copyWords(partsW, base, acctW, off + 64, 24); // balances, nonces, keys
    copyWords(partsW, base + PART_POSITIONS * 32, acctW, off + 160, 16); // positions, orders
    copyWords(partsW, base + PART_PACING * 32, acctW, off + 224, 8);
  }
  const acctRoots = merkleizeRows(acctBuf, dirty.length, 8);

  // Stage 4: the accounts list tree.
  const tree = cache.accounts;
  tree.ensure(state.accounts.length);
  const indices: number[] = new Array(dirty.length);
  for (let k = 0; k < dirty.length; k++) {
    const a = dirty[k]!;
    tree.setLeaf(a.index, acctRoots.subarray(k * 32, k * 32 + 32));
    indices[k] = a.index;
    a.inDirtyList = false;
    a.dirtyParts = 0;
  }
  indices.sort((x, y) => x - y);
  tree.update(indices);
  dirty.length = 0;
}

function commitSmallParts(dirty: AccountState[], parts: Uint8Array, owners: Uint8Array): void {
  const bal: AccountState[] = [];
  const non: AccountState[] = [];
  for (const a of dirty) {
    const base = a.index * PARTS * 32;
    const d = a.dirtyParts;
    if (d & DIRTY_NEW) {
      owners.fill(0, a.index * 32, a.index * 32 + 32);
      hexToBytesInto(a.owner, owners, a.index * 32);
    }
    if (d & DIRTY_BALANCES) bal.push(a);
    if (d & DIRTY_NONCES) non.push(a);
    if (d & DIRTY_KEYS) parts.set(a.sessionKeys.every((k) => k.expiry === 0n && k.key === ZERO_ADDRESS) ? EMPTY_KEYS_ROOT : sessionKeysRoot(a), base + PART_KEYS * 32);
    if (d & DIRTY_PACING) {
      const p = a.pacing;
      parts.set(p.windowStart === 0n && p.liquidatedInWindow === 0n ? EMPTY_PACING_ROOT : hash64(chunkU64(p.windowStart), chunkU64(p.liquidatedInWindow)), base + PART_PACING * 32);
    }
    // An account that never held a position or order has the empty vectors' roots.
    if (d & DIRTY_NEW) {
      if (!(d & DIRTY_POSITIONS)) parts.set(ZERO_HASHES[9]!, base + PART_POSITIONS * 32);
      if (!(d & DIRTY_ORDERS)) parts.set(ZERO_HASHES[9]!, base + PART_ORDERS * 32);
    }
  }
  if (bal.length > 0) {
    const buf = scratchRows.take(bal.length * 64);
    const v = new DataView(buf.buffer, buf.byteOffset);
    for (let k = 0; k < bal.length; k++) for (let i = 0; i < MAX_ASSETS; i++) putU128(v, k * 64 + i * 16, bal[k]!.balances[i]!);
    const roots = merkleizeRows(buf, bal.length, 2);
    for (let k = 0; k < bal.length; k++) parts.set(roots.subarray(k * 32, k * 32 + 32), (bal[k]!.index * PARTS + PART_BALANCES) * 32);
  }
  if (non.length > 0) {
    const buf = scratchRows.take(non.length * 128);
    const v = new DataView(buf.buffer, buf.byteOffset);
    for (let k = 0; k < non.length; k++) {
      const ns = non[k]!.nonces;
      for (let i = 0; i < ns.length; i++) putU64(v, k * 128 + i * 8, ns[i]!);
    }
    const roots = merkleizeRows(buf, non.length, 4);
    for (let k = 0; k < non.length; k++) parts.set(roots.subarray(k * 32, k * 32 + 32), (non[k]!.index * PARTS + PART_NONCES) * 32);
  }
}

function sessionKeysRoot(a: AccountState): Uint8Array {
  const buf = new Uint8Array(a.sessionKeys.length * 64);
  const v = new DataView(buf.buffer);
  a.sessionKeys.forEach((k, i) => {
    hexToBytesInto(k.key, buf, i * 64);
    putU64(v, i * 64 + 32, k.expiry);
  });
  return merkleizeRows(buf, 1, a.sessionKeys.length * 2).slice(0, 32);
}

function chunkU64(v: bigint): Uint8Array {
  const c = new Uint8Array(32);
  putU64(new DataView(c.buffer), 0, v);
  return c;
}

function chunkU128(v: bigint): Uint8Array {
  const c = new Uint8Array(32);
  putU128(new DataView(c.buffer), 0, v);
  return c;
}

function packedU32Chunk(values: bigint[]): Uint8Array {
  const c = new Uint8Array(32);
  const v = new DataView(c.buffer);
  values.forEach((x, i) => v.setUint32(i * 4, Number(x), true));
  return c;
}

function containerRoot(chunks: Uint8Array[]): Uint8Array {
  let width = 1;
  while (width < chunks.length) width *= 2;
  const buf = new Uint8Array(width * 32);
  chunks.forEach((c, i) => buf.set(c, i * 32));
  return merkleizeRows(buf, 1, width).slice(0, 32);
}

function marketRoot(m: MarketState): Uint8Array {
  if (m.tiersRoot === null) {
    m.tiersRoot = containerRoot(
      m.tiers.map((t) => containerRoot([chunkU64(t.notionalCap), chunkU64(t.imfPpm), chunkU64(t.mmfPpm)])),
    );
  }
  return containerRoot([
    chunkU64(BigInt(m.status)),
    chunkU64(m.tickSize),
    chunkU64(m.lotSize),
    m.tiersRoot,
    chunkU64(m.oraclePrice),
    chunkU64(m.oracleTimestamp),
    chunkU64(m.fundingIndex),
    chunkU64(m.openInterest),
    chunkU64(BigInt(m.group)),
    chunkU64(m.liquidationCap),
    chunkU64(m.lastFundingTime),
    chunkU128(m.fundingPool),
    chunkU64(m.pacingWindowStart),
    chunkU64(m.liquidatedInWindow),
  ]);
}

function int128VectorRoot(values: bigint[]): Uint8Array {
  const buf = new Uint8Array(64);
  const v = new DataView(buf.buffer);
  values.forEach((x, i) => putU128(v, i * 16, x));
  return merkleizeRows(buf, 1, 2).slice(0, 32);
}

function topRoot(state: CrossmarginState, cache: MerkleCache): Uint8Array {
  // Markets: a cached root per market, then the 64-element vector and the length.
  let marketsDirty = false;
  state.markets.forEach((m, i) => {
    if (m.root === null) {
      m.root = marketRoot(m);
      cache.markets.set(m.root, (MAX_MARKETS + i) * 32);
      marketsDirty = true;
    }
  });
  if (marketsDirty) rebuildTree(cache.markets, MAX_MARKETS);
  const marketsRoot = mixInLength(treeRoot(cache.markets), state.markets.length);

  // Withdrawals: append-only; hash the new records (4 chunks each) as rows.
  const wt = cache.withdrawals;
  const n = state.withdrawals.length;
  if (state.withdrawalsCommitted < n) {
    wt.ensure(n);
    const from = state.withdrawalsCommitted;
    const rows = n - from;
    const buf = scratchRows.take(rows * 128);
    buf.fill(0, 0, rows * 128);
    const v = new DataView(buf.buffer, buf.byteOffset);
    for (let k = 0; k < rows; k++) {
      const w = state.withdrawals[from + k]!;
      v.setUint32(k * 128, w.account, true);
      hexToBytesInto(w.owner, buf, k * 128 + 32);
      v.setUint8(k * 128 + 64, w.asset);
      putU128(v, k * 128 + 96, w.amount);
    }
    const roots = merkleizeRows(buf, rows, 4);
    const idx: number[] = [];
    for (let k = 0; k < rows; k++) {
      wt.setLeaf(from + k, roots.subarray(k * 32, k * 32 + 32));
      idx.push(from + k);
    }
    wt.update(idx);
    state.withdrawalsCommitted = n;
  }

  const p = state.params;
  const signerChunks = p.oracleSigners.map((s) => {
    const c = new Uint8Array(32);
    hexToBytesInto(s, c, 0);
    return c;
  });
  if (signerChunks.length !== MAX_ORACLE_SIGNERS) throw new Error("params.oracleSigners has the wrong length");
  const paramsRoot = containerRoot([
    chunkU64(p.maxOracleAgeMs),
    chunkU64(p.oracleBandPpm),
    chunkU64(p.nonceWindowMs),
    chunkU64(BigInt(p.oracleThreshold)),
    containerRoot(signerChunks),
    chunkU64(p.liquidationPenaltyPpm),
    chunkU64(p.liquidationBufferPpm),
    chunkU64(p.pacingWindowMs),
    chunkU64(p.accountLiquidationCap),
    chunkU64(p.insuranceLossCap),
    chunkU64(p.fundingIntervalMs),
    chunkU64(p.maxFundingRatePpm),
    chunkU64(p.portfolioFloorPpm),
    chunkU64(p.portfolioMaintenancePpm),
    packedU32Chunk(p.groupShocksPpm),
    chunkU64(BigInt(p.backstopAccount)),
  ]);
  const l1Root = hash64(chunkU64(state.l1.nextIndex), state.l1.chainHash);
  const assetRoots = state.assets.map((a) =>
    containerRoot([chunkU64(BigInt(a.decimals)), chunkU64(a.weightPpm), chunkU64(a.oraclePrice), chunkU64(a.oracleTimestamp)]),
  );
  while (assetRoots.length < MAX_ASSETS) assetRoots.push(ZERO_HASHES[0]!);
  const assetsRoot = mixInLength(containerRoot(assetRoots), state.assets.length);

  return containerRoot([
    paramsRoot,
    l1Root,
    chunkU64(state.clock),
    assetsRoot,
    marketsRoot,
    cache.accounts.root(state.accounts.length),
    wt.root(n),
    int128VectorRoot(state.insuranceFund),
    hash64(chunkU64(state.insuranceWindow.windowStart), chunkU128(state.insuranceWindow.paidInWindow)),
    chunkU128(state.socializedLoss),
  ]);
}
