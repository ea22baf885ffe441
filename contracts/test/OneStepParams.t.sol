// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OneStepVectors} from "./lib/OneStepVectors.sol";
import {OneStepParams} from "../src/onestep/OneStepParams.sol";
import {OneStepBase} from "../src/onestep/OneStepBase.sol";
import {Witness} from "../src/onestep/Witness.sol";

/// @title OneStepParams part tests
/// @notice What the ParamUpdate part does on its own: it executes only ParamUpdate and reverts
///         on a malformed body or a witness that does not prove the pre-root. Its golden vectors
///         (contracts/script/onestep-draw-params.ts, and the 640-vector sweep of
///         gen-onestep-params-sweep.ts) are replayed through the deployed prover in
///         OneStepProver.t.sol.
contract OneStepParamsTest is OneStepVectors {
    function _load(string memory name) internal returns (OneStepParams part, string memory json, uint256 n) {
        uint256 chainId;
        address rollup;
        (json, chainId, rollup, n) = _fixture(name);
        part = new OneStepParams(chainId, rollup);
    }

    // ================================================================ what the part refuses to judge

    function _first() internal returns (OneStepParams part, Vector memory v) {
        string memory json;
        (part, json,) = _load("ParamUpdate");
        v = _vector(json, 0);
    }

    function _expectSelector(OneStepParams part, bytes32 root, bytes memory op, bytes memory witness, bytes4 selector)
        internal
        view
    {
        try part.execute(root, op, witness) returns (bytes32) {
            fail("did not revert");
        } catch (bytes memory err) {
            assertEq(bytes32(bytes4(err)), bytes32(selector), "revert reason");
        }
    }

    function test_supportsOnlyParamUpdate() public {
        (OneStepParams part,) = _first();
        for (uint256 s; s < 256; ++s) {
            assertEq(part.isSupported(uint8(s)), s == 1, "isSupported");
        }
    }

    function test_revertsOnOtherOperationTypes() public {
        (OneStepParams part, Vector memory v) = _first();
        bytes memory op = v.opBytes;
        op[12] = bytes1(uint8(0)); // a Deposit selector on ParamUpdate bytes
        _expectSelector(part, v.preRoot, op, v.witness, OneStepBase.UnsupportedOperation.selector);
    }

    function test_revertsOnMalformedBody() public {
        (OneStepParams part, Vector memory v) = _first();
        bytes memory short = new bytes(v.opBytes.length - 1);
        for (uint256 i; i < short.length; ++i) {
            short[i] = v.opBytes[i];
        }
        _expectSelector(part, v.preRoot, short, v.witness, OneStepBase.OpMalformed.selector);
        bytes memory long = bytes.concat(v.opBytes, hex"00");
        _expectSelector(part, v.preRoot, long, v.witness, OneStepBase.OpMalformed.selector);
    }

    function test_revertsOnWrongPreRoot() public {
        (OneStepParams part, Vector memory v) = _first();
        _expectSelector(part, keccak256("not the root"), v.opBytes, v.witness, Witness.WitnessRootMismatch.selector);
    }

    function test_revertsOnTamperedNode() public {
        (OneStepParams part, Vector memory v) = _first();
        (uint256[] memory g, bytes32[] memory nodes) = abi.decode(v.witness, (uint256[], bytes32[]));
        nodes[nodes.length / 2] ^= bytes32(uint256(1));
        _expectSelector(part, v.preRoot, v.opBytes, abi.encode(g, nodes), Witness.WitnessRootMismatch.selector);
    }
}
