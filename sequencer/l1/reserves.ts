/**
 * Proof of reserves at one posted root: what the state owes per asset (sequencer/state/
 * liabilities.ts) against what the Vault holds on L1 at the block the batch was posted in.
 *
 * Everything is read at that block B, so the two sides describe the same moment:
 *   owed            = liabilities(state at the root).total − withdrawals claimed on L1 by B
 *                     (the state keeps every withdrawal record; the Vault already paid the
 *                     claimed ones)
 *   pendingDeposits = deposits in the Vault's queue by B that the root has not consumed
 *                     (queue index ≥ the state's l1.nextIndex), minus those refunded: held by
 *                     the Vault, owed to their depositors, not yet in the state
 *   vaultBalance    = token.balanceOf(vault) at B
 *   surplus         = vaultBalance − owed − pendingDeposits   (≥ 0: covered; > 0 only when
 *                     someone sent tokens to the Vault without depositing)
 * The L1 figures (balances, claims, pending deposits) anyone can re-read from L1; the SDK's
 * `verifyReserves` does. The liabilities are a sum over every account: a desk checks its own
 * record's inclusion (`verifyMyAccount`), and a verifier that replays L1 data (prover/)
 * recomputes the same sum from its own state.
 */
import { type Address, type Hex, type PublicClient } from "viem";
import { bytesToHex } from "../state/bytes.js";
import { stateRoot } from "../state/index.js";
import { type AssetLiabilities, liabilities } from "../state/liabilities.js";
import type { CrossmarginState } from "../state/state.js";
import { mockErc20Abi, rollupAbi, vaultAbi } from "./abi.js";

export interface AssetReserves {
  asset: number;
  token: Address;
  liabilities: Omit<AssetLiabilities, "asset">;
  claimedWithdrawals: bigint;
  owed: bigint;
  pendingDeposits: bigint;
  vaultBalance: bigint;
  surplus: bigint;
}

export interface ReservesReport {
  /** The Rollup's batch index. */
  batch: number;
  root: Hex;
  finalized: boolean;
  /** The block the batch was posted in: every L1 figure is read there. */
  l1Block: bigint;
  vault: Address;
  /** The state's `l1.nextIndex`: queue items below it are in the state. */
  queueConsumed: bigint;
  assets: AssetReserves[];
  /** Every listed asset's surplus is ≥ 0. */
  covered: boolean;
}

export class ReservesError extends Error {
  constructor(
    readonly kind: "batch_unknown" | "state_mismatch",
    message: string,
  ) {
    super(message);
  }
}

type Reader = Pick<PublicClient, "readContract" | "getContractEvents">;

/** The block that posted L1 batch `batch` on the current chain (its stored header hash's event). */
export async function batchBlock(client: Reader, rollup: Address, batch: number, fromBlock: bigint): Promise<bigint> {
  const next = (await client.readContract({ address: rollup, abi: rollupAbi, functionName: "nextBatchIndex" })) as bigint;
  if (batch < 1 || BigInt(batch) >= next) throw new ReservesError("batch_unknown", `L1 holds batches 1..${next - 1n}, not ${batch}`);
  const stored = (await client.readContract({ address: rollup, abi: rollupAbi, functionName: "batch", args: [BigInt(batch)] })) as { headerHash: Hex };
  const logs = await client.getContractEvents({ address: rollup, abi: rollupAbi, eventName: "BatchSubmitted", args: { batchIndex: BigInt(batch) }, fromBlock });
  const log = logs.reverse().find((l) => (l.args as { headerHash?: Hex }).headerHash?.toLowerCase() === stored.headerHash.toLowerCase());
  if (!log || log.blockNumber === null) throw new ReservesError("batch_unknown", `no BatchSubmitted event for L1 batch ${batch} with header ${stored.headerHash} since block ${fromBlock}`);
  return log.blockNumber;
}

/** The L1 side of a reserves report: everything read from L1 at the batch's block. */
export interface VaultSide {
  batch: number;
  root: Hex;
  /** The batch header's queuePosition: queue items below it are in the root's state. */
  queueConsumed: bigint;
  finalized: boolean;
  l1Block: bigint;
  vault: Address;
  assets: { asset: number; token: Address; vaultBalance: bigint; claimedWithdrawals: bigint; pendingDeposits: bigint }[];
}

/** Reads the L1 side of L1 batch `batch`'s reserves for assets 0..assetCount-1. Desks run it too (sdk/verify.ts). */
export async function readVaultSide(o: { client: Reader; rollup: Address; fromBlock: bigint; batch: number; assetCount: number }): Promise<VaultSide> {
  const { client, rollup, batch } = o;
  const block = await batchBlock(client, rollup, batch, o.fromBlock);
  const stored = (await client.readContract({ address: rollup, abi: rollupAbi, functionName: "batch", args: [BigInt(batch)] })) as { stateRoot: Hex; queuePosition: bigint };
  const vault = (await client.readContract({ address: rollup, abi: rollupAbi, functionName: "vault" })) as Address;
  const finalized = (await client.readContract({ address: rollup, abi: rollupAbi, functionName: "isFinalized", args: [BigInt(batch)] })) as boolean;
  const range = { fromBlock: o.fromBlock, toBlock: block };
  const [claims, deposits, refunds] = await Promise.all([
    client.getContractEvents({ address: vault, abi: vaultAbi, eventName: "WithdrawalClaimed", ...range }),
    client.getContractEvents({ address: vault, abi: vaultAbi, eventName: "Deposited", ...range }),
    client.getContractEvents({ address: vault, abi: vaultAbi, eventName: "DepositRefunded", ...range }),
  ]);
  const refunded = new Set(refunds.map((r) => BigInt((r.args as { queueIndex: bigint }).queueIndex)));
  const sum = (xs: { args: unknown }[], pick: (a: Record<string, unknown>) => boolean) =>
    xs.reduce((t, x) => {
      const a = x.args as Record<string, unknown>;
      return pick(a) ? t + BigInt(a.amount as bigint) : t;
    }, 0n);
  const assets: VaultSide["assets"] = [];
  for (let asset = 0; asset < o.assetCount; asset++) {
    const token = (await client.readContract({ address: vault, abi: vaultAbi, functionName: "tokens", args: [BigInt(asset)], blockNumber: block })) as Address;
    const vaultBalance = (await client.readContract({ address: token, abi: mockErc20Abi, functionName: "balanceOf", args: [vault], blockNumber: block })) as bigint;
    assets.push({
      asset,
      token,
      vaultBalance,
      claimedWithdrawals: sum(claims, (a) => Number(a.asset) === asset),
      pendingDeposits: sum(deposits, (a) => {
        const q = BigInt(a.queueIndex as bigint);
        return Number(a.asset) === asset && q >= stored.queuePosition && !refunded.has(q);
      }),
    });
  }
  return { batch, root: stored.stateRoot, queueConsumed: stored.queuePosition, finalized, l1Block: block, vault, assets };
}

/** The reserves report of L1 batch `batch`, whose post-state is `state`. */
export async function reservesAt(o: { client: Reader; rollup: Address; fromBlock: bigint; batch: number; state: CrossmarginState }): Promise<ReservesReport> {
  const { state } = o;
  const root = bytesToHex(stateRoot(state)) as Hex;
  const l1 = await readVaultSide({ ...o, assetCount: state.assets.length });
  if (l1.root.toLowerCase() !== root.toLowerCase()) throw new ReservesError("state_mismatch", `L1 batch ${o.batch}'s root is ${l1.root}, the state given has ${root}`);
  if (l1.queueConsumed !== state.l1.nextIndex) throw new ReservesError("state_mismatch", `L1 batch ${o.batch}'s queuePosition is ${l1.queueConsumed}, the state's l1.nextIndex ${state.l1.nextIndex}`);
  const owedBy = liabilities(state);
  const assets: AssetReserves[] = l1.assets.map((v) => {
    const { asset: _, ...l } = owedBy[v.asset]!;
    const owed = l.total - v.claimedWithdrawals;
    return { asset: v.asset, token: v.token, liabilities: l, claimedWithdrawals: v.claimedWithdrawals, owed, pendingDeposits: v.pendingDeposits, vaultBalance: v.vaultBalance, surplus: v.vaultBalance - owed - v.pendingDeposits };
  });
  return { batch: o.batch, root, finalized: l1.finalized, l1Block: l1.l1Block, vault: l1.vault, queueConsumed: l1.queueConsumed, assets, covered: assets.every((a) => a.surplus >= 0n) };
}

/** The highest L1 batch that is final now (0: only genesis). Finality is monotone in the index. */
export async function latestFinalized(client: Pick<PublicClient, "readContract">, rollup: Address): Promise<number> {
  const next = Number((await client.readContract({ address: rollup, abi: rollupAbi, functionName: "nextBatchIndex" })) as bigint);
  let lo = 0;
  let hi = next - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if ((await client.readContract({ address: rollup, abi: rollupAbi, functionName: "isFinalized", args: [BigInt(mid)] })) as boolean) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
