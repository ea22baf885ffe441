import { ACCOUNT_PORTFOLIO_MARGIN, MODE_CROSS } from "../constants.js";
import type { OpContext } from "../context.js";
import { contribution, crossHealth, portfolioRequirement } from "../margin.js";
import type { SetPortfolioMargin } from "../ops.js";
import { reject } from "../reasons.js";
import type { StfEvent } from "../receipt.js";
import { type CrossmarginState, DIRTY_HEADER, markAccountPart } from "../state.js";
import { authorize, checkNonce, useNonce } from "./common.js";

/**
 * Opts the cross pool in or out of portfolio margin. Allowed when the account meets the
 * initial requirement under the new rules, or when the switch lowers its requirement.
 */
export function processSetPortfolioMargin(state: CrossmarginState, op: SetPortfolioMargin, ctx: OpContext, events: StfEvent[]): void {
  const acct = authorize(state, op, ctx, true);
  const nonceSlot = checkNonce(state, acct, op.nonce, ctx.timestamp);
  if (op.enabled !== 0 && op.enabled !== 1) reject("MODE_INVALID");
  const h = crossHealth(state, acct, ctx.timestamp);
  let plain = 0n;
  for (const m of acct.openMarkets) {
    const p = acct.positions[m]!;
    if (p.marginMode === MODE_CROSS) plain += contribution(p, state.markets[m]!).initial;
  }
  const next = op.enabled === 1 ? portfolioRequirement(state, acct).initial : plain;
  if (next > h.initial && h.equity < next) reject("INSUFFICIENT_MARGIN", `equity ${h.equity} < ${next}`);

  useNonce(state, acct, nonceSlot, op.nonce);
  acct.flags = op.enabled === 1 ? acct.flags | ACCOUNT_PORTFOLIO_MARGIN : acct.flags & ~ACCOUNT_PORTFOLIO_MARGIN;
  acct.crossCache = null;
  markAccountPart(state, acct, DIRTY_HEADER);
  events.push({ kind: "PortfolioMargin", account: acct.index, enabled: op.enabled === 1 });
}
