//! Where the watcher gets child blocks: the operator's JSON-RPC API.

use std::future::Future;

use debye_primitives::Block;
use debye_rpc_api::{DebyeApiClient, HttpClient, types::BlockView};

use crate::{Error, Result};

/// A source of child blocks (bodies); their headers come from L1.
pub trait BlockSource: Send + Sync {
    /// Block `number` as served, or `None` when the source does not serve it.
    fn block(&self, number: u64) -> impl Future<Output = Result<Option<Block>>> + Send;
}

impl BlockSource for HttpClient {
    async fn block(&self, number: u64) -> Result<Option<Block>> {
        let view = self
            .block_by_number(number)
            .await
            .map_err(|e| Error::Operator(e.to_string()))?;
        Ok(view.map(BlockView::into_block))
    }
}

impl<T: BlockSource> BlockSource for std::sync::Arc<T> {
    fn block(&self, number: u64) -> impl Future<Output = Result<Option<Block>>> + Send {
        (**self).block(number)
    }
}
