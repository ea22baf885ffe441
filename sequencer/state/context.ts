/**
 * What an operation is executed against besides the state: facts fixed by the batch, never
 * read from the outside world. Signature recovery happens before the STF (signing.ts): it
 * is a pure function of the operation's bytes and the domain, so every verifier that
 * recovers in parallel, in any order, gets the same `signer`s and hence the same result.
 */
import type { Hex } from "./ops.js";

export interface OpContext {
  /** The sequencer's timestamp for this operation, ms; never earlier than the previous one. */
  timestamp: bigint;
  /** Recovered signer of an account-signed operation; null when the signature is invalid. */
  signer: Hex | null;
  /** Recovered signers of an OracleUpdate's signatures, in order (null for an invalid one). */
  oracleSigners?: (Hex | null)[];
}
