// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "../test/lib/Vm.sol";
import {DisputeGame} from "../src/DisputeGame.sol";
import {Governance} from "../src/Governance.sol";
import {IOneStepProver} from "../src/IOneStepProver.sol";
import {Rollup} from "../src/Rollup.sol";
import {Vault} from "../src/Vault.sol";
import {MockERC20} from "../src/test/MockERC20.sol";
import {OneStepDeploy} from "./OneStepDeploy.sol";

/// @title DeployBase
/// @notice The one way Crossmargin's L1 contracts are deployed and wired: by the forge script
///         below (local devnet) and by every forge test (`contracts/test/lib/Setup.sol`).
/// @dev Order: Governance (owner, delay, genesis STF values) -> Rollup (governance, sequencer,
///      genesis root, parameters) -> Vault (rollup, governance, tokens) -> `rollup.initVault`
///      -> `governance.init` (which checks delay >= challenge window) -> the one-step prover
///      (`OneStepDeploy`, signing domain = this chain and the Rollup; skipped when
///      `oneStepProver` is false) -> DisputeGame (rollup, governance, prover, clocks scaled to
///      the window) -> `governance.initDisputeGame`.
///      The deployer must make the `init*` calls, so this runs in the deploying account's context.
abstract contract DeployBase {
    /// @notice What to deploy.
    struct Config {
        address owner;
        address sequencer;
        bytes32 genesisRoot;
        uint64 timelockDelay;
        Rollup.InitParams params;
        /// Token of asset 0, 1, ... (must match the genesis state's assets).
        address[] tokens;
        Governance.Genesis genesis;
        /// Deploy the one-step prover (false: root games cannot open until governance sets
        /// one; the game's own tests use stand-in provers).
        bool oneStepProver;
    }

    /// @notice The deployed contracts.
    struct Deployment {
        Governance governance;
        Rollup rollup;
        Vault vault;
        DisputeGame disputeGame;
    }

    /// @notice Deploys and wires the contracts.
    function _deploy(Config memory c) internal returns (Deployment memory d) {
        d.governance = new Governance(c.owner, c.timelockDelay, c.genesis);
        d.rollup = new Rollup(address(d.governance), c.sequencer, c.genesisRoot, c.params);
        d.vault = new Vault(d.rollup, address(d.governance), c.tokens);
        d.rollup.initVault(address(d.vault));
        d.governance.init(d.rollup, d.vault);
        IOneStepProver prover =
            c.oneStepProver ? OneStepDeploy.deploy(block.chainid, address(d.rollup)) : IOneStepProver(address(0));
        d.disputeGame =
            new DisputeGame(d.rollup, address(d.governance), prover, _disputeParams(c.params.challengeWindow));
        d.governance.initDisputeGame(d.disputeGame);
    }

    /// @notice Dispute game parameters for a challenge window: each party's clock a sixth of it,
    ///         the grace a 24th (4 h and 1 h for 1 day), so a game spans 3/8 of the window and
    ///         may be opened during its first 5/8 (docs/fault-proofs.md §3); bond 0.1 ETH.
    function _disputeParams(uint64 challengeWindow) internal pure returns (DisputeGame.InitParams memory) {
        return DisputeGame.InitParams({
            clockDuration: challengeWindow / 6,
            resolutionGrace: challengeWindow / 24,
            challengerBond: 0.1 ether
        });
    }

    /// @notice Default L1 parameters: 1 s batches of up to 10,000 ops, a 1-day challenge window,
    ///         a 1-day inclusion deadline, a 12-hour maximum gap, 14-day exit window.
    function _defaultParams() internal pure returns (Rollup.InitParams memory) {
        return Rollup.InitParams({
            batchInterval: 1,
            maxBatchSize: 10_000,
            challengeWindow: 1 days,
            inclusionDeadline: 1 days,
            maxBatchGap: 12 hours,
            exitWindow: 14 days,
            sequencerBond: 1 ether,
            forcedOpFee: 0.001 ether
        });
    }

    /// @notice The genesis STF values of `testGenesis()` in sequencer/state/test/fixtures.ts
    ///         (BTC tiers 10%/5% then 20%/10%, ETH 5%/2.5%, WETH weight 80%).
    function _testGenesis() internal pure returns (Governance.Genesis memory g) {
        g.maxOracleAgeMs = 60_000;
        g.oracleBandPpm = 200_000;
        g.nonceWindowMs = 86_400_000;
        g.oracleThreshold = 1;
        g.imfPpm = new uint32[4][](2);
        g.mmfPpm = new uint32[4][](2);
        g.imfPpm[0] = [uint32(100_000), 200_000, 0, 0];
        g.mmfPpm[0] = [uint32(50_000), 100_000, 0, 0];
        g.imfPpm[1] = [uint32(50_000), 0, 0, 0];
        g.mmfPpm[1] = [uint32(25_000), 0, 0, 0];
        g.assetWeightPpm = new uint32[](2);
        g.assetWeightPpm[0] = 1_000_000;
        g.assetWeightPpm[1] = 800_000;
    }
}

/// @title Deploy
/// @notice Local devnet deployment: mock USDC (6 decimals) and WETH (18), then the contracts.
///         `npx forge script contracts/script/Deploy.s.sol --rpc-url http://127.0.0.1:8545
///         --broadcast --private-key <key>`; env: OWNER, SEQUENCER, GENESIS_ROOT (defaults: the
///         broadcaster and a zero root).
contract Deploy is DeployBase {
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    /// @notice Deploys everything; returns the addresses.
    function run() external returns (Deployment memory d, address usdc, address weth) {
        vm.startBroadcast();
        usdc = address(new MockERC20("USD Coin (test)", "USDC", 6));
        weth = address(new MockERC20("Wrapped Ether (test)", "WETH", 18));
        address[] memory tokens = new address[](2);
        tokens[0] = usdc;
        tokens[1] = weth;
        d = _deploy(
            Config({
                owner: vm.envOr("OWNER", msg.sender),
                sequencer: vm.envOr("SEQUENCER", msg.sender),
                genesisRoot: vm.envOr("GENESIS_ROOT", bytes32(0)),
                timelockDelay: 2 days,
                params: _defaultParams(),
                tokens: tokens,
                genesis: _testGenesis(),
                oneStepProver: true
            })
        );
        vm.stopBroadcast();
    }
}
