/**
 * Withdrawal proofs against sealed batches' post-roots, rebuilt from the op log after later
 * batches: each branch, folded with sha256 along the record's generalized index, gives the
 * batch's post-root (what StateProofs.verify computes on L1); a record the batch does not hold
 * and an unsealed batch are refused.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { expect, it } from "vitest";
import { apiGenesis, tmpDb } from "../../api/test/helpers.js";
import { openCore } from "../../service.js";
import { bytesToHex, hexToBytes } from "../../state/bytes.js";
import { owner } from "../../state/test/fixtures.js";
import { Withdrawal } from "../../state/types.js";
import { BatchProver, ProofError, WITHDRAWALS_FIRST_GINDEX, type WithdrawalProof } from "../proofs.js";

const T0 = 1_767_000_000_000n;
const USD = 1_000_000n;

/** StateProofs.verify: fold the branch up from the leaf along the gindex's bits. */
function rootOf(p: WithdrawalProof): string {
  let node = Withdrawal.hashTreeRoot({ account: p.withdrawal.account, owner: hexToBytes(p.withdrawal.owner), asset: p.withdrawal.asset, amount: p.withdrawal.amount });
  let g = WITHDRAWALS_FIRST_GINDEX + BigInt(p.index);
  for (const sib of p.proof) {
    const s = hexToBytes(sib);
    node = g % 2n === 0n ? sha256(new Uint8Array([...node, ...s])) : sha256(new Uint8Array([...s, ...node]));
    g /= 2n;
  }
  expect(g).toBe(1n);
  return bytesToHex(node);
}

it("proves each withdrawal record against the post-root of the batch that holds it, after later batches, from the log", () => {
  const db = tmpDb();
  let now = T0;
  const { core } = openCore({ db, genesis: apiGenesis(), batchMaxOps: 10_000, snapshotEveryOps: 3, synchronous: "NORMAL", clock: () => now });
  for (const a of [0, 1]) core.submitL1Input({ type: "Deposit", queueIndex: BigInt(a), account: a, owner: owner(a), asset: 0, amount: 1_000n * USD });
  let nonce = T0;
  const withdraw = (account: number, amount: bigint) => {
    const out = core.submit({ type: "Withdraw", account, nonce: nonce++, asset: 0, amount, signature: `0x${"00".repeat(65)}` }, { signer: owner(account) });
    expect(out.record.receipt.ok).toBe(true);
  };
  withdraw(0, 7n * USD);
  const b0 = core.sealBatch()!;
  now += 1000n;
  withdraw(1, 11n * USD);
  withdraw(0, 13n);
  const b1 = core.sealBatch()!;
  now += 1000n;
  core.submitL1Input({ type: "Deposit", queueIndex: 2n, account: 0, owner: owner(0), asset: 0, amount: 5n });
  core.sealBatch();

  const prover = new BatchProver(core.log, apiGenesis());
  const p0 = prover.withdrawal(1, 0);
  expect(p0.withdrawal).toEqual({ account: 0, owner: owner(0), asset: 0, amount: 7n * USD });
  expect(p0.proof).toHaveLength(37);
  expect(p0.root).toBe(bytesToHex(b0.postRoot));
  expect(rootOf(p0)).toBe(bytesToHex(b0.postRoot));
  // A tampered record does not lead to the root.
  expect(rootOf({ ...p0, withdrawal: { ...p0.withdrawal, amount: p0.withdrawal.amount + 1n } })).not.toBe(bytesToHex(b0.postRoot));

  for (const [i, amount] of [[0, 7n * USD], [1, 11n * USD], [2, 13n]] as const) {
    const p = prover.withdrawal(2, i);
    expect(p.withdrawal.amount).toBe(amount);
    expect(rootOf(p)).toBe(bytesToHex(b1.postRoot));
  }
  // The same record against a later batch (records are append-only).
  expect(rootOf(prover.withdrawal(3, 1))).toBe(bytesToHex(core.log.batch(2)!.postRoot));
  expect(() => prover.withdrawal(1, 1)).toThrow(ProofError);
  expect(() => prover.withdrawal(1, 1)).toThrow(/no withdrawal record 1 in this state \(it holds 1\)/);
  expect(() => prover.withdrawal(4, 0)).toThrow(/op-log batch 3 is not sealed \(3 sealed\)/);
  core.log.close();
});

it("GET /v1/withdrawals/:index/proof answers the proof through the API and the SDK, and names what is missing", async () => {
  const { startTest, keyOf } = await import("../../api/test/helpers.js");
  const { createCrossmarginClient, CrossmarginApiError } = await import("../../../sdk/index.js");
  const { privateKeyToAccount } = await import("viem/accounts");
  const seq = await startTest({ batchIntervalMs: 50 });
  try {
    const c = createCrossmarginClient({ url: seq.url, account: privateKeyToAccount(keyOf("proof/alice")) });
    const err = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        if (e instanceof CrossmarginApiError) return { code: e.code, status: e.status, message: e.message };
        throw e;
      }
      throw new Error("expected an API error");
    };
    expect(await err(c.withdrawalProof(0))).toMatchObject({ code: "BATCH_UNKNOWN", status: 404 });
    await c.devDeposit({ asset: 0, amount: 1_000n * USD });
    const w = await c.withdraw({ asset: 0, amount: 3n * USD });
    let batch: number | null = null;
    for (let i = 0; i < 100 && batch === null; i++) {
      batch = (await c.op(w.seq)).batch;
      if (batch === null) await new Promise((r) => setTimeout(r, 20));
    }
    expect(batch).not.toBeNull();
    const p = await c.withdrawalProof(0, batch! + 1);
    expect(p.batch).toBe(batch! + 1);
    expect(p.withdrawal).toMatchObject({ asset: 0, amount: 3n * USD, owner: privateKeyToAccount(keyOf("proof/alice")).address.toLowerCase() });
    expect(p.root).toBe(bytesToHex(seq.core.log.batch(batch!)!.postRoot));
    expect(rootOf({ index: p.index, withdrawal: p.withdrawal, proof: p.proof, root: p.root })).toBe(p.root);
    // Default batch: the last sealed one.
    expect((await c.withdrawalProof(0)).batch).toBe((seq.core.log.lastBatch()?.index ?? -1) + 1);
    expect(await err(c.withdrawalProof(1, batch! + 1))).toMatchObject({ code: "WITHDRAWAL_UNKNOWN", status: 404 });
    expect(await err(c.withdrawalProof(0, batch! + 1000))).toMatchObject({ code: "BATCH_UNKNOWN", status: 404 });
    const bad = await fetch(`${seq.url}/v1/withdrawals/x/proof`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "INVALID_FIELD", field: "index" });
    expect(() => c.withdrawalProof(0, 0)).toThrow(/L1 batch index >= 1/);
  } finally {
    await seq.close();
  }
});
