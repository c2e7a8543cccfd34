//! Restart and recovery on the embedded L1: pending transactions survive, blocks continue the
//! chain, a fresh L1 gets the stored blocks again, stale or foreign stores are refused; exits;
//! configuration.

use std::{sync::Arc, time::Duration};

use alloy_primitives::{Address, B256, U256};
use debye_l1::{
    EmbeddedL1, L1,
    contracts::{self, DebyeChainClient},
    exits::{ExitStatus, deposit_record},
};
use debye_operator::{Config, DEV_OPERATOR, Error, Operator, RangeExited};
use debye_primitives::{Eip712Domain, Input, Segment, SignedTransaction, test_utils::test_address};
use debye_rpc_api::{DebyeApiClient, ErrorCode, types::TxStatusView};

use crate::helpers::{
    DEPLOYER, Harness, api_error, client_of, config, eventually, expect_code, owned_by, seg,
    transfer, wait_committed,
};

fn spend(
    from: u64,
    to: Address,
    block: u64,
    s: Segment,
    domain: &Eip712Domain,
) -> SignedTransaction {
    transfer(
        from,
        to,
        Input::deposit(test_address(from), block, s),
        1_000,
        domain,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_resumes_and_a_fresh_l1_gets_the_blocks_again() {
    let (h, node) = Harness::started().await;
    let carol = test_address(3);
    let domain = node.domain().clone();
    let t1 = spend(1, carol, 1, seg(0, 10), &domain);
    let id1 = node.submit(t1).await.unwrap();
    assert_eq!(node.flush().await.unwrap(), Some(1));
    wait_committed(&node, 1).await;
    let t2 = spend(2, carol, 1, seg(1_000, 1_010), &domain);
    let id2 = node.submit(t2.clone()).await.unwrap();
    node.shutdown(Duration::from_secs(5)).await.unwrap();

    // Same store, same L1: the pending transaction is still there and still reserves its coins.
    let node = h.start_default().await;
    let client = client_of(&node);
    assert_eq!(
        client.transaction_status(id2).await.unwrap(),
        TxStatusView::Pending
    );
    assert!(matches!(
        client.transaction_status(id1).await.unwrap(),
        TxStatusView::Included { block: 1, .. }
    ));
    assert_eq!(node.status().mempool_size, 1);
    let clash = spend(2, test_address(1), 1, seg(1_005, 1_020), &domain);
    expect_code(
        &client.submit_transaction(clash).await.unwrap_err(),
        ErrorCode::Conflict,
    );
    assert_eq!(client.submit_transaction(t2).await.unwrap().tx_id, id2);
    let owned = client.ranges_owned_by(carol).await.unwrap();
    assert_eq!(owned.len(), 1, "block 1's output survived the restart");
    assert_eq!(node.flush().await.unwrap(), Some(2));
    wait_committed(&node, 2).await;
    let b1 = client.block_by_number(1).await.unwrap().unwrap();
    let b2 = client.block_by_number(2).await.unwrap().unwrap();
    assert_eq!(b2.header.prev_hash, b1.hash);
    assert_eq!(h.chain.next_block().await.unwrap(), 3);
    assert_eq!(h.chain.block_hash(2).await.unwrap(), b2.hash);
    node.shutdown(Duration::from_secs(5)).await.unwrap();

    // An L1 that lost the commitments (a deep reorg, or a dev chain restarted): the anchor at the
    // same address gets blocks 1 and 2 again, in order, at start. Its clock is days ahead of
    // the blocks' timestamps, which L1 would refuse as too old (TS_WINDOW): the node re-stamps
    // both (block 2 relinked to the new block 1) and commits those.
    let l1 = Arc::new(EmbeddedL1::new());
    l1.fund(DEPLOYER, U256::from(10u64).pow(U256::from(18u64)));
    let chain = DebyeChainClient::deploy(l1.clone(), DEPLOYER, DEV_OPERATOR)
        .await
        .unwrap();
    assert_eq!(chain.address(), h.chain.address());
    l1.advance_time(3 * 24 * 3600).await.unwrap();
    let now = l1.timestamp().await.unwrap();
    assert!(b2.header.timestamp + debye_primitives::block::TS_WINDOW < now);
    let node = Operator::start(config(h.dir.path()), chain.clone(), DEV_OPERATOR)
        .await
        .unwrap();
    let client = client_of(&node);
    let r1 = client.block_by_number(1).await.unwrap().unwrap();
    let r2 = client.block_by_number(2).await.unwrap().unwrap();
    assert_eq!(chain.next_block().await.unwrap(), 3);
    assert_eq!(chain.block_hash(1).await.unwrap(), r1.hash);
    assert_eq!(chain.block_hash(2).await.unwrap(), r2.hash);
    assert_ne!(r1.hash, b1.hash, "re-stamped");
    assert_eq!((r1.header.timestamp, r2.header.timestamp), (now, now));
    assert_eq!(r2.header.prev_hash, r1.hash);
    // Only the timestamp (and the link) changed: same body, same roots.
    assert_eq!(r1.tx_ids, b1.tx_ids);
    assert_eq!(
        (r2.header.tx_root, r2.header.number),
        (b2.header.tx_root, 2)
    );
    r2.header.check_parent(Some(&r1.header)).unwrap();
    assert_eq!(node.status().l1_committed, 2);
    // The next block continues from the re-stamped chain, never earlier than its parent.
    node.submit(spend(2, test_address(4), 1, seg(1_020, 1_030), &domain))
        .await
        .unwrap();
    assert_eq!(node.flush().await.unwrap(), Some(3));
    wait_committed(&node, 3).await;
    let r3 = client.block_by_number(3).await.unwrap().unwrap();
    assert_eq!(r3.header.prev_hash, r2.hash);
    assert!(r3.header.timestamp >= now);
    node.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// Regression (found by the crash test): a pending spend of part of a range splits the range in
/// memory only; after a restart the replayed split must still reach the store with the next
/// block, or including the pending piece overwrites the range's start and the rest of the
/// range is lost (its owner's next spend was refused as `CoinsNotOwned`, and the next restart
/// refused to start).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_split_by_a_pending_spend_survives_restarts() {
    let (h, node) = Harness::started().await;
    let carol = test_address(3);
    let domain = node.domain().clone();
    let block = h.deposits[0].blockNumber;
    // Pending only: [0, 10) of Alice's [0, 1000) is reserved, the split is not stored.
    node.submit(spend(1, carol, block, seg(0, 10), &domain))
        .await
        .unwrap();
    node.shutdown(Duration::from_secs(5)).await.unwrap();
    // The replayed spend is included: the store gets Carol's [0, 10) and Alice's [10, 1000).
    let node = h.start_default().await;
    assert_eq!(node.flush().await.unwrap(), Some(1));
    node.shutdown(Duration::from_secs(5)).await.unwrap();
    // Alice still holds [10, 1000) after another restart.
    let node = h.start_default().await;
    node.submit(spend(1, carol, block, seg(10, 20), &domain))
        .await
        .unwrap();
    assert_eq!(node.flush().await.unwrap(), Some(2));
    node.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_or_foreign_stores_are_refused() {
    let h = Harness::new().await;
    // L1 holds a commitment this (empty) store lacks: refuse to run.
    let header = contracts::BlockHeader::from(&debye_primitives::BlockHeader {
        number: 1,
        tx_root: B256::repeat_byte(1),
        timestamp: h.l1.timestamp().await.unwrap(),
        ..Default::default()
    });
    h.chain.submit_block(DEV_OPERATOR, header).await.unwrap();
    let err = Operator::start(config(h.dir.path()), h.chain.clone(), DEV_OPERATOR)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::CommitmentMismatch { number: 1, .. }),
        "{err}"
    );

    // The store now belongs to this anchor; another anchor is refused.
    let other = DebyeChainClient::deploy(h.l1.clone(), DEPLOYER, DEV_OPERATOR)
        .await
        .unwrap();
    let err = Operator::start(config(h.dir.path()), other, DEV_OPERATOR)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WrongChain { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exited_coins_become_unspendable() {
    let (_h, node) = Harness::started().await;
    let domain = node.domain().clone();
    let client = client_of(&node);
    let pending = spend(1, test_address(3), 1, seg(0, 10), &domain);
    let id = node.submit(pending).await.unwrap();
    node.report_exits(
        vec![RangeExited {
            segment: seg(5, 500),
            l1_block: 99,
        }],
        0,
    )
    .await
    .unwrap();
    assert_eq!(
        client.transaction_status(id).await.unwrap(),
        TxStatusView::Dropped {
            reason: "exited".into()
        }
    );
    let e = client
        .submit_transaction(spend(1, test_address(3), 1, seg(100, 101), &domain))
        .await
        .unwrap_err();
    expect_code(&e, ErrorCode::CoinsExited);
    // Coins outside the exit, including those the dropped transaction had reserved, are free.
    node.submit(spend(1, test_address(3), 1, seg(0, 5), &domain))
        .await
        .unwrap();
    node.submit(spend(1, test_address(3), 1, seg(500, 510), &domain))
        .await
        .unwrap();
    let owned = owned_by(&client, test_address(1)).await;
    assert!(owned.iter().all(|s| !s.overlaps(&seg(5, 500))), "{owned:?}");
    assert_eq!(node.flush().await.unwrap(), Some(1));
    node.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// A deposit exit started, matured and finalized on the (embedded) L1: the node's own L1 sync
/// reads `ExitFinalized`, after which spending the exited coins is refused with `CoinsExited`,
/// and the rest of the deposit stays spendable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_finalized_on_l1_makes_coins_unspendable() {
    let (h, node) = Harness::started().await;
    let domain = node.domain().clone();
    let client = client_of(&node);
    let alice = test_address(1);
    let deposit = deposit_record(&h.deposits[0]);
    assert_eq!((deposit.owner, deposit.start), (alice, U256::ZERO));

    let exit = h
        .chain
        .start_deposit_exit(alice, &deposit, U256::ZERO, U256::from(400u64))
        .await
        .unwrap();
    assert_eq!(
        h.chain.exit_status(&exit).await.unwrap(),
        ExitStatus::Pending
    );
    let period = h.chain.exit_period().await.unwrap();
    h.l1.advance_time(period + 1).await.unwrap();
    let key = h.chain.range_key(exit.start, 0).await.unwrap();
    h.chain.finalize_exit(alice, &exit, key).await.unwrap();
    // Settled and paid out on L1.
    assert_eq!(
        h.chain.exit_status(&exit).await.unwrap(),
        ExitStatus::Withdrawn
    );

    // The node follows ExitFinalized on its own (no report_exits).
    let followed = eventually(async || {
        owned_by(&client, alice)
            .await
            .iter()
            .all(|s| !s.overlaps(&seg(0, 400)))
    })
    .await;
    assert!(
        followed,
        "the node did not follow the finalized exit: alice owns {:?}",
        owned_by(&client, alice).await
    );
    for exited in [seg(100, 101), seg(0, 400), seg(399, 401)] {
        let e = client
            .submit_transaction(spend(1, test_address(3), 1, exited, &domain))
            .await
            .unwrap_err();
        expect_code(&e, ErrorCode::CoinsExited);
        let data = api_error(&e).data.unwrap();
        assert_eq!(data["input"], 0, "{data}");
    }
    assert_eq!(owned_by(&client, alice).await, vec![seg(400, 1_000)]);
    node.submit(spend(1, test_address(3), 1, seg(400, 410), &domain))
        .await
        .unwrap();
    assert_eq!(node.flush().await.unwrap(), Some(1));
    node.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[test]
fn config_file_and_env_overrides() {
    let text = r#"
        data_dir = "/var/lib/debye"
        rpc_addr = "0.0.0.0:9000"
        [block]
        interval_ms = 250
        max_txs = 500
        [l1]
        backend = "rpc"
        url = "http://127.0.0.1:8545"
        anchor = "0x00000000000000000000000000000000000000aa"
        confirmations = 6
    "#;
    let mut c = Config::from_toml(text).unwrap();
    assert_eq!(c.block.max_txs, 500);
    assert_eq!(c.l1.confirmations, 6);
    c.validate().unwrap();
    c.apply_env(|k| match k {
        "DEBYE_BLOCK_MAX_TXS" => Some("42".into()),
        "DEBYE_L1_URL" => Some("http://l1:8545".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(
        (c.block.max_txs, c.l1.url.as_deref()),
        (42, Some("http://l1:8545"))
    );
    assert!(
        c.apply_env(|k| (k == "DEBYE_RPC_ADDR").then(|| "nonsense".into()))
            .is_err()
    );
    assert!(
        Config::from_toml("blocks_per_second = 3").is_err(),
        "unknown keys are errors"
    );
    assert!(
        Config::from_toml("[l1]\nbackend = \"rpc\"")
            .unwrap()
            .validate()
            .is_err()
    );
}
