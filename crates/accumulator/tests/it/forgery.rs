//! The forgery that breaks the seed's Wesolowski-style proofs, played by an operator who knows
//! the discrete logarithm (hence roots) of every accumulator value, and the same attack against
//! our proofs (docs/accumulator.md, "The forgery").

use debye_accumulator::accumulator::key_primes;
use debye_accumulator::proof::{ExclusionChallenges, InclusionChallenges};
use debye_accumulator::slice::inclusion_keys;
use debye_accumulator::{
    Accumulator, CoinRange, Elem, Error, ExclusionProof, Factors, Group, InclusionProof,
    block_factors, exclusion_factors, verify_exclusion,
};
use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{One, Zero};
use sha2::{Digest, Sha256};

use crate::support::{DEPTH, geometry, leaves, slice};

/// The operator's view: the chain and the exponent E_n = dlog_g(A_n) of every value.
struct Operator {
    acc: Accumulator,
    exps: Vec<BigUint>,
    blocks: Vec<Vec<CoinRange>>,
}

impl Operator {
    fn new(blocks: Vec<Vec<CoinRange>>) -> Operator {
        let mut acc = Accumulator::new(geometry());
        let mut exps = vec![BigUint::one()];
        for touched in &blocks {
            acc.apply_block(touched).expect("block");
            let p = block_factors(&geometry(), touched)
                .expect("primes")
                .product();
            let e = exps.last().expect("genesis") * p;
            exps.push(e);
        }
        Operator { acc, exps, blocks }
    }

    fn value(&self, n: u64) -> Elem {
        self.acc.value(n).expect("value").clone()
    }
}

fn g() -> &'static Group {
    Group::rsa2048()
}

fn gpow(e: &BigInt) -> Elem {
    g().pow_signed(g().generator(), e)
}

fn int(x: &BigUint) -> BigInt {
    BigInt::from_biguint(Sign::Plus, x.clone())
}

/// a^{-1} mod m for a possibly negative a.
fn inv_mod(a: &BigInt, m: &BigUint) -> BigUint {
    let a = a.mod_floor(&int(m)).magnitude().clone();
    a.modinv(m).expect("invertible")
}

/// A 256-bit prime from a hash of the given elements (the naive scheme's Fiat–Shamir).
fn naive_challenge(parts: &[&[u8]]) -> BigUint {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    debye_accumulator::prime::challenge_prime(&h.finalize().into())
}

/// History: the coin R = leaves [10, 12) is deposited in block 1 and spent in block 3.
fn history() -> (Operator, CoinRange) {
    let coin = leaves(10, 12);
    let other = leaves(100, 110);
    let op = Operator::new(vec![
        vec![coin],
        vec![other],
        vec![coin],
        vec![leaves(40, 41)],
    ]);
    (op, coin)
}

// ---------------------------------------------------------------------------------------------
// Exclusion.

/// Seed-style non-membership relative to the span's start: s, V with A_b^s · V^x = A_a.
fn naive_exclusion_verify(a: &Elem, b: &Elem, x: &Factors, s: &BigInt, v: &Elem) -> bool {
    let lhs = g().mul(&g().pow_signed(b, s), &g().pow(v, &x.product()));
    lhs == *a
}

#[test]
fn operator_forges_seed_exclusion_and_our_verifier_rejects_it() {
    let (mut op, coin) = history();
    let (a, b) = (1u64, 4u64);
    // the coin WAS touched in block 3 inside the span: no honest proof exists
    assert_eq!(
        op.acc.prove_exclusion(&coin, a, b),
        Err(Error::RangeTouched)
    );

    let x = exclusion_factors(&geometry(), &coin).expect("primes");
    let e_a = op.exps[a as usize].clone();
    let d = &op.exps[b as usize] / &e_a;
    let (va, vb) = (op.value(a), op.value(b));

    // x = x1·x2: x1 = primes already in A_a (the operator knows x1-th roots of A_a), x2 the rest
    let (mut x1, mut x2) = (BigUint::one(), BigUint::one());
    for p in x.factors() {
        if (&e_a % p).is_zero() {
            x1 *= p
        } else {
            x2 *= p
        }
    }
    assert!(
        x1 > BigUint::one() && (&d % &x1).is_zero(),
        "the span re-touched primes of A_a"
    );
    // s·D ≡ 1 (mod x2) and V = g^{E_a(1 − sD)/x}: an integer because x1 | E_a and x2 | 1 − sD
    let s = int(&(&d % &x2)
        .modinv(&x2)
        .expect("coprime to the untouched part"));
    let num = int(&e_a) * (BigInt::one() - &s * int(&d));
    let (t, rem) = num.div_rem(&int(&x.product()));
    assert!(rem.is_zero());
    let v = gpow(&t);
    assert!(
        naive_exclusion_verify(&va, &vb, &x, &s, &v),
        "the seed-style verifier accepts"
    );

    // Our verifier, same forgery: z = g^D honestly, the forged V and s committed as z2 = g^s.
    let z = gpow(&int(&d));
    let z2 = gpow(&s);
    let c = ExclusionChallenges::derive(g(), &va, &vb, &x, &z, &v, &z2);
    let (q1, r1) = d.div_rem(&c.l1);
    let part_a = (gpow(&int(&q1)), g().pow(&va, &q1), r1);
    let s_mag = s.magnitude().clone();
    let (q2, r2) = s_mag.div_rem(&c.l2);
    let straight = ExclusionProof {
        z: z.clone(),
        q_g1: part_a.0.clone(),
        q_u1: part_a.1.clone(),
        r1: part_a.2.clone(),
        v: v.clone(),
        z2: z2.clone(),
        q_g2: gpow(&int(&q2)),
        q_2: g().mul(&g().pow(&z, &q2), &g().pow(&v, &(x.product() / &c.l2))),
        r2,
    };
    assert_eq!(
        verify_exclusion(g(), &geometry(), &coin, &va, &vb, &straight),
        Err(Error::VerificationFailed("Bézout relation"))
    );

    // Adaptive attempt: pick r2 after ℓ2 as a *rational* remainder that satisfies the relation
    // check (the trick that forges single Wesolowski checks); the commitment z2 then fails.
    let l2 = &c.l2;
    let x_mod = x.product() % l2;
    let num = BigInt::one() - &t * int(&x_mod);
    let r2 = (num.mod_floor(&int(l2)) * int(&inv_mod(&int(&d), l2))).mod_floor(&int(l2));
    let q = (BigInt::one() - int(&d) * &r2 - &t * int(&x_mod)).div_rem(&int(l2));
    assert!(q.1.is_zero());
    let rational = ExclusionProof {
        q_2: gpow(&q.0),
        r2: r2.magnitude().clone(),
        q_g2: gpow(&(&s - &r2).div_floor(&int(l2))),
        ..straight
    };
    // the relation alone is now satisfied …
    let lhs = g().multi_pow(&[(&rational.q_2, l2), (&z, &rational.r2), (&v, &x_mod)]);
    assert_eq!(lhs, g().generator().clone());
    // … but one remainder cannot serve both checks
    assert_eq!(
        verify_exclusion(g(), &geometry(), &coin, &va, &vb, &rational),
        Err(Error::VerificationFailed("Bézout commitment"))
    );
}

// ---------------------------------------------------------------------------------------------
// Inclusion.

/// The seed's RSAInclusionProof {b, r}: b^ℓ · (A_{n−1}^y)^r = A_n, ℓ = H(A_{n−1}, A_n, y).
fn naive_inclusion_verify(prev: &Elem, next: &Elem, y: &BigUint, b: &Elem, r: &BigUint) -> bool {
    let l = naive_challenge(&[&g().encode(prev), &g().encode(next), &y.to_bytes_be()]);
    let u = g().pow(prev, y);
    r < &l && g().mul(&g().pow(b, &l), &g().pow(&u, r)) == *next
}

#[test]
fn operator_forges_seed_inclusion_and_our_verifier_rejects_it() {
    let (op, _) = history();
    // claim: leaf 200 was touched in block 2 (it never was)
    let target = slice(DEPTH, 200);
    let alpha = std::iter::once(target).collect();
    let keys = inclusion_keys(&geometry(), &target.range(), &alpha).expect("keys");
    let y = Factors::new(key_primes(&keys).expect("primes"));
    let yv = y.product();
    let block2 = block_factors(&geometry(), &op.blocks[1])
        .expect("primes")
        .product();
    assert!(!(&block2 % &yv).is_zero(), "the claim is false");

    let (prev, next) = (op.value(1), op.value(2));
    let (ea, eb) = (int(&(&op.exps[1] * &yv)), int(&op.exps[2]));
    // rational remainder: r ≡ E_2 / (E_1·y) (mod ℓ), b = g^{(E_2 − E_1·y·r)/ℓ}
    let l = naive_challenge(&[&g().encode(&prev), &g().encode(&next), &yv.to_bytes_be()]);
    let r = (&eb * int(&inv_mod(&ea, &l))).mod_floor(&int(&l));
    let (q, rem) = (&eb - &ea * &r).div_rem(&int(&l));
    assert!(rem.is_zero());
    let b = gpow(&q);
    assert!(
        naive_inclusion_verify(&prev, &next, &yv, &b, r.magnitude()),
        "seed verifier accepts"
    );

    // Our verifier: u = A_1^y with an honest PoE, z = g^c for the best integer guess c.
    let u = g().pow(&prev, &yv);
    let c_guess = int(&(&block2 / &yv));
    let z = gpow(&c_guess);
    let ch = InclusionChallenges::derive(g(), &prev, &next, &y, &u, &z);
    let q_e = g().pow(&prev, &(&yv / &ch.l_e));
    let l = int(&ch.l);
    // the rational remainder satisfies the check on the base …
    let r = (&eb * int(&inv_mod(&ea, &ch.l))).mod_floor(&l);
    let (q_u, rem) = (&eb - &ea * &r).div_rem(&l);
    assert!(rem.is_zero());
    // … and the commitment check would need r ≡ c (mod ℓ)
    let q_g = (&c_guess - &r).div_floor(&l);
    let mut bytes = Vec::new();
    for e in [&u, &q_e, &z, &gpow(&q_g), &gpow(&q_u)] {
        bytes.extend(g().encode(e));
    }
    let mut rb = r.magnitude().to_bytes_be();
    while rb.len() < 32 {
        rb.insert(0, 0);
    }
    bytes.extend(rb);
    let forged = InclusionProof::from_bytes(g(), &bytes).expect("well-formed");
    assert_eq!(
        forged.verify(g(), &prev, &next, &y),
        Err(Error::VerificationFailed("exponent commitment"))
    );
}

/// Why we do not use the α-combined PoKE2 of BBF'18 verbatim: with u and w of known discrete
/// logarithm (every accumulator value, for the operator) its single check
/// Q^ℓ·(u·g^α)^r = w·z^α is met by a rational remainder for any z.
#[test]
fn alpha_combined_poke2_is_forgeable_with_known_discrete_logs() {
    let (op, _) = history();
    let target = slice(DEPTH, 200);
    let yv = debye_accumulator::Key::alpha(target)
        .prime()
        .expect("prime");
    let (prev, next) = (op.value(1), op.value(2));
    let u = g().pow(&prev, &yv);
    let (a, b) = (int(&(&op.exps[1] * &yv)), int(&op.exps[2]));
    let c = BigInt::from(12345u32); // any committed "exponent"
    let z = gpow(&c);
    let enc = |e: &Elem| g().encode(e);
    let l = naive_challenge(&[&enc(&u), &enc(&next), &enc(&z)]);
    let alpha_bytes = Sha256::digest([enc(&u), enc(&next), enc(&z), l.to_bytes_be()].concat());
    let alpha = BigUint::from_bytes_be(&alpha_bytes[..16]);
    let li = int(&l);
    let num = &b + int(&alpha) * &c;
    let r = (&num * int(&inv_mod(&(&a + int(&alpha)), &l))).mod_floor(&li);
    let (q, rem) = (&num - (&a + int(&alpha)) * &r).div_rem(&li);
    assert!(rem.is_zero());
    let big_q = gpow(&q);
    let ga = g().pow(g().generator(), &alpha);
    let lhs = g().mul(
        &g().pow(&big_q, &l),
        &g().pow(&g().mul(&u, &ga), r.magnitude()),
    );
    let rhs = g().mul(&next, &g().pow(&z, &alpha));
    assert_eq!(lhs, rhs, "PoKE2 accepts a false statement");
    // the statement is false: u^k = A_2 has no integer solution
    assert!(!(&op.exps[2] % (&op.exps[1] * &yv)).is_zero());
}
