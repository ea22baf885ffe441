/**
 * Distributed mode under faults, with traffic flowing: signed oracle updates arrive through
 * the SDK while post workers are killed with SIGKILL right after they broadcast a batch
 * (mid-send: recorded and sent, not yet mined or confirmed), two post workers run at once for
 * a while (the post queue's global concurrency keeps them from racing for nonces), and Redis
 * is restarted empty. Afterwards every sealed batch is on L1 exactly once, in order, with
 * its sealed root, and the verifier re-derives each from L1 and agrees.
 */
import type { ChildProcess } from "node:child_process";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createCrossmarginClient } from "../sdk/index.js";
import { DEVNET_ORACLE_KEY } from "../sequencer/devnet.js";
import { rollupAbi } from "../sequencer/l1/abi.js";
import { L1PostStore } from "../sequencer/l1/postStore.js";
import { bytesToHex } from "../sequencer/state/bytes.js";
import { kill, processName, type Stack, startStack, stopStack, until, verdicts } from "./stack.js";

const USD = 1_000_000n;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let stack: Stack | undefined;

beforeAll(async () => {
  stack = await startStack("distributed", { lockMs: 1500 });
}, 120_000);
afterAll(() => stopStack(stack));

it("post workers killed mid-send, two at once, Redis restarted: every batch on L1 once, in order, verified", async () => {
  const { seq, d, lines, redis } = stack!;
  const oracle = createCrossmarginClient({ url: seq.url, account: privateKeyToAccount(DEVNET_ORACLE_KEY), accountIndex: 0 });
  const store = new L1PostStore(seq.core.log.db);

  // Traffic: one signed oracle update every ~40 ms (each an op in the log), bounded in count and time.
  let sent = 0;
  let accepted = 0;
  let stopTraffic = false;
  let trafficError: Error | null = null;
  const traffic = (async () => {
    const t0 = Date.now();
    while (!stopTraffic && sent < 2_000 && Date.now() - t0 < 60_000) {
      const r = await oracle.submitOp(await oracle.signOracleUpdate({ timestamp: BigInt(Date.now()), prices: [{ kind: 0, id: 0, price: 60_000n * USD + BigInt(sent) }] }));
      sent++;
      if (r.ok) accepted++;
      await sleep(40);
    }
  })().catch((e: Error) => void (trafficError = e));

  const workers = () => stack!.workers.filter((w) => w.exitCode === null && w.signalCode === null && w.spawnargs.includes("post-worker"));
  /** Kills the running post worker right after its next broadcast. */
  const killAfterNextSend = async (w: ChildProcess) => {
    const from = lines.length;
    const name = processName.get(w)!;
    await until(lines, () => lines.slice(from).some((l) => l.startsWith(`[${name}]`) && l.includes('"event":"send"')), 30_000, `${name} broadcasting a batch`);
    await kill(w, "SIGKILL");
  };

  let midSendKills = 0;
  for (let round = 0; round < 3; round++) {
    const [w] = workers();
    expect(w, "a post worker is running").toBeDefined();
    await killAfterNextSend(w!);
    midSendKills++;
    stack!.startPostWorker();
    if (round === 1) {
      // Two workers at once for a while, then Redis restarted empty under both.
      stack!.startPostWorker();
      await sleep(1_500);
      await redis!.stop();
      await sleep(700);
      await redis!.start();
      await sleep(1_500);
      await kill(workers()[0]!, "SIGKILL");
    }
  }
  await sleep(1_000);
  stopTraffic = true;
  await traffic;
  expect(trafficError).toBeNull();
  expect(accepted).toBe(sent);
  expect(sent).toBeGreaterThan(20);

  // Everything sealed ends up confirmed on L1 (the size and interval seals keep running).
  await until(lines, () => {
    const last = seq.core.log.lastBatch();
    return last !== undefined && seq.core.unsealedOps() === 0 && store.confirmedThrough() === last.index;
  }, 90_000, "every sealed batch confirmed on L1");

  const rollup = d.clients.public;
  const n = Number(await rollup.readContract({ address: d.rollup, abi: rollupAbi, functionName: "nextBatchIndex" })) - 1;
  expect(n).toBe(seq.core.log.lastBatch()!.index + 1);
  // Once each, in order: the BatchSubmitted events are exactly 1..n, each the sealed batch.
  const events = await rollup.getContractEvents({ address: d.rollup, abi: rollupAbi, eventName: "BatchSubmitted", fromBlock: d.fromBlock });
  expect(events.map((e) => Number(e.args.batchIndex))).toEqual([...Array(n).keys()].map((i) => i + 1));
  for (const e of events) expect(e.args.header!.newStateRoot).toBe(bytesToHex(seq.core.log.batch(Number(e.args.batchIndex) - 1)!.postRoot));
  const confirmed = store.withStatus("confirmed").map((r) => r.batchIndex);
  expect(confirmed).toEqual([...Array(n).keys()]);
  // Every op the log holds is in a batch on L1.
  expect(seq.core.log.lastBatch()!.toSeq).toBe(seq.core.log.lastSeq());
  expect(midSendKills).toBe(3);

  const seen = await verdicts(stack!, n);
  for (let i = 1; i <= n; i++) {
    expect(seen.get(i)?.status, `batch ${i}`).toBe("verified");
    expect(seen.get(i)!.derivedRoot).toBe(bytesToHex(seq.core.log.batch(i - 1)!.postRoot));
  }
}, 240_000);
