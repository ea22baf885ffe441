// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Setup} from "./lib/Setup.sol";
import {Governance} from "../src/Governance.sol";
import {Rollup} from "../src/Rollup.sol";
import {L1Inputs} from "../src/lib/L1Inputs.sol";
import {MockERC20} from "../src/test/MockERC20.sol";

/// @title Governance tests
/// @notice The timelock, every parameter's bounds and maximum step, and STF parameter updates
///         travelling through the L1 queue.
contract GovernanceTest is Setup {
    function setUp() public {
        _setUp(keccak256("genesis"));
    }

    /// @notice Schedules `call` and expects its execution to revert with `err`.
    function _expectTimelockRevert(bytes memory call, bytes memory err) internal {
        vm.prank(owner);
        (, uint256 salt) = governance.schedule(call);
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert(abi.encodeWithSelector(Governance.CallFailed.selector, err));
        governance.execute(call, salt);
    }

    // ================================================================ timelock

    function test_schedule_notOwner_reverts() public {
        vm.expectRevert(Governance.NotOwner.selector);
        governance.schedule(abi.encodeCall(Governance.setSequencer, (alice)));
    }

    function test_execute_beforeDelay_reverts() public {
        bytes memory call = abi.encodeCall(Governance.setSequencer, (alice));
        vm.prank(owner);
        (bytes32 id, uint256 salt) = governance.schedule(call);
        vm.warp(block.timestamp + DELAY - 1);
        vm.expectRevert(abi.encodeWithSelector(Governance.NotReady.selector, id, block.timestamp + 1));
        governance.execute(call, salt);
    }

    function test_execute_succeeds() public {
        _timelock(abi.encodeCall(Governance.setSequencer, (alice)));
        assertEq(rollup.sequencer(), alice, "sequencer");
    }

    function test_execute_twice_reverts() public {
        bytes memory call = abi.encodeCall(Governance.setSequencer, (alice));
        vm.prank(owner);
        (bytes32 id, uint256 salt) = governance.schedule(call);
        vm.warp(block.timestamp + DELAY);
        governance.execute(call, salt);
        vm.expectRevert(abi.encodeWithSelector(Governance.NotReady.selector, id, 0));
        governance.execute(call, salt);
    }

    function test_cancel_succeeds() public {
        bytes memory call = abi.encodeCall(Governance.setSequencer, (alice));
        vm.prank(owner);
        (bytes32 id, uint256 salt) = governance.schedule(call);
        vm.prank(owner);
        governance.cancel(id);
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert(abi.encodeWithSelector(Governance.NotReady.selector, id, 0));
        governance.execute(call, salt);
    }

    function test_cancel_notOwner_reverts() public {
        vm.expectRevert(Governance.NotOwner.selector);
        governance.cancel(bytes32(0));
    }

    function test_setters_notTimelocked_reverts() public {
        vm.startPrank(owner);
        vm.expectRevert(Governance.NotTimelocked.selector);
        governance.setL1Param(Rollup.Param.ChallengeWindow, 1 days);
        vm.expectRevert(Governance.NotTimelocked.selector);
        governance.setSequencer(alice);
        vm.expectRevert(Governance.NotTimelocked.selector);
        governance.updateStfParam(1, 0, bytes32(0));
        vm.expectRevert(Governance.NotTimelocked.selector);
        governance.setDelay(3 days);
        vm.expectRevert(Governance.NotTimelocked.selector);
        governance.transferOwnership(alice);
        vm.expectRevert(Governance.NotTimelocked.selector);
        governance.listAsset(alice, 18, 0);
        vm.expectRevert(Governance.NotTimelocked.selector);
        governance.setDisputeGame(alice);
        vm.expectRevert(Governance.NotTimelocked.selector);
        governance.sweepFees(alice);
        vm.stopPrank();
    }

    function test_init_twice_reverts() public {
        vm.expectRevert(Governance.AlreadyInitialized.selector);
        governance.init(rollup, vault);
    }

    // ================================================================ L1 parameters

    function test_setL1Param_succeeds() public {
        _timelock(abi.encodeCall(Governance.setL1Param, (Rollup.Param.MaxBatchGap, 18 hours)));
        assertEq(uint256(rollup.maxBatchGap()), 18 hours, "gap");
        _timelock(abi.encodeCall(Governance.setL1Param, (Rollup.Param.SequencerBond, 5 ether)));
        assertEq(uint256(rollup.sequencerBond()), 5 ether, "bond");
        _timelock(abi.encodeCall(Governance.setL1Param, (Rollup.Param.BatchInterval, 10)));
        assertEq(uint256(rollup.batchInterval()), 10, "interval");
    }

    function test_setL1Param_outOfBounds_reverts() public {
        _expectTimelockRevert(
            abi.encodeCall(Governance.setL1Param, (Rollup.Param.ForcedOpFee, 0.2 ether)),
            abi.encodeWithSelector(Governance.OutOfBounds.selector, 0.2 ether, 0, 0.1 ether)
        );
    }

    function test_setL1Param_stepTooLarge_reverts() public {
        _expectTimelockRevert(
            abi.encodeCall(Governance.setL1Param, (Rollup.Param.InclusionDeadline, 3 days)),
            abi.encodeWithSelector(Governance.StepTooLarge.selector, 1 days, 3 days, 1 days)
        );
    }

    function test_setL1Param_windowAboveDelay_reverts() public {
        _timelock(abi.encodeCall(Governance.setDelay, (1 days)));
        _expectTimelockRevert(
            abi.encodeCall(Governance.setL1Param, (Rollup.Param.ChallengeWindow, 1 days + 1 hours)),
            abi.encodeWithSelector(Governance.DelayBelowChallengeWindow.selector, 1 days, 1 days + 1 hours)
        );
    }

    /// @notice Any value within bounds and one step is accepted; anything else is refused.
    function testFuzz_setL1Param_boundsAndStep_succeeds(uint8 p, uint256 value) public {
        Rollup.Param param = Rollup.Param(bound(p, 0, 7));
        Governance.Bound memory b = governance.bounds(param);
        value = bound(value, 0, b.max * 2);
        uint256 current = _current(param);
        bool ok = value >= b.min && value <= b.max && (value > current ? value - current : current - value) <= b.maxStep
            && !(param == Rollup.Param.ChallengeWindow && value > DELAY);
        bytes memory call = abi.encodeCall(Governance.setL1Param, (param, value));
        vm.prank(owner);
        (, uint256 salt) = governance.schedule(call);
        vm.warp(block.timestamp + DELAY);
        if (!ok) vm.expectRevert();
        governance.execute(call, salt);
        if (ok) assertEq(_current(param), value, "set");
    }

    function _current(Rollup.Param p) internal view returns (uint256) {
        if (p == Rollup.Param.BatchInterval) return rollup.batchInterval();
        if (p == Rollup.Param.MaxBatchSize) return rollup.maxBatchSize();
        if (p == Rollup.Param.ChallengeWindow) return rollup.challengeWindow();
        if (p == Rollup.Param.InclusionDeadline) return rollup.inclusionDeadline();
        if (p == Rollup.Param.MaxBatchGap) return rollup.maxBatchGap();
        if (p == Rollup.Param.SequencerBond) return rollup.sequencerBond();
        if (p == Rollup.Param.ForcedOpFee) return rollup.forcedOpFee();
        return rollup.exitWindow();
    }

    function test_setDelay_succeeds() public {
        _timelock(abi.encodeCall(Governance.setDelay, (3 days)));
        assertEq(uint256(governance.delay()), 3 days, "delay");
    }

    function test_setDelay_belowWindow_reverts() public {
        _expectTimelockRevert(
            abi.encodeCall(Governance.setDelay, (23 hours)),
            abi.encodeWithSelector(Governance.DelayBelowChallengeWindow.selector, 23 hours, 1 days)
        );
    }

    function test_transferOwnership_succeeds() public {
        _timelock(abi.encodeCall(Governance.transferOwnership, (alice)));
        assertEq(governance.owner(), alice, "owner");
    }

    // ================================================================ STF parameters

    function test_updateStfParam_scalar_succeeds() public {
        // 120,000 ms little-endian: c0 d4 01
        bytes32 value = bytes32(hex"c0d401");
        _timelock(abi.encodeCall(Governance.updateStfParam, (1, 0, value)));
        assertEq(governance.stfScalar(1), 120_000, "shadow");
        bytes32 expected = keccak256(abi.encodePacked(bytes32(0), L1Inputs.paramUpdate(0, 1, 0, value)));
        assertEq(rollup.queueChainAt(1), expected, "enqueued");
    }

    function test_updateStfParam_step_reverts() public {
        // maxOracleAgeMs 60,000 -> 1,000,000 is more than one 600,000 step.
        bytes32 value = bytes32(hex"40420f");
        _expectTimelockRevert(
            abi.encodeCall(Governance.updateStfParam, (1, 0, value)),
            abi.encodeWithSelector(Governance.StepTooLarge.selector, 60_000, 1_000_000, 600_000)
        );
    }

    function test_updateStfParam_riskScalar_succeeds() public {
        // Liquidation penalty 1% -> 1.5% (15,000 = 0x3a98 little-endian 98 3a), within one 0.5% step.
        bytes32 value = bytes32(hex"983a");
        _timelock(abi.encodeCall(Governance.updateStfParam, (30, 0, value)));
        assertEq(governance.stfScalar(30), 15_000, "shadow");
    }

    function test_updateStfParam_riskStep_reverts() public {
        // Max funding rate 4% -> 6% is more than one 1% step.
        bytes32 value = bytes32(hex"60ea");
        _expectTimelockRevert(
            abi.encodeCall(Governance.updateStfParam, (36, 0, value)),
            abi.encodeWithSelector(Governance.StepTooLarge.selector, 40_000, 60_000, 10_000)
        );
    }

    function test_updateStfParam_groupShock_succeeds() public {
        // Group 1 shock 25% -> 20% (200,000 = 0x030d40).
        _timelock(abi.encodeCall(Governance.updateStfParam, (39, 1, bytes32(hex"400d03"))));
        assertEq(governance.groupShockPpm(1), 200_000, "shadow");
    }

    function test_updateStfParam_badGroup_reverts() public {
        _expectTimelockRevert(
            abi.encodeCall(Governance.updateStfParam, (40, 0, bytes32(hex"08"))),
            abi.encodeWithSelector(Governance.BadParamUpdate.selector, 40, 0)
        );
    }

    function test_updateStfParam_tier_succeeds() public {
        // BTC tier 0: cap 1,000,000e6 = 0xe8d4a51000, imf 120,000 (0x01d4c0), mmf 60,000 (0xea60).
        bytes32 value = bytes32(hex"0010a5d4e8000000c0d40100_60ea0000_00");
        _timelock(abi.encodeCall(Governance.updateStfParam, (12, 0, value)));
        assertEq(governance.tierImfPpm(0), 120_000, "imf");
        assertEq(governance.tierMmfPpm(0), 60_000, "mmf");
    }

    function test_updateStfParam_tierStep_reverts() public {
        // imf 100,000 -> 200,000 in one go.
        bytes32 value = bytes32(hex"0010a5d4e8000000400d0300_50c30000_00");
        _expectTimelockRevert(
            abi.encodeCall(Governance.updateStfParam, (12, 0, value)),
            abi.encodeWithSelector(Governance.StepTooLarge.selector, 100_000, 200_000, 50_000)
        );
    }

    function test_updateStfParam_listMarket_succeeds() public {
        // tick 1e6, lot 1e4 (tick*lot = 1e10, a multiple of 1e8), imf 10%, mmf 5%.
        bytes32 value = bytes32(hex"40420f0000000000_1027000000000000_a0860100_50c30000");
        _timelock(abi.encodeCall(Governance.updateStfParam, (13, 2, value)));
        assertEq(governance.marketCount(), 3, "listed");
    }

    function test_updateStfParam_badMarket_reverts() public {
        bytes32 value = bytes32(hex"40420f0000000000_1027000000000000_a0860100_50c30000");
        _expectTimelockRevert(
            abi.encodeCall(Governance.updateStfParam, (13, 5, value)),
            abi.encodeWithSelector(Governance.BadParamUpdate.selector, uint16(13), uint16(5))
        );
    }

    function test_updateStfParam_unknownKey_reverts() public {
        _expectTimelockRevert(
            abi.encodeCall(Governance.updateStfParam, (21, 2, bytes32(0))),
            abi.encodeWithSelector(Governance.BadParamUpdate.selector, uint16(21), uint16(2))
        );
    }

    function test_updateStfParam_oracleSigner_succeeds() public {
        bytes32 value = bytes32(bytes20(alice));
        _timelock(abi.encodeCall(Governance.updateStfParam, (5, 1, value)));
        assertEq(rollup.queueLength(), 1, "enqueued");
    }

    function test_updateStfParam_assetWeight_succeeds() public {
        // 800,000 -> 750,000 (0x0b71b0)
        _timelock(abi.encodeCall(Governance.updateStfParam, (20, 1, bytes32(hex"b0710b"))));
        assertEq(governance.assetWeightPpm(1), 750_000, "weight");
    }

    function test_listAsset_succeeds() public {
        MockERC20 wbtc = new MockERC20("WBTC", "WBTC", 8);
        _timelock(abi.encodeCall(Governance.listAsset, (address(wbtc), 8, 700_000)));
        assertEq(vault.tokens(2), address(wbtc), "vault token");
        // value: decimals u8 at byte 0, weight u32 at bytes 8..11 (700,000 = 0x0aae60).
        bytes32 value = bytes32(hex"080000000000000060ae0a00");
        bytes32 expected = keccak256(abi.encodePacked(bytes32(0), L1Inputs.paramUpdate(0, 21, 2, value)));
        assertEq(rollup.queueChainAt(1), expected, "LIST_ASSET enqueued");
    }
}
