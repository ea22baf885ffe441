/**
 * Layout and arithmetic constants of the Crossmargin state machine.
 *
 * NOTE: every constant here is consensus: changing one changes the SSZ layout or the
 * arithmetic, so the Solidity one-step STF (contracts/src) must change with it.
 * docs/protocol.md lists them with their reasons.
 */

/** Collateral assets the state can hold (asset 0 is the settlement asset). */
export const MAX_ASSETS = 4;
/** Perpetual markets the state can list; a position slot per market in every account. */
export const MAX_MARKETS = 64;
/** Resting-order slots per account. 64 lets a market maker quote both sides, a few levels deep,
 * in a dozen markets from one account; it bounds what a one-step proof of a fill must witness. */
export const ORDER_SLOTS = 64;
/** Nonces remembered per account: the highest NONCE_WINDOW nonces used. */
export const NONCE_WINDOW = 16;
/** Session keys an owner can grant at once. */
export const SESSION_KEYS = 4;
/** Margin tiers (notional bands) per market. */
export const MARGIN_TIERS = 4;
/** Correlation groups for portfolio-margin scenarios. */
export const CORRELATION_GROUPS = 8;
/** Oracle signer set size (k-of-n, n <= this). */
export const MAX_ORACLE_SIGNERS = 8;
/**
 * List limit of an OracleUpdate's price points: one per market and per asset id (68). Asset 0,
 * the settlement asset, is never priced (such a point is ORACLE_INVALID_POINT), so at most
 * MAX_MARKETS + MAX_ASSETS − 1 = 67 points of one update can be valid.
 */
export const MAX_PRICE_POINTS = MAX_MARKETS + MAX_ASSETS;

/** SSZ list limits: accounts and withdrawals are indexed by uint32. */
export const ACCOUNTS_LIMIT_DEPTH = 32;
export const WITHDRAWALS_LIMIT_DEPTH = 32;

/** Position sizes are integers in units of 1e-8 of the base asset. */
export const SIZE_SCALE = 100_000_000n;
/** Fractions (margin, weights, bands) are parts per million. */
export const PPM = 1_000_000n;

/**
 * Largest order, oracle and ADL price, and largest order size. Both fit a uint64 field, and a
 * position size (int64) times a price stays below 2^125, so a position's value or notional
 * fits an int128 field. Other intermediate products are not bounded by 128 bits (e.g.
 * balance × price × weight in collateral valuation, Σ size × price × shock in portfolio
 * margin): a second implementation needs 256-bit signed intermediates (docs/protocol.md §1).
 * Stored values are range-checked where they are written (OVERFLOW).
 */
export const MAX_PRICE = (1n << 62n) - 1n;
export const MAX_ORDER_SIZE = (1n << 62n) - 1n;
/** Ranges of the signed and unsigned integer fields of the state. */
export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;
export const INT128_MIN = -(1n << 127n);
export const INT128_MAX = (1n << 127n) - 1n;
export const UINT64_MAX = (1n << 64n) - 1n;

/** Order flags (PlaceOrder.flags and Order.flags). */
export const FLAG_SELL = 1;
export const TIF_SHIFT = 1;
export const TIF_MASK = 0b110;
export const TIF_GTC = 0;
export const TIF_IOC = 1;
export const TIF_POST_ONLY = 2;
export const FLAG_REDUCE_ONLY = 8;
export const ORDER_FLAGS_KNOWN = FLAG_SELL | TIF_MASK | FLAG_REDUCE_ONLY;

/** Position margin modes. Isolated is the default (the zero value). */
export const MODE_ISOLATED = 0;
export const MODE_CROSS = 1;

/** Market status. */
export const MARKET_UNLISTED = 0;
export const MARKET_ACTIVE = 1;
export const MARKET_REDUCE_ONLY = 2;
export const MARKET_HALTED = 3;

/** OracleUpdate price point kinds. */
export const PRICE_KIND_MARKET = 0;
export const PRICE_KIND_ASSET = 1;

/** "No account" in account-valued parameters. */
export const NO_ACCOUNT = 0xffffffff;
/** Account flag: portfolio margin. */
export const ACCOUNT_PORTFOLIO_MARGIN = 1n;
/** CancelOrder.slot value meaning "cancel by client order id". */
export const CANCEL_BY_CLIENT_ID = 255;
/** CancelAll.market value meaning "every market". */
export const ALL_MARKETS = 0xffff;

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
