/**
 * What the state owes, per asset: the quantity the vault must hold (ARCHITECTURE invariant 2,
 * conservation). Every token that entered through a consumed deposit is in exactly one of
 * these parts, and every STF rule moves value between them without creating any:
 *   balances            accounts' collateral
 *   positionCash        settlement asset only: each open position's isolated margin minus its
 *                       entry notional (the cash side of the trade; positions net to zero per
 *                       market, so marks cancel out and only cash remains owed)
 *   fundingPools        settlement asset only: funding paid in and not yet paid out
 *   insuranceFund
 *   withdrawals         every withdrawal record the state ever created (claimed ones included:
 *                       the vault paid those out, so a reserves check subtracts what L1 says
 *                       was claimed)
 *   socializedLoss      settlement asset only: losses spread over winners, subtracted
 * `total` = the sum, with socializedLoss subtracted. Pure: the STF's property tests check it
 * equals the deposits consumed after every operation; the reserves report compares it with
 * the vault's balance on L1.
 */
import { MAX_ASSETS } from "./constants.js";
import type { CrossmarginState } from "./state.js";

export interface AssetLiabilities {
  asset: number;
  balances: bigint;
  positionCash: bigint;
  fundingPools: bigint;
  insuranceFund: bigint;
  withdrawals: bigint;
  socializedLoss: bigint;
  total: bigint;
}

/**
 * Per asset id from 0 up to MAX_ASSETS − 1, or further when a withdrawal record names a higher
 * id (a refused L1 deposit in an asset id the state does not list is refunded as a record in it).
 */
export function liabilities(state: CrossmarginState): AssetLiabilities[] {
  let n = MAX_ASSETS;
  for (const w of state.withdrawals) if (w.asset >= n) n = w.asset + 1;
  const out: AssetLiabilities[] = Array.from({ length: n }, (_, asset) => ({
    asset,
    balances: 0n,
    positionCash: 0n,
    fundingPools: 0n,
    insuranceFund: state.insuranceFund[asset] ?? 0n,
    withdrawals: 0n,
    socializedLoss: asset === 0 ? state.socializedLoss : 0n,
    total: 0n,
  }));
  const settlement = out[0];
  for (const a of state.accounts) {
    for (let i = 0; i < out.length; i++) out[i]!.balances += a.balances[i] ?? 0n;
    // openMarkets is ascending (an ordered index, not a map): deterministic.
    for (const m of a.openMarkets) {
      const p = a.positions[m]!;
      settlement!.positionCash += p.isolatedMargin - p.entryNotional;
    }
  }
  for (const w of state.withdrawals) out[w.asset]!.withdrawals += w.amount;
  for (const m of state.markets) settlement!.fundingPools += m.fundingPool;
  for (const l of out) l.total = l.balances + l.positionCash + l.fundingPools + l.insuranceFund + l.withdrawals - l.socializedLoss;
  return out;
}
