// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StateLayout as L} from "../lib/StateLayout.sol";
import {Witness} from "./Witness.sol";
import {OneStepLayout as S} from "./OneStepLayout.sol";

/// @title Margin
/// @notice sequencer/state/margin.ts on witnessed nodes: collateral value, position
///         contributions with tiered requirements and pending funding, portfolio margin, and
///         the cross pool's health. Integers as in TypeScript (bigint there, int256 here: every
///         intermediate fits, see constants.ts MAX_PRICE), each rounding in the same direction.
/// @dev Reads follow the TypeScript code's reads (the witness holds nothing else): every
///      position slot of the account (margin code walks `openMarkets`), and for each open
///      cross position its market's price, funding index, tiers and group.
library Margin {
    using Witness for Witness.Proof;

    int256 internal constant SIZE_SCALE = 1e8;
    int256 internal constant PPM = 1e6;
    uint256 internal constant MODE_CROSS = 1;
    uint256 internal constant CORRELATION_GROUPS = 8;

    struct Position {
        bool empty;
        int256 size;
        int256 entryNotional;
        int256 lastFundingIndex;
        uint256 isolatedMargin;
        uint256 marginMode;
    }

    struct Health {
        int256 equity;
        int256 initial;
        int256 maintenance;
    }

    // ================================================================ integers (math.ts)

    function divFloor(int256 a, int256 b) internal pure returns (int256 q) {
        q = a / b;
        if (a < 0 && q * b != a) --q;
    }

    function divCeil(int256 a, int256 b) internal pure returns (int256 q) {
        q = a / b;
        if (a > 0 && q * b != a) ++q;
    }

    function abs(int256 a) internal pure returns (int256) {
        return a < 0 ? -a : a;
    }

    function i64(uint256 x) internal pure returns (int256) {
        return int256(int64(uint64(x)));
    }

    // ================================================================ state reads

    /// @notice Position slot `market` of `account`: given by its root (then it must be the
    ///         empty record's) or by its five field chunks.
    function position(Witness.Proof memory w, uint256 account, uint256 market, bytes32 emptyRoot)
        internal
        pure
        returns (Position memory p)
    {
        uint256 g = S.positionSlot(account, market);
        (bool found, uint256 at) = w.find(g);
        if (found) {
            if (w.nodes[at] != emptyRoot) revert Witness.WitnessNodeInvalid(g);
            p.empty = true;
            return p;
        }
        // PERF: the five field chunks are consecutive gindices: one search, not five (margin
        // code reads every slot of an account, 64 of them, more than once per operation).
        at = w.findRun(g << S.POSITION_DEPTH, 5); // field 0 of slot g
        p.size = i64(w.u64At(at));
        p.entryNotional = i64(w.u64At(at - 1));
        p.lastFundingIndex = i64(w.u64At(at - 2));
        p.isolatedMargin = w.u64At(at - 3);
        p.marginMode = w.u64At(at - 4);
        // An all-zero record is the empty slot (state.ts stores it as null).
        p.empty = p.size == 0 && p.entryNotional == 0 && p.lastFundingIndex == 0 && p.isolatedMargin == 0
            && p.marginMode == 0;
    }

    /// @notice margin.ts `isStale`.
    function isStale(uint256 oracleTimestamp, uint256 now_, uint256 maxAge) internal pure returns (bool) {
        return oracleTimestamp == 0 || int256(now_) - int256(oracleTimestamp) > int256(maxAge);
    }

    function isMarketStale(Witness.Proof memory w, uint256 market, uint256 now_) internal pure returns (bool) {
        return isStale(w.getU64(S.marketField(market, S.MARKET_ORACLE_TIMESTAMP)), now_, w.getU64(S.PARAMS_MAX_ORACLE_AGE));
    }

    // ================================================================ valuation

    /// @notice margin.ts `tieredRequirement`: progressive bands, rounded up.
    function tieredRequirement(Witness.Proof memory w, uint256 market, int256 n, bool maintenance)
        internal
        pure
        returns (int256)
    {
        int256 acc;
        int256 lower;
        for (uint256 i; i < S.MARGIN_TIERS; ++i) {
            int256 imf = int256(uint256(w.getU64(S.tierField(market, i, S.TIER_IMF))));
            if (imf == 0) break;
            bool last = i + 1 == S.MARGIN_TIERS || w.getU64(S.tierField(market, i + 1, S.TIER_IMF)) == 0;
            int256 cap = int256(uint256(w.getU64(S.tierField(market, i, S.TIER_NOTIONAL_CAP))));
            int256 upper = last || n < cap ? n : cap;
            int256 fraction = maintenance ? int256(uint256(w.getU64(S.tierField(market, i, S.TIER_MMF)))) : imf;
            if (upper > lower) acc += (upper - lower) * fraction;
            if (last || n <= cap) break;
            lower = cap;
        }
        return divCeil(acc, PPM);
    }

    /// @notice margin.ts `pendingFunding`: rounded up.
    function pendingFunding(Position memory p, int256 fundingIndex) internal pure returns (int256) {
        if (p.size == 0 || fundingIndex == p.lastFundingIndex) return 0;
        return divCeil(p.size * (fundingIndex - p.lastFundingIndex), SIZE_SCALE);
    }

    /// @notice margin.ts `contribution`: unrealized PnL and requirements at the oracle price.
    function contribution(Witness.Proof memory w, Position memory p, uint256 market)
        internal
        pure
        returns (int256 upnl, int256 initial, int256 maintenance)
    {
        if (p.empty || p.size == 0) return (p.empty ? int256(0) : -p.entryNotional, 0, 0);
        // PERF: one search each for the market's price..funding index and tier 0's three fields
        // (consecutive gindices; the witness holds both runs whole: price's sibling is the
        // oracle timestamp, and a tier is a small record).
        uint256 at = w.findRun(S.marketField(market, S.MARKET_ORACLE_PRICE), 3);
        int256 price = int256(uint256(w.u64At(at)));
        int256 n = divCeil(abs(p.size) * price, SIZE_SCALE);
        upnl = divFloor(p.size * price, SIZE_SCALE) - p.entryNotional - pendingFunding(p, i64(w.u64At(at - 2)));
        at = w.findRun(S.tierField(market, 0, S.TIER_NOTIONAL_CAP), 3);
        int256 cap0 = int256(uint256(w.u64At(at)));
        bool single = w.getU64(S.tierField(market, 1, S.TIER_IMF)) == 0;
        if (single || n <= cap0) {
            initial = divCeil(n * int256(uint256(w.u64At(at - 1))), PPM);
            maintenance = divCeil(n * int256(uint256(w.u64At(at - 2))), PPM);
        } else {
            initial = tieredRequirement(w, market, n, false);
            maintenance = tieredRequirement(w, market, n, true);
        }
    }

    /// @notice margin.ts `collateralValue` (for initial checks when `forInitial`: stale assets count zero).
    function collateralValue(Witness.Proof memory w, uint256 account, uint256 now_, bool forInitial)
        internal
        pure
        returns (int256 v)
    {
        v = balance(w, account, 0);
        uint256 assets = w.getU64(S.ASSETS_LENGTH);
        for (uint256 i = 1; i < assets; ++i) {
            int256 b = balance(w, account, i);
            if (b == 0) continue;
            uint256 ts = w.getU64(S.assetField(i, L.ASSET_ORACLE_TIMESTAMP));
            if (forInitial && isStale(ts, now_, w.getU64(S.PARAMS_MAX_ORACLE_AGE))) continue;
            int256 price = int256(uint256(w.getU64(S.assetField(i, L.ASSET_ORACLE_PRICE))));
            int256 weight = int256(uint256(w.getU64(S.assetField(i, L.ASSET_WEIGHT_PPM))));
            uint256 decimals = w.getU64(S.assetField(i, L.ASSET_DECIMALS));
            v += divFloor(b * price * weight, int256(10 ** decimals) * PPM);
        }
    }

    function balance(Witness.Proof memory w, uint256 account, uint256 asset) internal pure returns (int256) {
        return int256(int128(uint128(Witness.packedAt(w.get(S.balanceChunk(account, asset)), asset & 1, 128))));
    }

    /// @notice margin.ts `crossHealth` (cross positions' sums, or the portfolio requirement for
    ///         a portfolio-margin account), with `balanceOverride` in place of the balance of
    ///         `asset` (checkDebit values the account as if the debit were done).
    function crossHealth(
        Witness.Proof memory w,
        uint256 account,
        uint256 now_,
        Position[] memory positions,
        int256 collateral
    ) internal pure returns (Health memory h) {
        int256 upnl;
        for (uint256 m; m < positions.length; ++m) {
            Position memory p = positions[m];
            if (p.empty || p.marginMode != MODE_CROSS) continue;
            (int256 u, int256 i, int256 mm) = contribution(w, p, m);
            upnl += u;
            h.initial += i;
            h.maintenance += mm;
        }
        if (w.getU64(S.accountField(account, S.ACCOUNT_FLAGS)) & 1 != 0) {
            (h.initial, h.maintenance) = portfolioRequirement(w, positions);
        }
        h.equity = collateral + upnl;
        now_; // the valuation time only matters for collateral (already valued by the caller)
    }

    /// @notice margin.ts `portfolioRequirement` (no override).
    function portfolioRequirement(Witness.Proof memory w, Position[] memory positions)
        internal
        pure
        returns (int256 initial, int256 maintenance)
    {
        int256[8] memory net;
        int256 gross;
        for (uint256 m; m < positions.length; ++m) {
            Position memory p = positions[m];
            if (p.empty || p.marginMode != MODE_CROSS) continue;
            int256 price = int256(uint256(w.getU64(S.marketField(m, S.MARKET_ORACLE_PRICE))));
            uint256 group = w.getU64(S.marketField(m, S.MARKET_GROUP));
            net[group] += p.size * price;
            gross += abs(p.size) * price;
        }
        int256 worst;
        bytes32 shocks = w.get(S.PARAMS_GROUP_SHOCKS);
        for (uint256 g; g < CORRELATION_GROUPS; ++g) {
            worst += abs(net[g]) * int256(Witness.packedAt(shocks, g, 32));
        }
        int256 floorPpm = int256(uint256(w.getU64(S.PARAMS_PORTFOLIO_FLOOR)));
        int256 a = divCeil(worst, SIZE_SCALE * PPM);
        int256 b = divCeil(gross * floorPpm, SIZE_SCALE * PPM);
        initial = a > b ? a : b;
        maintenance = divCeil(initial * int256(uint256(w.getU64(S.PARAMS_PORTFOLIO_MAINTENANCE))), PPM);
    }

    /// @notice margin.ts `notional`: |size| × price / 1e8, rounded up.
    function notional(int256 size, int256 price) internal pure returns (int256) {
        return divCeil(abs(size) * price, SIZE_SCALE);
    }

    /// @notice margin.ts `markValue`: size × price / 1e8, rounded down.
    function markValue(int256 size, int256 price) internal pure returns (int256) {
        return divFloor(size * price, SIZE_SCALE);
    }

    /// @notice Every position slot of the account (what `openMarkets` walks).
    function positionsOf(Witness.Proof memory w, uint256 account) internal view returns (Position[] memory ps) {
        bytes32 emptyRoot = Witness.zeroHash(S.POSITION_DEPTH);
        ps = new Position[](L.MAX_MARKETS);
        for (uint256 m; m < L.MAX_MARKETS; ++m) {
            ps[m] = position(w, account, m, emptyRoot);
        }
    }

    /// @notice ops/withdraw.ts `checkDebit`: true when `amount` of `asset` may leave the account.
    function checkDebit(Witness.Proof memory w, uint256 account, uint256 asset, uint256 amount, uint256 now_)
        internal
        view
        returns (bool)
    {
        if (asset >= w.getU64(S.ASSETS_LENGTH)) return false; // ASSET_UNKNOWN
        if (amount == 0) return false; // AMOUNT_INVALID
        int256 bal = balance(w, account, asset);
        if (bal < int256(amount)) return false; // INSUFFICIENT_BALANCE
        Position[] memory ps = positionsOf(w, account);
        for (uint256 m; m < ps.length; ++m) {
            Position memory p = ps[m];
            if (!p.empty && p.marginMode == MODE_CROSS && p.size != 0 && isMarketStale(w, m, now_)) return false; // ORACLE_STALE
        }
        Health memory before = crossHealth(w, account, now_, ps, collateralValue(w, account, now_, true));
        // The collateral after the debit: recompute exactly, as checkDebit does.
        int256 afterCollateral = collateralAfter(w, account, asset, bal - int256(amount), now_);
        Health memory afterDebit = crossHealth(w, account, now_, ps, afterCollateral);
        return afterDebit.equity >= before.initial; // INSUFFICIENT_MARGIN otherwise
    }

    /// @notice `collateralValue` (for initial) with the balance of `asset` replaced by `newBalance`.
    function collateralAfter(Witness.Proof memory w, uint256 account, uint256 asset, int256 newBalance, uint256 now_)
        internal
        pure
        returns (int256 v)
    {
        uint256 g = S.balanceChunk(account, asset);
        bytes32 saved = w.get(g);
        w.set(g, Witness.withPacked(saved, asset & 1, 128, uint256(uint128(int128(newBalance)))));
        v = collateralValue(w, account, now_, true);
        w.set(g, saved);
    }
}
