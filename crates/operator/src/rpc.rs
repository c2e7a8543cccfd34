//! The JSON-RPC server: `debye-rpc-api`'s trait implemented over the node's state.

use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, atomic::Ordering},
};

use alloy_primitives::{Address, B256, Bytes};
use debye_primitives::{Segment, SignedTransaction, Transaction, tx::SIGNATURE_LEN};
use debye_rpc_api::{
    ApiError, DISCOVER, DebyeApiServer, ErrorCode, MAX_HISTORY_SPAN, OPENRPC, check_params,
    param_names,
    types::{
        AccumulatorSpan, AccumulatorView, BlockView, ChainStatus, HeaderView, OwnedRange,
        RangeOrigin, RangeProof, SubmitResult, TxStatusView,
    },
};
use debye_storage::{DropReason, Origin, TxStatus};
use jsonrpsee::{
    core::{RpcResult, async_trait},
    server::{
        BatchRequestConfig, Server, ServerConfig, ServerHandle,
        middleware::rpc::{
            Batch, BatchEntry, BatchEntryErr, MethodResponse, Notification, RpcServiceBuilder,
            RpcServiceT,
        },
    },
    types::{ErrorObjectOwned, Request},
};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::value::RawValue;
use tokio::sync::mpsc;

use debye_accumulator::Group;

use crate::{
    Error, Result,
    accumulator::{MAX_SPAN_EXPONENT_BITS, SpanRefusal},
    metrics::Metrics,
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
        reversed(from, to)?;
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
        reversed(from, to)?;
        if to - from >= MAX_HISTORY_SPAN {
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

/// Refuses, before the generated parsers see them, calls whose parameters these would accept
/// wrongly or answer with the wrong code: unknown names and extra positions (`-32602`, which the
/// parsers would ignore) and a signature `v` other than 27/28 (`1002`; see [`bad_signature_v`]).
#[derive(Clone, Debug)]
pub(crate) struct StrictLayer {
    metrics: Arc<Metrics>,
}

impl<S> tower::Layer<S> for StrictLayer {
    type Service = Strict<S>;

    fn layer(&self, inner: S) -> Strict<S> {
        Strict {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service [`StrictLayer`] wraps around jsonrpsee's.
#[derive(Clone, Debug)]
pub(crate) struct Strict<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S> Strict<S> {
    fn refusal(&self, method: &str, params: Option<&RawValue>) -> Option<ApiError> {
        const NONE: &[&str] = &[];
        let names = param_names(method).or((method == DISCOVER).then_some(NONE))?;
        let params = params.map(RawValue::get);
        if let Err(e) = check_params(names, params) {
            return Some(e);
        }
        if method == "debye_submitTransaction" {
            let e = params.and_then(bad_signature_v)?;
            self.metrics.txs_rejected.fetch_add(1, Ordering::Relaxed);
            return Some(e);
        }
        None
    }
}

impl<S> RpcServiceT for Strict<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Send
        + Sync
        + Clone
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, req: Request<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let refused = self.refusal(req.method_name(), req.params.as_deref());
        let inner = self.inner.clone();
        async move {
            match refused {
                Some(e) => MethodResponse::error(req.id, ErrorObjectOwned::from(e)),
                None => inner.call(req).await,
            }
        }
    }

    fn batch<'a>(&self, mut batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        // jsonrpsee runs a batch's calls past this layer: check each one here.
        for entry in batch.iter_mut() {
            let refused = match entry {
                Ok(BatchEntry::Call(req)) => self
                    .refusal(req.method_name(), req.params.as_deref())
                    .map(|e| (req.id.clone(), e)),
                _ => None,
            };
            if let Some((id, e)) = refused {
                *entry = Err(BatchEntryErr::new(id, e.into()));
            }
        }
        let inner = self.inner.clone();
        async move { inner.batch(batch).await }
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        // A notification gets no answer, so no error either.
        self.inner.notification(n)
    }
}

/// `docs/formats.md` §5 rule 3 names a signature whose `v` is not 27 or 28 `InvalidSignature`
/// (error 1002), but `SignedTransaction`'s wire decoder cannot hold such a signature, so the
/// generated parser would answer `-32602`. This finds that case in `debye_submitTransaction`'s
/// raw params: the rules before it hold (the transaction decodes, rule 1; every signature is 65
/// bytes, rule 2, which `docs/api.md` keeps at `-32602`) and some `v` is bad. `None` otherwise,
/// also for valid params (a cheap first look at the signatures alone decides that).
fn bad_signature_v(params: &str) -> Option<ApiError> {
    #[derive(Deserialize)]
    struct Signatures {
        signatures: Vec<Bytes>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Lenient {
        #[serde(rename = "transaction")]
        _transaction: Transaction,
        #[serde(rename = "signatures")]
        _signatures: Vec<Bytes>,
    }
    let first: Signatures = transaction_param(params)?;
    if first.signatures.iter().any(|s| s.len() != SIGNATURE_LEN) {
        return None;
    }
    let index = first
        .signatures
        .iter()
        .position(|s| !matches!(s[SIGNATURE_LEN - 1], 27 | 28))?;
    let _: Lenient = transaction_param(params)?;
    Some(crate::node::invalid_tx(
        &debye_primitives::Error::InvalidSignature { index },
    ))
}

/// The `transaction` parameter of raw params given by position or by name, read as `T`.
fn transaction_param<T: DeserializeOwned>(params: &str) -> Option<T> {
    #[derive(Deserialize)]
    struct Named<T> {
        transaction: T,
    }
    match params.trim_start().as_bytes().first()? {
        b'[' => serde_json::from_str::<Vec<T>>(params)
            .ok()?
            .into_iter()
            .next(),
        b'{' => serde_json::from_str::<Named<T>>(params)
            .ok()
            .map(|n| n.transaction),
        _ => None,
    }
}

/// Starts the JSON-RPC server with the configured limits: the API module (with `rpc.discover`)
/// behind [`StrictLayer`], served by [`crate::http`]'s front (connection caps, read timeouts,
/// `GET /health`, CORS). The handle stops it.
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
    let strict = StrictLayer {
        metrics: shared.metrics.clone(),
    };
    let builder = Server::builder()
        .set_config(config)
        .set_rpc_middleware(RpcServiceBuilder::new().layer(strict))
        .to_service_builder();
    let mut module = Api {
        shared: shared.clone(),
        commands,
    }
    .into_rpc();
    let openrpc = RawValue::from_string(OPENRPC.to_owned())
        .map_err(|e| Error::Internal(format!("docs/openrpc.json: {e}")))?;
    module
        .register_method(DISCOVER, move |_, _, _| RpcResult::Ok(openrpc.clone()))
        .map_err(|e| Error::Internal(e.to_string()))?;
    crate::http::serve(shared, builder, module.into()).await
}
