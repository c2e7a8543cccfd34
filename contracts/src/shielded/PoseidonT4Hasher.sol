// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {PoseidonT4} from "./PoseidonT4.sol";

/// @title PoseidonT4Hasher: `PoseidonT4` as a contract of its own
/// @notice `ShieldedPool` deploys one in its constructor and calls it for every deposit's
///         commitment (docs/shielded.md S-5.3): the inlined library (≈ 22.7 KB) and the pool's
///         own logic do not fit together under EIP-170's 24 576 bytes.
contract PoseidonT4Hasher {
    /// @notice circomlib `Poseidon(3)` of `inputs`; reverts `InputNotInField()` on an input ≥ r.
    function hash(uint256[3] calldata inputs) external pure returns (uint256) {
        return PoseidonT4.hash(inputs);
    }
}
