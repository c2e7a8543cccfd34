//! Baillie–PSW, the injective slice→prime map and challenge primes.

use std::collections::BTreeSet;

use debye_accumulator::Key;
use debye_accumulator::prime::{CHALLENGE_BITS, WINDOW_BITS, challenge_prime, is_probable_prime};
use num_bigint::BigUint;

use crate::support::{DEPTH, slice};

fn trial_division(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 1;
    }
    true
}

#[test]
fn bpsw_agrees_with_trial_division_below_20000() {
    for n in 0u64..20_000 {
        assert_eq!(
            is_probable_prime(&BigUint::from(n)),
            trial_division(n),
            "{n}"
        );
    }
}

#[test]
fn bpsw_rejects_pseudoprimes_and_accepts_large_primes() {
    // strong pseudoprimes to base 2, Carmichael numbers, strong Lucas pseudoprimes, and a
    // strong pseudoprime to all prime bases up to 37
    let composites: [u128; 14] = [
        2047,
        3277,
        4033,
        4681,
        8321,
        561,
        1105,
        41041,
        5459,
        5777,
        10877,
        16109,
        3215031751,
        318665857834031151167461,
    ];
    for c in composites {
        assert!(!is_probable_prime(&BigUint::from(c)), "{c}");
    }
    let one = BigUint::from(1u32);
    let m127 = (&one << 127u32) - 1u32;
    let m89 = (&one << 89u32) - 1u32;
    let p25519 = (&one << 255u32) - 19u32;
    for p in [&m127, &m89, &p25519] {
        assert!(is_probable_prime(p));
    }
    assert!(!is_probable_prime(&(&m127 * &m89)));
    assert!(!is_probable_prime(&(&p25519 * &p25519)), "perfect square");
}

#[test]
fn slice_primes_are_the_first_prime_of_disjoint_windows() {
    let mut seen = BTreeSet::new();
    for l in 0..=DEPTH.min(5) {
        for i in 0..(1u32 << l) {
            for key in [Key::alpha(slice(l, i)), Key::beta(slice(l, i))] {
                let p = key.prime().expect("prime in window");
                let base = key.id() << WINDOW_BITS;
                assert!(p > base && p < &base + (1u32 << WINDOW_BITS));
                assert!(is_probable_prime(&p));
                // nothing smaller in the window is prime (re-checked independently)
                let mut c = &base + 1u32;
                while c < p {
                    assert!(!is_probable_prime(&c));
                    c += 2u32;
                }
                assert!(seen.insert(p), "injective");
            }
        }
    }
    // distinct ids are distinct: α and β of the same slice, parent and child
    assert_ne!(Key::alpha(slice(3, 1)).id(), Key::beta(slice(3, 1)).id());
    assert_ne!(Key::alpha(slice(3, 1)).id(), Key::alpha(slice(4, 1)).id());
}

#[test]
fn challenge_primes_are_256_bit_and_seed_dependent() {
    let a = challenge_prime(&[0u8; 32]);
    let b = challenge_prime(&[1u8; 32]);
    assert_ne!(a, b);
    for p in [&a, &b] {
        assert_eq!(p.bits(), u64::from(CHALLENGE_BITS));
        assert!(is_probable_prime(p));
    }
}

#[test]
fn montgomery_bpsw_agrees_with_the_reference() {
    use debye_accumulator::prime::{bpsw_general, fast};
    for n in (5u64..20_000).step_by(2) {
        assert_eq!(fast::bpsw(&BigUint::from(n)), trial_division(n), "{n}");
    }
    // pseudo-random odd numbers of 20..256 bits, and semiprimes of two random primes
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || debye_accumulator::bench::xorshift(&mut state);
    let mut primes_seen = 0;
    for i in 0..400 {
        let bits = 20 + (i % 237) as u32;
        let mut n = BigUint::from(0u32);
        for _ in 0..4 {
            n = (n << 64u32) | BigUint::from(next());
        }
        n = (n >> (256 - bits)) | BigUint::from(1u32);
        let expect = bpsw_general(&n);
        primes_seen += usize::from(expect);
        assert_eq!(fast::bpsw(&n), expect, "{n}");
    }
    assert!(primes_seen > 0);
    let p = challenge_prime(&[5u8; 32]) >> 130u32;
    let q = challenge_prime(&[6u8; 32]) >> 130u32;
    let semiprime = (&p | BigUint::from(1u32)) * (&q | BigUint::from(1u32));
    assert!(!fast::bpsw(&semiprime));
    for c in [5459u32, 5777, 10877, 16109, 18971, 2047, 3277, 4033] {
        assert!(!fast::bpsw(&BigUint::from(c)), "{c}");
    }
}
