// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IOneStepProver} from "../IOneStepProver.sol";
import {StateProofs} from "../lib/StateProofs.sol";
import {StateLayout as L} from "../lib/StateLayout.sol";
import {Witness} from "./Witness.sol";
import {OneStepLayout as S} from "./OneStepLayout.sol";
import {OneStepBase} from "./OneStepBase.sol";

/// @title OneStepParams
/// @notice The one-step STF of governance parameter changes (ops/paramUpdate.ts
///         `processParamUpdate`), in its own contract because EIP-170 caps each contract's code.
///         ParamUpdate is an L1 input: only the queue's next item may be executed, and it is
///         consumed (hash chain, cursor, clock) even when the STF refuses its effect, which then
///         writes nothing. The bounds re-checked here are the STF's, so a bad value never enters
///         the state whatever the L1 Governance contract let through.
/// @dev Checks run in the TypeScript order: the witness holds only what TypeScript read before
///      it decided (e.g. a MARKET_TIER with a bad tier index read no tier at all).
///      Body: queueIndex u64 ‖ key u16 ‖ target u16 ‖ value (32 bytes); integers in `value` are
///      little-endian at the offsets of docs/protocol.md §7.2, and its other bytes are ignored.
contract OneStepParams is OneStepBase, IOneStepProver {
    using Witness for Witness.Proof;

    uint8 internal constant OP_PARAM_UPDATE = 1;
    uint256 internal constant BODY_BYTES = 44;
    /// @dev Where `value` starts in the body.
    uint256 internal constant VALUE = 12;

    // ops/paramUpdate.ts PARAM_KEYS.
    uint256 internal constant MAX_ORACLE_AGE_MS = 1;
    uint256 internal constant ORACLE_BAND_PPM = 2;
    uint256 internal constant NONCE_WINDOW_MS = 3;
    uint256 internal constant ORACLE_THRESHOLD = 4;
    uint256 internal constant ORACLE_SIGNER = 5;
    uint256 internal constant MARKET_STATUS = 10;
    uint256 internal constant MARKET_TICK_LOT = 11;
    uint256 internal constant MARKET_TIER = 12;
    uint256 internal constant LIST_MARKET = 13;
    uint256 internal constant ASSET_WEIGHT = 20;
    uint256 internal constant LIST_ASSET = 21;
    uint256 internal constant LIQUIDATION_PENALTY_PPM = 30;
    uint256 internal constant LIQUIDATION_BUFFER_PPM = 31;
    uint256 internal constant PACING_WINDOW_MS = 32;
    uint256 internal constant ACCOUNT_LIQUIDATION_CAP = 33;
    uint256 internal constant INSURANCE_LOSS_CAP = 34;
    uint256 internal constant FUNDING_INTERVAL_MS = 35;
    uint256 internal constant MAX_FUNDING_RATE_PPM = 36;
    uint256 internal constant PORTFOLIO_FLOOR_PPM = 37;
    uint256 internal constant PORTFOLIO_MAINTENANCE_PPM = 38;
    uint256 internal constant GROUP_SHOCK_PPM = 39;
    uint256 internal constant MARKET_GROUP = 40;
    uint256 internal constant MARKET_LIQUIDATION_CAP = 41;
    uint256 internal constant BACKSTOP_ACCOUNT = 42;

    // constants.ts
    uint256 internal constant PPM = 1_000_000;
    uint256 internal constant SIZE_SCALE = 100_000_000;
    uint256 internal constant MARKET_ACTIVE = 1;
    uint256 internal constant MARKET_HALTED = 3;
    uint256 internal constant CORRELATION_GROUPS = 8;
    uint256 internal constant NO_ACCOUNT = 0xffffffff;
    uint256 internal constant UINT64_MAX = type(uint64).max;

    /// @notice A candidate tier (types.ts MarginTier).
    struct Tier {
        uint256 cap;
        uint256 imf;
        uint256 mmf;
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
        if (body.length != BODY_BYTES) revert OpMalformed(selector, opBytes.length);
        Witness.Proof memory w = Witness.verified(witness, preRoot);
        if (ts < w.getU64(S.CLOCK)) return preRoot; // TIMESTAMP_REGRESSION
        // stf.ts: only the next queue item (L1_OUT_OF_ORDER changes nothing) ...
        if (_le(body, 0, 8) != w.getU64(S.L1_NEXT_INDEX)) return preRoot;
        // ... which is consumed whether or not its effect is accepted.
        _paramUpdate(w, body);
        _consumeL1Input(w, opBytes[12:]);
        w.setU64(S.CLOCK, ts);
        return w.root();
    }

    /// @notice The operation types this contract executes (types.ts OP_TYPES selectors).
    function isSupported(uint8 selector) public pure returns (bool) {
        return selector == OP_PARAM_UPDATE;
    }

    // ================================================================ processParamUpdate

    /// @dev The update's effect; false (nothing written) when the STF refuses it (PARAM_INVALID,
    ///      or MARKET_UNKNOWN for a market key naming no listed market).
    function _paramUpdate(Witness.Proof memory w, bytes calldata body) internal view returns (bool) {
        uint256 key = _le(body, 8, 2);
        uint256 target = _le(body, 10, 2);
        if (key == MAX_ORACLE_AGE_MS) return _setBounded(w, body, S.PARAMS_MAX_ORACLE_AGE, 1_000, 86_400_000);
        if (key == ORACLE_BAND_PPM) return _setBounded(w, body, S.PARAMS_ORACLE_BAND, 1, PPM);
        if (key == NONCE_WINDOW_MS) return _setBounded(w, body, S.PARAMS_NONCE_WINDOW, 1_000, 7 * 86_400_000);
        if (key == ORACLE_THRESHOLD) return _oracleThreshold(w, body);
        if (key == ORACLE_SIGNER) return _oracleSigner(w, body, target);
        if (key == MARKET_STATUS || key == MARKET_TICK_LOT || key == MARKET_TIER || key == MARKET_GROUP
            || key == MARKET_LIQUIDATION_CAP) {
            if (target >= w.getU64(S.MARKETS_LENGTH)) return false; // MARKET_UNKNOWN
            return _marketParam(w, body, key, target);
        }
        if (key == LIST_MARKET) return _listMarket(w, body, target);
        if (key == ASSET_WEIGHT) {
            if (target == 0 || target >= w.getU64(S.ASSETS_LENGTH)) return false; // the settlement asset has no weight
            return _setBounded(w, body, S.assetField(target, L.ASSET_WEIGHT_PPM), 0, PPM);
        }
        if (key == LIST_ASSET) return _listAsset(w, body, target);
        if (key == LIQUIDATION_PENALTY_PPM) {
            uint256 x = _value(body, 0, 8);
            if (x >= _lowestMaintenance(w, type(uint256).max, 0)) return false; // not below every maintenance fraction
            w.setU64(S.PARAMS_LIQUIDATION_PENALTY, uint64(x));
            return true;
        }
        if (key == LIQUIDATION_BUFFER_PPM) return _setBounded(w, body, S.PARAMS_LIQUIDATION_BUFFER, 0, PPM);
        if (key == PACING_WINDOW_MS) return _setBounded(w, body, S.PARAMS_PACING_WINDOW, 100, 3_600_000);
        if (key == ACCOUNT_LIQUIDATION_CAP) return _setBounded(w, body, S.PARAMS_ACCOUNT_LIQUIDATION_CAP, 1, UINT64_MAX);
        if (key == INSURANCE_LOSS_CAP) return _setBounded(w, body, S.PARAMS_INSURANCE_LOSS_CAP, 1, UINT64_MAX);
        if (key == FUNDING_INTERVAL_MS) return _setBounded(w, body, S.PARAMS_FUNDING_INTERVAL, 60_000, 86_400_000);
        if (key == MAX_FUNDING_RATE_PPM) return _setBounded(w, body, S.PARAMS_MAX_FUNDING_RATE, 0, 100_000);
        if (key == PORTFOLIO_FLOOR_PPM) return _setBounded(w, body, S.PARAMS_PORTFOLIO_FLOOR, 1_000, PPM);
        if (key == PORTFOLIO_MAINTENANCE_PPM) return _setBounded(w, body, S.PARAMS_PORTFOLIO_MAINTENANCE, 100_000, PPM);
        if (key == GROUP_SHOCK_PPM) return _groupShock(w, body, target);
        if (key == BACKSTOP_ACCOUNT) {
            uint256 a = _value(body, 0, 4);
            if (a != NO_ACCOUNT && a >= w.getU64(S.ACCOUNTS_LENGTH)) return false; // not an existing account
            w.setU64(S.PARAMS_BACKSTOP_ACCOUNT, uint64(a));
            return true;
        }
        return false; // unknown key
    }

    /// @dev `inBounds(u64 at 0, [lo, hi])` written to a single-integer chunk (bounds keep it in
    ///      the field's width: every bounded uint32 field has hi <= 1e6).
    function _setBounded(Witness.Proof memory w, bytes calldata body, uint256 gindex, uint256 lo, uint256 hi)
        internal
        pure
        returns (bool)
    {
        uint256 x = _value(body, 0, 8);
        if (x < lo || x > hi) return false;
        w.setU64(gindex, uint64(x));
        return true;
    }

    /// @dev The little-endian integer of `n` bytes at `at` of `value`.
    function _value(bytes calldata body, uint256 at, uint256 n) internal pure returns (uint256) {
        return _le(body, VALUE + at, n);
    }

    // ================================================================ oracle signer set

    /// @dev Key 4: 1 <= threshold <= the non-zero signers.
    function _oracleThreshold(Witness.Proof memory w, bytes calldata body) internal pure returns (bool) {
        uint256 t = _value(body, 0, 8);
        uint256 members;
        for (uint256 k; k < S.MAX_ORACLE_SIGNERS; ++k) {
            if (w.getAddress(S.oracleSigner(k)) != address(0)) ++members;
        }
        if (t < 1 || t > members) return false;
        w.setU64(S.PARAMS_ORACLE_THRESHOLD, uint64(t));
        return true;
    }

    /// @dev Key 5: slot `target` < 8 gets the address in bytes 0 … 19 (zero removes); a non-zero
    ///      address may sit in no other slot; the non-zero signers left must meet the threshold.
    function _oracleSigner(Witness.Proof memory w, bytes calldata body, uint256 target) internal pure returns (bool) {
        if (target >= S.MAX_ORACLE_SIGNERS) return false; // signer slot
        address signer = address(bytes20(body[VALUE:VALUE + 20]));
        if (signer != address(0)) {
            // `some` stops at the first duplicate: read no further than TypeScript did.
            for (uint256 k; k < S.MAX_ORACLE_SIGNERS; ++k) {
                if (w.getAddress(S.oracleSigner(k)) == signer && k != target) return false; // duplicate signer
            }
        }
        uint256 members = signer != address(0) ? 1 : 0;
        for (uint256 k; k < S.MAX_ORACLE_SIGNERS; ++k) {
            if (k != target && w.getAddress(S.oracleSigner(k)) != address(0)) ++members;
        }
        if (members < w.getU64(S.PARAMS_ORACLE_THRESHOLD)) return false; // fewer signers than the threshold
        w.set(S.oracleSigner(target), StateProofs.chunk(signer));
        return true;
    }

    /// @dev Key 39: group < 8, shock within [0, 1e6], packed as uint32 `target` of one chunk.
    function _groupShock(Witness.Proof memory w, bytes calldata body, uint256 target) internal pure returns (bool) {
        if (target >= CORRELATION_GROUPS) return false; // correlation group
        uint256 x = _value(body, 0, 8);
        if (x > PPM) return false;
        w.set(S.PARAMS_GROUP_SHOCKS, Witness.withPacked(w.get(S.PARAMS_GROUP_SHOCKS), target, 32, x));
        return true;
    }

    // ================================================================ markets

    /// @dev Keys 10, 11, 12, 40, 41 on a listed market.
    function _marketParam(Witness.Proof memory w, bytes calldata body, uint256 key, uint256 market)
        internal
        pure
        returns (bool)
    {
        if (key == MARKET_STATUS) {
            uint256 status = _value(body, 0, 8);
            if (status < MARKET_ACTIVE || status > MARKET_HALTED) return false;
            w.setU64(S.marketField(market, S.MARKET_STATUS), uint64(status));
        } else if (key == MARKET_TICK_LOT) {
            uint256 tick = _value(body, 0, 8);
            uint256 lot = _value(body, 8, 8);
            if (!_tickLotValid(tick, lot)) return false;
            w.setU64(S.marketField(market, S.MARKET_TICK_SIZE), uint64(tick));
            w.setU64(S.marketField(market, S.MARKET_LOT_SIZE), uint64(lot));
        } else if (key == MARKET_TIER) {
            return _marketTier(w, body, market);
        } else if (key == MARKET_GROUP) {
            uint256 g = _value(body, 0, 8);
            if (g >= CORRELATION_GROUPS) return false;
            w.setU64(S.marketField(market, S.MARKET_GROUP), uint64(g));
        } else {
            uint256 cap = _value(body, 0, 8);
            if (cap < 1) return false; // [1, 2^64 - 1]: a u64 is at most the upper bound
            w.setU64(S.marketField(market, S.MARKET_LIQUIDATION_CAP), uint64(cap));
        }
        return true;
    }

    /// @dev `checkTickLot`: tick × lot a positive multiple of 1e8 (every fill's quote is whole).
    function _tickLotValid(uint256 tick, uint256 lot) internal pure returns (bool) {
        return tick > 0 && lot > 0 && (tick * lot) % SIZE_SCALE == 0;
    }

    /// @dev Key 12: tier `index` (byte 16) replaced by {cap u64 at 0, imf u32 at 8, mmf u32 at 12};
    ///      the new list passes `checkTiers` and the penalty stays below every tier-0 mmf.
    function _marketTier(Witness.Proof memory w, bytes calldata body, uint256 market) internal pure returns (bool) {
        uint256 index = _value(body, 16, 1);
        if (index >= S.MARGIN_TIERS) return false; // tier index (read before any tier)
        Tier[] memory tiers = new Tier[](S.MARGIN_TIERS);
        for (uint256 i; i < S.MARGIN_TIERS; ++i) {
            tiers[i] = i == index
                ? Tier(_value(body, 0, 8), _value(body, 8, 4), _value(body, 12, 4))
                : Tier(
                    w.getU64(S.tierField(market, i, S.TIER_NOTIONAL_CAP)),
                    w.getU64(S.tierField(market, i, S.TIER_IMF)),
                    w.getU64(S.tierField(market, i, S.TIER_MMF))
                );
        }
        if (!_tiersValid(tiers)) return false;
        if (w.getU64(S.PARAMS_LIQUIDATION_PENALTY) >= _lowestMaintenance(w, market, tiers[0].mmf)) return false;
        Tier memory t = tiers[index];
        w.setU64(S.tierField(market, index, S.TIER_NOTIONAL_CAP), uint64(t.cap));
        w.setU64(S.tierField(market, index, S.TIER_IMF), uint64(t.imf));
        w.setU64(S.tierField(market, index, S.TIER_MMF), uint64(t.mmf));
        return true;
    }

    /// @dev `checkTiers`: used tiers first (tier 0 used), unused ones all zero; for a used tier
    ///      0 < mmf <= imf <= 1e6, fractions not decreasing, and caps increasing except into
    ///      the last used tier.
    function _tiersValid(Tier[] memory tiers) internal pure returns (bool) {
        bool used = true;
        for (uint256 i; i < tiers.length; ++i) {
            Tier memory t = tiers[i];
            if (t.imf == 0) {
                if (i == 0 || t.mmf != 0 || t.cap != 0) return false;
                used = false;
                continue;
            }
            if (!used) return false; // a used tier after an unused one
            if (t.mmf == 0 || t.mmf > t.imf || t.imf > PPM) return false;
            if (i > 0) {
                Tier memory p = tiers[i - 1];
                if (t.imf < p.imf || t.mmf < p.mmf) return false;
                bool isLast = i + 1 == tiers.length || tiers[i + 1].imf == 0;
                if (!isLast && t.cap <= p.cap) return false;
            }
        }
        return true;
    }

    /// @dev `lowestMaintenance`: the lowest tier-0 mmf over all markets (1e6 with none), with
    ///      market `overridden`'s taken as `overrideMmf` (type(uint256).max: none overridden).
    function _lowestMaintenance(Witness.Proof memory w, uint256 overridden, uint256 overrideMmf)
        internal
        pure
        returns (uint256 low)
    {
        low = PPM;
        uint256 n = w.getU64(S.MARKETS_LENGTH);
        for (uint256 m; m < n; ++m) {
            uint256 mmf = m == overridden ? overrideMmf : w.getU64(S.tierField(m, 0, S.TIER_MMF));
            if (mmf < low) low = mmf;
        }
    }

    /// @dev Key 13: `target` is the next market id (< 64); tick/lot as key 11; tier 0 =
    ///      {cap 0, imf u32 at 16, mmf u32 at 20} with 0 < mmf <= imf <= 1e6 and mmf above the
    ///      penalty. Appends an active market with no price, group 0 and no liquidation cap.
    function _listMarket(Witness.Proof memory w, bytes calldata body, uint256 target) internal view returns (bool) {
        uint256 n = w.getU64(S.MARKETS_LENGTH);
        if (target != n || target >= L.MAX_MARKETS) return false; // market id must be the next one
        uint256 tick = _value(body, 0, 8);
        uint256 lot = _value(body, 8, 8);
        if (!_tickLotValid(tick, lot)) return false;
        uint256 imf = _value(body, 16, 4);
        uint256 mmf = _value(body, 20, 4);
        // checkTiers of {tier 0, three unused}: tier 0 used, 0 < mmf <= imf <= 1e6.
        if (imf == 0 || mmf == 0 || mmf > imf || imf > PPM) return false;
        if (mmf <= w.getU64(S.PARAMS_LIQUIDATION_PENALTY)) return false; // maintenance above the penalty
        // Beyond the list's length its tree holds zero chunks: the new record is hashed whole.
        w.set(S.marketRoot(target), _newMarketRoot(tick, lot, imf, mmf));
        w.setU64(S.MARKETS_LENGTH, uint64(n + 1));
        return true;
    }

    /// @dev `hash_tree_root(Market)` of state.ts `newMarket(tick, lot, tiers)`: status active,
    ///      tier 0 = {0, imf, mmf}, liquidationCap 2^64 - 1, every other field zero.
    function _newMarketRoot(uint256 tick, uint256 lot, uint256 imf, uint256 mmf) internal view returns (bytes32) {
        bytes32[] memory tier0 = new bytes32[](4);
        tier0[S.TIER_IMF] = StateProofs.chunk(uint64(imf));
        tier0[S.TIER_MMF] = StateProofs.chunk(uint64(mmf));
        bytes32 unusedTier = Witness.zeroHash(2);
        bytes32[] memory tiers = new bytes32[](S.MARGIN_TIERS);
        tiers[0] = StateProofs.merkleize(tier0, 2);
        (tiers[1], tiers[2], tiers[3]) = (unusedTier, unusedTier, unusedTier);
        bytes32[] memory f = new bytes32[](1 << S.MARKET_DEPTH);
        f[S.MARKET_STATUS] = StateProofs.chunk(uint64(MARKET_ACTIVE));
        f[S.MARKET_TICK_SIZE] = StateProofs.chunk(uint64(tick));
        f[S.MARKET_LOT_SIZE] = StateProofs.chunk(uint64(lot));
        f[S.MARKET_TIERS] = StateProofs.merkleize(tiers, 2);
        f[S.MARKET_LIQUIDATION_CAP] = StateProofs.chunk(uint64(UINT64_MAX));
        return StateProofs.merkleize(f, S.MARKET_DEPTH);
    }

    // ================================================================ collateral assets

    /// @dev Key 21: `target` is the next asset id (< 4); decimals u8 at 0 <= 36; weight u32 at 8
    ///      <= 1e6. Appends {decimals, weight, no price}.
    function _listAsset(Witness.Proof memory w, bytes calldata body, uint256 target) internal view returns (bool) {
        uint256 n = w.getU64(S.ASSETS_LENGTH);
        if (target != n || target >= L.MAX_ASSETS) return false; // asset id must be the next one
        uint256 decimals = _value(body, 0, 1);
        if (decimals > 36) return false;
        uint256 weight = _value(body, 8, 4);
        if (weight > PPM) return false;
        w.set(S.assetRoot(target), StateProofs.hashAsset(StateProofs.Asset(uint8(decimals), uint32(weight), 0, 0)));
        w.setU64(S.ASSETS_LENGTH, uint64(n + 1));
        return true;
    }
}
