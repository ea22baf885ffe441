/**
 * NAV history through the real sequencer: an account's net value after each sealed batch,
 * following its trades and the oracle marks, exact to the unit; a range replays once.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createCrossmarginClient, type CrossmarginClient } from "../../../sdk/index.js";
import { accountOf } from "../../../sdk/test/fixtures.js";
import type { RunningSequencer } from "../../service.js";
import { apiGenesis, get, startTest } from "./helpers.js";

const USD = 1_000_000n;
const oracleKey = accountOf("nav/oracle");
let seq: RunningSequencer;
beforeAll(async () => {
  seq = await startTest({ genesis: { ...apiGenesis(), oracleSigners: [oracleKey.address.toLowerCase() as `0x${string}`] } });
});
afterAll(() => seq?.close());

async function sealedBatch(c: CrossmarginClient, s: bigint): Promise<number> {
  for (let t = Date.now(); Date.now() - t < 5_000; await new Promise((r) => setTimeout(r, 50))) {
    const o = await c.op(s);
    if (o.batch !== null) return o.batch + 1;
  }
  throw new Error(`op ${s} not sealed`);
}

it("follows deposits, a trade and the marks after each batch; errors name the field", async () => {
  const [alice, bob] = ["nav/alice", "nav/bob"].map((l) => createCrossmarginClient({ url: seq.url, account: accountOf(l) })) as [CrossmarginClient, CrossmarginClient];
  const oracle = createCrossmarginClient({ url: seq.url, account: oracleKey, accountIndex: 0 });
  const price = async (p: bigint) => {
    const r = await oracle.submitOp(await oracle.signOracleUpdate({ timestamp: BigInt(Date.now()), prices: [{ kind: 0, id: 0, price: p }] }));
    expect(r.ok).toBe(true);
    return sealedBatch(oracle, r.seq);
  };
  const A = (await alice.devDeposit({ asset: 0, amount: 100_000n * USD })).account;
  await bob.devDeposit({ asset: 0, amount: 100_000n * USD });
  const b60 = await price(60_000n * USD);
  await alice.placeOrder({ market: 0, side: "sell", price: 60_000n * USD, size: 10_000_000n, tif: "post-only" });
  const fill = (await bob.placeOrder({ market: 0, side: "buy", price: 60_000n * USD, size: 10_000_000n, tif: "ioc" })).fills[0]!;
  const bTrade = await sealedBatch(bob, fill.seq);
  const b61 = await price(61_000n * USD);
  const b59 = await price(59_000n * USD);

  const h = (await get(seq.url, `/v1/accounts/${A}/nav?from=1&to=${b59}`)).json;
  // The SDK reads the same history, in bigints.
  const viaSdk = await alice.nav({ from: 1, to: b59 });
  expect(viaSdk.points.map((p) => [p.batch, p.nav])).toEqual(h.points.map((p: { batch: number; nav: string }) => [p.batch, BigInt(p.nav)]));
  expect(h).toMatchObject({ account: A, from: 1, to: b59, finalizedThrough: null });
  const at = (b: number) => h.points.find((p: { batch: number }) => p.batch === b);
  // A short of 0.1 BTC opened at 60,000: NAV moves by −0.1 × (mark − 60,000).
  expect(BigInt(at(b60).nav)).toBe(100_000n * USD);
  expect(BigInt(at(bTrade).nav)).toBe(100_000n * USD);
  expect(BigInt(at(b61).nav)).toBe(100_000n * USD - 100n * USD);
  expect(BigInt(at(b59).nav)).toBe(100_000n * USD + 100n * USD);
  expect(at(b59).openMarkets).toEqual([0]);
  expect(BigInt(at(b59).positionsValue)).toBe(BigInt(at(b59).nav) - BigInt(at(b59).settlementBalance));
  // Every point's root is its sealed batch's.
  for (const p of h.points) expect(p.root).toBe((await get(seq.url, `/v1/batches/${p.batch - 1}`)).json.postRoot);
  expect(h.points.map((p: { batch: number }) => p.batch)).toEqual([...Array(b59 - h.points[0].batch + 1).keys()].map((i) => h.points[0].batch + i));

  expect((await get(seq.url, `/v1/accounts/${A}/nav?from=${b59 + 50}`)).json).toMatchObject({ code: "INVALID_FIELD", field: "from" });
  expect((await get(seq.url, `/v1/accounts/${A}/nav?to=${b59 + 50}`)).json).toMatchObject({ code: "BATCH_UNKNOWN", field: "to" });
  expect((await get(seq.url, `/v1/accounts/999/nav?from=1&to=${b59}`)).json).toMatchObject({ code: "ACCOUNT_UNKNOWN", field: "index" });
  expect((await get(seq.url, `/v1/accounts/${A}/nav?from=x`)).json).toMatchObject({ code: "INVALID_FIELD", field: "from" });
}, 30_000);
