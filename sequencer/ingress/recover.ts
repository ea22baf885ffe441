/**
 * Signature recovery with native secp256k1 (libsecp256k1 through the `secp256k1` package),
 * about 20× faster than the pure-JS path in sequencer/state/signing.ts. Same rules: 65-byte
 * r‖s‖v, v ∈ {0, 1, 27, 28}, low s only; anything else recovers to null. Equality with the
 * pure-JS recovery is tested, because the verifier may use either.
 */
import { createRequire } from "node:module";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, hexToBytes } from "../state/bytes.js";
import { type Op, type SigningDomain, recoverOp as recoverOpJs, signingDigest } from "../state/index.js";
import type { Recovered } from "../state/stf.js";

const require = createRequire(import.meta.url);
// NOTE: `secp256k1/bindings` is the native addon only; the package's default export silently
// falls back to a pure-JS implementation, which would hide a broken install behind slowness.
const native: { ecdsaRecover(sig: Uint8Array, recid: number, msg: Uint8Array, compressed: boolean): Uint8Array } = require("secp256k1/bindings");

const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

export function recoverAddressNative(digest: Uint8Array, signature: Uint8Array): `0x${string}` | null {
  if (signature.length !== 65) return null;
  const v = signature[64]! >= 27 ? signature[64]! - 27 : signature[64]!;
  if (v !== 0 && v !== 1) return null;
  let s = 0n;
  for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(signature[i]!);
  if (s === 0n || s > HALF_N) return null;
  try {
    const pub = native.ecdsaRecover(signature.subarray(0, 64), v, digest, false);
    return bytesToHex(keccak_256(pub.subarray(1)).subarray(12));
  } catch {
    return null;
  }
}

/** The signature pre-pass for one operation, with native recovery. */
export function recoverOpNative(op: Op, domain: SigningDomain): Recovered {
  if (op.type === "OracleUpdate") {
    const digest = signingDigest(op, domain);
    return { signer: null, oracleSigners: op.signatures.map((s) => recoverAddressNative(digest, safeBytes(s))) };
  }
  if ("signature" in op) return { signer: recoverAddressNative(signingDigest(op, domain), safeBytes(op.signature)) };
  return { signer: null };
}

function safeBytes(hex: string): Uint8Array {
  try {
    return hexToBytes(hex);
  } catch {
    return new Uint8Array(0);
  }
}

export { recoverOpJs };
