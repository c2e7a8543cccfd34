//! The operator's JSON-RPC API (`debye-rpc-api`) as a [`BlockSource`]. The operator is only a
//! relay of data the wallet checks: blocks against their L1 commitments, histories against the
//! safety rule.

use alloy_primitives::B256;
use debye_primitives::{Block, SignedTransaction};
use debye_rpc_api::{
    ApiError, ClientError, DebyeApiClient, ErrorCode, HttpClient, types::BlockView,
};

use crate::{
    Error, Result,
    history::{CoinHistory, Evidence, SpanEvidence},
    source::BlockSource,
};

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

impl RpcSource {
    /// Asks the operator for one accumulator proof that the history's coins did not move since
    /// they last did, and puts it in place of those blocks' per-block evidence (docs/accumulator.md
    /// §13.3). Returns how many block entries it replaced: 0 when the operator serves no span
    /// there (accumulator disabled or behind, fewer than two blocks, span too busy to prove).
    /// Nothing the operator answers is trusted: [`SpanEvidence::verify`] checks it against L1
    /// when the history is verified, and [`CoinHistory::compress`] never drops a move.
    pub async fn compress(&self, history: &mut CoinHistory) -> Result<usize> {
        let Some(last) = history.last_block() else {
            return Ok(0);
        };
        let moved = history
            .blocks
            .iter()
            .rev()
            .find(|b| {
                b.items
                    .iter()
                    .any(|e| matches!(e, Evidence::Included { .. }))
            })
            .map(|b| b.header.number);
        let spanned = history.spans.iter().map(|s| s.span.to).max();
        let start = history.first_block().unwrap_or(1).saturating_sub(1);
        let from = moved.max(spanned).unwrap_or(start).max(start);
        if last < from.saturating_add(2) {
            return Ok(0);
        }
        let span = match self
            .client
            .accumulator_exclusion(history.segment, from, last)
            .await
        {
            Ok(span) => span,
            Err(ClientError::Call(obj))
                if ApiError::from_object(&obj).is_some_and(|e| {
                    matches!(
                        e.code,
                        ErrorCode::UnknownBlock
                            | ErrorCode::Unavailable
                            | ErrorCode::SpanTooLarge
                            | ErrorCode::RangeTouched
                    )
                }) =>
            {
                return Ok(0);
            }
            Err(e) => return Err(Error::Operator(e.to_string())),
        };
        let header = |n: u64| async move {
            DebyeApiClient::header(&self.client, Some(n))
                .await
                .map_err(|e| Error::Operator(e.to_string()))?
                .map(|v| v.header)
                .ok_or(Error::MissingBlock { block: n })
        };
        let ev = SpanEvidence {
            header_from: header(span.header_from).await?,
            header_to: header(span.header_to).await?,
            span,
        };
        history.compress(ev)
    }
}

impl BlockSource for RpcSource {
    async fn block(&self, number: u64) -> Result<Option<Block>> {
        let view = DebyeApiClient::block_by_number(&self.client, number)
            .await
            .map_err(|e| Error::Operator(e.to_string()))?;
        Ok(view.map(BlockView::into_block))
    }

    async fn submit(&self, tx: SignedTransaction) -> Result<B256> {
        match DebyeApiClient::submit_transaction(&self.client, tx).await {
            Ok(r) => Ok(r.tx_id),
            // An error answer is a definite "not accepted"; a transport failure is not (the
            // transaction may have been made durable before the answer was lost).
            Err(ClientError::Call(obj)) => Err(Error::Refused(obj.to_string())),
            Err(e) => Err(Error::Operator(e.to_string())),
        }
    }
}
