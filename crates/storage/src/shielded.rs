//! The shielded ledger's records (docs/shielded.md §4.3): the pool of accepted entries, the
//! entries of each block with their ciphertexts, the nullifier set and the note-tree frontier
//! after each block.
//!
//! Entries are stored as opaque bytes the operator encodes (its canonical entry encoding with the
//! ciphertexts), so this crate does not follow the entry format; what the store must know to
//! keep its invariants (ids, nullifiers, the frontier) is given beside the bytes.

use alloy_primitives::{B256, U256};

/// A shielded entry accepted into the pool: durable before the API answers (like
/// [`crate::PendingTx`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingShielded {
    /// Acceptance order (strictly increasing, never reused; its own sequence, apart from
    /// transparent transactions').
    pub seq: u64,
    /// The entry's id.
    pub id: B256,
    /// The submission as the operator encodes it.
    pub data: Vec<u8>,
}

/// One entry of a block's shielded section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShieldedRow {
    /// The entry's id (for `debye_shieldedStatus`).
    pub id: B256,
    /// The entry as the operator encodes it, ciphertexts included (served as the block body).
    pub data: Vec<u8>,
}

/// The note tree after a block, as a frontier: enough to append the next leaf and compute the
/// root, and what a wallet needs to extend its paths (docs/shielded.md S-4.4).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoteFrontier {
    /// Leaves in the tree (the header's `noteCount`).
    pub count: u64,
    /// For each set bit `l` of `count`, lowest first: the root of the complete subtree of `2^l`
    /// leaves that ends at the last leaf's side (its left-most leaf is `count` with bits `0..=l`
    /// cleared).
    pub nodes: Vec<B256>,
}

impl NoteFrontier {
    /// Whether `nodes` has one node per set bit of `count`.
    pub const fn is_consistent(&self) -> bool {
        self.nodes.len() == self.count.count_ones() as usize
    }
}

/// Where an accepted shielded entry stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShieldedStatus {
    /// In the pool, waiting for a block.
    Pending {
        /// Acceptance order.
        seq: u64,
    },
    /// Entry `index` of block `block`'s shielded section.
    Included {
        /// Block number.
        block: u64,
        /// Entry index in the section.
        index: u32,
    },
    /// Accepted, then dropped before inclusion.
    Dropped {
        /// Why.
        reason: ShieldedDropReason,
    },
}

/// Why an accepted shielded entry was dropped before inclusion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShieldedDropReason {
    /// Its `ext.expiry` passed before a block could include it (S-8.3), or a re-stamped block's
    /// new timestamp passed it.
    Expired,
    /// An imported L1 exit holds one of its nullifiers (docs/shielded.md S-4.3).
    Exited,
}

/// A `ShieldedDeposit` imported from L1 and not yet appended by a block (docs/shielded.md
/// S-5.3; the durable deposit queue of S-4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShieldedDepositEntry {
    /// Its index in L1's deposit queue.
    pub index: u32,
    /// The commitment L1 computed.
    pub cm: U256,
    /// L1 block of its event.
    pub l1_block: u64,
}

/// A `ShieldedExitStarted` imported from L1: its two nullifiers join the nullifier set
/// (docs/shielded.md S-4.3), and the next header's `exitCursor` counts it (S-2.2 rule 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShieldedExitEntry {
    /// Its index in L1's exit queue.
    pub index: u32,
    /// The two nullifiers it spends.
    pub nullifiers: [U256; 2],
    /// L1 block of its event.
    pub l1_block: u64,
}

/// What a block changes in the shielded ledger; part of [`crate::BlockCommit`], so it commits
/// in the same write transaction as the block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShieldedCommit {
    /// The section's entries in order (deposits first, docs/shielded.md S-3.3).
    pub entries: Vec<ShieldedRow>,
    /// Pool sequence numbers of the included entries (removed from the pool).
    pub included_seqs: Vec<u64>,
    /// Pool entries dropped while building (expired): id and sequence number.
    pub dropped: Vec<(B256, u64)>,
    /// Indices of the imported L1 deposits the block appends, in order (removed from the
    /// deposit queue; each must be there).
    pub appended_deposits: Vec<u32>,
    /// Every nullifier the block spends; the commit fails with
    /// [`crate::Error::NullifierSpent`] (changing nothing) if one is already in the set, or
    /// [`crate::Error::NullifierExited`] if an imported L1 exit holds it.
    pub nullifiers: Vec<U256>,
    /// The note tree after the block (`None`: unchanged, the block appends no leaf).
    pub frontier: Option<NoteFrontier>,
}

impl ShieldedCommit {
    /// Whether the block changes nothing in the shielded ledger.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
            && self.included_seqs.is_empty()
            && self.dropped.is_empty()
            && self.appended_deposits.is_empty()
            && self.nullifiers.is_empty()
            && self.frontier.is_none()
    }
}

/// A stored block's shielded section rebuilt because its header was re-stamped with a later
/// time (docs/shielded.md §10): the block is not on L1, so its entries may change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShieldedRebuild {
    /// The block.
    pub number: u64,
    /// Its new entries, in order (they replace every stored entry of the block).
    pub entries: Vec<ShieldedRow>,
    /// Entries left out (expired at the new time): their ids, now dropped.
    pub dropped: Vec<B256>,
    /// The left-out entries' nullifiers, taken out of the set.
    pub freed: Vec<U256>,
    /// The note tree after the block (`None`: it appends no leaf).
    pub frontier: Option<NoteFrontier>,
}
