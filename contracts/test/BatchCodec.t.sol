// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./lib/Test.sol";
import {console} from "./lib/console.sol";
import {Setup} from "./lib/Setup.sol";
import {Rollup} from "../src/Rollup.sol";
import {BatchCodec} from "../src/lib/BatchCodec.sol";
import {LibZip} from "solady/utils/LibZip.sol";

/// @notice External entry points over the library: reverts surface one call deep (for
///         `expectRevert`), and each call starts with fresh memory, as a dispute's would.
contract BatchCodecHarness {
    function decode(bytes memory data) external pure returns (bytes memory) {
        return BatchCodec.decode(data);
    }

    /// @notice Decode gas with the data already in memory (as after ABI decoding in a dispute).
    function measure(bytes memory data) external view returns (bytes32 outHash, uint256 outLength, uint256 gasUsed) {
        uint256 g = gasleft();
        bytes memory out = BatchCodec.decode(data);
        gasUsed = g - gasleft();
        outHash = keccak256(out);
        outLength = out.length;
    }

    /// @notice The alternative measured in docs/codec.md: Solady's FastLZ over the SSZ bytes.
    function measureFastLz(bytes memory compressed) external view returns (bytes32 outHash, uint256 gasUsed) {
        uint256 g = gasleft();
        bytes memory out = LibZip.flzDecompress(compressed);
        gasUsed = g - gasleft();
        outHash = keccak256(out);
    }

    function fastLzCompress(bytes memory raw) external pure returns (bytes memory) {
        return LibZip.flzCompress(raw);
    }

    function locate(bytes memory data, uint256 index) external pure returns (uint256 n, bytes memory op) {
        return BatchCodec.locate(data, index);
    }

    /// @notice `locate` gas with the data already in memory, as `measure` for `decode`.
    function measureLocate(bytes memory data, uint256 index) external view returns (uint256 n, bytes32 opHash, uint256 gasUsed) {
        uint256 g = gasleft();
        bytes memory op;
        (n, op) = BatchCodec.locate(data, index);
        gasUsed = g - gasleft();
        opHash = keccak256(op);
    }

    function locateL1Inputs(bytes memory data) external pure returns (uint256 n, bytes memory inputs) {
        return BatchCodec.locateL1Inputs(data);
    }

    /// @notice `locateL1Inputs`'s count and the hash of its records (the sweeps call it
    ///         thousands of times: returned bytes would pile up in the caller's memory).
    function locateL1InputsDigest(bytes memory data) external pure returns (uint256 n, bytes32 inputsHash) {
        bytes memory inputs;
        (n, inputs) = BatchCodec.locateL1Inputs(data);
        inputsHash = keccak256(inputs);
    }

    function expectedL1InputsDigest(bytes memory batch) external pure returns (bytes32) {
        return keccak256(expectedL1Inputs(batch));
    }

    /// @notice `locateL1Inputs` gas with the data already in memory, as `measure` for `decode`.
    function measureL1Inputs(bytes memory data) external view returns (uint256 n, bytes32 inputsHash, uint256 gasUsed) {
        uint256 g = gasleft();
        bytes memory inputs;
        (n, inputs) = BatchCodec.locateL1Inputs(data);
        gasUsed = g - gasleft();
        inputsHash = keccak256(inputs);
    }

    /// @notice What `locateL1Inputs` must return for decoded batch bytes: for each L1 input
    ///         (selector 0, 1, 17 or 18) in order, u32 op index (big-endian) ‖ `opAt(batch, i)`.
    function expectedL1Inputs(bytes memory batch) public pure returns (bytes memory inputs) {
        uint256 n = BatchCodec.opCount(batch);
        // Sized first, then filled: appending one by one would copy quadratically.
        uint256 total;
        for (uint256 pass; pass < 2; ++pass) {
            uint256 at;
            for (uint256 i; i < n; ++i) {
                bytes memory op = BatchCodec.opAt(batch, i);
                uint8 sel = uint8(op[12]);
                if (sel != 0 && sel != 1 && sel != 17 && sel != 18) continue;
                if (pass == 1) {
                    bytes4 index = bytes4(uint32(i));
                    for (uint256 j; j < 4; ++j) inputs[at + j] = index[j];
                    for (uint256 j; j < op.length; ++j) inputs[at + 4 + j] = op[j];
                }
                at += 4 + op.length;
            }
            if (pass == 0) inputs = new bytes(at);
            total = at;
        }
        assert(total == inputs.length);
    }

    function opCount(bytes memory batch) external pure returns (uint256) {
        return BatchCodec.opCount(batch);
    }

    function opAt(bytes memory batch, uint256 i) external pure returns (bytes memory) {
        return BatchCodec.opAt(batch, i);
    }

    function schema() external pure returns (bytes memory) {
        return BatchCodec.SCHEMA;
    }
}

/// @notice Shared fixture reading.
abstract contract BatchFixtureReader is Test {
    string internal constant FIXTURE = "/contracts/test/fixtures/batch-codec.json";
    string internal constant WORKLOAD = "/contracts/test/fixtures/batch-workload.json";

    function _read(string memory path) internal view returns (string memory) {
        return vm.readFile(string.concat(vm.projectRoot(), path));
    }

    function _k(string memory prefix, uint256 i, string memory field) internal pure returns (string memory) {
        return string.concat(prefix, "[", vm.toString(i), "]", field);
    }

    function _count(string memory json, string memory key) internal view returns (uint256 n) {
        while (vm.keyExistsJson(json, string.concat(key, "[", vm.toString(n), "]"))) ++n;
    }

    function _leb128(uint256 x) internal pure returns (bytes memory b) {
        while (x >= 0x80) {
            b = bytes.concat(b, bytes1(uint8(x & 0x7f) | 0x80));
            x >>= 7;
        }
        b = bytes.concat(b, bytes1(uint8(x)));
    }

    /// @dev 0x01 ‖ varint(count) ‖ unit × count, as `worstData` in gen-batch-fixtures.ts.
    function _repeat(bytes memory unit, uint256 count) internal pure returns (bytes memory data) {
        bytes memory head = abi.encodePacked(uint8(1));
        uint256 c = count;
        while (c >= 0x80) {
            head = abi.encodePacked(head, uint8(c & 0x7f) | 0x80);
            c >>= 7;
        }
        head = abi.encodePacked(head, uint8(c));
        data = new bytes(head.length + unit.length * count);
        for (uint256 i; i < head.length; ++i) data[i] = head[i];
        for (uint256 k; k < count; ++k) {
            for (uint256 j; j < unit.length; ++j) data[head.length + k * unit.length + j] = unit[j];
        }
    }
}

/// @title BatchCodec tests
/// @notice The Solidity decoder against the TypeScript codec: every fixture (contracts/script/
///         gen-batch-fixtures.ts) must decode to the same bytes, or fail with the same
///         (code, offset, opIndex).
contract BatchCodecTest is BatchFixtureReader {
    BatchCodecHarness internal harness;
    string internal json;

    function setUp() public {
        harness = new BatchCodecHarness();
        json = _read(FIXTURE);
    }

    function test_schema_equalsTheTypeScriptTable() public view {
        assertEq(harness.schema(), vm.parseJsonBytes(json, ".schema"), "SCHEMA is stale: copy schemaTable() from sequencer/codec/schema.ts");
    }

    function test_decode_validCases_matchTypeScript() public view {
        uint256 n = _count(json, ".valid");
        assertGt(n, 5, "fixture has valid cases");
        for (uint256 i; i < n; ++i) {
            string memory name = vm.parseJsonString(json, _k(".valid", i, ".name"));
            bytes memory out = harness.decode(vm.parseJsonBytes(json, _k(".valid", i, ".data")));
            assertEq(keccak256(out), vm.parseJsonBytes32(json, _k(".valid", i, ".outHash")), name);
            assertEq(out.length, vm.parseJsonUint(json, _k(".valid", i, ".outLength")), name);
            assertEq(harness.opCount(out), vm.parseJsonUint(json, _k(".valid", i, ".ops")), name);
            if (vm.keyExistsJson(json, _k(".valid", i, ".out"))) {
                assertEq(out, vm.parseJsonBytes(json, _k(".valid", i, ".out")), name);
            }
        }
    }

    function test_opAt_returnsEachElement() public view {
        uint256 n = _count(json, ".valid");
        uint256 checked;
        for (uint256 i; i < n; ++i) {
            if (!vm.keyExistsJson(json, _k(".valid", i, ".elements"))) continue;
            bytes memory out = vm.parseJsonBytes(json, _k(".valid", i, ".out"));
            uint256 m = _count(json, _k(".valid", i, ".elements"));
            assertEq(harness.opCount(out), m, "opCount");
            for (uint256 j; j < m; ++j) {
                bytes memory e = vm.parseJsonBytes(json, string.concat(_k(".valid", i, ".elements"), "[", vm.toString(j), "]"));
                assertEq(harness.opAt(out, j), e, "opAt");
                ++checked;
            }
        }
        assertGt(checked, 19, "elements checked");
    }

    function test_opAt_pastTheEnd_reverts() public {
        bytes memory out = harness.decode(hex"0101000f0000");
        assertEq(harness.opCount(out), 1, "one op");
        vm.expectRevert(bytes("BatchCodec: op index"));
        harness.opAt(out, 1);
    }

    function test_decode_invalidCases_revertWithTheTypeScriptError() public {
        uint256 n = _count(json, ".invalid");
        assertGt(n, 20, "fixture has invalid cases");
        for (uint256 i; i < n; ++i) {
            _expectError(
                vm.parseJsonBytes(json, _k(".invalid", i, ".data")),
                vm.parseJsonUint(json, _k(".invalid", i, ".code")),
                vm.parseJsonUint(json, _k(".invalid", i, ".offset")),
                vm.parseJsonUint(json, _k(".invalid", i, ".opIndex"))
            );
        }
    }

    /// @notice Random edits of valid data: each decodes to what TypeScript decoded, or fails
    ///         with TypeScript's error triple.
    function test_decode_mutations_agreeWithTypeScript() public {
        uint256 n = _count(json, ".mutations");
        assertGt(n, 100, "fixture has mutations");
        for (uint256 i; i < n; ++i) {
            bytes memory data = vm.parseJsonBytes(json, _k(".mutations", i, ".data"));
            uint256 code = vm.parseJsonUint(json, _k(".mutations", i, ".code"));
            if (code == 0) {
                assertEq(keccak256(harness.decode(data)), vm.parseJsonBytes32(json, _k(".mutations", i, ".outHash")), "mutation decodes alike");
            } else {
                _expectError(data, code, vm.parseJsonUint(json, _k(".mutations", i, ".offset")), vm.parseJsonUint(json, _k(".mutations", i, ".opIndex")));
            }
        }
    }

    function test_decode_countAboveMaxOps_reverts() public {
        // 100,001 FundingTicks' worth of bytes: the count alone is over the limit.
        bytes memory data = new bytes(4 + 4 * 100_001);
        data[0] = 0x01;
        data[1] = 0xa1; // 100001 = 0x186a1 as LEB128: a1 8d 06
        data[2] = 0x8d;
        data[3] = 0x06;
        _expectError(data, BatchCodec.TOO_MANY_OPS, 1, 0);
    }

    function test_decode_worstShapes_matchTypeScript() public view {
        uint256 n = _count(json, ".worst");
        for (uint256 i; i < n; ++i) {
            bytes memory data = _repeat(vm.parseJsonBytes(json, _k(".worst", i, ".unit")), vm.parseJsonUint(json, _k(".worst", i, ".count")));
            assertEq(data.length, vm.parseJsonUint(json, _k(".worst", i, ".dataLength")), "worst data length");
            (bytes32 h, uint256 len,) = harness.measure(data);
            assertEq(h, vm.parseJsonBytes32(json, _k(".worst", i, ".outHash")), "worst output");
            assertEq(len, vm.parseJsonUint(json, _k(".worst", i, ".outLength")), "worst output length");
        }
    }

    /// @notice Any bytes either decode into a well-formed batch or revert with BatchDataError;
    ///         nothing else (no panic, no other revert).
    function testFuzz_decode_anyBytes_decodeOrBatchDataError(bytes calldata raw, uint8 lead) public view {
        // Most random data fails on the version byte; force it half the time to reach further.
        bytes memory data = lead % 2 == 0 && raw.length > 0 ? bytes.concat(hex"01", raw[1:]) : raw;
        try harness.decode(data) returns (bytes memory out) {
            uint256 n = harness.opCount(out);
            if (n > 0) assertEq(uint256(uint8(out[0])) | (uint256(uint8(out[1])) << 8) | (uint256(uint8(out[2])) << 16), 4 * n, "first offset");
            assertGe(data.length, 2 + 4 * n, "at least four bytes per op");
        } catch (bytes memory reason) {
            assertEq(bytes4(reason), BatchCodec.BatchDataError.selector, "only BatchDataError");
        }
    }

    function _expectError(bytes memory data, uint256 code, uint256 offset, uint256 opIndex) internal {
        vm.expectRevert(abi.encodeWithSelector(BatchCodec.BatchDataError.selector, code, offset, opIndex));
        harness.decode(data);
    }

    // ------------------------------------------------------------ locate (what loadOp uses)

    /// @notice `locate(data, index)` against `decode`: the same op count and operation
    ///         `index`'s bytes (empty past the end), or the same revert data. Returns whether
    ///         the data decoded.
    function _locateAgrees(bytes memory data, uint256 index, string memory what) internal view returns (bool ok) {
        bytes memory out;
        bytes memory decodeErr;
        try harness.decode(data) returns (bytes memory o) {
            out = o;
            ok = true;
        } catch (bytes memory reason) {
            decodeErr = reason;
        }
        try harness.locate(data, index) returns (uint256 n, bytes memory op) {
            assertTrue(ok, string.concat(what, ": locate accepted data decode refuses"));
            assertEq(n, harness.opCount(out), string.concat(what, ": op count"));
            if (index < n) assertEq(op, harness.opAt(out, index), string.concat(what, ": operation bytes"));
            else assertEq(op.length, 0, string.concat(what, ": no operation past the end"));
        } catch (bytes memory reason) {
            assertFalse(ok, string.concat(what, ": locate refused data decode accepts"));
            assertEq(reason, decodeErr, string.concat(what, ": error"));
        }
    }

    /// @notice `locateL1Inputs(data)` against `decode`: the same op count and every L1 input's
    ///         op index and bytes, or the same revert data. Returns whether the data decoded.
    ///         (Messages are fixed strings: the sweeps call it thousands of times in one frame.)
    function _l1InputsAgree(bytes memory data) internal view returns (bool ok) {
        bytes32 want;
        uint256 count;
        bytes memory decodeErr;
        try harness.decode(data) returns (bytes memory out) {
            ok = true;
            want = harness.expectedL1InputsDigest(out);
            count = harness.opCount(out);
        } catch (bytes memory reason) {
            decodeErr = reason;
        }
        try harness.locateL1InputsDigest(data) returns (uint256 n, bytes32 inputsHash) {
            assertTrue(ok, "locateL1Inputs accepted data decode refuses");
            assertEq(n, count, "locateL1Inputs op count");
            assertEq(inputsHash, want, "locateL1Inputs: L1 inputs differ from decode's");
        } catch (bytes memory reason) {
            assertFalse(ok, "locateL1Inputs refused data decode accepts");
            assertEq(reason, decodeErr, "locateL1Inputs error");
        }
    }

    /// @notice Agrees on every fixture: valid (the everyKind batch holds all four L1 input
    ///         selectors), invalid (the TypeScript error), the mutations and the worst shapes.
    function test_locateL1Inputs_fixtures_matchDecode() public {
        uint256 n = _count(json, ".valid");
        bool sawInputs;
        for (uint256 i; i < n; ++i) {
            bytes memory data = vm.parseJsonBytes(json, _k(".valid", i, ".data"));
            assertTrue(_l1InputsAgree(data), "valid");
            (, bytes memory inputs) = harness.locateL1Inputs(data);
            if (inputs.length > 0) sawInputs = true;
        }
        assertTrue(sawInputs, "some fixture has L1 inputs");
        // everyKind: ops 0, 1, 17 and 18 are the L1 inputs (records of 16 + 50, 45, 30, 15 bytes)
        (, bytes memory every) = harness.locateL1Inputs(vm.parseJsonBytes(json, ".valid[1].data"));
        assertEq(vm.parseJsonString(json, ".valid[1].name"), "everyKind", "fixture order");
        assertEq(every.length, 4 * 16 + 50 + 45 + 30 + 15, "four records");
        assertEq(uint32(bytes4(every)), 0, "first record: op 0");
        n = _count(json, ".invalid");
        for (uint256 i; i < n; ++i) {
            bytes memory data = vm.parseJsonBytes(json, _k(".invalid", i, ".data"));
            vm.expectRevert(
                abi.encodeWithSelector(
                    BatchCodec.BatchDataError.selector,
                    vm.parseJsonUint(json, _k(".invalid", i, ".code")),
                    vm.parseJsonUint(json, _k(".invalid", i, ".offset")),
                    vm.parseJsonUint(json, _k(".invalid", i, ".opIndex"))
                )
            );
            harness.locateL1Inputs(data);
        }
        n = _count(json, ".mutations");
        for (uint256 i; i < n; ++i) {
            _l1InputsAgree(vm.parseJsonBytes(json, _k(".mutations", i, ".data")));
        }
        n = _count(json, ".worst");
        for (uint256 i; i < n; ++i) {
            bytes memory data = _repeat(vm.parseJsonBytes(json, _k(".worst", i, ".unit")), vm.parseJsonUint(json, _k(".worst", i, ".count")));
            assertTrue(_l1InputsAgree(data), "worst shape decodes");
        }
    }

    /// @notice Every one-byte value of every field of the four L1 input selectors (and of the
    ///         timestamp delta and selector byte), then every two-, three- and (for the two
    ///         smallest) four-byte varint: `locateL1Inputs`'s one-pass check and write agrees with
    ///         `decode`, as the sweeps above do for `locate`.
    function test_locateL1Inputs_everyOneByteValue_matchDecode() public view {
        _everyOneByteValue(0, 2, true);
        _everyOneByteValue(17, 19, true);
    }

    function test_locateL1Inputs_everyTwoByteValue_matchDecode() public view {
        _everyMultiByteValue(0, 2, 2, true);
        _everyMultiByteValue(17, 19, 2, true);
    }

    function test_locateL1Inputs_everyThreeByteValue_deposit_matchDecode() public view {
        _everyMultiByteValue(0, 1, 3, true);
    }

    function test_locateL1Inputs_everyThreeByteValue_paramUpdate_matchDecode() public view {
        _everyMultiByteValue(1, 2, 3, true);
    }

    function test_locateL1Inputs_everyThreeByteValue_forced_matchDecode() public view {
        _everyMultiByteValue(17, 19, 3, true);
    }

    function test_locateL1Inputs_everyFourByteValue_forced_matchDecode() public view {
        _everyMultiByteValue(17, 19, 4, true);
    }

    /// @notice Random edits of every valid fixture and random bytes, as for `locate`.
    function testFuzz_locateL1Inputs_editedFixtures_agreeWithDecode(uint256 which, uint256 at, uint8 value, uint8 how) public view {
        _l1InputsAgree(_edited(which, at, value, how));
    }

    function testFuzz_locateL1Inputs_anyBytes_agreeWithDecode(bytes calldata raw, uint8 lead) public view {
        _l1InputsAgree(lead % 2 == 0 && raw.length > 0 ? bytes.concat(hex"01", raw[1:]) : raw);
    }

    /// @notice L1 inputs of random queue index, account, amount and market (any valid value),
    ///         each coded minimally, between FundingTicks: the records are decode's.
    function testFuzz_locateL1Inputs_randomValues_matchDecode(uint64 q, uint32 account, uint16 market, uint128 m, uint8 e, uint8 sel) public view {
        // amount m·10^e canonical: m without a trailing zero, in range (else zero)
        while (m != 0 && m % 10 == 0) m /= 10;
        e = uint8(e % 39);
        uint256 amount = uint256(m) * 10 ** e;
        uint256 x = amount >> 128 != 0 || m == 0 ? 0 : uint256(m) * 40 + e;
        bytes memory op;
        uint256 s = sel % 4;
        if (s == 0) op = bytes.concat(hex"00", _leb128(q), _leb128(account), bytes20(uint160(0xbeef)), hex"01", _leb128(x));
        else if (s == 1) op = bytes.concat(hex"01", _leb128(q), _leb128(market), _leb128(account & 0xffff), keccak256(abi.encode(q)));
        else if (s == 2) op = bytes.concat(hex"11", _leb128(q), _leb128(account), hex"00", _leb128(x));
        else op = bytes.concat(hex"12", _leb128(q), _leb128(account), _leb128(market));
        // Δts: +1 ms, then the op, then a FundingTick, the op again at Δts 0
        bytes memory data = bytes.concat(hex"0103", hex"02", op, hex"000f0000", hex"00", op);
        assertTrue(_l1InputsAgree(data), "decodes");
    }

    function test_locate_validCases_everyIndex_matchDecode() public view {
        uint256 n = _count(json, ".valid");
        for (uint256 i; i < n; ++i) {
            bytes memory data = vm.parseJsonBytes(json, _k(".valid", i, ".data"));
            uint256 ops = vm.parseJsonUint(json, _k(".valid", i, ".ops"));
            for (uint256 j; j <= ops; ++j) {
                assertTrue(_locateAgrees(data, j, vm.parseJsonString(json, _k(".valid", i, ".name"))), "valid");
            }
            assertTrue(_locateAgrees(data, type(uint256).max, "no index"), "valid");
        }
    }

    function test_locate_invalidCases_revertWithTheTypeScriptError() public {
        uint256 n = _count(json, ".invalid");
        for (uint256 i; i < n; ++i) {
            bytes memory data = vm.parseJsonBytes(json, _k(".invalid", i, ".data"));
            bytes memory want = abi.encodeWithSelector(
                BatchCodec.BatchDataError.selector,
                vm.parseJsonUint(json, _k(".invalid", i, ".code")),
                vm.parseJsonUint(json, _k(".invalid", i, ".offset")),
                vm.parseJsonUint(json, _k(".invalid", i, ".opIndex"))
            );
            // The faulty operation read by tiers 1–2 (index elsewhere) and by tier 3 (index on it).
            uint256[3] memory at = [type(uint256).max, 0, vm.parseJsonUint(json, _k(".invalid", i, ".opIndex"))];
            for (uint256 k; k < 3; ++k) {
                vm.expectRevert(want);
                harness.locate(data, at[k]);
            }
            vm.expectRevert(want);
            harness.locateL1Inputs(data);
        }
    }

    function test_locate_mutations_agreeWithDecode() public view {
        uint256 n = _count(json, ".mutations");
        for (uint256 i; i < n; ++i) {
            bytes memory data = vm.parseJsonBytes(json, _k(".mutations", i, ".data"));
            _locateAgrees(data, type(uint256).max, "mutation");
            _locateAgrees(data, i % 5, "mutation");
        }
    }

    function test_locate_worstShapes_matchDecode() public view {
        uint256 n = _count(json, ".worst");
        for (uint256 i; i < n; ++i) {
            uint256 count = vm.parseJsonUint(json, _k(".worst", i, ".count"));
            bytes memory data = _repeat(vm.parseJsonBytes(json, _k(".worst", i, ".unit")), count);
            assertTrue(_locateAgrees(data, count - 1, "worst, last op"), "decodes");
            assertTrue(_locateAgrees(data, count / 2, "worst, middle op"), "decodes");
        }
    }

    /// @notice Every value of every one-byte field (and of the timestamp delta and selector)
    ///         of every selector's one-byte layout, at timestamps 0 and 1, in an operation that
    ///         tiers 1–2 read (the located one is the FundingTick after it): locate and decode agree.
    function test_locate_everyOneByteValue_selectors0to4_matchDecode() public view {
        _everyOneByteValue(0, 5);
    }

    function test_locate_everyOneByteValue_selectors5to9_matchDecode() public view {
        _everyOneByteValue(5, 10);
    }

    function test_locate_everyOneByteValue_selectors10to14_matchDecode() public view {
        _everyOneByteValue(10, 15);
    }

    function test_locate_everyOneByteValue_selectors15to18_matchDecode() public view {
        _everyOneByteValue(15, 19);
    }

    function _everyOneByteValue(uint256 fromSel, uint256 toSel) internal view {
        _everyOneByteValue(fromSel, toSel, false);
    }

    /// @dev `l1`: compare `locateL1Inputs` with decode instead of `locate`.
    function _everyOneByteValue(uint256 fromSel, uint256 toSel, bool l1) internal view {
        bytes memory sch = harness.schema();
        for (uint256 sel = fromSel; sel < toSel; ++sel) {
            // Body length with every varint one byte, and where the varints are.
            uint256 len;
            bool[32] memory varint;
            for (uint256 f; f < 16; ++f) {
                uint8 code = uint8(sch[sel * 16 + f]);
                if (code == 0) break;
                if (code >= 0x80) {
                    len += code & 0x7f;
                } else {
                    varint[len] = true;
                    ++len;
                }
            }
            if (sel == 10) len += 2; // point count 0, signature count 0
            for (uint256 tsDelta; tsDelta <= 2; tsDelta += 2) {
                // 01 ‖ 2 ops ‖ Δts ‖ sel ‖ zero body ‖ FundingTick (Δts 0, market 0, premium 0)
                bytes memory data = bytes.concat(hex"0102", bytes1(uint8(tsDelta)), bytes1(uint8(sel)), new bytes(len), hex"000f0000");
                for (uint256 pos = 2; pos < 4 + len; ++pos) {
                    // The timestamp delta, the selector, each varint field, the oracle counts.
                    bool vary = pos < 4;
                    if (!vary) vary = (pos - 4 < 32 && varint[pos - 4]) || (sel == 10 && pos - 4 >= len - 2);
                    if (!vary) continue;
                    bytes1 keep = data[pos];
                    for (uint256 v; v < 256; ++v) {
                        data[pos] = bytes1(uint8(v));
                        if (l1) _l1InputsAgree(data);
                        else _locateAgrees(data, 1, "one-byte value");
                    }
                    data[pos] = keep;
                }
            }
        }
    }

    /// @notice Each varint field (and the timestamp delta) of every selector as a two-byte
    ///         varint: first byte 0x81 or 0xff, every second byte (0 is not minimal, ≥ 0x80
    ///         makes it longer), in an operation tiers 1–2 read: locate and decode agree.
    function test_locate_everyTwoByteValue_selectors0to6_matchDecode() public view {
        _everyTwoByteValue(0, 7);
    }

    function test_locate_everyTwoByteValue_selectors7to12_matchDecode() public view {
        _everyTwoByteValue(7, 13);
    }

    function test_locate_everyTwoByteValue_selectors13to18_matchDecode() public view {
        _everyTwoByteValue(13, 19);
    }

    /// @notice The same with three-byte varints: leads 0x81 0x80 and 0xff 0xff, every last byte.
    function test_locate_everyThreeByteValue_selectors0to5_matchDecode() public view {
        _everyMultiByteValue(0, 6, 3);
    }

    function test_locate_everyThreeByteValue_selectors6to11_matchDecode() public view {
        _everyMultiByteValue(6, 12, 3);
    }

    function test_locate_everyThreeByteValue_selectors12to18_matchDecode() public view {
        _everyMultiByteValue(12, 19, 3);
    }

    /// @notice Four bytes (read by the general varint loop), on the smallest operations.
    function test_locate_everyFourByteValue_selectors14to18_matchDecode() public view {
        _everyMultiByteValue(14, 19, 4);
    }

    function _everyTwoByteValue(uint256 fromSel, uint256 toSel) internal view {
        _everyMultiByteValue(fromSel, toSel, 2);
    }

    function _everyMultiByteValue(uint256 fromSel, uint256 toSel, uint256 width) internal view {
        _everyMultiByteValue(fromSel, toSel, width, false);
    }

    function _everyMultiByteValue(uint256 fromSel, uint256 toSel, uint256 width, bool l1) internal view {
        bytes memory sch = harness.schema();
        for (uint256 sel = fromSel; sel < toSel; ++sel) {
            // Offsets of the varints in the zero one-byte layout (after Δts and selector).
            uint256 len;
            uint256[16] memory at;
            uint256 nv;
            for (uint256 f; f < 16; ++f) {
                uint8 code = uint8(sch[sel * 16 + f]);
                if (code == 0) break;
                if (code >= 0x80) {
                    len += code & 0x7f;
                } else {
                    at[nv++] = 2 + len;
                    ++len;
                }
            }
            if (sel == 10) len += 2;
            // the timestamp delta too (offset 0)
            for (uint256 k; k <= nv; ++k) {
                uint256 pos = k == nv ? 0 : at[k];
                // 01 ‖ 2 ops ‖ [Δts 02 ‖ sel ‖ zero body, the byte at pos made `width`] ‖ FundingTick
                bytes memory op = bytes.concat(hex"02", bytes1(uint8(sel)), new bytes(len));
                bytes memory wide = new bytes(op.length + width - 1);
                for (uint256 i; i < op.length; ++i) wide[i < pos ? i : i + width - 1] = op[i];
                bytes memory data = bytes.concat(hex"0102", wide, hex"000f0000");
                for (uint256 lead = 0x81; lead <= 0xff; lead += 0x7e) {
                    // leads 0x81 (0x80 after it) or 0xff (0xff after it)
                    data[2 + pos] = bytes1(uint8(lead));
                    for (uint256 j = 1; j + 1 < width; ++j) data[2 + pos + j] = bytes1(uint8(lead == 0x81 ? 0x80 : 0xff));
                    for (uint256 v; v < 256; ++v) {
                        data[1 + pos + width] = bytes1(uint8(v));
                        if (l1) _l1InputsAgree(data);
                        else _locateAgrees(data, 1, "multi-byte value");
                    }
                }
            }
        }
    }

    /// @notice Price points with ids of two and three bytes and two-byte prices.
    function test_locate_multiBytePricePoints_matchDecode() public view {
        for (uint256 v; v < 256; ++v) {
            // id 0xff ‖ v (two bytes, or three with 0x01 after when v ≥ 0x80), price 0x15
            _locateAgrees(bytes.concat(hex"0102020a0101" hex"07ff", bytes1(uint8(v)), hex"0115" hex"00" hex"000f0000"), 1, "id");
            // id 0xff 0xff v: three bytes (fits iff 1 ≤ v ≤ 3), or longer
            _locateAgrees(bytes.concat(hex"0102020a0101" hex"07ffff", bytes1(uint8(v)), hex"15" hex"00" hex"000f0000"), 1, "id3");
            // price 0x81 v: two bytes (or more)
            _locateAgrees(bytes.concat(hex"0102020a0101" hex"0705" hex"81", bytes1(uint8(v)), hex"00" hex"00" hex"000f0000"), 1, "price");
            _locateAgrees(bytes.concat(hex"0102020a0101" hex"0705" hex"ff", bytes1(uint8(v)), hex"00" hex"00" hex"000f0000"), 1, "price");
        }
    }

    /// @notice An oracle price point, every value of its id and price bytes.
    function test_locate_everyOneBytePricePoint_matchesDecode() public view {
        // OracleUpdate at ts 1: time code 1 (= ts), one point (kind 7, id, price), no signatures.
        bytes memory data = hex"010202"
            hex"0a" hex"01" hex"01" hex"070000" hex"00" hex"000f0000";
        for (uint256 pos = 8; pos <= 9; ++pos) {
            for (uint256 v; v < 256; ++v) {
                data[pos] = bytes1(uint8(v));
                _locateAgrees(data, 1, "price point");
            }
            data[pos] = 0;
        }
    }

    /// @notice Random edits of every valid fixture: a byte overwritten, inserted or removed,
    ///         read by tiers 1–2 (located op elsewhere) and by tier 3.
    function testFuzz_locate_editedFixtures_agreeWithDecode(uint256 which, uint256 at, uint8 value, uint8 how, uint256 index) public view {
        _locateAgrees(_edited(which, at, value, how), index % 24, "edited fixture");
    }

    /// @dev A valid fixture with a byte overwritten, inserted or removed.
    function _edited(uint256 which, uint256 at, uint8 value, uint8 how) internal view returns (bytes memory data) {
        uint256 n = _count(json, ".valid");
        bytes memory data = vm.parseJsonBytes(json, _k(".valid", which % n, ".data"));
        if (data.length == 0) return data;
        at %= data.length;
        if (how % 3 == 0) {
            data[at] = bytes1(value);
        } else if (how % 3 == 1) {
            bytes memory longer = new bytes(data.length + 1);
            for (uint256 i; i < data.length; ++i) longer[i < at ? i : i + 1] = data[i];
            longer[at] = bytes1(value);
            data = longer;
        } else {
            bytes memory shorter = new bytes(data.length - 1);
            for (uint256 i; i < shorter.length; ++i) shorter[i] = data[i < at ? i : i + 1];
            data = shorter;
        }
    }

    function testFuzz_locate_anyBytes_agreeWithDecode(bytes calldata raw, uint8 lead, uint256 index) public view {
        bytes memory data = lead % 2 == 0 && raw.length > 0 ? bytes.concat(hex"01", raw[1:]) : raw;
        _locateAgrees(data, index % 8, "random bytes");
    }
}

/// @title BatchCodec gas
/// @notice Decode gas of the reference-workload batches and the worst shapes, each checked
///         against the TypeScript bound (`decodeGasBound`, sequencer/codec/gas.ts), and the
///         submitBatch execution gas of posting each workload batch. One `gas` log line per
///         batch feeds bench/codec.ts: `gas <name> <ops> <dataHash> <decodeGas> <submitGas>`.
contract BatchCodecGasTest is Setup, BatchFixtureReader {
    BatchCodecHarness internal harness;

    function setUp() public {
        _setUp(keccak256("genesis"));
        harness = new BatchCodecHarness();
    }

    function test_gas_workloadBatches_withinBound() public {
        string memory w = _read(WORKLOAD);
        uint256 n = _count(w, ".valid");
        assertEq(n, 3, "three workload batches");
        for (uint256 i; i < n; ++i) {
            _workloadCase(w, i);
        }
    }

    function _workloadCase(string memory w, uint256 i) internal {
        string memory name = vm.parseJsonString(w, _k(".valid", i, ".name"));
        bytes memory data = vm.parseJsonBytes(w, _k(".valid", i, ".data"));
        uint256 ops = vm.parseJsonUint(w, _k(".valid", i, ".ops"));
        (bytes32 h, uint256 len, uint256 gasUsed) = harness.measure(data);
        assertEq(h, vm.parseJsonBytes32(w, _k(".valid", i, ".outHash")), name);
        assertEq(len, vm.parseJsonUint(w, _k(".valid", i, ".outLength")), name);
        assertLe(gasUsed, vm.parseJsonUint(w, _k(".valid", i, ".gasBound")), string.concat(name, ": decode gas above the bound"));
        uint256 submitGas = _submitGas(data, uint64(ops));
        console.log(
            string.concat("gas ", name, " ", vm.toString(ops), " ", vm.toString(keccak256(data)), " ", vm.toString(gasUsed), " ", vm.toString(submitGas))
        );
        // What a dispute's loadOp runs instead: the whole check, its last operation's bytes.
        (uint256 n, bytes32 opHash, uint256 locateGas) = harness.measureLocate(data, ops - 1);
        assertEq(n, ops, "locate count");
        assertEq(opHash, keccak256(harness.opAt(harness.decode(data), ops - 1)), "locate op");
        assertLe(locateGas, _locateGasBound(data.length), "locate gas above locateGasBound");
        console.log(string.concat("locate ", name, " ", vm.toString(locateGas)));
        // The same batch as Solady FastLZ of its SSZ bytes: size and decode gas, for comparison.
        bytes memory flz = harness.fastLzCompress(harness.decode(data));
        (bytes32 fh, uint256 flzGas) = harness.measureFastLz(flz);
        assertEq(fh, h, "FastLZ round trip");
        console.log(string.concat("fastlz ", name, " ", vm.toString(flz.length), " ", vm.toString(flzGas)));
    }

    function test_gas_worstShapes_withinBound() public {
        string memory json = _read(FIXTURE);
        uint256 n = _count(json, ".worst");
        uint256 limit = vm.parseJsonUint(json, ".gasLimit");
        for (uint256 i; i < n; ++i) {
            string memory name = vm.parseJsonString(json, _k(".worst", i, ".name"));
            bytes memory data = _repeat(vm.parseJsonBytes(json, _k(".worst", i, ".unit")), vm.parseJsonUint(json, _k(".worst", i, ".count")));
            (,, uint256 gasUsed) = harness.measure(data);
            assertLe(gasUsed, vm.parseJsonUint(json, _k(".worst", i, ".gasBound")), string.concat(name, ": decode gas above the bound"));
            assertLe(gasUsed, limit, string.concat(name, ": decode gas above the governed limit"));
            console.log(string.concat("gas ", name, " ", vm.toString(vm.parseJsonUint(json, _k(".worst", i, ".count"))), " ", vm.toString(keccak256(data)), " ", vm.toString(gasUsed), " 0"));
        }
    }

    /// @notice `locate` (what loadOp runs) on adversarial shapes: for every selector, data of
    ///         that operation only, ~16 KB, with every varint field one byte, two bytes (which
    ///         sends each operation through the field-by-field tier) or its longest valid
    ///         encoding; OracleUpdates carry 68 price points. The located operation is the last.
    ///         One line per shape: `locate <selector> <mode> <bytes> <gas> <gas per byte ×100>`.
    function test_gas_locate_everySelectorShape() public {
        bytes memory sch = harness.schema();
        uint256 worst;
        for (uint256 mode; mode < 4; ++mode) {
            for (uint256 sel; sel < 19; ++sel) {
                bytes memory unit = _shapeUnit(sch, sel, mode);
                uint256 count = (16_000 - 3) / unit.length;
                bytes memory data = _repeat(unit, count);
                (uint256 n,, uint256 gasUsed) = harness.measureLocate(data, count - 1);
                assertEq(n, count, "shape decodes");
                assertLe(gasUsed, _locateGasBound(data.length), "locate gas above locateGasBound");
                uint256 perByte100 = (gasUsed * 100) / data.length;
                if (perByte100 > worst) worst = perByte100;
                (,, uint256 decodeGas) = harness.measure(data);
                console.log(string.concat("locate ", vm.toString(sel), " ", vm.toString(mode), " ", vm.toString(data.length), " ", vm.toString(gasUsed), " ", vm.toString(perByte100), " decode ", vm.toString((decodeGas * 100) / data.length)));
            }
        }
        // Shapes the four modes miss: OracleUpdates without points (time one or two bytes),
        // FundingTicks with a two-byte delta alone and with market and premium of 1 to 4 bytes,
        // three-byte first fields of the next smallest operations, multi-byte decimals in them
        // (the random-shape fuzz test below found these near the top).
        bytes[14] memory extra = [
            bytes(hex"020a030000"),
            hex"020a81010000",
            hex"020f81800100", // FundingTick, market in 3 bytes
            hex"020f008101",
            hex"82010f0000",
            hex"020f00818001", // premium in 3 bytes
            hex"020f0081808001", // premium in 4 bytes
            hex"020f8180018101", // market 3, premium 2
            hex"02128180010000", // ForcedClose, queue index in 3 bytes
            hex"020e818001000000", // Deleverage, maker account in 3 bytes
            hex"021105050081808001", // ForcedWithdraw, amount (decimal 16) in 4 bytes
            hex"0211050500818001", // ... in 3 bytes
            hex"020e05050581808001", // Deleverage, size (decimal 8) in 4 bytes
            hex"0209050005008180800181808001" // Fill, price and size in 4 bytes
        ];
        for (uint256 k; k < extra.length; ++k) {
            uint256 count = (16_000 - 3) / extra[k].length;
            bytes memory data = _repeat(extra[k], count);
            (uint256 n,, uint256 gasUsed) = harness.measureLocate(data, count - 1);
            assertEq(n, count, "shape decodes");
            assertLe(gasUsed, _locateGasBound(data.length), "locate gas above locateGasBound");
            uint256 perByte100 = (gasUsed * 100) / data.length;
            if (perByte100 > worst) worst = perByte100;
            (,, uint256 decodeGas) = harness.measure(data);
            console.log(string.concat("locate extra ", vm.toString(k), " ", vm.toString(data.length), " ", vm.toString(gasUsed), " ", vm.toString(perByte100), " decode ", vm.toString((decodeGas * 100) / data.length)));
        }
        console.log("locate worst gas per byte x100", worst);
    }

    /// @notice `locateL1Inputs` (what proveDataFault's L1-input walk runs) on the same shapes as
    ///         `locate` above, plus L1 inputs whose queue index alone is two or three bytes (what
    ///         a long run of real queue items looks like): within `l1InputsGasBound`. One line per
    ///         shape: `l1Inputs <selector> <mode> <bytes> <gas per byte ×100>`.
    function test_gas_locateL1Inputs_everySelectorShape() public view {
        bytes memory sch = harness.schema();
        uint256 worst;
        for (uint256 mode; mode < 4; ++mode) {
            for (uint256 sel; sel < 19; ++sel) {
                bytes memory unit = _shapeUnit(sch, sel, mode);
                uint256 count = (16_000 - 3) / unit.length;
                uint256 perByte100 = _l1InputsPerByte100(_repeat(unit, count), count);
                if (perByte100 > worst) worst = perByte100;
                console.log(string.concat("l1Inputs ", vm.toString(sel), " ", vm.toString(mode), " ", vm.toString(count * unit.length), " ", vm.toString(perByte100)));
            }
        }
        bytes[10] memory extra = [
            bytes(hex"0012810100" hex"00"), // ForcedClose, queue index in 2 bytes
            hex"001281800100" hex"00", // ... in 3 bytes
            hex"00118101000000", // ForcedWithdraw, queue index in 2 bytes, amount 0
            hex"00118101000029", // ... amount 10
            hex"021281010000", // Δts +1
            hex"02128180010000",
            hex"0211050500818001",
            hex"021105050081808001",
            hex"0200810100" hex"0000000000000000000000000000000000000000" hex"0029", // Deposit
            hex"02018101" hex"0000" hex"0000000000000000000000000000000000000000000000000000000000000000" // ParamUpdate
        ];
        for (uint256 k; k < extra.length; ++k) {
            uint256 count = (16_000 - 3) / extra[k].length;
            uint256 perByte100 = _l1InputsPerByte100(_repeat(extra[k], count), count);
            if (perByte100 > worst) worst = perByte100;
            console.log(string.concat("l1Inputs extra ", vm.toString(k), " ", vm.toString(count * extra[k].length), " ", vm.toString(perByte100)));
        }
        console.log("l1Inputs worst gas per byte x100", worst);
    }

    /// @dev `locateL1Inputs` on `data` (`count` operations): checked against its bound (its
    ///      records against decode's in BatchCodecTest); returns its gas per data byte ×100.
    function _l1InputsPerByte100(bytes memory data, uint256 count) internal view returns (uint256) {
        (uint256 n,, uint256 gasUsed) = harness.measureL1Inputs(data);
        assertEq(n, count, "locateL1Inputs count");
        assertLe(gasUsed, _l1InputsGasBound(data.length), "locateL1Inputs gas above l1InputsGasBound");
        return (gasUsed * 100) / data.length;
    }

    /// @dev `locateGasBound` of sequencer/codec/gas.ts (gas.test.ts checks these constants
    ///      against it): fixed part, per data byte, and the EVM memory cost of the words touched.
    uint256 internal constant LOCATE_FIXED_GAS = 25_000;
    uint256 internal constant LOCATE_GAS_PER_BYTE = 300;
    uint256 internal constant MAX_OP_BYTES = 1_297;

    function _locateGasBound(uint256 len) internal pure returns (uint256) {
        uint256 words = 4 + 1 + (len + 31) / 32 + 1 + 10 + 19 + 2 * (1 + (MAX_OP_BYTES + 31) / 32 + 1); // 10: the 304-byte schema
        return LOCATE_FIXED_GAS + LOCATE_GAS_PER_BYTE * len + 3 * words + (words * words) / 512;
    }

    /// @dev `l1InputsGasBound` of sequencer/codec/gas.ts (gas.test.ts checks these constants
    ///      against it): `locateL1Inputs` writes a record (16 + up to 30 bytes for 6 data bytes,
    ///      a ForcedWithdraw's) where `locate` writes one located op.
    uint256 internal constant L1_INPUTS_FIXED_GAS = 25_000;
    uint256 internal constant L1_INPUTS_GAS_PER_BYTE = 420;

    function _l1InputsGasBound(uint256 len) internal pure returns (uint256) {
        uint256 words = 4 + 1 + (len + 31) / 32 + 1 + 10 + 19 + 2 * (1 + (MAX_OP_BYTES + 31) / 32 + 1) + 1 + ((46 * len + 5) / 6 + 31) / 32 + 1;
        return L1_INPUTS_FIXED_GAS + L1_INPUTS_GAS_PER_BYTE * len + 3 * words + (words * words) / 512;
    }

    /// @notice The worst shapes of `decode` at their fixture lengths, the largest at the cap.
    function test_gas_locate_decodeWorstShapes_withinBound() public view {
        string memory json = _read(FIXTURE);
        uint256 n = _count(json, ".worst");
        for (uint256 i; i < n; ++i) {
            uint256 count = vm.parseJsonUint(json, _k(".worst", i, ".count"));
            bytes memory data = _repeat(vm.parseJsonBytes(json, _k(".worst", i, ".unit")), count);
            (,, uint256 gasUsed) = harness.measureLocate(data, count - 1);
            assertLe(gasUsed, _locateGasBound(data.length), "locate gas above locateGasBound");
            console.log(string.concat("locate ", vm.parseJsonString(json, _k(".worst", i, ".name")), " ", vm.toString(gasUsed), " l1Inputs x100/byte ", vm.toString(_l1InputsPerByte100(data, count))));
        }
    }

    function test_gas_locate_fixedPart() public view {
        (,, uint256 empty) = harness.measureLocate(hex"0100", 0);
        (,, uint256 one) = harness.measureLocate(hex"0101000f0000", 0);
        console.log("locate fixed: empty batch", empty);
        console.log("locate fixed: one FundingTick, located", one);
    }

    /// @notice Random operation shapes (selector, and each varint's length drawn from what its
    ///         field allows, up to 4 bytes; price points likewise), one repeated over ~8 KB: within
    ///         `locateGasBound`. Searches for a costlier shape than the sweep above found.
    function testFuzz_gas_locate_randomShapes_withinBound(uint256 seed) public view {
        bytes memory sch = harness.schema();
        uint256 sel = seed % 19;
        seed /= 19;
        uint256 lt = 1 + (seed % 3);
        seed /= 3;
        bytes memory u = bytes.concat(_minimalOfLength(lt), bytes1(uint8(sel)));
        for (uint256 f; f < 16; ++f) {
            uint8 code = uint8(sch[sel * 16 + f]);
            if (code == 0) break;
            if (code >= 0x80) {
                u = bytes.concat(u, new bytes(code & 0x7f));
                continue;
            }
            u = bytes.concat(u, _randomField(code, seed % 4));
            seed /= 4;
        }
        if (sel == 10) {
            uint256 points = seed % 69;
            seed /= 69;
            u = bytes.concat(u, bytes1(uint8(points)));
            for (uint256 p; p < points; ++p) {
                u = bytes.concat(u, hex"07", _randomField(0x02, seed % 3), _randomField(0x28, (seed / 3) % 4));
            }
            u = bytes.concat(u, hex"00");
        }
        uint256 count = (8_000 - 3) / u.length;
        if (count == 0) count = 1;
        bytes memory data = _repeat(u, count);
        (uint256 n,, uint256 gasUsed) = harness.measureLocate(data, count - 1);
        assertEq(n, count, "shape decodes");
        assertLe(gasUsed, _locateGasBound(data.length), "locate gas above locateGasBound");
        _l1InputsPerByte100(data, count);
    }

    /// @dev The minimal LEB128 of 2^(7(len−1)) (len bytes; 1 for len 1), doubled for the
    ///      timestamp delta's zigzag: a positive delta of `len` bytes.
    function _minimalOfLength(uint256 len) internal pure returns (bytes memory) {
        return len == 1 ? bytes(hex"02") : _leb128(uint256(1) << (7 * (len - 1)));
    }

    /// @dev A valid value of the field `code` whose varint takes `1 + pick` bytes (fewer when
    ///      the field allows fewer): uints and signed 2^(7k), times ts + 2^(7k−1), decimals
    ///      2^(7k) + 1 (canonical and in range for both widths at these lengths).
    function _randomField(uint8 code, uint256 pick) internal pure returns (bytes memory) {
        uint256 len = 1 + pick;
        if (code == 0x02 && len > 3) len = 3; // uint 2: at most 3 bytes
        if (len == 1) {
            if (code == 0x48) return hex"01"; // the timestamp itself
            if (code == 0x28) return hex"15"; // 10: m 1, e 1 (B = 20)
            if (code == 0x30) return hex"29"; // 10: m 1, e 1 (B = 40)
            return hex"05";
        }
        uint256 x = uint256(1) << (7 * (len - 1));
        if (code == 0x28 || code == 0x30 || code == 0x48) x += 1;
        return _leb128(x);
    }

    /// @dev One operation: Δts, selector, each field coded per `mode` (0: one byte, 1: two
    ///      bytes, 2: longest valid varint, 3: one byte but the first varint field, or each
    ///      price point's id, two bytes), raw fields zero.
    function _shapeUnit(bytes memory sch, uint256 sel, uint256 mode) internal pure returns (bytes memory u) {
        // Δts +1 ms (one byte) or +65 ms (two bytes): times below stay after the timestamp.
        u = mode == 0 || mode == 3 ? bytes.concat(hex"02", bytes1(uint8(sel))) : bytes.concat(hex"8201", bytes1(uint8(sel)));
        bool first = true;
        for (uint256 f; f < 16; ++f) {
            uint8 code = uint8(sch[sel * 16 + f]);
            if (code == 0) break;
            // mode 3: only the first varint field two bytes (the least data that leaves tier 1)
            u = bytes.concat(u, _shapeField(code, mode == 3 ? (first && code < 0x80 && sel != 10 ? 1 : 0) : mode));
            if (code < 0x80) first = false;
        }
        if (sel == 10) {
            u = bytes.concat(u, hex"44");
            for (uint256 p; p < 68; ++p) {
                u = bytes.concat(u, hex"07", _shapeField(0x02, mode == 3 ? 1 : mode), _shapeField(0x28, mode == 3 ? 0 : mode));
            }
            u = bytes.concat(u, hex"00");
        }
    }

    function _shapeField(uint8 code, uint256 mode) internal pure returns (bytes memory) {
        if (code >= 0x80) return new bytes(code & 0x7f);
        if (mode == 0) {
            // a one-byte value that exercises the field's checks: a time after the timestamp,
            // decimals 10 (m 1, e 1)
            if (code == 0x48) return hex"03";
            if (code == 0x28) return hex"15";
            if (code == 0x30) return hex"29";
            return hex"7f";
        }
        if (mode == 1) return hex"8101"; // 129: in range for every coding
        uint256 x;
        if (code < 0x20) x = (uint256(1) << (8 * code)) - 1; // largest uint
        else if (code == 0x28) x = uint256(type(uint64).max) * 20; // m = 2^64 - 1, e = 0
        else if (code == 0x30) x = uint256(type(uint128).max) * 40;
        else if (code == 0x48) x = (uint256(1) << 63) + 1; // ts + 2^62
        else x = type(uint64).max; // signed: zigzag of −2^63
        return _leb128(x);
    }


    /// @dev Execution gas of one submitBatch call (the CALL included, the 21k base and calldata not).
    function _submitGas(bytes memory data, uint64 ops) internal returns (uint256 g) {
        Rollup.BatchHeader memory h = _nextHeader(keccak256(data), data);
        h.opCount = ops;
        bytes memory call = abi.encodeCall(Rollup.submitBatch, (h, data));
        vm.prank(sequencer);
        g = gasleft();
        (bool ok,) = address(rollup).call(call);
        g -= gasleft();
        assertTrue(ok, "submitBatch");
    }
}
