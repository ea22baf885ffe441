// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IOneStepProver} from "../IOneStepProver.sol";
import {StateLayout as L} from "../lib/StateLayout.sol";
import {Witness} from "./Witness.sol";
import {OneStepLayout as S} from "./OneStepLayout.sol";
import {OneStepBase} from "./OneStepBase.sol";
import {OneStepTradePlan} from "./OneStepTradePlan.sol";
import {Margin} from "./Margin.sol";

/// @title OneStepRisk
/// @notice The one-step STF's risk operations, Liquidate and Deleverage (ops/liquidate.ts,
///         ops/deleverage.ts, risk.ts), in their own contract because EIP-170 caps each
///         contract's code. It verifies the witness itself, so it is a complete
///         `IOneStepProver` for these two selectors.
/// @dev Reads follow the TypeScript code's reads, including its short-circuits: a node TS
///      did not read is not in the witness (e.g. `paidInWindow` is read only in the current
///      window, the penalty only once a size is tested), so every read here sits where TS
///      makes it, and refusals come in TS's order.
contract OneStepRisk is OneStepTradePlan, IOneStepProver {
    using Witness for Witness.Proof;

    uint8 internal constant OP_LIQUIDATE = 13;
    uint8 internal constant OP_DELEVERAGE = 14;
    /// @dev constants.ts ALL_MARKETS: Liquidate's market that settles a flat account's debt.
    uint256 internal constant ALL_MARKETS = 0xffff;
    /// @dev constants.ts MAX_PRICE: 2^62 - 1.
    int256 internal constant MAX_PRICE = (1 << 62) - 1;

    bytes32 internal constant LIQUIDATE_TYPE_HASH =
        keccak256("Liquidate(uint32 account,uint64 nonce,uint32 target,uint16 market)");

    /// @notice margin.ts `portfolioMaintenanceExact` of the target for the liquidated market:
    ///         the other cross positions' group nets and gross notional, and the parameters.
    struct Exact {
        /// @dev Σ over the other groups of |net_g| × shock_g (they do not move with the size).
        int256 otherWorst;
        /// @dev The liquidated market's group: the other positions' net, and its shock.
        int256 groupNet;
        int256 groupShock;
        int256 gross;
        int256 floorPpm;
        int256 maintPpm;
    }

    /// @notice A liquidation in the making: who, what, and the health function's inputs.
    struct Liq {
        uint256 liquidator;
        uint256 target;
        uint256 market;
        int256 price;
        int256 size;
        int256 abs;
        int256 dir;
        int256 lot;
        int256 units;
        bool cross;
        bool portfolio;
        /// @dev Cross pool (or isolated position) equity before the liquidation.
        int256 equity;
        /// @dev Cross: the pool's maintenance requirement, and this position's term of it.
        int256 maintenance;
        int256 mmOld;
        /// @dev 1e6 + liquidationBufferPpm.
        int256 target1;
        /// @dev The target's position slots, once TS has read `openMarkets` (cross, or netValue).
        Margin.Position[] ps;
        /// @dev liquidationPenaltyPpm, read when TS first reads it (`penaltyRead`).
        int256 penaltyPpm;
        bool penaltyRead;
        /// @dev The market's tiers as read so far (bit i of `tiersRead`: tier i), so the size
        ///      search reads each once.
        int256[4] tierCap;
        int256[4] tierImf;
        int256[4] tierMmf;
        uint256 tiersRead;
        /// @dev Portfolio account: the other cross positions' terms (portfolioMaintenanceExact).
        Exact exact;
    }

    /// @notice Pacing of one liquidation (the window and what the market and account used in
    ///         it), its size, and what it pays.
    struct Pacing {
        uint256 windowStart;
        int256 marketUsed;
        int256 accountUsed;
        int256 delta;
        int256 liquidated;
        int256 penalty;
        int256 fromMargin;
        uint256 openInterest;
    }

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
        bool accepted = selector == OP_LIQUIDATE ? _liquidate(w, ts, body) : _deleverage(w, ts, body);
        if (!accepted) return preRoot;
        w.setU64(S.CLOCK, ts);
        return w.root();
    }

    /// @notice The operation types this contract executes (types.ts OP_TYPES selectors).
    function isSupported(uint8 selector) public pure returns (bool) {
        return selector == OP_LIQUIDATE || selector == OP_DELEVERAGE;
    }

    // ================================================================ Deleverage (ops/deleverage.ts)

    /// @dev `processDeleverage`: part of a bankrupt account's position closes against an
    ///      opposite one at the bankruptcy price. Body: target u32 ‖ market u16 ‖
    ///      counterparty u32 ‖ size u64. Writes nothing when refused.
    function _deleverage(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view returns (bool) {
        if (body.length != 18) revert OpMalformed(OP_DELEVERAGE, body.length + 13);
        (bool ok, int256 price, int256 q) = _deleverageChecks(w, ts, body);
        if (!ok) return false;
        uint256 market = _le(body, 4, 2);
        Plan memory targetPlan;
        Plan memory counterPlan;
        (ok, targetPlan) = _planTrade(w, _le(body, 0, 4), market, q, price, ts);
        if (!ok) return false;
        (ok, counterPlan) = _planTrade(w, _le(body, 6, 4), market, -q, price, ts);
        if (!ok) return false;
        uint256 openInterest;
        (ok, openInterest) = _openInterestAfter(w, market, targetPlan, counterPlan);
        if (!ok) return false; // OVERFLOW
        _commitTrade(w, targetPlan);
        _commitTrade(w, counterPlan);
        w.setU64(S.marketField(market, S.MARKET_OPEN_INTEREST), uint64(openInterest));
        _settleDebt(w, targetPlan.account, ts);
        return true;
    }

    /// @dev Deleverage's checks in TS's order; returns the bankruptcy price and the target's
    ///      signed trade.
    function _deleverageChecks(Witness.Proof memory w, uint64 ts, bytes calldata body)
        internal
        view
        returns (bool, int256 price, int256 q)
    {
        (bool ok, int256 held) = _adlMatch(w, ts, body);
        if (!ok) return (false, 0, 0);
        uint256 target = _le(body, 0, 4);
        int256 deficit = -_netValue(w, target, Margin.positionsOf(w, target));
        if (deficit <= 0 || deficit <= _insuranceAvailable(w, ts)) return (false, 0, 0); // NOT_BANKRUPT
        // The price at which closing the whole position brings the net value to zero.
        int256 shift = Margin.divCeil(deficit * Margin.SIZE_SCALE, Margin.abs(held));
        int256 oracle = _oraclePrice(w, _le(body, 4, 2));
        price = held > 0 ? oracle + shift : oracle - shift;
        if (price < 1) price = 1;
        if (price > MAX_PRICE) price = MAX_PRICE;
        int256 size = int256(_le(body, 10, 8));
        q = held > 0 ? -size : size;
        return (true, price, q);
    }

    /// @dev Accounts and market known and distinct, a fresh price, and an opposite position
    ///      of the counterparty at least the size; returns the target's position size.
    function _adlMatch(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view returns (bool, int256 held) {
        uint256 target = _le(body, 0, 4);
        uint256 market = _le(body, 4, 2);
        uint256 counterparty = _le(body, 6, 4);
        {
            uint256 accounts = w.getU64(S.ACCOUNTS_LENGTH);
            if (target >= accounts || counterparty >= accounts) return (false, 0); // ACCOUNT_UNKNOWN
        }
        if (target == counterparty) return (false, 0); // SELF_TRADE
        if (market >= w.getU64(S.MARKETS_LENGTH)) return (false, 0); // MARKET_UNKNOWN
        if (Margin.isMarketStale(w, market, ts)) return (false, 0); // ORACLE_STALE
        bytes32 emptyRoot = Witness.zeroHash(S.POSITION_DEPTH);
        held = Margin.position(w, target, market, emptyRoot).size;
        if (held == 0) return (false, 0); // NO_POSITION
        int256 other = Margin.position(w, counterparty, market, emptyRoot).size;
        int256 size = int256(_le(body, 10, 8));
        if (other == 0 || (other > 0) == (held > 0) || size <= 0 || size > Margin.abs(held) || size > Margin.abs(other)) {
            return (false, 0); // ADL_MISMATCH
        }
        return (true, held);
    }

    // ================================================================ Liquidate (ops/liquidate.ts)

    /// @dev `processLiquidate`. Body: account u32 ‖ nonce u64 ‖ target u32 ‖ market u16 ‖ signature.
    function _liquidate(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view returns (bool) {
        if (body.length != 83) revert OpMalformed(OP_LIQUIDATE, body.length + 13);
        (bool fresh, uint256 nonceSlot) = _authorizeAndCheckNonce(
            w,
            ts,
            body,
            keccak256(abi.encode(LIQUIDATE_TYPE_HASH, _le(body, 0, 4), _le(body, 4, 8), _le(body, 12, 4), _le(body, 16, 2))),
            false
        );
        if (!fresh) return false;
        Liq memory l;
        l.liquidator = _le(body, 0, 4);
        l.target = _le(body, 12, 4);
        l.market = _le(body, 16, 2);
        if (l.target >= w.getU64(S.ACCOUNTS_LENGTH)) return false; // ACCOUNT_UNKNOWN
        if (l.target == l.liquidator) return false; // SELF_TRADE
        if (l.market == ALL_MARKETS) {
            if (!_isFlat(w, l.target) || Margin.balance(w, l.target, 0) >= 0) return false; // NOT_LIQUIDATABLE
            if (!_debtSettleable(w, l.target, ts)) return false; // INSURANCE_INSUFFICIENT
            _useNonce(w, l.liquidator, nonceSlot, _le(body, 4, 8));
            _settleDebt(w, l.target, ts);
            return true;
        }
        if (!_eligible(w, ts, l)) return false;
        Pacing memory pace;
        if (!_paced(w, ts, l, pace)) return false; // LIQUIDATION_PACED
        if (l.ps.length == 0) l.ps = Margin.positionsOf(w, l.target);
        int256 deficit = -_netValue(w, l.target, l.ps);
        if (deficit > 0 && deficit > _insuranceAvailable(w, ts)) return false; // INSURANCE_INSUFFICIENT
        return _liquidateTrade(w, ts, l, pace, nonceSlot, _le(body, 4, 8));
    }

    /// @dev Market known, a position, a fresh price, below maintenance, and (cross) the
    ///      largest risk. Fills in the health function's inputs.
    function _eligible(Witness.Proof memory w, uint64 ts, Liq memory l) internal view returns (bool) {
        if (l.market >= w.getU64(S.MARKETS_LENGTH)) return false; // MARKET_UNKNOWN
        Margin.Position memory pos = Margin.position(w, l.target, l.market, Witness.zeroHash(S.POSITION_DEPTH));
        if (pos.size == 0) return false; // NO_POSITION
        if (Margin.isMarketStale(w, l.market, ts)) return false; // ORACLE_STALE
        l.price = _oraclePrice(w, l.market);
        l.size = pos.size;
        l.cross = pos.marginMode == Margin.MODE_CROSS;
        if (l.cross) {
            l.portfolio = w.getU64(S.accountField(l.target, S.ACCOUNT_FLAGS)) & 1 != 0;
            l.ps = Margin.positionsOf(w, l.target);
            Margin.Health memory h =
                Margin.crossHealth(w, l.target, ts, l.ps, Margin.collateralValue(w, l.target, ts, false));
            if (h.equity >= h.maintenance) return false; // NOT_LIQUIDATABLE
            if (_largestRisk(w, l, h.maintenance) != l.market) return false; // NOT_LARGEST_RISK
            l.equity = h.equity;
            l.maintenance = h.maintenance;
            (,, l.mmOld) = Margin.contribution(w, pos, l.market);
        } else {
            l.equity = int256(pos.isolatedMargin) + Margin.markValue(pos.size, l.price) - pos.entryNotional
                - _pendingFunding(w, pos, l.market);
            int256 mm = Margin.tieredRequirement(w, l.market, Margin.notional(pos.size, l.price), true);
            if (l.equity >= mm) return false; // NOT_LIQUIDATABLE
        }
        l.abs = Margin.abs(l.size);
        l.dir = l.size < 0 ? int256(-1) : int256(1);
        l.target1 = Margin.PPM + int256(uint256(w.getU64(S.PARAMS_LIQUIDATION_BUFFER)));
        l.lot = int256(uint256(w.getU64(S.marketField(l.market, S.MARKET_LOT_SIZE))));
        l.units = (l.abs + l.lot - 1) / l.lot;
        return true;
    }

    /// @dev The cross position with the largest risk (the first on ties, by market): its
    ///      tiered maintenance, or for a portfolio account what closing it takes off the
    ///      portfolio maintenance requirement.
    function _largestRisk(Witness.Proof memory w, Liq memory l, int256 maintenance) internal pure returns (uint256) {
        Book memory book;
        if (l.portfolio) book = _portfolioBook(w, l);
        int256 largest = -1;
        int256 largestRisk;
        for (uint256 m; m < l.ps.length; ++m) {
            Margin.Position memory p = l.ps[m];
            if (p.empty || p.marginMode != Margin.MODE_CROSS || p.size == 0) continue;
            int256 risk;
            if (l.portfolio) {
                // portfolioRequirement with this position closed: its term out of its group's net and the gross.
                int256 term = p.size * book.price[m];
                int256 worst = book.worst - Margin.abs(book.net[book.group[m]]) * book.shock[book.group[m]]
                    + Margin.abs(book.net[book.group[m]] - term) * book.shock[book.group[m]];
                int256 initial = _portfolioInitial(worst, book.gross - Margin.abs(term), book.floorPpm);
                risk = maintenance - Margin.divCeil(initial * book.maintPpm, Margin.PPM);
            } else {
                (,, risk) = Margin.contribution(w, p, m);
            }
            if (largest < 0 || risk > largestRisk) (largest, largestRisk) = (int256(m), risk);
        }
        if (l.portfolio) _portfolioTerms(l, book);
        return largest < 0 ? type(uint256).max : uint256(largest);
    }

    /// @notice The portfolio requirement's inputs over the account's cross positions (each
    ///         position's price and group, each group's net, the gross notional, the
    ///         parameters), read once: margin.ts `portfolioRequirement` reads the same nodes.
    struct Book {
        int256[64] price;
        uint256[64] group;
        int256[8] net;
        int256[8] shock;
        int256 worst;
        int256 gross;
        int256 floorPpm;
        int256 maintPpm;
    }

    function _portfolioBook(Witness.Proof memory w, Liq memory l) internal pure returns (Book memory b) {
        for (uint256 m; m < l.ps.length; ++m) {
            Margin.Position memory p = l.ps[m];
            if (p.empty || p.marginMode != Margin.MODE_CROSS) continue;
            b.price[m] = _oraclePrice(w, m);
            b.group[m] = w.getU64(S.marketField(m, S.MARKET_GROUP));
            b.net[b.group[m]] += p.size * b.price[m];
            b.gross += Margin.abs(p.size) * b.price[m];
        }
        bytes32 shocks = w.get(S.PARAMS_GROUP_SHOCKS);
        for (uint256 g; g < Margin.CORRELATION_GROUPS; ++g) {
            b.shock[g] = int256(Witness.packedAt(shocks, g, 32));
            b.worst += Margin.abs(b.net[g]) * b.shock[g];
        }
        b.floorPpm = int256(uint256(w.getU64(S.PARAMS_PORTFOLIO_FLOOR)));
        b.maintPpm = int256(uint256(w.getU64(S.PARAMS_PORTFOLIO_MAINTENANCE)));
    }

    /// @dev margin.ts `portfolioRequirement`'s initial: the worst scenario loss or the floor
    ///      fraction of gross notional, each rounded up (both scaled by 1e8 × 1e6).
    function _portfolioInitial(int256 worst, int256 gross, int256 floorPpm) internal pure returns (int256) {
        int256 a = Margin.divCeil(worst, Margin.SIZE_SCALE * Margin.PPM);
        int256 b = Margin.divCeil(gross * floorPpm, Margin.SIZE_SCALE * Margin.PPM);
        return a > b ? a : b;
    }

    /// @dev margin.ts `portfolioMaintenanceExact` for the liquidated market: the group nets and
    ///      gross notional of the other cross positions, the market's group and the parameters.
    function _portfolioTerms(Liq memory l, Book memory book) internal pure {
        Exact memory e = l.exact;
        uint256 group = book.group[l.market];
        int256 term = l.ps[l.market].size * book.price[l.market];
        e.groupNet = book.net[group] - term;
        e.groupShock = book.shock[group];
        e.otherWorst = book.worst - Margin.abs(book.net[group]) * book.shock[group];
        e.gross = book.gross - Margin.abs(term);
        e.floorPpm = book.floorPpm;
        e.maintPpm = book.maintPpm;
    }

    /// @dev `max(Σ_g |net_g| × shock_g, gross × floor)` with the liquidated market at size `s`:
    ///      the portfolio requirement before any rounding, scaled by 1e8 × 1e6.
    function _portfolioWorst(Liq memory l, int256 s) internal pure returns (int256) {
        Exact memory e = l.exact;
        int256 worst = e.otherWorst + Margin.abs(e.groupNet + s * l.price) * e.groupShock;
        int256 floor_ = (e.gross + Margin.abs(s) * l.price) * e.floorPpm;
        return worst > floor_ ? worst : floor_;
    }

    /// @dev The smallest lot count restoring equity ≥ maintenance × (1 + buffer) after the
    ///      penalty (searched up to the portfolio peak), else the whole position.
    function _liquidationSize(Witness.Proof memory w, Liq memory l) internal pure returns (int256) {
        int256 peak = l.portfolio ? _portfolioPeak(w, l) : l.units;
        int256 lo = 1;
        int256 hi = peak;
        while (lo < hi) {
            int256 mid = (lo + hi) >> 1;
            if (_healthyAfter(w, l, _sizeOf(l, mid))) hi = mid;
            else lo = mid + 1;
        }
        if (lo == peak && peak != l.units && !_healthyAfter(w, l, _sizeOf(l, peak))) return l.abs;
        return _sizeOf(l, lo);
    }

    function _sizeOf(Liq memory l, int256 k) internal pure returns (int256) {
        int256 s = k * l.lot;
        return s < l.abs ? s : l.abs;
    }

    /// @dev Closing at the oracle price leaves equity unchanged but for the penalty.
    function _healthyAfter(Witness.Proof memory w, Liq memory l, int256 delta) internal pure returns (bool) {
        int256 penalty = Margin.divCeil(Margin.notional(delta, l.price) * _penaltyPpm(w, l), Margin.PPM);
        return (l.equity - penalty) * Margin.PPM >= _maintenanceAfter(w, l, l.size - l.dir * delta) * l.target1;
    }

    /// @dev The maintenance requirement with the liquidated position at size `s`: the
    ///      portfolio requirement (rounded as margin.ts `portfolioRequirement`), or the pool's
    ///      with this position's tiered term replaced, or the isolated position's own.
    function _maintenanceAfter(Witness.Proof memory w, Liq memory l, int256 s) internal pure returns (int256) {
        if (l.portfolio) {
            // max(⌈x⌉, ⌈y⌉) = ⌈max(x, y)⌉: the initial requirement as portfolioRequirement rounds it.
            int256 initial = Margin.divCeil(_portfolioWorst(l, s), Margin.SIZE_SCALE * Margin.PPM);
            return Margin.divCeil(initial * l.exact.maintPpm, Margin.PPM);
        }
        int256 mm = _tieredMaintenance(w, l, Margin.notional(s, l.price));
        return l.cross ? l.maintenance - l.mmOld + mm : mm;
    }

    /// @dev margin.ts `tieredRequirement(tiers, n, true)` on the memoized tiers (the same
    ///      tiers, in the same order, as Margin.tieredRequirement reads).
    function _tieredMaintenance(Witness.Proof memory w, Liq memory l, int256 n) internal pure returns (int256) {
        int256 acc;
        int256 lower;
        for (uint256 i; i < S.MARGIN_TIERS; ++i) {
            _loadTier(w, l, i);
            if (l.tierImf[i] == 0) break;
            bool last = i + 1 == S.MARGIN_TIERS;
            if (!last) {
                _loadTier(w, l, i + 1);
                last = l.tierImf[i + 1] == 0;
            }
            int256 cap = l.tierCap[i];
            int256 upper = last || n < cap ? n : cap;
            if (upper > lower) acc += (upper - lower) * l.tierMmf[i];
            if (last || n <= cap) break;
            lower = cap;
        }
        return Margin.divCeil(acc, Margin.PPM);
    }

    /// @dev Tier i of the liquidated market, read once (a tier is read whole: its fields are
    ///      one small record in the witness).
    function _loadTier(Witness.Proof memory w, Liq memory l, uint256 i) internal pure {
        if (l.tiersRead & (1 << i) != 0) return;
        l.tiersRead |= 1 << i;
        l.tierImf[i] = int256(uint256(w.getU64(S.tierField(l.market, i, S.TIER_IMF))));
        l.tierCap[i] = int256(uint256(w.getU64(S.tierField(l.market, i, S.TIER_NOTIONAL_CAP))));
        l.tierMmf[i] = int256(uint256(w.getU64(S.tierField(l.market, i, S.TIER_MMF))));
    }

    function _penaltyPpm(Witness.Proof memory w, Liq memory l) internal pure returns (int256) {
        if (!l.penaltyRead) {
            l.penaltyRead = true;
            l.penaltyPpm = int256(uint256(w.getU64(S.PARAMS_LIQUIDATION_PENALTY)));
        }
        return l.penaltyPpm;
    }

    /// @dev risk.ts `liquidationPenalty`: rounded up.
    function _penalty(Witness.Proof memory w, int256 liquidatedNotional) internal pure returns (int256) {
        return Margin.divCeil(
            liquidatedNotional * int256(uint256(w.getU64(S.PARAMS_LIQUIDATION_PENALTY))), Margin.PPM
        );
    }

    /// @dev liquidate.ts `portfolioPeak`: the lot count in [1, units] where the unrounded
    ///      health H is highest (H is concave in the liquidated size).
    function _portfolioPeak(Witness.Proof memory w, Liq memory l) internal pure returns (int256) {
        int256 lo = 1;
        int256 hi = l.units;
        while (lo < hi) {
            int256 mid = (lo + hi) >> 1;
            if (_peakHealth(w, l, mid) >= _peakHealth(w, l, mid + 1)) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    /// @dev `H(k) = (E·1e20 − δ·price·penaltyPpm·1e6)·1e6 − maintenanceExact(size − dir·δ)·(1e6 + buffer)`.
    function _peakHealth(Witness.Proof memory w, Liq memory l, int256 k) internal pure returns (int256) {
        int256 d = _sizeOf(l, k);
        int256 exact = _portfolioWorst(l, l.size - l.dir * d) * l.exact.maintPpm;
        return (l.equity * 1e20 - d * l.price * _penaltyPpm(w, l) * Margin.PPM) * Margin.PPM - exact * l.target1;
    }

    /// @dev The size, then the market's and the account's pacing caps in the current window.
    function _paced(Witness.Proof memory w, uint64 ts, Liq memory l, Pacing memory pace) internal pure returns (bool) {
        pace.delta = _liquidationSize(w, l);
        uint256 window = w.getU64(S.PARAMS_PACING_WINDOW);
        pace.windowStart = ts - ts % window;
        if (w.getU64(S.marketField(l.market, S.MARKET_PACING_WINDOW_START)) == pace.windowStart) {
            pace.marketUsed = int256(uint256(w.getU64(S.marketField(l.market, S.MARKET_LIQUIDATED_IN_WINDOW))));
        }
        if (w.getU64(S.pacingField(l.target, 0)) == pace.windowStart) {
            pace.accountUsed = int256(uint256(w.getU64(S.pacingField(l.target, 1))));
        }
        int256 marketRoom = int256(uint256(w.getU64(S.marketField(l.market, S.MARKET_LIQUIDATION_CAP)))) - pace.marketUsed;
        int256 accountRoom =
            int256(uint256(w.getU64(S.PARAMS_ACCOUNT_LIQUIDATION_CAP))) - pace.accountUsed;
        int256 room = marketRoom < accountRoom ? marketRoom : accountRoom;
        if (Margin.notional(pace.delta, l.price) > room) pace.delta = _sizeWithinCap(pace.delta, l.lot, l.price, room);
        if (pace.delta <= 0) return false;
        pace.liquidated = Margin.notional(pace.delta, l.price);
        return true;
    }

    /// @dev risk.ts `sizeWithinCap`: the largest multiple of `lot` (at most `size`) whose
    ///      notional at `price` fits `cap`.
    function _sizeWithinCap(int256 size, int256 lot, int256 price, int256 cap) internal pure returns (int256 s) {
        if (cap <= 0) return 0;
        s = ((cap * Margin.SIZE_SCALE) / price / lot) * lot;
        if (s > size) s = size;
        while (s > 0 && Margin.divCeil(s * price, Margin.SIZE_SCALE) > cap) s -= lot;
        if (s < 0) s = 0;
    }

    /// @dev Both sides planned, the penalty capped, then every write in TS's order.
    function _liquidateTrade(
        Witness.Proof memory w,
        uint64 ts,
        Liq memory l,
        Pacing memory pace,
        uint256 nonceSlot,
        uint256 nonce
    ) internal view returns (bool) {
        (bool ok, Plan memory targetPlan) = _planTrade(w, l.target, l.market, -l.dir * pace.delta, l.price, ts);
        if (!ok) return false;
        Plan memory liquidatorPlan;
        (ok, liquidatorPlan) = _planTrade(w, l.liquidator, l.market, l.dir * pace.delta, l.price, ts);
        if (!ok) return false; // INSUFFICIENT_MARGIN (the liquidator's)
        (ok, pace.openInterest) = _openInterestAfter(w, l.market, targetPlan, liquidatorPlan);
        if (!ok) return false; // OVERFLOW
        if (!_penaltyFits(w, l, pace, targetPlan)) return false; // OVERFLOW

        _useNonce(w, l.liquidator, nonceSlot, nonce);
        _cancelAllOrders(w, l.target);
        targetPlan.next.isolatedMargin -= uint256(pace.fromMargin);
        targetPlan.settlementDelta -= pace.penalty - pace.fromMargin;
        _commitTrade(w, targetPlan);
        _commitTrade(w, liquidatorPlan);
        _setInsuranceFund(w, 0, _insuranceFund(w, 0) + pace.penalty);
        w.setU64(S.marketField(l.market, S.MARKET_OPEN_INTEREST), uint64(pace.openInterest));
        w.setU64(S.marketField(l.market, S.MARKET_PACING_WINDOW_START), uint64(pace.windowStart));
        w.setU64(
            S.marketField(l.market, S.MARKET_LIQUIDATED_IN_WINDOW), uint64(uint256(pace.marketUsed + pace.liquidated))
        );
        w.setU64(S.pacingField(l.target, 0), uint64(pace.windowStart));
        w.setU64(S.pacingField(l.target, 1), uint64(uint256(pace.accountUsed + pace.liquidated)));
        _settleDebt(w, l.target, ts);
        return true;
    }

    /// @dev The penalty, capped at the equity left; an isolated position pays it from its own
    ///      margin (what remains after the trade, or what the trade releases when it closes
    ///      the position), never from the cross pool. False when a balance would overflow.
    function _penaltyFits(Witness.Proof memory w, Liq memory l, Pacing memory pace, Plan memory targetPlan)
        internal
        pure
        returns (bool)
    {
        int256 equityLeft = l.equity > 0 ? l.equity : int256(0);
        int256 penalty = _penalty(w, pace.liquidated);
        if (penalty > equityLeft) penalty = equityLeft;
        if (!l.cross) {
            int256 cap = targetPlan.next.size != 0
                ? int256(targetPlan.next.isolatedMargin)
                : (targetPlan.settlementDelta > 0 ? targetPlan.settlementDelta : int256(0));
            if (penalty > cap) penalty = cap;
        }
        pace.penalty = penalty;
        pace.fromMargin = !l.cross && targetPlan.next.size != 0 ? penalty : int256(0);
        int256 settlement = Margin.balance(w, l.target, 0) + targetPlan.settlementDelta - (penalty - pace.fromMargin);
        if (settlement < type(int128).min || settlement > type(int128).max) return false;
        return _insuranceFund(w, 0) + penalty <= type(int128).max;
    }

    /// @dev liquidate.ts `cancelAllOrders`: every resting order of the account leaves its slot.
    function _cancelAllOrders(Witness.Proof memory w, uint256 account) internal view {
        bytes32 emptyOrder = Witness.zeroHash(S.ORDER_DEPTH);
        for (uint256 s; s < S.ORDER_SLOTS; ++s) {
            if (!_isEmptySlot(w, account, s, emptyOrder)) _clearOrder(w, account, s);
        }
    }

    // ================================================================ risk.ts

    /// @dev `netValue`: collateral at full oracle value plus every position's equity.
    function _netValue(Witness.Proof memory w, uint256 account, Margin.Position[] memory ps)
        internal
        pure
        returns (int256 v)
    {
        v = _collateralAtOracle(w, account);
        for (uint256 m; m < ps.length; ++m) {
            Margin.Position memory p = ps[m];
            if (p.empty) continue;
            int256 price = _oraclePrice(w, m);
            int256 value = Margin.markValue(p.size, price) - p.entryNotional - _pendingFunding(w, p, m);
            v += p.marginMode == 0 ? int256(p.isolatedMargin) + value : value;
        }
    }

    /// @dev `collateralAtOracle`: the settlement balance and every other asset at full value.
    function _collateralAtOracle(Witness.Proof memory w, uint256 account) internal pure returns (int256 v) {
        v = Margin.balance(w, account, 0);
        uint256 assets = w.getU64(S.ASSETS_LENGTH);
        for (uint256 i = 1; i < assets; ++i) {
            int256 b = Margin.balance(w, account, i);
            if (b != 0) v += Margin.divFloor(b * _assetPrice(w, i), _assetUnit(w, i));
        }
    }

    /// @dev `otherCollateralValue`: positive balances of priced assets other than the settlement one.
    function _otherCollateralValue(Witness.Proof memory w, uint256 account) internal pure returns (int256 v) {
        uint256 assets = w.getU64(S.ASSETS_LENGTH);
        for (uint256 i = 1; i < assets; ++i) {
            int256 b = Margin.balance(w, account, i);
            int256 price = _assetPrice(w, i);
            if (b > 0 && price > 0) v += Margin.divFloor(b * price, _assetUnit(w, i));
        }
    }

    function _isFlat(Witness.Proof memory w, uint256 account) internal view returns (bool) {
        bytes32 emptyRoot = Witness.zeroHash(S.POSITION_DEPTH);
        for (uint256 m; m < L.MAX_MARKETS; ++m) {
            if (Margin.position(w, account, m, emptyRoot).size != 0) return false;
        }
        return true;
    }

    /// @dev `insuranceAvailable`: what the fund can still pay in the current pacing window.
    function _insuranceAvailable(Witness.Proof memory w, uint64 ts) internal pure returns (int256) {
        uint256 ws = ts - ts % w.getU64(S.PARAMS_PACING_WINDOW);
        int256 paid;
        if (w.getU64(S.INSURANCE_WINDOW_START) == ws) paid = _u128(w, S.INSURANCE_WINDOW_PAID);
        int256 fund = _insuranceFund(w, 0);
        int256 room = int256(uint256(w.getU64(S.PARAMS_INSURANCE_LOSS_CAP))) - paid;
        if (fund <= 0 || room <= 0) return 0;
        return fund < room ? fund : room;
    }

    /// @dev `debtSettleable`: the fund can pay, or the account holds no collateral of value.
    function _debtSettleable(Witness.Proof memory w, uint256 account, uint64 ts) internal pure returns (bool) {
        return _insuranceAvailable(w, ts) > 0 || _otherCollateralValue(w, account) == 0;
    }

    /// @dev `payFromInsurance`: counted against the window's cap (a new window starts at zero).
    function _payFromInsurance(Witness.Proof memory w, uint64 ts, int256 amount) internal pure {
        uint256 ws = ts - ts % w.getU64(S.PARAMS_PACING_WINDOW);
        int256 paid;
        if (w.getU64(S.INSURANCE_WINDOW_START) != ws) w.setU64(S.INSURANCE_WINDOW_START, uint64(ws));
        else paid = _u128(w, S.INSURANCE_WINDOW_PAID);
        w.set(S.INSURANCE_WINDOW_PAID, Witness.withPacked(bytes32(0), 0, 128, uint256(paid + amount)));
        _setInsuranceFund(w, 0, _insuranceFund(w, 0) - amount);
    }

    /// @dev `settleDebt`: for a flat account with debt, its other collateral sold to the fund,
    ///      then the fund's cover, then (once no collateral of value is left) socialized loss.
    function _settleDebt(Witness.Proof memory w, uint256 account, uint64 ts) internal view {
        int256 debt = -Margin.balance(w, account, 0);
        if (debt <= 0 || !_isFlat(w, account)) return;
        uint256 assets = w.getU64(S.ASSETS_LENGTH);
        for (uint256 i = 1; i < assets && debt > 0; ++i) {
            int256 held = Margin.balance(w, account, i);
            int256 price = _assetPrice(w, i);
            if (held <= 0 || price <= 0) continue;
            int256 budget = _insuranceAvailable(w, ts);
            if (debt < budget) budget = debt;
            if (budget <= 0) break;
            debt -= _sellToFund(w, account, i, held, price, budget, ts);
        }
        int256 cover = _insuranceAvailable(w, ts);
        if (debt < cover) cover = debt;
        if (cover > 0) {
            _payFromInsurance(w, ts, cover);
            _setBalance(w, account, 0, Margin.balance(w, account, 0) + cover);
            debt -= cover;
        }
        if (debt > 0 && _otherCollateralValue(w, account) == 0) {
            w.set(S.SOCIALIZED_LOSS, Witness.withPacked(bytes32(0), 0, 128, uint256(_u128(w, S.SOCIALIZED_LOSS) + debt)));
            _setBalance(w, account, 0, Margin.balance(w, account, 0) + debt);
        }
    }

    /// @dev Step 1 of the waterfall for one asset: what `budget` buys of the holding at the
    ///      oracle price (seized rounded up, its value down) goes to the fund; returns the value credited.
    function _sellToFund(
        Witness.Proof memory w,
        uint256 account,
        uint256 asset,
        int256 held,
        int256 price,
        int256 budget,
        uint64 ts
    ) internal pure returns (int256 value) {
        int256 unit = _assetUnit(w, asset);
        int256 seized = Margin.divCeil(budget * unit, price);
        if (held < seized) seized = held;
        value = Margin.divFloor(seized * price, unit);
        if (budget < value) value = budget;
        _setBalance(w, account, asset, held - seized);
        _setInsuranceFund(w, asset, _insuranceFund(w, asset) + seized);
        if (value > 0) _payFromInsurance(w, ts, value);
        _setBalance(w, account, 0, Margin.balance(w, account, 0) + value);
    }

    // ================================================================ reads

    function _oraclePrice(Witness.Proof memory w, uint256 market) internal pure returns (int256) {
        return int256(uint256(w.getU64(S.marketField(market, S.MARKET_ORACLE_PRICE))));
    }

    function _assetPrice(Witness.Proof memory w, uint256 asset) internal pure returns (int256) {
        return int256(uint256(w.getU64(S.assetField(asset, L.ASSET_ORACLE_PRICE))));
    }

    function _assetUnit(Witness.Proof memory w, uint256 asset) internal pure returns (int256) {
        return int256(10 ** uint256(w.getU64(S.assetField(asset, L.ASSET_DECIMALS))));
    }

    function _u128(Witness.Proof memory w, uint256 g) internal pure returns (int256) {
        return int256(Witness.packedAt(w.get(g), 0, 128));
    }

    function _insuranceFund(Witness.Proof memory w, uint256 asset) internal pure returns (int256) {
        return int256(int128(uint128(Witness.packedAt(w.get(S.insuranceFundChunk(asset)), asset & 1, 128))));
    }

    function _setInsuranceFund(Witness.Proof memory w, uint256 asset, int256 value) internal pure {
        uint256 g = S.insuranceFundChunk(asset);
        w.set(g, Witness.withPacked(w.get(g), asset & 1, 128, uint256(uint128(int128(value)))));
    }
}
