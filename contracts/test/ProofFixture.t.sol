// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Setup} from "./lib/Setup.sol";
import {Rollup} from "../src/Rollup.sol";
import {Vault} from "../src/Vault.sol";
import {L1Inputs} from "../src/lib/L1Inputs.sol";
import {StateProofs} from "../src/lib/StateProofs.sol";

/// @title Cross-implementation tests
/// @notice Reads `contracts/test/fixtures/l1-proofs.json`, made by
///         `contracts/script/gen-proof-fixtures.ts` from a state the TypeScript STF built, with
///         proofs from ChainSafe SSZ. The deposits that built the state are replayed through
///         the Vault, so the L1 queue's chain must equal the state's `l1.chainHash`; then the
///         root is posted and every withdrawal and account exit is proven against it.
abstract contract FixtureBase is Setup {
    string internal json;

    function setUp() public {
        json = vm.readFile(string.concat(vm.projectRoot(), "/contracts/test/fixtures/l1-proofs.json"));
        _setUp(vm.parseJsonBytes32(json, ".genesisRoot"));
    }

    function _k(string memory prefix, uint256 i, string memory field) internal pure returns (string memory) {
        return string.concat(prefix, "[", _str(i), "]", field);
    }

    function _str(uint256 i) internal pure returns (string memory s) {
        if (i == 0) return "0";
        while (i != 0) {
            s = string.concat(string(abi.encodePacked(bytes1(uint8(48 + (i % 10))))), s);
            i /= 10;
        }
    }

    function _count(string memory key) internal view returns (uint256 n) {
        while (vm.keyExistsJson(json, string.concat(key, "[", _str(n), "]"))) ++n;
    }

    /// @notice Replays the fixture's deposits through the vault and posts the fixture root.
    function _replayAndPost() internal returns (uint256 batchIndex) {
        uint256 n = _count(".deposits");
        for (uint256 i; i < n; ++i) {
            address who = vm.parseJsonAddress(json, _k(".deposits", i, ".owner"));
            uint8 asset = uint8(vm.parseJsonUint(json, _k(".deposits", i, ".asset")));
            uint128 amount = uint128(vm.parseJsonUint(json, _k(".deposits", i, ".amount")));
            _fund(who, asset == 0 ? amount : 0, asset == 1 ? amount : 0);
            vm.prank(who);
            (uint32 account, uint64 q) = vault.deposit(asset, amount);
            assertEq(uint256(account), vm.parseJsonUint(json, _k(".deposits", i, ".account")), "account index");
            assertEq(uint256(q), vm.parseJsonUint(json, _k(".deposits", i, ".queueIndex")), "queue index");
        }
        assertEq(rollup.queueLength(), vm.parseJsonUint(json, ".l1.nextIndex"), "queue length = l1.nextIndex");
        assertEq(rollup.queueChainAt(n), vm.parseJsonBytes32(json, ".l1.chainHash"), "L1 chain = STF chain");
        batchIndex = _submitFinal(vm.parseJsonBytes32(json, ".root"));
    }

    function _withdrawal(uint256 i) internal view returns (StateProofs.Withdrawal memory w, bytes32[] memory proof) {
        w.account = uint32(vm.parseJsonUint(json, _k(".withdrawals", i, ".account")));
        w.owner = vm.parseJsonAddress(json, _k(".withdrawals", i, ".owner"));
        w.asset = uint8(vm.parseJsonUint(json, _k(".withdrawals", i, ".asset")));
        w.amount = uint128(vm.parseJsonUint(json, _k(".withdrawals", i, ".amount")));
        proof = vm.parseJsonBytes32Array(json, _k(".withdrawals", i, ".proof"));
    }

    function _bal(address token, address who) internal view returns (uint256) {
        return token == address(usdc) ? usdc.balanceOf(who) : weth.balanceOf(who);
    }


    function _freezeAndProvePrices() internal {
        _replayAndPost();
        vm.warp(block.timestamp + rollup.maxBatchGap() + 1);
        rollup.freeze();
        for (uint256 m; m < _count(".markets"); ++m) {
            vault.proveMarket(
                uint16(m),
                uint64(vm.parseJsonUint(json, _k(".markets", m, ".price"))),
                int64(vm.parseJsonInt(json, _k(".markets", m, ".fundingIndex"))),
                vm.parseJsonBytes32Array(json, _k(".markets", m, ".priceProof")),
                vm.parseJsonBytes32Array(json, _k(".markets", m, ".fundingProof"))
            );
        }
        for (uint256 a = 1; a < _count(".assets"); ++a) {
            StateProofs.Asset memory r = StateProofs.Asset({
                decimals: uint8(vm.parseJsonUint(json, _k(".assets", a, ".decimals"))),
                weightPpm: uint32(vm.parseJsonUint(json, _k(".assets", a, ".weightPpm"))),
                oraclePrice: uint64(vm.parseJsonUint(json, _k(".assets", a, ".oraclePrice"))),
                oracleTimestamp: uint64(vm.parseJsonUint(json, _k(".assets", a, ".oracleTimestamp")))
            });
            vault.proveAsset(uint8(a), r, vm.parseJsonBytes32Array(json, _k(".assets", a, ".proof")));
        }
    }


    function _exitProof(uint256 k) internal view returns (Vault.ExitProof memory p) {
        string memory pre = _k(".accounts", k, "");
        p.account = uint32(k);
        p.owner = vm.parseJsonAddress(json, string.concat(pre, ".owner"));
        int256[] memory b = vm.parseJsonIntArray(json, string.concat(pre, ".balances"));
        p.balances = new int128[](b.length);
        for (uint256 i; i < b.length; ++i) {
            p.balances[i] = int128(b[i]);
        }
        p.fieldRoots = vm.parseJsonBytes32Array(json, string.concat(pre, ".fieldRoots"));
        p.positionRoots = vm.parseJsonBytes32Array(json, string.concat(pre, ".positionRoots"));
        uint256[] memory ms = vm.parseJsonUintArray(json, string.concat(pre, ".markets"));
        p.markets = new uint16[](ms.length);
        p.positions = new StateProofs.Position[](ms.length);
        for (uint256 j; j < ms.length; ++j) {
            p.markets[j] = uint16(ms[j]);
            string memory q = _k(string.concat(pre, ".positions"), j, "");
            p.positions[j] = StateProofs.Position({
                size: int64(vm.parseJsonInt(json, string.concat(q, ".size"))),
                entryNotional: int64(vm.parseJsonInt(json, string.concat(q, ".entryNotional"))),
                lastFundingIndex: int64(vm.parseJsonInt(json, string.concat(q, ".lastFundingIndex"))),
                isolatedMargin: uint64(vm.parseJsonUint(json, string.concat(q, ".isolatedMargin"))),
                marginMode: uint8(vm.parseJsonUint(json, string.concat(q, ".marginMode")))
            });
        }
        p.proof = vm.parseJsonBytes32Array(json, string.concat(pre, ".proof"));
    }


}

/// @title Cross-implementation tests
/// @notice See `FixtureBase`.
contract ProofFixtureTest is FixtureBase {
    function test_fixtureWithdrawals_claim_succeeds() public {
        uint256 batchIndex = _replayAndPost();
        uint256 n = _count(".withdrawals");
        assertEq(n, 2, "two withdrawals");
        for (uint256 i; i < n; ++i) {
            (StateProofs.Withdrawal memory w, bytes32[] memory proof) = _withdrawal(i);
            address token = vault.tokens(w.asset);
            uint256 before = _bal(token, w.owner);
            vault.claimWithdrawal(batchIndex, uint64(i), w, proof);
            assertEq(_bal(token, w.owner) - before, w.amount, "paid");
            vm.expectRevert(abi.encodeWithSelector(Vault.AlreadyClaimed.selector, i));
            vault.claimWithdrawal(batchIndex, uint64(i), w, proof);
        }
    }

    function test_fixtureWithdrawals_tampered_reverts() public {
        uint256 batchIndex = _replayAndPost();
        (StateProofs.Withdrawal memory w, bytes32[] memory proof) = _withdrawal(0);
        w.amount += 1;
        vm.expectRevert(StateProofs.InvalidProof.selector);
        vault.claimWithdrawal(batchIndex, 0, w, proof);
        w.amount -= 1;
        proof[proof.length - 1] ^= bytes32(uint256(1));
        vm.expectRevert(StateProofs.InvalidProof.selector);
        vault.claimWithdrawal(batchIndex, 0, w, proof);
    }

    function test_fixtureExit_allAccounts_succeeds() public {
        _freezeAndProvePrices();
        uint256 n = _count(".accounts");
        assertEq(n, 3, "three accounts");
        for (uint256 k; k < n; ++k) {
            uint256 id = vault.exit(_exitProof(k));
            Vault.Claim memory c = vault.claim(id);
            assertEq(c.recipient, vm.parseJsonAddress(json, _k(".accounts", k, ".owner")), "recipient");
            assertEq(uint256(c.value), vm.parseJsonUint(json, _k(".accounts", k, ".equity")), "equity = TS rule");
            vm.expectRevert(abi.encodeWithSelector(Vault.AlreadyExited.selector, uint32(k)));
            vault.exit(_exitProof(k));
        }
        // Pending withdrawals at the exit root are claims in the same pool.
        for (uint256 i; i < _count(".withdrawals"); ++i) {
            (StateProofs.Withdrawal memory w, bytes32[] memory proof) = _withdrawal(i);
            vault.claimWithdrawal(rollup.exitBatchIndex(), uint64(i), w, proof);
        }
        vm.warp(uint256(rollup.frozenAt()) + rollup.exitWindow());
        vault.settle();
        uint256 usdcBefore = usdc.balanceOf(address(vault));
        uint256 wethBefore = weth.balanceOf(address(vault));
        uint256 paidUsdc;
        uint256 paidWeth;
        for (uint256 id; id < vault.claimCount(); ++id) {
            paidUsdc += vault.payoutOf(id, 0);
            paidWeth += vault.payoutOf(id, 1);
            vault.payout(id);
        }
        assertLe(paidUsdc, usdcBefore, "never more USDC than held");
        assertLe(paidWeth, wethBefore, "never more WETH than held");
        assertEq(usdc.balanceOf(address(vault)), usdcBefore - paidUsdc, "paid what payoutOf said");
        // Conservation at the exit root: claims are covered, so the pro-rata factor is 1 and
        // only rounding dust (and the unclaimed isolated-margin difference) stays behind.
        assertLe(vault.totalClaims(), vault.denominator(), "denominator covers claims");
    }

    function test_fixtureExit_tampered_reverts() public {
        _freezeAndProvePrices();
        Vault.ExitProof memory p = _exitProof(0);
        p.balances[0] += 1;
        vm.expectRevert(StateProofs.InvalidProof.selector);
        vault.exit(p);
        p = _exitProof(0);
        p.positions[0].size -= 1; // a smaller loss
        vm.expectRevert(abi.encodeWithSelector(Vault.BadPositions.selector, uint256(p.markets[0])));
        vault.exit(p);
        p = _exitProof(0);
        p.fieldRoots[1] ^= bytes32(uint256(1));
        vm.expectRevert(StateProofs.InvalidProof.selector);
        vault.exit(p);
    }

    function test_fixtureExit_hiddenPosition_reverts() public {
        _freezeAndProvePrices();
        Vault.ExitProof memory p = _exitProof(1); // account 1 holds a BTC long
        // Drop the position from the list while keeping its slot root: refused.
        p.markets = new uint16[](0);
        p.positions = new StateProofs.Position[](0);
        vm.expectRevert(abi.encodeWithSelector(Vault.BadPositions.selector, 0));
        vault.exit(p);
    }

    function test_fixtureExit_unprovenMarket_reverts() public {
        _replayAndPost();
        vm.warp(block.timestamp + rollup.maxBatchGap() + 1);
        rollup.freeze();
        Vault.ExitProof memory p = _exitProof(2); // only USDC + an ETH position
        vm.expectRevert(abi.encodeWithSelector(Vault.NotProven.selector, 1));
        vault.exit(p);
    }

    function test_fixtureProveMarket_wrongPrice_reverts() public {
        _replayAndPost();
        vm.warp(block.timestamp + rollup.maxBatchGap() + 1);
        rollup.freeze();
        uint64 price = uint64(vm.parseJsonUint(json, ".markets[0].price"));
        bytes32[] memory pp = vm.parseJsonBytes32Array(json, ".markets[0].priceProof");
        bytes32[] memory fp = vm.parseJsonBytes32Array(json, ".markets[0].fundingProof");
        vm.expectRevert(StateProofs.InvalidProof.selector);
        vault.proveMarket(0, price + 1, 0, pp, fp);
        vault.proveMarket(0, price, 0, pp, fp);
        assertEq(uint256(vault.marketMark(0).price), price, "recorded");
    }

    /// @notice Queue items of all four kinds encode exactly as the TypeScript reference
    ///         (`encodeOp` / the documented L1-only containers) and chain as `nextChainHash`.
    function test_fixtureQueue_encodingAndChain_succeeds() public view {
        bytes32 chain;
        string memory q = ".queue";
        bytes[] memory items = new bytes[](4);
        items[0] = L1Inputs.deposit(
            uint64(vm.parseJsonUint(json, ".queue[0].fields.queueIndex")),
            uint32(vm.parseJsonUint(json, ".queue[0].fields.account")),
            vm.parseJsonAddress(json, ".queue[0].fields.owner"),
            uint8(vm.parseJsonUint(json, ".queue[0].fields.asset")),
            uint128(vm.parseJsonUint(json, ".queue[0].fields.amount"))
        );
        items[1] = L1Inputs.paramUpdate(
            uint64(vm.parseJsonUint(json, ".queue[1].fields.queueIndex")),
            uint16(vm.parseJsonUint(json, ".queue[1].fields.key")),
            uint16(vm.parseJsonUint(json, ".queue[1].fields.target")),
            vm.parseJsonBytes32(json, ".queue[1].fields.value")
        );
        items[2] = L1Inputs.forcedWithdraw(
            uint64(vm.parseJsonUint(json, ".queue[2].fields.queueIndex")),
            uint32(vm.parseJsonUint(json, ".queue[2].fields.account")),
            uint8(vm.parseJsonUint(json, ".queue[2].fields.asset")),
            uint128(vm.parseJsonUint(json, ".queue[2].fields.amount"))
        );
        items[3] = L1Inputs.forcedClose(
            uint64(vm.parseJsonUint(json, ".queue[3].fields.queueIndex")),
            uint32(vm.parseJsonUint(json, ".queue[3].fields.account")),
            uint16(vm.parseJsonUint(json, ".queue[3].fields.market"))
        );
        for (uint256 i; i < 4; ++i) {
            assertEq(items[i], vm.parseJsonBytes(json, _k(q, i, ".encoded")), "encoding");
            chain = L1Inputs.next(chain, items[i]);
            assertEq(chain, vm.parseJsonBytes32(json, _k(q, i, ".chainAfter")), "chain");
        }
    }
}
