//! The JSON-RPC server: `debye-rpc-api`'s trait implemented over the node's state.

use std::{
    net::SocketAddr,
    sync::{Arc, atomic::Ordering},
};

use alloy_primitives::{Address, B256};
use debye_primitives::{Segment, SignedTransaction};
use debye_rpc_api::{
    ApiError, DebyeApiServer, ErrorCode, MAX_HISTORY_SPAN,
    types::{
        AccumulatorSpan, AccumulatorView, BlockView, ChainStatus, HeaderView, OwnedRange,
        RangeOrigin, RangeProof, SubmitResult, TxStatusView,
    },
};
use debye_storage::{DropReason, Origin, TxStatus};
use jsonrpsee::{
    core::{RpcResult, async_trait},
    server::{BatchRequestConfig, Server, ServerConfig, ServerHandle},
};
use tokio::sync::mpsc;

use debye_accumulator::Group;

use crate::{
    Error, Result,
    accumulator::{MAX_SPAN_EXPONENT_BITS, SpanRefusal},
    node::Shared,
    sequencer::Command,
};

/// The API implementation.
pub(crate) struct Api {
    shared: Arc<Shared>,
    commands: mpsc::Sender<Command>,
}

fn internal(e: &Error) -> ApiError {
    e.to_api()
}

impl Api {
    fn committed(&self, number: u64) -> bool {
        number <= self.shared.l1_committed.load(Ordering::Relaxed)
    }

    fn block(&self, number: u64) -> Result<Option<BlockView>> {
        let Some(header) = self.shared.store.header(number)? else {
            return Ok(None);
        };
        let txs = self.shared.store.block_txs(number)?;
        let (tx_ids, transactions) = txs.into_iter().unzip();
        Ok(Some(BlockView {
            hash: header.hash(),
            header,
            tx_ids,
            transactions,
            l1_committed: self.committed(number),
        }))
    }

    fn proof(&self, number: u64, segment: &Segment) -> Result<RangeProof, ApiError> {
        let header = self
            .shared
            .store
            .header(number)
            .map_err(|e| internal(&e.into()))?
            .ok_or_else(|| ApiError::with_data(ErrorCode::UnknownBlock, number))?;
        let index = self
            .shared
            .block_index(number)
            .map_err(|e| internal(&e))?
            .ok_or_else(|| ApiError::with_data(ErrorCode::UnknownBlock, number))?;
        let tree = &index.tree;
        let leaf = tree
            .find_leaf(segment.start())
            .and_then(|i| tree.leaves().get(i))
            .copied()
            .ok_or_else(|| ApiError::new(ErrorCode::RangeSpansLeaves))?;
        if segment.end() > leaf.end() {
            return Err(ApiError::with_data(
                ErrorCode::RangeSpansLeaves,
                serde_json::json!({ "leafStart": leaf.start, "leafEnd": leaf.end() }),
            ));
        }
        let tx_root = header.tx_root;
        if leaf.is_null() {
            let proof = tree
                .prove_exclusion(segment)
                .map_err(|e| ApiError::with_data(ErrorCode::RangeSpansLeaves, e.code()))?;
            return Ok(RangeProof::Exclusion {
                block: number,
                tx_root,
                proof,
            });
        }
        let proof = tree
            .prove_inclusion(segment, leaf.hash)
            .map_err(|e| ApiError::with_data(ErrorCode::RangeSpansLeaves, e.code()))?;
        let tx_index = *index
            .positions
            .get(&leaf.hash)
            .ok_or_else(|| internal(&Error::Internal("leaf without transaction".into())))?;
        let (tx_id, transaction) = self
            .shared
            .store
            .block_tx(number, tx_index)
            .map_err(|e| internal(&e.into()))?
            .ok_or_else(|| internal(&Error::Internal("missing block transaction".into())))?;
        Ok(RangeProof::Inclusion {
            block: number,
            tx_root,
            tx_index,
            tx_id,
            transaction,
            proof,
        })
    }
}

#[async_trait]
impl DebyeApiServer for Api {
    async fn submit_transaction(&self, transaction: SignedTransaction) -> RpcResult<SubmitResult> {
        let tx_id = crate::node::submit(&self.shared, &self.commands, transaction).await?;
        Ok(SubmitResult { tx_id })
    }

    async fn transaction_status(&self, tx_id: B256) -> RpcResult<TxStatusView> {
        let status = self
            .shared
            .store
            .tx_status(tx_id)
            .map_err(|e| internal(&e.into()))?;
        Ok(match status {
            None => TxStatusView::Unknown,
            Some(TxStatus::Pending { .. }) => TxStatusView::Pending,
            Some(TxStatus::Included { block, index }) => TxStatusView::Included {
                block,
                tx_index: index,
                l1_committed: self.committed(block),
            },
            Some(TxStatus::Dropped { reason }) => TxStatusView::Dropped {
                reason: match reason {
                    DropReason::Expired => "expired",
                    DropReason::Exited => "exited",
                    DropReason::Forced => "forced",
                }
                .into(),
            },
        })
    }

    async fn block_by_number(&self, number: u64) -> RpcResult<Option<BlockView>> {
        Ok(self.block(number).map_err(|e| internal(&e))?)
    }

    async fn block_by_hash(&self, hash: B256) -> RpcResult<Option<BlockView>> {
        let number = self
            .shared
            .store
            .block_number(hash)
            .map_err(|e| internal(&e.into()))?;
        match number {
            Some(n) => Ok(self.block(n).map_err(|e| internal(&e))?),
            None => Ok(None),
        }
    }

    async fn header(&self, number: Option<u64>) -> RpcResult<Option<HeaderView>> {
        let number = match number {
            Some(n) => n,
            None => match self.shared.tip() {
                Some(h) => h.number,
                None => return Ok(None),
            },
        };
        let Some(header) = self
            .shared
            .store
            .header(number)
            .map_err(|e| internal(&e.into()))?
        else {
            return Ok(None);
        };
        let tx_count = self
            .shared
            .block_index(number)
            .map_err(|e| internal(&e))?
            .map_or(0, |i| u32::try_from(i.positions.len()).unwrap_or(u32::MAX));
        Ok(Some(HeaderView {
            hash: header.hash(),
            header,
            tx_count,
            l1_committed: self.committed(number),
        }))
    }

    async fn accumulator(&self, height: Option<u64>) -> RpcResult<Option<AccumulatorView>> {
        let acc =
            self.shared.accumulator.as_ref().ok_or_else(|| {
                ApiError::with_data(ErrorCode::Unavailable, "accumulator disabled")
            })?;
        let m = height.unwrap_or_else(|| acc.height());
        Ok(acc.value(m).map(|(value, committed_in)| AccumulatorView {
            height: m,
            value: Group::rsa2048().encode(&value).into(),
            committed_in,
        }))
    }

    async fn accumulator_exclusion(
        &self,
        segment: Segment,
        from: u64,
        to: u64,
    ) -> RpcResult<AccumulatorSpan> {
        let acc =
            self.shared.accumulator.clone().ok_or_else(|| {
                ApiError::with_data(ErrorCode::Unavailable, "accumulator disabled")
            })?;
        // Proving takes ~3 squarings per bit of the span's exponent: off the async threads.
        let answer = tokio::task::spawn_blocking(move || acc.prove_exclusion(&segment, from, to))
            .await
            .map_err(|e| ApiError::with_data(ErrorCode::Internal, e.to_string()))?
            .map_err(|e| internal(&e))?;
        let group = Group::rsa2048();
        match answer {
            Ok(p) => Ok(AccumulatorSpan {
                segment,
                from: p.from,
                to: p.to,
                value_from: group.encode(&p.value_from).into(),
                value_to: group.encode(&p.value_to).into(),
                header_from: p.header_from,
                header_to: p.header_to,
                proof: p
                    .proof
                    .to_bytes(group)
                    .map_err(|e| ApiError::with_data(ErrorCode::Internal, e.to_string()))?
                    .into(),
            }),
            Err(SpanRefusal::Touched) => Err(ApiError::new(ErrorCode::RangeTouched).into()),
            Err(SpanRefusal::NoCommittedSpan) => Err(ApiError::with_data(
                ErrorCode::UnknownBlock,
                serde_json::json!({ "from": from, "to": to, "reason": "no committed accumulator span inside" }),
            )
            .into()),
            Err(SpanRefusal::TooLarge(bits)) => Err(ApiError::with_data(
                ErrorCode::SpanTooLarge,
                serde_json::json!({ "exponentBits": bits, "maxExponentBits": MAX_SPAN_EXPONENT_BITS }),
            )
            .into()),
        }
    }

    async fn range_proof(&self, number: u64, segment: Segment) -> RpcResult<RangeProof> {
        Ok(self.proof(number, &segment)?)
    }

    async fn range_history(
        &self,
        segment: Segment,
        from: u64,
        to: u64,
    ) -> RpcResult<Vec<RangeProof>> {
        if to < from || to - from >= MAX_HISTORY_SPAN {
            return Err(ApiError::with_data(
                ErrorCode::SpanTooLarge,
                serde_json::json!({ "max": MAX_HISTORY_SPAN }),
            )
            .into());
        }
        let tip = self.shared.tip().map_or(0, |h| h.number);
        if from == 0 || from > tip {
            return Err(ApiError::with_data(ErrorCode::UnknownBlock, from).into());
        }
        let mut out = Vec::new();
        for n in from..=to.min(tip) {
            out.push(self.proof(n, &segment)?);
        }
        Ok(out)
    }

    async fn ranges_owned_by(&self, owner: Address) -> RpcResult<Vec<OwnedRange>> {
        let ledger = self
            .shared
            .ledger
            .read()
            .map_err(|_| ApiError::new(ErrorCode::Internal))?;
        Ok(ledger
            .owned_by(owner)
            .into_iter()
            .map(|(segment, origin, pending_spend)| OwnedRange {
                segment,
                origin: match origin {
                    Origin::Deposit { block } => RangeOrigin {
                        block_index: block,
                        tx_index: debye_primitives::tx::DEPOSIT_TX_INDEX,
                        output_index: 0,
                    },
                    Origin::Tx {
                        block,
                        tx_index,
                        output_index,
                    } => RangeOrigin {
                        block_index: block,
                        tx_index,
                        output_index,
                    },
                },
                pending_spend,
            })
            .collect())
    }

    async fn chain_status(&self) -> RpcResult<ChainStatus> {
        Ok(self.shared.status())
    }

    async fn health(&self) -> RpcResult<String> {
        if self.shared.accepting.load(Ordering::Relaxed) {
            Ok("ok".into())
        } else {
            Err(ApiError::new(ErrorCode::Unavailable).into())
        }
    }
}

/// Starts the HTTP JSON-RPC server with the configured limits.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    commands: mpsc::Sender<Command>,
) -> Result<(ServerHandle, SocketAddr)> {
    let limits = &shared.config.rpc;
    let config = ServerConfig::builder()
        .max_request_body_size(limits.max_request_bytes)
        .max_response_body_size(limits.max_response_bytes)
        .max_connections(limits.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(limits.max_batch))
        .http_only()
        .build();
    let server = Server::builder()
        .set_config(config)
        .build(shared.config.rpc_addr)
        .await?;
    let addr = server.local_addr()?;
    let handle = server.start(Api { shared, commands }.into_rpc());
    Ok((handle, addr))
}
