// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {PrimeLib} from "./PrimeLib.sol";

/// @title ExitLib: exit positions, output references and coin-range arithmetic of the exit game
/// @notice Pure helpers used by DebyeChain's exit game (docs/exit-game.md). Kept apart from
///         PrimeLib, which is the Solidity twin of the transaction format (docs/formats.md).
library ExitLib {
    /// @notice Exit position of a deposit made for child block `blockNumber`: `2 * blockNumber`.
    ///         A transaction output of block `b` has position `2 * b + 1`, so a deposit is older
    ///         than any transaction of its own block (docs/exit-game.md §1.2).
    function depositPosition(uint64 blockNumber) internal pure returns (uint256) {
        return uint256(blockNumber) << 1;
    }

    /// @notice Exit position of an output of a transaction included in block `blockNumber`.
    function outputPosition(uint64 blockNumber) internal pure returns (uint256) {
        return (uint256(blockNumber) << 1) | 1;
    }

    /// @notice The child block of a position.
    function blockOf(uint256 position) internal pure returns (uint256) {
        return position >> 1;
    }

    /// @notice Whether input `i` spends the output at `position`. L1 names an output by its block
    ///         and its coins: one block holds at most one transaction per coin and a transaction's
    ///         outputs are disjoint, so (block, kind, a coin) is unique and `txIndex` /
    ///         `outputIndex` are only hints for clients (docs/exit-game.md §1.3).
    function refersTo(PrimeLib.Input memory i, uint256 position) internal pure returns (bool) {
        bool isDeposit = i.txIndex == PrimeLib.DEPOSIT_TX_INDEX;
        return uint256(i.blockIndex) == position >> 1 && isDeposit == (position & 1 == 0);
    }

    /// @notice Whether `[aStart, aEnd)` and `[bStart, bEnd)` share a coin.
    function overlaps(uint256 aStart, uint256 aEnd, uint256 bStart, uint256 bEnd)
        internal
        pure
        returns (bool)
    {
        return aStart < bEnd && bStart < aEnd;
    }

    /// @notice Whether `coin` lies in `[start, end)`.
    function contains(uint256 start, uint256 end, uint256 coin) internal pure returns (bool) {
        return start <= coin && coin < end;
    }
}
