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

export function signingDigest(op: SignedOp | OracleUpdate, domain: SigningDomain): Uint8Array {
  // biome-ignore lint: viem's generic typed-data parameters cannot follow a runtime type map.
  return hexToBytes(hashTypedData(typedDataOf(op, domain) as any));
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
