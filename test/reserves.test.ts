/**
 * Proof of reserves and account verification on a real anvil, through the SDK: desks
 * deposit, trade and withdraw (one withdrawal claimed on L1), batches finalize (time travel),
 * then each desk verifies its own record against the root the Rollup stores and the reserves
 * report against L1; answers tampered on the way from the API are caught.
 */
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createCrossmarginClient, type CrossmarginClient, verifyMyAccount, verifyReserves, VerificationError } from "../sdk/index.js";
import { DEVNET_ORACLE_KEY } from "../sequencer/devnet.js";
import { contractsOf, walletFor } from "../sequencer/l1/deploy.js";
import type { Hex } from "../sequencer/state/ops.js";
import { type Stack, startStack, stopStack, until } from "./stack.js";

const USD = 1_000_000n;
let stack: Stack | undefined;
beforeAll(async () => {
  stack = await startStack("embedded");
}, 120_000);
afterAll(() => stopStack(stack));

/** A fetch that rewrites JSON answers of paths matching `re` (a man in the middle, or a lying API). */
function tampering(re: RegExp, edit: (json: Record<string, unknown>) => void): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (!re.test(String(input))) return res;
    const json = JSON.parse(await res.text()) as Record<string, unknown>;
    edit(json);
    return new Response(JSON.stringify(json), { status: res.status, headers: res.headers });
  };
}

it("desks verify their own records and the reserves against a finalized root; tampered answers are caught", async () => {
  const { anvil, d, lines, seq } = stack!;
  const pub = d.clients.public;
  const k = contractsOf(d);
  const users = [anvil.accounts[2]!, anvil.accounts[3]!];
  const deposits = [300_000n * USD + 11n, 200_000n * USD + 5n];
  for (const [i, u] of users.entries()) {
    const c = contractsOf(d, walletFor(d.clients, u.privateKey));
    for (const h of [await c.tokens[0]!.write.mint([u.address, deposits[i]!]), await c.tokens[0]!.write.approve([d.vault, deposits[i]!]), await c.vault.write.deposit([0, deposits[i]!])]) {
      expect((await pub.waitForTransactionReceipt({ hash: h, pollingInterval: 20 })).status).toBe("success");
    }
  }
  const [alice, bob] = users.map((u) => createCrossmarginClient({ url: seq.url, account: privateKeyToAccount(u.privateKey) })) as [CrossmarginClient, CrossmarginClient];
  await until(lines, () => bob.accountByOwner(users[1]!.address).catch(() => null), 30_000, "deposits credited");
  await until(lines, () => alice.accountByOwner(users[0]!.address).catch(() => null), 30_000, "deposits credited");
  const oracle = createCrossmarginClient({ url: seq.url, account: privateKeyToAccount(DEVNET_ORACLE_KEY), accountIndex: 0 });
  const price = async (p: bigint) => oracle.submitOp(await oracle.signOracleUpdate({ timestamp: BigInt(Date.now()), prices: [{ kind: 0, id: 0, price: p }] }));
  expect((await price(60_000n * USD)).ok).toBe(true);
  expect((await alice.placeOrder({ market: 0, side: "sell", price: 60_000n * USD, size: 20_000_000n, tif: "post-only" })).ok).toBe(true);
  expect((await bob.placeOrder({ market: 0, side: "buy", price: 60_000n * USD, size: 20_000_000n, tif: "ioc" })).fills[0]?.ok).toBe(true);
  expect((await price(61_000n * USD)).ok).toBe(true); // marks move: the records carry PnL

  // Bob withdraws; once final, the withdrawal is claimed on L1.
  const amount = 5_000n * USD + 3n;
  const w = await bob.withdraw({ asset: 0, amount });
  const created = w.events.find((e) => e.kind === "WithdrawalCreated") as { index: number } | undefined;
  const confirmed = async (seqNo: Parameters<CrossmarginClient["op"]>[0]) => {
    const op = await until(lines, async () => ((await bob.op(seqNo)).batch === null ? null : bob.op(seqNo)), 15_000, `op ${seqNo} sealed`);
    await until(lines, async () => ((await bob.info()).l1!.confirmedThrough >= op.batch! ? true : null), 30_000, `op ${seqNo}'s batch confirmed`);
    return op.batch! + 1;
  };
  const wBatch = await confirmed(w.seq);
  await anvil.increaseTime(d.params.challengeWindow + 1n);
  await anvil.mine(1);
  const proof = await bob.withdrawalProof(created!.index, wBatch);
  const h = await contractsOf(d, walletFor(d.clients, users[1]!.privateKey)).vault.write.claimWithdrawal([BigInt(wBatch), BigInt(proof.index), { ...proof.withdrawal, owner: proof.withdrawal.owner as Hex }, proof.proof]);
  expect((await pub.waitForTransactionReceipt({ hash: h, pollingInterval: 20 })).status).toBe("success");

  // A later batch (after the claim), made final.
  const later = await price(61_500n * USD);
  const batch = await confirmed(later.seq);
  await anvil.increaseTime(d.params.challengeWindow + 1n);
  await anvil.mine(1);
  expect(await k.rollup.read.isFinalized([BigInt(batch)])).toBe(true);

  // ── the reserves at the latest final root: the API's report, checked against L1 ──
  const l1 = { publicClient: pub, rollup: d.rollup, fromBlock: d.fromBlock };
  const report = await bob.reserves();
  expect(report.batch).toBeGreaterThanOrEqual(batch);
  expect(report.finalized).toBe(true);
  await verifyReserves(report, l1);
  const usdc = report.assets[0]!;
  expect(usdc.vaultBalance).toBe(await k.tokens[0]!.read.balanceOf([d.vault], { blockNumber: report.l1Block }));
  expect(usdc.vaultBalance).toBe(deposits[0]! + deposits[1]! - amount);
  expect(usdc.liabilities.withdrawals).toBe(amount);
  expect(usdc.claimedWithdrawals).toBe(amount);
  expect(usdc.pendingDeposits).toBe(0n);
  expect(usdc.owed).toBe(usdc.vaultBalance); // nothing sent to the Vault outside deposits
  expect(usdc.surplus).toBe(0n);
  expect(report.covered).toBe(true);

  // ── each desk's own record, proven against the root L1 stores ──
  for (const [i, desk] of [alice, bob].entries()) {
    const v = await verifyMyAccount(desk, { publicClient: pub, rollup: d.rollup, batch: report.batch });
    expect(v.root).toBe(report.root);
    expect(v.finalized).toBe(true);
    expect(v.owner).toBe(users[i]!.address.toLowerCase());
    const now = await desk.account();
    expect(v.balances[0]).toBe(now.balances[0]); // no op of theirs since
    expect(v.positions.map((p) => [p.market, p.size])).toEqual([[0, i === 0 ? -20_000_000n : 20_000_000n]]);
  }
  // NAV history: each point's root is the batch's, final up to the latest final batch.
  const nav = await bob.nav({ from: 1, to: report.batch });
  expect(nav.finalizedThrough).toBe(report.batch);
  expect(nav.points.at(-1)).toMatchObject({ batch: report.batch, root: report.root, finalized: true });
  // The default batch is the latest final one.
  expect((await verifyMyAccount(alice, { publicClient: pub, rollup: d.rollup })).batch).toBe(report.batch);

  // ── tampered answers are caught ──
  const as = (f: typeof fetch, u = users[1]!) => createCrossmarginClient({ url: seq.url, account: privateKeyToAccount(u.privateKey), fetch: f });
  const richer = as(tampering(/exit-proof/, (j) => ((j.account as { balances: string[] }).balances[0] = String(BigInt((j.account as { balances: string[] }).balances[0]!) + 1n))));
  await expect(verifyMyAccount(richer, { publicClient: pub, rollup: d.rollup, batch: report.batch })).rejects.toThrow(/lead to 0x[0-9a-f]+, but L1 batch \d+'s root is/);
  const hidden = as(tampering(/exit-proof/, (j) => {
    const a = j.account as { markets: number[]; positions: unknown[] };
    a.markets = [];
    a.positions = [];
  }));
  await expect(verifyMyAccount(hidden, { publicClient: pub, rollup: d.rollup, batch: report.batch })).rejects.toThrow(/position slot 0 is not empty but its record was left out/);
  const someoneElse = as(tampering(/exit-proof/, () => {}), users[1]!);
  const aliceIndex = await alice.accountIndex();
  const otherProof = await alice.exitProof(aliceIndex, report.batch);
  await expect(
    verifyMyAccount({ ...someoneElse, exitProof: async () => otherProof } as CrossmarginClient, { publicClient: pub, rollup: d.rollup, batch: report.batch }),
  ).rejects.toThrow(/the API answered for account \d+, not \d+[\s\S]*owner is/);

  const inflated = await as(tampering(/reserves/, (j) => {
    const a = (j.assets as Record<string, string>[])[0]!;
    a.vaultBalance = String(BigInt(a.vaultBalance!) + 1_000_000n);
    a.surplus = String(BigInt(a.surplus!) + 1_000_000n);
  })).reserves();
  await expect(verifyReserves(inflated, l1)).rejects.toThrow(VerificationError);
  await expect(verifyReserves(inflated, l1)).rejects.toThrow(/asset 0 vaultBalance: the API says \d+, L1 says \d+/);
  const shrunk = await as(tampering(/reserves/, (j) => {
    const l = (j.assets as { liabilities: Record<string, string> }[])[0]!.liabilities;
    l.total = String(BigInt(l.total!) - 1n);
  })).reserves();
  await expect(verifyReserves(shrunk, l1)).rejects.toThrow(/liabilities total \d+ is not the sum of its parts/);
}, 180_000);
