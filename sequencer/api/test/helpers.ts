/** A real sequencer (SQLite file, worker pool, HTTP on loopback) for API tests, and signing helpers. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex } from "../../state/bytes.js";
import { type SigningDomain, signDigest, signingDigest } from "../../state/index.js";
import type { Hex, SignedOp } from "../../state/ops.js";
import { testGenesis } from "../../state/test/fixtures.js";
import { CONFIG_DEFAULTS, type SequencerConfig, validateConfig } from "../../config.js";
import { type RunningSequencer, startSequencer } from "../../service.js";
import { opToJson } from "../schema.js";

export const DOMAIN: SigningDomain = { chainId: 31337n, verifyingContract: "0x00000000000000000000000000000000c0ffee01" };

export function keyOf(label: string): Hex {
  return bytesToHex(keccak_256(new TextEncoder().encode(`crossmargin-test/${label}`)));
}
export function addressOfKey(k: Hex): Hex {
  const pub = secp256k1.getPublicKey(Buffer.from(k.slice(2), "hex"), false);
  return bytesToHex(keccak_256(pub.subarray(1)).subarray(12));
}

/** Test genesis with oracle prices that stay fresh for a long time (the clock is wall time). */
export function apiGenesis() {
  return testGenesis({ maxOracleAgeMs: 100n * 365n * 86_400_000n, nonceWindowMs: 60_000n });
}

export function tmpDb(): string {
  return join(mkdtempSync(join(tmpdir(), "cm-api-")), "seq.db");
}

export async function startTest(over: Partial<SequencerConfig> = {}): Promise<RunningSequencer> {
  const cfg = validateConfig(
    {
      db: over.db ?? tmpDb(),
      port: 0,
      chainId: DOMAIN.chainId,
      rollup: DOMAIN.verifyingContract,
      devDeposits: true,
      signatureWorkers: 1,
      synchronous: "NORMAL",
      batchIntervalMs: 200,
      ...Object.fromEntries(Object.entries(over).filter(([k]) => k !== "genesis" && k !== "clock" && k !== "db")),
    },
    over.genesis ?? apiGenesis(),
  );
  if (over.clock) cfg.clock = over.clock;
  return startSequencer(cfg);
}

/** A signing client for one key: fresh millisecond nonces, EIP-712 signatures. */
export class Signer {
  readonly address: Hex;
  private last = 0n;
  constructor(
    readonly key: Hex,
    readonly domain: SigningDomain = DOMAIN,
  ) {
    this.address = addressOfKey(key);
  }
  nonce(): bigint {
    const now = BigInt(Date.now());
    this.last = now > this.last ? now : this.last + 1n;
    return this.last;
  }
  /** Signs `op` (account and type given, nonce filled in) and returns its JSON. */
  sign<T extends Omit<SignedOp, "nonce" | "signature">>(op: T, domain = this.domain): Record<string, unknown> {
    const full = { ...op, nonce: this.nonce(), signature: "0x" as Hex } as unknown as SignedOp;
    full.signature = signDigest(signingDigest(full, domain), this.key);
    return opToJson(full);
  }
}

export async function post(url: string, path: string, body: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(url + path, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: r.status, json: await r.json() };
}
export async function get(url: string, path: string): Promise<{ status: number; json: any }> {
  const r = await fetch(url + path);
  return { status: r.status, json: await r.json() };
}

export { CONFIG_DEFAULTS };
