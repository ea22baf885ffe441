/** Shared set-up of the prover's anvil tests (challenger, game, the services' disputes). */
import type { Hex } from "viem";
import type { SequencerCore } from "../../sequencer/core/sequencer.js";
import { sealedBatchData } from "../../sequencer/codec/index.js";
import { type Chain, GENESIS, tmpDb } from "../../sequencer/l1/test/helpers.js";
import { bytesToHex } from "../../sequencer/state/bytes.js";
import { Verifier } from "../verifier.js";
import type { Lie } from "./malicious.js";

/** Op-log batch `i` as the honest poster would post it: its codec data, root, op count and queue position. */
export function honestBatch(core: SequencerCore, i: number): Lie & { data: Uint8Array } {
  const b = core.log.batch(i)!;
  return { data: sealedBatchData(core.log, i), newStateRoot: bytesToHex(b.postRoot) as Hex, opCount: BigInt(b.toSeq - b.fromSeq + 1), queuePosition: b.l1To };
}

/** A verifier of the test chain on its own temp SQLite file. */
export function testVerifier(c: Chain): Verifier {
  return new Verifier({ client: c.d.clients.public, rollup: c.d.rollup, fromBlock: c.d.fromBlock, genesis: GENESIS, db: tmpDb().replace(/seq\.db$/, "verifier.db"), pollMs: 25, progress: false });
}
