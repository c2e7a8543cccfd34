//! The JSON-RPC API: `debye-rpc-api`'s trait implemented over the node's state, behind the
//! parameter gate ([`strict`]); domain errors become wire errors in [`convert`] only. The HTTP
//! front that serves it is `crate::http`.

mod convert;
mod strict;

pub(crate) use strict::StrictLayer;

use std::sync::Arc;

use alloy_primitives::{Address, B256};
use debye_accumulator::Group;
use debye_primitives::{Segment, ShieldedEntry, ShieldedSection, SignedTransaction};
use debye_rpc_api::{
    ApiError, DISCOVER, DebyeApiServer, ErrorCode, MAX_HISTORY_SPAN, OPENRPC,
    types::{
        AccumulatorSpan, AccumulatorView, BlockView, ChainStatus, HeaderView, NoteFrontierView,
        OwnedRange, RangeProof, ShieldedStatusView, ShieldedSubmitResult, ShieldedTransfer,
        SubmitResult, TxStatusView,
    },
};
use debye_storage::{ShieldedDropReason, ShieldedStatus, TxStatus};
use jsonrpsee::{
    core::{RpcResult, async_trait},
    server::{
        BatchRequestConfig, Methods, Server, ServerConfig, TowerServiceBuilder,
        middleware::rpc::RpcServiceBuilder,
    },
};
use serde_json::value::RawValue;
use tower::layer::util::{Identity, Stack};

use crate::{
    Error, Result,
    accumulator::{MAX_SPAN_EXPONENT_BITS, SpanRefusal},
    command::Commands,
    shielded::{Submission, submission::BlockEntry, tree::NoteTree},
    state::NodeState,
};

/// The RPC middleware stack ([`StrictLayer`]) the HTTP front builds jsonrpsee's service with.
pub(crate) type RpcLayers = Stack<StrictLayer, Identity>;

/// The API implementation.
pub(crate) struct Api {
    state: Arc<NodeState>,
    commands: Commands,
}

fn internal(e: &Error) -> ApiError {
    e.to_api()
}

impl Api {
    fn committed(&self, number: u64) -> bool {
        self.state.is_committed(number)
    }

    fn block(&self, number: u64) -> Result<Option<BlockView>> {
        let Some(header) = self.state.store().header(number)? else {
            return Ok(None);
        };
        let txs = self.state.store().block_txs(number)?;
        let (tx_ids, transactions) = txs.into_iter().unzip();
        Ok(Some(BlockView {
            hash: header.hash(),
            header,
            tx_ids,
            transactions,
            shielded: self.section(number)?,
            l1_committed: self.committed(number),
        }))
    }

    /// Block `number`'s shielded section as stored (entries with their ciphertexts).
    fn section(&self, number: u64) -> Result<ShieldedSection> {
        let rows = self.state.store().block_shielded(number)?;
        let entries = rows
            .iter()
            .map(|r| {
                let e = BlockEntry::decode(&r.data)
                    .map_err(|e| Error::Internal(format!("stored entry of block {number}: {e}")))?;
                Ok(ShieldedEntry {
                    entry: e.entry,
                    ciphertexts: e.ciphertexts,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ShieldedSection::new(entries))
    }

    fn shielded_status_of(&self, id: B256) -> Result<ShieldedStatusView> {
        Ok(match self.state.store().shielded_status(id)? {
            None => ShieldedStatusView::Unknown,
            Some(ShieldedStatus::Pending { .. }) => ShieldedStatusView::Pending,
            Some(ShieldedStatus::Dropped { reason }) => ShieldedStatusView::Dropped {
                reason: match reason {
                    ShieldedDropReason::Expired => "expired",
                    ShieldedDropReason::Exited => "exited",
                }
                .into(),
            },
            Some(ShieldedStatus::Included { block, index }) => {
                let rows = self.state.store().block_shielded(block)?;
                let entry = rows
                    .get(index as usize)
                    .and_then(|r| BlockEntry::decode(&r.data).ok())
                    .ok_or_else(|| Error::Internal(format!("entry {index} of block {block}")))?;
                ShieldedStatusView::Included {
                    block,
                    index,
                    leaf: entry.entry.leaf(),
                    first_leaf: entry.entry.head.first_leaf,
                    l1_committed: self.committed(block),
                }
            }
        })
    }

    fn proof(&self, number: u64, segment: &Segment) -> Result<RangeProof, ApiError> {
        let header = self
            .state
            .store()
            .header(number)
            .map_err(|e| internal(&e.into()))?
            .ok_or_else(|| ApiError::with_data(ErrorCode::UnknownBlock, number))?;
        let index = self
            .state
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
            .state
            .store()
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

/// Refuses a block span that ends before it starts, saying so (rather than "too large").
fn reversed(from: u64, to: u64) -> Result<(), ApiError> {
    if from > to {
        return Err(ApiError::with_data(
            ErrorCode::ReversedSpan,
            serde_json::json!({
                "from": from,
                "to": to,
                "hint": "`from` is the first block of the span and `to` the last: swap them",
            }),
        ));
    }
    Ok(())
}

#[async_trait]
impl DebyeApiServer for Api {
    async fn submit_transaction(&self, transaction: SignedTransaction) -> RpcResult<SubmitResult> {
        let tx_id = self
            .commands
            .submit(&self.state, transaction)
            .await
            .map_err(ApiError::from)?;
        Ok(SubmitResult { tx_id })
    }

    async fn transaction_status(&self, tx_id: B256) -> RpcResult<TxStatusView> {
        let status = self
            .state
            .store()
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
                reason: convert::drop_reason(reason).into(),
            },
        })
    }

    async fn block_by_number(&self, number: u64) -> RpcResult<Option<BlockView>> {
        Ok(self.block(number).map_err(|e| internal(&e))?)
    }

    async fn block_by_hash(&self, hash: B256) -> RpcResult<Option<BlockView>> {
        let number = self
            .state
            .store()
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
            None => match self.state.tip() {
                Some(h) => h.number,
                None => return Ok(None),
            },
        };
        let Some(header) = self
            .state
            .store()
            .header(number)
            .map_err(|e| internal(&e.into()))?
        else {
            return Ok(None);
        };
        let tx_count = self
            .state
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
        let acc = self
            .state
            .accumulator()
            .ok_or_else(|| ApiError::with_data(ErrorCode::Unavailable, "accumulator disabled"))?;
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
        reversed(from, to)?;
        let acc =
            self.state.accumulator().cloned().ok_or_else(|| {
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
        reversed(from, to)?;
        if to - from >= MAX_HISTORY_SPAN {
            return Err(ApiError::with_data(
                ErrorCode::SpanTooLarge,
                serde_json::json!({ "max": MAX_HISTORY_SPAN }),
            )
            .into());
        }
        let tip = self.state.tip().map_or(0, |h| h.number);
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
            .state
            .ledger()
            .map_err(|_| ApiError::new(ErrorCode::Internal))?;
        Ok(ledger
            .owned_by(owner)
            .into_iter()
            .map(|(segment, origin, pending_spend)| OwnedRange {
                segment,
                origin: convert::range_origin(origin),
                pending_spend,
            })
            .collect())
    }

    async fn chain_status(&self) -> RpcResult<ChainStatus> {
        Ok(self.state.status())
    }

    async fn health(&self) -> RpcResult<String> {
        if self.state.is_accepting() {
            Ok("ok".into())
        } else {
            Err(ApiError::new(ErrorCode::Unavailable).into())
        }
    }

    async fn submit_shielded(&self, transfer: ShieldedTransfer) -> RpcResult<ShieldedSubmitResult> {
        let sub = Submission {
            body: transfer.body,
            nullifiers: transfer.nullifiers,
            commitments: transfer.commitments,
            ciphertexts: transfer.ciphertexts,
        };
        let id = self
            .commands
            .submit_shielded(&self.state, sub)
            .await
            .map_err(ApiError::from)?;
        let status = self.shielded_status_of(id).map_err(|e| internal(&e))?;
        Ok(ShieldedSubmitResult { id, status })
    }

    async fn shielded_status(&self, id: B256) -> RpcResult<ShieldedStatusView> {
        Ok(self.shielded_status_of(id).map_err(|e| internal(&e))?)
    }

    async fn note_tree_frontier(&self, number: Option<u64>) -> RpcResult<Option<NoteFrontierView>> {
        let block = number.unwrap_or_else(|| self.state.tip_number());
        let Some(frontier) = self
            .state
            .store()
            .note_frontier(block)
            .map_err(|e| internal(&e.into()))?
        else {
            return Ok(None);
        };
        let tree = NoteTree::from_frontier(&frontier)
            .map_err(|e| internal(&Error::Internal(e.to_string())))?;
        Ok(Some(NoteFrontierView {
            block,
            count: frontier.count,
            root: tree.header_root(),
            nodes: frontier.nodes,
        }))
    }
}

/// The JSON-RPC service with the configured limits: the API module (with `rpc.discover`) and the
/// builder that puts it behind [`StrictLayer`]. `crate::http`'s front serves them (connection
/// caps, read timeouts, `GET /health`, CORS).
pub(crate) fn service(
    state: &Arc<NodeState>,
    commands: Commands,
) -> Result<(TowerServiceBuilder<RpcLayers, Identity>, Methods)> {
    let limits = &state.config().rpc;
    let config = ServerConfig::builder()
        .max_request_body_size(limits.max_request_bytes)
        .max_response_body_size(limits.max_response_bytes)
        .max_connections(limits.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(limits.max_batch))
        .http_only()
        .build();
    let strict = StrictLayer {
        metrics: state.metrics().clone(),
    };
    let builder = Server::builder()
        .set_config(config)
        .set_rpc_middleware(RpcServiceBuilder::new().layer(strict))
        .to_service_builder();
    let mut module = Api {
        state: state.clone(),
        commands,
    }
    .into_rpc();
    let openrpc = RawValue::from_string(OPENRPC.to_owned())
        .map_err(|e| Error::Internal(format!("docs/openrpc.json: {e}")))?;
    module
        .register_method(DISCOVER, move |_, _, _| RpcResult::Ok(openrpc.clone()))
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok((builder, module.into()))
}
