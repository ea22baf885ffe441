/**
 * Signatures the SDK makes recover, with the sequencer's own recovery (pure-JS and native),
 * to the signing key, for every submittable operation type; and the JSON it would send
 * passes the gateway's schema. A client fetches /v1/info once and resolves its account once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SubmittedOpSchema, opToJson } from "../../sequencer/api/schema.js";
import { recoverOpNative } from "../../sequencer/ingress/recover.js";
import { FLAG_REDUCE_ONLY, FLAG_SELL, TIF_IOC, TIF_POST_ONLY, TIF_SHIFT } from "../../sequencer/state/constants.js";
import type { SignedOp } from "../../sequencer/state/ops.js";
import { recoverOp } from "../../sequencer/state/signing.js";
import {
  adjustIsolatedMarginOp,
  cancelAllOp,
  cancelOrderOp,
  createCrossmarginClient,
  grantSessionKeyOp,
  liquidateOp,
  placeOrderOp,
  revokeSessionKeyOp,
  setMarginModeOp,
  setPortfolioMarginOp,
  signOperation,
  transferOp,
  withdrawOp,
  type OpInput,
} from "../index.js";
import { DOMAIN, accountOf, infoServer } from "./fixtures.js";

const alice = accountOf("alice");
const session = accountOf("session");
let srv: Awaited<ReturnType<typeof infoServer>>;

beforeAll(async () => {
  srv = await infoServer(7);
});
afterAll(async () => {
  await srv?.close();
});

/** One of each submittable account-signed operation, built through the SDK's builders. */
const EVERY_OP: OpInput[] = [
  withdrawOp({ asset: 1, amount: 123_456_789_012_345_678_901n }),
  transferOp({ to: 9, asset: 0, amount: "5000000" }),
  grantSessionKeyOp({ key: session, expiry: new Date(1_900_000_000_000) }),
  revokeSessionKeyOp(session.address),
  placeOrderOp({ market: 1, side: "sell", price: 60_000_000_000n, size: 10_000_000n, tif: "post-only", reduceOnly: true, expiry: 1_900_000_000_000, clientOrderId: 2n ** 64n - 1n }),
  cancelOrderOp({ slot: 63 }),
  cancelOrderOp({ clientOrderId: 42 }),
  cancelAllOp(),
  cancelAllOp(2),
  setMarginModeOp(3, "cross"),
  adjustIsolatedMarginOp(0, -(2n ** 63n)),
  liquidateOp(4, 0xffff),
  setPortfolioMarginOp(true),
];

describe("signing", () => {
  it("every operation type recovers to the signer with recoverOp and recoverOpNative, and passes the gateway schema", async () => {
    const c = createCrossmarginClient({ url: srv.url, account: alice });
    const types = new Set<string>();
    for (const input of EVERY_OP) {
      const op = await c.signOp(input);
      types.add(op.type);
      expect(op.account).toBe(7); // resolved by owner
      expect(op.signature).toMatch(/^0x[0-9a-f]{130}$/);
      expect(recoverOp(op, DOMAIN).signer).toBe(alice.address.toLowerCase());
      expect(recoverOpNative(op, DOMAIN).signer).toBe(alice.address.toLowerCase());
      // What the client would POST is what the gateway accepts, value for value.
      const parsed = SubmittedOpSchema.parse(JSON.parse(JSON.stringify(opToJson(op))));
      expect(parsed).toEqual(op);
    }
    expect([...types].sort()).toEqual(
      ["AdjustIsolatedMargin", "CancelAll", "CancelOrder", "GrantSessionKey", "Liquidate", "PlaceOrder", "RevokeSessionKey", "SetMarginMode", "SetPortfolioMargin", "Transfer", "Withdraw"].sort(),
    );
  });

  it("a signature for another chain or Rollup recovers to another address", async () => {
    const op = await signOperation(alice, { ...cancelAllOp(), account: 1, nonce: 5n } as never, DOMAIN);
    expect(recoverOp(op, DOMAIN).signer).toBe(alice.address.toLowerCase());
    expect(recoverOp(op, { ...DOMAIN, chainId: 1n }).signer).not.toBe(alice.address.toLowerCase());
    expect(recoverOp(op, { ...DOMAIN, verifyingContract: "0x00000000000000000000000000000000c0ffee02" }).signer).not.toBe(alice.address.toLowerCase());
    // A changed field changes what was signed.
    expect(recoverOp({ ...op, market: 1 } as SignedOp, DOMAIN).signer).not.toBe(alice.address.toLowerCase());
  });

  it("oracle updates carry one signature per oracle signer, each recovering to its key", async () => {
    const o1 = accountOf("oracle-1");
    const o2 = accountOf("oracle-2");
    const c = createCrossmarginClient({ url: srv.url, account: o1, accountIndex: 0 });
    const up = await c.signOracleUpdate({ timestamp: 1_764_388_800_000n, prices: [{ kind: 0, id: 0, price: 60_000_000_000n }, { kind: 1, id: 1, price: "3000000000" }] }, [o1, o2]);
    expect(recoverOp(up, DOMAIN).oracleSigners).toEqual([o1.address.toLowerCase(), o2.address.toLowerCase()]);
    expect(recoverOpNative(up, DOMAIN).oracleSigners).toEqual([o1.address.toLowerCase(), o2.address.toLowerCase()]);
    expect(SubmittedOpSchema.parse(JSON.parse(JSON.stringify(opToJson(up))))).toEqual(up);
  });

  it("a session-key client signs with the session key for the account it names, without an owner lookup", async () => {
    const before = srv.requests.filter((r) => r.path.startsWith("/v1/accounts/by-owner/")).length;
    const c = createCrossmarginClient({ url: srv.url, account: session, sessionFor: 3 });
    const op = await c.signOp(placeOrderOp({ market: 0, side: "buy", price: 1n, size: 1n }));
    expect(op.account).toBe(3);
    expect(recoverOp(op, DOMAIN).signer).toBe(session.address.toLowerCase());
    expect(srv.requests.filter((r) => r.path.startsWith("/v1/accounts/by-owner/")).length).toBe(before);
    expect(() => createCrossmarginClient({ url: srv.url, account: session, sessionFor: 3, accountIndex: 4 })).toThrow(/different accounts/);
  });

  it("fetches /v1/info and the account index once, even under concurrent first calls", async () => {
    const c = createCrossmarginClient({ url: `${srv.url}/`, account: accountOf("concurrent") });
    const n0 = srv.requests.length;
    await Promise.all(Array.from({ length: 20 }, () => c.signOp(cancelAllOp())));
    await c.signOp(cancelAllOp());
    const paths = srv.requests.slice(n0).map((r) => r.path);
    expect(paths.filter((p) => p === "/v1/info")).toHaveLength(1);
    expect(paths.filter((p) => p.startsWith("/v1/accounts/by-owner/"))).toEqual([`/v1/accounts/by-owner/${accountOf("concurrent").address.toLowerCase()}`]);
  });
});

describe("order parameters", () => {
  it("encode side, time in force and reduce-only as the protocol's flags", () => {
    const f = (p: Partial<Parameters<typeof placeOrderOp>[0]>) => placeOrderOp({ market: 0, side: "buy", price: 1n, size: 1n, ...p }).flags;
    expect(f({})).toBe(0);
    expect(f({ side: "sell" })).toBe(FLAG_SELL);
    expect(f({ tif: "ioc" })).toBe(TIF_IOC << TIF_SHIFT);
    expect(f({ tif: "post-only", side: "sell" })).toBe((TIF_POST_ONLY << TIF_SHIFT) | FLAG_SELL);
    expect(f({ reduceOnly: true, tif: "gtc" })).toBe(FLAG_REDUCE_ONLY);
    expect(() => f({ side: "long" as never })).toThrow(/side/);
    expect(() => f({ tif: "fok" as never })).toThrow(/tif/);
  });

  it("refuse amounts that already lost precision, and a cancel that names no order", () => {
    expect(() => placeOrderOp({ market: 0, side: "buy", price: 2 ** 60, size: 1n })).toThrow(/price: .* not a safe integer/);
    expect(() => placeOrderOp({ market: 0, side: "buy", price: 1.5, size: 1n })).toThrow(/price/);
    expect(() => withdrawOp({ asset: 0, amount: "1e6" })).toThrow(/amount/);
    expect(() => cancelOrderOp({ clientOrderId: 0 })).toThrow(/clientOrderId/);
    expect(() => cancelOrderOp({ slot: 64 })).toThrow(/slot/);
    expect(cancelOrderOp({ clientOrderId: "18446744073709551615" })).toEqual({ type: "CancelOrder", slot: 255, clientOrderId: 2n ** 64n - 1n });
  });
});
