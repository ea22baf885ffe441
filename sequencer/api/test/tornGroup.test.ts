/**
 * An op and the fills it caused reach the op log in one transaction, even when the queue
 * flushed at once is larger than the log's default group (4096 items). Before, the flush
 * split it into transactions of 4096: with 4095 items queued ahead of a crossing order, the
 * PlaceOrder closed the first transaction and its Fill opened the second, and when that one
 * did not commit (I/O error, or SIGKILL between the two commits) the log ended with the
 * PlaceOrder alone — and the sequencer refused to restart ("the log ended where the replay
 * produced Fill").
 */
import Database from "better-sqlite3";
import { expect, it } from "vitest";
import { openCore } from "../../service.js";
import { bytesToHex } from "../../state/bytes.js";
import { FLAG_SELL } from "../../state/constants.js";
import { stateRoot } from "../../state/index.js";
import { owner } from "../../state/test/fixtures.js";
import { recover } from "../../storage/index.js";
import { apiGenesis, tmpDb } from "./helpers.js";

const USD = 1_000_000n;
const SIG = `0x${"00".repeat(65)}` as const;

it("a flush larger than 4096 items never leaves a PlaceOrder on disk without its fills", () => {
  const db = tmpDb();
  // No batch cap may seal (and so flush) in the middle of the burst below.
  const cfg = { db, genesis: apiGenesis(), batchMaxOps: 1_000_000, batchMaxBytes: Number.MAX_SAFE_INTEGER, snapshotEveryOps: 1_000_000_000, synchronous: "NORMAL" as const };
  const { core } = openCore(cfg);
  let queueIndex = 0n;
  for (const account of [0, 1]) core.submitL1Input({ type: "Deposit", queueIndex: queueIndex++, account, owner: owner(account), asset: 0, amount: 1_000_000n * USD });
  const now = BigInt(Date.now());
  const order = (account: number, sell: boolean, nonce: bigint) =>
    ({ type: "PlaceOrder", account, nonce, market: 0, flags: sell ? FLAG_SELL : 0, price: 60_000n * USD, size: 10_000n, expiry: 0n, clientOrderId: 0n, signature: SIG }) as const;
  core.submit(order(0, true, now), { signer: owner(0) });
  core.log.flush();
  const before = core.log.lastSeq();

  // One event-loop turn: 4095 L1 inputs, then an order crossing the resting one.
  for (let i = 0; i < 4095; i++) {
    // These fail with the group below (not acknowledged either).
    core.submitL1Input({ type: "Deposit", queueIndex: queueIndex++, account: 1, owner: owner(1), asset: 0, amount: 1n }).durable.catch(() => {});
  }
  const fillSeq = core.log.nextSeq() + 1;
  // The Fill's row cannot be written (a simulated I/O error).
  core.log.db.exec(`CREATE TRIGGER fail_fill BEFORE INSERT ON ops WHEN NEW.seq = ${fillSeq} BEGIN SELECT RAISE(ABORT, 'simulated I/O error'); END`);
  const out = core.submit(order(1, false, now + 1n), { signer: owner(1) });
  expect(out.fills.map((f) => f.seq)).toEqual([fillSeq]);
  const acknowledged = out.durable.then(
    () => true,
    () => false,
  );
  core.log.flush();
  expect(core.log.failed).not.toBeNull();
  // All or nothing: the PlaceOrder went down with its Fill (it was not acknowledged).
  expect(core.log.lastSeq()).toBe(before);
  core.log.close();
  const raw = new Database(db);
  raw.exec("DROP TRIGGER fail_fill");
  raw.close();

  // The sequencer restarts on the file, at the root of an independent replay of it.
  const again = openCore(cfg);
  const root = bytesToHex(stateRoot(again.core.state));
  expect(again.core.log.lastSeq()).toBe(before);
  again.core.log.close();
  const independent = recover(db, apiGenesis(), { ignoreSnapshots: true, collectReceipts: false });
  expect(independent.seq).toBe(before);
  expect(bytesToHex(independent.root)).toBe(root);
  independent.log.close();
  return acknowledged.then((ok) => expect(ok).toBe(false));
});
