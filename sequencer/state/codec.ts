/**
 * Canonical bytes of operations: the SSZ union `Operation` (types.ts); the first byte is the
 * operation's selector (its index in OP_TYPES). Decoding rejects anything non-canonical
 * (wrong lengths, unknown selector, trailing bytes, lists over their limit) because SSZ
 * deserialization does. Encoding throws on a list longer than its SSZ limit (OracleUpdate:
 * 68 prices, 8 signatures), which @chainsafe/ssz would otherwise serialize into bytes no
 * decoder accepts.
 */
import { ByteVectorType, ContainerType, ListCompositeType, type Type } from "@chainsafe/ssz";
import { bytesToHex, hexToBytes } from "./bytes.js";
import type { Op, OpType, SequencedOp as SequencedOpValue } from "./ops.js";
import { OP_TYPES, Operation, SequencedOp } from "./types.js";

const SELECTOR = new Map<string, number>(OP_TYPES.map(([name], i) => [name, i]));
/** Fields holding two's complement signed integers, per operation. */
const SIGNED_64: Partial<Record<OpType, string[]>> = { AdjustIsolatedMargin: ["delta"], FundingTick: ["premiumPpm"] };

export function opSelector(type: OpType): number {
  return SELECTOR.get(type)!;
}

// biome-ignore lint: SSZ values are untyped at this boundary.
type Any = any;

/** A list over its SSZ limit; `path` is completed on the way out (built only on error). */
class ListLimit extends Error {
  constructor(
    public path: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

function toSsz(type: Type<unknown>, v: Any): Any {
  if (type instanceof ByteVectorType) return hexToBytes(v);
  if (type instanceof ListCompositeType) {
    const list = v as Any[];
    if (list.length > type.limit) throw new ListLimit("", `${list.length} items exceed its SSZ list limit of ${type.limit}`);
    const out = new Array(list.length);
    for (let i = 0; i < list.length; i++) {
      try {
        out[i] = toSsz(type.elementType as Type<unknown>, list[i]);
      } catch (e) {
        throw prefixed(e, `[${i}]`);
      }
    }
    return out;
  }
  if (type instanceof ContainerType) {
    const out: Any = {};
    for (const [k, t] of Object.entries(type.fields as Record<string, Type<unknown>>)) {
      try {
        out[k] = toSsz(t, v[k]);
      } catch (e) {
        throw prefixed(e, `.${k}`);
      }
    }
    return out;
  }
  return v;
}

// PERF: encoding is on the sequencer's hot path; the field path is assembled only when a
// ListLimit passes through, not for every field of every op.
function prefixed(e: unknown, step: string): unknown {
  if (e instanceof ListLimit) e.path = step + e.path;
  return e;
}

function fromSsz(type: Type<unknown>, v: Any): Any {
  if (type instanceof ByteVectorType) return bytesToHex(v);
  if (type instanceof ListCompositeType) return (v as Any[]).map((x) => fromSsz(type.elementType as Type<unknown>, x));
  if (type instanceof ContainerType) {
    const out: Any = {};
    for (const [k, t] of Object.entries(type.fields as Record<string, Type<unknown>>)) out[k] = fromSsz(t, v[k]);
    return out;
  }
  return v;
}

function toUnionValue(op: Op): { selector: number; value: Any } {
  const selector = SELECTOR.get(op.type);
  if (selector === undefined) throw new Error(`unknown operation type ${String(op.type)}`);
  let value: Any;
  try {
    value = toSsz(OP_TYPES[selector]![1] as Type<unknown>, op);
  } catch (e) {
    if (e instanceof ListLimit) throw new Error(`cannot encode ${op.type}${e.path}: ${e.detail}`);
    throw e;
  }
  for (const f of SIGNED_64[op.type] ?? []) value[f] = BigInt.asUintN(64, value[f]);
  return { selector, value };
}

function fromUnionValue(u: { selector: number; value: Any }): Op {
  const [type, sszType] = OP_TYPES[u.selector]!;
  const op = { type, ...fromSsz(sszType as Type<unknown>, u.value) };
  for (const f of SIGNED_64[type] ?? []) op[f] = BigInt.asIntN(64, op[f]);
  return op as Op;
}

export function encodeOp(op: Op): Uint8Array {
  return Operation.serialize(toUnionValue(op));
}

export function decodeOp(bytes: Uint8Array): Op {
  return fromUnionValue(Operation.deserialize(bytes) as Any);
}

export function encodeSequencedOp(s: SequencedOpValue): Uint8Array {
  return SequencedOp.serialize({ timestamp: s.timestamp, op: toUnionValue(s.op) });
}

export function decodeSequencedOp(bytes: Uint8Array): SequencedOpValue {
  const v = SequencedOp.deserialize(bytes) as Any;
  return { timestamp: v.timestamp, op: fromUnionValue(v.op) };
}

/**
 * encodeSequencedOp from an op's canonical bytes, without re-encoding the op: the container
 * {timestamp: uint64, op: union} serializes as timestamp (8 bytes LE) ‖ offset 12 (4 bytes LE)
 * ‖ op bytes. The sequencer encodes each op once (for the signature workers) and reuses it.
 */
export function encodeSequencedOpFrom(timestamp: bigint, opBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + opBytes.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, timestamp, true);
  view.setUint32(8, 12, true);
  out.set(opBytes, 12);
  return out;
}
