// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {L1Inputs} from "./lib/L1Inputs.sol";

/// @title Rollup
/// @notice Settlement of Crossmargin on L1: the chain of batch headers posted by the bonded
///         sequencer, their finality after the challenge window, rollback by the dispute game,
///         the L1 input queue (one keccak hash chain over deposits, forced operations and
///         governance parameter changes) and the freeze that starts the exit.
/// @dev Parameters are set by `Governance` (timelocked, bounded, step-limited there). The
///      queue accepts items from the `Vault` (deposits, forced operations) and `Governance`
///      (parameter updates) only.
contract Rollup {
    // ================================================================ types

    /// @notice What a batch commits to; `keccak256(abi.encode(header))` is stored.
    struct BatchHeader {
        uint64 batchIndex;
        bytes32 parentHash;
        bytes32 prevStateRoot;
        bytes32 newStateRoot;
        uint64 opCount;
        /// Queue position consumed up to (the state's `l1.nextIndex` after the batch).
        uint64 queuePosition;
        /// Queue chain hash at `queuePosition` (the state's `l1.chainHash` after the batch).
        bytes32 queueChainHash;
        bytes32 dataHash;
        uint64 l1Timestamp;
    }

    /// @notice A stored batch: 3 slots.
    struct Batch {
        bytes32 headerHash;
        bytes32 stateRoot;
        uint40 timestamp;
        uint56 queuePosition;
        address submitter;
    }

    /// @notice A queue item: the chain hash after it and when it was enqueued.
    struct QueueItem {
        bytes32 chainHash;
        uint64 enqueuedAt;
    }

    /// @notice Governed L1 parameters (bounds and steps: `Governance`, docs/contracts.md).
    enum Param {
        BatchInterval,
        MaxBatchSize,
        ChallengeWindow,
        InclusionDeadline,
        MaxBatchGap,
        SequencerBond,
        ForcedOpFee,
        ExitWindow
    }

    /// @notice Why the rollup froze.
    enum FreezeReason {
        None,
        InclusionDeadlineMissed,
        BatchGapExceeded
    }

    // ================================================================ errors

    /// @notice The caller is not the governance contract.
    error NotGovernance();
    /// @notice The caller is not the sequencer.
    error NotSequencer();
    /// @notice The caller is not the dispute game.
    error NotDisputeGame();
    /// @notice The caller may not enqueue items of this kind.
    error NotQueueWriter(address caller, uint8 selector);
    /// @notice The vault was already set.
    error VaultAlreadySet();
    /// @notice The sequencer's bond is below the governed minimum.
    error InsufficientBond(uint256 bond, uint256 required);
    /// @notice A header field does not match what L1 knows.
    error BadHeader(string field);
    /// @notice The batch has more operations than allowed.
    error BatchTooLarge(uint256 opCount, uint256 max);
    /// @notice The batch index names no batch on the current chain.
    error UnknownBatch(uint256 batchIndex);
    /// @notice The batch is already final and can no longer be invalidated.
    error BatchFinalized(uint256 batchIndex);
    /// @notice The queue item names the wrong index.
    error BadQueueIndex(uint64 expected, uint64 actual);
    /// @notice The rollup is frozen.
    error Frozen();
    /// @notice Neither freeze condition holds.
    error NotFreezable();
    /// @notice The bond cannot be withdrawn yet.
    error BondLocked();
    /// @notice An ETH transfer failed.
    error TransferFailed();

    // ================================================================ events

    /// @notice A batch was accepted; `data` is in the transaction's calldata.
    event BatchSubmitted(uint256 indexed batchIndex, bytes32 headerHash, BatchHeader header);
    /// @notice Batch `batchIndex` and all later ones were rolled back.
    event BatchesInvalidated(uint256 indexed batchIndex, address indexed submitter, uint256 slashed);
    /// @notice An item was appended to the L1 input queue.
    event Enqueued(uint64 indexed queueIndex, bytes32 chainHash, bytes item);
    /// @notice The rollup froze; exits use the state root of batch `exitBatchIndex`.
    event RollupFrozen(FreezeReason reason, uint256 exitBatchIndex);
    /// @notice A governed parameter changed.
    event ParamSet(Param indexed param, uint256 value);
    /// @notice The sequencer changed.
    event SequencerSet(address sequencer);
    /// @notice The dispute game changed.
    event DisputeGameSet(address disputeGame);
    /// @notice A bond was posted or withdrawn.
    event BondChanged(address indexed who, uint256 bond);

    // ================================================================ state

    address public immutable governance;
    address private immutable _deployer;
    address public vault;
    address public sequencer;
    address public disputeGame;

    uint64 public batchInterval;
    uint64 public maxBatchSize;
    uint64 public challengeWindow;
    uint64 public inclusionDeadline;
    uint64 public maxBatchGap;
    uint64 public exitWindow;
    uint128 public sequencerBond;
    uint128 public forcedOpFee;

    /// @notice Batches by index; entries at or after `nextBatchIndex` are stale (rolled back).
    mapping(uint256 => Batch) internal _batches;
    /// @notice The index the next batch must have; batch 0 is genesis.
    uint256 public nextBatchIndex;
    /// @notice When the current head was accepted (or the chain was rolled back).
    uint256 public lastBatchTime;

    QueueItem[] internal _queue;

    mapping(address => uint256) public bondOf;

    FreezeReason public freezeReason;
    uint64 public frozenAt;
    uint256 public exitBatchIndex;

    /// @notice Initial parameters (checked by `Governance` for later changes).
    struct InitParams {
        uint64 batchInterval;
        uint64 maxBatchSize;
        uint64 challengeWindow;
        uint64 inclusionDeadline;
        uint64 maxBatchGap;
        uint64 exitWindow;
        uint128 sequencerBond;
        uint128 forcedOpFee;
    }

    /// @param governance_ The governance contract (timelocked owner).
    /// @param sequencer_ The first sequencer.
    /// @param genesisStateRoot `hashTreeRoot` of the genesis state (batch 0, final at once).
    /// @param p Initial parameters.
    constructor(address governance_, address sequencer_, bytes32 genesisStateRoot, InitParams memory p) {
        governance = governance_;
        _deployer = msg.sender;
        sequencer = sequencer_;
        batchInterval = p.batchInterval;
        maxBatchSize = p.maxBatchSize;
        challengeWindow = p.challengeWindow;
        inclusionDeadline = p.inclusionDeadline;
        maxBatchGap = p.maxBatchGap;
        exitWindow = p.exitWindow;
        sequencerBond = p.sequencerBond;
        forcedOpFee = p.forcedOpFee;
        BatchHeader memory genesis = genesisHeader(genesisStateRoot);
        _batches[0] = Batch(keccak256(abi.encode(genesis)), genesisStateRoot, 0, 0, address(0));
        nextBatchIndex = 1;
        lastBatchTime = block.timestamp;
    }

    /// @notice The header of batch 0 for a genesis root (all other fields zero, data empty).
    /// @param genesisStateRoot The genesis state root.
    /// @return h The header.
    function genesisHeader(bytes32 genesisStateRoot) public pure returns (BatchHeader memory h) {
        h.newStateRoot = genesisStateRoot;
        h.dataHash = keccak256("");
    }

    /// @notice Sets the vault once (it is deployed after the rollup).
    /// @param vault_ The vault.
    function initVault(address vault_) external {
        // INVARIANT: only the deployer, only once: the vault is the sole depositor into the queue.
        if (msg.sender != _deployer || vault != address(0)) revert VaultAlreadySet();
        vault = vault_;
    }

    // ================================================================ batches

    /// @notice Posts a batch. Only the bonded sequencer, only while not frozen; the header must
    ///         extend the current head and consume the queue in order.
    /// @param h The header; every field is checked against L1 except `newStateRoot` and
    ///        `opCount`, which the dispute game checks.
    /// @param data The batch's operation data (compressed); only its hash is stored.
    function submitBatch(BatchHeader calldata h, bytes calldata data) external {
        if (msg.sender != sequencer) revert NotSequencer();
        // INVARIANT: after a freeze the exit root is fixed; no batch may change it.
        if (freezeReason != FreezeReason.None) revert Frozen();
        if (bondOf[msg.sender] < sequencerBond) revert InsufficientBond(bondOf[msg.sender], sequencerBond);
        uint256 index = nextBatchIndex;
        Batch storage parent = _batches[index - 1];
        // INVARIANT: batches form one chain: index, parent hash and state roots link up.
        if (h.batchIndex != index) revert BadHeader("batchIndex");
        if (h.parentHash != parent.headerHash) revert BadHeader("parentHash");
        if (h.prevStateRoot != parent.stateRoot) revert BadHeader("prevStateRoot");
        // INVARIANT: the queue is consumed in order: the position never moves back, never
        // passes the end, and the chain hash there is the queue's own.
        if (h.queuePosition < parent.queuePosition || h.queuePosition > _queue.length) {
            revert BadHeader("queuePosition");
        }
        if (h.queueChainHash != queueChainAt(h.queuePosition)) revert BadHeader("queueChainHash");
        if (h.dataHash != keccak256(data)) revert BadHeader("dataHash");
        if (h.l1Timestamp != block.timestamp) revert BadHeader("l1Timestamp");
        if (h.opCount > maxBatchSize) revert BatchTooLarge(h.opCount, maxBatchSize);

        bytes32 headerHash = keccak256(abi.encode(h));
        _batches[index] = Batch(headerHash, h.newStateRoot, uint40(block.timestamp), uint56(h.queuePosition), msg.sender);
        nextBatchIndex = index + 1;
        lastBatchTime = block.timestamp;
        emit BatchSubmitted(index, headerHash, h);
    }

    /// @notice Rolls back batch `batchIndex` and every later batch, and slashes the bond of the
    ///         batch's submitter to the dispute game. Only the dispute game; only before the
    ///         batch is final.
    /// @param batchIndex The first invalid batch.
    function invalidate(uint256 batchIndex) external {
        if (msg.sender != disputeGame) revert NotDisputeGame();
        if (batchIndex == 0 || batchIndex >= nextBatchIndex) revert UnknownBatch(batchIndex);
        // INVARIANT: a final batch is never rolled back (withdrawals may have been paid from it).
        if (isFinalized(batchIndex)) revert BatchFinalized(batchIndex);
        address submitter = _batches[batchIndex].submitter;
        nextBatchIndex = batchIndex;
        // The sequencer gets a fresh gap to re-post from the last valid root.
        lastBatchTime = block.timestamp;
        uint256 slashed = bondOf[submitter];
        bondOf[submitter] = 0;
        emit BatchesInvalidated(batchIndex, submitter, slashed);
        if (slashed != 0) _send(msg.sender, slashed);
    }

    /// @notice Adds ETH to the caller's bond.
    function postBond() external payable {
        bondOf[msg.sender] += msg.value;
        emit BondChanged(msg.sender, bondOf[msg.sender]);
    }

    /// @notice Withdraws the caller's whole bond: allowed when the caller is not the sequencer
    ///         and every batch on the chain is final (nothing of theirs can still be disputed).
    function withdrawBond() external {
        // INVARIANT: a bond backs every batch that can still be invalidated.
        if (msg.sender == sequencer || !isFinalized(nextBatchIndex - 1)) revert BondLocked();
        uint256 amount = bondOf[msg.sender];
        bondOf[msg.sender] = 0;
        emit BondChanged(msg.sender, 0);
        _send(msg.sender, amount);
    }

    // ================================================================ queue

    /// @notice Appends an encoded item (L1Inputs) to the queue. Deposits and forced operations
    ///         come from the vault, parameter updates from governance.
    /// @param item The canonical encoding: selector byte, then the container with this index.
    /// @return index The item's queue index.
    function enqueue(bytes calldata item) external returns (uint64 index) {
        uint8 selector = uint8(item[0]);
        bool fromVault = msg.sender == vault
            && (selector == L1Inputs.DEPOSIT || selector == L1Inputs.FORCED_WITHDRAW || selector == L1Inputs.FORCED_CLOSE);
        bool fromGov = msg.sender == governance && selector == L1Inputs.PARAM_UPDATE;
        // INVARIANT: only the vault (which holds the tokens) and governance (timelocked) write.
        if (!fromVault && !fromGov) revert NotQueueWriter(msg.sender, selector);
        // INVARIANT: an item is added only while batches can still consume it.
        if (freezeReason != FreezeReason.None) revert Frozen();
        index = uint64(_queue.length);
        // INVARIANT: the item names its own position, as the STF checks.
        if (L1Inputs.queueIndexOf(item) != index) revert BadQueueIndex(index, L1Inputs.queueIndexOf(item));
        bytes32 chain = keccak256(abi.encodePacked(queueChainAt(index), item));
        _queue.push(QueueItem(chain, uint64(block.timestamp)));
        emit Enqueued(index, chain, item);
    }

    /// @notice Number of items ever enqueued.
    function queueLength() external view returns (uint256) {
        return _queue.length;
    }

    /// @notice The queue's hash chain after its first `position` items (0 for none).
    /// @param position Number of items.
    function queueChainAt(uint256 position) public view returns (bytes32) {
        return position == 0 ? bytes32(0) : _queue[position - 1].chainHash;
    }

    /// @notice When queue item `index` was enqueued.
    /// @param index The item.
    function enqueuedAt(uint256 index) external view returns (uint256) {
        return _queue[index].enqueuedAt;
    }

    // ================================================================ finality and reads

    /// @notice The stored record of batch `batchIndex` on the current chain.
    /// @param batchIndex The batch.
    function batch(uint256 batchIndex) external view returns (Batch memory) {
        if (batchIndex >= nextBatchIndex) revert UnknownBatch(batchIndex);
        return _batches[batchIndex];
    }

    /// @notice Whether batch `batchIndex` is on the chain and past its challenge window.
    /// @param batchIndex The batch.
    function isFinalized(uint256 batchIndex) public view returns (bool) {
        if (batchIndex >= nextBatchIndex) return false;
        if (batchIndex == 0) return true;
        return _batches[batchIndex].timestamp + uint256(challengeWindow) <= block.timestamp;
    }

    /// @notice The state root of a final batch; reverts for any other.
    /// @param batchIndex The batch.
    function finalizedStateRoot(uint256 batchIndex) external view returns (bytes32) {
        // INVARIANT: L1 pays out only against roots that survived the challenge window.
        if (!isFinalized(batchIndex)) revert UnknownBatch(batchIndex);
        return _batches[batchIndex].stateRoot;
    }

    /// @notice Whether the rollup is frozen.
    function frozen() external view returns (bool) {
        return freezeReason != FreezeReason.None;
    }

    // ================================================================ freeze

    /// @notice Freezes the rollup when the sequencer failed its duties: a queue item is still
    ///         unconsumed past the inclusion deadline, or no batch came for `maxBatchGap`.
    ///         Anyone may call. Exits then use the last batch that was final at this moment.
    function freeze() external {
        if (freezeReason != FreezeReason.None) revert Frozen();
        uint256 head = nextBatchIndex - 1;
        uint256 consumed = _batches[head].queuePosition;
        FreezeReason reason;
        if (consumed < _queue.length && _queue[consumed].enqueuedAt + uint256(inclusionDeadline) < block.timestamp) {
            reason = FreezeReason.InclusionDeadlineMissed;
        } else if (lastBatchTime + uint256(maxBatchGap) < block.timestamp) {
            reason = FreezeReason.BatchGapExceeded;
        } else {
            // INVARIANT: an honest, live sequencer can never be frozen out.
            revert NotFreezable();
        }
        // The last final batch: timestamps grow with the index, so binary search.
        uint256 lo = 0;
        uint256 hi = head;
        while (lo < hi) {
            uint256 mid = (lo + hi + 1) / 2;
            if (isFinalized(mid)) lo = mid;
            else hi = mid - 1;
        }
        freezeReason = reason;
        frozenAt = uint64(block.timestamp);
        exitBatchIndex = lo;
        // Unfinal batches are dropped: nothing can be built on them any more.
        nextBatchIndex = lo + 1;
        emit RollupFrozen(reason, lo);
    }

    // ================================================================ governance

    /// @notice Sets a governed parameter (bounds and steps are checked by `Governance`).
    /// @param p The parameter.
    /// @param value The new value.
    function setParam(Param p, uint256 value) external {
        if (msg.sender != governance) revert NotGovernance();
        if (p == Param.BatchInterval) batchInterval = uint64(value);
        else if (p == Param.MaxBatchSize) maxBatchSize = uint64(value);
        else if (p == Param.ChallengeWindow) challengeWindow = uint64(value);
        else if (p == Param.InclusionDeadline) inclusionDeadline = uint64(value);
        else if (p == Param.MaxBatchGap) maxBatchGap = uint64(value);
        else if (p == Param.SequencerBond) sequencerBond = uint128(value);
        else if (p == Param.ForcedOpFee) forcedOpFee = uint128(value);
        else exitWindow = uint64(value);
        emit ParamSet(p, value);
    }

    /// @notice Sets the sequencer.
    /// @param sequencer_ The new sequencer; it must post a bond before submitting.
    function setSequencer(address sequencer_) external {
        if (msg.sender != governance) revert NotGovernance();
        sequencer = sequencer_;
        emit SequencerSet(sequencer_);
    }

    /// @notice Sets the dispute game allowed to invalidate batches.
    /// @param disputeGame_ The dispute game.
    function setDisputeGame(address disputeGame_) external {
        if (msg.sender != governance) revert NotGovernance();
        disputeGame = disputeGame_;
        emit DisputeGameSet(disputeGame_);
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
