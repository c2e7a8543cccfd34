//! Aligned slices, α/β keys and the seed's three implications.

use std::collections::BTreeSet;

use debye_accumulator::slice::{
    block_keys, exclusion_holds, exclusion_keys, inclusion_holds, inclusion_keys,
};
use debye_accumulator::{CoinRange, Geometry, Key, Point, Slice};
use proptest::prelude::*;

use crate::support::{DEPTH, geometry, leaves, slice};

fn all_slices() -> Vec<Slice> {
    (0..=DEPTH)
        .flat_map(|l| (0..(1u32 << l)).map(move |i| slice(l, i)))
        .collect()
}

fn leaf_range() -> impl Strategy<Value = (u32, u32)> {
    (0u32..(1 << DEPTH), 1u32..=(1 << DEPTH)).prop_map(|(a, len)| {
        let b = (a + len).min(1 << DEPTH);
        (a, b.max(a + 1))
    })
}

fn touched_leaves(ranges: &[(u32, u32)]) -> Vec<bool> {
    let mut t = vec![false; 1 << DEPTH];
    for &(a, b) in ranges {
        for x in &mut t[a as usize..b as usize] {
            *x = true;
        }
    }
    t
}

/// The slices of the test tree with the leaves each covers.
fn slices_with_leaves() -> Vec<(Slice, std::ops::Range<usize>)> {
    (0..=DEPTH)
        .flat_map(|l| {
            let width = 1usize << (DEPTH - l);
            (0..(1u32 << l))
                .map(move |i| (slice(l, i), i as usize * width..(i as usize + 1) * width))
        })
        .collect()
}

/// P and all its descendants down to the leaves.
fn subtree(p: Slice) -> Vec<Slice> {
    let mut out = vec![p];
    let mut i = 0;
    while i < out.len() {
        if out[i].level() < DEPTH {
            out.extend(out[i].children().expect("above coin level"));
        }
        i += 1;
    }
    out
}

#[test]
fn decomposition_is_exact_aligned_and_short() {
    let g = Geometry::EXACT;
    let cases = [
        CoinRange::in_token(0, 5, Some(1_000_003)).expect("range"),
        CoinRange::in_token(3, 0, None).expect("range"),
        CoinRange::new(Point::coin(1, u128::MAX - 7), Point::coin(9, 12)).expect("range"),
        CoinRange::new(Point::ZERO, Point::END).expect("range"),
        CoinRange::new(Point::coin(0, 1), Point::END).expect("range"),
    ];
    for r in cases {
        let d = g.decompose(&r);
        assert!(d.len() <= 2 * 160, "{} slices", d.len());
        assert_eq!(d[0].start(), r.start());
        assert_eq!(d[d.len() - 1].end(), r.end());
        for w in d.windows(2) {
            assert_eq!(w[0].end(), w[1].start(), "contiguous");
            // maximality: two neighbouring siblings would have been merged into their parent
            assert!(w[0].parent().is_none() || w[0].parent() != w[1].parent());
        }
    }
    assert_eq!(
        g.decompose(&CoinRange::new(Point::ZERO, Point::END).expect("range")),
        vec![Slice::ROOT]
    );
}

#[test]
fn geometry_rounds_outward_to_leaves() {
    let g = Geometry::new(100).expect("geometry");
    let r = CoinRange::in_token(0, (1 << 100) + 5, Some((3 << 100) - 1)).expect("range");
    let rounded = g.round(&r);
    assert_eq!(rounded.start(), Point::coin(0, 1 << 100));
    assert_eq!(rounded.end(), Point::coin(0, 3 << 100));
    assert_eq!(g.decompose(&r).len(), 2); // [1,2) and [2,3) in 2^100 units: not siblings
    assert!(Geometry::new(160).is_err());
}

#[test]
fn invalid_inputs_are_typed_errors() {
    assert!(CoinRange::new(Point::coin(0, 5), Point::coin(0, 5)).is_err());
    assert!(CoinRange::new(Point::coin(0, 6), Point::coin(0, 5)).is_err());
    assert!(
        Slice::new(3, Point::coin(1, 0)).is_err(),
        "not aligned to level 3"
    );
    assert!(Slice::new(161, Point::ZERO).is_err());
    let mut bytes = Point::END.to_be_bytes();
    assert_eq!(Point::from_be_bytes(bytes), Ok(Point::END));
    bytes[20] = 1;
    assert!(Point::from_be_bytes(bytes).is_err());
    assert_eq!(
        Point::from_be_bytes(Point::coin(7, 99).to_be_bytes()),
        Ok(Point::coin(7, 99))
    );
}

#[test]
fn block_keys_of_a_single_leaf_are_alpha_and_the_beta_path() {
    let bk = block_keys(&geometry(), &[leaves(5, 6)]);
    assert_eq!(
        bk.alpha.iter().copied().collect::<Vec<_>>(),
        vec![slice(DEPTH, 5)]
    );
    assert_eq!(bk.keys.len(), 1 + (DEPTH as usize + 1));
    // adjacent touched ranges merge: [4,6) ∪ [6,8) is the aligned slice [4,8)
    let bk = block_keys(&geometry(), &[leaves(4, 6), leaves(6, 8)]);
    assert_eq!(
        bk.alpha.iter().copied().collect::<Vec<_>>(),
        vec![slice(DEPTH - 2, 1)]
    );
}

fn key_strategy() -> impl Strategy<Value = Key> {
    (0..=DEPTH, any::<u32>(), any::<bool>()).prop_map(|(l, i, a)| {
        let s = slice(l, i % (1 << l));
        if a { Key::alpha(s) } else { Key::beta(s) }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// The three implications hold for ANY key set (honest blocks plus arbitrary additions and
    /// removals), which is what makes them usable against a cheating operator.
    #[test]
    fn seed_implications_hold_for_arbitrary_key_sets(
        ranges in prop::collection::vec(leaf_range(), 0..4),
        extra in prop::collection::vec(key_strategy(), 0..12),
        drop in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let rs: Vec<CoinRange> = ranges.iter().map(|&(a, b)| leaves(a, b)).collect();
        let mut set: BTreeSet<Key> = block_keys(&geometry(), &rs).keys;
        set.extend(extra);
        for ix in drop {
            if !set.is_empty() {
                let k = *ix.get(&set.iter().copied().collect::<Vec<_>>());
                set.remove(&k);
            }
        }
        for p in &all_slices() {
            let inc_p = inclusion_holds(&set, p);
            let exc_p = exclusion_holds(&set, p);
            for q in &subtree(*p) {
                prop_assert!(p.contains(q));
                let inc_q = inclusion_holds(&set, q);
                let exc_q = exclusion_holds(&set, q);
                if q != p {
                    // inclusionproof(P) ⇒ inclusionproof(Q) for Q ∈ child(P)
                    prop_assert!(!inc_p || inc_q, "1: {p:?} {q:?}");
                }
                // exclusionproof(P) ⇒ ¬inclusionproof(Q) for Q ∈ child(P) ∪ {P}
                prop_assert!(!exc_p || !inc_q, "2: {p:?} {q:?}");
                // inclusionproof(P) ⇒ ¬exclusionproof(Q) for Q ∈ child(P) ∪ {P}
                prop_assert!(!inc_p || !exc_q, "3: {p:?} {q:?}");
            }
        }
    }

    /// On honest blocks the predicates mean what they say: exclusion ⇔ disjoint from the
    /// touched set, inclusion ⇔ inside it; and the range-level key sets agree.
    #[test]
    fn honest_predicates_match_the_touched_set(
        ranges in prop::collection::vec(leaf_range(), 0..4),
        query in leaf_range(),
    ) {
        let rs: Vec<CoinRange> = ranges.iter().map(|&(a, b)| leaves(a, b)).collect();
        let bk = block_keys(&geometry(), &rs);
        let touched = touched_leaves(&ranges);
        for (p, span) in slices_with_leaves() {
            let any = touched[span.clone()].iter().any(|&t| t);
            let all = touched[span].iter().all(|&t| t);
            prop_assert_eq!(exclusion_holds(&bk.keys, &p), !any, "{:?}", p);
            prop_assert_eq!(inclusion_holds(&bk.keys, &p), all, "{:?}", p);
        }
        let q = leaves(query.0, query.1);
        let q_any = touched[query.0 as usize..query.1 as usize].iter().any(|&t| t);
        let q_all = touched[query.0 as usize..query.1 as usize].iter().all(|&t| t);
        let absent = exclusion_keys(&geometry(), &q).is_disjoint(&bk.keys);
        prop_assert_eq!(absent, !q_any);
        match inclusion_keys(&geometry(), &q, &bk.alpha) {
            Ok(keys) => {
                prop_assert!(q_all);
                prop_assert!(keys.is_subset(&bk.keys));
            }
            Err(_) => prop_assert!(!q_all),
        }
    }
}
