/** Forced operations and deposit refunds: the L1 slow path as the STF applies it. */
import { describe, expect, it } from "vitest";
import { encodeOp } from "../codec.js";
import { bytesToHex } from "../bytes.js";
import { PARAM_KEYS } from "../ops/paramUpdate.js";
import { BTC, BTC_UNIT, Driver, USD, owner } from "./fixtures.js";

const le32 = (x: number) => `0x${Array.from({ length: 32 }, (_, i) => ((x >> (8 * i)) & 0xff).toString(16).padStart(2, "0")).join("")}` as const;

describe("forced operations", () => {
  it("encode exactly as the L1 queue does (selectors 17 and 18)", () => {
    // Vectors shared with contracts/src/lib/L1Inputs.sol (docs/contracts.md).
    expect(bytesToHex(encodeOp({ type: "ForcedClose", queueIndex: 0xfedcba9876n, account: 0xffffffff, market: 63 }))).toBe(
      "0x127698badcfe000000ffffffff3f00",
    );
    expect(encodeOp({ type: "ForcedWithdraw", queueIndex: 1n, account: 2, asset: 1, amount: 3n }).length).toBe(30);
    expect(encodeOp({ type: "ForcedWithdraw", queueIndex: 1n, account: 2, asset: 1, amount: 3n })[0]).toBe(17);
  });

  it("ForcedWithdraw follows Withdraw's rules without a signature and is consumed even when refused", () => {
    const d = new Driver();
    d.deposit(0, 1_000n * USD);
    const q = () => d.state.l1.nextIndex;
    expect(d.apply({ type: "ForcedWithdraw", queueIndex: q(), account: 0, asset: 0, amount: 2_000n * USD })).toMatchObject({
      ok: false,
      reason: "INSUFFICIENT_BALANCE",
      l1Consumed: true,
    });
    expect(d.apply({ type: "ForcedWithdraw", queueIndex: q(), account: 0, asset: 0, amount: 400n * USD }).ok).toBe(true);
    expect(d.state.withdrawals.at(-1)).toEqual({ account: 0, owner: owner(0), asset: 0, amount: 400n * USD });
    expect(d.state.l1.nextIndex).toBe(3n);
  });

  it("ForcedClose closes the whole position at the oracle price against the backstop", () => {
    const d = new Driver();
    d.deposit(0, 1_000_000n * USD); // the backstop
    d.deposit(1, 1_000_000n * USD);
    d.deposit(2, 10_000n * USD);
    d.setCross(0, BTC);
    expect(d.trade(1, 2, BTC, "buy", 60_000n * USD, BTC_UNIT / 10n).ok).toBe(true);
    const q = () => d.state.l1.nextIndex;
    expect(d.apply({ type: "ForcedClose", queueIndex: q(), account: 2, market: BTC }).reason).toBe("NO_BACKSTOP");
    expect(d.apply({ type: "ParamUpdate", queueIndex: q(), key: PARAM_KEYS.BACKSTOP_ACCOUNT, target: 0, value: le32(0) }).ok).toBe(true);
    d.now += 1_000n;
    d.oracle([{ id: BTC, price: 61_000n * USD }]);
    expect(d.apply({ type: "ForcedClose", queueIndex: q(), account: 2, market: BTC }).ok).toBe(true);
    expect(d.state.accounts[2]!.positions[BTC]).toBeNull();
    // Isolated: $600 margin + $100 profit back to the balance.
    expect(d.state.accounts[2]!.balances[0]).toBe(10_100n * USD);
    expect(d.state.accounts[0]!.positions[BTC]!.size).toBe(BTC_UNIT / 10n);
  });

  it("refunds a refused deposit to its owner as a withdrawal record", () => {
    const d = new Driver();
    d.deposit(0, 5n * USD);
    // Account 5 is not the next index: refused, consumed, refunded.
    const r = d.apply({ type: "Deposit", queueIndex: d.state.l1.nextIndex, account: 5, owner: owner(5), asset: 0, amount: 7n * USD });
    expect(r).toMatchObject({ ok: false, reason: "ACCOUNT_MISMATCH", l1Consumed: true });
    expect(r.events).toEqual([{ kind: "WithdrawalCreated", index: 0, account: 5, asset: 0, amount: 7n * USD }]);
    expect(d.state.withdrawals).toEqual([{ account: 5, owner: owner(5), asset: 0, amount: 7n * USD }]);
  });
});

describe("ForcedClose against a backstop that cannot take the position", () => {
  it("is refused with NO_BACKSTOP (the backstop's margin, not the owner's, is what is missing)", () => {
    const d = new Driver();
    d.deposit(0, 100n * USD); // a backstop with $100: cannot carry 0.1 BTC ($600 initial)
    d.deposit(1, 1_000_000n * USD);
    d.deposit(2, 10_000n * USD);
    expect(d.trade(1, 2, BTC, "buy", 60_000n * USD, BTC_UNIT / 10n).ok).toBe(true);
    const q = () => d.state.l1.nextIndex;
    expect(d.apply({ type: "ParamUpdate", queueIndex: q(), key: PARAM_KEYS.BACKSTOP_ACCOUNT, target: 0, value: le32(0) }).ok).toBe(true);
    const r = d.apply({ type: "ForcedClose", queueIndex: q(), account: 2, market: BTC });
    expect(r).toMatchObject({ ok: false, reason: "NO_BACKSTOP", l1Consumed: true });
    expect(d.state.accounts[2]!.positions[BTC]!.size).toBe(BTC_UNIT / 10n);
  });
});
