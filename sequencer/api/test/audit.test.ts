/**
 * The audit trail through the real sequencer: a liquidation (with any waterfall steps) is
 * queryable by account (liquidated or liquidator), market and batch, with the operation's
 * batch and index; exported as CSV; unchanged (no duplicates) after a restart; and a row left
 * past the log's end by a crash is dropped on open.
 */
import Database from "better-sqlite3";
import { afterEach, expect, it } from "vitest";
import { createCrossmarginClient } from "../../../sdk/index.js";
import { accountOf } from "../../../sdk/test/fixtures.js";
import type { RunningSequencer } from "../../service.js";
import { apiGenesis, get, startTest, tmpDb } from "./helpers.js";

const USD = 1_000_000n;
const BTC = 0;
const oracleKey = accountOf("audit/oracle");
const running: RunningSequencer[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.close();
});

async function start(db: string) {
  const s = await startTest({ db, genesis: { ...apiGenesis(), oracleSigners: [oracleKey.address.toLowerCase() as `0x${string}`] } });
  running.push(s);
  return s;
}

it("a liquidation: by account, market and batch, as JSON and CSV, stable across a restart", async () => {
  const db = tmpDb();
  let seq = await start(db);
  const [alice, bob, carol] = ["audit/alice", "audit/bob", "audit/carol"].map((l) => createCrossmarginClient({ url: seq.url, account: accountOf(l) }));
  const oracle = createCrossmarginClient({ url: seq.url, account: oracleKey, accountIndex: 0 });
  const price = async (p: bigint) => expect((await oracle.submitOp(await oracle.signOracleUpdate({ timestamp: BigInt(Date.now()), prices: [{ kind: 0, id: BTC, price: p }] }))).ok).toBe(true);
  const A = (await alice!.devDeposit({ asset: 0, amount: 1_000n * USD })).account;
  const B = (await bob!.devDeposit({ asset: 0, amount: 1_000_000n * USD })).account;
  const C = (await carol!.devDeposit({ asset: 0, amount: 1_000_000n * USD })).account;
  await price(60_000n * USD);
  expect((await alice!.placeOrder({ market: BTC, side: "sell", price: 60_000n * USD, size: 10_000_000n, tif: "post-only" })).ok).toBe(true);
  expect((await bob!.placeOrder({ market: BTC, side: "buy", price: 60_000n * USD, size: 10_000_000n, tif: "ioc" })).fills[0]?.ok).toBe(true);
  // Up 13% in steps within the oracle's sanity band: alice's short is below maintenance.
  for (const p of [64_000n, 68_000n]) await price(p * USD);
  const liq = await carol!.liquidate(A, BTC);
  expect(liq.ok).toBe(true);
  const kinds = liq.events.map((e) => e.kind);
  expect(kinds).toContain("Liquidation");
  const expected = liq.events.map((e, i) => ({ e, i })).filter(({ e }) => ["Liquidation", "Waterfall", "Deleveraged"].includes(e.kind));

  // Sealed: rows carry the batch and the op's index in it.
  await new Promise((r) => setTimeout(r, 500));
  const op = await carol!.op(liq.seq);
  expect(op.batch).not.toBeNull();
  const batch = await get(seq.url, `/v1/batches/${op.batch}`);

  const byAccount = (await get(seq.url, `/v1/audit?account=${A}`)).json;
  expect(byAccount.entries).toHaveLength(expected.length);
  byAccount.entries.forEach((r: Record<string, unknown>, j: number) => {
    expect(r).toMatchObject({ seq: Number(liq.seq), eventIndex: expected[j]!.i, kind: expected[j]!.e.kind, account: A, batch: op.batch, opIndex: Number(liq.seq) - Number(batch.json.fromSeq) });
  });
  expect(byAccount.entries[0]).toMatchObject({ kind: "Liquidation", counterparty: C, market: BTC });
  // The liquidator finds it too; bob (no part in it) does not.
  expect((await get(seq.url, `/v1/audit?account=${C}&kind=Liquidation`)).json.entries).toHaveLength(1);
  expect((await get(seq.url, `/v1/audit?account=${B}`)).json.entries).toHaveLength(0);
  // By market: the waterfall steps come with their liquidation.
  expect((await get(seq.url, `/v1/audit?market=${BTC}`)).json.entries).toHaveLength(expected.length);
  expect((await get(seq.url, `/v1/audit?market=1`)).json.entries).toHaveLength(0);
  expect((await get(seq.url, `/v1/audit?batch=${op.batch}`)).json.entries).toHaveLength(expected.length);
  expect((await get(seq.url, `/v1/audit?batch=${op.batch! + 100}`)).json.entries).toHaveLength(0);
  const socialized = expected.filter(({ e }) => e.kind === "Waterfall" && (e as { step: string }).step === "socialized").length;
  expect((await get(seq.url, "/v1/audit?socialized=true")).json.entries).toHaveLength(socialized);

  // CSV: a header and one line per event, amounts in atoms.
  const csv = await (await fetch(`${seq.url}/v1/audit?account=${A}&format=csv`)).text();
  const lines = csv.trim().split("\n");
  expect(lines[0]).toBe("seq,batch,opIndex,eventIndex,kind,account,counterparty,market,step,size,price,notional,penalty,bankruptcyPrice,amount,asset,seized");
  expect(lines).toHaveLength(expected.length + 1);
  const liqEvent = expected[0]!.e as { size: bigint; price: bigint; penalty: bigint };
  expect(lines[1]).toBe(`${liq.seq},${op.batch},${Number(liq.seq) - Number(batch.json.fromSeq)},${expected[0]!.i},Liquidation,${A},${C},${BTC},,${liqEvent.size},${liqEvent.price},${(expected[0]!.e as { notional: bigint }).notional},${liqEvent.penalty},,,,`);

  // Bad queries name the field.
  expect((await get(seq.url, "/v1/audit?kind=Bogus")).json).toMatchObject({ code: "INVALID_FIELD", field: "kind" });
  expect((await get(seq.url, "/v1/audit?account=-1")).json).toMatchObject({ code: "INVALID_FIELD", field: "account" });
  expect((await get(seq.url, "/v1/audit?format=xml")).json).toMatchObject({ code: "INVALID_FIELD", field: "format" });

  // Restart: the replay re-indexes nothing twice; a stale row past the log's end is dropped.
  const before = (await get(seq.url, "/v1/audit")).json.entries;
  await seq.close();
  running.splice(0);
  const raw = new Database(db);
  const last = (raw.prepare("SELECT MAX(seq) AS s FROM ops").get() as { s: number }).s;
  raw.prepare("INSERT INTO audit_events (seq, idx, kind, account, event) VALUES (?, 0, 'Liquidation', 0, '{}')").run(last + 5);
  raw.close();
  seq = await start(db);
  expect((await get(seq.url, "/v1/audit")).json.entries).toEqual(before);
}, 60_000);
