/**
 * The what-if margin calculator: one portfolio's requirements under isolated, cross and
 * portfolio margin side by side, at the state's oracle marks and governed parameters, with the
 * STF's own margin functions (margin.ts) — so a desk sees what opting in would free before it
 * does. Read-only: it values a scratch account that is never added to the state.
 *
 * Per mode, `excess` is what the portfolio leaves for new risk (the check the STF applies to
 * risk-increasing operations):
 *   isolated   each position stands alone on its own margin: it needs its initial requirement
 *              from margin posted for it plus its own PnL, and a gain in one cannot carry a
 *              loss in another: excess = collateral − Σ max(0, initialᵢ − upnlᵢ)
 *   cross      one pool: excess = collateral (initial weights) + Σ upnl − Σ initialᵢ
 *   portfolio  one pool, the requirement the worst governed scenario loss (correlated
 *              positions net): excess = collateral + Σ upnl − portfolio initial
 * `freedByCross` / `freedByPortfolio` = the excess gained over isolated.
 */
import { ACCOUNT_PORTFOLIO_MARGIN, MAX_MARKETS, MODE_CROSS, SIZE_SCALE } from "./constants.js";
import { collateralValue, contribution, markValue, notional, portfolioRequirement } from "./margin.js";
import { AccountState, type CrossmarginState, type Position } from "./state.js";

export interface WhatIfPosition {
  market: number;
  /** Signed size (1e-8 base units; positive long). */
  size: bigint;
  /** Entry price (quote per whole unit); default: the current mark (no unrealized PnL). */
  entryPrice?: bigint;
  /** Entry notional as the state keeps it (from an existing account); overrides entryPrice. */
  entryNotional?: bigint;
  /** Funding index at entry (default: the market's, i.e. no pending funding). */
  lastFundingIndex?: bigint;
}

export interface WhatIfInput {
  /** Collateral per asset id (atoms); missing ones are zero. */
  collateral: readonly bigint[];
  positions: readonly WhatIfPosition[];
}

export interface ModeRequirement {
  initial: bigint;
  maintenance: bigint;
  excess: bigint;
}

export interface WhatIfResult {
  /** Collateral at initial weights, and the portfolio's unrealized PnL at the marks. */
  collateralValue: bigint;
  unrealizedPnl: bigint;
  positions: { market: number; size: bigint; notional: bigint; upnl: bigint; initial: bigint; maintenance: bigint }[];
  isolated: ModeRequirement;
  cross: ModeRequirement;
  portfolio: ModeRequirement;
  freedByCross: bigint;
  freedByPortfolio: bigint;
}

export class WhatIfError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function marginWhatIf(state: CrossmarginState, input: WhatIfInput, now: bigint): WhatIfResult {
  if (input.collateral.length > state.assets.length) throw new WhatIfError("collateral", `${input.collateral.length} assets given, the state lists ${state.assets.length}`);
  const scratch = new AccountState(-1, "0x0000000000000000000000000000000000000000");
  input.collateral.forEach((c, i) => (scratch.balances[i] = c));
  const slots: (Position | null)[] = new Array<Position | null>(MAX_MARKETS).fill(null);
  const seen = new Set<number>();
  input.positions.forEach((p, i) => {
    const m = state.markets[p.market];
    if (!m) throw new WhatIfError(`positions[${i}].market`, `market ${p.market} is not listed (${state.markets.length} markets)`);
    if (m.oraclePrice === 0n) throw new WhatIfError(`positions[${i}].market`, `market ${p.market} has no oracle price yet`);
    if (seen.has(p.market)) throw new WhatIfError(`positions[${i}].market`, `market ${p.market} appears twice`);
    if (p.size === 0n) throw new WhatIfError(`positions[${i}].size`, "a position's size is not zero");
    seen.add(p.market);
    const entryNotional = p.entryNotional ?? (p.entryPrice === undefined ? markValue(p.size, m.oraclePrice) : (p.size * p.entryPrice) / SIZE_SCALE);
    slots[p.market] = { size: p.size, entryNotional, lastFundingIndex: p.lastFundingIndex ?? m.fundingIndex, isolatedMargin: 0n, marginMode: MODE_CROSS };
  });
  scratch.positions = slots;
  scratch.openMarkets = [...seen].sort((a, b) => a - b);

  const positions = scratch.openMarkets.map((market) => {
    const pos = slots[market]!;
    const mk = state.markets[market]!;
    const k = contribution(pos, mk);
    return { market, size: pos.size, notional: notional(pos.size, mk.oraclePrice), upnl: k.upnl, initial: k.initial, maintenance: k.maintenance };
  });
  const sum = (f: (p: (typeof positions)[number]) => bigint) => positions.reduce((t, p) => t + f(p), 0n);
  const collateral = collateralValue(state, scratch, now, true);
  const upnl = sum((p) => p.upnl);
  const initial = sum((p) => p.initial);
  const maintenance = sum((p) => p.maintenance);

  const isolatedNeed = sum((p) => (p.initial > p.upnl ? p.initial - p.upnl : 0n));
  const isolated = { initial, maintenance, excess: collateral - isolatedNeed };
  const cross = { initial, maintenance, excess: collateral + upnl - initial };
  scratch.flags = ACCOUNT_PORTFOLIO_MARGIN;
  const pm = portfolioRequirement(state, scratch);
  const portfolio = { initial: pm.initial, maintenance: pm.maintenance, excess: collateral + upnl - pm.initial };
  return {
    collateralValue: collateral,
    unrealizedPnl: upnl,
    positions,
    isolated,
    cross,
    portfolio,
    freedByCross: cross.excess - isolated.excess,
    freedByPortfolio: portfolio.excess - isolated.excess,
  };
}

/** The what-if input of an existing account: its collateral and positions as the state holds them. */
export function whatIfOfAccount(state: CrossmarginState, account: number): WhatIfInput {
  const a = state.accounts[account];
  if (!a) throw new WhatIfError("account", `account ${account} does not exist`);
  const collateral = a.balances.slice(0, state.assets.length);
  const positions: WhatIfPosition[] = [];
  for (const market of a.openMarkets) {
    const p = a.positions[market]!;
    // Margin posted to an isolated position is the account's cash: the calculator pools it.
    collateral[0] = collateral[0]! + p.isolatedMargin;
    // A flat slot's leftover entry notional is cash already realized (its cash side).
    if (p.size === 0n) collateral[0] = collateral[0]! - p.entryNotional;
    else positions.push({ market, size: p.size, entryNotional: p.entryNotional, lastFundingIndex: p.lastFundingIndex });
  }
  return { collateral, positions };
}
