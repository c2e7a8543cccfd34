// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {PrimeLib} from "./PrimeLib.sol";

/// @title Types: the structs DebyeChain and ForcedInclusion share
/// @notice One declaration of every struct that crosses a contract boundary in the exit game
///         (docs/exit-game.md §1): the block header DebyeChain commits, an exit, a deposit record
///         and the two kinds of inclusion evidence. The transaction, signature and proof structs
///         they carry are PrimeLib's (docs/formats.md §3), next to their EIP-712 hashing.
library Types {
    /// @notice A child-chain block header; its commitment is `keccak256(abi.encode(header))`
    ///         (11 words, 352 bytes; docs/shielded.md §2.1, S-2.1).
    /// @param number Child block number, 1 for the first block.
    /// @param prevHash Commitment of block `number - 1` (`bytes32(0)` for block 1).
    /// @param txRoot Root of the block's transactions (the transparent section).
    /// @param accumulator The coin-history accumulator after this block.
    /// @param noteRoot Poseidon note-tree root after this block's last leaf; 0 iff `noteCount == 0`.
    /// @param noteCount Leaves in the note tree after this block; even; at most 2^40.
    /// @param entriesRoot Keccak Merkle root over this block's shielded entries (docs/shielded.md
    ///        §3.5); 0 iff `entryCount == 0`.
    /// @param entryCount Shielded entries in this block; at most 2^20.
    /// @param depositCursor L1 shielded deposits appended after this block (cumulative).
    /// @param exitCursor L1 shielded exit starts imported after this block (cumulative).
    /// @param timestamp Unix seconds; the shielded section's clock (expiry, exit timing).
    struct BlockHeader {
        uint64 number;
        bytes32 prevHash;
        bytes32 txRoot;
        bytes32 accumulator;
        bytes32 noteRoot;
        uint64 noteCount;
        bytes32 entriesRoot;
        uint32 entryCount;
        uint32 depositCursor;
        uint32 exitCursor;
        uint64 timestamp;
    }

    /// @notice What an exit claims; `exitId = keccak256(abi.encode(exit))` (docs/exit-game.md §1.1).
    /// @param owner Who exits; must be the owner of the output or deposit exited from.
    /// @param start First coin of the exited range.
    /// @param end One past the last coin.
    /// @param position `2 * block` for a deposit, `2 * block + 1` for a transaction output
    ///        (`ExitLib`; a forced output also carries `k + 1` above bit 128, §12.4).
    /// @param txId The exited transaction's id (EIP-712 digest), `bytes32(0)` for a deposit.
    struct ExitData {
        address owner;
        uint256 start;
        uint256 end;
        uint256 position;
        bytes32 txId;
    }

    /// @notice A deposit record, as hashed into `DebyeChain.depositHash(start)`.
    struct DepositRecord {
        address owner;
        uint256 start;
        uint256 end;
        uint64 blockNumber;
    }

    /// @notice An output of a transaction included in a committed block (signatures not needed),
    ///         or of an included forced transaction `k` when `header.number == FORCED_BLOCK | k`
    ///         (the rest of the header and the proof are then unused; docs/exit-game.md §12.4).
    struct OutputProof {
        PrimeLib.Transaction transaction;
        uint256 outputIndex;
        BlockHeader header;
        PrimeLib.SumProof proof;
    }

    /// @notice A signed transaction included in a committed block, and which of its inputs matters;
    ///         or an included forced transaction `k` when `header.number == FORCED_BLOCK | k`
    ///         (signatures, the rest of the header and the proof unused: its owners signed on L1;
    ///         docs/exit-game.md §12.4).
    struct SpendProof {
        PrimeLib.SignedTransaction spend;
        uint256 inputIndex;
        BlockHeader header;
        PrimeLib.SumProof proof;
    }

    /// @notice Size of an encoded header: 11 words (docs/shielded.md S-2.1).
    uint256 internal constant HEADER_BYTES = 352;

    /// @notice `keccak256(abi.encode(h))` for a header in calldata, without decoding it: the
    ///         eleven words are hashed as they are. A non-canonical header (dirty high bits) hashes
    ///         to something no committed header does, because `submitBlock` commits only
    ///         canonical ones (`isCanonical`), so comparing with a commitment stays exact.
    function hashHeader(BlockHeader calldata h) internal pure returns (bytes32 digest) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, h, HEADER_BYTES)
            digest := keccak256(m, HEADER_BYTES)
        }
    }

    /// @notice Whether every narrow field of `h` (number, noteCount, entryCount, the cursors,
    ///         timestamp) is clean in calldata: the encoding is the canonical `abi.encode(h)`.
    function isCanonical(BlockHeader calldata h) internal pure returns (bool ok) {
        assembly ("memory-safe") {
            let dirty := shr(64, calldataload(h))
            dirty := or(dirty, shr(64, calldataload(add(h, 0xa0))))
            dirty := or(dirty, shr(32, calldataload(add(h, 0xe0))))
            dirty := or(dirty, shr(32, calldataload(add(h, 0x100))))
            dirty := or(dirty, shr(32, calldataload(add(h, 0x120))))
            dirty := or(dirty, shr(64, calldataload(add(h, 0x140))))
            ok := iszero(dirty)
        }
    }
}
