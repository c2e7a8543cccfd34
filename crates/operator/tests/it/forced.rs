//! Forced inclusion followed by the operator (`docs/exit-game.md` §12.3–12.4, §13) on the
//! embedded L1: a payment forced, signed and finalized on L1 is applied by the node's own L1 sync
//! — its input spent (a later L2 spend refused, a pending one dropped), its output held by the
//! recipient under `FORCED_BLOCK | k` (`docs/formats.md` §3.1) and spendable on L2 — durably
//! across a restart.

use std::time::Duration;

use alloy_primitives::Address;
use debye_l1::{
    L1,
    forced::{ForcedStatus, forced_block_index},
};
use debye_primitives::{
    Input, Segment, Transaction,
    test_utils::{test_address, test_key},
};
use debye_rpc_api::{DebyeApiClient, ErrorCode, types::TxStatusView};

use crate::helpers::{
    Harness, api_error, client_of, eventually, expect_code, owned_by, pay, seg, wait_committed,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_inclusion_is_applied_to_the_ledger() {
    let (h, node) = Harness::started().await;
    let domain = node.domain().clone();
    let client = client_of(&node);
    let (alice, bob, carol) = (test_address(1), test_address(2), test_address(3));
    // Alice holds [0, 1000) and Bob [1000, 2000), deposited for block 1.
    let dep_block = h.deposits[0].blockNumber;
    // A payment of `coins` of a test key's deposit, whole, to `to` (valid up to block 1,000).
    let pays = |key: u64, coins: Segment, to: Address| {
        pay(
            Input::deposit(test_address(key), dep_block, coins),
            to,
            1_000,
        )
    };
    let signed = |tx: &Transaction, key: u64| tx.sign(&domain, &[test_key(key)]).unwrap();

    // Block 1 (Bob pays Carol a little) is committed, so Alice's deposit may be forced.
    node.submit(signed(&pays(2, seg(1_000, 1_010), carol), 2))
        .await
        .unwrap();
    assert_eq!(node.flush().await.unwrap(), Some(1));
    wait_committed(&node, 1).await;
    assert_eq!(node.status().l1_committed, 1);

    // The operator censors Alice's payment of [0, 100) to Carol; Alice also has a pending
    // spend of [50, 60) to Bob in the mempool (her own double spend).
    let censored = pays(1, seg(0, 100), carol);
    let pending = node
        .submit(signed(&pays(1, seg(50, 60), bob), 1))
        .await
        .unwrap();
    let k = h.chain.force(alice, &censored).await.unwrap().index;
    let sig = signed(&censored, 1);
    h.chain.sign_forced_all(alice, k, &sig).await.unwrap();
    let state = h.chain.forced_state(k).await.unwrap();
    let now = h.l1.timestamp().await.unwrap();
    h.l1.advance_time(state.matures_at.saturating_sub(now) + 1)
        .await
        .unwrap();
    h.chain.finalize_forced(alice, k).await.unwrap();
    assert_eq!(
        h.chain.forced_state(k).await.unwrap().status,
        ForcedStatus::Included
    );

    // The node's own L1 sync applies it.
    // The ledger is updated just before the store commit that also records the drop.
    let followed = eventually(async || {
        owned_by(&client, carol).await.contains(&seg(0, 100))
            && client.transaction_status(pending).await.unwrap() != TxStatusView::Pending
    })
    .await;
    assert!(
        followed,
        "the node did not follow the forced inclusion: carol owns {:?}, the pending spend is {:?}",
        owned_by(&client, carol).await,
        client.transaction_status(pending).await.unwrap()
    );
    assert!(
        owned_by(&client, alice)
            .await
            .iter()
            .all(|s| !s.overlaps(&seg(0, 100))),
        "the forced input is spent"
    );
    assert_eq!(
        client.transaction_status(pending).await.unwrap(),
        TxStatusView::Dropped {
            reason: "forced".into()
        }
    );
    // A later L2 spend of the forced input is refused: the coins are spent.
    let e = client
        .submit_transaction(signed(&pays(1, seg(0, 10), bob), 1))
        .await
        .unwrap_err();
    expect_code(&e, ErrorCode::CoinsNotOwned);
    assert_eq!(api_error(&e).data.unwrap()["input"], 0);
    // The same transaction on L2 is refused too: one copy only (docs/exit-game.md §12.2).
    let e = client.submit_transaction(sig).await.unwrap_err();
    expect_code(&e, ErrorCode::CoinsNotOwned);
    // The rest of Alice's deposit is hers.
    assert!(owned_by(&client, alice).await.contains(&seg(100, 1_000)));

    // Carol spends the forced output on L2, naming it FORCED_BLOCK | k.
    let forced_out = Input {
        owner: carol,
        block_index: forced_block_index(k),
        tx_index: 0,
        output_index: 0,
        segment: seg(0, 100),
    };
    node.submit(signed(&pay(forced_out, bob, 1_000), 3))
        .await
        .unwrap();
    assert_eq!(node.flush().await.unwrap(), Some(2));
    assert!(owned_by(&client, bob).await.contains(&seg(0, 100)));
    node.shutdown(Duration::from_secs(5)).await.unwrap();

    // After a restart nothing is lost or applied twice.
    let node = h.start_default().await;
    let client = client_of(&node);
    assert!(owned_by(&client, bob).await.contains(&seg(0, 100)));
    assert!(
        owned_by(&client, carol)
            .await
            .iter()
            .all(|s| !s.overlaps(&seg(0, 100)))
    );
    assert!(owned_by(&client, alice).await.contains(&seg(100, 1_000)));
    node.shutdown(Duration::from_secs(5)).await.unwrap();
}
