/** Batch data of a sealed batch, straight from the op log's stored bytes. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { SequencedOp } from "../../state/ops.js";
import { OpLog } from "../../storage/opLog.js";
import { decodeBatchData, encodeBatchData, sealedBatchData } from "../index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("sealedBatchData", () => {
  it("is the batch data of the sealed range, equal to encoding the operations afresh", () => {
    const dir = mkdtempSync(join(tmpdir(), "codec-log-"));
    dirs.push(dir);
    const log = new OpLog(join(dir, "log.db"), { synchronous: "NORMAL" });
    try {
      const ops: SequencedOp[] = [
        { timestamp: 10n, op: { type: "FundingTick", market: 1, premiumPpm: -5n } },
        { timestamp: 11n, op: { type: "Fill", makerAccount: 1, makerSlot: 2, takerAccount: 3, takerSlot: 4, price: 5_000n, size: 7n } },
        { timestamp: 12n, op: { type: "ForcedClose", queueIndex: 0n, account: 9, market: 1 } },
      ];
      log.appendMany(ops.map((op) => ({ op, signer: null, ok: true })));
      const root = new Uint8Array(32);
      log.sealBatch({ fromSeq: 1, toSeq: 2, preRoot: root, postRoot: root, l1From: 0n, l1To: 0n, timestamp: 11n });
      log.sealBatch({ fromSeq: 3, toSeq: 3, preRoot: root, postRoot: root, l1From: 0n, l1To: 1n, timestamp: 12n });
      expect(sealedBatchData(log, 0)).toEqual(encodeBatchData(ops.slice(0, 2)));
      expect(decodeBatchData(sealedBatchData(log, 1))).toEqual(ops.slice(2));
    } finally {
      log.close();
    }
  });
});
