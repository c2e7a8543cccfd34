//! Domain types to wire types, in one place: a transaction's [`Refusal`] (with the ledger's
//! [`Rejection`]) and a failed stateless check become the `ApiError` the API answers with (codes
//! and `data` as `docs/api.md` documents them), as reth maps `PoolError` to `RpcPoolError`; a
//! range's origin and a drop reason become their API forms.

use debye_rpc_api::{ApiError, ErrorCode, types::RangeOrigin};
use debye_storage::{DropReason, Origin};
use serde_json::json;

use crate::{ledger::Rejection, mempool::Refusal};

/// Maps a failed stateless check to the API error.
pub(crate) fn invalid_tx(e: &debye_primitives::Error) -> ApiError {
    let code = match e.code() {
        "SignatureCount"
        | "InvalidSignatureEncoding"
        | "HighS"
        | "InvalidSignature"
        | "WrongSigner" => ErrorCode::InvalidSignature,
        _ => ErrorCode::InvalidTransaction,
    };
    ApiError::with_data(
        code,
        json!({ "reason": e.code(), "message": e.to_string() }),
    )
}

/// Why input `input` cannot be spent: `{"input": input, ..detail}`.
fn input_error(code: ErrorCode, input: usize, detail: serde_json::Value) -> ApiError {
    let mut data = json!({ "input": input });
    if let (Some(obj), serde_json::Value::Object(extra)) = (data.as_object_mut(), detail) {
        obj.extend(extra);
    }
    ApiError {
        code,
        data: Some(data),
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::UnknownCoins { input, .. } => input_error(
                ErrorCode::CoinsNotOwned,
                input,
                json!({ "reason": "unknown coins" }),
            ),
            Rejection::Conflict {
                input, spent_by, ..
            } => input_error(
                ErrorCode::Conflict,
                input,
                json!({ "conflictsWith": spent_by }),
            ),
            Rejection::Exited { input, .. } => {
                input_error(ErrorCode::CoinsExited, input, json!({}))
            }
            Rejection::WrongOwner { input, .. } => input_error(
                ErrorCode::CoinsNotOwned,
                input,
                json!({ "reason": "wrong owner" }),
            ),
            Rejection::WrongOrigin { input, .. } => input_error(
                ErrorCode::CoinsNotOwned,
                input,
                json!({ "reason": "spent or wrong origin" }),
            ),
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Unavailable => ApiError::new(ErrorCode::Unavailable),
            Refusal::Invalid(e) => invalid_tx(&e),
            Refusal::Expired {
                max_block_index,
                next_block,
            } => ApiError::with_data(
                ErrorCode::TxExpired,
                json!({ "maxBlockIndex": max_block_index, "nextBlock": next_block }),
            ),
            Refusal::Rejected(r) => r.into(),
            Refusal::Full => ApiError::new(ErrorCode::MempoolFull),
            Refusal::Internal => ApiError::new(ErrorCode::Internal),
        }
    }
}

/// Where a range was created, as `debye_rangesOwnedBy` names it (a deposit's `txIndex` is
/// [`debye_primitives::tx::DEPOSIT_TX_INDEX`]).
pub(super) fn range_origin(origin: Origin) -> RangeOrigin {
    match origin {
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
    }
}

/// Why a pending transaction was dropped, as `debye_transactionStatus` says it.
pub(super) fn drop_reason(reason: DropReason) -> &'static str {
    match reason {
        DropReason::Expired => "expired",
        DropReason::Exited => "exited",
        DropReason::Forced => "forced",
    }
}
