// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IOneStepProver} from "../IOneStepProver.sol";
import {Witness} from "./Witness.sol";
import {OneStepLayout as S} from "./OneStepLayout.sol";
import {OneStepBase} from "./OneStepBase.sol";
import {OneStepTradePlan} from "./OneStepTradePlan.sol";
import {Margin} from "./Margin.sol";

/// @title OneStepTrading
/// @notice The one-step STF's trading operations, PlaceOrder and Fill (ops/placeOrder.ts,
///         ops/fill.ts; trades planned by OneStepTradePlan), in their own contract because EIP-170 caps each
///         contract's code. `OneStepProver` deploys it and forwards these two selectors; it
///         verifies the witness itself, so it is a complete `IOneStepProver` for them.
contract OneStepTrading is OneStepTradePlan, IOneStepProver {
    using Witness for Witness.Proof;

    uint8 internal constant OP_PLACE_ORDER = 6;
    uint8 internal constant OP_FILL = 9;
    uint8 internal constant OP_SET_MARGIN_MODE = 11;
    uint8 internal constant OP_ADJUST_ISOLATED_MARGIN = 12;
    uint8 internal constant OP_SET_PORTFOLIO_MARGIN = 16;
    uint8 internal constant OP_FORCED_CLOSE = 18;
    /// @dev constants.ts NO_ACCOUNT.
    uint256 internal constant NO_ACCOUNT = 0xffffffff;

    uint256 internal constant FLAG_SELL = 1;
    uint256 internal constant TIF_MASK = 6;
    uint256 internal constant TIF_IOC = 1;
    uint256 internal constant TIF_POST_ONLY = 2;
    uint256 internal constant FLAG_REDUCE_ONLY = 8;
    uint256 internal constant ORDER_FLAGS_KNOWN = 15;
    uint256 internal constant MARKET_ACTIVE = 1;
    uint256 internal constant MARKET_REDUCE_ONLY = 2;
    /// @dev constants.ts MAX_PRICE and MAX_ORDER_SIZE: 2^62 - 1.
    uint256 internal constant MAX_PRICE = (1 << 62) - 1;
    uint256 internal constant MAX_ORDER_SIZE = (1 << 62) - 1;

    bytes32 internal constant SET_MARGIN_MODE_TYPE_HASH =
        keccak256("SetMarginMode(uint32 account,uint64 nonce,uint16 market,uint8 mode)");
    bytes32 internal constant ADJUST_ISOLATED_MARGIN_TYPE_HASH =
        keccak256("AdjustIsolatedMargin(uint32 account,uint64 nonce,uint16 market,int64 delta)");
    bytes32 internal constant SET_PORTFOLIO_MARGIN_TYPE_HASH =
        keccak256("SetPortfolioMargin(uint32 account,uint64 nonce,uint8 enabled)");
    bytes32 internal constant PLACE_ORDER_TYPE_HASH = keccak256(
        "PlaceOrder(uint32 account,uint64 nonce,uint16 market,uint8 flags,uint64 price,uint64 size,uint64 expiry,uint64 clientOrderId)"
    );

    constructor(uint256 chainId, address rollup) OneStepBase(chainId, rollup) {}

    /// @inheritdoc IOneStepProver
    function execute(bytes32 preRoot, bytes calldata opBytes, bytes calldata witness)
        external
        view
        returns (bytes32 postRoot)
    {
        (uint8 selector, uint64 ts) = _header(opBytes);
        if (!isSupported(selector)) revert UnsupportedOperation(selector);
        bytes calldata body = opBytes[13:];
        Witness.Proof memory w = Witness.verified(witness, preRoot);
        if (ts < w.getU64(S.CLOCK)) return preRoot; // TIMESTAMP_REGRESSION
        if (selector == OP_FORCED_CLOSE) {
            if (body.length != 14) revert OpMalformed(selector, opBytes.length);
            // An L1 input: only the next queue item; consumed even when its effect is refused.
            if (_le(body, 0, 8) != w.getU64(S.L1_NEXT_INDEX)) return preRoot;
            _forcedClose(w, ts, body);
            _consumeL1Input(w, opBytes[12:]);
            w.setU64(S.CLOCK, ts);
            return w.root();
        }
        bool accepted;
        if (selector == OP_PLACE_ORDER) accepted = _placeOrder(w, ts, body);
        else if (selector == OP_FILL) accepted = _fill(w, ts, body);
        else if (selector == OP_SET_MARGIN_MODE) accepted = _setMarginMode(w, ts, body);
        else if (selector == OP_ADJUST_ISOLATED_MARGIN) accepted = _adjustIsolatedMargin(w, ts, body);
        else accepted = _setPortfolioMargin(w, ts, body);
        if (!accepted) return preRoot;
        w.setU64(S.CLOCK, ts);
        return w.root();
    }

    /// @notice The operation types this contract executes (types.ts OP_TYPES selectors).
    function isSupported(uint8 selector) public pure returns (bool) {
        return selector == OP_PLACE_ORDER || selector == OP_FILL || selector == OP_SET_MARGIN_MODE
            || selector == OP_ADJUST_ISOLATED_MARGIN || selector == OP_SET_PORTFOLIO_MARGIN || selector == OP_FORCED_CLOSE;
    }

    // ================================================================ ForcedClose (ops/forced.ts)

    /// @dev `processForcedClose`: the whole position at the oracle price against the backstop
    ///      account. Body: queueIndex u64 ‖ account u32 ‖ market u16. Writes nothing when refused.
    function _forcedClose(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view {
        (bool ok, uint256 backstop, int256 size) = _forcedClosePrechecks(w, ts, body);
        if (!ok) return;
        uint256 market = _le(body, 12, 2);
        int256 price = int256(uint256(w.getU64(S.marketField(market, S.MARKET_ORACLE_PRICE))));
        Plan memory closing;
        Plan memory taking;
        (ok, closing) = _planTrade(w, _le(body, 8, 4), market, -size, price, ts);
        if (!ok) return;
        (ok, taking) = _planTrade(w, backstop, market, size, price, ts);
        if (!ok) return; // NO_BACKSTOP (or the backstop's own refusal)
        uint256 openInterest;
        (ok, openInterest) = _openInterestAfter(w, market, closing, taking);
        if (!ok) return; // OVERFLOW
        _commitTrade(w, closing);
        _commitTrade(w, taking);
        w.setU64(S.marketField(market, S.MARKET_OPEN_INTEREST), uint64(openInterest));
    }

    /// @dev Account and market exist, a position is open, the price is fresh, a backstop exists.
    function _forcedClosePrechecks(Witness.Proof memory w, uint64 ts, bytes calldata body)
        internal
        view
        returns (bool, uint256 backstop, int256 size)
    {
        uint256 account = _le(body, 8, 4);
        uint256 market = _le(body, 12, 2);
        uint256 accounts = w.getU64(S.ACCOUNTS_LENGTH);
        if (account >= accounts) return (false, 0, 0); // ACCOUNT_UNKNOWN
        if (market >= w.getU64(S.MARKETS_LENGTH)) return (false, 0, 0); // MARKET_UNKNOWN
        size = Margin.position(w, account, market, Witness.zeroHash(S.POSITION_DEPTH)).size;
        if (size == 0) return (false, 0, 0); // NO_POSITION
        if (Margin.isMarketStale(w, market, ts)) return (false, 0, 0); // ORACLE_STALE
        backstop = w.getU64(S.PARAMS_BACKSTOP_ACCOUNT);
        if (backstop == NO_ACCOUNT || backstop == account || backstop >= accounts) return (false, 0, 0); // NO_BACKSTOP
        return (true, backstop, size);
    }

    // ================================================================ margin modes (ops/marginMode.ts, ops/portfolioMargin.ts)

    /// @dev `processSetMarginMode`: only while flat. Body: account u32 ‖ nonce u64 ‖ market u16 ‖ mode u8 ‖ signature.
    function _setMarginMode(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view returns (bool) {
        if (body.length != 80) revert OpMalformed(OP_SET_MARGIN_MODE, body.length + 13);
        (bool fresh, uint256 nonceSlot) = _authorizeAndCheckNonce(
            w,
            ts,
            body,
            keccak256(
                abi.encode(SET_MARGIN_MODE_TYPE_HASH, _le(body, 0, 4), _le(body, 4, 8), _le(body, 12, 2), uint8(body[14]))
            ),
            false
        );
        if (!fresh) return false;
        uint256 account = _le(body, 0, 4);
        uint256 market = _le(body, 12, 2);
        if (market >= w.getU64(S.MARKETS_LENGTH)) return false; // MARKET_UNKNOWN
        uint256 mode = uint8(body[14]);
        if (mode > Margin.MODE_CROSS) return false; // MODE_INVALID
        Margin.Position memory p = Margin.position(w, account, market, Witness.zeroHash(S.POSITION_DEPTH));
        if (!p.empty && (p.size != 0 || p.isolatedMargin != 0)) return false; // POSITION_OPEN
        _useNonce(w, account, nonceSlot, _le(body, 4, 8));
        Margin.Position memory flat;
        flat.marginMode = mode;
        _writePosition(w, account, market, flat);
        return true;
    }

    /// @dev `processAdjustIsolatedMargin`. Body: account u32 ‖ nonce u64 ‖ market u16 ‖ delta int64 ‖ signature.
    function _adjustIsolatedMargin(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view returns (bool) {
        if (body.length != 87) revert OpMalformed(OP_ADJUST_ISOLATED_MARGIN, body.length + 13);
        (bool fresh, uint256 nonceSlot) = _authorizeAndCheckNonce(
            w,
            ts,
            body,
            keccak256(
                abi.encode(
                    ADJUST_ISOLATED_MARGIN_TYPE_HASH,
                    _le(body, 0, 4),
                    _le(body, 4, 8),
                    _le(body, 12, 2),
                    Margin.i64(_le(body, 14, 8))
                )
            ),
            false
        );
        if (!fresh) return false;
        (bool ok, Margin.Position memory p) = _isolatedAdjustment(w, ts, body);
        if (!ok) return false;
        uint256 account = _le(body, 0, 4);
        _useNonce(w, account, nonceSlot, _le(body, 4, 8));
        _writePosition(w, account, _le(body, 12, 2), p);
        _setBalance(w, account, 0, Margin.balance(w, account, 0) - Margin.i64(_le(body, 14, 8)));
        return true;
    }

    /// @dev The adjustment's checks, in order; returns the position with its new margin.
    function _isolatedAdjustment(Witness.Proof memory w, uint64 ts, bytes calldata body)
        internal
        view
        returns (bool, Margin.Position memory p)
    {
        uint256 account = _le(body, 0, 4);
        uint256 market = _le(body, 12, 2);
        if (market >= w.getU64(S.MARKETS_LENGTH)) return (false, p); // MARKET_UNKNOWN
        p = Margin.position(w, account, market, Witness.zeroHash(S.POSITION_DEPTH));
        if (p.empty || p.size == 0 || p.marginMode != 0) return (false, p); // POSITION_NOT_ISOLATED
        int256 delta = Margin.i64(_le(body, 14, 8));
        if (delta == 0) return (false, p); // AMOUNT_INVALID
        int256 iso = int256(p.isolatedMargin) + delta;
        if (iso < 0 || iso > int256(uint256(type(uint64).max))) return (false, p); // OVERFLOW
        p.isolatedMargin = uint256(iso);
        if (delta > 0) {
            if (Margin.balance(w, account, 0) - delta < 0) return (false, p); // INSUFFICIENT_BALANCE
            Margin.Health memory h = _health(w, account, ts);
            return (h.equity - delta >= h.initial, p); // INSUFFICIENT_MARGIN (cross pool) otherwise
        }
        int256 price = int256(uint256(w.getU64(S.marketField(market, S.MARKET_ORACLE_PRICE))));
        int256 need = Margin.tieredRequirement(
            w, market, Margin.divCeil(Margin.abs(p.size) * price, Margin.SIZE_SCALE), false
        );
        int256 equity = iso + Margin.divFloor(p.size * price, Margin.SIZE_SCALE) - p.entryNotional
            - _pendingFunding(w, p, market);
        return (equity >= need, p); // INSUFFICIENT_MARGIN (isolated position) otherwise
    }

    /// @dev `processSetPortfolioMargin`: allowed when the account meets the initial requirement
    ///      under the new rules, or when the switch lowers it. Body: account u32 ‖ nonce u64 ‖ enabled u8 ‖ signature.
    function _setPortfolioMargin(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view returns (bool) {
        if (body.length != 78) revert OpMalformed(OP_SET_PORTFOLIO_MARGIN, body.length + 13);
        (bool fresh, uint256 nonceSlot) = _authorizeAndCheckNonce(
            w,
            ts,
            body,
            keccak256(abi.encode(SET_PORTFOLIO_MARGIN_TYPE_HASH, _le(body, 0, 4), _le(body, 4, 8), uint8(body[12]))),
            true
        );
        if (!fresh) return false;
        uint256 account = _le(body, 0, 4);
        uint256 enabled = uint8(body[12]);
        if (enabled > 1) return false; // MODE_INVALID
        if (!_portfolioSwitchAllowed(w, account, enabled == 1, ts)) return false; // INSUFFICIENT_MARGIN
        _useNonce(w, account, nonceSlot, _le(body, 4, 8));
        uint256 g = S.accountField(account, S.ACCOUNT_FLAGS);
        uint64 flags = w.getU64(g);
        w.setU64(g, enabled == 1 ? flags | 1 : flags & ~uint64(1));
        return true;
    }

    /// @dev Meets the initial requirement under the new rules, or the switch lowers it.
    function _portfolioSwitchAllowed(Witness.Proof memory w, uint256 account, bool enable, uint64 ts)
        internal
        view
        returns (bool)
    {
        Margin.Position[] memory ps = Margin.positionsOf(w, account);
        Margin.Health memory h = Margin.crossHealth(w, account, ts, ps, Margin.collateralValue(w, account, ts, true));
        int256 next;
        if (enable) {
            (next,) = Margin.portfolioRequirement(w, ps);
        } else {
            for (uint256 m; m < ps.length; ++m) {
                if (ps[m].empty || ps[m].marginMode != Margin.MODE_CROSS) continue;
                (, int256 initial,) = Margin.contribution(w, ps[m], m);
                next += initial;
            }
        }
        return !(next > h.initial && h.equity < next);
    }

    // ================================================================ PlaceOrder

    /// @dev Body: account u32 ‖ nonce u64 ‖ market u16 ‖ flags u8 ‖ price u64 ‖ size u64 ‖
    ///      expiry u64 ‖ clientOrderId u64 ‖ signature (65).
    function _placeOrder(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view returns (bool) {
        if (body.length != 112) revert OpMalformed(OP_PLACE_ORDER, body.length + 13);
        (bool fresh, uint256 nonceSlot) = _authorizeAndCheckNonce(w, ts, body, _placeOrderHash(body), false);
        if (!fresh) return false;
        (bool ok, uint256 slot) = _placeOrderChecks(w, ts, body);
        if (!ok) return false;
        _useNonce(w, _le(body, 0, 4), nonceSlot, _le(body, 4, 8));
        _writeOrder(w, _le(body, 0, 4), slot, body, ts);
        return true;
    }

    function _placeOrderHash(bytes calldata body) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                PLACE_ORDER_TYPE_HASH,
                _le(body, 0, 4),
                _le(body, 4, 8),
                _le(body, 12, 2),
                uint8(body[14]),
                _le(body, 15, 8),
                _le(body, 23, 8),
                _le(body, 31, 8),
                _le(body, 39, 8)
            )
        );
    }

    /// @dev The market, flags, price, size, expiry, reduce-only, slot and margin checks, in order.
    function _placeOrderChecks(Witness.Proof memory w, uint64 ts, bytes calldata body)
        internal
        view
        returns (bool ok, uint256 slot)
    {
        uint256 market = _le(body, 12, 2);
        if (market >= w.getU64(S.MARKETS_LENGTH)) return (false, 0); // MARKET_UNKNOWN
        bool reducing;
        {
            (bool tradable, bool reduceOnlyMarket) = _tradingMode(w, market, ts);
            if (!tradable) return (false, 0); // MARKET_HALTED
            if (!_orderTermsValid(w, market, body, ts)) return (false, 0);
            bool allowed;
            (allowed, reducing) = _reduceOnlyAllowed(w, body, market, reduceOnlyMarket);
            if (!allowed) return (false, 0);
        }
        (ok, slot) = _freeOrderSlot(w, _le(body, 0, 4), _le(body, 39, 8), ts);
        if (!ok) return (false, 0); // DUPLICATE_CLIENT_ORDER_ID or ORDER_SLOTS_FULL
        if (!reducing && !_fullFillFits(w, body, market, ts)) return (false, 0); // INSUFFICIENT_MARGIN or OVERFLOW
    }

    /// @dev A full fill at the limit price passes `planTrade`.
    function _fullFillFits(Witness.Proof memory w, bytes calldata body, uint256 market, uint64 ts)
        internal
        view
        returns (bool fits)
    {
        int256 q = uint8(body[14]) & FLAG_SELL != 0 ? -int256(_le(body, 23, 8)) : int256(_le(body, 23, 8));
        (fits,) = _planTrade(w, _le(body, 0, 4), market, q, int256(_le(body, 15, 8)), ts);
    }

    /// @dev A reduce-only order must face the position; a reduce-only market takes only
    ///      reducing orders. Returns (allowed, reducing).
    function _reduceOnlyAllowed(Witness.Proof memory w, bytes calldata body, uint256 market, bool reduceOnlyMarket)
        internal
        view
        returns (bool, bool)
    {
        uint256 flags = uint8(body[14]);
        int256 q = int256(_le(body, 23, 8));
        if (flags & FLAG_SELL != 0) q = -q;
        int256 position = Margin.position(w, _le(body, 0, 4), market, Witness.zeroHash(S.POSITION_DEPTH)).size;
        bool opposite = position != 0 && (position > 0) != (q > 0);
        if (flags & FLAG_REDUCE_ONLY != 0 && !opposite) return (false, false); // REDUCE_ONLY_INCREASES
        bool reducing = opposite && (flags & FLAG_REDUCE_ONLY != 0 || Margin.abs(q) <= Margin.abs(position));
        if (reduceOnlyMarket && !reducing) return (false, false); // MARKET_REDUCE_ONLY
        return (true, reducing);
    }

    /// @dev Flags known, price and size in range and on tick and lot, expiry not past.
    function _orderTermsValid(Witness.Proof memory w, uint256 market, bytes calldata body, uint64 ts)
        internal
        pure
        returns (bool)
    {
        uint256 flags = uint8(body[14]);
        if (flags & ~ORDER_FLAGS_KNOWN != 0 || (flags & TIF_MASK) >> 1 > TIF_POST_ONLY) return false; // FLAGS_INVALID
        uint256 price = _le(body, 15, 8);
        if (price == 0 || price > MAX_PRICE || price % w.getU64(S.marketField(market, S.MARKET_TICK_SIZE)) != 0) {
            return false; // PRICE_INVALID
        }
        uint256 size = _le(body, 23, 8);
        if (size == 0 || size > MAX_ORDER_SIZE || size % w.getU64(S.marketField(market, S.MARKET_LOT_SIZE)) != 0) {
            return false; // SIZE_INVALID
        }
        uint256 expiry = _le(body, 31, 8);
        return expiry == 0 || expiry >= ts; // ORDER_EXPIRED otherwise
    }

    /// @dev The lowest slot without a live order; refuses a live order's client id again.
    function _freeOrderSlot(Witness.Proof memory w, uint256 account, uint256 clientOrderId, uint64 ts)
        internal
        view
        returns (bool ok, uint256 slot)
    {
        bytes32 emptyOrder = Witness.zeroHash(S.ORDER_DEPTH);
        slot = S.ORDER_SLOTS;
        for (uint256 i; i < S.ORDER_SLOTS; ++i) {
            if (!_isLive(w, account, i, ts, emptyOrder)) {
                if (slot == S.ORDER_SLOTS) slot = i;
            } else if (
                clientOrderId != 0 && w.getU64(S.orderField(account, i, S.ORDER_CLIENT_ORDER_ID)) == clientOrderId
            ) {
                return (false, 0);
            }
        }
        return (slot != S.ORDER_SLOTS, slot);
    }

    function _writeOrder(Witness.Proof memory w, uint256 account, uint256 slot, bytes calldata body, uint64 ts)
        internal
        pure
    {
        uint256 flags = uint8(body[14]);
        uint256 expiry = _le(body, 31, 8);
        // An IOC order lives only at the timestamp it was placed at.
        if ((flags & TIF_MASK) >> 1 == TIF_IOC && (expiry == 0 || expiry > ts)) expiry = ts;
        w.setU64(S.orderField(account, slot, S.ORDER_MARKET), uint64(_le(body, 12, 2)));
        w.setU64(S.orderField(account, slot, S.ORDER_FLAGS), uint64(flags));
        w.setU64(S.orderField(account, slot, S.ORDER_PRICE), uint64(_le(body, 15, 8)));
        w.setU64(S.orderField(account, slot, S.ORDER_SIZE), uint64(_le(body, 23, 8)));
        w.setU64(S.orderField(account, slot, S.ORDER_REMAINING), uint64(_le(body, 23, 8)));
        w.setU64(S.orderField(account, slot, S.ORDER_EXPIRY), uint64(expiry));
        w.setU64(S.orderField(account, slot, S.ORDER_CLIENT_ORDER_ID), uint64(_le(body, 39, 8)));
        w.setU64(S.orderField(account, slot, S.ORDER_NONCE), uint64(_le(body, 4, 8)));
    }

    /// @dev common.ts `tradingMode`: (tradable, reduce-only). Active with a stale price is reduce-only.
    function _tradingMode(Witness.Proof memory w, uint256 market, uint64 ts)
        internal
        pure
        returns (bool tradable, bool reduceOnly)
    {
        uint256 status = w.getU64(S.marketField(market, S.MARKET_STATUS));
        if (status == MARKET_ACTIVE) return (true, Margin.isMarketStale(w, market, ts));
        if (status == MARKET_REDUCE_ONLY) return (true, true);
        return (false, false);
    }

    // ================================================================ Fill

    /// @dev Body: makerAccount u32 ‖ makerSlot u8 ‖ takerAccount u32 ‖ takerSlot u8 ‖ price u64 ‖ size u64.
    function _fill(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view returns (bool) {
        if (body.length != 26) revert OpMalformed(OP_FILL, body.length + 13);
        (bool ok, uint256 market, int256 q, bool reduceOnlyMarket) = _fillPrechecks(w, ts, body);
        if (!ok) return false;
        Plan memory takerPlan;
        Plan memory makerPlan;
        (ok, takerPlan) = _planTrade(w, _le(body, 5, 4), market, q, int256(_le(body, 10, 8)), ts);
        if (!ok) return false;
        (ok, makerPlan) = _planTrade(w, _le(body, 0, 4), market, -q, int256(_le(body, 10, 8)), ts);
        if (!ok) return false;
        if (!_reduceOnlyChecks(w, body, reduceOnlyMarket, takerPlan, makerPlan)) return false;
        uint256 openInterest;
        (ok, openInterest) = _openInterestAfter(w, market, takerPlan, makerPlan);
        if (!ok) return false; // OVERFLOW
        _commitTrade(w, makerPlan);
        _commitTrade(w, takerPlan);
        _consumeOrder(w, _le(body, 0, 4), uint8(body[4]), _le(body, 18, 8));
        _consumeOrder(w, _le(body, 5, 4), uint8(body[9]), _le(body, 18, 8));
        w.setU64(S.marketField(market, S.MARKET_OPEN_INTEREST), uint64(openInterest));
        return true;
    }

    /// @dev Everything fill.ts checks before planning either side, in its order.
    function _fillPrechecks(Witness.Proof memory w, uint64 ts, bytes calldata body)
        internal
        view
        returns (bool ok, uint256 market, int256 q, bool reduceOnlyMarket)
    {
        uint256 maker = _le(body, 0, 4);
        uint256 taker = _le(body, 5, 4);
        if (maker == taker) return (false, 0, 0, false); // SELF_TRADE
        uint256 accounts = w.getU64(S.ACCOUNTS_LENGTH);
        if (maker >= accounts || taker >= accounts) return (false, 0, 0, false); // ACCOUNT_UNKNOWN
        if (uint8(body[4]) >= S.ORDER_SLOTS || uint8(body[9]) >= S.ORDER_SLOTS) return (false, 0, 0, false); // ORDER_NOT_FOUND
        (ok, market, q) = _fillOrderChecks(w, ts, body);
        if (!ok) return (false, 0, 0, false);
        bool tradable;
        (tradable, reduceOnlyMarket) = _tradingMode(w, market, ts);
        if (!tradable) return (false, 0, 0, false); // MARKET_HALTED
    }

    /// @dev Both orders live, same market, opposite sides, taker not post-only, the maker's
    ///      price within the taker's limit, an on-lot size within both remainders.
    function _fillOrderChecks(Witness.Proof memory w, uint64 ts, bytes calldata body)
        internal
        view
        returns (bool ok, uint256 market, int256 q)
    {
        {
            bytes32 emptyOrder = Witness.zeroHash(S.ORDER_DEPTH);
            if (!_isLive(w, _le(body, 0, 4), uint8(body[4]), ts, emptyOrder)) return (false, 0, 0); // ORDER_NOT_FOUND
            if (!_isLive(w, _le(body, 5, 4), uint8(body[9]), ts, emptyOrder)) return (false, 0, 0); // ORDER_NOT_FOUND
        }
        // Order field f of a slot is at (slot gindex << 3) | f.
        uint256 mo = S.orderSlot(_le(body, 0, 4), uint8(body[4])) << S.ORDER_DEPTH;
        uint256 to = S.orderSlot(_le(body, 5, 4), uint8(body[9])) << S.ORDER_DEPTH;
        market = w.getU64(mo | S.ORDER_MARKET);
        uint256 takerFlags = w.getU64(to | S.ORDER_FLAGS);
        if (market != w.getU64(to | S.ORDER_MARKET)) return (false, 0, 0); // FILL_MISMATCH
        if ((w.getU64(mo | S.ORDER_FLAGS) & FLAG_SELL) == (takerFlags & FLAG_SELL)) return (false, 0, 0); // FILL_MISMATCH
        if ((takerFlags & TIF_MASK) >> 1 == TIF_POST_ONLY) return (false, 0, 0); // POST_ONLY_TAKER
        bool takerBuys = takerFlags & FLAG_SELL == 0;
        {
            uint256 price = _le(body, 10, 8);
            uint256 limit = w.getU64(to | S.ORDER_PRICE);
            if (price != w.getU64(mo | S.ORDER_PRICE) || (takerBuys ? price > limit : price < limit)) {
                return (false, 0, 0); // FILL_PRICE_INVALID
            }
        }
        uint256 size = _le(body, 18, 8);
        if (
            size == 0 || size % w.getU64(S.marketField(market, S.MARKET_LOT_SIZE)) != 0
                || size > w.getU64(mo | S.ORDER_REMAINING) || size > w.getU64(to | S.ORDER_REMAINING)
        ) return (false, 0, 0); // FILL_SIZE_INVALID
        q = takerBuys ? int256(size) : -int256(size);
        ok = true;
    }

    /// @dev Reduce-only orders only reduce; in a reduce-only market both sides only reduce.
    function _reduceOnlyChecks(
        Witness.Proof memory w,
        bytes calldata body,
        bool reduceOnlyMarket,
        Plan memory takerPlan,
        Plan memory makerPlan
    ) internal pure returns (bool) {
        uint256 takerFlags = w.getU64(S.orderField(_le(body, 5, 4), uint8(body[9]), S.ORDER_FLAGS));
        uint256 makerFlags = w.getU64(S.orderField(_le(body, 0, 4), uint8(body[4]), S.ORDER_FLAGS));
        if (
            (takerFlags & FLAG_REDUCE_ONLY != 0 && !takerPlan.reduces)
                || (makerFlags & FLAG_REDUCE_ONLY != 0 && !makerPlan.reduces)
        ) return false; // REDUCE_ONLY_INCREASES
        return !(reduceOnlyMarket && !(takerPlan.reduces && makerPlan.reduces)); // MARKET_REDUCE_ONLY
    }

    /// @dev The order's remaining size less the fill; a filled order leaves its slot.
    function _consumeOrder(Witness.Proof memory w, uint256 account, uint256 slot, uint256 size) internal pure {
        uint256 remaining = w.getU64(S.orderField(account, slot, S.ORDER_REMAINING)) - size;
        if (remaining == 0) _clearOrder(w, account, slot);
        else w.setU64(S.orderField(account, slot, S.ORDER_REMAINING), uint64(remaining));
    }
}
