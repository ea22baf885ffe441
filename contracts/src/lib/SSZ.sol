// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LibBit} from "solady/utils/LibBit.sol";

/// @title SSZ
/// @notice Merkle helpers for SSZ `hash_tree_root` commitments (sha256), as the Ethereum
///         consensus specs define them: branch verification by generalized index, length
///         mix-in for lists, and the little-endian chunk layout of SSZ unsigned integers.
/// @dev The rollup's state root is the SSZ `hashTreeRoot` computed by `@chainsafe/ssz`, so L1
///      checks one leaf at a time with a branch of sibling hashes.
///
///      Generalized index (gindex): the root is 1 and the children of node `g` are `2g` (left)
///      and `2g + 1` (right). A node at depth `d` has `2^d <= g < 2^(d+1)`; bit `i` of `g`
///      (counting from the least significant bit, below the top 1 bit) is 1 when the node at
///      height `i` on the path is a right child. A branch lists the siblings from the leaf up,
///      so `branch[i]` is the sibling at height `i` and `branch.length` equals the depth.
///
///      Hashing uses the sha256 precompile (address 0x02) on scratch memory, so these functions
///      are `view` and allocate nothing.
library SSZ {
    // ================================================================ errors

    /// @notice The branch's length is not the depth of `gindex` (or `gindex` is 0).
    /// @param gindex The generalized index given.
    /// @param branchLength The number of sibling hashes given.
    error BranchLengthMismatch(uint256 gindex, uint256 branchLength);

    /// @notice A generalized index was 0, which names no node.
    error InvalidGindex();

    /// @notice The sha256 precompile call failed (it fails only when it runs out of gas).
    error Sha256Failed();

    /// @notice A packed-chunk slot index is not below the number of values per chunk.
    /// @param slot The slot asked for.
    /// @param slotsPerChunk How many values of that size one 32-byte chunk holds.
    error SlotOutOfRange(uint256 slot, uint256 slotsPerChunk);

    // ================================================================ hashing

    /// @notice The SSZ parent node of two children: `sha256(left ++ right)`.
    /// @param left The left child.
    /// @param right The right child.
    /// @return parent The parent node.
    function hashPair(bytes32 left, bytes32 right) internal view returns (bytes32 parent) {
        bytes4 failed = Sha256Failed.selector;
        /// @solidity memory-safe-assembly
        assembly {
            // PERF: the 64-byte input fits in the scratch space (0x00-0x3f): no allocation.
            mstore(0x00, left)
            mstore(0x20, right)
            // INVARIANT: the precompile fails only by running out of gas; never hash on failure.
            if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) {
                mstore(0x00, failed) // a bytes4 is left-aligned in its word
                revert(0x00, 0x04)
            }
            parent := mload(0x00)
        }
    }

    /// @notice `mix_in_length`: the root of an SSZ list (or bitlist) from the root of its
    ///         data tree and its length, `sha256(root ++ uint256_le(length))`.
    /// @param root The root of the list's data tree (padded to its limit).
    /// @param length The number of elements in the list.
    /// @return The list's `hash_tree_root`.
    function mixInLength(bytes32 root, uint256 length) internal view returns (bytes32) {
        return hashPair(root, toLittleEndian256(length));
    }

    // ================================================================ branches

    /// @notice The root implied by `leaf` at `gindex` with the siblings `branch` (memory).
    /// @dev Reverts with `BranchLengthMismatch` unless `branch.length` is the depth of `gindex`.
    /// @param leaf The 32-byte node being proven.
    /// @param branch The sibling hashes from the leaf's level up to just below the root.
    /// @param gindex The generalized index of `leaf`.
    /// @return node The computed root.
    function rootFromBranch(bytes32 leaf, bytes32[] memory branch, uint256 gindex)
        internal
        view
        returns (bytes32 node)
    {
        uint256 depth = branch.length;
        // INVARIANT: gindex has exactly `depth` bits below its top bit; this also rejects
        // gindex 0 and branches of 256 or more siblings (the shift then yields 0).
        if (gindex >> depth != 1) revert BranchLengthMismatch(gindex, depth);
        node = leaf;
        for (uint256 i; i < depth; ++i) {
            node = (gindex >> i) & 1 == 0 ? hashPair(node, branch[i]) : hashPair(branch[i], node);
        }
    }

    /// @notice As `rootFromBranch`, with the branch in calldata (no copy).
    /// @param leaf The 32-byte node being proven.
    /// @param branch The sibling hashes from the leaf's level up to just below the root.
    /// @param gindex The generalized index of `leaf`.
    /// @return node The computed root.
    function rootFromBranchCalldata(bytes32 leaf, bytes32[] calldata branch, uint256 gindex)
        internal
        view
        returns (bytes32 node)
    {
        uint256 depth = branch.length;
        // INVARIANT: as in `rootFromBranch`.
        if (gindex >> depth != 1) revert BranchLengthMismatch(gindex, depth);
        node = leaf;
        for (uint256 i; i < depth; ++i) {
            node = (gindex >> i) & 1 == 0 ? hashPair(node, branch[i]) : hashPair(branch[i], node);
        }
    }

    /// @notice Whether `leaf` sits at `gindex` in the tree with root `root` (branch in memory).
    /// @dev Returns false for a wrong leaf, sibling or root; reverts with `BranchLengthMismatch`
    ///      for a malformed proof (branch length not the depth of `gindex`), since that is a
    ///      caller's error rather than a false claim.
    /// @param leaf The 32-byte node being proven.
    /// @param branch The sibling hashes from the leaf's level up to just below the root.
    /// @param gindex The generalized index of `leaf`.
    /// @param root The expected root.
    /// @return True when the branch proves `leaf` at `gindex` under `root`.
    function verifyBranch(bytes32 leaf, bytes32[] memory branch, uint256 gindex, bytes32 root)
        internal
        view
        returns (bool)
    {
        return rootFromBranch(leaf, branch, gindex) == root;
    }

    /// @notice As `verifyBranch`, with the branch in calldata (no copy).
    /// @param leaf The 32-byte node being proven.
    /// @param branch The sibling hashes from the leaf's level up to just below the root.
    /// @param gindex The generalized index of `leaf`.
    /// @param root The expected root.
    /// @return True when the branch proves `leaf` at `gindex` under `root`.
    function verifyBranchCalldata(bytes32 leaf, bytes32[] calldata branch, uint256 gindex, bytes32 root)
        internal
        view
        returns (bool)
    {
        return rootFromBranchCalldata(leaf, branch, gindex) == root;
    }

    // ================================================================ generalized indices

    /// @notice The depth of the node at `gindex` (the root has depth 0).
    /// @param gindex A generalized index, at least 1.
    /// @return The number of levels between the node and the root.
    function gindexDepth(uint256 gindex) internal pure returns (uint256) {
        if (gindex == 0) revert InvalidGindex();
        return LibBit.fls(gindex);
    }

    /// @notice `concat_generalized_indices(outer, inner)`: the gindex of node `inner` of the
    ///         subtree rooted at node `outer` (e.g. element `i` of a list field of a container).
    /// @dev Overflow past 2^256 is the caller's to avoid; trees here are far shallower.
    /// @param outer The gindex of the subtree's root in the outer tree.
    /// @param inner The gindex of the node within the subtree.
    /// @return The gindex of the node in the outer tree.
    function concatGindex(uint256 outer, uint256 inner) internal pure returns (uint256) {
        uint256 innerDepth = gindexDepth(inner);
        if (outer == 0) revert InvalidGindex();
        return (outer << innerDepth) | (inner ^ (1 << innerDepth));
    }

    // ================================================================ little-endian chunks
    // SSZ serializes uintN little-endian, and a basic value's chunk is its serialization padded
    // with zero bytes on the right. So uint64 value v is the chunk whose bytes 0..7 are v's
    // bytes, least significant first. Basic lists and vectors pack 32 / size values per chunk,
    // value k of a chunk occupying bytes [k * size, (k + 1) * size).

    /// @notice The SSZ chunk of a uint64: its 8 little-endian bytes, then 24 zero bytes.
    /// @param value The value.
    /// @return The chunk.
    function toLittleEndian64(uint64 value) internal pure returns (bytes32) {
        return bytes32(LibBit.reverseBytes(uint256(value)));
    }

    /// @notice The uint64 in the first 8 bytes of an SSZ chunk (slot 0); the other bytes are ignored.
    /// @param chunk The chunk.
    /// @return The value.
    function fromLittleEndian64(bytes32 chunk) internal pure returns (uint64) {
        return uint64(LibBit.reverseBytes(uint256(chunk)));
    }

    /// @notice The SSZ chunk of a uint128: its 16 little-endian bytes, then 16 zero bytes.
    /// @param value The value.
    /// @return The chunk.
    function toLittleEndian128(uint128 value) internal pure returns (bytes32) {
        return bytes32(LibBit.reverseBytes(uint256(value)));
    }

    /// @notice The uint128 in the first 16 bytes of an SSZ chunk; the other bytes are ignored.
    /// @param chunk The chunk.
    /// @return The value.
    function fromLittleEndian128(bytes32 chunk) internal pure returns (uint128) {
        return uint128(LibBit.reverseBytes(uint256(chunk)));
    }

    /// @notice The SSZ chunk of a uint256: its 32 little-endian bytes.
    /// @param value The value.
    /// @return The chunk.
    function toLittleEndian256(uint256 value) internal pure returns (bytes32) {
        return bytes32(LibBit.reverseBytes(value));
    }

    /// @notice The uint256 whose little-endian bytes are `chunk`.
    /// @param chunk The chunk.
    /// @return The value.
    function fromLittleEndian256(bytes32 chunk) internal pure returns (uint256) {
        return LibBit.reverseBytes(uint256(chunk));
    }

    /// @notice Value `slot` (0..3) of a chunk of packed uint64s (a basic list or vector of uint64).
    /// @param chunk The chunk.
    /// @param slot Which of the four values, from the chunk's first byte.
    /// @return The value.
    function uint64At(bytes32 chunk, uint256 slot) internal pure returns (uint64) {
        if (slot >= 4) revert SlotOutOfRange(slot, 4);
        return uint64(LibBit.reverseBytes(uint256(chunk)) >> (slot * 64));
    }

    /// @notice Value `slot` (0..1) of a chunk of packed uint128s.
    /// @param chunk The chunk.
    /// @param slot Which of the two values, from the chunk's first byte.
    /// @return The value.
    function uint128At(bytes32 chunk, uint256 slot) internal pure returns (uint128) {
        if (slot >= 2) revert SlotOutOfRange(slot, 2);
        return uint128(LibBit.reverseBytes(uint256(chunk)) >> (slot * 128));
    }
}
