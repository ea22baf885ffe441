/**
 * The rollup's side of "on-chain-only execution vs the rollup", and the codec pair.
 *
 * Rollup posting gas, measured from receipts: the signed reference workload
 * (bench/codec.ts `referenceOps`: real EIP-712 signatures, the generator's fills) is cut into
 * batches the way the sequencer seals them in L1 mode — as many operations as fit under the
 * codec's decode-gas byte cap (`maxBatchBytes(DECODE_GAS_BOUND)`) — compressed with our codec
 * and posted with `Rollup.submitBatch` to a Rollup deployed on anvil (sequencer/l1/deploy.ts).
 * Each receipt's gasUsed is the whole L1 cost of the batch (21k, calldata under the chain's
 * pricing including the EIP-7623 floor, execution). The amortized figure divides it by the
 * fills in the batches: every quote, cancel, oracle update and transfer of the mix is charged
 * to the fills, which only makes the rollup's figure larger.
 *
 * Roots in the headers are not the replayed ones (the Rollup does not check them on submit;
 * a verifier would dispute them): they are 32 random-looking bytes, priced like a real root.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Hex, encodeFunctionData, keccak256, toHex } from "viem";
import { loadArtifact, REPO_ROOT as REPO } from "../../sequencer/l1/artifacts.js";
import { encodeBatchFrom } from "../../sequencer/codec/batch.js";
import { compressBatch } from "../../sequencer/codec/compress.js";
import { DECODE_GAS_BOUND, maxBatchBytes } from "../../sequencer/codec/gas.js";
import { startAnvil } from "../../sequencer/l1/anvil.js";
import { contractsOf, creator, deploy, deployOneStepProver, l1Clients, rollupAbi } from "../../sequencer/l1/deploy.js";
import { headerHash, type BatchHeader } from "../../sequencer/l1/poster.js";
import type { ReferenceOps } from "../codec.js";
import { workloadGenesis } from "../workload.js";

/** Splits `ops` into consecutive batches, each the most operations whose data fits `maxBytes`. */
export function sealUnderCap(ops: readonly Uint8Array[], maxBytes: number): { start: number; count: number; data: Uint8Array }[] {
  const out: { start: number; count: number; data: Uint8Array }[] = [];
  let start = 0;
  while (start < ops.length) {
    const fits = (n: number) => compressBatch(encodeBatchFrom(ops.slice(start, start + n)));
    // Binary search on the count: compressed size grows with it.
    let lo = 1;
    let hi = ops.length - start;
    if (fits(lo).length > maxBytes) throw new Error(`one operation (at ${start}) exceeds ${maxBytes} bytes`);
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (fits(mid).length <= maxBytes) lo = mid;
      else hi = mid - 1;
    }
    out.push({ start, count: lo, data: fits(lo) });
    start += lo;
  }
  return out;
}

export interface PostingResult {
  batches: number;
  ops: number;
  fills: number;
  bytes: number;
  /** Receipt gasUsed of each submitBatch. */
  gas: number[];
  totalGas: number;
  gasPerFill: number;
  gasPerOp: number;
  capBytes: number;
}

/** Posts `ref` as capped batches to a fresh Rollup on a fresh anvil; gas from the receipts. */
export async function rollupPostingGas(ref: ReferenceOps, log: (s: string) => void = () => {}): Promise<PostingResult> {
  const capBytes = maxBatchBytes(DECODE_GAS_BOUND);
  const batches = sealUnderCap(ref.ops, capBytes);
  const anvil = await startAnvil({});
  try {
    const clients = l1Clients(anvil.url, anvil.chainId, { deployer: anvil.accounts[0]!.privateKey, sequencer: anvil.accounts[1]!.privateKey }, { pollingIntervalMs: 20 });
    // The workload's genesis without its funding-interval override (Governance's shadow only
    // deploys with the default risk values); submitBatch's gas does not depend on the genesis.
    const { risk: _risk, ...l2Genesis } = workloadGenesis();
    const d = await deploy({ clients, genesis: l2Genesis });
    const c = contractsOf(d);
    const batch0 = await c.rollup.read.batch([0n]);
    let parentHash = batch0.headerHash as Hex;
    let prevRoot = batch0.stateRoot as Hex;
    const gas: number[] = [];
    let fills = 0;
    let bytes = 0;
    for (const [i, b] of batches.entries()) {
      const head = await clients.public.getBlock({ blockTag: "latest" });
      const l1Timestamp = head.timestamp + 12n;
      await anvil.setNextBlockTimestamp(l1Timestamp);
      const h: BatchHeader = {
        batchIndex: BigInt(i + 1),
        parentHash,
        prevStateRoot: prevRoot,
        newStateRoot: keccak256(toHex(`peers-bench-root-${i}`)),
        opCount: BigInt(b.count),
        queuePosition: 0n,
        queueChainHash: `0x${"00".repeat(32)}`,
        dataHash: keccak256(b.data),
        l1Timestamp,
      };
      const hash = await clients.sequencer.writeContract({ address: d.rollup, abi: rollupAbi, functionName: "submitBatch", args: [h, toHex(b.data)] });
      const r = await clients.public.waitForTransactionReceipt({ hash, pollingInterval: 20, timeout: 30_000 });
      if (r.status !== "success") throw new Error(`submitBatch ${i + 1} reverted`);
      gas.push(Number(r.gasUsed));
      parentHash = headerHash(h);
      prevRoot = h.newStateRoot;
      bytes += b.data.length;
      for (let k = b.start; k < b.start + b.count; k++) if (ref.kinds[k] === "fill") fills++;
    }
    const totalGas = gas.reduce((a, x) => a + x, 0);
    log(`  posted ${batches.length} batches (${ref.ops.length} ops, ${fills} fills, ${bytes} B) to a Rollup on anvil: ${totalGas} gas`);
    if (fills === 0) throw new Error("the reference batches hold no fills");
    return { batches: batches.length, ops: ref.ops.length, fills, bytes, gas, totalGas, gasPerFill: totalGas / fills, gasPerOp: totalGas / ref.ops.length, capBytes };
  } finally {
    await anvil.stop();
  }
}

export interface StfFillGas {
  /** Accepted Fill vectors executed, and the receipts' gasUsed (21k, calldata with the witness, execution). */
  fills: number;
  median: number;
  max: number;
  /** Median witness size (bytes of calldata it adds). */
  witnessBytes: number;
}

/**
 * Our Solidity STF executing fills directly on L1: `OneStepProver.execute` (the one-step STF,
 * contracts/src/OneStepProver.sol) sent as a transaction on a fresh anvil for each accepted
 * Fill golden vector (contracts/test/fixtures/onestep-Fill.json: random states, the TypeScript
 * STF's post-root). A contract that executes our STF keeps no state of its own, so each call
 * carries the SSZ witness of what the fill touches; that is what on-chain execution of this
 * exact STF costs per fill.
 */
export async function stfFillGas(log: (s: string) => void = () => {}): Promise<StfFillGas> {
  const fx = JSON.parse(readFileSync(join(REPO, "contracts/test/fixtures/onestep-Fill.json"), "utf8")) as {
    chainId: string | number;
    rollup: Hex;
    vectors: { accepted: boolean; preRoot: Hex; opBytes: Hex; witness: Hex; postRoot: Hex }[];
  };
  const accepted = fx.vectors.filter((v) => v.accepted);
  if (accepted.length === 0) throw new Error("onestep-Fill.json holds no accepted fill");
  const anvil = await startAnvil({});
  try {
    const clients = l1Clients(anvil.url, anvil.chainId, { deployer: anvil.accounts[0]!.privateKey, sequencer: anvil.accounts[1]!.privateKey }, { pollingIntervalMs: 20 });
    const art = loadArtifact("OneStepProver");
    const prover = await deployOneStepProver(creator(clients.deployer, clients.public), BigInt(fx.chainId), fx.rollup);
    const gas: number[] = [];
    const sizes: number[] = [];
    for (const v of accepted) {
      // The same call a view would make, as a transaction: its receipt prices it on L1.
      const got = (await clients.public.readContract({ address: prover, abi: art.abi, functionName: "execute", args: [v.preRoot, v.opBytes, v.witness] })) as Hex;
      if (got.toLowerCase() !== v.postRoot.toLowerCase()) throw new Error(`OneStepProver gave ${got} for a fill whose TypeScript post-root is ${v.postRoot}`);
      const hash = await clients.deployer.sendTransaction({ to: prover, data: encodeFunctionData({ abi: art.abi, functionName: "execute", args: [v.preRoot, v.opBytes, v.witness] }) });
      const r = await clients.public.waitForTransactionReceipt({ hash, pollingInterval: 20 });
      if (r.status !== "success") throw new Error("OneStepProver.execute reverted as a transaction");
      gas.push(Number(r.gasUsed));
      sizes.push((v.witness.length - 2) / 2);
    }
    const sorted = [...gas].sort((a, b) => a - b);
    const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    log(`  our Solidity STF: ${gas.length} fills executed by OneStepProver on anvil, median ${mid(gas)} gas`);
    return { fills: gas.length, median: mid(gas), max: sorted[sorted.length - 1]!, witnessBytes: mid(sizes) };
  } finally {
    await anvil.stop();
  }
}
