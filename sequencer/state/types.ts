/**
 * SSZ schema of the Crossmargin state and operations.
 *
 * These types define the canonical encodings and the state root (`hashTreeRoot`). The STF
 * keeps the state in plain objects (state.ts) and maintains the same root incrementally
 * (merkle.ts); tests check that root against `State.hashTreeRoot` of the SSZ value built
 * from those objects (sszValue.ts).
 *
 * Field widths: `uint64` fields hold bigint values; signed quantities (position size, entry
 * notional, funding index, balances) are stored as two's complement in an unsigned field of
 * the same width (int64 in 8 bytes, int128 in 16). SSZ integers are little-endian.
 */
import {
  ByteVectorType,
  ContainerType,
  ListCompositeType,
  UintBigintType,
  UintNumberType,
  UnionType,
  VectorBasicType,
  VectorCompositeType,
  type ValueOf,
} from "@chainsafe/ssz";
import {
  ACCOUNTS_LIMIT_DEPTH,
  CORRELATION_GROUPS,
  MARGIN_TIERS,
  MAX_ASSETS,
  MAX_MARKETS,
  MAX_ORACLE_SIGNERS,
  MAX_PRICE_POINTS,
  NONCE_WINDOW,
  ORDER_SLOTS,
  SESSION_KEYS,
  WITHDRAWALS_LIMIT_DEPTH,
} from "./constants.js";

export const Uint8 = new UintNumberType(1);
export const Uint16 = new UintNumberType(2);
export const Uint32 = new UintNumberType(4);
export const Uint64 = new UintBigintType(8);
/** Two's complement int64 in a uint64 field. */
export const Int64 = new UintBigintType(8);
export const Uint128 = new UintBigintType(16);
/** Two's complement int128 in a uint128 field. */
export const Int128 = new UintBigintType(16);
export const Address = new ByteVectorType(20);
export const Bytes32 = new ByteVectorType(32);
export const Signature = new ByteVectorType(65);

// ─── State ──────────────────────────────────────────────────────────────────────────────

export const MarginTier = new ContainerType(
  {
    /** Upper end of this notional band (quote units); the last used tier extends to infinity. */
    notionalCap: Uint64,
    /** Initial margin fraction within this band, ppm. 0 marks the tier unused. */
    imfPpm: Uint32,
    /** Maintenance margin fraction within this band, ppm. */
    mmfPpm: Uint32,
  },
  { typeName: "MarginTier" },
);

export const Market = new ContainerType(
  {
    status: Uint8,
    tickSize: Uint64,
    lotSize: Uint64,
    tiers: new VectorCompositeType(MarginTier, MARGIN_TIERS),
    oraclePrice: Uint64,
    oracleTimestamp: Uint64,
    /** Cumulative funding per whole base unit (quote atoms, signed); longs pay when it rises. */
    fundingIndex: Int64,
    openInterest: Uint64,
    /** Correlation group for portfolio margin scenarios (index into params.groupShocksPpm). */
    group: Uint8,
    /** Governed cap on notional liquidated in this market per pacing window (quote atoms). */
    liquidationCap: Uint64,
    lastFundingTime: Uint64,
    /** Funding payments in transit: paid in by settling positions, paid out to them. */
    fundingPool: Int128,
    /** Pacing: start (ms) of the window `liquidatedInWindow` counts, and the notional liquidated in it. */
    pacingWindowStart: Uint64,
    liquidatedInWindow: Uint64,
  },
  { typeName: "Market" },
);

export const CollateralAsset = new ContainerType(
  {
    decimals: Uint8,
    /** Collateral weight (haircut) in ppm: 1,000,000 counts the asset at full value. */
    weightPpm: Uint32,
    /** Quote units per one whole token (10^decimals atoms). */
    oraclePrice: Uint64,
    oracleTimestamp: Uint64,
  },
  { typeName: "CollateralAsset" },
);

export const Position = new ContainerType(
  {
    /** Signed size in 1e-8 base units; positive is long. */
    size: Int64,
    /** Signed quote paid to open the position (size × average entry price / 1e8). */
    entryNotional: Int64,
    lastFundingIndex: Int64,
    /** Margin set aside for an isolated position (quote units). */
    isolatedMargin: Uint64,
    marginMode: Uint8,
  },
  { typeName: "Position" },
);

export const Order = new ContainerType(
  {
    market: Uint16,
    flags: Uint8,
    price: Uint64,
    size: Uint64,
    remaining: Uint64,
    expiry: Uint64,
    clientOrderId: Uint64,
    nonce: Uint64,
  },
  { typeName: "Order" },
);

export const SessionKey = new ContainerType(
  { key: Address, expiry: Uint64 },
  { typeName: "SessionKey" },
);

export const LiquidationPacing = new ContainerType(
  { windowStart: Uint64, liquidatedInWindow: Uint64 },
  { typeName: "LiquidationPacing" },
);

export const Account = new ContainerType(
  {
    owner: Address,
    /** Bit 0: portfolio margin opted in. */
    flags: Uint64,
    balances: new VectorBasicType(Int128, MAX_ASSETS),
    nonces: new VectorBasicType(Uint64, NONCE_WINDOW),
    sessionKeys: new VectorCompositeType(SessionKey, SESSION_KEYS),
    positions: new VectorCompositeType(Position, MAX_MARKETS),
    orders: new VectorCompositeType(Order, ORDER_SLOTS),
    pacing: LiquidationPacing,
  },
  { typeName: "Account" },
);

export const Withdrawal = new ContainerType(
  { account: Uint32, owner: Address, asset: Uint8, amount: Uint128 },
  { typeName: "Withdrawal" },
);

export const Params = new ContainerType(
  {
    maxOracleAgeMs: Uint64,
    oracleBandPpm: Uint32,
    nonceWindowMs: Uint64,
    oracleThreshold: Uint8,
    oracleSigners: new VectorCompositeType(Address, MAX_ORACLE_SIGNERS),
    /** Charged on liquidated notional, paid to the insurance fund. */
    liquidationPenaltyPpm: Uint32,
    /** A liquidation stops once equity ≥ maintenance × (1 + buffer). */
    liquidationBufferPpm: Uint32,
    pacingWindowMs: Uint64,
    /** Cap on notional liquidated per account per pacing window (quote atoms). */
    accountLiquidationCap: Uint64,
    /** Cap on what the insurance fund pays for bankruptcies per pacing window (quote atoms). */
    insuranceLossCap: Uint64,
    fundingIntervalMs: Uint64,
    maxFundingRatePpm: Uint32,
    /** Portfolio margin: requirement never below this fraction of gross notional. */
    portfolioFloorPpm: Uint32,
    /** Portfolio margin: maintenance as a fraction of the initial requirement. */
    portfolioMaintenancePpm: Uint32,
    /** Portfolio margin: price shock per correlation group. */
    groupShocksPpm: new VectorBasicType(Uint32, CORRELATION_GROUPS),
    /** The protocol's backstop account (takes forced closes); 0xFFFFFFFF: none. */
    backstopAccount: Uint32,
  },
  { typeName: "Params" },
);

export const L1Cursor = new ContainerType(
  {
    /** Queue index of the next L1 input to consume. */
    nextIndex: Uint64,
    /** keccak256 hash chain over every consumed L1 input (see l1Input.ts). */
    chainHash: Bytes32,
  },
  { typeName: "L1Cursor" },
);

export const State = new ContainerType(
  {
    params: Params,
    l1: L1Cursor,
    /** Timestamp (ms) of the last accepted operation. */
    clock: Uint64,
    assets: new ListCompositeType(CollateralAsset, MAX_ASSETS),
    markets: new ListCompositeType(Market, MAX_MARKETS),
    accounts: new ListCompositeType(Account, 2 ** ACCOUNTS_LIMIT_DEPTH),
    withdrawals: new ListCompositeType(Withdrawal, 2 ** WITHDRAWALS_LIMIT_DEPTH),
    insuranceFund: new VectorBasicType(Int128, MAX_ASSETS),
    /** The insurance fund's loss cap window: its start and what the fund paid in it. */
    insuranceWindow: new ContainerType({ windowStart: Uint64, paidInWindow: Uint128 }, { typeName: "InsuranceWindow" }),
    /** Bankruptcy deficits no one absorbed: written off, in settlement-asset atoms (cumulative). */
    socializedLoss: Uint128,
  },
  { typeName: "State" },
);

export type StateValue = ValueOf<typeof State>;
export type AccountValue = ValueOf<typeof Account>;

// ─── Operations ─────────────────────────────────────────────────────────────────────────

export const DepositOp = new ContainerType(
  { queueIndex: Uint64, account: Uint32, owner: Address, asset: Uint8, amount: Uint128 },
  { typeName: "Deposit" },
);
export const ParamUpdateOp = new ContainerType(
  { queueIndex: Uint64, key: Uint16, target: Uint16, value: Bytes32 },
  { typeName: "ParamUpdate" },
);
export const WithdrawOp = new ContainerType(
  { account: Uint32, nonce: Uint64, asset: Uint8, amount: Uint128, signature: Signature },
  { typeName: "Withdraw" },
);
export const TransferOp = new ContainerType(
  { account: Uint32, nonce: Uint64, to: Uint32, asset: Uint8, amount: Uint128, signature: Signature },
  { typeName: "Transfer" },
);
export const GrantSessionKeyOp = new ContainerType(
  { account: Uint32, nonce: Uint64, key: Address, expiry: Uint64, signature: Signature },
  { typeName: "GrantSessionKey" },
);
export const RevokeSessionKeyOp = new ContainerType(
  { account: Uint32, nonce: Uint64, key: Address, signature: Signature },
  { typeName: "RevokeSessionKey" },
);
export const PlaceOrderOp = new ContainerType(
  {
    account: Uint32,
    nonce: Uint64,
    market: Uint16,
    flags: Uint8,
    price: Uint64,
    size: Uint64,
    expiry: Uint64,
    clientOrderId: Uint64,
    signature: Signature,
  },
  { typeName: "PlaceOrder" },
);
export const CancelOrderOp = new ContainerType(
  { account: Uint32, nonce: Uint64, slot: Uint8, clientOrderId: Uint64, signature: Signature },
  { typeName: "CancelOrder" },
);
export const CancelAllOp = new ContainerType(
  { account: Uint32, nonce: Uint64, market: Uint16, signature: Signature },
  { typeName: "CancelAll" },
);
export const FillOp = new ContainerType(
  {
    makerAccount: Uint32,
    makerSlot: Uint8,
    takerAccount: Uint32,
    takerSlot: Uint8,
    price: Uint64,
    size: Uint64,
  },
  { typeName: "Fill" },
);
export const PricePoint = new ContainerType(
  { kind: Uint8, id: Uint16, price: Uint64 },
  { typeName: "PricePoint" },
);
export const OracleUpdateOp = new ContainerType(
  {
    timestamp: Uint64,
    prices: new ListCompositeType(PricePoint, MAX_PRICE_POINTS),
    signatures: new ListCompositeType(Signature, MAX_ORACLE_SIGNERS),
  },
  { typeName: "OracleUpdate" },
);
export const SetMarginModeOp = new ContainerType(
  { account: Uint32, nonce: Uint64, market: Uint16, mode: Uint8, signature: Signature },
  { typeName: "SetMarginMode" },
);
export const AdjustIsolatedMarginOp = new ContainerType(
  { account: Uint32, nonce: Uint64, market: Uint16, delta: Int64, signature: Signature },
  { typeName: "AdjustIsolatedMargin" },
);

export const LiquidateOp = new ContainerType(
  { account: Uint32, nonce: Uint64, target: Uint32, market: Uint16, signature: Signature },
  { typeName: "Liquidate" },
);
export const DeleverageOp = new ContainerType(
  { target: Uint32, market: Uint16, counterparty: Uint32, size: Uint64 },
  { typeName: "Deleverage" },
);
export const FundingTickOp = new ContainerType({ market: Uint16, premiumPpm: Int64 }, { typeName: "FundingTick" });
export const SetPortfolioMarginOp = new ContainerType(
  { account: Uint32, nonce: Uint64, enabled: Uint8, signature: Signature },
  { typeName: "SetPortfolioMargin" },
);

/** L1 input: the owner withdraws through L1 when the sequencer will not include a Withdraw. */
export const ForcedWithdrawOp = new ContainerType(
  { queueIndex: Uint64, account: Uint32, asset: Uint8, amount: Uint128 },
  { typeName: "ForcedWithdraw" },
);
/** L1 input: the owner closes a position through L1 (against the backstop, at the oracle price). */
export const ForcedCloseOp = new ContainerType(
  { queueIndex: Uint64, account: Uint32, market: Uint16 },
  { typeName: "ForcedClose" },
);

/**
 * The union selector of each operation is its index here; it is the first byte of the
 * operation's canonical encoding. Append only.
 */
export const OP_TYPES = [
  ["Deposit", DepositOp],
  ["ParamUpdate", ParamUpdateOp],
  ["Withdraw", WithdrawOp],
  ["Transfer", TransferOp],
  ["GrantSessionKey", GrantSessionKeyOp],
  ["RevokeSessionKey", RevokeSessionKeyOp],
  ["PlaceOrder", PlaceOrderOp],
  ["CancelOrder", CancelOrderOp],
  ["CancelAll", CancelAllOp],
  ["Fill", FillOp],
  ["OracleUpdate", OracleUpdateOp],
  ["SetMarginMode", SetMarginModeOp],
  ["AdjustIsolatedMargin", AdjustIsolatedMarginOp],
  ["Liquidate", LiquidateOp],
  ["Deleverage", DeleverageOp],
  ["FundingTick", FundingTickOp],
  ["SetPortfolioMargin", SetPortfolioMarginOp],
  ["ForcedWithdraw", ForcedWithdrawOp],
  ["ForcedClose", ForcedCloseOp],
] as const;

export const Operation = new UnionType(OP_TYPES.map(([, t]) => t));

/** An operation as it stands in a batch: the sequencer's timestamp and the operation. */
export const SequencedOp = new ContainerType(
  { timestamp: Uint64, op: Operation },
  { typeName: "SequencedOp" },
);
