/**
 * Malicious sequencer mode, for tests only: posts batches that lie in one chosen way, with the
 * sequencer's key and every header field L1 checks at submission right (parent, previous root,
 * queue position and chain hash against the Rollup's queue, data hash, timestamp), so L1 accepts
 * them and only a verifier and a fault proof can tell. Each fault class is a choice of data and
 * of the `lie` fields: a wrong new root, undecodable data, an op count the data does not hold,
 * a queue position past L1 inputs the data skips.
 */
import { type Hex, keccak256 } from "viem";
import { expect } from "vitest";
import { contractsOf } from "../../sequencer/l1/deploy.js";
import type { BatchHeader } from "../../sequencer/l1/poster.js";
import type { Chain } from "../../sequencer/l1/test/helpers.js";
import { bytesToHex } from "../../sequencer/state/bytes.js";

export type Lie = Partial<BatchHeader> & { newStateRoot: Hex; opCount: bigint };

/** Posts `data` as the next batch; returns its L1 index. */
export async function postLie(c: Chain, data: Uint8Array, lie: Lie): Promise<number> {
  const k = contractsOf(c.d, c.d.clients.sequencer);
  const next = await k.rollup.read.nextBatchIndex();
  const parent = await k.rollup.read.batch([next - 1n]);
  const queuePosition = lie.queuePosition ?? BigInt(parent.queuePosition);
  const ts = (await c.anvil.head()).timestamp + 1n;
  await c.anvil.setNextBlockTimestamp(ts);
  const header: BatchHeader = {
    batchIndex: next,
    parentHash: parent.headerHash,
    prevStateRoot: parent.stateRoot,
    queuePosition,
    queueChainHash: await k.rollup.read.queueChainAt([queuePosition]),
    dataHash: keccak256(data),
    l1Timestamp: ts,
    ...lie,
  };
  const hash = await k.rollup.write.submitBatch([header, bytesToHex(data) as Hex]);
  const r = await c.d.clients.public.waitForTransactionReceipt({ hash, pollingInterval: 20, timeout: 20_000 });
  expect(r.status).toBe("success");
  return Number(next);
}
