/**
 * Distributed mode with a real redis-server: the BullMQ job scheduler seals batches on the
 * interval in the sequencer process; post jobs are queued once per batch (jobId = index);
 * Redis killed and restarted (empty) mid-run loses no batch and duplicates none.
 */
import { afterEach, expect, it } from "vitest";
import { openCore } from "../../service.js";
import { owner } from "../../state/test/fixtures.js";
import { apiGenesis, tmpDb } from "../../api/test/helpers.js";
import { startDistributedSealing, startPostWorker, type DistributedSealing } from "../scheduler.js";
import { isLoopbackRedisUrl } from "../redis.js";
import { RedisServer } from "./redisServer.js";
import type { Worker } from "bullmq";

const T0 = 1_767_000_000_000n;
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup() {
  const { core } = openCore({ db: tmpDb(), genesis: apiGenesis(), batchMaxOps: 1_000_000, snapshotEveryOps: 1_000_000, synchronous: "NORMAL", clock: () => T0 });
  cleanup.push(() => core.log.close());
  let q = 0n;
  const deposit = () => core.submitL1Input({ type: "Deposit", queueIndex: q, account: Number(q % 4n), owner: owner(Number(q++ % 4n)), asset: 0, amount: 1_000_000n });
  return { core, deposit, deposits: () => q };
}

function checkContiguous(core: ReturnType<typeof setup>["core"]) {
  let next = 1;
  let n = 0;
  for (let i = 0; core.log.batch(i); i++, n++) {
    const b = core.log.batch(i)!;
    expect(b.index).toBe(i);
    expect(b.fromSeq).toBe(next);
    next = b.toSeq + 1;
  }
  return { batches: n, coveredTo: next - 1 };
}

it("loopback check", () => {
  expect(isLoopbackRedisUrl("redis://127.0.0.1:6379")).toBe(true);
  expect(isLoopbackRedisUrl("redis://localhost:6379/2")).toBe(true);
  expect(isLoopbackRedisUrl("redis://10.0.0.1:6379")).toBe(false);
  expect(isLoopbackRedisUrl("http://127.0.0.1:6379")).toBe(false);
});

it("the job scheduler seals batches on the interval; post jobs run once per batch", async () => {
  const redis = await RedisServer.start();
  cleanup.push(() => redis.stop());
  const { core, deposit } = setup();
  const prefix = `t${Date.now()}`;
  const sealing: DistributedSealing = await startDistributedSealing({ core, redisUrl: redis.url, intervalMs: 100, prefix, onError: () => {} });
  cleanup.push(() => sealing.close());
  const posted: number[] = [];
  let failOnce = true;
  const worker: Worker = startPostWorker(redis.url, async ({ batchIndex }) => {
    // The first attempt of batch 1 fails: it is retried (with backoff), not lost.
    if (batchIndex === 1 && failOnce) {
      failOnce = false;
      throw new Error("L1 unavailable");
    }
    posted.push(batchIndex);
  }, { prefix });
  cleanup.push(() => worker.close());

  const t0 = Date.now();
  while (Date.now() - t0 < 1500) {
    deposit();
    await sleep(20);
  }
  await sleep(400);
  const { batches, coveredTo } = checkContiguous(core);
  expect(batches).toBeGreaterThanOrEqual(5);
  expect(batches).toBeLessThanOrEqual(25);
  expect(coveredTo).toBe(core.log.lastSeq());
  const deadline = Date.now() + 5000;
  while (posted.length < batches && Date.now() < deadline) await sleep(50);
  expect([...posted].sort((a, b) => a - b)).toEqual([...Array(batches).keys()]);
  expect(failOnce).toBe(false);
}, 20_000);

it("redis-server killed and restarted mid-run: no batch lost or duplicated", async () => {
  const redis = await RedisServer.start();
  cleanup.push(() => redis.stop());
  const { core, deposit } = setup();
  const prefix = `t${Date.now()}`;
  const sealing = await startDistributedSealing({ core, redisUrl: redis.url, intervalMs: 100, prefix, onError: () => {} });
  cleanup.push(() => sealing.close());
  // The post handler is idempotent by batch index (as the L1 poster is): effects counted once.
  const effects = new Map<number, number>();
  let runs = 0;
  const worker = startPostWorker(redis.url, async ({ batchIndex }) => {
    runs++;
    if (!effects.has(batchIndex)) effects.set(batchIndex, 1);
  }, { prefix });
  cleanup.push(() => worker.close());

  const drive = async (ms: number) => {
    const t = Date.now();
    while (Date.now() - t < ms) {
      deposit();
      await sleep(20);
    }
  };
  await drive(800);
  const before = checkContiguous(core).batches;
  expect(before).toBeGreaterThanOrEqual(3);
  await redis.stop();
  await drive(600); // ops keep arriving; nothing seals while Redis is down
  await redis.start();
  await drive(1200);
  await sleep(400);
  const { batches, coveredTo } = checkContiguous(core);
  expect(batches).toBeGreaterThan(before);
  expect(coveredTo).toBe(core.log.lastSeq());
  expect(sealing.stats.ensures).toBeGreaterThanOrEqual(2);
  const deadline = Date.now() + 5000;
  while (effects.size < batches && Date.now() < deadline) await sleep(50);
  expect([...effects.keys()].sort((a, b) => a - b)).toEqual([...Array(batches).keys()]);
  expect(runs).toBeGreaterThanOrEqual(batches);
}, 25_000);
