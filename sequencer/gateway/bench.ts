/**
 * What a gateway costs: the same traffic direct to the sequencer and through one gateway,
 * both as child processes (`crossmargin sequencer --dev-deposits`, `crossmargin gateway`),
 * the load from this process. Bounded: a fixed number of requests per phase.
 *
 *   npx tsx sequencer/gateway/bench.ts [--ops 3000] [--queries 2000] [--clients 8]
 *
 * Prints one JSON line per figure. Phases: sequential GETs of a book (latency), then signed
 * transfers, one op per POST /v1/op, `clients` closed loops (throughput and ack latency).
 * Every op is pre-signed (native secp256k1) so signing does not load the timed phase.
 */
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { SequencerChild } from "../api/test/child.js";
import { opToJson } from "../api/schema.js";
import { bytesToHex } from "../state/bytes.js";
import { signingDigest } from "../state/index.js";
import type { Transfer } from "../state/ops.js";
import { GatewayChild } from "./test/child.js";

const secp: {
  ecdsaSign(msg: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
  publicKeyCreate(key: Uint8Array, compressed: boolean): Uint8Array;
} = createRequire(import.meta.url)("secp256k1");

const { values } = parseArgs({ options: { ops: { type: "string" }, queries: { type: "string" }, clients: { type: "string" } }, strict: true });
const OPS = Number(values.ops ?? 3000);
const QUERIES = Number(values.queries ?? 2000);
const CLIENTS = Number(values.clients ?? 8);
for (const [k, v] of Object.entries({ ops: OPS, queries: QUERIES, clients: CLIENTS })) {
  if (!Number.isSafeInteger(v) || v < 1 || v > 100_000) throw new Error(`--${k}: an integer in 1..100000`);
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const emit = (name: string, value: number, unit: string) => console.log(JSON.stringify({ name, value: Math.round(value * 100) / 100, unit }));

const dir = mkdtempSync(join(tmpdir(), "cm-gw-bench-"));
const seq = await SequencerChild.start(["--db", join(dir, "seq.db"), "--port", "0", "--dev-deposits", "--rate-limit", "0", "--synchronous", "NORMAL"]);
const gw = await GatewayChild.start(["--upstream", seq.url, "--port", "0", "--rate-limit", "0"]);
try {
  const info = (await (await fetch(`${seq.url}/v1/info`)).json()) as { chainId: string; verifyingContract: `0x${string}` };
  const domain = { chainId: BigInt(info.chainId), verifyingContract: info.verifyingContract };
  // One funded account per client, plus a receiver.
  const keys = Array.from({ length: CLIENTS + 1 }, (_, i) => keccak_256(new TextEncoder().encode(`crossmargin-gw-bench/${i}`)));
  const accounts: number[] = [];
  for (const k of keys) {
    const owner = bytesToHex(keccak_256(secp.publicKeyCreate(k, false).subarray(1)).subarray(12));
    const r = await fetch(`${seq.url}/v1/dev/deposit`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ owner, asset: 0, amount: "1000000000000" }) });
    accounts.push(((await r.json()) as { account: number }).account);
  }
  let nonce = BigInt(Date.now());
  const signed = (c: number): string => {
    const op: Transfer = { type: "Transfer", account: accounts[c]!, nonce: ++nonce, to: accounts[CLIENTS]!, asset: 0, amount: 1n, signature: "0x" };
    const { signature, recid } = secp.ecdsaSign(signingDigest(op, domain), keys[c]!);
    const sig = new Uint8Array(65);
    sig.set(signature);
    sig[64] = 27 + recid;
    op.signature = bytesToHex(sig);
    return JSON.stringify(opToJson(op));
  };

  for (const [label, base] of [
    ["direct", seq.url],
    ["gateway", gw.url],
  ] as const) {
    const lat: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const t = performance.now();
      const r = await fetch(`${base}/v1/markets/0/book?levels=5`);
      await r.arrayBuffer();
      lat.push(performance.now() - t);
    }
    emit(`gateway_bench.query_p50_ms.${label}`, pct(lat, 50), "ms");
    emit(`gateway_bench.query_p99_ms.${label}`, pct(lat, 99), "ms");

    const queues = Array.from({ length: CLIENTS }, (_, c) => Array.from({ length: Math.ceil(OPS / CLIENTS) }, () => signed(c)));
    const acks: number[] = [];
    let refused = 0;
    const t0 = performance.now();
    await Promise.all(
      queues.map(async (q) => {
        for (const body of q) {
          const t = performance.now();
          const r = await fetch(`${base}/v1/op`, { method: "POST", headers: { "content-type": "application/json" }, body });
          await r.arrayBuffer();
          if (r.status !== 200) refused++;
          acks.push(performance.now() - t);
        }
      }),
    );
    const s = (performance.now() - t0) / 1000;
    if (refused > 0) throw new Error(`${label}: ${refused} ops refused`);
    emit(`gateway_bench.ops_per_s.${label}`, acks.length / s, "ops/s");
    emit(`gateway_bench.ack_p50_ms.${label}`, pct(acks, 50), "ms");
    emit(`gateway_bench.ack_p99_ms.${label}`, pct(acks, 99), "ms");
  }
} finally {
  await gw.stop("SIGTERM");
  await seq.kill();
}
