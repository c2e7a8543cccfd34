//! Crash safety: the `debye-operator` process, on a redb file and a real anvil L1 (which outlives
//! it), is SIGKILLed at random points while transactions arrive and blocks are built and
//! submitted, then restarted — 50 times. Afterwards no accepted transaction is lost or included
//! twice, L1 holds blocks 1..=n exactly once each, in order, and every L1 commitment equals the
//! hash of the stored block, whose transactions rebuild its `txRoot`.

use std::{
    collections::HashSet,
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_primitives::{B256, U256};
use debye_l1::{L1, anvil::DEV_KEYS};
use debye_primitives::{Block, Input, Segment, tx};
use debye_rpc_api::{DebyeApiClient, HttpClient, http_client};

use crate::helpers::{anvil_chain_with, pay};

const ROUNDS: usize = 50;

struct Node {
    child: Child,
}

impl Node {
    fn spawn(config: &std::path::Path, log: &std::path::Path) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_debye-operator"))
            .arg("--config")
            .arg(config)
            .env("DEBYE_OPERATOR_KEY", DEV_KEYS[1])
            // JSON lines, with the start line that names the API address (`wait_healthy`).
            .env("RUST_LOG", "warn,debye_operator::node=info")
            .env("DEBYE_LOG_JSON", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        Self { child }
    }

    fn sigkill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// The API address in the node's "operator running" line, among the log lines after byte
/// `from` (what this start of the node wrote).
fn logged_rpc_addr(log: &std::path::Path, from: usize) -> Option<String> {
    let text = std::fs::read(log).ok()?;
    String::from_utf8_lossy(text.get(from..)?)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["fields"]["message"] == "operator running")
        .and_then(|v| v["fields"]["rpc"].as_str().map(str::to_owned))
}

/// Waits until the node started with the log at byte `from` says where it serves (it binds a
/// port of its own choosing, so no other process can hold it) and answers there.
async fn wait_healthy(node: &mut Node, log: &std::path::Path, from: usize) -> HttpClient {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(addr) = logged_rpc_addr(log, from) {
            let client = http_client(&format!("http://{addr}")).unwrap();
            if client.health().await.is_ok() {
                return client;
            }
        }
        if let Ok(Some(status)) = node.child.try_wait() {
            panic!(
                "operator exited with {status}: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "operator did not come up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A small deterministic generator for the kill points (seed printed for reproduction).
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_block_production_loses_nothing() {
    let c = anvil_chain_with(1_000_000).await;
    let (alice, bob, deposit) = (c.alice, c.bob, c.deposit);
    let domain = tx::domain(c.chain.l1().chain_id().await.unwrap(), c.chain.address());

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("operator.toml");
    std::fs::write(
        &config,
        format!(
            r#"data_dir = "{}"
rpc_addr = "127.0.0.1:0"
[block]
interval_ms = 25
max_txs = 16
[l1]
backend = "rpc"
url = "{}"
anchor = "{}"
confirmations = 0
poll_interval_ms = 50
recheck_blocks = 8
submit_timeout_ms = 5000
"#,
            dir.path().join("data").display(),
            c.anvil.endpoint(),
            c.chain.address()
        ),
    )
    .unwrap();
    let log = dir.path().join("operator.log");
    let log_len = || std::fs::metadata(&log).map_or(0, |m| m.len() as usize);

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("crash test seed {seed}");
    let mut rng = XorShift(seed);
    let accepted: Arc<Mutex<Vec<B256>>> = Arc::default();
    let next_coin = Arc::new(AtomicU64::new(0));
    for round in 0..ROUNDS {
        let from = log_len();
        let mut node = Node::spawn(&config, &log);
        let client = wait_healthy(&mut node, &log, from).await;
        if round == 0 {
            // The deposit must be credited before transfers can be accepted.
            let deadline = Instant::now() + Duration::from_secs(60);
            while client.ranges_owned_by(alice).await.unwrap().is_empty() {
                assert!(
                    Instant::now() < deadline,
                    "the operator did not credit the deposit within 60 s"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let mut senders = Vec::new();
        for _ in 0..3 {
            let (client, accepted, next_coin, domain, key) = (
                client.clone(),
                accepted.clone(),
                next_coin.clone(),
                domain.clone(),
                c.key.clone(),
            );
            senders.push(tokio::spawn(async move {
                loop {
                    let i = next_coin.fetch_add(1, Ordering::Relaxed);
                    let start = deposit.start + U256::from(i);
                    let segment = Segment::new(start, start + U256::from(1u8)).unwrap();
                    let input = Input::deposit(alice, deposit.blockNumber, segment);
                    let stx = pay(input, bob, u64::MAX)
                        .sign(&domain, std::slice::from_ref(&key))
                        .unwrap();
                    match client.submit_transaction(stx).await {
                        Ok(r) => accepted.lock().unwrap().push(r.tx_id),
                        Err(_) => break, // the node died mid-request: not accepted
                    }
                }
            }));
        }
        let kill_after = Duration::from_millis(rng.next() % 400);
        tokio::time::sleep(kill_after).await;
        node.sigkill();
        for s in senders {
            let _ = s.await;
        }
    }

    // Restart once more and let everything reach blocks and L1.
    let from = log_len();
    let mut node = Node::spawn(&config, &log);
    let client = wait_healthy(&mut node, &log, from).await;
    // Up to 50 rounds' worth of blocks may still wait for L1, on a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        let s = client.chain_status().await.unwrap();
        if s.mempool_size == 0 && s.tip > 0 && s.l1_committed == s.tip {
            break s;
        }
        assert!(Instant::now() < deadline, "did not settle: {s:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let accepted = accepted.lock().unwrap().clone();
    assert!(
        accepted.len() > ROUNDS,
        "too few accepted transactions to mean anything: {}",
        accepted.len()
    );

    // L1: blocks 1..=tip, each committed exactly once, in order, equal to the stored blocks.
    assert_eq!(c.chain.next_block().await.unwrap(), status.tip + 1);
    let events = c.chain.submitted_blocks(0).await.unwrap();
    let numbers: Vec<u64> = events.iter().map(|e| e.number).collect();
    assert_eq!(
        numbers,
        (1..=status.tip).collect::<Vec<_>>(),
        "L1 block numbers skipped or repeated"
    );
    let mut included = HashSet::new();
    for (n, ev) in (1..=status.tip).zip(&events) {
        let block = client
            .block_by_number(n)
            .await
            .unwrap()
            .expect("stored block");
        assert_eq!(
            c.chain.block_hash(n).await.unwrap(),
            block.hash,
            "L1 commitment of block {n}"
        );
        assert_eq!(ev.headerHash, block.hash);
        Block::transparent(block.header, block.transactions)
            .verify(&domain)
            .unwrap();
        for id in block.tx_ids {
            assert!(included.insert(id), "transaction {id} included twice");
        }
    }
    let lost: Vec<_> = accepted
        .iter()
        .filter(|id| !included.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} accepted transactions lost, e.g. {:?}",
        lost.len(),
        lost.first()
    );
    eprintln!(
        "{} accepted transactions, {} blocks, {ROUNDS} kills",
        accepted.len(),
        status.tip
    );

    // A graceful stop (SIGTERM) exits cleanly.
    let pid = node.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = node.child.try_wait().unwrap() {
            assert!(status.success(), "exit after SIGTERM: {status}");
            break;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(c.anvil);
}
