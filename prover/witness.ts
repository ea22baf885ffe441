/**
 * One-step witnesses (issue 7): everything the Solidity STF (contracts/src/OneStepProver.sol)
 * needs to execute one operation against a state root, as an SSZ multiproof of the pre-state
 * (format: docs/fault-proofs.md §Witness).
 *
 * Which leaves an operation touches is told by the STF's own code, not by a second list kept
 * by hand: the operation runs through `applyOp` on a recording view of the state (a Proxy
 * that forwards every read and write to the real objects and notes the SSZ leaf each one
 * falls on). The STF is unchanged and stays pure; the recording is outside it. The witness
 * then holds those leaves and the sibling nodes needed to hash them to the root, read from
 * the pre-state's SSZ tree (`StateProver`, sequencer/l1/proofs.ts).
 *
 * Recording rules (what the Solidity side may rely on being present):
 *  - a basic field or a packed chunk read or written: its chunk;
 *  - a list element or `length` accessed: the list's length chunk (existence checks);
 *  - a small record read or written (Position, Order, SessionKey, MarginTier, pacing,
 *    Withdrawal, CollateralAsset): every field chunk of it;
 *  - an empty position or order slot read (`null` in the state): the slot's root (the
 *    all-zero record's root), unless its fields are also recorded (then the fields);
 *  - `account.openMarkets` read (margin code iterates it): every position slot as above,
 *    so L1 can tell open slots from empty ones;
 *  - a record appended to a list (account, withdrawal, market, asset): the element's node,
 *    which is a zero chunk before (SSZ pads lists with zero chunks); L1 hashes the new record
 *    whole (none of its field chunks is recorded, even for a small record).
 * Derived caches are bypassed while recording (`crossCache` reads as empty) so that every
 * value the STF uses is read from state fields.
 */
import { ContainerType, ListCompositeType, type Type, VectorBasicType, VectorCompositeType } from "@chainsafe/ssz";
import { encodeAbiParameters } from "viem";
import { StateProver } from "../sequencer/l1/proofs.js";
import { bytesToHex } from "../sequencer/state/bytes.js";
import { encodeSequencedOp } from "../sequencer/state/codec.js";
import type { Hex, SequencedOp } from "../sequencer/state/ops.js";
import type { Receipt } from "../sequencer/state/receipt.js";
import type { CrossmarginState } from "../sequencer/state/state.js";
import { applyOp, type Recovered, stateRoot } from "../sequencer/state/stf.js";
import { Account, LiquidationPacing, MarginTier, Order, Position, SessionKey, State, Withdrawal, CollateralAsset } from "../sequencer/state/types.js";

/** A multiproof: nodes of the pre-state tree by generalized index, strictly descending. */
export interface OneStepWitness {
  gindices: bigint[];
  nodes: Hex[];
}

export interface OneStepCase {
  preRoot: Hex;
  /** `SequencedOp` SSZ bytes, as `IOneStepProver.execute` takes them. */
  opBytes: Hex;
  witness: OneStepWitness;
  /** `abi.encode(uint256[] gindices, bytes32[] nodes)`: the `witness` argument of `execute`. */
  witnessBytes: Hex;
  postRoot: Hex;
  receipt: Receipt;
}

type AnyType = Type<unknown>;
type Path = (string | number)[];

/** Records whose chunks are recorded together (a read of any part reads the record). */
const SMALL_RECORDS = new Set<AnyType>([Position, Order, SessionKey, MarginTier, LiquidationPacing, Withdrawal, CollateralAsset] as AnyType[]);

function depthOf(n: number): bigint {
  let d = 0n;
  while (1 << Number(d) < n) d++;
  return d;
}

/** Chunks of a container whose fields are all single-chunk values. */
function fieldChunks(type: ContainerType<never>, gindex: bigint): bigint[] {
  const names = Object.keys(type.fields);
  const depth = depthOf(names.length);
  return names.map((_, i) => (gindex << depth) | BigInt(i));
}

/** Records the leaves an operation touches in one state, by generalized index. */
class AccessRecorder {
  readonly gindices = new Set<bigint>();
  private readonly proxies = new WeakMap<object, object>();
  private readonly targets = new WeakMap<object, object>();
  private readonly gindexCache = new Map<string, bigint>();
  /** Set while a list element is being appended (its node is zero before). */
  private appending = false;

  gindexOf(path: Path): bigint {
    const key = path.join("/");
    let g = this.gindexCache.get(key);
    if (g === undefined) {
      g = State.getPathInfo(path).gindex;
      this.gindexCache.set(key, g);
    }
    return g;
  }

  private note(g: bigint): void {
    this.gindices.add(g);
  }

  unwrap<T>(v: T): T {
    return (typeof v === "object" && v !== null ? ((this.targets.get(v) as T | undefined) ?? v) : v) as T;
  }

  /** The list's length chunk (a list is a container of its data tree and its length). */
  private lengthOf(path: Path): bigint {
    return this.gindexOf(path) * 2n + 1n;
  }

  /** Notes what reading (or writing) `value` of `type` at `path` touches. */
  private noteValue(type: AnyType, path: Path, value: unknown, write: boolean): void {
    if (write && this.appending) {
      // Appended (a withdrawal, a listed market or asset): beyond a list's length its tree
      // holds zero chunks, so the element's node is proven zero and L1 hashes the new record whole.
      this.note(this.gindexOf(path));
    } else if (SMALL_RECORDS.has(type)) {
      const g = this.gindexOf(path);
      if (value === null && !write) this.note(g);
      else for (const c of fieldChunks(type as ContainerType<never>, g)) this.note(c);
    } else if (type === Account && write) {
      // Appended: beyond a list's length its tree holds zero chunks, so the element's node
      // is proven zero and L1 hashes the new record whole.
      this.note(this.gindexOf(path));
    } else if (!(type instanceof ContainerType || type instanceof ListCompositeType || type instanceof VectorCompositeType || type instanceof VectorBasicType)) {
      // A basic value, a byte vector of at most 32 bytes (one chunk), or a packed element.
      this.note(this.gindexOf(path));
    }
  }

  /** Every position slot of the account at `path` (open slots by field, empty ones by root). */
  private noteAllPositions(acct: { positions: readonly unknown[] }, path: Path): void {
    acct.positions.forEach((p, m) => this.noteValue(Position as AnyType, [...path, "positions", m], p, false));
  }

  /** The element type of a list or vector type, or the field type of a container. */
  private childType(type: AnyType, key: string | number): AnyType | undefined {
    if (type instanceof ContainerType) return (type.fields as Record<string, AnyType>)[key as string];
    if (type instanceof ListCompositeType || type instanceof VectorCompositeType || type instanceof VectorBasicType) {
      return typeof key === "number" ? (type.elementType as AnyType) : undefined;
    }
    return undefined;
  }

  wrap<T extends object>(target: T, type: AnyType, path: Path): T {
    const existing = this.proxies.get(target);
    if (existing !== undefined) return existing as T;
    if (type === Account) {
      // state.ts shares frozen empty vectors between idle accounts and copies one on its first
      // write, testing identity (`=== EMPTY_…`), which a view would defeat: give this account
      // its own copies first (same values, same root).
      const a = target as unknown as Record<string, readonly unknown[]>;
      for (const f of ["positions", "orders", "nonces", "sessionKeys"]) if (Object.isFrozen(a[f])) a[f] = a[f]!.slice();
    }
    const isList = type instanceof ListCompositeType;
    const indexed = isList || type instanceof VectorCompositeType || type instanceof VectorBasicType;
    // Proxies over a shell (not the object itself): frozen shared empties (state.ts) would
    // otherwise force the traps to hand out the raw objects.
    const shell = (Array.isArray(target) ? [] : {}) as T;
    const keyOf = (prop: string): string | number => (indexed && /^\d+$/.test(prop) ? Number(prop) : prop);
    const proxy: T = new Proxy(shell, {
      get: (_s, prop) => {
        const value = Reflect.get(target, prop) as unknown;
        if (typeof prop === "symbol") return typeof value === "function" ? value.bind(proxy) : value;
        const key = keyOf(prop);
        if (indexed && key === "length") {
          if (isList) this.note(this.lengthOf(path));
          return value;
        }
        if (type === Account && prop === "crossCache") return null;
        if (type === Account && prop === "openMarkets") this.noteAllPositions(target as never, path);
        const child = this.childType(type, key);
        if (child === undefined) return value;
        if (isList) this.note(this.lengthOf(path));
        if (value === undefined) return value;
        this.noteValue(child, [...path, key], value, false);
        if (typeof value === "object" && value !== null && !(value instanceof Uint8Array)) {
          return this.wrap(value as object, child, [...path, key]);
        }
        return value;
      },
      set: (_s, prop, raw) => {
        const value = this.unwrap(raw);
        if (typeof prop !== "symbol") {
          const key = keyOf(prop);
          if (indexed && key === "length") {
            if (isList) this.note(this.lengthOf(path));
          } else {
            const child = this.childType(type, key);
            if (child !== undefined) {
              if (isList) this.note(this.lengthOf(path));
              this.appending = isList && key === (target as unknown[]).length;
              this.noteValue(child, [...path, key], value, true);
              this.appending = false;
            }
          }
        }
        return Reflect.set(target, prop, value);
      },
      has: (_s, prop) => Reflect.has(target, prop),
      ownKeys: () => Reflect.ownKeys(target),
      getOwnPropertyDescriptor: (_s, prop) => {
        const d = Reflect.getOwnPropertyDescriptor(target, prop);
        if (d === undefined) return d;
        // Read through `get` so spreads and Object.keys walks are recorded too.
        const value: unknown = (proxy as Record<string | symbol, unknown>)[prop];
        return prop === "length" && Array.isArray(target) ? { ...d, value } : { ...d, value, configurable: true };
      },
    });
    this.proxies.set(target, proxy);
    this.targets.set(proxy, target);
    return proxy;
  }
}

/**
 * The multiproof of `leaves`: the leaves (a node is dropped when a descendant of it is also
 * asked for) and every sibling needed to hash them up to the root, strictly descending.
 */
export function multiproofGindices(leaves: Iterable<bigint>): bigint[] {
  const asked = new Set(leaves);
  const onPath = new Set<bigint>();
  for (const g of asked) for (let x = g; x >= 1n && !onPath.has(x); x >>= 1n) onPath.add(x);
  const out = new Set<bigint>();
  for (const g of asked) {
    // A node with a descendant asked for is computed from below, never given.
    if (!onPath.has(g * 2n) && !onPath.has(g * 2n + 1n)) out.add(g);
  }
  for (const x of onPath) {
    if (x !== 1n && !onPath.has(x ^ 1n)) out.add(x ^ 1n);
  }
  return [...out].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
}

/** The SSZ root a multiproof commits to (the hash the contract recomputes), for self-checks. */
export function witnessRoot(w: OneStepWitness, hash: (a: Uint8Array, b: Uint8Array) => Uint8Array): Hex {
  const known = new Map<bigint, Uint8Array>();
  w.gindices.forEach((g, i) => known.set(g, Buffer.from(w.nodes[i]!.slice(2), "hex")));
  const keys = [...w.gindices];
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k === 1n) break;
    const parent = k >> 1n;
    if (known.has(k ^ 1n) && !known.has(parent)) {
      known.set(parent, hash(known.get(parent * 2n)!, known.get(parent * 2n + 1n)!));
      keys.push(parent);
    }
  }
  const root = known.get(1n);
  if (root === undefined) throw new Error("witness does not reach the root");
  return bytesToHex(root) as Hex;
}

export function encodeWitness(w: OneStepWitness): Hex {
  return encodeAbiParameters([{ type: "uint256[]" }, { type: "bytes32[]" }], [w.gindices, w.nodes]);
}

/**
 * Applies one sequenced operation to `state` (which becomes the post-state) and returns the
 * one-step case: pre-root, operation bytes, witness against the pre-root, post-root. The
 * receipt is the STF's own. `recovered` is the signature pre-pass's output for this op
 * (`recoverOp`), as `applyBatch` takes it.
 */
export function applyWithWitness(state: CrossmarginState, sop: SequencedOp, recovered: Recovered): OneStepCase {
  const pre = new StateProver(state);
  const recorder = new AccessRecorder();
  const view = recorder.wrap(state, State as AnyType, []);
  const receipt = applyOp(view, sop.op, { timestamp: sop.timestamp, ...recovered });
  // The Merkle bookkeeping list received the recording views of touched accounts.
  for (let i = 0; i < state.dirtyAccounts.length; i++) state.dirtyAccounts[i] = recorder.unwrap(state.dirtyAccounts[i]!);
  const gindices = multiproofGindices(recorder.gindices);
  const witness: OneStepWitness = { gindices, nodes: pre.nodes(gindices).map((n) => bytesToHex(n) as Hex) };
  return {
    preRoot: pre.root,
    opBytes: bytesToHex(encodeSequencedOp(sop)) as Hex,
    witness,
    witnessBytes: encodeWitness(witness),
    postRoot: bytesToHex(stateRoot(state)) as Hex,
    receipt,
  };
}
