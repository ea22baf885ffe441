// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FixtureBase} from "./ProofFixture.t.sol";
import {Rollup} from "../src/Rollup.sol";
import {Vault} from "../src/Vault.sol";
import {StateProofs} from "../src/lib/StateProofs.sol";

/// @title Gas bench
/// @notice One successful call of each L1 entry point on the real STF fixture, so that
///         `forge test --gas-report --match-contract GasBench` (contracts/script/gas-to-bench.ts)
///         reports exactly one representative figure per function: no reverts, no fuzz inputs.
contract GasBenchTest is FixtureBase {
    function test_gasBench_lifecycle_succeeds() public {
        // deposit (first deposits register accounts; the gas report keeps the median),
        // then a batch of 128 KB of data, a claim, a forced withdrawal.
        uint256 batchIndex = _replayAndPost();
        (StateProofs.Withdrawal memory w, bytes32[] memory proof) = _withdrawal(0);
        vault.claimWithdrawal(batchIndex, 0, w, proof);
        address who = vm.parseJsonAddress(json, ".accounts[0].owner");
        vm.deal(who, 1 ether);
        vm.prank(who);
        vault.forceWithdraw{value: 0.001 ether}(0, 0, 1e6);
        vm.prank(who);
        vault.forceClose{value: 0.001 ether}(0, 0);
        // freeze, prove prices, exit every account, settle, pay out.
        vm.warp(block.timestamp + rollup.maxBatchGap() + 1);
        rollup.freeze();
        for (uint256 m; m < _count(".markets"); ++m) {
            vault.proveMarket(
                uint16(m),
                uint64(vm.parseJsonUint(json, _k(".markets", m, ".price"))),
                int64(vm.parseJsonInt(json, _k(".markets", m, ".fundingIndex"))),
                vm.parseJsonBytes32Array(json, _k(".markets", m, ".priceProof")),
                vm.parseJsonBytes32Array(json, _k(".markets", m, ".fundingProof"))
            );
        }
        StateProofs.Asset memory r = StateProofs.Asset({
            decimals: uint8(vm.parseJsonUint(json, ".assets[1].decimals")),
            weightPpm: uint32(vm.parseJsonUint(json, ".assets[1].weightPpm")),
            oraclePrice: uint64(vm.parseJsonUint(json, ".assets[1].oraclePrice")),
            oracleTimestamp: uint64(vm.parseJsonUint(json, ".assets[1].oracleTimestamp"))
        });
        vault.proveAsset(1, r, vm.parseJsonBytes32Array(json, ".assets[1].proof"));
        for (uint256 k; k < _count(".accounts"); ++k) {
            vault.exit(_exitProof(k));
        }
        vm.warp(uint256(rollup.frozenAt()) + rollup.exitWindow());
        vault.settle();
        for (uint256 id; id < vault.claimCount(); ++id) {
            vault.payout(id);
        }
    }

    function test_gasBench_submitBatch128k_succeeds() public {
        bytes memory data = new bytes(128 * 1024);
        Rollup.BatchHeader memory h = _nextHeader(keccak256("s1"), data);
        vm.prank(sequencer);
        rollup.submitBatch(h, data);
    }
}
