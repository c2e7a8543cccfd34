//! The operator's JSON-RPC API (`debye-rpc-api`) as a [`BlockSource`]. The operator is only a
//! relay of data the wallet checks: blocks against their L1 commitments, histories against the
//! safety rule.

use alloy_primitives::B256;
use debye_primitives::{Block, SignedTransaction};
use debye_rpc_api::{DebyeApiClient, HttpClient};

use crate::{Error, Result, source::BlockSource};

/// An operator reached over HTTP JSON-RPC.
#[derive(Clone, Debug)]
pub struct RpcSource {
    client: HttpClient,
}

impl RpcSource {
    /// Connects to an operator at `url` (`http://host:port`).
    pub fn connect(url: &str) -> Result<Self> {
        let client = debye_rpc_api::http_client(url).map_err(|e| Error::Operator(e.to_string()))?;
        Ok(Self { client })
    }

    /// The underlying client, for calls the wallet does not wrap.
    pub const fn client(&self) -> &HttpClient {
        &self.client
    }
}

impl BlockSource for RpcSource {
    async fn block(&self, number: u64) -> Result<Option<Block>> {
        let view = DebyeApiClient::block_by_number(&self.client, number)
            .await
            .map_err(|e| Error::Operator(e.to_string()))?;
        Ok(view.map(|v| Block {
            header: v.header,
            transactions: v.transactions,
        }))
    }

    async fn submit(&self, tx: SignedTransaction) -> Result<B256> {
        DebyeApiClient::submit_transaction(&self.client, tx)
            .await
            .map(|r| r.tx_id)
            .map_err(|e| Error::Operator(e.to_string()))
    }
}
