/** Worker thread of SignaturePool: decodes each operation and runs the native pre-pass. */
import { parentPort, workerData } from "node:worker_threads";
import { decodeOp } from "../state/codec.js";
import type { Hex } from "../state/ops.js";
import { recoverOpNative } from "./recover.js";

const domain = { chainId: BigInt(workerData.chainId as string), verifyingContract: workerData.verifyingContract as Hex };

parentPort!.on("message", (m: { id: number; packed: Uint8Array; ends: Uint32Array }) => {
  try {
    const results = new Array(m.ends.length);
    for (let i = 0, at = 0; i < m.ends.length; at = m.ends[i++]!) results[i] = recoverOpNative(decodeOp(m.packed.subarray(at, m.ends[i])), domain);
    parentPort!.postMessage({ id: m.id, results });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: String(e) });
  }
});
