// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";
import {LibBitmap} from "solady/utils/LibBitmap.sol";
import {SafeCastLib} from "solady/utils/SafeCastLib.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";
import {Rollup} from "./Rollup.sol";
import {L1Inputs} from "./lib/L1Inputs.sol";
import {SSZ} from "./lib/SSZ.sol";
import {StateLayout as L} from "./lib/StateLayout.sol";
import {StateProofs} from "./lib/StateProofs.sol";

/// @title Vault
/// @notice Custody of Crossmargin collateral: ERC-20 deposits (queued to L2 as Deposit items),
///         withdrawal claims proven against final state roots, forced operations, and after a
///         freeze the exit: every account proves its equity at the exit root within the exit
///         window, then every claim is paid the same fraction of every token the vault holds.
/// @dev Amounts are token atoms: an asset's decimals in the state are the token's decimals.
///      Exit rule (docs/contracts.md, "Exit"): claim value `E` in settlement-asset atoms at the
///      exit root's prices; after the window each claim receives `snapshot[a] * E / D` of every
///      token `a`, where `D = max(total claims, value of the vault)`. So the payout is worth
///      `E` when the vault covers all claims and `E * V / C` otherwise, it does not depend on
///      the order of claims, and the sum over claims never exceeds the snapshot.
contract Vault {
    using LibBitmap for LibBitmap.Bitmap;
    using SafeTransferLib for address;

    /// @notice Everything an account exit proves against the exit root.
    struct ExitProof {
        uint32 account;
        address owner;
        /// `Account.balances`, MAX_ASSETS entries.
        int128[] balances;
        /// Roots of every `Account` field (owner, balances, positions entries are ignored).
        bytes32[] fieldRoots;
        /// Root of each of the MAX_MARKETS position slots.
        bytes32[] positionRoots;
        /// Markets (ascending) of every slot whose root is not the zero position, and their values.
        uint16[] markets;
        StateProofs.Position[] positions;
        /// Branch of `state.accounts[account]`.
        bytes32[] proof;
    }

    /// @notice A market's oracle price and cumulative funding index at the exit root.
    struct MarketMark {
        uint64 price;
        int64 fundingIndex;
    }

    /// @notice A registered exit claim.
    struct Claim {
        address recipient;
        uint128 value;
        bool paid;
    }

    // ================================================================ errors

    /// @notice The caller is not governance.
    error NotGovernance();
    /// @notice The asset id has no token.
    error UnknownAsset(uint256 asset);
    /// @notice Amounts must be positive and fit the state's int128 balances.
    error BadAmount();
    /// @notice The token moved a different amount than asked (fee-on-transfer tokens are refused).
    error TransferMismatch(uint256 expected, uint256 received);
    /// @notice The caller does not own the account.
    error NotAccountOwner(uint32 account);
    /// @notice `msg.value` is not the forced-operation fee.
    error WrongFee(uint256 sent, uint256 fee);
    /// @notice The withdrawal was already claimed.
    error AlreadyClaimed(uint256 index);
    /// @notice The account already exited.
    error AlreadyExited(uint32 account);
    /// @notice The deposit was already refunded.
    error AlreadyRefunded(uint64 queueIndex);
    /// @notice The action needs the rollup frozen (or not frozen).
    error WrongPhase();
    /// @notice Post-freeze claims must prove against the exit batch.
    error NotExitBatch(uint256 batchIndex);
    /// @notice A market price or asset record needed is not proven yet.
    error NotProven(uint256 id);
    /// @notice The position list does not match the position slot roots.
    error BadPositions(uint256 slot);
    /// @notice The deposit was consumed by the exit root or does not match the queue.
    error NotRefundable(uint64 queueIndex);
    /// @notice The claim was already paid or does not exist.
    error NothingToPay(uint256 claimId);

    // ================================================================ events

    event AccountRegistered(uint32 indexed account, address indexed owner);
    event Deposited(uint32 indexed account, uint8 indexed asset, uint128 amount, uint64 queueIndex);
    event ForcedWithdrawRequested(uint32 indexed account, uint8 asset, uint128 amount, uint64 queueIndex);
    event ForcedCloseRequested(uint32 indexed account, uint16 market, uint64 queueIndex);
    event WithdrawalClaimed(uint256 indexed index, address indexed owner, uint8 asset, uint128 amount);
    event AssetAdded(uint8 indexed asset, address token);
    event MarketProven(uint16 indexed market, uint64 price, int64 fundingIndex);
    event AssetProven(uint8 indexed asset, StateProofs.Asset record);
    event ExitClaimRegistered(uint256 indexed claimId, address indexed recipient, uint256 value);
    event DepositRefunded(uint64 indexed queueIndex, address indexed owner, uint8 asset, uint128 amount);
    event Settled(uint256 totalClaims, uint256 vaultValue, uint256 denominator);
    event ExitPaid(uint256 indexed claimId, address indexed recipient);

    // ================================================================ state

    Rollup public immutable rollup;
    address public immutable governance;

    /// @notice Token of each asset id (asset 0 is the settlement asset).
    address[] public tokens;
    /// @notice Owner of each account index, in registration order.
    address[] public owners;
    mapping(address => uint256) internal _accountPlusOne;

    LibBitmap.Bitmap internal _withdrawalClaimed;
    LibBitmap.Bitmap internal _exited;
    LibBitmap.Bitmap internal _refunded;
    LibBitmap.Bitmap internal _marketProven;
    LibBitmap.Bitmap internal _assetProven;
    mapping(uint256 => MarketMark) internal _market;
    mapping(uint256 => StateProofs.Asset) internal _asset;

    Claim[] internal _claims;
    uint256 public totalClaims;
    bool public settled;
    uint256 public denominator;
    uint256[] internal _snapshot;

    /// @param rollup_ The rollup (queue, batches, freeze).
    /// @param governance_ The governance contract.
    /// @param tokens_ Token of asset 0, 1, ...; must match the state's asset list.
    constructor(Rollup rollup_, address governance_, address[] memory tokens_) {
        rollup = rollup_;
        governance = governance_;
        for (uint256 i; i < tokens_.length; ++i) {
            _addAsset(tokens_[i]);
        }
    }

    // ================================================================ deposits and accounts

    /// @notice Deposits `amount` atoms of `asset` for the caller; the caller's first deposit
    ///         registers the next account index. The deposit reaches L2 through the queue.
    /// @param asset Asset id.
    /// @param amount Token atoms.
    /// @return account The caller's account index.
    /// @return queueIndex The Deposit item's queue index.
    function deposit(uint8 asset, uint128 amount) external returns (uint32 account, uint64 queueIndex) {
        if (asset >= tokens.length) revert UnknownAsset(asset);
        // INVARIANT: a credit must fit the state's int128 balance; zero deposits are spam.
        if (amount == 0 || amount > uint128(type(int128).max)) revert BadAmount();
        if (rollup.frozen()) revert WrongPhase();
        account = _accountOf(msg.sender);
        address token = tokens[asset];
        uint256 before = _balance(token);
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = _balance(token) - before;
        // INVARIANT: the state is credited exactly what the vault received.
        if (received != amount) revert TransferMismatch(amount, received);
        queueIndex = uint64(rollup.queueLength());
        rollup.enqueue(L1Inputs.deposit(queueIndex, account, msg.sender, asset, amount));
        emit Deposited(account, asset, amount, queueIndex);
    }

    /// @notice The account index of `owner`; reverts if it never deposited.
    /// @param owner The owner.
    function accountOf(address owner) external view returns (uint32) {
        uint256 a = _accountPlusOne[owner];
        if (a == 0) revert NotAccountOwner(type(uint32).max);
        return uint32(a - 1);
    }

    /// @notice Number of registered accounts.
    function accountCount() external view returns (uint256) {
        return owners.length;
    }

    /// @notice Number of assets.
    function assetCount() external view returns (uint256) {
        return tokens.length;
    }

    // ================================================================ forced operations

    /// @notice Forces a withdrawal through L1 (the sequencer must include it within the
    ///         inclusion deadline or the rollup can be frozen). Pays the governed fee.
    /// @param account The caller's account.
    /// @param asset Asset id.
    /// @param amount Token atoms to move into a withdrawal record.
    /// @return queueIndex The item's queue index.
    function forceWithdraw(uint32 account, uint8 asset, uint128 amount) external payable returns (uint64 queueIndex) {
        _checkForced(account);
        if (asset >= tokens.length) revert UnknownAsset(asset);
        if (amount == 0 || amount > uint128(type(int128).max)) revert BadAmount();
        queueIndex = uint64(rollup.queueLength());
        rollup.enqueue(L1Inputs.forcedWithdraw(queueIndex, account, asset, amount));
        emit ForcedWithdrawRequested(account, asset, amount, queueIndex);
    }

    /// @notice Forces the close of the account's position in `market` through L1. Pays the fee.
    /// @param account The caller's account.
    /// @param market Market id.
    /// @return queueIndex The item's queue index.
    function forceClose(uint32 account, uint16 market) external payable returns (uint64 queueIndex) {
        _checkForced(account);
        if (market >= L.MAX_MARKETS) revert BadPositions(market);
        queueIndex = uint64(rollup.queueLength());
        rollup.enqueue(L1Inputs.forcedClose(queueIndex, account, market));
        emit ForcedCloseRequested(account, market, queueIndex);
    }

    function _checkForced(uint32 account) private view {
        // INVARIANT: only the owner may force operations on an account.
        if (account >= owners.length || owners[account] != msg.sender) revert NotAccountOwner(account);
        uint256 fee = rollup.forcedOpFee();
        if (msg.value != fee) revert WrongFee(msg.value, fee);
    }

    // ================================================================ withdrawals

    /// @notice Claims withdrawal record `index` of a final batch's state, paying its owner.
    ///         Before a freeze it pays at once; after a freeze the proof must be against the
    ///         exit batch and registers an exit claim instead (paid pro rata after `settle`).
    ///         Anyone may call; the tokens always go to the record's owner.
    /// @param batchIndex A final batch (the exit batch after a freeze).
    /// @param index The record's index in `state.withdrawals`.
    /// @param w The record.
    /// @param proof Branch of `state.withdrawals[index]` (StateLayout.WITHDRAWALS_PROOF_DEPTH).
    function claimWithdrawal(uint256 batchIndex, uint64 index, StateProofs.Withdrawal calldata w, bytes32[] calldata proof)
        external
    {
        bool isFrozen = rollup.frozen();
        if (isFrozen && batchIndex != rollup.exitBatchIndex()) revert NotExitBatch(batchIndex);
        bytes32 root = rollup.finalizedStateRoot(batchIndex);
        // INVARIANT: each withdrawal record is paid at most once, before or after a freeze.
        if (_withdrawalClaimed.get(index)) revert AlreadyClaimed(index);
        if (w.asset >= tokens.length) revert UnknownAsset(w.asset);
        StateProofs.verify(StateProofs.hashWithdrawal(w), proof, L.WITHDRAWALS_FIRST_GINDEX + index, root);
        _withdrawalClaimed.set(index);
        emit WithdrawalClaimed(index, w.owner, w.asset, w.amount);
        if (isFrozen) {
            _registerClaim(w.owner, _value(w.asset, int256(uint256(w.amount))));
        } else {
            tokens[w.asset].safeTransfer(w.owner, w.amount);
        }
    }

    /// @notice Whether withdrawal record `index` was claimed.
    /// @param index The record.
    function isWithdrawalClaimed(uint256 index) external view returns (bool) {
        return _withdrawalClaimed.get(index);
    }

    // ================================================================ exit

    /// @notice Records market `market`'s oracle price and funding index at the exit root
    ///         (anyone; every proof against the fixed exit root gives the same values).
    /// @param market Market id.
    /// @param price `state.markets[market].oraclePrice`.
    /// @param fundingIndex `state.markets[market].fundingIndex`.
    /// @param priceProof Branch of the price chunk.
    /// @param fundingProof Branch of the funding index chunk.
    function proveMarket(
        uint16 market,
        uint64 price,
        int64 fundingIndex,
        bytes32[] calldata priceProof,
        bytes32[] calldata fundingProof
    ) external {
        bytes32 root = _exitRoot();
        uint256 m = L.MARKETS_FIRST_GINDEX + market;
        StateProofs.verify(StateProofs.chunk(price), priceProof, SSZ.concatGindex(m, L.MARKET_ORACLE_PRICE_GINDEX), root);
        StateProofs.verify(
            StateProofs.chunk(uint64(fundingIndex)), fundingProof, SSZ.concatGindex(m, L.MARKET_FUNDING_INDEX_GINDEX), root
        );
        _marketProven.set(market);
        _market[market] = MarketMark(price, fundingIndex);
        emit MarketProven(market, price, fundingIndex);
    }

    /// @notice The proven exit mark of `market` (price, funding index).
    /// @param market Market id.
    function marketMark(uint16 market) external view returns (MarketMark memory) {
        if (!_marketProven.get(market)) revert NotProven(market);
        return _market[market];
    }

    /// @notice The proven exit record of `asset`.
    /// @param asset Asset id.
    function assetRecord(uint8 asset) external view returns (StateProofs.Asset memory) {
        if (!_assetProven.get(asset)) revert NotProven(asset);
        return _asset[asset];
    }

    /// @notice Records asset `asset`'s record (decimals, price) at the exit root (once; anyone).
    /// @param asset Asset id.
    /// @param record `state.assets[asset]`.
    /// @param proof Branch of the record.
    function proveAsset(uint8 asset, StateProofs.Asset calldata record, bytes32[] calldata proof) external {
        bytes32 root = _exitRoot();
        StateProofs.verify(StateProofs.hashAsset(record), proof, L.ASSETS_FIRST_GINDEX + asset, root);
        _assetProven.set(asset);
        _asset[asset] = record;
        emit AssetProven(asset, record);
    }

    /// @notice Exits an account: proves its record at the exit root and registers a claim of
    ///         its equity (clamped at zero) for the account's owner. Once per account, within
    ///         the exit window; needs the prices of its assets and open markets proven first.
    /// @param p The account and its proof.
    /// @return claimId The registered claim.
    function exit(ExitProof calldata p) external returns (uint256 claimId) {
        bytes32 root = _exitRoot();
        // INVARIANT: an account's equity is claimed at most once.
        if (_exited.get(p.account)) revert AlreadyExited(p.account);
        bytes32 zero = StateProofs.zeroPositionRoot();
        int256 equity = p.balances.length == L.MAX_ASSETS ? int256(p.balances[0]) : int256(0);
        for (uint256 a = 1; a < p.balances.length; ++a) {
            if (p.balances[a] != 0) equity += _value(a, p.balances[a]);
        }
        uint256 j;
        for (uint256 slot; slot < p.positionRoots.length; ++slot) {
            if (j < p.markets.length && p.markets[j] == slot) {
                StateProofs.Position calldata pos = p.positions[j];
                // INVARIANT: every non-empty slot is valued: a loss cannot be hidden.
                if (StateProofs.hashPosition(pos) != p.positionRoots[slot]) revert BadPositions(slot);
                if (!_marketProven.get(slot)) revert NotProven(slot);
                equity += _positionEquity(pos, _market[slot]);
                ++j;
            } else if (p.positionRoots[slot] != zero) {
                revert BadPositions(slot);
            }
        }
        if (j != p.markets.length || p.positions.length != p.markets.length) revert BadPositions(j);
        bytes32 leaf = StateProofs.hashAccount(p.owner, p.balances, p.positionRoots, p.fieldRoots);
        StateProofs.verify(leaf, p.proof, L.ACCOUNTS_FIRST_GINDEX + p.account, root);
        _exited.set(p.account);
        claimId = _registerClaim(p.owner, equity > 0 ? equity : int256(0));
    }

    /// @notice Whether account `account` exited.
    /// @param account The account.
    function hasExited(uint32 account) external view returns (bool) {
        return _exited.get(account);
    }

    /// @notice Returns a deposit the exit root never consumed (queue index at or after the exit
    ///         batch's queue position) to its owner, in full. After a freeze, before `settle`.
    /// @param queueIndex The Deposit item.
    /// @param account Its account.
    /// @param owner Its owner.
    /// @param asset Its asset.
    /// @param amount Its amount.
    function refundDeposit(uint64 queueIndex, uint32 account, address owner, uint8 asset, uint128 amount) external {
        if (!rollup.frozen() || settled) revert WrongPhase();
        if (_refunded.get(queueIndex)) revert AlreadyRefunded(queueIndex);
        Rollup.Batch memory b = rollup.batch(rollup.exitBatchIndex());
        bytes32 expected = L1Inputs.next(
            rollup.queueChainAt(queueIndex), L1Inputs.deposit(queueIndex, account, owner, asset, amount)
        );
        // INVARIANT: only a real deposit that the exit state does not include comes back.
        if (queueIndex < b.queuePosition || queueIndex >= rollup.queueLength() || rollup.queueChainAt(queueIndex + 1) != expected) {
            revert NotRefundable(queueIndex);
        }
        _refunded.set(queueIndex);
        emit DepositRefunded(queueIndex, owner, asset, amount);
        tokens[asset].safeTransfer(owner, amount);
    }

    /// @notice Ends the exit window: snapshots the vault's tokens and fixes the payout ratio.
    ///         Anyone, once, after the window.
    function settle() external {
        if (!rollup.frozen() || settled || block.timestamp < uint256(rollup.frozenAt()) + rollup.exitWindow()) {
            revert WrongPhase();
        }
        settled = true;
        uint256 vaultValue;
        for (uint256 a; a < tokens.length; ++a) {
            uint256 bal = _balance(tokens[a]);
            _snapshot.push(bal);
            // Tokens without a proven price count as worth nothing here (conservative) but are
            // still shared out: the sum of payouts never exceeds the snapshot either way.
            if (a == 0) vaultValue += bal;
            else if (_assetProven.get(a)) vaultValue += uint256(_value(a, int256(bal)));
        }
        denominator = totalClaims > vaultValue ? totalClaims : vaultValue;
        emit Settled(totalClaims, vaultValue, denominator);
    }

    /// @notice Pays claim `claimId` its share of every token (after `settle`; once; anyone).
    /// @param claimId The claim.
    function payout(uint256 claimId) external {
        if (!settled) revert WrongPhase();
        // INVARIANT: each claim is paid once.
        if (claimId >= _claims.length || _claims[claimId].paid) revert NothingToPay(claimId);
        Claim storage c = _claims[claimId];
        c.paid = true;
        emit ExitPaid(claimId, c.recipient);
        for (uint256 a; a < _snapshot.length; ++a) {
            uint256 amount = payoutOf(claimId, a);
            if (amount != 0) tokens[a].safeTransfer(c.recipient, amount);
        }
    }

    /// @notice What claim `claimId` receives of asset `asset` (rounded down).
    /// @param claimId The claim.
    /// @param asset The asset.
    function payoutOf(uint256 claimId, uint256 asset) public view returns (uint256) {
        if (!settled || denominator == 0) return 0;
        return FixedPointMathLib.fullMulDiv(_snapshot[asset], _claims[claimId].value, denominator);
    }

    /// @notice A registered claim.
    /// @param claimId The claim.
    function claim(uint256 claimId) external view returns (Claim memory) {
        return _claims[claimId];
    }

    /// @notice Number of registered claims.
    function claimCount() external view returns (uint256) {
        return _claims.length;
    }

    // ================================================================ governance

    /// @notice Adds the token of the next asset id (governance lists it on L2 in the same action).
    /// @param token The ERC-20.
    function addAsset(address token) external {
        if (msg.sender != governance) revert NotGovernance();
        _addAsset(token);
    }

    /// @notice Sends the accrued forced-operation fees (ETH) to `to`.
    /// @param to Recipient.
    function sweepFees(address to) external {
        if (msg.sender != governance) revert NotGovernance();
        SafeTransferLib.safeTransferAllETH(to);
    }

    // ================================================================ internals

    function _addAsset(address token) private {
        if (tokens.length >= L.MAX_ASSETS) revert UnknownAsset(tokens.length);
        tokens.push(token);
        emit AssetAdded(uint8(tokens.length - 1), token);
    }

    function _accountOf(address owner) private returns (uint32) {
        uint256 a = _accountPlusOne[owner];
        if (a != 0) return uint32(a - 1);
        uint32 account = uint32(owners.length);
        owners.push(owner);
        _accountPlusOne[owner] = uint256(account) + 1;
        emit AccountRegistered(account, owner);
        return account;
    }

    function _exitRoot() private view returns (bytes32) {
        // INVARIANT: exit proofs are against the exit root, and only during the exit window.
        if (!rollup.frozen() || settled || block.timestamp >= uint256(rollup.frozenAt()) + rollup.exitWindow()) {
            revert WrongPhase();
        }
        return rollup.finalizedStateRoot(rollup.exitBatchIndex());
    }

    function _registerClaim(address recipient, int256 value) private returns (uint256 claimId) {
        if (block.timestamp >= uint256(rollup.frozenAt()) + rollup.exitWindow()) revert WrongPhase();
        claimId = _claims.length;
        _claims.push(Claim(recipient, SafeCastLib.toUint128(uint256(value)), false));
        totalClaims += uint256(value);
        emit ExitClaimRegistered(claimId, recipient, uint256(value));
    }

    /// @notice Value in settlement atoms of `amount` atoms of `asset` at the exit prices (floor).
    function _value(uint256 asset, int256 amount) private view returns (int256) {
        if (asset == 0) return amount;
        if (!_assetProven.get(asset)) revert NotProven(asset);
        StateProofs.Asset storage a = _asset[asset];
        return _divFloor(amount * int256(uint256(a.oraclePrice)), int256(10 ** uint256(a.decimals)));
    }

    /// @notice `isolatedMargin + markValue - entryNotional - pendingFunding`, as margin.ts:
    ///         markValue = floor(size * price / 1e8), pendingFunding = ceil(size * dIndex / 1e8).
    function _positionEquity(StateProofs.Position calldata pos, MarketMark memory m) private pure returns (int256) {
        int256 size = pos.size;
        int256 mark = _divFloor(size * int256(uint256(m.price)), 1e8);
        int256 funding = -_divFloor(-size * (int256(m.fundingIndex) - pos.lastFundingIndex), 1e8);
        return int256(uint256(pos.isolatedMargin)) + mark - pos.entryNotional - funding;
    }

    function _divFloor(int256 x, int256 d) private pure returns (int256 q) {
        q = x / d;
        if (x % d != 0 && x < 0) --q;
    }

    function _balance(address token) private view returns (uint256) {
        return SafeTransferLib.balanceOf(token, address(this));
    }
}
