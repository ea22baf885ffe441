/**
 * Arbitrary operations for the codec's property tests and fixtures, built from the codec's
 * schema and the SSZ types (so every selector and field is covered without a hand list).
 * Values mix the shapes real traffic has (small ids, power-of-ten multiples, times near the
 * operation's timestamp) with the whole range of each field and its edges (0, max).
 */
import { ByteVectorType, ContainerType, UintNumberType, type Type } from "@chainsafe/ssz";
import fc from "fast-check";
import type { Hex, Op, SequencedOp } from "../../state/ops.js";
import { OP_TYPES } from "../../state/types.js";
import { MAX_ORACLE_SIGNERS, MAX_PRICE_POINTS, ORACLE_SELECTOR, PRICE_POINT_FIELDS, SCHEMA, type Field } from "../schema.js";

const TWO64 = 1n << 64n;

const hexOf = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString("hex")}`;

function maxOf(width: number): bigint {
  return (1n << BigInt(8 * width)) - 1n;
}

function arbUint(width: number): fc.Arbitrary<bigint> {
  const max = maxOf(width);
  return fc.oneof(
    { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: max < 300n ? max : 300n }) },
    { weight: 3, arbitrary: fc.bigInt({ min: 0n, max }) },
    { weight: 1, arbitrary: fc.constantFrom(0n, max) },
  );
}

function arbDecimal(width: number): fc.Arbitrary<bigint> {
  const max = maxOf(width);
  const maxE = width === 8 ? 19 : 38;
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.bigInt({ min: 1n, max: 99_999n }), fc.integer({ min: 0, max: maxE })).map(([m, e]) => m * 10n ** BigInt(e)).filter((v) => v <= max) },
    { weight: 3, arbitrary: fc.bigInt({ min: 0n, max }) },
    { weight: 1, arbitrary: fc.constantFrom(0n, max, 10n ** BigInt(maxE)) },
  );
}

type TimeSpec = { rel: bigint } | { abs: bigint };
const arbTime: fc.Arbitrary<TimeSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: -100_000n, max: 100_000_000n }).map((rel) => ({ rel })) },
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: TWO64 - 1n }).map((abs) => ({ abs })) },
  { weight: 1, arbitrary: fc.constantFrom<TimeSpec>({ abs: 0n }, { abs: TWO64 - 1n }, { abs: 1n }) },
);

const arbInt64 = fc.oneof(
  fc.bigInt({ min: -1000n, max: 1000n }),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
  fc.constantFrom(-(1n << 63n), (1n << 63n) - 1n, -1n, 0n),
);

type Raw = { field: Field; value: unknown };

function arbField(f: Field, type: Type<unknown>): fc.Arbitrary<Raw> {
  const asNumber = type instanceof UintNumberType;
  const wrap = (a: fc.Arbitrary<unknown>) => a.map((value) => ({ field: f, value }));
  switch (f.coding) {
    case "raw":
      if (type instanceof ByteVectorType) return wrap(fc.uint8Array({ minLength: f.width, maxLength: f.width }).map(hexOf));
      return wrap(fc.integer({ min: 0, max: 255 }));
    case "uint":
      return wrap(arbUint(f.width).map((v) => (asNumber ? Number(v) : v)));
    case "decimal":
      return wrap(arbDecimal(f.width));
    case "time":
      return wrap(arbTime);
    case "signed":
      return wrap(arbInt64);
  }
}

function resolveTime(spec: TimeSpec, ts: bigint): bigint {
  if ("abs" in spec) return spec.abs;
  const v = ts + spec.rel;
  return v < 0n ? 0n : v >= TWO64 ? TWO64 - 1n : v;
}

const fieldTypes = (sel: number) => (OP_TYPES[sel]![1] as unknown as { fields: Record<string, Type<unknown>> }).fields;

function arbOpAt(sel: number): fc.Arbitrary<(ts: bigint) => Op> {
  const types = fieldTypes(sel);
  const fields = fc.tuple(...SCHEMA[sel]!.map((f) => arbField(f, types[f.name]!)));
  const name = OP_TYPES[sel]![0];
  if (sel !== ORACLE_SELECTOR) {
    return fields.map((raws) => (ts: bigint) => {
      const op: Record<string, unknown> = { type: name };
      for (const { field, value } of raws) op[field.name] = field.coding === "time" ? resolveTime(value as TimeSpec, ts) : value;
      return op as unknown as Op;
    });
  }
  const pointTypes = (types.prices as unknown as { elementType: ContainerType<Record<string, Type<unknown>>> }).elementType.fields;
  const point = fc.tuple(...PRICE_POINT_FIELDS.map((f) => arbField(f, pointTypes[f.name]!)));
  return fc
    .tuple(
      fields,
      fc.oneof(fc.array(point, { maxLength: 4 }), fc.array(point, { maxLength: MAX_PRICE_POINTS })),
      fc.array(fc.uint8Array({ minLength: 65, maxLength: 65 }).map(hexOf), { maxLength: MAX_ORACLE_SIGNERS }),
    )
    .map(([raws, points, signatures]) => (ts: bigint) => ({
      type: "OracleUpdate",
      timestamp: resolveTime(raws[0]!.value as TimeSpec, ts),
      prices: points.map((p) => ({ kind: p[0]!.value as number, id: p[1]!.value as number, price: p[2]!.value as bigint })),
      signatures,
    }));
}

/** One arbitrary operation of any kind, for a given timestamp. */
export const arbOpFor: fc.Arbitrary<(ts: bigint) => Op> = fc.oneof(...SCHEMA.map((_, sel) => arbOpAt(sel)));

/** Timestamps: mostly a few ms apart and rising, sometimes anywhere (the codec must not care). */
const arbStep = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: 0n, max: 50n }).map((d) => ({ rel: d })) },
  { weight: 1, arbitrary: fc.bigInt({ min: -1_000n, max: 1_000_000n }).map((d) => ({ rel: d })) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: TWO64 - 1n }).map((abs) => ({ abs })) },
);

/** A batch of arbitrary sequenced operations. */
export function arbBatch(maxLength = 40): fc.Arbitrary<SequencedOp[]> {
  return fc.tuple(fc.bigInt({ min: 0n, max: TWO64 - 1n }), fc.array(fc.tuple(arbStep, arbOpFor), { maxLength })).map(([start, items]) => {
    let ts = start;
    return items.map(([step, make]) => {
      ts = resolveTime(step as TimeSpec, ts);
      return { timestamp: ts, op: make(ts) };
    });
  });
}
