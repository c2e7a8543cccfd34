use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use alloy_primitives::{Address, U256};
use debye_l1::{
    EmbeddedL1, RpcL1,
    anvil::{Anvil, DEV_KEYS, dev_accounts},
    contracts::{DebyeChainClient, Deposit},
};
use debye_operator::{Config, DEV_OPERATOR, L1Config, Operator};
use debye_primitives::{
    Eip712Domain, Input, Output, Segment, SignedTransaction, Transaction, test_utils::test_address,
};
use debye_rpc_api::{ApiError, ErrorCode};
use jsonrpsee::core::ClientError;
use k256::ecdsa::SigningKey;
use serde_json::json;

pub const DEPLOYER: Address = Address::new([0x0e; 20]);

/// How long a test waits for work the node does in the background (L1 sync, block submission,
/// the accumulator worker) before it fails: generous, because CI runs the tests in parallel with
/// CPU-heavy ones on two cores.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Polls `cond` every 20 ms until it holds (true) or [`PATIENCE`] has passed (false). Callers
/// assert the result, with a message saying what they saw.
pub async fn eventually(cond: impl AsyncFnMut() -> bool) -> bool {
    debye_operator::test_utils::eventually(PATIENCE, cond).await
}

/// Waits until the node has committed block `n` on L1; fails the test after [`PATIENCE`].
pub async fn wait_committed(node: &Operator, n: u64) {
    assert!(
        eventually(async || node.status().l1_committed >= n).await,
        "block {n} not committed on L1 within {PATIENCE:?}: {:?}",
        node.status()
    );
}

/// A node on the embedded L1 with deposits for test keys 1 and 2.
pub struct Harness {
    pub l1: Arc<EmbeddedL1>,
    pub chain: DebyeChainClient<Arc<EmbeddedL1>>,
    pub dir: tempfile::TempDir,
    pub deposits: Vec<Deposit>,
    /// Whether a node has credited the deposits into `dir`'s store (a restarted node finds them
    /// there and does not count them again).
    credited: AtomicBool,
}

pub use debye_operator::test_utils::config;

impl Harness {
    pub async fn new() -> Self {
        let l1 = Arc::new(EmbeddedL1::new());
        let eth = U256::from(10u64).pow(U256::from(18u64));
        l1.fund(DEPLOYER, eth);
        let chain = DebyeChainClient::deploy(l1.clone(), DEPLOYER, DEV_OPERATOR)
            .await
            .unwrap();
        let mut deposits = Vec::new();
        for k in [1u64, 2] {
            l1.fund(test_address(k), eth);
            deposits.push(
                chain
                    .deposit_eth(test_address(k), U256::from(1_000u64))
                    .await
                    .unwrap(),
            );
        }
        Self {
            l1,
            chain,
            dir: tempfile::tempdir().unwrap(),
            deposits,
            credited: AtomicBool::new(false),
        }
    }

    pub async fn start(&self, config: Config) -> Operator {
        let node = Operator::start(config, self.chain.clone(), DEV_OPERATOR)
            .await
            .unwrap();
        // The first node on this store credits both deposits from L1 on its own clock: wait for
        // that. A restarted node has them in its store already.
        if !self.credited.load(Ordering::Relaxed) {
            let deposits = || node.metrics().deposits.load(Ordering::Relaxed);
            assert!(
                eventually(async || deposits() >= 2).await,
                "the deposits were not credited within {PATIENCE:?}: {} of 2",
                deposits()
            );
            self.credited.store(true, Ordering::Relaxed);
        }
        node
    }
}

/// The API error code of a client error.
pub fn code(err: &ClientError) -> i32 {
    match err {
        ClientError::Call(obj) => obj.code(),
        other => panic!("expected a JSON-RPC error, got {other}"),
    }
}

/// The typed API error of a client error.
pub fn api_error(err: &ClientError) -> ApiError {
    match err {
        ClientError::Call(obj) => ApiError::from_object(obj).expect("one of our codes"),
        other => panic!("expected a JSON-RPC error, got {other}"),
    }
}

pub fn expect_code(err: &ClientError, expected: ErrorCode) {
    assert_eq!(code(err), expected.code(), "{err}");
}

/// POSTs `body` as-is and returns the HTTP status and the parsed JSON body.
pub fn raw_post(addr: SocketAddr, body: &[u8]) -> (u16, serde_json::Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer before reading a body it refuses; ignore write errors then.
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let start = body.find(['{', '[']).unwrap_or(body.len());
    let end = body.rfind(['}', ']']).map_or(start, |e| e + 1);
    let json = serde_json::from_str(&body[start..end]).unwrap_or(serde_json::Value::Null);
    (status, json)
}

/// GETs a plain-text page.
pub fn raw_get(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// A real anvil with a fresh anchor, deployed by dev account 0 and operated by dev account 1, and
/// a 1,000-wei deposit by Alice (dev account 2, whose `key` signs) that she pays on to Bob (dev
/// account 3).
pub struct AnvilChain {
    pub anvil: Anvil,
    /// anvil's JSON-RPC address, for [`anvil_call`].
    pub rpc: SocketAddr,
    pub chain: DebyeChainClient<Arc<RpcL1>>,
    pub operator: Address,
    pub alice: Address,
    pub bob: Address,
    pub deposit: Deposit,
    pub key: SigningKey,
}

pub async fn anvil_chain() -> AnvilChain {
    let anvil = Anvil::spawn().unwrap();
    let rpc: SocketAddr = anvil
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let l1 = Arc::new(anvil.l1().unwrap());
    let [deployer, operator, alice, bob] = dev_accounts()[..4].try_into().unwrap();
    let chain = DebyeChainClient::deploy(l1, deployer, operator)
        .await
        .unwrap();
    let deposit = chain
        .deposit_eth(alice, U256::from(1_000u64))
        .await
        .unwrap();
    let key = SigningKey::from_slice(&alloy_primitives::hex::decode(DEV_KEYS[2]).unwrap()).unwrap();
    AnvilChain {
        anvil,
        rpc,
        chain,
        operator,
        alice,
        bob,
        deposit,
        key,
    }
}

impl AnvilChain {
    /// Alice pays coins `segment` of her deposit to Bob, signed (valid up to block 100).
    pub fn alice_pays_bob(&self, domain: &Eip712Domain, segment: Segment) -> SignedTransaction {
        Transaction {
            inputs: vec![Input::deposit(
                self.alice,
                self.deposit.blockNumber,
                segment,
            )],
            outputs: vec![Output {
                owner: self.bob,
                segment,
            }],
            max_block_index: 100,
        }
        .sign(domain, std::slice::from_ref(&self.key))
        .unwrap()
    }
}

/// The node's config in `dir` for anvil: no confirmations, 50 ms polls, and a receipt wait of
/// 1 s before the submitter reads the anchor back.
pub fn anvil_config(dir: &std::path::Path) -> Config {
    let mut cfg = config(dir);
    cfg.l1 = L1Config {
        confirmations: 0,
        poll_interval_ms: 50,
        submit_timeout_ms: 1_000,
        ..Default::default()
    };
    cfg
}

/// Calls anvil's JSON-RPC `method` and returns its result (asserting it is no error).
pub fn anvil_call(addr: SocketAddr, method: &str, params: &serde_json::Value) -> serde_json::Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let (_, resp) = raw_post(addr, body.to_string().as_bytes());
    assert!(resp.get("error").is_none(), "{method}: {resp}");
    resp["result"].clone()
}
