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

    /// Block header exactly as the L1 contract hashes it (`keccak256(abi.encode(h))`, 11 words;
    /// docs/formats.md §7, docs/shielded.md §2.1).
    #[derive(Debug, PartialEq, Eq, Hash)]
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
}

alloy_sol_types::sol! {
    /// External data a shielded `TRANSFER` or `EXIT` proof binds through `extDataHash`
    /// (docs/shielded.md S-3.4). Eleven static words.
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct ExtData {
        uint8 kind;
        address recipient;
        address feeRecipient;
        uint64 fee;
        uint64 expiry;
        uint64 chainId;
        address anchor;
        uint32 policy;
        bytes32 nonce;
        bytes32 ctHash0;
        bytes32 ctHash1;
    }

    /// The head of a shielded entry: the preimage of its leaf in the entries tree
    /// (docs/shielded.md S-3.5). Eight static words.
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct EntryHead {
        uint8 kind;
        uint64 firstLeaf;
        bytes32 checkpointRoot;
        uint256 nullifier0;
        uint256 nullifier1;
        uint256 commitment0;
        uint256 commitment1;
        bytes32 bodyHash;
    }

    /// The body of a `TRANSFER` entry (docs/shielded.md S-3.5). Twenty-four static words.
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct TransferBody {
        uint64 rootBlock;
        uint256 root;
        uint256 publicAmount;
        uint256 token;
        uint256 extDataHash;
        uint256[8] proof;
        ExtData ext;
    }

    /// The body of a `DEPOSIT` entry (docs/shielded.md S-3.5). One word.
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct DepositBody {
        uint32 depositIndex;
    }
}
