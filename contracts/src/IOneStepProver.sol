// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IOneStepProver
/// @notice The one-step state transition the dispute game ends in: executes a single operation
///         of a batch on the state committed by `preRoot` and returns the state root after it,
///         as the TypeScript STF's `applyOp` followed by `stateRoot` would (docs/fault-proofs.md).
/// @dev    The implementation is `OneStepProver` (the Solidity copy of the STF). It
///         must be deterministic and read nothing but its arguments and constants: the game
///         calls it with `staticcall` (`view`), and both parties must be able to predict its
///         answer off chain.
interface IOneStepProver {
    /// @notice Executes one operation.
    /// @param preRoot The state root before the operation (agreed by both parties).
    /// @param opBytes The operation as its canonical `SequencedOp` SSZ bytes (timestamp u64 LE ‖
    ///        union offset ‖ selector ‖ body), exactly `BatchCodec.opAt(decode(data), i)`; the
    ///        game has already checked they are operation `i` of the batch's posted data.
    /// @param witness SSZ Merkle witnesses, against `preRoot`, of every leaf the operation reads
    ///        or writes (format defined by the prover).
    /// @return postRoot The state root after the operation (equal to `preRoot` when the STF
    ///         refuses the operation without a state change).
    /// @dev MUST revert when `witness` does not prove what the operation touches against
    ///      `preRoot`: a bad witness is the caller's error, never a verdict.
    function execute(bytes32 preRoot, bytes calldata opBytes, bytes calldata witness)
        external
        view
        returns (bytes32 postRoot);
}
