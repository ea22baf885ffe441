// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Setup} from "./lib/Setup.sol";
import {console} from "./lib/console.sol";
import {Vm} from "./lib/Vm.sol";
import {DisputeGame} from "../src/DisputeGame.sol";
import {IOneStepProver} from "../src/IOneStepProver.sol";
import {OneStepProver} from "../src/OneStepProver.sol";
import {Governance} from "../src/Governance.sol";
import {Rollup} from "../src/Rollup.sol";
import {BatchCodec} from "../src/lib/BatchCodec.sol";
import {L1Inputs} from "../src/lib/L1Inputs.sol";
import {SSZ} from "../src/lib/SSZ.sol";

/// @title HashChainProver
/// @notice TESTS ONLY. A stand-in for the one-step STF with the properties the game relies on:
///         deterministic, a function of the agreed pre-root and the operation's bytes, and a
///         revert (never a verdict) on a witness that does not belong to the pre-root. Its
///         "state root" after an operation is `keccak256(pre, keccak256(op))`, so the true trace
///         of a batch is a hash chain over its operations.
contract HashChainProver is IOneStepProver {
    error BadWitness();

    function execute(bytes32 preRoot, bytes calldata opBytes, bytes calldata witness) external pure returns (bytes32) {
        if (keccak256(witness) != keccak256(abi.encode(preRoot))) revert BadWitness();
        return keccak256(abi.encode(preRoot, keccak256(opBytes)));
    }
}

/// @notice forge's `cool` cheatcode (not in our Vm.sol): marks an account's storage cold again,
///         so a measured call pays what it would as its own transaction.
interface VmCool {
    function cool(address target) external;
}

/// @title DisputeGameBase
/// @notice Deployment, fixture reading, batch posting and game-playing helpers of the dispute
///         game tests (`DisputeGameTest` here, `DisputeGameOneStepTest` with the real prover).
abstract contract DisputeGameBase is Setup {
    DisputeGame internal dg;
    HashChainProver internal stf;
    address internal challenger = makeAddr("challenger");
    string internal fixture;

    uint64 internal constant CLOCK = 4 hours;
    uint64 internal constant GRACE = 1 hours;
    uint128 internal constant BOND = 0.1 ether;
    uint256 internal constant SEQ_BOND = 1 ether;
    bytes32 internal constant GENESIS = keccak256("genesis");
    /// @dev Indices of the fixture's `valid` cases used here.
    uint256 internal constant EMPTY = 0;
    uint256 internal constant EVERY_KIND = 1;

    function setUp() public {
        _setUp(GENESIS);
        stf = new HashChainProver();
        dg = new DisputeGame(rollup, address(governance), stf, DisputeGame.InitParams(CLOCK, GRACE, BOND));
        _timelock(abi.encodeCall(Governance.setDisputeGame, (address(dg))));
        vm.deal(challenger, 10 ether);
        vm.deal(sequencer, 100 ether);
        fixture = vm.readFile(string.concat(vm.projectRoot(), "/contracts/test/fixtures/batch-codec.json"));
        assertEq(vm.parseJsonString(fixture, ".valid[0].name"), "empty", "fixture order");
        assertEq(vm.parseJsonString(fixture, ".valid[1].name"), "everyKind", "fixture order");
    }

    // ================================================================ helpers

    function _valid(uint256 i) internal view returns (bytes memory) {
        return vm.parseJsonBytes(fixture, string.concat(".valid[", vm.toString(i), "].data"));
    }

    function _element(uint256 i, uint256 j) internal view returns (bytes memory) {
        return vm.parseJsonBytes(fixture, string.concat(".valid[", vm.toString(i), "].elements[", vm.toString(j), "]"));
    }

    /// @notice The SequencedOp bytes after the 12-byte prefix: an L1 input's `encodeOp`.
    function _item(bytes memory op) internal pure returns (bytes memory out) {
        out = new bytes(op.length - 12);
        for (uint256 i; i < out.length; ++i) {
            out[i] = op[i + 12];
        }
    }

    function _enqueue(bytes memory item) internal {
        vm.prank(uint8(item[0]) == L1Inputs.PARAM_UPDATE ? address(governance) : address(vault));
        rollup.enqueue(item);
    }

    /// @notice Batch data of ForcedClose(k, account 0, market 0) for k in [from, to), all at t = 0
    ///         (what the codec writes: Δt 0, selector 0x12, queueIndex, account, market varints).
    function _forcedCloses(uint256 from, uint256 to) internal pure returns (bytes memory data) {
        data = abi.encodePacked(uint8(1), uint8(to - from));
        for (uint256 k = from; k < to; ++k) {
            data = abi.encodePacked(data, uint8(0), uint8(0x12), uint8(k), uint8(0), uint8(0));
        }
    }

    /// @notice Queue items 0..11 (ForcedCloses) and 12..15 (the everyKind batch's L1 inputs:
    ///         Deposit, ParamUpdate, ForcedWithdraw, ForcedClose), then batch 1 consuming 0..11.
    function _queueForEveryKind() internal returns (Rollup.BatchHeader memory h1) {
        for (uint64 k; k < 12; ++k) {
            _enqueue(L1Inputs.forcedClose(k, 0, 0));
        }
        _enqueue(_item(_element(EVERY_KIND, 0)));
        _enqueue(_item(_element(EVERY_KIND, 1)));
        _enqueue(_item(_element(EVERY_KIND, 17)));
        _enqueue(_item(_element(EVERY_KIND, 18)));
        h1 = _post(_forcedCloses(0, 12), 12, keccak256("s1"), 12);
    }

    /// @notice One FundingTick (market 0, premium 0) at t = 0.
    bytes internal constant ONE_TICK = hex"010100" hex"0f0000";

    function _copy(Rollup.BatchHeader memory h) internal pure returns (Rollup.BatchHeader memory) {
        return abi.decode(abi.encode(h), (Rollup.BatchHeader));
    }

    function _post(bytes memory data, uint64 opCount, bytes32 newRoot, uint64 queuePosition)
        internal
        returns (Rollup.BatchHeader memory h)
    {
        uint256 index = rollup.nextBatchIndex();
        Rollup.Batch memory parent = rollup.batch(index - 1);
        h.batchIndex = uint64(index);
        h.parentHash = parent.headerHash;
        h.prevStateRoot = parent.stateRoot;
        h.newStateRoot = newRoot;
        h.opCount = opCount;
        h.queuePosition = queuePosition;
        h.queueChainHash = rollup.queueChainAt(queuePosition);
        h.dataHash = keccak256(data);
        h.l1Timestamp = uint64(block.timestamp);
        uint256 bond = rollup.bondOf(sequencer);
        if (bond < SEQ_BOND) {
            // The sequencer re-bonds after a slash, as the Rollup requires before it posts again.
            vm.prank(sequencer);
            rollup.postBond{value: SEQ_BOND - bond}();
        }
        vm.prank(sequencer);
        rollup.submitBatch(h, data);
    }

    /// @notice The everyKind batch as batch 2 with the true root (`HashChainProver`'s trace).
    function _postEveryKind() internal returns (Rollup.BatchHeader memory h, bytes memory data, bytes32[] memory truth) {
        _queueForEveryKind();
        data = _valid(EVERY_KIND);
        truth = _trace(data, keccak256("s1"));
        h = _post(data, 19, truth[19], 16);
    }

    /// @notice Roots after each operation under `HashChainProver`.
    function _trace(bytes memory data, bytes32 pre) internal pure returns (bytes32[] memory roots) {
        bytes memory batch = BatchCodec.decode(data);
        uint256 n = BatchCodec.opCount(batch);
        roots = new bytes32[](n + 1);
        roots[0] = pre;
        for (uint256 i; i < n; ++i) {
            roots[i + 1] = keccak256(abi.encode(roots[i], keccak256(BatchCodec.opAt(batch, i))));
        }
    }

    /// @notice A trace that is true up to operation `firstWrong - 1` and invented after.
    function _lie(bytes32[] memory truth, uint256 firstWrong) internal pure returns (bytes32[] memory claimed) {
        claimed = new bytes32[](truth.length);
        for (uint256 i; i < truth.length; ++i) {
            claimed[i] = i < firstWrong ? truth[i] : keccak256(abi.encode("invented", i));
        }
    }

    function _open(Rollup.BatchHeader memory h) internal returns (uint256 id) {
        vm.prank(challenger);
        id = dg.open{value: BOND}(h);
    }

    enum Strategy {
        Honest,
        AlwaysDisagree,
        AlwaysAgree
    }

    /// @notice Plays the bisection to the end: the defender posts `claimed` roots, the
    ///         challenger answers by `s` against `truth`; each move 10 minutes after the last.
    function _bisect(uint256 id, bytes32[] memory truth, bytes32[] memory claimed, Strategy s) internal {
        while (dg.game(id).status == DisputeGame.Status.Bisecting) {
            DisputeGame.Game memory g = dg.game(id);
            uint256 mid = (uint256(g.lo) + g.hi) / 2;
            vm.warp(block.timestamp + 10 minutes);
            vm.prank(sequencer);
            dg.bisect(id, claimed[mid]);
            vm.warp(block.timestamp + 10 minutes);
            bool agree = s == Strategy.Honest ? claimed[mid] == truth[mid] : s == Strategy.AlwaysAgree;
            vm.prank(challenger);
            dg.choose(id, agree);
        }
    }

    /// @notice `loadOp` then `step` with a valid witness (by the challenger).
    function _finish(uint256 id, Rollup.BatchHeader memory h, bytes memory data) internal {
        DisputeGame.Game memory g = dg.game(id);
        dg.loadOp(id, h, data);
        bytes memory op = BatchCodec.opAt(BatchCodec.decode(data), g.lo);
        vm.prank(challenger);
        dg.step(id, op, abi.encode(g.loRoot));
    }

}

/// @title DisputeGame tests
/// @notice Data and header faults on real codec fixture batches (contracts/test/fixtures/
///         batch-codec.json), the bisection game with the test prover above, clocks, bonds,
///         rollback, governance of the game's parameters, and gas of full games on the largest
///         batches the data cap allows.
contract DisputeGameTest is DisputeGameBase {
    // ================================================================ the game: outcomes

    function test_game_honestDefender_beatsLyingChallenger_disagreeing() public {
        (Rollup.BatchHeader memory h, bytes memory data, bytes32[] memory truth) = _postEveryKind();
        uint256 id = _open(h);
        _bisect(id, truth, truth, Strategy.AlwaysDisagree);
        DisputeGame.Game memory g = dg.game(id);
        assertEq(uint256(g.lo), 0, "disagreeing with every true root narrows to the first op");
        assertEq(uint256(g.hi), 1, "hi");
        _finish(id, h, data);
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.DefenderWon), "defender won");
        assertEq(dg.credit(sequencer), BOND, "defender takes the challenger's bond");
        assertEq(dg.credit(challenger), 0, "challenger gets nothing");
        assertEq(rollup.nextBatchIndex(), 3, "batch stays");
        assertEq(rollup.bondOf(sequencer), SEQ_BOND, "sequencer bond intact");
        assertEq(dg.openGames(), 0, "closed");
        uint256 before = sequencer.balance;
        vm.prank(sequencer);
        dg.withdraw();
        assertEq(sequencer.balance, before + BOND, "bond paid out");
    }

    function test_game_honestDefender_beatsLyingChallenger_agreeing() public {
        (Rollup.BatchHeader memory h, bytes memory data, bytes32[] memory truth) = _postEveryKind();
        uint256 id = _open(h);
        _bisect(id, truth, truth, Strategy.AlwaysAgree);
        assertEq(uint256(dg.game(id).lo), 18, "agreeing with every root narrows to the last op");
        _finish(id, h, data);
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.DefenderWon), "defender won");
    }

    function test_game_honestDefender_winsStepEarly() public {
        (Rollup.BatchHeader memory h, bytes memory data, bytes32[] memory truth) = _postEveryKind();
        uint256 id = _open(h);
        _bisect(id, truth, truth, Strategy.AlwaysDisagree);
        // The lying challenger would rather let its clock run; the defender proves the step itself.
        dg.loadOp(id, h, data);
        vm.prank(sequencer);
        dg.step(id, BatchCodec.opAt(BatchCodec.decode(data), 0), abi.encode(dg.game(id).loRoot));
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.DefenderWon), "defender won");
    }

    function test_game_lyingSequencer_losesToHonestChallenger_andRollsBackSuccessors() public {
        _queueForEveryKind();
        bytes memory data = _valid(EVERY_KIND);
        bytes32[] memory truth = _trace(data, keccak256("s1"));
        for (uint256 wrong = 1; wrong <= 19; wrong += 6) {
            uint256 snap = vm.snapshotState();
            bytes32[] memory claimed = _lie(truth, wrong);
            Rollup.BatchHeader memory h = _post(data, 19, claimed[19], 16);
            _post(hex"0100", 0, claimed[19], 16); // batch 3 builds on it
            _post(hex"0100", 0, claimed[19], 16); // batch 4
            uint256 id = _open(h);
            _bisect(id, truth, claimed, Strategy.Honest);
            assertEq(uint256(dg.game(id).lo), wrong - 1, "narrows to the first wrong op");
            _finish(id, h, data);
            DisputeGame.Game memory g = dg.game(id);
            assertEq(uint256(g.status), uint256(DisputeGame.Status.ChallengerWon), "challenger won");
            assertEq(rollup.nextBatchIndex(), 2, "batch 2 and its successors rolled back");
            assertEq(rollup.bondOf(sequencer), 0, "sequencer bond slashed");
            assertEq(dg.credit(challenger), BOND + SEQ_BOND, "challenger: own bond + slashed bond");
            uint256 before = challenger.balance;
            vm.prank(challenger);
            dg.withdraw();
            assertEq(challenger.balance, before + BOND + SEQ_BOND, "paid out");
            vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownBatch.selector, 3));
            rollup.batch(3);
            // The honest sequencer re-posts from the last valid root.
            _post(data, 19, truth[19], 16);
            assertEq(rollup.batch(2).stateRoot, truth[19], "re-posted");
            vm.revertToState(snap);
        }
    }

    /// @notice Whatever a lying challenger answers at each round (bits of `choices`), the honest
    ///         defender of a right root wins the step.
    function testFuzz_game_honestDefenderAlwaysWins(uint256 choices) public {
        (Rollup.BatchHeader memory h, bytes memory data, bytes32[] memory truth) = _postEveryKind();
        uint256 id = _open(h);
        for (uint256 round; dg.game(id).status == DisputeGame.Status.Bisecting; ++round) {
            DisputeGame.Game memory g = dg.game(id);
            vm.prank(sequencer);
            dg.bisect(id, truth[(uint256(g.lo) + g.hi) / 2]);
            vm.prank(challenger);
            dg.choose(id, (choices >> round) & 1 == 1);
        }
        DisputeGame.Game memory end = dg.game(id);
        assertEq(end.loRoot, truth[end.lo], "the agreed root is true");
        assertEq(end.hiRoot, truth[end.hi], "the defender's claim is true");
        dg.loadOp(id, h, data);
        vm.prank(sequencer);
        dg.step(id, BatchCodec.opAt(BatchCodec.decode(data), end.lo), abi.encode(end.loRoot));
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.DefenderWon), "defender won");
    }

    /// @notice Whatever roots a lying defender posts at each midpoint (true or invented, by the
    ///         bits of `lies`), the honest challenger against a wrong `newStateRoot` wins.
    function testFuzz_game_honestChallengerAlwaysWins(uint256 lies) public {
        _queueForEveryKind();
        bytes memory data = _valid(EVERY_KIND);
        bytes32[] memory truth = _trace(data, keccak256("s1"));
        Rollup.BatchHeader memory h = _post(data, 19, keccak256("wrong final root"), 16);
        uint256 id = _open(h);
        for (uint256 round; dg.game(id).status == DisputeGame.Status.Bisecting; ++round) {
            DisputeGame.Game memory g = dg.game(id);
            uint256 mid = (uint256(g.lo) + g.hi) / 2;
            bytes32 root = (lies >> round) & 1 == 1 ? keccak256(abi.encode(lies, round)) : truth[mid];
            vm.prank(sequencer);
            dg.bisect(id, root);
            vm.prank(challenger);
            dg.choose(id, root == truth[mid]);
        }
        DisputeGame.Game memory end = dg.game(id);
        assertEq(end.loRoot, truth[end.lo], "the agreed root is true");
        assertNotEq(end.hiRoot, truth[end.hi], "the defender's claim is false");
        _finish(id, h, data);
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.ChallengerWon), "challenger won");
        assertEq(rollup.nextBatchIndex(), 2, "rolled back");
    }

    function test_game_singleOpBatch_stepsAtOnce() public {
        _enqueue(L1Inputs.forcedClose(0, 0, 0));
        bytes memory data = _forcedCloses(0, 1);
        bytes32[] memory truth = _trace(data, GENESIS);
        Rollup.BatchHeader memory h = _post(data, 1, keccak256("wrong"), 1);
        uint256 id = _open(h);
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.Stepping), "one op: step at once");
        _finish(id, h, data);
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.ChallengerWon), "challenger won");
        assertNotEq(truth[1], keccak256("wrong"), "the claim was wrong");
    }

    function test_game_loadOp_findsDataFault_challengerWins() public {
        _queueForEveryKind();
        bytes memory data = _valid(EVERY_KIND);
        // The header claims 25 operations; the data holds 19.
        Rollup.BatchHeader memory h = _post(data, 25, keccak256("x"), 16);
        uint256 id = _open(h);
        bytes32[] memory claimed = _lie(new bytes32[](26), 0);
        _bisect(id, claimed, claimed, Strategy.AlwaysAgree);
        dg.loadOp(id, h, data);
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.ChallengerWon), "data fault wins");
        assertEq(rollup.nextBatchIndex(), 2, "rolled back");
        assertEq(dg.credit(challenger), BOND + SEQ_BOND, "bond + slashed");
    }

    // ================================================================ the game: clocks

    function test_timeout_defenderSilent_challengerWins() public {
        (Rollup.BatchHeader memory h,,) = _postEveryKind();
        uint256 id = _open(h);
        vm.warp(block.timestamp + CLOCK);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.ClockRunning.selector, id, 0));
        dg.timeout(id);
        vm.warp(block.timestamp + 1);
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.ClockExpired.selector, id, DisputeGame.Party.Defender));
        dg.bisect(id, bytes32(0));
        dg.timeout(id);
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.ChallengerWon), "challenger won");
        assertEq(rollup.nextBatchIndex(), 2, "rolled back");
        assertEq(dg.credit(challenger), BOND + SEQ_BOND, "bond + slashed");
    }

    function test_timeout_challengerSilent_defenderWins() public {
        (Rollup.BatchHeader memory h,, bytes32[] memory truth) = _postEveryKind();
        uint256 id = _open(h);
        vm.prank(sequencer);
        dg.bisect(id, truth[9]);
        // A move at the last second of the clock counts.
        vm.warp(block.timestamp + CLOCK);
        assertEq(dg.clockLeft(id), 0, "no time left");
        vm.prank(challenger);
        dg.choose(id, false);
        vm.prank(sequencer);
        dg.bisect(id, truth[4]);
        vm.warp(block.timestamp + 1);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.ClockExpired.selector, id, DisputeGame.Party.Challenger));
        dg.choose(id, true);
        dg.timeout(id);
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.DefenderWon), "defender won");
        assertEq(dg.credit(sequencer), BOND, "defender takes the bond");
        assertEq(rollup.nextBatchIndex(), 3, "batch stays");
    }

    function test_timeout_chessClockAccumulates() public {
        (Rollup.BatchHeader memory h,, bytes32[] memory truth) = _postEveryKind();
        uint256 id = _open(h);
        vm.warp(block.timestamp + 3 hours);
        vm.prank(sequencer);
        dg.bisect(id, truth[9]);
        assertEq(uint256(dg.game(id).defenderClock), 1 hours, "3 of 4 hours used");
        vm.warp(block.timestamp + 2 hours);
        vm.prank(challenger);
        dg.choose(id, true);
        assertEq(uint256(dg.game(id).challengerClock), 2 hours, "challenger used 2");
        // The defender's remaining hour is all it has for the rest of the game.
        vm.warp(block.timestamp + 1 hours + 1);
        dg.timeout(id);
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.ChallengerWon), "defender ran out");
    }

    function test_timeout_challengerMustStep() public {
        (Rollup.BatchHeader memory h, bytes memory data, bytes32[] memory truth) = _postEveryKind();
        uint256 id = _open(h);
        _bisect(id, truth, truth, Strategy.AlwaysDisagree);
        // A lying challenger cannot win the step; it lets its clock run out.
        vm.warp(block.timestamp + dg.clockLeft(id) + 1);
        dg.loadOp(id, h, data);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.ClockExpired.selector, id, DisputeGame.Party.Challenger));
        dg.step(id, BatchCodec.opAt(BatchCodec.decode(data), 0), abi.encode(h.prevStateRoot));
        dg.timeout(id);
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.DefenderWon), "defender won");
    }

    // ================================================================ the game: refusals

    function test_open_refusals() public {
        (Rollup.BatchHeader memory h,,) = _postEveryKind();
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.WrongBond.selector, 1, BOND));
        dg.open{value: 1}(h);
        vm.prank(sequencer);
        vm.expectRevert(DisputeGame.SelfChallenge.selector);
        dg.open{value: BOND}(h);
        Rollup.BatchHeader memory other = _copy(h);
        other.newStateRoot = keccak256("not posted");
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NotOnChain.selector, 2));
        dg.open{value: BOND}(other);
        Rollup.BatchHeader memory empty = _post(hex"0100", 0, h.newStateRoot, 16);
        vm.prank(challenger);
        vm.expectRevert(DisputeGame.EmptyBatch.selector);
        dg.open{value: BOND}(empty);
        uint256 deadline = dg.openDeadline(2);
        assertEq(deadline, rollup.batch(2).timestamp + 1 days - (2 * CLOCK + GRACE), "deadline");
        vm.warp(deadline + 1);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.TooLateToOpen.selector, 2, deadline));
        dg.open{value: BOND}(h);
        vm.warp(rollup.batch(2).timestamp + 1 days);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.BatchFinal.selector, 2));
        dg.open{value: BOND}(h);
    }

    function test_open_latestGameEndsBeforeFinality() public {
        (Rollup.BatchHeader memory h,,) = _postEveryKind();
        vm.warp(dg.openDeadline(2));
        uint256 id = _open(h);
        // Each party uses its whole clock; the defender's next move never comes.
        vm.warp(block.timestamp + CLOCK);
        vm.prank(sequencer);
        dg.bisect(id, keccak256("any"));
        vm.warp(block.timestamp + CLOCK);
        vm.prank(challenger);
        dg.choose(id, false);
        vm.warp(block.timestamp + 1);
        assertFalse(rollup.isFinalized(2), "not final");
        assertGe(rollup.batch(2).timestamp + 1 days - block.timestamp, GRACE - 1, "the grace is left to call timeout");
        dg.timeout(id);
        assertEq(rollup.nextBatchIndex(), 2, "rolled back in time");
    }

    function test_open_withoutProver_reverts() public {
        (Rollup.BatchHeader memory h,,) = _postEveryKind();
        _timelock(abi.encodeCall(Governance.setOneStepProver, (address(0))));
        vm.prank(challenger);
        vm.expectRevert(DisputeGame.ProverNotSet.selector);
        dg.open{value: BOND}(h);
    }

    function test_moves_refusals() public {
        (Rollup.BatchHeader memory h, bytes memory data, bytes32[] memory truth) = _postEveryKind();
        uint256 id = _open(h);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NotParty.selector, id, challenger));
        dg.bisect(id, truth[9]);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NotYourTurn.selector, id, DisputeGame.Party.Defender));
        dg.choose(id, true);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.WrongStatus.selector, id, DisputeGame.Status.Bisecting));
        dg.loadOp(id, h, data);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.UnknownGame.selector, 99));
        dg.bisect(99, bytes32(0));
        vm.prank(sequencer);
        dg.bisect(id, truth[9]);
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NotParty.selector, id, sequencer));
        dg.choose(id, true);
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NotYourTurn.selector, id, DisputeGame.Party.Challenger));
        dg.bisect(id, truth[9]);
        vm.prank(challenger);
        dg.choose(id, false);
        _bisect(id, truth, truth, Strategy.AlwaysDisagree);
        bytes memory op = BatchCodec.opAt(BatchCodec.decode(data), 0);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.OpNotLoaded.selector, id));
        dg.step(id, op, abi.encode(h.prevStateRoot));
        Rollup.BatchHeader memory forged = _copy(h);
        forged.opCount = 20;
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NotOnChain.selector, 2));
        dg.loadOp(id, forged, data);
        vm.expectRevert(DisputeGame.DataMismatch.selector);
        dg.loadOp(id, h, _valid(EMPTY));
        dg.loadOp(id, h, data);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.OpMismatch.selector, id));
        dg.step(id, BatchCodec.opAt(BatchCodec.decode(data), 1), abi.encode(h.prevStateRoot));
        // A bad witness is the caller's error: the prover reverts, the game goes on.
        vm.expectRevert(HashChainProver.BadWitness.selector);
        dg.step(id, op, abi.encode(keccak256("other root")));
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.Stepping), "still on");
    }

    function test_cancel_batchRolledBackElsewhere_voidsAndRefunds() public {
        _queueForEveryKind();
        bytes memory data = _valid(EVERY_KIND);
        // Batch 2 lies about its op count; batch 3 builds on it and is challenged on its root.
        Rollup.BatchHeader memory bad = _post(data, 18, keccak256("s2"), 16);
        Rollup.BatchHeader memory h3 = _post(ONE_TICK, 1, keccak256("s3"), 16);
        uint256 id = _open(h3);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.StillOnChain.selector, 3));
        dg.cancel(id);
        dg.proveDataFault(bad, data);
        assertEq(rollup.nextBatchIndex(), 2, "batch 2 onwards rolled back");
        dg.cancel(id);
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.Void), "void");
        assertEq(dg.credit(challenger), BOND, "bond returned");
        assertEq(dg.openGames(), 0, "closed");
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.WrongStatus.selector, id, DisputeGame.Status.Void));
        dg.timeout(id);
    }

    function test_game_queueFault_provenBeside_voidsGame() public {
        _queueForEveryKind();
        _enqueue(L1Inputs.forcedClose(16, 0, 0));
        bytes memory data = _valid(EVERY_KIND);
        bytes32[] memory truth = _trace(data, keccak256("s1"));
        // The root is the STF's, but the header claims item 16, which the batch skips.
        Rollup.BatchHeader memory h = _post(data, 19, truth[19], 17);
        uint256 id = _open(h);
        _bisect(id, truth, truth, Strategy.AlwaysDisagree);
        // loadOp does not walk the L1 inputs: the op is loaded, the root would stand ...
        dg.loadOp(id, h, data);
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.Stepping), "no verdict from loadOp");
        // ... so the challenger proves the queue fault beside the game, which voids it.
        vm.prank(challenger);
        dg.proveDataFault(h, data);
        dg.cancel(id);
        assertEq(dg.credit(challenger), BOND + SEQ_BOND, "slashed bond as prover + own bond back");
        assertEq(rollup.nextBatchIndex(), 2, "rolled back");
    }

    function test_batchGone_noWinnerByTimeoutOrStep() public {
        _queueForEveryKind();
        bytes memory data = _valid(EVERY_KIND);
        Rollup.BatchHeader memory bad = _post(data, 18, keccak256("s2"), 16);
        Rollup.BatchHeader memory h3 = _post(ONE_TICK, 1, keccak256("s3"), 16);
        uint256 id = _open(h3);
        dg.proveDataFault(bad, data);
        // The challenger's clock ran out, but the batch is gone: no bond changes hands.
        vm.warp(block.timestamp + CLOCK + 1);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NotOnChain.selector, 3));
        dg.timeout(id);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NotOnChain.selector, 3));
        dg.loadOp(id, h3, ONE_TICK);
        dg.cancel(id);
        assertEq(dg.credit(challenger), BOND, "bond returned");
        assertEq(dg.credit(sequencer), 0, "defender takes nothing");
    }

    // ================================================================ one-transaction faults

    address internal faultProver = makeAddr("fault prover");

    /// @notice Proves the fault as `faultProver` and checks the event, the rollback and the bond.
    function _expectFault(Rollup.BatchHeader memory h, bytes memory data, DisputeGame.Fault fault, uint256 detail) internal {
        uint256 credited = dg.credit(faultProver);
        vm.expectEmit(true, true, true, true, address(dg));
        emit DisputeGame.FaultProven(h.batchIndex, fault, detail, faultProver, SEQ_BOND);
        vm.prank(faultProver);
        dg.proveDataFault(h, data);
        _checkRolledBack(h, credited);
    }

    function _checkRolledBack(Rollup.BatchHeader memory h, uint256 credited) internal view {
        assertEq(rollup.nextBatchIndex(), h.batchIndex, "rolled back");
        assertEq(rollup.bondOf(sequencer), 0, "slashed");
        assertEq(dg.credit(faultProver), credited + SEQ_BOND, "prover credited the slashed bond");
    }

    function test_proveDataFault_honestBatches_noFault() public {
        Rollup.BatchHeader memory h1 = _queueForEveryKind();
        vm.expectRevert(DisputeGame.NoFault.selector);
        dg.proveDataFault(h1, _forcedCloses(0, 12));
        bytes memory data = _valid(EVERY_KIND);
        Rollup.BatchHeader memory h = _post(data, 19, keccak256("s2"), 16);
        vm.expectRevert(DisputeGame.NoFault.selector);
        dg.proveDataFault(h, data);
        Rollup.BatchHeader memory empty = _post(_valid(EMPTY), 0, h.newStateRoot, 16);
        vm.expectRevert(DisputeGame.NoFault.selector);
        dg.proveDataFault(empty, _valid(EMPTY));
        vm.expectRevert(DisputeGame.DataMismatch.selector);
        dg.proveDataFault(h, _valid(EMPTY));
    }

    function test_proveDataFault_undecodable_everyFixtureCase() public {
        uint256 n;
        while (vm.keyExistsJson(fixture, string.concat(".invalid[", vm.toString(n), "]"))) ++n;
        assertGt(n, 20, "fixture cases");
        for (uint256 i; i < n; ++i) {
            string memory k = string.concat(".invalid[", vm.toString(i), "]");
            bytes memory data = vm.parseJsonBytes(fixture, string.concat(k, ".data"));
            uint256 code = vm.parseJsonUint(fixture, string.concat(k, ".code"));
            uint256 offset = vm.parseJsonUint(fixture, string.concat(k, ".offset"));
            uint256 opIndex = vm.parseJsonUint(fixture, string.concat(k, ".opIndex"));
            Rollup.BatchHeader memory h = _post(data, 1, keccak256("x"), 0);
            uint256 credited = dg.credit(faultProver);
            // The decoder's own error triple, the same the TypeScript decoder gives.
            vm.expectEmit(true, true, true, true, address(dg));
            emit DisputeGame.UndecodableData(h.batchIndex, code, offset, opIndex);
            vm.expectEmit(true, true, true, true, address(dg));
            emit DisputeGame.FaultProven(h.batchIndex, DisputeGame.Fault.UndecodableData, opIndex, faultProver, SEQ_BOND);
            vm.prank(faultProver);
            dg.proveDataFault(h, data);
            _checkRolledBack(h, credited);
        }
    }

    function test_proveDataFault_oversized() public {
        bytes memory data = new bytes(dg.MAX_DATA_BYTES() + 1);
        Rollup.BatchHeader memory h = _post(data, 1, keccak256("x"), 0);
        _expectFault(h, data, DisputeGame.Fault.OversizedData, data.length);
        assertEq(dg.MAX_DATA_BYTES(), vm.parseJsonUint(fixture, ".maxDataBytes"), "cap = maxBatchBytes() of the TS codec");
    }

    function test_proveDataFault_opCountMismatch() public {
        _queueForEveryKind();
        bytes memory data = _valid(EVERY_KIND);
        uint256 snap = vm.snapshotState();
        _expectFault(_post(data, 18, keccak256("x"), 16), data, DisputeGame.Fault.OpCountMismatch, 19);
        vm.revertToState(snap);
        _expectFault(_post(data, 20, keccak256("x"), 16), data, DisputeGame.Fault.OpCountMismatch, 19);
    }

    function test_proveDataFault_emptyBatchChangesRoot() public {
        Rollup.BatchHeader memory h = _post(_valid(EMPTY), 0, keccak256("moved"), 0);
        _expectFault(h, _valid(EMPTY), DisputeGame.Fault.EmptyBatchRootChanged, 0);
    }

    function test_proveDataFault_skipsQueueItem_atTheEnd() public {
        _queueForEveryKind();
        _enqueue(L1Inputs.forcedClose(16, 0, 0));
        bytes memory data = _valid(EVERY_KIND);
        // Claims to have consumed item 16, which the batch does not hold.
        _expectFault(_post(data, 19, keccak256("x"), 17), data, DisputeGame.Fault.L1InputsSkipped, 19);
    }

    function test_proveDataFault_skipsQueueItem_inTheMiddle() public {
        for (uint64 k; k < 12; ++k) {
            _enqueue(L1Inputs.forcedClose(k, 0, 0));
        }
        _enqueue(_item(_element(EVERY_KIND, 0)));
        _enqueue(_item(_element(EVERY_KIND, 1)));
        _enqueue(_item(_element(EVERY_KIND, 17)));
        _enqueue(_item(_element(EVERY_KIND, 18)));
        // Batch 1 consumes items 0..10; batch 2 jumps to item 12 at its first op.
        _post(_forcedCloses(0, 11), 11, keccak256("s1"), 11);
        bytes memory data = _valid(EVERY_KIND);
        _expectFault(_post(data, 19, keccak256("x"), 16), data, DisputeGame.Fault.L1InputsReordered, 0);
    }

    function test_proveDataFault_consumesBeyondPosition() public {
        _queueForEveryKind();
        bytes memory data = _valid(EVERY_KIND);
        // The header says the queue was consumed up to 15; op 18 consumes item 15.
        _expectFault(_post(data, 19, keccak256("x"), 15), data, DisputeGame.Fault.L1InputsBeyondPosition, 18);
    }

    function test_proveDataFault_reordersQueueItems() public {
        _enqueue(L1Inputs.forcedClose(0, 0, 0));
        _enqueue(L1Inputs.forcedClose(1, 0, 0));
        // Items 1 then 0, as the codec writes them.
        bytes memory data = hex"0102" hex"0012010000" hex"0012000000";
        _expectFault(_post(data, 2, keccak256("x"), 2), data, DisputeGame.Fault.L1InputsReordered, 0);
    }

    function test_proveDataFault_altersQueueItem() public {
        for (uint64 k; k < 12; ++k) {
            _enqueue(L1Inputs.forcedClose(k, 0, 0));
        }
        // L1 enqueued a deposit of one atom more than the batch's Deposit credits.
        bytes memory deposit = _item(_element(EVERY_KIND, 0));
        deposit[deposit.length - 16] = bytes1(uint8(deposit[deposit.length - 16]) + 1);
        _enqueue(deposit);
        _enqueue(_item(_element(EVERY_KIND, 1)));
        _enqueue(_item(_element(EVERY_KIND, 17)));
        _enqueue(_item(_element(EVERY_KIND, 18)));
        _post(_forcedCloses(0, 12), 12, keccak256("s1"), 12);
        bytes memory data = _valid(EVERY_KIND);
        _expectFault(_post(data, 19, keccak256("x"), 16), data, DisputeGame.Fault.L1InputAltered, 19);
    }

    function test_proveDataFault_finalOrUnknown_reverts() public {
        _queueForEveryKind();
        bytes memory data = _valid(EVERY_KIND);
        Rollup.BatchHeader memory h = _post(data, 18, keccak256("x"), 16);
        vm.warp(block.timestamp + 1 days);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.BatchFinal.selector, 2));
        dg.proveDataFault(h, data);
        h.batchIndex = 7;
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NotOnChain.selector, 7));
        dg.proveDataFault(h, data);
    }

    /// @notice A state whose only non-zero field is `l1` = {nextIndex, chainHash}, and the
    ///         branch of the `l1` container (gindex 17: field 1 of 16).
    function _cursorState(uint64 nextIndex, bytes32 chainHash)
        internal
        view
        returns (bytes32 root, bytes32[] memory branch)
    {
        bytes32 cursor = SSZ.hashPair(SSZ.toLittleEndian64(nextIndex), chainHash);
        branch = new bytes32[](4);
        bytes32 z;
        branch[0] = z; // field 0 (params) as a zero chunk
        root = SSZ.hashPair(z, cursor);
        for (uint256 d = 1; d < 4; ++d) {
            z = SSZ.hashPair(z, z);
            branch[d] = z;
            root = SSZ.hashPair(root, z);
        }
    }

    function test_proveQueueCursorFault() public {
        _enqueue(L1Inputs.forcedClose(0, 0, 0));
        bytes memory data = _forcedCloses(0, 1);
        bytes32 chain = rollup.queueChainAt(1);
        // Honest: the posted state consumed the item, as the header says.
        (bytes32 root, bytes32[] memory branch) = _cursorState(1, chain);
        Rollup.BatchHeader memory h = _post(data, 1, root, 1);
        vm.expectRevert(DisputeGame.NoFault.selector);
        dg.proveQueueCursorFault(h, 1, chain, branch);
        vm.expectRevert(DisputeGame.BadProof.selector);
        dg.proveQueueCursorFault(h, 0, bytes32(0), branch);
        // Lying: the posted state never consumed the item (e.g. it was refused for its
        // timestamp), yet the header tells L1 it was.
        _enqueue(L1Inputs.forcedClose(1, 0, 0));
        (root, branch) = _cursorState(1, chain);
        h = _post(_forcedCloses(1, 2), 1, root, 2);
        vm.expectEmit(true, true, true, true, address(dg));
        emit DisputeGame.FaultProven(2, DisputeGame.Fault.QueueCursorMismatch, 0, address(this), SEQ_BOND);
        dg.proveQueueCursorFault(h, 1, chain, branch);
        assertEq(rollup.nextBatchIndex(), 2, "rolled back");
    }

    // ================================================================ governance

    function test_deploy_wiresDisputeGameWithTheOneStepProver() public {
        address[] memory tokens = new address[](2);
        tokens[0] = address(usdc);
        tokens[1] = address(weth);
        Deployment memory d = _deploy(
            Config({
                owner: owner,
                sequencer: sequencer,
                genesisRoot: GENESIS,
                timelockDelay: DELAY,
                params: _defaultParams(),
                tokens: tokens,
                genesis: _testGenesis(),
                oneStepProver: true
            })
        );
        assertEq(d.rollup.disputeGame(), address(d.disputeGame), "wired");
        OneStepProver prover = OneStepProver(address(d.disputeGame.prover()));
        // Signing domain: this chain and the deployed Rollup (what the sequencer's users sign).
        assertEq(
            prover.DOMAIN_SEPARATOR(),
            keccak256(
                abi.encode(
                    keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                    keccak256("Crossmargin"),
                    keccak256("1"),
                    block.chainid,
                    address(d.rollup)
                )
            ),
            "prover's domain"
        );
        // Every operation type of the STF (selectors 0-18) has its one-step proof.
        for (uint8 selector; selector < 19; ++selector) {
            assertTrue(prover.isSupported(selector), "an operation type without a one-step proof");
        }
        assertFalse(prover.isSupported(19), "selector 19 is no operation");
        assertEq(address(d.disputeGame.rollup()), address(d.rollup), "rollup");
        assertEq(d.disputeGame.governance(), address(d.governance), "governance");
        assertEq(uint256(d.disputeGame.clockDuration()), 4 hours, "clock: window / 6");
        assertEq(uint256(d.disputeGame.resolutionGrace()), 1 hours, "grace: window / 24");
        assertEq(uint256(d.disputeGame.challengerBond()), 0.1 ether, "bond");
        vm.expectRevert(Governance.AlreadyInitialized.selector);
        d.governance.initDisputeGame(d.disputeGame);
        vm.prank(owner);
        vm.expectRevert(Governance.AlreadyInitialized.selector);
        governance.initDisputeGame(d.disputeGame);
    }

    function test_governance_params() public {
        _timelock(abi.encodeCall(Governance.setDisputeParam, (DisputeGame.Param.ClockDuration, 5 hours)));
        assertEq(uint256(dg.clockDuration()), 5 hours, "clock set");
        _timelock(abi.encodeCall(Governance.setDisputeParam, (DisputeGame.Param.ChallengerBond, 1 ether)));
        assertEq(uint256(dg.challengerBond()), 1 ether, "bond set");
        // 2 × (2 × 6 h + 1 h) > 1 day: the game would not fit in half the window.
        bytes memory call = abi.encodeCall(Governance.setDisputeParam, (DisputeGame.Param.ClockDuration, 6 hours));
        vm.prank(owner);
        (, uint256 salt) = governance.schedule(call);
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(
                Governance.CallFailed.selector,
                abi.encodeWithSelector(DisputeGame.GameSpanTooLong.selector, 13 hours, 1 days)
            )
        );
        governance.execute(call, salt);
        call = abi.encodeCall(Governance.setDisputeParam, (DisputeGame.Param.ResolutionGrace, 1 minutes));
        vm.prank(owner);
        (, salt) = governance.schedule(call);
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(
                Governance.CallFailed.selector,
                abi.encodeWithSelector(Governance.OutOfBounds.selector, 1 minutes, 10 minutes, 1 days)
            )
        );
        governance.execute(call, salt);
        vm.expectRevert(DisputeGame.NotGovernance.selector);
        dg.setParam(DisputeGame.Param.ClockDuration, 1);
        vm.expectRevert(DisputeGame.NotGovernance.selector);
        dg.setProver(IOneStepProver(address(0)));
    }

    function test_governance_windowCannotShrinkUnderOpenGames() public {
        bytes memory call = abi.encodeCall(Governance.setL1Param, (Rollup.Param.ChallengeWindow, 23 hours));
        vm.prank(owner);
        (, uint256 salt) = governance.schedule(call);
        vm.warp(block.timestamp + DELAY - 1 hours);
        _enqueue(L1Inputs.forcedClose(0, 0, 0));
        Rollup.BatchHeader memory h = _post(_forcedCloses(0, 1), 1, keccak256("s1"), 1);
        uint256 id = _open(h);
        vm.warp(block.timestamp + 1 hours);
        vm.expectRevert(
            abi.encodeWithSelector(Governance.CallFailed.selector, abi.encodeWithSelector(DisputeGame.GamesOpen.selector, 1))
        );
        governance.execute(call, salt);
        vm.warp(block.timestamp + CLOCK);
        dg.timeout(id);
        governance.execute(call, salt);
        assertEq(uint256(rollup.challengeWindow()), 23 hours, "shrunk once no game runs");
        // Too short for the game's clocks: 2 × 9 h > 17 h.
        call = abi.encodeCall(Governance.setL1Param, (Rollup.Param.ChallengeWindow, 17 hours));
        vm.prank(owner);
        (, salt) = governance.schedule(call);
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(
                Governance.CallFailed.selector,
                abi.encodeWithSelector(DisputeGame.GameSpanTooLong.selector, 9 hours, 17 hours)
            )
        );
        governance.execute(call, salt);
    }

    // ================================================================ gas

    /// @notice Batch data of `n` FundingTicks (4 bytes each, the shortest operation): the most
    ///         operations data of `MAX_DATA_BYTES` can hold.
    function _fundingTicks(uint256 n) internal pure returns (bytes memory data) {
        data = new bytes(3 + 4 * n);
        data[0] = 0x01;
        data[1] = bytes1(uint8(0x80 | (n & 0x7f)));
        data[2] = bytes1(uint8(n >> 7));
        for (uint256 i; i < n; ++i) {
            data[4 + 4 * i] = 0x0f;
        }
    }

    function _calldataGas(bytes memory call) internal pure returns (uint256 g) {
        for (uint256 i; i < call.length; ++i) {
            g += call[i] == 0 ? 4 : 16;
        }
    }

    struct Tally {
        uint256 challengerExec;
        uint256 challengerTx;
        uint256 defenderExec;
        uint256 defenderTx;
        uint256 moves;
    }

    /// @notice Runs `call` as its own transaction would (cold storage), from `from`; adds its
    ///         execution gas and 21,000 + calldata gas to the tally.
    function _measure(address from, bytes memory call, bool isChallenger, Tally memory t) internal returns (uint256 used) {
        VmCool(address(vm)).cool(address(dg));
        VmCool(address(vm)).cool(address(rollup));
        vm.prank(from);
        uint256 g0 = gasleft();
        (bool ok, bytes memory ret) = address(dg).call(call);
        used = g0 - gasleft();
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        uint256 txGas = used + 21_000 + _calldataGas(call);
        if (isChallenger) {
            t.challengerExec += used;
            t.challengerTx += txGas;
        } else {
            t.defenderExec += used;
            t.defenderTx += txGas;
        }
    }

    /// @notice A whole game on `data` (n operations), the sequencer lying about the last root so
    ///         the game runs all the way down to the last operation (⌈log₂ n⌉ rounds); every
    ///         transaction measured; the gas per side in the console.
    function _measuredGame(bytes memory data, uint256 n, string memory what) internal returns (Tally memory t) {
        assertLe(data.length, dg.MAX_DATA_BYTES(), "within the cap");
        bytes32[] memory truth = _trace(data, GENESIS);
        bytes32[] memory claimed = _lie(truth, n);
        Rollup.BatchHeader memory h = _post(data, uint64(n), claimed[n], 0);
        vm.prank(challenger);
        uint256 id = dg.open{value: BOND}(h);
        _measureOpen(h, t);
        while (dg.game(id).status == DisputeGame.Status.Bisecting) {
            DisputeGame.Game memory g = dg.game(id);
            uint256 mid = (uint256(g.lo) + g.hi) / 2;
            _measure(sequencer, abi.encodeCall(DisputeGame.bisect, (id, claimed[mid])), false, t);
            _measure(challenger, abi.encodeCall(DisputeGame.choose, (id, claimed[mid] == truth[mid])), true, t);
            ++t.moves;
        }
        uint256 loadGas = _measure(challenger, abi.encodeCall(DisputeGame.loadOp, (id, h, data)), true, t);
        uint256 loadTx = loadGas + 21_000 + _calldataGas(abi.encodeCall(DisputeGame.loadOp, (id, h, data)));
        assertLt(loadTx, 16_777_216, "loadOp fits one transaction under EIP-7825's cap");
        DisputeGame.Game memory end = dg.game(id);
        bytes memory op = BatchCodec.opAt(BatchCodec.decode(data), end.lo);
        uint256 stepGas = _measure(challenger, abi.encodeCall(DisputeGame.step, (id, op, abi.encode(end.loRoot))), true, t);
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.ChallengerWon), "challenger won");
        console.log(what);
        console.log("  ops", n);
        console.log("  data bytes", data.length);
        console.log("  rounds", t.moves);
        console.log("  defender: all bisects, execution gas", t.defenderExec);
        console.log("  defender: incl. 21k + calldata per tx", t.defenderTx);
        console.log("  challenger: open + chooses + loadOp + step, execution gas", t.challengerExec);
        console.log("  challenger: incl. 21k + calldata per tx", t.challengerTx);
        console.log("  loadOp execution gas", loadGas);
        console.log("  loadOp tx gas", loadTx);
        console.log("  step execution gas (test prover)", stepGas);
    }

    /// @notice The largest batch the data cap allows by op count: 8,801 FundingTicks (4 bytes
    ///         each, the shortest operation) in 35,207 bytes, 14 rounds.
    function test_gas_fullGame_mostOps() public {
        uint256 n = (dg.MAX_DATA_BYTES() - 3) / 4;
        Tally memory t = _measuredGame(_fundingTicks(n), n, "full game, most operations (FundingTicks)");
        assertEq(t.moves, 14, "log2 rounds");
    }

    /// @notice The costliest data to decode per byte, at the cap (fixture `worst`
    ///         oracle68AtLimitx168: 168 OracleUpdates of 68 one-byte price points, 35,115
    ///         bytes), 8 rounds.
    function test_gas_fullGame_costliestDecode() public {
        assertEq(vm.parseJsonString(fixture, ".worst[6].name"), "oracle68AtLimitx168", "fixture order");
        bytes memory unit = vm.parseJsonBytes(fixture, ".worst[6].unit");
        uint256 count = vm.parseJsonUint(fixture, ".worst[6].count");
        bytes memory data = abi.encodePacked(uint8(1), uint8(0x80 | (count & 0x7f)), uint8(count >> 7));
        for (uint256 i; i < count; ++i) {
            data = bytes.concat(data, unit);
        }
        assertEq(data.length, vm.parseJsonUint(fixture, ".worst[6].dataLength"), "length");
        Tally memory t = _measuredGame(data, count, "full game, costliest decode (68-point OracleUpdates)");
        assertEq(t.moves, 8, "log2 rounds");
    }

    /// @notice The costliest data per byte for `BatchCodec.locate` (what loadOp runs), at the
    ///         cap: Deleverages whose size (a decimal) is a four-byte varint (02 0e 05 05 05
    ///         81808001, 9 bytes), which sends every operation through locate's field-by-field
    ///         tier, its general varint loop and its decimal check
    ///         (BatchCodecGasTest.test_gas_locate_everySelectorShape measures every selector's
    ///         shapes and small multi-byte ones; this one is the worst). 3,911 operations in
    ///         35,202 bytes, 12 rounds.
    function test_gas_fullGame_costliestLocate() public {
        bytes memory unit = hex"020e05050581808001";
        uint256 count = (dg.MAX_DATA_BYTES() - 3) / unit.length;
        bytes memory data = new bytes(3 + unit.length * count);
        data[0] = 0x01;
        data[1] = bytes1(uint8(0x80 | (count & 0x7f)));
        data[2] = bytes1(uint8(count >> 7));
        for (uint256 i; i < count; ++i) {
            for (uint256 j; j < unit.length; ++j) data[3 + i * unit.length + j] = unit[j];
        }
        Tally memory t = _measuredGame(data, count, "full game, costliest locate (Deleverages, four-byte size)");
        assertEq(t.moves, 12, "log2 rounds");
    }

    /// @notice LEB128 of x, as the codec writes varints.
    function _varint(uint256 x) internal pure returns (bytes memory b) {
        while (x >= 0x80) {
            b = bytes.concat(b, bytes1(uint8(x & 0x7f) | 0x80));
            x >>= 7;
        }
        b = bytes.concat(b, bytes1(uint8(x)));
    }

    /// @notice Proves `want` with `proveDataFault(h, data)` as its own transaction would run
    ///         (cold storage) and returns its execution gas and its transaction gas: 21,000 +
    ///         calldata, or EIP-7623's floor (10 per token, 4 tokens a non-zero byte) if higher.
    function _measureQueueFault(Rollup.BatchHeader memory h, bytes memory data, DisputeGame.Fault want, string memory what)
        internal
        returns (uint256 exec, uint256 txGas)
    {
        assertLe(data.length, dg.MAX_DATA_BYTES(), "within the cap");
        bytes memory call = abi.encodeCall(DisputeGame.proveDataFault, (h, data));
        VmCool(address(vm)).cool(address(dg));
        VmCool(address(vm)).cool(address(rollup));
        vm.recordLogs();
        vm.prank(faultProver);
        uint256 g0 = gasleft();
        (bool ok, bytes memory ret) = address(dg).call(call);
        exec = g0 - gasleft();
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        assertEq(rollup.nextBatchIndex(), h.batchIndex, "rolled back");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bool found;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == DisputeGame.FaultProven.selector) {
                (DisputeGame.Fault fault,,) = abi.decode(logs[i].data, (DisputeGame.Fault, uint256, uint256));
                assertEq(uint256(fault), uint256(want), "the fault proven");
                found = true;
            }
        }
        assertTrue(found, "FaultProven emitted");
        uint256 tokens;
        for (uint256 i; i < call.length; ++i) {
            tokens += call[i] == 0 ? 1 : 4;
        }
        txGas = exec + 21_000 + _calldataGas(call);
        uint256 floor = 21_000 + 10 * tokens;
        if (floor > txGas) txGas = floor;
        console.log(what);
        console.log("  data bytes", data.length);
        console.log("  proveDataFault execution gas", exec);
        console.log("  proveDataFault tx gas", txGas);
        assertLt(txGas, 16_777_216, "the queue-fault proof fits one transaction under EIP-7825's cap");
    }

    /// @notice A queue fault in data at the cap shaped as `decode`'s costliest per byte with
    ///         two-byte varints (OracleUpdates of 68 price points with two-byte ids, 494 gas per
    ///         byte for `decode`: ≈ 17.4M, over the cap): one ForcedClose of queue item 0 first,
    ///         while the header claims items 0 and 1 consumed (`L1InputsSkipped`). The walk no
    ///         longer decodes the OracleUpdates.
    function test_gas_proveDataFault_queueFault_costliestDecode() public {
        _enqueue(L1Inputs.forcedClose(0, 0, 0));
        _enqueue(L1Inputs.forcedClose(1, 0, 0));
        // Δts +1, OracleUpdate, time = ts + 1, 68 × (kind 7, id 129 as 81 01, price 10 as 15),
        // no signatures: 277 bytes.
        bytes memory unit = hex"020a0344";
        for (uint256 p; p < 68; ++p) {
            unit = bytes.concat(unit, hex"07810115");
        }
        unit = bytes.concat(unit, hex"00");
        bytes memory close = hex"0012000000"; // ForcedClose(0, account 0, market 0) at t = 0
        uint256 count = (dg.MAX_DATA_BYTES() - 3 - close.length) / unit.length;
        bytes memory body = close;
        for (uint256 i; i < count; ++i) {
            body = bytes.concat(body, unit);
        }
        bytes memory data = bytes.concat(hex"01", _varint(count + 1), body);
        assertGt(harnessDecodeGas(data), 16_777_216, "decode alone would not fit");
        Rollup.BatchHeader memory h = _post(data, uint64(count + 1), keccak256("x"), 2);
        _measureQueueFault(h, data, DisputeGame.Fault.L1InputsSkipped, "queue fault, costliest decode (two-byte-id OracleUpdates)");
    }

    /// @notice `decode`'s gas on data, measured in this frame (the data already in memory).
    function harnessDecodeGas(bytes memory data) internal view returns (uint256 g) {
        g = gasleft();
        BatchCodec.decode(data);
        g -= gasleft();
    }

    /// @notice The costliest data per byte for `locateL1Inputs` that a queue fault can make it
    ///         walk in full (BatchCodecGasTest.test_gas_locateL1Inputs_everySelectorShape):
    ///         ForcedWithdraws, each a real queue item (so the walk chains them all), at the cap;
    ///         the header claims one item more (`L1InputsSkipped`). One-byte fields but the
    ///         queue index (two bytes past 127): 5,031 inputs; every varint two bytes: 3,533.
    function test_gas_proveDataFault_queueFault_costliestL1Walk_oneByteFields() public {
        _queueFaultOverForcedWithdraws(hex"0011", hex"000029", 0, 10, "queue fault, costliest L1-input walk (ForcedWithdraws, one-byte fields but the queue index)");
    }

    function test_gas_proveDataFault_queueFault_costliestL1Walk_twoByteFields() public {
        // Δts +65 ms (82 01), account 129 (81 01), asset 0, amount 3·10^9 (m 3, e 9: 129 as 81 01)
        _queueFaultOverForcedWithdraws(hex"820111", hex"8101008101", 129, 3e9, "queue fault, costliest L1-input walk (ForcedWithdraws, every varint two bytes)");
    }

    /// @dev ForcedWithdraw ops `head ‖ varint(k) ‖ tail` for k = 0, 1, ... up to the cap, each
    ///      enqueued on L1 as ForcedWithdraw(k, account, asset 0, amount), plus one more item the
    ///      header claims: the proof walks and chains every input, then finds the skip.
    function _queueFaultOverForcedWithdraws(
        bytes memory head,
        bytes memory tail,
        uint32 account,
        uint128 amount,
        string memory what
    ) internal {
        uint256 cap = dg.MAX_DATA_BYTES() - 3;
        bytes memory body = new bytes(cap);
        uint256 len;
        uint256 count;
        for (;;) {
            bytes memory op = bytes.concat(head, _varint(count), tail);
            if (len + op.length > cap) break;
            for (uint256 j; j < op.length; ++j) body[len + j] = op[j];
            len += op.length;
            _enqueue(L1Inputs.forcedWithdraw(uint64(count), account, 0, amount));
            ++count;
        }
        assembly {
            mstore(body, len)
        }
        _enqueue(L1Inputs.forcedWithdraw(uint64(count), account, 0, amount));
        bytes memory data = bytes.concat(hex"01", _varint(count), body);
        Rollup.BatchHeader memory h = _post(data, uint64(count), keccak256("x"), uint64(count + 1));
        _measureQueueFault(h, data, DisputeGame.Fault.L1InputsSkipped, what);
        console.log("  L1 inputs", count);
    }

    function _measureOpen(Rollup.BatchHeader memory h, Tally memory t) internal {
        // Opening a second game the same way, measured: what the challenger's first tx costs.
        address second = makeAddr("second challenger");
        vm.deal(second, 1 ether);
        VmCool(address(vm)).cool(address(dg));
        VmCool(address(vm)).cool(address(rollup));
        vm.prank(second);
        uint256 g0 = gasleft();
        dg.open{value: BOND}(h);
        uint256 used = g0 - gasleft();
        t.challengerExec += used;
        t.challengerTx += used + 21_000 + _calldataGas(abi.encodeCall(DisputeGame.open, (h)));
    }

    function test_gas_bisection_100kOps() public {
        for (uint256 s; s < 9; ++s) {
            _timelock(abi.encodeCall(Governance.setL1Param, (Rollup.Param.MaxBatchSize, 20_000 + 10_000 * s)));
        }
        assertEq(uint256(rollup.maxBatchSize()), 100_000, "max");
        bytes memory data = _fundingTicks(8_801);
        Rollup.BatchHeader memory h = _post(data, 100_000, keccak256("x"), 0);
        uint256 id = _open(h);
        Tally memory t;
        while (dg.game(id).status == DisputeGame.Status.Bisecting) {
            DisputeGame.Game memory g = dg.game(id);
            bytes32 root = keccak256(abi.encode((uint256(g.lo) + g.hi) / 2));
            _measure(sequencer, abi.encodeCall(DisputeGame.bisect, (id, root)), false, t);
            // Agreeing keeps the upper half, ⌈size/2⌉: the longest path.
            _measure(challenger, abi.encodeCall(DisputeGame.choose, (id, true)), true, t);
            ++t.moves;
        }
        assertEq(t.moves, 17, "log2 100,000 rounds");
        console.log("100,000-op bisection: rounds", t.moves);
        console.log("defender bisect total, execution gas", t.defenderExec);
        console.log("challenger choose total, execution gas", t.challengerExec);
        // The header's op count lies about the data: loadOp convicts it.
        dg.loadOp(id, h, data);
        assertEq(uint256(dg.game(id).status), uint256(DisputeGame.Status.ChallengerWon), "count fault");
    }
}
