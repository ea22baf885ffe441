/**
 * Restart from a snapshot: the state and the book's time priority come back (snapshot +
 * priority + the log after it), equal to a replay of the whole log from genesis.
 */
import { describe, expect, it } from "vitest";
import { FLAG_SELL, TIF_IOC, TIF_SHIFT } from "../../state/constants.js";
import { stateRoot } from "../../state/index.js";
import { bytesToHex } from "../../state/bytes.js";
import { copyFileSync } from "node:fs";
import { recover } from "../../storage/index.js";
import { Signer, apiGenesis, get, keyOf, post, startTest, tmpDb } from "./helpers.js";

const USD = 1_000_000n;

describe("restart from a snapshot", () => {
  it("restores state and time priority, equal to a full replay", async () => {
    const db = tmpDb();
    const makers = [0, 1, 2].map((i) => new Signer(keyOf(`restart/maker${i}`)));
    const taker = new Signer(keyOf("restart/taker"));
    let s = await startTest({ db, snapshotEveryOps: 5, batchIntervalMs: 50 });
    const idx: number[] = [];
    for (const m of makers) idx.push((await post(s.url, "/v1/dev/deposit", { owner: m.address, asset: 0, amount: String(1_000_000n * USD) })).json.account);
    const T = (await post(s.url, "/v1/dev/deposit", { owner: taker.address, asset: 0, amount: String(1_000_000n * USD) })).json.account;
    const ask = (i: number) => makers[i]!.sign({ type: "PlaceOrder", account: idx[i]!, market: 0, flags: FLAG_SELL, price: 60_000n * USD, size: 1_000_000n, expiry: 0n, clientOrderId: 0n } as never);
    // Arrival order at one price: maker 2, then 0 (before the snapshot), then 1 (after it).
    expect((await post(s.url, "/v1/op", ask(2))).json.ok).toBe(true);
    expect((await post(s.url, "/v1/op", ask(0))).json.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 300)); // a seal, hence a snapshot with the book's priority
    expect((await post(s.url, "/v1/op", ask(1))).json.ok).toBe(true);
    await s.close();

    s = await startTest({ db, snapshotEveryOps: 1_000_000 });
    try {
      expect(s.started.snapshotSeq).toBeGreaterThan(0);
      expect(s.started.replayed).toBeLessThan(s.started.seq);
      // The root after the restart equals an independent replay of the whole log (on a copy:
      // one writer per file).
      const info = (await get(s.url, "/v1/info")).json;
      copyFileSync(db, `${db}.independent`);
      for (const ext of ["-wal", "-shm"]) {
        try {
          copyFileSync(db + ext, `${db}.independent${ext}`);
        } catch {}
      }
      const independent = recover(`${db}.independent`, apiGenesis(), { ignoreSnapshots: true, collectReceipts: false });
      expect(bytesToHex(stateRoot(independent.state))).toBe(info.root);
      independent.log.close();

      // Time priority survived: a taker for two lots fills maker 2 then maker 0, not maker 1.
      const take = await post(s.url, "/v1/op", taker.sign({ type: "PlaceOrder", account: T, market: 0, flags: TIF_IOC << TIF_SHIFT, price: 60_000n * USD, size: 2_000_000n, expiry: 0n, clientOrderId: 0n } as never));
      const makersFilled = take.json.fills.map((f: any) => f.events.find((e: any) => e.kind === "Fill").maker);
      expect(makersFilled).toEqual([idx[2], idx[0]]);
    } finally {
      await s.close();
    }
  });
});
