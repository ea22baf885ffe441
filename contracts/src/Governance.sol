// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DisputeGame} from "./DisputeGame.sol";
import {IOneStepProver} from "./IOneStepProver.sol";
import {Rollup} from "./Rollup.sol";
import {Vault} from "./Vault.sol";
import {L1Inputs} from "./lib/L1Inputs.sol";

/// @title Governance
/// @notice The timelocked owner of Crossmargin's parameters. The owner schedules a call to one
///         of this contract's `onlySelf` setters; after `delay` (never shorter than the challenge
///         window, so users who reject a change can withdraw first) anyone executes it. Every
///         setter checks the parameter's documented bounds and its maximum step per change
///         (docs/contracts.md, "Governance parameters"). Parameters the STF uses are not set
///         here directly: they travel through the L1 input queue as ParamUpdate items, so the
///         STF applies them at a deterministic point. This contract keeps a shadow copy of the
///         STF values it step-limits; it is their only writer, and it applies the same bounds
///         the STF does, so the shadow equals the state.
contract Governance {
    /// @notice Bounds and maximum step of a numeric parameter.
    struct Bound {
        uint256 min;
        uint256 max;
        uint256 maxStep;
    }

    /// @notice STF values at genesis, for the shadow copy.
    struct Genesis {
        uint64 maxOracleAgeMs;
        uint64 oracleBandPpm;
        uint64 nonceWindowMs;
        uint8 oracleThreshold;
        /// Per market: initial and maintenance fractions (ppm) of its 4 tiers.
        uint32[4][] imfPpm;
        uint32[4][] mmfPpm;
        /// Per asset: collateral weight (ppm); asset 0 is the settlement asset.
        uint32[] assetWeightPpm;
    }

    // ParamUpdate keys (sequencer/state/ops/paramUpdate.ts PARAM_KEYS).
    uint16 internal constant MAX_ORACLE_AGE_MS = 1;
    uint16 internal constant ORACLE_BAND_PPM = 2;
    uint16 internal constant NONCE_WINDOW_MS = 3;
    uint16 internal constant ORACLE_THRESHOLD = 4;
    uint16 internal constant ORACLE_SIGNER = 5;
    uint16 internal constant MARKET_STATUS = 10;
    uint16 internal constant MARKET_TICK_LOT = 11;
    uint16 internal constant MARKET_TIER = 12;
    uint16 internal constant LIST_MARKET = 13;
    uint16 internal constant ASSET_WEIGHT = 20;
    uint16 internal constant LIST_ASSET = 21;
    /// @dev Risk-engine keys (docs/risk.md); 30..38 are scalars, 39 is per correlation group.
    uint16 internal constant LIQUIDATION_PENALTY_PPM = 30;
    uint16 internal constant PORTFOLIO_MAINTENANCE_PPM = 38;
    uint16 internal constant GROUP_SHOCK_PPM = 39;
    uint16 internal constant MARKET_GROUP = 40;
    uint16 internal constant MARKET_LIQUIDATION_CAP = 41;
    uint16 internal constant BACKSTOP_ACCOUNT = 42;
    uint256 internal constant CORRELATION_GROUPS = 8;
    uint256 internal constant UNLIMITED = type(uint64).max;

    uint256 internal constant PPM = 1_000_000;
    uint256 internal constant MAX_ORACLE_SIGNERS = 8;
    uint256 internal constant MAX_MARKETS = 64;
    uint256 internal constant MAX_ASSETS = 4;
    uint256 internal constant MARGIN_TIERS = 4;
    /// @notice Most a used tier's initial or maintenance fraction moves per change (5%).
    uint256 public constant TIER_STEP_PPM = 50_000;
    /// @notice Most an asset's collateral weight moves per change (10%).
    uint256 public constant WEIGHT_STEP_PPM = 100_000;

    // ================================================================ errors

    /// @notice The caller is not the owner.
    error NotOwner();
    /// @notice Only a scheduled call executed through the timelock may call this.
    error NotTimelocked();
    /// @notice `init` was called twice or by someone else.
    error AlreadyInitialized();
    /// @notice The call is not scheduled or not ready yet.
    error NotReady(bytes32 id, uint256 readyAt);
    /// @notice The scheduled call reverted.
    error CallFailed(bytes reason);
    /// @notice A value is outside its bounds.
    error OutOfBounds(uint256 value, uint256 min, uint256 max);
    /// @notice A change is larger than the parameter's maximum step.
    error StepTooLarge(uint256 from, uint256 to, uint256 maxStep);
    /// @notice The timelock delay would fall below the challenge window.
    error DelayBelowChallengeWindow(uint256 delay, uint256 challengeWindow);
    /// @notice A ParamUpdate is malformed or not allowed through this function.
    error BadParamUpdate(uint16 key, uint16 target);

    // ================================================================ events

    event Scheduled(bytes32 indexed id, uint256 salt, uint256 readyAt, bytes call);
    event Executed(bytes32 indexed id);
    event Cancelled(bytes32 indexed id);
    event OwnershipTransferred(address indexed owner);
    event DelaySet(uint256 delay);

    // ================================================================ state

    address public owner;
    uint64 public delay;
    Rollup public rollup;
    Vault public vault;
    address private immutable _deployer;

    /// @notice When each scheduled call becomes executable (0: not scheduled).
    mapping(bytes32 => uint256) public readyAt;
    uint256 public nextSalt;

    /// @notice Shadow of the STF's scalar parameters by ParamUpdate key (1..4).
    mapping(uint16 => uint256) public stfScalar;
    /// @notice Shadow of tier fractions: `(market << 8) | tier`.
    mapping(uint256 => uint256) public tierImfPpm;
    mapping(uint256 => uint256) public tierMmfPpm;
    /// @notice Shadow of asset weights.
    mapping(uint256 => uint256) public assetWeightPpm;
    /// @notice Shadow of the portfolio-margin shock per correlation group.
    mapping(uint256 => uint256) public groupShockPpm;
    uint256 public marketCount;
    uint256 public assetCount;

    /// @param owner_ The owner (a multisig in production).
    /// @param delay_ The timelock delay (seconds); checked against the challenge window in `init`.
    /// @param g The genesis STF values (must match the genesis state).
    constructor(address owner_, uint64 delay_, Genesis memory g) {
        owner = owner_;
        delay = delay_;
        _deployer = msg.sender;
        stfScalar[MAX_ORACLE_AGE_MS] = g.maxOracleAgeMs;
        stfScalar[ORACLE_BAND_PPM] = g.oracleBandPpm;
        stfScalar[NONCE_WINDOW_MS] = g.nonceWindowMs;
        stfScalar[ORACLE_THRESHOLD] = g.oracleThreshold;
        marketCount = g.imfPpm.length;
        for (uint256 m; m < g.imfPpm.length; ++m) {
            for (uint256 t; t < MARGIN_TIERS; ++t) {
                tierImfPpm[(m << 8) | t] = g.imfPpm[m][t];
                tierMmfPpm[(m << 8) | t] = g.mmfPpm[m][t];
            }
        }
        // The risk engine starts from the STF's defaults (RISK_DEFAULTS in sequencer/state/genesis.ts).
        stfScalar[30] = 10_000;
        stfScalar[31] = 100_000;
        stfScalar[32] = 1_000;
        stfScalar[33] = UNLIMITED;
        stfScalar[34] = UNLIMITED;
        stfScalar[35] = 3_600_000;
        stfScalar[36] = 40_000;
        stfScalar[37] = 20_000;
        stfScalar[38] = 500_000;
        groupShockPpm[0] = 160_000;
        groupShockPpm[1] = 250_000;
        assetCount = g.assetWeightPpm.length;
        for (uint256 a; a < g.assetWeightPpm.length; ++a) {
            assetWeightPpm[a] = g.assetWeightPpm[a];
        }
    }

    /// @notice Connects the rollup and vault (deployed after this contract). Deployer, once.
    /// @param rollup_ The rollup.
    /// @param vault_ The vault.
    function init(Rollup rollup_, Vault vault_) external {
        if (msg.sender != _deployer || address(rollup) != address(0)) revert AlreadyInitialized();
        rollup = rollup_;
        vault = vault_;
        // INVARIANT: users always get a full challenge window of notice before a change.
        if (delay < rollup_.challengeWindow()) revert DelayBelowChallengeWindow(delay, rollup_.challengeWindow());
    }

    /// @notice Appoints the first dispute game at deployment (later ones: `setDisputeGame`,
    ///         timelocked). Deployer, once, only while the rollup has none and after `init`.
    /// @param game The dispute game, built for this rollup and this governance.
    function initDisputeGame(DisputeGame game) external {
        if (msg.sender != _deployer || address(rollup) == address(0) || rollup.disputeGame() != address(0)) {
            revert AlreadyInitialized();
        }
        if (address(game.rollup()) != address(rollup) || game.governance() != address(this)) {
            revert AlreadyInitialized();
        }
        rollup.setDisputeGame(address(game));
    }

    // ================================================================ timelock

    /// @notice Schedules `call` (an ABI-encoded call to one of this contract's setters).
    /// @param call The call data.
    /// @return id The call's id.
    /// @return salt Its salt (pass it to `execute`).
    function schedule(bytes calldata call) external returns (bytes32 id, uint256 salt) {
        if (msg.sender != owner) revert NotOwner();
        salt = nextSalt++;
        id = keccak256(abi.encode(call, salt));
        uint256 ready = block.timestamp + delay;
        readyAt[id] = ready;
        emit Scheduled(id, salt, ready, call);
    }

    /// @notice Executes a scheduled call whose delay has passed. Anyone may call.
    /// @param call The call data, as scheduled.
    /// @param salt Its salt.
    function execute(bytes calldata call, uint256 salt) external {
        bytes32 id = keccak256(abi.encode(call, salt));
        uint256 ready = readyAt[id];
        // INVARIANT: nothing changes before the public delay has passed.
        if (ready == 0 || block.timestamp < ready) revert NotReady(id, ready);
        delete readyAt[id];
        emit Executed(id);
        (bool ok, bytes memory reason) = address(this).call(call);
        if (!ok) revert CallFailed(reason);
    }

    /// @notice Cancels a scheduled call.
    /// @param id The call's id.
    function cancel(bytes32 id) external {
        if (msg.sender != owner) revert NotOwner();
        delete readyAt[id];
        emit Cancelled(id);
    }

    modifier onlySelf() {
        if (msg.sender != address(this)) revert NotTimelocked();
        _;
    }

    // ================================================================ bounds

    /// @notice Bounds and maximum step of each L1 parameter (seconds, wei or counts).
    /// @param p The parameter.
    function bounds(Rollup.Param p) public pure returns (Bound memory) {
        if (p == Rollup.Param.BatchInterval) return Bound(1, 1 hours, 10 minutes);
        if (p == Rollup.Param.MaxBatchSize) return Bound(1, 100_000, 10_000);
        if (p == Rollup.Param.ChallengeWindow) return Bound(1 hours, 14 days, 1 days);
        if (p == Rollup.Param.InclusionDeadline) return Bound(1 hours, 14 days, 1 days);
        if (p == Rollup.Param.MaxBatchGap) return Bound(1 hours, 14 days, 1 days);
        if (p == Rollup.Param.SequencerBond) return Bound(0.1 ether, 10_000 ether, 100 ether);
        if (p == Rollup.Param.ForcedOpFee) return Bound(0, 0.1 ether, 0.01 ether);
        return Bound(7 days, 90 days, 7 days); // ExitWindow
    }

    /// @notice Bounds and maximum step of each dispute game parameter (seconds or wei).
    /// @param p The parameter.
    function disputeBounds(DisputeGame.Param p) public pure returns (Bound memory) {
        if (p == DisputeGame.Param.ClockDuration) return Bound(10 minutes, 7 days, 1 days);
        if (p == DisputeGame.Param.ResolutionGrace) return Bound(10 minutes, 1 days, 6 hours);
        return Bound(0.01 ether, 1_000 ether, 10 ether); // ChallengerBond
    }

    /// @notice Bounds and maximum step of the timelock delay.
    function delayBounds() public pure returns (Bound memory) {
        return Bound(1 hours, 30 days, 2 days);
    }

    /// @notice Bounds and maximum step of the STF scalar parameter `key` (1..4).
    /// @param key The ParamUpdate key.
    function stfBounds(uint16 key) public pure returns (Bound memory) {
        if (key == MAX_ORACLE_AGE_MS) return Bound(1_000, 86_400_000, 600_000);
        if (key == ORACLE_BAND_PPM) return Bound(1, PPM, 100_000);
        if (key == NONCE_WINDOW_MS) return Bound(1_000, 7 * 86_400_000, 86_400_000);
        if (key == ORACLE_THRESHOLD) return Bound(1, MAX_ORACLE_SIGNERS, 1);
        if (key == 30) return Bound(0, 50_000, 5_000); // liquidation penalty
        if (key == 31) return Bound(0, PPM, 100_000); // liquidation buffer
        if (key == 32) return Bound(100, 3_600_000, 60_000); // pacing window
        // Caps may go from unlimited to any value in one change: a cap only slows liquidations.
        if (key == 33 || key == 34) return Bound(1, UNLIMITED, UNLIMITED);
        if (key == 35) return Bound(60_000, 86_400_000, 3_600_000); // funding interval
        if (key == 36) return Bound(0, 100_000, 10_000); // max funding rate
        if (key == 37) return Bound(1_000, PPM, 10_000); // portfolio floor
        if (key == PORTFOLIO_MAINTENANCE_PPM) return Bound(100_000, PPM, 100_000);
        if (key == GROUP_SHOCK_PPM) return Bound(0, PPM, 50_000);
        revert BadParamUpdate(key, 0);
    }

    function _check(uint256 from, uint256 to, Bound memory b) private pure {
        // INVARIANT: a parameter stays in its documented range ...
        if (to < b.min || to > b.max) revert OutOfBounds(to, b.min, b.max);
        // INVARIANT: ... and moves by at most one step per timelocked change.
        uint256 diff = to > from ? to - from : from - to;
        if (diff > b.maxStep) revert StepTooLarge(from, to, b.maxStep);
    }

    // ================================================================ setters (timelocked)

    /// @notice Sets an L1 parameter on the rollup.
    /// @param p The parameter.
    /// @param value The new value.
    function setL1Param(Rollup.Param p, uint256 value) external onlySelf {
        _check(_current(p), value, bounds(p));
        if (p == Rollup.Param.ChallengeWindow && value > delay) revert DelayBelowChallengeWindow(delay, value);
        // INVARIANT: every dispute game still ends before its batch is final (the game refuses
        // a window that its clocks do not fit in, or a shrink while games run).
        address game = rollup.disputeGame();
        if (p == Rollup.Param.ChallengeWindow && game.code.length != 0) {
            DisputeGame(payable(game)).checkChallengeWindow(value);
        }
        rollup.setParam(p, value);
    }

    /// @notice Sets a dispute game parameter (the game checks it still fits the window).
    /// @param p The parameter.
    /// @param value The new value.
    function setDisputeParam(DisputeGame.Param p, uint256 value) external onlySelf {
        DisputeGame game = DisputeGame(payable(rollup.disputeGame()));
        _check(game.paramValue(p), value, disputeBounds(p));
        game.setParam(p, value);
    }

    /// @notice Sets the dispute game's one-step prover (a new STF version is a new prover).
    /// @param prover The prover.
    function setOneStepProver(address prover) external onlySelf {
        DisputeGame(payable(rollup.disputeGame())).setProver(IOneStepProver(prover));
    }

    /// @notice Sets the timelock delay (never below the challenge window).
    /// @param delay_ The new delay.
    function setDelay(uint64 delay_) external onlySelf {
        _check(delay, delay_, delayBounds());
        if (delay_ < rollup.challengeWindow()) revert DelayBelowChallengeWindow(delay_, rollup.challengeWindow());
        delay = delay_;
        emit DelaySet(delay_);
    }

    /// @notice Sets the sequencer.
    /// @param sequencer The new sequencer.
    function setSequencer(address sequencer) external onlySelf {
        rollup.setSequencer(sequencer);
    }

    /// @notice Sets the dispute game.
    /// @param disputeGame The dispute game.
    function setDisputeGame(address disputeGame) external onlySelf {
        rollup.setDisputeGame(disputeGame);
    }

    /// @notice Transfers ownership.
    /// @param owner_ The new owner.
    function transferOwnership(address owner_) external onlySelf {
        owner = owner_;
        emit OwnershipTransferred(owner_);
    }

    /// @notice Sends the vault's forced-operation fees to `to`.
    /// @param to Recipient.
    function sweepFees(address to) external onlySelf {
        vault.sweepFees(to);
    }

    /// @notice Enqueues a ParamUpdate for the STF after checking it: scalar parameters, the
    ///         oracle signer set, market status, tick/lot, margin tiers, market listing and
    ///         asset weights. (Asset listing goes through `listAsset`.)
    /// @param key ParamUpdate key.
    /// @param target Market, asset or signer slot the key addresses.
    /// @param value The 32-byte value, little-endian fields as the STF reads them.
    function updateStfParam(uint16 key, uint16 target, bytes32 value) external onlySelf {
        if ((key >= MAX_ORACLE_AGE_MS && key <= ORACLE_THRESHOLD) || (key >= LIQUIDATION_PENALTY_PPM && key <= PORTFOLIO_MAINTENANCE_PPM)) {
            uint256 v = _u(value, 0, 8);
            _check(stfScalar[key], v, stfBounds(key));
            stfScalar[key] = v;
        } else if (key == GROUP_SHOCK_PPM) {
            if (target >= CORRELATION_GROUPS) revert BadParamUpdate(key, target);
            uint256 v = _u(value, 0, 8);
            _check(groupShockPpm[target], v, stfBounds(key));
            groupShockPpm[target] = v;
        } else if (key == MARKET_GROUP) {
            if (target >= marketCount || _u(value, 0, 8) >= CORRELATION_GROUPS) revert BadParamUpdate(key, target);
        } else if (key == MARKET_LIQUIDATION_CAP) {
            if (target >= marketCount || _u(value, 0, 8) == 0) revert BadParamUpdate(key, target);
        } else if (key == BACKSTOP_ACCOUNT) {
            // The STF refuses an account that does not exist (the queue item is still consumed).
        } else if (key == ORACLE_SIGNER) {
            if (target >= MAX_ORACLE_SIGNERS) revert BadParamUpdate(key, target);
        } else if (key == MARKET_STATUS) {
            uint256 status = _u(value, 0, 8);
            if (target >= marketCount || status < 1 || status > 3) revert BadParamUpdate(key, target);
        } else if (key == MARKET_TICK_LOT) {
            if (target >= marketCount) revert BadParamUpdate(key, target);
            _checkTickLot(key, target, value);
        } else if (key == MARKET_TIER) {
            _checkTier(target, value);
        } else if (key == LIST_MARKET) {
            if (target != marketCount || target >= MAX_MARKETS) revert BadParamUpdate(key, target);
            _checkTickLot(key, target, value);
            uint256 imf = _u(value, 16, 4);
            uint256 mmf = _u(value, 20, 4);
            if (mmf == 0 || mmf > imf || imf > PPM) revert BadParamUpdate(key, target);
            tierImfPpm[uint256(target) << 8] = imf;
            tierMmfPpm[uint256(target) << 8] = mmf;
            ++marketCount;
        } else if (key == ASSET_WEIGHT) {
            if (target == 0 || target >= assetCount) revert BadParamUpdate(key, target);
            uint256 w = _u(value, 0, 8);
            _check(assetWeightPpm[target], w, Bound(0, PPM, WEIGHT_STEP_PPM));
            assetWeightPpm[target] = w;
        } else {
            revert BadParamUpdate(key, target);
        }
        _enqueue(key, target, value);
    }

    /// @notice Lists a new collateral asset: adds its token to the vault and enqueues LIST_ASSET.
    /// @param token The ERC-20 (its decimals are the asset's decimals).
    /// @param decimals The token's decimals.
    /// @param weightPpm The collateral weight.
    function listAsset(address token, uint8 decimals, uint32 weightPpm) external onlySelf {
        uint16 target = uint16(assetCount);
        if (target >= MAX_ASSETS || decimals > 36 || weightPpm > PPM) revert BadParamUpdate(LIST_ASSET, target);
        assetWeightPpm[target] = weightPpm;
        ++assetCount;
        vault.addAsset(token);
        _enqueue(LIST_ASSET, target, bytes32(uint256(decimals) << 248 | uint256(_le32(weightPpm)) >> 64));
    }

    // ================================================================ internals

    function _checkTier(uint16 target, bytes32 value) private {
        uint256 index = _u(value, 16, 1);
        if (target >= marketCount || index >= MARGIN_TIERS) revert BadParamUpdate(MARKET_TIER, target);
        uint256 slot = (uint256(target) << 8) | index;
        uint256 imf = _u(value, 8, 4);
        uint256 mmf = _u(value, 12, 4);
        if (imf == 0) {
            // Unused tier: all zero, never tier 0 (the STF's checkTiers).
            if (index == 0 || mmf != 0 || _u(value, 0, 8) != 0) revert BadParamUpdate(MARKET_TIER, target);
        } else if (mmf == 0 || mmf > imf || imf > PPM) {
            revert BadParamUpdate(MARKET_TIER, target);
        }
        // A used tier moves by at most one step; a tier coming into use is bounded only
        // (the STF requires its fractions to be at least the previous tier's).
        if (tierImfPpm[slot] != 0 && imf != 0) {
            _check(tierImfPpm[slot], imf, Bound(1, PPM, TIER_STEP_PPM));
            _check(tierMmfPpm[slot], mmf, Bound(1, PPM, TIER_STEP_PPM));
        }
        tierImfPpm[slot] = imf;
        tierMmfPpm[slot] = mmf;
    }

    function _checkTickLot(uint16 key, uint16 target, bytes32 value) private pure {
        uint256 tick = _u(value, 0, 8);
        uint256 lot = _u(value, 8, 8);
        if (tick == 0 || lot == 0 || (tick * lot) % 1e8 != 0) revert BadParamUpdate(key, target);
    }

    function _enqueue(uint16 key, uint16 target, bytes32 value) private {
        uint64 index = uint64(rollup.queueLength());
        rollup.enqueue(L1Inputs.paramUpdate(index, key, target, value));
    }

    function _current(Rollup.Param p) private view returns (uint256) {
        if (p == Rollup.Param.BatchInterval) return rollup.batchInterval();
        if (p == Rollup.Param.MaxBatchSize) return rollup.maxBatchSize();
        if (p == Rollup.Param.ChallengeWindow) return rollup.challengeWindow();
        if (p == Rollup.Param.InclusionDeadline) return rollup.inclusionDeadline();
        if (p == Rollup.Param.MaxBatchGap) return rollup.maxBatchGap();
        if (p == Rollup.Param.SequencerBond) return rollup.sequencerBond();
        if (p == Rollup.Param.ForcedOpFee) return rollup.forcedOpFee();
        return rollup.exitWindow();
    }

    /// @notice The little-endian integer in bytes [offset, offset + len) of `value`.
    function _u(bytes32 value, uint256 offset, uint256 len) private pure returns (uint256 x) {
        for (uint256 i; i < len; ++i) {
            x |= uint256(uint8(value[offset + i])) << (8 * i);
        }
    }

    /// @notice `x`'s 4 little-endian bytes, left-aligned.
    function _le32(uint32 x) private pure returns (bytes32) {
        return bytes32(
            uint256(x & 0xff) << 248 | uint256((x >> 8) & 0xff) << 240 | uint256((x >> 16) & 0xff) << 232
                | uint256(x >> 24) << 224
        );
    }
}
