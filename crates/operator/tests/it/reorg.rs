//! An L1 reorg that removes recent commitments (anvil `evm_snapshot` / `evm_revert`) while the
//! node runs: the submitter notices `nextBlock()` went back and commits the same blocks again.

use std::{sync::Arc, time::Duration};

use alloy_primitives::U256;
use debye_l1::contracts::DebyeChainClient;
use debye_operator::Operator;
use debye_primitives::Segment;
use serde_json::json;

use crate::helpers::{PATIENCE, anvil_call, anvil_chain, anvil_config, eventually, wait_committed};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l1_reorg_of_recent_blocks_is_repaired() {
    let c = anvil_chain().await;
    let (rpc, chain, operator, deposit) = (c.rpc, &c.chain, c.operator, &c.deposit);

    let dir = tempfile::tempdir().unwrap();
    // After a reorg the client may wait forever for a receipt (it watches block numbers that
    // went back): the submit timeout is what makes the submitter read the anchor again.
    let cfg = anvil_config(dir.path());
    let endpoint = c.anvil.endpoint();
    let address = chain.address();
    let reconnect: debye_operator::Reconnect<Arc<debye_l1::RpcL1>> = Arc::new(move || {
        let signers = debye_l1::anvil::dev_signers();
        Ok(DebyeChainClient::at(
            Arc::new(debye_l1::RpcL1::connect(&endpoint, signers)?),
            address,
        ))
    });
    std::fs::create_dir_all(dir.path()).unwrap();
    let store = Arc::new(debye_storage::RedbStore::open(cfg.store_path()).unwrap());
    let node = Operator::start_with(cfg, store, chain.clone(), operator, Some(reconnect))
        .await
        .unwrap();
    let deposits = || {
        node.metrics()
            .deposits
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    assert!(
        eventually(async || deposits() == 1).await,
        "deposit not credited within {PATIENCE:?}: {} credited",
        deposits()
    );
    let snapshot = anvil_call(rpc, "evm_snapshot", &json!([]));

    let mut hashes = Vec::new();
    for i in 0..2u64 {
        let segment = Segment::new(
            deposit.start + U256::from(i),
            deposit.start + U256::from(i + 1),
        )
        .unwrap();
        let stx = c.alice_pays_bob(node.domain(), segment);
        node.submit(stx).await.unwrap();
        let n = node.flush().await.unwrap().unwrap();
        wait_committed(&node, n).await;
        hashes.push(chain.block_hash(n).await.unwrap());
    }
    assert_eq!(chain.next_block().await.unwrap(), 3);

    // The reorg drops both commitments.
    assert_eq!(
        anvil_call(rpc, "evm_revert", &json!([snapshot])),
        json!(true)
    );
    assert_eq!(chain.next_block().await.unwrap(), 1);

    let repaired = eventually(async || chain.next_block().await.unwrap() == 3).await;
    assert!(
        repaired,
        "commitments were not resubmitted after the reorg within {PATIENCE:?}: next block {}",
        chain.next_block().await.unwrap()
    );
    assert_eq!(chain.block_hash(1).await.unwrap(), hashes[0]);
    assert_eq!(chain.block_hash(2).await.unwrap(), hashes[1]);
    // The node resubmitted both blocks itself. The anchor shows the second commitment as soon as
    // it is mined, a moment before the submitter reads its receipt and counts it, so wait for
    // the count rather than read it once.
    let attempts = || {
        node.metrics().l1_submit.count()
            + node
                .metrics()
                .l1_submit_failures
                .load(std::sync::atomic::Ordering::Relaxed)
    };
    let counted = eventually(async || attempts() >= 4 && node.status().l1_committed == 2).await;
    assert!(
        counted,
        "expected 4 submission attempts and both blocks committed, saw {} attempts and l1_committed {}",
        attempts(),
        node.status().l1_committed
    );
    node.shutdown(Duration::from_secs(5)).await.unwrap();
}
