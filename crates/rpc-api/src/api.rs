//! The API trait. jsonrpsee generates `DebyeApiServer` and `DebyeApiClient` from it.
#![allow(missing_docs, unreachable_pub)]

use alloy_primitives::{Address, B256};
use debye_primitives::{Segment, SignedTransaction};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};

use crate::types::{
    AccumulatorSpan, AccumulatorView, BlockView, ChainStatus, HeaderView, NoteFrontierView,
    OwnedRange, RangeProof, ShieldedStatusView, ShieldedSubmitResult, ShieldedTransfer,
    SubmitResult, TxStatusView,
};

/// Full names of every method of [`DebyeApi`], in declaration order (checked against
/// `docs/openrpc.json` by a test).
pub const METHODS: [&str; 15] = [
    "debye_submitTransaction",
    "debye_transactionStatus",
    "debye_blockByNumber",
    "debye_blockByHash",
    "debye_header",
    "debye_rangeProof",
    "debye_rangeHistory",
    "debye_rangesOwnedBy",
    "debye_accumulator",
    "debye_accumulatorExclusion",
    "debye_chainStatus",
    "debye_health",
    "debye_submitShielded",
    "debye_shieldedStatus",
    "debye_noteTreeFrontier",
];

/// Parameter names of every method of [`DebyeApi`], in positional order (checked against
/// `docs/openrpc.json` by a test). A call may give fewer (the rest are missing or optional) but
/// never more, and by name only these: see [`crate::check_params`].
pub const PARAMS: [(&str, &[&str]); 15] = [
    ("debye_submitTransaction", &["transaction"]),
    ("debye_transactionStatus", &["txId"]),
    ("debye_blockByNumber", &["number"]),
    ("debye_blockByHash", &["hash"]),
    ("debye_header", &["number"]),
    ("debye_rangeProof", &["number", "segment"]),
    ("debye_rangeHistory", &["segment", "from", "to"]),
    ("debye_rangesOwnedBy", &["owner"]),
    ("debye_accumulator", &["height"]),
    ("debye_accumulatorExclusion", &["segment", "from", "to"]),
    ("debye_chainStatus", &[]),
    ("debye_health", &[]),
    ("debye_submitShielded", &["transfer"]),
    ("debye_shieldedStatus", &["id"]),
    ("debye_noteTreeFrontier", &["number"]),
];

/// The operator's JSON-RPC API (namespace `debye`). See `docs/api.md`.
#[rpc(server, client, namespace = "debye")]
pub trait DebyeApi {
    /// Validates a signed transaction and, when valid, makes it durable and answers its id.
    /// Resubmitting a transaction the operator already accepted answers the same id.
    #[method(name = "submitTransaction")]
    async fn submit_transaction(&self, transaction: SignedTransaction) -> RpcResult<SubmitResult>;

    /// Where a transaction stands (`unknown`, `pending`, `included`, `dropped`).
    #[method(name = "transactionStatus")]
    async fn transaction_status(
        &self,
        #[argument(rename = "txId")] tx_id: B256,
    ) -> RpcResult<TxStatusView>;

    /// A stored block by number, or `null`.
    #[method(name = "blockByNumber")]
    async fn block_by_number(&self, number: u64) -> RpcResult<Option<BlockView>>;

    /// A stored block by header hash, or `null`.
    #[method(name = "blockByHash")]
    async fn block_by_hash(&self, hash: B256) -> RpcResult<Option<BlockView>>;

    /// The header of block `number` (the latest when omitted), or `null`.
    #[method(name = "header")]
    async fn header(&self, number: Option<u64>) -> RpcResult<Option<HeaderView>>;

    /// Inclusion or exclusion proof of `segment` in block `number`.
    #[method(name = "rangeProof")]
    async fn range_proof(&self, number: u64, segment: Segment) -> RpcResult<RangeProof>;

    /// Proofs of `segment` in each block `from..=to` (at most `MAX_HISTORY_SPAN` blocks).
    #[method(name = "rangeHistory")]
    async fn range_history(
        &self,
        segment: Segment,
        from: u64,
        to: u64,
    ) -> RpcResult<Vec<RangeProof>>;

    /// Unspent (and pending-spend) ranges held by `owner` in the operator's ownership index.
    #[method(name = "rangesOwnedBy")]
    async fn ranges_owned_by(&self, owner: Address) -> RpcResult<Vec<OwnedRange>>;

    /// The accumulator value A_m (the newest when `height` is omitted), or `null` beyond the
    /// accumulator's height.
    #[method(name = "accumulator")]
    async fn accumulator(&self, height: Option<u64>) -> RpcResult<Option<AccumulatorView>>;

    /// One exclusion proof that `segment` is untouched over the widest committed span (a, b]
    /// with `from` ≤ a < b ≤ `to`.
    #[method(name = "accumulatorExclusion")]
    async fn accumulator_exclusion(
        &self,
        segment: Segment,
        from: u64,
        to: u64,
    ) -> RpcResult<AccumulatorSpan>;

    /// The chain as the operator sees it.
    #[method(name = "chainStatus")]
    async fn chain_status(&self) -> RpcResult<ChainStatus>;

    /// `"ok"` while the node serves.
    #[method(name = "health")]
    async fn health(&self) -> RpcResult<String>;

    /// Admits a shielded `TRANSFER` (docs/shielded.md S-4.3): checks it, verifies its proof and
    /// makes it durable before answering its id. Resubmitting an admitted entry answers the
    /// same id and its status.
    #[method(name = "submitShielded")]
    async fn submit_shielded(&self, transfer: ShieldedTransfer) -> RpcResult<ShieldedSubmitResult>;

    /// Where a shielded entry stands (`unknown`, `pending`, `included` with its leaf, `dropped`).
    #[method(name = "shieldedStatus")]
    async fn shielded_status(&self, id: B256) -> RpcResult<ShieldedStatusView>;

    /// The note tree's frontier after block `number` (the latest when omitted), so a wallet
    /// extends its paths from whole blocks without asking for a per-leaf path (S-4.4).
    #[method(name = "noteTreeFrontier")]
    async fn note_tree_frontier(&self, number: Option<u64>) -> RpcResult<Option<NoteFrontierView>>;
}
