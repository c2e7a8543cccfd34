// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Vm} from "forge-std/Vm.sol";
import {DebyeChain} from "../../src/DebyeChain.sol";
import {ExitVerifier} from "../../src/exit/ExitVerifier.sol";
import {ShieldedPool} from "../../src/shielded/ShieldedPool.sol";

/// @dev The two-step deployment of docs/contracts.md §6a with the real `ShieldedPool`: the pool
///      for the chain's future CREATE address, then the chain. With `anchor != 0` the pool's code
///      is moved to that address, for proofs whose `ext.anchor` is
///      fixed (test-vectors/zk/pool_fixture.json).
library PoolDeploy {
    Vm private constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function deploy(address operator, uint64 exitPeriod, uint96 poolBond, address anchor)
        internal
        returns (DebyeChain chain, ShieldedPool pool)
    {
        ExitVerifier verifier = new ExitVerifier();
        address future = VM.computeCreateAddress(address(this), VM.getNonce(address(this)) + 1);
        pool = new ShieldedPool(future, exitPeriod, poolBond);
        if (anchor != address(0)) {
            // Move the pool to `anchor`: its runtime code (immutables included: the chain, the
            // verifier and hasher it deployed) and the two slots its constructor wrote (slot 0:
            // firstInvalid and refundFloor; ETH's unit in the `_units` mapping at slot 1).
            // Cheatcodes only, so the chain's CREATE nonce is unchanged.
            VM.etch(anchor, address(pool).code);
            VM.store(anchor, bytes32(0), VM.load(address(pool), bytes32(0)));
            bytes32 ethUnit = keccak256(abi.encode(address(0), uint256(1)));
            VM.store(anchor, ethUnit, VM.load(address(pool), ethUnit));
            pool = ShieldedPool(payable(anchor));
        }
        chain = new DebyeChain(operator, exitPeriod, 0, address(pool), address(verifier));
        require(pool.chain() == address(chain), "PoolDeploy: chain address");
    }
}
