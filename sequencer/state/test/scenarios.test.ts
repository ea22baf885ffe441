/**
 * Worked examples for cross vs isolated margin and for margin tiers. Every number below is
 * computed by hand in the comments; docs/protocol.md repeats the first two.
 */
import { describe, expect, it } from "vitest";
import { contribution, crossHealth, isolatedEquity, notional, tieredRequirement } from "../margin.js";
import { BTC, Driver, ETH, USD, owner } from "./fixtures.js";

const BTC_UNIT = 100_000_000n; // 1 BTC in 1e-8 units

describe("isolated margin (the default)", () => {
  it("backs a position only by its own margin, moved from the balance at the fill", () => {
    const d = new Driver();
    d.deposit(0, 10_000n * USD);
    d.deposit(1, 10_000n * USD);
    // Account 0 buys 0.1 BTC at $60,000 from account 1: notional $6,000, initial 10% = $600.
    expect(d.trade(1, 0, BTC, "buy", 60_000n * USD, BTC_UNIT / 10n).ok).toBe(true);
    const [a0, a1] = [d.state.accounts[0]!, d.state.accounts[1]!];
    expect(a0.balances[0]).toBe(9_400n * USD);
    expect(a1.balances[0]).toBe(9_400n * USD);
    expect(a0.positions[BTC]).toMatchObject({ size: 10_000_000n, entryNotional: 6_000n * USD, isolatedMargin: 600n * USD });
    expect(a1.positions[BTC]).toMatchObject({ size: -10_000_000n, entryNotional: -6_000n * USD, isolatedMargin: 600n * USD });

    // BTC falls to $57,000: the long's isolated equity is 600 − 300 = $300 (maintenance 5% of
    // $5,700 = $285); its cross pool still holds $9,400 and can all be withdrawn.
    d.now += 1_000n;
    expect(d.oracle([{ id: BTC, price: 57_000n * USD }]).ok).toBe(true);
    expect(isolatedEquity(a0.positions[BTC]!, d.state.markets[BTC]!)).toBe(300n * USD);
    expect(crossHealth(d.state, a0, d.now)).toEqual({ equity: 9_400n * USD, initial: 0n, maintenance: 0n });
    expect(d.signed({ type: "Withdraw", account: 0, nonce: d.nextNonce(), asset: 0, amount: 9_400n * USD, signature: "0x" }).ok).toBe(true);

    // Removing isolated margin below the initial requirement (10% of $5,700 = $570) is refused:
    // equity 300 − 1 < 570. Adding is fine while the balance lasts.
    const adjust = (delta: bigint) =>
      d.signed({ type: "AdjustIsolatedMargin", account: 0, nonce: d.nextNonce(), market: BTC, delta, signature: "0x" });
    expect(adjust(-1n).reason).toBe("INSUFFICIENT_MARGIN");
    expect(adjust(1n).reason).toBe("INSUFFICIENT_BALANCE");

    // Closing at $57,000 realizes −$300; the margin left ($300) returns to the balance.
    expect(d.trade(1, 0, BTC, "sell", 57_000n * USD, BTC_UNIT / 10n).ok).toBe(true);
    expect(a0.positions[BTC]).toBeNull();
    expect(a0.balances[0]).toBe(300n * USD);
    // The short gained $300: margin 600 + 300 back to its balance: 9,400 + 900.
    expect(a1.balances[0]).toBe(10_300n * USD);
  });
});

describe("cross margin (opt-in)", () => {
  it("shares the account's collateral across positions and limits withdrawals by equity − initial", () => {
    const d = new Driver();
    d.deposit(0, 10_000n * USD);
    d.deposit(1, 10_000n * USD);
    expect(d.setCross(0, BTC).ok).toBe(true);
    expect(d.setCross(1, BTC).ok).toBe(true);
    expect(d.trade(1, 0, BTC, "buy", 60_000n * USD, BTC_UNIT / 10n).ok).toBe(true);
    const a0 = d.state.accounts[0]!;
    // No margin moves: the balance stays $10,000, the requirement is 10% of $6,000.
    expect(a0.balances[0]).toBe(10_000n * USD);
    expect(crossHealth(d.state, a0, d.now)).toEqual({ equity: 10_000n * USD, initial: 600n * USD, maintenance: 300n * USD });

    // At $57,000: equity 10,000 − 300 = $9,700; initial 10% × 5,700 = $570; free = $9,130.
    d.now += 1_000n;
    d.oracle([{ id: BTC, price: 57_000n * USD }]);
    expect(crossHealth(d.state, a0, d.now)).toEqual({ equity: 9_700n * USD, initial: 570n * USD, maintenance: 285n * USD });
    const withdraw = (amount: bigint) =>
      d.signed({ type: "Withdraw", account: 0, nonce: d.nextNonce(), asset: 0, amount, signature: "0x" });
    expect(withdraw(9_130n * USD + 1n).reason).toBe("INSUFFICIENT_MARGIN");
    expect(withdraw(9_130n * USD).ok).toBe(true);
    expect(crossHealth(d.state, a0, d.now).equity).toBe(570n * USD);
  });

  it("counts WETH at its oracle price times its 0.8 weight, and at zero once its price is stale", () => {
    const d = new Driver();
    // 2 WETH at $3,000 × 0.8 = $4,800 of collateral.
    d.deposit(0, 2n * 10n ** 18n, 1);
    d.deposit(1, 100_000n * USD);
    d.setCross(0, ETH);
    expect(crossHealth(d.state, d.state.accounts[0]!, d.now).equity).toBe(4_800n * USD);
    // Buying 30 ETH at $3,000 needs 5% of $90,000 = $4,500 ≤ $4,800: accepted, on WETH alone.
    expect(d.trade(1, 0, ETH, "buy", 3_000n * USD, 30n * BTC_UNIT).ok).toBe(true);
    // 61 s later the WETH price (set at t=1,000) is older than the 60 s limit: it counts at
    // zero for new risk, so the same order again is refused (and the market price too is stale).
    d.now += 61_000n;
    d.oracle([{ id: ETH, price: 3_000n * USD }]);
    const r = d.place(0, ETH, "buy", 3_000n * USD, BTC_UNIT);
    expect(r.reason).toBe("INSUFFICIENT_MARGIN");
  });
});

describe("margin tiers", () => {
  it("charges each notional band at its own fraction (progressive)", () => {
    const d = new Driver();
    const tiers = d.state.markets[BTC]!.tiers;
    // $1.2M notional: 10% of the first $1M + 20% of the next $0.2M = 100k + 40k = $140k initial;
    // maintenance 5% + 10%: 50k + 20k = $70k.
    expect(tieredRequirement(tiers, 1_200_000n * USD, false)).toBe(140_000n * USD);
    expect(tieredRequirement(tiers, 1_200_000n * USD, true)).toBe(70_000n * USD);
    // Below the first cap only the first band applies.
    expect(tieredRequirement(tiers, 500_000n * USD, false)).toBe(50_000n * USD);
    // Rounding is up: 1 atom of notional at 10% needs 1 atom.
    expect(tieredRequirement(tiers, 1n, false)).toBe(1n);
  });

  it("admits 20 BTC at $60,000 in cross with $140,000 of equity and not a unit less", () => {
    for (const [funds, ok] of [
      [140_000n * USD - 1n, false],
      [140_000n * USD, true],
    ] as const) {
      const d = new Driver();
      d.deposit(0, funds);
      d.deposit(1, 1_000_000n * USD);
      d.setCross(0, BTC);
      const r = d.place(0, BTC, "buy", 60_000n * USD, 20n * BTC_UNIT);
      expect(r.ok).toBe(ok);
      if (!ok) expect(r.reason).toBe("INSUFFICIENT_MARGIN");
    }
  });
});

describe("owners and session keys", () => {
  it("lets a session key trade but not withdraw, until revoked", () => {
    const d = new Driver();
    d.deposit(0, 10_000n * USD);
    const key = owner(99);
    expect(
      d.signed({ type: "GrantSessionKey", account: 0, nonce: d.nextNonce(), key, expiry: d.now + 60_000n, signature: "0x" }).ok,
    ).toBe(true);
    const order = () =>
      d.signed(
        { type: "PlaceOrder", account: 0, nonce: d.nextNonce(), market: BTC, flags: 0, price: 50_000n * USD, size: 10_000n, expiry: 0n, clientOrderId: 7n, signature: "0x" },
        key,
      );
    expect(order().ok).toBe(true);
    expect(
      d.signed({ type: "Withdraw", account: 0, nonce: d.nextNonce(), asset: 0, amount: 1n, signature: "0x" }, key).reason,
    ).toBe("UNAUTHORIZED");
    expect(d.signed({ type: "CancelOrder", account: 0, nonce: d.nextNonce(), slot: 255, clientOrderId: 7n, signature: "0x" }, key).ok).toBe(true);
    expect(d.signed({ type: "RevokeSessionKey", account: 0, nonce: d.nextNonce(), key, signature: "0x" }).ok).toBe(true);
    expect(order().reason).toBe("UNAUTHORIZED");
  });
});

describe("address case", () => {
  const mixed = (a: string) => `0x${a.slice(2).replace(/[a-f]/g, (c) => c.toUpperCase())}` as `0x${string}`;

  it("stores session keys lowercase and compares them lowercase, however the operation spells them", () => {
    const d = new Driver();
    const who = `0x${"ef".repeat(20)}` as const;
    d.deposit(0, 10_000n * USD, 0, mixed(who));
    const acct = d.state.accounts[0]!;
    expect(acct.owner).toBe(who);
    const grant = (k: `0x${string}`) =>
      d.signed({ type: "GrantSessionKey", account: 0, nonce: d.nextNonce(), key: k, expiry: d.now + 60_000n, signature: "0x" });
    // The owner spelled in capitals is still the owner: it cannot be its own session key, and
    // its signature (a signer given in capitals) still authorizes owner-only operations.
    expect(grant(mixed(who)).reason).toBe("SESSION_KEY_INVALID");
    expect(d.signed({ type: "Withdraw", account: 0, nonce: d.nextNonce(), asset: 0, amount: 1n, signature: "0x" }, mixed(who)).ok).toBe(true);
    const key = "0x00000000000000000000000000000000000abcde" as const;
    // Granted in capitals, used (recovered signers are lowercase) and re-granted in lowercase:
    // one slot, not two.
    expect(grant(mixed(key)).ok).toBe(true);
    const r = grant(key);
    expect(r.ok).toBe(true);
    expect(r.events[0]).toMatchObject({ kind: "SessionKeyGranted", key });
    expect(acct.sessionKeys.filter((k) => k.key.toLowerCase() === key)).toHaveLength(1);
    expect(acct.sessionKeys.every((k) => k.key === k.key.toLowerCase())).toBe(true);
    const order = (signer: `0x${string}`) =>
      d.signed({ type: "PlaceOrder", account: 0, nonce: d.nextNonce(), market: BTC, flags: 0, price: 50_000n * USD, size: 10_000n, expiry: 0n, clientOrderId: 0n, signature: "0x" }, signer);
    expect(order(key).ok).toBe(true);
    expect(order(mixed(key)).ok).toBe(true);
    // Revoked in capitals.
    expect(d.signed({ type: "RevokeSessionKey", account: 0, nonce: d.nextNonce(), key: mixed(key), signature: "0x" }).ok).toBe(true);
    expect(order(key).reason).toBe("UNAUTHORIZED");
  });

  it("refunds a refused deposit to its owner's address in lowercase", () => {
    const d = new Driver();
    d.deposit(0, 5n * USD);
    const who = mixed(`0x${"cd".repeat(20)}`);
    const r = d.apply({ type: "Deposit", queueIndex: d.state.l1.nextIndex, account: 7, owner: who, asset: 0, amount: 3n * USD });
    expect(r).toMatchObject({ ok: false, reason: "ACCOUNT_MISMATCH", l1Consumed: true });
    expect(d.state.withdrawals.at(-1)).toEqual({ account: 7, owner: `0x${"cd".repeat(20)}`, asset: 0, amount: 3n * USD });
  });
});

describe("withdrawals with a stale market price", () => {
  it("are refused while the account holds a cross position in a market whose price is stale", () => {
    const d = new Driver();
    d.deposit(0, 10_000n * USD);
    d.deposit(1, 1_000_000n * USD);
    d.deposit(2, 10_000n * USD);
    d.setCross(0, BTC);
    expect(d.trade(1, 0, BTC, "buy", 60_000n * USD, BTC_UNIT / 10n).ok).toBe(true);
    const withdraw = (amount: bigint) => d.signed({ type: "Withdraw", account: 0, nonce: d.nextNonce(), asset: 0, amount, signature: "0x" });
    const transfer = (amount: bigint) => d.signed({ type: "Transfer", account: 0, nonce: d.nextNonce(), to: 1, asset: 0, amount, signature: "0x" });
    // BTC's price (t = 1,000) is 61 s old: the position's value now is unknown.
    d.now += 61_000n;
    expect(withdraw(1n * USD).reason).toBe("ORACLE_STALE");
    expect(transfer(1n * USD).reason).toBe("ORACLE_STALE");
    expect(d.apply({ type: "ForcedWithdraw", queueIndex: d.state.l1.nextIndex, account: 0, asset: 0, amount: 1n * USD })).toMatchObject({
      ok: false,
      reason: "ORACLE_STALE",
    });
    // A fresh price restores the ordinary check.
    expect(d.oracle([{ id: BTC, price: 60_000n * USD }]).ok).toBe(true);
    expect(withdraw(1n * USD).ok).toBe(true);
    // An isolated position is not backed by the cross pool and does not block withdrawals.
    expect(d.trade(1, 2, BTC, "buy", 60_000n * USD, BTC_UNIT / 10n).ok).toBe(true);
    d.now += 61_000n;
    expect(d.signed({ type: "Withdraw", account: 2, nonce: d.nextNonce(), asset: 0, amount: 1n * USD, signature: "0x" }).ok).toBe(true);
  });
});

describe("requirement fast path", () => {
  it("agrees with the tiered formula on both sides of every band edge", () => {
    const d = new Driver();
    const m = d.state.markets[BTC]!;
    for (const size of [1n, 10_000n, 1_666_666_666n, 1_666_666_667n, 1_666_676_667n, 2_000_000_000n, 10n ** 12n]) {
      for (const sign of [1n, -1n]) {
        const pos = { size: sign * size, entryNotional: 0n, lastFundingIndex: 0n, isolatedMargin: 0n, marginMode: 1 };
        const n = notional(pos.size, m.oraclePrice);
        expect(contribution(pos, m)).toMatchObject({ initial: tieredRequirement(m.tiers, n, false), maintenance: tieredRequirement(m.tiers, n, true) });
      }
    }
  });
});
