/**
 * The what-if margin calculator through the API: a hedged book under isolated, cross and
 * portfolio margin side by side, each figure recomputed here from the governed parameters;
 * an existing account as it stands; bad input named by field.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createCrossmarginClient } from "../../../sdk/index.js";
import { accountOf } from "../../../sdk/test/fixtures.js";
import { createGenesisState } from "../../state/index.js";
import type { RunningSequencer } from "../../service.js";
import { apiGenesis, post, startTest } from "./helpers.js";

const USD = 1_000_000n;
const PPM = 1_000_000n;
const SIZE = 100_000_000n;
const ceil = (a: bigint, b: bigint) => (a + b - 1n) / b;
let seq: RunningSequencer;
beforeAll(async () => {
  seq = await startTest();
});
afterAll(() => seq?.close());

it("a hedged book: isolated and cross need both legs' initial margin, portfolio margin nets them", async () => {
  const params = createGenesisState(apiGenesis()).params;
  const body = { collateral: [String(20_000n * USD)], positions: [{ market: 0, size: String(SIZE), entryPrice: String(59_000n * USD) }, { market: 1, size: String(-20n * SIZE) }] };
  const { status, json } = await post(seq.url, "/v1/margin/what-if", body);
  expect(status).toBe(200);
  // BTC: 1 long at 60,000 (tier 1: 10% / 5%), bought at 59,000: +1,000 unrealized. ETH: 20 short at 3,000 (5% / 2.5%), at the mark.
  const legs = [
    { notional: 60_000n * USD, initial: 6_000n * USD, maintenance: 3_000n * USD, upnl: 1_000n * USD },
    { notional: 60_000n * USD, initial: 3_000n * USD, maintenance: 1_500n * USD, upnl: 0n },
  ];
  expect(json.positions.map((p: Record<string, string>) => ({ notional: BigInt(p.notional!), initial: BigInt(p.initial!), maintenance: BigInt(p.maintenance!), upnl: BigInt(p.upnl!) }))).toEqual(legs);
  const collateral = 20_000n * USD;
  const isolatedExcess = collateral - (6_000n - 1_000n) * USD - 3_000n * USD;
  const crossExcess = collateral + 1_000n * USD - 9_000n * USD;
  expect(json.isolated).toEqual({ initial: String(9_000n * USD), maintenance: String(4_500n * USD), excess: String(isolatedExcess) });
  expect(json.cross).toEqual({ initial: String(9_000n * USD), maintenance: String(4_500n * USD), excess: String(crossExcess) });
  // Portfolio: worst scenario over the correlation groups, never below the floor on gross notional.
  const net = new Array<bigint>(params.groupShocksPpm.length).fill(0n);
  const group = (m: number) => createGenesisState(apiGenesis()).markets[m]!.group;
  net[group(0)]! += 60_000n * USD * SIZE;
  net[group(1)]! -= 60_000n * USD * SIZE;
  const worst = net.reduce((t, n, g) => t + (n < 0n ? -n : n) * params.groupShocksPpm[g]!, 0n);
  const floor = 120_000n * USD * SIZE * params.portfolioFloorPpm;
  const pmInitial = ceil(worst > floor ? worst : floor, SIZE * PPM);
  expect(BigInt(json.portfolio.initial)).toBe(pmInitial);
  expect(BigInt(json.portfolio.maintenance)).toBe(ceil(pmInitial * params.portfolioMaintenancePpm, PPM));
  expect(BigInt(json.portfolio.excess)).toBe(collateral + 1_000n * USD - pmInitial);
  expect(BigInt(json.freedByCross)).toBe(crossExcess - isolatedExcess);
  expect(BigInt(json.freedByPortfolio)).toBe(collateral + 1_000n * USD - pmInitial - isolatedExcess);
});

it("an existing account as it stands, through the SDK; bad input is named", async () => {
  const alice = createCrossmarginClient({ url: seq.url, account: accountOf("whatif/alice") });
  const bob = createCrossmarginClient({ url: seq.url, account: accountOf("whatif/bob") });
  const A = (await alice.devDeposit({ asset: 0, amount: 50_000n * USD })).account;
  await bob.devDeposit({ asset: 0, amount: 50_000n * USD });
  expect((await alice.placeOrder({ market: 0, side: "sell", price: 60_000n * USD, size: SIZE / 2n, tif: "post-only" })).ok).toBe(true);
  expect((await bob.placeOrder({ market: 0, side: "buy", price: 60_000n * USD, size: SIZE / 2n, tif: "ioc" })).fills[0]?.ok).toBe(true);
  const r = await alice.whatIfMargin({ account: A });
  const acct = await alice.account();
  // The account's own position (isolated by default, its margin pooled back as cash).
  expect(r.positions).toEqual([{ market: 0, size: -SIZE / 2n, notional: 30_000n * USD, upnl: 0n, initial: 3_000n * USD, maintenance: 1_500n * USD }]);
  expect(r.collateralValue).toBe(acct.balances[0]! + acct.positions.reduce((t, p) => t + p.isolatedMargin, 0n));
  expect(r.cross.excess).toBe(r.collateralValue - 3_000n * USD);

  const bad = async (b: unknown) => (await post(seq.url, "/v1/margin/what-if", b)).json;
  expect(await bad({ account: 999 })).toMatchObject({ code: "ACCOUNT_UNKNOWN", field: "account" });
  expect(await bad({ collateral: ["1"], positions: [{ market: 9, size: "1" }] })).toMatchObject({ code: "INVALID_FIELD", field: "positions[0].market" });
  expect(await bad({ collateral: ["1"], positions: [{ market: 0, size: "0" }] })).toMatchObject({ code: "INVALID_FIELD", field: "positions[0].size" });
  expect(await bad({ collateral: ["1"], positions: [{ market: 0, size: "1" }, { market: 0, size: "2" }] })).toMatchObject({ code: "INVALID_FIELD", field: "positions[1].market" });
  expect(await bad({ collateral: ["x"], positions: [] })).toMatchObject({ code: "INVALID_FIELD" });
  expect(await bad({ account: 1, positions: [] })).toMatchObject({ code: "INVALID_FIELD" });
});
