/** What an operation did: accepted with its events, or rejected with a reason. */
import type { Hex } from "./ops.js";
import type { Reason } from "./reasons.js";

export type StfEvent =
  | { kind: "AccountCreated"; account: number; owner: Hex }
  | { kind: "BalanceChanged"; account: number; asset: number; delta: bigint; balance: bigint }
  | { kind: "WithdrawalCreated"; index: number; account: number; asset: number; amount: bigint }
  | { kind: "OrderPlaced"; account: number; slot: number; market: number; flags: number; price: bigint; size: bigint }
  | { kind: "OrderRemoved"; account: number; slot: number; cause: "cancelled" | "filled" | "expired" }
  | {
      kind: "Fill";
      market: number;
      maker: number;
      makerSlot: number;
      taker: number;
      takerSlot: number;
      price: bigint;
      size: bigint;
      /** True when the taker bought. */
      takerBuys: boolean;
    }
  | {
      kind: "PositionChanged";
      account: number;
      market: number;
      size: bigint;
      entryNotional: bigint;
      isolatedMargin: bigint;
      marginMode: number;
      realizedPnl: bigint;
    }
  | { kind: "OraclePrice"; priceKind: number; id: number; price: bigint; timestamp: bigint }
  | { kind: "SessionKeyGranted"; account: number; key: Hex; expiry: bigint }
  | { kind: "SessionKeyRevoked"; account: number; key: Hex }
  | { kind: "ParamChanged"; key: number; target: number }
  | { kind: "L1InputConsumed"; queueIndex: bigint }
  | {
      kind: "Liquidation";
      account: number;
      liquidator: number;
      market: number;
      size: bigint;
      price: bigint;
      notional: bigint;
      penalty: bigint;
    }
  | { kind: "Deleveraged"; account: number; counterparty: number; market: number; size: bigint; bankruptcyPrice: bigint }
  /** A step of the default waterfall: who paid for a bankrupt account's deficit, and how much. */
  | {
      kind: "Waterfall";
      account: number;
      step: "collateral" | "insurance" | "socialized";
      /** Settlement-asset atoms covered by this step. */
      amount: bigint;
      /** For "collateral": the asset seized into the insurance fund and how much of it. */
      asset?: number;
      seized?: bigint;
    }
  | { kind: "Funding"; market: number; ratePpm: bigint; fundingIndex: bigint }
  | { kind: "PortfolioMargin"; account: number; enabled: boolean };

export interface Receipt {
  ok: boolean;
  reason?: Reason;
  detail?: string;
  events: StfEvent[];
  /**
   * An L1 input is consumed from the queue even when its effect is refused (otherwise the
   * queue could never advance past it): such a receipt has ok=false and l1Consumed=true.
   */
  l1Consumed?: boolean;
}
