//! Wire types of the API. Plain integers (block numbers, indexes, counts) are JSON numbers; the
//! protocol types from `debye-primitives` keep their own encodings (hex quantities and hashes).

use alloy_primitives::{Address, B256, Bytes, U256};
use debye_primitives::{
    Block, BlockHeader, ExclusionProof, InclusionProof, Segment, ShieldedSection, SignedTransaction,
};
use serde::{Deserialize, Serialize};

/// A shielded `TRANSFER` as `debye_submitShielded` takes it: the entry's body (docs/shielded.md
/// S-3.5), the head's nullifiers and commitments, and the two note ciphertexts (hex, exactly
/// `CT_LEN` = 123 bytes each).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShieldedTransfer {
    /// Root block, root, public amount, token, extDataHash, proof and external data.
    pub body: debye_primitives::shielded::TransferBody,
    /// Public inputs 1 and 2.
    pub nullifiers: [U256; 2],
    /// Public inputs 3 and 4.
    pub commitments: [U256; 2],
    /// The outputs' ciphertexts.
    pub ciphertexts: [Bytes; 2],
}

/// Answer to `debye_submitShielded`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShieldedSubmitResult {
    /// The entry's id: `keccak256(nf0 ‖ nf1 ‖ cm0 ‖ cm1 ‖ bodyHash)`.
    pub id: B256,
    /// Where it stands now.
    pub status: ShieldedStatusView,
}

/// Where a shielded entry stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum ShieldedStatusView {
    /// The operator never admitted it.
    Unknown,
    /// Admitted and durable, waiting for a block.
    Pending,
    /// In a block.
    #[serde(rename_all = "camelCase")]
    Included {
        /// Block number.
        block: u64,
        /// Entry index in the block's shielded section.
        index: u32,
        /// The entry's leaf in the entries tree.
        leaf: B256,
        /// Position of its first note (the second is `firstLeaf + 1`).
        first_leaf: u64,
        /// Whether the block's commitment is on L1.
        l1_committed: bool,
    },
    /// Admitted but never included.
    Dropped {
        /// `expired` (its expiry passed first) or `exited` (an L1 exit took one of its notes).
        #[serde(default)]
        reason: String,
    },
}

/// The note tree after a block: its count, root and frontier (one node per set bit of `count`,
/// lowest level first: the root of the complete subtree of `2^l` leaves ending at the last
/// leaf's side).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteFrontierView {
    /// The block.
    pub block: u64,
    /// Leaves (the header's `noteCount`).
    pub count: u64,
    /// The tree's root (zero for the empty tree, as the header writes it).
    pub root: B256,
    /// The frontier nodes.
    pub nodes: Vec<B256>,
}

/// Answer to `debye_submitTransaction`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitResult {
    /// The transaction id (EIP-712 digest).
    pub tx_id: B256,
}

/// Where a transaction stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum TxStatusView {
    /// The operator never accepted it.
    Unknown,
    /// Accepted and durable, waiting for a block.
    Pending,
    /// In a block.
    #[serde(rename_all = "camelCase")]
    Included {
        /// Block number.
        block: u64,
        /// Position in the block.
        tx_index: u32,
        /// Whether the block's commitment is on L1.
        l1_committed: bool,
    },
    /// Accepted but never included.
    Dropped {
        /// `expired`, `exited` or `forced`.
        reason: String,
    },
}

/// A stored block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockView {
    /// Header hash (what L1 stores).
    pub hash: B256,
    /// The header.
    pub header: BlockHeader,
    /// Transaction ids, in block order.
    pub tx_ids: Vec<B256>,
    /// The transactions (the block's transparent section), in block order.
    pub transactions: Vec<SignedTransaction>,
    /// The block's shielded section; absent while empty (docs/api.md).
    #[serde(default, skip_serializing_if = "ShieldedSection::is_empty")]
    pub shielded: ShieldedSection,
    /// Whether the block's commitment is on L1.
    pub l1_committed: bool,
}

impl BlockView {
    /// The block itself (what a client checks against the L1 commitment).
    pub fn into_block(self) -> Block {
        Block {
            header: self.header,
            transactions: self.transactions,
            shielded: self.shielded,
        }
    }
}

/// A header with its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeaderView {
    /// Header hash.
    pub hash: B256,
    /// The header.
    pub header: BlockHeader,
    /// Number of transactions in the block.
    pub tx_count: u32,
    /// Whether the commitment is on L1.
    pub l1_committed: bool,
}

/// Proof about a segment in one block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum RangeProof {
    /// A transaction of the block touches the segment.
    #[serde(rename_all = "camelCase")]
    Inclusion {
        /// Block number.
        block: u64,
        /// Root the proof leads to.
        tx_root: B256,
        /// Index of the transaction.
        tx_index: u32,
        /// Its id (the leaf hash).
        tx_id: B256,
        /// The transaction.
        transaction: SignedTransaction,
        /// The sum Merkle proof.
        proof: InclusionProof,
    },
    /// No transaction of the block touches the segment.
    #[serde(rename_all = "camelCase")]
    Exclusion {
        /// Block number.
        block: u64,
        /// Root the proof leads to.
        tx_root: B256,
        /// The sum Merkle proof of the gap leaf.
        proof: ExclusionProof,
    },
}

/// Where an owned range was created: the fields an input spending it must carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RangeOrigin {
    /// `blockIndex` of the input.
    pub block_index: u64,
    /// `txIndex` of the input (`4294967295` for a deposit).
    pub tx_index: u32,
    /// `outputIndex` of the input.
    pub output_index: u8,
}

/// A range in the operator's ownership index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnedRange {
    /// The coins.
    pub segment: Segment,
    /// Where they were created.
    pub origin: RangeOrigin,
    /// A pending transaction already spends them.
    pub pending_spend: bool,
}

/// The chain as the operator sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainStatus {
    /// L1 chain id.
    pub chain_id: u64,
    /// Anchor contract.
    pub anchor: Address,
    /// Highest stored block (0: none).
    pub tip: u64,
    /// Its header hash (zero when none).
    pub tip_hash: B256,
    /// Highest block whose commitment the operator has seen on L1.
    pub l1_committed: u64,
    /// Pending transactions.
    pub mempool_size: u64,
    /// Number the next block will carry.
    pub next_block: u64,
}

/// An accumulator value A_m (`debye_accumulator`, docs/accumulator.md §13).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccumulatorView {
    /// Height m: the accumulator after block m (0: the generator g).
    pub height: u64,
    /// A_m, 256 big-endian bytes (canonical element of Z_N*/{±1}).
    pub value: Bytes,
    /// The first header whose `accumulator` field commits to (m, A_m), if one does yet.
    pub committed_in: Option<u64>,
}

/// One constant-size proof that a segment is untouched in blocks `from+1..=to`
/// (`debye_accumulatorExclusion`, docs/accumulator.md §7.4 and §13.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccumulatorSpan {
    /// The coins the proof speaks about.
    pub segment: Segment,
    /// Start height a (exclusive).
    pub from: u64,
    /// End height b (inclusive).
    pub to: u64,
    /// A_a, 256 bytes.
    pub value_from: Bytes,
    /// A_b, 256 bytes.
    pub value_to: Bytes,
    /// The header that commits to (a, A_a).
    pub header_from: u64,
    /// The header that commits to (b, A_b).
    pub header_to: u64,
    /// The exclusion proof, 1,856 bytes.
    pub proof: Bytes,
}
