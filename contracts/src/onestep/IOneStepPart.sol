// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IOneStepProver} from "../IOneStepProver.sol";

/// @title IOneStepPart
/// @notice One contract of the one-step STF. EIP-170 caps a contract's code at 24,576 bytes and
///         the whole STF is larger, so `OneStepProver` executes some operation types itself and
///         forwards the others to parts. A part is a complete `IOneStepProver` for the types it
///         supports (it verifies the witness itself), deployed on its own and handed to the
///         prover's constructor (deploying them from the prover's constructor would put their
///         creation code in its initcode, past EIP-3860's 49,152 bytes).
interface IOneStepPart is IOneStepProver {
    /// @notice Whether this part executes operations with this union selector (types.ts OP_TYPES).
    function isSupported(uint8 selector) external view returns (bool);
}
