// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./lib/Test.sol";
import {MiniMargin} from "../src/test/MiniMargin.sol";
import {MockERC20} from "../src/test/MockERC20.sol";

/// @title MiniMargin tests
/// @notice The on-chain-only peer of bench/peers must be a working margin ledger, or its gas
///         and throughput would compare us against nothing: positions, realized PnL, margin
///         held by orders and the margin checks on place and fill.
contract MiniMarginTest is Test {
    MockERC20 internal usdc;
    MiniMargin internal mm;
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal carol = address(0xCA201);

    uint64 internal constant BTC = 60_000e6; // quote atoms per whole BTC
    uint128 internal constant ONE = 1e8; // one BTC in SIZE_SCALE units

    function setUp() public {
        usdc = new MockERC20("USD Coin (test)", "USDC", 6);
        mm = new MiniMargin(address(usdc));
        mm.setMarket(0, BTC, 50_000, 25_000); // 5% initial, 2.5% maintenance
        _fund(alice, 1_000_000e6);
        _fund(bob, 1_000_000e6);
        _fund(carol, 1_000e6);
    }

    function _fund(address who, uint256 amount) internal {
        usdc.mint(who, amount);
        vm.startPrank(who);
        usdc.approve(address(mm), amount);
        mm.deposit(amount);
        vm.stopPrank();
    }

    function _key(address who, uint64 clientId) internal pure returns (uint256) {
        return (uint256(uint160(who)) << 96) | clientId;
    }

    function test_fill_opensThenClosesWithRealizedPnl_succeeds() public {
        vm.prank(alice);
        mm.place(1, 0, true, BTC, ONE);
        assertEq(mm.orderMargin(alice), 3_000e6, "5% of 60k held by the order");
        vm.prank(bob);
        mm.fill(_key(alice, 1), ONE);
        (int128 aSize, int128 aEntry) = mm.positions(alice, 0);
        (int128 bSize, int128 bEntry) = mm.positions(bob, 0);
        assertEq(int256(aSize), -int256(uint256(ONE)), "alice short 1");
        assertEq(int256(aEntry), -60_000e6, "alice received 60k");
        assertEq(int256(bSize), int256(uint256(ONE)), "bob long 1");
        assertEq(int256(bEntry), 60_000e6, "bob paid 60k");
        assertEq(mm.orderMargin(alice), 0, "filled order holds nothing");
        assertEq(mm.openMarkets(alice), 1, "market 0 open");

        // BTC up 1,000: alice closes by taking bob's offer at 61k.
        mm.setMarket(0, 61_000e6, 50_000, 25_000);
        vm.prank(bob);
        mm.place(7, 0, true, 61_000e6, ONE);
        vm.prank(alice);
        mm.fill(_key(bob, 7), ONE);
        assertEq(mm.collateral(alice), 999_000e6, "alice lost 1,000");
        assertEq(mm.collateral(bob), 1_001_000e6, "bob gained 1,000");
        (aSize,) = mm.positions(alice, 0);
        (bSize,) = mm.positions(bob, 0);
        assertEq(int256(aSize), 0, "alice flat");
        assertEq(int256(bSize), 0, "bob flat");
        assertEq(mm.openMarkets(alice) | mm.openMarkets(bob), 0, "no open markets");
    }

    function test_fill_partialThenFlip_succeeds() public {
        vm.prank(alice);
        mm.place(1, 0, true, BTC, 3 * ONE);
        vm.prank(bob);
        mm.fill(_key(alice, 1), ONE);
        (,,, uint64 price, uint128 remaining) = mm.orders(_key(alice, 1));
        assertEq(uint256(price), BTC, "order stays");
        assertEq(uint256(remaining), 2 * ONE, "two left");
        // bob (long 1) sells 3 at 60k: closes 1 at no PnL, opens short 2.
        vm.prank(bob);
        mm.place(2, 0, true, BTC, 3 * ONE);
        vm.prank(alice);
        mm.fill(_key(bob, 2), 3 * ONE);
        (int128 bSize, int128 bEntry) = mm.positions(bob, 0);
        assertEq(int256(bSize), -2 * int256(uint256(ONE)), "bob short 2");
        assertEq(int256(bEntry), -120_000e6, "entry of the opened part only");
        assertEq(mm.collateral(bob), 1_000_000e6, "closing at entry realizes nothing");
    }

    function test_fill_takerBelowInitialMargin_reverts() public {
        vm.prank(alice);
        mm.place(1, 0, true, BTC, ONE);
        // carol has 1,000 against 3,000 initial margin on one BTC.
        vm.expectRevert(abi.encodeWithSelector(MiniMargin.InsufficientMargin.selector, carol));
        vm.prank(carol);
        mm.fill(_key(alice, 1), ONE);
    }

    function test_place_beyondFreeMargin_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(MiniMargin.InsufficientMargin.selector, carol));
        vm.prank(carol);
        mm.place(1, 0, false, BTC, ONE);
    }

    function test_cancel_releasesMargin_succeeds() public {
        vm.startPrank(alice);
        mm.place(1, 0, false, BTC, ONE);
        mm.cancel(1);
        vm.stopPrank();
        assertEq(mm.orderMargin(alice), 0, "released");
        vm.expectRevert(abi.encodeWithSelector(MiniMargin.NoSuchOrder.selector, _key(alice, 1)));
        vm.prank(bob);
        mm.fill(_key(alice, 1), ONE);
    }

    function test_fill_selfTrade_reverts() public {
        vm.startPrank(alice);
        mm.place(1, 0, true, BTC, ONE);
        vm.expectRevert(MiniMargin.SelfTrade.selector);
        mm.fill(_key(alice, 1), ONE);
        vm.stopPrank();
    }
}
