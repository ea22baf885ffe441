/**
 * The L1 input queue as the STF sees it. The L1 contracts append deposits and governance
 * changes to one queue and keep a keccak256 hash chain over it; the STF extends the same
 * chain as it consumes inputs, so `state.l1.chainHash` after a batch equals the L1 queue's
 * chain value at `state.l1.nextIndex`, and a batch that skipped, reordered or altered an
 * input is caught by one comparison on L1.
 *
 *   chain(0) = 0x00…00
 *   chain(i+1) = keccak256(chain(i) ‖ encodeOp(input i))
 *
 * `encodeOp` is the operation's canonical SSZ union encoding (selector byte first).
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { encodeOp } from "./codec.js";
import type { L1Input } from "./ops.js";

export function nextChainHash(prev: Uint8Array, input: L1Input): Uint8Array {
  const item = encodeOp(input);
  const buf = new Uint8Array(32 + item.length);
  buf.set(prev, 0);
  buf.set(item, 32);
  return keccak_256(buf);
}
