//! The history accumulator in the operator (docs/accumulator.md §13): every header commits to
//! (m, A_m) with m below the header's number and never decreasing; the API proves an untouched
//! segment over a span with one proof that verifies against the committed values, refuses a
//! touched one, and a restart reads the stored steps back to the same values.

use std::{sync::atomic::Ordering, time::Duration};

use debye_accumulator::{
    ExclusionProof, Geometry, Group, check_header_commitment, coin_range, verify_exclusion,
};
use debye_primitives::{Segment, test_utils::test_address};
use debye_rpc_api::{DebyeApiClient, ErrorCode, HttpClient, http_client, types::AccumulatorSpan};
use debye_storage::Store;

use crate::helpers::{Harness, config, expect_code, seg, spend_block};

fn range(s: &Segment) -> debye_accumulator::CoinRange {
    coin_range(&s.start().to_be_bytes::<32>(), &s.end().to_be_bytes::<32>()).unwrap()
}

pub async fn wait_height(client: &HttpClient, m: u64) {
    for _ in 0..1_000 {
        if client
            .accumulator(None)
            .await
            .unwrap()
            .is_some_and(|v| v.height >= m)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("accumulator never reached height {m}");
}

/// The height each header 1..=tip commits to, checked against the served values.
async fn committed_heights(client: &HttpClient, tip: u64) -> Vec<u64> {
    let group = Group::rsa2048();
    let mut out = Vec::new();
    for n in 1..=tip {
        let header = client.header(Some(n)).await.unwrap().unwrap().header;
        let m = (0..n)
            .find(|m| {
                let v = futures_value(client, *m);
                check_header_commitment(group, *m, &v, &header.accumulator.0).is_ok()
            })
            .unwrap_or_else(|| panic!("header {n} commits to no height below it"));
        out.push(m);
    }
    out
}

fn futures_value(client: &HttpClient, m: u64) -> debye_accumulator::Elem {
    let view = tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(client.accumulator(Some(m)))
    })
    .unwrap()
    .unwrap();
    assert_eq!(view.height, m);
    Group::rsa2048().decode(&view.value).unwrap()
}

/// What a wallet checks: both values bound to the headers that commit them, then the proof.
async fn verify_span(client: &HttpClient, span: &AccumulatorSpan) -> debye_accumulator::Result<()> {
    let group = Group::rsa2048();
    let a = group.decode(&span.value_from)?;
    let b = group.decode(&span.value_to)?;
    let ends = [
        (span.from, &a, span.header_from),
        (span.to, &b, span.header_to),
    ];
    for (height, value, header) in ends {
        let header = client.header(Some(header)).await.unwrap().unwrap().header;
        check_header_commitment(group, height, value, &header.accumulator.0)?;
    }
    let proof = ExclusionProof::from_bytes(group, &span.proof)?;
    verify_exclusion(
        group,
        &Geometry::EXACT,
        &range(&span.segment),
        &a,
        &b,
        &proof,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_commit_the_accumulator_and_an_untouched_segment_gets_one_proof() {
    let h = Harness::new().await;
    let carol = test_address(3);
    let dep = h.deposits[0].blockNumber;
    let node = h.start_default().await;
    let client = http_client(&format!("http://{}", node.rpc_addr().unwrap())).unwrap();
    // Blocks 1..=4 move parts of deposit 1 ([0, 1000)); deposit 2 ([1000, 2000)) never moves.
    for (i, n) in (1..=4u64).enumerate() {
        let lo = 10 * i as u64;
        wait_height(&client, n - 1).await; // keep every height committed
        spend_block(&node, 1, carol, dep, seg(lo, lo + 10), n).await;
    }
    wait_height(&client, 4).await;
    spend_block(&node, 1, carol, dep, seg(500, 510), 5).await;

    let heights = committed_heights(&client, 5).await;
    assert_eq!(
        heights,
        vec![0, 1, 2, 3, 4],
        "header n commits to m = n − 1 when the worker keeps up"
    );

    // Deposit 2 and the untouched rest of deposit 1: one proof over blocks 1..=4 each.
    for s in [seg(1_000, 2_000), seg(100, 500)] {
        let span = client.accumulator_exclusion(s, 0, 5).await.unwrap();
        assert_eq!((span.from, span.to), (0, 4));
        assert_eq!((span.header_from, span.header_to), (1, 5));
        assert_eq!(span.proof.len(), 1_856);
        verify_span(&client, &span).await.unwrap();
        // a flipped proof byte, or a value from another height, is refused
        let mut bad = span.clone();
        bad.proof.0 = {
            let mut p = bad.proof.to_vec();
            p[300] ^= 1;
            p.into()
        };
        assert!(verify_span(&client, &bad).await.is_err());
        let mut shifted = span.clone();
        shifted.value_to = client.accumulator(Some(3)).await.unwrap().unwrap().value;
        assert!(verify_span(&client, &shifted).await.is_err());
    }
    // Coins moved in block 2: no proof over a span holding it, one over a span after it.
    let err = client
        .accumulator_exclusion(seg(10, 20), 0, 5)
        .await
        .unwrap_err();
    expect_code(&err, ErrorCode::RangeTouched);
    let after = client
        .accumulator_exclusion(seg(10, 20), 2, 5)
        .await
        .unwrap();
    assert_eq!((after.from, after.to), (2, 4));
    verify_span(&client, &after).await.unwrap();
    // A span holding no two committed heights.
    let err = client
        .accumulator_exclusion(seg(1_000, 2_000), 4, 4)
        .await
        .unwrap_err();
    expect_code(&err, ErrorCode::UnknownBlock);

    // Restart: the worker reads the stored steps back (block 5's is made unreadable, so it is
    // recomputed) to the same values, and the next header commits a height no lower than before.
    wait_height(&client, 5).await;
    let before: Vec<_> = (0..=5).map(|m| futures_value(&client, m)).collect();
    assert_eq!(
        node.metrics()
            .accumulator_steps_computed
            .load(Ordering::Relaxed),
        5
    );
    node.shutdown(Duration::from_secs(5)).await.unwrap();
    {
        let cfg = config(h.dir.path());
        let store = debye_storage::RedbStore::open(cfg.store_path()).unwrap();
        let mut step = store.accumulator_step(5).unwrap().unwrap();
        assert_eq!(step.value.len(), 256);
        step.value.truncate(3);
        store.put_accumulator_step(5, &step).unwrap();
    }
    let node = h.start_default().await;
    let client = http_client(&format!("http://{}", node.rpc_addr().unwrap())).unwrap();
    spend_block(&node, 1, carol, dep, seg(600, 610), 6).await;
    // height 6: past the replay (blocks 1..=5) and the re-indexing of the stored headers
    wait_height(&client, 6).await;
    let after: Vec<_> = (0..=5).map(|m| futures_value(&client, m)).collect();
    assert_eq!(before, after);
    let m = node.metrics();
    assert_eq!(
        (
            m.accumulator_steps_restored.load(Ordering::Relaxed),
            m.accumulator_steps_computed.load(Ordering::Relaxed)
        ),
        (4, 2),
        "blocks 1..=4 read back; 5 (unreadable) and 6 computed"
    );
    let heights = committed_heights(&client, 6).await;
    assert!(heights[5] >= 4, "{heights:?}");
    let span = client
        .accumulator_exclusion(seg(1_000, 2_000), 0, 6)
        .await
        .unwrap();
    assert_eq!(span.from, 0);
    verify_span(&client, &span).await.unwrap();
    node.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_accumulator_leaves_the_field_zero_and_says_so() {
    let h = Harness::new().await;
    let mut cfg = config(h.dir.path());
    cfg.accumulator.enabled = false;
    let node = h.start(cfg).await;
    let client = http_client(&format!("http://{}", node.rpc_addr().unwrap())).unwrap();
    spend_block(
        &node,
        1,
        test_address(3),
        h.deposits[0].blockNumber,
        seg(0, 10),
        1,
    )
    .await;
    let header = client.header(Some(1)).await.unwrap().unwrap().header;
    assert!(header.accumulator.is_zero());
    expect_code(
        &client.accumulator(None).await.unwrap_err(),
        ErrorCode::Unavailable,
    );
    node.shutdown(Duration::from_secs(5)).await.unwrap();
}
