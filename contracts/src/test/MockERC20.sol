// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "solady/tokens/ERC20.sol";

/// @title MockERC20
/// @notice A mintable ERC-20 for tests and the local devnet (a 6-decimal stablecoin, an
///         18-decimal WETH). Anyone may mint: never deploy it to a public network.
contract MockERC20 is ERC20 {
    string private _name;
    string private _symbol;
    uint8 private immutable _decimals;

    /// @param name_ Token name.
    /// @param symbol_ Token symbol.
    /// @param decimals_ Decimals.
    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        _name = name_;
        _symbol = symbol_;
        _decimals = decimals_;
    }

    /// @notice The token's name.
    function name() public view override returns (string memory) {
        return _name;
    }

    /// @notice The token's symbol.
    function symbol() public view override returns (string memory) {
        return _symbol;
    }

    /// @notice The token's decimals.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Mints `amount` to `to` (test token: unrestricted).
    /// @param to Recipient.
    /// @param amount Atoms.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
