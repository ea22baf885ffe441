/**
 * End to end on a real anvil, through the SDK: the contracts deployed; the sequencer in L1
 * mode (deriver + poster + codec); two users deposit on L1 (approve + Vault.deposit) and are
 * credited on L2; an oracle update and a trade through the SDK; batches posted with their
 * roots (the Rollup's stored headers equal the sealed batches); a withdrawal on L2; its batch
 * posted; anvil time travel past the challenge window; the claim on L1 with the sequencer's
 * proof; every balance exact to the unit (L1 wallets, the Vault, L2 accounts); a verifier
 * re-derives every batch from L1 and agrees with every root.
 *
 * The journey runs twice: embedded (one process: in-process poster and timers, an in-process
 * verifier) and distributed (a real redis-server; the BullMQ job scheduler seals; a post
 * worker and a verify worker run as separate processes). Midway through the distributed run
 * the post worker is killed with SIGKILL and Redis is restarted empty; a second post worker
 * takes over: no batch is lost, duplicated or reordered, and the verifier still agrees.
 */
import { type Hex, keccak256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCrossmarginClient, type CrossmarginClient } from "../sdk/index.js";
import { sealedBatchData } from "../sequencer/codec/index.js";
import { DEVNET_ORACLE_KEY } from "../sequencer/devnet.js";
import { contractsOf, walletFor } from "../sequencer/l1/deploy.js";
import { L1PostStore } from "../sequencer/l1/postStore.js";
import { bytesToHex } from "../sequencer/state/bytes.js";
import { kill, type Stack, startStack, stopStack, until, verdicts } from "./stack.js";

const USD = 1_000_000n;
const BTC = 0;

describe.each(["embedded", "distributed"] as const)("%s mode", (mode) => {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack(mode);
  }, 120_000);
  afterAll(() => stopStack(stack));

  it("deposit on L1 → credited on L2 → trade → batch posted with its root → withdraw → final after the window → claimed on L1 with a proof", async () => {
    const { anvil, d, lines } = stack!;
    const s = stack!.seq;
    const pub = d.clients.public;
    const users = [anvil.accounts[2]!, anvil.accounts[3]!];
    const minted = 1_000_000n * USD;
    const deposits = [400_000n * USD + 123_456n, 250_000n * USD + 7n];

    // ── L1 deposits: mint, approve, Vault.deposit ──
    for (const [i, u] of users.entries()) {
      const k = contractsOf(d, walletFor(d.clients, u.privateKey));
      for (const h of [await k.tokens[0]!.write.mint([u.address, minted]), await k.tokens[0]!.write.approve([d.vault, deposits[i]!]), await k.vault.write.deposit([0, deposits[i]!])]) {
        expect((await pub.waitForTransactionReceipt({ hash: h, pollingInterval: 20 })).status).toBe("success");
      }
    }
    const usdc = contractsOf(d).tokens[0]!;
    expect(await usdc.read.balanceOf([d.vault])).toBe(deposits[0]! + deposits[1]!);

    // ── credited on L2 (SDK) ──
    const [alice, bob] = users.map((u) => createCrossmarginClient({ url: s.url, account: privateKeyToAccount(u.privateKey) })) as [CrossmarginClient, CrossmarginClient];
    const A = await until(lines, () => alice.accountByOwner(users[0]!.address).catch(() => null), 30_000, "alice's deposit on L2");
    const B = await until(lines, () => bob.accountByOwner(users[1]!.address).catch(() => null), 30_000, "bob's deposit on L2");
    expect((await alice.account()).balances[0]).toBe(deposits[0]);
    expect((await bob.account()).balances[0]).toBe(deposits[1]);
    expect((await alice.info()).l1?.derivation.nextIndex).toBe(2n);

    // ── an oracle price, then a trade (SDK) ──
    const oracle = createCrossmarginClient({ url: s.url, account: privateKeyToAccount(DEVNET_ORACLE_KEY), accountIndex: 0 });
    const upd = await oracle.submitOp(await oracle.signOracleUpdate({ timestamp: BigInt(Date.now() - 500), prices: [{ kind: 0, id: BTC, price: 60_000n * USD }] }));
    expect(upd.ok).toBe(true);
    const ask = await alice.placeOrder({ market: BTC, side: "sell", price: 60_000n * USD, size: 10_000_000n, tif: "post-only" });
    expect(ask.ok).toBe(true);
    const take = await bob.placeOrder({ market: BTC, side: "buy", price: 60_000n * USD, size: 10_000_000n, tif: "ioc" });
    expect(take.fills).toHaveLength(1);
    expect(take.fills[0]!.ok).toBe(true);
    expect((await bob.account()).positions).toMatchObject([{ market: BTC, size: 10_000_000n }]);
    expect((await alice.account()).positions).toMatchObject([{ market: BTC, size: -10_000_000n }]);

    // ── the trade's batch posted with its root ──
    const fillOp = await until(lines, async () => {
      const o = await alice.op(take.fills[0]!.seq);
      return o.batch === null ? null : o;
    }, 10_000, "the fill sealed");
    await until(lines, async () => ((await alice.info()).l1!.confirmedThrough >= fillOp.batch! ? true : null), 30_000, "the fill's batch confirmed on L1");
    const k = contractsOf(d);
    const l1Next = Number(await k.rollup.read.nextBatchIndex());
    expect(l1Next).toBeGreaterThanOrEqual(fillOp.batch! + 2);
    for (let i = 1; i < l1Next; i++) {
      const sealed = s.core.log.batch(i - 1)!;
      const stored = await k.rollup.read.batch([BigInt(i)]);
      expect(stored.stateRoot).toBe(bytesToHex(sealed.postRoot));
      expect(stored.queuePosition).toBe(sealed.l1To);
    }
    const posted = await pub.getContractEvents({ address: d.rollup, abi: (await import("../sequencer/l1/abi.js")).rollupAbi, eventName: "BatchSubmitted", fromBlock: d.fromBlock });
    for (const p of posted) {
      const sealed = s.core.log.batch(Number(p.args.batchIndex!) - 1)!;
      expect(p.args.header!.newStateRoot).toBe(bytesToHex(sealed.postRoot));
      expect(p.args.header!.dataHash).toBe(keccak256(sealedBatchData(s.core.log, sealed.index)));
    }

    // ── distributed: the post worker killed mid-run, Redis restarted empty, a new post worker ──
    if (stack!.redis) {
      await kill(stack!.workers[0]!, "SIGKILL");
      await stack!.redis.stop();
      await new Promise((r) => setTimeout(r, 500));
      await stack!.redis.start();
      stack!.startPostWorker();
    }

    // ── withdraw on L2 ──
    const bobBefore = (await bob.account()).balances[0]!;
    const amount = 1_234n * USD + 567_891n;
    const w = await bob.withdraw({ asset: 0, amount });
    const created = w.events.find((e) => e.kind === "WithdrawalCreated") as { index: number; account: number; amount: bigint } | undefined;
    expect(created).toMatchObject({ account: B, amount });
    expect((await bob.account()).balances[0]).toBe(bobBefore - amount);
    const wOp = await until(lines, async () => {
      const o = await bob.op(w.seq);
      return o.batch === null ? null : o;
    }, 10_000, "the withdrawal sealed");
    const l1Batch = wOp.batch! + 1;
    await until(lines, async () => ((await bob.info()).l1!.confirmedThrough >= wOp.batch! ? true : null), 30_000, "the withdrawal's batch confirmed on L1");
    expect((await k.rollup.read.batch([BigInt(l1Batch)])).stateRoot).toBe(bytesToHex(s.core.log.batch(wOp.batch!)!.postRoot));

    // Not final yet: the claim reverts.
    const proof = await bob.withdrawalProof(created!.index, l1Batch);
    expect(proof).toMatchObject({ batch: l1Batch, index: created!.index, withdrawal: { account: B, owner: users[1]!.address.toLowerCase(), asset: 0, amount } });
    expect(proof.root).toBe(bytesToHex(s.core.log.batch(wOp.batch!)!.postRoot));
    expect(await k.rollup.read.isFinalized([BigInt(l1Batch)])).toBe(false);
    const bobVault = contractsOf(d, walletFor(d.clients, users[1]!.privateKey)).vault;
    const claimArgs = [BigInt(l1Batch), BigInt(proof.index), { ...proof.withdrawal, owner: proof.withdrawal.owner as Hex }, proof.proof] as const;
    await expect(bobVault.simulate.claimWithdrawal(claimArgs)).rejects.toThrow();

    // ── time travel past the challenge window ──
    await anvil.increaseTime(d.params.challengeWindow + 1n);
    await anvil.mine(1);
    expect(await k.rollup.read.isFinalized([BigInt(l1Batch)])).toBe(true);

    // ── claim on L1 with the proof (anyone may send it; the tokens go to the owner) ──
    const claimer = contractsOf(d, walletFor(d.clients, users[0]!.privateKey)).vault;
    const h = await claimer.write.claimWithdrawal(claimArgs);
    expect((await pub.waitForTransactionReceipt({ hash: h, pollingInterval: 20 })).status).toBe("success");
    expect(await k.vault.read.isWithdrawalClaimed([BigInt(proof.index)])).toBe(true);
    await expect(bobVault.simulate.claimWithdrawal(claimArgs)).rejects.toThrow(/AlreadyClaimed/);
    // A tampered amount does not verify.
    const tampered = [claimArgs[0], claimArgs[1], { ...claimArgs[2], amount: amount + 1n }, claimArgs[3]] as const;
    await expect(bobVault.simulate.claimWithdrawal(tampered)).rejects.toThrow();

    // ── balances, exact to the unit ──
    expect(await usdc.read.balanceOf([users[0]!.address])).toBe(minted - deposits[0]!);
    expect(await usdc.read.balanceOf([users[1]!.address])).toBe(minted - deposits[1]! + amount);
    expect(await usdc.read.balanceOf([d.vault])).toBe(deposits[0]! + deposits[1]! - amount);
    expect((await bob.account()).balances[0]).toBe(bobBefore - amount);
    // L2 conservation (no price moved since the trade, so nothing is unrealized): the accounts'
    // balances, their isolated margins and the insurance fund hold exactly what the Vault holds
    // (the one withdrawal record is claimed).
    const st = s.core.state;
    const held = st.accounts.reduce((t, a) => t + a.balances[0]! + a.positions.reduce((m, p) => m + (p?.isolatedMargin ?? 0n), 0n), 0n) + st.insuranceFund[0]!;
    expect(held).toBe(await usdc.read.balanceOf([d.vault]));
    expect(st.accounts.map((a) => a.index)).toEqual([A, B].sort((x, y) => x - y));
    const status = (await bob.info()).l1!;
    expect(status.poster.error).toBeNull();
    expect(status.derivation.error).toBeNull();
    expect(status.mode).toBe(mode);

    // ── every L1 batch once, in order, each the sealed batch's root; the verifier agrees ──
    const last = Number(await k.rollup.read.nextBatchIndex()) - 1;
    const events = await pub.getContractEvents({ address: d.rollup, abi: (await import("../sequencer/l1/abi.js")).rollupAbi, eventName: "BatchSubmitted", fromBlock: d.fromBlock });
    expect(events.map((e) => Number(e.args.batchIndex))).toEqual([...Array(last).keys()].map((i) => i + 1));
    const store = new L1PostStore(s.core.log.db);
    const confirmed = store.withStatus("confirmed").map((r) => r.batchIndex);
    expect(new Set(confirmed).size).toBe(confirmed.length);
    const seen = await verdicts(stack!, last);
    if (stack!.redis) {
      // Both post workers posted (the second took over after the kill and the Redis restart).
      for (const w of ["post-worker-1", "post-worker-2"]) expect(lines.some((l) => l.startsWith(`[${w}]`) && l.includes('"event":"job_done"')), w).toBe(true);
      if (process.env.E2E_DUMP) console.log(lines.filter((l) => l.startsWith("[")).join("\n"));
    }
    for (let i = 1; i <= last; i++) {
      const v = seen.get(i)!;
      expect(v.status, `batch ${i}`).toBe("verified");
      expect(v.derivedRoot).toBe(bytesToHex(s.core.log.batch(i - 1)!.postRoot));
      expect(v.headerRoot).toBe(v.derivedRoot);
    }
  }, 180_000);
 });
