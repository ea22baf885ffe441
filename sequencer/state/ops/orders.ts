/** Shared reading of order slots and flags. */
import { FLAG_REDUCE_ONLY, FLAG_SELL, TIF_MASK, TIF_SHIFT } from "../constants.js";
import type { Order } from "../state.js";

export function isSell(flags: number): boolean {
  return (flags & FLAG_SELL) !== 0;
}
export function timeInForce(flags: number): number {
  return (flags & TIF_MASK) >> TIF_SHIFT;
}
export function isReduceOnly(flags: number): boolean {
  return (flags & FLAG_REDUCE_ONLY) !== 0;
}

/** An order is live while it has size left and its expiry (0 = none) is not before `now`. */
export function isLive(o: Order | null, now: bigint): o is Order {
  return o !== null && o.remaining > 0n && (o.expiry === 0n || o.expiry >= now);
}
