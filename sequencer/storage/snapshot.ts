/**
 * Snapshots: the state as `State.serialize(toSszValue(state))` (the canonical SSZ encoding,
 * sequencer/state/types.ts), and the inverse of `toSszValue` to bring it back.
 *
 * `fromSszValue` builds a fresh `CrossmarginState` through the STF's own constructors and
 * setters, so every cache beside the state (Merkle caches, cross-margin caches, open-market
 * lists) starts empty or derived; the first `stateRoot` hashes the whole state. Callers
 * check that root against the root stored with the snapshot.
 */
import { bytesToHex } from "../state/bytes.js";
import { ZERO_ADDRESS } from "../state/constants.js";
import { stateRoot, toSszValue } from "../state/index.js";
import type { Hex } from "../state/ops.js";
import {
  AccountState,
  CrossmarginState,
  type MarginTier,
  newMarket,
  setNonce,
  setOrder,
  setPacing,
  setPosition,
  setSessionKey,
} from "../state/state.js";
import { State, type StateValue } from "../state/types.js";

const i64 = (x: bigint) => BigInt.asIntN(64, x);
const i128 = (x: bigint) => BigInt.asIntN(128, x);
const hex = (b: Uint8Array) => bytesToHex(b) as Hex;

/** The inverse of `toSszValue`: `toSszValue(fromSszValue(v))` deep-equals `v`. */
export function fromSszValue(v: StateValue): CrossmarginState {
  const p = v.params;
  const state = new CrossmarginState({
    maxOracleAgeMs: p.maxOracleAgeMs,
    oracleBandPpm: BigInt(p.oracleBandPpm),
    nonceWindowMs: p.nonceWindowMs,
    oracleThreshold: p.oracleThreshold,
    oracleSigners: p.oracleSigners.map(hex),
    liquidationPenaltyPpm: BigInt(p.liquidationPenaltyPpm),
    liquidationBufferPpm: BigInt(p.liquidationBufferPpm),
    pacingWindowMs: p.pacingWindowMs,
    accountLiquidationCap: p.accountLiquidationCap,
    insuranceLossCap: p.insuranceLossCap,
    fundingIntervalMs: p.fundingIntervalMs,
    maxFundingRatePpm: BigInt(p.maxFundingRatePpm),
    portfolioFloorPpm: BigInt(p.portfolioFloorPpm),
    portfolioMaintenancePpm: BigInt(p.portfolioMaintenancePpm),
    groupShocksPpm: p.groupShocksPpm.map(BigInt),
    backstopAccount: p.backstopAccount,
  });
  state.l1 = { nextIndex: v.l1.nextIndex, chainHash: new Uint8Array(v.l1.chainHash) };
  state.clock = v.clock;
  for (const a of v.assets) {
    state.assets.push({ decimals: a.decimals, weightPpm: BigInt(a.weightPpm), oraclePrice: a.oraclePrice, oracleTimestamp: a.oracleTimestamp });
  }
  for (const m of v.markets) {
    const tiers: MarginTier[] = m.tiers.map((t) => ({ notionalCap: t.notionalCap, imfPpm: BigInt(t.imfPpm), mmfPpm: BigInt(t.mmfPpm) }));
    state.markets.push(
      newMarket(m.tickSize, m.lotSize, tiers, {
        status: m.status,
        oraclePrice: m.oraclePrice,
        oracleTimestamp: m.oracleTimestamp,
        fundingIndex: i64(m.fundingIndex),
        openInterest: m.openInterest,
        group: m.group,
        liquidationCap: m.liquidationCap,
        lastFundingTime: m.lastFundingTime,
        fundingPool: i128(m.fundingPool),
        pacingWindowStart: m.pacingWindowStart,
        liquidatedInWindow: m.liquidatedInWindow,
      }),
    );
  }
  v.accounts.forEach((a, index) => {
    const acct = new AccountState(index, hex(a.owner));
    acct.flags = a.flags;
    a.balances.forEach((b, i) => (acct.balances[i] = i128(b)));
    // Idle parts stay the STF's shared empties (state.ts PERF note); only non-zero slots are set.
    a.nonces.forEach((n, i) => {
      if (n !== 0n) setNonce(state, acct, i, n);
    });
    a.sessionKeys.forEach((k, i) => {
      const key = hex(k.key);
      if (key !== ZERO_ADDRESS || k.expiry !== 0n) setSessionKey(state, acct, i, { key, expiry: k.expiry });
    });
    a.positions.forEach((q, i) => {
      const pos = { size: i64(q.size), entryNotional: i64(q.entryNotional), lastFundingIndex: i64(q.lastFundingIndex), isolatedMargin: q.isolatedMargin, marginMode: q.marginMode };
      // setPosition stores the zero position as null, as the STF does.
      if (pos.size !== 0n || pos.entryNotional !== 0n || pos.lastFundingIndex !== 0n || pos.isolatedMargin !== 0n || pos.marginMode !== 0) {
        setPosition(state, acct, i, pos);
      }
    });
    a.orders.forEach((o, i) => {
      // An empty slot is null in memory and the zero Order in SSZ; a live order has size > 0.
      const zero = o.market === 0 && o.flags === 0 && o.price === 0n && o.size === 0n && o.remaining === 0n && o.expiry === 0n && o.clientOrderId === 0n && o.nonce === 0n;
      if (!zero) setOrder(state, acct, i, { ...o });
    });
    if (a.pacing.windowStart !== 0n || a.pacing.liquidatedInWindow !== 0n) setPacing(state, acct, a.pacing.windowStart, a.pacing.liquidatedInWindow);
    state.accounts.push(acct);
  });
  for (const w of v.withdrawals) state.withdrawals.push({ account: w.account, owner: hex(w.owner), asset: w.asset, amount: w.amount });
  v.insuranceFund.forEach((x, i) => (state.insuranceFund[i] = i128(x)));
  state.insuranceWindow = { windowStart: v.insuranceWindow.windowStart, paidInWindow: v.insuranceWindow.paidInWindow };
  state.socializedLoss = v.socializedLoss;
  return state;
}

/** Canonical snapshot bytes of a state. */
export function serializeState(state: CrossmarginState): Uint8Array {
  return State.serialize(toSszValue(state));
}

/** Rebuilds a state from snapshot bytes (root not checked here; see `restoreState`). */
export function deserializeState(bytes: Uint8Array): CrossmarginState {
  return fromSszValue(State.deserialize(bytes));
}

/** Rebuilds a state and checks its freshly computed root equals `root`. */
export function restoreState(bytes: Uint8Array, root: Uint8Array): CrossmarginState {
  const state = deserializeState(bytes);
  const got = stateRoot(state);
  if (Buffer.compare(Buffer.from(got), Buffer.from(root)) !== 0) {
    throw new Error(`snapshot root mismatch: stored ${bytesToHex(root)}, restored ${bytesToHex(got)}`);
  }
  return state;
}
