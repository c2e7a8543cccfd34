// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

/// @title EntryTree: inclusion in a header's `entriesRoot` (docs/shielded.md S-3.7)
/// @notice A binary keccak tree over a block's entry leaves in entry order, padded with
///         `bytes32(0)` to `2^k`, `k = ceil(log2(entryCount))` (one leaf: the leaf itself), inner
///         node `keccak256(0x01 ‖ left ‖ right)`. Internal: inlined into `ShieldedPool`.
library EntryTree {
    /// @notice Entries per block at most (docs/shielded.md §1.4).
    uint256 internal constant MAX_ENTRIES = 1 << 20;

    /// @notice Whether `leaf` is entry `index` of a block with `count` entries whose tree has
    ///         root `root`, shown by exactly `k = ceil(log2(count))` siblings from the leaf up.
    /// @dev Rule (S-3.7): the depth comes from the committed `entryCount`, never from the
    ///      proof, and `index < count ≤ MAX_ENTRIES`. Stops a padding slot, an inner node posing
    ///      as a leaf (the 0x00/0x01 prefixes) or a leaf of another block from being "included".
    function verify(
        bytes32 leaf,
        uint256 index,
        bytes32[] calldata siblings,
        uint256 count,
        bytes32 root
    ) internal pure returns (bool) {
        if (index >= count || count > MAX_ENTRIES) return false;
        uint256 depth = 0;
        while ((uint256(1) << depth) < count) depth++;
        if (siblings.length != depth) return false;
        bytes32 node = leaf;
        for (uint256 i = 0; i < depth; i++) {
            bytes32 s = siblings[i];
            node = (index >> i) & 1 == 0
                ? keccak256(abi.encodePacked(bytes1(0x01), node, s))
                : keccak256(abi.encodePacked(bytes1(0x01), s, node));
        }
        return node == root;
    }
}
