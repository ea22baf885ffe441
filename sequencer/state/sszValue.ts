/**
 * The state as an `@chainsafe/ssz` value of `State` (types.ts): for snapshots, proofs and
 * for checking the incremental root against `State.hashTreeRoot`.
 */
import { MAX_MARKETS, ORDER_SLOTS } from "./constants.js";
import { hexToBytes } from "./bytes.js";
import type { CrossmarginState } from "./state.js";
import { State, type StateValue } from "./types.js";

const u64 = (x: bigint) => BigInt.asUintN(64, x);
const u128 = (x: bigint) => BigInt.asUintN(128, x);

export function toSszValue(state: CrossmarginState): StateValue {
  const p = state.params;
  return {
    params: {
      maxOracleAgeMs: p.maxOracleAgeMs,
      oracleBandPpm: Number(p.oracleBandPpm),
      nonceWindowMs: p.nonceWindowMs,
      oracleThreshold: p.oracleThreshold,
      oracleSigners: p.oracleSigners.map(hexToBytes),
      liquidationPenaltyPpm: Number(p.liquidationPenaltyPpm),
      liquidationBufferPpm: Number(p.liquidationBufferPpm),
      pacingWindowMs: p.pacingWindowMs,
      accountLiquidationCap: p.accountLiquidationCap,
      insuranceLossCap: p.insuranceLossCap,
      fundingIntervalMs: p.fundingIntervalMs,
      maxFundingRatePpm: Number(p.maxFundingRatePpm),
      portfolioFloorPpm: Number(p.portfolioFloorPpm),
      portfolioMaintenancePpm: Number(p.portfolioMaintenancePpm),
      groupShocksPpm: p.groupShocksPpm.map(Number),
      backstopAccount: p.backstopAccount,
    },
    l1: { nextIndex: state.l1.nextIndex, chainHash: state.l1.chainHash },
    clock: state.clock,
    assets: state.assets.map((a) => ({
      decimals: a.decimals,
      weightPpm: Number(a.weightPpm),
      oraclePrice: a.oraclePrice,
      oracleTimestamp: a.oracleTimestamp,
    })),
    markets: state.markets.map((m) => ({
      status: m.status,
      tickSize: m.tickSize,
      lotSize: m.lotSize,
      tiers: m.tiers.map((t) => ({ notionalCap: t.notionalCap, imfPpm: Number(t.imfPpm), mmfPpm: Number(t.mmfPpm) })),
      oraclePrice: m.oraclePrice,
      oracleTimestamp: m.oracleTimestamp,
      fundingIndex: u64(m.fundingIndex),
      openInterest: m.openInterest,
      group: m.group,
      liquidationCap: m.liquidationCap,
      lastFundingTime: m.lastFundingTime,
      fundingPool: u128(m.fundingPool),
      pacingWindowStart: m.pacingWindowStart,
      liquidatedInWindow: m.liquidatedInWindow,
    })),
    accounts: state.accounts.map((a) => ({
      owner: hexToBytes(a.owner),
      flags: a.flags,
      balances: a.balances.map(u128),
      nonces: [...a.nonces],
      sessionKeys: a.sessionKeys.map((k) => ({ key: hexToBytes(k.key), expiry: k.expiry })),
      positions: Array.from({ length: MAX_MARKETS }, (_, i) => {
        const p = a.positions[i];
        return p
          ? { size: u64(p.size), entryNotional: u64(p.entryNotional), lastFundingIndex: u64(p.lastFundingIndex), isolatedMargin: p.isolatedMargin, marginMode: p.marginMode }
          : { size: 0n, entryNotional: 0n, lastFundingIndex: 0n, isolatedMargin: 0n, marginMode: 0 };
      }),
      orders: Array.from({ length: ORDER_SLOTS }, (_, i) => {
        const o = a.orders[i];
        return o
          ? { ...o }
          : { market: 0, flags: 0, price: 0n, size: 0n, remaining: 0n, expiry: 0n, clientOrderId: 0n, nonce: 0n };
      }),
      pacing: { ...a.pacing },
    })),
    withdrawals: state.withdrawals.map((w) => ({ account: w.account, owner: hexToBytes(w.owner), asset: w.asset, amount: w.amount })),
    insuranceFund: state.insuranceFund.map(u128),
    insuranceWindow: { ...state.insuranceWindow },
    socializedLoss: state.socializedLoss,
  };
}

/** The root computed from scratch by @chainsafe/ssz (slow; for tests and audits). */
export function referenceRoot(state: CrossmarginState): Uint8Array {
  return State.hashTreeRoot(toSszValue(state));
}
