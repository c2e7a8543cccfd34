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
    RangeOrigin {
        block_index: origin.block,
        tx_index: origin.tx_index,
        output_index: origin.output_index,
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

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, B256, U256};
    use debye_primitives::Segment;

    use super::*;

    /// The wire form of each refusal, byte for byte (`docs/api.md`'s codes and `data`).
    #[test]
    fn refusals_keep_their_wire_form() {
        let segment = Segment::new(U256::from(1), U256::from(2)).expect("segment");
        let cases: Vec<(Refusal, i32, &str)> = vec![
            (
                Rejection::UnknownCoins { input: 1, segment }.into(),
                1004,
                r#"{"input":1,"reason":"unknown coins"}"#,
            ),
            (
                Rejection::Conflict {
                    input: 0,
                    segment,
                    spent_by: B256::repeat_byte(0x11),
                }
                .into(),
                1005,
                r#"{"conflictsWith":"0x1111111111111111111111111111111111111111111111111111111111111111","input":0}"#,
            ),
            (
                Rejection::Exited { input: 2, segment }.into(),
                1006,
                r#"{"input":2}"#,
            ),
            (
                Rejection::WrongOwner {
                    input: 0,
                    segment,
                    owner: Address::repeat_byte(1),
                    claimed: Address::repeat_byte(2),
                }
                .into(),
                1004,
                r#"{"input":0,"reason":"wrong owner"}"#,
            ),
            (
                Rejection::WrongOrigin {
                    input: 0,
                    segment,
                    origin: Origin::deposit(1),
                    block: 2,
                }
                .into(),
                1004,
                r#"{"input":0,"reason":"spent or wrong origin"}"#,
            ),
            (
                Refusal::Expired {
                    max_block_index: 3,
                    next_block: 4,
                },
                1003,
                r#"{"maxBlockIndex":3,"nextBlock":4}"#,
            ),
        ];
        for (refusal, code, data) in cases {
            let e = ApiError::from(refusal);
            assert_eq!(e.code.code(), code, "{data}");
            assert_eq!(
                serde_json::to_string(&e.data).expect("json"),
                data,
                "{:?}",
                e.code
            );
        }
        for (refusal, code) in [
            (Refusal::Unavailable, ErrorCode::Unavailable),
            (Refusal::Full, ErrorCode::MempoolFull),
            (Refusal::Internal, ErrorCode::Internal),
        ] {
            let e = ApiError::from(refusal);
            assert_eq!((e.code, e.data), (code, None));
        }
    }
}
