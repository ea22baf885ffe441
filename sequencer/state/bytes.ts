/** Small byte helpers shared by the STF (no I/O). */
import type { Hex } from "./ops.js";

const HEX = "0123456789abcdef";

/** Value of a hex digit's char code (callers validated the string). */
function nibble(c: number): number {
  // '0'-'9' = 48-57, 'A'-'F' = 65-70, 'a'-'f' = 97-102
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

/**
 * Writes the bytes of a 0x-hex string into `out` at `offset`.
 * PERF: char codes, not parseInt(substr): signatures and addresses of every op pass here.
 */
export function hexToBytesInto(hex: string, out: Uint8Array, offset: number): void {
  const n = (hex.length - 2) >>> 1;
  for (let i = 0, j = 2; i < n; i++, j += 2) out[offset + i] = (nibble(hex.charCodeAt(j)) << 4) | nibble(hex.charCodeAt(j + 1));
}

export function hexToBytes(hex: string): Uint8Array {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`not a hex byte string: ${hex.slice(0, 20)}`);
  const out = new Uint8Array((hex.length - 2) >>> 1);
  hexToBytesInto(hex, out, 0);
  return out;
}

/**
 * The canonical in-memory form of an address: lowercase 0x-hex. The state stores addresses
 * in this form and every comparison of addresses compares this form, so an operation that
 * spells an address in mixed (EIP-55 checksum) case means the same account or key.
 */
export function lowerAddress(address: Hex): Hex {
  return address.toLowerCase() as Hex;
}

export function bytesToHex(bytes: Uint8Array): Hex {
  let s = "0x";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]! >> 4]! + HEX[bytes[i]! & 15]!;
  return s as Hex;
}
