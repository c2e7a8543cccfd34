//! The Solidity/ABI view of the data model, generated with alloy's `sol!`.
//!
//! These structs define the EIP-712 type strings and type hashes, and their ABI encodings are the
//! wire format (see `docs/formats.md`). They carry no invariants: convert them into the checked
//! domain types ([`crate::Transaction`], [`crate::SumMerkleProof`], ...) with `TryFrom`, which
//! is what [`crate::Codec::decode`] does. The L1 bindings use them to build calldata for
//! `PrimeLib.sol`, which declares the same structs.
#![allow(missing_docs)]

alloy_sol_types::sol! {
    /// EIP-712 `Segment(uint256 start,uint256 end)`: coins `[start, end)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct Segment {
        uint256 start;
        uint256 end;
    }

    /// EIP-712 `Input(address owner,uint64 blockIndex,uint32 txIndex,uint8 outputIndex,Segment segment)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct Input {
        address owner;
        uint64 blockIndex;
        uint32 txIndex;
        uint8 outputIndex;
        Segment segment;
    }

    /// EIP-712 `Output(address owner,Segment segment)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct Output {
        address owner;
        Segment segment;
    }

    /// EIP-712 `Transaction(Input[] inputs,Output[] outputs,uint64 maxBlockIndex)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct Transaction {
        Input[] inputs;
        Output[] outputs;
        uint64 maxBlockIndex;
    }

    /// Wire form of a signed transaction: `signatures` is the concatenation of 65-byte `r‖s‖v`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct SignedTransaction {
        Transaction transaction;
        bytes signatures;
    }

    /// A sibling in a sum Merkle proof.
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct ProofNode {
        uint256 length;
        bytes32 hash;
    }

    /// A sum Merkle proof: bit `i` of `path` is set when `siblings[i]` is a left sibling.
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct SumProof {
        uint256 leafLength;
        uint64 path;
        ProofNode[] siblings;
    }

    /// Block header exactly as the L1 contract stores it (hashed as `keccak256(abi.encode(h))`).
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct BlockHeader {
        uint64 number;
        bytes32 prevHash;
        bytes32 txRoot;
        bytes32 accumulator;
        bytes32 noteRoot;
    }
}
