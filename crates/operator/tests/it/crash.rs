//! Crash safety: the `debye-operator` process, on a redb file and a real anvil L1 (which outlives
//! it), is SIGKILLed at random points while transactions arrive and blocks are built and
//! submitted, then restarted — 50 times. Afterwards no accepted transaction is lost or included
//! twice, L1 holds blocks 1..=n exactly once each, in order, and every L1 commitment equals the
//! hash of the stored block, whose transactions rebuild its `txRoot`. The shielded test does the
//! same with shielded transfers over L1 deposits into the real `ShieldedPool`: none lost or
//! included twice, nullifiers durable, the note tree matching every header.

use std::{
    collections::HashSet,
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, U256};
use debye_l1::{
    L1,
    anvil::{DEV_KEYS, dev_accounts},
    pool::ShieldedPoolClient,
};
use debye_primitives::{Block, Input, Segment, tx};
use debye_rpc_api::{
    DebyeApiClient, ErrorCode, HttpClient, http_client, types::ShieldedStatusView,
};
use debye_storage::{RedbStore, Store};
use debye_zk::{merkle::MerkleTree, note::encrypt_note};
use jsonrpsee::core::ClientError;

use crate::{
    crash_proofs as proofs,
    helpers::{AnvilChain, anvil_chain_with, api_error, pay},
    shielded::word,
};

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

    /// Stops the node with SIGTERM and asserts it exits cleanly within 20 s.
    async fn sigterm(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exit after SIGTERM: {status}");
                break;
            }
            assert!(Instant::now() < deadline, "no exit after SIGTERM");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A failed test does not leave its node running.
impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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

/// Writes the node's config into `dir` (store in `dir/data`) for anvil chain `c`: blocks every
/// `interval_ms`, the shielded ledger on when `pool` is given.
fn write_config(
    dir: &std::path::Path,
    c: &AnvilChain,
    interval_ms: u64,
    pool: Option<Address>,
) -> std::path::PathBuf {
    let config = dir.join("operator.toml");
    let shielded = pool.map_or(String::new(), |p| format!("[shielded]\npool = \"{p}\"\n"));
    std::fs::write(
        &config,
        format!(
            r#"data_dir = "{}"
rpc_addr = "127.0.0.1:0"
[block]
interval_ms = {interval_ms}
max_txs = 16
[l1]
backend = "rpc"
url = "{}"
anchor = "{}"
confirmations = 0
poll_interval_ms = 50
recheck_blocks = 8
submit_timeout_ms = 5000
{shielded}"#,
            dir.join("data").display(),
            c.anvil.endpoint(),
            c.chain.address()
        ),
    )
    .unwrap();
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_block_production_loses_nothing() {
    let c = anvil_chain_with(1_000_000).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &c, 25, None);
    let (alice, bob, deposit) = (c.alice, c.bob, c.deposit);
    let domain = tx::domain(c.chain.l1().chain_id().await.unwrap(), c.chain.address());
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
    node.sigterm().await;
    drop(c.anvil);
}

/// Rounds of the shielded crash test (more run while a transfer still waits for an answer).
const SHIELDED_ROUNDS: usize = 8;

/// Crash safety of the shielded ledger (docs/shielded.md S-4.3): real L1 shielded deposits are
/// imported, then each round starts the node, submits the next unanswered transfer (again: a
/// lost answer says nothing about whether it landed) and SIGKILLs the node at a random point
/// while it admits, builds, commits and submits blocks. Blocks come every 200 ms, so a kill often
/// falls between an answer and the block that includes it. After a final restart every transfer
/// is in exactly one block, which the anchor accepted; its nullifiers are in the stored
/// nullifier set, a new spend of its notes is refused as spent, a repeat of it is answered with
/// its id and not included again, and the note tree rebuilt from the blocks' entries matches
/// every header's `noteRoot`/`noteCount` and the stored frontier.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_with_shielded_transfers_loses_and_repeats_nothing() {
    let c = anvil_chain_with(1_000).await;
    let pool = ShieldedPoolClient::of_chain(&c.chain).await.unwrap();
    let chain_id = c.chain.l1().chain_id().await.unwrap();
    let expiry = proofs::expiry(c.chain.l1().timestamp().await.unwrap());
    let (chain_pool, pool_addr) = ((chain_id, pool.address()), pool.address());
    let mut transfers =
        tokio::task::spawn_blocking(move || proofs::transfers(chain_id, pool_addr, expiry, false))
            .await
            .unwrap();
    let mut from_cache = true;

    // Alice's notes, deposited into the real pool on L1 (the node imports them when it starts).
    let alice = proofs::alice();
    let notes = proofs::notes(&alice);
    let depositor = dev_accounts()[0];
    for (i, note) in notes.iter().enumerate() {
        let ct = encrypt_note(note, &alice.address(), [i as u8 + 7; 32]).unwrap();
        let wei = U256::from(note.amount) * U256::from(1_000_000_000u64);
        let d = pool
            .deposit_eth(depositor, word(&note.owner_part()), ct, wei)
            .await
            .unwrap();
        assert_eq!(d.cm, word(&note.commitment()));
    }
    let leaves = proofs::leaves(&notes);

    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &c, 200, Some(chain_pool.1));
    let log = dir.path().join("operator.log");
    let log_len = || std::fs::metadata(&log).map_or(0, |m| m.len() as usize);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("shielded crash test seed {seed}");
    let mut rng = XorShift(seed);

    let mut ids: Vec<Option<B256>> = vec![None; proofs::TRANSFERS];
    let mut round = 0;
    while round < SHIELDED_ROUNDS || ids.iter().any(Option::is_none) {
        assert!(
            round < 4 * SHIELDED_ROUNDS,
            "transfers still unanswered: {ids:?}"
        );
        let from = log_len();
        let mut node = Node::spawn(&config, &log);
        let client = wait_healthy(&mut node, &log, from).await;
        if round == 0 {
            // The deposits' block, committed on L1, is every transfer's `rootBlock`.
            let root_block = deposits_block(&client, leaves.len() as u64).await;
            let hdr = client
                .header(Some(root_block))
                .await
                .unwrap()
                .unwrap()
                .header;
            for t in &mut transfers {
                assert_eq!(t.body.root, U256::from_be_bytes(hdr.note_root.0));
                t.body.root_block = root_block;
            }
        }
        let next = ids.iter().position(Option::is_none);
        let submit = next.map(|k| {
            let (client, t) = (client.clone(), transfers[k].clone());
            tokio::spawn(async move { (k, client.submit_shielded(t).await) })
        });
        tokio::time::sleep(Duration::from_millis(rng.next() % 400)).await;
        node.sigkill();
        if let Some(submit) = submit {
            match submit.await.unwrap() {
                (k, Ok(answer)) => ids[k] = Some(answer.id),
                (_, Err(e)) if from_cache && is_code(&e, ErrorCode::InvalidProof) => {
                    // Proofs cached for an older circuit or key: prove again, go on.
                    let root_block = transfers[0].body.root_block;
                    transfers = tokio::task::spawn_blocking(move || {
                        proofs::transfers(chain_id, pool_addr, expiry, true)
                    })
                    .await
                    .unwrap();
                    for t in &mut transfers {
                        t.body.root_block = root_block;
                    }
                    from_cache = false;
                }
                // The node died mid-request: not answered, submitted again next round.
                (_, Err(e)) => assert!(!matches!(e, ClientError::Call(_)), "refused: {e:?}"),
            }
        }
        round += 1;
    }

    // Restart once more and let everything reach blocks and L1.
    let from = log_len();
    let mut node = Node::spawn(&config, &log);
    let client = wait_healthy(&mut node, &log, from).await;
    let ids: Vec<B256> = ids.into_iter().map(Option::unwrap).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let blocks = loop {
        let s = client.chain_status().await.unwrap();
        let mut included = Vec::new();
        for id in &ids {
            if let ShieldedStatusView::Included { block, .. } =
                client.shielded_status(*id).await.unwrap()
            {
                included.push(block);
            }
        }
        if included.len() == ids.len() && s.tip > 0 && s.l1_committed == s.tip {
            break included;
        }
        assert!(
            Instant::now() < deadline,
            "did not settle: {s:?}, {} of {} included",
            included.len(),
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let tip = client.chain_status().await.unwrap().tip;

    // L1 holds blocks 1..=tip once each, equal to the stored blocks; the tree rebuilt from the
    // entries matches every header; each transfer's nullifiers are spent in exactly one block.
    let events = c.chain.submitted_blocks(0).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.number).collect::<Vec<_>>(),
        (1..=tip).collect::<Vec<_>>(),
        "L1 block numbers skipped or repeated"
    );
    let mut tree = MerkleTree::new();
    let mut spent_in = std::collections::HashMap::new();
    for (n, ev) in (1..=tip).zip(&events) {
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
        for e in block.shielded.entries() {
            let head = &e.entry.head;
            assert_eq!(
                head.first_leaf,
                tree.len(),
                "block {n}: entry off the tree's end"
            );
            tree.append(proofs::fr(head.commitment0)).unwrap();
            tree.append(proofs::fr(head.commitment1)).unwrap();
            for nf in [head.nullifier0, head.nullifier1]
                .into_iter()
                .filter(|nf| !nf.is_zero())
            {
                if let Some(first) = spent_in.insert(nf, n) {
                    panic!("nullifier {nf} spent in blocks {first} and {n}");
                }
            }
        }
        let hdr = &block.header;
        assert_eq!(
            (hdr.note_count, U256::from_be_bytes(hdr.note_root.0)),
            (tree.len(), word(&tree.root())),
            "block {n}: header's note tree"
        );
        block
            .clone()
            .into_block()
            .verify(&tx::domain(chain_id, c.chain.address()))
            .unwrap();
    }
    let frontier = client.note_tree_frontier(Some(tip)).await.unwrap().unwrap();
    assert_eq!(
        (frontier.count, U256::from_be_bytes(frontier.root.0)),
        (tree.len(), word(&tree.root()))
    );
    for ((t, id), block) in transfers.iter().zip(&ids).zip(&blocks) {
        for nf in t.nullifiers {
            assert_eq!(
                spent_in.get(&nf),
                Some(block),
                "transfer {id}'s nullifier {nf}"
            );
        }
        // A repeat is the same entry, already included; a new spend of its notes is refused.
        assert_eq!(client.submit_shielded(t.clone()).await.unwrap().id, *id);
        let mut again = t.clone();
        again.body.ext.nonce = B256::repeat_byte(0xee);
        again.body.ext_data_hash = again.body.ext.hash();
        let err = client.submit_shielded(again).await.unwrap_err();
        assert!(is_code(&err, ErrorCode::NullifierSpent), "{err:?}");
    }
    eprintln!(
        "{} shielded transfers, {tip} blocks, {round} kills",
        ids.len()
    );
    node.sigterm().await;

    // Nothing new after the repeats, and the nullifiers are in the stored set.
    let store = RedbStore::open(dir.path().join("data").join("operator.redb")).unwrap();
    assert_eq!(
        store.tip().unwrap().map(|h| h.number),
        Some(tip),
        "a repeat was included again"
    );
    for (t, block) in transfers.iter().zip(&blocks) {
        for nf in t.nullifiers {
            assert_eq!(
                store.nullifier_block(nf).unwrap(),
                Some(*block),
                "stored nullifier {nf}"
            );
        }
    }
    let stored = store.note_frontier(tip).unwrap().expect("stored frontier");
    assert_eq!(stored.count, tree.len());
    drop(c.anvil);
}

/// The first block whose note tree holds all `leaves` deposit leaves, once it is committed on L1.
async fn deposits_block(client: &HttpClient, leaves: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let s = client.chain_status().await.unwrap();
        for n in 1..=s.l1_committed {
            let hdr = client.header(Some(n)).await.unwrap().unwrap().header;
            if hdr.note_count >= leaves {
                assert_eq!(hdr.note_count, leaves);
                return n;
            }
        }
        assert!(
            Instant::now() < deadline,
            "deposits not imported and committed: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn is_code(err: &ClientError, code: ErrorCode) -> bool {
    matches!(err, ClientError::Call(_)) && api_error(err).code == code
}
