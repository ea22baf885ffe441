/**
 * Exit proofs from L1 data alone: after a freeze the sequencer may be gone and its op log with
 * it, but every batch's data is in L1 calldata. The verifier (verifier.ts) derives and replays
 * every batch from L1 and checks each root; once it has verified the exit batch, its state
 * there is the exit root's state, and sequencer/l1/proofs.ts's `StateProver` builds every exit
 * proof (accounts, market marks, asset records, withdrawal records) from it.
 *
 * After a freeze `Rollup.nextBatchIndex` is `exitBatchIndex + 1` (later, unfinal batches are
 * dropped), so one verifier round ends exactly at the exit batch; a verifier file that had
 * already judged dropped batches walks back to it (its rollback handling). A disputed batch at
 * or before the exit batch cannot happen on a frozen chain whose batches are final unless the
 * fraud window passed unchallenged; the function then refuses rather than prove a state L1's
 * root does not describe.
 */
import type { Hex } from "viem";
import { rollupAbi } from "../sequencer/l1/abi.js";
import { StateProver } from "../sequencer/l1/proofs.js";
import { bytesToHex } from "../sequencer/state/bytes.js";
import { createGenesisState, stateRoot } from "../sequencer/state/index.js";
import { restoreState } from "../sequencer/storage/snapshot.js";
import { Verifier, type VerifierOptions } from "./verifier.js";

export type L1ExitProverOptions = Pick<VerifierOptions, "client" | "rollup" | "fromBlock" | "genesis" | "db" | "confirmations" | "signatureWorkers" | "logLine">;

/**
 * Replays L1 up to the exit batch (verifying every batch) and returns a prover over the state
 * at the exit root. Throws when the rollup is not frozen or the replay does not reach the exit
 * batch verified.
 */
export async function exitProverFromL1(o: L1ExitProverOptions): Promise<{ exitBatch: number; root: Hex; prover: StateProver }> {
  const read = <T>(functionName: string, args: readonly unknown[] = []) =>
    o.client.readContract({ address: o.rollup, abi: rollupAbi, functionName: functionName as never, args: args as never }) as Promise<T>;
  if ((await read<number>("freezeReason")) === 0) throw new Error("exitProverFromL1: the rollup is not frozen; exits prove against the exit batch fixed by Rollup.freeze()");
  const exitBatch = Number(await read<bigint>("exitBatchIndex"));
  const l1Root = ((await read<{ stateRoot: Hex }>("batch", [BigInt(exitBatch)])).stateRoot).toLowerCase() as Hex;
  let state;
  if (exitBatch === 0) {
    state = createGenesisState(o.genesis);
  } else {
    const v = new Verifier({ ...o, progress: false });
    try {
      await v.round();
      const s = v.status();
      if (s.verifiedThrough < exitBatch) {
        throw new Error(`exitProverFromL1: the replay of L1 verified batches up to ${s.verifiedThrough}, not the exit batch ${exitBatch}${s.firstDispute ? ` (batch ${s.firstDispute.batchIndex} disputed: ${s.firstDispute.reasons.join(", ")})` : ""}`);
      }
      const snap = v.store.snapshotAtOrBefore(exitBatch);
      if (!snap || snap.batchIndex !== exitBatch) throw new Error(`exitProverFromL1: the verifier holds no snapshot at the exit batch ${exitBatch}`);
      state = restoreState(snap.state, snap.root);
    } finally {
      await v.close();
    }
  }
  const root = bytesToHex(stateRoot(state)) as Hex;
  if (root !== l1Root) throw new Error(`exitProverFromL1: the replayed state's root ${root} is not the exit batch's ${l1Root}`);
  return { exitBatch, root, prover: new StateProver(state) };
}
