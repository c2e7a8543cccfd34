//! Every API method with good and bad input; the node keeps serving after each rejection.

use std::time::Duration;

use alloy_primitives::{Address, B256, U256};
use debye_primitives::{
    Input, Output, Segment, SignedTransaction, Transaction,
    test_utils::{test_address, test_key},
};
use debye_rpc_api::{
    DebyeApiClient, ErrorCode, http_client,
    types::{RangeProof, TxStatusView},
};
use serde_json::json;

use crate::helpers::{Harness, api_error, config, expect_code, raw_get, raw_post, wait_committed};

fn seg(a: u64, b: u64) -> Segment {
    Segment::new(U256::from(a), U256::from(b)).unwrap()
}

fn transfer(
    from: u64,
    to: Address,
    input: Input,
    max: u64,
    domain: &debye_primitives::Eip712Domain,
) -> SignedTransaction {
    Transaction {
        inputs: vec![input],
        outputs: vec![Output {
            owner: to,
            segment: input.segment,
        }],
        max_block_index: max,
    }
    .sign(domain, &[test_key(from)])
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_methods_good_and_bad_input() {
    let h = Harness::new().await;
    let mut cfg = config(h.dir.path());
    cfg.rpc.max_request_bytes = 64 * 1024;
    cfg.rpc.max_batch = 8;
    let node = h.start(cfg).await;
    let addr = node.rpc_addr().unwrap();
    let client = http_client(&format!("http://{addr}")).unwrap();
    let domain = node.domain().clone();
    let (alice, bob, carol) = (test_address(1), test_address(2), test_address(3));
    let dep_block = h.deposits[0].blockNumber;

    // Deposits show up in the ownership index.
    let owned = client.ranges_owned_by(alice).await.unwrap();
    assert_eq!(owned.len(), 1);
    assert_eq!(owned[0].segment, seg(0, 1000));
    assert_eq!(owned[0].origin.tx_index, u32::MAX);
    assert!(!owned[0].pending_spend);

    // A valid transfer is accepted; resubmitting it answers the same id.
    let a = transfer(
        1,
        carol,
        Input::deposit(alice, dep_block, seg(0, 10)),
        100,
        &domain,
    );
    let a_id = client.submit_transaction(a.clone()).await.unwrap().tx_id;
    assert_eq!(a_id, a.tx_id(&domain));
    assert_eq!(
        client.submit_transaction(a.clone()).await.unwrap().tx_id,
        a_id
    );
    assert_eq!(
        client.transaction_status(a_id).await.unwrap(),
        TxStatusView::Pending
    );
    assert!(
        client
            .ranges_owned_by(alice)
            .await
            .unwrap()
            .iter()
            .any(|r| r.pending_spend)
    );

    // Conflict: overlapping coins already spent by a pending transaction.
    let b = transfer(
        1,
        bob,
        Input::deposit(alice, dep_block, seg(5, 15)),
        100,
        &domain,
    );
    let err = client.submit_transaction(b).await.unwrap_err();
    let e = api_error(&err);
    assert_eq!(e.code, ErrorCode::Conflict);
    assert_eq!(e.data.unwrap()["conflictsWith"], json!(a_id));

    // Wrong signer: carol signs alice's input.
    let t = Transaction {
        inputs: vec![Input::deposit(alice, dep_block, seg(20, 30))],
        outputs: vec![Output {
            owner: bob,
            segment: seg(20, 30),
        }],
        max_block_index: 100,
    };
    let mut forged = t.sign(&domain, &[test_key(1)]).unwrap();
    forged.transaction.outputs[0].owner = carol; // the signature no longer matches the content
    let err = client.submit_transaction(forged).await.unwrap_err();
    let e = api_error(&err);
    assert_eq!(e.code, ErrorCode::InvalidSignature);
    assert_eq!(e.data.unwrap()["reason"], json!("WrongSigner"));

    // Format rule: outputs do not cover the inputs.
    let bad = Transaction {
        inputs: vec![Input::deposit(alice, dep_block, seg(20, 30))],
        outputs: vec![Output {
            owner: bob,
            segment: seg(20, 29),
        }],
        max_block_index: 100,
    }
    .sign(&domain, &[test_key(1)])
    .unwrap();
    let e = api_error(&client.submit_transaction(bad).await.unwrap_err());
    assert_eq!(
        (e.code, e.data.unwrap()["reason"].clone()),
        (ErrorCode::InvalidTransaction, json!("UnionMismatch"))
    );

    // Expired, unknown coins, wrong owner, wrong origin.
    let expired = transfer(
        1,
        bob,
        Input::deposit(alice, dep_block, seg(20, 30)),
        0,
        &domain,
    );
    expect_code(
        &client.submit_transaction(expired).await.unwrap_err(),
        ErrorCode::TxExpired,
    );
    let unknown = transfer(
        1,
        bob,
        Input::deposit(alice, dep_block, seg(5_000, 5_001)),
        100,
        &domain,
    );
    expect_code(
        &client.submit_transaction(unknown).await.unwrap_err(),
        ErrorCode::CoinsNotOwned,
    );
    let not_hers = transfer(
        1,
        bob,
        Input::deposit(alice, dep_block, seg(1_000, 1_001)),
        100,
        &domain,
    );
    expect_code(
        &client.submit_transaction(not_hers).await.unwrap_err(),
        ErrorCode::CoinsNotOwned,
    );
    let wrong_origin = transfer(
        1,
        bob,
        Input::deposit(alice, dep_block + 7, seg(40, 41)),
        100,
        &domain,
    );
    expect_code(
        &client.submit_transaction(wrong_origin).await.unwrap_err(),
        ErrorCode::CoinsNotOwned,
    );

    // Malformed and mistyped requests over raw HTTP.
    let cases: Vec<(&str, serde_json::Value, i32)> = vec![
        ("debye_submitTransaction", json!([42]), -32602),
        (
            "debye_submitTransaction",
            json!([{"transaction": {}, "signatures": []}]),
            -32602,
        ),
        (
            "debye_submitTransaction",
            json!([{"transaction": a.transaction, "signatures": ["0x1234"]}]),
            -32602,
        ),
        ("debye_transactionStatus", json!(["0x12"]), -32602),
        ("debye_transactionStatus", json!([]), -32602),
        ("debye_blockByNumber", json!(["one"]), -32602),
        ("debye_blockByNumber", json!([-1]), -32602),
        ("debye_blockByHash", json!([1]), -32602),
        ("debye_header", json!(["latest"]), -32602),
        (
            "debye_rangeProof",
            json!([1, {"start": "0x5", "end": "0x5"}]),
            -32602,
        ),
        (
            "debye_rangeHistory",
            json!([{"start": "0x0", "end": "0x1"}]),
            -32602,
        ),
        ("debye_rangesOwnedBy", json!(["not an address"]), -32602),
        (
            "debye_rangeProof",
            json!(["x", {"start": "0x0", "end": "0x1"}]),
            -32602,
        ),
        ("debye_rangeProof", json!({"number": 1}), -32602),
        ("debye_noSuchMethod", json!([]), -32601),
    ];
    for (method, params, expected) in cases {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (_, resp) = raw_post(addr, body.to_string().as_bytes());
        assert_eq!(
            resp["error"]["code"],
            json!(expected),
            "{method} {params}: {resp}"
        );
    }
    let (_, resp) = raw_post(addr, br#"{"jsonrpc":"2.0","id":1,"method":"#);
    assert_eq!(resp["error"]["code"], json!(-32700), "{resp}");
    let (_, resp) = raw_post(addr, br#"[{"foo":1}]"#);
    assert_eq!(resp[0]["error"]["code"], json!(-32600), "{resp}");
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"debye_health","params":["{}"]}}"#,
        "a".repeat(100_000)
    );
    let (status, resp) = raw_post(addr, huge.as_bytes());
    assert!(
        status == 413 || resp["error"]["code"] == json!(-32007),
        "{status} {resp}"
    );
    let batch: Vec<_> = (0..9)
        .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "debye_health"}))
        .collect();
    let (_, resp) = raw_post(addr, serde_json::to_string(&batch).unwrap().as_bytes());
    assert_eq!(resp["error"]["code"], json!(-32010), "{resp}");
    let ok_batch: Vec<_> = (0..8)
        .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "debye_health"}))
        .collect();
    let (_, resp) = raw_post(addr, serde_json::to_string(&ok_batch).unwrap().as_bytes());
    assert_eq!(resp.as_array().map(Vec::len), Some(8), "{resp}");

    // Still serving.
    assert_eq!(client.health().await.unwrap(), "ok");

    // Block production: the pending transfer goes into block 1, which reaches L1.
    assert_eq!(node.flush().await.unwrap(), Some(1));
    let block = client.block_by_number(1).await.unwrap().expect("block 1");
    assert_eq!(block.tx_ids, vec![a_id]);
    assert_eq!(block.header.number, 1);
    assert_eq!(
        client
            .block_by_hash(block.hash)
            .await
            .unwrap()
            .map(|b| b.header),
        Some(block.header)
    );
    assert_eq!(client.block_by_number(2).await.unwrap(), None);
    assert_eq!(
        client.block_by_hash(B256::repeat_byte(1)).await.unwrap(),
        None
    );
    let latest = client.header(None).await.unwrap().expect("latest");
    assert_eq!((latest.hash, latest.tx_count), (block.hash, 1));
    assert_eq!(client.header(Some(9)).await.unwrap(), None);
    wait_committed(&node, 1).await;
    assert_eq!(h.chain.block_hash(1).await.unwrap(), block.hash);
    assert_eq!(
        client.transaction_status(a_id).await.unwrap(),
        TxStatusView::Included {
            block: 1,
            tx_index: 0,
            l1_committed: true
        }
    );
    assert_eq!(
        client
            .transaction_status(B256::repeat_byte(5))
            .await
            .unwrap(),
        TxStatusView::Unknown
    );

    // Proofs: inclusion of the spent range, exclusion of untouched coins; both verify.
    match client.range_proof(1, seg(2, 8)).await.unwrap() {
        RangeProof::Inclusion {
            tx_id,
            proof,
            tx_root,
            transaction,
            ..
        } => {
            assert_eq!(
                (tx_id, tx_root, transaction),
                (a_id, block.header.tx_root, a.clone())
            );
            proof.verify(tx_root, &seg(2, 8), tx_id).unwrap();
        }
        other => panic!("expected inclusion, got {other:?}"),
    }
    match client.range_proof(1, seg(500, 900)).await.unwrap() {
        RangeProof::Exclusion { proof, tx_root, .. } => {
            proof.verify(tx_root, &seg(500, 900)).unwrap()
        }
        other => panic!("expected exclusion, got {other:?}"),
    }
    expect_code(
        &client.range_proof(1, seg(5, 20)).await.unwrap_err(),
        ErrorCode::RangeSpansLeaves,
    );
    expect_code(
        &client.range_proof(7, seg(5, 6)).await.unwrap_err(),
        ErrorCode::UnknownBlock,
    );
    assert_eq!(
        client.range_history(seg(2, 3), 1, 1).await.unwrap().len(),
        1
    );
    expect_code(
        &client.range_history(seg(2, 3), 1, 100).await.unwrap_err(),
        ErrorCode::SpanTooLarge,
    );
    expect_code(
        &client.range_history(seg(2, 3), 3, 2).await.unwrap_err(),
        ErrorCode::SpanTooLarge,
    );
    expect_code(
        &client.range_history(seg(2, 3), 5, 6).await.unwrap_err(),
        ErrorCode::UnknownBlock,
    );

    // Carol now owns [0, 10) created at (1, 0, 0) and can spend part of it; the old deposit
    // input is spent.
    let owned = client.ranges_owned_by(carol).await.unwrap();
    assert_eq!(owned.len(), 1);
    assert_eq!(
        (
            owned[0].origin.block_index,
            owned[0].origin.tx_index,
            owned[0].origin.output_index
        ),
        (1, 0, 0)
    );
    let again = transfer(
        1,
        carol,
        Input::deposit(alice, dep_block, seg(0, 10)),
        100,
        &domain,
    );
    assert_eq!(
        client.submit_transaction(again).await.unwrap().tx_id,
        a_id,
        "same id: idempotent"
    );
    let replay = transfer(
        1,
        bob,
        Input::deposit(alice, dep_block, seg(0, 5)),
        100,
        &domain,
    );
    expect_code(
        &client.submit_transaction(replay).await.unwrap_err(),
        ErrorCode::CoinsNotOwned,
    );
    let onward = Transaction {
        inputs: vec![Input {
            owner: carol,
            block_index: 1,
            tx_index: 0,
            output_index: 0,
            segment: seg(0, 4),
        }],
        outputs: vec![Output {
            owner: bob,
            segment: seg(0, 4),
        }],
        max_block_index: 100,
    }
    .sign(&domain, &[test_key(3)])
    .unwrap();
    client.submit_transaction(onward).await.unwrap();
    assert_eq!(node.flush().await.unwrap(), Some(2));
    assert_eq!(
        client
            .block_by_number(2)
            .await
            .unwrap()
            .unwrap()
            .header
            .prev_hash,
        block.hash
    );

    // Metrics endpoint.
    let page = raw_get(node.metrics_addr().unwrap(), "/metrics");
    assert!(page.contains("debye_txs_accepted_total 2"), "{page}");
    assert!(page.contains("debye_blocks_built_total 2"), "{page}");
    assert!(page.contains("debye_block_build_seconds_count 2"), "{page}");
    assert!(page.contains("debye_mempool_size 0"), "{page}");

    node.shutdown(Duration::from_secs(5)).await.unwrap();
}
