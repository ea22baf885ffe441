/** Shared set-up of the prover's anvil tests (challenger, game, the services' disputes). */
import type { Hex } from "viem";
import type { SequencerCore } from "../../sequencer/core/sequencer.js";
import { sealedBatchData } from "../../sequencer/codec/index.js";
import { type Deployment, walletFor } from "../../sequencer/l1/deploy.js";
import { type Chain, GENESIS, openTestCore, setupChain, tmpDb } from "../../sequencer/l1/test/helpers.js";
import { bytesToHex } from "../../sequencer/state/bytes.js";
import { type GameContext, GamePlayer } from "../game.js";
import { Verifier } from "../verifier.js";
import type { Lie } from "./malicious.js";

/** A test chain on anvil, a sequencer core and a verifier of the chain, each on its own files. */
export interface Testbed {
  c: Chain;
  core: SequencerCore;
  v: Verifier;
}

export async function openTestbed(): Promise<Testbed> {
  const c = await setupChain();
  const core = openTestCore(tmpDb());
  return { c, core, v: testVerifier(c) };
}

/** Closes what `openTestbed` opened (any part may be missing when the set-up failed). */
export async function closeTestbed(t: Partial<Testbed>): Promise<void> {
  await t.v?.close();
  t.core?.log.close();
  await t.c?.anvil.stop();
}

/** A game player on deployment `d` signing with `key`, playing from the traces `contextOf` gives. */
export function testPlayer(d: Deployment, key: Hex, contextOf: (batchIndex: number) => Promise<GameContext>, logLine: (line: string) => void = () => {}): GamePlayer {
  return new GamePlayer({ client: d.clients.public, wallet: walletFor(d.clients, key, 20), account: walletFor(d.clients, key).account, disputeGame: d.disputeGame, rollup: d.rollup, contextOf, logLine });
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
