//! The shielded tables (docs/shielded.md §4.3), written as conformance checks over any
//! [`Store`]: the pool is durable before an answer, a block's entries, nullifiers and frontier
//! commit with it or not at all, and a nullifier is never stored twice.

use alloy_primitives::{B256, U256};
use debye_storage::{
    BlockCommit, Error, L1Events, NoteFrontier, PendingShielded, RangeDelta, RedbStore,
    SCHEMA_VERSION, ShieldedCommit, ShieldedDepositEntry, ShieldedDropReason, ShieldedExitEntry,
    ShieldedRebuild, ShieldedRow, ShieldedStatus, Store,
};

use super::header;

fn entry(seq: u64) -> PendingShielded {
    PendingShielded {
        seq,
        id: B256::repeat_byte(0x40 + seq as u8),
        data: vec![seq as u8; 100 + seq as usize],
    }
}

fn frontier(count: u64) -> NoteFrontier {
    NoteFrontier {
        count,
        nodes: (0..count.count_ones())
            .map(|i| B256::repeat_byte(i as u8 + 1))
            .collect(),
    }
}

fn commit(number: u64, prev: B256, shielded: ShieldedCommit) -> BlockCommit {
    BlockCommit {
        header: header(number, prev),
        txs: vec![],
        included_seqs: vec![],
        dropped: vec![],
        ranges: RangeDelta::default(),
        shielded,
    }
}

/// Everything the shielded half of [`Store`] promises, on `s` (fresh) and on `reopen()` of it.
fn conformance<S: Store>(s: S, reopen: impl Fn(S) -> S) {
    let (e0, e1, e2) = (entry(0), entry(1), entry(2));
    s.accept_shielded(&[e0.clone(), e1.clone()]).unwrap();
    s.accept_shielded(std::slice::from_ref(&e2)).unwrap();
    assert_eq!(s.next_shielded_seq().unwrap(), 3);
    let s = reopen(s);
    assert_eq!(
        s.pending_shielded().unwrap(),
        vec![e0.clone(), e1.clone(), e2.clone()]
    );
    assert_eq!(
        s.shielded_status(e1.id).unwrap(),
        Some(ShieldedStatus::Pending { seq: 1 })
    );
    assert_eq!(s.note_frontier(0).unwrap(), Some(NoteFrontier::default()));
    assert_eq!(s.note_frontier(1).unwrap(), None, "past the tip");

    // Block 1 includes e0 and e1, drops e2.
    let nf = |n: u64| U256::from(1000 + n);
    let rows = vec![
        ShieldedRow {
            id: e0.id,
            data: e0.data.clone(),
        },
        ShieldedRow {
            id: e1.id,
            data: e1.data.clone(),
        },
    ];
    let c1 = commit(
        1,
        B256::ZERO,
        ShieldedCommit {
            entries: rows.clone(),
            included_seqs: vec![0, 1],
            dropped: vec![(e2.id, 2)],
            nullifiers: vec![nf(0), nf(1), nf(2), nf(3)],
            frontier: Some(frontier(4)),
            ..Default::default()
        },
    );
    s.commit_block(&c1).unwrap();
    // Block 2 has no shielded activity: the tree carries over.
    let h1 = c1.header.hash();
    let c2 = commit(2, h1, ShieldedCommit::default());
    s.commit_block(&c2).unwrap();
    let s = reopen(s);
    assert!(s.pending_shielded().unwrap().is_empty());
    assert_eq!(s.block_shielded(1).unwrap(), rows);
    assert!(s.block_shielded(2).unwrap().is_empty());
    assert_eq!(
        s.shielded_status(e1.id).unwrap(),
        Some(ShieldedStatus::Included { block: 1, index: 1 })
    );
    assert_eq!(
        s.shielded_status(e2.id).unwrap(),
        Some(ShieldedStatus::Dropped {
            reason: ShieldedDropReason::Expired
        })
    );
    assert_eq!(s.shielded_status(B256::ZERO).unwrap(), None);
    assert_eq!(s.nullifier_block(nf(3)).unwrap(), Some(1));
    assert_eq!(s.nullifier_block(nf(4)).unwrap(), None);
    assert_eq!(s.note_frontier(0).unwrap(), Some(NoteFrontier::default()));
    assert_eq!(s.note_frontier(1).unwrap(), Some(frontier(4)));
    assert_eq!(s.note_frontier(2).unwrap(), Some(frontier(4)));
    assert_eq!(s.note_frontier(3).unwrap(), None);

    // A block re-spending a nullifier is refused whole: no header, no entry, no new nullifier,
    // the pool untouched.
    let e3 = entry(3);
    s.accept_shielded(std::slice::from_ref(&e3)).unwrap();
    let h2 = c2.header.hash();
    let bad = commit(
        3,
        h2,
        ShieldedCommit {
            entries: vec![ShieldedRow {
                id: e3.id,
                data: e3.data.clone(),
            }],
            included_seqs: vec![3],
            dropped: vec![],
            nullifiers: vec![nf(9), nf(2)],
            frontier: Some(frontier(6)),
            ..Default::default()
        },
    );
    let err = s.commit_block(&bad).unwrap_err();
    assert!(
        matches!(err, Error::NullifierSpent { nullifier, block: 1 } if nullifier == nf(2)),
        "{err}"
    );
    let s = reopen(s);
    assert_eq!(s.tip().unwrap().map(|h| h.number), Some(2));
    assert_eq!(s.nullifier_block(nf(9)).unwrap(), None);
    assert!(s.block_shielded(3).unwrap().is_empty());
    assert_eq!(s.pending_shielded().unwrap(), vec![e3.clone()]);
    assert_eq!(
        s.shielded_status(e3.id).unwrap(),
        Some(ShieldedStatus::Pending { seq: 3 })
    );

    // A frontier whose nodes do not match its count is refused whole too.
    let mut inconsistent = bad.clone();
    inconsistent.shielded.nullifiers = vec![nf(9)];
    inconsistent.shielded.frontier = Some(NoteFrontier {
        count: 6,
        nodes: vec![B256::ZERO],
    });
    assert!(matches!(
        s.commit_block(&inconsistent).unwrap_err(),
        Error::Corrupt { .. }
    ));
    assert_eq!(s.nullifier_block(nf(9)).unwrap(), None);

    let mut good = bad;
    good.shielded.nullifiers = vec![nf(9), nf(10)];
    s.commit_block(&good).unwrap();
    assert_eq!(s.nullifier_block(nf(9)).unwrap(), Some(3));
    assert_eq!(s.note_frontier(3).unwrap(), Some(frontier(6)));
    assert_eq!(s.note_frontier(2).unwrap(), Some(frontier(4)));
}

/// The queues imported from the L1 pool (docs/shielded.md S-4.3): deposits wait until a block
/// appends them, in order; an exit's nullifiers refuse any later block spending them and drop
/// the pooled entries that spend them; the exit count moves with the L1 cursor, in order only.
fn import_conformance<S: Store>(s: S, reopen: impl Fn(S) -> S) {
    let dep = |index: u32| ShieldedDepositEntry {
        index,
        cm: U256::from(500 + index),
        l1_block: 7,
    };
    let exit = |index: u32, a: u64, b: u64| ShieldedExitEntry {
        index,
        nullifiers: [U256::from(a), U256::from(b)],
        l1_block: 8,
    };
    let (e0, e1) = (entry(0), entry(1));
    s.accept_shielded(&[e0.clone(), e1.clone()]).unwrap();
    s.record_l1_events(&L1Events {
        shielded_deposits: vec![dep(0), dep(1)],
        shielded_exits: vec![exit(0, 70, 71)],
        shielded_dropped: vec![(e0.id, 0)],
        next_l1_block: 9,
        ..Default::default()
    })
    .unwrap();
    let s = reopen(s);
    assert_eq!(s.l1_cursor().unwrap(), Some(9));
    assert_eq!(s.shielded_deposit_queue().unwrap(), vec![dep(0), dep(1)]);
    assert_eq!(s.shielded_exits_imported().unwrap(), 1);
    assert_eq!(s.nullifier_exit(U256::from(71)).unwrap(), Some(0));
    assert_eq!(s.nullifier_exit(U256::from(72)).unwrap(), None);
    assert_eq!(s.pending_shielded().unwrap(), vec![e1.clone()]);
    assert_eq!(
        s.shielded_status(e0.id).unwrap(),
        Some(ShieldedStatus::Dropped {
            reason: ShieldedDropReason::Exited
        })
    );

    // An exit out of order is refused whole: the cursor and the deposits stay.
    let err = s
        .record_l1_events(&L1Events {
            shielded_deposits: vec![dep(2)],
            shielded_exits: vec![exit(2, 80, 81)],
            next_l1_block: 10,
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert_eq!(s.l1_cursor().unwrap(), Some(9));
    assert_eq!(s.shielded_deposit_queue().unwrap().len(), 2);
    assert_eq!(s.nullifier_exit(U256::from(80)).unwrap(), None);

    // A block spending an exited nullifier is refused whole; one appending a deposit out of
    // queue order too.
    let spend = |nullifiers: Vec<U256>, appended: Vec<u32>| {
        commit(
            1,
            B256::ZERO,
            ShieldedCommit {
                entries: vec![ShieldedRow {
                    id: e1.id,
                    data: e1.data.clone(),
                }],
                included_seqs: vec![1],
                nullifiers,
                appended_deposits: appended,
                frontier: Some(frontier(4)),
                ..Default::default()
            },
        )
    };
    let err = s
        .commit_block(&spend(vec![U256::from(5), U256::from(70)], vec![0]))
        .unwrap_err();
    assert!(
        matches!(err, Error::NullifierExited { exit: 0, .. }),
        "{err}"
    );
    let err = s
        .commit_block(&spend(vec![U256::from(5), U256::from(6)], vec![1]))
        .unwrap_err();
    assert!(matches!(err, Error::DepositQueue { index: 1 }), "{err}");
    assert_eq!(s.tip().unwrap(), None);
    s.commit_block(&spend(vec![U256::from(5), U256::from(6)], vec![0]))
        .unwrap();
    let s = reopen(s);
    assert_eq!(s.shielded_deposit_queue().unwrap(), vec![dep(1)]);
    assert!(s.pending_shielded().unwrap().is_empty());
}

#[test]
fn redb_store_imports_the_l1_queues() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let s = RedbStore::open(&path).unwrap();
    import_conformance(s, |s| {
        drop(s);
        RedbStore::open(&path).unwrap()
    });
}

#[test]
fn a_schema_3_file_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    {
        let s = RedbStore::open(&path).unwrap();
        s.accept_shielded(&[entry(0)]).unwrap();
        s.set_schema_version(3).unwrap();
    }
    let s = RedbStore::open(&path).unwrap();
    assert_eq!(s.pending_shielded().unwrap(), vec![entry(0)]);
    assert!(s.shielded_deposit_queue().unwrap().is_empty());
    assert_eq!(s.shielded_exits_imported().unwrap(), 0);
    assert_eq!(s.nullifier_exit(U256::from(1)).unwrap(), None);
}

#[test]
fn redb_store_keeps_the_shielded_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let s = RedbStore::open(&path).unwrap();
    conformance(s, |s| {
        drop(s);
        RedbStore::open(&path).unwrap()
    });
}

#[test]
fn a_schema_2_file_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    {
        let s = RedbStore::open(&path).unwrap();
        s.commit_block(&commit(1, B256::ZERO, ShieldedCommit::default()))
            .unwrap();
        s.set_schema_version(2).unwrap();
    }
    let s = RedbStore::open(&path).unwrap();
    assert_eq!(s.tip().unwrap().map(|h| h.number), Some(1));
    assert_eq!(s.note_frontier(1).unwrap(), Some(NoteFrontier::default()));
    assert!(s.pending_shielded().unwrap().is_empty());
    drop(s);
    // Opening again finds the current version (no second migration, no mismatch).
    let s = RedbStore::open(&path).unwrap();
    s.set_schema_version(1).unwrap();
    drop(s);
    // Version 1 (5-field headers) is still refused.
    assert!(matches!(
        RedbStore::open(&path).unwrap_err(),
        Error::SchemaMismatch {
            found: 1,
            expected: SCHEMA_VERSION
        }
    ));
}

/// A re-stamped block's rebuilt section (docs/shielded.md §10) replaces its entries, frees the
/// dropped entry's nullifiers, marks it dropped and moves the frontier, with the headers, in one
/// write; a section without its header is refused and changes nothing.
#[test]
fn rebuilt_sections_replace_a_blocks_entries_with_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let s = RedbStore::open(dir.path().join("s.redb")).unwrap();
    let (e0, e1) = (entry(0), entry(1));
    s.accept_shielded(&[e0.clone(), e1.clone()]).unwrap();
    let row = |e: &PendingShielded| ShieldedRow {
        id: e.id,
        data: e.data.clone(),
    };
    let nf = |n: u64| U256::from(2000 + n);
    let c1 = commit(
        1,
        B256::ZERO,
        ShieldedCommit {
            entries: vec![row(&e0), row(&e1)],
            included_seqs: vec![0, 1],
            nullifiers: vec![nf(0), nf(1), nf(2), nf(3)],
            frontier: Some(frontier(4)),
            ..Default::default()
        },
    );
    s.commit_block(&c1).unwrap();
    let new = debye_primitives::BlockHeader {
        timestamp: c1.header.timestamp + 100,
        ..c1.header
    };
    let rebuild = ShieldedRebuild {
        number: 1,
        entries: vec![row(&e1)],
        dropped: vec![e0.id],
        freed: vec![nf(0), nf(1)],
        frontier: Some(frontier(2)),
    };
    let orphan = ShieldedRebuild {
        number: 2,
        ..Default::default()
    };
    let err = s
        .replace_blocks(&[new], &[rebuild.clone(), orphan])
        .unwrap_err();
    assert!(matches!(err, Error::Restamp { number: 2, .. }), "{err}");
    assert_eq!(s.block_shielded(1).unwrap().len(), 2);
    s.replace_blocks(&[new], &[rebuild]).unwrap();
    assert_eq!(s.header(1).unwrap(), Some(new));
    assert_eq!(s.block_shielded(1).unwrap(), vec![row(&e1)]);
    assert_eq!(
        s.shielded_status(e1.id).unwrap(),
        Some(ShieldedStatus::Included { block: 1, index: 0 })
    );
    assert_eq!(
        s.shielded_status(e0.id).unwrap(),
        Some(ShieldedStatus::Dropped {
            reason: ShieldedDropReason::Expired
        })
    );
    assert_eq!(s.nullifier_block(nf(0)).unwrap(), None);
    assert_eq!(s.nullifier_block(nf(2)).unwrap(), Some(1));
    assert_eq!(s.note_frontier(1).unwrap(), Some(frontier(2)));
}
