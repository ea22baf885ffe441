// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./lib/Test.sol";
import {console} from "./lib/console.sol";
import {OneStepRisk} from "../src/onestep/OneStepRisk.sol";
import {OneStepBase} from "../src/onestep/OneStepBase.sol";

/// @title OneStepRisk differential tests
/// @notice Replays the Liquidate and Deleverage golden vectors of
///         contracts/script/gen-onestep-fixtures.ts (drawn by contracts/script/onestep-draw-risk.ts:
///         targets below maintenance, bankrupt, flat with debt, paced, stale...) through
///         `OneStepRisk.execute` and requires the TypeScript post-root from every one, as
///         OneStepProver.t.sol does for the other types.
contract OneStepRiskTest is Test {
    struct Vector {
        string name;
        bytes32 preRoot;
        bytes opBytes;
        bytes witness;
        bytes32 postRoot;
        bool accepted;
    }

    function _load(string memory opType) internal returns (OneStepRisk part, string memory json, uint256 n) {
        json = vm.readFile(string.concat(vm.projectRoot(), "/contracts/test/fixtures/onestep-", opType, ".json"));
        part = new OneStepRisk(vm.parseJsonUint(json, ".chainId"), vm.parseJsonAddress(json, ".rollup"));
        n = vm.parseJsonUint(json, ".count");
    }

    function _vector(string memory json, uint256 i) internal pure returns (Vector memory v) {
        string memory k = string.concat(".vectors[", vm.toString(i), "]");
        v.name = vm.parseJsonString(json, string.concat(k, ".name"));
        v.preRoot = vm.parseJsonBytes32(json, string.concat(k, ".preRoot"));
        v.opBytes = vm.parseJsonBytes(json, string.concat(k, ".opBytes"));
        v.witness = vm.parseJsonBytes(json, string.concat(k, ".witness"));
        v.postRoot = vm.parseJsonBytes32(json, string.concat(k, ".postRoot"));
        v.accepted = vm.parseJsonUint(json, string.concat(k, ".accepted")) == 1;
    }

    /// @dev Every vector's post-root; logs the gas of the dearest accepted and refused vector.
    function _replay(string memory opType) internal {
        (OneStepRisk part, string memory json, uint256 n) = _load(opType);
        assertGt(n, 0, "no vectors");
        uint256 maxAccepted;
        uint256 maxRefused;
        uint256 accepted;
        for (uint256 i; i < n; ++i) {
            Vector memory v = _vector(json, i);
            uint256 before = gasleft();
            bytes32 post;
            try part.execute(v.preRoot, v.opBytes, v.witness) returns (bytes32 p) {
                post = p;
            } catch (bytes memory err) {
                console.logBytes(err);
                fail(string.concat(v.name, ": reverted (revert data logged)"));
            }
            uint256 used = before - gasleft();
            assertEq(post, v.postRoot, v.name);
            if (v.accepted) {
                ++accepted;
                assertTrue(post != v.preRoot, string.concat(v.name, ": accepted but unchanged"));
                if (used > maxAccepted) maxAccepted = used;
            } else if (used > maxRefused) {
                maxRefused = used;
            }
            assertLe(used, 2_000_000, string.concat(v.name, ": over the 2M gas target"));
        }
        assertGt(accepted, 0, "no accepted vector");
        assertLt(accepted, n, "no refused vector");
        console.log(string.concat("onestep_gas_", opType, " max accepted"), maxAccepted);
        console.log(string.concat("onestep_gas_", opType, " max refused"), maxRefused);
        console.log(string.concat("onestep vectors ", opType), n);
        console.log(string.concat("onestep accepted ", opType), accepted);
    }

    function test_liquidate() public {
        _replay("Liquidate");
    }

    function test_deleverage() public {
        _replay("Deleverage");
    }

    /// @dev A target with positions in all 64 markets (cross, portfolio, isolated; below
    ///      maintenance or bankrupt): the largest witnesses (gas logged per vector, no 2M
    ///      assertion: like OneStepProver.t.sol `test_wide`, these measure the worst case).
    function test_wide() public {
        (OneStepRisk part, string memory json, uint256 n) = _load("wide-risk");
        for (uint256 i; i < n; ++i) {
            Vector memory v = _vector(json, i);
            uint256 before = gasleft();
            bytes32 post = part.execute(v.preRoot, v.opBytes, v.witness);
            uint256 used = before - gasleft();
            assertEq(post, v.postRoot, v.name);
            assertTrue(v.accepted, v.name);
            console.log(string.concat("onestep_gas_", v.name), used);
        }
    }

    /// @dev Only Liquidate and Deleverage: any other selector is refused by revert, not executed.
    function test_supportsOnlyRiskOperations() public {
        (OneStepRisk part, string memory json,) = _load("Deleverage");
        assertTrue(part.isSupported(13), "Liquidate");
        assertTrue(part.isSupported(14), "Deleverage");
        for (uint8 s; s < 19; ++s) {
            if (s != 13 && s != 14) assertFalse(part.isSupported(s), "another selector");
        }
        Vector memory v = _vector(json, 0);
        bytes memory op = v.opBytes;
        op[12] = bytes1(uint8(9)); // Fill
        vm.expectRevert(abi.encodeWithSelector(OneStepBase.UnsupportedOperation.selector, uint8(9)));
        part.execute(v.preRoot, op, v.witness);
    }

    /// @dev A body of the wrong length is malformed (a revert), not a refusal.
    function test_revertsOnMalformedBody() public {
        (OneStepRisk part, string memory json,) = _load("Deleverage");
        Vector memory v = _vector(json, 0);
        bytes memory op = bytes.concat(v.opBytes, hex"00");
        vm.expectRevert(abi.encodeWithSelector(OneStepBase.OpMalformed.selector, uint8(14), op.length));
        part.execute(v.preRoot, op, v.witness);
    }
}
