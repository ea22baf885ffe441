/**
 * Crash test: a child process appends as fast as it can and prints every acknowledged seq
 * (after its promise resolved); the parent SIGKILLs it at a seeded random moment, reopens the
 * file and checks that every acknowledged op is there, in order, with the same bytes, and
 * that recovery's root equals an independent replay (and every sealed batch's post-root the
 * replay's root at its last op). Several rounds on the same file, each resuming after a kill.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { OpLog } from "../opLog.js";
import { recover } from "../recover.js";
import { Rng, hex, independentReplay, sha, tempDb, testGenesis } from "./helpers.js";

const CHILD = fileURLToPath(new URL("./crashChild.ts", import.meta.url));
const ROUNDS = Number(process.env.STORAGE_CRASH_ROUNDS ?? 8);

function runAndKill(db: string, seed: number, killAfterMs: number): Promise<{ acked: [number, string][]; signal: string | null }> {
  return new Promise((resolve, reject) => {
    // node --import tsx: one process, so SIGKILL hits the writer itself (npx/tsx would
    // leave a grandchild running).
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, db, String(seed)], { stdio: ["ignore", "pipe", "pipe"] });
    let buf = "";
    let err = "";
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d: string) => {
      buf += d;
      if (timer === undefined && buf.startsWith("ready\n")) timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    });
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal !== "SIGKILL") return reject(new Error(`child exited ${code} ${signal}: ${err}`));
      // Only complete lines count; a torn last line was not (fully) acknowledged.
      const lines = buf.split("\n").slice(1, -1);
      resolve({ acked: lines.map((l) => l.split(" ") as [string, string]).map(([s, h]) => [Number(s), h]), signal });
    });
  });
}

describe("crash durability", () => {
  it(`every acknowledged op survives SIGKILL, in order (${ROUNDS} kills)`, { timeout: 120_000 }, async () => {
    const db = tempDb("crash");
    const rng = new Rng(20240611);
    const acked = new Map<number, string>();
    let lastAcked = 0;
    let kills = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const killAfter = 50 + rng.int(700);
      const { acked: got } = await runAndKill(db, 1000 + round, killAfter);
      kills++;
      // Acknowledgements arrive in seq order, continuing the previous round's log.
      for (const [seq, h] of got) {
        expect(seq).toBeGreaterThan(lastAcked);
        lastAcked = seq;
        acked.set(seq, h);
      }

      const log = new OpLog(db);
      const last = log.lastSeq();
      expect(last).toBeGreaterThanOrEqual(lastAcked);
      // Every acknowledged op, from every round so far, is there with the same bytes; no gaps.
      let expectSeq = 1;
      for (const o of log.readFrom(1)) {
        expect(o.seq).toBe(expectSeq++);
        const h = acked.get(o.seq);
        if (h !== undefined) expect(sha(o.bytes), `seq ${o.seq}`).toBe(h);
      }
      expect(expectSeq - 1).toBe(last);
      const batches = log.batches(0, 1_000_000);
      log.close();

      const r = recover(db, testGenesis(), { collectReceipts: false });
      const ind = independentReplay(db, batches.map((b) => b.toSeq));
      expect(r.seq).toBe(last);
      expect(hex(r.root)).toBe(ind.root);
      for (const b of batches) expect(hex(b.postRoot), `batch ${b.index}`).toBe(ind.rootsAt.get(b.toSeq));
      r.log.close();
      console.log(
        `round ${round}: killed after ${killAfter} ms, ${got.length} acked this round, log ${last} ops, ` +
          `${batches.length} batches, recovered from snapshot ${r.snapshotSeq} (+${r.replayed} replayed)`,
      );
    }
    expect(kills).toBe(ROUNDS);
    expect(acked.size).toBeGreaterThan(100);
  });
});
