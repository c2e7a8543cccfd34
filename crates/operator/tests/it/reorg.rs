//! An L1 reorg that removes recent commitments (anvil `evm_snapshot` / `evm_revert`) while the
//! node runs: the submitter notices `nextBlock()` went back and commits the same blocks again.
//!
//! `evm_revert` also takes anvil's clock back to the snapshot's block, so a header stamped with a
//! later L1 time is one L1 would now refuse (`timestamp <= block.timestamp`): the node re-stamps
//! it, and every later block, before resending (docs/formats.md §7). What survives the reorg is
//! therefore the blocks' numbers, transactions and chain, not necessarily their hashes
//! (docs/api.md: a header may change until it is committed).

use std::{sync::Arc, time::Duration};

use alloy_primitives::U256;
use debye_l1::contracts::DebyeChainClient;
use debye_operator::Operator;
use debye_primitives::{BlockHeader, Segment};
use debye_storage::Store;
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
    let node = Operator::start_with(cfg, store.clone(), chain.clone(), operator, Some(reconnect))
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
    // Move L1's clock well past the snapshot, so that the revert takes it back below the stamps
    // of the blocks built from here on and the resubmission goes through a re-stamp (without
    // this, whether it does depends on how many L1 seconds pass before the revert).
    anvil_call(rpc, "evm_increaseTime", &json!([60]));
    anvil_call(rpc, "evm_mine", &json!([]));

    let mut before = Vec::new();
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
        let header = store.header(n).unwrap().unwrap();
        assert_eq!(chain.block_hash(n).await.unwrap(), header.hash());
        before.push((header, tx_ids(&store, n)));
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
    // What the protocol promises across the reorg: L1 commits what the node stores, the same
    // transactions in the same blocks, each header changed at most in its timestamp and its
    // link to a re-stamped parent (so a block neither re-stamped nor after one keeps its hash),
    // and an unbroken chain.
    let mut parent: Option<BlockHeader> = None;
    for (n, (old, old_txs)) in (1..).zip(&before) {
        let new = store.header(n).unwrap().unwrap();
        assert_eq!(
            chain.block_hash(n).await.unwrap(),
            new.hash(),
            "L1's commitment of block {n} is not the stored header"
        );
        assert_eq!(
            &tx_ids(&store, n),
            old_txs,
            "block {n} lost or changed transactions"
        );
        assert_eq!(
            new,
            BlockHeader {
                prev_hash: new.prev_hash,
                timestamp: new.timestamp,
                ..*old
            },
            "block {n} changed beyond its timestamp and parent link"
        );
        assert_eq!(
            new.prev_hash,
            parent.map_or(Default::default(), |p| p.hash()),
            "block {n} does not link to the committed block before it"
        );
        assert!(parent.is_none_or(|p| p.timestamp <= new.timestamp));
        parent = Some(new);
    }
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
    // Shutdown waits for the node to hold the only reference to its store.
    drop(store);
    node.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// The ids of block `n`'s transactions, in block order.
fn tx_ids(store: &debye_storage::RedbStore, n: u64) -> Vec<alloy_primitives::B256> {
    store
        .block_txs(n)
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}
