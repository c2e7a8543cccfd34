// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Vm} from "forge-std/Vm.sol";
import {DebyeChain} from "../../src/DebyeChain.sol";
import {ExitVerifier} from "../../src/exit/ExitVerifier.sol";

/// @dev The smallest pool a `DebyeChain` accepts: it names the chain, shares its exit period and
///      records queue times, so the transparent tests and the S-2.2 header-rule tests run without
///      the shielded pool (and its Poseidon and verifier).
contract StubPool {
    address public immutable chain;
    uint64 public immutable exitPeriod;
    uint256[] internal _depositTimes;
    uint256[] internal _exitTimes;

    constructor(address chain_, uint64 exitPeriod_) {
        chain = chain_;
        exitPeriod = exitPeriod_;
    }

    function queueDeposit() external returns (uint32 index, uint64 lastBlock) {
        (index, lastBlock) = DebyeChain(chain).onShieldedQueue(0);
        _depositTimes.push(block.timestamp);
    }

    function startExit() external returns (uint32 index) {
        (index,) = DebyeChain(chain).onShieldedQueue(1);
        _exitTimes.push(block.timestamp);
    }

    function close(uint32 floor) external {
        DebyeChain(chain).closeShieldedDeposits(floor);
    }

    function queuedAt(uint256 queue, uint256 index) external view returns (uint256) {
        return queue == 0 ? _depositTimes[index] : _exitTimes[index];
    }
}

/// @dev Deploys a stub pool and then the chain at the address the pool names (the two-step
///      deployment of docs/contracts.md §6).
library StubDeploy {
    Vm private constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function deploy(address operator, uint64 exitPeriod, uint96 exitBond)
        internal
        returns (DebyeChain chain, StubPool pool)
    {
        uint64 period = exitPeriod == 0 ? 7 days : exitPeriod;
        ExitVerifier verifier = new ExitVerifier();
        address future = VM.computeCreateAddress(address(this), VM.getNonce(address(this)) + 1);
        pool = new StubPool(future, period);
        chain = new DebyeChain(operator, exitPeriod, exitBond, address(pool), address(verifier));
    }
}
