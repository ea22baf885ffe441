/**
 * The sequencer in L1 mode beside a verifier, on a real anvil, as an operator watches them:
 * L1 deposits and signed transfers through HTTP, batches posted and confirmed, and then
 * exact figures from the three places an operator looks: GET /v1/verifier (the verifier's
 * judgement with its root checked against the sequencer's), the sequencer's /metrics (ops,
 * sealed batches, the poster's outcomes, derivation) and the verifier's /metrics.
 */
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createCrossmarginClient } from "../sdk/index.js";
import { validateConfig } from "../sequencer/config.js";
import { depositOnL1, type Chain, GENESIS, setupChain, tmpDb, until } from "../sequencer/l1/test/helpers.js";
import { type RunningSequencer, startSequencer } from "../sequencer/service.js";
import { bytesToHex } from "../sequencer/state/bytes.js";
import { Signer } from "../sequencer/api/test/helpers.js";
import { Verifier } from "../prover/verifier.js";
import { metric, scrape } from "./prometheus.js";

let c: Chain;
let seq: RunningSequencer | null = null;
let verifier: Verifier | null = null;
let ticker: ReturnType<typeof setInterval> | null = null;

beforeAll(async () => {
  c = await setupChain();
}, 120_000);
afterAll(async () => {
  if (ticker) clearInterval(ticker);
  await seq?.close();
  await verifier?.close();
  await c?.anvil.stop();
});

it("GET /v1/verifier and both /metrics report exactly the deposits, transfers and batches done", async () => {
  verifier = new Verifier({ client: c.d.clients.public, rollup: c.d.rollup, fromBlock: c.d.fromBlock, genesis: GENESIS, db: tmpDb().replace(/seq\.db$/, "verifier.db"), pollMs: 50, progress: false });
  const verifierUrl = `http://127.0.0.1:${await verifier.serve(0)}`;
  verifier.start();
  const cfg = validateConfig(
    {
      db: tmpDb(),
      port: 0,
      chainId: BigInt(c.anvil.chainId),
      rollup: c.d.rollup,
      synchronous: "NORMAL",
      signatureWorkers: 1,
      l1: { rpcUrl: c.anvil.url, fromBlock: c.d.fromBlock, sequencerKey: c.anvil.accounts[1]!.privateKey, confirmations: 1, postConfirmations: 2, pollMs: 50 },
      verifierUrl,
    },
    GENESIS,
  );
  seq = await startSequencer({ ...cfg, l1Log: () => {} });
  const s = seq;
  // Blocks keep coming (confirmation depths need them), as on a real chain.
  ticker = setInterval(() => void c.anvil.mine(1).catch(() => {}), 200);

  // Two L1 deposits, credited through the deriver.
  const [alice, bob] = c.depositors as [Chain["depositors"][0], Chain["depositors"][0]];
  let enqueued = 0;
  for (const who of [alice, bob]) enqueued += (await depositOnL1(c, who, 0, 1_000_000_000n)).length;
  await until(() => s.core.state.accounts.length === 2, 30_000, "both deposits credited");
  const A = s.core.state.accounts.findIndex((a) => a.owner === alice.address.toLowerCase());
  const B = 1 - A;

  // Three transfers through HTTP, signed for this chain and Rollup.
  const signer = new Signer(alice.privateKey, c.domain);
  for (let i = 0; i < 3; i++) {
    const r = await fetch(`${s.url}/v1/op`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(signer.sign({ type: "Transfer", account: A, to: B, asset: 0, amount: 1_000n + BigInt(i) })) });
    expect(((await r.json()) as { ok: boolean }).ok).toBe(true);
  }

  // Everything sealed, confirmed on L1 and verified.
  await until(() => s.core.unsealedOps() === 0, 10_000, "the transfers sealed");
  const sealed = s.core.log.lastBatch()!.index + 1;
  await until(() => s.l1!.status().confirmedThrough === sealed - 1, 30_000, `L1 batch ${sealed} confirmed`);
  await verifier.waitUntil((v) => v.verifiedThrough === sealed, 30_000, `L1 batch ${sealed} verified`);

  const v = (await (await fetch(`${s.url}/v1/verifier`)).json()) as Record<string, any>;
  const root = bytesToHex(s.core.log.batch(sealed - 1)!.postRoot);
  expect(v).toMatchObject({
    url: verifierUrl,
    state: "following",
    lastVerified: { batch: sealed, root, sequencerRoot: root, agrees: true },
    verifiedThrough: sealed,
    lastBatch: sealed,
    verified: sealed,
    disputed: 0,
    disputes: [],
    lag: { l1Batches: 0, sealedBatches: 0 },
    lastError: null,
  });
  // The SDK's typed view of the same answer.
  const report = await createCrossmarginClient({ url: s.url, account: privateKeyToAccount(alice.privateKey) }).verifier();
  expect(report.lastVerified).toEqual({ batch: sealed, root, sequencerRoot: root, agrees: true, txHash: v.lastVerified.txHash, l1Block: BigInt(v.lastVerified.l1Block) });
  expect(report.disputes).toEqual([]);
  // A second request: the verifier may have read a newer block in between (blocks keep coming).
  expect(report.l1Block).toBeGreaterThanOrEqual(BigInt(v.l1Block));

  const m = await scrape(`${s.url}/metrics`);
  expect(metric(m, "crossmargin_ops_accepted_total", { type: "Transfer" })).toBe(3);
  expect(metric(m, "crossmargin_ops_refused_total")).toBeUndefined();
  expect(metric(m, "crossmargin_batches_sealed_total")).toBe(sealed);
  expect(metric(m, "crossmargin_unsealed_ops")).toBe(0);
  expect(metric(m, "crossmargin_log_seq")).toBe(enqueued + 3);
  expect(metric(m, "crossmargin_derivation_included_total")).toBe(enqueued);
  expect(metric(m, "crossmargin_derivation_queue_lag_items")).toBe(0);
  expect(metric(m, "crossmargin_derivation_stopped")).toBe(0);
  expect(metric(m, "crossmargin_derivation_head_block")).toBeGreaterThan(0);
  expect(metric(m, "crossmargin_poster_confirmed_through_batch")).toBe(sealed);
  expect(metric(m, "crossmargin_poster_unconfirmed_batches")).toBe(0);
  expect(metric(m, "crossmargin_poster_failed")).toBe(0);
  expect(metric(m, "crossmargin_poster_events_total", { event: "confirmed" })).toBe(sealed);
  expect(metric(m, "crossmargin_poster_events_total", { event: "attempts" })).toBeGreaterThanOrEqual(sealed);
  expect(metric(m, "crossmargin_poster_events_total", { event: "mined" })).toBeGreaterThanOrEqual(sealed);
  expect(metric(m, "crossmargin_api_request_duration_seconds_count", { route: "/v1/op", status: "200" })).toBe(3);

  const vm = await scrape(`${verifierUrl}/metrics`);
  expect(metric(vm, "crossmargin_verifier_batches_judged_total", { verdict: "verified" })).toBe(sealed);
  expect(metric(vm, "crossmargin_verifier_batches_judged_total", { verdict: "dispute" })).toBe(0);
  expect(metric(vm, "crossmargin_verifier_replayed_ops_total")).toBe(enqueued + 3);
  expect(metric(vm, "crossmargin_verifier_verified_through_batch")).toBe(sealed);
}, 90_000);
