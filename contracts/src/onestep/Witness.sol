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
        /// Memory of an open-addressing hash index over `gindices` (0: none, `find` searches):
        /// 2^indexBits slots of 32 bits, eight to a word, each 0 or a node's position + 1.
        uint256 index;
        uint256 indexBits;
        /// Memory of the inner nodes the first `root` computed: (gindex, node) pairs, n - 1 of
        /// them, descending (0: none yet, or stale after a later `root`).
        uint256 inner;
        /// Memory of a bitmap over `nodes`: bit i set once node i is written (`set`).
        uint256 written;
        /// How many writes (`set`) since the first `root`.
        uint256 writes;
    }

    /// @dev `root` rehashes only the written paths when writes × this < nodes: a path costs
    ///      ~0.9k gas a level (~25 levels, shared near the root) against ~0.65k a node for
    ///      hashing the whole witness again, so small witnesses are hashed whole.
    uint256 private constant REHASH_NODES_PER_WRITE = 35;

    /// @dev Multiplier of the index's hash (odd; the product's top `indexBits` bits are the slot).
    uint256 private constant INDEX_HASH = 0x9e3779b97f4a7c15f39cc0605cedc8341082276bf3a27251f86c6a11d0c18e95;

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
    /// @dev PERF: copies both arrays with `calldatacopy` (abi.decode's per-element checks cost
    ///      ~400 gas a node on large witnesses). Both arrays must lie inside `witness`, with
    ///      equal, non-zero lengths.
    function decode(bytes calldata witness) internal pure returns (Proof memory p) {
        uint256[] memory g;
        bytes32[] memory v;
        bool bad;
        /// @solidity memory-safe-assembly
        assembly {
            let len := witness.length
            bad := lt(len, 0x80)
            if iszero(bad) {
                let o1 := calldataload(witness.offset)
                let o2 := calldataload(add(witness.offset, 0x20))
                bad := or(gt(o1, sub(len, 0x20)), gt(o2, sub(len, 0x20)))
                if iszero(bad) {
                    let n := calldataload(add(witness.offset, o1))
                    bad := or(or(iszero(n), gt(n, 0xffffffff)), iszero(eq(n, calldataload(add(witness.offset, o2)))))
                    let bytesLen := shl(5, n)
                    if iszero(bad) {
                        bad := or(gt(add(add(o1, 0x20), bytesLen), len), gt(add(add(o2, 0x20), bytesLen), len))
                    }
                    if iszero(bad) {
                        g := mload(0x40)
                        mstore(g, n)
                        calldatacopy(add(g, 0x20), add(witness.offset, add(o1, 0x20)), bytesLen)
                        v := add(g, add(0x20, bytesLen))
                        mstore(v, n)
                        calldatacopy(add(v, 0x20), add(witness.offset, add(o2, 0x20)), bytesLen)
                        mstore(0x40, add(v, add(0x20, bytesLen)))
                        // Strictly descending, and no gindex 0.
                        let at := add(g, 0x20)
                        let end := add(at, bytesLen)
                        let prev := mload(at)
                        for { at := add(at, 0x20) } lt(at, end) { at := add(at, 0x20) } {
                            let x := mload(at)
                            if iszero(lt(x, prev)) {
                                bad := 1
                                break
                            }
                            prev := x
                        }
                        if iszero(prev) { bad := 1 }
                    }
                }
            }
        }
        if (bad) revert WitnessMalformed(0);
        p.gindices = g;
        p.nodes = v;
        _buildIndex(p);
    }

    /// @dev PERF: the hash index `find` uses. Every state read is a lookup, and a binary search
    ///      over a 64-market witness (~1,500 nodes) costs ~1.75k gas against ~0.44k here; building
    ///      it costs ~0.22k gas a node and 4 bytes of memory per slot, at most half of them used.
    function _buildIndex(Proof memory p) private pure {
        uint256[] memory g = p.gindices;
        uint256 n = g.length;
        uint256 bits = LibBit.fls(2 * n - 1) + 1; // 2^bits >= 2n
        uint256 index;
        /// @solidity memory-safe-assembly
        assembly {
            let words := shr(3, add(shl(bits, 1), 7))
            index := mload(0x40)
            calldatacopy(index, calldatasize(), shl(5, words)) // zeroed (calldata past its end reads 0)
            mstore(0x40, add(index, shl(5, words)))
            let mask := sub(shl(bits, 1), 1)
            let sh := sub(256, bits)
            let base := add(g, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                // Linear probing from the hashed slot to the first empty one.
                for { let h := shr(sh, mul(mload(add(base, shl(5, i))), INDEX_HASH)) } 1 { h := and(add(h, 1), mask) } {
                    let w := add(index, shl(5, shr(3, h)))
                    let at := shl(5, and(h, 7))
                    let word := mload(w)
                    if iszero(and(shr(at, word), 0xffffffff)) {
                        mstore(w, or(word, shl(at, add(i, 1))))
                        break
                    }
                }
            }
        }
        p.index = index;
        p.indexBits = bits;
    }

    /// @notice Decodes the witness and reverts unless it hashes to `preRoot`.
    function verified(bytes calldata witness, bytes32 preRoot) internal view returns (Proof memory p) {
        p = decode(witness);
        bytes32 computed = root(p);
        if (computed != preRoot) revert WitnessRootMismatch(computed, preRoot);
    }

    /// @notice The root the nodes hash to (their current values: after writes, the post-root).
    /// @dev The first call hashes every pair, checking the structure, and keeps the inner nodes
    ///      (`inner`); the next one (the post-root) hashes only the paths from the nodes written
    ///      since (`_rehash`) when that is cheaper: few writes in a large witness.
    function root(Proof memory p) internal view returns (bytes32 r) {
        if (p.inner != 0 && p.writes * REHASH_NODES_PER_WRITE < p.gindices.length) return _rehash(p);
        r = _hashAll(p);
        // Keep the pairs the pass computed (its queue, still allocated) and a zeroed bitmap of
        // written nodes after them.
        uint256 n = p.gindices.length;
        uint256 inner;
        uint256 written;
        /// @solidity memory-safe-assembly
        assembly {
            written := mload(0x40)
            inner := sub(written, shl(6, n))
            let bytesLen := shl(5, shr(8, add(n, 255)))
            calldatacopy(written, calldatasize(), bytesLen) // zeroed (calldata past its end reads 0)
            mstore(0x40, add(written, bytesLen))
        }
        p.inner = inner;
        p.written = written;
    }

    /// @dev The merge of the input (descending) with the queue of computed parents (descending
    ///      too), each node paired with its sibling: every inner node hashed once. The queue stays
    ///      allocated (n pairs) right below the free memory pointer.
    function _hashAll(Proof memory p) private view returns (bytes32 r) {
        uint256[] memory gs = p.gindices;
        bytes32[] memory vs = p.nodes;
        bytes4 malformed = WitnessMalformed.selector;
        bytes4 shaFailed = SSZ.Sha256Failed.selector;
        /// @solidity memory-safe-assembly
        assembly {
            let n := mload(gs)
            // Queue of computed parents, (gindex, node) pairs, itself descending: a multiproof
            // of n nodes has n - 1 inner nodes.
            let q := mload(0x40)
            mstore(0x40, add(q, shl(6, n)))
            let gi := add(gs, 0x20)
            let vi := add(vs, 0x20)
            let gend := add(gi, shl(5, n))
            let qh := q
            let qt := q
            let bad := 0
            // PERF: sentinels instead of bounds checks: a zero gindex (never a node's) past the
            // input's end (the word there is the node array's length, `n`: restored below) and
            // past the queue's end (rewritten after every push).
            mstore(gend, 0)
            mstore(q, 0)
            for {} 1 {} {
                // Pop the larger gindex of the input's head and the queue's head (a gindex in
                // both is malformed: given and computable).
                let k := 0
                let v := 0
                let gk := mload(gi)
                let qk := mload(qh)
                switch gt(gk, qk)
                case 1 {
                    k := gk
                    v := mload(vi)
                    gi := add(gi, 0x20)
                    vi := add(vi, 0x20)
                }
                default {
                    if or(iszero(qk), eq(gk, qk)) {
                        bad := or(gk, 1)
                        break
                    }
                    k := qk
                    v := mload(add(qh, 0x20))
                    qh := add(qh, 0x40)
                }
                if eq(k, 1) {
                    if or(lt(gi, gend), lt(qh, qt)) { bad := 1 }
                    r := v
                    break
                }
                // The larger of two siblings is the right child: it comes first; the left one next.
                if iszero(and(k, 1)) {
                    bad := k
                    break
                }
                let sib := sub(k, 1)
                let sv := 0
                switch eq(mload(gi), sib)
                case 1 {
                    if eq(mload(qh), sib) {
                        bad := k
                        break
                    }
                    sv := mload(vi)
                    gi := add(gi, 0x20)
                    vi := add(vi, 0x20)
                }
                default {
                    if iszero(eq(mload(qh), sib)) {
                        bad := k
                        break
                    }
                    sv := mload(add(qh, 0x20))
                    qh := add(qh, 0x40)
                }
                mstore(0x00, sv)
                mstore(0x20, v)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) {
                    mstore(0x00, shaFailed)
                    revert(0x00, 0x04)
                }
                mstore(qt, shr(1, k))
                mstore(add(qt, 0x20), mload(0x00))
                qt := add(qt, 0x40)
                mstore(qt, 0)
            }
            mstore(gend, n)
            if bad {
                mstore(0x00, malformed)
                mstore(0x04, bad)
                revert(0x00, 0x24)
            }
        }
    }

    /// @dev The root after writes, from the first pass's inner nodes: only the ancestors of the
    ///      written nodes are hashed again. Popping the largest gindex first (deepest first) from
    ///      the written nodes and the parents computed here, a node's sibling is either the next
    ///      one of those (written too) or unchanged since the first pass: a witness node (the hash
    ///      index) or one of its inner nodes (binary search of its pairs). The first pass's
    ///      inner nodes are stale afterwards, so a later `root` hashes everything again.
    function _rehash(Proof memory p) private view returns (bytes32 r) {
        uint256 bad;
        /// @solidity memory-safe-assembly
        assembly {
            // Context words, scratch past the free pointer (nothing is allocated meanwhile):
            // 0x00 gindices base, 0x20 nodes base, 0x40 n, 0x60 written bitmap, 0x80 index,
            // 0xa0 index bits, 0xc0 inner pairs, 0xe0 cursor: the next node index to look at.
            // The parents computed here follow from 0x100, as (gindex, node) pairs.
            let c := mload(0x40)
            mstore(c, add(mload(p), 0x20))
            mstore(add(c, 0x20), add(mload(add(p, 0x20)), 0x20))
            mstore(add(c, 0x40), mload(mload(p)))
            mstore(add(c, 0x60), mload(add(p, 0xa0)))
            mstore(add(c, 0x80), mload(add(p, 0x40)))
            mstore(add(c, 0xa0), mload(add(p, 0x60)))
            mstore(add(c, 0xc0), mload(add(p, 0x80)))
            mstore(add(c, 0xe0), 0)

            // The first written node at or after the cursor: its index and gindex (n and 0 if none).
            function nextWritten(ctx) -> i, k {
                i := mload(add(ctx, 0xe0))
                let n := mload(add(ctx, 0x40))
                let bits := mload(add(ctx, 0x60))
                for {} lt(i, n) {} {
                    let w := shr(and(i, 255), mload(add(bits, shl(5, shr(8, i)))))
                    if iszero(w) {
                        i := shl(8, add(shr(8, i), 1))
                        continue
                    }
                    for {} iszero(and(w, 0xff)) {} {
                        w := shr(8, w)
                        i := add(i, 8)
                    }
                    for {} iszero(and(w, 1)) {} {
                        w := shr(1, w)
                        i := add(i, 1)
                    }
                    break
                }
                switch lt(i, n)
                case 1 { k := mload(add(mload(ctx), shl(5, i))) }
                default { i := n }
            }
            function nodeAt(ctx, i) -> v {
                v := mload(add(mload(add(ctx, 0x20)), shl(5, i)))
            }
            // The value of `s`, unchanged since the first pass: a witness node or an inner node.
            function unchanged(ctx, s) -> v, ok {
                let index := mload(add(ctx, 0x80))
                let bits := mload(add(ctx, 0xa0))
                let base := mload(ctx)
                let mask := sub(shl(bits, 1), 1)
                for { let h := shr(sub(256, bits), mul(s, INDEX_HASH)) } 1 { h := and(add(h, 1), mask) } {
                    let e := and(shr(shl(5, and(h, 7)), mload(add(index, shl(5, shr(3, h))))), 0xffffffff)
                    if iszero(e) { break }
                    if eq(mload(add(base, shl(5, sub(e, 1)))), s) {
                        v := nodeAt(ctx, sub(e, 1))
                        ok := 1
                        leave
                    }
                }
                let q := mload(add(ctx, 0xc0))
                let lo := 0
                let hi := sub(mload(add(ctx, 0x40)), 1)
                for {} lt(lo, hi) {} {
                    let mid := shr(1, add(lo, hi))
                    let x := mload(add(q, shl(6, mid)))
                    if eq(x, s) {
                        v := mload(add(q, add(shl(6, mid), 0x20)))
                        ok := 1
                        leave
                    }
                    switch gt(x, s)
                    case 1 { lo := add(mid, 1) }
                    default { hi := mid }
                }
            }

            let ph := add(c, 0x100)
            let pt := ph
            switch eq(mload(add(c, 0x40)), 1)
            case 1 { r := nodeAt(c, 0) } // the witness is the root alone
            default {
                for {} 1 {} {
                    let k := 0
                    {
                        let i, wk := nextWritten(c)
                        let pk := 0
                        if lt(ph, pt) { pk := mload(ph) }
                        if iszero(or(wk, pk)) {
                            // Nothing written: the first pass's root (its last pair) stands.
                            r := mload(add(mload(add(c, 0xc0)), sub(shl(6, sub(mload(add(c, 0x40)), 1)), 0x20)))
                            break
                        }
                        switch gt(wk, pk)
                        case 1 {
                            k := wk
                            mstore(0x20, nodeAt(c, i))
                            mstore(add(c, 0xe0), add(i, 1))
                        }
                        default {
                            k := pk
                            mstore(0x20, mload(add(ph, 0x20)))
                            ph := add(ph, 0x40)
                        }
                    }
                    if eq(k, 1) {
                        r := mload(0x20)
                        break
                    }
                    // The sibling: written too (then it is the largest left, as no integer lies
                    // between siblings), or unchanged.
                    let s := xor(k, 1)
                    let sv := 0
                    let found := 0
                    {
                        let j, jk := nextWritten(c)
                        if eq(jk, s) {
                            sv := nodeAt(c, j)
                            mstore(add(c, 0xe0), add(j, 1))
                            found := 1
                        }
                    }
                    if iszero(found) {
                        if lt(ph, pt) {
                            if eq(mload(ph), s) {
                                sv := mload(add(ph, 0x20))
                                ph := add(ph, 0x40)
                                found := 1
                            }
                        }
                    }
                    if iszero(found) {
                        sv, found := unchanged(c, s)
                        if iszero(found) {
                            bad := s
                            break
                        }
                    }
                    switch and(k, 1)
                    case 1 { mstore(0x00, sv) } // k is the right child (at 0x20)
                    default {
                        mstore(0x00, mload(0x20))
                        mstore(0x20, sv)
                    }
                    if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) {
                        bad := not(0)
                        break
                    }
                    mstore(pt, shr(1, k))
                    mstore(add(pt, 0x20), mload(0x00))
                    pt := add(pt, 0x40)
                }
            }
            mstore(add(p, 0x80), 0) // the first pass's inner nodes are stale now
        }
        if (bad == type(uint256).max) revert SSZ.Sha256Failed();
        if (bad != 0) revert WitnessMalformed(bad);
    }

    // ================================================================ node access

    /// @notice Position of `gindex` in the proof, and whether it is there (the hash index
    ///         `decode` builds; a binary search in a proof without one).
    function find(Proof memory p, uint256 gindex) internal pure returns (bool found, uint256 at) {
        uint256[] memory g = p.gindices;
        uint256 index = p.index;
        if (index != 0) {
            uint256 bits = p.indexBits;
            /// @solidity memory-safe-assembly
            assembly {
                let mask := sub(shl(bits, 1), 1)
                let base := add(g, 0x20)
                for { let h := shr(sub(256, bits), mul(gindex, INDEX_HASH)) } 1 { h := and(add(h, 1), mask) } {
                    let e := and(shr(shl(5, and(h, 7)), mload(add(index, shl(5, shr(3, h))))), 0xffffffff)
                    if iszero(e) { break }
                    if eq(mload(add(base, shl(5, sub(e, 1)))), gindex) {
                        found := 1
                        at := sub(e, 1)
                        break
                    }
                }
            }
            return (found, at);
        }
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

    /// @notice Where the `count` nodes `gindex`, `gindex + 1`, ... lie: node `gindex + i` is at
    ///         `at - i` (the gindices descend). One search for a record's consecutive field
    ///         chunks; reverts `WitnessNodeMissing` for the first one the witness lacks.
    function findRun(Proof memory p, uint256 gindex, uint256 count) internal pure returns (uint256 at) {
        bool found;
        (found, at) = find(p, gindex);
        if (!found) revert WitnessNodeMissing(gindex);
        uint256[] memory g = p.gindices;
        uint256 missing;
        /// @solidity memory-safe-assembly
        assembly {
            for { let i := 1 } lt(i, count) { i := add(i, 1) } {
                if lt(at, i) {
                    missing := add(gindex, i)
                    break
                }
                if iszero(eq(mload(add(add(g, 0x20), shl(5, sub(at, i)))), add(gindex, i))) {
                    missing := add(gindex, i)
                    break
                }
            }
        }
        if (missing != 0) revert WitnessNodeMissing(missing);
    }

    /// @notice The uint64 of node `at` (a position `find` or `findRun` gave): an SSZ chunk's
    ///         first 8 bytes, little-endian (`SSZ.fromLittleEndian64`, without reversing all 32).
    function u64At(Proof memory p, uint256 at) internal pure returns (uint64 v) {
        bytes32[] memory nodes = p.nodes;
        /// @solidity memory-safe-assembly
        assembly {
            let x := shr(192, mload(add(add(nodes, 0x20), shl(5, at))))
            x := or(shr(8, and(x, 0xff00ff00ff00ff00)), shl(8, and(x, 0x00ff00ff00ff00ff)))
            x := or(shr(16, and(x, 0xffff0000ffff0000)), shl(16, and(x, 0x0000ffff0000ffff)))
            v := or(shr(32, x), and(shl(32, x), 0xffffffff00000000))
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
        uint256 written = p.written;
        if (written != 0) {
            ++p.writes;
            /// @solidity memory-safe-assembly
            assembly {
                let word := add(written, shl(5, shr(8, at)))
                mstore(word, or(mload(word), shl(and(at, 255), 1)))
            }
        }
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
    /// @dev PERF: the heights the layout uses (a position or order record: 3; a session-key
    ///      list: 3; order slots: 9) are constants; higher ones are hashed up from height 9.
    function zeroHash(uint256 height) internal view returns (bytes32 h) {
        if (height == 0) return bytes32(0);
        if (height == 1) return 0xf5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b;
        if (height == 2) return 0xdb56114e00fdd4c1f85c892bf35ac9a89289aaecb1ebd0a96cde606a748b5d71;
        if (height == 3) return 0xc78009fdf07fc56a11f122370658a353aaa542ed63e44c4bc15ff4cd105ab33c;
        if (height == 4) return 0x536d98837f2dd165a55d5eeae91485954472d56f246df256bf3cae19352a123c;
        if (height == 5) return 0x9efde052aa15429fae05bad4d0b1d7c64da64d03d7a1854a588c2cb8430c0d30;
        if (height == 6) return 0xd88ddfeed400a8755596b21942c1497e114c302e6118290f91e6772976041fa1;
        if (height == 7) return 0x87eb0ddba57e35f6d286673802a4af5975e22506c7cf4c64bb6be5ee11527f2c;
        if (height == 8) return 0x26846476fd5fc54a5d43385167c95144f2643f533cc85bb9d16b782f8d7db193;
        h = 0x506d86582d252405b840018792cad2bf1259f1ef5aa5f887e13cb2f0094f51e1; // height 9
        for (uint256 i = 9; i < height; ++i) {
            h = SSZ.hashPair(h, h);
        }
    }
}
