/** Shared set-up of the prover's anvil tests (challenger, game, the services' disputes). */
import type { Hex } from "viem";
import { expect } from "vitest";
import type { SequencerCore } from "../../sequencer/core/sequencer.js";
import { sealedBatchData } from "../../sequencer/codec/index.js";
import { disputeGameAbi } from "../../sequencer/l1/abi.js";
import type { Anvil } from "../../sequencer/l1/anvil.js";
import { loadArtifact } from "../../sequencer/l1/artifacts.js";
import type { Deployment } from "../../sequencer/l1/deploy.js";
import { type Chain, GENESIS, tmpDb } from "../../sequencer/l1/test/helpers.js";
import { bytesToHex } from "../../sequencer/state/bytes.js";
import { Verifier } from "../verifier.js";
import type { Lie } from "./malicious.js";

/** Deploys the one-step prover and appoints it on the game (governance impersonated, as its timelocked call would). */
export async function appointProver(anvil: Anvil, d: Deployment): Promise<void> {
  const pub = d.clients.public;
  const art = loadArtifact("OneStepProver");
  const hash = await d.clients.deployer.deployContract({ abi: art.abi, bytecode: art.bytecode, args: [BigInt(anvil.chainId), d.rollup] });
  const prover = (await pub.waitForTransactionReceipt({ hash, pollingInterval: 20 })).contractAddress!;
  await anvil.rpc("anvil_impersonateAccount", [d.governance]);
  await anvil.rpc("anvil_setBalance", [d.governance, "0xde0b6b3a7640000"]);
  const tx = await d.clients.deployer.writeContract({ address: d.disputeGame, abi: disputeGameAbi, functionName: "setProver", args: [prover], account: d.governance, chain: d.clients.deployer.chain });
  expect((await pub.waitForTransactionReceipt({ hash: tx, pollingInterval: 20 })).status).toBe("success");
  await anvil.rpc("anvil_stopImpersonatingAccount", [d.governance]);
}

/** Op-log batch `i` as the honest poster would post it: its codec data, root, op count and queue position. */
export function honestBatch(core: SequencerCore, i: number): Lie & { data: Uint8Array } {
  const b = core.log.batch(i)!;
  return { data: sealedBatchData(core.log, i), newStateRoot: bytesToHex(b.postRoot) as Hex, opCount: BigInt(b.toSeq - b.fromSeq + 1), queuePosition: b.l1To };
}

/** A verifier of the test chain on its own temp SQLite file. */
export function testVerifier(c: Chain): Verifier {
  return new Verifier({ client: c.d.clients.public, rollup: c.d.rollup, fromBlock: c.d.fromBlock, genesis: GENESIS, db: tmpDb().replace(/seq\.db$/, "verifier.db"), pollMs: 25, progress: false });
}
