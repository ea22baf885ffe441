// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OneStepVectors} from "./lib/OneStepVectors.sol";
import {OneStepProver} from "../src/OneStepProver.sol";
import {OneStepDeploy} from "../script/OneStepDeploy.sol";
import {Witness} from "../src/onestep/Witness.sol";
import {OneStepBase} from "../src/onestep/OneStepBase.sol";

/// @title One-step prover differential tests
/// @notice Replays the golden vectors of contracts/script/gen-onestep-fixtures.ts (random single
///         operations on random states, accepted and refused, run through the TypeScript STF)
///         through `OneStepProver.execute` (as deployed: routing to its parts) and requires the
///         TypeScript post-root from every one.
///         contracts/test/ts/onestep-fixture.test.ts keeps the vectors equal to a fresh run.
contract OneStepProverTest is OneStepVectors {
    function _load(string memory name) internal returns (OneStepProver prover, string memory json, uint256 n) {
        uint256 chainId;
        address rollup;
        (json, chainId, rollup, n) = _fixture(name);
        prover = OneStepDeploy.deploy(chainId, rollup);
    }

    /// @dev The vectors of `name` through the deployed prover (every part behind its router).
    function _replay(string memory name) internal {
        _replay(name, name);
    }

    function _replay(string memory name, string memory label) internal {
        (OneStepProver prover, string memory json, uint256 n) = _load(name);
        _replay(prover, json, n, label);
    }

    function test_deposit() public {
        _replay("Deposit");
    }

    function test_oracleUpdate() public {
        _replay("OracleUpdate");
    }

    function test_fundingTick() public {
        _replay("FundingTick");
    }

    function test_placeOrder() public {
        _replay("PlaceOrder");
    }

    function test_fill() public {
        _replay("Fill");
    }

    function test_setMarginMode() public {
        _replay("SetMarginMode");
    }

    function test_adjustIsolatedMargin() public {
        _replay("AdjustIsolatedMargin");
    }

    function test_setPortfolioMargin() public {
        _replay("SetPortfolioMargin");
    }

    function test_forcedClose() public {
        _replay("ForcedClose");
    }

    function test_forcedWithdraw() public {
        _replay("ForcedWithdraw");
    }

    function test_withdraw() public {
        _replay("Withdraw");
    }

    function test_transfer() public {
        _replay("Transfer");
    }

    function test_grantSessionKey() public {
        _replay("GrantSessionKey");
    }

    function test_revokeSessionKey() public {
        _replay("RevokeSessionKey");
    }

    function test_cancelOrder() public {
        _replay("CancelOrder");
    }

    function test_cancelAll() public {
        _replay("CancelAll");
    }

    /// @dev Accounts with positions in all 64 markets: the largest witnesses (gas logged per vector).
    function test_paramUpdate() public {
        _replay("ParamUpdate");
    }

    /// @dev ParamUpdate has 24 keys: 640 more vectors of the same draw on another seed
    ///      (contracts/script/gen-onestep-params-sweep.ts) reach every key accepted and refused.
    function test_paramUpdateSweep() public {
        _replay("ParamUpdate-sweep", "ParamUpdate_sweep");
    }

    function test_liquidate() public {
        _replay("Liquidate");
    }

    function test_deleverage() public {
        _replay("Deleverage");
    }

    /// @dev The worst cases the random vectors do not reach: accounts with positions in all 64
    ///      markets (`wide`: Fill, PlaceOrder, Withdraw, SetPortfolioMargin; `wide-risk`: a target
    ///      liquidated or deleveraged). Gas logged per vector, no 2M assertion: they measure it.
    function test_wide() public {
        _replayWide("wide");
        _replayWide("wide-risk");
    }

    function _replayWide(string memory name) internal {
        (OneStepProver prover, string memory json, uint256 n) = _load(name);
        _replayWide(prover, json, n);
    }

    /// @dev The zero-subtree roots `Witness.zeroHash` keeps as constants equal the hashed ones.
    function test_zeroHashes() public view {
        bytes32 h;
        for (uint256 height; height <= 12; ++height) {
            assertEq(Witness.zeroHash(height), h, string.concat("zero_hashes[", vm.toString(height), "]"));
            h = sha256(abi.encodePacked(h, h));
        }
    }

    // ================================================================ bad witnesses revert

    function _first(string memory opType) internal returns (OneStepProver prover, Vector memory v) {
        string memory json;
        (prover, json,) = _load(opType);
        v = _vector(json, 0);
    }

    function _expectSelector(OneStepProver prover, bytes32 root, bytes memory op, bytes memory witness, bytes4 selector)
        internal
        view
    {
        try prover.execute(root, op, witness) returns (bytes32) {
            fail("did not revert");
        } catch (bytes memory err) {
            assertEq(bytes32(bytes4(err)), bytes32(selector), "revert reason");
        }
    }

    function test_revertsOnWrongPreRoot() public {
        (OneStepProver prover, Vector memory v) = _first("Deposit");
        bytes32 wrong = keccak256("not the root");
        _expectSelector(prover, wrong, v.opBytes, v.witness, Witness.WitnessRootMismatch.selector);
    }

    function test_revertsOnTamperedNode() public {
        (OneStepProver prover, Vector memory v) = _first("CancelAll");
        (uint256[] memory g, bytes32[] memory nodes) = abi.decode(v.witness, (uint256[], bytes32[]));
        nodes[nodes.length / 2] ^= bytes32(uint256(1));
        _expectSelector(prover, v.preRoot, v.opBytes, abi.encode(g, nodes), Witness.WitnessRootMismatch.selector);
    }

    function test_revertsOnMissingNode() public {
        (OneStepProver prover, Vector memory v) = _first("GrantSessionKey");
        (uint256[] memory g, bytes32[] memory nodes) = abi.decode(v.witness, (uint256[], bytes32[]));
        // Dropping a node leaves its sibling alone: not a multiproof.
        uint256[] memory g2 = new uint256[](g.length - 1);
        bytes32[] memory n2 = new bytes32[](g.length - 1);
        for (uint256 i; i < g2.length; ++i) {
            (g2[i], n2[i]) = (g[i + 1], nodes[i + 1]);
        }
        _expectSelector(prover, v.preRoot, v.opBytes, abi.encode(g2, n2), Witness.WitnessMalformed.selector);
    }

    function test_revertsOnNodeAlsoComputable() public {
        (OneStepProver prover, Vector memory v) = _first("Withdraw");
        (uint256[] memory g, bytes32[] memory nodes) = abi.decode(v.witness, (uint256[], bytes32[]));
        // Add the parent of the deepest pair (with its true value): given and computable.
        uint256 parent = g[0] >> 1;
        bytes32 parentNode = sha256(abi.encodePacked(nodes[1], nodes[0]));
        uint256[] memory g2 = new uint256[](g.length + 1);
        bytes32[] memory n2 = new bytes32[](g.length + 1);
        uint256 j;
        for (uint256 i; i < g.length; ++i) {
            if (j == i && g[i] < parent) {
                (g2[j], n2[j]) = (parent, parentNode);
                ++j;
            }
            (g2[j], n2[j]) = (g[i], nodes[i]);
            ++j;
        }
        assertEq(j, g.length + 1, "parent inserted");
        _expectSelector(prover, v.preRoot, v.opBytes, abi.encode(g2, n2), Witness.WitnessMalformed.selector);
    }

    function test_revertsOnUnsupportedType() public {
        (OneStepProver prover, Vector memory v) = _first("Deposit");
        bytes memory op = v.opBytes;
        op[12] = bytes1(uint8(19)); // past the last of the 19 operation types (selectors 0-18)
        vm.expectRevert(abi.encodeWithSelector(OneStepBase.UnsupportedOperation.selector, uint8(19)));
        prover.execute(v.preRoot, op, v.witness);
    }
}
