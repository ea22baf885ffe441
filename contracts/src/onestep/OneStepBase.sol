// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LibBit} from "solady/utils/LibBit.sol";
import {StateProofs} from "../lib/StateProofs.sol";
import {Witness} from "./Witness.sol";
import {OneStepLayout as S} from "./OneStepLayout.sol";

/// @title OneStepBase
/// @notice What the one-step contracts share: the signing domain, signature recovery, the
///         account checks of ops/common.ts (authorize, nonces), order-slot reads, SSZ bytes.
abstract contract OneStepBase {
    using Witness for Witness.Proof;

    // ================================================================ errors

    /// @notice `opBytes` is not a `SequencedOp` of the operation type its selector names.
    error OpMalformed(uint8 selector, uint256 length);

    /// @notice This prover does not execute operations of this type yet.
    error UnsupportedOperation(uint8 selector);

    /// @dev secp256k1 n / 2: signatures with a larger s are malleable copies (signing.ts refuses them).
    uint256 internal constant SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    bytes32 internal constant DOMAIN_TYPE_HASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @notice The EIP-712 domain the rollup's signatures are bound to (signing.ts `eip712Domain`).
    bytes32 public immutable DOMAIN_SEPARATOR;

    /// @param chainId The L1 chain id of the signing domain.
    /// @param rollup The Rollup contract (the domain's `verifyingContract`).
    constructor(uint256 chainId, address rollup) {
        DOMAIN_SEPARATOR =
            keccak256(abi.encode(DOMAIN_TYPE_HASH, keccak256("Crossmargin"), keccak256("1"), chainId, rollup));
    }

    /// @dev SequencedOp: timestamp (u64 LE) ‖ offset of the union (u32 LE, always 12) ‖ selector ‖ body.
    function _header(bytes calldata opBytes) internal pure returns (uint8 selector, uint64 ts) {
        if (opBytes.length < 13 || _le(opBytes, 8, 4) != 12) revert OpMalformed(0xff, opBytes.length);
        return (uint8(opBytes[12]), uint64(_le(opBytes, 0, 8)));
    }

    /// @dev stf.ts: the queue's hash chain extends over the input's union bytes, the cursor moves on.
    function _consumeL1Input(Witness.Proof memory w, bytes calldata unionBytes) internal pure {
        w.set(S.L1_CHAIN_HASH, keccak256(abi.encodePacked(w.get(S.L1_CHAIN_HASH), unionBytes)));
        w.setU64(S.L1_NEXT_INDEX, w.getU64(S.L1_NEXT_INDEX) + 1);
    }

    function _setBalance(Witness.Proof memory w, uint256 account, uint256 asset, int256 value) internal pure {
        uint256 g = S.balanceChunk(account, asset);
        w.set(g, Witness.withPacked(w.get(g), asset & 1, 128, uint256(uint128(int128(value)))));
    }

    // ================================================================ shared checks (ops/common.ts)

    /// @dev `authorize` then `checkNonce` for an operation whose body starts account u32 ‖
    ///      nonce u64 and ends with its 65-byte signature; returns the nonce slot to use.
    function _authorizeAndCheckNonce(
        Witness.Proof memory w,
        uint64 ts,
        bytes calldata body,
        bytes32 structHash,
        bool ownerOnly
    ) internal view returns (bool ok, uint256 nonceSlot) {
        uint256 account = _le(body, 0, 4);
        address signer = _signer(structHash, body[body.length - 65:]);
        if (!_authorize(w, account, signer, ts, ownerOnly)) return (false, 0);
        return _checkNonce(w, account, _le(body, 4, 8), ts);
    }

    /// @dev `authorize`: the account exists, the signature recovers, and the signer is the owner
    ///      (or, unless `ownerOnly`, a session key whose expiry is after `ts`).
    function _authorize(Witness.Proof memory w, uint256 account, address signer, uint64 ts, bool ownerOnly)
        internal
        pure
        returns (bool)
    {
        if (account >= w.getU64(S.ACCOUNTS_LENGTH)) return false; // ACCOUNT_UNKNOWN
        if (signer == address(0)) return false; // BAD_SIGNATURE
        if (signer == w.getAddress(S.owner(account))) return true;
        if (!ownerOnly) {
            for (uint256 k; k < S.SESSION_KEYS; ++k) {
                if (
                    w.getAddress(S.sessionKeyField(account, k, 0)) == signer
                        && w.getU64(S.sessionKeyField(account, k, 1)) > ts
                ) return true;
            }
        }
        return false; // UNAUTHORIZED
    }

    /// @dev `checkNonce`: within the governed window of `now`, unused, above the lowest of the
    ///      remembered nonces; returns the slot it takes (the lowest one, first on ties).
    function _checkNonce(Witness.Proof memory w, uint256 account, uint256 nonce, uint256 now_)
        internal
        pure
        returns (bool fresh, uint256 slot)
    {
        uint256 window = w.getU64(S.PARAMS_NONCE_WINDOW);
        if (nonce == 0 || nonce + window < now_ || nonce > now_ + window) return (false, 0); // NONCE_OUT_OF_WINDOW
        bytes32 chunk;
        uint256 lowest;
        for (uint256 i; i < S.NONCE_WINDOW; ++i) {
            // Chunk by chunk, as the TypeScript loop reads them (it may stop early).
            if (i & 3 == 0) chunk = w.get(S.nonceChunk(account, i));
            uint256 v = Witness.packedAt(chunk, i & 3, 64);
            if (v == nonce) return (false, 0); // NONCE_USED
            if (i == 0 || v < lowest) (slot, lowest) = (i, v);
        }
        if (nonce <= lowest) return (false, 0); // NONCE_TOO_LOW
        return (true, slot);
    }

    /// @dev The slot holding `key`, or `SESSION_KEYS` when none does.
    function _sessionKeySlot(Witness.Proof memory w, uint256 account, address key) internal pure returns (uint256 k) {
        for (; k < S.SESSION_KEYS; ++k) {
            if (w.getAddress(S.sessionKeyField(account, k, 0)) == key) return k;
        }
    }

    /// @dev The first empty or expired session key slot, or `SESSION_KEYS` when none is.
    function _freeSessionKeySlot(Witness.Proof memory w, uint256 account, uint64 ts) internal pure returns (uint256 k) {
        for (; k < S.SESSION_KEYS; ++k) {
            if (
                w.getAddress(S.sessionKeyField(account, k, 0)) == address(0)
                    || w.getU64(S.sessionKeyField(account, k, 1)) <= ts
            ) return k;
        }
    }

    function _useNonce(Witness.Proof memory w, uint256 account, uint256 slot, uint256 nonce) internal pure {
        uint256 g = S.nonceChunk(account, slot);
        w.set(g, Witness.withPacked(w.get(g), slot & 3, 64, nonce));
    }

    /// @dev An order slot the witness gives by its root must be the empty record's root.
    function _isEmptySlot(Witness.Proof memory w, uint256 account, uint256 slot, bytes32 emptyOrder)
        internal
        pure
        returns (bool)
    {
        uint256 g = S.orderSlot(account, slot);
        (bool found, uint256 at) = w.find(g);
        if (!found) return false;
        if (w.nodes[at] != emptyOrder) revert Witness.WitnessNodeInvalid(g);
        return true;
    }

    /// @dev orders.ts `isLive`: an order with size left whose expiry (0 = none) is not before `now`.
    function _isLive(Witness.Proof memory w, uint256 account, uint256 slot, uint256 now_, bytes32 emptyOrder)
        internal
        pure
        returns (bool)
    {
        if (_isEmptySlot(w, account, slot, emptyOrder)) return false;
        if (w.getU64(S.orderField(account, slot, S.ORDER_REMAINING)) == 0) return false;
        uint256 expiry = w.getU64(S.orderField(account, slot, S.ORDER_EXPIRY));
        return expiry == 0 || expiry >= now_;
    }

    function _clearOrder(Witness.Proof memory w, uint256 account, uint256 slot) internal pure {
        for (uint256 f; f < 8; ++f) {
            w.set(S.orderField(account, slot, f), bytes32(0));
        }
    }

    // ================================================================ signatures and bytes

    /// @dev signing.ts `recoverAddress` of the EIP-712 digest: 65 bytes r ‖ s ‖ v with v in
    ///      {27, 28} or {0, 1}, low s only; address(0) for any signature it refuses.
    function _signer(bytes32 structHash, bytes calldata sig) internal view returns (address) {
        bytes32 digest = keccak256(abi.encodePacked(hex"1901", DOMAIN_SEPARATOR, structHash));
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint256 v = uint8(sig[64]);
        if (v >= 27) v -= 27;
        if (v > 1 || uint256(s) > SECP256K1_HALF_N) return address(0);
        return ecrecover(digest, uint8(v + 27), r, s);
    }

    function _hash(bytes32 a, bytes32 b) internal view returns (bytes32) {
        bytes32[] memory pair = new bytes32[](2);
        (pair[0], pair[1]) = (a, b);
        return StateProofs.merkleize(pair, 1);
    }

    /// @dev The little-endian unsigned integer of `n` bytes at `at` (SSZ integers).
    function _le(bytes calldata b, uint256 at, uint256 n) internal pure returns (uint256 v) {
        if (at + n > b.length) revert OpMalformed(0xff, b.length);
        uint256 word;
        /// @solidity memory-safe-assembly
        assembly {
            word := calldataload(add(b.offset, at))
        }
        // The word's first n bytes, least significant first: reversed, they are the low n bytes.
        v = LibBit.reverseBytes(word) & ((1 << (8 * n)) - 1);
    }
}
