use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    path::Path,
    sync::{
        Arc, Condvar, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use alloy_primitives::{Address, B256, U256};
use debye_l1::{
    EmbeddedL1, RpcL1,
    anvil::{Anvil, DEV_KEYS, dev_accounts},
    contracts::{DebyeChainClient, Deposit},
};
use debye_operator::{Config, DEV_OPERATOR, L1Config, Operator};
use debye_primitives::{
    BlockHeader, Eip712Domain, Input, Output, Segment, SignedTransaction, Transaction,
    test_utils::{test_address, test_key},
};
use debye_rpc_api::{ApiError, DebyeApiClient, ErrorCode, HttpClient, http_client};
use debye_storage::{
    AccumulatorStep, BlockCommit, ChainIdentity, DepositEntry, ExitEntry, L1Events, NoteFrontier,
    PendingShielded, PendingTx, RangeRecord, RedbStore, ShieldedDepositEntry, ShieldedRebuild,
    ShieldedRow, ShieldedStatus, Store, SubmissionState, TxStatus,
};
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

    /// A fresh harness and a node started on it with the test [`config`].
    pub async fn started() -> (Self, Operator) {
        let h = Self::new().await;
        let node = h.start_default().await;
        (h, node)
    }

    /// A node on the test [`config`] in `dir` (the first, or a restart on the same store).
    pub async fn start_default(&self) -> Operator {
        self.start(config(self.dir.path())).await
    }

    pub async fn start(&self, config: Config) -> Operator {
        let node = Operator::start(config, self.chain.clone(), DEV_OPERATOR)
            .await
            .unwrap();
        self.credit(&node).await;
        node
    }

    /// A node on a [`GatedStore`] in `config`'s data dir, and the store's gate.
    pub async fn start_gated(&self, config: Config) -> (Operator, Arc<Gate>) {
        std::fs::create_dir_all(&config.data_dir).unwrap();
        let store = GatedStore::open(&config.store_path());
        let gate = store.gate.clone();
        let node =
            Operator::start_with_store(config, Arc::new(store), self.chain.clone(), DEV_OPERATOR)
                .await
                .unwrap();
        self.credit(&node).await;
        (node, gate)
    }

    async fn credit(&self, node: &Operator) {
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
    }
}

/// The coins `[a, b)`.
pub fn seg(a: u64, b: u64) -> Segment {
    Segment::new(U256::from(a), U256::from(b)).unwrap()
}

/// `input`'s coins paid whole to `to`, valid up to block `max`.
pub fn pay(input: Input, to: Address, max: u64) -> Transaction {
    Transaction {
        inputs: vec![input],
        outputs: vec![Output {
            owner: to,
            segment: input.segment,
        }],
        max_block_index: max,
    }
}

/// [`pay`], signed by test key `from`.
pub fn transfer(
    from: u64,
    to: Address,
    input: Input,
    max: u64,
    domain: &Eip712Domain,
) -> SignedTransaction {
    pay(input, to, max).sign(domain, &[test_key(from)]).unwrap()
}

/// Spends `s` of test key `from`'s deposit (made in L1 block `block`) to `to`, as block `expect`.
pub async fn spend_block(
    node: &Operator,
    from: u64,
    to: Address,
    block: u64,
    s: Segment,
    expect: u64,
) {
    let input = Input::deposit(test_address(from), block, s);
    node.submit(transfer(from, to, input, 1_000, node.domain()))
        .await
        .unwrap();
    assert_eq!(node.flush().await.unwrap(), Some(expect));
}

/// A JSON-RPC client of `node`'s API.
pub fn client_of(node: &Operator) -> HttpClient {
    http_client(&format!("http://{}", node.rpc_addr().unwrap())).unwrap()
}

/// The ranges of `owner` as the node reports them.
pub async fn owned_by(client: &impl DebyeApiClient, owner: Address) -> Vec<Segment> {
    client
        .ranges_owned_by(owner)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.segment)
        .collect()
}

/// A store call a [`Gate`] can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    /// `put_accumulator_step`: the accumulator worker storing a step.
    StepWrite,
    /// `accumulator_step`: an exclusion proof reading the span's products.
    StepRead,
}

/// Holds the next store call of the armed kind inside the store until the test releases it, so
/// that a test can shut the node down while one of its threads is using the store.
#[derive(Debug, Default)]
pub struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    armed: Option<Held>,
    held: bool,
    released: bool,
}

impl Gate {
    /// Holds the next call of kind `call`.
    pub fn arm(&self, call: Held) {
        let mut s = self.state.lock().unwrap();
        *s = GateState {
            armed: Some(call),
            ..GateState::default()
        };
    }

    /// Whether a call is being held now.
    pub fn held(&self) -> bool {
        let s = self.state.lock().unwrap();
        s.held && !s.released
    }

    /// Lets the held call (or the next one, if none is held yet) go on.
    pub fn release(&self) {
        self.state.lock().unwrap().released = true;
        self.changed.notify_all();
    }

    fn pass(&self, call: Held) {
        let mut s = self.state.lock().unwrap();
        if s.armed != Some(call) {
            return;
        }
        s.armed = None;
        s.held = true;
        // Bounded, so that a test that fails before releasing does not leave the thread (and the
        // test's runtime, which waits for it) hanging.
        let (_s, _) = self
            .changed
            .wait_timeout_while(s, 2 * PATIENCE, |s| !s.released)
            .unwrap();
    }
}

/// The operator's real redb store, with a [`Gate`] in front of the accumulator's step calls.
#[derive(Debug)]
pub struct GatedStore {
    inner: RedbStore,
    gate: Arc<Gate>,
}

impl GatedStore {
    pub fn open(path: &Path) -> Self {
        Self {
            inner: RedbStore::open(path).unwrap(),
            gate: Arc::default(),
        }
    }
}

type StoreResult<T> = debye_storage::Result<T>;

/// Forwards each listed [`Store`] method to `self.inner` unchanged.
macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(fn $name(&self, $($arg: $ty),*) -> StoreResult<$ret> {
            self.inner.$name($($arg),*)
        })*
    };
}

impl Store for GatedStore {
    forward! {
        chain_identity() -> Option<ChainIdentity>;
        set_chain_identity(id: &ChainIdentity) -> ();
        accept(txs: &[PendingTx]) -> ();
        pending() -> Vec<PendingTx>;
        next_seq() -> u64;
        commit_block(commit: &BlockCommit) -> ();
        replace_headers(headers: &[BlockHeader]) -> ();
        replace_blocks(headers: &[BlockHeader], sections: &[ShieldedRebuild]) -> ();
        tip() -> Option<BlockHeader>;
        accept_shielded(entries: &[PendingShielded]) -> ();
        pending_shielded() -> Vec<PendingShielded>;
        next_shielded_seq() -> u64;
        nullifier_block(nullifier: alloy_primitives::U256) -> Option<u64>;
        block_shielded(number: u64) -> Vec<ShieldedRow>;
        note_frontier(number: u64) -> Option<NoteFrontier>;
        shielded_status(id: B256) -> Option<ShieldedStatus>;
        shielded_deposit_queue() -> Vec<ShieldedDepositEntry>;
        shielded_exits_imported() -> u32;
        nullifier_exit(nullifier: alloy_primitives::U256) -> Option<u32>;
        header(number: u64) -> Option<BlockHeader>;
        block_number(hash: B256) -> Option<u64>;
        block_txs(number: u64) -> Vec<(B256, SignedTransaction)>;
        block_tx(number: u64, index: u32) -> Option<(B256, SignedTransaction)>;
        tx_status(tx_id: B256) -> Option<TxStatus>;
        ranges() -> Vec<RangeRecord>;
        record_l1_events(events: &L1Events) -> ();
        deposit(start: U256) -> Option<DepositEntry>;
        exits() -> Vec<ExitEntry>;
        l1_cursor() -> Option<u64>;
        submission() -> SubmissionState;
        set_submission(state: &SubmissionState) -> ();
    }
    // The two step calls pass the gate first.
    fn put_accumulator_step(&self, number: u64, step: &AccumulatorStep) -> StoreResult<()> {
        self.gate.pass(Held::StepWrite);
        self.inner.put_accumulator_step(number, step)
    }
    fn accumulator_step(&self, number: u64) -> StoreResult<Option<AccumulatorStep>> {
        self.gate.pass(Held::StepRead);
        self.inner.accumulator_step(number)
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
    anvil_chain_with(1_000).await
}

/// [`anvil_chain`] with a deposit of `wei` instead.
pub async fn anvil_chain_with(wei: u64) -> AnvilChain {
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
    let deposit = chain.deposit_eth(alice, U256::from(wei)).await.unwrap();
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
        let input = Input::deposit(self.alice, self.deposit.blockNumber, segment);
        pay(input, self.bob, 100)
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
