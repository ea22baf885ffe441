// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SSZ} from "./SSZ.sol";
import {StateLayout as L} from "./StateLayout.sol";

/// @title StateProofs
/// @notice `hash_tree_root` of the state records L1 reads (Withdrawal, Position,
///         CollateralAsset, Account) and the generalized indices of list elements, following
///         `sequencer/state/types.ts` exactly. Every layout number comes from the generated
///         `StateLayout`; `contracts/test/ProofFixture.t.sol` checks these roots against
///         proofs built by ChainSafe's SSZ library from a state produced by the TypeScript STF.
/// @dev Signed state fields (int64 sizes, int128 balances) are two's complement in unsigned
///      SSZ fields of the same width, so they are hashed as `uint64(int64)` / `uint128(int128)`.
library StateProofs {
    /// @notice A pending withdrawal record, `state.withdrawals[i]`.
    struct Withdrawal {
        uint32 account;
        address owner;
        uint8 asset;
        uint128 amount;
    }

    /// @notice One position slot, `state.accounts[a].positions[m]`.
    struct Position {
        int64 size;
        int64 entryNotional;
        int64 lastFundingIndex;
        uint64 isolatedMargin;
        uint8 marginMode;
    }

    /// @notice A collateral asset record, `state.assets[i]`.
    struct Asset {
        uint8 decimals;
        uint32 weightPpm;
        uint64 oraclePrice;
        uint64 oracleTimestamp;
    }

    /// @notice The state root failed to verify.
    error InvalidProof();

    /// @notice An array argument had the wrong length.
    /// @param expected The length the layout requires.
    /// @param actual The length given.
    error BadLength(uint256 expected, uint256 actual);

    // ================================================================ chunks

    /// @notice The SSZ chunk of a uint8/16/32/64 value (little-endian, right-padded).
    function chunk(uint64 value) internal pure returns (bytes32) {
        return SSZ.toLittleEndian64(value);
    }

    /// @notice The SSZ chunk of a 20-byte address: its bytes, then 12 zero bytes.
    function chunk(address value) internal pure returns (bytes32) {
        return bytes32(bytes20(value));
    }

    // ================================================================ merkleization

    /// @notice The root of `leaves` (length `2^depth`), hashed in place (the array is overwritten).
    function merkleize(bytes32[] memory leaves, uint256 depth) internal view returns (bytes32) {
        if (leaves.length != 1 << depth) revert BadLength(1 << depth, leaves.length);
        for (uint256 width = leaves.length; width > 1; width >>= 1) {
            for (uint256 i; i < width / 2; ++i) {
                leaves[i] = SSZ.hashPair(leaves[2 * i], leaves[2 * i + 1]);
            }
        }
        return leaves[0];
    }

    // ================================================================ records

    /// @notice `hash_tree_root(Withdrawal)`.
    function hashWithdrawal(Withdrawal memory w) internal view returns (bytes32) {
        bytes32[] memory f = new bytes32[](1 << L.WITHDRAWAL_DEPTH);
        f[L.WITHDRAWAL_ACCOUNT] = chunk(w.account);
        f[L.WITHDRAWAL_OWNER] = chunk(w.owner);
        f[L.WITHDRAWAL_ASSET] = chunk(w.asset);
        f[L.WITHDRAWAL_AMOUNT] = SSZ.toLittleEndian128(w.amount);
        return merkleize(f, L.WITHDRAWAL_DEPTH);
    }

    /// @notice `hash_tree_root(Position)`.
    function hashPosition(Position memory p) internal view returns (bytes32) {
        bytes32[] memory f = new bytes32[](1 << L.POSITION_DEPTH);
        f[L.POSITION_SIZE] = chunk(uint64(p.size));
        f[L.POSITION_ENTRY_NOTIONAL] = chunk(uint64(p.entryNotional));
        f[L.POSITION_LAST_FUNDING_INDEX] = chunk(uint64(p.lastFundingIndex));
        f[L.POSITION_ISOLATED_MARGIN] = chunk(p.isolatedMargin);
        f[L.POSITION_MARGIN_MODE] = chunk(p.marginMode);
        return merkleize(f, L.POSITION_DEPTH);
    }

    /// @notice `hash_tree_root(CollateralAsset)`.
    function hashAsset(Asset memory a) internal view returns (bytes32) {
        bytes32[] memory f = new bytes32[](1 << L.ASSET_DEPTH);
        f[L.ASSET_DECIMALS] = chunk(a.decimals);
        f[L.ASSET_WEIGHT_PPM] = chunk(a.weightPpm);
        f[L.ASSET_ORACLE_PRICE] = chunk(a.oraclePrice);
        f[L.ASSET_ORACLE_TIMESTAMP] = chunk(a.oracleTimestamp);
        return merkleize(f, L.ASSET_DEPTH);
    }

    /// @notice `hash_tree_root(Vector[int128, MAX_ASSETS])`: two int128 per chunk.
    function hashBalances(int128[] memory balances) internal view returns (bytes32) {
        if (balances.length != L.MAX_ASSETS) revert BadLength(L.MAX_ASSETS, balances.length);
        bytes32[] memory chunks = new bytes32[](1 << L.BALANCES_DEPTH);
        for (uint256 i; i < balances.length; ++i) {
            // Value k of a chunk occupies bytes [16k, 16k + 16), little-endian.
            uint256 le = uint256(SSZ.toLittleEndian128(uint128(balances[i])));
            chunks[i / 2] |= bytes32(le >> (128 * (i % 2)));
        }
        return merkleize(chunks, L.BALANCES_DEPTH);
    }

    /// @notice `hash_tree_root(Account)` from its owner, balances and position slot roots,
    ///         and the roots of its other fields as given.
    /// @param fieldRoots The roots of every `Account` field, in order; the entries for owner,
    ///        balances and positions are ignored and recomputed from the values given.
    /// @param positionRoots The root of each of the `MAX_MARKETS` position slots.
    function hashAccount(
        address owner,
        int128[] memory balances,
        bytes32[] memory positionRoots,
        bytes32[] memory fieldRoots
    ) internal view returns (bytes32) {
        if (fieldRoots.length != L.ACCOUNT_FIELDS) revert BadLength(L.ACCOUNT_FIELDS, fieldRoots.length);
        if (positionRoots.length != L.MAX_MARKETS) revert BadLength(L.MAX_MARKETS, positionRoots.length);
        bytes32[] memory f = new bytes32[](1 << L.ACCOUNT_DEPTH);
        for (uint256 i; i < fieldRoots.length; ++i) {
            f[i] = fieldRoots[i];
        }
        f[L.ACCOUNT_OWNER] = chunk(owner);
        f[L.ACCOUNT_BALANCES] = hashBalances(balances);
        bytes32[] memory slots = new bytes32[](positionRoots.length);
        for (uint256 i; i < slots.length; ++i) {
            slots[i] = positionRoots[i];
        }
        f[L.ACCOUNT_POSITIONS] = merkleize(slots, L.POSITIONS_DEPTH);
        return merkleize(f, L.ACCOUNT_DEPTH);
    }

    /// @notice The root of the all-zero `Position` (an unused slot).
    function zeroPositionRoot() internal view returns (bytes32 root) {
        for (uint256 i; i < L.POSITION_DEPTH; ++i) {
            root = SSZ.hashPair(root, root);
        }
    }

    // ================================================================ verification

    /// @notice Reverts with `InvalidProof` unless `leaf` is at `gindex` under `root`.
    /// @dev The branch length must be the gindex depth (SSZ reverts `BranchLengthMismatch`).
    function verify(bytes32 leaf, bytes32[] calldata branch, uint256 gindex, bytes32 root) internal view {
        // INVARIANT: only a leaf committed by `root` at exactly `gindex` passes.
        if (!SSZ.verifyBranchCalldata(leaf, branch, gindex, root)) revert InvalidProof();
    }
}
