// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCastLib} from "solady/utils/SafeCastLib.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

/// @title MiniMargin
/// @notice The on-chain-only peer of Crossmargin in bench/peers: a minimal cross-margined
///         perpetuals ledger where every operation is one L1 transaction — deposit, place
///         (an order rests in storage), cancel, and fill (the taker names a resting order
///         and takes it at its price; both accounts are margin-checked across their markets).
///         It exists to measure what "just run the exchange in a contract" costs in gas and
///         in transactions per second on a general-purpose node, against the rollup.
/// @dev Deliberately smaller than Crossmargin's STF (no funding, liquidation, tiers, fees,
///      oracles by signature, session keys): every omission makes it CHEAPER than a real
///      on-chain venue, so the comparison flatters the peer, not us.
///      Units follow the rollup's: prices are quote atoms per whole base unit, sizes are
///      base units scaled by SIZE_SCALE (1e8), so notional = price * size / SIZE_SCALE.
///      NOT for deployment anywhere but a local bench chain (the owner sets prices).
contract MiniMargin {
    using SafeCastLib for uint256;
    using SafeCastLib for int256;
    using SafeTransferLib for address;

    /// @notice Size scale of the rollup's state (sequencer/state/constants.ts SIZE_SCALE).
    uint256 internal constant SIZE_SCALE = 1e8;
    uint256 internal constant PPM = 1e6;
    /// @notice At most 256 markets: an account's open markets are one bitmap word.
    uint256 internal constant MAX_MARKETS = 256;

    struct Market {
        uint64 price; // oracle price, set by the owner (the bench's stand-in for an oracle)
        uint32 imfPpm; // initial margin fraction
        uint32 mmfPpm; // maintenance margin fraction
        bool listed;
    }

    struct Position {
        int128 size; // signed, SIZE_SCALE units
        int128 entryNotional; // signed quote atoms: cost basis of `size`
    }

    struct Order {
        address owner;
        uint16 market;
        bool sell;
        uint64 price;
        uint128 remaining;
    }

    /// @notice Collateral token (the rollup's 6-decimal stablecoin).
    address public immutable token;
    address public immutable owner;

    mapping(uint256 => Market) public markets;
    /// @notice Collateral in quote atoms, after realized PnL (may go negative only if the
    ///         maintenance check below is bypassed, which it never is).
    mapping(address => int256) public collateral;
    mapping(address => mapping(uint256 => Position)) public positions;
    /// @notice Bit m set: the account has a non-zero position in market m.
    mapping(address => uint256) public openMarkets;
    /// @notice Initial margin held by the account's resting orders (quote atoms).
    mapping(address => uint256) public orderMargin;
    /// @notice Orders by key = (owner << 96) | clientOrderId, so clients can pre-sign cancels
    ///         and fills without waiting for an id assigned on chain.
    mapping(uint256 => Order) public orders;

    event Deposited(address indexed account, uint256 amount);
    event OrderPlaced(uint256 indexed key, uint256 market, bool sell, uint256 price, uint256 size);
    event OrderCancelled(uint256 indexed key);
    event Filled(uint256 indexed makerKey, address indexed taker, uint256 price, uint256 size);

    error NotOwner();
    error UnknownMarket(uint256 market);
    error BadOrder();
    error OrderExists(uint256 key);
    error NoSuchOrder(uint256 key);
    error NotOrderOwner(uint256 key);
    error SelfTrade();
    error InsufficientMargin(address account);

    constructor(address token_) {
        token = token_;
        owner = msg.sender;
    }

    /// @notice Lists or re-prices market `m` (owner only: the bench's oracle).
    function setMarket(uint256 m, uint64 price, uint32 imfPpm, uint32 mmfPpm) external {
        if (msg.sender != owner) revert NotOwner();
        if (m >= MAX_MARKETS || price == 0 || mmfPpm == 0 || imfPpm < mmfPpm) revert UnknownMarket(m);
        markets[m] = Market(price, imfPpm, mmfPpm, true);
    }

    /// @notice Pulls `amount` collateral atoms from the caller.
    function deposit(uint256 amount) external {
        token.safeTransferFrom(msg.sender, address(this), amount);
        collateral[msg.sender] += amount.toInt256();
        emit Deposited(msg.sender, amount);
    }

    /// @notice Rests an order. The account's free margin (equity above the initial margin of
    ///         its positions and resting orders) must cover the new order's initial margin.
    function place(uint64 clientOrderId, uint16 market, bool sell, uint64 price, uint128 size) external {
        Market memory mk = markets[market];
        if (!mk.listed) revert UnknownMarket(market);
        if (price == 0 || size == 0) revert BadOrder();
        uint256 key = (uint256(uint160(msg.sender)) << 96) | clientOrderId;
        if (orders[key].owner != address(0)) revert OrderExists(key);
        uint256 im = uint256(price) * size * mk.imfPpm / (SIZE_SCALE * PPM);
        (int256 equity, uint256 imPositions,) = _health(msg.sender);
        uint256 held = orderMargin[msg.sender] + im;
        // INVARIANT: resting orders never promise more than the account can margin.
        if (equity < (imPositions + held).toInt256()) revert InsufficientMargin(msg.sender);
        orderMargin[msg.sender] = held;
        orders[key] = Order(msg.sender, market, sell, price, size);
        emit OrderPlaced(key, market, sell, price, size);
    }

    /// @notice Cancels the caller's order `clientOrderId`, releasing its margin.
    function cancel(uint64 clientOrderId) external {
        uint256 key = (uint256(uint160(msg.sender)) << 96) | clientOrderId;
        Order memory o = orders[key];
        if (o.owner == address(0)) revert NoSuchOrder(key);
        _release(o, o.remaining);
        delete orders[key];
        emit OrderCancelled(key);
    }

    /// @notice The caller takes `size` of the resting order `makerKey` at its price (the
    ///         caller's order never rests: the way an on-chain order book's taker trades).
    ///         Afterwards the maker must stay above maintenance margin and the taker above
    ///         initial margin (positions and resting orders), across all their markets.
    function fill(uint256 makerKey, uint128 size) external {
        Order storage mo = orders[makerKey];
        address maker = mo.owner;
        if (maker == address(0)) revert NoSuchOrder(makerKey);
        if (maker == msg.sender) revert SelfTrade();
        if (size == 0 || size > mo.remaining) revert BadOrder();
        uint256 price = mo.price;
        uint256 m = mo.market;
        bool makerSells = mo.sell;
        int256 notional = (price * size / SIZE_SCALE).toInt256();
        int256 signedSize = int256(uint256(size));
        _release(mo, size);
        _consume(mo, makerKey, size);
        _trade(maker, m, makerSells ? -signedSize : signedSize, makerSells ? -notional : notional);
        _trade(msg.sender, m, makerSells ? signedSize : -signedSize, makerSells ? notional : -notional);
        _requireMaintenance(maker);
        (int256 equity, uint256 im,) = _health(msg.sender);
        if (equity < (im + orderMargin[msg.sender]).toInt256()) revert InsufficientMargin(msg.sender);
        emit Filled(makerKey, msg.sender, price, size);
    }

    // ─── internals ───────────────────────────────────────────────────────────────────

    function _release(Order memory o, uint256 size) private {
        Market memory mk = markets[o.market];
        uint256 im = uint256(o.price) * size * mk.imfPpm / (SIZE_SCALE * PPM);
        uint256 held = orderMargin[o.owner];
        orderMargin[o.owner] = held > im ? held - im : 0;
    }

    function _consume(Order storage o, uint256 key, uint128 size) private {
        uint128 left = o.remaining - size;
        if (left == 0) delete orders[key];
        else o.remaining = left;
    }

    /// @dev Adds `dSize` at cost `dNotional` to the position; the part that closes realizes
    ///      PnL against the average entry into collateral.
    function _trade(address a, uint256 m, int256 dSize, int256 dNotional) private {
        Position storage p = positions[a][m];
        int256 size = p.size;
        int256 entry = p.entryNotional;
        if (size == 0 || (size > 0) == (dSize > 0)) {
            size += dSize;
            entry += dNotional;
        } else {
            int256 absOld = size > 0 ? size : -size;
            int256 absD = dSize > 0 ? dSize : -dSize;
            int256 closing = absD < absOld ? absD : absOld;
            // Cost basis of the closed part, and what closing it at this price pays.
            int256 basis = entry * closing / absOld;
            int256 proceeds = dNotional * closing / absD;
            collateral[a] += -(basis + proceeds);
            entry -= basis;
            size += dSize;
            if (absD > absOld) entry = dNotional - proceeds; // flipped: the rest opens anew
        }
        p.size = size.toInt128();
        p.entryNotional = entry.toInt128();
        uint256 bit = uint256(1) << m;
        openMarkets[a] = size == 0 ? openMarkets[a] & ~bit : openMarkets[a] | bit;
    }

    /// @dev Equity (collateral + unrealized PnL at the markets' prices) and the initial and
    ///      maintenance margin of all open positions: one loop over the open-market bitmap.
    function _health(address a) private view returns (int256 equity, uint256 im, uint256 mm) {
        equity = collateral[a];
        uint256 open = openMarkets[a];
        while (open != 0) {
            uint256 m = _lowestBit(open);
            open &= open - 1;
            Position memory p = positions[a][m];
            Market memory mk = markets[m];
            int256 value = uint256(mk.price).toInt256() * p.size / SIZE_SCALE.toInt256();
            equity += value - p.entryNotional;
            uint256 absValue = uint256(value >= 0 ? value : -value);
            im += absValue * mk.imfPpm / PPM;
            mm += absValue * mk.mmfPpm / PPM;
        }
    }

    function _requireMaintenance(address a) private view {
        (int256 equity,, uint256 mm) = _health(a);
        if (equity < mm.toInt256()) revert InsufficientMargin(a);
    }

    function _lowestBit(uint256 x) private pure returns (uint256 r) {
        // Index of the lowest set bit (x != 0): isolate it, then binary search its position.
        x &= (~x + 1);
        if (x >= 1 << 128) { r += 128; x >>= 128; }
        if (x >= 1 << 64) { r += 64; x >>= 64; }
        if (x >= 1 << 32) { r += 32; x >>= 32; }
        if (x >= 1 << 16) { r += 16; x >>= 16; }
        if (x >= 1 << 8) { r += 8; x >>= 8; }
        if (x >= 1 << 4) { r += 4; x >>= 4; }
        if (x >= 1 << 2) { r += 2; x >>= 2; }
        if (x >= 1 << 1) { r += 1; }
    }
}
