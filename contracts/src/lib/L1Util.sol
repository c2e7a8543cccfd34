// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

/// @title L1Util: the L1 clock and ETH payments, shared by DebyeChain and ForcedInclusion
/// @notice Internal helpers (inlined into each contract): one definition of how the exit game
///         reads time, stores a time, and pays ETH.
library L1Util {
    /// @dev The L1 clock. Exit periods are days long, so the seconds a validator can shift a
    ///      timestamp do not matter (docs/exit-game.md §7).
    function now_() internal view returns (uint256) {
        // forge-lint: disable-next-line(block-timestamp)
        return block.timestamp;
    }

    /// @dev A time as stored: uint40 seconds hold until the year 36812.
    function time(uint256 t) internal pure returns (uint40) {
        // casting to 'uint40' is safe because t is now plus at most 60 days
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint40(t);
    }

    /// @dev Sends `amount` wei to `to` with all gas; whether the call succeeded (each caller
    ///      reverts with its own error).
    function send(address to, uint256 amount) internal returns (bool ok) {
        (ok,) = to.call{value: amount}("");
    }
}
