import { max } from "../math.js";
import type { MarketState } from "../state.js";
import { checkU64 } from "./common.js";
import type { TradePlan } from "./tradePlan.js";

/** Open interest (the sum of long sizes) after the planned trades in one market. */
export function openInterestAfter(market: MarketState, plans: TradePlan[]): bigint {
  const longs = (p: { size: bigint } | null) => max(p?.size ?? 0n, 0n);
  let oi = market.openInterest;
  for (const p of plans) oi += longs(p.after) - longs(p.before);
  return checkU64(oi, "open interest");
}
