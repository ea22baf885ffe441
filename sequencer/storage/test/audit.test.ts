/**
 * The audit index on real STF events: the liquidation cascade simulation (test/sim) runs with
 * every receipt recorded, and the index answers by account (liquidated or counterparty),
 * market (waterfall steps with the liquidation or ADL of their operation), kind, socialized
 * steps and batch, in operation order, with pagination.
 */
import Database from "better-sqlite3";
import { expect, it } from "vitest";
import type { StfEvent } from "../../state/receipt.js";
import { applyOp } from "../../state/index.js";
import { runCascade } from "../../../test/sim/cascade.js";
import { AuditLog, auditCsv } from "../audit.js";

it("indexes every liquidation, waterfall step and ADL of a cascade; queries agree with the events", () => {
  const db = new Database(":memory:");
  // The batches table the query joins (the op log's schema).
  db.exec("CREATE TABLE batches (idx INTEGER PRIMARY KEY, from_seq INTEGER NOT NULL, to_seq INTEGER NOT NULL)");
  const audit = new AuditLog(db);
  const all: { seq: number; idx: number; e: StfEvent }[] = [];
  let seq = 0;
  runCascade({
    pacing: false,
    traders: 1_000,
    apply: (state, op, ctx) => {
      const r = applyOp(state, op, ctx);
      seq++;
      audit.record(seq, r.events);
      r.events.forEach((e, idx) => all.push({ seq, idx, e }));
      return r;
    },
  });
  // Batches of 100 ops.
  for (let b = 0; b * 100 < seq; b++) db.prepare("INSERT INTO batches VALUES (?, ?, ?)").run(b, b * 100 + 1, Math.min(seq, (b + 1) * 100));
  const kept = all.filter(({ e }) => e.kind === "Liquidation" || e.kind === "Waterfall" || e.kind === "Deleveraged");
  const liquidations = kept.filter(({ e }) => e.kind === "Liquidation");
  const steps = kept.filter(({ e }) => e.kind === "Waterfall");
  expect(liquidations.length).toBeGreaterThan(20);
  expect(steps.length).toBeGreaterThan(0);

  const everything = audit.query({ limit: 10_000 });
  expect(everything.map((r) => [r.seq, r.eventIndex])).toEqual(kept.map((k) => [k.seq, k.idx]));
  expect(everything.every((r) => r.batch === Math.floor((r.seq - 1) / 100) && r.opIndex === (r.seq - 1) % 100)).toBe(true);
  // Events round-trip with their bigints.
  expect(everything.map((r) => r.event)).toEqual(kept.map((k) => k.e));

  // By account: as the one acted on or as counterparty.
  const someone = (liquidations[0]!.e as { account: number }).account;
  const mine = kept.filter(({ e }) => (e as { account: number }).account === someone || (e as { liquidator?: number }).liquidator === someone || (e as { counterparty?: number }).counterparty === someone);
  expect(audit.query({ account: someone, limit: 10_000 }).map((r) => [r.seq, r.eventIndex])).toEqual(mine.map((k) => [k.seq, k.idx]));
  const liquidator = (liquidations[0]!.e as { liquidator: number }).liquidator;
  expect(audit.query({ account: liquidator, kind: "Liquidation", limit: 10_000 })).toHaveLength(liquidations.filter(({ e }) => (e as { liquidator: number }).liquidator === liquidator || (e as { account: number }).account === liquidator).length);

  // By market: the cascade trades one market; waterfall steps come with it.
  const market = (liquidations[0]!.e as { market: number }).market;
  expect(audit.query({ market, limit: 10_000 })).toHaveLength(kept.length);
  expect(audit.query({ market: market + 1 })).toHaveLength(0);
  expect(audit.query({ kind: "Waterfall", limit: 10_000 })).toHaveLength(steps.length);
  expect(audit.query({ socializedOnly: true, limit: 10_000 })).toHaveLength(steps.filter(({ e }) => (e as { step: string }).step === "socialized").length);

  // By batch, and paginated by seq.
  const b = everything[0]!.batch!;
  expect(audit.query({ batch: b, limit: 10_000 }).map((r) => r.seq)).toEqual(everything.filter((r) => r.batch === b).map((r) => r.seq));
  const page1 = audit.query({ limit: 5 });
  const page2 = audit.query({ afterSeq: page1[page1.length - 1]!.seq, limit: 5 });
  expect(page2[0]!.seq).toBeGreaterThan(page1[page1.length - 1]!.seq);
  // Pages hold whole operations: walking them returns every entry once.
  const walked: number[][] = [];
  for (let after = 0; ; ) {
    const page = audit.query({ afterSeq: after, limit: 7 });
    if (page.length === 0) break;
    walked.push(...page.map((r) => [r.seq, r.eventIndex]));
    after = page[page.length - 1]!.seq;
  }
  expect(walked).toEqual(kept.map((k) => [k.seq, k.idx]));

  // Recording again (a replay) adds nothing; trimming drops rows past a seq.
  audit.record(kept[0]!.seq, all.filter((x) => x.seq === kept[0]!.seq).map((x) => x.e));
  expect(audit.query({ limit: 10_000 })).toHaveLength(kept.length);
  const cut = kept[Math.floor(kept.length / 2)]!.seq;
  audit.trimAfter(cut);
  expect(audit.query({ limit: 10_000 })).toHaveLength(kept.filter((k) => k.seq <= cut).length);

  // CSV: one line per entry under the header.
  const csv = auditCsv(everything).trim().split("\n");
  expect(csv).toHaveLength(everything.length + 1);
  const step = everything.find((r) => r.kind === "Waterfall")!;
  const line = csv[everything.indexOf(step) + 1]!.split(",");
  expect(line[4]).toBe("Waterfall");
  expect(line[8]).toBe((step.event as { step: string }).step);
  expect(line[14]).toBe(String((step.event as { amount: bigint }).amount));
});
