//! Why a shielded `TRANSFER` is not admitted (docs/shielded.md S-4.3). Each variant names the
//! rule it enforces; `rpc/convert.rs` turns it into the wire error with a hint.

use alloy_primitives::U256;

/// Why a submitted shielded entry is refused. Nothing is stored or reserved for a refused entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ShieldedRefusal {
    /// The node is shutting down, or the shielded ledger is not configured.
    #[error("the node is not accepting shielded entries: {0}")]
    Unavailable(&'static str),
    /// A ciphertext is not exactly `CT_LEN` bytes (S-6.1).
    #[error("ciphertext {index} is {len} bytes, must be {expected}")]
    CiphertextSize {
        /// Which output (0 or 1).
        index: u8,
        /// Its length.
        len: usize,
        /// `CT_LEN`.
        expected: usize,
    },
    /// `ext.kind` is not `TRANSFER` (S-3.1: an `EXIT` intent never executes on L2).
    #[error("kind {kind} is not TRANSFER (2)")]
    WrongKind {
        /// The kind byte.
        kind: u8,
    },
    /// `publicAmount` is not zero (S-3.1: no unsigned mint, no value leaves on L2).
    #[error("publicAmount must be 0 on L2")]
    NonzeroPublicAmount {
        /// The public amount given.
        public_amount: U256,
    },
    /// A public input (or the root) is not a field element: at or above `r` (S-3.8, F1).
    #[error("{field} is not below the BN254 scalar modulus")]
    NotAField {
        /// Which input.
        field: &'static str,
    },
    /// An external-data field has a value a `TRANSFER` may not carry (S-3.4).
    #[error("ext.{field} must be {expected}")]
    ExtField {
        /// The field.
        field: &'static str,
        /// What it must be.
        expected: String,
    },
    /// `ext.expiry` is before the next block's timestamp (S-8.3).
    #[error("expired at {expiry}, the next block is at {now}")]
    Expired {
        /// The expiry.
        expiry: u64,
        /// The next block's timestamp.
        now: u64,
    },
    /// `ext.expiry` is more than `MAX_LIFETIME` past the next block's timestamp (S-8.3).
    #[error("expiry {expiry} is past {limit} (next block + MAX_LIFETIME)")]
    ExpiryTooFar {
        /// The expiry.
        expiry: u64,
        /// The latest allowed.
        limit: u64,
    },
    /// `keccak256(ct_i) != ext.ctHash_i` (S-4.3, S-6.1).
    #[error("keccak256(ciphertext {index}) differs from ext.ctHash{index}")]
    CiphertextHash {
        /// Which output.
        index: u8,
    },
    /// `extDataHash` is not the hash of `ext` (S-3.4).
    #[error("extDataHash is not the hash of ext")]
    ExtDataHash,
    /// `rootBlock` is not a block of this chain yet (S-4.3).
    #[error("rootBlock {root_block} is not a block yet (tip {tip})")]
    UnknownRootBlock {
        /// The block named.
        root_block: u64,
        /// The tip.
        tip: u64,
    },
    /// `rootBlock` is not committed on L1 yet (S-4.3).
    #[error("rootBlock {root_block} is not committed on L1 yet (committed up to {l1_committed})")]
    RootBlockNotCommitted {
        /// The block named.
        root_block: u64,
        /// The last committed block.
        l1_committed: u64,
    },
    /// `root` is not `noteRoot(rootBlock)` (S-4.3).
    #[error("root is not the noteRoot of block {root_block}")]
    RootMismatch {
        /// The block named.
        root_block: u64,
    },
    /// `noteRoot(rootBlock)` is zero: the tree was empty then, so nothing can be spent under it
    /// (S-4.3).
    #[error("block {root_block} has an empty note tree")]
    EmptyRoot {
        /// The block named.
        root_block: u64,
    },
    /// Both nullifiers are equal (S-4.3; F4 in a block).
    #[error("the two nullifiers are equal")]
    SameNullifier,
    /// A nullifier is in the set: its note was spent in a block (S-4.3).
    #[error("nullifier {index} was spent in block {block}")]
    NullifierSpent {
        /// Which input.
        index: u8,
        /// The spending block.
        block: u64,
    },
    /// A nullifier is held by an L1 exit the node imported: the note left through the pool
    /// (S-4.3; spending it in a block would be fraud F5).
    #[error("nullifier {index} is held by L1 exit {exit}")]
    NullifierExited {
        /// Which input.
        index: u8,
        /// The exit's index in L1's queue.
        exit: u32,
    },
    /// A nullifier is held by an entry already in the pool (S-4.3).
    #[error("nullifier {index} is spent by an entry already in the pool")]
    PoolDuplicate {
        /// Which input.
        index: u8,
    },
    /// A proof point is not a point of its group, or a coordinate is not below the base field
    /// modulus (F1).
    #[error("malformed proof: {0}")]
    MalformedProof(&'static str),
    /// The proof does not verify against the public inputs (F1).
    #[error("the proof does not verify")]
    BadProof,
    /// The pool is full.
    #[error("the shielded pool is full")]
    Full,
    /// The node failed (storage).
    #[error("internal error")]
    Internal,
}
