/**
 * Checks a desk runs against L1 itself, trusting the sequencer's API for nothing but the
 * data it hands over:
 * - `verifyMyAccount`: the account's record (owner, balances, positions) is the one committed
 *   by the state root L1 stores for a batch, through its SSZ branch; the root is read from the
 *   Rollup, not from the API. The record's hashing is the one `Vault.exit` does on L1
 *   (contracts/src/lib/StateProofs.sol), so a record that passes here is one L1 would pay out on.
 * - `verifyReserves`: every L1 figure of a reserves report (the Vault's token balances at the
 *   batch's block, withdrawals claimed, deposits not yet consumed, the root and queue position)
 *   re-read from L1, and the report's arithmetic redone. The liabilities are a sum over every
 *   account's record: the desk's own is covered by `verifyMyAccount`; the sum itself is what an
 *   independent verifier (prover/) recomputes from its own replay of L1 data.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import type { Address, PublicClient } from "viem";
import { bytesToHex, hexToBytes } from "../sequencer/state/bytes.js";
import { Account, Address as SszAddress, Position, State } from "../sequencer/state/types.js";
import { rollupAbi } from "../sequencer/l1/abi.js";
import { latestFinalized, readVaultSide, type ReservesReport } from "../sequencer/l1/reserves.js";
import type { CrossmarginClient } from "./client.js";
import type { ExitProof, Hex } from "./types.js";

/** A check that failed: the API's answer does not match L1 (or itself). */
export class VerificationError extends Error {
  override name = "VerificationError";
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(`${message}:\n  ${problems.join("\n  ")}`);
  }
}

const two = (x: bigint, bits: number) => (x < 0n ? x + (1n << BigInt(bits)) : x);
const ACCOUNT_FIELDS = Object.keys(Account.fields);
const BalancesType = Account.fields.balances;
const ZERO_POSITION_ROOT = bytesToHex(Position.hashTreeRoot(Position.defaultValue()));

function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  const x = new Uint8Array(64);
  x.set(a, 0);
  x.set(b, 32);
  return sha256(x);
}

/** Root of `leaves` padded with zero subtrees to the next power of two. */
function merkleize(leaves: Uint8Array[]): Uint8Array {
  let depth = 0;
  while (1 << depth < leaves.length) depth++;
  let level = leaves.slice();
  let zero: Uint8Array = new Uint8Array(32);
  for (let d = 0; d < depth; d++) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < 1 << (depth - d - 1); i++) next.push(hashPair(level[2 * i] ?? zero, level[2 * i + 1] ?? zero));
    level = next;
    zero = hashPair(zero, zero);
  }
  return level[0] ?? zero;
}

/** The root a leaf at `gindex` with this branch (siblings from the leaf up) leads to. */
function branchRoot(leaf: Uint8Array, branch: Uint8Array[], gindex: bigint): Uint8Array {
  let node = leaf;
  let g = gindex;
  for (const sibling of branch) {
    node = g & 1n ? hashPair(sibling, node) : hashPair(node, sibling);
    g >>= 1n;
  }
  if (g !== 1n) throw new Error(`branch of ${branch.length} hashes does not reach the root from gindex ${gindex}`);
  return node;
}

/**
 * The root `proof.account` leads to, hashing the record the way `Vault.exit` does; throws
 * VerificationError when the record is inconsistent with itself (a position that does not
 * hash to its slot, a non-empty slot left out, wrong lengths).
 */
export function accountProofRoot(proof: ExitProof["account"]): Hex {
  const problems: string[] = [];
  const { balances, positionRoots, fieldRoots, markets, positions } = proof;
  if (balances.length !== BalancesType.length) problems.push(`balances: ${balances.length} entries, not ${BalancesType.length}`);
  if (positionRoots.length !== Account.fields.positions.length) problems.push(`positionRoots: ${positionRoots.length} entries, not ${Account.fields.positions.length}`);
  if (fieldRoots.length !== ACCOUNT_FIELDS.length) problems.push(`fieldRoots: ${fieldRoots.length} entries, not ${ACCOUNT_FIELDS.length}`);
  if (markets.length !== positions.length) problems.push(`markets (${markets.length}) and positions (${positions.length}) differ in length`);
  if (problems.length) throw new VerificationError(`account ${proof.account}: malformed record`, problems);
  // Every slot is accounted for: listed ones hash to their slot root, others are empty.
  const listed = new Map(markets.map((m, j) => [m, positions[j]!]));
  positionRoots.forEach((root, slot) => {
    const p = listed.get(slot);
    if (p === undefined) {
      if (root.toLowerCase() !== ZERO_POSITION_ROOT) problems.push(`position slot ${slot} is not empty but its record was left out`);
      return;
    }
    const h = bytesToHex(Position.hashTreeRoot({ size: two(p.size, 64), entryNotional: two(p.entryNotional, 64), lastFundingIndex: two(p.lastFundingIndex, 64), isolatedMargin: p.isolatedMargin, marginMode: p.marginMode }));
    if (h !== root.toLowerCase()) problems.push(`position in market ${slot} does not hash to its slot root (${h} != ${root})`);
  });
  if (problems.length) throw new VerificationError(`account ${proof.account}: positions do not match their roots`, problems);
  const fields = fieldRoots.map((r) => hexToBytes(r));
  fields[ACCOUNT_FIELDS.indexOf("owner")] = SszAddress.hashTreeRoot(hexToBytes(proof.owner));
  fields[ACCOUNT_FIELDS.indexOf("balances")] = BalancesType.hashTreeRoot(balances.map((b) => two(b, 128)));
  fields[ACCOUNT_FIELDS.indexOf("positions")] = merkleize(positionRoots.map((r) => hexToBytes(r)));
  const leaf = merkleize(fields);
  const gindex = State.getPathInfo(["accounts", proof.account]).gindex;
  return bytesToHex(branchRoot(leaf, proof.proof.map((x) => hexToBytes(x)), gindex)) as Hex;
}

type L1Reader = Pick<PublicClient, "readContract" | "getContractEvents">;

export interface VerifiedAccount {
  batch: number;
  root: Hex;
  /** Past its challenge window on L1: the record is what L1 would pay against. */
  finalized: boolean;
  account: number;
  owner: Hex;
  balances: bigint[];
  positions: { market: number; size: bigint; entryNotional: bigint; lastFundingIndex: bigint; isolatedMargin: bigint; marginMode: number }[];
}

/**
 * Fetches this client's account record at L1 batch `batch` (default: the latest final one)
 * and proves it against the root the Rollup stores; throws VerificationError on any mismatch.
 */
export async function verifyMyAccount(
  client: CrossmarginClient,
  l1: { publicClient: L1Reader; rollup: Address; batch?: number },
): Promise<VerifiedAccount> {
  const account = await client.accountIndex();
  const batch: number = l1.batch ?? (await latestFinalized(l1.publicClient, l1.rollup));
  const stored = (await l1.publicClient.readContract({ address: l1.rollup, abi: rollupAbi, functionName: "batch", args: [BigInt(batch)] })) as { stateRoot: Hex };
  const finalized = (await l1.publicClient.readContract({ address: l1.rollup, abi: rollupAbi, functionName: "isFinalized", args: [BigInt(batch)] })) as boolean;
  const proof = await client.exitProof(account, batch);
  const problems: string[] = [];
  if (proof.account.account !== account) problems.push(`the API answered for account ${proof.account.account}, not ${account}`);
  if (proof.account.owner.toLowerCase() !== client.address.toLowerCase()) problems.push(`the record's owner is ${proof.account.owner}, not this key's ${client.address}`);
  const root = accountProofRoot(proof.account);
  if (root !== stored.stateRoot.toLowerCase()) problems.push(`the record and its branch lead to ${root}, but L1 batch ${batch}'s root is ${stored.stateRoot}`);
  if (problems.length) throw new VerificationError(`account ${account} at L1 batch ${batch} does not verify`, problems);
  return {
    batch,
    root: stored.stateRoot.toLowerCase() as Hex,
    finalized,
    account,
    owner: proof.account.owner,
    balances: proof.account.balances,
    positions: proof.account.markets.map((market, j) => ({ market, ...proof.account.positions[j]! })),
  };
}

/**
 * Re-reads every L1 figure of a reserves report from L1 and redoes its arithmetic; returns
 * the report when all hold, throws VerificationError listing each that does not.
 */
export async function verifyReserves(report: ReservesReport, l1: { publicClient: L1Reader; rollup: Address; fromBlock: bigint }): Promise<ReservesReport> {
  const v = await readVaultSide({ client: l1.publicClient, rollup: l1.rollup, fromBlock: l1.fromBlock, batch: report.batch, assetCount: report.assets.length });
  const problems: string[] = [];
  const eq = (what: string, api: unknown, chain: unknown) => {
    if (String(api).toLowerCase() !== String(chain).toLowerCase()) problems.push(`${what}: the API says ${api}, L1 says ${chain}`);
  };
  eq("root", report.root, v.root);
  eq("queueConsumed", report.queueConsumed, v.queueConsumed);
  eq("l1Block", report.l1Block, v.l1Block);
  eq("vault", report.vault, v.vault);
  for (const a of report.assets) {
    const c = v.assets[a.asset];
    if (!c) {
      problems.push(`asset ${a.asset}: not an asset of the Vault`);
      continue;
    }
    const p = `asset ${a.asset}`;
    eq(`${p} token`, a.token, c.token);
    eq(`${p} vaultBalance`, a.vaultBalance, c.vaultBalance);
    eq(`${p} claimedWithdrawals`, a.claimedWithdrawals, c.claimedWithdrawals);
    eq(`${p} pendingDeposits`, a.pendingDeposits, c.pendingDeposits);
    const l = a.liabilities;
    const total = l.balances + l.positionCash + l.fundingPools + l.insuranceFund + l.withdrawals - l.socializedLoss;
    if (total !== l.total) problems.push(`${p}: liabilities total ${l.total} is not the sum of its parts (${total})`);
    if (a.owed !== l.total - a.claimedWithdrawals) problems.push(`${p}: owed ${a.owed} != liabilities ${l.total} − claimed ${a.claimedWithdrawals}`);
    if (a.surplus !== a.vaultBalance - a.owed - a.pendingDeposits) problems.push(`${p}: surplus ${a.surplus} != vault ${a.vaultBalance} − owed ${a.owed} − pending ${a.pendingDeposits}`);
  }
  if (report.covered !== report.assets.every((a) => a.surplus >= 0n)) problems.push(`covered is ${report.covered}, but the surpluses say otherwise`);
  if (problems.length) throw new VerificationError(`the reserves report of L1 batch ${report.batch} does not verify`, problems);
  return report;
}
