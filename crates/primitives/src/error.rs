//! The crate's single error type.

use alloy_primitives::{Address, U256};

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong when building, decoding or checking Plasma Prime data.
///
/// The variant names double as the stable error codes used by the committed test vectors and by
/// the Solidity library's custom errors (see `docs/formats.md`); [`Error::code`] returns them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A segment with `start >= end`.
    #[error("empty segment [{start}, {end})")]
    EmptySegment {
        /// First coin.
        start: U256,
        /// One past the last coin.
        end: U256,
    },
    /// A segment that reaches past the end of the coin space (2^160).
    #[error("segment end {end} is beyond the coin space")]
    SegmentOutOfSpace {
        /// One past the last coin.
        end: U256,
    },
    /// A segment whose first and last coin belong to different tokens.
    #[error("segment [{start}, {end}) crosses a token boundary")]
    SegmentCrossesToken {
        /// First coin.
        start: U256,
        /// One past the last coin.
        end: U256,
    },
    /// A deposit whose range would leave its token's 2^128-coin space, or has zero amount.
    #[error("deposit of {amount} at offset {offset} does not fit its token space")]
    InvalidDeposit {
        /// Offset of the first coin of the deposit.
        offset: u128,
        /// Deposited amount.
        amount: u128,
    },
    /// A transaction without inputs.
    #[error("transaction has no inputs")]
    NoInputs,
    /// A transaction with more than [`crate::tx::MAX_INPUTS`] inputs.
    #[error("transaction has {0} inputs, more than allowed")]
    TooManyInputs(usize),
    /// A transaction without outputs.
    #[error("transaction has no outputs")]
    NoOutputs,
    /// A transaction with more than [`crate::tx::MAX_OUTPUTS`] outputs.
    #[error("transaction has {0} outputs, more than allowed")]
    TooManyOutputs(usize),
    /// An input or output owned by the zero address.
    #[error("zero owner address")]
    ZeroOwner,
    /// An input whose output index is out of range (non-zero for a deposit, `>= MAX_OUTPUTS` otherwise).
    #[error("input {input} has an invalid output index")]
    InvalidOutputIndex {
        /// Position of the input.
        input: usize,
    },
    /// Two input segments share a coin.
    #[error("input segments overlap")]
    OverlappingInputs,
    /// Two output segments share a coin.
    #[error("output segments overlap")]
    OverlappingOutputs,
    /// The coins spent are not exactly the coins created.
    #[error("union of input segments differs from union of output segments")]
    UnionMismatch,
    /// More than [`crate::tx::MAX_OWNERS`] distinct input owners.
    #[error("transaction has {0} distinct input owners, more than allowed")]
    TooManyOwners(usize),
    /// The number of signatures differs from the number of distinct input owners.
    #[error("expected {expected} signatures, got {got}")]
    SignatureCount {
        /// Distinct input owners.
        expected: usize,
        /// Signatures carried.
        got: usize,
    },
    /// Signature bytes are not a whole number of 65-byte signatures.
    #[error("signature bytes have length {0}, not a multiple of 65")]
    InvalidSignatureEncoding(usize),
    /// A signature whose `s` lies in the upper half of the curve order (malleable).
    #[error("signature {index} has a high s value")]
    HighS {
        /// Position of the signature.
        index: usize,
    },
    /// A signature that is malformed (`v` not 27/28, `r`/`s` out of range) or recovers no key.
    #[error("signature {index} is invalid")]
    InvalidSignature {
        /// Position of the signature.
        index: usize,
    },
    /// A signature that recovers to someone else than the input owner it must cover.
    #[error("signature {index} recovers {recovered}, expected {expected}")]
    WrongSigner {
        /// Position of the signature.
        index: usize,
        /// Owner that had to sign.
        expected: Address,
        /// Address actually recovered.
        recovered: Address,
    },
    /// A signing helper was not given the key of an input owner.
    #[error("no signing key for owner {0}")]
    MissingSigningKey(Address),
    /// The signing backend failed.
    #[error("signing failed")]
    SigningFailed,
    /// A transaction included in a block after its `maxBlockIndex`.
    #[error("transaction expired at block {max_block_index}, block is {block}")]
    TxExpired {
        /// Last block the transaction may be included in.
        max_block_index: u64,
        /// Block it was offered to.
        block: u64,
    },
    /// A sum-tree leaf given the zero hash, which is reserved for gaps.
    #[error("a transaction leaf may not have the zero hash")]
    ZeroLeafHash,
    /// Two sum-tree leaves (two transactions in a block) touch the same coin.
    #[error("coin range [{start}, {end}) is already used in this block")]
    CoinConflict {
        /// First coin of the rejected range.
        start: U256,
        /// One past the last coin of the rejected range.
        end: U256,
    },
    /// A block cannot hold more transactions (`u32::MAX` is the deposit marker).
    #[error("block is full")]
    BlockFull,
    /// The segment does not fall inside a single leaf of the tree.
    #[error("segment is not inside a single leaf")]
    SegmentSpansLeaves,
    /// An inclusion proof was requested but the leaf belongs to another transaction or is a gap.
    #[error("segment is not included for this transaction")]
    NotIncluded,
    /// An exclusion proof was requested but the leaf belongs to a transaction.
    #[error("segment is not excluded")]
    NotExcluded,
    /// An inclusion proof checked against the zero transaction id.
    #[error("transaction id is zero")]
    ZeroTxId,
    /// A proof with more siblings than [`crate::tree::MAX_PROOF_DEPTH`].
    #[error("proof has {0} siblings, more than allowed")]
    ProofTooLong(usize),
    /// A proof whose path has bits set above its number of siblings.
    #[error("proof path has bits above its depth")]
    NonCanonicalPath,
    /// Summing the proof's lengths overflows 256 bits.
    #[error("proof lengths overflow")]
    ProofOverflow,
    /// The proof's lengths do not sum to the size of the coin space (2^160).
    #[error("proof lengths sum to {0}, not 2^160")]
    WrongTotalLength(U256),
    /// The recomputed root differs from the committed one.
    #[error("proof does not lead to the root")]
    RootMismatch,
    /// The segment lies (partly) outside the leaf's implicit range.
    #[error("segment is outside the proven leaf")]
    SegmentOutsideLeaf,
    /// A block header that does not extend its parent (number or previous hash).
    #[error("block header does not extend its parent")]
    BadParent,
    /// A block whose header's `txRoot` differs from the root of its transactions.
    #[error("block transaction root mismatch")]
    TxRootMismatch,
    /// A shielded entry or intent kind that is not defined here (or not allowed where it
    /// appears: an entry head of kind `EXIT`).
    #[error("unknown or misplaced shielded entry kind {0}")]
    UnknownEntryKind(u8),
    /// An entry whose head and body are of different kinds.
    #[error("entry head and body are of different kinds")]
    EntryKindMismatch,
    /// An entry whose head's `bodyHash` is not the hash of its body.
    #[error("entry head does not commit to its body")]
    BodyHashMismatch,
    /// More entries than a block may carry.
    #[error("{0} shielded entries, more than a block may carry")]
    TooManyEntries(usize),
    /// An entry index not below the block's entry count.
    #[error("entry {index} is out of range for a block of {count} entries")]
    EntryIndexOutOfRange {
        /// Index asked for.
        index: u32,
        /// Entries in the block.
        count: u32,
    },
    /// An entries-tree proof with the wrong number of siblings for the header's entry count.
    #[error("proof has {got} siblings, expected {expected}")]
    WrongProofLength {
        /// Siblings required by the entry count.
        expected: usize,
        /// Siblings given.
        got: usize,
    },
    /// A header whose `entriesRoot` or `entryCount` is not its shielded section's.
    #[error("block entries root or count does not match its shielded section")]
    EntriesRootMismatch,
    /// A header whose shielded state does not follow its parent's: its timestamp is earlier, a
    /// cursor goes back, or (with an empty section) the note root, note count or a cursor moved.
    #[error("block header's {0} does not follow its parent")]
    BadShieldedState(&'static str),
    /// Bytes that are not a valid ABI encoding of the expected type.
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// Type being decoded.
        what: &'static str,
        /// Decoder message.
        reason: String,
    },
    /// Bytes that decode but are not the canonical encoding of what they decode to.
    #[error("non-canonical encoding of {0}")]
    NonCanonicalEncoding(&'static str),
    /// Encoded input larger than any valid value of the type.
    #[error("{what} encoding is {len} bytes, larger than the {max}-byte limit")]
    TooLarge {
        /// Type being decoded.
        what: &'static str,
        /// Length given.
        len: usize,
        /// Limit.
        max: usize,
    },
}

impl Error {
    /// Stable error code: the variant's name, shared with the Solidity custom errors and the
    /// `error` field of malformed test vectors.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::EmptySegment { .. } => "EmptySegment",
            Self::SegmentOutOfSpace { .. } => "SegmentOutOfSpace",
            Self::SegmentCrossesToken { .. } => "SegmentCrossesToken",
            Self::InvalidDeposit { .. } => "InvalidDeposit",
            Self::NoInputs => "NoInputs",
            Self::TooManyInputs(_) => "TooManyInputs",
            Self::NoOutputs => "NoOutputs",
            Self::TooManyOutputs(_) => "TooManyOutputs",
            Self::ZeroOwner => "ZeroOwner",
            Self::InvalidOutputIndex { .. } => "InvalidOutputIndex",
            Self::OverlappingInputs => "OverlappingInputs",
            Self::OverlappingOutputs => "OverlappingOutputs",
            Self::UnionMismatch => "UnionMismatch",
            Self::TooManyOwners(_) => "TooManyOwners",
            Self::SignatureCount { .. } => "SignatureCount",
            Self::InvalidSignatureEncoding(_) => "InvalidSignatureEncoding",
            Self::HighS { .. } => "HighS",
            Self::InvalidSignature { .. } => "InvalidSignature",
            Self::WrongSigner { .. } => "WrongSigner",
            Self::MissingSigningKey(_) => "MissingSigningKey",
            Self::SigningFailed => "SigningFailed",
            Self::TxExpired { .. } => "TxExpired",
            Self::ZeroLeafHash => "ZeroLeafHash",
            Self::CoinConflict { .. } => "CoinConflict",
            Self::BlockFull => "BlockFull",
            Self::SegmentSpansLeaves => "SegmentSpansLeaves",
            Self::NotIncluded => "NotIncluded",
            Self::NotExcluded => "NotExcluded",
            Self::ZeroTxId => "ZeroTxId",
            Self::ProofTooLong(_) => "ProofTooLong",
            Self::NonCanonicalPath => "NonCanonicalPath",
            Self::ProofOverflow => "ProofOverflow",
            Self::WrongTotalLength(_) => "WrongTotalLength",
            Self::RootMismatch => "RootMismatch",
            Self::SegmentOutsideLeaf => "SegmentOutsideLeaf",
            Self::BadParent => "BadParent",
            Self::TxRootMismatch => "TxRootMismatch",
            Self::UnknownEntryKind(_) => "UnknownEntryKind",
            Self::EntryKindMismatch => "EntryKindMismatch",
            Self::BodyHashMismatch => "BodyHashMismatch",
            Self::TooManyEntries(_) => "TooManyEntries",
            Self::EntryIndexOutOfRange { .. } => "EntryIndexOutOfRange",
            Self::WrongProofLength { .. } => "WrongProofLength",
            Self::EntriesRootMismatch => "EntriesRootMismatch",
            Self::BadShieldedState(_) => "BadShieldedState",
            Self::Decode { .. } => "Decode",
            Self::NonCanonicalEncoding(_) => "NonCanonicalEncoding",
            Self::TooLarge { .. } => "TooLarge",
        }
    }
}
