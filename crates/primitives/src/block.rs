//! Block headers, blocks and the block builder.

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
    /// Root of the note tree (zero until the ZK notes are specified).
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

/// A block: a header and its ordered signed transactions. A transaction's `txIndex` is its
/// position in `transactions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// The transactions, in order.
    pub transactions: Vec<SignedTransaction>,
}

impl Block {
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
    /// expired, no coin touched twice, and `txRoot` equal to the recomputed root
    /// ([`Error::TxRootMismatch`]). Returns the tree. Does not check the parent link or the
    /// inputs against earlier blocks (that needs chain state).
    pub fn verify(&self, domain: &Eip712Domain) -> Result<SumMerkleTree> {
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
        Ok((
            Block {
                header,
                transactions: self.transactions,
            },
            tree,
        ))
    }
}
