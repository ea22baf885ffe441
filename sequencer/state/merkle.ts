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
import { ACCOUNTS_LIMIT_DEPTH, MAX_ASSETS, MAX_MARKETS, MAX_ORACLE_SIGNERS, ORDER_SLOTS, WITHDRAWALS_LIMIT_DEPTH } from "./constants.js";
import {
  type AccountState,
  type CrossmarginState,
  DIRTY_BALANCES,
  DIRTY_KEYS,
  DIRTY_NONCES,
  DIRTY_PACING,
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
 * Re-hashes the paths above the given dirty leaves of many trees of the same size at once.
 * `dirty[k]` lists leaf indices of `trees[k]`, ascending and unique.
 */
export function updateTrees(trees: Uint8Array[], dirty: number[][], leaves: number): void {
  let cur: number[][] = dirty.map((d) => d.map((i) => i + leaves));
  for (let level = leaves; level > 1; level >>>= 1) {
    let total = 0;
    const next: number[][] = new Array(cur.length);
    for (let k = 0; k < cur.length; k++) {
      const gs = cur[k]!;
      const parents: number[] = [];
      for (let j = 0; j < gs.length; j++) {
        const p = gs[j]! >>> 1;
        if (parents.length === 0 || parents[parents.length - 1] !== p) parents.push(p);
      }
      next[k] = parents;
      total += parents.length;
    }
    if (total === 0) return;
    const input = scratchA.take(total * 64);
    let off = 0;
    for (let k = 0; k < next.length; k++) {
      const t = trees[k]!;
      for (const p of next[k]!) {
        input.set(t.subarray(p * 64, p * 64 + 64), off);
        off += 64;
      }
    }
    const output = scratchB.take(total * 32);
    hashBlocks(input.subarray(0, total * 64), output.subarray(0, total * 32));
    off = 0;
    for (let k = 0; k < next.length; k++) {
      const t = trees[k]!;
      for (const p of next[k]!) {
        t.set(output.subarray(off, off + 32), p * 32);
        off += 32;
      }
    }
    cur = next;
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
    updateTrees([this.nodes], [sortedDirty], this.capacity);
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

/** Root of an all-zero container of 8 chunks: the empty position and the empty order. */
const EMPTY_SLOT_ROOT = ZERO_HASHES[3]!;
const EMPTY_SLOTS_TREE = newTree(ORDER_SLOTS, EMPTY_SLOT_ROOT);
const EMPTY_POSITIONS_TREE = newTree(MAX_MARKETS, EMPTY_SLOT_ROOT);

// ─── Commit ─────────────────────────────────────────────────────────────────────────

interface MerkleCache {
  accounts: ListTree;
  withdrawals: ListTree;
  /** Tree over the markets list's 64 element roots. */
  markets: Uint8Array;
}

function cacheOf(state: CrossmarginState): MerkleCache {
  if (state.merkle === null) {
    const c: MerkleCache = {
      accounts: new ListTree(ACCOUNTS_LIMIT_DEPTH),
      withdrawals: new ListTree(WITHDRAWALS_LIMIT_DEPTH),
      markets: newTree(MAX_MARKETS, ZERO_HASHES[0]!),
    };
    state.merkle = c;
    // A state built outside the setters (snapshot, genesis) is hashed whole at first commit.
    for (const a of state.accounts) markAllDirty(state, a);
    state.withdrawalsCommitted = 0;
    for (const m of state.markets) {
      m.root = null;
      m.tiersRoot = null;
    }
  }
  return state.merkle as MerkleCache;
}

function markAllDirty(state: CrossmarginState, a: AccountState): void {
  a.dirtyParts = 0xff;
  a.dirtyPositions = [];
  a.dirtyOrders = [];
  for (let i = 0; i < MAX_MARKETS; i++) if (a.positions[i] !== null) a.dirtyPositions.push(i);
  for (let i = 0; i < ORDER_SLOTS; i++) if (a.orders[i] !== null) a.dirtyOrders.push(i);
  if (!a.inDirtyList) {
    a.inDirtyList = true;
    state.dirtyAccounts.push(a);
  }
}

const seen = new Uint8Array(Math.max(MAX_MARKETS, ORDER_SLOTS));
function uniqueSorted(list: number[]): number[] {
  const out: number[] = [];
  for (const i of list) {
    if (seen[i] === 0) {
      seen[i] = 1;
      out.push(i);
    }
  }
  for (const i of out) seen[i] = 0;
  return out.sort((a, b) => a - b);
}

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

  // Stage 1: every touched position and order slot (8-chunk containers), all accounts at once.
  const posSlots: number[][] = [];
  const ordSlots: number[][] = [];
  let rows = 0;
  for (const a of dirty) {
    const ps = uniqueSorted(a.dirtyPositions);
    const os = uniqueSorted(a.dirtyOrders);
    posSlots.push(ps);
    ordSlots.push(os);
    rows += ps.length + os.length;
  }
  const rowBuf = scratchRows.take(rows * 256);
  rowBuf.fill(0, 0, rows * 256);
  const view = new DataView(rowBuf.buffer, rowBuf.byteOffset);
  let r = 0;
  for (let k = 0; k < dirty.length; k++) {
    const a = dirty[k]!;
    for (const m of posSlots[k]!) {
      const p = a.positions[m];
      if (p) packPosition(view, r * 256, p);
      r++;
    }
    for (const s of ordSlots[k]!) {
      const o = a.orders[s];
      if (o) packOrder(view, r * 256, o);
      r++;
    }
  }
  const slotRoots = merkleizeRows(rowBuf, rows, 8);
  const trees: Uint8Array[] = [];
  const treeDirty: number[][] = [];
  r = 0;
  for (let k = 0; k < dirty.length; k++) {
    const a = dirty[k]!;
    const ps = posSlots[k]!;
    if (ps.length > 0) {
      a.positionTree ??= EMPTY_POSITIONS_TREE.slice();
      for (const m of ps) a.positionTree.set(slotRoots.subarray(r * 32, r * 32 + 32), (MAX_MARKETS + m) * 32), r++;
      trees.push(a.positionTree);
      treeDirty.push(ps);
    }
    const os = ordSlots[k]!;
    if (os.length > 0) {
      a.orderTree ??= EMPTY_SLOTS_TREE.slice();
      for (const s of os) a.orderTree.set(slotRoots.subarray(r * 32, r * 32 + 32), (ORDER_SLOTS + s) * 32), r++;
      trees.push(a.orderTree);
      treeDirty.push(os);
    }
    a.dirtyPositions = [];
    a.dirtyOrders = [];
  }
  // Stage 2: the 64-slot vectors above them (MAX_MARKETS === ORDER_SLOTS: one batch).
  updateTrees(trees, treeDirty, ORDER_SLOTS);

  // Stage 3: balances (2 chunks) and nonces (4 chunks) per account, batched; keys directly.
  commitSmallParts(dirty);

  // Stage 4: the account containers (7 fields, 8 chunks).
  const acctBuf = scratchRows.take(dirty.length * 256);
  acctBuf.fill(0, 0, dirty.length * 256);
  for (let k = 0; k < dirty.length; k++) {
    const a = dirty[k]!;
    const off = k * 256;
    hexToBytesInto(a.owner, acctBuf, off);
    new DataView(acctBuf.buffer, acctBuf.byteOffset).setBigUint64(off + 32, a.flags, true);
    const parts = a.partRoots!;
    acctBuf.set(parts.subarray(0, 96), off + 64);
    acctBuf.set(a.positionTree ? treeRoot(a.positionTree) : treeRoot(EMPTY_POSITIONS_TREE), off + 160);
    acctBuf.set(a.orderTree ? treeRoot(a.orderTree) : treeRoot(EMPTY_SLOTS_TREE), off + 192);
    acctBuf.set(parts.subarray(96, 128), off + 224);
  }
  const acctRoots = merkleizeRows(acctBuf, dirty.length, 8);

  // Stage 5: the accounts list tree.
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

function commitSmallParts(dirty: AccountState[]): void {
  const bal: AccountState[] = [];
  const non: AccountState[] = [];
  for (const a of dirty) {
    a.partRoots ??= new Uint8Array(128);
    if (a.dirtyParts & DIRTY_BALANCES) bal.push(a);
    if (a.dirtyParts & DIRTY_NONCES) non.push(a);
    if (a.dirtyParts & DIRTY_KEYS) a.partRoots.set(sessionKeysRoot(a), 64);
    if (a.dirtyParts & DIRTY_PACING) a.partRoots.set(hash64(chunkU64(a.pacing.windowStart), chunkU64(a.pacing.liquidatedInWindow)), 96);
  }
  if (bal.length > 0) {
    const buf = scratchRows.take(bal.length * 64);
    const v = new DataView(buf.buffer, buf.byteOffset);
    for (let k = 0; k < bal.length; k++) for (let i = 0; i < MAX_ASSETS; i++) putU128(v, k * 64 + i * 16, bal[k]!.balances[i]!);
    const roots = merkleizeRows(buf, bal.length, 2);
    for (let k = 0; k < bal.length; k++) bal[k]!.partRoots!.set(roots.subarray(k * 32, k * 32 + 32), 0);
  }
  if (non.length > 0) {
    const buf = scratchRows.take(non.length * 128);
    const v = new DataView(buf.buffer, buf.byteOffset);
    for (let k = 0; k < non.length; k++) {
      const ns = non[k]!.nonces;
      for (let i = 0; i < ns.length; i++) putU64(v, k * 128 + i * 8, ns[i]!);
    }
    const roots = merkleizeRows(buf, non.length, 4);
    for (let k = 0; k < non.length; k++) non[k]!.partRoots!.set(roots.subarray(k * 32, k * 32 + 32), 32);
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
