/** A small market set and helpers shared by the STF tests. */
import { FLAG_SELL, MODE_CROSS, PPM, TIF_IOC } from "../constants.js";
import type { OpContext } from "../context.js";
import { createGenesisState, type GenesisConfig } from "../genesis.js";
import type { Hex, Op } from "../ops.js";
import type { Receipt } from "../receipt.js";
import type { CrossmarginState } from "../state.js";
import { applyOp } from "../stf.js";

export const ORACLE = "0x00000000000000000000000000000000000000aa" as Hex;
export const owner = (i: number) => `0x${(0x1000 + i).toString(16).padStart(40, "0")}` as Hex;
export const USD = 1_000_000n; // one dollar in settlement atoms
export const BTC = 0;
export const ETH = 1;

/**
 * BTC at $60,000 (tick $1, lot 0.0001 BTC), ETH at $3,000 (tick $0.01, lot 0.001 ETH),
 * tiers: BTC 10%/5% up to $1M notional then 20%/10%; ETH 5%/2.5%.
 * Asset 1 is WETH (18 decimals, weight 0.8) at $3,000.
 */
export function testGenesis(overrides: Partial<GenesisConfig> = {}): GenesisConfig {
  return {
    maxOracleAgeMs: 60_000n,
    oracleBandPpm: 200_000n,
    nonceWindowMs: 86_400_000n,
    oracleThreshold: 1,
    oracleSigners: [ORACLE],
    assets: [
      { decimals: 6, weightPpm: PPM },
      { decimals: 18, weightPpm: 800_000n, oraclePrice: 3_000n * USD, oracleTimestamp: 1_000n },
    ],
    markets: [
      {
        tickSize: USD,
        lotSize: 10_000n,
        tiers: [
          { notionalCap: 1_000_000n * USD, imfPpm: 100_000n, mmfPpm: 50_000n },
          { notionalCap: 0n, imfPpm: 200_000n, mmfPpm: 100_000n },
        ],
        oraclePrice: 60_000n * USD,
        oracleTimestamp: 1_000n,
      },
      {
        tickSize: 10_000n,
        lotSize: 100_000n,
        tiers: [{ notionalCap: 0n, imfPpm: 50_000n, mmfPpm: 25_000n }],
        oraclePrice: 3_000n * USD,
        oracleTimestamp: 1_000n,
      },
    ],
    ...overrides,
  };
}

/** Drives an STF instance the way a sequencer would, with signers given directly. */
export class Driver {
  readonly state: CrossmarginState;
  now = 1_000n;
  private nonce = 1_000n;
  private queue = 0n;

  constructor(cfg: GenesisConfig = testGenesis()) {
    this.state = createGenesisState(cfg);
  }

  apply(op: Op, ctx: Partial<OpContext> = {}): Receipt {
    return applyOp(this.state, op, { timestamp: this.now, signer: null, ...ctx });
  }

  /** Applies an account-signed op as signed by `signer` (default: the account owner). */
  signed(op: Op & { account: number }, signer?: Hex): Receipt {
    return this.apply(op, { signer: signer ?? this.state.accounts[op.account]?.owner ?? null });
  }

  nextNonce(): bigint {
    this.nonce = this.nonce < this.now ? this.now : this.nonce + 1n;
    return this.nonce;
  }

  deposit(account: number, amount: bigint, asset = 0, who = owner(account)): Receipt {
    return this.apply({ type: "Deposit", queueIndex: this.queue++, account, owner: who, asset, amount });
  }

  place(
    account: number,
    market: number,
    side: "buy" | "sell",
    price: bigint,
    size: bigint,
    extra: { flags?: number; expiry?: bigint; clientOrderId?: bigint } = {},
  ): Receipt {
    return this.signed({
      type: "PlaceOrder",
      account,
      nonce: this.nextNonce(),
      market,
      flags: (side === "sell" ? FLAG_SELL : 0) | (extra.flags ?? 0),
      price,
      size,
      expiry: extra.expiry ?? 0n,
      clientOrderId: extra.clientOrderId ?? 0n,
      signature: "0x",
    });
  }

  fill(maker: number, makerSlot: number, taker: number, takerSlot: number, price: bigint, size: bigint): Receipt {
    return this.apply({ type: "Fill", makerAccount: maker, makerSlot, takerAccount: taker, takerSlot, price, size });
  }

  /** Maker rests an order, taker crosses it with an IOC, and the two fill. */
  trade(maker: number, taker: number, market: number, takerSide: "buy" | "sell", price: bigint, size: bigint): Receipt {
    const m = this.place(maker, market, takerSide === "buy" ? "sell" : "buy", price, size);
    if (!m.ok) return m;
    const t = this.place(taker, market, takerSide, price, size, { flags: TIF_IOC << 1 });
    if (!t.ok) return t;
    return this.fill(maker, slotOf(m), taker, slotOf(t), price, size);
  }

  setCross(account: number, market: number): Receipt {
    return this.signed({ type: "SetMarginMode", account, nonce: this.nextNonce(), market, mode: MODE_CROSS, signature: "0x" });
  }

  oracle(prices: { kind?: number; id: number; price: bigint }[], timestamp = this.now): Receipt {
    return this.apply(
      { type: "OracleUpdate", timestamp, prices: prices.map((p) => ({ kind: p.kind ?? 0, id: p.id, price: p.price })), signatures: [] },
      { oracleSigners: [ORACLE] },
    );
  }
}

export function slotOf(r: Receipt): number {
  const e = r.events.find((x) => x.kind === "OrderPlaced");
  if (!e || e.kind !== "OrderPlaced") throw new Error(`no OrderPlaced in ${JSON.stringify(r, jsonBigint)}`);
  return e.slot;
}

export function jsonBigint(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? `${v}n` : v;
}

export const BTC_UNIT = 100_000_000n; // 1 BTC in 1e-8 units

/** Driver helpers for the risk engine. */
export function liquidate(d: Driver, liquidator: number, target: number, market: number): Receipt {
  return d.signed({ type: "Liquidate", account: liquidator, nonce: d.nextNonce(), target, market, signature: "0x" });
}
