//! Block trees for proofs: each recent block's sum Merkle tree and where each transaction sits,
//! kept in a small cache and rebuilt from the store on a miss.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
};

use alloy_primitives::B256;
use debye_primitives::SumMerkleTree;
use debye_storage::Store;

use crate::{Error, Result};

/// Blocks whose trees are kept in memory for proofs.
const TREE_CACHE: usize = 16;

/// A block's tree and where each transaction sits, for proofs.
#[derive(Debug)]
pub(crate) struct BlockIndex {
    pub(crate) tree: Arc<SumMerkleTree>,
    pub(crate) positions: HashMap<B256, u32>,
}

/// The trees of the last [`TREE_CACHE`] blocks built or asked for.
#[derive(Debug, Default)]
pub(crate) struct BlockCache {
    trees: Mutex<VecDeque<(u64, Arc<BlockIndex>)>>,
}

impl BlockCache {
    /// Keeps the index of block `number` (built by the sequencer).
    pub(crate) fn insert(&self, number: u64, index: BlockIndex) {
        self.push(number, Arc::new(index));
    }

    fn push(&self, number: u64, index: Arc<BlockIndex>) {
        if let Ok(mut trees) = self.trees.lock() {
            trees.push_back((number, index));
            while trees.len() > TREE_CACHE {
                trees.pop_front();
            }
        }
    }

    /// The tree and positions of block `number` (cached; rebuilt from `store` on a miss).
    pub(crate) fn get(&self, store: &dyn Store, number: u64) -> Result<Option<Arc<BlockIndex>>> {
        if let Ok(trees) = self.trees.lock()
            && let Some((_, idx)) = trees.iter().find(|(n, _)| *n == number)
        {
            return Ok(Some(idx.clone()));
        }
        if store.header(number)?.is_none() {
            return Ok(None);
        }
        let txs = store.block_txs(number)?;
        let mut positions = HashMap::with_capacity(txs.len());
        let mut entries = Vec::with_capacity(txs.len());
        for (i, (id, stx)) in txs.iter().enumerate() {
            positions.insert(*id, u32::try_from(i).unwrap_or(u32::MAX));
            entries.extend(stx.transaction.coin_ranges().into_iter().map(|r| (r, *id)));
        }
        let tree = SumMerkleTree::build(entries)
            .map_err(|e| Error::Internal(format!("stored block {number} does not build: {e}")))?;
        let idx = Arc::new(BlockIndex {
            tree: Arc::new(tree),
            positions,
        });
        self.push(number, idx.clone());
        Ok(Some(idx))
    }
}
