// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OneStepProver} from "../src/OneStepProver.sol";
import {IOneStepPart} from "../src/onestep/IOneStepPart.sol";
import {OneStepTrading} from "../src/onestep/OneStepTrading.sol";
import {OneStepRisk} from "../src/onestep/OneStepRisk.sol";
import {OneStepParams} from "../src/onestep/OneStepParams.sol";

/// @title OneStepDeploy
/// @notice The one way the one-step STF is deployed: its parts, each on its own (EIP-170 and
///         EIP-3860 cap code and initcode per contract), then `OneStepProver` routing to them.
///         Used by `DeployBase` (the devnet script) and the forge tests; sequencer/l1/deploy.ts
///         `deployOneStepProver` deploys the same list in the same order.
library OneStepDeploy {
    function deploy(uint256 chainId, address rollup) internal returns (OneStepProver) {
        IOneStepPart[] memory parts = new IOneStepPart[](3);
        parts[0] = IOneStepPart(address(new OneStepTrading(chainId, rollup)));
        parts[1] = IOneStepPart(address(new OneStepRisk(chainId, rollup)));
        parts[2] = IOneStepPart(address(new OneStepParams(chainId, rollup)));
        return new OneStepProver(chainId, rollup, parts);
    }
}
