/**
 * EIP-712 messages of account-signed operations and oracle updates, and the signature
 * pre-pass. The domain binds every signature to one L1 chain and one Rollup contract.
 *
 * Recovery is a pure function of (operation bytes, domain), done before the STF and in any
 * order or in parallel; the STF only consumes the recovered addresses (context.ts).
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { hashTypedData } from "viem";
import { bytesToHex, hexToBytes } from "./bytes.js";
import type { Hex, Op, OracleUpdate, SignedOp } from "./ops.js";
import type { Recovered } from "./stf.js";

export interface SigningDomain {
  chainId: bigint;
  /** The Rollup contract's address. */
  verifyingContract: Hex;
}

const HEAD = [
  { name: "account", type: "uint32" },
  { name: "nonce", type: "uint64" },
] as const;

export const EIP712_TYPES = {
  Withdraw: [...HEAD, { name: "asset", type: "uint8" }, { name: "amount", type: "uint128" }],
  Transfer: [...HEAD, { name: "to", type: "uint32" }, { name: "asset", type: "uint8" }, { name: "amount", type: "uint128" }],
  GrantSessionKey: [...HEAD, { name: "key", type: "address" }, { name: "expiry", type: "uint64" }],
  RevokeSessionKey: [...HEAD, { name: "key", type: "address" }],
  PlaceOrder: [
    ...HEAD,
    { name: "market", type: "uint16" },
    { name: "flags", type: "uint8" },
    { name: "price", type: "uint64" },
    { name: "size", type: "uint64" },
    { name: "expiry", type: "uint64" },
    { name: "clientOrderId", type: "uint64" },
  ],
  CancelOrder: [...HEAD, { name: "slot", type: "uint8" }, { name: "clientOrderId", type: "uint64" }],
  CancelAll: [...HEAD, { name: "market", type: "uint16" }],
  SetMarginMode: [...HEAD, { name: "market", type: "uint16" }, { name: "mode", type: "uint8" }],
  AdjustIsolatedMargin: [...HEAD, { name: "market", type: "uint16" }, { name: "delta", type: "int64" }],
  Liquidate: [...HEAD, { name: "target", type: "uint32" }, { name: "market", type: "uint16" }],
  SetPortfolioMargin: [...HEAD, { name: "enabled", type: "uint8" }],
  OracleUpdate: [
    { name: "timestamp", type: "uint64" },
    { name: "prices", type: "PricePoint[]" },
  ],
  PricePoint: [
    { name: "kind", type: "uint8" },
    { name: "id", type: "uint16" },
    { name: "price", type: "uint64" },
  ],
} as const;

export function eip712Domain(d: SigningDomain) {
  return { name: "Crossmargin", version: "1", chainId: d.chainId, verifyingContract: d.verifyingContract } as const;
}

/** The typed-data arguments (viem `signTypedData` / `hashTypedData`) for an operation. */
export function typedDataOf(op: SignedOp | OracleUpdate, domain: SigningDomain) {
  const { type, ...fields } = op as Op & Record<string, unknown>;
  delete (fields as Record<string, unknown>).signature;
  delete (fields as Record<string, unknown>).signatures;
  const types =
    type === "OracleUpdate"
      ? { OracleUpdate: EIP712_TYPES.OracleUpdate, PricePoint: EIP712_TYPES.PricePoint }
      : { [type]: EIP712_TYPES[type as keyof typeof EIP712_TYPES] };
  return { domain: eip712Domain(domain), types, primaryType: type, message: fields } as const;
}

/** The digest as viem computes it (reference for tests; slow: it validates and re-encodes). */
export function signingDigestViem(op: SignedOp | OracleUpdate, domain: SigningDomain): Uint8Array {
  // biome-ignore lint: viem's generic typed-data parameters cannot follow a runtime type map.
  return hexToBytes(hashTypedData(typedDataOf(op, domain) as any));
}

// ─── EIP-712 hashing for our fixed types ─────────────────────────────────────────────
// PERF: the signature pre-pass is the sequencer's first bottleneck, and a generic typed-data
// encoder costs ~4× the recovery itself. Our types are fixed and flat (one array of structs,
// in OracleUpdate), so encodeData is a row of 32-byte words; tests check equality with viem.

const utf8 = new TextEncoder();
type Field = { readonly name: string; readonly type: string };

function typeString(name: string, fields: readonly Field[]): string {
  return `${name}(${fields.map((f) => `${f.type} ${f.name}`).join(",")})`;
}
const TYPE_HASH = new Map<string, Uint8Array>();
for (const [name, fields] of Object.entries(EIP712_TYPES)) {
  const extra = name === "OracleUpdate" ? typeString("PricePoint", EIP712_TYPES.PricePoint) : "";
  TYPE_HASH.set(name, keccak_256(utf8.encode(typeString(name, fields) + extra)));
}
const DOMAIN_TYPE_HASH = keccak_256(
  utf8.encode("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
);

function putWord(buf: Uint8Array, at: number, x: bigint): void {
  let v = BigInt.asUintN(256, x);
  for (let i = 31; i >= 0; i--) {
    buf[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function structHash(name: string, fields: readonly Field[], value: Record<string, unknown>): Uint8Array {
  const buf = new Uint8Array(32 * (fields.length + 1));
  buf.set(TYPE_HASH.get(name)!, 0);
  fields.forEach((f, i) => {
    const v = value[f.name];
    const at = 32 * (i + 1);
    if (f.type === "address") buf.set(hexToBytes(v as string), at + 12);
    else if (f.type === "PricePoint[]") {
      const points = v as Record<string, unknown>[];
      const cat = new Uint8Array(32 * points.length);
      points.forEach((p, j) => cat.set(structHash("PricePoint", EIP712_TYPES.PricePoint, p), 32 * j));
      buf.set(keccak_256(cat), at);
    } else putWord(buf, at, BigInt(v as bigint | number));
  });
  return keccak_256(buf);
}

const DOMAIN_SEPARATORS = new Map<string, Uint8Array>();
function domainSeparator(d: SigningDomain): Uint8Array {
  const key = `${d.chainId}:${d.verifyingContract.toLowerCase()}`;
  let sep = DOMAIN_SEPARATORS.get(key);
  if (sep === undefined) {
    const buf = new Uint8Array(160);
    buf.set(DOMAIN_TYPE_HASH, 0);
    buf.set(keccak_256(utf8.encode("Crossmargin")), 32);
    buf.set(keccak_256(utf8.encode("1")), 64);
    putWord(buf, 96, d.chainId);
    buf.set(hexToBytes(d.verifyingContract), 140);
    sep = keccak_256(buf);
    DOMAIN_SEPARATORS.set(key, sep);
  }
  return sep;
}

/** keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message)): what the signer signed. */
export function signingDigest(op: SignedOp | OracleUpdate, domain: SigningDomain): Uint8Array {
  const fields = EIP712_TYPES[op.type as keyof typeof EIP712_TYPES] as readonly Field[] | undefined;
  if (fields === undefined) throw new Error(`${op.type} is not signed`);
  const buf = new Uint8Array(66);
  buf[0] = 0x19;
  buf[1] = 0x01;
  buf.set(domainSeparator(domain), 2);
  buf.set(structHash(op.type, fields, op as unknown as Record<string, unknown>), 34);
  return keccak_256(buf);
}

const SECP256K1_HALF_N = secp256k1.Point.CURVE().n >> 1n;

/**
 * Recovers the signer of a 65-byte r‖s‖v signature (v ∈ {27, 28} or {0, 1}); null when the
 * signature is malformed, high-s (malleable) or does not recover.
 */
export function recoverAddress(digest: Uint8Array, signature: Hex): Hex | null {
  try {
    const sig = hexToBytes(signature);
    if (sig.length !== 65) return null;
    const v = sig[64]! >= 27 ? sig[64]! - 27 : sig[64]!;
    if (v !== 0 && v !== 1) return null;
    const s = secp256k1.Signature.fromBytes(sig.subarray(0, 64), "compact");
    if (s.s > SECP256K1_HALF_N) return null;
    const pub = s.addRecoveryBit(v).recoverPublicKey(digest).toBytes(false);
    return bytesToHex(keccak_256(pub.subarray(1)).subarray(12));
  } catch {
    return null;
  }
}

/** The signature pre-pass for one operation. */
export function recoverOp(op: Op, domain: SigningDomain): Recovered {
  if (op.type === "OracleUpdate") {
    const digest = signingDigest(op, domain);
    return { signer: null, oracleSigners: op.signatures.map((s) => recoverAddress(digest, s)) };
  }
  if ("signature" in op) return { signer: recoverAddress(signingDigest(op, domain), op.signature) };
  return { signer: null };
}

/** Signs an operation's digest with a raw private key (tests, tools, the oracle feeder). */
export function signDigest(digest: Uint8Array, privateKey: Hex): Hex {
  const sig = secp256k1.sign(digest, hexToBytes(privateKey), { prehash: false, format: "recovered" });
  // noble's "recovered" format puts the recovery byte first; Ethereum puts v = 27 + bit last.
  const out = new Uint8Array(65);
  out.set(sig.subarray(1, 65), 0);
  out[64] = 27 + sig[0]!;
  return bytesToHex(out);
}
