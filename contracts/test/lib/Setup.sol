// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./Test.sol";
import {DeployBase} from "../../script/Deploy.s.sol";
import {Governance} from "../../src/Governance.sol";
import {Rollup} from "../../src/Rollup.sol";
import {Vault} from "../../src/Vault.sol";
import {SSZ} from "../../src/lib/SSZ.sol";
import {StateLayout as L} from "../../src/lib/StateLayout.sol";
import {StateProofs} from "../../src/lib/StateProofs.sol";
import {MockERC20} from "../../src/test/MockERC20.sol";

/// @title StateBuilder
/// @notice Builds small synthetic states in Solidity for unit tests: a state whose only
///         non-zero field is the withdrawals list, and branches into it. (Real states from the
///         TypeScript STF are in the fixture tests.)
library StateBuilder {
    /// @notice zerohashes[d]: the root of an all-zero tree of depth d.
    function zeroHash(uint256 depth) internal view returns (bytes32 z) {
        for (uint256 i; i < depth; ++i) {
            z = SSZ.hashPair(z, z);
        }
    }

    /// @notice Root of `leaves` as a list with limit 2^limitDepth, and the branch of leaf
    ///         `index` up to the list root (limitDepth + 1 siblings, the length chunk last).
    function listProof(bytes32[] memory leaves, uint256 limitDepth, uint256 index)
        internal
        view
        returns (bytes32 root, bytes32[] memory branch)
    {
        branch = new bytes32[](limitDepth + 1);
        bytes32[] memory level = new bytes32[](leaves.length == 0 ? 1 : leaves.length);
        for (uint256 i; i < leaves.length; ++i) {
            level[i] = leaves[i];
        }
        uint256 width = leaves.length;
        uint256 pos = index;
        for (uint256 d; d < limitDepth; ++d) {
            bytes32 z = zeroHash(d);
            uint256 sib = pos ^ 1;
            branch[d] = sib < width ? level[sib] : z;
            uint256 next = (width + 1) / 2;
            for (uint256 i; i < next; ++i) {
                bytes32 l = 2 * i < width ? level[2 * i] : z;
                bytes32 r = 2 * i + 1 < width ? level[2 * i + 1] : z;
                level[i] = SSZ.hashPair(l, r);
            }
            if (width == 0) level[0] = SSZ.hashPair(z, z);
            width = next == 0 ? 0 : next;
            pos /= 2;
        }
        bytes32 dataRoot = leaves.length == 0 ? zeroHash(limitDepth) : level[0];
        branch[limitDepth] = SSZ.toLittleEndian256(leaves.length);
        root = SSZ.mixInLength(dataRoot, leaves.length);
    }

    /// @notice A state whose withdrawals list holds `ws` (every other field zero), and the
    ///         branch of withdrawal `index` (StateLayout.WITHDRAWALS_PROOF_DEPTH siblings).
    function withdrawalsState(StateProofs.Withdrawal[] memory ws, uint256 index)
        internal
        view
        returns (bytes32 root, bytes32[] memory proof)
    {
        bytes32[] memory leaves = new bytes32[](ws.length);
        for (uint256 i; i < ws.length; ++i) {
            leaves[i] = StateProofs.hashWithdrawal(ws[i]);
        }
        uint256 listDepth = L.WITHDRAWALS_PROOF_DEPTH - L.STATE_DEPTH - 1;
        (bytes32 listRoot, bytes32[] memory listBranch) = listProof(leaves, listDepth, index);
        proof = new bytes32[](L.WITHDRAWALS_PROOF_DEPTH);
        for (uint256 i; i < listBranch.length; ++i) {
            proof[i] = listBranch[i];
        }
        // Above the list root: the other state fields are zero chunks, so siblings are zero hashes.
        uint256 field = (L.WITHDRAWALS_LENGTH_GINDEX - 1) / 2;
        root = listRoot;
        for (uint256 d; d < L.STATE_DEPTH; ++d) {
            bytes32 z = zeroHash(d);
            proof[listBranch.length + d] = z;
            root = (field >> d) & 1 == 0 ? SSZ.hashPair(root, z) : SSZ.hashPair(z, root);
        }
    }
}

/// @title Setup
/// @notice Deploys the contracts through `DeployBase` (the deployment script's code) with two
///         test tokens, and offers helpers to post batches and build withdrawal states.
abstract contract Setup is Test, DeployBase {
    Governance internal governance;
    Rollup internal rollup;
    Vault internal vault;
    MockERC20 internal usdc;
    MockERC20 internal weth;

    address internal owner = makeAddr("owner");
    address internal sequencer = makeAddr("sequencer");
    address internal game = makeAddr("disputeGame");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");

    uint64 internal constant DELAY = 2 days;

    function _setUp(bytes32 genesisRoot) internal {
        vm.warp(1_700_000_000);
        usdc = new MockERC20("USD Coin (test)", "USDC", 6);
        weth = new MockERC20("Wrapped Ether (test)", "WETH", 18);
        address[] memory tokens = new address[](2);
        tokens[0] = address(usdc);
        tokens[1] = address(weth);
        Deployment memory d = _deploy(
            Config({
                owner: owner,
                sequencer: sequencer,
                genesisRoot: genesisRoot,
                timelockDelay: DELAY,
                params: _defaultParams(),
                tokens: tokens,
                genesis: _testGenesis(),
                // The game under test (`game`, set below) brings its own stand-in prover.
                oneStepProver: false
            })
        );
        governance = d.governance;
        rollup = d.rollup;
        vault = d.vault;
        vm.deal(sequencer, 10 ether);
        vm.prank(sequencer);
        rollup.postBond{value: 1 ether}();
        _timelock(abi.encodeCall(Governance.setDisputeGame, (game)));
    }

    /// @notice Schedules and executes a governance call through the timelock.
    function _timelock(bytes memory call) internal {
        vm.prank(owner);
        (, uint256 salt) = governance.schedule(call);
        vm.warp(block.timestamp + DELAY);
        governance.execute(call, salt);
    }

    /// @notice A header extending the current head to `newRoot`, consuming the whole queue.
    function _nextHeader(bytes32 newRoot, bytes memory data) internal view returns (Rollup.BatchHeader memory h) {
        uint256 index = rollup.nextBatchIndex();
        Rollup.Batch memory parent = rollup.batch(index - 1);
        h.batchIndex = uint64(index);
        h.parentHash = parent.headerHash;
        h.prevStateRoot = parent.stateRoot;
        h.newStateRoot = newRoot;
        h.opCount = 1;
        h.queuePosition = uint64(rollup.queueLength());
        h.queueChainHash = rollup.queueChainAt(h.queuePosition);
        h.dataHash = keccak256(data);
        h.l1Timestamp = uint64(block.timestamp);
    }

    /// @notice Posts a batch to `newRoot` as the sequencer; returns its index.
    function _submit(bytes32 newRoot) internal returns (uint256) {
        Rollup.BatchHeader memory h = _nextHeader(newRoot, hex"c0ffee");
        vm.prank(sequencer);
        rollup.submitBatch(h, hex"c0ffee");
        return h.batchIndex;
    }

    /// @notice Posts a batch and waits out its challenge window.
    function _submitFinal(bytes32 newRoot) internal returns (uint256 index) {
        index = _submit(newRoot);
        vm.warp(block.timestamp + rollup.challengeWindow());
    }

    function _fund(address who, uint256 usdcAmount, uint256 wethAmount) internal {
        usdc.mint(who, usdcAmount);
        weth.mint(who, wethAmount);
        vm.startPrank(who);
        usdc.approve(address(vault), type(uint256).max);
        weth.approve(address(vault), type(uint256).max);
        vm.stopPrank();
    }
}
