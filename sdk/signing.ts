/**
 * Signing operations with a viem account. The typed data comes from the sequencer's own
 * `typedDataOf` (sequencer/state/signing.ts), so the SDK can never sign a type layout the
 * sequencer does not verify; this file only adds the viem call and the nonce source.
 */
import type { LocalAccount, TypedDataDefinition } from "viem";
import type { OracleUpdate, PricePoint, SignedOp } from "../sequencer/state/ops.js";
import { type SigningDomain, typedDataOf } from "../sequencer/state/signing.js";

export type { SigningDomain };

/** A signed operation before signing: every field but the signature. */
export type UnsignedOp<T extends SignedOp = SignedOp> = T extends SignedOp ? Omit<T, "signature"> : never;

/** What callers describe: the operation's own fields; account and nonce are filled in by the client. */
export type OpInput<T extends SignedOp = SignedOp> = T extends SignedOp ? Omit<T, "signature" | "account" | "nonce"> & { account?: number } : never;

/** Signs a complete operation (account and nonce set) for `domain`. */
export async function signOperation<T extends SignedOp>(signer: LocalAccount, op: UnsignedOp<T>, domain: SigningDomain): Promise<T> {
  const full = { ...op, signature: "0x" } as unknown as T;
  // NOTE: typedDataOf's types are keyed by the runtime op type, which viem's generics cannot
  // follow; the cast is to viem's untyped definition, the values are checked by viem at runtime.
  const signature = await signer.signTypedData(typedDataOf(full, domain) as unknown as TypedDataDefinition);
  return { ...full, signature: signature.toLowerCase() as `0x${string}` };
}

/**
 * Signs an oracle price update with each of `signers` (the oracle signer set's keys; the
 * sequencer wants at least its threshold of distinct ones). Oracle updates carry no account
 * or nonce: the timestamp orders them.
 */
export async function signOracleUpdate(update: { timestamp: bigint; prices: PricePoint[] }, signers: readonly LocalAccount[], domain: SigningDomain): Promise<OracleUpdate> {
  const op: OracleUpdate = { type: "OracleUpdate", timestamp: update.timestamp, prices: update.prices.map((p) => ({ kind: p.kind, id: p.id, price: p.price })), signatures: [] };
  const typed = typedDataOf(op, domain) as unknown as TypedDataDefinition;
  op.signatures = await Promise.all(signers.map(async (s) => (await s.signTypedData(typed)).toLowerCase() as `0x${string}`));
  return op;
}

/**
 * Nonces are millisecond timestamps, unique per account (docs/api.md §Nonces): the next is
 * `max(now, last + 1)`, taken synchronously so concurrent callers of one client can never
 * draw the same value and draw them in call order, and never going back when the clock does.
 */
export class NonceSource {
  private last = 0n;
  // Read through Date.now at each call (not captured) so a clock swapped later is honoured.
  constructor(private readonly now: () => number = () => Date.now()) {}
  next(): bigint {
    const now = BigInt(Math.floor(this.now()));
    this.last = now > this.last ? now : this.last + 1n;
    return this.last;
  }
  /** The last nonce handed out (0 before the first). */
  get current(): bigint {
    return this.last;
  }
}
