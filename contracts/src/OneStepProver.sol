// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IOneStepProver} from "./IOneStepProver.sol";
import {StateProofs} from "./lib/StateProofs.sol";
import {Witness} from "./onestep/Witness.sol";
import {OneStepLayout as S} from "./onestep/OneStepLayout.sol";
import {Margin} from "./onestep/Margin.sol";
import {StateLayout as L} from "./lib/StateLayout.sol";
import {OneStepBase} from "./onestep/OneStepBase.sol";
import {IOneStepPart} from "./onestep/IOneStepPart.sol";

/// @title OneStepProver
/// @notice The Solidity copy of the STF (sequencer/state) for one operation: verifies the
///         witness (an SSZ multiproof, docs/fault-proofs.md §Witness) against the pre-state
///         root, executes the operation on the witnessed nodes with the TypeScript STF's rules,
///         and hashes the same nodes again for the post-state root.
/// @dev Executed here: Deposit, ForcedWithdraw, Withdraw, Transfer, GrantSessionKey,
///      RevokeSessionKey, CancelOrder, CancelAll, OracleUpdate, FundingTick. Every other type is
///      forwarded to the first of `parts` that supports it (`IOneStepPart`: OneStepTrading for
///      the position operations, and the parts listed in docs/fault-proofs.md §Witness).
///      A type no one supports reverts `UnsupportedOperation` (never a verdict).
///
///      Refusals follow stf.ts: a refused account-signed operation changes nothing (post-root
///      = pre-root); an L1 input is consumed even when its effect is refused (queue cursor,
///      hash chain, clock), and a refused deposit becomes a refund withdrawal record. Each
///      operation checks in the TypeScript order, because the witness holds only what the
///      TypeScript run read before it decided.
contract OneStepProver is OneStepBase, IOneStepProver {
    using Witness for Witness.Proof;

    // ================================================================ constants

    uint8 internal constant OP_DEPOSIT = 0;
    uint8 internal constant OP_WITHDRAW = 2;
    uint8 internal constant OP_TRANSFER = 3;
    uint8 internal constant OP_GRANT_SESSION_KEY = 4;
    uint8 internal constant OP_REVOKE_SESSION_KEY = 5;
    uint8 internal constant OP_CANCEL_ORDER = 7;
    uint8 internal constant OP_CANCEL_ALL = 8;
    uint8 internal constant OP_ORACLE_UPDATE = 10;
    uint8 internal constant OP_FUNDING_TICK = 15;
    uint8 internal constant OP_FORCED_WITHDRAW = 17;

    uint256 internal constant PRICE_KIND_MARKET = 0;
    uint256 internal constant PRICE_KIND_ASSET = 1;
    /// @dev constants.ts MAX_PRICE: 2^62 - 1.
    uint256 internal constant MAX_PRICE = (1 << 62) - 1;
    /// @dev One SSZ PricePoint: kind u8 ‖ id u16 ‖ price u64.
    uint256 internal constant PRICE_POINT_BYTES = 11;
    uint256 internal constant MAX_PRICE_POINTS = 68;

    uint256 internal constant CANCEL_BY_CLIENT_ID = 255;
    uint256 internal constant ALL_MARKETS = 0xffff;

    bytes32 internal constant GRANT_SESSION_KEY_TYPE_HASH =
        keccak256("GrantSessionKey(uint32 account,uint64 nonce,address key,uint64 expiry)");
    bytes32 internal constant REVOKE_SESSION_KEY_TYPE_HASH =
        keccak256("RevokeSessionKey(uint32 account,uint64 nonce,address key)");
    bytes32 internal constant CANCEL_ORDER_TYPE_HASH =
        keccak256("CancelOrder(uint32 account,uint64 nonce,uint8 slot,uint64 clientOrderId)");
    bytes32 internal constant CANCEL_ALL_TYPE_HASH = keccak256("CancelAll(uint32 account,uint64 nonce,uint16 market)");
    bytes32 internal constant ORACLE_UPDATE_TYPE_HASH = keccak256(
        "OracleUpdate(uint64 timestamp,PricePoint[] prices)PricePoint(uint8 kind,uint16 id,uint64 price)"
    );
    bytes32 internal constant PRICE_POINT_TYPE_HASH = keccak256("PricePoint(uint8 kind,uint16 id,uint64 price)");
    bytes32 internal constant WITHDRAW_TYPE_HASH =
        keccak256("Withdraw(uint32 account,uint64 nonce,uint8 asset,uint128 amount)");
    bytes32 internal constant TRANSFER_TYPE_HASH =
        keccak256("Transfer(uint32 account,uint64 nonce,uint32 to,uint8 asset,uint128 amount)");

    /// @notice A part's signing domain differs from the prover's: it would recover other signers.
    error PartDomainMismatch(address part);

    /// @notice The contracts executing the operation types this one does not, in lookup order
    ///         (EIP-170 caps each contract's code). Fixed at deployment: a new STF is a new prover.
    IOneStepPart[] internal _parts;

    /// @param chainId The L1 chain id of the signing domain.
    /// @param rollup The Rollup contract (the domain's `verifyingContract`).
    /// @param parts_ The parts, each deployed with the same chain id and Rollup.
    constructor(uint256 chainId, address rollup, IOneStepPart[] memory parts_) OneStepBase(chainId, rollup) {
        for (uint256 i; i < parts_.length; ++i) {
            if (OneStepBase(address(parts_[i])).DOMAIN_SEPARATOR() != DOMAIN_SEPARATOR) {
                revert PartDomainMismatch(address(parts_[i]));
            }
            _parts.push(parts_[i]);
        }
    }

    /// @notice The parts, in lookup order.
    function parts() external view returns (IOneStepPart[] memory) {
        return _parts;
    }

    // ================================================================ entry point

    /// @inheritdoc IOneStepProver
    function execute(bytes32 preRoot, bytes calldata opBytes, bytes calldata witness)
        external
        view
        returns (bytes32 postRoot)
    {
        (uint8 selector, uint64 ts) = _header(opBytes);
        if (!_executesHere(selector)) {
            IOneStepPart part = _partFor(selector);
            if (address(part) == address(0)) revert UnsupportedOperation(selector);
            return part.execute(preRoot, opBytes, witness);
        }
        bytes calldata body = opBytes[13:];

        Witness.Proof memory w = Witness.verified(witness, preRoot);
        // stf.ts: TIMESTAMP_REGRESSION refuses any operation before anything else.
        if (ts < w.getU64(S.CLOCK)) return preRoot;

        if (selector == OP_DEPOSIT || selector == OP_FORCED_WITHDRAW) {
            if (body.length != (selector == OP_DEPOSIT ? 49 : 29)) revert OpMalformed(selector, opBytes.length);
            // L1 inputs: only the next queue item may be consumed (else nothing changes).
            if (_le(body, 0, 8) != w.getU64(S.L1_NEXT_INDEX)) return preRoot;
            if (selector == OP_DEPOSIT) _deposit(w, body);
            else _forcedWithdraw(w, ts, body);
            _consumeL1Input(w, opBytes[12:]);
        } else {
            bool accepted;
            if (selector == OP_WITHDRAW) accepted = _withdraw(w, ts, body);
            else if (selector == OP_TRANSFER) accepted = _transfer(w, ts, body);
            else if (selector == OP_ORACLE_UPDATE) accepted = _oracleUpdate(w, ts, body);
            else if (selector == OP_FUNDING_TICK) accepted = _fundingTick(w, ts, body);
            else if (selector == OP_GRANT_SESSION_KEY) accepted = _grantSessionKey(w, ts, body);
            else if (selector == OP_REVOKE_SESSION_KEY) accepted = _revokeSessionKey(w, ts, body);
            else if (selector == OP_CANCEL_ORDER) accepted = _cancelOrder(w, ts, body);
            else accepted = _cancelAll(w, ts, body);
            if (!accepted) return preRoot;
        }
        w.setU64(S.CLOCK, ts);
        return w.root();
    }

    /// @notice Whether this prover (itself or a part) executes operations with this union
    ///         selector (types.ts OP_TYPES).
    function isSupported(uint8 selector) public view returns (bool) {
        return _executesHere(selector) || address(_partFor(selector)) != address(0);
    }

    function _executesHere(uint8 selector) internal pure returns (bool) {
        return selector == OP_DEPOSIT || selector == OP_WITHDRAW || selector == OP_TRANSFER
            || selector == OP_GRANT_SESSION_KEY || selector == OP_REVOKE_SESSION_KEY || selector == OP_CANCEL_ORDER
            || selector == OP_CANCEL_ALL || selector == OP_FORCED_WITHDRAW || selector == OP_ORACLE_UPDATE
            || selector == OP_FUNDING_TICK;
    }

    /// @dev The first part supporting `selector`, or address(0).
    function _partFor(uint8 selector) internal view returns (IOneStepPart) {
        uint256 n = _parts.length;
        for (uint256 i; i < n; ++i) {
            IOneStepPart part = _parts[i];
            if (part.isSupported(selector)) return part;
        }
        return IOneStepPart(address(0));
    }

    // ================================================================ L1 inputs

    /// @dev ops/deposit.ts, and stf.ts's refund of a refused deposit.
    ///      Body: queueIndex u64 ‖ account u32 ‖ owner (20) ‖ asset u8 ‖ amount u128.
    function _deposit(Witness.Proof memory w, bytes calldata body) internal view {
        uint256 account = _le(body, 8, 4);
        address owner = address(bytes20(body[12:32]));
        uint256 asset = uint8(body[32]);
        uint256 amount = _le(body, 33, 16);
        if (!_credit(w, account, owner, asset, amount) && amount > 0) {
            uint256 index = w.getU64(S.WITHDRAWALS_LENGTH);
            w.set(
                S.withdrawal(index),
                StateProofs.hashWithdrawal(
                    StateProofs.Withdrawal(uint32(account), owner, uint8(asset), uint128(amount))
                )
            );
            w.setU64(S.WITHDRAWALS_LENGTH, uint64(index + 1));
        }
    }

    /// @dev The deposit's effect; false (nothing written) when the STF refuses it.
    function _credit(Witness.Proof memory w, uint256 account, address owner, uint256 asset, uint256 amount)
        internal
        view
        returns (bool)
    {
        if (asset >= w.getU64(S.ASSETS_LENGTH)) return false; // ASSET_UNKNOWN
        uint256 accounts = w.getU64(S.ACCOUNTS_LENGTH);
        if (account >= accounts) {
            // A new owner gets exactly the next index (ACCOUNT_MISMATCH otherwise).
            if (account != accounts || owner == address(0)) return false;
            if (amount > uint256(uint128(type(int128).max))) return false; // OVERFLOW
            // Beyond the list's length its tree holds zero chunks: the new record is hashed whole.
            w.set(S.account(account), _newAccountRoot(owner, asset, amount));
            w.setU64(S.ACCOUNTS_LENGTH, uint64(accounts + 1));
            return true;
        }
        if (w.getAddress(S.owner(account)) != owner) return false; // ACCOUNT_MISMATCH
        uint256 g = S.balanceChunk(account, asset);
        bytes32 chunk = w.get(g);
        int256 balance = int256(int128(uint128(Witness.packedAt(chunk, asset & 1, 128)))) + int256(amount);
        if (balance > type(int128).max) return false; // OVERFLOW
        w.set(g, Witness.withPacked(chunk, asset & 1, 128, uint128(int128(balance))));
        return true;
    }

    /// @dev `hash_tree_root(Account)` of a fresh account: owner, one balance, every other field zero.
    function _newAccountRoot(address owner, uint256 asset, uint256 amount) internal view returns (bytes32) {
        bytes32[] memory f = new bytes32[](8);
        f[0] = bytes32(bytes20(owner));
        bytes32 chunk = Witness.withPacked(bytes32(0), asset & 1, 128, amount);
        f[2] = asset < 2 ? _hash(chunk, bytes32(0)) : _hash(bytes32(0), chunk);
        f[3] = Witness.zeroHash(2); // nonces: 16 uint64 in 4 chunks
        f[4] = Witness.zeroHash(3); // session keys: 4 records of 2 chunks
        bytes32 slots = Witness.zeroHash(9); // 64 slots of 8-chunk records
        f[5] = slots;
        f[6] = slots;
        f[7] = Witness.zeroHash(1); // pacing
        return StateProofs.merkleize(f, 3);
    }

    /// @dev ops/forced.ts `processForcedWithdraw`: Withdraw's rules without signature or nonce.
    ///      Body: queueIndex u64 ‖ account u32 ‖ asset u8 ‖ amount u128.
    function _forcedWithdraw(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view {
        uint256 account = _le(body, 8, 4);
        if (account >= w.getU64(S.ACCOUNTS_LENGTH)) return; // ACCOUNT_UNKNOWN
        uint256 asset = uint8(body[12]);
        uint256 amount = _le(body, 13, 16);
        if (!Margin.checkDebit(w, account, asset, amount, ts)) return;
        _moveToWithdrawal(w, account, asset, amount);
    }

    /// @dev ops/withdraw.ts `moveToWithdrawal`: debit, and append the record L1 claims prove.
    function _moveToWithdrawal(Witness.Proof memory w, uint256 account, uint256 asset, uint256 amount) internal view {
        _setBalance(w, account, asset, Margin.balance(w, account, asset) - int256(amount));
        uint256 index = w.getU64(S.WITHDRAWALS_LENGTH);
        address owner = w.getAddress(S.owner(account));
        w.set(
            S.withdrawal(index),
            StateProofs.hashWithdrawal(StateProofs.Withdrawal(uint32(account), owner, uint8(asset), uint128(amount)))
        );
        w.setU64(S.WITHDRAWALS_LENGTH, uint64(index + 1));
    }

    // ================================================================ market operations

    /// @dev ops/fundingTick.ts `processFundingTick`. Body: market u16 ‖ premiumPpm int64.
    function _fundingTick(Witness.Proof memory w, uint64 ts, bytes calldata body) internal pure returns (bool) {
        if (body.length != 10) revert OpMalformed(OP_FUNDING_TICK, body.length + 13);
        uint256 market = _le(body, 0, 2);
        if (market >= w.getU64(S.MARKETS_LENGTH)) return false; // MARKET_UNKNOWN
        uint256 last = w.getU64(S.marketField(market, S.MARKET_LAST_FUNDING_TIME));
        if (last != 0 && ts < last + w.getU64(S.PARAMS_FUNDING_INTERVAL)) return false; // FUNDING_TOO_EARLY
        if (Margin.isMarketStale(w, market, ts)) return false; // ORACLE_STALE
        int256 cap = int256(uint256(w.getU64(S.PARAMS_MAX_FUNDING_RATE)));
        int256 rate = Margin.i64(_le(body, 2, 8));
        if (rate > cap) rate = cap;
        else if (rate < -cap) rate = -cap;
        int256 price = int256(uint256(w.getU64(S.marketField(market, S.MARKET_ORACLE_PRICE))));
        int256 index = Margin.i64(w.getU64(S.marketField(market, S.MARKET_FUNDING_INDEX)))
            + Margin.divFloor(rate * price, Margin.PPM);
        if (index < type(int64).min || index > type(int64).max) return false; // OVERFLOW
        w.setU64(S.marketField(market, S.MARKET_FUNDING_INDEX), uint64(int64(index)));
        w.setU64(S.marketField(market, S.MARKET_LAST_FUNDING_TIME), ts);
        return true;
    }

    /// @dev ops/oracleUpdate.ts `processOracleUpdate`. Body (SSZ container, variable size):
    ///      timestamp u64 ‖ offset of prices u32 (16) ‖ offset of signatures u32 ‖ prices
    ///      (11-byte points) ‖ signatures (65 bytes each).
    function _oracleUpdate(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view returns (bool) {
        if (body.length < 16 || _le(body, 8, 4) != 16) revert OpMalformed(OP_ORACLE_UPDATE, body.length + 13);
        uint256 sigAt = _le(body, 12, 4);
        if (
            sigAt < 16 || sigAt > body.length || (sigAt - 16) % PRICE_POINT_BYTES != 0
                || (sigAt - 16) / PRICE_POINT_BYTES > MAX_PRICE_POINTS || (body.length - sigAt) % 65 != 0
                || (body.length - sigAt) / 65 > S.MAX_ORACLE_SIGNERS
        ) revert OpMalformed(OP_ORACLE_UPDATE, body.length + 13);
        bytes calldata points = body[16:sigAt];
        if (!_oracleQuorum(w, _oracleUpdateHash(body, points), body[sigAt:])) return false; // ORACLE_NO_QUORUM
        uint256 timestamp = _le(body, 0, 8);
        if (timestamp > ts) return false; // ORACLE_FUTURE_TIMESTAMP
        uint256 n = points.length / PRICE_POINT_BYTES;
        // Validate every point before writing any (all or nothing).
        for (uint256 i; i < n; ++i) {
            if (!_pricePointValid(w, points, i, timestamp)) return false;
        }
        _writePrices(w, points, timestamp);
        return true;
    }

    function _writePrices(Witness.Proof memory w, bytes calldata points, uint256 timestamp) internal pure {
        for (uint256 at; at < points.length; at += PRICE_POINT_BYTES) {
            (uint256 priceG, uint256 timeG) = _priceTarget(uint8(points[at]), _le(points, at + 1, 2));
            w.setU64(priceG, uint64(_le(points, at + 3, 8)));
            w.setU64(timeG, uint64(timestamp));
        }
    }

    /// @dev The oracle price and timestamp chunks a point names (market or asset).
    function _priceTarget(uint256 kind, uint256 id) internal pure returns (uint256 priceG, uint256 timeG) {
        if (kind == PRICE_KIND_MARKET) {
            return (S.marketField(id, S.MARKET_ORACLE_PRICE), S.marketField(id, S.MARKET_ORACLE_TIMESTAMP));
        }
        return (S.assetField(id, L.ASSET_ORACLE_PRICE), S.assetField(id, L.ASSET_ORACLE_TIMESTAMP));
    }

    /// @dev Point `i`'s checks, in the TypeScript order: a listed market or asset (not asset 0),
    ///      named once, price in (0, MAX_PRICE], newer than the stored price, within the band.
    function _pricePointValid(Witness.Proof memory w, bytes calldata points, uint256 i, uint256 timestamp)
        internal
        pure
        returns (bool)
    {
        uint256 at = i * PRICE_POINT_BYTES;
        uint256 kind = uint8(points[at]);
        uint256 id = _le(points, at + 1, 2);
        if (!_listed(w, kind, id)) return false; // ORACLE_INVALID_POINT
        for (uint256 bt; bt < at; bt += PRICE_POINT_BYTES) {
            if (uint8(points[bt]) == kind && _le(points, bt + 1, 2) == id) return false; // ORACLE_INVALID_POINT (twice)
        }
        return _priceAcceptable(w, kind, id, _le(points, at + 3, 8), timestamp);
    }

    function _listed(Witness.Proof memory w, uint256 kind, uint256 id) internal pure returns (bool) {
        if (kind == PRICE_KIND_MARKET) return id < w.getU64(S.MARKETS_LENGTH);
        if (kind == PRICE_KIND_ASSET && id > 0) return id < w.getU64(S.ASSETS_LENGTH);
        return false;
    }

    /// @dev In (0, MAX_PRICE], newer than the stored price, within the band of it (a first price is not banded).
    function _priceAcceptable(Witness.Proof memory w, uint256 kind, uint256 id, uint256 price, uint256 timestamp)
        internal
        pure
        returns (bool)
    {
        if (price == 0 || price > MAX_PRICE) return false; // ORACLE_INVALID_POINT
        (uint256 priceG, uint256 timeG) = _priceTarget(kind, id);
        if (timestamp <= w.getU64(timeG)) return false; // ORACLE_STALE_UPDATE
        uint256 old = w.getU64(priceG);
        if (old == 0) return true;
        uint256 diff = price > old ? price - old : old - price;
        return diff * 1e6 <= old * w.getU64(S.PARAMS_ORACLE_BAND); // ORACLE_OUT_OF_BAND otherwise
    }

    /// @dev signing.ts: the OracleUpdate's EIP-712 struct hash (its points, without the signatures).
    function _oracleUpdateHash(bytes calldata body, bytes calldata points) internal pure returns (bytes32) {
        uint256 n = points.length / PRICE_POINT_BYTES;
        bytes32[] memory hashes = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            uint256 at = i * PRICE_POINT_BYTES;
            hashes[i] = keccak256(
                abi.encode(PRICE_POINT_TYPE_HASH, uint8(points[at]), _le(points, at + 1, 2), _le(points, at + 3, 8))
            );
        }
        return keccak256(abi.encode(ORACLE_UPDATE_TYPE_HASH, _le(body, 0, 8), keccak256(abi.encodePacked(hashes))));
    }

    /// @dev At least `oracleThreshold` distinct members of the signer set signed (a threshold
    ///      of 0 accepts nothing). Reads the set as `includes` does: up to the first match.
    function _oracleQuorum(Witness.Proof memory w, bytes32 structHash, bytes calldata sigs) internal view returns (bool) {
        uint256 n = sigs.length / 65;
        address[] memory seen = new address[](n);
        uint256 distinct;
        for (uint256 i; i < n; ++i) {
            address s = _signer(structHash, sigs[i * 65:(i + 1) * 65]);
            if (s == address(0)) continue;
            bool member;
            for (uint256 k; k < S.MAX_ORACLE_SIGNERS; ++k) {
                if (w.getAddress(S.oracleSigner(k)) == s) {
                    member = true;
                    break;
                }
            }
            if (!member) continue;
            bool dup;
            for (uint256 j; j < distinct; ++j) {
                if (seen[j] == s) dup = true;
            }
            if (!dup) seen[distinct++] = s;
        }
        uint256 threshold = w.getU64(S.PARAMS_ORACLE_THRESHOLD);
        return threshold != 0 && distinct >= threshold;
    }

    // ================================================================ account-signed operations

    /// @dev ops/withdraw.ts `processWithdraw`.
    ///      Body: account u32 ‖ nonce u64 ‖ asset u8 ‖ amount u128 ‖ signature (65).
    function _withdraw(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view returns (bool) {
        if (body.length != 94) revert OpMalformed(OP_WITHDRAW, body.length + 13);
        bytes32 structHash = keccak256(
            abi.encode(WITHDRAW_TYPE_HASH, _le(body, 0, 4), _le(body, 4, 8), uint8(body[12]), _le(body, 13, 16))
        );
        (bool fresh, uint256 nonceSlot) = _authorizeAndCheckNonce(w, ts, body, structHash, true);
        if (!fresh) return false;
        uint256 account = _le(body, 0, 4);
        if (!Margin.checkDebit(w, account, uint8(body[12]), _le(body, 13, 16), ts)) return false;
        _useNonce(w, account, nonceSlot, _le(body, 4, 8));
        _moveToWithdrawal(w, account, uint8(body[12]), _le(body, 13, 16));
        return true;
    }

    /// @dev ops/transfer.ts `processTransfer`.
    ///      Body: account u32 ‖ nonce u64 ‖ to u32 ‖ asset u8 ‖ amount u128 ‖ signature (65).
    function _transfer(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view returns (bool) {
        if (body.length != 98) revert OpMalformed(OP_TRANSFER, body.length + 13);
        (bool fresh, uint256 nonceSlot) = _authorizeAndCheckNonce(w, ts, body, _transferHash(body), true);
        if (!fresh) return false;
        if (!_transferAllowed(w, ts, body)) return false;
        _useNonce(w, _le(body, 0, 4), nonceSlot, _le(body, 4, 8));
        uint256 asset = uint8(body[16]);
        int256 amount = int256(_le(body, 17, 16));
        _setBalance(w, _le(body, 0, 4), asset, Margin.balance(w, _le(body, 0, 4), asset) - amount);
        _setBalance(w, _le(body, 12, 4), asset, Margin.balance(w, _le(body, 12, 4), asset) + amount);
        return true;
    }

    /// @dev Transfer's checks after the signature and nonce, in the TypeScript order.
    function _transferAllowed(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view returns (bool) {
        uint256 account = _le(body, 0, 4);
        uint256 to = _le(body, 12, 4);
        if (to >= w.getU64(S.ACCOUNTS_LENGTH)) return false; // ACCOUNT_UNKNOWN
        if (to == account) return false; // TRANSFER_TO_SELF
        uint256 asset = uint8(body[16]);
        uint256 amount = _le(body, 17, 16);
        if (!Margin.checkDebit(w, account, asset, amount, ts)) return false;
        return Margin.balance(w, to, asset) + int256(amount) <= type(int128).max; // OVERFLOW otherwise
    }

    function _transferHash(bytes calldata body) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                TRANSFER_TYPE_HASH, _le(body, 0, 4), _le(body, 4, 8), _le(body, 12, 4), uint8(body[16]), _le(body, 17, 16)
            )
        );
    }

    /// @dev ops/sessionKeys.ts `processGrantSessionKey`.
    ///      Body: account u32 ‖ nonce u64 ‖ key (20) ‖ expiry u64 ‖ signature (65).
    function _grantSessionKey(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view returns (bool) {
        if (body.length != 105) revert OpMalformed(OP_GRANT_SESSION_KEY, body.length + 13);
        uint256 account = _le(body, 0, 4);
        uint256 nonce = _le(body, 4, 8);
        address key = address(bytes20(body[12:32]));
        uint256 expiry = _le(body, 32, 8);
        (bool fresh, uint256 nonceSlot) = _authorizeAndCheckNonce(
            w, ts, body, keccak256(abi.encode(GRANT_SESSION_KEY_TYPE_HASH, account, nonce, key, expiry)), true
        );
        if (!fresh) return false;
        if (key == address(0) || key == w.getAddress(S.owner(account)) || expiry <= ts) return false;
        // Re-granting updates the key's slot; a new key takes the first empty or expired one.
        uint256 slot = _sessionKeySlot(w, account, key);
        if (slot == S.SESSION_KEYS) slot = _freeSessionKeySlot(w, account, ts);
        if (slot == S.SESSION_KEYS) return false; // SESSION_KEYS_FULL
        _useNonce(w, account, nonceSlot, nonce);
        w.set(S.sessionKeyField(account, slot, 0), bytes32(bytes20(key)));
        w.setU64(S.sessionKeyField(account, slot, 1), uint64(expiry));
        return true;
    }

    /// @dev ops/sessionKeys.ts `processRevokeSessionKey`.
    ///      Body: account u32 ‖ nonce u64 ‖ key (20) ‖ signature (65).
    function _revokeSessionKey(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view returns (bool) {
        if (body.length != 97) revert OpMalformed(OP_REVOKE_SESSION_KEY, body.length + 13);
        uint256 account = _le(body, 0, 4);
        uint256 nonce = _le(body, 4, 8);
        address key = address(bytes20(body[12:32]));
        (bool fresh, uint256 nonceSlot) = _authorizeAndCheckNonce(
            w, ts, body, keccak256(abi.encode(REVOKE_SESSION_KEY_TYPE_HASH, account, nonce, key)), true
        );
        if (!fresh) return false;
        if (key == address(0)) return false; // SESSION_KEY_NOT_FOUND
        uint256 slot = _sessionKeySlot(w, account, key);
        if (slot == S.SESSION_KEYS) return false; // SESSION_KEY_NOT_FOUND
        _useNonce(w, account, nonceSlot, nonce);
        w.set(S.sessionKeyField(account, slot, 0), bytes32(0));
        w.setU64(S.sessionKeyField(account, slot, 1), 0);
        return true;
    }

    /// @dev ops/cancelOrder.ts `processCancelOrder`.
    ///      Body: account u32 ‖ nonce u64 ‖ slot u8 ‖ clientOrderId u64 ‖ signature (65).
    function _cancelOrder(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view returns (bool) {
        if (body.length != 86) revert OpMalformed(OP_CANCEL_ORDER, body.length + 13);
        uint256 account = _le(body, 0, 4);
        uint256 nonce = _le(body, 4, 8);
        (bool fresh, uint256 nonceSlot) = _authorizeAndCheckNonce(w, ts, body, _cancelOrderHash(body), false);
        if (!fresh) return false;
        uint256 slot = _orderToCancel(w, account, uint8(body[12]), _le(body, 13, 8), ts);
        if (slot == S.ORDER_SLOTS) return false; // ORDER_NOT_FOUND
        _useNonce(w, account, nonceSlot, nonce);
        _clearOrder(w, account, slot);
        return true;
    }

    function _cancelOrderHash(bytes calldata body) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(CANCEL_ORDER_TYPE_HASH, _le(body, 0, 4), _le(body, 4, 8), uint8(body[12]), _le(body, 13, 8))
        );
    }

    /// @dev The live order a CancelOrder names (by slot, or by client order id when the slot is
    ///      255), or `ORDER_SLOTS` when there is none.
    function _orderToCancel(Witness.Proof memory w, uint256 account, uint256 opSlot, uint256 clientOrderId, uint64 ts)
        internal
        view
        returns (uint256)
    {
        bytes32 emptyOrder = Witness.zeroHash(S.ORDER_DEPTH);
        if (opSlot == CANCEL_BY_CLIENT_ID) {
            if (clientOrderId == 0) return S.ORDER_SLOTS;
            for (uint256 s; s < S.ORDER_SLOTS; ++s) {
                if (!_isLive(w, account, s, ts, emptyOrder)) continue;
                if (w.getU64(S.orderField(account, s, S.ORDER_CLIENT_ORDER_ID)) == clientOrderId) return s;
            }
            return S.ORDER_SLOTS;
        }
        if (opSlot < S.ORDER_SLOTS && clientOrderId == 0 && _isLive(w, account, opSlot, ts, emptyOrder)) return opSlot;
        return S.ORDER_SLOTS;
    }

    /// @dev ops/cancelOrder.ts `processCancelAll`.
    ///      Body: account u32 ‖ nonce u64 ‖ market u16 ‖ signature (65).
    function _cancelAll(Witness.Proof memory w, uint64 ts, bytes calldata body) internal view returns (bool) {
        if (body.length != 79) revert OpMalformed(OP_CANCEL_ALL, body.length + 13);
        uint256 account = _le(body, 0, 4);
        uint256 nonce = _le(body, 4, 8);
        uint256 market = _le(body, 12, 2);
        (bool fresh, uint256 nonceSlot) = _authorizeAndCheckNonce(
            w, ts, body, keccak256(abi.encode(CANCEL_ALL_TYPE_HASH, account, nonce, market)), false
        );
        if (!fresh) return false;
        if (market != ALL_MARKETS && market >= w.getU64(S.MARKETS_LENGTH)) return false; // MARKET_UNKNOWN
        _useNonce(w, account, nonceSlot, nonce);
        bytes32 emptyOrder = Witness.zeroHash(S.ORDER_DEPTH);
        for (uint256 s; s < S.ORDER_SLOTS; ++s) {
            if (_isEmptySlot(w, account, s, emptyOrder)) continue;
            if (market != ALL_MARKETS && w.getU64(S.orderField(account, s, S.ORDER_MARKET)) != market) continue;
            _clearOrder(w, account, s);
        }
        return true;
    }
}
