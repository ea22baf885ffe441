/**
 * The byte cap of sealed batches: no batch's data (the codec's, what L1 receives) exceeds
 * `batchMaxBytes`, even when an order's fills straddle the cap; a restart over such a log
 * (snapshots on) replays to the same root.
 */
import { expect, it } from "vitest";
import { sealedBatchData } from "../../codec/index.js";
import { openCore } from "../../service.js";
import { opDataBound, quickDataBound } from "../sequencer.js";
import { bytesToHex } from "../../state/bytes.js";
import { FLAG_SELL } from "../../state/constants.js";
import { stateRoot } from "../../state/index.js";
import { owner } from "../../state/test/fixtures.js";
import { apiGenesis, tmpDb } from "../../api/test/helpers.js";

const USD = 1_000_000n;
const T0 = 1_767_000_000_000n;
const SIG = `0x${"00".repeat(65)}` as const;

function run(batchMaxBytes: number) {
  const db = tmpDb();
  const cfg = { db, genesis: apiGenesis(), batchMaxOps: 1_000_000, batchMaxBytes, snapshotEveryOps: 1, synchronous: "NORMAL" as const, clock: () => T0 };
  const { core } = openCore(cfg);
  for (const account of [0, 1]) core.submitL1Input({ type: "Deposit", queueIndex: BigInt(account), account, owner: owner(account), asset: 0, amount: 10_000_000n * USD });
  let nonce = T0;
  const order = (account: number, sell: boolean, size: bigint) =>
    ({ type: "PlaceOrder", account, nonce: nonce++, market: 0, flags: sell ? FLAG_SELL : 0, price: 60_000n * USD, size, expiry: 0n, clientOrderId: 0n, signature: SIG }) as const;
  let fills = 0;
  for (let round = 0; round < 12; round++) {
    // Eight resting sells, then one buy that takes them all: a PlaceOrder and eight fills.
    for (let i = 0; i < 8; i++) core.submit(order(0, true, 10_000n), { signer: owner(0) });
    fills += core.submit(order(1, false, 80_000n), { signer: owner(1) }).fills.length;
  }
  core.sealBatch();
  core.log.flush();
  const batches = [];
  for (let i = 0; core.log.batch(i); i++) batches.push({ ...core.log.batch(i)!, bytes: sealedBatchData(core.log, i).length });
  const root = bytesToHex(stateRoot(core.state));
  // The O(1) bound the core accumulates is an upper bound of the codec's exact size, per op.
  for (const o of core.log.readFrom(1)) expect(quickDataBound(o.bytes)).toBeGreaterThanOrEqual(opDataBound(o.bytes));
  core.log.close();
  return { db, cfg, batches, fills, root };
}

it("no sealed batch's data exceeds the byte cap; the batches cover the log without gaps; restart replays to the same root", () => {
  const uncapped = run(1_000_000);
  // The workload is larger than the cap used below (so the cap is what splits it).
  expect(uncapped.batches.length).toBe(1);
  expect(uncapped.batches[0]!.bytes).toBeGreaterThan(4 * 2048);
  expect(uncapped.fills).toBe(12 * 8);

  const capped = run(2048);
  expect(capped.root).toBe(uncapped.root);
  expect(capped.batches.length).toBeGreaterThanOrEqual(4);
  let next = 1;
  for (const b of capped.batches) {
    expect(b.bytes).toBeLessThanOrEqual(2048);
    expect(b.fromSeq).toBe(next);
    next = b.toSeq + 1;
  }
  for (let i = 1; i < capped.batches.length; i++) expect(capped.batches[i]!.preRoot).toEqual(capped.batches[i - 1]!.postRoot);
  // Batches filled close to the cap (not cut early): all but the last above half of it.
  for (const b of capped.batches.slice(0, -1)) expect(b.bytes).toBeGreaterThan(1024);

  const again = openCore(capped.cfg);
  expect(bytesToHex(stateRoot(again.core.state))).toBe(capped.root);
  again.core.log.close();
});

it("the O(1) data bound covers the codec's worst case of every fixed-size selector (all fields at their maximum)", async () => {
  const { SCHEMA } = await import("../../codec/index.js");
  const { ORACLE_SELECTOR } = await import("../../codec/schema.js");
  let checked = 0;
  for (const [sel, fields] of SCHEMA.entries()) {
    if (sel === ORACLE_SELECTOR) continue;
    const body = fields.reduce((t, f) => t + f.width, 0);
    for (const fill of [0xff, 0x7f, 0x01]) {
      const el = new Uint8Array(12 + 1 + body).fill(fill);
      el.set([12, 0, 0, 0], 8);
      el[12] = sel;
      let exact: number;
      try {
        exact = opDataBound(el);
      } catch {
        continue; // a value the codec refuses (e.g. a raw u8 out of range) is not an op
      }
      expect(quickDataBound(el), `selector ${sel} fill ${fill}`).toBeGreaterThanOrEqual(exact);
      checked++;
    }
  }
  expect(checked).toBeGreaterThanOrEqual(SCHEMA.length);
});
