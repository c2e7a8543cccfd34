//! Random histories: every proof verifies iff its claim is true.

use debye_accumulator::accumulator::key_primes;
use debye_accumulator::{
    Accumulator, Error, ExclusionProof, Factors, Group, block_factors, exclusion_factors,
    verify_block, verify_exclusion, verify_inclusion,
};
use num_bigint::BigUint;
use num_traits::Zero;
use proptest::prelude::*;

use crate::support::{DEPTH, geometry, leaves};

fn leaf_range() -> impl Strategy<Value = (u32, u32)> {
    (0u32..(1 << DEPTH), 1u32..40).prop_map(|(a, len)| (a, (a + len).min(1 << DEPTH)))
}

fn overlaps(x: (u32, u32), y: (u32, u32)) -> bool {
    x.0 < y.1 && y.0 < x.1
}

fn covers(block: &[(u32, u32)], q: (u32, u32)) -> bool {
    (q.0..q.1).all(|leaf| block.iter().any(|r| r.0 <= leaf && leaf < r.1))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10))]

    #[test]
    fn proofs_verify_iff_the_claim_is_true(
        history in prop::collection::vec(prop::collection::vec(leaf_range(), 0..3), 1..5),
        query in leaf_range(),
        span in (any::<prop::sample::Index>(), any::<prop::sample::Index>()),
    ) {
        let g = Group::rsa2048();
        let geo = geometry();
        let mut acc = Accumulator::new(geo);
        for block in &history {
            let touched: Vec<_> = block.iter().map(|&(a, b)| leaves(a, b)).collect();
            let prev = acc.value(acc.height()).expect("head").clone();
            let up = acc.apply_block(&touched).expect("apply");
            verify_block(g, &geo, &prev, &up.value, &touched, &up.proof).expect("chain step");
            prop_assert_eq!(up.digest, g.digest(&up.value));
            // the chain proof does not verify for other touched ranges
            let other = vec![leaves(255, 256)];
            if touched != other && !touched.is_empty() {
                prop_assert!(verify_block(g, &geo, &prev, &up.value, &other, &up.proof).is_err());
            }
        }
        let n = history.len();
        let (i, j) = (span.0.index(n + 1), span.1.index(n + 1));
        let (a, b) = (i.min(j) as u64, i.max(j) as u64);
        let q = leaves(query.0, query.1);
        let (va, vb) = (acc.value(a).expect("a").clone(), acc.value(b).expect("b").clone());
        let blocks = &history[a as usize..b as usize];
        let touched = blocks.iter().flatten().any(|&r| overlaps(r, query));

        match acc.prove_exclusion(&q, a, b) {
            Ok(proof) => {
                prop_assert!(!touched, "exclusion proof for a touched range");
                verify_exclusion(g, &geo, &q, &va, &vb, &proof).expect("honest exclusion");
                let bytes = proof.to_bytes(g).expect("encode");
                prop_assert_eq!(bytes.len(), 1856);
            }
            Err(e) => {
                prop_assert!(touched, "no exclusion proof for an untouched range: {}", e);
                prop_assert_eq!(e, Error::RangeTouched);
                // a cheating prover that drops the offending primes from D is caught
                let x = exclusion_factors(&geo, &q).expect("primes");
                let mut d = acc.span_exponent(a, b).expect("span");
                for p in x.factors() {
                    while (&d % p).is_zero() {
                        d /= p;
                    }
                }
                let fake_b = g.pow(&va, &d);
                let proof = ExclusionProof::prove(g, &va, &fake_b, &d, &x).expect("coprime now");
                prop_assert!(verify_exclusion(g, &geo, &q, &va, &vb, &proof).is_err());
            }
        }

        let included = blocks.iter().any(|blk| covers(blk, query));
        match acc.prove_inclusion(&q, a, b) {
            Ok((keys, proof)) => {
                prop_assert!(included);
                verify_inclusion(g, &geo, &q, &keys, &va, &vb, &proof).expect("honest inclusion");
                // the same keys do not verify against a span that misses the touching block
                let y = Factors::new(key_primes(&keys).expect("primes"));
                let d = acc.span_exponent(a, b).expect("span");
                prop_assert!((&d % y.product()).is_zero());
            }
            Err(e) => {
                prop_assert!(!included, "no inclusion proof for an included range: {}", e);
                prop_assert_eq!(e, Error::RangeNotIncluded);
            }
        }
        // sanity: block factors are what the accumulator applied
        let d: BigUint = history[a as usize..b as usize]
            .iter()
            .map(|blk| {
                let t: Vec<_> = blk.iter().map(|&(x, y)| leaves(x, y)).collect();
                block_factors(&geo, &t).expect("primes").product()
            })
            .product();
        prop_assert_eq!(d, acc.span_exponent(a, b).expect("span"));
    }
}

#[test]
fn exclusion_over_an_exact_geometry_coin_is_constant_size() {
    // the default (coin-exact) geometry: a 1-unit-of-10^18 coin, a long gap of empty blocks
    let g = Group::rsa2048();
    let mut acc = Accumulator::new(Default::default());
    let coin = debye_accumulator::CoinRange::in_token(0, 5_000, Some(9_000)).expect("coin");
    let other = debye_accumulator::CoinRange::in_token(1, 0, Some(1 << 20)).expect("other");
    acc.apply_block(&[coin]).expect("deposit");
    for _ in 0..3 {
        acc.apply_block(&[other]).expect("unrelated");
    }
    acc.apply_block(&[]).expect("empty");
    let proof = acc.prove_exclusion(&coin, 1, 5).expect("untouched");
    verify_exclusion(
        g,
        acc.geometry(),
        &coin,
        acc.value(1).expect("a"),
        acc.value(5).expect("b"),
        &proof,
    )
    .expect("verifies");
    assert_eq!(acc.prove_exclusion(&coin, 0, 5), Err(Error::RangeTouched));
    assert_eq!(
        acc.prove_exclusion(&coin, 3, 9),
        Err(Error::UnknownBlock(9))
    );
    assert_eq!(
        acc.prove_exclusion(&coin, 4, 3),
        Err(Error::InvalidSpan { a: 4, b: 3 })
    );
}

#[test]
fn chain_proof_can_follow_the_published_value() {
    let g = Group::rsa2048();
    let geo = geometry();
    let mut acc = Accumulator::new(geo);
    let touched = vec![leaves(3, 9)];
    let v = acc.append_block(&touched).expect("append");
    assert_eq!(v.digest, g.digest(&v.value));
    let proof = acc.chain_proof(1).expect("proof");
    let genesis = acc.value(0).expect("genesis").clone();
    verify_block(g, &geo, &genesis, &v.value, &touched, &proof).expect("verifies");
    assert_eq!(
        acc.chain_proof(1),
        Err(Error::UnknownBlock(1)),
        "taken once"
    );
    assert_eq!(acc.chain_proof(0), Err(Error::UnknownBlock(0)));
    assert_eq!(acc.chain_proof(2), Err(Error::UnknownBlock(2)));
    debye_accumulator::check_digest(g, &v.value, &v.digest).expect("header digest");
    assert_eq!(
        debye_accumulator::check_digest(g, &genesis, &v.digest),
        Err(Error::DigestMismatch)
    );
}

#[test]
fn compacted_and_restored_blocks_keep_values_and_prove_from_stored_products() {
    // What the operator does: compact every block after storing (A_n, P_n), restore from A_n at
    // start, and prove spans from the stored products.
    let g = Group::rsa2048();
    let geo = geometry();
    let mut acc = Accumulator::new(geo);
    let coin = leaves(40, 44);
    let mut stored = Vec::new();
    for n in 1..=4u64 {
        let touched = vec![leaves(n as u32, n as u32 + 2)];
        let v = acc.append_block(&touched).expect("append");
        stored.push((v.value, acc.block_product(n).expect("product").clone()));
        acc.compact(n);
        assert_eq!(acc.block_product(n), Err(Error::Compacted(n)));
    }
    assert_eq!(acc.span_exponent(1, 3), Err(Error::Compacted(2)));
    assert_eq!(acc.span_exponent(2, 2), Ok(BigUint::from(1u8)));
    assert_eq!(
        acc.prove_inclusion(&leaves(2, 3), 0, 4).map(|_| ()),
        Err(Error::Compacted(1))
    );

    let mut restored = Accumulator::new(geo);
    for (n, (value, _)) in stored.iter().enumerate() {
        assert_eq!(restored.restore_block(value.clone()), n as u64 + 1);
    }
    for m in 0..=4 {
        assert_eq!(restored.value(m), acc.value(m));
    }
    // The span exponent from the stored products proves against the restored values.
    let parts: Vec<BigUint> = stored[1..].iter().map(|(_, p)| p.clone()).collect();
    let d = debye_accumulator::proof::product(&parts);
    let x = exclusion_factors(&geo, &coin).expect("factors");
    let a = restored.value(1).expect("a");
    let b = restored.value(4).expect("b");
    let proof = ExclusionProof::prove(g, a, b, &d, &x).expect("untouched");
    verify_exclusion(g, &geo, &coin, a, b, &proof).expect("verifies");
    // A product from the wrong span does not.
    let wrong = debye_accumulator::proof::product(&parts[1..]);
    assert!(
        ExclusionProof::prove(g, a, b, &wrong, &x)
            .is_ok_and(|p| verify_exclusion(g, &geo, &coin, a, b, &p).is_err())
    );
}
