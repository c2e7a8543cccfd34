//! Test helpers (feature `test-utils`): [`LocalChain`], a minimal in-process operator over any
//! [`L1`] that can be told to misbehave. Tests and benches of this crate and of crates that
//! enable the feature in their dev-dependencies use it; no product code does, so it does not ship
//! in the wallet.

use std::{collections::BTreeSet, sync::Mutex};

use alloy_primitives::{Address, B256};
use debye_l1::{L1, contracts::DebyeChainClient};
use debye_primitives::{Block, BlockBuilder, BlockHeader, SignedTransaction, SumMerkleTree};

use crate::{
    error::{Error, Result},
    history::model::ChainId,
    source::BlockSource,
};

/// A minimal in-process operator over any [`L1`]: a mempool, a block builder that commits each
/// block's header to the anchor, and switches to misbehave (withhold blocks, commit arbitrary
/// blocks). The real operator lives in `debye-operator`.
#[derive(Debug)]
pub struct LocalChain<L> {
    client: DebyeChainClient<L>,
    operator: Address,
    chain: ChainId,
    inner: Mutex<LocalInner>,
}

#[derive(Debug, Default)]
struct LocalInner {
    blocks: Vec<Block>,
    mempool: Vec<SignedTransaction>,
    withheld: BTreeSet<u64>,
    /// The note tree's leaves, for [`LocalChain::commit_shielded`].
    note_leaves: Vec<debye_zk::Fr>,
    /// Whether `DEPOSIT` entries advance the header's `depositCursor` (they must when they
    /// append real L1 deposits, and must not when tests hand-make them with no L1 deposit).
    count_deposits: bool,
    /// Sections served instead of the committed ones (an operator serving a body that does
    /// not match the header, S-7.2).
    served_sections: std::collections::BTreeMap<u64, debye_primitives::ShieldedSection>,
}

impl<L: L1 + Clone> LocalChain<L> {
    /// An operator for the anchor behind `client`, submitting as `operator`.
    pub async fn new(client: DebyeChainClient<L>, operator: Address) -> Result<Self> {
        let chain = ChainId {
            chain_id: client.l1().chain_id().await?,
            anchor: client.address(),
        };
        Ok(Self {
            client,
            operator,
            chain,
            inner: Mutex::new(LocalInner::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LocalInner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The chain served.
    pub const fn chain(&self) -> ChainId {
        self.chain
    }

    /// The anchor client.
    pub const fn client(&self) -> &DebyeChainClient<L> {
        &self.client
    }

    /// Header of the last block built.
    pub fn tip_header(&self) -> Option<BlockHeader> {
        self.lock().blocks.last().map(|b| b.header)
    }

    /// Builds a block from the mempool (checked by [`BlockBuilder`]; invalid transactions are
    /// dropped) and commits its header on L1. Returns the block.
    pub async fn commit_pending(&self) -> Result<Block> {
        let (txs, parent) = {
            let mut inner = self.lock();
            (
                std::mem::take(&mut inner.mempool),
                inner.blocks.last().map(|b| b.header),
            )
        };
        let mut builder = BlockBuilder::after(self.chain.domain(), parent.as_ref());
        for tx in txs {
            // An invalid or conflicting transaction is dropped, as an operator would.
            let _ = builder.push(tx);
        }
        let (block, _) = builder.build()?;
        self.commit_block(block).await
    }

    /// Commits `transactions` as the next block exactly as given, valid or not (a lying
    /// operator): the header commits to the tree of their coin ranges.
    pub async fn commit_raw(&self, transactions: Vec<SignedTransaction>) -> Result<Block> {
        let parent = self.tip_header();
        let number = parent.map_or(1, |p| p.number + 1);
        let mut block = Block {
            header: BlockHeader {
                number,
                prev_hash: parent.map(|p| p.hash()).unwrap_or_default(),
                ..BlockBuilder::after(self.chain.domain(), parent.as_ref())
                    .build()?
                    .0
                    .header
            },
            transactions,
            shielded: Default::default(),
        };
        block.header.tx_root = block.tree(&self.chain.domain())?.root();
        self.commit_block(block).await
    }

    /// Commits the next block with no transactions and `entries` as its shielded section: the
    /// header's entry count and root, note count and note root follow from them (the entries'
    /// `firstLeaf` must be right; nothing else is checked).
    pub async fn commit_shielded(
        &self,
        entries: Vec<debye_primitives::ShieldedEntry>,
    ) -> Result<Block> {
        let parent = self.tip_header();
        let (mut block, _) = BlockBuilder::after(self.chain.domain(), parent.as_ref()).build()?;
        let section = debye_primitives::ShieldedSection::new(entries);
        let mut leaves = self.lock().note_leaves.clone();
        for e in section.entries() {
            for cm in [e.entry.head.commitment0, e.entry.head.commitment1] {
                leaves.push(
                    crate::shielded::u256_to_fr(&cm).ok_or_else(|| {
                        Error::Operator("commitment is not a field element".into())
                    })?,
                );
            }
        }
        if self.lock().count_deposits {
            let deposits = section
                .entries()
                .iter()
                .filter(|e| e.entry.head.kind == debye_primitives::shielded::EntryKind::Deposit)
                .count();
            block.header.deposit_cursor = block
                .header
                .deposit_cursor
                .saturating_add(u32::try_from(deposits).unwrap_or(u32::MAX));
        }
        block.header.entry_count = u32::try_from(section.count()).unwrap_or(u32::MAX);
        block.header.entries_root = section.root()?;
        block.header.note_count = leaves.len() as u64;
        block.header.note_root =
            crate::shielded::fr_to_b256(&crate::shielded::tree::header_root(&leaves));
        block.shielded = section;
        let block = self.commit_block(block).await?;
        self.lock().note_leaves = leaves;
        Ok(block)
    }

    /// Stamps `block` with L1's current time (never before its parent's) and commits it.
    async fn commit_block(&self, mut block: Block) -> Result<Block> {
        let now = self.client.l1().timestamp().await?;
        block.header.timestamp = block.header.timestamp.max(now);
        let header = debye_l1::contracts::BlockHeader::from(&block.header);
        self.client.submit_block(self.operator, header).await?;
        self.lock().blocks.push(block.clone());
        Ok(block)
    }

    /// From now on, `DEPOSIT` entries given to [`Self::commit_shielded`] append the pool's
    /// real deposits in queue order: each advances the header's `depositCursor` (S-3.3).
    pub fn count_deposits(&self) {
        self.lock().count_deposits = true;
    }

    /// Serves `section` as block `number`'s shielded section instead of the committed one (an
    /// operator whose served body does not match the header, S-7.2); `None` stops that.
    pub fn serve_section(&self, number: u64, section: Option<debye_primitives::ShieldedSection>) {
        let mut inner = self.lock();
        match section {
            Some(s) => inner.served_sections.insert(number, s),
            None => inner.served_sections.remove(&number),
        };
    }

    /// Serves block `number` again after [`Self::withhold`].
    pub fn release(&self, number: u64) {
        self.lock().withheld.remove(&number);
    }

    /// Stops serving block `number` (a withholding operator).
    pub fn withhold(&self, number: u64) {
        self.lock().withheld.insert(number);
    }

    /// The tree of a stored block.
    pub fn tree(&self, number: u64) -> Result<SumMerkleTree> {
        let inner = self.lock();
        let block = inner
            .blocks
            .get(
                usize::try_from(number)
                    .unwrap_or(usize::MAX)
                    .wrapping_sub(1),
            )
            .ok_or_else(|| Error::Operator(format!("no block {number}")))?;
        Ok(block.tree(&self.chain.domain())?)
    }
}

impl<L: L1 + Clone> BlockSource for LocalChain<L> {
    async fn block(&self, number: u64) -> Result<Option<Block>> {
        let inner = self.lock();
        if inner.withheld.contains(&number) {
            return Ok(None);
        }
        let mut block = number
            .checked_sub(1)
            .and_then(|i| inner.blocks.get(usize::try_from(i).ok()?))
            .cloned();
        if let (Some(b), Some(s)) = (&mut block, inner.served_sections.get(&number)) {
            b.shielded = s.clone();
        }
        Ok(block)
    }

    async fn submit(&self, tx: SignedTransaction) -> Result<B256> {
        let id = tx.verify(&self.chain.domain())?;
        self.lock().mempool.push(tx);
        Ok(id)
    }
}
