//! Chain, inclusion and exclusion proofs: honest proofs verify, tampered ones do not, encodings
//! are canonical.

use debye_accumulator::proof::ExclusionChallenges;
use debye_accumulator::{ChainProof, Error, ExclusionProof, Factors, Group, InclusionProof};
use num_bigint::BigUint;

fn primes(xs: &[u32]) -> Factors {
    Factors::new(xs.iter().map(|&x| BigUint::from(x)).collect())
}

#[test]
fn group_encoding_is_canonical() {
    let g = Group::rsa2048();
    assert_eq!(g.modulus().bits(), 2048);
    assert_eq!(g.element_bytes(), 256);
    let x = g.pow(g.generator(), &BigUint::from(99u32));
    assert_eq!(g.decode(&g.encode(&x)), Ok(x.clone()));
    // N − x is the same class but not the canonical representative
    let neg = g.modulus() - x.as_biguint();
    let mut bytes = neg.to_bytes_be();
    while bytes.len() < 256 {
        bytes.insert(0, 0);
    }
    assert_eq!(g.decode(&bytes), Err(Error::InvalidElement));
    assert_eq!(g.decode(&[0u8; 256]), Err(Error::InvalidElement));
    assert_eq!(g.decode(&[1u8; 255]), Err(Error::InvalidElement));
    // the quotient identifies x and −x: (−x)·(−x) = x·x
    assert_eq!(g.element(neg.clone()), Some(x.clone()));
    assert_eq!(g.mul(&x, &g.inverse(&x)), g.identity().clone());
    assert_eq!(g.digest(&x), g.digest(&g.element(neg).expect("unit")));
}

#[test]
fn chain_step_proof_verifies_and_binds_exponent_and_values() {
    let g = Group::rsa2048();
    let base = g.pow(g.generator(), &BigUint::from(1234567u32));
    let exp = primes(&[65537, 65539, 65543]);
    let (next, proof) = ChainProof::prove(g, &base, &exp);
    assert_eq!(next, g.pow(&base, &exp.product()));
    proof
        .verify(g, &base, &exp, &next)
        .expect("honest chain step");
    let bytes = proof.to_bytes(g);
    assert_eq!(bytes.len(), 256);
    assert_eq!(ChainProof::from_bytes(g, &bytes), Ok(proof.clone()));
    assert!(
        proof
            .verify(g, &base, &primes(&[65537, 65539]), &next)
            .is_err(),
        "exponent"
    );
    assert!(proof.verify(g, &base, &exp, &base).is_err(), "result");
    assert!(proof.verify(g, &next, &exp, &next).is_err(), "base");
    assert!(ChainProof::from_bytes(g, &bytes[1..]).is_err());
    // an empty block keeps the value and still has a proof
    let (same, p) = ChainProof::prove(g, &base, &Factors::new(vec![]));
    assert_eq!(same, base);
    p.verify(g, &base, &Factors::new(vec![]), &base)
        .expect("empty block");
}

#[test]
fn exclusion_proof_verifies_iff_coprime_and_is_tamper_evident() {
    let g = Group::rsa2048();
    let a = g.pow(g.generator(), &BigUint::from(3u32 * 5 * 7 * 101));
    let d = primes(&[65537, 65539, 65543]).product();
    let b = g.pow(&a, &d);
    let x = primes(&[101, 103, 107]); // 101 was accumulated before the span: allowed
    let proof = ExclusionProof::prove(g, &a, &b, &d, &x).expect("coprime");
    proof.verify(g, &a, &b, &x).expect("honest exclusion");
    let bytes = proof.to_bytes(g).expect("encode");
    assert_eq!(bytes.len(), ExclusionProof::encoded_len(g));
    assert_eq!(bytes.len(), 1856);
    let decoded = ExclusionProof::from_bytes(g, &bytes).expect("decode");
    decoded.verify(g, &a, &b, &x).expect("decoded");

    // a prime of the span in x: no proof exists
    let touched = primes(&[101, 65539]);
    assert_eq!(
        ExclusionProof::prove(g, &a, &b, &d, &touched),
        Err(Error::RangeTouched)
    );
    // the honest proof does not transfer to another statement
    assert!(proof.verify(g, &a, &b, &touched).is_err());
    assert!(proof.verify(g, &a, &a, &x).is_err());
    assert!(proof.verify(g, &b, &b, &x).is_err());
    // flipping any field breaks it
    let fields = 7;
    for i in 0..fields {
        let mut t = bytes.clone();
        t[i * 256 + 200] ^= 1;
        if let Ok(p) = ExclusionProof::from_bytes(g, &t) {
            assert!(p.verify(g, &a, &b, &x).is_err(), "field {i}");
        }
    }
    for off in [7 * 256 + 31, 7 * 256 + 63] {
        let mut t = bytes.clone();
        t[off] ^= 1;
        let p = ExclusionProof::from_bytes(g, &t).expect("residues decode");
        assert!(p.verify(g, &a, &b, &x).is_err(), "residue at {off}");
    }
    // the challenges depend on every commitment
    let c = ExclusionChallenges::derive(g, &a, &b, &x, &proof.z, &proof.v, &proof.z2);
    let c2 = ExclusionChallenges::derive(g, &a, &b, &x, &proof.z, &proof.z2, &proof.v);
    assert_ne!(c, c2);
    assert_eq!(c.l1.bits(), 256);
}

#[test]
fn inclusion_proof_verifies_iff_divides() {
    let g = Group::rsa2048();
    let a = g.pow(g.generator(), &BigUint::from(11u32));
    let d = primes(&[65537, 65539, 65543, 65551]).product();
    let b = g.pow(&a, &d);
    let y = primes(&[65539, 65551]);
    let proof = InclusionProof::prove(g, &a, &b, &d, &y).expect("divides");
    proof.verify(g, &a, &b, &y).expect("honest inclusion");
    let bytes = proof.to_bytes(g).expect("encode");
    assert_eq!(bytes.len(), InclusionProof::encoded_len(g));
    InclusionProof::from_bytes(g, &bytes)
        .expect("decode")
        .verify(g, &a, &b, &y)
        .expect("decoded");
    assert!(proof.verify(g, &a, &b, &primes(&[65539, 65557])).is_err());
    assert_eq!(
        InclusionProof::prove(g, &a, &b, &d, &primes(&[65557])),
        Err(Error::RangeNotIncluded)
    );
}

#[test]
fn multi_pow_matches_separate_powers() {
    let g = Group::rsa2048();
    let a = g.pow(g.generator(), &BigUint::from(31u32));
    let b = g.pow(g.generator(), &BigUint::from(37u32));
    let c = g.pow(g.generator(), &BigUint::from(41u32));
    let e1 = debye_accumulator::prime::challenge_prime(&[3u8; 32]);
    let e2 = BigUint::from(u128::MAX);
    let big = &e1 << 300u32; // beyond 256 bits: the general path
    let two = g.mul(&g.pow(&a, &e1), &g.pow(&b, &e2));
    assert_eq!(g.multi_pow(&[(&a, &e1), (&b, &e2)]), two);
    let three = g.mul(&two, &g.pow(&c, &e1));
    assert_eq!(g.multi_pow(&[(&a, &e1), (&b, &e2), (&c, &e1)]), three);
    assert_eq!(
        g.multi_pow(&[(&a, &big), (&b, &e2)]),
        g.mul(&g.pow(&a, &big), &g.pow(&b, &e2))
    );
    assert_eq!(
        g.multi_pow(&[(&a, &BigUint::from(0u32)), (&b, &BigUint::from(1u32))]),
        b
    );
}

#[test]
fn prove_many_shares_the_span_part_and_rejects_touched_coins() {
    let g = Group::rsa2048();
    let a = g.pow(g.generator(), &BigUint::from(17u32));
    let d = primes(&[65537, 65539]).product();
    let b = g.pow(&a, &d);
    let xs = [primes(&[101, 103]), primes(&[65539, 7]), primes(&[109])];
    let proofs = ExclusionProof::prove_many(g, &a, &b, &d, &xs);
    let ok0 = proofs[0].as_ref().expect("coin 0 untouched");
    let ok2 = proofs[2].as_ref().expect("coin 2 untouched");
    assert_eq!(proofs[1], Err(Error::RangeTouched));
    ok0.verify(g, &a, &b, &xs[0]).expect("coin 0");
    ok2.verify(g, &a, &b, &xs[2]).expect("coin 2");
    assert_eq!(
        (&ok0.z, &ok0.q_g1, &ok0.r1),
        (&ok2.z, &ok2.q_g1, &ok2.r1),
        "shared part A"
    );
    assert!(ok0.verify(g, &a, &b, &xs[2]).is_err(), "bound to its coin");
}
