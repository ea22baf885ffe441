// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LibBit} from "solady/utils/LibBit.sol";

/// @title L1Inputs
/// @notice Canonical encodings of the L1 input queue items and the queue's hash chain, as
///         `sequencer/state/l1Input.ts` defines them:
///
///             chain(0) = 0x00..00
///             chain(i+1) = keccak256(chain(i) ++ encodeOp(item i))
///
///         `encodeOp` is the SSZ union encoding: one selector byte, then the SSZ serialization
///         of the container (fixed-size fields in order, integers little-endian). Deposit (0)
///         and ParamUpdate (1) are in the TypeScript STF today; ForcedWithdraw (17) and
///         ForcedClose (18) likewise (sequencer/state/types.ts OP_TYPES; docs/contracts.md).
library L1Inputs {
    uint8 internal constant DEPOSIT = 0;
    uint8 internal constant PARAM_UPDATE = 1;
    uint8 internal constant FORCED_WITHDRAW = 17;
    uint8 internal constant FORCED_CLOSE = 18;

    /// @notice The little-endian bytes of `x`, left-aligned (truncate with `bytesN(...)`).
    function le(uint256 x, uint256) private pure returns (bytes32) {
        return bytes32(LibBit.reverseBytes(x));
    }

    /// @notice `Deposit {queueIndex u64, account u32, owner address, asset u8, amount u128}`: 50 bytes.
    function deposit(uint64 queueIndex, uint32 account, address owner, uint8 asset, uint128 amount)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(
            DEPOSIT, bytes8(le(queueIndex, 8)), bytes4(le(account, 4)), owner, asset, bytes16(le(amount, 16))
        );
    }

    /// @notice `ParamUpdate {queueIndex u64, key u16, target u16, value bytes32}`: 45 bytes.
    function paramUpdate(uint64 queueIndex, uint16 key, uint16 target, bytes32 value)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(PARAM_UPDATE, bytes8(le(queueIndex, 8)), bytes2(le(key, 2)), bytes2(le(target, 2)), value);
    }

    /// @notice `ForcedWithdraw {queueIndex u64, account u32, asset u8, amount u128}`: 30 bytes.
    function forcedWithdraw(uint64 queueIndex, uint32 account, uint8 asset, uint128 amount)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(
            FORCED_WITHDRAW, bytes8(le(queueIndex, 8)), bytes4(le(account, 4)), asset, bytes16(le(amount, 16))
        );
    }

    /// @notice `ForcedClose {queueIndex u64, account u32, market u16}`: 15 bytes.
    function forcedClose(uint64 queueIndex, uint32 account, uint16 market) internal pure returns (bytes memory) {
        return abi.encodePacked(FORCED_CLOSE, bytes8(le(queueIndex, 8)), bytes4(le(account, 4)), bytes2(le(market, 2)));
    }

    /// @notice The queue index an encoded item names (bytes 1..8, little-endian).
    function queueIndexOf(bytes calldata item) internal pure returns (uint64 index) {
        for (uint256 i; i < 8; ++i) {
            index |= uint64(uint8(item[1 + i])) << uint64(8 * i);
        }
    }

    /// @notice One step of the hash chain.
    function next(bytes32 chain, bytes memory item) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(chain, item));
    }
}
