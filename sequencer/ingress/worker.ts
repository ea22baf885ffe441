/** Worker thread of SignaturePool: decodes each operation and runs the native pre-pass. */
import { parentPort, workerData } from "node:worker_threads";
import { decodeOp } from "../state/codec.js";
import type { Hex } from "../state/ops.js";
import { recoverOpNative } from "./recover.js";

const domain = { chainId: BigInt(workerData.chainId as string), verifyingContract: workerData.verifyingContract as Hex };

parentPort!.on("message", (m: { id: number; ops: Uint8Array[] }) => {
  try {
    const results = m.ops.map((bytes) => recoverOpNative(decodeOp(bytes), domain));
    parentPort!.postMessage({ id: m.id, results });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: String(e) });
  }
});
