// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StateLayout as L} from "../lib/StateLayout.sol";

/// @title OneStepLayout
/// @notice Generalized indices of the state chunks the one-step STF reads and writes, derived
///         from the generated `StateLayout` and the SSZ shapes of `sequencer/state/types.ts`.
///         contracts/test/ts/onestep-layout.test.ts checks every function here against
///         `State.getPathInfo` of ChainSafe SSZ.
library OneStepLayout {
    /// @dev `state.clock`: field 2 of the 16-leaf `State` tree.
    uint256 internal constant CLOCK = 18;
    /// @dev `state.params.nonceWindowMs`: field 2 of `Params` (16-leaf tree under gindex 16).
    uint256 internal constant PARAMS_NONCE_WINDOW = 258;
    /// @dev `Params` fields (16-leaf tree under gindex 16): maxOracleAgeMs (0),
    ///      portfolioFloorPpm (12), portfolioMaintenancePpm (13), groupShocksPpm (14: eight
    ///      uint32 packed in one chunk, which is the vector's root).
    uint256 internal constant PARAMS_MAX_ORACLE_AGE = 256;
    uint256 internal constant PARAMS_ORACLE_BAND = 257;
    uint256 internal constant PARAMS_ORACLE_THRESHOLD = 259;
    /// @dev `params.oracleSigners` (field 4): a vector of 8 addresses, one chunk each (depth 3).
    uint256 internal constant PARAMS_ORACLE_SIGNERS = 260;
    uint256 internal constant MAX_ORACLE_SIGNERS = 8;
    /// @dev `Params` fields 5 … 9: liquidationPenaltyPpm, liquidationBufferPpm (uint32),
    ///      pacingWindowMs, accountLiquidationCap, insuranceLossCap (uint64).
    uint256 internal constant PARAMS_LIQUIDATION_PENALTY = 261;
    uint256 internal constant PARAMS_LIQUIDATION_BUFFER = 262;
    uint256 internal constant PARAMS_PACING_WINDOW = 263;
    uint256 internal constant PARAMS_ACCOUNT_LIQUIDATION_CAP = 264;
    uint256 internal constant PARAMS_INSURANCE_LOSS_CAP = 265;
    uint256 internal constant PARAMS_FUNDING_INTERVAL = 266;
    uint256 internal constant PARAMS_MAX_FUNDING_RATE = 267;
    /// @dev `params.backstopAccount` (field 15, uint32).
    uint256 internal constant PARAMS_BACKSTOP_ACCOUNT = 271;
    uint256 internal constant PARAMS_PORTFOLIO_FLOOR = 268;
    uint256 internal constant PARAMS_PORTFOLIO_MAINTENANCE = 269;
    uint256 internal constant PARAMS_GROUP_SHOCKS = 270;
    /// @dev `state.insuranceFund` (field 7, gindex 23): four int128 packed two per chunk, so
    ///      chunk `asset >> 1` is at 46 or 47.
    uint256 internal constant INSURANCE_FUND_FIRST = 46;
    /// @dev `state.insuranceWindow` (field 8, a two-field container at gindex 24):
    ///      windowStart (uint64) and paidInWindow (uint128).
    uint256 internal constant INSURANCE_WINDOW_START = 48;
    uint256 internal constant INSURANCE_WINDOW_PAID = 49;
    /// @dev `state.socializedLoss` (field 9, uint128).
    uint256 internal constant SOCIALIZED_LOSS = 25;
    uint256 internal constant L1_NEXT_INDEX = L.L1_NEXT_INDEX_GINDEX;
    uint256 internal constant L1_CHAIN_HASH = L.L1_CHAIN_HASH_GINDEX;
    uint256 internal constant ASSETS_LENGTH = L.ASSETS_LENGTH_GINDEX;
    uint256 internal constant MARKETS_LENGTH = L.MARKETS_LENGTH_GINDEX;
    uint256 internal constant ACCOUNTS_LENGTH = L.ACCOUNTS_LENGTH_GINDEX;
    uint256 internal constant WITHDRAWALS_LENGTH = L.WITHDRAWALS_LENGTH_GINDEX;

    /// @dev `Account` fields (8-leaf tree).
    uint256 internal constant ACCOUNT_FLAGS = 1;
    uint256 internal constant ACCOUNT_NONCES = 3;
    uint256 internal constant ACCOUNT_SESSION_KEYS = 4;
    uint256 internal constant ACCOUNT_ORDERS = 6;
    /// @dev `Account.pacing` (field 7): a two-field container, windowStart (0) and liquidatedInWindow (1).
    uint256 internal constant ACCOUNT_PACING = 7;

    /// @dev `Order` fields (8-leaf tree).
    uint256 internal constant ORDER_MARKET = 0;
    uint256 internal constant ORDER_FLAGS = 1;
    uint256 internal constant ORDER_PRICE = 2;
    uint256 internal constant ORDER_SIZE = 3;
    uint256 internal constant ORDER_REMAINING = 4;
    uint256 internal constant ORDER_EXPIRY = 5;
    uint256 internal constant ORDER_CLIENT_ORDER_ID = 6;
    uint256 internal constant ORDER_NONCE = 7;
    uint256 internal constant ORDER_DEPTH = 3;
    uint256 internal constant ORDER_SLOTS = 64;
    uint256 internal constant ORDER_SLOTS_DEPTH = 6;

    /// @dev `Market` fields (16-leaf tree); `MarginTier` fields (4-leaf tree).
    uint256 internal constant MARKET_DEPTH = 4;
    uint256 internal constant MARKET_TIERS = 3;
    uint256 internal constant MARKET_ORACLE_PRICE = 4;
    uint256 internal constant MARKET_ORACLE_TIMESTAMP = 5;
    uint256 internal constant MARKET_FUNDING_INDEX = 6;
    uint256 internal constant MARKET_GROUP = 8;
    uint256 internal constant MARKET_LIQUIDATION_CAP = 9;
    uint256 internal constant MARKET_STATUS = 0;
    uint256 internal constant MARKET_TICK_SIZE = 1;
    uint256 internal constant MARKET_LOT_SIZE = 2;
    uint256 internal constant MARKET_OPEN_INTEREST = 7;
    uint256 internal constant MARKET_LAST_FUNDING_TIME = 10;
    uint256 internal constant MARKET_FUNDING_POOL = 11;
    /// @dev `Market` pacing fields: pacingWindowStart (12), liquidatedInWindow (13).
    uint256 internal constant MARKET_PACING_WINDOW_START = 12;
    uint256 internal constant MARKET_LIQUIDATED_IN_WINDOW = 13;
    uint256 internal constant MARGIN_TIERS = 4;
    uint256 internal constant TIER_NOTIONAL_CAP = 0;
    uint256 internal constant TIER_IMF = 1;
    uint256 internal constant TIER_MMF = 2;

    /// @dev `Position` fields (8-leaf tree).
    uint256 internal constant POSITION_DEPTH = 3;
    uint256 internal constant POSITIONS_DEPTH = 6;
    uint256 internal constant ACCOUNT_POSITIONS = 5;

    uint256 internal constant SESSION_KEYS = 4;
    uint256 internal constant NONCE_WINDOW = 16;

    function account(uint256 a) internal pure returns (uint256) {
        return L.ACCOUNTS_FIRST_GINDEX + a;
    }

    function accountField(uint256 a, uint256 field) internal pure returns (uint256) {
        return (account(a) << L.ACCOUNT_DEPTH) | field;
    }

    function owner(uint256 a) internal pure returns (uint256) {
        return accountField(a, L.ACCOUNT_OWNER);
    }

    /// @dev The chunk holding `balances[asset]` (two int128 per chunk, slot `asset % 2`).
    function balanceChunk(uint256 a, uint256 asset) internal pure returns (uint256) {
        return (accountField(a, L.ACCOUNT_BALANCES) << L.BALANCES_DEPTH) | (asset >> 1);
    }

    /// @dev The chunk holding `nonces[k]` (four uint64 per chunk, slot `k % 4`).
    function nonceChunk(uint256 a, uint256 k) internal pure returns (uint256) {
        return (accountField(a, ACCOUNT_NONCES) << 2) | (k >> 2);
    }

    /// @dev `sessionKeys[k].key` (field 0) or `.expiry` (field 1).
    function sessionKeyField(uint256 a, uint256 k, uint256 field) internal pure returns (uint256) {
        return (((accountField(a, ACCOUNT_SESSION_KEYS) << 2) | k) << 1) | field;
    }

    function orderSlot(uint256 a, uint256 slot) internal pure returns (uint256) {
        return (accountField(a, ACCOUNT_ORDERS) << ORDER_SLOTS_DEPTH) | slot;
    }

    function orderField(uint256 a, uint256 slot, uint256 field) internal pure returns (uint256) {
        return (orderSlot(a, slot) << ORDER_DEPTH) | field;
    }

    function assetField(uint256 asset, uint256 field) internal pure returns (uint256) {
        return ((L.ASSETS_FIRST_GINDEX + asset) << L.ASSET_DEPTH) | field;
    }

    /// @dev The root of `state.markets[m]` (a zero chunk beyond the list's length).
    function marketRoot(uint256 m) internal pure returns (uint256) {
        return L.MARKETS_FIRST_GINDEX + m;
    }

    /// @dev The root of `state.assets[i]` (a zero chunk beyond the list's length).
    function assetRoot(uint256 i) internal pure returns (uint256) {
        return L.ASSETS_FIRST_GINDEX + i;
    }

    function marketField(uint256 market, uint256 field) internal pure returns (uint256) {
        return ((L.MARKETS_FIRST_GINDEX + market) << MARKET_DEPTH) | field;
    }

    function tierField(uint256 market, uint256 tier, uint256 field) internal pure returns (uint256) {
        return (((marketField(market, MARKET_TIERS) << 2) | tier) << 2) | field;
    }

    function positionSlot(uint256 a, uint256 market) internal pure returns (uint256) {
        return (accountField(a, ACCOUNT_POSITIONS) << POSITIONS_DEPTH) | market;
    }

    function positionField(uint256 a, uint256 market, uint256 field) internal pure returns (uint256) {
        return (positionSlot(a, market) << POSITION_DEPTH) | field;
    }

    function insuranceFundChunk(uint256 asset) internal pure returns (uint256) {
        return INSURANCE_FUND_FIRST + (asset >> 1);
    }

    function pacingField(uint256 a, uint256 field) internal pure returns (uint256) {
        return (accountField(a, ACCOUNT_PACING) << 1) | field;
    }

    function oracleSigner(uint256 k) internal pure returns (uint256) {
        return (PARAMS_ORACLE_SIGNERS << 3) | k;
    }

    function withdrawal(uint256 i) internal pure returns (uint256) {
        return L.WITHDRAWALS_FIRST_GINDEX + i;
    }
}
