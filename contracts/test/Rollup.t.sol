// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Setup} from "./lib/Setup.sol";
import {Governance} from "../src/Governance.sol";
import {Rollup} from "../src/Rollup.sol";
import {L1Inputs} from "../src/lib/L1Inputs.sol";

/// @title Rollup tests
/// @notice Batches (submission, finality, rollback), the queue, bonds and freeze, with an honest
///         sequencer, a dishonest one (bad headers) and the dispute game.
contract RollupTest is Setup {
    bytes32 internal constant GENESIS = keccak256("genesis");

    function setUp() public {
        _setUp(GENESIS);
        _fund(alice, 1_000e6, 10 ether);
    }

    // ================================================================ submitBatch

    function test_submitBatch_succeeds() public {
        vm.prank(alice);
        vault.deposit(0, 100e6);
        Rollup.BatchHeader memory h = _nextHeader(keccak256("s1"), hex"01");
        vm.prank(sequencer);
        rollup.submitBatch(h, hex"01");
        Rollup.Batch memory b = rollup.batch(1);
        assertEq(b.headerHash, keccak256(abi.encode(h)), "header hash");
        assertEq(b.stateRoot, keccak256("s1"), "state root");
        assertEq(uint256(b.queuePosition), 1, "queue position");
        assertEq(rollup.nextBatchIndex(), 2, "next index");
        assertFalse(rollup.isFinalized(1), "not final yet");
        vm.warp(block.timestamp + rollup.challengeWindow());
        assertTrue(rollup.isFinalized(1), "final after the window");
        assertEq(rollup.finalizedStateRoot(1), keccak256("s1"), "final root");
    }

    function test_submitBatch_genesisIsFinal_succeeds() public view {
        assertTrue(rollup.isFinalized(0), "genesis final");
        assertEq(rollup.batch(0).headerHash, keccak256(abi.encode(rollup.genesisHeader(GENESIS))), "genesis hash");
    }

    function test_submitBatch_notSequencer_reverts() public {
        Rollup.BatchHeader memory h = _nextHeader(keccak256("s1"), "");
        vm.prank(alice);
        vm.expectRevert(Rollup.NotSequencer.selector);
        rollup.submitBatch(h, "");
    }

    function test_submitBatch_noBond_reverts() public {
        _timelock(abi.encodeCall(Governance.setSequencer, (bob)));
        Rollup.BatchHeader memory h = _nextHeader(keccak256("s1"), "");
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(Rollup.InsufficientBond.selector, 0, 1 ether));
        rollup.submitBatch(h, "");
    }

    function _expectBadHeader(Rollup.BatchHeader memory h, bytes memory data, string memory field) internal {
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BadHeader.selector, field));
        rollup.submitBatch(h, data);
    }

    function test_submitBatch_badLinks_reverts() public {
        Rollup.BatchHeader memory h = _nextHeader(keccak256("s1"), "");
        h.batchIndex = 2;
        _expectBadHeader(h, "", "batchIndex");
        h = _nextHeader(keccak256("s1"), "");
        h.parentHash = bytes32(uint256(1));
        _expectBadHeader(h, "", "parentHash");
        h = _nextHeader(keccak256("s1"), "");
        h.prevStateRoot = bytes32(uint256(1));
        _expectBadHeader(h, "", "prevStateRoot");
        h = _nextHeader(keccak256("s1"), "");
        h.dataHash = bytes32(uint256(1));
        _expectBadHeader(h, "", "dataHash");
        h = _nextHeader(keccak256("s1"), "");
        h.l1Timestamp -= 1;
        _expectBadHeader(h, "", "l1Timestamp");
    }

    function test_submitBatch_queuePastEnd_reverts() public {
        Rollup.BatchHeader memory h = _nextHeader(keccak256("s1"), "");
        h.queuePosition = 1;
        _expectBadHeader(h, "", "queuePosition");
    }

    function test_submitBatch_queueBackwards_reverts() public {
        vm.startPrank(alice);
        vault.deposit(0, 1e6);
        vault.deposit(0, 1e6);
        vm.stopPrank();
        _submit(keccak256("s1")); // consumes both
        Rollup.BatchHeader memory h = _nextHeader(keccak256("s2"), "");
        h.queuePosition = 1;
        h.queueChainHash = rollup.queueChainAt(1);
        _expectBadHeader(h, "", "queuePosition");
    }

    function test_submitBatch_wrongChainHash_reverts() public {
        vm.prank(alice);
        vault.deposit(0, 1e6);
        Rollup.BatchHeader memory h = _nextHeader(keccak256("s1"), "");
        h.queueChainHash = keccak256("forged");
        _expectBadHeader(h, "", "queueChainHash");
    }

    function test_submitBatch_partialQueue_succeeds() public {
        vm.startPrank(alice);
        vault.deposit(0, 1e6);
        vault.deposit(0, 2e6);
        vm.stopPrank();
        Rollup.BatchHeader memory h = _nextHeader(keccak256("s1"), "");
        h.queuePosition = 1;
        h.queueChainHash = rollup.queueChainAt(1);
        vm.prank(sequencer);
        rollup.submitBatch(h, "");
        assertEq(uint256(rollup.batch(1).queuePosition), 1, "one consumed");
    }

    function test_submitBatch_tooLarge_reverts() public {
        Rollup.BatchHeader memory h = _nextHeader(keccak256("s1"), "");
        h.opCount = 10_001;
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchTooLarge.selector, 10_001, 10_000));
        rollup.submitBatch(h, "");
    }

    function test_submitBatch_frozen_reverts() public {
        vm.warp(block.timestamp + rollup.maxBatchGap() + 1);
        rollup.freeze();
        Rollup.BatchHeader memory h = _nextHeader(keccak256("s1"), "");
        vm.prank(sequencer);
        vm.expectRevert(Rollup.Frozen.selector);
        rollup.submitBatch(h, "");
    }

    // ================================================================ invalidate

    function test_invalidate_rollsBackLaterBatches_succeeds() public {
        _submit(keccak256("s1"));
        _submit(keccak256("bad"));
        _submit(keccak256("s3"));
        uint256 gameBefore = game.balance;
        vm.prank(game);
        rollup.invalidate(2);
        assertEq(rollup.nextBatchIndex(), 2, "head is batch 1");
        assertEq(game.balance - gameBefore, 1 ether, "bond slashed to the game");
        assertEq(rollup.bondOf(sequencer), 0, "bond gone");
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownBatch.selector, 2));
        rollup.batch(2);
        // The sequencer re-bonds and re-posts from the last valid root.
        vm.prank(sequencer);
        rollup.postBond{value: 1 ether}();
        Rollup.BatchHeader memory h = _nextHeader(keccak256("good"), "");
        assertEq(h.prevStateRoot, keccak256("s1"), "re-post from s1");
        vm.prank(sequencer);
        rollup.submitBatch(h, "");
        assertEq(rollup.batch(2).stateRoot, keccak256("good"), "replaced");
    }

    function test_invalidate_notGame_reverts() public {
        _submit(keccak256("s1"));
        vm.prank(alice);
        vm.expectRevert(Rollup.NotDisputeGame.selector);
        rollup.invalidate(1);
    }

    function test_invalidate_finalized_reverts() public {
        _submitFinal(keccak256("s1"));
        vm.prank(game);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BatchFinalized.selector, 1));
        rollup.invalidate(1);
    }

    function test_invalidate_unknownOrGenesis_reverts() public {
        vm.startPrank(game);
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownBatch.selector, 0));
        rollup.invalidate(0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownBatch.selector, 1));
        rollup.invalidate(1);
        vm.stopPrank();
    }

    // ================================================================ bonds

    function test_postBond_succeeds() public {
        vm.deal(bob, 1 ether);
        vm.prank(bob);
        rollup.postBond{value: 0.5 ether}();
        assertEq(rollup.bondOf(bob), 0.5 ether, "bond");
    }

    function test_withdrawBond_succeeds() public {
        _submitFinal(keccak256("s1"));
        _timelock(abi.encodeCall(Governance.setSequencer, (bob)));
        uint256 before = sequencer.balance;
        vm.prank(sequencer);
        rollup.withdrawBond();
        assertEq(sequencer.balance - before, 1 ether, "bond returned");
    }

    function test_withdrawBond_whileSequencer_reverts() public {
        vm.prank(sequencer);
        vm.expectRevert(Rollup.BondLocked.selector);
        rollup.withdrawBond();
    }

    function test_withdrawBond_unfinalBatch_reverts() public {
        _submit(keccak256("s1"));
        vm.prank(owner);
        (, uint256 salt) = governance.schedule(abi.encodeCall(Governance.setSequencer, (bob)));
        vm.warp(block.timestamp + DELAY);
        _submit(keccak256("s2")); // still the sequencer until the change executes
        governance.execute(abi.encodeCall(Governance.setSequencer, (bob)), salt);
        vm.prank(sequencer);
        vm.expectRevert(Rollup.BondLocked.selector);
        rollup.withdrawBond();
    }

    // ================================================================ queue

    function test_enqueue_notWriter_reverts() public {
        bytes memory item = L1Inputs.deposit(0, 0, alice, 0, 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotQueueWriter.selector, alice, uint8(0)));
        rollup.enqueue(item);
        // Governance may not enqueue deposits (it holds no tokens).
        vm.prank(address(governance));
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotQueueWriter.selector, address(governance), uint8(0)));
        rollup.enqueue(item);
    }

    function test_enqueue_wrongIndex_reverts() public {
        vm.prank(address(vault));
        vm.expectRevert(abi.encodeWithSelector(Rollup.BadQueueIndex.selector, 0, 5));
        rollup.enqueue(L1Inputs.deposit(5, 0, alice, 0, 1));
    }

    function test_enqueue_succeeds() public {
        bytes memory item = L1Inputs.forcedClose(0, 3, 7);
        vm.prank(address(vault));
        rollup.enqueue(item);
        assertEq(rollup.queueLength(), 1, "length");
        assertEq(rollup.queueChainAt(1), keccak256(abi.encodePacked(bytes32(0), item)), "chain");
        assertEq(rollup.enqueuedAt(0), block.timestamp, "time");
    }

    /// @notice The queue's chain equals a reference fold over the same items, for any deposits.
    function testFuzz_queueChain_matchesReference_succeeds(uint128[8] memory amounts, uint8 n) public {
        n = uint8(bound(n, 1, 8));
        bytes32 chain;
        usdc.mint(alice, type(uint128).max);
        vm.prank(alice);
        usdc.approve(address(vault), type(uint256).max);
        for (uint256 i; i < n; ++i) {
            uint128 amount = uint128(bound(amounts[i], 1, uint128(type(int128).max) / 8));
            vm.prank(alice);
            vault.deposit(0, amount);
            chain = keccak256(abi.encodePacked(chain, _referenceDeposit(uint64(i), 0, alice, 0, amount)));
            assertEq(rollup.queueChainAt(i + 1), chain, "chain");
        }
    }

    /// @notice Byte-by-byte reference encoding of a Deposit (selector 0, little-endian fields).
    function _referenceDeposit(uint64 q, uint32 account, address who, uint8 asset, uint128 amount)
        internal
        pure
        returns (bytes memory out)
    {
        out = new bytes(50);
        out[0] = 0x00;
        for (uint256 i; i < 8; ++i) {
            out[1 + i] = bytes1(uint8(q >> (8 * i)));
        }
        for (uint256 i; i < 4; ++i) {
            out[9 + i] = bytes1(uint8(account >> (8 * i)));
        }
        for (uint256 i; i < 20; ++i) {
            out[13 + i] = bytes20(who)[i];
        }
        out[33] = bytes1(asset);
        for (uint256 i; i < 16; ++i) {
            out[34 + i] = bytes1(uint8(amount >> (8 * i)));
        }
    }

    // ================================================================ freeze

    function test_freeze_inclusionDeadline_succeeds() public {
        vm.prank(alice);
        vault.deposit(0, 1e6);
        // Batches keep coming every 6 hours, but none consumes the deposit.
        for (uint256 i; i < 5; ++i) {
            vm.warp(block.timestamp + 6 hours);
            Rollup.BatchHeader memory h = _nextHeader(keccak256(abi.encode(i)), "");
            h.queuePosition = 0;
            h.queueChainHash = bytes32(0);
            vm.prank(sequencer);
            rollup.submitBatch(h, "");
        }
        rollup.freeze();
        assertEq(uint256(rollup.freezeReason()), uint256(Rollup.FreezeReason.InclusionDeadlineMissed), "reason");
        // Batch 1 (posted 24 h ago) is final; batches 2..5 are dropped.
        assertEq(rollup.exitBatchIndex(), 1, "last final batch");
        assertEq(rollup.nextBatchIndex(), 2, "unfinal batches dropped");
    }

    function test_freeze_batchGap_succeeds() public {
        _submitFinal(keccak256("s1"));
        _submit(keccak256("s2"));
        vm.warp(block.timestamp + rollup.maxBatchGap() + 1);
        rollup.freeze();
        assertEq(uint256(rollup.freezeReason()), uint256(Rollup.FreezeReason.BatchGapExceeded), "reason");
        // s2 was posted maxBatchGap (12 h) ago, inside the 1-day window: the exit root is s1.
        assertEq(rollup.exitBatchIndex(), 1, "last final batch");
        assertEq(rollup.nextBatchIndex(), 2, "unfinal batches dropped");
        assertTrue(rollup.frozen(), "frozen");
    }

    function test_freeze_live_reverts() public {
        vm.prank(alice);
        vault.deposit(0, 1e6);
        vm.warp(block.timestamp + 1 hours);
        _submit(keccak256("s1"));
        vm.expectRevert(Rollup.NotFreezable.selector);
        rollup.freeze();
    }

    function test_freeze_twice_reverts() public {
        vm.warp(block.timestamp + rollup.maxBatchGap() + 1);
        rollup.freeze();
        vm.expectRevert(Rollup.Frozen.selector);
        rollup.freeze();
    }

    // ================================================================ access

    function test_setParam_notGovernance_reverts() public {
        vm.expectRevert(Rollup.NotGovernance.selector);
        rollup.setParam(Rollup.Param.ChallengeWindow, 1);
        vm.expectRevert(Rollup.NotGovernance.selector);
        rollup.setSequencer(alice);
        vm.expectRevert(Rollup.NotGovernance.selector);
        rollup.setDisputeGame(alice);
    }

    function test_initVault_twice_reverts() public {
        vm.expectRevert(Rollup.VaultAlreadySet.selector);
        rollup.initVault(alice);
    }

    function test_finalizedStateRoot_unfinal_reverts() public {
        _submit(keccak256("s1"));
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownBatch.selector, 1));
        rollup.finalizedStateRoot(1);
    }
}
