// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./lib/Test.sol";
import {SSZ} from "../src/lib/SSZ.sol";

/// @notice Exposes the library's internal functions as external calls, so that `expectRevert`
///         sees their reverts one call deeper than the test, and so that the calldata
///         variants get real calldata.
contract SSZHarness {
    function rootFromBranch(bytes32 leaf, bytes32[] memory branch, uint256 gindex) external view returns (bytes32) {
        return SSZ.rootFromBranch(leaf, branch, gindex);
    }

    function rootFromBranchCalldata(bytes32 leaf, bytes32[] calldata branch, uint256 gindex)
        external
        view
        returns (bytes32)
    {
        return SSZ.rootFromBranchCalldata(leaf, branch, gindex);
    }

    function verifyBranchCalldata(bytes32 leaf, bytes32[] calldata branch, uint256 gindex, bytes32 root)
        external
        view
        returns (bool)
    {
        return SSZ.verifyBranchCalldata(leaf, branch, gindex, root);
    }

    function gindexDepth(uint256 gindex) external pure returns (uint256) {
        return SSZ.gindexDepth(gindex);
    }

    function concatGindex(uint256 outer, uint256 inner) external pure returns (uint256) {
        return SSZ.concatGindex(outer, inner);
    }

    function uint64At(bytes32 chunk, uint256 slot) external pure returns (uint64) {
        return SSZ.uint64At(chunk, slot);
    }

    function uint128At(bytes32 chunk, uint256 slot) external pure returns (uint128) {
        return SSZ.uint128At(chunk, slot);
    }
}

/// @title SSZ tests
/// @notice Unit, fuzz and golden-vector tests for `SSZ`. The golden vectors in
///         `contracts/test/fixtures/ssz-branch.json` come from ChainSafe's TypeScript SSZ
///         library (the one the STF uses) via `contracts/script/gen-ssz-fixture.ts`.
contract SSZTest is Test {
    /// @dev sha256 of 64 zero bytes: the root of a two-chunk all-zero tree (consensus `zerohashes[1]`).
    bytes32 internal constant ZERO_HASH_1 = 0xf5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b;

    string internal constant FIXTURE = "/contracts/test/fixtures/ssz-branch.json";

    SSZHarness internal harness;

    function setUp() public {
        harness = new SSZHarness();
    }

    // ================================================================ hashPair / mixInLength

    function test_hashPair_zeroChunks_succeeds() public view {
        assertEq(SSZ.hashPair(bytes32(0), bytes32(0)), ZERO_HASH_1, "zerohashes[1]");
    }

    function testFuzz_hashPair_matchesSha256_succeeds(bytes32 left, bytes32 right) public view {
        assertEq(SSZ.hashPair(left, right), sha256(abi.encodePacked(left, right)), "sha256(left ++ right)");
    }

    function test_hashPair_leavesFreeMemoryPointer_succeeds() public view {
        uint256 before;
        uint256 afterwards;
        assembly {
            before := mload(0x40)
        }
        SSZ.hashPair(bytes32(uint256(1)), bytes32(uint256(2)));
        assembly {
            afterwards := mload(0x40)
        }
        assertEq(afterwards, before, "free memory pointer");
    }

    function testFuzz_mixInLength_matchesDefinition_succeeds(bytes32 root, uint256 length) public view {
        bytes memory lengthLE = new bytes(32);
        for (uint256 i; i < 32; ++i) {
            lengthLE[i] = bytes1(uint8(length >> (8 * i)));
        }
        assertEq(SSZ.mixInLength(root, length), sha256(abi.encodePacked(root, lengthLE)), "mix_in_length");
    }

    // ================================================================ golden vectors

    function test_verifyBranch_fixtureCases_succeeds() public view {
        string memory json = _fixture();
        bytes32 root = vm.parseJsonBytes32(json, ".root");
        uint256 n;
        for (; vm.keyExistsJson(json, _key(n, "")); ++n) {
            bytes32 leaf = vm.parseJsonBytes32(json, _key(n, ".leaf"));
            bytes32[] memory branch = vm.parseJsonBytes32Array(json, _key(n, ".branch"));
            uint256 gindex = vm.parseJsonUint(json, _key(n, ".gindex"));
            string memory name = vm.parseJsonString(json, _key(n, ".name"));

            assertTrue(SSZ.verifyBranch(leaf, branch, gindex, root), name);
            assertTrue(harness.verifyBranchCalldata(leaf, branch, gindex, root), name);
            assertEq(SSZ.rootFromBranch(leaf, branch, gindex), root, name);
            assertEq(SSZ.gindexDepth(gindex), branch.length, name);
            // A right leaf proven as its left neighbour (or vice versa) must fail.
            if (branch.length > 0) {
                assertFalse(SSZ.verifyBranch(leaf, branch, gindex ^ 1, root), name);
            }
        }
        assertEq(n, 7, "fixture case count");
    }

    function test_littleEndian_fixtureValues_succeeds() public view {
        string memory json = _fixture();
        for (uint256 n; vm.keyExistsJson(json, _key(n, "")); ++n) {
            bytes32 leaf = vm.parseJsonBytes32(json, _key(n, ".leaf"));
            string memory kind = vm.parseJsonString(json, _key(n, ".kind"));
            string memory name = vm.parseJsonString(json, _key(n, ".name"));
            uint256 slot = vm.parseJsonUint(json, _key(n, ".slot"));
            bytes32 k = keccak256(bytes(kind));
            if (k == keccak256("bytes32")) {
                assertEq(leaf, vm.parseJsonBytes32(json, _key(n, ".value")), name);
                continue;
            }
            uint256 value = vm.parseJsonUint(json, _key(n, ".value"));
            if (k == keccak256("uint64")) {
                assertEq(SSZ.uint64At(leaf, slot), value, name);
                if (slot == 0) {
                    assertEq(SSZ.fromLittleEndian64(leaf), value, name);
                    assertEq(SSZ.toLittleEndian64(uint64(value)), leaf, name);
                }
            } else if (k == keccak256("uint128")) {
                assertEq(SSZ.fromLittleEndian128(leaf), value, name);
                assertEq(SSZ.toLittleEndian128(uint128(value)), leaf, name);
            } else if (k == keccak256("uint256")) {
                assertEq(SSZ.fromLittleEndian256(leaf), value, name);
                assertEq(SSZ.toLittleEndian256(value), leaf, name);
            } else {
                fail(string.concat("unknown kind ", kind));
            }
        }
    }

    function test_mixInLength_fixtureList_succeeds() public view {
        string memory json = _fixture();
        bytes32 dataRoot = vm.parseJsonBytes32(json, ".list.dataRoot");
        uint256 length = vm.parseJsonUint(json, ".list.length");
        assertEq(SSZ.mixInLength(dataRoot, length), vm.parseJsonBytes32(json, ".list.root"), "list root");
    }

    function test_concatGindex_fixtureList_succeeds() public view {
        string memory json = _fixture();
        uint256 field = vm.parseJsonUint(json, ".list.fieldGindex");
        // positions[9] is in chunk 9 / 4 = 2 of a depth-3 data tree, the left child (2) of the
        // list's root: inner gindex ((2 << 3) | 2). The length is the right child (3).
        assertEq(SSZ.concatGindex(field, (2 << 3) | 2), vm.parseJsonUint(json, ".cases[5].gindex"), "positions[9]");
        assertEq(SSZ.concatGindex(field, 3), vm.parseJsonUint(json, ".cases[6].gindex"), "positions.length");
        assertEq(SSZ.concatGindex(field, 1), field, "subtree root");
    }

    // ================================================================ branches

    function test_rootFromBranch_emptyBranchAtRoot_succeeds() public view {
        bytes32[] memory branch = new bytes32[](0);
        assertEq(SSZ.rootFromBranch(keccak256("leaf"), branch, 1), keccak256("leaf"), "gindex 1 is the root");
    }

    function test_rootFromBranch_rightChild_succeeds() public view {
        bytes32[] memory branch = new bytes32[](1);
        branch[0] = keccak256("left");
        assertEq(
            SSZ.rootFromBranch(keccak256("right"), branch, 3),
            sha256(abi.encodePacked(keccak256("left"), keccak256("right"))),
            "gindex 3 is the right child"
        );
    }

    function test_rootFromBranch_branchTooShort_reverts() public {
        bytes32[] memory branch = new bytes32[](3);
        vm.expectRevert(abi.encodeWithSelector(SSZ.BranchLengthMismatch.selector, 16, 3));
        harness.rootFromBranch(bytes32(0), branch, 16);
    }

    function test_rootFromBranch_branchTooLong_reverts() public {
        bytes32[] memory branch = new bytes32[](4);
        vm.expectRevert(abi.encodeWithSelector(SSZ.BranchLengthMismatch.selector, 8, 4));
        harness.rootFromBranch(bytes32(0), branch, 8);
    }

    function test_rootFromBranch_zeroGindex_reverts() public {
        bytes32[] memory branch = new bytes32[](0);
        vm.expectRevert(abi.encodeWithSelector(SSZ.BranchLengthMismatch.selector, 0, 0));
        harness.rootFromBranch(bytes32(0), branch, 0);
    }

    function test_rootFromBranch_256Siblings_reverts() public {
        bytes32[] memory branch = new bytes32[](256);
        uint256 gindex = type(uint256).max;
        vm.expectRevert(abi.encodeWithSelector(SSZ.BranchLengthMismatch.selector, gindex, 256));
        harness.rootFromBranch(bytes32(0), branch, gindex);
    }

    function test_rootFromBranchCalldata_lengthMismatch_reverts() public {
        bytes32[] memory branch = new bytes32[](2);
        vm.expectRevert(abi.encodeWithSelector(SSZ.BranchLengthMismatch.selector, 9, 2));
        harness.rootFromBranchCalldata(bytes32(0), branch, 9);
    }

    /// @notice Builds a random tree of depth 0..8 in Solidity, proves a random leaf, then checks
    ///         that flipping any one bit of the leaf or of a sibling, or proving at the wrong
    ///         position, makes verification fail.
    function testFuzz_verifyBranch_randomTree_succeeds(uint256 seed, uint256 depth, uint256 index, uint256 flip)
        public
        view
    {
        depth = bound(depth, 0, 8);
        index = bound(index, 0, (1 << depth) - 1);

        // Level 0 holds the leaves; level d holds the single root.
        bytes32[] memory level = new bytes32[](1 << depth);
        for (uint256 i; i < level.length; ++i) {
            level[i] = keccak256(abi.encode(seed, i));
        }
        bytes32 leaf = level[index];
        bytes32[] memory branch = new bytes32[](depth);
        uint256 position = index;
        for (uint256 h; h < depth; ++h) {
            branch[h] = level[position ^ 1];
            bytes32[] memory parents = new bytes32[](level.length / 2);
            for (uint256 i; i < parents.length; ++i) {
                parents[i] = sha256(abi.encodePacked(level[2 * i], level[2 * i + 1]));
            }
            level = parents;
            position >>= 1;
        }
        bytes32 root = level[0];
        uint256 gindex = (1 << depth) | index;

        assertTrue(SSZ.verifyBranch(leaf, branch, gindex, root), "honest proof");
        assertTrue(harness.verifyBranchCalldata(leaf, branch, gindex, root), "honest proof (calldata)");

        // One flipped bit anywhere in the leaf or the branch.
        flip = bound(flip, 0, 256 * (depth + 1) - 1);
        bytes32 mask = bytes32(uint256(1) << (flip % 256));
        if (flip < 256) {
            assertFalse(SSZ.verifyBranch(leaf ^ mask, branch, gindex, root), "flipped leaf bit");
        } else {
            uint256 h = flip / 256 - 1;
            branch[h] ^= mask;
            assertFalse(SSZ.verifyBranch(leaf, branch, gindex, root), "flipped branch bit");
            branch[h] ^= mask;
        }
        assertFalse(SSZ.verifyBranch(leaf, branch, gindex, root ^ mask), "flipped root bit");

        // The same proof at another position of the same depth.
        if (depth > 0) {
            uint256 wrong = gindex ^ (1 << (seed % depth));
            assertFalse(SSZ.verifyBranch(leaf, branch, wrong, root), "wrong position");
        }
    }

    // ================================================================ generalized indices

    function testFuzz_gindexDepth_matchesLog2_succeeds(uint256 gindex) public view {
        gindex = bound(gindex, 1, type(uint256).max);
        uint256 depth = harness.gindexDepth(gindex);
        assertEq(gindex >> depth, 1, "top bit at depth");
    }

    function test_gindexDepth_zero_reverts() public {
        vm.expectRevert(SSZ.InvalidGindex.selector);
        harness.gindexDepth(0);
    }

    function test_concatGindex_zeroOuter_reverts() public {
        vm.expectRevert(SSZ.InvalidGindex.selector);
        harness.concatGindex(0, 2);
    }

    function test_concatGindex_zeroInner_reverts() public {
        vm.expectRevert(SSZ.InvalidGindex.selector);
        harness.concatGindex(2, 0);
    }

    // ================================================================ little-endian helpers

    function test_toLittleEndian64_knownValue_succeeds() public pure {
        assertEq(
            SSZ.toLittleEndian64(0x0102030405060708),
            bytes32(0x0807060504030201000000000000000000000000000000000000000000000000),
            "le64"
        );
    }

    function testFuzz_littleEndian64_matchesReference_succeeds(uint64 value) public pure {
        bytes32 chunk = SSZ.toLittleEndian64(value);
        assertEq(chunk, _referenceLE(value, 8), "toLittleEndian64");
        assertEq(SSZ.fromLittleEndian64(chunk), value, "round trip");
    }

    function testFuzz_littleEndian128_matchesReference_succeeds(uint128 value) public pure {
        bytes32 chunk = SSZ.toLittleEndian128(value);
        assertEq(chunk, _referenceLE(value, 16), "toLittleEndian128");
        assertEq(SSZ.fromLittleEndian128(chunk), value, "round trip");
    }

    function testFuzz_littleEndian256_matchesReference_succeeds(uint256 value) public pure {
        bytes32 chunk = SSZ.toLittleEndian256(value);
        assertEq(chunk, _referenceLE(value, 32), "toLittleEndian256");
        assertEq(SSZ.fromLittleEndian256(chunk), value, "round trip");
    }

    function testFuzz_fromLittleEndian64_ignoresOtherSlots_succeeds(uint64 value, bytes24 rest) public pure {
        bytes32 chunk = SSZ.toLittleEndian64(value) | (bytes32(rest) >> 64);
        assertEq(SSZ.fromLittleEndian64(chunk), value, "slot 0 only");
    }

    function testFuzz_uint64At_matchesReference_succeeds(uint64 a, uint64 b, uint64 c, uint64 d) public pure {
        bytes32 chunk = bytes32(abi.encodePacked(_le8(a), _le8(b), _le8(c), _le8(d)));
        assertEq(SSZ.uint64At(chunk, 0), a, "slot 0");
        assertEq(SSZ.uint64At(chunk, 1), b, "slot 1");
        assertEq(SSZ.uint64At(chunk, 2), c, "slot 2");
        assertEq(SSZ.uint64At(chunk, 3), d, "slot 3");
    }

    function testFuzz_uint128At_matchesReference_succeeds(uint128 a, uint128 b) public pure {
        bytes32 chunk = _referenceLE(a, 16) | (_referenceLE(b, 16) >> 128);
        assertEq(SSZ.uint128At(chunk, 0), a, "slot 0");
        assertEq(SSZ.uint128At(chunk, 1), b, "slot 1");
    }

    function test_uint64At_slotOutOfRange_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(SSZ.SlotOutOfRange.selector, 4, 4));
        harness.uint64At(bytes32(0), 4);
    }

    function test_uint128At_slotOutOfRange_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(SSZ.SlotOutOfRange.selector, 2, 2));
        harness.uint128At(bytes32(0), 2);
    }

    // ================================================================ helpers

    function _fixture() internal view returns (string memory) {
        return vm.readFile(string.concat(vm.projectRoot(), FIXTURE));
    }

    function _key(uint256 n, string memory field) internal pure returns (string memory) {
        return string.concat(".cases[", vm.toString(n), "]", field);
    }

    /// @dev Reference little-endian encoding, byte by byte: the first `size` bytes of the chunk.
    function _referenceLE(uint256 value, uint256 size) internal pure returns (bytes32 chunk) {
        bytes memory out = new bytes(32);
        for (uint256 i; i < size; ++i) {
            out[i] = bytes1(uint8(value >> (8 * i)));
        }
        chunk = bytes32(out);
    }

    /// @dev The 8 little-endian bytes of `value`.
    function _le8(uint64 value) internal pure returns (bytes8) {
        return bytes8(_referenceLE(value, 8));
    }
}
