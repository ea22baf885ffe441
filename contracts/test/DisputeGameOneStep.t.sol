// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "./lib/console.sol";
import {DisputeGameBase} from "./DisputeGame.t.sol";
import {DisputeGame} from "../src/DisputeGame.sol";
import {Governance} from "../src/Governance.sol";
import {OneStepProver} from "../src/OneStepProver.sol";
import {OneStepDeploy} from "../script/OneStepDeploy.sol";
import {Rollup} from "../src/Rollup.sol";
import {BatchCodec} from "../src/lib/BatchCodec.sol";

/// @title DisputeGame with the real one-step prover
/// @notice A game ending in `OneStepProver` (contracts/src/OneStepProver.sol) instead of the
///         test prover. Kept apart from DisputeGame.t.sol so the game's own tests build while
///         the prover is being changed (`--skip` this file and the prover).
contract DisputeGameOneStepTest is DisputeGameBase {
    function _varint(uint256 v) internal pure returns (bytes memory out) {
        while (v >= 0x80) {
            out = abi.encodePacked(out, uint8(v & 0x7f) | 0x80);
            v >>= 7;
        }
        out = abi.encodePacked(out, uint8(v));
    }

    function _zigzag(int256 d) internal pure returns (uint256) {
        return d >= 0 ? uint256(d) * 2 : uint256(-d) * 2 - 1;
    }

    function _le(bytes memory b, uint256 at, uint256 width) internal pure returns (uint256 v) {
        for (uint256 i; i < width; ++i) {
            v |= uint256(uint8(b[at + i])) << (8 * i);
        }
    }

    /// @notice Batch data of one CancelAll given as its SequencedOp bytes, coded as the codec
    ///         does (docs/codec.md §2: Δt, selector 8, account uint, nonce time, market uint,
    ///         signature raw 65).
    function _cancelAllData(bytes memory op) internal pure returns (bytes memory data) {
        assertEq(uint256(uint8(op[12])), 8, "a CancelAll");
        uint256 ts = _le(op, 0, 8);
        uint256 nonce = _le(op, 17, 8);
        bytes memory sig = new bytes(65);
        for (uint256 i; i < 65; ++i) {
            sig[i] = op[27 + i];
        }
        data = abi.encodePacked(uint8(1), uint8(1), _varint(_zigzag(int256(ts))), uint8(8), _varint(_le(op, 13, 4)));
        data = abi.encodePacked(
            data,
            nonce == 0 ? _varint(0) : _varint(1 + _zigzag(int256(nonce) - int256(ts))),
            _varint(_le(op, 25, 2)),
            sig
        );
    }

    /// @notice The game ends in `OneStepProver` (contracts/src/OneStepProver.sol) on an accepted
    ///         CancelAll of its golden vectors: the wrong root loses, the right root stands.
    function test_game_endsInTheRealOneStepProver() public {
        string memory json = vm.readFile(string.concat(vm.projectRoot(), "/contracts/test/fixtures/onestep-CancelAll.json"));
        OneStepProver real = OneStepDeploy.deploy(vm.parseJsonUint(json, ".chainId"), vm.parseJsonAddress(json, ".rollup"));
        _timelock(abi.encodeCall(Governance.setOneStepProver, (address(real))));
        uint256 i;
        while (vm.parseJsonUint(json, string.concat(".vectors[", vm.toString(i), "].accepted")) != 1) ++i;
        string memory k = string.concat(".vectors[", vm.toString(i), "]");
        bytes memory op = vm.parseJsonBytes(json, string.concat(k, ".opBytes"));
        bytes memory witness = vm.parseJsonBytes(json, string.concat(k, ".witness"));
        bytes32 pre = vm.parseJsonBytes32(json, string.concat(k, ".preRoot"));
        bytes32 post = vm.parseJsonBytes32(json, string.concat(k, ".postRoot"));
        bytes memory data = _cancelAllData(op);
        assertEq(BatchCodec.opAt(BatchCodec.decode(data), 0), op, "the data decodes to the vector's op");
        _post(ONE_TICK, 1, pre, 0); // batch 1 leaves the vector's pre-state
        uint256 snap = vm.snapshotState();
        for (uint256 honest; honest < 2; ++honest) {
            Rollup.BatchHeader memory h = _post(data, 1, honest == 1 ? post : keccak256("wrong"), 0);
            uint256 id = _open(h);
            dg.loadOp(id, h, data);
            uint256 g0 = gasleft();
            dg.step(id, op, witness);
            console.log(honest == 1 ? "step, real prover, right root" : "step, real prover, wrong root", g0 - gasleft());
            assertEq(
                uint256(dg.game(id).status),
                uint256(honest == 1 ? DisputeGame.Status.DefenderWon : DisputeGame.Status.ChallengerWon),
                "winner"
            );
            assertEq(rollup.nextBatchIndex(), honest == 1 ? 3 : 2, "rollback only of the wrong root");
            vm.revertToState(snap);
        }
    }

}
