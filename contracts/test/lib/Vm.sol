// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Vm
/// @notice The subset of Foundry's cheatcodes that our tests use.
/// @dev forge-std is not on npm and this machine reaches only npm, so the project keeps its own
///      interface. Every cheatcode is matched by its selector, so a signature here must be
///      exactly Foundry's; a wrong one fails at run time with "unknown cheatcode". Add
///      cheatcodes as tests need them, with Foundry's parameter types.
interface Vm {
    /// @notice A log captured by `recordLogs`.
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    // ---------------------------------------------------------------- environment

    /// @notice Sets `block.timestamp`.
    function warp(uint256 newTimestamp) external;
    /// @notice Sets `block.number`.
    function roll(uint256 newHeight) external;
    /// @notice Sets `block.chainid`.
    function chainId(uint256 newChainId) external;
    /// @notice Sets `block.basefee`.
    function fee(uint256 newBasefee) external;
    /// @notice Sets `tx.gasprice`.
    function txGasPrice(uint256 newGasPrice) external;
    /// @notice Sets the ether balance of `account`.
    function deal(address account, uint256 newBalance) external;
    /// @notice Sets the code of `target`.
    function etch(address target, bytes calldata newRuntimeBytecode) external;
    /// @notice Writes storage slot `slot` of `target`.
    function store(address target, bytes32 slot, bytes32 value) external;
    /// @notice Reads storage slot `slot` of `target`.
    function load(address target, bytes32 slot) external view returns (bytes32 data);
    /// @notice Sets the nonce of `account`.
    function setNonce(address account, uint64 newNonce) external;
    /// @notice Gets the nonce of `account`.
    function getNonce(address account) external view returns (uint64 nonce);

    // ---------------------------------------------------------------- callers

    /// @notice Makes the next call come from `msgSender`.
    function prank(address msgSender) external;
    /// @notice Makes the next call come from `msgSender` with `tx.origin` = `txOrigin`.
    function prank(address msgSender, address txOrigin) external;
    /// @notice Makes all following calls come from `msgSender` until `stopPrank`.
    function startPrank(address msgSender) external;
    /// @notice As `startPrank(address)`, also setting `tx.origin`.
    function startPrank(address msgSender, address txOrigin) external;
    /// @notice Ends a `startPrank`.
    function stopPrank() external;

    // ---------------------------------------------------------------- expectations

    /// @notice Expects the next call to revert, with any data.
    function expectRevert() external;
    /// @notice Expects the next call to revert with data starting with `revertData`.
    function expectRevert(bytes4 revertData) external;
    /// @notice Expects the next call to revert with exactly `revertData`.
    function expectRevert(bytes calldata revertData) external;
    /// @notice Expects the next emitted event to match the one emitted after this call (all topics and data).
    function expectEmit() external;
    /// @notice As `expectEmit()`, checking only the chosen topics and data.
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;
    /// @notice As the four-flag `expectEmit`, also checking the emitter.
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter) external;
    /// @notice As `expectEmit()`, also checking the emitter.
    function expectEmit(address emitter) external;
    /// @notice Expects a call to `callee` with calldata starting with `data`.
    function expectCall(address callee, bytes calldata data) external;
    /// @notice Starts recording emitted logs.
    function recordLogs() external;
    /// @notice Returns and clears the logs recorded since `recordLogs`.
    function getRecordedLogs() external returns (Log[] memory logs);

    // ---------------------------------------------------------------- mocks and state

    /// @notice Makes calls to `callee` with calldata starting with `data` return `returnData`.
    function mockCall(address callee, bytes calldata data, bytes calldata returnData) external;
    /// @notice Removes all mocked calls.
    function clearMockedCalls() external;
    /// @notice Snapshots the whole EVM state.
    function snapshotState() external returns (uint256 snapshotId);
    /// @notice Restores a snapshot taken by `snapshotState`.
    function revertToState(uint256 snapshotId) external returns (bool success);
    /// @notice Stops charging gas (for expensive test setup).
    function pauseGasMetering() external;
    /// @notice Resumes charging gas.
    function resumeGasMetering() external;

    // ---------------------------------------------------------------- scripts

    /// @notice Sends the following calls as transactions from the script's sender (forge script).
    function startBroadcast() external;
    /// @notice Stops broadcasting.
    function stopBroadcast() external;
    /// @notice Reads env var `name` as bytes32, or returns `defaultValue`.
    function envOr(string calldata name, bytes32 defaultValue) external view returns (bytes32 value);
    /// @notice Reads env var `name` as an address, or returns `defaultValue`.
    function envOr(string calldata name, address defaultValue) external view returns (address value);

    // ---------------------------------------------------------------- fuzzing

    /// @notice Discards the current fuzz input when `condition` is false.
    function assume(bool condition) external pure;

    // ---------------------------------------------------------------- keys

    /// @notice The address of `privateKey`.
    function addr(uint256 privateKey) external pure returns (address keyAddr);
    /// @notice Signs `digest` with `privateKey` (secp256k1).
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    /// @notice Names `account` in traces.
    function label(address account, string calldata newLabel) external;

    // ---------------------------------------------------------------- files, env, ffi

    /// @notice The project root (where foundry.toml is).
    function projectRoot() external view returns (string memory path);
    /// @notice Reads a file; the path must be allowed by `fs_permissions` in foundry.toml.
    function readFile(string calldata path) external view returns (string memory data);
    /// @notice Runs a command; needs `ffi = true` (off in this project).
    function ffi(string[] calldata commandInput) external returns (bytes memory result);
    /// @notice Reads env var `name` as a uint, or returns `defaultValue`.
    function envOr(string calldata name, uint256 defaultValue) external view returns (uint256 value);
    /// @notice Reads env var `name` as a bool, or returns `defaultValue`.
    function envOr(string calldata name, bool defaultValue) external view returns (bool value);
    /// @notice Reads env var `name` as a string, or returns `defaultValue`.
    function envOr(string calldata name, string calldata defaultValue) external view returns (string memory value);

    // ---------------------------------------------------------------- JSON and strings

    /// @notice Whether `key` (a JSONPath such as ".cases[0].root") exists in `json`.
    function keyExistsJson(string calldata json, string calldata key) external view returns (bool);
    /// @notice Reads a uint (a JSON number or a decimal/hex string) at `key`.
    function parseJsonUint(string calldata json, string calldata key) external pure returns (uint256);
    /// @notice Reads a uint array at `key`.
    function parseJsonUintArray(string calldata json, string calldata key) external pure returns (uint256[] memory);
    /// @notice Reads an int (a JSON number or a decimal string, may be negative) at `key`.
    function parseJsonInt(string calldata json, string calldata key) external pure returns (int256);
    /// @notice Reads an int array at `key`.
    function parseJsonIntArray(string calldata json, string calldata key) external pure returns (int256[] memory);
    /// @notice Reads an address (0x-prefixed hex string) at `key`.
    function parseJsonAddress(string calldata json, string calldata key) external pure returns (address);
    /// @notice Reads a bytes32 (0x-prefixed hex string) at `key`.
    function parseJsonBytes32(string calldata json, string calldata key) external pure returns (bytes32);
    /// @notice Reads a bytes32 array at `key`.
    function parseJsonBytes32Array(string calldata json, string calldata key) external pure returns (bytes32[] memory);
    /// @notice Reads a bytes value (0x-prefixed hex string) at `key`.
    function parseJsonBytes(string calldata json, string calldata key) external pure returns (bytes memory);
    /// @notice Reads a string at `key`.
    function parseJsonString(string calldata json, string calldata key) external pure returns (string memory);
    /// @notice Decimal string of `value`.
    function toString(uint256 value) external pure returns (string memory);
    /// @notice Decimal string of `value`.
    function toString(int256 value) external pure returns (string memory);
    /// @notice 0x-hex string of `value`.
    function toString(bytes32 value) external pure returns (string memory);
    /// @notice Checksummed 0x-hex string of `value`.
    function toString(address value) external pure returns (string memory);

    // ---------------------------------------------------------------- assertions
    // Foundry formats the failure ("assertion failed: <msg>: 1 != 2") and fails the test.

    function assertTrue(bool condition, string calldata error) external pure;
    function assertFalse(bool condition, string calldata error) external pure;
    function assertEq(bool left, bool right, string calldata error) external pure;
    function assertEq(uint256 left, uint256 right, string calldata error) external pure;
    function assertEq(int256 left, int256 right, string calldata error) external pure;
    function assertEq(address left, address right, string calldata error) external pure;
    function assertEq(bytes32 left, bytes32 right, string calldata error) external pure;
    function assertEq(bytes calldata left, bytes calldata right, string calldata error) external pure;
    function assertEq(string calldata left, string calldata right, string calldata error) external pure;
    function assertEq(bytes32[] calldata left, bytes32[] calldata right, string calldata error) external pure;
    function assertEq(uint256[] calldata left, uint256[] calldata right, string calldata error) external pure;
    function assertNotEq(uint256 left, uint256 right, string calldata error) external pure;
    function assertNotEq(bytes32 left, bytes32 right, string calldata error) external pure;
    function assertNotEq(address left, address right, string calldata error) external pure;
    function assertGt(uint256 left, uint256 right, string calldata error) external pure;
    function assertGt(int256 left, int256 right, string calldata error) external pure;
    function assertGe(uint256 left, uint256 right, string calldata error) external pure;
    function assertGe(int256 left, int256 right, string calldata error) external pure;
    function assertLt(uint256 left, uint256 right, string calldata error) external pure;
    function assertLt(int256 left, int256 right, string calldata error) external pure;
    function assertLe(uint256 left, uint256 right, string calldata error) external pure;
    function assertLe(int256 left, int256 right, string calldata error) external pure;
    function assertApproxEqAbs(uint256 left, uint256 right, uint256 maxDelta, string calldata error) external pure;
}
