//! The API's definition against its documents: `docs/openrpc.json` and `docs/api.md` list exactly
//! the trait's methods and error codes.
#![allow(clippy::unwrap_used, missing_docs)]

use alloy_primitives::{Address, B256};
use debye_primitives::{Segment, SignedTransaction};
use debye_rpc_api::{
    DebyeApiServer, ErrorCode, METHODS, OPENRPC, PARAMS,
    types::{
        AccumulatorSpan, AccumulatorView, BlockView, ChainStatus, HeaderView, NoteFrontierView,
        OwnedRange, RangeProof, ShieldedStatusView, ShieldedSubmitResult, ShieldedTransfer,
        SubmitResult, TxStatusView,
    },
};
use jsonrpsee::core::{RpcResult, async_trait};

/// Answers every call with `Unavailable`: only used to list the methods the trait registers.
struct Unavailable;

fn no<T>() -> RpcResult<T> {
    Err(ErrorCode::Unavailable.into())
}

#[async_trait]
impl DebyeApiServer for Unavailable {
    async fn submit_transaction(&self, _: SignedTransaction) -> RpcResult<SubmitResult> {
        no()
    }
    async fn transaction_status(&self, _: B256) -> RpcResult<TxStatusView> {
        no()
    }
    async fn block_by_number(&self, _: u64) -> RpcResult<Option<BlockView>> {
        no()
    }
    async fn block_by_hash(&self, _: B256) -> RpcResult<Option<BlockView>> {
        no()
    }
    async fn header(&self, _: Option<u64>) -> RpcResult<Option<HeaderView>> {
        no()
    }
    async fn range_proof(&self, _: u64, _: Segment) -> RpcResult<RangeProof> {
        no()
    }
    async fn range_history(&self, _: Segment, _: u64, _: u64) -> RpcResult<Vec<RangeProof>> {
        no()
    }
    async fn ranges_owned_by(&self, _: Address) -> RpcResult<Vec<OwnedRange>> {
        no()
    }
    async fn accumulator(&self, _: Option<u64>) -> RpcResult<Option<AccumulatorView>> {
        no()
    }
    async fn accumulator_exclusion(
        &self,
        _: Segment,
        _: u64,
        _: u64,
    ) -> RpcResult<AccumulatorSpan> {
        no()
    }
    async fn chain_status(&self) -> RpcResult<ChainStatus> {
        no()
    }
    async fn health(&self) -> RpcResult<String> {
        no()
    }
    async fn submit_shielded(&self, _: ShieldedTransfer) -> RpcResult<ShieldedSubmitResult> {
        no()
    }
    async fn shielded_status(&self, _: B256) -> RpcResult<ShieldedStatusView> {
        no()
    }
    async fn note_tree_frontier(&self, _: Option<u64>) -> RpcResult<Option<NoteFrontierView>> {
        no()
    }
}

fn doc(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../../docs/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn openrpc_lists_exactly_the_trait_methods() {
    let mut registered: Vec<String> = Unavailable
        .into_rpc()
        .method_names()
        .map(str::to_string)
        .collect();
    registered.sort();
    let mut declared: Vec<String> = METHODS.iter().map(|s| s.to_string()).collect();
    declared.sort();
    assert_eq!(
        registered, declared,
        "METHODS must list what the trait registers"
    );

    let openrpc: serde_json::Value = serde_json::from_str(&doc("openrpc.json")).unwrap();
    let mut documented: Vec<String> = openrpc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect();
    documented.sort();
    assert_eq!(
        documented, registered,
        "docs/openrpc.json methods differ from the trait"
    );

    // Every error code the document uses is one of ours, with our message.
    let errors = openrpc["components"]["errors"].as_object().unwrap();
    assert_eq!(errors.len(), ErrorCode::ALL.len());
    for code in ErrorCode::ALL {
        let e = &errors[&code.code().to_string()];
        assert_eq!(e["code"].as_i64(), Some(i64::from(code.code())), "{code:?}");
        assert_eq!(e["message"].as_str(), Some(code.message()), "{code:?}");
    }
}

#[test]
fn openrpc_params_are_the_strict_parameter_lists() {
    let openrpc: serde_json::Value = serde_json::from_str(&doc("openrpc.json")).unwrap();
    let methods = openrpc["methods"].as_array().unwrap();
    assert_eq!(PARAMS.len(), METHODS.len());
    for (method, names) in PARAMS {
        assert!(METHODS.contains(&method), "{method} is not a method");
        let doc = methods
            .iter()
            .find(|m| m["name"] == method)
            .unwrap_or_else(|| panic!("{method} is not in docs/openrpc.json"));
        let documented: Vec<&str> = doc["params"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(documented, names, "{method}: parameters differ");
    }
    // What rpc.discover serves is the document itself.
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(OPENRPC).unwrap(),
        openrpc
    );
}

#[test]
fn api_md_documents_every_method_and_code() {
    let md = doc("api.md");
    for m in METHODS {
        assert!(
            md.contains(&format!("### `{m}`")),
            "docs/api.md lacks a section for {m}"
        );
    }
    for code in ErrorCode::ALL {
        assert!(
            md.contains(&format!("| {} |", code.code())),
            "docs/api.md lacks code {code:?}"
        );
    }
}

#[test]
fn codes_are_unique_and_round_trip() {
    for code in ErrorCode::ALL {
        assert_eq!(ErrorCode::from_code(code.code()), Some(code));
    }
    let mut codes: Vec<i32> = ErrorCode::ALL.iter().map(|c| c.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), ErrorCode::ALL.len());
    assert_eq!(ErrorCode::from_code(42), None);
}
