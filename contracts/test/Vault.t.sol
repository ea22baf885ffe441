// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Setup, StateBuilder} from "./lib/Setup.sol";
import {Governance} from "../src/Governance.sol";
import {Rollup} from "../src/Rollup.sol";
import {Vault} from "../src/Vault.sol";
import {L1Inputs} from "../src/lib/L1Inputs.sol";
import {StateLayout as L} from "../src/lib/StateLayout.sol";
import {StateProofs} from "../src/lib/StateProofs.sol";
import {SSZ} from "../src/lib/SSZ.sol";

/// @title Vault tests
/// @notice Deposits, forced operations, withdrawal claims against synthetic states, and the
///         exit phases. Exits of real STF accounts are in ProofFixture.t.sol.
contract VaultTest is Setup {
    StateProofs.Withdrawal[] internal ws;

    function setUp() public {
        _setUp(keccak256("genesis"));
        _fund(alice, 1_000_000e6, 100 ether);
        _fund(bob, 1_000_000e6, 100 ether);
        vm.deal(alice, 1 ether);
    }

    // ================================================================ deposit

    function test_deposit_registersAccounts_succeeds() public {
        vm.prank(alice);
        (uint32 a, uint64 q) = vault.deposit(0, 500e6);
        vm.prank(bob);
        (uint32 b,) = vault.deposit(1, 2 ether);
        vm.prank(alice);
        (uint32 a2, uint64 q2) = vault.deposit(1, 1 ether);
        assertEq(uint256(a), 0, "alice first");
        assertEq(uint256(b), 1, "bob next");
        assertEq(uint256(a2), 0, "alice keeps her index");
        assertEq(uint256(q), 0, "queue 0");
        assertEq(uint256(q2), 2, "queue 2");
        assertEq(usdc.balanceOf(address(vault)), 500e6, "usdc held");
        assertEq(weth.balanceOf(address(vault)), 3 ether, "weth held");
        assertEq(uint256(vault.accountOf(bob)), 1, "accountOf");
        assertEq(vault.accountCount(), 2, "count");
        bytes32 c = keccak256(abi.encodePacked(bytes32(0), L1Inputs.deposit(0, 0, alice, 0, 500e6)));
        c = keccak256(abi.encodePacked(c, L1Inputs.deposit(1, 1, bob, 1, 2 ether)));
        c = keccak256(abi.encodePacked(c, L1Inputs.deposit(2, 0, alice, 1, 1 ether)));
        assertEq(rollup.queueChainAt(3), c, "chain");
    }

    function test_deposit_unknownAsset_reverts() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Vault.UnknownAsset.selector, 2));
        vault.deposit(2, 1);
    }

    function test_deposit_badAmount_reverts() public {
        vm.startPrank(alice);
        vm.expectRevert(Vault.BadAmount.selector);
        vault.deposit(0, 0);
        vm.expectRevert(Vault.BadAmount.selector);
        vault.deposit(0, uint128(type(int128).max) + 1);
        vm.stopPrank();
    }

    function test_deposit_frozen_reverts() public {
        vm.warp(block.timestamp + rollup.maxBatchGap() + 1);
        rollup.freeze();
        vm.prank(alice);
        vm.expectRevert(Vault.WrongPhase.selector);
        vault.deposit(0, 1);
    }

    function test_accountOf_unknown_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Vault.NotAccountOwner.selector, type(uint32).max));
        vault.accountOf(bob);
    }

    // ================================================================ forced operations

    function test_forceWithdraw_succeeds() public {
        vm.startPrank(alice);
        vault.deposit(0, 500e6);
        uint64 q = vault.forceWithdraw{value: 0.001 ether}(0, 0, 100e6);
        vm.stopPrank();
        assertEq(uint256(q), 1, "queue index");
        bytes32 expected = keccak256(abi.encodePacked(rollup.queueChainAt(1), L1Inputs.forcedWithdraw(1, 0, 0, 100e6)));
        assertEq(rollup.queueChainAt(2), expected, "chain");
        assertEq(address(vault).balance, 0.001 ether, "fee kept");
    }

    function test_forceWithdraw_notOwner_reverts() public {
        vm.prank(alice);
        vault.deposit(0, 500e6);
        vm.deal(bob, 1 ether);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(Vault.NotAccountOwner.selector, 0));
        vault.forceWithdraw{value: 0.001 ether}(0, 0, 1);
    }

    function test_forceWithdraw_wrongFee_reverts() public {
        vm.startPrank(alice);
        vault.deposit(0, 500e6);
        vm.expectRevert(abi.encodeWithSelector(Vault.WrongFee.selector, 0, 0.001 ether));
        vault.forceWithdraw(0, 0, 1);
        vm.stopPrank();
    }

    function test_forceClose_succeeds() public {
        vm.startPrank(alice);
        vault.deposit(0, 500e6);
        uint64 q = vault.forceClose{value: 0.001 ether}(0, 1);
        vm.stopPrank();
        bytes32 expected = keccak256(abi.encodePacked(rollup.queueChainAt(1), L1Inputs.forcedClose(1, 0, 1)));
        assertEq(rollup.queueChainAt(2), expected, "chain");
        assertEq(uint256(q), 1, "queue index");
    }

    function test_forceClose_badMarket_reverts() public {
        vm.startPrank(alice);
        vault.deposit(0, 500e6);
        vm.expectRevert(abi.encodeWithSelector(Vault.BadPositions.selector, 64));
        vault.forceClose{value: 0.001 ether}(0, 64);
        vm.stopPrank();
    }

    function test_forceClose_unconsumed_freezes_succeeds() public {
        vm.startPrank(alice);
        vault.deposit(0, 500e6);
        vault.forceClose{value: 0.001 ether}(0, 0);
        vm.stopPrank();
        vm.warp(block.timestamp + 6 hours);
        _submit(keccak256("s1")); // consumes both
        vm.prank(alice);
        vault.forceClose{value: 0.001 ether}(0, 0);
        for (uint256 i; i < 4; ++i) {
            vm.warp(block.timestamp + 6 hours + 1);
            Rollup.BatchHeader memory h = _nextHeader(keccak256(abi.encode(i)), "");
            h.queuePosition = 2;
            h.queueChainHash = rollup.queueChainAt(2);
            vm.prank(sequencer);
            rollup.submitBatch(h, "");
        }
        rollup.freeze();
        assertEq(uint256(rollup.freezeReason()), uint256(Rollup.FreezeReason.InclusionDeadlineMissed), "censored");
    }

    // ================================================================ withdrawals

    function _withdrawals() internal {
        ws.push(StateProofs.Withdrawal(0, alice, 0, 100e6));
        ws.push(StateProofs.Withdrawal(1, bob, 1, 1 ether));
        ws.push(StateProofs.Withdrawal(0, alice, 1, 0.5 ether));
    }

    function _depositAll() internal {
        vm.prank(alice);
        vault.deposit(0, 1_000e6);
        vm.prank(bob);
        vault.deposit(1, 10 ether);
        vm.prank(alice);
        vault.deposit(1, 1 ether);
    }

    function test_claimWithdrawal_succeeds() public {
        _depositAll();
        _withdrawals();
        (bytes32 root, bytes32[] memory proof) = StateBuilder.withdrawalsState(ws, 1);
        uint256 batchIndex = _submitFinal(root);
        uint256 before = weth.balanceOf(bob);
        vault.claimWithdrawal(batchIndex, 1, ws[1], proof); // anyone may relay
        assertEq(weth.balanceOf(bob) - before, 1 ether, "paid to the owner");
        assertTrue(vault.isWithdrawalClaimed(1), "marked");
        assertFalse(vault.isWithdrawalClaimed(0), "others untouched");
    }

    function test_claimWithdrawal_notFinal_reverts() public {
        _depositAll();
        _withdrawals();
        (bytes32 root, bytes32[] memory proof) = StateBuilder.withdrawalsState(ws, 0);
        uint256 batchIndex = _submit(root);
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownBatch.selector, batchIndex));
        vault.claimWithdrawal(batchIndex, 0, ws[0], proof);
    }

    function test_claimWithdrawal_twice_reverts() public {
        _depositAll();
        _withdrawals();
        (bytes32 root, bytes32[] memory proof) = StateBuilder.withdrawalsState(ws, 0);
        uint256 batchIndex = _submitFinal(root);
        vault.claimWithdrawal(batchIndex, 0, ws[0], proof);
        vm.expectRevert(abi.encodeWithSelector(Vault.AlreadyClaimed.selector, 0));
        vault.claimWithdrawal(batchIndex, 0, ws[0], proof);
    }

    function test_claimWithdrawal_wrongRecord_reverts() public {
        _depositAll();
        _withdrawals();
        (bytes32 root, bytes32[] memory proof) = StateBuilder.withdrawalsState(ws, 0);
        uint256 batchIndex = _submitFinal(root);
        StateProofs.Withdrawal memory w = ws[0];
        w.amount += 1;
        vm.expectRevert(StateProofs.InvalidProof.selector);
        vault.claimWithdrawal(batchIndex, 0, w, proof);
        w = ws[0];
        w.owner = bob;
        vm.expectRevert(StateProofs.InvalidProof.selector);
        vault.claimWithdrawal(batchIndex, 0, w, proof);
        // The right record at the wrong index.
        vm.expectRevert(StateProofs.InvalidProof.selector);
        vault.claimWithdrawal(batchIndex, 1, ws[0], proof);
    }

    /// @notice Any single flipped bit in the record's leaf or in any sibling fails the proof.
    function testFuzz_claimWithdrawal_flippedBit_reverts(uint256 which, uint8 bit) public {
        _depositAll();
        _withdrawals();
        (bytes32 root, bytes32[] memory proof) = StateBuilder.withdrawalsState(ws, 2);
        uint256 batchIndex = _submitFinal(root);
        which = bound(which, 0, proof.length + 3);
        StateProofs.Withdrawal memory w = ws[2];
        if (which < proof.length) {
            proof[which] ^= bytes32(uint256(1) << bit);
        } else if (which == proof.length) {
            w.amount ^= uint128(1) << (bit % 128);
        } else if (which == proof.length + 1) {
            w.owner = address(bytes20(w.owner) ^ bytes20(uint160(1) << (bit % 160)));
        } else if (which == proof.length + 2) {
            w.account ^= uint32(1) << (bit % 32);
        } else {
            w.asset ^= uint8(1) << (bit % 8);
            vm.assume(w.asset < 2);
        }
        vm.expectRevert(StateProofs.InvalidProof.selector);
        vault.claimWithdrawal(batchIndex, 2, w, proof);
    }

    /// @notice A claimed withdrawal can never be claimed again, against the same or a later root.
    function testFuzz_claimWithdrawal_never_twice_reverts(uint8 index, uint64 laterBatches) public {
        _depositAll();
        _withdrawals();
        index = uint8(bound(index, 0, 2));
        (bytes32 root, bytes32[] memory proof) = StateBuilder.withdrawalsState(ws, index);
        uint256 batchIndex = _submitFinal(root);
        vault.claimWithdrawal(batchIndex, index, ws[index], proof);
        laterBatches = uint64(bound(laterBatches, 0, 3));
        for (uint256 i; i < laterBatches; ++i) {
            batchIndex = _submitFinal(root); // the record stays in every later state
        }
        vm.expectRevert(abi.encodeWithSelector(Vault.AlreadyClaimed.selector, index));
        vault.claimWithdrawal(batchIndex, index, ws[index], proof);
    }

    // ================================================================ exit phases

    function _freezeWith(bytes32 root) internal returns (uint256 exitBatch) {
        exitBatch = _submitFinal(root);
        vm.warp(block.timestamp + rollup.maxBatchGap());
        rollup.freeze();
        assertEq(rollup.exitBatchIndex(), exitBatch, "exit batch");
    }

    function test_claimWithdrawal_afterFreeze_registersClaim_succeeds() public {
        _depositAll();
        _withdrawals();
        (bytes32 root, bytes32[] memory proof) = StateBuilder.withdrawalsState(ws, 0);
        uint256 exitBatch = _freezeWith(root);
        uint256 before = usdc.balanceOf(alice);
        vault.claimWithdrawal(exitBatch, 0, ws[0], proof);
        assertEq(usdc.balanceOf(alice), before, "not paid yet");
        assertEq(vault.claimCount(), 1, "registered");
        assertEq(uint256(vault.claim(0).value), 100e6, "value in settlement atoms");
        assertEq(vault.totalClaims(), 100e6, "total");
    }

    function test_claimWithdrawal_afterFreeze_otherBatch_reverts() public {
        _depositAll();
        _withdrawals();
        (bytes32 root, bytes32[] memory proof) = StateBuilder.withdrawalsState(ws, 0);
        _submitFinal(root);
        _freezeWith(root);
        vm.expectRevert(abi.encodeWithSelector(Vault.NotExitBatch.selector, 1));
        vault.claimWithdrawal(1, 0, ws[0], proof);
    }

    function test_claimWithdrawal_unprovenAssetAfterFreeze_reverts() public {
        _depositAll();
        _withdrawals();
        (bytes32 root, bytes32[] memory proof) = StateBuilder.withdrawalsState(ws, 1);
        uint256 exitBatch = _freezeWith(root);
        vm.expectRevert(abi.encodeWithSelector(Vault.NotProven.selector, 1));
        vault.claimWithdrawal(exitBatch, 1, ws[1], proof);
    }

    function test_refundDeposit_succeeds() public {
        _depositAll(); // queue 0..2, consumed by the exit batch below
        _withdrawals();
        (bytes32 root,) = StateBuilder.withdrawalsState(ws, 0);
        _submitFinal(root);
        vm.prank(bob);
        vault.deposit(0, 777e6); // queue 3: never consumed
        vm.warp(block.timestamp + rollup.maxBatchGap());
        rollup.freeze();
        uint256 before = usdc.balanceOf(bob);
        vault.refundDeposit(3, 1, bob, 0, 777e6);
        assertEq(usdc.balanceOf(bob) - before, 777e6, "refunded in full");
        vm.expectRevert(abi.encodeWithSelector(Vault.AlreadyRefunded.selector, 3));
        vault.refundDeposit(3, 1, bob, 0, 777e6);
    }

    function test_refundDeposit_consumed_reverts() public {
        _depositAll();
        _withdrawals();
        (bytes32 root,) = StateBuilder.withdrawalsState(ws, 0);
        _freezeWith(root);
        vm.expectRevert(abi.encodeWithSelector(Vault.NotRefundable.selector, 0));
        vault.refundDeposit(0, 0, alice, 0, 1_000e6);
    }

    function test_refundDeposit_forged_reverts() public {
        _depositAll();
        vm.prank(bob);
        vault.deposit(0, 777e6);
        _freezeWith(keccak256("root"));
        vm.expectRevert(abi.encodeWithSelector(Vault.NotRefundable.selector, 3));
        vault.refundDeposit(3, 1, bob, 0, 778e6);
    }

    function test_refundDeposit_notFrozen_reverts() public {
        vm.expectRevert(Vault.WrongPhase.selector);
        vault.refundDeposit(0, 0, alice, 0, 1);
    }

    function test_settleAndPayout_proRata_succeeds() public {
        _depositAll();
        // A state that owes more USDC than the vault holds: two withdrawals of 800 USDC.
        ws.push(StateProofs.Withdrawal(0, alice, 0, 800e6));
        ws.push(StateProofs.Withdrawal(1, bob, 0, 800e6));
        (bytes32 root, bytes32[] memory p0) = StateBuilder.withdrawalsState(ws, 0);
        (, bytes32[] memory p1) = StateBuilder.withdrawalsState(ws, 1);
        uint256 exitBatch = _freezeWith(root);
        vault.claimWithdrawal(exitBatch, 1, ws[1], p1); // bob first ...
        vault.claimWithdrawal(exitBatch, 0, ws[0], p0); // ... alice second: same share
        vm.expectRevert(Vault.WrongPhase.selector);
        vault.settle();
        vm.warp(uint256(rollup.frozenAt()) + rollup.exitWindow());
        vault.settle();
        // WETH has no proven price: the vault's value is its 1,000 USDC; claims 1,600.
        assertEq(vault.denominator(), 1_600e6, "denominator = claims");
        uint256 a0 = usdc.balanceOf(alice);
        uint256 b0 = usdc.balanceOf(bob);
        vault.payout(0);
        vault.payout(1);
        assertEq(usdc.balanceOf(alice) - a0, 500e6, "alice 1000 * 800/1600");
        assertEq(usdc.balanceOf(bob) - b0, 500e6, "bob the same");
        assertEq(usdc.balanceOf(address(vault)), 0, "nothing over-paid");
        assertEq(weth.balanceOf(address(vault)), 0, "the unpriced WETH is shared out too");
        vm.expectRevert(abi.encodeWithSelector(Vault.NothingToPay.selector, 0));
        vault.payout(0);
    }

    function test_settle_twice_reverts() public {
        _freezeWith(keccak256("root"));
        vm.warp(uint256(rollup.frozenAt()) + rollup.exitWindow());
        vault.settle();
        vm.expectRevert(Vault.WrongPhase.selector);
        vault.settle();
    }

    function test_payout_beforeSettle_reverts() public {
        vm.expectRevert(Vault.WrongPhase.selector);
        vault.payout(0);
    }

    function test_exit_notFrozen_reverts() public {
        Vault.ExitProof memory p;
        vm.expectRevert(Vault.WrongPhase.selector);
        vault.exit(p);
    }

    function test_proveMarket_notFrozen_reverts() public {
        vm.expectRevert(Vault.WrongPhase.selector);
        vault.proveMarket(0, 1, 0, new bytes32[](0), new bytes32[](0));
    }

    function test_proveAsset_notFrozen_reverts() public {
        StateProofs.Asset memory a;
        vm.expectRevert(Vault.WrongPhase.selector);
        vault.proveAsset(1, a, new bytes32[](0));
    }

    function test_marketMark_unproven_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Vault.NotProven.selector, 3));
        vault.marketMark(3);
        vm.expectRevert(abi.encodeWithSelector(Vault.NotProven.selector, 1));
        vault.assetRecord(1);
    }

    // ================================================================ governance hooks

    function test_addAsset_notGovernance_reverts() public {
        vm.expectRevert(Vault.NotGovernance.selector);
        vault.addAsset(address(1));
    }

    function test_sweepFees_succeeds() public {
        vm.startPrank(alice);
        vault.deposit(0, 500e6);
        vault.forceClose{value: 0.001 ether}(0, 0);
        vm.stopPrank();
        _timelock(abi.encodeCall(Governance.sweepFees, (bob)));
        assertEq(bob.balance, 0.001 ether, "fees swept");
    }

    function test_sweepFees_notGovernance_reverts() public {
        vm.expectRevert(Vault.NotGovernance.selector);
        vault.sweepFees(alice);
    }
}
