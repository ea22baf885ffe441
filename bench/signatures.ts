/**
 * Signature pre-pass ceilings (issue 5's `seq.sig_ceiling_per_s`): how many signed
 * operations per second the machine can admit, on all cores through the worker pool
 * (EIP-712 digest + native recovery), beside one core's native and pure-JS recovery rates.
 */
import { fileURLToPath } from "node:url";
import { SignaturePool } from "../sequencer/ingress/pool.js";
import { recoverOpNative } from "../sequencer/ingress/recover.js";
import { type Op, type SigningDomain, recoverOp, signDigest, signingDigest } from "../sequencer/state/index.js";

const domain: SigningDomain = { chainId: 31337n, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" };

function signedOrders(n: number): Op[] {
  const ops: Op[] = [];
  for (let i = 0; i < n; i++) {
    const op: Op = { type: "PlaceOrder", account: i % 1000, nonce: 1_000n + BigInt(i), market: i % 20, flags: i % 2, price: 1_000_000n, size: 10_000n, expiry: 0n, clientOrderId: 0n, signature: "0x" };
    op.signature = signDigest(signingDigest(op, domain), `0x${((i % 1000) + 1).toString(16).padStart(64, "0")}`);
    ops.push(op);
  }
  return ops;
}

export interface SigEntry {
  name: string;
  value: number;
  unit: string;
  vs?: string;
}

export async function signatureBench(n = 20_000): Promise<SigEntry[]> {
  const ops = signedOrders(n);
  const rate = (f: (op: Op) => unknown, count: number) => {
    const t = performance.now();
    for (let i = 0; i < count; i++) f(ops[i]!);
    return (count * 1000) / (performance.now() - t);
  };
  const native1 = rate((op) => recoverOpNative(op, domain), 4_000);
  const js1 = rate((op) => recoverOp(op, domain), 1_000);
  const pool = new SignaturePool(domain);
  try {
    await pool.recover(ops.slice(0, 200)); // warm the workers
    const t = performance.now();
    const out = await pool.recover(ops);
    const all = (n * 1000) / (performance.now() - t);
    if (out.some((r) => r.signer === null)) throw new Error("a valid signature did not recover");
    return [
      { name: "seq.sig_ceiling_per_s", value: all, unit: "ops/s", vs: `${pool.size} workers, digest + native recovery; one core: ${Math.round(native1)} native, ${Math.round(js1)} pure-JS (${(native1 / js1).toFixed(1)}×)` },
      { name: "sig.native_recover_per_s_1core", value: native1, unit: "ops/s" },
      { name: "sig.js_recover_per_s_1core", value: js1, unit: "ops/s" },
    ];
  } finally {
    await pool.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const e of await signatureBench()) console.log(`${e.name}\t${Math.round(e.value)}\t${e.unit}\t${e.vs ?? ""}`);
}
