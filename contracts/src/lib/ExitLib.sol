// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {PrimeLib} from "./PrimeLib.sol";

/// @title ExitLib: exit positions, output references and coin-range arithmetic of the exit game
/// @notice Pure helpers used by DebyeChain's exit game (docs/exit-game.md). Kept apart from
///         PrimeLib, which is the Solidity twin of the transaction format (docs/formats.md).
library ExitLib {
    /// @notice An index names no element: input or output `index` of a list of `count`
    ///         (docs/exit-game.md §3: evidence with a bad index is rejected with this, not a panic).
    error IndexOutOfRange(uint256 index, uint256 count);

    /// @notice `Input.blockIndex` values with this bit set name a forced-included transaction:
    ///         `FORCED_BLOCK | k` is forced transaction `k` (docs/formats.md §3.1). Regular child
    ///         blocks never reach 2^63.
    uint64 internal constant FORCED_BLOCK = uint64(1) << 63;
    /// @dev Low 128 bits of a position: its rank (`2b`, `2b + 1`); the bits above hold `k + 1`
    ///      for an output of forced transaction `k` (docs/exit-game.md §1.2, §12.4).
    uint256 private constant RANK_MASK = (uint256(1) << 128) - 1;

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

    /// @notice Exit position of an output of forced transaction `k` whose newest input has
    ///         rank `2q` or `2q + 1`: rank `2q + 1`, and `k + 1` in the bits above 128
    ///         (docs/exit-game.md §12.4).
    function forcedPosition(uint64 k, uint256 newestInputRank) internal pure returns (uint256) {
        return ((uint256(k) + 1) << 128) | newestInputRank | 1;
    }

    /// @notice The child block of a position (for a forced output: the block of its newest input).
    function blockOf(uint256 position) internal pure returns (uint256) {
        return (position & RANK_MASK) >> 1;
    }

    /// @notice The order in which positions are compared (docs/exit-game.md §1.2): a deposit of
    ///         block `b`, then the transactions of block `b`, then the forced transactions whose
    ///         newest input is in block `b`, then block `b + 1`. Lower is older.
    function order(uint256 position) internal pure returns (uint256) {
        return ((position & RANK_MASK) << 1) | (position >> 128 == 0 ? 0 : 1);
    }

    /// @notice Whether input `i` spends the output at `position`. L1 names an output by its block
    ///         and its coins: one block holds at most one transaction per coin and a transaction's
    ///         outputs are disjoint, so (block, kind, a coin) is unique and `txIndex` /
    ///         `outputIndex` are only hints for clients (docs/exit-game.md §1.3).
    ///         An output of forced transaction `k` is named by `blockIndex == FORCED_BLOCK | k`
    ///         (docs/formats.md §3.1).
    function refersTo(PrimeLib.Input memory i, uint256 position) internal pure returns (bool) {
        uint256 forced = position >> 128;
        if (forced != 0) {
            return uint256(i.blockIndex) == (uint256(FORCED_BLOCK) | (forced - 1))
                && i.txIndex != PrimeLib.DEPOSIT_TX_INDEX;
        }
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
