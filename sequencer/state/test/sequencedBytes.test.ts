import { describe, expect, it } from "vitest";
import { encodeOp, encodeSequencedOp } from "../codec.js";
import { encodeSequencedOpFrom } from "../codec.js";
import type { Op } from "../ops.js";

describe("encodeSequencedOpFrom", () => {
  it("equals encodeSequencedOp for every shape of op", () => {
    const ops: Op[] = [
      { type: "PlaceOrder", account: 7, nonce: 123n, market: 3, flags: 5, price: 10n ** 15n, size: 99n, expiry: 0n, clientOrderId: (1n << 64n) - 1n, signature: `0x${"ab".repeat(65)}` },
      { type: "Fill", makerAccount: 1, makerSlot: 2, takerAccount: 3, takerSlot: 4, price: 5n, size: 6n },
      { type: "OracleUpdate", timestamp: 9n, prices: [{ kind: 0, id: 1, price: 2n }, { kind: 1, id: 1, price: 3n }], signatures: [`0x${"01".repeat(65)}`] },
      { type: "Deposit", queueIndex: 4n, account: 0, owner: `0x${"11".repeat(20)}`, asset: 1, amount: 10n ** 30n },
    ];
    for (const [i, op] of ops.entries()) {
      const ts = 1_764_388_800_000n + BigInt(i) * (1n << 40n);
      expect(encodeSequencedOpFrom(ts, encodeOp(op))).toEqual(encodeSequencedOp({ timestamp: ts, op }));
    }
  });
});
