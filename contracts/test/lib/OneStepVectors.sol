// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./Test.sol";

/// @title OneStepVectors
/// @notice Reading the one-step golden vectors (contracts/test/fixtures/onestep-<name>.json,
///         written by contracts/script/gen-onestep-*.ts) for the prover's and its parts' tests.
abstract contract OneStepVectors is Test {
    struct Vector {
        string name;
        bytes32 preRoot;
        bytes opBytes;
        bytes witness;
        bytes32 postRoot;
        bool accepted;
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
}
