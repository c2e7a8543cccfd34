//! The operator's JSON-RPC API (`debye-rpc-api`) as a [`BlockSource`]. The operator is only a
//! relay of data the wallet checks: blocks against their L1 commitments, histories against the
//! safety rule.

use alloy_primitives::B256;
use debye_primitives::{Block, SignedTransaction};
use debye_rpc_api::{
    ApiError, ClientError, DebyeApiClient, ErrorCode, HttpClient,
    types::{BlockView, ShieldedStatusView, ShieldedSubmitResult, ShieldedTransfer},
};

use crate::{
    Error, Result,
    error::ShieldedRefusal,
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

impl RpcSource {
    /// Submits a shielded transfer (`debye_submitShielded`). An error answer is a definite
    /// refusal and comes back as [`Error::ShieldedRefused`] with the operator's reason, message
    /// and hint; a transport failure is [`Error::Operator`] (the entry may have been admitted
    /// before the answer was lost: ask [`Self::shielded_status`]).
    pub async fn submit_shielded(
        &self,
        transfer: &ShieldedTransfer,
    ) -> Result<ShieldedSubmitResult> {
        DebyeApiClient::submit_shielded(&self.client, transfer.clone())
            .await
            .map_err(from_client_error)
    }

    /// Where a shielded entry stands (`debye_shieldedStatus`).
    pub async fn shielded_status(&self, id: B256) -> Result<ShieldedStatusView> {
        DebyeApiClient::shielded_status(&self.client, id)
            .await
            .map_err(|e| Error::Operator(e.to_string()))
    }
}

/// The wire's error answer to a shielded submission (docs/api.md 1015–1021) as the wallet's
/// error: a refusal with the operator's `data = {reason, message, hint}` carried through, or a
/// transport failure.
pub(crate) fn from_client_error(e: ClientError) -> Error {
    let ClientError::Call(obj) = e else {
        return Error::Operator(e.to_string());
    };
    let data = ApiError::from_object(&obj).and_then(|e| e.data);
    let field = |k: &str| {
        data.as_ref()
            .and_then(|d| d.get(k))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    Error::ShieldedRefused {
        refusal: ShieldedRefusal::from_code(obj.code()),
        reason: field("reason").unwrap_or_default(),
        message: field("message").unwrap_or_else(|| obj.message().to_owned()),
        hint: field("hint"),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(code: ErrorCode, data: Option<serde_json::Value>) -> ClientError {
        ClientError::Call(ApiError { code, data }.into())
    }

    #[test]
    fn shielded_refusals_map_to_typed_errors_with_the_operators_hint() {
        let data = serde_json::json!({
            "reason": "RootMismatch",
            "message": "root is not the noteRoot of block 7",
            "hint": "sync and prove against a committed root",
        });
        let e = from_client_error(wire(ErrorCode::UnknownRoot, Some(data)));
        let Error::ShieldedRefused {
            refusal,
            ref reason,
            ref message,
            ..
        } = e
        else {
            panic!("{e:?}");
        };
        assert_eq!(refusal, ShieldedRefusal::UnknownRoot);
        assert_eq!(reason, "RootMismatch");
        assert_eq!(message, "root is not the noteRoot of block 7");
        assert_eq!(e.code(), "ShieldedRefused");
        assert_eq!(
            e.hint().as_deref(),
            Some("sync and prove against a committed root")
        );
        // Every shielded code maps to its own refusal; without data the code's message and the
        // wallet's own hint stand in.
        let codes = [
            (ErrorCode::ShieldedMalformed, ShieldedRefusal::Malformed),
            (ErrorCode::ShieldedWrongKind, ShieldedRefusal::WrongKind),
            (ErrorCode::ShieldedExpired, ShieldedRefusal::Expired),
            (ErrorCode::UnknownRoot, ShieldedRefusal::UnknownRoot),
            (ErrorCode::NullifierSpent, ShieldedRefusal::NullifierSpent),
            (
                ErrorCode::NullifierPending,
                ShieldedRefusal::NullifierPending,
            ),
            (ErrorCode::InvalidProof, ShieldedRefusal::InvalidProof),
            (ErrorCode::MempoolFull, ShieldedRefusal::PoolFull),
            (ErrorCode::Unavailable, ShieldedRefusal::Unavailable),
            (ErrorCode::Internal, ShieldedRefusal::Other(1012)),
        ];
        for (code, want) in codes {
            let e = from_client_error(wire(code, None));
            assert!(
                matches!(&e, Error::ShieldedRefused { refusal, message, hint: None, .. }
                    if *refusal == want && message == code.message()),
                "{code:?}: {e:?}"
            );
            assert_eq!(e.hint().is_some(), want.hint().is_some());
        }
        // A transport failure is not a refusal: the entry may have been admitted.
        let e = from_client_error(ClientError::Custom("connection reset".into()));
        assert!(matches!(e, Error::Operator(_)), "{e:?}");
    }
}
