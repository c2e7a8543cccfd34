//! Domain types to wire types, in one place: a transaction's [`Refusal`] (with the ledger's
//! [`Rejection`]) and a failed stateless check become the `ApiError` the API answers with (codes
//! and `data` as `docs/api.md` documents them), as reth maps `PoolError` to `RpcPoolError`; a
//! range's origin and a drop reason become their API forms.

use debye_rpc_api::{ApiError, ErrorCode, types::RangeOrigin};
use debye_storage::{DropReason, Origin};
use serde_json::json;

use crate::{ledger::Rejection, mempool::Refusal, shielded::ShieldedRefusal};

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

impl From<ShieldedRefusal> for ApiError {
    /// Every refusal with `data` = `{"reason", "message", "hint"}`: the rule's name, what was
    /// wrong, and what the submitter can do about it (docs/api.md).
    fn from(r: ShieldedRefusal) -> Self {
        use ShieldedRefusal as R;
        let (code, reason, hint): (ErrorCode, &str, String) = match &r {
            R::Unavailable(_) => (
                ErrorCode::Unavailable,
                "Unavailable",
                "retry later, or use an operator that runs the shielded ledger".into(),
            ),
            R::CiphertextSize { expected, .. } => (
                ErrorCode::ShieldedMalformed,
                "CiphertextSize",
                format!("send each note ciphertext as exactly {expected} bytes (S-6.1)"),
            ),
            R::WrongKind { .. } => (
                ErrorCode::ShieldedWrongKind,
                "WrongKind",
                "sign the intent with kind TRANSFER (2); exits start on L1 (S-3.1)".into(),
            ),
            R::NonzeroPublicAmount { .. } => (
                ErrorCode::ShieldedWrongKind,
                "NonzeroPublicAmount",
                "prove with publicAmount 0: value enters by L1 deposit and leaves by L1 exit (S-3.1)".into(),
            ),
            R::NotAField { .. } => (
                ErrorCode::ShieldedMalformed,
                "NotAField",
                "every public input must be below the BN254 scalar modulus r".into(),
            ),
            R::ExtField { field, expected } => (
                ErrorCode::ShieldedMalformed,
                "ExtField",
                format!("set ext.{field} to {expected} and prove again (S-3.4)"),
            ),
            R::Expired { .. } => (
                ErrorCode::ShieldedExpired,
                "Expired",
                "sign a new intent with an expiry after the next block's time".into(),
            ),
            R::ExpiryTooFar { limit, .. } => (
                ErrorCode::ShieldedExpired,
                "ExpiryTooFar",
                format!("choose an expiry at most {limit} (one day past the next block, S-8.3)"),
            ),
            R::CiphertextHash { index } => (
                ErrorCode::ShieldedMalformed,
                "CiphertextHash",
                format!("send the ciphertext whose keccak256 is ext.ctHash{index}"),
            ),
            R::ExtDataHash => (
                ErrorCode::ShieldedMalformed,
                "ExtDataHash",
                "extDataHash must be keccak256(EXT_TAG, ext) mod r of the ext sent".into(),
            ),
            R::UnknownRootBlock { .. } => (
                ErrorCode::UnknownRoot,
                "UnknownRootBlock",
                "prove against the noteRoot of a block the operator has".into(),
            ),
            R::RootBlockNotCommitted { l1_committed, .. } => (
                ErrorCode::UnknownRoot,
                "RootBlockNotCommitted",
                format!("prove against a block committed on L1 (at most {l1_committed}), or wait"),
            ),
            R::RootMismatch { root_block } => (
                ErrorCode::UnknownRoot,
                "RootMismatch",
                format!("root must equal header {root_block}'s noteRoot: refresh your paths"),
            ),
            R::EmptyRoot { .. } => (
                ErrorCode::UnknownRoot,
                "EmptyRoot",
                "that block's note tree is empty: prove against a later block".into(),
            ),
            R::SameNullifier => (
                ErrorCode::ShieldedMalformed,
                "SameNullifier",
                "spend two different notes (or one note and a dummy)".into(),
            ),
            R::NullifierSpent { .. } => (
                ErrorCode::NullifierSpent,
                "NullifierSpent",
                "that note is spent: rescan your notes".into(),
            ),
            R::NullifierExited { .. } => (
                ErrorCode::NullifierSpent,
                "NullifierExited",
                "that note is being exited on L1: rescan your notes".into(),
            ),
            R::PoolDuplicate { .. } => (
                ErrorCode::NullifierPending,
                "PoolDuplicate",
                "an entry spending that note is already pending: wait for its block".into(),
            ),
            R::MalformedProof(_) => (
                ErrorCode::InvalidProof,
                "MalformedProof",
                "send the proof's eight words in verifier order (A.x, A.y, B.x1, B.x0, B.y1, B.y0, C.x, C.y)".into(),
            ),
            R::BadProof => (
                ErrorCode::InvalidProof,
                "BadProof",
                "prove again over exactly the public inputs sent".into(),
            ),
            R::Full => (ErrorCode::MempoolFull, "Full", "retry later".into()),
            R::Internal => (ErrorCode::Internal, "Internal", "retry later".into()),
        };
        ApiError::with_data(
            code,
            json!({ "reason": reason, "message": r.to_string(), "hint": hint }),
        )
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
