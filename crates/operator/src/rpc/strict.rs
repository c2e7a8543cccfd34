//! The API's parameter gate: a jsonrpsee middleware that refuses, before the generated parsers
//! see them, calls those parsers would accept wrongly or answer with the wrong code.

use std::{
    future::Future,
    sync::{Arc, atomic::Ordering},
};

use alloy_primitives::Bytes;
use debye_primitives::{Transaction, tx::SIGNATURE_LEN};
use debye_rpc_api::{ApiError, DISCOVER, check_params, param_names};
use jsonrpsee::{
    server::middleware::rpc::{
        Batch, BatchEntry, BatchEntryErr, MethodResponse, Notification, RpcServiceT,
    },
    types::{ErrorObjectOwned, Request},
};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::value::RawValue;

use super::convert::invalid_tx;
use crate::metrics::Metrics;

/// Refuses, before the generated parsers see them, calls whose parameters these would accept
/// wrongly or answer with the wrong code: unknown names and extra positions (`-32602`, which the
/// parsers would ignore) and a signature `v` other than 27/28 (`1002`; see [`bad_signature_v`]).
#[derive(Clone, Debug)]
pub(crate) struct StrictLayer {
    pub(super) metrics: Arc<Metrics>,
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
    Some(invalid_tx(&debye_primitives::Error::InvalidSignature {
        index,
    }))
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
