/**
 * The challenger on a real anvil, one fault class at a time: a malicious sequencer posts a batch
 * (data past L1's decode bound, undecodable data, an op count the data does not hold, a deposit skipped); the verifier
 * disputes it; the challenger proves the fault on L1 with no person involved; the batch is
 * rolled back, the sequencer's bond goes to the challenger; the honest batch is posted again
 * and verified. A wrong root with good data is reported as needing the game, not guessed at.
 */
import type { Hex } from "viem";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { SequencerCore } from "../../sequencer/core/sequencer.js";
import { maxBatchBytes } from "../../sequencer/codec/index.js";
import { contractsOf, walletFor } from "../../sequencer/l1/deploy.js";
import { type Chain, depositOnL1, fundAccounts, lineSink, sealTransfers } from "../../sequencer/l1/test/helpers.js";
import { Challenger } from "../challenger.js";
import { Verifier } from "../verifier.js";
import { closeTestbed, honestBatch, openTestbed } from "./helpers.js";
import { postLie } from "./malicious.js";

let c: Chain;
let core: SequencerCore;
let v: Verifier;
beforeEach(async () => {
  ({ c, core, v } = await openTestbed());
});
afterEach(() => closeTestbed({ c, core, v }));

it("proves oversized data, undecodable data, an op count lie and a skipped deposit on L1; each batch rolled back, the honest one re-posted and verified", async () => {
  const pub = c.d.clients.public;
  const k = contractsOf(c.d, c.d.clients.sequencer);
  const challengerKey = c.anvil.accounts[8]!;
  const sink = lineSink();
  const ch = new Challenger({
    verifier: v,
    client: pub,
    wallet: walletFor(c.d.clients, challengerKey.privateKey, 20),
    account: walletFor(c.d.clients, challengerKey.privateKey).account,
    rollup: c.d.rollup,
    disputeGame: c.d.disputeGame,
    logLine: sink.logLine,
  });
  // Batch 1, honest (posted as the poster would: the op-log batch's data and root).
  await fundAccounts(core, c, 2);
  core.sealBatch();
  const honest = (i: number) => honestBatch(core, i);
  const h0 = honest(0);
  await postLie(c, h0.data, h0);
  while ((await v.round()) > 0);
  expect(v.status().verifiedThrough).toBe(1);
  const idx = await sealTransfers(core, c, 3);
  const good = honest(idx);

  const bond = c.d.params.sequencerBond;
  // The verifier's size rule is L1's: the codec's decode bound is the game's MAX_DATA_BYTES.
  const { disputeGameAbi } = await import("../../sequencer/l1/abi.js");
  expect(await pub.readContract({ address: c.d.disputeGame, abi: disputeGameAbi, functionName: "MAX_DATA_BYTES" })).toBe(BigInt(maxBatchBytes()));
  const cases: { name: string; post: () => Promise<number>; reason: string }[] = [
    // Past L1's decode bound: a fault whatever the bytes hold (the verifier does not decode it).
    { name: "oversized data", post: () => postLie(c, new Uint8Array(maxBatchBytes() + 1).fill(0xab), { newStateRoot: good.newStateRoot, opCount: 3n }), reason: "oversized_data" },
    { name: "undecodable data", post: () => postLie(c, new Uint8Array([0xff, 0x00, 0x13, 0x37, 0x42]), { newStateRoot: good.newStateRoot, opCount: 3n }), reason: "undecodable_data" },
    { name: "op count lie", post: () => postLie(c, good.data, { newStateRoot: good.newStateRoot, opCount: 4n }), reason: "op_count_mismatch" },
    {
      name: "skipped deposit",
      post: async () => {
        const inputs = await depositOnL1(c, c.depositors[2]!, 0, 123_000_000n);
        return postLie(c, good.data, { newStateRoot: good.newStateRoot, opCount: 3n, queuePosition: inputs[0]!.queueIndex + 1n });
      },
      reason: "l1_inputs_skipped",
    },
  ];
  let rollbacks = 0;
  for (const x of cases) {
    expect(await x.post(), x.name).toBe(2);
    while ((await v.round()) > 0);
    expect(v.verdict(2), x.name).toMatchObject({ status: "dispute" });
    expect(v.verdict(2)!.reasons, x.name).toContain(x.reason);
    const before = await pub.getBalance({ address: challengerKey.address });
    expect(await ch.round(), x.name).toBe(1);
    rollbacks++;
    // Rolled back on L1: the next batch index is 2 again; the bond went to the challenger.
    expect(await k.rollup.read.nextBatchIndex(), x.name).toBe(2n);
    const after = await pub.getBalance({ address: challengerKey.address });
    expect(after - before, `${x.name}: bond minus gas`).toBeGreaterThan((bond * 9n) / 10n);
    expect(ch.stats).toMatchObject({ proofsWon: rollbacks, errors: 0 });
    // A second round finds nothing left to prove (restart-safe: it reads L1, not memory).
    const fresh = new Challenger({ verifier: v, client: pub, wallet: walletFor(c.d.clients, challengerKey.privateKey, 20), account: walletFor(c.d.clients, challengerKey.privateKey).account, rollup: c.d.rollup, disputeGame: c.d.disputeGame, logLine: () => {} });
    expect(await fresh.round()).toBe(0);
    // The sequencer bonds again to keep posting.
    const tx = await k.rollup.write.postBond({ value: bond });
    expect((await pub.waitForTransactionReceipt({ hash: tx, pollingInterval: 20 })).status).toBe("success");
  }
  expect(sink.lines.filter((l) => l.event === "batch_rolled_back").map((l) => l.batch)).toEqual([2, 2, 2, 2]);

  // The honest batch re-posted: the verifier follows the rollbacks and verifies it.
  await postLie(c, good.data, good);
  while ((await v.round()) > 0);
  expect(v.status()).toMatchObject({ verifiedThrough: 2, disputed: 0 });
  expect(v.status().rollbacks).toBeGreaterThanOrEqual(4);
  expect(await ch.round()).toBe(0);

  // A wrong root over good data: the game's business, reported, not sent as a data fault.
  const idx2 = await sealTransfers(core, c, 2);
  const good2 = honest(idx2);
  await postLie(c, good2.data, { ...good2, newStateRoot: `0x${"11".repeat(32)}` as Hex });
  while ((await v.round()) > 0);
  expect(v.verdict(3)).toMatchObject({ status: "dispute", reasons: ["root_mismatch"] });
  expect(await ch.round()).toBe(0);
  expect(ch.stats.needGame).toBe(1);
  expect(sink.lines.some((l) => l.event === "needs_game" && l.batch === 3)).toBe(true);
}, 120_000);
