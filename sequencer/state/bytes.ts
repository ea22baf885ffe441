/** Small byte helpers shared by the STF (no I/O). */
import type { Hex } from "./ops.js";

const HEX = "0123456789abcdef";

/** Writes the bytes of a 0x-hex string into `out` at `offset`. */
export function hexToBytesInto(hex: string, out: Uint8Array, offset: number): void {
  const n = (hex.length - 2) >>> 1;
  for (let i = 0; i < n; i++) out[offset + i] = parseInt(hex.substr(2 + i * 2, 2), 16);
}

export function hexToBytes(hex: string): Uint8Array {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`not a hex byte string: ${hex.slice(0, 20)}`);
  const out = new Uint8Array((hex.length - 2) >>> 1);
  hexToBytesInto(hex, out, 0);
  return out;
}

export function bytesToHex(bytes: Uint8Array): Hex {
  let s = "0x";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]! >> 4]! + HEX[bytes[i]! & 15]!;
  return s as Hex;
}
