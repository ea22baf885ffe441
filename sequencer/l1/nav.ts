/**
 * NAV history: an account's net value at each sealed batch's post-state, the figure a desk
 * reconciles against its books. NAV is `netValue` (sequencer/state/risk.ts): settlement
 * balance, other collateral at full oracle value, and every position's equity at the oracle
 * price net of pending funding — what the account is worth if everything were sold at the
 * marks, the same valuation the default waterfall uses. One forward replay over the range
 * (`replayBatches`), so a history costs one pass over its ops.
 */
import type { GenesisConfig } from "../state/genesis.js";
import { bytesToHex } from "../state/bytes.js";
import { collateralAtOracle, netValue } from "../state/risk.js";
import type { OpLog } from "../storage/index.js";
import { ProofError, replayBatches } from "./proofs.js";

export interface NavPoint {
  /** The Rollup's batch index (op-log batch + 1). */
  batch: number;
  root: string;
  /** The batch's timestamp (ms): its last op's. */
  timestamp: bigint;
  nav: bigint;
  /** Settlement-asset balance, and the net value of the open positions (nav minus collateral). */
  settlementBalance: bigint;
  positionsValue: bigint;
  openMarkets: number[];
}

/** Most batches one history covers (one request replays them all). */
export const NAV_MAX_BATCHES = 1_000;

/** NAV of `account` after each L1 batch `fromL1..toL1` it exists in. */
export function navHistory(log: OpLog, genesis: GenesisConfig, account: number, fromL1: number, toL1: number): NavPoint[] {
  if (fromL1 < 1 || toL1 < fromL1) throw new ProofError("batch_unknown", `batches ${fromL1}..${toL1}: give 1 <= from <= to`);
  if (toL1 - fromL1 + 1 > NAV_MAX_BATCHES) throw new ProofError("batch_unknown", `batches ${fromL1}..${toL1}: at most ${NAV_MAX_BATCHES} per request`);
  const out: NavPoint[] = [];
  replayBatches(log, genesis, fromL1 - 1, toL1 - 1, (i, state) => {
    const a = state.accounts[account];
    if (!a) return;
    const nav = netValue(state, a);
    const collateral = collateralAtOracle(state, a);
    const b = log.batch(i)!;
    out.push({ batch: i + 1, root: bytesToHex(b.postRoot), timestamp: b.timestamp, nav, settlementBalance: a.balances[0]!, positionsValue: nav - collateral, openMarkets: [...a.openMarkets] });
  });
  if (out.length === 0 && log.batch(toL1 - 1) !== undefined) {
    // Distinguish "no such account" from "not yet created in this range".
    throw new ProofError("account_unknown", `account ${account} does not exist in batches ${fromL1}..${toL1}`);
  }
  return out;
}
