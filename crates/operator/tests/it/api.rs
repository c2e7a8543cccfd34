//! Every API method with good and bad input; the node keeps serving after each rejection.

use std::{
    io::{Read, Write},
    net::SocketAddr,
    time::{Duration, Instant},
};

use alloy_primitives::B256;
use debye_operator::Operator;
use debye_primitives::{
    Input, Output, Transaction,
    test_utils::{test_address, test_key},
};
use debye_rpc_api::{
    DebyeApiClient, ErrorCode, http_client,
    types::{RangeProof, TxStatusView},
};
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

use crate::helpers::{
    Harness, PATIENCE, api_error, code, config, eventually, expect_code, pay, raw_get, raw_post,
    seg, transfer, wait_committed,
};

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
    let owned = client.ranges_owned_by(alice).await.unwrap();
    assert!(owned.iter().any(|r| r.pending_spend));

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
    let mut forged = transfer(
        1,
        bob,
        Input::deposit(alice, dep_block, seg(20, 30)),
        100,
        &domain,
    );
    forged.transaction.outputs[0].owner = carol; // the signature no longer matches the content
    let err = client.submit_transaction(forged).await.unwrap_err();
    let e = api_error(&err);
    assert_eq!(e.code, ErrorCode::InvalidSignature);
    assert_eq!(e.data.unwrap()["reason"], json!("WrongSigner"));

    // Format rule: outputs do not cover the inputs.
    let mut short = pay(Input::deposit(alice, dep_block, seg(20, 30)), bob, 100);
    short.outputs[0].segment = seg(20, 29);
    let bad = short.sign(&domain, &[test_key(1)]).unwrap();
    let e = api_error(&client.submit_transaction(bad).await.unwrap_err());
    assert_eq!(
        (e.code, e.data.unwrap()["reason"].clone()),
        (ErrorCode::InvalidTransaction, json!("UnionMismatch"))
    );

    // Expired, unknown coins, wrong owner, wrong origin.
    let refused = [
        ("expired", dep_block, seg(20, 30), 0, ErrorCode::TxExpired),
        (
            "unknown",
            dep_block,
            seg(5_000, 5_001),
            100,
            ErrorCode::CoinsNotOwned,
        ),
        (
            "not hers",
            dep_block,
            seg(1_000, 1_001),
            100,
            ErrorCode::CoinsNotOwned,
        ),
        (
            "wrong origin",
            dep_block + 7,
            seg(40, 41),
            100,
            ErrorCode::CoinsNotOwned,
        ),
    ];
    for (case, block, coins, max, expected) in refused {
        let tx = transfer(1, bob, Input::deposit(alice, block, coins), max, &domain);
        let err = client.submit_transaction(tx).await.unwrap_err();
        assert_eq!(code(&err), expected.code(), "{case}: {err}");
    }

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
    let e = api_error(&client.range_history(seg(2, 3), 3, 2).await.unwrap_err());
    assert_eq!(e.code, ErrorCode::ReversedSpan, "from > to says so");
    let data = e.data.unwrap();
    assert_eq!(
        (data["from"].clone(), data["to"].clone()),
        (json!(3), json!(2))
    );
    assert!(
        data["hint"].as_str().is_some_and(|h| h.contains("swap")),
        "{data}"
    );
    expect_code(
        &client
            .accumulator_exclusion(seg(2, 3), 9, 4)
            .await
            .unwrap_err(),
        ErrorCode::ReversedSpan,
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

/// Sends `request` (raw HTTP/1.1, the caller's `Connection: close`) and returns the status, the
/// head's lines lowercased, and the body.
fn exchange(addr: SocketAddr, request: &str) -> (u16, String, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_lowercase(), body.to_string())
}

/// A JSON-RPC call by POST with extra header lines (each ending in `\r\n`).
fn post_with(addr: SocketAddr, extra: &str, body: &str) -> (u16, String, String) {
    exchange(
        addr,
        &format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

fn call(addr: SocketAddr, method: &str, params: &serde_json::Value) -> serde_json::Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    raw_post(addr, body.to_string().as_bytes()).1
}

/// Unknown and extra parameters are refused (-32602) instead of ignored; a bad signature `v` is
/// `InvalidSignature` (1002) as docs/formats.md §5 rule 3 names it; in batches too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_are_strict() {
    let (h, node) = Harness::started().await;
    let addr = node.rpc_addr().unwrap();
    let domain = node.domain().clone();
    let dep_block = h.deposits[0].blockNumber;

    // What the parsers would have ignored: `{"num": 1}` used to answer the latest header.
    let refused = [
        ("debye_header", json!({"num": 1})),
        ("debye_header", json!([1, 2])),
        ("debye_header", json!([null, null])),
        ("debye_blockByNumber", json!({"number": 1, "full": true})),
        ("debye_chainStatus", json!([1])),
        ("debye_health", json!({"verbose": true})),
        (
            "debye_rangeHistory",
            json!([{"start": "0x0", "end": "0x1"}, 1, 1, 1]),
        ),
        ("rpc.discover", json!([0])),
    ];
    for (method, params) in refused {
        let resp = call(addr, method, &params);
        assert_eq!(
            resp["error"]["code"],
            json!(-32602),
            "{method} {params}: {resp}"
        );
    }
    let resp = call(addr, "debye_header", &json!({"num": 1}));
    assert_eq!(resp["error"]["data"]["parameter"], json!("num"), "{resp}");
    assert_eq!(
        resp["error"]["data"]["expected"],
        json!(["number"]),
        "{resp}"
    );
    // The declared names and counts still work.
    for (method, params) in [
        ("debye_header", json!({"number": 1})),
        ("debye_header", json!({})),
        ("debye_header", json!([])),
        ("debye_blockByNumber", json!([1])),
        ("debye_health", json!([])),
    ] {
        let resp = call(addr, method, &params);
        assert!(resp.get("result").is_some(), "{method} {params}: {resp}");
    }

    // A signature whose v is neither 27 nor 28, by position and by name.
    let good = transfer(
        1,
        test_address(2),
        Input::deposit(test_address(1), dep_block, seg(0, 10)),
        100,
        &domain,
    );
    let mut wire = serde_json::to_value(&good).unwrap();
    let sig = wire["signatures"][0].as_str().unwrap().to_string();
    for v in ["1d", "00", "1b01"] {
        // 0x1d = 29, 0x00 = 0; the last one makes it 66 bytes (a wrong length stays -32602).
        wire["signatures"][0] = json!(format!("{}{v}", &sig[..sig.len() - 2]));
        let expected = if v.len() == 2 { 1002 } else { -32602 };
        for params in [json!([wire.clone()]), json!({"transaction": wire.clone()})] {
            let resp = call(addr, "debye_submitTransaction", &params);
            assert_eq!(resp["error"]["code"], json!(expected), "v {v}: {resp}");
            if expected == 1002 {
                assert_eq!(resp["error"]["data"]["reason"], json!("InvalidSignature"));
            }
        }
    }
    // Rule order: a malformed transaction is reported before its signature's v.
    wire["signatures"][0] = json!(format!("{}1d", &sig[..sig.len() - 2]));
    let mut broken = wire.clone();
    broken["transaction"]["inputs"][0]["segment"] = json!({"start": "0x5", "end": "0x5"});
    let resp = call(addr, "debye_submitTransaction", &json!([broken]));
    assert_eq!(resp["error"]["code"], json!(-32602), "{resp}");
    assert_eq!(node.status().mempool_size, 0, "nothing was accepted");

    // In a batch each call is judged on its own.
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "debye_health", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "debye_header", "params": {"num": 1}},
        {"jsonrpc": "2.0", "id": 3, "method": "debye_submitTransaction", "params": [wire]},
    ]);
    let (_, resp) = raw_post(addr, batch.to_string().as_bytes());
    let by_id = |id: u64| {
        resp.as_array()
            .and_then(|a| a.iter().find(|r| r["id"] == json!(id)))
            .cloned()
            .unwrap_or_else(|| panic!("no answer {id} in {resp}"))
    };
    assert_eq!(by_id(1)["result"], json!("ok"));
    assert_eq!(by_id(2)["error"]["code"], json!(-32602));
    assert_eq!(by_id(3)["error"]["code"], json!(1002));

    // The well-formed transaction still goes through.
    let client = http_client(&format!("http://{addr}")).unwrap();
    client.submit_transaction(good).await.unwrap();
    node.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// `rpc.discover` serves docs/openrpc.json, `GET /health` answers the node's state, and CORS
/// headers are sent to the configured origins only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_health_and_cors() {
    let (h, node) = Harness::started().await;
    let addr = node.rpc_addr().unwrap();

    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/openrpc.json"
    ))
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let resp = call(addr, "rpc.discover", &json!([]));
    assert_eq!(resp["result"], doc, "rpc.discover answers the document");
    let (_, resp) = raw_post(addr, br#"{"jsonrpc":"2.0","id":7,"method":"rpc.discover"}"#);
    assert_eq!(resp["result"]["openrpc"], doc["openrpc"], "{resp}");

    let (status, head, body) = exchange(
        addr,
        &format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], json!("ok"), "{body}");
    assert_eq!(health["tip"], json!(node.status().tip), "{body}");

    // No origins configured: no CORS headers, for a preflight or a call.
    let preflight = |addr: SocketAddr, origin: &str| {
        exchange(
            addr,
            &format!(
                "OPTIONS / HTTP/1.1\r\nHost: {addr}\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n"
            ),
        )
    };
    let health_call = r#"{"jsonrpc":"2.0","id":1,"method":"debye_health"}"#;
    let (_, head, _) = preflight(addr, "https://wallet.example");
    assert!(!head.contains("access-control-allow-origin"), "{head}");
    let (status, head, _) = post_with(addr, "Origin: https://wallet.example\r\n", health_call);
    assert_eq!(status, 200);
    assert!(!head.contains("access-control-allow-origin"), "{head}");
    node.shutdown(Duration::from_secs(5)).await.unwrap();

    // One origin allowed.
    let mut cfg = config(h.dir.path());
    cfg.rpc.cors_origins = vec!["https://wallet.example".into()];
    let node = h.start(cfg).await;
    let addr = node.rpc_addr().unwrap();
    let (status, head, _) = preflight(addr, "https://wallet.example");
    assert!((200..300).contains(&status), "{head}");
    assert!(
        head.contains("access-control-allow-origin: https://wallet.example"),
        "{head}"
    );
    assert!(head.contains("access-control-allow-methods:"), "{head}");
    assert!(head.contains("post"), "{head}");
    let (status, head, body) = post_with(addr, "Origin: https://wallet.example\r\n", health_call);
    assert_eq!(status, 200, "{body}");
    assert!(
        head.contains("access-control-allow-origin: https://wallet.example"),
        "{head}"
    );
    assert!(body.contains(r#""result":"ok""#), "{body}");
    let (_, head, _) = preflight(addr, "https://evil.example");
    assert!(!head.contains("access-control-allow-origin"), "{head}");
    let (status, head, _) = post_with(addr, "Origin: https://evil.example\r\n", health_call);
    assert_eq!(status, 200, "answered; the browser withholds it");
    assert!(!head.contains("access-control-allow-origin"), "{head}");
    node.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// Raises this process's soft limit on open files to at least `need` (within the hard limit):
/// the stalled-clients test holds 2,000 client sockets besides the server's, and CI shells often
/// start with a soft limit of 1,024.
fn raise_fd_limit(need: u64) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
    if current.is_none_or(|c| c >= need) {
        return;
    }
    assert!(
        maximum.is_none_or(|m| m >= need),
        "this test needs {need} open files; the hard limit is {maximum:?} (raise it, e.g. `ulimit -Hn {need}`)"
    );
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(need),
            maximum,
        },
    )
    .unwrap();
}

/// A TCP connection to `addr` from the loopback address `source` (Linux routes all of 127/8 to
/// the loopback interface, so each is a distinct client address).
async fn connect_from(source: [u8; 4], addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((source, 0))).unwrap();
    tokio::time::timeout(PATIENCE, socket.connect(addr))
        .await
        .expect("connected in time")
        .expect("connected")
}

/// What stalled client `i` sends before it stops: the start of a request head, nothing at all,
/// or a whole head and a body shorter than its `Content-Length`.
fn stall(i: usize, addr: SocketAddr) -> String {
    match i % 8 {
        0 => format!("POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: appl"),
        1 => String::new(),
        _ => format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"jsonrpc\":\"2.0\","
        ),
    }
}

/// Reads until the server closes the connection (EOF or reset); returns what it sent.
async fn until_closed(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads one small JSON answer on a kept-alive connection (until its body's closing brace).
async fn read_answer(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    let read = async {
        while !out.ends_with(b"}") {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(PATIENCE, read)
        .await
        .expect("answered in time");
    String::from_utf8_lossy(&out).to_string()
}

fn counter(node: &Operator, name: &str) -> u64 {
    let page = raw_get(node.metrics_addr().unwrap(), "/metrics");
    page.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} "))?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {page}"))
}

/// Issue 13, finding 6: 2,000 clients that open a request and stall (half a head, nothing, or a
/// body short of its `Content-Length`) do not lock a normal client out: it gets its answer within
/// a second, every time, while they stall. The stalled clients share one address (127.0.0.2), so
/// all but `rpc.max_connections_per_ip` are closed at once, and those are closed once
/// `rpc.read_timeout_ms` passes. (jsonrpsee's own server answered everyone 429 instead, as soon as
/// 1,024 request bodies stalled.) Linux only: other systems route only 127.0.0.1 to loopback.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_clients_do_not_lock_out_others() {
    const STALLED: usize = 2_000;
    raise_fd_limit(STALLED as u64 + 1_024);
    let h = Harness::new().await;
    // The default limits (1,024 connections, 64 per client address), and a read timeout long
    // enough that opening 2,000 connections on a loaded 2-core machine ends well before it, so
    // the normal client's calls provably run while the stalled connections are held (with the
    // default 5 s, a loaded run timed some out before the calls).
    let mut cfg = config(h.dir.path());
    cfg.rpc.read_timeout_ms = 20_000;
    let (per_ip, read_timeout) = (
        cfg.rpc.max_connections_per_ip as u64,
        cfg.rpc_read_timeout(),
    );
    let node = h.start(cfg).await;
    let addr = node.rpc_addr().unwrap();
    let chain_id = node.status().chain_id;

    let mut stalled = Vec::with_capacity(STALLED);
    for i in 0..STALLED {
        let mut s = connect_from([127, 0, 0, 2], addr).await;
        // The server may have closed it already: that is the point.
        let _ = s.write_all(stall(i, addr).as_bytes()).await;
        stalled.push(s);
    }

    // A normal client, each call on a new connection (queued behind the stalled ones if the
    // server has not accepted them all yet), answered within a second.
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let started = Instant::now();
        let client = http_client(&format!("http://{addr}")).unwrap();
        let status = tokio::time::timeout(Duration::from_secs(1), client.chain_status())
            .await
            .expect("answered within 1 s")
            .expect("a JSON-RPC answer");
        assert_eq!(status.chain_id, chain_id);
        slowest = slowest.max(started.elapsed());
    }
    eprintln!("normal client under {STALLED} stalled connections: slowest of 5 calls {slowest:?}");
    assert_eq!(
        counter(&node, "debye_rpc_read_timeouts_total"),
        0,
        "the calls ran while the stalled connections were held"
    );
    let refused_all_but_held =
        async || counter(&node, "debye_rpc_connections_refused_total") >= STALLED as u64 - per_ip;
    assert!(
        eventually(refused_all_but_held).await,
        "the server did not refuse the connections beyond the per-address cap"
    );

    // Every stalled connection is closed by the server: at once or after the read timeout. The
    // stalled bodies are told 408 first.
    let deadline = tokio::time::Instant::now() + read_timeout + PATIENCE;
    let mut told_408 = 0;
    for s in &mut stalled {
        let sent = tokio::time::timeout_at(deadline, until_closed(s))
            .await
            .expect("closed by the server in time");
        told_408 += usize::from(sent.starts_with(b"HTTP/1.1 408"));
    }
    assert!(told_408 > 0, "no stalled body was answered 408");
    assert_eq!(
        counter(&node, "debye_rpc_connections_refused_total")
            + counter(&node, "debye_rpc_read_timeouts_total"),
        STALLED as u64,
        "each stalled connection was refused or timed out"
    );
    drop(stalled);

    // The address's slots came back.
    let mut s = connect_from([127, 0, 0, 2], addr).await;
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"debye_health"}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).await.unwrap();
    let answer = tokio::time::timeout(PATIENCE, until_closed(&mut s))
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&answer).contains(r#""result":"ok""#),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    node.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// Each way of stalling is cut at `rpc.read_timeout_ms`, kept-alive idle connections too, a slow
/// but timely body is answered, and one address's connections beyond its cap are closed at once
/// while other addresses are served.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_requests_are_cut_and_per_address_caps_hold() {
    let h = Harness::new().await;
    let mut cfg = config(h.dir.path());
    cfg.rpc.read_timeout_ms = 1_000;
    cfg.rpc.max_connections_per_ip = 3;
    let node = h.start(cfg).await;
    let addr = node.rpc_addr().unwrap();
    let health = r#"{"jsonrpc":"2.0","id":1,"method":"debye_health"}"#;
    let head = |len: usize| {
        format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
        )
    };

    // 127.0.0.3 stalls three ways and is at its cap: a fourth connection is closed at once.
    let mut silent = connect_from([127, 0, 0, 3], addr).await;
    let mut half_head = connect_from([127, 0, 0, 3], addr).await;
    half_head.write_all(b"POST / HTTP/1.1\r\nHo").await.unwrap();
    let mut short_body = connect_from([127, 0, 0, 3], addr).await;
    short_body
        .write_all(format!("{}{{\"json", head(health.len())).as_bytes())
        .await
        .unwrap();
    // Wait until all three hold their slots (the server accepts in its own time).
    let mut fourth = connect_from([127, 0, 0, 3], addr).await;
    let refused = tokio::time::timeout(Duration::from_millis(500), until_closed(&mut fourth)).await;
    assert_eq!(
        refused.map(|sent| sent.is_empty()),
        Ok(true),
        "the fourth connection from one address is closed at once, unanswered"
    );
    assert_eq!(counter(&node, "debye_rpc_connections_refused_total"), 1);

    // Another address is served meanwhile, and a slow body that arrives in time is answered.
    let mut slow = connect_from([127, 0, 0, 4], addr).await;
    slow.write_all(head(health.len()).as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    slow.write_all(health.as_bytes()).await.unwrap();
    let answer = read_answer(&mut slow).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""result":"ok""#), "{answer}");
    // ...and its kept-alive connection, now idle, is closed after the read timeout.
    let idle = tokio::time::timeout(PATIENCE, until_closed(&mut slow)).await;
    assert_eq!(idle.map(|sent| sent.len()), Ok(0), "closed without a word");

    // The three stalls are cut; the stalled body is told 408.
    for (what, s, status) in [
        ("silent", &mut silent, None),
        ("half a head", &mut half_head, None),
        ("short body", &mut short_body, Some("HTTP/1.1 408")),
    ] {
        let sent = tokio::time::timeout(PATIENCE, until_closed(s))
            .await
            .unwrap_or_else(|_| panic!("{what}: not closed"));
        let sent = String::from_utf8_lossy(&sent).to_string();
        match status {
            Some(s) => assert!(sent.starts_with(s), "{what}: {sent}"),
            None => assert_eq!(sent, "", "{what}"),
        }
    }
    // Three stalled clients; the idle kept-alive connection is not counted as one.
    assert_eq!(counter(&node, "debye_rpc_read_timeouts_total"), 3);

    // 127.0.0.3 has its slots back.
    let mut again = connect_from([127, 0, 0, 3], addr).await;
    again
        .write_all(format!("{}{health}", head(health.len())).as_bytes())
        .await
        .unwrap();
    let answer = read_answer(&mut again).await;
    assert!(answer.contains(r#""result":"ok""#), "{answer}");
    node.shutdown(Duration::from_secs(5)).await.unwrap();
}
