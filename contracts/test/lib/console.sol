// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title console
/// @notice A few `console.log` overloads for debugging tests (`forge test -vv` prints them).
/// @dev forge decodes calls to the console address by selector, so each function must send the
///      signature forge knows (`logBytes32` sends `log(bytes32)`, as in Hardhat's console).
///      Calls are static and change no state.
library console {
    /// @notice The address forge listens on: `address(bytes20(bytes("console.log")))` left-padded.
    address internal constant CONSOLE_ADDRESS = 0x000000000000000000636F6e736F6c652e6c6f67;

    /// @notice Logs `message`.
    function log(string memory message) internal pure {
        _send(abi.encodeWithSignature("log(string)", message));
    }

    /// @notice Logs `message` and `value`.
    function log(string memory message, uint256 value) internal pure {
        _send(abi.encodeWithSignature("log(string,uint256)", message, value));
    }

    /// @notice Logs `message` and `value`.
    function log(string memory message, int256 value) internal pure {
        _send(abi.encodeWithSignature("log(string,int256)", message, value));
    }

    /// @notice Logs `message` and `value`.
    function log(string memory message, address value) internal pure {
        _send(abi.encodeWithSignature("log(string,address)", message, value));
    }

    /// @notice Logs `message` and `value`.
    function log(string memory message, bool value) internal pure {
        _send(abi.encodeWithSignature("log(string,bool)", message, value));
    }

    /// @notice Logs `message` and `value`.
    function log(string memory message, string memory value) internal pure {
        _send(abi.encodeWithSignature("log(string,string)", message, value));
    }

    /// @notice Logs a bytes32 value.
    function logBytes32(bytes32 value) internal pure {
        _send(abi.encodeWithSignature("log(bytes32)", value));
    }

    /// @notice Logs a bytes value.
    function logBytes(bytes memory value) internal pure {
        _send(abi.encodeWithSignature("log(bytes)", value));
    }

    /// @dev Sends the payload with a staticcall, seen by the compiler as pure so that pure and
    ///      view tests can log too.
    function _send(bytes memory payload) private pure {
        _asPure(_sendView)(payload);
    }

    function _sendView(bytes memory payload) private view {
        // The console address has no code; the call only exists for forge to observe.
        (bool ok,) = CONSOLE_ADDRESS.staticcall(payload);
        ok;
    }

    function _asPure(function(bytes memory) internal view fnIn)
        private
        pure
        returns (function(bytes memory) internal pure fnOut)
    {
        assembly ("memory-safe") {
            fnOut := fnIn
        }
    }
}
