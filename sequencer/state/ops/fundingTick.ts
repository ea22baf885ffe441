import { PPM } from "../constants.js";
import type { OpContext } from "../context.js";
import { divFloor } from "../math.js";
import type { FundingTick } from "../ops.js";
import { reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { type CrossmarginState, markMarket } from "../state.js";
import { checkI64, getMarket, isMarketStale } from "./common.js";

/**
 * Advances a market's funding index by one interval: rate = the premium the sequencer
 * reports, clamped to ±maxFundingRatePpm; the index moves by rate × oracle price per whole
 * base unit (rounded down). Positions settle lazily against the index (margin.ts
 * `pendingFunding`) through the market's funding pool, so payments net to zero per market
 * up to rounding, which always favours the pool.
 */
export function processFundingTick(state: CrossmarginState, op: FundingTick, ctx: OpContext, events: StfEvent[]): void {
  const now = ctx.timestamp;
  const market = getMarket(state, op.market);
  if (market.lastFundingTime !== 0n && now < market.lastFundingTime + state.params.fundingIntervalMs) reject("FUNDING_TOO_EARLY");
  if (isMarketStale(state, market, now)) reject("ORACLE_STALE");
  const cap = state.params.maxFundingRatePpm;
  const rate = op.premiumPpm > cap ? cap : op.premiumPpm < -cap ? -cap : op.premiumPpm;
  const index = checkI64(market.fundingIndex + divFloor(rate * market.oraclePrice, PPM), "funding index");

  market.fundingIndex = index;
  market.lastFundingTime = now;
  markMarket(market);
  state.oracleEpoch++;
  events.push({ kind: "Funding", market: op.market, ratePpm: rate, fundingIndex: index });
}
