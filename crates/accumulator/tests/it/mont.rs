//! The 2048-bit Montgomery kernel against num-bigint: multiplication, squaring, conversion,
//! single and multi-exponentiation, on the RSA-2048 modulus and on moduli at the edges of the
//! kernel's range (N = 2^2048 − 1 makes every carry and the final subtraction fire; a 1,985-bit
//! N leaves the top limb almost empty). Exponentiations are checked on both engines: the
//! portable one and, where the CPU has AVX-512 IFMA, the vector one (`Mont2048::multi_pow`).

use debye_accumulator::Group;
use debye_accumulator::mont::Mont2048;
use num_bigint::BigUint;
use num_traits::{One, Zero};
use proptest::prelude::*;

fn rsa() -> &'static BigUint {
    Group::rsa2048().modulus()
}

/// The moduli under test: RSA-2048, 2^2048 − 1, 2^2048 − 2^1000 − 1 and 2^1984 + 3.
fn moduli() -> Vec<BigUint> {
    let one = BigUint::one();
    vec![
        rsa().clone(),
        (&one << 2048u32) - 1u8,
        (&one << 2048u32) - (&one << 1000u32) - 1u8,
        (&one << 1984u32) + 3u8,
    ]
}

fn big(bytes: &[u8]) -> BigUint {
    BigUint::from_bytes_be(bytes)
}

/// Exponent lengths: 0, 1, small, 64, 256 bits and a few thousand bits.
fn exponent() -> impl Strategy<Value = BigUint> {
    prop_oneof![
        Just(BigUint::zero()),
        Just(BigUint::one()),
        (0u64..1 << 20).prop_map(BigUint::from),
        any::<u64>().prop_map(BigUint::from),
        prop::collection::vec(any::<u8>(), 32).prop_map(|b| big(&b)),
        prop::collection::vec(any::<u8>(), 200..520).prop_map(|b| big(&b)),
    ]
}

fn residue() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 1..=257)
}

#[test]
fn accepts_only_odd_moduli_of_1985_to_2048_bits() {
    let one = BigUint::one();
    for n in moduli() {
        assert!(Mont2048::new(&n).is_some(), "{} bits", n.bits());
    }
    assert!(Mont2048::new(&(&one << 2048u32)).is_none(), "2049 bits");
    assert!(
        Mont2048::new(&((&one << 2048u32) + 1u8)).is_none(),
        "2049 bits"
    );
    assert!(
        Mont2048::new(&((&one << 1984u32) - 1u8)).is_none(),
        "1984 bits"
    );
    assert!(Mont2048::new(&(rsa() - 1u8)).is_none(), "even");
    assert!(
        Group::new((&one << 1023u32) + 1u8).is_ok(),
        "num-bigint fallback"
    );
    let simd = Mont2048::new(rsa()).is_some_and(|k| k.uses_simd());
    println!("AVX-512 IFMA engine in use: {simd}");
}

#[test]
fn edge_cases_match_modpow() {
    for n in moduli() {
        let k = Mont2048::new(&n).expect("in range");
        let bases = [
            BigUint::zero(),
            BigUint::one(),
            BigUint::from(2u8),
            &n - 1u8,
            &n >> 1u32,
            n.clone(),
            &n + 5u8,
        ];
        let exps = [
            BigUint::zero(),
            BigUint::one(),
            BigUint::from(2u8),
            BigUint::from(65_537u32),
            (BigUint::one() << 300u32) - 1u8,
            BigUint::one() << 4000u32,
        ];
        for b in &bases {
            let m = k.to_mont(b);
            assert_eq!(k.from_mont(&m), b % &n, "round trip");
            assert_eq!(k.from_mont(&k.square(&m)), (b * b) % &n, "square");
            for e in &exps {
                let want = b.modpow(e, &n);
                assert_eq!(k.pow(b, e), want, "{} bits ^ {}", b.bits(), e.bits());
                assert_eq!(k.multi_pow_portable(&[(b, e)]), want, "portable");
            }
        }
        assert_eq!(k.from_mont(&k.one()), BigUint::one());
        assert_eq!(k.multi_pow(&[]), BigUint::one());
        assert_eq!(k.pow(&BigUint::zero(), &BigUint::zero()), BigUint::one());
        // (N − 1)² ≡ 1: the largest operands
        let top = k.to_mont(&(&n - 1u8));
        assert_eq!(k.from_mont(&k.mul(&top, &top)), BigUint::one());
    }
}

#[test]
fn group_pow_matches_modpow() {
    let g = Group::rsa2048();
    let a = g.generator();
    for e in [
        BigUint::zero(),
        BigUint::one(),
        BigUint::from(3u8),
        BigUint::one() << 255u32,
        (BigUint::one() << 5000u32) - 3u8,
    ] {
        let want = g.element(a.as_biguint().modpow(&e, rsa())).expect("unit");
        assert_eq!(g.pow(a, &e), want);
    }
    let (x, y) = (BigUint::from(12_345u32), (BigUint::one() << 3000u32) + 7u8);
    let b = g.pow(a, &BigUint::from(99u8));
    let want = g.mul(&g.pow(a, &x), &g.pow(&b, &y));
    assert_eq!(g.multi_pow(&[(a, &x), (&b, &y)]), want);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn mul_and_square_match_num_bigint(x in residue(), y in residue(), which in 0usize..4) {
        let n = &moduli()[which];
        let k = Mont2048::new(n).expect("in range");
        let (x, y) = (big(&x) % n, big(&y) % n);
        let (mx, my) = (k.to_mont(&x), k.to_mont(&y));
        prop_assert_eq!(k.from_mont(&mx), x.clone());
        prop_assert_eq!(k.from_mont(&k.mul(&mx, &my)), (&x * &y) % n);
        prop_assert_eq!(k.from_mont(&k.square(&mx)), (&x * &x) % n);
        prop_assert_eq!(k.mul(&mx, &mx), k.square(&mx));
    }

    #[test]
    fn pow_matches_modpow(x in residue(), e in exponent(), which in 0usize..4) {
        let n = &moduli()[which];
        let k = Mont2048::new(n).expect("in range");
        let x = big(&x) % n;
        let want = x.modpow(&e, n);
        prop_assert_eq!(k.pow(&x, &e), want.clone());
        prop_assert_eq!(k.multi_pow_portable(&[(&x, &e)]), want);
    }

    #[test]
    fn multi_pow_matches_product_of_modpows(
        terms in prop::collection::vec((residue(), exponent()), 0..5),
    ) {
        let n = rsa();
        let k = Mont2048::new(n).expect("in range");
        let terms: Vec<(BigUint, BigUint)> =
            terms.into_iter().map(|(b, e)| (big(&b) % n, e)).collect();
        let want = terms
            .iter()
            .fold(BigUint::one(), |acc, (b, e)| (acc * b.modpow(e, n)) % n);
        let refs: Vec<(&BigUint, &BigUint)> = terms.iter().map(|(b, e)| (b, e)).collect();
        prop_assert_eq!(k.multi_pow(&refs), want.clone());
        prop_assert_eq!(k.multi_pow_portable(&refs), want);
    }
}
