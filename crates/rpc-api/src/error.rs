//! Every error code of the API, in one place.

use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
use serde::Serialize;

/// The codes the API answers with. Codes and messages are stable: clients match on the code;
/// `data` (when present) adds detail such as the protocol error name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The request body is not JSON (JSON-RPC standard).
    ParseError,
    /// The JSON is not a valid JSON-RPC request (JSON-RPC standard).
    InvalidRequest,
    /// No such method (JSON-RPC standard).
    MethodNotFound,
    /// Parameters missing, extra or of the wrong type or format (JSON-RPC standard).
    InvalidParams,
    /// The server failed (JSON-RPC standard).
    InternalError,
    /// The request body exceeds the server's limit.
    OversizedRequest,
    /// The response would exceed the server's limit (e.g. a huge batch of block requests).
    OversizedResponse,
    /// The batch holds more calls than the server's limit.
    BatchTooLarge,
    /// The transaction breaks a format rule (inputs, outputs, segments, owners).
    InvalidTransaction,
    /// A signature is missing, malformed, high-s or from the wrong signer.
    InvalidSignature,
    /// `maxBlockIndex` is below the number of the next block.
    TxExpired,
    /// An input's coins are not held by its owner at the referenced output or deposit (unknown,
    /// already spent, or wrong owner).
    CoinsNotOwned,
    /// An input overlaps coins a pending transaction already spends (double spend).
    Conflict,
    /// An input's coins exited to L1.
    CoinsExited,
    /// The mempool is full; retry later.
    MempoolFull,
    /// The block does not exist (yet).
    UnknownBlock,
    /// The segment does not fall in one leaf of the block's tree; ask for a smaller segment.
    RangeSpansLeaves,
    /// The requested block span is longer than `MAX_HISTORY_SPAN` (or, for an accumulator
    /// exclusion proof, its exponent is too large).
    SpanTooLarge,
    /// The node is shutting down or not ready.
    Unavailable,
    /// Storage or another internal failure.
    Internal,
    /// The segment was touched in the requested span, so no accumulator exclusion proof exists.
    RangeTouched,
    /// The requested block span ends before it starts (`from > to`).
    ReversedSpan,
    /// A shielded entry breaks a format rule: ciphertext size, a public input at or above `r`,
    /// an `ext` field, a ciphertext hash, `extDataHash`, or two equal nullifiers
    /// (docs/shielded.md S-3.4, S-4.3, S-6.1).
    ShieldedMalformed,
    /// A shielded entry is not a `TRANSFER` with `publicAmount = 0` (S-3.1).
    ShieldedWrongKind,
    /// A shielded entry's `ext.expiry` is outside `[next block time, + MAX_LIFETIME]` (S-8.3).
    ShieldedExpired,
    /// `rootBlock` is unknown or not committed on L1, or `root` is not its non-zero `noteRoot`
    /// (S-4.3).
    UnknownRoot,
    /// A nullifier was spent in a block (S-4.3).
    NullifierSpent,
    /// A nullifier is held by an entry already in the shielded pool (S-4.3).
    NullifierPending,
    /// The proof is malformed (a point off its group, a coordinate too large) or does not
    /// verify (S-4.3, F1).
    InvalidProof,
}

impl ErrorCode {
    /// Every code, in documentation order.
    pub const ALL: [Self; 29] = [
        Self::ParseError,
        Self::InvalidRequest,
        Self::MethodNotFound,
        Self::InvalidParams,
        Self::InternalError,
        Self::OversizedRequest,
        Self::OversizedResponse,
        Self::BatchTooLarge,
        Self::InvalidTransaction,
        Self::InvalidSignature,
        Self::TxExpired,
        Self::CoinsNotOwned,
        Self::Conflict,
        Self::CoinsExited,
        Self::MempoolFull,
        Self::UnknownBlock,
        Self::RangeSpansLeaves,
        Self::SpanTooLarge,
        Self::Unavailable,
        Self::Internal,
        Self::RangeTouched,
        Self::ReversedSpan,
        Self::ShieldedMalformed,
        Self::ShieldedWrongKind,
        Self::ShieldedExpired,
        Self::UnknownRoot,
        Self::NullifierSpent,
        Self::NullifierPending,
        Self::InvalidProof,
    ];

    /// The numeric JSON-RPC code.
    pub const fn code(self) -> i32 {
        match self {
            Self::ParseError => -32700,
            Self::InvalidRequest => -32600,
            Self::MethodNotFound => -32601,
            Self::InvalidParams => -32602,
            Self::InternalError => -32603,
            Self::OversizedRequest => -32007,
            Self::OversizedResponse => -32008,
            Self::BatchTooLarge => -32010,
            Self::InvalidTransaction => 1001,
            Self::InvalidSignature => 1002,
            Self::TxExpired => 1003,
            Self::CoinsNotOwned => 1004,
            Self::Conflict => 1005,
            Self::CoinsExited => 1006,
            Self::MempoolFull => 1007,
            Self::UnknownBlock => 1008,
            Self::RangeSpansLeaves => 1009,
            Self::SpanTooLarge => 1010,
            Self::Unavailable => 1011,
            Self::Internal => 1012,
            Self::RangeTouched => 1013,
            Self::ReversedSpan => 1014,
            Self::ShieldedMalformed => 1015,
            Self::ShieldedWrongKind => 1016,
            Self::ShieldedExpired => 1017,
            Self::UnknownRoot => 1018,
            Self::NullifierSpent => 1019,
            Self::NullifierPending => 1020,
            Self::InvalidProof => 1021,
        }
    }

    /// The stable message.
    pub const fn message(self) -> &'static str {
        match self {
            Self::ParseError => "Parse error",
            Self::InvalidRequest => "Invalid request",
            Self::MethodNotFound => "Method not found",
            Self::InvalidParams => "Invalid params",
            Self::InternalError => "Internal error",
            Self::OversizedRequest => "Request is too big",
            Self::OversizedResponse => "Response is too big",
            Self::BatchTooLarge => "The batch request was too large",
            Self::InvalidTransaction => "invalid transaction",
            Self::InvalidSignature => "invalid signature",
            Self::TxExpired => "transaction expired",
            Self::CoinsNotOwned => "coins not owned",
            Self::Conflict => "conflicting transaction",
            Self::CoinsExited => "coins exited",
            Self::MempoolFull => "mempool full",
            Self::UnknownBlock => "unknown block",
            Self::RangeSpansLeaves => "range spans several leaves",
            Self::SpanTooLarge => "block span too large",
            Self::Unavailable => "node unavailable",
            Self::Internal => "internal error",
            Self::RangeTouched => "range touched in the span",
            Self::ReversedSpan => "block span ends before it starts",
            Self::ShieldedMalformed => "malformed shielded entry",
            Self::ShieldedWrongKind => "shielded entry of the wrong kind",
            Self::ShieldedExpired => "shielded entry expired",
            Self::UnknownRoot => "unknown or stale root",
            Self::NullifierSpent => "nullifier already spent",
            Self::NullifierPending => "nullifier pending in the pool",
            Self::InvalidProof => "invalid proof",
        }
    }

    /// The code with this number, if it is one of ours.
    pub fn from_code(code: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// An API error: a code and optional structured detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The code.
    pub code: ErrorCode,
    /// Detail (e.g. `{"reason": "WrongSigner"}`).
    pub data: Option<serde_json::Value>,
}

impl ApiError {
    /// An error without detail.
    pub const fn new(code: ErrorCode) -> Self {
        Self { code, data: None }
    }

    /// An error with detail.
    pub fn with_data(code: ErrorCode, data: impl Serialize) -> Self {
        Self {
            code,
            data: serde_json::to_value(data).ok(),
        }
    }

    /// Reads an error object answered by the server; `None` for codes that are not ours.
    pub fn from_object(obj: &ErrorObject<'_>) -> Option<Self> {
        let code = ErrorCode::from_code(obj.code())?;
        let data = obj.data().and_then(|d| serde_json::from_str(d.get()).ok());
        Some(Self { code, data })
    }
}

impl From<ApiError> for ErrorObjectOwned {
    fn from(e: ApiError) -> Self {
        ErrorObject::owned(e.code.code(), e.code.message(), e.data)
    }
}

impl From<ErrorCode> for ErrorObjectOwned {
    fn from(c: ErrorCode) -> Self {
        ApiError::new(c).into()
    }
}

/// Errors of this crate's helpers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The HTTP client could not be built (bad URL).
    #[error("cannot build the API client: {0}")]
    Client(String),
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
