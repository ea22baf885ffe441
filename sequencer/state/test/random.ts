/**
 * Random operation sequences for property tests: a seeded generator (no Math.random) that
 * reads the state to make most operations plausible (live orders to fill, prices near the
 * oracle, on tick and lot) and mixes in invalid ones (wrong signer, stale oracle, replays,
 * off-tick prices, regressing timestamps, oversize withdrawals).
 */
import { ALL_MARKETS, CANCEL_BY_CLIENT_ID, FLAG_REDUCE_ONLY, FLAG_SELL, MODE_CROSS, ORDER_SLOTS, PPM, TIF_IOC, TIF_POST_ONLY } from "../constants.js";
import type { OpContext } from "../context.js";
import type { Hex, Op } from "../ops.js";
import { PARAM_KEYS } from "../ops/paramUpdate.js";
import type { CrossmarginState } from "../state.js";
import { crossHealth } from "../margin.js";
import { netValue } from "../risk.js";
import { ORACLE, USD, owner } from "./fixtures.js";

export class Rng {
  private s: bigint;
  constructor(seed: number) {
    this.s = BigInt(seed) ^ 0x9e3779b97f4a7c15n;
  }
  /** splitmix64 */
  next(): bigint {
    this.s = (this.s + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    let z = this.s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
    return z ^ (z >> 31n);
  }
  int(n: number): number {
    return Number(this.next() % BigInt(n));
  }
  big(n: bigint): bigint {
    return this.next() % n;
  }
  chance(p: number): boolean {
    return this.int(1_000_000) < p * 1_000_000;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

export interface Step {
  op: Op;
  ctx: OpContext;
}

function le64(x: bigint, at = 0, into = new Uint8Array(32)): Uint8Array {
  for (let i = 0; i < 8; i++) into[at + i] = Number((x >> BigInt(8 * i)) & 0xffn);
  return into;
}
function hex(b: Uint8Array): Hex {
  return `0x${Buffer.from(b).toString("hex")}` as Hex;
}

export class RandomOps {
  now = 1_000n;
  private nonce = 1_000n;
  private readonly maxAccounts: number;

  constructor(
    private readonly rng: Rng,
    maxAccounts = 6,
  ) {
    this.maxAccounts = maxAccounts;
  }

  private nextNonce(): bigint {
    // Mostly fresh; sometimes a replay or a nonce far outside the window.
    if (this.rng.chance(0.03)) return this.nonce;
    if (this.rng.chance(0.01)) return this.now + 10n ** 12n;
    this.nonce = this.nonce < this.now ? this.now : this.nonce + 1n;
    return this.nonce;
  }

  private signer(state: CrossmarginState, account: number): Hex | null {
    const a = state.accounts[account];
    if (!a) return owner(account);
    if (this.rng.chance(0.03)) return owner(account + 50); // a stranger
    if (this.rng.chance(0.01)) return null; // a bad signature
    const keys = a.sessionKeys.filter((k) => k.key !== "0x0000000000000000000000000000000000000000");
    if (keys.length > 0 && this.rng.chance(0.3)) return this.rng.pick(keys).key;
    return a.owner;
  }

  next(state: CrossmarginState): Step {
    const r = this.rng;
    // Time mostly advances by up to 5 s; rarely jumps past the oracle age or regresses.
    if (r.chance(0.01)) this.now -= 1n + r.big(100n);
    else if (r.chance(0.005)) this.now += 61_000n;
    else this.now += r.big(5_000n);
    if (this.now < 1n) this.now = 1n;
    const n = state.accounts.length;
    const acct = n === 0 ? 0 : r.int(n);
    const markets = state.markets.length;
    const kind = n < 2 ? 0 : r.int(112);
    const mk = (op: Op, signer: Hex | null = null, oracleSigners?: (Hex | null)[]): Step => ({
      op,
      ctx: { timestamp: this.now, signer, ...(oracleSigners ? { oracleSigners } : {}) },
    });

    if (kind < 8) {
      // Deposit: to an existing owner, a new account, or (rarely) a mismatched one.
      const account = n < this.maxAccounts && r.chance(0.4) ? n : r.int(Math.max(n, 1));
      const asset = r.chance(0.8) ? 0 : r.chance(0.95) ? 1 : 7; // 7: an asset the state does not list (refunded)
      const amount = asset === 0 ? r.big(r.chance(0.5) ? 5_000n * USD : 200_000n * USD) : r.big(50n * 10n ** 18n);
      const who = r.chance(0.02) ? owner(account + 7) : owner(account);
      const queueIndex = state.l1.nextIndex + (r.chance(0.02) ? 1n : 0n);
      const step = mk({ type: "Deposit", queueIndex, account, owner: who, asset, amount });
      return step;
    }
    if (kind < 12) {
      const asset = r.chance(0.8) ? 0 : 1;
      const bal = state.accounts[acct]!.balances[asset]!;
      const amount = r.chance(0.2) ? bal + 1n : bal > 0n ? 1n + r.big(bal) : 1n;
      return mk({ type: "Withdraw", account: acct, nonce: this.nextNonce(), asset, amount, signature: "0x" }, this.signer(state, acct));
    }
    if (kind < 15) {
      const asset = r.chance(0.8) ? 0 : 1;
      const bal = state.accounts[acct]!.balances[asset]!;
      const amount = bal > 0n ? 1n + r.big(bal) : 1n;
      return mk(
        { type: "Transfer", account: acct, nonce: this.nextNonce(), to: r.int(n + 1), asset, amount, signature: "0x" },
        this.signer(state, acct),
      );
    }
    if (kind < 17) {
      const key = owner(200 + r.int(6));
      if (r.chance(0.5)) {
        return mk(
          { type: "GrantSessionKey", account: acct, nonce: this.nextNonce(), key, expiry: this.now + r.big(120_000n), signature: "0x" },
          this.signer(state, acct),
        );
      }
      return mk({ type: "RevokeSessionKey", account: acct, nonce: this.nextNonce(), key, signature: "0x" }, this.signer(state, acct));
    }
    if (kind >= 45 && kind < 55) {
      if (r.chance(0.7)) {
        const slot = r.chance(0.5) ? CANCEL_BY_CLIENT_ID : r.int(ORDER_SLOTS);
        const clientOrderId = slot === CANCEL_BY_CLIENT_ID ? 1n + r.big(5n) : 0n;
        return mk({ type: "CancelOrder", account: acct, nonce: this.nextNonce(), slot, clientOrderId, signature: "0x" }, this.signer(state, acct));
      }
      const market = r.chance(0.5) ? ALL_MARKETS : r.int(markets);
      return mk({ type: "CancelAll", account: acct, nonce: this.nextNonce(), market, signature: "0x" }, this.signer(state, acct));
    }
    if (kind >= 55 && kind < 80) {
      // Fill: pick a live order as maker and an opposite live order in the same market.
      const live: { account: number; slot: number; market: number; sell: boolean; price: bigint; remaining: bigint }[] = [];
      state.accounts.forEach((a, i) =>
        a.orders.forEach((o, s) => {
          if (o && o.remaining > 0n && (o.expiry === 0n || o.expiry >= this.now)) {
            live.push({ account: i, slot: s, market: o.market, sell: (o.flags & FLAG_SELL) !== 0, price: o.price, remaining: o.remaining });
          }
        }),
      );
      if (live.length >= 2 && (live.some((a) => live.some((b) => a.market === b.market && a.sell !== b.sell && a.account !== b.account)) || r.chance(0.1))) {
        const maker = r.pick(live);
        const takers = live.filter(
          (t) =>
            t.market === maker.market &&
            t.sell !== maker.sell &&
            t.account !== maker.account &&
            (r.chance(0.1) || (t.sell ? t.price <= maker.price : t.price >= maker.price)),
        );
        const taker = takers.length > 0 && r.chance(0.95) ? r.pick(takers) : r.chance(0.2) ? r.pick(live) : null;
        if (taker !== null) {
        const lot = state.markets[maker.market]!.lotSize;
        const most = maker.remaining < taker.remaining ? maker.remaining : taker.remaining;
        let size = most <= lot ? lot : lot * (1n + r.big(most / lot));
        if (r.chance(0.05)) size += lot;
        const price = r.chance(0.05) ? taker.price : maker.price;
        return mk({ type: "Fill", makerAccount: maker.account, makerSlot: maker.slot, takerAccount: taker.account, takerSlot: taker.slot, price, size });
        }
      }
    }
    if (kind < 80) {
      // Orders (and fills that found no counterparty).
      const market = r.int(markets + (r.chance(0.02) ? 1 : 0));
      const m = state.markets[market];
      const tick = m?.tickSize ?? 1n;
      const lot = m?.lotSize ?? 1n;
      const ref = m && m.oraclePrice > 0n ? m.oraclePrice : 1000n * USD;
      const offset = (ref * BigInt(r.int(11) - 5)) / 100n; // within ±5% of the oracle
      let price = ((ref + offset) / tick) * tick;
      if (r.chance(0.02)) price += 1n; // off tick
      if (price <= 0n) price = tick;
      let units = 1n + r.big(r.chance(0.15) ? 20_000n : 50n);
      if (m && r.chance(0.25) && state.accounts[acct]) {
        // Near the most the account's free collateral allows: the leveraged book that defaults.
        const h = crossHealth(state, state.accounts[acct]!, this.now);
        const free = h.equity - h.initial;
        const perLot = (lot * price) / 100_000_000n;
        if (free > 0n && perLot > 0n) units = 1n + (free * 9n) / perLot;
      }
      const size = r.chance(0.02) ? lot * units + 1n : lot * units;
      const tif = r.pick([0, 0, 0, TIF_IOC, TIF_POST_ONLY]);
      const flags = (r.chance(0.5) ? FLAG_SELL : 0) | (tif << 1) | (r.chance(0.1) ? FLAG_REDUCE_ONLY : 0);
      const expiry = r.chance(0.2) ? this.now + r.big(20_000n) : 0n;
      const clientOrderId = r.chance(0.5) ? 0n : 1n + r.big(5n);
      return mk(
        { type: "PlaceOrder", account: acct, nonce: this.nextNonce(), market, flags, price, size, expiry, clientOrderId, signature: "0x" },
        this.signer(state, acct),
      );
    }
    if (kind < 88) {
      // Oracle: a random walk within ±4%, sometimes out of band or stale.
      const prices = state.markets.map((m, id) => {
        let p = m.oraclePrice + (m.oraclePrice * BigInt(r.int(81) - 40)) / 1000n;
        if (r.chance(0.03)) p = m.oraclePrice * 2n;
        else if (r.chance(0.25)) p = m.oraclePrice + (m.oraclePrice * BigInt(r.int(39) - 19)) / 100n; // a gap of up to ±18%
        return { kind: 0, id, price: p > 0n ? p : 1n };
      });
      if (state.assets.length > 1 && r.chance(0.7)) {
        const a = state.assets[1]!;
        prices.push({ kind: 1, id: 1, price: a.oraclePrice + (a.oraclePrice * BigInt(r.int(81) - 40)) / 1000n });
      }
      const ts = r.chance(0.05) ? this.now - 100_000n : this.now;
      const signers = r.chance(0.05) ? [owner(77)] : [ORACLE];
      return mk({ type: "OracleUpdate", timestamp: ts, prices, signatures: [] }, null, signers);
    }
    if (kind < 93) {
      return mk(
        { type: "SetMarginMode", account: acct, nonce: this.nextNonce(), market: r.int(markets), mode: r.chance(0.7) ? MODE_CROSS : 0, signature: "0x" },
        this.signer(state, acct),
      );
    }
    if (kind < 97) {
      const delta = (r.chance(0.5) ? -1n : 1n) * (1n + r.big(2_000n * USD));
      return mk(
        { type: "AdjustIsolatedMargin", account: acct, nonce: this.nextNonce(), market: r.int(markets), delta, signature: "0x" },
        this.signer(state, acct),
      );
    }
    if (kind >= 100) {
      const withPos = state.accounts.filter((a) => a.openMarkets.some((m) => a.positions[m]!.size !== 0n));
      // Prefer accounts in trouble: bankrupt ones (net value < 0) get deleveraged or liquidated.
      const bankrupt = withPos.filter((a) => netValue(state, a) < 0n);
      const target =
        bankrupt.length > 0 && r.chance(0.7) ? r.pick(bankrupt) : withPos.length > 0 && r.chance(0.9) ? r.pick(withPos) : state.accounts[acct]!;
      const open = target.openMarkets.filter((m) => target.positions[m]!.size !== 0n);
      const market = open.length > 0 && r.chance(0.9) ? r.pick(open) : r.chance(0.1) ? 0xffff : r.int(markets);
      if (kind < 106 && !(bankrupt.includes(target) && r.chance(0.5))) {
        const liquidator = r.int(n);
        return mk(
          { type: "Liquidate", account: liquidator, nonce: this.nextNonce(), target: target.index, market, signature: "0x" },
          this.signer(state, liquidator),
        );
      }
      if (kind < 109 || bankrupt.includes(target)) {
        const size = target.positions[market]?.size ?? 0n;
        const others = state.accounts.filter((a) => {
          const s2 = a.positions[market]?.size ?? 0n;
          return s2 !== 0n && s2 > 0n !== size > 0n;
        });
        const cp = others.length > 0 ? r.pick(others).index : r.int(n);
        const abs = size < 0n ? -size : size;
        return mk({ type: "Deleverage", target: target.index, market, counterparty: cp, size: abs > 0n ? 1n + r.big(abs) : 1n });
      }
      if (kind < 111) {
        return mk({ type: "FundingTick", market: r.int(markets), premiumPpm: r.big(120_001n) - 60_000n });
      }
      return mk(
        { type: "SetPortfolioMargin", account: acct, nonce: this.nextNonce(), enabled: r.chance(0.7) ? 1 : 0, signature: "0x" },
        this.signer(state, acct),
      );
    }
    // Governance and forced operations (L1 inputs), sometimes invalid.
    const queueIndex = state.l1.nextIndex;
    const market = r.int(markets);
    const choice = r.int(7);
    if (choice === 3) {
      const bal = state.accounts[acct]!.balances[0]!;
      return mk({ type: "ForcedWithdraw", queueIndex, account: acct, asset: 0, amount: bal > 0n ? 1n + r.big(bal) : 1n });
    }
    if (choice === 4 || choice === 6) {
      const holders = state.accounts.filter((a) => a.openMarkets.some((m) => a.positions[m]!.size !== 0n));
      const who = holders.length > 0 && r.chance(0.9) ? r.pick(holders) : state.accounts[acct]!;
      const open = who.openMarkets.filter((m) => who.positions[m]!.size !== 0n);
      return mk({ type: "ForcedClose", queueIndex, account: who.index, market: open.length > 0 ? r.pick(open) : market });
    }
    if (choice === 5) {
      // Mostly the richest account (a backstop that can take positions), sometimes any or none.
      const richest = state.accounts.reduce((a, b) => (b.balances[0]! > a.balances[0]! ? b : a)).index;
      const v = le64(BigInt(r.chance(0.7) ? richest : r.int(n + 1)));
      return mk({ type: "ParamUpdate", queueIndex, key: PARAM_KEYS.BACKSTOP_ACCOUNT, target: 0, value: hex(v) });
    }
    if (choice === 0) {
      const v = le64(BigInt(r.pick([1, 1, 1, 1, 2, 3, 9])));
      return mk({ type: "ParamUpdate", queueIndex, key: PARAM_KEYS.MARKET_STATUS, target: market, value: hex(v) });
    }
    if (choice === 1) {
      const v = le64(0n);
      const imf = BigInt(r.pick([50_000, 100_000, 150_000, 0]));
      v.set(le64(imf).subarray(0, 4), 8);
      v.set(le64(imf / 2n).subarray(0, 4), 12);
      return mk({ type: "ParamUpdate", queueIndex, key: PARAM_KEYS.MARKET_TIER, target: market, value: hex(v) });
    }
    return mk({ type: "ParamUpdate", queueIndex, key: PARAM_KEYS.ORACLE_BAND_PPM, target: 0, value: hex(le64(r.big(PPM) + 1n)) });
  }
}
