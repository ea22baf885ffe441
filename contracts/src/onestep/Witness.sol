// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LibBit} from "solady/utils/LibBit.sol";
import {SSZ} from "../lib/SSZ.sol";

/// @title Witness
/// @notice The one-step witness (docs/fault-proofs.md §Witness): an SSZ multiproof of the
///         pre-state, i.e. nodes of the state tree by generalized index, strictly descending,
///         such that hashing siblings pairwise from the deepest level up consumes every node
///         and ends at the root. The one-step STF reads and writes those nodes in memory and
///         hashes the same set again for the post-root, so one proof serves both roots.
/// @dev Deeper nodes have larger gindices (a node at depth d has 2^d <= g < 2^(d+1)), so in
///      descending order the node in hand is always the deepest unprocessed one: its sibling
///      must come next, and the parents computed form a second descending sequence. Merging the
///      two needs no map and hashes each inner node once.
library Witness {
    /// @notice The nodes of a multiproof (`gindices` strictly descending, one node each).
    struct Proof {
        uint256[] gindices;
        bytes32[] nodes;
    }

    /// @notice The witness is not a multiproof: lengths differ, gindices not strictly
    ///         descending, a node without its sibling, a node also computable from its children,
    ///         or nodes left over after the root.
    /// @param gindex The generalized index where the structure broke (0 when not one node's fault).
    error WitnessMalformed(uint256 gindex);

    /// @notice The witness hashes to another root than the agreed pre-state root.
    error WitnessRootMismatch(bytes32 computed, bytes32 preRoot);

    /// @notice The operation needs a node the witness does not hold.
    /// @param gindex The generalized index of the node.
    error WitnessNodeMissing(uint256 gindex);

    /// @notice A node holds a value the state layout rules out (e.g. an empty order slot whose
    ///         root is not the empty record's root).
    error WitnessNodeInvalid(uint256 gindex);

    /// @notice Decodes `abi.encode(uint256[] gindices, bytes32[] nodes)` and checks its order.
    function decode(bytes calldata witness) internal pure returns (Proof memory p) {
        (p.gindices, p.nodes) = abi.decode(witness, (uint256[], bytes32[]));
        uint256 n = p.gindices.length;
        if (n == 0 || n != p.nodes.length) revert WitnessMalformed(0);
        if (p.gindices[n - 1] == 0) revert WitnessMalformed(0);
        for (uint256 i = 1; i < n; ++i) {
            if (p.gindices[i] >= p.gindices[i - 1]) revert WitnessMalformed(p.gindices[i]);
        }
    }

    /// @notice Decodes the witness and reverts unless it hashes to `preRoot`.
    function verified(bytes calldata witness, bytes32 preRoot) internal view returns (Proof memory p) {
        p = decode(witness);
        bytes32 computed = root(p);
        if (computed != preRoot) revert WitnessRootMismatch(computed, preRoot);
    }

    struct Cursor {
        uint256 input;
        uint256 head;
        uint256 tail;
    }

    /// @notice The root the nodes hash to (their current values: after writes, the post-root).
    function root(Proof memory p) internal view returns (bytes32) {
        uint256 n = p.gindices.length;
        // A multiproof of n nodes has exactly n - 1 inner nodes to compute.
        uint256[] memory qg = new uint256[](n);
        bytes32[] memory qv = new bytes32[](n);
        Cursor memory c;
        while (true) {
            (uint256 k, bytes32 v) = _next(p, qg, qv, c);
            if (k == 1) {
                if (c.input < n || c.head < c.tail) revert WitnessMalformed(1);
                return v;
            }
            // The larger of two siblings is the right child: it comes first.
            if (k & 1 == 0) revert WitnessMalformed(k);
            (uint256 k2, bytes32 v2) = _next(p, qg, qv, c);
            if (k2 != k - 1) revert WitnessMalformed(k);
            qg[c.tail] = k >> 1;
            qv[c.tail] = SSZ.hashPair(v2, v);
            ++c.tail;
        }
        return bytes32(0); // unreachable
    }

    function _next(Proof memory p, uint256[] memory qg, bytes32[] memory qv, Cursor memory c)
        private
        pure
        returns (uint256 k, bytes32 v)
    {
        bool fromInput = c.input < p.gindices.length;
        if (c.head < c.tail) {
            if (fromInput) {
                uint256 a = p.gindices[c.input];
                // INVARIANT: a node given and also computed from its children is malformed.
                if (a == qg[c.head]) revert WitnessMalformed(a);
                fromInput = a > qg[c.head];
            }
        } else if (!fromInput) {
            revert WitnessMalformed(0);
        }
        if (fromInput) {
            (k, v) = (p.gindices[c.input], p.nodes[c.input]);
            ++c.input;
        } else {
            (k, v) = (qg[c.head], qv[c.head]);
            ++c.head;
        }
    }

    // ================================================================ node access

    /// @notice Position of `gindex` in the proof, and whether it is there (binary search).
    function find(Proof memory p, uint256 gindex) internal pure returns (bool found, uint256 at) {
        uint256[] memory g = p.gindices;
        /// @solidity memory-safe-assembly
        assembly {
            // PERF: every state read is a lookup; bounds are the array's own, so no checks.
            let base := add(g, 0x20)
            let lo := 0
            let hi := mload(g)
            for {} lt(lo, hi) {} {
                let mid := shr(1, add(lo, hi))
                let x := mload(add(base, shl(5, mid)))
                if eq(x, gindex) {
                    found := 1
                    at := mid
                    break
                }
                switch gt(x, gindex)
                case 1 { lo := add(mid, 1) }
                default { hi := mid }
            }
        }
    }

    function has(Proof memory p, uint256 gindex) internal pure returns (bool found) {
        (found,) = find(p, gindex);
    }

    /// @notice The node at `gindex`; reverts `WitnessNodeMissing` when the witness lacks it.
    function get(Proof memory p, uint256 gindex) internal pure returns (bytes32) {
        (bool found, uint256 at) = find(p, gindex);
        if (!found) revert WitnessNodeMissing(gindex);
        return p.nodes[at];
    }

    /// @notice Overwrites the node at `gindex` (it must be in the witness).
    function set(Proof memory p, uint256 gindex, bytes32 value) internal pure {
        (bool found, uint256 at) = find(p, gindex);
        if (!found) revert WitnessNodeMissing(gindex);
        p.nodes[at] = value;
    }

    // ================================================================ typed chunks

    function getU64(Proof memory p, uint256 gindex) internal pure returns (uint64) {
        return SSZ.fromLittleEndian64(get(p, gindex));
    }

    function setU64(Proof memory p, uint256 gindex, uint64 value) internal pure {
        set(p, gindex, SSZ.toLittleEndian64(value));
    }

    function getAddress(Proof memory p, uint256 gindex) internal pure returns (address) {
        return address(bytes20(get(p, gindex)));
    }

    /// @notice Value `slot` of a chunk of packed `bits`-wide integers (64 or 128).
    function packedAt(bytes32 chunk, uint256 slot, uint256 bits) internal pure returns (uint256) {
        return (LibBit.reverseBytes(uint256(chunk)) >> (slot * bits)) & ((1 << bits) - 1);
    }

    /// @notice `chunk` with value `slot` of its packed `bits`-wide integers replaced.
    function withPacked(bytes32 chunk, uint256 slot, uint256 bits, uint256 value) internal pure returns (bytes32) {
        uint256 mask = ((1 << bits) - 1) << (slot * bits);
        uint256 le = LibBit.reverseBytes(uint256(chunk));
        le = (le & ~mask) | ((value << (slot * bits)) & mask);
        return bytes32(LibBit.reverseBytes(le));
    }

    /// @notice The root of an all-zero subtree of `height` levels (`zero_hashes[height]`).
    function zeroHash(uint256 height) internal view returns (bytes32 h) {
        for (uint256 i; i < height; ++i) {
            h = SSZ.hashPair(h, h);
        }
    }
}
