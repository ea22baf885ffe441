// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./lib/Test.sol";
import {console} from "./lib/console.sol";
import {OneStepParams} from "../src/onestep/OneStepParams.sol";
import {OneStepBase} from "../src/onestep/OneStepBase.sol";
import {Witness} from "../src/onestep/Witness.sol";
import {IOneStepProver} from "../src/IOneStepProver.sol";
import {IOneStepPart} from "../src/onestep/IOneStepPart.sol";
import {OneStepProver} from "../src/OneStepProver.sol";

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

/// @title One-step ParamUpdate differential tests
/// @notice Replays the ParamUpdate golden vectors (contracts/script/gen-onestep-fixtures.ts with
///         contracts/script/onestep-draw-params.ts: random states, one governance update each,
///         accepted and refused, run through the TypeScript STF) through `OneStepParams.execute`
///         and requires the TypeScript post-root from every one. onestep-ParamUpdate.json is the
///         standard 40-vector file; onestep-ParamUpdate-sweep.json has more vectors of the same
///         draw (another seed) so that every key meets accepted and refused values.
contract OneStepParamsTest is Test {
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

    function _path(string memory file) internal view returns (string memory) {
        return string.concat(vm.projectRoot(), "/contracts/test/fixtures/onestep-", file, ".json");
    }

    function _load(string memory file) internal returns (OneStepParams part, string memory json, uint256 n) {
        json = vm.readFile(_path(file));
        part = new OneStepParams(vm.parseJsonUint(json, ".chainId"), vm.parseJsonAddress(json, ".rollup"));
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

    /// @dev Every vector's post-root (as OneStepProver.t.sol `_replay`); logs the gas of the
    ///      dearest accepted and refused vector under `label` (the `execute` call measured
    ///      from a fresh frame, `ExecuteGasMeter`).
    function _replay(string memory file, string memory label) internal {
        (OneStepParams part, string memory json, uint256 n) = _load(file);
        assertGt(n, 0, "no vectors");
        // One parse for the whole file: the sweep is megabytes, and every cheatcode call copies it.
        JsonVector[] memory all =
            abi.decode(VmJson(address(vm)).parseJson(json, ".vectors"), (JsonVector[]));
        assertEq(all.length, n, "count");
        ExecuteGasMeter meter = new ExecuteGasMeter();
        uint256 maxAccepted;
        uint256 maxRefused;
        uint256 accepted;
        for (uint256 i; i < n; ++i) {
            JsonVector memory j = all[i];
            Vector memory v = Vector(j.name, j.preRoot, j.opBytes, j.witness, j.postRoot, j.accepted == 1);
            bytes32 post;
            uint256 used;
            try meter.measure(part, v.preRoot, v.opBytes, v.witness) returns (bytes32 p, uint256 g) {
                (post, used) = (p, g);
            } catch (bytes memory err) {
                console.logBytes(err);
                fail(string.concat(v.name, ": reverted (revert data logged)"));
            }
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
        console.log(string.concat("onestep_gas_", label, " max accepted"), maxAccepted);
        console.log(string.concat("onestep_gas_", label, " max refused"), maxRefused);
        console.log(string.concat("onestep vectors ", label), n);
        console.log(string.concat("onestep accepted ", label), accepted);
    }

    function test_paramUpdate() public {
        _replay("ParamUpdate", "ParamUpdate");
    }

    function test_paramUpdateSweep() public {
        _replay("ParamUpdate-sweep", "ParamUpdate_sweep");
    }

    /// @dev As a part of the router: `OneStepProver` forwards ParamUpdate to it and returns its roots.
    function test_routedThroughOneStepProver() public {
        (OneStepParams part, string memory json, uint256 n) = _load("ParamUpdate");
        IOneStepPart[] memory parts = new IOneStepPart[](1);
        parts[0] = IOneStepPart(address(part));
        OneStepProver prover =
            new OneStepProver(vm.parseJsonUint(json, ".chainId"), vm.parseJsonAddress(json, ".rollup"), parts);
        assertTrue(prover.isSupported(1), "ParamUpdate supported through the part");
        for (uint256 i; i < n; ++i) {
            Vector memory v = _vector(json, i);
            assertEq(prover.execute(v.preRoot, v.opBytes, v.witness), v.postRoot, v.name);
        }
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
