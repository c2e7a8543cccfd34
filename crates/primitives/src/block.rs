//! Block headers, blocks and the block builder.
//!
//! One chain carries two ledgers (docs/architecture.md, "One chain, two ledgers"): a block has a
//! transparent section (Plasma Prime range transactions, committed by the header's `txRoot`) and a
//! shielded section (note commitments and nullifiers, committed by `noteRoot`). L1 stores one hash
//! per header, so both sections are anchored by the same commitment.

use std::collections::BTreeMap;

use alloy_primitives::{B256, U256, keccak256};
use alloy_sol_types::{Eip712Domain, SolValue};
use serde::{Deserialize, Serialize};

use crate::{
    Error, Result, Segment, SignedTransaction, SumMerkleTree, abi, serde_hex, tx::DEPOSIT_TX_INDEX,
};

/// Number of the first block (its `prevHash` is zero).
pub const FIRST_BLOCK_NUMBER: u64 = 1;

/// A block header, as stored by the L1 contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BlockHeader {
    /// Block number, starting at [`FIRST_BLOCK_NUMBER`].
    #[serde(with = "serde_hex::quantity")]
    pub number: u64,
    /// Hash of the previous header (zero for the first block).
    pub prev_hash: B256,
    /// Root of the block's sum Merkle tree.
    pub tx_root: B256,
    /// Accumulator value (zero until the accumulator is specified).
    pub accumulator: B256,
    /// Commitment to the block's shielded section ([`ShieldedSection::root`]; zero while the
    /// section is empty, which it is until the shielded format is specified).
    pub note_root: B256,
}

impl BlockHeader {
    /// `keccak256(abi.encode(number, prevHash, txRoot, accumulator, noteRoot))`: the value the L1
    /// contract stores for the block.
    pub fn hash(&self) -> B256 {
        keccak256(abi::BlockHeader::from(self).abi_encode())
    }

    /// Checks that this header directly follows `parent` (`None`: this must be the first block,
    /// number 1 with a zero `prevHash`). Fails with [`Error::BadParent`].
    pub fn check_parent(&self, parent: Option<&Self>) -> Result<()> {
        let ok = match parent {
            None => self.number == FIRST_BLOCK_NUMBER && self.prev_hash.is_zero(),
            Some(p) => p.number.checked_add(1) == Some(self.number) && self.prev_hash == p.hash(),
        };
        if ok { Ok(()) } else { Err(Error::BadParent) }
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
    /// The shielded section, committed by `header.note_root`. Left out of the JSON while empty,
    /// so the wire form of a transparent-only block is unchanged.
    #[serde(default, skip_serializing_if = "ShieldedSection::is_empty")]
    pub shielded: ShieldedSection,
}

/// The shielded ledger's part of a block: its ordered entries (deposit appends and shielded
/// transactions, docs/protocol.md §7.2).
///
/// The entry format is not specified yet, so no entry can exist: [`ShieldedEntry`] has no value,
/// and a block that carries one fails to decode instead of being half understood. The section
/// commits to zero ([`ShieldedSection::root`]), which is what every header's `noteRoot` holds
/// today.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ShieldedSection {
    entries: Vec<ShieldedEntry>,
}

/// One entry of a [`ShieldedSection`]; it has no variant until the shielded format lands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShieldedEntry {}

impl ShieldedSection {
    /// Whether the section has no entry (always, until the shielded format lands).
    pub const fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, in order.
    pub fn entries(&self) -> &[ShieldedEntry] {
        &self.entries
    }

    /// The commitment the header's `noteRoot` carries: zero for an empty section.
    pub const fn root(&self) -> B256 {
        B256::ZERO
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
    /// ([`Error::TxRootMismatch`]) and `noteRoot` equal to the shielded section's commitment
    /// ([`Error::NoteRootMismatch`]). Returns the tree. Does not check the parent link or the
    /// inputs against earlier blocks (that needs chain state).
    pub fn verify(&self, domain: &Eip712Domain) -> Result<SumMerkleTree> {
        if self.header.note_root != self.shielded.root() {
            return Err(Error::NoteRootMismatch);
        }
        let mut builder =
            BlockBuilder::new(domain.clone(), self.header.number, self.header.prev_hash);
        for stx in &self.transactions {
            builder.push(stx.clone())?;
        }
        let (block, tree) = builder
            .accumulator(self.header.accumulator)
            .note_root(self.header.note_root)
            .build()?;
        if block.header != self.header {
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
    number: u64,
    prev_hash: B256,
    accumulator: B256,
    note_root: B256,
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
            number,
            prev_hash,
            accumulator: B256::ZERO,
            note_root: B256::ZERO,
            transactions: Vec::new(),
            entries: Vec::new(),
            used: BTreeMap::new(),
        }
    }

    /// A builder for the block after `parent` (or the first block when `None`).
    pub fn after(domain: Eip712Domain, parent: Option<&BlockHeader>) -> Self {
        match parent {
            None => Self::new(domain, FIRST_BLOCK_NUMBER, B256::ZERO),
            Some(p) => Self::new(domain, p.number.saturating_add(1), p.hash()),
        }
    }

    /// Sets the header's accumulator value.
    pub const fn accumulator(mut self, value: B256) -> Self {
        self.accumulator = value;
        self
    }

    /// Sets the header's note root.
    pub const fn note_root(mut self, value: B256) -> Self {
        self.note_root = value;
        self
    }

    /// Number of the block being built.
    pub const fn number(&self) -> u64 {
        self.number
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
        stx.transaction.check_block(self.number)?;
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

    /// Computes the tree and the header.
    pub fn build(self) -> Result<(Block, SumMerkleTree)> {
        let tree = SumMerkleTree::build(self.entries)?;
        let header = BlockHeader {
            number: self.number,
            prev_hash: self.prev_hash,
            tx_root: tree.root(),
            accumulator: self.accumulator,
            note_root: self.note_root,
        };
        Ok((Block::transparent(header, self.transactions), tree))
    }
}
