/**
 * L1 input derivation on a real anvil: contracts deployed with deploy.ts, deposits, forced
 * operations and governance changes made through the real contracts, the sequencer core on a
 * real SQLite op log (openCore, the service's own start path), and the deriver between them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Address, type Hex, createPublicClient, createWalletClient, custom, encodeEventTopics, encodeFunctionData, http } from "viem";
import { openCore } from "../../service.js";
import { bytesToHex } from "../../state/bytes.js";
import { FLAG_SELL, TIF_IOC, TIF_SHIFT } from "../../state/constants.js";
import { encodeOp } from "../../state/codec.js";
import { nextChainHash } from "../../state/l1Input.js";
import type { L1Input } from "../../state/ops.js";
import { PARAM_KEYS } from "../../state/ops/paramUpdate.js";
import { BTC, BTC_UNIT, USD, testGenesis } from "../../state/test/fixtures.js";
import type { SequencerCore } from "../../core/sequencer.js";
import { type Anvil, startAnvil } from "../anvil.js";
import { type Deployment, contractsOf, deploy, governanceAbi, l1Clients, mockErc20Abi, rollupAbi, vaultAbi, walletFor } from "../deploy.js";
import { type IncludedInput, L1DerivationError, L1Deriver, type L1Params, type RpcLogLike, checkChainStep, decodeQueueItem, parseEnqueuedLog } from "../derive.js";

const CONF = 2;
const WETH = 10n ** 18n;
const genesis = testGenesis();

let anvil: Anvil;
const dirs: string[] = [];

beforeAll(async () => {
  anvil = await startAnvil({ accounts: 10 });
});
afterAll(async () => {
  await anvil?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// ───────────────────────────────────────────────────────────── helpers

const key = (i: number) => anvil.accounts[i]!.privateKey;
const addr = (i: number) => anvil.accounts[i]!.address;

async function freshDeployment(): Promise<Deployment> {
  const clients = l1Clients(anvil.url, anvil.chainId, { deployer: key(0), sequencer: key(1) });
  return deploy({ clients, genesis });
}

function tmpDb(): string {
  const d = mkdtempSync(join(tmpdir(), "cm-derive-"));
  dirs.push(d);
  return join(d, "seq.db");
}

/** The sequencer core as the service opens it (replaying the log), with a fixed clock. */
function openTestCore(db: string) {
  return openCore({ db, genesis, batchMaxOps: 10_000, snapshotEveryOps: 1_000_000, synchronous: "NORMAL", clock: () => 2_000n }).core;
}

function deriverFor(d: Deployment, core: SequencerCore, over: Partial<ConstructorParameters<typeof L1Deriver>[0]> = {}) {
  return new L1Deriver({ client: d.clients.public, rollup: d.rollup, startBlock: d.fromBlock, core, confirmations: CONF, pollIntervalMs: 50, logger: () => {}, ...over });
}

async function send(d: Deployment, signer: number, call: { address: Address; abi: readonly unknown[]; functionName: string; args?: readonly unknown[]; value?: bigint }) {
  const w = walletFor(d.clients, key(signer));
  const hash = await w.writeContract(call as never);
  const r = await d.clients.public.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  if (r.status !== "success") throw new Error(`${call.functionName} reverted`);
  return r;
}

/** Mints, approves and deposits `amount` of asset `asset` from dev account `who`. */
async function deposit(d: Deployment, who: number, asset: number, amount: bigint) {
  const token = d.tokens[asset]!;
  await send(d, who, { address: token, abi: mockErc20Abi, functionName: "mint", args: [addr(who), amount] });
  await send(d, who, { address: token, abi: mockErc20Abi, functionName: "approve", args: [d.vault, amount] });
  return send(d, who, { address: d.vault, abi: vaultAbi, functionName: "deposit", args: [asset, amount] });
}

/** Schedules a Governance call, travels past the timelock, executes it. */
async function governed(d: Deployment, call: Hex) {
  const c = contractsOf(d);
  const salt = await c.governance.read.nextSalt();
  await send(d, 0, { address: d.governance, abi: governanceAbi, functionName: "schedule", args: [call] });
  await anvil.increaseTime(d.timelockDelay + 1n);
  return send(d, 0, { address: d.governance, abi: governanceAbi, functionName: "execute", args: [call, salt] });
}

const le = (x: bigint, bytes = 32) => `0x${Array.from({ length: bytes }, (_, i) => Number((x >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, "0")).join("")}` as Hex;

/** The L1 inputs in the op log, in log order. */
function loggedInputs(core: SequencerCore): L1Input[] {
  return [...core.log.readFrom(1)].map((o) => o.op.op).filter((op): op is L1Input => ["Deposit", "ParamUpdate", "ForcedWithdraw", "ForcedClose"].includes(op.type));
}

async function l1Chain(d: Deployment, position: bigint): Promise<Hex> {
  return contractsOf(d).rollup.read.queueChainAt([position]);
}

// ───────────────────────────────────────────────────────────── tests

describe("L1 derivation on anvil", () => {
  it("credits deposits of both tokens by several owners (new and existing accounts) exactly, only at the confirmation depth", async () => {
    const t0 = performance.now();
    const d = await freshDeployment();
    const core = openTestCore(tmpDb());
    const deriver = deriverFor(d, core);
    // Owners 3, 4, 5: 3 and 4 deposit twice (the second deposit hits an existing account).
    const plan: [number, number, bigint][] = [
      [3, 0, 1_000n * USD],
      [4, 1, 2n * WETH],
      [3, 1, WETH / 2n],
      [5, 0, 5n * USD + 7n],
      [4, 0, 7n * USD],
    ];
    for (const [who, asset, amount] of plan) await deposit(d, who, asset, amount);

    // The last deposit's block is the head: with 2 confirmations it is not taken until two
    // more blocks exist, and one is not enough (the earlier items are deep enough already).
    await deriver.round();
    expect(core.state.l1.nextIndex).toBe(4n);
    expect(deriver.status().oldestUnconsumed?.queueIndex).toBe(4n);
    await anvil.mine(CONF - 1);
    expect((await deriver.round()).included).toEqual([]);
    expect(core.state.l1.nextIndex).toBe(4n);
    await anvil.mine(1);
    const r = await deriver.round();
    expect(r.included.map((e) => e.queueIndex)).toEqual([4n]);
    expect(core.state.l1.nextIndex).toBe(5n);

    const accounts = core.state.accounts;
    expect(accounts.map((a) => a.owner)).toEqual([addr(3), addr(4), addr(5)].map((a) => a.toLowerCase()));
    // Account indices agree with the Vault's registry.
    const v = contractsOf(d).vault;
    for (const [i, who] of [3, 4, 5].entries()) expect(await v.read.accountOf([addr(who)])).toBe(i);
    expect(accounts[0]!.balances.slice(0, 2)).toEqual([1_000n * USD, WETH / 2n]);
    expect(accounts[1]!.balances.slice(0, 2)).toEqual([7n * USD, 2n * WETH]);
    expect(accounts[2]!.balances.slice(0, 2)).toEqual([5n * USD + 7n, 0n]);
    // Exactly the L1 items, each once, in queue order; the chain matches L1's.
    expect(loggedInputs(core).map((o) => [o.queueIndex, o.type])).toEqual([0n, 1n, 2n, 3n, 4n].map((q) => [q, "Deposit"]));
    expect(bytesToHex(core.state.l1.chainHash)).toBe(await l1Chain(d, 5n));
    expect(deriver.status().oldestUnconsumed).toBeNull();
    // Nothing more to take: another round includes nothing.
    expect((await deriver.round()).included).toEqual([]);
    core.log.close();
    console.log(`deposits: ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it("includes a forced withdrawal and a forced close before their deadline, and reports the time left", async () => {
    const t0 = performance.now();
    const d = await freshDeployment();
    const core = openTestCore(tmpDb());
    const deriver = deriverFor(d, core);
    const c = contractsOf(d);
    await deposit(d, 3, 0, 1_000_000n * USD); // account 0: the backstop
    await deposit(d, 4, 0, 1_000_000n * USD); // account 1: the maker
    await deposit(d, 5, 0, 10_000n * USD); // account 2: forces its way out
    await deposit(d, 5, 1, WETH);
    // Backstop account 0, through the timelock (the queue carries it as a ParamUpdate).
    await governed(d, encodeFunctionData({ abi: governanceAbi, functionName: "updateStfParam", args: [PARAM_KEYS.BACKSTOP_ACCOUNT, 0, le(0n)] }));
    await anvil.mine(CONF);
    deriver.start();
    await deriver.waitForIndex(5n);
    await deriver.stop();
    expect(core.state.params.backstopAccount).toBe(0);

    // Account 2 goes long 0.1 BTC against account 1 on L2.
    const place = (account: number, who: number, flags: number, nonce: bigint) =>
      core.submit(
        { type: "PlaceOrder", account, nonce, market: BTC, flags, price: 60_000n * USD, size: BTC_UNIT / 10n, expiry: 0n, clientOrderId: 0n, signature: "0x" },
        { signer: addr(who).toLowerCase() as Hex },
      );
    place(1, 4, FLAG_SELL, 2_000n);
    const taker = place(2, 5, TIF_IOC << TIF_SHIFT, 2_001n);
    expect(taker.fills.map((f) => f.receipt.ok)).toEqual([true]);
    expect(core.state.accounts[2]!.positions[BTC]!.size).toBe(BTC_UNIT / 10n);

    // Forced operations on L1, paying the governed fee.
    const fee = await c.rollup.read.forcedOpFee();
    await send(d, 5, { address: d.vault, abi: vaultAbi, functionName: "forceWithdraw", args: [2, 1, WETH / 4n], value: fee });
    await send(d, 5, { address: d.vault, abi: vaultAbi, functionName: "forceClose", args: [2, BTC], value: fee });
    // Not confirmed yet: pending, with its deadline as the Rollup computes it.
    await deriver.round();
    const pending = deriver.status().oldestUnconsumed!;
    expect(pending.queueIndex).toBe(5n);
    expect(pending.enqueuedAt).toBe(await c.rollup.read.enqueuedAt([5n]));
    expect(pending.deadline).toBe(pending.enqueuedAt + (await c.rollup.read.inclusionDeadline()));
    expect(pending.secondsLeft).toBeGreaterThan(0n);
    expect(pending.secondsLeft).toBeLessThanOrEqual(86_400n);
    // No batch was posted: the oldest unposted item is the first one.
    expect(deriver.status().oldestUnposted?.queueIndex).toBe(0n);

    const included: IncludedInput[] = [];
    deriver.onInput((e) => included.push(e));
    const warnings: { which: string; index: bigint; left: bigint }[] = [];
    deriver.onDeadline((p, which) => warnings.push({ which, index: p.queueIndex, left: p.secondsLeft }));
    // L1 time runs on to half an hour before the deadline; one block confirms the withdrawal
    // only, so the close is still pending and the deriver warns about it.
    await anvil.increaseTime(86_400n - 1_800n);
    await anvil.mine(1);
    await deriver.round();
    expect(core.state.l1.nextIndex).toBe(6n);
    const w = warnings.find((x) => x.which === "unconsumed")!;
    expect(w.index).toBe(6n);
    expect(w.left).toBeGreaterThan(0n);
    expect(w.left).toBeLessThanOrEqual(1_800n);
    // No batch was ever posted in this test: item 0 is past its deadline on L1 (posting is
    // the poster's duty; the deriver reports it).
    expect(warnings.find((x) => x.which === "unposted")).toMatchObject({ index: 0n });
    expect(warnings.find((x) => x.which === "unposted")!.left).toBeLessThan(0n);
    await anvil.mine(1);
    await deriver.round();
    expect(included.map((e) => [e.queueIndex, e.input.type, e.receipt.ok])).toEqual([
      [5n, "ForcedWithdraw", true],
      [6n, "ForcedClose", true],
    ]);
    for (const e of included) {
      expect(e.deadline).toBe((await c.rollup.read.enqueuedAt([e.queueIndex])) + 86_400n);
      expect(e.l1Time).toBeLessThan(e.deadline);
    }
    // Their effects, exactly.
    expect(core.state.withdrawals.at(-1)).toEqual({ account: 2, owner: addr(5).toLowerCase(), asset: 1, amount: WETH / 4n });
    expect(core.state.accounts[2]!.balances[1]).toBe(WETH - WETH / 4n);
    expect(core.state.accounts[2]!.positions[BTC]).toBeNull();
    expect(core.state.accounts[0]!.positions[BTC]!.size).toBe(BTC_UNIT / 10n);
    expect(deriver.status().oldestUnconsumed).toBeNull();
    expect(bytesToHex(core.state.l1.chainHash)).toBe(await l1Chain(d, 7n));
    core.log.close();
    console.log(`forced ops: ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it("applies a governance parameter change at its queue position and publishes the Rollup's batch interval", async () => {
    const t0 = performance.now();
    const d = await freshDeployment();
    const core = openTestCore(tmpDb());
    const deriver = deriverFor(d, core);
    const seen: { index: bigint; maxOracleAgeMs: bigint }[] = [];
    deriver.onInput((e) => seen.push({ index: e.queueIndex, maxOracleAgeMs: core.state.params.maxOracleAgeMs }));
    const params: { p: L1Params; changed: string[] }[] = [];
    deriver.onParams((p, changed) => params.push({ p, changed }));

    await deposit(d, 3, 0, 100n * USD); // 0
    const ageCall = encodeFunctionData({ abi: governanceAbi, functionName: "updateStfParam", args: [PARAM_KEYS.MAX_ORACLE_AGE_MS, 0, le(120_000n)] });
    const intervalCall = encodeFunctionData({ abi: governanceAbi, functionName: "setL1Param", args: [0, 5n] }); // Param.BatchInterval
    const c = contractsOf(d);
    const salt = await c.governance.read.nextSalt();
    await send(d, 0, { address: d.governance, abi: governanceAbi, functionName: "schedule", args: [ageCall] });
    await send(d, 0, { address: d.governance, abi: governanceAbi, functionName: "schedule", args: [intervalCall] });
    await anvil.mine(CONF);
    await deriver.round();
    expect(params).toHaveLength(1);
    expect(params[0]!.p.batchInterval).toBe(1n);
    expect(deriver.params?.inclusionDeadline).toBe(86_400n);

    await anvil.increaseTime(d.timelockDelay + 1n);
    await deposit(d, 4, 1, WETH); // 1
    await send(d, 0, { address: d.governance, abi: governanceAbi, functionName: "execute", args: [ageCall, salt] }); // 2
    await deposit(d, 3, 0, 1n); // 3
    await send(d, 0, { address: d.governance, abi: governanceAbi, functionName: "execute", args: [intervalCall, salt + 1n] });
    await anvil.mine(CONF);
    deriver.start();
    await deriver.waitForIndex(4n);
    await deriver.stop();

    expect(loggedInputs(core).map((o) => o.type)).toEqual(["Deposit", "Deposit", "ParamUpdate", "Deposit"]);
    // The change took effect exactly at index 2: not before, and it stays.
    expect(seen).toEqual([
      { index: 0n, maxOracleAgeMs: 60_000n },
      { index: 1n, maxOracleAgeMs: 60_000n },
      { index: 2n, maxOracleAgeMs: 120_000n },
      { index: 3n, maxOracleAgeMs: 120_000n },
    ]);
    // The L1-only batch interval: published once confirmed, with what changed.
    expect(params.at(-1)!.changed).toEqual(["batchInterval"]);
    expect(params.at(-1)!.p.batchInterval).toBe(5n);
    expect(deriver.params!.batchInterval).toBe(await c.rollup.read.batchInterval());
    core.log.close();
    console.log(`governance: ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it("resumes after a restart mid-stream from the state's next index: no duplicates, no gaps", async () => {
    const t0 = performance.now();
    const d = await freshDeployment();
    const db = tmpDb();
    let core = openTestCore(db);
    let deriver = deriverFor(d, core, { maxItemsPerRound: 2 });
    const blocks: bigint[] = [];
    const plan: [number, number, bigint][] = [
      [3, 0, 11n],
      [4, 0, 22n],
      [3, 1, 33n],
      [5, 1, 44n],
      [6, 0, 55n],
      [4, 1, 66n],
    ];
    for (const [who, asset, amount] of plan) blocks.push((await deposit(d, who, asset, amount)).blockNumber);
    await anvil.mine(CONF);
    expect((await deriver.round()).more).toBe(true);
    expect((await deriver.round()).included.map((e) => e.queueIndex)).toEqual([2n, 3n]);
    expect(core.state.l1.nextIndex).toBe(4n);
    // Stop mid-stream and close the log, as a process exit would.
    await deriver.stop();
    core.log.close();

    // Two more deposits while the sequencer is down.
    blocks.push((await deposit(d, 7, 0, 77n)).blockNumber);
    blocks.push((await deposit(d, 3, 0, 88n)).blockNumber);
    await anvil.mine(CONF);

    core = openTestCore(db);
    expect(core.state.l1.nextIndex).toBe(4n);
    // Record where the restarted deriver scans from: the stored hint (item 3's block), not genesis.
    const fromBlocks: bigint[] = [];
    const client = createPublicClient({
      transport: custom({
        request: async ({ method, params }) => {
          if (method === "eth_getLogs") fromBlocks.push(BigInt((params as [{ fromBlock: Hex }])[0].fromBlock));
          return anvil.rpc(method, params as unknown[]);
        },
      }),
    });
    deriver = deriverFor(d, core, { client, maxItemsPerRound: 2 });
    deriver.start();
    await deriver.waitForIndex(8n);
    await deriver.stop();
    expect(fromBlocks[0]).toBe(blocks[3]);

    const amounts = plan.map((p) => p[2]).concat([77n, 88n]);
    const logged = loggedInputs(core);
    expect(logged.map((o) => o.queueIndex)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect(logged.map((o) => (o.type === "Deposit" ? o.amount : -1n))).toEqual(amounts);
    expect(core.state.accounts.map((a) => a.balances.slice(0, 2))).toEqual([
      [11n + 88n, 33n],
      [22n, 66n],
      [0n, 44n],
      [55n, 0n],
      [77n, 0n],
    ]);
    expect(bytesToHex(core.state.l1.chainHash)).toBe(await l1Chain(d, 8n));
    // A third start with nothing new changes nothing.
    core.log.close();
    core = openTestCore(db);
    deriver = deriverFor(d, core);
    expect((await deriver.round()).included).toEqual([]);
    expect(loggedInputs(core)).toHaveLength(8);
    core.log.close();
    console.log(`restart: ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it("narrows eth_getLogs ranges an RPC refuses, and follows items a deep reorg only moved to earlier blocks", async () => {
    const d = await freshDeployment();
    const core = openTestCore(tmpDb());
    // An RPC that refuses log ranges wider than 4 blocks (as hosted providers limit them).
    const ranges: bigint[] = [];
    const client = createPublicClient({
      transport: custom({
        request: async ({ method, params }) => {
          if (method === "eth_getLogs") {
            const q = (params as [{ fromBlock: Hex; toBlock: Hex }])[0];
            const width = BigInt(q.toBlock) - BigInt(q.fromBlock) + 1n;
            if (width > 4n) throw new Error(`query exceeds max block range 4 (${width})`);
            ranges.push(width);
          }
          return anvil.rpc(method, params as unknown[]);
        },
      }, { retryCount: 0 }),
    });
    const deriver = deriverFor(d, core, { client });
    // Tokens ready before the snapshot, so a deposit is one transaction on either branch.
    for (const who of [3, 4]) {
      await send(d, who, { address: d.tokens[0]!, abi: mockErc20Abi, functionName: "mint", args: [addr(who), 100n] });
      await send(d, who, { address: d.tokens[0]!, abi: mockErc20Abi, functionName: "approve", args: [d.vault, 100n] });
    }
    const snap = await anvil.snapshot();
    await anvil.mine(6);
    await send(d, 3, { address: d.vault, abi: vaultAbi, functionName: "deposit", args: [0, 10n] });
    await anvil.mine(CONF);
    expect((await deriver.round()).included).toHaveLength(1);
    expect(ranges.length).toBeGreaterThan(1);
    expect(ranges.every((w) => w <= 4n)).toBe(true);
    // The deep reorg: the same item 0 (same bytes, same chain hash), now in an earlier block,
    // and item 1 before the block item 0 was consumed from.
    expect(await anvil.revert(snap)).toBe(true);
    await send(d, 3, { address: d.vault, abi: vaultAbi, functionName: "deposit", args: [0, 10n] });
    await send(d, 4, { address: d.vault, abi: vaultAbi, functionName: "deposit", args: [0, 20n] });
    await anvil.mine(10);
    expect((await deriver.round()).included.map((e) => e.queueIndex)).toEqual([1n]);
    expect(core.state.accounts.map((a) => a.balances[0])).toEqual([10n, 20n]);
    expect(bytesToHex(core.state.l1.chainHash)).toBe(await l1Chain(d, 2n));
    core.log.close();
  });

  it("stops with a named field on a malformed queue item, and submits nothing from that round", async () => {
    const t0 = performance.now();
    const d = await freshDeployment();
    const core = openTestCore(tmpDb());
    const errors: L1DerivationError[] = [];
    const deriver = deriverFor(d, core);
    deriver.onError((e) => errors.push(e));
    await deposit(d, 3, 0, 5n * USD); // a good item 0
    // Item 1 written as the Vault, bypassing its checks: a Deposit one byte short.
    await anvil.rpc("anvil_impersonateAccount", [d.vault]);
    await anvil.rpc("anvil_setBalance", [d.vault, "0xde0b6b3a7640000"]);
    const asVault = createWalletClient({ account: d.vault, chain: d.clients.chain, transport: http(anvil.url) });
    const good = encodeOp({ type: "Deposit", queueIndex: 1n, account: 1, owner: addr(4), asset: 0, amount: 9n });
    const hash = await asVault.writeContract({ address: d.rollup, abi: rollupAbi, functionName: "enqueue", args: [bytesToHex(good.subarray(0, 49))] });
    expect((await d.clients.public.waitForTransactionReceipt({ hash })).status).toBe("success");
    await anvil.rpc("anvil_stopImpersonatingAccount", [d.vault]);
    await anvil.mine(CONF);

    const err = await deriver.round().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(L1DerivationError);
    expect(err).toMatchObject({ kind: "malformed", field: "item.length", queueIndex: 1n });
    expect((err as Error).message).toMatch(/a Deposit item is 50 bytes, got 49/);
    // Nothing from that round was consumed, and the deriver stays stopped.
    expect(core.state.l1.nextIndex).toBe(0n);
    expect(loggedInputs(core)).toEqual([]);
    await expect(deriver.round()).rejects.toBe(err);
    expect(() => deriver.start()).toThrow(L1DerivationError);
    expect(errors).toEqual([err]);
    expect(deriver.status().error).toBe(err);
    core.log.close();
    console.log(`malformed: ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it("stops on a chain-hash mismatch between an Enqueued log and the STF's chain (a lying RPC)", async () => {
    const d = await freshDeployment();
    const core = openTestCore(tmpDb());
    await deposit(d, 3, 0, 5n * USD);
    await anvil.mine(CONF);
    // The RPC flips one bit of the committed chain hash of item 0 in eth_getLogs.
    const client = createPublicClient({
      transport: custom({
        request: async ({ method, params }) => {
          const out = await anvil.rpc(method, params as unknown[]);
          if (method !== "eth_getLogs") return out;
          return (out as RpcLogLike[]).map((l) => {
            const data = l.data as string;
            const flipped = ((Number.parseInt(data[10]!, 16) ^ 1) & 15).toString(16);
            return { ...l, data: data.slice(0, 10) + flipped + data.slice(11) };
          });
        },
      }),
    });
    const deriver = deriverFor(d, core, { client });
    await expect(deriver.round()).rejects.toMatchObject({ kind: "chain", queueIndex: 0n });
    expect(deriver.error!.message).toMatch(/L1 committed chain hash 0x[0-9a-f]{64} after this item, the STF's chain gives/);
    expect(core.state.l1.nextIndex).toBe(0n);
    core.log.close();
  });

  it("stops loudly when the state's consumed prefix is no longer on L1 (another writer, or a reorg deeper than the depth)", async () => {
    const d = await freshDeployment();
    // (a) An L1 input that did not come from L1 (e.g. a dev deposit) is in the state.
    const core = openTestCore(tmpDb());
    core.submitL1Input({ type: "Deposit", queueIndex: 0n, account: 0, owner: addr(3), asset: 0, amount: 1n });
    await deposit(d, 3, 0, 2n);
    await anvil.mine(CONF);
    const deriver = deriverFor(d, core);
    await expect(deriver.round()).rejects.toMatchObject({ kind: "reorg", queueIndex: 0n });
    expect(deriver.error!.message).toMatch(/the consumed prefix is no longer on L1/);
    core.log.close();

    // (b) A real reorg deeper than the confirmation depth (anvil snapshot/revert).
    const d2 = await freshDeployment();
    const core2 = openTestCore(tmpDb());
    const deriver2 = deriverFor(d2, core2);
    const snap = await anvil.snapshot();
    await deposit(d2, 3, 0, 5n);
    await anvil.mine(CONF);
    expect((await deriver2.round()).included).toHaveLength(1);
    expect(await anvil.revert(snap)).toBe(true);
    await deposit(d2, 3, 0, 6n); // a different item 0
    await anvil.mine(CONF + 3);
    await expect(deriver2.round()).rejects.toMatchObject({ kind: "reorg", queueIndex: 0n });
    expect(core2.state.l1.nextIndex).toBe(1n); // nothing more consumed
    // (c) A reorg that removed the consumed item entirely: the state is ahead of L1.
    const core3 = openTestCore(tmpDb());
    const d3 = await freshDeployment();
    const deriver3 = deriverFor(d3, core3);
    const snap3 = await anvil.snapshot();
    await deposit(d3, 3, 0, 5n);
    await anvil.mine(CONF);
    await deriver3.round();
    expect(core3.state.l1.nextIndex).toBe(1n);
    expect(await anvil.revert(snap3)).toBe(true);
    await anvil.mine(CONF + 1);
    await expect(deriver3.round()).rejects.toMatchObject({ kind: "reorg" });
    expect(deriver3.error!.message).toMatch(/the state consumed 1 queue items but the Rollup at the head block has 0/);
    core2.log.close();
    core3.log.close();
  });
});

// ───────────────────────────────────────────────────────────── the boundary, byte by byte

describe("queue item validation", () => {
  const dep = (over: Partial<Extract<L1Input, { type: "Deposit" }>> = {}) => encodeOp({ type: "Deposit", queueIndex: 7n, account: 1, owner: "0x00000000000000000000000000000000000000a1", asset: 1, amount: 5n, ...over });
  const fieldOf = (bytes: Uint8Array) => {
    try {
      decodeQueueItem(bytes);
      return null;
    } catch (e) {
      expect(e).toBeInstanceOf(L1DerivationError);
      return (e as L1DerivationError).field;
    }
  };

  it("decodes each kind exactly as the STF encodes it (the docs' fixture vector included)", () => {
    const fc = Uint8Array.from(Buffer.from("127698badcfe000000ffffffff3f00", "hex"));
    expect(decodeQueueItem(fc)).toEqual({ type: "ForcedClose", queueIndex: 0xfedcba9876n, account: 0xffffffff, market: 63 });
    for (const op of [
      { type: "Deposit", queueIndex: 7n, account: 1, owner: "0x00000000000000000000000000000000000000a1", asset: 3, amount: (1n << 127n) - 1n },
      { type: "ParamUpdate", queueIndex: 8n, key: 42, target: 0, value: le(5n) },
      { type: "ForcedWithdraw", queueIndex: 9n, account: 2, asset: 0, amount: 1n },
    ] as L1Input[]) {
      expect(decodeQueueItem(encodeOp(op))).toEqual(op);
    }
  });

  it("names the field of every malformed item", () => {
    expect(fieldOf(new Uint8Array())).toBe("item");
    expect(fieldOf(Uint8Array.of(2, ...new Uint8Array(40)))).toBe("item.selector");
    expect(fieldOf(Uint8Array.from([...dep(), 0]))).toBe("item.length");
    expect(fieldOf(dep({ amount: 0n }))).toBe("Deposit.amount");
    expect(fieldOf(dep({ amount: 1n << 127n }))).toBe("Deposit.amount");
    expect(fieldOf(dep({ asset: 4 }))).toBe("Deposit.asset");
    expect(fieldOf(dep({ owner: "0x0000000000000000000000000000000000000000" }))).toBe("Deposit.owner");
    expect(fieldOf(encodeOp({ type: "ParamUpdate", queueIndex: 1n, key: 99, target: 0, value: le(0n) }))).toBe("ParamUpdate.key");
    expect(fieldOf(encodeOp({ type: "ForcedWithdraw", queueIndex: 1n, account: 0, asset: 0, amount: 0n }))).toBe("ForcedWithdraw.amount");
    expect(fieldOf(encodeOp({ type: "ForcedWithdraw", queueIndex: 1n, account: 0, asset: 9, amount: 1n }))).toBe("ForcedWithdraw.asset");
    expect(fieldOf(encodeOp({ type: "ForcedClose", queueIndex: 1n, account: 0, market: 64 }))).toBe("ForcedClose.market");
  });

  const rollup: Address = "0x0000000000000000000000000000000000000010";
  const logOf = (item: Uint8Array, over: Partial<RpcLogLike> = {}, index = 7n, chain = `0x${"11".repeat(32)}`): RpcLogLike => {
    const pad = Math.ceil(item.length / 32) * 32;
    const data = `0x${chain.slice(2)}${(64n).toString(16).padStart(64, "0")}${item.length.toString(16).padStart(64, "0")}${Buffer.from(item).toString("hex").padEnd(pad * 2, "0")}`;
    return {
      address: rollup,
      topics: ["0x" + "ab".repeat(32), `0x${index.toString(16).padStart(64, "0")}`],
      data,
      blockNumber: "0x10",
      logIndex: "0x0",
      transactionHash: `0x${"22".repeat(32)}`,
      removed: false,
      ...over,
    };
  };
  const zeroTopic = `0x${"00".repeat(32)}`;

  it("checks every log field: emitter, topics, index agreement, data layout", () => {
    const t0 = encodeEventTopics({ abi: rollupAbi, eventName: "Enqueued" })[0]!;
    const good = logOf(dep(), { topics: [t0, `0x${(7n).toString(16).padStart(64, "0")}`] });
    expect(parseEnqueuedLog(good, rollup).input).toEqual(decodeQueueItem(dep()));
    const field = (l: RpcLogLike) => {
      try {
        parseEnqueuedLog(l, rollup);
        return null;
      } catch (e) {
        return (e as L1DerivationError).field ?? (e as L1DerivationError).kind;
      }
    };
    expect(field({ ...good, address: "0x0000000000000000000000000000000000000002" })).toBe("log.address");
    expect(field({ ...good, topics: [t0] })).toBe("log.topics");
    expect(field({ ...good, topics: [zeroTopic, (good.topics as string[])[1]] })).toBe("log.topics[0]");
    expect(field({ ...good, topics: [t0, `0x${(8n).toString(16).padStart(64, "0")}`] })).toBe("item.queueIndex");
    expect(field({ ...good, topics: [t0, `0x1${"0".repeat(63)}`] })).toBe("Enqueued.queueIndex");
    expect(field({ ...good, data: (good.data as string) + "00".repeat(32) })).toBe("Enqueued.data");
    expect(field({ ...good, data: "0x1234" })).toBe("Enqueued.data");
    expect(field({ ...good, blockNumber: "ten" })).toBe("log.blockNumber");
    expect(field({ ...good, removed: true })).toBe("reorg");
  });

  it("checks each chain step against nextChainHash", () => {
    const input = decodeQueueItem(dep());
    const prev = new Uint8Array(32).fill(3);
    const right = bytesToHex(nextChainHash(prev, input));
    const at = { input, queueIndex: 7n, blockNumber: 1n, txHash: `0x${"22".repeat(32)}` as Hex };
    expect(bytesToHex(checkChainStep(prev, { ...at, chainHash: right }))).toBe(right);
    expect(() => checkChainStep(prev, { ...at, chainHash: `0x${"00".repeat(32)}` })).toThrow(/L1 committed chain hash/);
  });
});
