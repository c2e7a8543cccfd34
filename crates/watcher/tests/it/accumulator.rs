//! The accumulator replica (docs/accumulator.md §13.4): a header whose `accumulator` field
//! commits to a value the blocks do not give is reported `AccumulatorMismatch`; honest and zero
//! fields are not; a withheld block and a restart cause no false report.

use alloy_primitives::B256;
use debye_accumulator::{Accumulator, CoinRange, Geometry, coin_range, header_commitment};
use debye_l1::L1;
use debye_primitives::{Input, Output, Segment, SignedTransaction, Transaction};
use debye_watcher::{Mode, WatchEvent};

use crate::fraud::{World, embedded, world};

/// The touched ranges of a block, as the operator folds them.
fn ranges(txs: &[SignedTransaction]) -> Vec<CoinRange> {
    txs.iter()
        .flat_map(|t| t.transaction.coin_ranges())
        .map(|s| coin_range(&s.start().to_be_bytes::<32>(), &s.end().to_be_bytes::<32>()).unwrap())
        .collect()
}

/// An accumulator that has folded in block 1 of the world (`t1`).
fn after_block_1<L>(w: &World<L>) -> Accumulator {
    let mut acc = Accumulator::new(Geometry::EXACT);
    acc.append_block(&ranges(std::slice::from_ref(&w.t1)))
        .unwrap();
    acc
}

/// The header field committing (m, A_m) of `acc`.
fn field(acc: &Accumulator, m: u64) -> B256 {
    B256::from(header_commitment(acc.group(), m, acc.value(m).unwrap()))
}

/// Two payments over disjoint coins: Bob's deposit to Alice, Alice's change (t1's output 1,
/// block 1) to Bob. One block holding both touches two ranges.
fn payments<L: L1>(w: &World<L>) -> (SignedTransaction, SignedTransaction) {
    let seg_b = Segment::new(w.dep_b.start, w.dep_b.end).unwrap();
    let change = w.t1.transaction.outputs[1].segment;
    let t2 = Transaction {
        inputs: vec![Input::deposit(w.bob, w.dep_b.blockNumber, seg_b)],
        outputs: vec![Output {
            owner: w.alice,
            segment: seg_b,
        }],
        max_block_index: 100,
    }
    .sign(w.op.domain(), &w.keys[2..3])
    .unwrap();
    let t3 = Transaction {
        inputs: vec![Input {
            owner: w.alice,
            block_index: 1,
            tx_index: 0,
            output_index: 1,
            segment: change,
        }],
        outputs: vec![Output {
            owner: w.bob,
            segment: change,
        }],
        max_block_index: 100,
    }
    .sign(w.op.domain(), &w.keys[1..2])
    .unwrap();
    (t2, t3)
}

/// Commits `txs` as the next block with header field `f` and folds them into `honest`.
async fn commit<L: L1 + Clone + 'static>(
    w: &mut World<L>,
    honest: &mut Accumulator,
    txs: Vec<SignedTransaction>,
    f: B256,
    withhold: bool,
) -> u64 {
    honest.append_block(&ranges(&txs)).unwrap();
    w.op.commit_with_accumulator(txs, withhold, f)
        .await
        .unwrap()
}

fn mismatches(events: &[WatchEvent]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            WatchEvent::AccumulatorMismatch { block } => Some(*block),
            _ => None,
        })
        .collect()
}

/// Headers committing the operator's values, including a lagging one (m repeated), are
/// consistent: nothing is reported and the replica follows every block.
#[tokio::test]
async fn honest_accumulator_fields_are_not_reported() {
    let mut w = world(embedded().await).await;
    let mut acc = after_block_1(&w);
    let mut watcher = w.watcher(Mode::Archival).await;
    let mut events = watcher.step().await.unwrap();
    let (t2, t3) = payments(&w);
    let f = field(&acc, 1);
    commit(&mut w, &mut acc, vec![t2, t3], f, false).await;
    events.extend(watcher.step().await.unwrap());
    let f = field(&acc, 2);
    commit(&mut w, &mut acc, vec![], f, false).await;
    // a worker that has not finished block 3 yet commits (2, A_2) again
    commit(&mut w, &mut acc, vec![], f, false).await;
    let f = field(&acc, 4);
    commit(&mut w, &mut acc, vec![], f, false).await;
    events.extend(watcher.step().await.unwrap());
    assert_eq!(mismatches(&events), Vec::<u64>::new(), "{events:?}");
    let status = watcher.status();
    assert_eq!(status.accumulator_height, Some(5));
    assert_eq!(status.byzantine_reports, 0, "{events:?}");
}

/// The lying operator of docs/accumulator.md §13.4: block 2 touches two ranges, header 3
/// commits A_2 computed without one of them. Reported for block 3; a later honest header is
/// not; a header going back to an older height (m decreasing) is.
#[tokio::test]
async fn value_without_a_touched_range_is_reported() {
    let mut w = world(embedded().await).await;
    let mut acc = after_block_1(&w);
    let mut liar = after_block_1(&w);
    let mut watcher = w.watcher(Mode::Archival).await;
    watcher.step().await.unwrap();
    let (t2, t3) = payments(&w);
    liar.append_block(&ranges(std::slice::from_ref(&t2)))
        .unwrap();
    let f = field(&acc, 1);
    commit(&mut w, &mut acc, vec![t2, t3], f, false).await;
    assert_ne!(field(&liar, 2), field(&acc, 2));
    let lie = commit(&mut w, &mut acc, vec![], field(&liar, 2), false).await;
    let events = watcher.step().await.unwrap();
    assert_eq!(mismatches(&events), vec![lie], "{events:?}");
    assert_eq!(watcher.status().byzantine_reports, 1);

    let f = field(&acc, 3);
    commit(&mut w, &mut acc, vec![], f, false).await;
    let events = watcher.step().await.unwrap();
    assert_eq!(mismatches(&events), Vec::<u64>::new(), "{events:?}");
    let f = field(&acc, 2);
    let back = commit(&mut w, &mut acc, vec![], f, false).await;
    let events = watcher.step().await.unwrap();
    assert_eq!(mismatches(&events), vec![back], "{events:?}");
}

/// A chain without the accumulator (zero fields) is never reported; with the check off the
/// watcher keeps no replica.
#[tokio::test]
async fn zero_fields_are_not_reported() {
    let mut w = world(embedded().await).await;
    let mut acc = after_block_1(&w);
    let mut watcher = w.watcher(Mode::Archival).await;
    let (t2, t3) = payments(&w);
    commit(&mut w, &mut acc, vec![t2, t3], B256::ZERO, false).await;
    commit(&mut w, &mut acc, vec![], B256::ZERO, false).await;
    let events = watcher.step().await.unwrap();
    assert_eq!(mismatches(&events), Vec::<u64>::new(), "{events:?}");
    assert_eq!(watcher.status().accumulator_height, Some(3));
    assert_eq!(watcher.status().byzantine_reports, 0);
}

/// A withheld block stops the replica without a report for the headers it cannot check; once
/// served, the headers behind it are checked (and a lie among them reported).
#[tokio::test]
async fn withheld_block_pauses_the_check() {
    let mut w = world(embedded().await).await;
    let mut acc = after_block_1(&w);
    let mut watcher = w.watcher(Mode::Archival).await;
    watcher.step().await.unwrap();
    let (t2, t3) = payments(&w);
    let f = field(&acc, 1);
    let hidden = commit(&mut w, &mut acc, vec![t2, t3], f, true).await;
    let f = field(&acc, 2);
    commit(&mut w, &mut acc, vec![], f, false).await;
    let f = field(&acc, 1);
    let lie = commit(&mut w, &mut acc, vec![], f, false).await;
    let events = watcher.step().await.unwrap();
    assert!(
        events.contains(&WatchEvent::BlockWithheld { block: hidden }),
        "{events:?}"
    );
    assert_eq!(mismatches(&events), Vec::<u64>::new(), "{events:?}");
    assert_eq!(watcher.status().accumulator_height, Some(1));

    w.op.serve(hidden);
    let events = watcher.step().await.unwrap();
    assert!(events.contains(&WatchEvent::BlockRecovered { block: hidden }));
    assert_eq!(mismatches(&events), vec![lie], "{events:?}");
    assert_eq!(watcher.status().accumulator_height, Some(4));
}

/// After a restart the replica is rebuilt from the operator's blocks: no false report, no
/// second report of a lie already reported, and a later lie is still caught.
#[tokio::test]
async fn restart_rebuilds_the_replica() {
    let mut w = world(embedded().await).await;
    let mut acc = after_block_1(&w);
    let (t2, t3) = payments(&w);
    let g = acc.group();
    let mut watcher = w.watcher(Mode::Archival).await;
    let f = field(&acc, 1);
    commit(&mut w, &mut acc, vec![t2], f, false).await;
    let f = field(&acc, 2);
    commit(&mut w, &mut acc, vec![], f, false).await;
    // height 3 with the value of height 1
    let old = B256::from(header_commitment(g, 3, acc.value(1).unwrap()));
    let old_lie = commit(&mut w, &mut acc, vec![], old, false).await;
    let f = field(&acc, 4);
    commit(&mut w, &mut acc, vec![], f, false).await;
    let events = watcher.step().await.unwrap();
    assert_eq!(mismatches(&events), vec![old_lie], "{events:?}");
    drop(watcher);

    let mut watcher = w.watcher(Mode::Archival).await;
    assert_eq!(watcher.status().accumulator_height, Some(0));
    let events = watcher.step().await.unwrap();
    assert_eq!(mismatches(&events), Vec::<u64>::new(), "{events:?}");
    let status = watcher.status();
    assert_eq!(
        status.accumulator_height,
        Some(5),
        "rebuilt from blocks 1..=5"
    );
    assert_eq!(
        status.byzantine_reports, 1,
        "the old lie is not reported again"
    );

    // block 6 touches t3's range; header 7 commits A_6 computed without it (= A_5)
    let f = field(&acc, 5);
    commit(&mut w, &mut acc, vec![t3], f, false).await;
    let without = B256::from(header_commitment(g, 6, acc.value(5).unwrap()));
    let lie = commit(&mut w, &mut acc, vec![], without, false).await;
    let events = watcher.step().await.unwrap();
    assert_eq!(mismatches(&events), vec![lie], "{events:?}");
}
