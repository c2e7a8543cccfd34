//! Integration tests of the redb store: every record survives a reopen, commits are atomic and
//! ordered, and a file of another schema version is refused.
#![allow(clippy::unwrap_used)]

mod shielded;

use alloy_primitives::{Address, B256, U256};
use debye_primitives::{
    BlockHeader,
    test_utils::{segment, test_domain, transfer_deposit},
};
use debye_storage::{
    AccumulatorStep, BlockCommit, ChainIdentity, DepositEntry, DropReason, Error, ExitEntry,
    L1Events, Origin, PendingTx, RangeDelta, RangeRecord, RedbStore, SCHEMA_VERSION, Store,
    SubmissionState, TxStatus,
};

fn pending(seq: u64, offset: u128) -> PendingTx {
    let d = test_domain();
    let tx = transfer_deposit(&d, 1, 2, 1, segment(0, offset, offset + 1).unwrap(), 100).unwrap();
    PendingTx {
        seq,
        tx_id: tx.tx_id(&d),
        tx,
    }
}

fn header(number: u64, prev: B256) -> BlockHeader {
    BlockHeader {
        number,
        prev_hash: prev,
        tx_root: B256::repeat_byte(number as u8),
        // Every shielded field nonzero, so a codec that dropped one would fail the round trips.
        note_root: B256::repeat_byte(0x70),
        note_count: 2,
        entries_root: B256::repeat_byte(0x71),
        entry_count: 1,
        deposit_cursor: 3,
        exit_cursor: 4,
        timestamp: 1_767_225_600 + number,
        ..BlockHeader::default()
    }
}

#[test]
fn records_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let id = ChainIdentity {
        chain_id: 7,
        anchor: Address::repeat_byte(3),
    };
    let (p0, p1, p2) = (pending(0, 0), pending(1, 1), pending(2, 2));
    let h1 = header(1, B256::ZERO);
    let owner = Address::repeat_byte(9);
    let rec = RangeRecord {
        segment: segment(0, 0, 10).unwrap(),
        owner,
        origin: Origin::tx(1, 0, 3),
        exited: false,
    };
    {
        let s = RedbStore::open(&path).unwrap();
        assert_eq!(s.chain_identity().unwrap(), None);
        s.set_chain_identity(&id).unwrap();
        s.accept(&[p0.clone(), p1.clone(), p2.clone()]).unwrap();
        assert_eq!(s.next_seq().unwrap(), 3);
        s.commit_block(&BlockCommit {
            header: h1,
            txs: vec![(p0.tx_id, p0.tx.clone())],
            included_seqs: vec![0],
            dropped: vec![(p1.tx_id, 1, DropReason::Expired)],
            ranges: RangeDelta {
                upserts: vec![rec],
                deletes: vec![],
            },
            shielded: Default::default(),
        })
        .unwrap();
        let dep = DepositEntry {
            segment: segment(1, 0, 5).unwrap(),
            owner,
            block: 2,
            l1_block: 40,
        };
        let exit = ExitEntry {
            segment: segment(0, 0, 10).unwrap(),
            l1_block: 41,
        };
        s.record_l1_events(&L1Events {
            deposits: vec![dep],
            exits: vec![exit],
            dropped: vec![],
            ranges: RangeDelta {
                upserts: vec![RangeRecord {
                    exited: true,
                    ..rec
                }],
                deletes: vec![],
            },
            next_l1_block: 42,
            ..Default::default()
        })
        .unwrap();
        s.set_submission(&SubmissionState {
            l1_committed: 1,
            l1_block: 40,
        })
        .unwrap();
    }
    let s = RedbStore::open(&path).unwrap();
    assert_eq!(s.chain_identity().unwrap(), Some(id));
    assert_eq!(s.tip().unwrap(), Some(h1));
    assert_eq!(s.header(1).unwrap(), Some(h1));
    assert_eq!(s.block_number(h1.hash()).unwrap(), Some(1));
    assert_eq!(s.block_txs(1).unwrap(), vec![(p0.tx_id, p0.tx.clone())]);
    assert_eq!(s.block_tx(1, 0).unwrap(), Some((p0.tx_id, p0.tx)));
    assert_eq!(s.block_tx(1, 1).unwrap(), None);
    assert_eq!(s.pending().unwrap(), vec![p2.clone()]);
    assert_eq!(s.next_seq().unwrap(), 3);
    assert_eq!(
        s.tx_status(p0.tx_id).unwrap(),
        Some(TxStatus::Included { block: 1, index: 0 })
    );
    assert_eq!(
        s.tx_status(p1.tx_id).unwrap(),
        Some(TxStatus::Dropped {
            reason: DropReason::Expired
        })
    );
    assert_eq!(
        s.tx_status(p2.tx_id).unwrap(),
        Some(TxStatus::Pending { seq: 2 })
    );
    assert_eq!(s.tx_status(B256::repeat_byte(1)).unwrap(), None);
    assert_eq!(
        s.ranges().unwrap(),
        vec![RangeRecord {
            exited: true,
            ..rec
        }]
    );
    assert_eq!(
        s.deposit(segment(1, 0, 5).unwrap().start())
            .unwrap()
            .map(|d| d.l1_block),
        Some(40)
    );
    assert_eq!(s.deposit(U256::from(5u8)).unwrap(), None);
    assert_eq!(s.exits().unwrap().len(), 1);
    assert_eq!(s.l1_cursor().unwrap(), Some(42));
    assert_eq!(
        s.submission().unwrap(),
        SubmissionState {
            l1_committed: 1,
            l1_block: 40
        }
    );
}

/// The `tx_status` rows of included transactions are written in batches; until then the status
/// comes from memory, and a reopen rebuilds it from the stored blocks. Before, at and after the
/// batch boundary, and across reopens, every transaction reads as included where it is.
#[test]
fn included_status_is_batched_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let txs: Vec<PendingTx> = (0..7).map(|i| pending(i, u128::from(i as u8))).collect();
    let expect = |s: &RedbStore, upto: usize| {
        for (i, p) in txs.iter().enumerate() {
            let want = if i < upto {
                // Two transactions per block: blocks 1, 2, 3 and 4.
                Some(TxStatus::Included {
                    block: i as u64 / 2 + 1,
                    index: i as u32 % 2,
                })
            } else {
                Some(TxStatus::Pending { seq: p.seq })
            };
            assert_eq!(s.tx_status(p.tx_id).unwrap(), want, "tx {i}");
        }
    };
    let mut prev = B256::ZERO;
    let mut block = |s: &RedbStore, n: u64, from: usize, to: usize| {
        let h = header(n, prev);
        prev = h.hash();
        s.commit_block(&BlockCommit {
            header: h,
            txs: txs[from..to]
                .iter()
                .map(|p| (p.tx_id, p.tx.clone()))
                .collect(),
            included_seqs: txs[from..to].iter().map(|p| p.seq).collect(),
            dropped: vec![],
            ranges: RangeDelta::default(),
            shielded: Default::default(),
        })
        .unwrap();
    };
    {
        let s = RedbStore::open(&path).unwrap().with_index_batch(5);
        s.accept(&txs).unwrap();
        expect(&s, 0);
        block(&s, 1, 0, 2);
        block(&s, 2, 2, 4);
        assert_eq!(s.unindexed(), 4);
        expect(&s, 4);
    }
    {
        // Reopened: blocks 1 and 2 are read back into memory.
        let s = RedbStore::open(&path).unwrap().with_index_batch(5);
        assert_eq!(s.unindexed(), 4);
        expect(&s, 4);
        // Block 3 reaches the batch: all six rows are written with it.
        block(&s, 3, 4, 6);
        assert_eq!(s.unindexed(), 0);
        expect(&s, 6);
        block(&s, 4, 6, 7);
        assert_eq!(s.unindexed(), 1);
    }
    let s = RedbStore::open(&path).unwrap();
    assert_eq!(s.unindexed(), 1, "only block 4 is after the watermark");
    expect(&s, 7);
    assert_eq!(s.tx_status(B256::repeat_byte(1)).unwrap(), None);
}

#[test]
fn blocks_are_ordered() {
    let dir = tempfile::tempdir().unwrap();
    let s = RedbStore::open(dir.path().join("s.redb")).unwrap();
    let commit = |h: BlockHeader| BlockCommit {
        header: h,
        txs: vec![],
        included_seqs: vec![],
        dropped: vec![],
        ranges: RangeDelta::default(),
        shielded: Default::default(),
    };
    let err = s.commit_block(&commit(header(2, B256::ZERO))).unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutOfOrder {
                expected: 1,
                got: 2
            }
        ),
        "{err}"
    );
    let h1 = header(1, B256::ZERO);
    s.commit_block(&commit(h1)).unwrap();
    assert!(matches!(
        s.commit_block(&commit(h1)).unwrap_err(),
        Error::OutOfOrder {
            expected: 2,
            got: 1
        }
    ));
    s.commit_block(&commit(header(2, h1.hash()))).unwrap();
    assert_eq!(s.tip().unwrap().map(|h| h.number), Some(2));
}

#[test]
fn schema_version_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    RedbStore::open(&path)
        .unwrap()
        .set_schema_version(SCHEMA_VERSION + 1)
        .unwrap();
    let err = RedbStore::open(&path).unwrap_err();
    assert!(
        matches!(err, Error::SchemaMismatch { found, expected } if found == SCHEMA_VERSION + 1 && expected == SCHEMA_VERSION),
        "{err}"
    );
    assert!(err.to_string().contains("schema version"));
}

#[test]
fn a_second_opener_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let _first = RedbStore::open(&path).unwrap();
    assert!(matches!(RedbStore::open(&path).unwrap_err(), Error::Db(_)));
}

#[test]
fn accumulator_steps_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let step = AccumulatorStep {
        value: (0..=255u8).collect(),
        product: vec![0x8f, 1, 2, 3, 5, 7, 11],
    };
    {
        let s = RedbStore::open(&path).unwrap();
        assert_eq!(s.accumulator_step(1).unwrap(), None);
        s.put_accumulator_step(1, &step).unwrap();
        // A step written twice (the worker redoing a block after a crash) keeps the newer one.
        s.put_accumulator_step(2, &AccumulatorStep::default())
            .unwrap();
        s.put_accumulator_step(2, &step).unwrap();
    }
    let s = RedbStore::open(&path).unwrap();
    assert_eq!(s.accumulator_step(1).unwrap(), Some(step.clone()));
    assert_eq!(s.accumulator_step(2).unwrap(), Some(step));
    assert_eq!(s.accumulator_step(3).unwrap(), None);
}

/// Re-stamped headers replace stored ones atomically, hash index included; anything that is not
/// a stored chain in order is refused and changes nothing.
#[test]
fn headers_are_replaced_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let s = RedbStore::open(&path).unwrap();
    let commit = |h: BlockHeader| BlockCommit {
        header: h,
        txs: vec![],
        included_seqs: vec![],
        dropped: vec![],
        ranges: RangeDelta::default(),
        shielded: Default::default(),
    };
    let h1 = header(1, B256::ZERO);
    let h2 = header(2, h1.hash());
    let h3 = header(3, h2.hash());
    for h in [h1, h2, h3] {
        s.commit_block(&commit(h)).unwrap();
    }
    let n2 = BlockHeader {
        timestamp: h3.timestamp + 100,
        ..h2
    };
    let n3 = BlockHeader {
        prev_hash: n2.hash(),
        timestamp: n2.timestamp,
        ..h3
    };
    // Refused: a gap, a broken link, an unstored number; nothing changes.
    for bad in [vec![n3], vec![n2, h3], vec![n2, n3, header(4, n3.hash())]] {
        let err = s.replace_headers(&bad).unwrap_err();
        assert!(matches!(err, Error::Restamp { .. }), "{err}");
        assert_eq!(s.header(2).unwrap(), Some(h2));
        assert_eq!(s.header(3).unwrap(), Some(h3));
    }
    s.replace_headers(&[n2, n3]).unwrap();
    drop(s);
    let s = RedbStore::open(&path).unwrap();
    assert_eq!(s.header(1).unwrap(), Some(h1));
    assert_eq!(s.header(2).unwrap(), Some(n2));
    assert_eq!(s.tip().unwrap(), Some(n3));
    assert_eq!(s.block_number(n3.hash()).unwrap(), Some(3));
    assert_eq!(s.block_number(h3.hash()).unwrap(), None);
    assert_eq!(s.block_number(h2.hash()).unwrap(), None);
    assert_eq!(s.block_number(h1.hash()).unwrap(), Some(1));
}
