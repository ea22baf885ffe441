// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OneStepVectors} from "./lib/OneStepVectors.sol";
import {OneStepRisk} from "../src/onestep/OneStepRisk.sol";
import {OneStepBase} from "../src/onestep/OneStepBase.sol";

/// @title OneStepRisk part tests
/// @notice What the Liquidate/Deleverage part does on its own: it executes only its two types
///         and reverts on a malformed body. Its golden vectors (drawn by
///         contracts/script/onestep-draw-risk.ts and gen-onestep-risk-wide.ts) are replayed
///         through the deployed prover in OneStepProver.t.sol.
contract OneStepRiskTest is OneStepVectors {
    function _load(string memory name) internal returns (OneStepRisk part, string memory json, uint256 n) {
        uint256 chainId;
        address rollup;
        (json, chainId, rollup, n) = _fixture(name);
        part = new OneStepRisk(chainId, rollup);
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
