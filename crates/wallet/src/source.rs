//! Where the wallet gets blocks and sends transactions: the operator, or anything that serves
//! the same data. Nothing a source says is trusted: every block is checked against its L1
//! commitment and every history against the safety rule.

use std::future::Future;

use alloy_primitives::B256;
use debye_primitives::{Block, SignedTransaction};

use crate::error::Result;

/// A source of committed blocks and a sink for signed transactions.
pub trait BlockSource: Send + Sync {
    /// The full block `number`, or `None` when the source does not (or will not) serve it.
    fn block(&self, number: u64) -> impl Future<Output = Result<Option<Block>>> + Send;

    /// Hands a signed transaction to the operator; answers its id.
    fn submit(&self, tx: SignedTransaction) -> impl Future<Output = Result<B256>> + Send;
}

impl<T: BlockSource> BlockSource for std::sync::Arc<T> {
    fn block(&self, number: u64) -> impl Future<Output = Result<Option<Block>>> + Send {
        (**self).block(number)
    }
    fn submit(&self, tx: SignedTransaction) -> impl Future<Output = Result<B256>> + Send {
        (**self).submit(tx)
    }
}
