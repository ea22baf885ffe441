/** Nonces: max(now, last + 1) per client, unique and in call order under concurrency, never backwards. */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { recoverOp } from "../../sequencer/state/signing.js";
import { NonceSource, cancelAllOp, createCrossmarginClient } from "../index.js";
import { DOMAIN, accountOf, infoServer } from "./fixtures.js";

let srv: Awaited<ReturnType<typeof infoServer>>;
beforeAll(async () => {
  srv = await infoServer(1);
});
afterAll(async () => {
  await srv?.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("nonces", () => {
  it("concurrent signOp calls get distinct nonces, increasing in call order, near the wall clock", async () => {
    const c = createCrossmarginClient({ url: srv.url, account: accountOf("nonce") });
    const t0 = BigInt(Date.now());
    // 500 in flight at once: far more than one millisecond's worth, so most must come from last + 1.
    const ops = await Promise.all(Array.from({ length: 500 }, () => c.signOp(cancelAllOp())));
    const nonces = ops.map((o) => o.nonce);
    for (let i = 1; i < nonces.length; i++) expect(nonces[i]! > nonces[i - 1]!).toBe(true);
    expect(nonces[0]! >= t0).toBe(true);
    // Each op is signed over its own nonce.
    for (const o of ops.slice(0, 5)) expect(recoverOp(o, DOMAIN).signer).toBe(accountOf("nonce").address.toLowerCase());
    // Later calls continue above the burst even within the same millisecond.
    expect((await c.signOp(cancelAllOp())).nonce > nonces.at(-1)!).toBe(true);
  });

  it("follows the clock forward and never goes back when it jumps backwards", () => {
    let now = 1_000_000;
    const n = new NonceSource(() => now);
    expect(n.next()).toBe(1_000_000n);
    expect(n.next()).toBe(1_000_001n); // same millisecond
    now = 2_000_000;
    expect(n.next()).toBe(2_000_000n); // the clock moved on: take it
    now = 1_500_000; // NTP step backwards
    expect(n.next()).toBe(2_000_001n);
    expect(n.current).toBe(2_000_001n);
  });

  it("reads Date.now at each call by default (a clock changed after construction is seen)", () => {
    const n = new NonceSource();
    vi.spyOn(Date, "now").mockReturnValue(5_000);
    expect(n.next()).toBe(5_000n);
    vi.spyOn(Date, "now").mockReturnValue(9_000);
    expect(n.next()).toBe(9_000n);
  });

  it("with a frozen clock, a client's nonces still never repeat", async () => {
    vi.spyOn(Date, "now").mockReturnValue(1_764_388_800_000);
    const c = createCrossmarginClient({ url: srv.url, account: accountOf("frozen") });
    const a = await Promise.all([c.nextNonce(), c.nextNonce(), c.nextNonce()]);
    expect(a).toEqual([1_764_388_800_000n, 1_764_388_800_001n, 1_764_388_800_002n]);
  });
});
