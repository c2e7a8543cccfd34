// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Vm} from "forge-std/Vm.sol";
import {DebyeChain} from "../../src/DebyeChain.sol";
import {ExitVerifier} from "../../src/exit/ExitVerifier.sol";
import {ShieldedPool} from "../../src/shielded/ShieldedPool.sol";

/// @dev The two-step deployment of docs/contracts.md §6a with the real `ShieldedPool`: the pool
///      for the chain's future CREATE address, then the chain. With `anchor != 0` the pool's code
///      is deployed at that address instead (as `deployCodeTo` does), for proofs whose `ext.anchor` is
///      fixed (test-vectors/zk/pool_fixture.json).
library PoolDeploy {
    Vm private constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function deploy(address operator, uint64 exitPeriod, uint96 poolBond, address anchor)
        internal
        returns (DebyeChain chain, ShieldedPool pool)
    {
        ExitVerifier verifier = new ExitVerifier();
        if (anchor == address(0)) {
            address future = VM.computeCreateAddress(address(this), VM.getNonce(address(this)) + 1);
            pool = new ShieldedPool(future, exitPeriod, poolBond);
        } else {
            address future = VM.computeCreateAddress(address(this), VM.getNonce(address(this)));
            // forge-std's `deployCodeTo`: run the init code at `anchor`, keep what it returns.
            VM.etch(
                anchor,
                abi.encodePacked(
                    VM.getCode("ShieldedPool.sol:ShieldedPool"),
                    abi.encode(future, exitPeriod, poolBond)
                )
            );
            (bool ok, bytes memory runtime) = anchor.call("");
            require(ok, "PoolDeploy: constructor");
            VM.etch(anchor, runtime);
            pool = ShieldedPool(payable(anchor));
        }
        chain = new DebyeChain(operator, exitPeriod, 0, address(pool), address(verifier));
        require(pool.chain() == address(chain), "PoolDeploy: chain address");
    }
}
