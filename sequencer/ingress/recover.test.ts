import { describe, expect, it } from "vitest";
import { type Op, type SigningDomain, recoverOp, signDigest, signingDigest } from "../state/index.js";
import { SignaturePool } from "./pool.js";
import { recoverOpNative } from "./recover.js";

const domain: SigningDomain = { chainId: 31337n, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" };
const key = (i: number) => `0x${(i + 1).toString(16).padStart(64, "0")}` as const;

function signedOps(n: number): Op[] {
  const ops: Op[] = [];
  for (let i = 0; i < n; i++) {
    const op: Op = {
      type: "PlaceOrder",
      account: i,
      nonce: 1_000n + BigInt(i),
      market: i % 3,
      flags: i % 2,
      price: 1_000_000n * BigInt(1 + i),
      size: 10_000n,
      expiry: 0n,
      clientOrderId: BigInt(i),
      signature: "0x",
    };
    op.signature = signDigest(signingDigest(op, domain), key(i % 7));
    // Every fifth signature is corrupted: it must recover to someone else or to nothing.
    if (i % 5 === 4) op.signature = `${op.signature.slice(0, 10)}${op.signature[10] === "0" ? "1" : "0"}${op.signature.slice(11)}` as `0x${string}`;
    ops.push(op);
  }
  ops.push({ type: "Withdraw", account: 1, nonce: 5n, asset: 0, amount: 1n, signature: "0x1234" });
  ops.push({ type: "Fill", makerAccount: 0, makerSlot: 0, takerAccount: 1, takerSlot: 0, price: 1n, size: 1n });
  return ops;
}

describe("native signature recovery", () => {
  it("agrees with the pure-JS pre-pass on valid, corrupted and malformed signatures", () => {
    for (const op of signedOps(60)) expect(recoverOpNative(op, domain)).toEqual(recoverOp(op, domain));
  });

  it("runs on a worker pool and returns results in order", async () => {
    const pool = new SignaturePool(domain, 2);
    try {
      const ops = signedOps(200);
      const got = await pool.recover(ops);
      expect(got).toEqual(ops.map((op) => recoverOp(op, domain)));
    } finally {
      await pool.close();
    }
  });
});
