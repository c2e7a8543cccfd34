//! Property tests: tree round trips over random tilings, transaction validity under random
//! splits, merges and tampering, and decoders fed arbitrary bytes.

use alloy_primitives::{B256, U256, keccak256};
use debye_primitives::{
    BlockHeader, Codec, ExclusionProof, InclusionProof, Input, Output, ProofNode, Segment,
    SignedTransaction, SumMerkleProof, SumMerkleTree, Transaction,
    coin::{COIN_SPACE_END, coin_id},
    test_utils::{test_address, test_domain, test_key},
};
use proptest::prelude::*;

/// Random disjoint `(token, start offset, length)` pieces turned into tree entries; some
/// neighbours touch, some leave gaps, some share a tx id.
fn arb_entries() -> impl Strategy<Value = Vec<(Segment, B256)>> {
    prop::collection::vec(
        (0u32..4, 0u128..1_000, 1u128..50, 0u8..6, any::<bool>()),
        0..40,
    )
    .prop_map(|pieces| {
        let mut out = Vec::new();
        let mut cursor: Option<(u32, u128)> = None;
        for (token, gap, len, label, touch) in pieces {
            let (t, start) = match cursor {
                Some((t, end)) if token <= t => (t, if touch { end } else { end + gap }),
                _ => (token, gap),
            };
            let seg = Segment::new(coin_id(t, start), coin_id(t, start + len)).expect("in token");
            out.push((seg, keccak256([label + 1])));
            cursor = Some((t, start + len));
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn tree_round_trip(entries in arb_entries(), probe in any::<prop::sample::Index>(), cut in 0u8..3) {
        let tree = SumMerkleTree::build(entries.clone()).expect("disjoint entries build");
        let root = tree.root();
        // Leaves tile the coin space and gaps are merged.
        let mut cursor = U256::ZERO;
        for w in tree.leaves().windows(2) {
            prop_assert!(!(w[0].is_null() && w[1].is_null()), "adjacent gaps");
        }
        for l in tree.leaves() {
            prop_assert_eq!(l.start, cursor);
            prop_assert!(l.length > U256::ZERO);
            cursor = l.end();
        }
        prop_assert_eq!(cursor, COIN_SPACE_END);
        // Every entry is provable, by its whole segment and by a sub-segment.
        for (seg, id) in &entries {
            let p = tree.prove_inclusion(seg, *id).expect("entry included");
            prop_assert_eq!(p.verify(root, seg, *id), Ok(()));
            let enc = p.encode();
            prop_assert_eq!(InclusionProof::decode(&enc).expect("decodes"), p.clone());
            let sub = Segment::new(seg.start() + U256::from(cut).min(seg.len() - U256::from(1u8)), seg.end()).expect("sub");
            prop_assert_eq!(p.verify(root, &sub, *id), Ok(()));
            prop_assert!(tree.prove_exclusion(seg).is_err());
            // The proof is bound to its transaction id.
            prop_assert!(p.verify(root, seg, keccak256(id)).is_err());
        }
        // A random leaf: gaps have exclusion proofs, and a proof never verifies a segment
        // extending past its leaf.
        let i = probe.index(tree.leaves().len());
        let leaf = tree.leaves()[i];
        let p = tree.prove_leaf(i).expect("in range");
        let (r, start) = p.compute_root(leaf.hash).expect("valid proof");
        prop_assert_eq!((r, start), (root, leaf.start));
        if leaf.is_null() {
            let s = Segment::new(leaf.start, leaf.start + U256::from(1u8)).expect("one coin");
            let x = tree.prove_exclusion(&s).expect("gap");
            prop_assert_eq!(x.verify(root, &s), Ok(()));
            prop_assert_eq!(ExclusionProof::decode(&x.encode()).expect("decodes"), x);
        }
        if leaf.end() < COIN_SPACE_END
            && let Ok(s) = Segment::new(leaf.end() - U256::from(1u8), leaf.end() + U256::from(1u8))
        {
            prop_assert_eq!(p.verify_leaf(root, leaf.hash, &s).map_err(|e| e.code()), Err("SegmentOutsideLeaf"));
        }
    }

    #[test]
    fn tree_proof_tampering_fails(entries in arb_entries(), probe in any::<prop::sample::Index>(),
                                  which in any::<prop::sample::Index>(), delta in 1u64.., bit in 0u8..3) {
        let tree = SumMerkleTree::build(entries).expect("builds");
        let i = probe.index(tree.leaves().len());
        let leaf = tree.leaves()[i];
        let good = tree.prove_leaf(i).expect("in range");
        let mut bad = good.clone();
        let d = U256::from(delta);
        match (bad.siblings.is_empty(), bit) {
            (true, _) | (false, 0) => bad.leaf_length = bad.leaf_length.wrapping_add(d),
            (false, 1) => {
                let k = which.index(bad.siblings.len());
                bad.siblings[k].length = bad.siblings[k].length.wrapping_add(d);
            }
            (false, _) => {
                let k = which.index(bad.siblings.len());
                bad.siblings[k].hash = keccak256(bad.siblings[k].hash);
            }
        }
        prop_assert!(bad.verify_leaf(tree.root(), leaf.hash, &Segment::new(leaf.start, leaf.start + U256::from(1u8)).expect("coin")).is_err());
    }

    #[test]
    fn tx_random_splits_and_merges_are_valid(
        cuts_in in prop::collection::btree_set(1u128..1_000, 0..15),
        cuts_out in prop::collection::btree_set(1u128..1_000, 0..15),
        owners_out in prop::collection::vec(1u64..6, 16),
        swap in any::<bool>(),
        shuffle in any::<prop::sample::Index>(),
    ) {
        let d = test_domain();
        let pieces = |cuts: &std::collections::BTreeSet<u128>| {
            let mut bounds = vec![0u128];
            bounds.extend(cuts.iter().copied());
            bounds.push(1_000);
            bounds.windows(2).map(|w| Segment::new(coin_id(3, w[0]), coin_id(3, w[1])).expect("ok")).collect::<Vec<_>>()
        };
        let inputs: Vec<Input> = pieces(&cuts_in).into_iter().enumerate().map(|(i, s)| Input {
            owner: test_address(if swap { 1 + (i as u64 % 2) } else { 1 }),
            block_index: i as u64 + 1, tx_index: i as u32, output_index: (i % 16) as u8, segment: s,
        }).collect();
        let mut outputs: Vec<Output> = pieces(&cuts_out).into_iter().zip(&owners_out)
            .map(|(s, o)| Output { owner: test_address(*o), segment: s }).collect();
        let k = shuffle.index(outputs.len());
        outputs.rotate_left(k);
        let tx = Transaction { inputs, outputs, max_block_index: 99 };
        prop_assert_eq!(tx.validate(), Ok(()));
        let stx = tx.sign(&d, &[test_key(1), test_key(2)]).expect("signs");
        prop_assert_eq!(stx.verify(&d), Ok(tx.tx_id(&d)));
        prop_assert_eq!(SignedTransaction::decode(&stx.encode()).expect("decodes"), stx.clone());
        prop_assert_eq!(tx.coin_ranges(), vec![Segment::new(coin_id(3, 0), coin_id(3, 1_000)).expect("ok")]);
    }

    #[test]
    fn tx_tampering_is_invalid(
        cuts in prop::collection::btree_set(1u128..1_000, 1..10),
        field in 0u8..8,
        pick in any::<prop::sample::Index>(),
        delta in 1u128..5,
    ) {
        let d = test_domain();
        let mut bounds = vec![0u128];
        bounds.extend(cuts.iter().copied());
        bounds.push(1_000);
        let segs: Vec<Segment> = bounds.windows(2).map(|w| Segment::new(coin_id(0, w[0]), coin_id(0, w[1])).expect("ok")).collect();
        let tx = Transaction {
            inputs: segs.iter().map(|s| Input { owner: test_address(1), block_index: 4, tx_index: 2, output_index: 1, segment: *s }).collect(),
            outputs: vec![Output { owner: test_address(2), segment: Segment::new(coin_id(0, 0), coin_id(0, 1_000)).expect("ok") }],
            max_block_index: 10,
        };
        let stx = tx.sign(&d, &[test_key(1)]).expect("signs");
        prop_assert!(stx.verify(&d).is_ok());
        let mut bad = stx.clone();
        let i = pick.index(bad.transaction.inputs.len());
        let inp = &mut bad.transaction.inputs[i];
        let grow = |s: Segment| Segment::new(s.start(), s.end() + U256::from(delta)).expect("ok");
        match field {
            // Accounting breaks: the validity rules fail.
            0 => inp.segment = grow(inp.segment),
            1 => bad.transaction.outputs[0].segment = grow(bad.transaction.outputs[0].segment),
            2 => { bad.transaction.inputs.remove(i); if bad.transaction.inputs.is_empty() { bad.transaction.outputs.clear(); } }
            // Content changes under the signature: the signer no longer matches.
            3 => inp.block_index += delta as u64,
            4 => inp.tx_index = inp.tx_index.wrapping_add(delta as u32),
            5 => bad.transaction.max_block_index -= delta as u64,
            6 => bad.transaction.outputs[0].owner = test_address(3),
            _ => bad.signatures[0] = debye_primitives::tx::sign_digest(&test_key(2), &tx.tx_id(&d)).expect("signs"),
        }
        prop_assert!(bad.verify(&d).is_err(), "tampered field {} still verifies", field);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, .. ProptestConfig::default() })]

    #[test]
    fn decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1_200)) {
        let _ = Transaction::decode(&bytes);
        let _ = SignedTransaction::decode(&bytes);
        let _ = SumMerkleProof::decode(&bytes);
        let _ = InclusionProof::decode(&bytes);
        let _ = ExclusionProof::decode(&bytes);
        let _ = BlockHeader::decode(&bytes);
    }

    #[test]
    fn decoders_never_panic_on_mutated_encodings(pos in any::<prop::sample::Index>(), byte in any::<u8>(),
                                                 cut in any::<prop::sample::Index>(), which in 0u8..3) {
        // Start from valid encodings so the mutations reach deep into the decoders.
        let d = test_domain();
        let seg = Segment::new(coin_id(0, 0), coin_id(0, 10)).expect("ok");
        let stx = Transaction {
            inputs: vec![Input::deposit(test_address(1), 1, seg)],
            outputs: vec![Output { owner: test_address(2), segment: seg }],
            max_block_index: 3,
        }.sign(&d, &[test_key(1)]).expect("signs");
        let proof = SumMerkleProof { leaf_length: U256::from(10u8), path: 1, siblings: vec![ProofNode { length: U256::from(5u8), hash: B256::repeat_byte(7) }; 3] };
        let mut enc = match which { 0 => stx.encode(), 1 => proof.encode(), _ => stx.transaction.encode() };
        let p = pos.index(enc.len());
        enc[p] = byte;
        let _ = SignedTransaction::decode(&enc);
        let _ = SumMerkleProof::decode(&enc);
        let _ = Transaction::decode(&enc);
        enc.truncate(cut.index(enc.len() + 1));
        let _ = SignedTransaction::decode(&enc);
        let _ = SumMerkleProof::decode(&enc);
        let _ = Transaction::decode(&enc);
        // Whatever decodes must verify without panicking and re-encode to the same bytes.
        if let Ok(s) = SignedTransaction::decode(&enc) {
            let _ = s.verify(&d);
            prop_assert_eq!(s.encode(), enc.clone());
        }
        if let Ok(p) = SumMerkleProof::decode(&enc) {
            let _ = p.compute_root(B256::ZERO);
            prop_assert_eq!(p.encode(), enc);
        }
    }
}
