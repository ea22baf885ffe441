// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IOneStepProver} from "./IOneStepProver.sol";
import {Rollup} from "./Rollup.sol";
import {BatchCodec} from "./lib/BatchCodec.sol";
import {SSZ} from "./lib/SSZ.sol";
import {StateLayout} from "./lib/StateLayout.sol";

/// @title DisputeGame
/// @notice Proves a posted batch wrong on L1 while it is inside its challenge window, and rolls
///         it back (with every later batch) through `Rollup.invalidate`. Two kinds of proof:
///
///         - **Data and header faults**, one transaction, no game: batch data above
///           `MAX_DATA_BYTES`, data that `BatchCodec` does not decode, a decoded op count
///           other than the header's, L1 inputs in the batch that skip, reorder or alter the
///           Rollup's queue, an empty batch that changes the root, and a posted state whose L1
///           cursor (`l1.nextIndex`, `l1.chainHash`) is not the header's queue position and
///           chain hash.
///         - **Root faults**, an interactive game: a bonded challenger against the batch's
///           submitter (the defender), bisecting over operation indices under a chess clock
///           until one operation is in dispute, which `IOneStepProver` executes.
///
///         The exact protocol, its timing against the challenge window, bonds and the argument
///         that one honest party always wins are in docs/fault-proofs.md.
/// @dev Parameters are set by `Governance` (timelocked, bounded and step-limited there).
contract DisputeGame {
    // ================================================================ types

    /// @notice Governed parameters (bounds and steps: `Governance.disputeBounds`).
    enum Param {
        /// Seconds of thinking time each party has for the whole game.
        ClockDuration,
        /// Seconds, after both clocks could have run out, for anyone to call `timeout`.
        ResolutionGrace,
        /// Wei a challenger deposits to open a game.
        ChallengerBond
    }

    enum Status {
        None,
        /// The defender posts a root at the midpoint, the challenger agrees or disagrees.
        Bisecting,
        /// One operation is in dispute: `loadOp`, then `step`.
        Stepping,
        ChallengerWon,
        DefenderWon,
        /// The batch left the chain while the game ran (another proof or a freeze): no winner.
        Void
    }

    enum Party {
        Challenger,
        Defender
    }

    /// @notice Why a batch's data or header is wrong (one-transaction proofs and `loadOp`).
    enum Fault {
        None,
        /// `data.length > MAX_DATA_BYTES`: nobody could decode it inside the gas bound.
        OversizedData,
        /// `BatchCodec.decode` reverts (`detail`: the op index it failed at).
        UndecodableData,
        /// The data holds another number of operations than `header.opCount`.
        OpCountMismatch,
        /// `opCount == 0` but `newStateRoot != prevStateRoot`.
        EmptyBatchRootChanged,
        /// The batch consumes fewer L1 inputs than `queuePosition` says.
        L1InputsSkipped,
        /// The batch holds an L1 input at or after `queuePosition` (`detail`: its op index).
        L1InputsBeyondPosition,
        /// An L1 input names another queue index than the next one (`detail`: its op index).
        L1InputsReordered,
        /// The L1 inputs' chain is not the queue's chain at `queuePosition`: an input differs
        /// from the item L1 enqueued at its index.
        L1InputAltered,
        /// The posted state's `l1.nextIndex`/`l1.chainHash` differ from the header's
        /// `queuePosition`/`queueChainHash` (proven with an SSZ branch).
        QueueCursorMismatch
    }

    /// @notice How a game ended.
    enum Outcome {
        /// The one-step prover's root differs from the defender's claim.
        StepDisproved,
        /// The one-step prover's root equals the defender's claim.
        StepConfirmed,
        ChallengerTimedOut,
        DefenderTimedOut,
        /// `loadOp` found a data fault (`Fault`).
        DataFault
    }

    /// @notice One game: 9 storage slots.
    struct Game {
        /// `keccak256(abi.encode(header))` of the disputed batch.
        bytes32 headerHash;
        /// Agreed root after `lo` operations (starts as `prevStateRoot`).
        bytes32 loRoot;
        /// The defender's root after `hi` operations (starts as `newStateRoot`), disputed.
        bytes32 hiRoot;
        /// The defender's root after `(lo + hi) / 2` operations, while the challenger decides.
        bytes32 midRoot;
        /// `keccak256` of operation `lo`'s bytes, once `loadOp` proved them (0 before).
        bytes32 opHash;
        address challenger;
        uint64 batchIndex;
        Status status;
        Party turn;
        address defender;
        /// When the party to move got the move (its clock runs from here).
        uint64 lastMoveAt;
        uint64 lo;
        uint64 hi;
        /// Seconds each party has left, as of its last move.
        uint64 challengerClock;
        uint64 defenderClock;
        uint128 bond;
    }

    /// @notice Values `inspect` reports about batch data that decodes.
    struct Inspection {
        Fault fault;
        /// The operation the fault is at (`opCount` for faults of the whole batch).
        uint256 detail;
        uint256 opCount;
        /// `keccak256` of operation `opIndex`'s bytes (0 when `opIndex >= opCount`).
        bytes32 opHash;
    }

    // ================================================================ constants

    /// @notice Most data bytes a batch may have: `maxBatchBytes(DECODE_GAS_BOUND)` of
    ///         sequencer/codec/gas.ts, sized by `BatchCodec.decode`'s 15M-gas bound on one-byte
    ///         fields. `decode` itself can exceed 15M on two-byte varints, and no dispute runs
    ///         it: `loadOp`'s `BatchCodec.locate` checks any data of this length in ≤ 10.6M gas,
    ///         `proveDataFault`'s `BatchCodec.locateL1Inputs` in ≤ 15.1M (docs/codec.md §4). A
    ///         constant, not a
    ///         parameter: lowering it would turn batches already posted under the old cap into
    ///         faults; a new cap is a new game contract (`Governance.setDisputeGame`).
    uint256 public constant MAX_DATA_BYTES = 35_209;

    /// @dev The L1 cursor container's gindex: its two chunks are `nextIndex` (left) and
    ///      `chainHash` (right), so one branch proves both.
    uint256 internal constant L1_CURSOR_GINDEX = StateLayout.L1_NEXT_INDEX_GINDEX / 2;
    uint256 internal constant L1_CURSOR_DEPTH = 4;

    // ================================================================ errors

    error NotGovernance();
    error NotRollup();
    error ProverNotSet();
    /// @notice `header` is not the batch the Rollup holds at `header.batchIndex`.
    error NotOnChain(uint256 batchIndex);
    /// @notice The game's batch is still on the chain: it cannot be voided.
    error StillOnChain(uint256 batchIndex);
    /// @notice The batch is final (or genesis): nothing can roll it back any more.
    error BatchFinal(uint256 batchIndex);
    /// @notice Too late to open a game on this batch: it could not end before the batch is final.
    error TooLateToOpen(uint256 batchIndex, uint256 deadline);
    error WrongBond(uint256 sent, uint256 required);
    error EmptyBatch();
    error SelfChallenge();
    error UnknownGame(uint256 id);
    error WrongStatus(uint256 id, Status status);
    error NotYourTurn(uint256 id, Party turn);
    error NotParty(uint256 id, address caller);
    /// @notice The party to move has used up its clock: call `timeout`.
    error ClockExpired(uint256 id, Party party);
    error ClockRunning(uint256 id, uint256 secondsLeft);
    error DataMismatch();
    error OpNotLoaded(uint256 id);
    error OpMismatch(uint256 id);
    error BadProof();
    /// @notice The data and header hold no fault this function proves.
    error NoFault();
    /// @notice Both clocks and the grace would not fit in half the challenge window.
    error GameSpanTooLong(uint256 span, uint256 challengeWindow);
    /// @notice The challenge window may not shrink while games run on its timing.
    error GamesOpen(uint256 openGames);
    error NothingToWithdraw();
    error TransferFailed();

    // ================================================================ events

    event GameOpened(
        uint256 indexed id, uint256 indexed batchIndex, address indexed challenger, address defender, uint256 opCount
    );
    /// @notice The defender claims `root` after `opIndex` operations.
    event Bisected(uint256 indexed id, uint256 opIndex, bytes32 root);
    /// @notice The challenger agreed or not; the disputed interval is now `[lo, hi]`.
    event Chosen(uint256 indexed id, bool agree, uint256 lo, uint256 hi);
    /// @notice Operation `opIndex`'s bytes were proven part of the batch's data.
    event OpLoaded(uint256 indexed id, uint256 opIndex, bytes32 opHash);
    event GameResolved(uint256 indexed id, Party winner, Outcome outcome, Fault fault, uint256 payout);
    event GameVoided(uint256 indexed id);
    /// @notice A one-transaction fault proof rolled batch `batchIndex` back.
    event FaultProven(uint256 indexed batchIndex, Fault fault, uint256 detail, address indexed prover, uint256 slashed);
    /// @notice `BatchCodec` refused the data with this error (with `Fault.UndecodableData`).
    event UndecodableData(uint256 indexed batchIndex, uint256 code, uint256 offset, uint256 opIndex);
    event ParamSet(Param indexed param, uint256 value);
    event ProverSet(address prover);
    event Credited(address indexed who, uint256 amount);

    // ================================================================ state

    Rollup public immutable rollup;
    address public immutable governance;
    IOneStepProver public prover;

    uint64 public clockDuration;
    uint64 public resolutionGrace;
    uint128 public challengerBond;

    mapping(uint256 => Game) internal _games;
    uint256 public gameCount;
    /// @notice Games neither won nor void.
    uint256 public openGames;
    /// @notice Wei each address may withdraw (bonds won or returned, slashed sequencer bonds).
    mapping(address => uint256) public credit;

    /// @notice Initial parameters.
    struct InitParams {
        uint64 clockDuration;
        uint64 resolutionGrace;
        uint128 challengerBond;
    }

    /// @param rollup_ The rollup whose batches are disputed.
    /// @param governance_ The governance contract (timelocked owner).
    /// @param prover_ The one-step prover (zero: root games cannot be opened yet).
    /// @param p Initial parameters; the game must fit in half the challenge window.
    constructor(Rollup rollup_, address governance_, IOneStepProver prover_, InitParams memory p) {
        rollup = rollup_;
        governance = governance_;
        prover = prover_;
        clockDuration = p.clockDuration;
        resolutionGrace = p.resolutionGrace;
        challengerBond = p.challengerBond;
        _checkSpan(rollup_.challengeWindow());
    }

    /// @notice Accepts the slashed bond `Rollup.invalidate` sends.
    receive() external payable {
        if (msg.sender != address(rollup)) revert NotRollup();
    }

    // ================================================================ the game

    /// @notice Opens a game against batch `header.batchIndex`, disputing its `newStateRoot`.
    ///         The caller is the challenger and sends `challengerBond`; the batch's submitter
    ///         defends. The defender moves first (unless the batch has one operation, which is
    ///         in dispute at once).
    /// @param header The batch's header as posted.
    /// @return id The game.
    function open(Rollup.BatchHeader calldata header) external payable returns (uint256 id) {
        if (address(prover) == address(0)) revert ProverNotSet();
        if (msg.value != challengerBond) revert WrongBond(msg.value, challengerBond);
        bytes32 headerHash = keccak256(abi.encode(header));
        Rollup.Batch memory b = _liveBatch(header.batchIndex, headerHash);
        // INVARIANT: a game always ends (both clocks plus the grace) before its batch is final,
        // so a lost defence can still roll the batch back.
        uint256 deadline = uint256(b.timestamp) + rollup.challengeWindow() - gameSpan();
        if (block.timestamp > deadline) revert TooLateToOpen(header.batchIndex, deadline);
        if (header.opCount == 0) revert EmptyBatch();
        if (msg.sender == b.submitter) revert SelfChallenge();
        id = ++gameCount;
        Game storage g = _games[id];
        g.headerHash = headerHash;
        g.loRoot = header.prevStateRoot;
        g.hiRoot = header.newStateRoot;
        g.challenger = msg.sender;
        g.batchIndex = header.batchIndex;
        g.defender = b.submitter;
        g.lastMoveAt = uint64(block.timestamp);
        g.hi = header.opCount;
        g.challengerClock = clockDuration;
        g.defenderClock = clockDuration;
        g.bond = uint128(msg.value);
        if (header.opCount == 1) {
            g.status = Status.Stepping;
            g.turn = Party.Challenger;
        } else {
            g.status = Status.Bisecting;
            g.turn = Party.Defender;
        }
        ++openGames;
        emit GameOpened(id, header.batchIndex, msg.sender, b.submitter, header.opCount);
    }

    /// @notice The defender's move: its state root after `(lo + hi) / 2` operations.
    /// @param id The game.
    /// @param midRoot The root.
    function bisect(uint256 id, bytes32 midRoot) external {
        Game storage g = _game(id, Status.Bisecting);
        if (msg.sender != g.defender) revert NotParty(id, msg.sender);
        _move(id, g, Party.Defender);
        g.midRoot = midRoot;
        g.turn = Party.Challenger;
        emit Bisected(id, (uint256(g.lo) + g.hi) / 2, midRoot);
    }

    /// @notice The challenger's move: whether the defender's midpoint root is right. Agreeing
    ///         moves the dispute to the upper half, disagreeing to the lower half; when one
    ///         operation is left, the challenger must prove it (`loadOp`, `step`).
    /// @param id The game.
    /// @param agree True when the midpoint root is the true state after that many operations.
    function choose(uint256 id, bool agree) external {
        Game storage g = _game(id, Status.Bisecting);
        if (msg.sender != g.challenger) revert NotParty(id, msg.sender);
        _move(id, g, Party.Challenger);
        uint64 mid = uint64((uint256(g.lo) + g.hi) / 2);
        if (agree) {
            g.lo = mid;
            g.loRoot = g.midRoot;
        } else {
            g.hi = mid;
            g.hiRoot = g.midRoot;
        }
        if (g.hi - g.lo == 1) {
            // The challenger keeps the move: its clock runs on through `loadOp` and `step`.
            g.status = Status.Stepping;
        } else {
            g.turn = Party.Defender;
        }
        emit Chosen(id, agree, g.lo, g.hi);
    }

    /// @notice Proves which bytes operation `lo` of the disputed batch is: checks the batch's
    ///         posted data on chain with `BatchCodec.locate` (the same verdict as `decode`,
    ///         without writing the batch; at most `MAX_DATA_BYTES`, ≤ 10.6M gas whatever the
    ///         content, sequencer/codec/gas.ts `locateGasBound`) and records the operation's
    ///         hash for `step`. Anyone may call. If the data holds a fault instead (oversized,
    ///         undecodable, op count), the challenger wins here.
    /// @param id The game.
    /// @param header The batch's header.
    /// @param data The batch's data as posted (`keccak256(data) == header.dataHash`).
    function loadOp(uint256 id, Rollup.BatchHeader calldata header, bytes calldata data) external {
        Game storage g = _game(id, Status.Stepping);
        if (keccak256(abi.encode(header)) != g.headerHash) revert NotOnChain(header.batchIndex);
        _stillOnChain(g);
        if (keccak256(data) != header.dataHash) revert DataMismatch();
        // The L1 inputs are not walked here (up to 1.2M gas on the largest batch): a queue fault
        // is proven by `proveDataFault`, which voids this game.
        (Fault fault,, Inspection memory r) = _check(header, data, g.lo, false);
        if (fault != Fault.None) {
            _challengerWins(id, g, Outcome.DataFault, fault);
            return;
        }
        g.opHash = r.opHash;
        emit OpLoaded(id, g.lo, r.opHash);
    }

    /// @notice Ends the game with the one-step proof of operation `lo`: the prover executes it
    ///         on the agreed root `loRoot`; the defender wins if the result is its claim
    ///         `hiRoot`, the challenger otherwise. Anyone may call while the challenger's clock
    ///         runs (the defender too, to win early).
    /// @param id The game.
    /// @param opBytes Operation `lo`'s bytes (as `loadOp` proved them).
    /// @param witness The prover's witness against `loRoot`.
    function step(uint256 id, bytes calldata opBytes, bytes calldata witness) external {
        Game storage g = _game(id, Status.Stepping);
        if (g.opHash == bytes32(0)) revert OpNotLoaded(id);
        if (keccak256(opBytes) != g.opHash) revert OpMismatch(id);
        if (_elapsedBeyond(g) != 0) revert ClockExpired(id, g.turn);
        _stillOnChain(g);
        bytes32 post = prover.execute(g.loRoot, opBytes, witness);
        if (post == g.hiRoot) _defenderWins(id, g, Outcome.StepConfirmed);
        else _challengerWins(id, g, Outcome.StepDisproved, Fault.None);
    }

    /// @notice Ends a game whose party to move has used up its clock: the other party wins.
    /// @param id The game.
    function timeout(uint256 id) external {
        Game storage g = _games[id];
        if (g.status != Status.Bisecting && g.status != Status.Stepping) revert WrongStatus(id, g.status);
        if (_elapsedBeyond(g) == 0) revert ClockRunning(id, clockLeft(id));
        _stillOnChain(g);
        if (g.turn == Party.Challenger) _defenderWins(id, g, Outcome.ChallengerTimedOut);
        else _challengerWins(id, g, Outcome.DefenderTimedOut, Fault.None);
    }

    /// @notice Voids a game whose batch left the chain (rolled back by another proof, or
    ///         dropped by a freeze): the challenger's bond is returned, nobody wins.
    /// @param id The game.
    function cancel(uint256 id) external {
        Game storage g = _games[id];
        if (g.status != Status.Bisecting && g.status != Status.Stepping) revert WrongStatus(id, g.status);
        if (_onChain(g.batchIndex, g.headerHash)) revert StillOnChain(g.batchIndex);
        g.status = Status.Void;
        --openGames;
        _credit(g.challenger, g.bond);
        emit GameVoided(id);
    }

    // ================================================================ one-transaction faults

    /// @notice Proves a data or header fault of a batch in one transaction and rolls the batch
    ///         (and every later one) back; the caller is credited the sequencer's slashed bond.
    ///         Checked in this order: data size, decoding, op count, the L1 inputs against the
    ///         Rollup's queue, an empty batch's root. Reverts `NoFault` when all hold.
    /// @param header The batch's header as posted.
    /// @param data The batch's data as posted.
    function proveDataFault(Rollup.BatchHeader calldata header, bytes calldata data) external {
        _liveBatch(header.batchIndex, keccak256(abi.encode(header)));
        if (keccak256(data) != header.dataHash) revert DataMismatch();
        (Fault fault, uint256 detail,) = _check(header, data, type(uint256).max, true);
        if (fault == Fault.None && header.opCount == 0 && header.newStateRoot != header.prevStateRoot) {
            fault = Fault.EmptyBatchRootChanged;
        }
        if (fault == Fault.None) revert NoFault();
        _invalidateFor(header.batchIndex, fault, detail);
    }

    /// @notice Proves that the state a batch posted has an L1 cursor other than its header's
    ///         queue position and chain hash (the header's are the Rollup's own queue, checked
    ///         at submission), and rolls the batch back. One SSZ branch covers both fields.
    /// @param header The batch's header as posted.
    /// @param nextIndex `l1.nextIndex` of the state `header.newStateRoot`.
    /// @param chainHash `l1.chainHash` of that state.
    /// @param branch Siblings of the `l1` container up to the state root (4 hashes).
    function proveQueueCursorFault(
        Rollup.BatchHeader calldata header,
        uint64 nextIndex,
        bytes32 chainHash,
        bytes32[] calldata branch
    ) external {
        _liveBatch(header.batchIndex, keccak256(abi.encode(header)));
        if (branch.length != L1_CURSOR_DEPTH) revert BadProof();
        bytes32 cursor = SSZ.hashPair(SSZ.toLittleEndian64(nextIndex), chainHash);
        if (!SSZ.verifyBranchCalldata(cursor, branch, L1_CURSOR_GINDEX, header.newStateRoot)) revert BadProof();
        if (nextIndex == header.queuePosition && chainHash == header.queueChainHash) revert NoFault();
        _invalidateFor(header.batchIndex, Fault.QueueCursorMismatch, 0);
    }

    /// @notice Checks batch data against its header and the L1 queue. External so that callers
    ///         can catch `BatchCodec.BatchDataError`; it changes nothing. Without `queue`,
    ///         `BatchCodec.locate` decides validity, count and the operation's hash; with `queue`,
    ///         `BatchCodec.locateL1Inputs` decides validity and count and gives the L1 inputs'
    ///         bytes for the walk (both with `decode`'s verdict, neither writing the batch).
    /// @param data The batch data.
    /// @param h The batch's header (its parent must be on chain: the queue position to start from).
    /// @param opIndex The operation whose hash to report (out of range: none).
    /// @param queue Whether to check the L1 inputs against the queue too.
    /// @return r What was found.
    function inspect(bytes calldata data, Rollup.BatchHeader calldata h, uint256 opIndex, bool queue)
        external
        view
        returns (Inspection memory r)
    {
        // Validity, the count and one operation with `locate`: it refuses exactly what `decode`
        // refuses (same error) without writing the batch, within `locateGasBound` whatever the
        // data (docs/codec.md §4), so these verdicts always fit one transaction.
        // With `queue`, `locateL1Inputs` decides the same, and returns the L1 inputs' bytes
        // (within `l1InputsGasBound`); `locate` then runs only if an operation's hash is asked
        // for too (no transaction of this contract does both).
        uint256 n;
        bytes memory op;
        bytes memory inputs;
        if (queue) (n, inputs) = BatchCodec.locateL1Inputs(data);
        if (!queue || opIndex < n) (n, op) = BatchCodec.locate(data, opIndex);
        r.opCount = n;
        if (opIndex < n) r.opHash = keccak256(op);
        if (n != h.opCount) {
            r.fault = Fault.OpCountMismatch;
            r.detail = n;
            return r;
        }
        if (!queue) return r;
        uint256 from = rollup.batch(h.batchIndex - 1).queuePosition;
        (uint256 count, uint256 bad, uint256 at, bytes32 chain) =
            _scanL1Inputs(inputs, from, h.queuePosition, rollup.queueChainAt(from));
        if (bad == 1) (r.fault, r.detail) = (Fault.L1InputsBeyondPosition, at);
        else if (bad == 2) (r.fault, r.detail) = (Fault.L1InputsReordered, at);
        else if (from + count < h.queuePosition) (r.fault, r.detail) = (Fault.L1InputsSkipped, n);
        else if (chain != h.queueChainHash) (r.fault, r.detail) = (Fault.L1InputAltered, n);
    }

    // ================================================================ payouts

    /// @notice Sends the caller everything credited to it.
    function withdraw() external {
        uint256 amount = credit[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        credit[msg.sender] = 0;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    // ================================================================ reads

    /// @notice A game.
    /// @param id The game.
    function game(uint256 id) external view returns (Game memory) {
        return _games[id];
    }

    /// @notice Longest a game can run before anyone can end it, plus the grace to end it:
    ///         both clocks and `resolutionGrace`.
    function gameSpan() public view returns (uint256) {
        return 2 * uint256(clockDuration) + resolutionGrace;
    }

    /// @notice Seconds the party to move has left (0 once expired).
    /// @param id The game.
    function clockLeft(uint256 id) public view returns (uint256) {
        Game storage g = _games[id];
        uint256 left = g.turn == Party.Challenger ? g.challengerClock : g.defenderClock;
        uint256 elapsed = block.timestamp - g.lastMoveAt;
        return elapsed >= left ? 0 : left - elapsed;
    }

    /// @notice The last second a game can be opened on batch `batchIndex`.
    /// @param batchIndex The batch.
    function openDeadline(uint256 batchIndex) external view returns (uint256) {
        return uint256(rollup.batch(batchIndex).timestamp) + rollup.challengeWindow() - gameSpan();
    }

    /// @notice A governed parameter's value.
    /// @param p The parameter.
    function paramValue(Param p) external view returns (uint256) {
        if (p == Param.ClockDuration) return clockDuration;
        if (p == Param.ResolutionGrace) return resolutionGrace;
        return challengerBond;
    }

    // ================================================================ governance

    /// @notice Sets a governed parameter (bounds and steps are checked by `Governance`); the
    ///         game must still fit in half the current challenge window.
    /// @param p The parameter.
    /// @param value The new value.
    function setParam(Param p, uint256 value) external {
        if (msg.sender != governance) revert NotGovernance();
        if (p == Param.ClockDuration) clockDuration = uint64(value);
        else if (p == Param.ResolutionGrace) resolutionGrace = uint64(value);
        else challengerBond = uint128(value);
        _checkSpan(rollup.challengeWindow());
        emit ParamSet(p, value);
    }

    /// @notice Sets the one-step prover (a new STF version is a new prover).
    /// @param prover_ The prover.
    function setProver(IOneStepProver prover_) external {
        if (msg.sender != governance) revert NotGovernance();
        prover = prover_;
        emit ProverSet(address(prover_));
    }

    /// @notice Reverts unless the challenge window may become `window`: every game must fit in
    ///         half of it, and it may not shrink while a game runs (the game's timing assumed
    ///         the old window). `Governance` calls this before changing the window.
    /// @param window The proposed challenge window.
    function checkChallengeWindow(uint256 window) external view {
        _checkSpan(window);
        if (window < rollup.challengeWindow() && openGames != 0) revert GamesOpen(openGames);
    }

    // ================================================================ internals

    function _checkSpan(uint256 window) private view {
        // INVARIANT: at least half the window is left to detect a bad batch and open a game.
        if (2 * gameSpan() > window) revert GameSpanTooLong(gameSpan(), window);
    }

    function _game(uint256 id, Status status) private view returns (Game storage g) {
        g = _games[id];
        if (g.status == Status.None) revert UnknownGame(id);
        if (g.status != status) revert WrongStatus(id, g.status);
    }

    /// @notice Charges the mover's clock for the time since the last move; reverts once expired.
    function _move(uint256 id, Game storage g, Party who) private {
        if (g.turn != who) revert NotYourTurn(id, g.turn);
        uint256 elapsed = block.timestamp - g.lastMoveAt;
        if (who == Party.Challenger) {
            if (elapsed > g.challengerClock) revert ClockExpired(id, who);
            g.challengerClock -= uint64(elapsed);
        } else {
            if (elapsed > g.defenderClock) revert ClockExpired(id, who);
            g.defenderClock -= uint64(elapsed);
        }
        g.lastMoveAt = uint64(block.timestamp);
    }

    /// @notice Seconds the party to move is past its clock (0 while it still has time).
    function _elapsedBeyond(Game storage g) private view returns (uint256) {
        uint256 left = g.turn == Party.Challenger ? g.challengerClock : g.defenderClock;
        uint256 elapsed = block.timestamp - g.lastMoveAt;
        return elapsed > left ? elapsed - left : 0;
    }

    /// @notice A game whose batch left the chain has no winner: it can only be voided (`cancel`).
    function _stillOnChain(Game storage g) private view {
        if (!_onChain(g.batchIndex, g.headerHash)) revert NotOnChain(g.batchIndex);
    }

    function _onChain(uint256 batchIndex, bytes32 headerHash) private view returns (bool) {
        return batchIndex < rollup.nextBatchIndex() && rollup.batch(batchIndex).headerHash == headerHash;
    }

    /// @notice The batch, if `headerHash` is the one the Rollup holds at `batchIndex` and the
    ///         batch can still be rolled back.
    function _liveBatch(uint256 batchIndex, bytes32 headerHash) private view returns (Rollup.Batch memory b) {
        if (batchIndex == 0 || batchIndex >= rollup.nextBatchIndex()) revert NotOnChain(batchIndex);
        b = rollup.batch(batchIndex);
        if (b.headerHash != headerHash) revert NotOnChain(batchIndex);
        if (rollup.isFinalized(batchIndex)) revert BatchFinal(batchIndex);
    }

    /// @notice Size, decoding, op count and (if `queue`) L1 inputs of a batch's data (`inspect`
    ///         through a self-call, whose `BatchDataError` becomes `Fault.UndecodableData`).
    function _check(Rollup.BatchHeader calldata h, bytes calldata data, uint256 opIndex, bool queue)
        private
        returns (Fault, uint256, Inspection memory r)
    {
        if (data.length > MAX_DATA_BYTES) return (Fault.OversizedData, data.length, r);
        try this.inspect(data, h, opIndex, queue) returns (Inspection memory got) {
            return (got.fault, got.detail, got);
        } catch (bytes memory reason) {
            // INVARIANT: only the decoder's own verdict is a fault; anything else (out of gas in
            // the inner call leaves no data) must not convict the sequencer.
            if (reason.length != 100 || bytes4(reason) != BatchCodec.BatchDataError.selector) {
                assembly {
                    revert(add(reason, 0x20), mload(reason))
                }
            }
            (uint256 code, uint256 offset, uint256 at) = _errorArgs(reason);
            emit UndecodableData(h.batchIndex, code, offset, at);
            return (Fault.UndecodableData, at, r);
        }
    }

    function _errorArgs(bytes memory reason) private pure returns (uint256 code, uint256 offset, uint256 at) {
        assembly {
            code := mload(add(reason, 0x24))
            offset := mload(add(reason, 0x44))
            at := mload(add(reason, 0x64))
        }
    }

    /// @notice Walks the batch's L1 inputs (`BatchCodec.locateL1Inputs`'s records: op index ‖
    ///         SequencedOp, selectors 0, 1, 17, 18 as in `L1Inputs`): the k-th must carry queue
    ///         index `from + k`, there must be `to - from` of them, and chaining their encodings
    ///         (the SequencedOp bytes after the 12-byte prefix are `encodeOp`, selector first)
    ///         onto the queue's chain at `from` must give its chain at `to`.
    function _scanL1Inputs(bytes memory inputs, uint256 from, uint256 to, bytes32 fromChain)
        private
        pure
        returns (uint256 count, uint256 bad, uint256 at, bytes32 chain)
    {
        // bad: 1 = an input at or beyond `to`, 2 = an input with the wrong queue index; `at` is
        // its op index.
        /// @solidity memory-safe-assembly
        assembly {
            // PERF: the loop body is written out (the legacy code generator does not inline Yul
            // functions, and a call per input costs as much as its checks).
            chain := fromChain
            let p := add(inputs, 0x20)
            let last := add(p, mload(inputs))
            for {} lt(p, last) {} {
                let item := add(p, 16)
                let k := add(from, count)
                if iszero(lt(k, to)) {
                    bad := 1
                    at := shr(224, mload(p))
                    break
                }
                // The queue index the item names: its bytes 1..8, little-endian (byte-swapped).
                let q := shr(192, mload(add(item, 1)))
                q := or(shl(8, and(q, 0x00ff00ff00ff00ff)), and(shr(8, q), 0x00ff00ff00ff00ff))
                q := or(shl(16, and(q, 0x0000ffff0000ffff)), and(shr(16, q), 0x0000ffff0000ffff))
                q := or(shl(32, and(q, 0xffffffff)), shr(32, q))
                if iszero(eq(q, k)) {
                    bad := 2
                    at := shr(224, mload(p))
                    break
                }
                // encodeOp length per selector (docs/contracts.md); the codec wrote exactly it.
                let size := 15
                switch byte(0, mload(item))
                case 0 { size := 50 }
                case 1 { size := 45 }
                case 17 { size := 30 }
                // keccak256(chain ‖ item), hashed in place: the word before the item (the end
                // of the record's prefix and index, or the array's length word) is saved and
                // put back.
                let before := sub(item, 0x20)
                let saved := mload(before)
                mstore(before, chain)
                chain := keccak256(before, add(0x20, size))
                mstore(before, saved)
                count := add(count, 1)
                p := add(item, size)
            }
        }
    }

    function _invalidateFor(uint256 batchIndex, Fault fault, uint256 detail) private {
        uint256 slashed = _invalidate(batchIndex);
        _credit(msg.sender, slashed);
        emit FaultProven(batchIndex, fault, detail, msg.sender, slashed);
    }

    /// @notice Rolls the batch back; returns the slashed bond the Rollup sent here.
    function _invalidate(uint256 batchIndex) private returns (uint256) {
        uint256 before = address(this).balance;
        rollup.invalidate(batchIndex);
        return address(this).balance - before;
    }

    function _challengerWins(uint256 id, Game storage g, Outcome outcome, Fault fault) private {
        g.status = Status.ChallengerWon;
        --openGames;
        uint256 payout = g.bond;
        // The batch may have left the chain meanwhile (another proof rolled it or an earlier
        // batch back): then there is nothing left to invalidate or slash.
        // A game left behind by a replaced dispute game contract cannot invalidate either.
        if (
            _onChain(g.batchIndex, g.headerHash) && !rollup.isFinalized(g.batchIndex)
                && rollup.disputeGame() == address(this)
        ) {
            payout += _invalidate(g.batchIndex);
        }
        _credit(g.challenger, payout);
        emit GameResolved(id, Party.Challenger, outcome, fault, payout);
    }

    function _defenderWins(uint256 id, Game storage g, Outcome outcome) private {
        g.status = Status.DefenderWon;
        --openGames;
        _credit(g.defender, g.bond);
        emit GameResolved(id, Party.Defender, outcome, Fault.None, g.bond);
    }

    function _credit(address who, uint256 amount) private {
        if (amount == 0) return;
        credit[who] += amount;
        emit Credited(who, amount);
    }
}
