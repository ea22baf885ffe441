import { MAX_PRICE, PPM, PRICE_KIND_ASSET, PRICE_KIND_MARKET, ZERO_ADDRESS } from "../constants.js";
import { lowerAddress } from "../bytes.js";
import type { OpContext } from "../context.js";
import { abs } from "../math.js";
import type { OracleUpdate } from "../ops.js";
import { reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { type CrossmarginState, markMarket } from "../state.js";

/**
 * Sets oracle prices for markets and collateral assets. All or nothing:
 * - at least `oracleThreshold` distinct members of the signer set signed it;
 * - its timestamp is not after the operation's and is newer than each stored price's;
 * - each point names a listed market or asset once, with a price in (0, MAX_PRICE];
 * - each price is within `oracleBandPpm` of the stored one (a first price is not banded),
 *   so one bad feed cannot move a market to zero in one update.
 */
export function processOracleUpdate(state: CrossmarginState, op: OracleUpdate, ctx: OpContext, events: StfEvent[]): void {
  const { params } = state;
  const seen = new Set<string>();
  for (const r of ctx.oracleSigners ?? []) {
    const s = r === null ? null : lowerAddress(r);
    if (s !== null && s !== ZERO_ADDRESS && params.oracleSigners.includes(s)) seen.add(s);
  }
  if (params.oracleThreshold === 0 || seen.size < params.oracleThreshold) reject("ORACLE_NO_QUORUM", `${seen.size} signers`);
  if (op.timestamp > ctx.timestamp) reject("ORACLE_FUTURE_TIMESTAMP");

  const touched = new Set<number>();
  for (const p of op.prices) {
    const target =
      p.kind === PRICE_KIND_MARKET ? state.markets[p.id] : p.kind === PRICE_KIND_ASSET && p.id > 0 ? state.assets[p.id] : undefined;
    const key = p.kind * 65536 + p.id;
    if (target === undefined || touched.has(key) || p.price <= 0n || p.price > MAX_PRICE) {
      reject("ORACLE_INVALID_POINT", `kind ${p.kind} id ${p.id}`);
    }
    touched.add(key);
    if (op.timestamp <= target.oracleTimestamp) reject("ORACLE_STALE_UPDATE", `kind ${p.kind} id ${p.id}`);
    const old = target.oraclePrice;
    if (old > 0n && abs(p.price - old) * PPM > old * params.oracleBandPpm) reject("ORACLE_OUT_OF_BAND", `kind ${p.kind} id ${p.id}`);
  }

  for (const p of op.prices) {
    if (p.kind === PRICE_KIND_MARKET) {
      const m = state.markets[p.id]!;
      m.oraclePrice = p.price;
      m.oracleTimestamp = op.timestamp;
      markMarket(m);
    } else {
      const a = state.assets[p.id]!;
      a.oraclePrice = p.price;
      a.oracleTimestamp = op.timestamp;
    }
    events.push({ kind: "OraclePrice", priceKind: p.kind, id: p.id, price: p.price, timestamp: op.timestamp });
  }
  state.oracleEpoch++;
  state.topDirty = true;
}
