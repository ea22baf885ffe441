/** Integer helpers with the rounding direction in their names (bigint only). */

/** ⌊a / b⌋ for b > 0 (bigint `/` truncates toward zero). */
export function divFloor(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a < 0n && q * b !== a ? q - 1n : q;
}

/** ⌈a / b⌉ for b > 0. */
export function divCeil(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a > 0n && q * b !== a ? q + 1n : q;
}

export function abs(a: bigint): bigint {
  return a < 0n ? -a : a;
}

export function sign(a: bigint): number {
  return a > 0n ? 1 : a < 0n ? -1 : 0;
}

export function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** 10^0 … 10^36, so valuation does not exponentiate on the hot path. */
export const POW10: readonly bigint[] = Array.from({ length: 37 }, (_, i) => 10n ** BigInt(i));
