/**
 * The slow path and the exit, end to end on a real anvil through the SDK (issue 6):
 *
 * - five desks deposit USDC (one also WETH) through the SDK's vault client; they trade BTC and
 *   ETH perpetuals through the sequencer (L1 mode); the oracle moves, so exit equity includes
 *   PnL at the proven marks, and one desk (frank, 20x short) ends below zero: his claim clamps
 *   at zero and the vault is short of the claims by his deficit, so the payout is pro rata;
 *   one L2 withdrawal is claimed on L1 before the freeze, two are left unclaimed;
 * - a desk forces a withdrawal on L1 and the running sequencer includes it: the L1 batch that
 *   consumed it is before its deadline and the L2 balance moved by exactly the amount; with a
 *   backstop named by governance (timelock, then the queue), the same desk forces the close of
 *   a position, included in time and closed against the backstop at the oracle price;
 * - the sequencer is stopped; more forced operations and two deposits are enqueued; `freeze()`
 *   is refused until anvil time passes the oldest item's deadline, then succeeds;
 * - exit proofs are built from the stopped sequencer's op log reopened offline; the API's
 *   answer for the same batch, fetched while it ran, and the verifier's replay of L1 data alone
 *   (prover/exit.ts) give identical proofs; every account exits,
 *   unclaimed withdrawal records are claimed, unconsumed deposits are refunded in full;
 * - after the exit window: settle and payout. Every claim's value, the settlement totals and
 *   every payout are computed here independently from the state at the exit root with the
 *   rule of docs/contracts.md §"Freeze and exit", and every wallet balance is checked to the
 *   unit; the payouts never exceed what the vault held.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, type Hex, encodeFunctionData } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, expect, it } from "vitest";
import { exitProverFromL1 } from "../prover/exit.js";
import { createCrossmarginClient, createVaultClient, type CrossmarginClient, type ExitProof, type VaultClient, VaultCallError } from "../sdk/index.js";
import { validateConfig } from "../sequencer/config.js";
import { DEVNET_ORACLE_KEY, devnetGenesis } from "../sequencer/devnet.js";
import { type Anvil, type DevAccount, startAnvil } from "../sequencer/l1/anvil.js";
import { contractsOf, deploy, type Deployment, governanceAbi, l1Clients, walletFor } from "../sequencer/l1/deploy.js";
import { openOfflineProver, stateAtL1Batch } from "../sequencer/l1/proofs.js";
import { type RunningSequencer, startSequencer } from "../sequencer/service.js";
import { bytesToHex } from "../sequencer/state/bytes.js";
import { stateRoot } from "../sequencer/state/index.js";
import type { CrossmarginState } from "../sequencer/state/state.js";
import { OpLog } from "../sequencer/storage/index.js";

const USD = 1_000_000n;
const WETH = 10n ** 18n;
const BTC = 0;
const ETH = 1;
const GENESIS = devnetGenesis();

let anvil: Anvil;
let d: Deployment;
let seq: RunningSequencer | null = null;
let dbPath: string;
let ticker: ReturnType<typeof setInterval> | null = null;
const lines: string[] = [];

async function until<T>(f: () => Promise<T | null | undefined | false> | T | null | undefined | false, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== null && v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${lines.slice(-20).join("\n")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  anvil = await startAnvil();
  const clients = l1Clients(anvil.url, anvil.chainId, { deployer: anvil.accounts[0]!.privateKey, sequencer: anvil.accounts[1]!.privateKey });
  d = await deploy({ clients, genesis: GENESIS });
  dbPath = join(mkdtempSync(join(tmpdir(), "cm-exit-")), "seq.db");
  const cfg = validateConfig(
    {
      db: dbPath,
      port: 0,
      chainId: BigInt(anvil.chainId),
      rollup: d.rollup,
      synchronous: "NORMAL",
      signatureWorkers: 1,
      l1: { rpcUrl: anvil.url, fromBlock: d.fromBlock, sequencerKey: anvil.accounts[1]!.privateKey, confirmations: 1, postConfirmations: 2, pollMs: 50 },
    },
    GENESIS,
  );
  seq = await startSequencer({ ...cfg, l1Log: (l) => lines.push(l) });
  // Blocks keep coming, as on a real chain (confirmation depths need them).
  ticker = setInterval(() => void anvil.mine(1).catch(() => {}), 250);
}, 120_000);

afterAll(async () => {
  if (ticker) clearInterval(ticker);
  await seq?.close();
  await anvil?.stop();
});

const divFloor = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));

/** docs/contracts.md's exit value of an account, in settlement atoms, from the state at the exit root. */
function accountEquity(st: CrossmarginState, account: number): bigint {
  const a = st.accounts[account]!;
  let e = a.balances[0]!;
  for (let i = 1; i < a.balances.length; i++) {
    if (a.balances[i] === 0n) continue;
    const asset = st.assets[i]!;
    e += divFloor(a.balances[i]! * asset.oraclePrice, 10n ** BigInt(asset.decimals));
  }
  for (const [m, p] of a.positions.entries()) {
    if (p === null) continue;
    const mk = st.markets[m]!;
    const markValue = divFloor(p.size * mk.oraclePrice, 100_000_000n);
    const pendingFunding = -divFloor(-p.size * (mk.fundingIndex - p.lastFundingIndex), 100_000_000n);
    e += p.isolatedMargin + markValue - p.entryNotional - pendingFunding;
  }
  return e > 0n ? e : 0n;
}

/** Waits until the batch holding op `seq` is confirmed on L1; returns that batch's L1 index. */
async function postedThrough(c: CrossmarginClient, seq: bigint): Promise<number> {
  const o = await until(async () => {
    const x = await c.op(seq);
    return x.batch === null ? null : x;
  }, 10_000, `op ${seq} sealed`);
  await until(async () => ((await c.info()).l1!.confirmedThrough >= o.batch! ? true : null), 30_000, `op-log batch ${o.batch} confirmed on L1`);
  return o.batch! + 1;
}

async function mined(hash: Hex): Promise<void> {
  expect((await d.clients.public.waitForTransactionReceipt({ hash, pollingInterval: 20 })).status).toBe("success");
}

it("forced withdrawal included before its deadline; sequencer stopped, deadline passed, freeze, every account exits with its documented settlement", async () => {
  const s = seq!;
  const pub = d.clients.public;
  const k = contractsOf(d);
  const [usdc, weth] = k.tokens as [typeof k.tokens[0], typeof k.tokens[0]];
  const tokenOf = [usdc, weth];
  const users: DevAccount[] = [2, 3, 4, 5, 6].map((i) => anvil.accounts[i]!);
  const erin = anvil.accounts[7]!;
  const vaultOf = (u: DevAccount): VaultClient => createVaultClient({ publicClient: pub, walletClient: walletFor(d.clients, u.privateKey), vault: d.vault, fromBlock: d.fromBlock });
  const [alice, bob, carol, dave, frank] = users.map(vaultOf) as [VaultClient, VaultClient, VaultClient, VaultClient, VaultClient];
  const minted = [1_000_000n * USD, 100n * WETH];
  for (const u of [...users, erin]) {
    await mined(await k.tokens[0]!.write.mint([u.address, minted[0]!]));
    await mined(await k.tokens[1]!.write.mint([u.address, minted[1]!]));
  }
  /** Each wallet's token balances, tracked by what the test expects to move. */
  const wallet = new Map<string, bigint[]>([...users, erin].map((u) => [u.address.toLowerCase(), [...minted]]));
  const move = (who: Address, asset: number, delta: bigint) => {
    const w = wallet.get(who.toLowerCase())!;
    w[asset]! += delta;
  };
  const expectWallets = async () => {
    for (const [who, w] of wallet) {
      expect(await usdc.read.balanceOf([who as Address])).toBe(w[0]);
      expect(await weth.read.balanceOf([who as Address])).toBe(w[1]);
    }
  };

  // ── L1 deposits through the SDK's vault client ──
  const deposits: [VaultClient, DevAccount, number, bigint][] = [
    [alice, users[0]!, 0, 400_000n * USD + 123_457n],
    [bob, users[1]!, 0, 250_000n * USD + 7n],
    [carol, users[2]!, 0, 100_000n * USD + 99n],
    [carol, users[2]!, 1, 10n * WETH + 123_456_789n],
    [dave, users[3]!, 0, 50_000n * USD + 1n],
    // Frank's deposit will not cover his loss: his exit clamps at zero and the vault is short.
    [frank, users[4]!, 0, 2_000n * USD + 1n],
  ];
  for (const [v, u, asset, amount] of deposits) {
    await v.deposit({ asset, amount });
    move(u.address, asset, -amount);
  }
  const [A, B, C, D, F] = await Promise.all([alice.accountOf(), bob.accountOf(), carol.accountOf(), dave.accountOf(), frank.accountOf()]);
  expect([A, B, C, D, F]).toEqual([0, 1, 2, 3, 4]);

  // ── credited on L2; trade; the oracle moves (SDK) ──
  const [l2a, l2b, l2c, l2d, l2f] = users.map((u) => createCrossmarginClient({ url: s.url, account: privateKeyToAccount(u.privateKey) })) as [
    CrossmarginClient,
    CrossmarginClient,
    CrossmarginClient,
    CrossmarginClient,
    CrossmarginClient,
  ];
  await until(async () => (((await l2a.info()).l1NextIndex ?? 0n) >= 6n ? true : null), 30_000, "the six deposits on L2");
  expect((await l2c.account()).balances.slice(0, 2)).toEqual([100_000n * USD + 99n, 10n * WETH + 123_456_789n]);

  // ── governance names alice the backstop (forced closes need one): timelocked, then through the queue ──
  const backstopCall = encodeFunctionData({ abi: governanceAbi, functionName: "updateStfParam", args: [42, 0, `0x${"00".repeat(32)}`] }); // account 0, u32 little-endian
  const salt = await k.governance.read.nextSalt();
  await mined(await k.governance.write.schedule([backstopCall]));
  await anvil.increaseTime(d.timelockDelay + 1n);
  await anvil.mine(1);
  await mined(await k.governance.write.execute([backstopCall, salt]));
  await until(async () => (((await l2a.info()).l1NextIndex ?? 0n) >= 7n ? true : null), 30_000, "the backstop parameter on L2");
  expect(s.core.state.params.backstopAccount).toBe(A);
  const oracle = createCrossmarginClient({ url: s.url, account: privateKeyToAccount(DEVNET_ORACLE_KEY), accountIndex: 0 });
  const prices = async (btc: bigint, eth: bigint, wethPrice: bigint) => {
    const r = await oracle.submitOp(
      await oracle.signOracleUpdate({ timestamp: BigInt(Date.now() - 500), prices: [{ kind: 0, id: BTC, price: btc }, { kind: 0, id: ETH, price: eth }, { kind: 1, id: 1, price: wethPrice }] }),
    );
    expect(r.ok).toBe(true);
    return r.seq;
  };
  await prices(60_000n * USD, 3_000n * USD, 3_000n * USD);
  const trade = async (maker: CrossmarginClient, taker: CrossmarginClient, market: number, makerSide: "buy" | "sell", price: bigint, size: bigint) => {
    expect((await maker.placeOrder({ market, side: makerSide, price, size, tif: "post-only" })).ok).toBe(true);
    const take = await taker.placeOrder({ market, side: makerSide === "buy" ? "sell" : "buy", price, size, tif: "ioc" });
    expect(take.fills.map((f) => f.ok)).toEqual([true]);
  };
  await trade(l2a, l2b, BTC, "sell", 60_000n * USD, 50_000_000n); // bob long 0.5 BTC from alice
  await trade(l2d, l2c, ETH, "sell", 3_000n * USD, 2_000_000_000n); // carol long 20 ETH from dave
  await trade(l2b, l2d, BTC, "buy", 60_010n * USD, 10_000_000n); // dave short 0.1 BTC to bob
  await trade(l2f, l2b, BTC, "sell", 60_000n * USD, 50_000_000n); // frank short 0.5 BTC to bob, 20x
  await prices(61_234n * USD + 567_891n, 2_950n * USD + 123_457n, 3_012n * USD + 345n);
  expect((await l2b.account()).positions).toMatchObject([{ market: BTC, size: 110_000_000n }]);

  // ── L2 withdrawals: bob's is claimed before the freeze, carol's (WETH) is left for the exit ──
  const bobW = await l2b.withdraw({ asset: 0, amount: 1_234n * USD + 567_891n });
  const bobRecord = (bobW.events.find((e) => e.kind === "WithdrawalCreated") as { index: number }).index;
  const carolW = await l2c.withdraw({ asset: 1, amount: 1n * WETH + 5n });
  expect(carolW.ok).toBe(true);

  // ── dave forces a withdrawal on L1; the running sequencer includes it before its deadline ──
  const daveBefore = (await l2d.account()).balances[0]!;
  const forcedAmount = 1_000n * USD + 3n;
  const fw = await dave.forceWithdraw({ account: D, asset: 0, amount: forcedAmount });
  expect(fw.queueIndex).toBe(7n);
  expect(fw.deadline).toBe(fw.enqueuedAt + d.params.inclusionDeadline);
  await until(async () => (((await l2d.info()).l1NextIndex ?? 0n) >= 8n ? true : null), 30_000, "the forced withdrawal on L2");
  expect((await l2d.account()).balances[0]).toBe(daveBefore - forcedAmount);
  const daveRecord = s.core.state.withdrawals.findIndex((w) => w.account === D);
  expect(s.core.state.withdrawals[daveRecord]).toMatchObject({ owner: users[3]!.address.toLowerCase(), asset: 0, amount: forcedAmount });
  const included = await until(() => dave.inclusion(fw.queueIndex), 30_000, "a batch on L1 consuming the forced withdrawal");
  expect(included.inTime).toBe(true);
  expect(included.batchTimestamp).toBeLessThanOrEqual(fw.deadline);
  expect(included.deadline).toBe(fw.deadline);
  expect((await k.rollup.read.batch([BigInt(included.batch)])).queuePosition).toBeGreaterThan(fw.queueIndex);
  if (included.batch > 1) expect((await k.rollup.read.batch([BigInt(included.batch - 1)])).queuePosition).toBeLessThanOrEqual(fw.queueIndex);
  // Included in time: nothing to freeze for.
  await expect(dave.freeze()).rejects.toMatchObject({ errorName: "NotFreezable" });

  // ── dave forces the close of his ETH short: included in time, closed at the oracle price against the backstop ──
  await prices(61_234n * USD + 567_891n, 2_950n * USD + 123_457n, 3_012n * USD + 345n); // fresh: a stale price refuses the close
  const daveEth = (await l2d.account()).positions.find((p) => p.market === ETH)!;
  expect(daveEth.size).toBe(-2_000_000_000n);
  const fcDave = await dave.forceClose({ account: D, market: ETH });
  expect(fcDave.queueIndex).toBe(8n);
  await until(async () => (((await l2d.info()).l1NextIndex ?? 0n) >= 9n ? true : null), 30_000, "the forced close on L2");
  expect((await l2d.account()).positions.map((p) => p.market)).toEqual([BTC]);
  expect((await l2a.account()).positions.find((p) => p.market === ETH)).toMatchObject({ size: -2_000_000_000n, entryNotional: -(2_950n * USD + 123_457n) * 20n });
  const closeIncluded = await until(() => dave.inclusion(fcDave.queueIndex), 30_000, "a batch on L1 consuming the forced close");
  expect(closeIncluded).toMatchObject({ inTime: true, deadline: fcDave.deadline });

  // ── everything posted; past the challenge window bob claims his withdrawal (paid at once) ──
  let lastL1 = Math.max(await postedThrough(l2a, carolW.seq), closeIncluded.batch);
  await anvil.increaseTime(d.params.challengeWindow + 1n);
  await anvil.mine(1);
  expect(await k.rollup.read.isFinalized([BigInt(lastL1)])).toBe(true);
  const bobProof = await l2b.withdrawalProof(bobRecord, lastL1);
  await bob.claimWithdrawal(bobProof);
  move(users[1]!.address, 0, 1_234n * USD + 567_891n);
  // A batch after the time jump (the last before the halt), so the batch gap alone does not allow a freeze.
  // BTC up 5.3%: frank's short loses more than he deposited.
  lastL1 = await postedThrough(l2a, await prices(64_500n * USD, 2_951n * USD, 3_012n * USD + 345n));
  expect(await k.rollup.read.isFinalized([BigInt(lastL1)])).toBe(false);
  // The route names what is missing: an account the batch does not hold (genesis holds none), a batch never sealed.
  const apiError = (p: Promise<unknown>) => p.then(() => null, (e: { code?: string; status?: number; field?: string }) => ({ code: e.code, status: e.status, field: e.field }));
  expect(await apiError(l2c.exitProof(5, lastL1))).toEqual({ code: "ACCOUNT_UNKNOWN", status: 404, field: "index" });
  expect(await apiError(l2c.exitProof(C, 0))).toEqual({ code: "ACCOUNT_UNKNOWN", status: 404, field: "index" });
  expect(await apiError(l2c.exitProof(C, lastL1 + 1000))).toEqual({ code: "BATCH_UNKNOWN", status: 404, field: "batch" });
  expect(() => l2c.exitProof(C, -1)).toThrow(/batch must be an L1 batch index >= 0/);
  const fromApi = await l2c.exitProof(C, lastL1);
  expect(fromApi.batch).toBe(lastL1);
  expect(fromApi.root).toBe((await k.rollup.read.batch([BigInt(lastL1)])).stateRoot);

  // ── the sequencer halts; forced operations and deposits keep coming on L1 ──
  await s.close();
  seq = null;
  const fc = await alice.forceClose({ account: A, market: BTC });
  const fw2 = await carol.forceWithdraw({ account: C, asset: 1, amount: 2n * WETH });
  const erinVault = vaultOf(erin);
  const erinDeposit = await erinVault.deposit({ asset: 0, amount: 5_000n * USD + 11n });
  move(erin.address, 0, -(5_000n * USD + 11n));
  const bobLate = await bob.deposit({ asset: 1, amount: 3n * WETH + 1n });
  move(users[1]!.address, 1, -(3n * WETH + 1n));
  expect([fc.queueIndex, fw2.queueIndex, erinDeposit.queueIndex, bobLate.queueIndex]).toEqual([9n, 10n, 11n, 12n]);
  expect(erinDeposit.account).toBe(5);
  // Not yet: the oldest unconsumed item (alice's forced close) is within its deadline and a batch came recently.
  await expect(alice.freeze()).rejects.toMatchObject({ errorName: "NotFreezable" });
  expect(await alice.inclusion(fc.queueIndex)).toBeNull();

  // ── anvil time passes the deadline: anyone freezes ──
  const head = (await pub.getBlock()).timestamp;
  expect(head).toBeLessThanOrEqual(fc.deadline);
  await anvil.increaseTime(fc.deadline - head + 1n);
  await anvil.mine(1);
  const frozen = await erinVault.freeze();
  expect(frozen).toMatchObject({ frozen: true, reason: 1, exitBatch: lastL1, exitQueuePosition: 9n, settled: false });
  await expect(erinVault.deposit({ asset: 0, amount: 1n })).rejects.toMatchObject({ errorName: "WrongPhase" });

  // ── exit proofs from the stopped sequencer's op log, reopened offline ──
  const offline = openOfflineProver(dbPath, GENESIS);
  let exitState: CrossmarginState;
  const bundles: ExitProof[] = [];
  try {
    for (let a = 0; a < 5; a++) bundles.push({ ...offline.exit(frozen.exitBatch, a), batch: frozen.exitBatch });
    expect(() => offline.exit(frozen.exitBatch, 5)).toThrow(/no account 5/); // erin's deposit never reached the exit root
  } finally {
    offline.close();
  }
  // The API's answer for the same batch, fetched while the sequencer ran, is the same proof.
  expect(bundles[C]).toEqual(fromApi);
  // And from L1 data alone (no op log): the verifier's replay of the batches' calldata.
  const fromL1 = await exitProverFromL1({ client: pub, rollup: d.rollup, fromBlock: d.fromBlock, genesis: GENESIS, db: join(mkdtempSync(join(tmpdir(), "cm-exit-verifier-")), "v.db") });
  expect(fromL1.exitBatch).toBe(frozen.exitBatch);
  expect(fromL1.root).toBe(frozen.exitRoot);
  for (let a = 0; a < 5; a++) expect({ ...fromL1.prover.exit(a), batch: frozen.exitBatch }).toEqual(bundles[a]);
  // The expectation's state: replayed separately from the same file, checked against L1's exit root.
  const log = new OpLog(dbPath, { synchronous: "NORMAL" });
  try {
    exitState = stateAtL1Batch(log, GENESIS, frozen.exitBatch);
  } finally {
    log.close();
  }
  expect(bytesToHex(stateRoot(exitState))).toBe(frozen.exitRoot);
  expect(exitState.accounts).toHaveLength(5);
  expect(exitState.l1.nextIndex).toBe(9n);
  for (const m of [BTC, ETH]) expect(exitState.markets[m]!.oraclePrice).toBe(m === BTC ? 64_500n * USD : 2_951n * USD);

  // ── a proof from another state is refused before anything is sent ──
  await expect(dave.exit({ ...bundles[D]!, root: bundles[D]!.account.proof[0]! })).rejects.toThrow(/not the exit batch's/);

  // ── every account exits (anyone may send it; the claim is the owner's) ──
  const claimValue = new Map<bigint, { recipient: Address; value: bigint }>();
  for (const [i, v] of [alice, bob, carol, dave, frank].entries()) {
    const claim = await v.exit(bundles[i]!);
    expect(claim.recipient.toLowerCase()).toBe(users[i]!.address.toLowerCase());
    expect(claim.value).toBe(accountEquity(exitState, i));
    claimValue.set(claim.claimId, { recipient: users[i]!.address, value: claim.value });
    expect(await v.hasExited(i)).toBe(true);
  }
  await expect(erinVault.exit(bundles[A]!)).rejects.toMatchObject({ errorName: "AlreadyExited" });
  expect(exitState.accounts.every((a) => a.openMarkets.length > 0)).toBe(true);
  // Frank is bankrupt at the exit marks: balance + isolated margin + PnL < 0, his claim is zero.
  const frankPosition = exitState.accounts[F]!.positions[BTC]!;
  const frankUnclamped = exitState.accounts[F]!.balances[0]! + frankPosition.isolatedMargin + divFloor(frankPosition.size * 64_500n * USD, 100_000_000n) - frankPosition.entryNotional;
  expect(frankUnclamped).toBeLessThan(0n);
  expect(accountEquity(exitState, F)).toBe(0n);

  // ── withdrawal records of the exit root not claimed before the freeze become claims ──
  const unclaimed = exitState.withdrawals.map((w, index) => ({ w, index })).filter(({ index }) => index !== bobRecord);
  expect(unclaimed.map(({ w }) => [w.account, w.asset])).toEqual([[C, 1], [D, 0]]);
  const offline2 = openOfflineProver(dbPath, GENESIS);
  const wProofs = unclaimed.map(({ index }) => ({ ...offline2.withdrawal(frozen.exitBatch, index), batch: frozen.exitBatch }));
  const bobAgain = { ...offline2.withdrawal(frozen.exitBatch, bobRecord), batch: frozen.exitBatch };
  offline2.close();
  for (const p of wProofs) {
    const { claim } = await erinVault.claimWithdrawal(p);
    const asset = exitState.assets[p.withdrawal.asset]!;
    const expected = p.withdrawal.asset === 0 ? p.withdrawal.amount : divFloor(p.withdrawal.amount * asset.oraclePrice, 10n ** BigInt(asset.decimals));
    expect(claim).toMatchObject({ recipient: expect.stringMatching(new RegExp(p.withdrawal.owner.slice(2), "i")), value: expected });
    claimValue.set(claim!.claimId, { recipient: p.withdrawal.owner as Address, value: expected });
  }
  await expect(bob.claimWithdrawal(bobAgain)).rejects.toMatchObject({ errorName: "AlreadyClaimed" });

  // ── deposits the exit root never consumed come back in full, at once ──
  const refundable = await erinVault.unconsumedDeposits();
  expect(refundable.map((x) => [x.queueIndex, x.owner.toLowerCase(), x.asset, x.amount])).toEqual([
    [11n, erin.address.toLowerCase(), 0, 5_000n * USD + 11n],
    [12n, users[1]!.address.toLowerCase(), 1, 3n * WETH + 1n],
  ]);
  for (const x of refundable) {
    await dave.refundDeposit(x);
    move(x.owner as Address, x.asset, x.amount);
  }
  expect(await erinVault.unconsumedDeposits()).toEqual([]);
  await expect(dave.refundDeposit(refundable[0]!)).rejects.toMatchObject({ errorName: "AlreadyRefunded" });
  await expectWallets();

  // ── settle after the exit window; the rule computed here independently ──
  await expect(alice.settle()).rejects.toMatchObject({ errorName: "WrongPhase" });
  const now = (await pub.getBlock()).timestamp;
  await anvil.increaseTime(frozen.exitWindowEndsAt - now + 1n);
  await anvil.mine(1);
  const S = [await usdc.read.balanceOf([d.vault]), await weth.read.balanceOf([d.vault])];
  const wethMark = exitState.assets[1]!;
  const V = S[0]! + divFloor(S[1]! * wethMark.oraclePrice, 10n ** BigInt(wethMark.decimals));
  const Ctotal = [...claimValue.values()].reduce((t, c) => t + c.value, 0n);
  const Dn = Ctotal > V ? Ctotal : V;
  const settled = await bob.settle();
  expect(settled).toEqual({ totalClaims: Ctotal, vaultValue: V, denominator: Dn });
  expect((await alice.claims()).map((c) => [c.claimId, c.value, c.paid])).toEqual([...claimValue.entries()].map(([id, c]) => [id, c.value, false]));

  // ── payouts: ⌊S_a·E/D⌋ of every token, to each claim's recipient ──
  const paid = [0n, 0n];
  for (const [id, c] of claimValue) {
    const expected = S.map((Sa) => (Sa * c.value) / Dn);
    const p = await erinVault.payout(id);
    expect(p.recipient.toLowerCase()).toBe(c.recipient.toLowerCase());
    expect(p.amounts).toEqual(expected);
    expected.forEach((x, a) => {
      move(c.recipient, a, x);
      paid[a]! += x;
    });
  }
  await expect(erinVault.payout(0n)).rejects.toMatchObject({ errorName: "NothingToPay" });
  await expectWallets();
  // The vault never pays more than it holds, token by token; what stays is the unowned value.
  for (const a of [0, 1]) {
    expect(paid[a]).toBeLessThanOrEqual(S[a]!);
    expect(await tokenOf[a]!.read.balanceOf([d.vault])).toBe(S[a]! - paid[a]!);
  }
  expect(paid[0]! + divFloor(paid[1]! * wethMark.oraclePrice, WETH)).toBeLessThanOrEqual(V);
  // The vault is short by frank's deficit (less at most one atom of WETH rounding: the vault's
  // WETH is valued in one sum, the claims' WETH in two), so every claim takes the same haircut
  // V/C and no basket is worth more than its claim.
  expect(Ctotal).toBeGreaterThan(V);
  expect(Ctotal - V).toBeGreaterThanOrEqual(-frankUnclamped - 1n);
  expect(Ctotal - V).toBeLessThanOrEqual(-frankUnclamped);
  expect(Dn).toBe(Ctotal);
  for (const c of claimValue.values()) {
    const [u, w] = S.map((Sa) => (Sa * c.value) / Dn) as [bigint, bigint];
    const worth = u + divFloor(w * wethMark.oraclePrice, WETH);
    expect(worth).toBeLessThanOrEqual((c.value * V) / Ctotal);
  }
  console.log(
    `exit: ${claimValue.size} claims [${[...claimValue.values()].map((c) => c.value).join(", ")}], C=${Ctotal}, V=${V}, D=${Dn}; snapshot USDC ${S[0]} WETH ${S[1]}; paid USDC ${paid[0]} WETH ${paid[1]}; exit batch ${frozen.exitBatch}, queue position ${frozen.exitQueuePosition}`,
  );
  expect(lines.filter((l) => l.includes('"level":"error"'))).toEqual([]);
}, 240_000);

it("the SDK's vault client refuses bad input before any call", async () => {
  const v = createVaultClient({ publicClient: d.clients.public, vault: d.vault });
  await expect(v.forceWithdraw({ account: 0, asset: 0, amount: 1n })).rejects.toThrow(/read-only/);
  await expect(() => v.forceWithdraw({ account: -1, asset: 0, amount: 1n })).toThrow(/account must be a non-negative integer/);
  await expect(() => v.forceWithdraw({ account: 0, asset: 0, amount: 0n })).toThrow(/amount must be positive/);
  await expect(() => v.forceClose({ account: 0, market: 1.5 })).toThrow(/market must be a non-negative integer/);
  await expect(v.settle()).rejects.toThrow(/read-only/);
  // A revert names the contract's error (the rollup is frozen and settled by now).
  const frozenSettle = await createVaultClient({ publicClient: d.clients.public, walletClient: walletFor(d.clients, anvil.accounts[9]!.privateKey), vault: d.vault }).settle().catch((e: unknown) => e);
  expect(frozenSettle).toBeInstanceOf(VaultCallError);
  expect(frozenSettle).toMatchObject({ functionName: "settle", errorName: "WrongPhase" });
});
