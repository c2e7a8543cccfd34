//! Shutdown closes the store: when `Operator::shutdown` returns `Ok`, the store opens again at
//! once, even when the node was shut down while one of its threads was inside the store (the
//! accumulator worker storing a step, an exclusion proof whose client went away reading the
//! span's products); and a store still referenced after shutdown is reported, not passed over.

use std::{
    io::Write,
    net::TcpStream,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use debye_operator::{DEV_OPERATOR, Error, Operator};
use debye_primitives::test_utils::test_address;
use debye_storage::{RedbStore, Store};
use serde_json::json;

use crate::{
    accumulator::wait_height,
    helpers::{Gate, Harness, Held, PATIENCE, client_of, config, eventually, seg, spend_block},
};

/// How long a shutdown that did not wait for the held thread is given to return (it takes
/// milliseconds then); a shutdown that waits cannot return before the release whatever this is.
const EARLY: Duration = Duration::from_secs(2);

/// Shuts `node` down while `gate` holds one of its threads inside the store: shutdown must not
/// return until the thread lets go, and once it returns the store at `path` must open at once.
async fn shut_down_while_held(node: Operator, gate: &Gate, path: &Path) {
    assert!(gate.held(), "no thread is held inside the store");
    let mut shutdown = tokio::spawn(node.shutdown(Duration::from_secs(5)));
    if let Ok(returned) = tokio::time::timeout(EARLY, &mut shutdown).await {
        let reopened = RedbStore::open(path).map(drop);
        gate.release();
        panic!(
            "shutdown returned ({returned:?}) while a thread of the node was inside the store; \
             opening the store then: {reopened:?}"
        );
    }
    gate.release();
    shutdown.await.unwrap().unwrap();
    RedbStore::open(path).expect("the store is closed once shutdown has returned");
}

/// A node on a [`GatedStore`](crate::helpers::GatedStore) in a fresh harness's dir, the store's
/// gate and its path; the harness keeps the dir.
async fn gated_node() -> (Harness, Operator, Arc<Gate>, PathBuf) {
    let h = Harness::new().await;
    let cfg = config(h.dir.path());
    let path = cfg.store_path();
    let (node, gate) = h.start_gated(cfg).await;
    (h, node, gate, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_while_the_accumulator_worker_stores_a_step_closes_the_store() {
    let (h, node, gate, path) = gated_node().await;
    gate.arm(Held::StepWrite);
    let dep = h.deposits[0].blockNumber;
    spend_block(&node, 1, test_address(3), dep, seg(0, 10), 1).await;
    assert!(
        eventually(async || gate.held()).await,
        "the worker did not store block 1's step within {PATIENCE:?}"
    );
    shut_down_while_held(node, &gate, &path).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_while_an_abandoned_exclusion_proof_reads_the_store_closes_it() {
    let (h, node, gate, path) = gated_node().await;
    let client = client_of(&node);
    let dep = h.deposits[0].blockNumber;
    // Header 1 commits height 0 and header 2 height 1: the span (0, 1] reads block 1's step.
    spend_block(&node, 1, test_address(3), dep, seg(0, 10), 1).await;
    wait_height(&client, 1).await;
    spend_block(&node, 1, test_address(3), dep, seg(10, 20), 2).await;
    gate.arm(Held::StepRead);
    // The request goes out on a connection of its own, which is closed while the proof reads the
    // store: the server drops the call, and the proof goes on without anyone waiting for it.
    let mut conn = TcpStream::connect(node.rpc_addr().unwrap()).unwrap();
    let body = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "debye_accumulatorExclusion",
        "params": [seg(1_000, 2_000), 0, 2],
    })
    .to_string();
    write!(
        conn,
        "POST / HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    assert!(
        eventually(async || gate.held()).await,
        "the exclusion proof did not read the store within {PATIENCE:?}"
    );
    drop(conn);
    shut_down_while_held(node, &gate, &path).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_reports_a_store_still_referenced_instead_of_returning_ok() {
    let h = Harness::new().await;
    let cfg = config(h.dir.path());
    std::fs::create_dir_all(&cfg.data_dir).unwrap();
    let path = cfg.store_path();
    let store: Arc<dyn Store> = Arc::new(RedbStore::open(&path).unwrap());
    let node = Operator::start_with_store(cfg, store.clone(), h.chain.clone(), DEV_OPERATOR)
        .await
        .unwrap();
    let err = node.shutdown(Duration::from_secs(5)).await.unwrap_err();
    assert!(
        matches!(err, Error::StoreStillOpen { references: 1 }),
        "expected the kept clone to be reported, got {err}"
    );
    // The clone kept the database open, and it closes with the clone.
    assert!(RedbStore::open(&path).is_err());
    drop(store);
    RedbStore::open(&path).unwrap();
}
