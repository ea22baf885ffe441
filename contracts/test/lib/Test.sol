// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "./Vm.sol";

/// @title Test
/// @notice The project's small base for forge tests: cheatcodes, assertions, fuzz helpers and
///         invariant targets.
/// @dev Our stand-in for forge-std's `Test` (not on npm). forge finds test contracts by their
///      `test*`, `testFuzz*` and `invariant*` functions, passes fuzz arguments itself, and calls
///      `setUp()` first when a contract defines it. Assertions delegate to Foundry's assertion
///      cheatcodes, so failures read as "assertion failed: <message>: <left> != <right>".
abstract contract Test {
    /// @notice The cheatcode address: `address(uint160(uint256(keccak256("hevm cheat code"))))`.
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    /// @notice Marks the contract as a test contract for tools that still look for it.
    bool public IS_TEST = true;

    /// @notice A (contract, selectors) pair for invariant targeting, as forge expects it.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targetedContracts;
    address[] private _excludedContracts;
    address[] private _targetedSenders;
    address[] private _excludedSenders;
    FuzzSelector[] private _targetedSelectors;
    FuzzSelector[] private _excludedSelectors;

    // ================================================================ assertions

    /// @notice Fails the test with `message`.
    function fail(string memory message) internal pure {
        vm.assertTrue(false, message);
    }

    /// @notice Fails unless `condition`.
    function assertTrue(bool condition) internal pure {
        vm.assertTrue(condition, "expected true");
    }

    /// @notice Fails unless `condition`, with `message`.
    function assertTrue(bool condition, string memory message) internal pure {
        vm.assertTrue(condition, message);
    }

    /// @notice Fails if `condition`.
    function assertFalse(bool condition) internal pure {
        vm.assertFalse(condition, "expected false");
    }

    /// @notice Fails if `condition`, with `message`.
    function assertFalse(bool condition, string memory message) internal pure {
        vm.assertFalse(condition, message);
    }

    /// @notice Fails unless `left == right`.
    function assertEq(bool left, bool right) internal pure {
        vm.assertEq(left, right, "bool");
    }

    /// @notice Fails unless `left == right`, with `message`.
    function assertEq(bool left, bool right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    /// @notice Fails unless `left == right`.
    function assertEq(uint256 left, uint256 right) internal pure {
        vm.assertEq(left, right, "uint256");
    }

    /// @notice Fails unless `left == right`, with `message`.
    function assertEq(uint256 left, uint256 right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    /// @notice Fails unless `left == right`.
    function assertEq(int256 left, int256 right) internal pure {
        vm.assertEq(left, right, "int256");
    }

    /// @notice Fails unless `left == right`, with `message`.
    function assertEq(int256 left, int256 right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    /// @notice Fails unless `left == right`.
    function assertEq(address left, address right) internal pure {
        vm.assertEq(left, right, "address");
    }

    /// @notice Fails unless `left == right`, with `message`.
    function assertEq(address left, address right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    /// @notice Fails unless `left == right`.
    function assertEq(bytes32 left, bytes32 right) internal pure {
        vm.assertEq(left, right, "bytes32");
    }

    /// @notice Fails unless `left == right`, with `message`.
    function assertEq(bytes32 left, bytes32 right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    /// @notice Fails unless `left` and `right` are the same bytes.
    function assertEq(bytes memory left, bytes memory right) internal pure {
        vm.assertEq(left, right, "bytes");
    }

    /// @notice Fails unless `left` and `right` are the same bytes, with `message`.
    function assertEq(bytes memory left, bytes memory right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    /// @notice Fails unless `left` and `right` are the same string.
    function assertEq(string memory left, string memory right) internal pure {
        vm.assertEq(left, right, "string");
    }

    /// @notice Fails unless `left` and `right` are the same string, with `message`.
    function assertEq(string memory left, string memory right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    /// @notice Fails unless the arrays are equal element by element.
    function assertEq(bytes32[] memory left, bytes32[] memory right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    /// @notice Fails unless the arrays are equal element by element.
    function assertEq(uint256[] memory left, uint256[] memory right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    /// @notice Fails if `left == right`.
    function assertNotEq(uint256 left, uint256 right, string memory message) internal pure {
        vm.assertNotEq(left, right, message);
    }

    /// @notice Fails if `left == right`.
    function assertNotEq(bytes32 left, bytes32 right, string memory message) internal pure {
        vm.assertNotEq(left, right, message);
    }

    /// @notice Fails if `left == right`.
    function assertNotEq(address left, address right, string memory message) internal pure {
        vm.assertNotEq(left, right, message);
    }

    /// @notice Fails unless `left > right`.
    function assertGt(uint256 left, uint256 right) internal pure {
        vm.assertGt(left, right, "expected >");
    }

    /// @notice Fails unless `left > right`, with `message`.
    function assertGt(uint256 left, uint256 right, string memory message) internal pure {
        vm.assertGt(left, right, message);
    }

    /// @notice Fails unless `left > right`, with `message`.
    function assertGt(int256 left, int256 right, string memory message) internal pure {
        vm.assertGt(left, right, message);
    }

    /// @notice Fails unless `left >= right`.
    function assertGe(uint256 left, uint256 right) internal pure {
        vm.assertGe(left, right, "expected >=");
    }

    /// @notice Fails unless `left >= right`, with `message`.
    function assertGe(uint256 left, uint256 right, string memory message) internal pure {
        vm.assertGe(left, right, message);
    }

    /// @notice Fails unless `left >= right`, with `message`.
    function assertGe(int256 left, int256 right, string memory message) internal pure {
        vm.assertGe(left, right, message);
    }

    /// @notice Fails unless `left < right`.
    function assertLt(uint256 left, uint256 right) internal pure {
        vm.assertLt(left, right, "expected <");
    }

    /// @notice Fails unless `left < right`, with `message`.
    function assertLt(uint256 left, uint256 right, string memory message) internal pure {
        vm.assertLt(left, right, message);
    }

    /// @notice Fails unless `left < right`, with `message`.
    function assertLt(int256 left, int256 right, string memory message) internal pure {
        vm.assertLt(left, right, message);
    }

    /// @notice Fails unless `left <= right`.
    function assertLe(uint256 left, uint256 right) internal pure {
        vm.assertLe(left, right, "expected <=");
    }

    /// @notice Fails unless `left <= right`, with `message`.
    function assertLe(uint256 left, uint256 right, string memory message) internal pure {
        vm.assertLe(left, right, message);
    }

    /// @notice Fails unless `left <= right`, with `message`.
    function assertLe(int256 left, int256 right, string memory message) internal pure {
        vm.assertLe(left, right, message);
    }

    /// @notice Fails unless `|left - right| <= maxDelta`.
    function assertApproxEqAbs(uint256 left, uint256 right, uint256 maxDelta, string memory message) internal pure {
        vm.assertApproxEqAbs(left, right, maxDelta, message);
    }

    // ================================================================ fuzz helpers

    /// @notice Maps any `x` into `[min, max]` (inclusive), keeping small values of `x` stable.
    /// @dev Unlike `vm.assume`, never discards an input. Reverts if `min > max`.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "Test.bound: min > max");
        // NOTE: values already in range are returned as they are, so fuzz inputs that forge
        // picks from the contract's constants still hit those constants.
        if (x >= min && x <= max) return x;
        uint256 size = max - min;
        if (size == type(uint256).max) return x;
        return min + (x % (size + 1));
    }

    /// @notice Maps any `x` into `[min, max]` (inclusive) for signed values.
    function bound(int256 x, int256 min, int256 max) internal pure returns (int256) {
        require(min <= max, "Test.bound: min > max");
        if (x >= min && x <= max) return x;
        // Shift into unsigned space (two's complement offset by 2^255), bound there, shift back.
        uint256 ux = uint256(x) ^ (1 << 255);
        uint256 umin = uint256(min) ^ (1 << 255);
        uint256 umax = uint256(max) ^ (1 << 255);
        return int256(bound(ux, umin, umax) ^ (1 << 255));
    }

    /// @notice A deterministic address named `name`, labelled in traces.
    function makeAddr(string memory name) internal returns (address account) {
        account = vm.addr(uint256(keccak256(bytes(name))));
        vm.label(account, name);
    }

    /// @notice A deterministic (address, private key) pair named `name`, labelled in traces.
    function makeAddrAndKey(string memory name) internal returns (address account, uint256 privateKey) {
        privateKey = uint256(keccak256(bytes(name)));
        account = vm.addr(privateKey);
        vm.label(account, name);
    }

    // ================================================================ invariant targets
    // forge calls the public getters below before an invariant run; tests call the internal
    // setters in setUp(). Empty lists mean forge's defaults (every deployed contract).

    /// @notice Contracts whose functions the invariant fuzzer calls.
    function targetContracts() public view returns (address[] memory) {
        return _targetedContracts;
    }

    /// @notice Contracts the invariant fuzzer never calls.
    function excludeContracts() public view returns (address[] memory) {
        return _excludedContracts;
    }

    /// @notice Senders the invariant fuzzer uses.
    function targetSenders() public view returns (address[] memory) {
        return _targetedSenders;
    }

    /// @notice Senders the invariant fuzzer never uses.
    function excludeSenders() public view returns (address[] memory) {
        return _excludedSenders;
    }

    /// @notice Functions the invariant fuzzer calls.
    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetedSelectors;
    }

    /// @notice Functions the invariant fuzzer never calls.
    function excludeSelectors() public view returns (FuzzSelector[] memory) {
        return _excludedSelectors;
    }

    /// @notice Adds `target` to the invariant fuzzer's contracts (e.g. a handler).
    function targetContract(address target) internal {
        _targetedContracts.push(target);
    }

    /// @notice Keeps the invariant fuzzer away from `target`.
    function excludeContract(address target) internal {
        _excludedContracts.push(target);
    }

    /// @notice Adds `sender` to the invariant fuzzer's senders.
    function targetSender(address sender) internal {
        _targetedSenders.push(sender);
    }

    /// @notice Keeps the invariant fuzzer from sending as `sender`.
    function excludeSender(address sender) internal {
        _excludedSenders.push(sender);
    }

    /// @notice Restricts the invariant fuzzer to `selector.selectors` on `selector.addr`.
    function targetSelector(FuzzSelector memory selector) internal {
        _targetedSelectors.push(selector);
    }

    /// @notice Keeps the invariant fuzzer from calling `selector.selectors` on `selector.addr`.
    function excludeSelector(FuzzSelector memory selector) internal {
        _excludedSelectors.push(selector);
    }
}
