// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title TestToken: a plain OpenZeppelin ERC-20 that anyone may mint
/// @notice For tests and devnets only. It is a real ERC-20 (OpenZeppelin's), so tests of
///         `DebyeChain.depositToken` exercise real allowance and balance logic. Never list it on a
///         production chain: `mint` is open to everyone.
contract TestToken is ERC20 {
    /// @param name_ Token name.
    /// @param symbol_ Token symbol.
    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {}

    /// @notice Mints `amount` to `to`; unrestricted on purpose.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
