//! Block headers, blocks and the block builder.
//!
//! One chain carries two ledgers (docs/architecture.md, "One chain, two ledgers"): a block has a
//! transparent section (Plasma Prime range transactions, committed by the header's `txRoot`) and a
//! shielded section (entries, committed by `entriesRoot`; docs/shielded.md §3). L1 stores one hash
//! per header, so both sections are anchored by the same commitment.

use std::collections::BTreeMap;

use alloy_primitives::{B256, U256, keccak256};
use alloy_sol_types::{Eip712Domain, SolValue};
use serde::{Deserialize, Serialize};

use crate::{
    Error, Result, Segment, SignedTransaction, SumMerkleTree, abi, serde_hex, shielded,
    tx::DEPOSIT_TX_INDEX,
};

/// Number of the first block (its `prevHash` is zero).
pub const FIRST_BLOCK_NUMBER: u64 = 1;

/// How far a header's `timestamp` may lag L1 time at `submitBlock`, in seconds (`TS_WINDOW`,
/// docs/shielded.md §1.4 and S-2.2: `prev.timestamp <= timestamp <= block.timestamp` and
/// `timestamp + TS_WINDOW >= block.timestamp`).
pub const TS_WINDOW: u64 = 30 * 60;

/// Size of a header's encoding, `abi.encode(header)`: eleven words.
pub const HEADER_LEN: usize = 11 * 32;

/// A block header, as the L1 contract hashes it (docs/formats.md §7, docs/shielded.md §2.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BlockHeader {
    /// Block number, starting at [`FIRST_BLOCK_NUMBER`].
    #[serde(with = "serde_hex::quantity")]
    pub number: u64,
    /// Hash of the previous header (zero for the first block).
    pub prev_hash: B256,
    /// Root of the block's sum Merkle tree.
    pub tx_root: B256,
    /// Accumulator value (zero on a chain without the accumulator).
    pub accumulator: B256,
    /// Poseidon note-tree root after this block's last leaf (zero while the tree is empty).
    pub note_root: B256,
    /// Leaves in the note tree after this block.
    #[serde(with = "serde_hex::quantity")]
    pub note_count: u64,
    /// Root of the entries tree over this block's shielded section ([`ShieldedSection::root`];
    /// zero for an empty section).
    pub entries_root: B256,
    /// Entries in this block's shielded section.
    #[serde(with = "serde_hex::quantity")]
    pub entry_count: u32,
    /// L1 shielded deposits appended after this block (cumulative).
    #[serde(with = "serde_hex::quantity")]
    pub deposit_cursor: u32,
    /// L1 shielded exit starts imported after this block (cumulative).
    #[serde(with = "serde_hex::quantity")]
    pub exit_cursor: u32,
    /// Unix seconds: the shielded section's clock, bounded by L1 at `submitBlock`.
    #[serde(with = "serde_hex::quantity")]
    pub timestamp: u64,
}

impl BlockHeader {
    /// `keccak256(abi.encode(header))` over the eleven fields: the value the L1 contract stores
    /// for the block.
    pub fn hash(&self) -> B256 {
        keccak256(abi::BlockHeader::from(self).abi_encode())
    }

    /// Checks that this header directly follows `parent` (`None`: this must be the first block,
    /// number 1 with a zero `prevHash`, and the parent's values below count as zero).
    ///
    /// Fails with [`Error::BadParent`] when the number or `prevHash` is wrong, and with
    /// [`Error::BadShieldedState`] when the timestamp is before the parent's, a cursor goes
    /// back, or the block has no shielded entry yet its note root, note count or a cursor
    /// differs from the parent's (docs/shielded.md §2.1: those are carried unchanged).
    pub fn check_parent(&self, parent: Option<&Self>) -> Result<()> {
        let ok = match parent {
            None => self.number == FIRST_BLOCK_NUMBER && self.prev_hash.is_zero(),
            Some(p) => p.number.checked_add(1) == Some(self.number) && self.prev_hash == p.hash(),
        };
        if !ok {
            return Err(Error::BadParent);
        }
        let zero = Self::default();
        let p = parent.unwrap_or(&zero);
        if self.timestamp < p.timestamp {
            return Err(Error::BadShieldedState("timestamp"));
        }
        if self.deposit_cursor < p.deposit_cursor {
            return Err(Error::BadShieldedState("depositCursor"));
        }
        if self.exit_cursor < p.exit_cursor {
            return Err(Error::BadShieldedState("exitCursor"));
        }
        if self.entry_count == 0 {
            if self.note_root != p.note_root {
                return Err(Error::BadShieldedState("noteRoot"));
            }
            if self.note_count != p.note_count {
                return Err(Error::BadShieldedState("noteCount"));
            }
            if self.deposit_cursor != p.deposit_cursor {
                return Err(Error::BadShieldedState("depositCursor"));
            }
        }
        Ok(())
    }
}

impl From<&BlockHeader> for abi::BlockHeader {
    fn from(h: &BlockHeader) -> Self {
        Self {
            number: h.number,
            prevHash: h.prev_hash,
            txRoot: h.tx_root,
            accumulator: h.accumulator,
            noteRoot: h.note_root,
            noteCount: h.note_count,
            entriesRoot: h.entries_root,
            entryCount: h.entry_count,
            depositCursor: h.deposit_cursor,
            exitCursor: h.exit_cursor,
            timestamp: h.timestamp,
        }
    }
}

impl From<&abi::BlockHeader> for BlockHeader {
    fn from(h: &abi::BlockHeader) -> Self {
        Self {
            number: h.number,
            prev_hash: h.prevHash,
            tx_root: h.txRoot,
            accumulator: h.accumulator,
            note_root: h.noteRoot,
            note_count: h.noteCount,
            entries_root: h.entriesRoot,
            entry_count: h.entryCount,
            deposit_cursor: h.depositCursor,
            exit_cursor: h.exitCursor,
            timestamp: h.timestamp,
        }
    }
}

/// A block: a header, its transparent section (the ordered signed range transactions; a
/// transaction's `txIndex` is its position in `transactions`) and its shielded section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// The transparent section: range transactions, in order, committed by `header.tx_root`.
    pub transactions: Vec<SignedTransaction>,
    /// The shielded section, committed by `header.entries_root`. Left out of the JSON while empty,
    /// so the wire form of a transparent-only block is unchanged.
    #[serde(default, skip_serializing_if = "ShieldedSection::is_empty")]
    pub shielded: ShieldedSection,
}

/// The shielded ledger's part of a block: its ordered entries (deposit appends and shielded
/// transfers, docs/shielded.md §3).
///
/// Each entry travels with its ciphertexts (docs/shielded.md S-6.1), so a wallet with only its
/// keys can scan whole block bodies. The section commits to [`crate::shielded::entries_root`] of
/// its leaves, zero while empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ShieldedSection {
    entries: Vec<ShieldedEntry>,
}

/// One entry of a [`ShieldedSection`]: the entry (head and body) and its note ciphertexts (two
/// for a transfer, bound by `ext.ctHash0/1`; none for a deposit, whose ciphertext is in its L1
/// log).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShieldedEntry {
    /// The entry.
    pub entry: shielded::Entry,
    /// Its ciphertexts.
    pub ciphertexts: Vec<alloy_primitives::Bytes>,
}

impl ShieldedSection {
    /// A section of `entries`, in order.
    pub const fn new(entries: Vec<ShieldedEntry>) -> Self {
        Self { entries }
    }

    /// Whether the section has no entry (always, until the shielded format lands).
    pub const fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, in order.
    pub fn entries(&self) -> &[ShieldedEntry] {
        &self.entries
    }

    /// Number of entries (the header's `entryCount`).
    pub fn count(&self) -> usize {
        self.entries.len()
    }

    /// The entries' leaves, in order.
    pub fn leaves(&self) -> Vec<B256> {
        self.entries.iter().map(|e| e.entry.leaf()).collect()
    }

    /// The commitment the header's `entriesRoot` carries ([`shielded::entries_root`] of the
    /// leaves): zero for an empty section. Fails only past [`shielded::MAX_ENTRIES`].
    pub fn root(&self) -> Result<B256> {
        shielded::entries_root(&self.leaves())
    }
}

impl Block {
    /// A block with `header` and the transparent `transactions`, and an empty shielded section.
    pub fn transparent(header: BlockHeader, transactions: Vec<SignedTransaction>) -> Self {
        Self {
            header,
            transactions,
            shielded: ShieldedSection::default(),
        }
    }

    /// The header hash.
    pub fn hash(&self) -> B256 {
        self.header.hash()
    }

    /// The `(segment, tx id)` leaves of the block's transactions (see
    /// [`crate::Transaction::coin_ranges`]), without checking validity.
    pub fn tree_entries(&self, domain: &Eip712Domain) -> Vec<(Segment, B256)> {
        let separator = domain.separator();
        self.transactions
            .iter()
            .flat_map(|stx| {
                let id = stx.transaction.tx_id_with_separator(&separator);
                stx.transaction
                    .coin_ranges()
                    .into_iter()
                    .map(move |r| (r, id))
            })
            .collect()
    }

    /// Recomputes the sum Merkle tree from the transactions (no signature or validity checks;
    /// fails if two transactions touch the same coin).
    pub fn tree(&self, domain: &Eip712Domain) -> Result<SumMerkleTree> {
        SumMerkleTree::build(self.tree_entries(domain))
    }

    /// Fully checks the block body against its header: every transaction valid and signed, not
    /// expired, no coin touched twice, `txRoot` equal to the recomputed root
    /// ([`Error::TxRootMismatch`]) and `entriesRoot`/`entryCount` equal to the shielded
    /// section's ([`Error::EntriesRootMismatch`]). Returns the tree. Does not check the parent
    /// link, the carried shielded fields ([`BlockHeader::check_parent`] does) or the inputs
    /// against earlier blocks (that needs chain state).
    pub fn verify(&self, domain: &Eip712Domain) -> Result<SumMerkleTree> {
        let count_matches =
            u32::try_from(self.shielded.count()).ok() == Some(self.header.entry_count);
        if !count_matches || self.header.entries_root != self.shielded.root()? {
            return Err(Error::EntriesRootMismatch);
        }
        let mut builder =
            BlockBuilder::new(domain.clone(), self.header.number, self.header.prev_hash);
        for stx in &self.transactions {
            builder.push(stx.clone())?;
        }
        let h = &self.header;
        let (block, tree) = builder
            .accumulator(h.accumulator)
            .note_state(h.note_root, h.note_count, h.deposit_cursor, h.exit_cursor)
            .timestamp(h.timestamp)
            .build()?;
        // The builder has no shielded section; its commitment was checked above.
        let built = BlockHeader {
            entries_root: h.entries_root,
            entry_count: h.entry_count,
            ..block.header
        };
        if built != self.header {
            return Err(Error::TxRootMismatch);
        }
        Ok(tree)
    }
}

/// Assembles a block from signed transactions, rejecting invalid or expired ones and ones that
/// touch coins already used by an earlier transaction of the block.
#[derive(Clone, Debug)]
pub struct BlockBuilder {
    /// `domain.separator()`, computed once.
    separator: B256,
    /// The header's fields other than `txRoot`, `entriesRoot` and `entryCount`.
    template: BlockHeader,
    transactions: Vec<SignedTransaction>,
    entries: Vec<(Segment, B256)>,
    /// Used coin ranges: start -> end.
    used: BTreeMap<U256, U256>,
}

impl BlockBuilder {
    /// A builder for block `number` on top of `prev_hash`.
    #[allow(
        clippy::needless_pass_by_value,
        reason = "public signature kept; only the separator is needed now"
    )]
    pub fn new(domain: Eip712Domain, number: u64, prev_hash: B256) -> Self {
        Self {
            separator: domain.separator(),
            template: BlockHeader {
                number,
                prev_hash,
                ..BlockHeader::default()
            },
            transactions: Vec::new(),
            entries: Vec::new(),
            used: BTreeMap::new(),
        }
    }

    /// A builder for the block after `parent` (or the first block when `None`), carrying the
    /// parent's note root, note count, cursors and timestamp (a block without shielded entries
    /// leaves them unchanged; set a later timestamp with [`Self::timestamp`]).
    pub fn after(domain: Eip712Domain, parent: Option<&BlockHeader>) -> Self {
        match parent {
            None => Self::new(domain, FIRST_BLOCK_NUMBER, B256::ZERO),
            Some(p) => Self::new(domain, p.number.saturating_add(1), p.hash())
                .note_state(p.note_root, p.note_count, p.deposit_cursor, p.exit_cursor)
                .timestamp(p.timestamp),
        }
    }

    /// Sets the header's accumulator value.
    pub const fn accumulator(mut self, value: B256) -> Self {
        self.template.accumulator = value;
        self
    }

    /// Sets the header's note-tree root and size and its two cursors.
    pub const fn note_state(
        mut self,
        note_root: B256,
        note_count: u64,
        deposit_cursor: u32,
        exit_cursor: u32,
    ) -> Self {
        self.template.note_root = note_root;
        self.template.note_count = note_count;
        self.template.deposit_cursor = deposit_cursor;
        self.template.exit_cursor = exit_cursor;
        self
    }

    /// Sets the header's timestamp (unix seconds).
    pub const fn timestamp(mut self, value: u64) -> Self {
        self.template.timestamp = value;
        self
    }

    /// Number of the block being built.
    pub const fn number(&self) -> u64 {
        self.template.number
    }

    /// Transactions accepted so far.
    pub fn transactions(&self) -> &[SignedTransaction] {
        &self.transactions
    }

    /// Whether the coin range is already used by an accepted transaction.
    fn conflicts(&self, range: &Segment) -> bool {
        self.used
            .range(..range.end())
            .next_back()
            .is_some_and(|(_, end)| *end > range.start())
    }

    /// Checks and appends a transaction; returns its `txIndex`. On error nothing is changed.
    pub fn push(&mut self, stx: SignedTransaction) -> Result<u32> {
        let tx_index = u32::try_from(self.transactions.len())
            .ok()
            .filter(|i| *i != DEPOSIT_TX_INDEX)
            .ok_or(Error::BlockFull)?;
        let id = stx.verify_with_separator(&self.separator)?;
        stx.transaction.check_block(self.template.number)?;
        let ranges = stx.transaction.coin_ranges();
        if let Some(r) = ranges.iter().find(|r| self.conflicts(r)) {
            return Err(Error::CoinConflict {
                start: r.start(),
                end: r.end(),
            });
        }
        for r in ranges {
            self.used.insert(r.start(), r.end());
            self.entries.push((r, id));
        }
        self.transactions.push(stx);
        Ok(tx_index)
    }

    /// Computes the tree and the header (with an empty shielded section: `entriesRoot` and
    /// `entryCount` zero).
    pub fn build(self) -> Result<(Block, SumMerkleTree)> {
        let tree = SumMerkleTree::build(self.entries)?;
        let header = BlockHeader {
            tx_root: tree.root(),
            entries_root: B256::ZERO,
            entry_count: 0,
            ..self.template
        };
        Ok((Block::transparent(header, self.transactions), tree))
    }
}
