//! Block builder and header chain behaviour.

use alloy_primitives::{B256, U256};
use debye_primitives::{
    Block, BlockBuilder, BlockHeader, Codec, Input, Output, Segment, Transaction,
    coin::coin_id,
    test_utils::{segment, test_address, test_domain, test_key, transfer_deposit},
};

fn seg(t: u32, a: u128, b: u128) -> Segment {
    segment(t, a, b).expect("valid")
}

#[test]
fn builder_rejects_conflicts_expiry_and_bad_signatures() {
    let d = test_domain();
    let mut b = BlockBuilder::after(d.clone(), None);
    assert_eq!(b.number(), 1);
    let t1 = transfer_deposit(&d, 1, 2, 1, seg(0, 0, 100), 10).expect("signs");
    assert_eq!(b.push(t1.clone()), Ok(0));
    // Same coins again (even partially, even from another owner): conflict.
    let t2 = transfer_deposit(&d, 3, 2, 1, seg(0, 99, 150), 10).expect("signs");
    assert_eq!(b.push(t2).map_err(|e| e.code()), Err("CoinConflict"));
    assert_eq!(b.push(t1).map_err(|e| e.code()), Err("CoinConflict"));
    // Touching is fine.
    let t3 = transfer_deposit(&d, 3, 2, 1, seg(0, 100, 150), 10).expect("signs");
    assert_eq!(b.push(t3.clone()), Ok(1));
    // A range inside an earlier one, and one covering several.
    let t4 = transfer_deposit(&d, 3, 2, 1, seg(0, 120, 130), 10).expect("signs");
    assert_eq!(b.push(t4).map_err(|e| e.code()), Err("CoinConflict"));
    let t5 = transfer_deposit(&d, 3, 2, 1, seg(0, 0, 1000), 10).expect("signs");
    assert_eq!(b.push(t5).map_err(|e| e.code()), Err("CoinConflict"));
    // Expired.
    let mut b2 = BlockBuilder::new(d.clone(), 11, B256::ZERO);
    let t6 = transfer_deposit(&d, 1, 2, 1, seg(4, 0, 100), 10).expect("signs");
    assert_eq!(b2.push(t6).map_err(|e| e.code()), Err("TxExpired"));
    // Unsigned.
    let mut unsigned = transfer_deposit(&d, 1, 2, 1, seg(4, 0, 100), 10).expect("signs");
    unsigned.signatures.clear();
    assert_eq!(
        b.push(unsigned).map_err(|e| e.code()),
        Err("SignatureCount")
    );
    assert_eq!(b.transactions().len(), 2);

    let (block, tree) = b.build().expect("builds");
    assert_eq!(block.header.tx_root, tree.root());
    assert_eq!(block.verify(&d).expect("valid").root(), tree.root());
    // Leaves: [0,100) t1, [100,150) t3, gap.
    assert_eq!(tree.leaves().len(), 3);
    let id3 = t3.tx_id(&d);
    tree.prove_inclusion(&seg(0, 120, 130), id3)
        .expect("included")
        .verify(block.header.tx_root, &seg(0, 120, 130), id3)
        .expect("verifies");

    // A body that does not match its header is rejected.
    let mut wrong = block.clone();
    wrong.transactions.pop();
    assert_eq!(
        wrong.verify(&d).map_err(|e| e.code()),
        Err("TxRootMismatch")
    );
    let json = serde_json::to_string(&block).expect("serializes");
    assert_eq!(
        serde_json::from_str::<Block>(&json).expect("deserializes"),
        block
    );
}

#[test]
fn header_chain() {
    let d = test_domain();
    let (b1, _) = BlockBuilder::after(d.clone(), None).build().expect("empty");
    assert_eq!(
        (b1.header.number, b1.header.prev_hash, b1.header.tx_root),
        (1, B256::ZERO, B256::ZERO)
    );
    b1.header.check_parent(None).expect("first block");
    let (b2, _) = BlockBuilder::after(d.clone(), Some(&b1.header))
        .build()
        .expect("empty");
    b2.header.check_parent(Some(&b1.header)).expect("child");
    assert_eq!(
        b2.header.check_parent(None).map_err(|e| e.code()),
        Err("BadParent")
    );
    let mut forged = b2.header;
    forged.prev_hash = B256::repeat_byte(1);
    assert_eq!(
        forged.check_parent(Some(&b1.header)).map_err(|e| e.code()),
        Err("BadParent")
    );
    assert_ne!(b1.hash(), b2.hash());
    assert_eq!(
        debye_primitives::BlockHeader::decode(&b2.header.encode()),
        Ok(b2.header)
    );
}

#[test]
fn coin_ranges_split_at_token_boundaries_and_cover_every_segment() {
    let d = test_domain();
    let last0 = Segment::new(coin_id(1, 0) - U256::from(5u8), coin_id(1, 0)).expect("ok");
    let tx = Transaction {
        inputs: vec![
            Input {
                owner: test_address(1),
                block_index: 1,
                tx_index: 0,
                output_index: 0,
                segment: last0,
            },
            Input {
                owner: test_address(1),
                block_index: 1,
                tx_index: 0,
                output_index: 1,
                segment: seg(1, 0, 5),
            },
        ],
        outputs: vec![
            Output {
                owner: test_address(2),
                segment: seg(1, 0, 2),
            },
            Output {
                owner: test_address(2),
                segment: seg(1, 2, 5),
            },
            Output {
                owner: test_address(2),
                segment: last0,
            },
        ],
        max_block_index: 5,
    };
    let ranges = tx.coin_ranges();
    assert_eq!(ranges, vec![last0, seg(1, 0, 5)]);
    let stx = tx.sign(&d, &[test_key(1)]).expect("signs");
    let mut b = BlockBuilder::after(d.clone(), None);
    b.push(stx).expect("valid");
    let (block, tree) = b.build().expect("builds");
    let id = tx.tx_id(&d);
    for s in tx
        .inputs
        .iter()
        .map(|i| i.segment)
        .chain(tx.outputs.iter().map(|o| o.segment))
    {
        tree.prove_inclusion(&s, id)
            .expect("inside one leaf")
            .verify(block.header.tx_root, &s, id)
            .expect("verifies");
    }
}

/// A block's two sections: the transparent one committed by `txRoot`, the shielded one (empty
/// while nothing produces entries) by `entriesRoot` and `entryCount` (docs/formats.md §7).
#[test]
fn the_header_commits_to_both_sections() {
    let d = test_domain();
    let mut b = BlockBuilder::after(d.clone(), None);
    let t = transfer_deposit(&d, 1, 2, 1, seg(0, 0, 100), 10).expect("signs");
    b.push(t).expect("valid");
    let (block, _) = b.build().expect("builds");
    assert!(block.shielded.is_empty());
    assert_eq!(block.header.entries_root, B256::ZERO);
    assert_eq!(Ok(block.header.entries_root), block.shielded.root());
    assert_eq!(block.header.entry_count, 0);

    // A header whose entries root or count commits to shielded entries the block does not carry.
    let mut forged = block.clone();
    forged.header.entries_root = B256::repeat_byte(7);
    assert_eq!(
        forged.verify(&d).map_err(|e| e.code()),
        Err("EntriesRootMismatch")
    );
    let mut forged = block.clone();
    forged.header.entry_count = 1;
    assert_eq!(
        forged.verify(&d).map_err(|e| e.code()),
        Err("EntriesRootMismatch")
    );
    // The other header fields are the header's, not the body's: a changed note root or
    // timestamp is a different header for the same body (and `check_parent` judges it).
    let mut other = block.clone();
    other.header.timestamp = 5;
    other.verify(&d).expect("the body still matches");

    // The wire form of a transparent-only block is unchanged: no `shielded` key.
    let json = serde_json::to_value(&block).expect("serializes");
    assert!(json.get("shielded").is_none(), "{json}");
    // An entry of a format nobody has specified is refused, not half read.
    let mut with_entry = json.clone();
    with_entry["shielded"] = serde_json::json!([{"nullifier": "0x01"}]);
    assert!(serde_json::from_value::<Block>(with_entry).is_err());
    let mut empty = json;
    empty["shielded"] = serde_json::json!([]);
    assert_eq!(
        serde_json::from_value::<Block>(empty).expect("an empty section reads"),
        block
    );
}

/// A block without shielded entries carries its parent's note root, note count and cursors;
/// timestamps and cursors never go back (docs/shielded.md §2.1–2.2).
#[test]
fn empty_sections_carry_the_shielded_state() {
    let d = test_domain();
    let (b1, _) = BlockBuilder::after(d.clone(), None)
        .note_state(B256::ZERO, 0, 0, 0)
        .timestamp(1_000)
        .build()
        .expect("builds");
    // Pretend block 1 had entries: its state is what block 2 must carry.
    let mut h1 = b1.header;
    h1.note_root = B256::repeat_byte(1);
    h1.note_count = 4;
    h1.entry_count = 2;
    h1.entries_root = B256::repeat_byte(2);
    h1.deposit_cursor = 1;
    h1.exit_cursor = 3;
    let (b2, _) = BlockBuilder::after(d, Some(&h1)).build().expect("builds");
    let h2 = b2.header;
    assert_eq!(
        (
            h2.note_root,
            h2.note_count,
            h2.deposit_cursor,
            h2.exit_cursor,
            h2.timestamp
        ),
        (h1.note_root, 4, 1, 3, 1_000)
    );
    assert_eq!((h2.entries_root, h2.entry_count), (B256::ZERO, 0));
    h2.check_parent(Some(&h1)).expect("carried");
    let later = BlockHeader {
        timestamp: 1_001,
        exit_cursor: 4,
        ..h2
    };
    later
        .check_parent(Some(&h1))
        .expect("time and exit imports move forward");
    type Change = fn(&mut BlockHeader);
    let cases: [(&str, Change); 6] = [
        ("timestamp", |h| h.timestamp = 999),
        ("noteRoot", |h| h.note_root = B256::ZERO),
        ("noteCount", |h| h.note_count = 6),
        ("depositCursor", |h| h.deposit_cursor = 2),
        ("depositCursor", |h| h.deposit_cursor = 0),
        ("exitCursor", |h| h.exit_cursor = 2),
    ];
    for (field, change) in cases {
        let mut bad = h2;
        change(&mut bad);
        assert_eq!(
            bad.check_parent(Some(&h1)),
            Err(debye_primitives::Error::BadShieldedState(field)),
            "{field}"
        );
    }
    // Before block 1 every value counts as zero.
    let mut first = b1.header;
    first.note_count = 2;
    assert_eq!(
        first.check_parent(None).map_err(|e| e.code()),
        Err("BadShieldedState")
    );
}
