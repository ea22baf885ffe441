/** Read-only views of the state for the API: what a desk sees of an account or a market. */
import { FLAG_SELL, MODE_CROSS, ZERO_ADDRESS } from "../state/constants.js";
import { collateralValue, crossHealth, isPortfolio, isolatedEquity, markValue, pendingFunding } from "../state/margin.js";
import type { CrossmarginState } from "../state/state.js";
import { toJson } from "./schema.js";

export function accountView(state: CrossmarginState, index: number, now: bigint) {
  const acct = state.accounts[index];
  if (!acct) return null;
  const positions = acct.openMarkets.map((m) => {
    const p = acct.positions[m]!;
    const market = state.markets[m]!;
    const upnl = markValue(p.size, market.oraclePrice) - p.entryNotional - pendingFunding(p, market);
    return {
      market: m,
      size: p.size,
      entryNotional: p.entryNotional,
      isolatedMargin: p.isolatedMargin,
      marginMode: p.marginMode === MODE_CROSS ? "cross" : "isolated",
      markPrice: market.oraclePrice,
      unrealizedPnl: upnl,
      ...(p.marginMode === MODE_CROSS ? {} : { isolatedEquity: isolatedEquity(p, market) }),
    };
  });
  const orders: unknown[] = [];
  acct.orders.forEach((o, slot) => {
    if (o === null || o.remaining === 0n || (o.expiry !== 0n && o.expiry < now)) return;
    orders.push({
      slot,
      market: o.market,
      side: (o.flags & FLAG_SELL) !== 0 ? "sell" : "buy",
      price: o.price,
      size: o.size,
      remaining: o.remaining,
      expiry: o.expiry,
      clientOrderId: o.clientOrderId,
      flags: o.flags,
    });
  });
  const h = crossHealth(state, acct, now);
  // Liquidation compares maintenance with equity valued as for maintenance (stale assets count).
  const maintenanceEquity = crossHealth(state, acct, now, false).equity;
  return toJson({
    index,
    owner: acct.owner,
    balances: acct.balances,
    positions,
    orders,
    sessionKeys: acct.sessionKeys.filter((k) => k.key !== ZERO_ADDRESS && k.expiry >= now),
    margin: {
      portfolio: isPortfolio(acct),
      collateral: collateralValue(state, acct, now, false),
      equity: maintenanceEquity,
      initialRequirement: h.initial,
      maintenanceRequirement: h.maintenance,
      health: maintenanceEquity - h.maintenance,
      liquidatable: maintenanceEquity < h.maintenance,
    },
  });
}

export function marketsView(state: CrossmarginState) {
  return toJson(
    state.markets.map((m, id) => ({
      id,
      status: m.status,
      tickSize: m.tickSize,
      lotSize: m.lotSize,
      tiers: m.tiers.filter((t) => t.notionalCap !== 0n || t.imfPpm !== 0n),
      oraclePrice: m.oraclePrice,
      oracleTimestamp: m.oracleTimestamp,
      fundingIndex: m.fundingIndex,
      openInterest: m.openInterest,
      group: m.group,
    })),
  );
}

export function assetsView(state: CrossmarginState) {
  return toJson(state.assets.map((a, id) => ({ id, decimals: a.decimals, weightPpm: a.weightPpm, oraclePrice: a.oraclePrice, oracleTimestamp: a.oracleTimestamp, insuranceFund: state.insuranceFund[id]! })));
}
