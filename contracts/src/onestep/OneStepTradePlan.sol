// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Witness} from "./Witness.sol";
import {OneStepLayout as S} from "./OneStepLayout.sol";
import {OneStepBase} from "./OneStepBase.sol";
import {Margin} from "./Margin.sol";

/// @title OneStepTradePlan
/// @notice ops/tradePlan.ts and ops/openInterest.ts on witnessed nodes: the effect of a trade
///         on one account, planned without writing (so both sides are checked before either is
///         touched) and then committed. Shared by the parts that trade: OneStepTrading (Fill,
///         ForcedClose) and OneStepRisk (Liquidate, Deleverage).
abstract contract OneStepTradePlan is OneStepBase {
    using Witness for Witness.Proof;

    /// @notice The effect of a trade on one account (tradePlan.ts `TradePlan`), before it is written.
    struct Plan {
        uint256 account;
        uint256 market;
        Margin.Position before;
        Margin.Position next;
        int256 settlementDelta;
        int256 funding;
        bool reduces;
    }

    function _writePosition(Witness.Proof memory w, uint256 account, uint256 market, Margin.Position memory p)
        internal
        pure
    {
        w.setU64(S.positionField(account, market, 0), uint64(int64(p.size)));
        w.setU64(S.positionField(account, market, 1), uint64(int64(p.entryNotional)));
        w.setU64(S.positionField(account, market, 2), uint64(int64(p.lastFundingIndex)));
        w.setU64(S.positionField(account, market, 3), uint64(p.isolatedMargin));
        w.setU64(S.positionField(account, market, 4), uint64(p.marginMode));
    }

    /// @dev openInterest.ts: the sum of long sizes after both trades, as a uint64.
    function _openInterestAfter(Witness.Proof memory w, uint256 market, Plan memory a, Plan memory b)
        internal
        pure
        returns (bool ok, uint256)
    {
        int256 oi = int256(uint256(w.getU64(S.marketField(market, S.MARKET_OPEN_INTEREST))));
        oi += _long(a.next.size) - _long(a.before.size) + _long(b.next.size) - _long(b.before.size);
        if (oi < 0 || oi > int256(uint256(type(uint64).max))) return (false, 0);
        return (true, uint256(oi));
    }

    function _long(int256 size) internal pure returns (int256) {
        return size > 0 ? size : int256(0);
    }

    // ================================================================ tradePlan.ts

    /// @dev `planTrade`: false where TypeScript refuses (INSUFFICIENT_MARGIN, OVERFLOW).
    function _planTrade(Witness.Proof memory w, uint256 account, uint256 market, int256 q, int256 price, uint64 ts)
        internal
        view
        returns (bool ok, Plan memory plan)
    {
        plan.account = account;
        plan.market = market;
        plan.before = Margin.position(w, account, market, Witness.zeroHash(S.POSITION_DEPTH));
        Margin.Position memory before = plan.before;
        // Funding accrued so far settles first, at the old size.
        plan.funding = before.empty ? int256(0) : _pendingFunding(w, before, market);
        (int256 size, int256 entry, int256 realized) = _trade(before.size, before.entryNotional, q, price);
        if (!_fitsI64(size) || !_fitsI64(entry)) return (false, plan); // OVERFLOW
        plan.reduces = _reducesOnly(before.size, size);
        plan.next.size = size;
        plan.next.entryNotional = entry;
        plan.next.lastFundingIndex =
            size == 0 ? int256(0) : Margin.i64(w.getU64(S.marketField(market, S.MARKET_FUNDING_INDEX)));
        plan.next.marginMode = before.marginMode;
        if (before.marginMode == Margin.MODE_CROSS) {
            plan.settlementDelta = realized - plan.funding;
            if (!plan.reduces && !_crossFits(w, plan, ts)) return (false, plan); // INSUFFICIENT_MARGIN
        } else {
            int256 iso = int256(before.isolatedMargin) + realized - plan.funding;
            if (size == 0 || iso < 0) {
                plan.settlementDelta = iso;
                iso = 0;
            }
            if (!plan.reduces && size != 0) {
                bool fits;
                (fits, iso) = _isolatedTopUp(w, plan, iso, ts);
                if (!fits) return (false, plan); // INSUFFICIENT_MARGIN
            }
            if (iso > int256(uint256(type(uint64).max))) return (false, plan); // OVERFLOW
            plan.next.isolatedMargin = uint256(iso);
        }
        int256 settlement = Margin.balance(w, account, 0) + plan.settlementDelta;
        if (settlement < type(int128).min || settlement > type(int128).max) return (false, plan); // OVERFLOW
        plan.next.empty = size == 0 && entry == 0 && plan.next.lastFundingIndex == 0 && plan.next.isolatedMargin == 0
            && plan.next.marginMode == 0;
        ok = true;
    }

    function _pendingFunding(Witness.Proof memory w, Margin.Position memory p, uint256 market)
        internal
        pure
        returns (int256)
    {
        if (p.size == 0) return 0;
        return Margin.pendingFunding(p, Margin.i64(w.getU64(S.marketField(market, S.MARKET_FUNDING_INDEX))));
    }

    /// @dev A cross trade that adds risk: the pool stays at or above its initial requirement.
    function _crossFits(Witness.Proof memory w, Plan memory plan, uint64 ts) internal view returns (bool) {
        (int256 upnlBefore, int256 initialBefore,) = Margin.contribution(w, plan.before, plan.market);
        (int256 upnlAfter, int256 initialAfter,) = Margin.contribution(w, plan.next, plan.market);
        Margin.Position[] memory ps = Margin.positionsOf(w, plan.account);
        Margin.Health memory h =
            Margin.crossHealth(w, plan.account, ts, ps, Margin.collateralValue(w, plan.account, ts, true));
        int256 equity = h.equity + plan.settlementDelta + upnlAfter - upnlBefore;
        int256 initial;
        if (w.getU64(S.accountField(plan.account, S.ACCOUNT_FLAGS)) & 1 != 0) {
            ps[plan.market] = plan.next; // portfolioRequirement with the position at its new size
            ps[plan.market].empty = false;
            (initial,) = Margin.portfolioRequirement(w, ps);
        } else {
            initial = h.initial + initialAfter - initialBefore;
        }
        return equity >= initial;
    }

    /// @dev An isolated trade that adds risk: the position's equity reaches its initial
    ///      requirement, topped up from the settlement balance if the cross pool can spare it.
    function _isolatedTopUp(Witness.Proof memory w, Plan memory plan, int256 iso, uint64 ts)
        internal
        view
        returns (bool, int256)
    {
        int256 shortfall = _isolatedShortfall(w, plan, iso);
        if (shortfall <= 0) return (true, iso);
        Margin.Health memory h = _health(w, plan.account, ts);
        if (
            h.equity + plan.settlementDelta - h.initial < shortfall
                || Margin.balance(w, plan.account, 0) + plan.settlementDelta < shortfall
        ) return (false, iso);
        plan.settlementDelta -= shortfall;
        return (true, iso + shortfall);
    }

    /// @dev The isolated position's initial requirement less its equity (positive: missing).
    function _isolatedShortfall(Witness.Proof memory w, Plan memory plan, int256 iso) internal pure returns (int256) {
        int256 price = int256(uint256(w.getU64(S.marketField(plan.market, S.MARKET_ORACLE_PRICE))));
        int256 n = Margin.divCeil(Margin.abs(plan.next.size) * price, Margin.SIZE_SCALE);
        int256 need = Margin.tieredRequirement(w, plan.market, n, false);
        return need - (iso + Margin.divFloor(plan.next.size * price, Margin.SIZE_SCALE) - plan.next.entryNotional);
    }

    function _health(Witness.Proof memory w, uint256 account, uint64 ts) internal view returns (Margin.Health memory) {
        return Margin.crossHealth(
            w, account, ts, Margin.positionsOf(w, account), Margin.collateralValue(w, account, ts, true)
        );
    }

    /// @dev `commitTrade`: funding into the market's pool, the new position, the settlement balance.
    function _commitTrade(Witness.Proof memory w, Plan memory plan) internal pure {
        if (plan.funding != 0) {
            uint256 g = S.marketField(plan.market, S.MARKET_FUNDING_POOL);
            int256 pool = int256(int128(uint128(Witness.packedAt(w.get(g), 0, 128)))) + plan.funding;
            w.set(g, Witness.withPacked(bytes32(0), 0, 128, uint256(uint128(int128(pool)))));
        }
        _writePosition(w, plan.account, plan.market, plan.next);
        if (plan.settlementDelta != 0) {
            _setBalance(w, plan.account, 0, Margin.balance(w, plan.account, 0) + plan.settlementDelta);
        }
    }

    /// @dev margin.ts `trade`: the position after signed size `q` at `price` (quotes truncated toward zero).
    function _trade(int256 size, int256 entry, int256 q, int256 price)
        internal
        pure
        returns (int256, int256, int256)
    {
        int256 quote = (q * price) / Margin.SIZE_SCALE;
        if (size == 0 || (size > 0) == (q > 0)) return (size + q, entry + quote, 0);
        int256 absSize = Margin.abs(size);
        int256 absQ = Margin.abs(q);
        if (absQ <= absSize) {
            int256 released = (entry * absQ) / absSize;
            return (size + q, entry - released, -(quote + released));
        }
        int256 closeQuote = (-size * price) / Margin.SIZE_SCALE;
        return (size + q, quote - closeQuote, -(closeQuote + entry));
    }

    /// @dev margin.ts `reducesOnly`: no increase and no flip.
    function _reducesOnly(int256 before, int256 next) internal pure returns (bool) {
        if (before == 0) return false;
        return before > 0 ? next >= 0 && next < before : next <= 0 && next > before;
    }

    function _fitsI64(int256 x) internal pure returns (bool) {
        return x >= type(int64).min && x <= type(int64).max;
    }
}
