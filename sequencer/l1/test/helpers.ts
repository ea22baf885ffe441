/**
 * Shared setup of the L1 tests: anvil + deployment for the devnet genesis, a real sequencer
 * core on a temp SQLite file, real Vault deposits fed to the core, signed transfers, and a
 * check of what L1 holds against the sealed batches.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Hex, keccak256, parseEventLogs } from "viem";
import { expect } from "vitest";
import { devnetGenesis } from "../../devnet.js";
import { openCore } from "../../service.js";
import { bytesToHex, hexToBytes } from "../../state/bytes.js";
import { decodeOp, recoverOp, signDigest, signingDigest, type SigningDomain } from "../../state/index.js";
import type { L1Input, Transfer } from "../../state/ops.js";
import type { SequencerCore } from "../../core/sequencer.js";
import type { OpLog } from "../../storage/index.js";
import { rollupAbi } from "../abi.js";
import { type Anvil, type AnvilOptions, startAnvil } from "../anvil.js";
import { contractsOf, deploy, type Deployment, l1Clients, walletFor } from "../deploy.js";
import { type BatchHeader, headerHash, sszBatchData } from "../poster.js";

export const GENESIS = devnetGenesis();

export interface Chain {
  anvil: Anvil;
  d: Deployment;
  domain: SigningDomain;
  /** Dev accounts used as depositors (index 2 onwards; 0 deploys, 1 is the sequencer). */
  depositors: { address: Hex; privateKey: Hex }[];
}

export async function setupChain(opts: AnvilOptions = {}): Promise<Chain> {
  const anvil = await startAnvil(opts);
  try {
    const clients = l1Clients(anvil.url, anvil.chainId, { deployer: anvil.accounts[0]!.privateKey, sequencer: anvil.accounts[1]!.privateKey });
    const d = await deploy({ clients, genesis: GENESIS });
    return { anvil, d, domain: { chainId: BigInt(anvil.chainId), verifyingContract: d.rollup }, depositors: anvil.accounts.slice(2) };
  } catch (e) {
    await anvil.stop();
    throw e;
  }
}

export function tmpDb(): string {
  return join(mkdtempSync(join(tmpdir(), "cm-l1-")), "seq.db");
}

export function openTestCore(db: string) {
  return openCore({ db, genesis: GENESIS, batchMaxOps: 10_000, snapshotEveryOps: 1_000_000, synchronous: "NORMAL" }).core;
}

/** A real deposit into the Vault on L1; returns the queue items it enqueued, decoded. */
export async function depositOnL1(c: Chain, who: { privateKey: Hex }, asset: number, amount: bigint): Promise<L1Input[]> {
  const wallet = walletFor(c.d.clients, who.privateKey);
  const k = contractsOf(c.d, wallet);
  const pub = c.d.clients.public;
  const wait = async (h: Hex) => {
    const r = await pub.waitForTransactionReceipt({ hash: h, timeout: 20_000, pollingInterval: 20 });
    expect(r.status).toBe("success");
    return r;
  };
  await wait(await k.tokens[asset]!.write.mint([wallet.account.address, amount]));
  await wait(await k.tokens[asset]!.write.approve([c.d.vault, amount]));
  const r = await wait(await k.vault.write.deposit([asset, amount]));
  return parseEventLogs({ abi: rollupAbi, logs: r.logs, eventName: "Enqueued" }).map((e) => decodeOp(hexToBytes(e.args.item)) as L1Input);
}

/** Feeds L1 inputs to the core (as the derivation will) and checks each was applied. */
export async function feed(core: SequencerCore, inputs: L1Input[]): Promise<void> {
  for (const input of inputs) {
    const out = core.submitL1Input(input);
    expect(out.record.receipt.ok, out.record.receipt.reason).toBe(true);
    await out.durable;
  }
}

let lastNonce = 0n;
/** A signed transfer of `amount` atoms of asset 0 from `from`'s account to account `to`. */
export async function transfer(core: SequencerCore, c: Chain, from: { privateKey: Hex }, account: number, to: number, amount: bigint): Promise<void> {
  const now = BigInt(Date.now());
  lastNonce = now > lastNonce ? now : lastNonce + 1n;
  const op: Transfer = { type: "Transfer", account, to, asset: 0, amount, nonce: lastNonce, signature: "0x" };
  op.signature = signDigest(signingDigest(op, c.domain), from.privateKey);
  const out = core.submit(op, recoverOp(op, c.domain));
  expect(out.record.receipt.ok, out.record.receipt.reason).toBe(true);
  await out.durable;
}

/**
 * A sequencer with accounts funded through real L1 deposits (so its queue chain is L1's),
 * and a sealed batch per step: deposits consume L1 inputs, transfers do not.
 */
export async function fundAccounts(core: SequencerCore, c: Chain, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await feed(core, await depositOnL1(c, c.depositors[i]!, 0, 1_000_000_000n));
}

/** Seals one batch of `k` transfers between the first two accounts. */
export async function sealTransfers(core: SequencerCore, c: Chain, k: number): Promise<number> {
  for (let j = 0; j < k; j++) await transfer(core, c, c.depositors[0]!, 0, 1, 1_000n + BigInt(j));
  const b = core.sealBatch();
  expect(b).not.toBeNull();
  return b!.index;
}

/** Every BatchSubmitted event on the canonical chain since the deployment, in order. */
export async function submittedOnL1(c: Chain) {
  const logs = await c.d.clients.public.getContractEvents({ address: c.d.rollup, abi: rollupAbi, eventName: "BatchSubmitted", fromBlock: c.d.fromBlock, toBlock: "latest" });
  return logs.map((l) => ({ index: Number(l.args.batchIndex!), header: l.args.header as BatchHeader, headerHash: l.args.headerHash!, tx: l.transactionHash, block: l.blockNumber }));
}

/**
 * What L1 must hold after posting op-log batches 0..n-1: exactly L1 batches 1..n, once each,
 * in order, each header equal to its sealed batch (roots, op count, queue position, the data
 * hash of the batch's bytes) and linked to its parent by hash, and L1's head is batch n.
 */
export async function expectL1MatchesLog(c: Chain, log: OpLog, n: number): Promise<void> {
  const got = await submittedOnL1(c);
  expect(got.map((g) => g.index)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  const data = sszBatchData(log);
  const k = contractsOf(c.d);
  let parent = (await k.rollup.read.batch([0n])).headerHash;
  for (const g of got) {
    const b = log.batch(g.index - 1)!;
    expect(g.header.prevStateRoot).toBe(bytesToHex(b.preRoot));
    expect(g.header.newStateRoot).toBe(bytesToHex(b.postRoot));
    expect(g.header.opCount).toBe(BigInt(b.toSeq - b.fromSeq + 1));
    expect(g.header.queuePosition).toBe(b.l1To);
    expect(g.header.dataHash).toBe(keccak256(data(b.index)));
    expect(g.header.parentHash).toBe(parent);
    expect(headerHash(g.header)).toBe(g.headerHash);
    const blk = await c.d.clients.public.getBlock({ blockNumber: g.block });
    expect(g.header.l1Timestamp).toBe(blk.timestamp);
    parent = g.headerHash;
  }
  expect(await k.rollup.read.nextBatchIndex()).toBe(BigInt(n + 1));
}

/** Collects the poster's JSON lines. */
export function lineSink() {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    logLine: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>),
    count: (event: string) => lines.filter((x) => x.event === event).length,
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
