/**
 * The op log, batches and snapshots on real SQLite files (os.tmpdir).
 */
import { describe, expect, it } from "vitest";
import { createGenesisState, stateRoot, toSszValue } from "../../state/index.js";
import { jsonBigint } from "../../state/test/fixtures.js";
import { OpLog, type LogItem } from "../opLog.js";
import { recover } from "../recover.js";
import { deserializeState, fromSszValue, serializeState } from "../snapshot.js";
import { RandomOps, Rng, hex, independentReplay, nextItem, tempDb, testGenesis } from "./helpers.js";

function randomItems(seed: number, n: number): LogItem[] {
  const state = createGenesisState(testGenesis());
  const gen = new RandomOps(new Rng(seed));
  return Array.from({ length: n }, () => nextItem(gen, state).item);
}

describe("op log", () => {
  it("appends in order and reads back bytes, contexts and receipt summaries", () => {
    const path = tempDb();
    const items = randomItems(1, 300);
    const log = new OpLog(path);
    expect(log.lastSeq()).toBe(0);
    expect(log.appendMany(items.slice(0, 100))).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(log.appendMany(items.slice(100))).toEqual(Array.from({ length: 200 }, (_, i) => i + 101));
    expect(log.lastSeq()).toBe(300);
    expect(log.stats.transactions).toBe(2);
    log.close();

    const again = new OpLog(path);
    expect(again.lastSeq()).toBe(300);
    expect(again.db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(again.db.pragma("synchronous", { simple: true })).toBe(2); // FULL
    const read = [...again.readFrom(1)];
    expect(read.map((r) => r.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    read.forEach((r, i) => {
      const it = items[i]!;
      expect(hex(r.bytes)).toBe(hex(it.bytes!));
      expect(JSON.stringify(r.op, jsonBigint)).toBe(JSON.stringify(it.op, jsonBigint));
      expect(r.ctx.signer).toBe(it.signer);
      expect(r.ctx.oracleSigners).toEqual(it.oracleSigners);
      expect(r.ok).toBe(it.ok);
      expect(r.reason).toBe(it.reason);
      expect(!!r.l1Consumed).toBe(!!it.l1Consumed);
    });
    // Reading from the middle, across the read chunk boundary.
    expect([...again.readFrom(250)].map((r) => r.seq)[0]).toBe(250);
    expect(items.some((i) => i.oracleSigners !== undefined) && items.some((i) => !i.ok) && items.some((i) => i.ok)).toBe(true);
    again.close();
  });

  it("group commit: concurrent appends share few transactions and resolve in seq order, after commit", async () => {
    const path = tempDb();
    const items = randomItems(2, 2000);
    const log = new OpLog(path);
    const resolved: number[] = [];
    const promises = items.map((it) =>
      log.append(it).then((seq) => {
        // Resolved only once committed: visible to another connection already.
        resolved.push(seq);
        return seq;
      }),
    );
    expect(log.lastSeq()).toBe(0); // nothing committed within the calling tick
    const seqs = await Promise.all(promises);
    expect(seqs).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect(resolved).toEqual(seqs);
    expect(log.stats.transactions).toBeLessThanOrEqual(2); // one per maxGroup (4096) at most
    const other = new OpLog(path);
    expect(other.lastSeq()).toBe(2000);
    other.close();

    // Appends spread over several ticks: one transaction per tick, order kept across them.
    const before = log.stats.transactions;
    const more: Promise<number>[] = [];
    for (let tick = 0; tick < 5; tick++) {
      for (let i = 0; i < 10; i++) more.push(log.append(items[i]!));
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(more)).toEqual(Array.from({ length: 50 }, (_, i) => 2001 + i));
    expect(log.stats.transactions - before).toBeLessThanOrEqual(5);
    // appendMany after queued appends keeps call order.
    const p = log.append(items[0]!);
    expect(log.appendMany([items[1]!, items[2]!])).toEqual([2052, 2053]);
    expect(await p).toBe(2051);
    log.close();
  });

  it("a failed commit fails the log: pending and later appends reject", async () => {
    const log = new OpLog(tempDb());
    const [a, b] = randomItems(3, 2);
    log.db.exec("CREATE TRIGGER boom BEFORE INSERT ON ops WHEN NEW.seq = 2 BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;");
    const p1 = log.append(a!);
    const p2 = log.append(b!);
    await expect(p1).rejects.toThrow(/disk on fire/);
    await expect(p2).rejects.toThrow(/disk on fire/);
    expect(log.lastSeq()).toBe(0); // the whole group rolled back
    expect(() => log.append(a!)).toThrow(/failed/);
    log.db.close();
  });
});

describe("batches", () => {
  it("seals contiguous batches and reads their ops back", () => {
    const path = tempDb();
    const log = new OpLog(path);
    log.appendMany(randomItems(4, 50));
    const r0 = new Uint8Array(32);
    const r1 = new Uint8Array(32).fill(1);
    const r2 = new Uint8Array(32).fill(2);
    const b0 = log.sealBatch({ fromSeq: 1, toSeq: 20, preRoot: r0, postRoot: r1, l1From: 0n, l1To: 3n, timestamp: 1234n });
    expect(b0.index).toBe(0);
    expect(() => log.sealBatch({ fromSeq: 22, toSeq: 30, preRoot: r1, postRoot: r2, l1From: 3n, l1To: 3n, timestamp: 1n })).toThrow(/fromSeq/);
    expect(() => log.sealBatch({ fromSeq: 21, toSeq: 30, preRoot: r2, postRoot: r2, l1From: 3n, l1To: 3n, timestamp: 1n })).toThrow(/preRoot/);
    expect(() => log.sealBatch({ fromSeq: 21, toSeq: 51, preRoot: r1, postRoot: r2, l1From: 3n, l1To: 3n, timestamp: 1n })).toThrow(/durable/);
    log.sealBatch({ fromSeq: 21, toSeq: 50, preRoot: r1, postRoot: r2, l1From: 3n, l1To: 5n, timestamp: 2000n });
    log.close();

    const again = new OpLog(path);
    expect(again.batches(0).map((b) => [b.index, b.fromSeq, b.toSeq, b.l1From, b.l1To, b.timestamp])).toEqual([
      [0, 1, 20, 0n, 3n, 1234n],
      [1, 21, 50, 3n, 5n, 2000n],
    ]);
    expect(hex(again.batch(1)!.postRoot)).toBe(hex(r2));
    expect(again.batchOps(1).map((o) => o.seq)).toEqual(Array.from({ length: 30 }, (_, i) => 21 + i));
    expect(again.batches(1).length).toBe(1);
    again.close();
  });
});

describe("snapshots", () => {
  it("round-trip random STF states: same root, same SSZ value", () => {
    const seen = { positions: 0, orders: 0, keys: 0, nonces: 0, pacing: 0, withdrawals: 0 };
    for (let seed = 1; seed <= 25; seed++) {
      const state = createGenesisState(testGenesis());
      const gen = new RandomOps(new Rng(seed));
      const n = 50 + seed * 20;
      for (let i = 0; i < n; i++) nextItem(gen, state);
      for (const a of state.accounts) {
        seen.positions += a.openMarkets.length;
        seen.orders += a.orders.filter((o) => o !== null).length;
        seen.keys += a.sessionKeys.filter((k) => k.expiry !== 0n).length;
        seen.nonces += a.nonces.filter((n) => n !== 0n).length;
        seen.pacing += a.pacing.windowStart !== 0n ? 1 : 0;
      }
      seen.withdrawals += state.withdrawals.length;
      const root = hex(stateRoot(state));
      const back = deserializeState(serializeState(state));
      expect(hex(stateRoot(back)), `seed ${seed}`).toBe(root);
      expect(toSszValue(back)).toEqual(toSszValue(state));
      expect(hex(stateRoot(fromSszValue(toSszValue(state))))).toBe(root);
      // The restored state keeps executing identically.
      const g1 = new RandomOps(new Rng(seed + 1000));
      const g2 = new RandomOps(new Rng(seed + 1000));
      g1.now = g2.now = state.clock;
      for (let i = 0; i < 100; i++) {
        const a = nextItem(g1, state);
        const b = nextItem(g2, back);
        expect(JSON.stringify(b.receipt, jsonBigint)).toBe(JSON.stringify(a.receipt, jsonBigint));
      }
      expect(hex(stateRoot(back))).toBe(hex(stateRoot(state)));
    }
    // The states exercised every part of an account and the withdrawal list.
    for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(0);
  });

  it("keeps the last two, restores the newest, refuses a snapshot beyond the durable log", () => {
    const path = tempDb();
    const log = new OpLog(path);
    const state = createGenesisState(testGenesis());
    const gen = new RandomOps(new Rng(7));
    const roots: string[] = [];
    for (let k = 1; k <= 3; k++) {
      log.appendMany(Array.from({ length: 100 }, () => nextItem(gen, state).item));
      log.writeSnapshot(state, log.lastSeq());
      roots.push(hex(stateRoot(state)));
    }
    expect(() => log.writeSnapshot(state, log.lastSeq() + 1)).toThrow(/durable/);
    expect(log.snapshots().map((s) => s.seq)).toEqual([300, 200]);
    const latest = log.loadLatest()!;
    expect(latest.seq).toBe(300);
    expect(hex(stateRoot(latest.state))).toBe(roots[2]);
    expect(toSszValue(latest.state)).toEqual(toSszValue(state));
    log.close();
  });
});

describe("recovery", () => {
  it("snapshot + log replay equals an independent replay of the whole log", () => {
    const path = tempDb();
    const log = new OpLog(path);
    const state = createGenesisState(testGenesis());
    const gen = new RandomOps(new Rng(11));
    for (let k = 0; k < 10; k++) {
      log.appendMany(Array.from({ length: 150 }, () => nextItem(gen, state).item));
      if (k === 3 || k === 6) log.writeSnapshot(state, log.lastSeq());
    }
    const live = hex(stateRoot(state));
    log.close();

    const r = recover(path, testGenesis());
    expect(r.seq).toBe(1500);
    expect(r.snapshotSeq).toBe(1050);
    expect(r.replayed).toBe(450);
    expect(r.receipts.length).toBe(450);
    expect(hex(r.root)).toBe(live);
    expect(hex(r.root)).toBe(independentReplay(path).root);
    expect(toSszValue(r.state)).toEqual(toSszValue(state));
    // The recovered log continues the sequence.
    expect(r.log.appendMany([nextItem(gen, r.state).item])).toEqual([1501]);
    r.log.close();

    // A snapshot that fails its root check is skipped for the older one.
    const db = new OpLog(path);
    db.db.prepare("UPDATE snapshots SET root = ? WHERE seq = 1050").run(Buffer.alloc(32, 9));
    db.close();
    const r2 = recover(path, testGenesis());
    expect(r2.rejectedSnapshots.map((s) => s.seq)).toEqual([1050]);
    expect(r2.snapshotSeq).toBe(600);
    expect(hex(r2.root)).toBe(independentReplay(path).root);
    r2.log.close();

    // A different genesis is refused.
    expect(() => recover(path, testGenesis({ nonceWindowMs: 1n }))).toThrow(/genesis/);
  });

  it("detects a replay that disagrees with the logged receipt", () => {
    const path = tempDb();
    const log = new OpLog(path);
    log.appendMany(randomItems(12, 200));
    const firstOk = [...log.readFrom(1)].find((o) => o.ok)!;
    log.db.prepare("UPDATE ops SET ok = 0, reason = 'BAD_SIGNATURE' WHERE seq = ?").run(firstOk.seq);
    log.close();
    expect(() => recover(path, testGenesis())).toThrow(/replay gave ok/);
  });
});
