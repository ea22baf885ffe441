// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./Test.sol";
import {console} from "./console.sol";
import {IOneStepProver} from "../../src/IOneStepProver.sol";

/// @dev `vm.parseJson` (the generic cheatcode, absent from our Vm.sol): the value at `key`,
///      ABI-encoded; an object's fields in alphabetical order.
interface VmJson {
    function parseJson(string calldata json, string calldata key) external pure returns (bytes memory);
}

/// @notice Measures one `execute` from a frame of its own: the test's frame holds megabytes of
///         decoded vectors, and encoding a call's arguments above them would be charged the
///         quadratic memory cost there, inflating the figure with the harness's memory.
contract ExecuteGasMeter {
    function measure(IOneStepProver prover, bytes32 preRoot, bytes calldata opBytes, bytes calldata witness)
        external
        view
        returns (bytes32 postRoot, uint256 used)
    {
        uint256 before = gasleft();
        postRoot = prover.execute(preRoot, opBytes, witness);
        used = before - gasleft();
    }
}

/// @title OneStepVectors
/// @notice The one-step golden vectors (contracts/test/fixtures/onestep-<name>.json, written by
///         contracts/script/gen-onestep-*.ts) for the prover's and its parts' tests: reading
///         them, and replaying them with the differential assertions.
abstract contract OneStepVectors is Test {
    struct Vector {
        string name;
        bytes32 preRoot;
        bytes opBytes;
        bytes witness;
        bytes32 postRoot;
        bool accepted;
    }

    /// @dev A vector as `vm.parseJson` encodes it (fields in alphabetical order of their keys).
    struct JsonVector {
        uint256 accepted;
        string name;
        bytes opBytes;
        bytes32 postRoot;
        bytes32 preRoot;
        string reason;
        bytes witness;
    }

    /// @dev The fixture file's JSON, and its signing domain (chain id, Rollup) and vector count.
    function _fixture(string memory name)
        internal
        view
        returns (string memory json, uint256 chainId, address rollup, uint256 n)
    {
        json = vm.readFile(string.concat(vm.projectRoot(), "/contracts/test/fixtures/onestep-", name, ".json"));
        chainId = vm.parseJsonUint(json, ".chainId");
        rollup = vm.parseJsonAddress(json, ".rollup");
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

    /// @dev Every vector of the file, parsed once (a sweep file is megabytes, and every
    ///      cheatcode call copies it).
    function _vectors(string memory json) internal pure returns (JsonVector[] memory) {
        return abi.decode(VmJson(address(vm)).parseJson(json, ".vectors"), (JsonVector[]));
    }

    /// @dev Every vector's post-root from `prover` must be the TypeScript one, an accepted vector
    ///      must change the root, each within 2M gas, and the file must hold accepted and
    ///      refused vectors; logs the gas of the dearest accepted and refused vector under
    ///      `label` (`onestep_gas_<label> max accepted|refused`, which bench/dispute.ts reads).
    function _replay(IOneStepProver prover, string memory json, uint256 n, string memory label) internal {
        JsonVector[] memory all = _vectors(json);
        assertGt(n, 0, "no vectors");
        assertEq(all.length, n, "count");
        ExecuteGasMeter meter = new ExecuteGasMeter();
        uint256 maxAccepted;
        uint256 maxRefused;
        uint256 accepted;
        for (uint256 i; i < n; ++i) {
            JsonVector memory v = all[i];
            bytes32 post;
            uint256 used;
            try meter.measure(prover, v.preRoot, v.opBytes, v.witness) returns (bytes32 p, uint256 g) {
                (post, used) = (p, g);
            } catch (bytes memory err) {
                console.logBytes(err);
                fail(string.concat(v.name, ": reverted (revert data logged)"));
            }
            assertEq(post, v.postRoot, v.name);
            if (v.accepted == 1) {
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
        console.log(string.concat("onestep_gas_", label, " max accepted"), maxAccepted);
        console.log(string.concat("onestep_gas_", label, " max refused"), maxRefused);
        console.log(string.concat("onestep vectors ", label), n);
        console.log(string.concat("onestep accepted ", label), accepted);
    }

    /// @dev The worst cases (accounts in all 64 markets): every post-root equal and every vector
    ///      accepted; gas logged per vector (`onestep_gas_<vector name>`), no 2M assertion.
    function _replayWide(IOneStepProver prover, string memory json, uint256 n) internal {
        JsonVector[] memory all = _vectors(json);
        assertEq(all.length, n, "count");
        ExecuteGasMeter meter = new ExecuteGasMeter();
        for (uint256 i; i < n; ++i) {
            JsonVector memory v = all[i];
            (bytes32 post, uint256 used) = meter.measure(prover, v.preRoot, v.opBytes, v.witness);
            assertEq(post, v.postRoot, v.name);
            assertEq(v.accepted, 1, v.name);
            console.log(string.concat("onestep_gas_", v.name), used);
        }
    }
}
