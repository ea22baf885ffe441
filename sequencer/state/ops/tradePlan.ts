/**
 * The effect of a trade on one account, computed without writing (so a fill can check both
 * sides before touching either) and then committed. Used by PlaceOrder (a hypothetical
 * full fill at the limit price) and Fill (the real one).
 */
import { MODE_CROSS } from "../constants.js";
import {
  type Contribution,
  contribution,
  crossHealth,
  isPortfolio,
  markValue,
  pendingFunding,
  portfolioRequirement,
  reducesOnly,
  replaceCrossTerm,
  tieredRequirement,
  notional,
  trade,
} from "../margin.js";
import { reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { type AccountState, type CrossmarginState, type Position, markMarket, setBalance, setPosition } from "../state.js";
import { checkI128, checkI64, checkU64 } from "./common.js";

export interface TradePlan {
  acct: AccountState;
  market: number;
  before: Position | null;
  after: Position;
  /** Change of the settlement balance (realized PnL, isolated margin moves). */
  settlementDelta: bigint;
  realized: bigint;
  /** Funding settled by this trade (paid into the market's funding pool; negative: paid out). */
  funding: bigint;
  reduces: boolean;
  crossBefore: Contribution | null;
  crossAfter: Contribution | null;
}

/**
 * Plans trading signed size `q` at `price` for `acct` in market `m`.
 *
 * Cross position: realized PnL settles into the settlement balance; unless the trade only
 * reduces the position, the cross pool must stay at or above its initial requirement.
 * Isolated position: realized PnL stays in the position's margin; closing releases the
 * margin to the settlement balance; a deficit below zero is charged to the settlement
 * balance. Unless the trade only reduces, the position's equity must reach its initial
 * requirement, topped up from the settlement balance if the cross pool can spare it.
 */
export function planTrade(state: CrossmarginState, acct: AccountState, m: number, q: bigint, price: bigint, now: bigint): TradePlan {
  const market = state.markets[m]!;
  const before = acct.positions[m] ?? null;
  // Funding accrued so far settles first, at the old size.
  const funding = before === null ? 0n : pendingFunding(before, market);
  const size0 = before?.size ?? 0n;
  const t = trade(size0, before?.entryNotional ?? 0n, q, price);
  checkI64(t.size, "position size");
  checkI64(t.entryNotional, "entry notional");
  const reduces = reducesOnly(size0, t.size);
  const mode = before?.marginMode ?? 0;
  const after: Position = {
    size: t.size,
    entryNotional: t.entryNotional,
    lastFundingIndex: t.size === 0n ? 0n : market.fundingIndex,
    isolatedMargin: 0n,
    marginMode: mode,
  };
  let settlementDelta = 0n;
  let crossBefore: Contribution | null = null;
  let crossAfter: Contribution | null = null;

  if (mode === MODE_CROSS) {
    settlementDelta = t.realized - funding;
    crossBefore = contribution(before, market);
    crossAfter = contribution(after, market);
    if (!reduces) {
      const h = crossHealth(state, acct, now);
      const equity = h.equity + settlementDelta + crossAfter.upnl - crossBefore.upnl;
      const initial = isPortfolio(acct)
        ? portfolioRequirement(state, acct, { market: m, size: t.size }).initial
        : h.initial + crossAfter.initial - crossBefore.initial;
      if (equity < initial) reject("INSUFFICIENT_MARGIN", `cross equity ${equity} < initial ${initial}`);
    }
  } else {
    let iso = (before?.isolatedMargin ?? 0n) + t.realized - funding;
    if (t.size === 0n || iso < 0n) {
      settlementDelta = iso;
      iso = 0n;
    }
    if (!reduces && t.size !== 0n) {
      const need = tieredRequirement(market.tiers, notional(t.size, market.oraclePrice), false);
      const equity = iso + markValue(t.size, market.oraclePrice) - t.entryNotional;
      const shortfall = need - equity;
      if (shortfall > 0n) {
        const h = crossHealth(state, acct, now);
        const free = h.equity + settlementDelta - h.initial;
        if (free < shortfall || acct.balances[0]! + settlementDelta < shortfall) {
          reject("INSUFFICIENT_MARGIN", `isolated position needs ${shortfall} more margin`);
        }
        iso += shortfall;
        settlementDelta -= shortfall;
      }
    }
    after.isolatedMargin = checkU64(iso, "isolated margin");
  }
  checkI128(acct.balances[0]! + settlementDelta, "settlement balance");
  return { acct, market: m, before, after, settlementDelta, realized: t.realized, funding, reduces, crossBefore, crossAfter };
}

export function commitTrade(state: CrossmarginState, plan: TradePlan, events: StfEvent[]): void {
  const { acct, market, after } = plan;
  if (plan.funding !== 0n) {
    const mk = state.markets[market]!;
    mk.fundingPool += plan.funding;
    markMarket(mk);
  }
  setPosition(state, acct, market, after);
  if (plan.crossBefore !== null) replaceCrossTerm(state, acct, plan.crossBefore, plan.crossAfter!);
  if (plan.settlementDelta !== 0n) {
    const b = acct.balances[0]! + plan.settlementDelta;
    setBalance(state, acct, 0, b);
    events.push({ kind: "BalanceChanged", account: acct.index, asset: 0, delta: plan.settlementDelta, balance: b });
  }
  events.push({
    kind: "PositionChanged",
    account: acct.index,
    market,
    size: after.size,
    entryNotional: after.entryNotional,
    isolatedMargin: after.isolatedMargin,
    marginMode: after.marginMode,
    realizedPnl: plan.realized,
  });
}
