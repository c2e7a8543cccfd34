// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {DebyeChain} from "../../src/DebyeChain.sol";

/// @title ReentrantToken: an ERC-20 whose `transferFrom` calls back into DebyeChain
/// @notice Attack token for tests: while `DebyeChain.depositToken` pulls it, it re-enters the
///         deposit functions, trying to allocate a coin range in the middle of another deposit.
contract ReentrantToken is ERC20 {
    /// @notice What the token does from inside `transferFrom`.
    enum Attack {
        None,
        DepositToken,
        DepositEth
    }

    DebyeChain public immutable chain;
    Attack public attack;

    constructor(DebyeChain chain_) ERC20("Reentrant", "REENT") {
        chain = chain_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setAttack(Attack attack_) external {
        attack = attack_;
    }

    /// @dev Re-enters before moving the tokens; `DebyeChain` must revert with `Reentrancy()`, and
    ///      that revert propagates out through SafeERC20.
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        Attack current = attack;
        if (current == Attack.DepositToken) {
            _mint(address(this), 1);
            _approve(address(this), address(chain), 1);
            chain.depositToken(address(this), 1);
        } else if (current == Attack.DepositEth) {
            chain.depositEth{value: 1}();
        }
        return super.transferFrom(from, to, value);
    }

    receive() external payable {}
}

/// @title FeeOnTransferToken: an ERC-20 that burns 1% of every transfer
/// @notice Stands for every token that delivers less than the amount asked for (fee switches,
///         deflationary tokens): `DebyeChain.depositToken` must refuse it.
contract FeeOnTransferToken is ERC20 {
    constructor() ERC20("Fee on transfer", "FEE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        uint256 fee = (from == address(0) || to == address(0)) ? 0 : value / 100;
        if (fee > 0) super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
