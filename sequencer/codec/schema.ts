/**
 * How each operation's fields are coded in batch data (docs/codec.md). One entry per union
 * selector, fields in SSZ order; the decoder is a small interpreter of this table, in
 * TypeScript (compress.ts) and in Solidity (contracts/src/lib/BatchCodec.sol, whose `SCHEMA`
 * constant must equal `schemaTable()`: the forge test checks it against the fixture).
 *
 * A field code is one byte:
 *   0x80 | w  raw: w bytes copied (u8 fields, addresses, bytes32, signatures)
 *   0x00 | w  uint: LEB128 varint of the value, < 2^(8w)
 *   0x20 | w  decimal: varint of m·B + e where value = m·10^e (B = 20 for w = 8, 40 for w = 16)
 *   0x40 | 8  time: 0 for the value 0, else 1 + zigzag(value − the op's timestamp)
 *   0x60 | 8  signed: zigzag varint of an int64 (two's complement in the SSZ field)
 * and the decoder writes each value as w little-endian bytes, as SSZ does.
 *
 * Why these codings: signatures are random and are copied; account ids, slots, markets and
 * order ids are small; prices, sizes and amounts are multiples of power-of-ten ticks, lots
 * and units, so their trailing decimal zeros become an exponent; nonces, expiries and oracle
 * timestamps sit close to the operation's own timestamp (a nonce is a millisecond clock).
 */
import { ByteVectorType, UintBigintType, UintNumberType, type Type } from "@chainsafe/ssz";
import { MAX_ORACLE_SIGNERS, MAX_PRICE_POINTS } from "../state/constants.js";
import { OP_TYPES, PricePoint } from "../state/types.js";

export const RAW = 0x80;
export const UINT = 0x00;
export const DECIMAL = 0x20;
export const TIME = 0x40;
export const SIGNED = 0x60;

export type Coding = "raw" | "uint" | "decimal" | "time" | "signed";
const KIND: Record<Coding, number> = { raw: RAW, uint: UINT, decimal: DECIMAL, time: TIME, signed: SIGNED };

/** Selector of OracleUpdate: its two lists follow its `timestamp` field (compress.ts). */
export const ORACLE_SELECTOR = 10;
/** PricePoint { kind u8, id u16, price u64 } inside OracleUpdate. */
export const PRICE_POINT_FIELDS: readonly Field[] = [
  { name: "kind", coding: "raw", width: 1 },
  { name: "id", coding: "uint", width: 2 },
  { name: "price", coding: "decimal", width: 8 },
];
export const PRICE_POINT_SIZE = 11;
export const SIGNATURE_SIZE = 65;
export { MAX_ORACLE_SIGNERS, MAX_PRICE_POINTS };

export interface Field {
  name: string;
  coding: Coding;
  /** Bytes of the field in SSZ. */
  width: number;
}

const r = (name: string, width: number): Field => ({ name, coding: "raw", width });
const u = (name: string, width: number): Field => ({ name, coding: "uint", width });
const d = (name: string, width: number): Field => ({ name, coding: "decimal", width });
const t = (name: string): Field => ({ name, coding: "time", width: 8 });
const z = (name: string): Field => ({ name, coding: "signed", width: 8 });
const SIG = r("signature", 65);

/**
 * Per selector (index = position in OP_TYPES): the fixed fields, in SSZ order. OracleUpdate
 * lists only `timestamp`; its `prices` and `signatures` lists are coded after it.
 */
export const SCHEMA: readonly (readonly Field[])[] = [
  /* 0 Deposit */ [u("queueIndex", 8), u("account", 4), r("owner", 20), r("asset", 1), d("amount", 16)],
  /* 1 ParamUpdate */ [u("queueIndex", 8), u("key", 2), u("target", 2), r("value", 32)],
  /* 2 Withdraw */ [u("account", 4), t("nonce"), r("asset", 1), d("amount", 16), SIG],
  /* 3 Transfer */ [u("account", 4), t("nonce"), u("to", 4), r("asset", 1), d("amount", 16), SIG],
  /* 4 GrantSessionKey */ [u("account", 4), t("nonce"), r("key", 20), t("expiry"), SIG],
  /* 5 RevokeSessionKey */ [u("account", 4), t("nonce"), r("key", 20), SIG],
  /* 6 PlaceOrder */ [u("account", 4), t("nonce"), u("market", 2), r("flags", 1), d("price", 8), d("size", 8), t("expiry"), u("clientOrderId", 8), SIG],
  /* 7 CancelOrder */ [u("account", 4), t("nonce"), r("slot", 1), u("clientOrderId", 8), SIG],
  /* 8 CancelAll */ [u("account", 4), t("nonce"), u("market", 2), SIG],
  /* 9 Fill */ [u("makerAccount", 4), r("makerSlot", 1), u("takerAccount", 4), r("takerSlot", 1), d("price", 8), d("size", 8)],
  /* 10 OracleUpdate */ [t("timestamp")],
  /* 11 SetMarginMode */ [u("account", 4), t("nonce"), u("market", 2), r("mode", 1), SIG],
  /* 12 AdjustIsolatedMargin */ [u("account", 4), t("nonce"), u("market", 2), z("delta"), SIG],
  /* 13 Liquidate */ [u("account", 4), t("nonce"), u("target", 4), u("market", 2), SIG],
  /* 14 Deleverage */ [u("target", 4), u("market", 2), u("counterparty", 4), d("size", 8)],
  /* 15 FundingTick */ [u("market", 2), z("premiumPpm")],
  /* 16 SetPortfolioMargin */ [u("account", 4), t("nonce"), r("enabled", 1), SIG],
  /* 17 ForcedWithdraw */ [u("queueIndex", 8), u("account", 4), r("asset", 1), d("amount", 16)],
  /* 18 ForcedClose */ [u("queueIndex", 8), u("account", 4), u("market", 2)],
];

export function fieldCode(f: Field): number {
  return KIND[f.coding] | f.width;
}

/** Bytes per entry of the packed table: the field codes, then zeros (a 0 code ends the entry). */
export const SCHEMA_ENTRY = 16;

/** The packed table the Solidity decoder embeds: SCHEMA_ENTRY bytes per selector. */
export function schemaTable(): Uint8Array {
  const out = new Uint8Array(SCHEMA_ENTRY * SCHEMA.length);
  SCHEMA.forEach((fields, sel) => fields.forEach((f, i) => (out[SCHEMA_ENTRY * sel + i] = fieldCode(f))));
  return out;
}

/** SSZ body size of a fixed-size operation (every selector but OracleUpdate's). */
export function bodySize(sel: number): number {
  return SCHEMA[sel]!.reduce((a, f) => a + f.width, 0);
}

/**
 * Checks SCHEMA against the SSZ types the STF uses: same field names, order and widths, and
 * a coding that fits the type (raw for byte vectors and u8; the varint codings for wider
 * integers). Returns the mismatches; empty when the table is right. Run by the tests, so a
 * change to an operation's fields that forgets this table fails them.
 */
export function schemaMismatches(): string[] {
  const out: string[] = [];
  if (SCHEMA.length !== OP_TYPES.length) out.push(`${SCHEMA.length} schema entries for ${OP_TYPES.length} operations`);
  OP_TYPES.forEach(([name, type], sel) => {
    const fields = Object.entries((type as unknown as { fields: Record<string, Type<unknown>> }).fields);
    const want = sel === ORACLE_SELECTOR ? fields.slice(0, 1) : fields;
    const have = SCHEMA[sel] ?? [];
    if (want.length !== have.length) out.push(`${name}: ${have.length} coded fields, type has ${want.length}`);
    want.forEach(([fname, ftype], i) => {
      const f = have[i];
      if (!f) return;
      if (f.name !== fname) out.push(`${name}[${i}]: coded as ${f.name}, type has ${fname}`);
      if (f.width !== ftype.fixedSize) out.push(`${name}.${fname}: width ${f.width}, type has ${ftype.fixedSize}`);
      const isBytes = ftype instanceof ByteVectorType;
      const isInt = ftype instanceof UintBigintType || ftype instanceof UintNumberType;
      if (f.coding === "raw" ? !(isBytes || (isInt && f.width === 1)) : !isInt || f.width === 1) out.push(`${name}.${fname}: coding ${f.coding} does not fit its type`);
      if ((f.coding === "time" || f.coding === "signed") && f.width !== 8) out.push(`${name}.${fname}: ${f.coding} needs 8 bytes`);
      if (f.coding === "decimal" && f.width !== 8 && f.width !== 16) out.push(`${name}.${fname}: decimal needs 8 or 16 bytes`);
    });
  });
  const point = Object.entries((PricePoint as unknown as { fields: Record<string, Type<unknown>> }).fields);
  if (point.map(([n, t]) => `${n}:${t.fixedSize}`).join() !== PRICE_POINT_FIELDS.map((f) => `${f.name}:${f.width}`).join()) {
    out.push("PricePoint: coded fields differ from the type");
  }
  if (point.reduce((a, [, t]) => a + (t.fixedSize ?? 0), 0) !== PRICE_POINT_SIZE) out.push("PricePoint: size differs");
  return out;
}
