//! Baby Jubjub, EdDSA-Poseidon (native and in-circuit) and key derivation.

use std::str::FromStr;

use ark_ff::{BigInteger, Field, PrimeField, UniformRand};
use ark_r1cs_std::{alloc::AllocVar, boolean::Boolean, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSystem, SynthesisError};
use debye_zk::{
    Fr,
    babyjub::{BASE8, Fs, Point},
    eddsa::{self, Signature},
    gadgets::{PointVar, SignatureVar, eddsa_verify_gadget},
    keys::Keys,
};
use serde_json::{Value, json};

use crate::util::{check_committed, vector_path};

fn fr(s: &str) -> Fr {
    Fr::from_str(s).unwrap_or_else(|_| panic!("bad decimal {s}"))
}

fn point(v: &Value) -> Point {
    Point {
        x: fr(v[0].as_str().expect("x")),
        y: fr(v[1].as_str().expect("y")),
    }
}

fn seed(i: u8) -> [u8; 32] {
    let mut s = [0u8; 32];
    s[0] = i;
    s[31] = 0xd0;
    s
}

#[test]
fn base8_generates_the_prime_order_subgroup() {
    assert!(BASE8.is_on_curve());
    assert!(BASE8.is_in_subgroup());
    assert_ne!(BASE8, Point::IDENTITY);
    // A point of order 2 on Baby Jubjub, (0, -1), is on the curve but not in the subgroup.
    let two_torsion = Point {
        x: Fr::from(0u64),
        y: -Fr::from(1u64),
    };
    assert!(two_torsion.is_on_curve() && !two_torsion.is_in_subgroup());
}

#[test]
fn keys_are_domain_separated_and_deterministic() {
    let a = Keys::from_seed(seed(1)).expect("keys");
    let a2 = Keys::from_seed(seed(1)).expect("keys");
    let b = Keys::from_seed(seed(2)).expect("keys");
    assert_eq!(a.address(), a2.address());
    assert_ne!(a.address(), b.address());
    assert_ne!(a.nullifier_key().to_field(), b.nullifier_key().to_field());
    // Rotation changes the output randomness but not the address or the nullifier key.
    let (s0, s1) = (a.output_secret(0), a.output_secret(1));
    let nonce = Fr::from(7u64);
    assert_ne!(s0.randomness(nonce), s1.randomness(nonce));
    assert_eq!(s0.randomness(nonce), a2.output_secret(0).randomness(nonce));
    assert_ne!(s0.randomness(nonce), s0.randomness(Fr::from(8u64)));
    assert!(a.auth().public().is_in_subgroup());
}

#[test]
fn keys_from_a_bip39_seed_are_deterministic_and_separated() {
    // The seed of the BIP-39 reference mnemonic "abandon ×11 about" with passphrase "TREZOR".
    let hex = "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04";
    let mut seed = [0u8; 64];
    for (i, byte) in seed.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex");
    }
    let a = Keys::from_bip39_seed(&seed).expect("keys");
    assert_eq!(
        a.address(),
        Keys::from_bip39_seed(&seed).expect("keys").address()
    );
    // Not the raw first half of the seed: the BIP-39 path has its own hash domain.
    let mut half = [0u8; 32];
    half.copy_from_slice(&seed[..32]);
    assert_ne!(a.address(), Keys::from_seed(half).expect("keys").address());
    // Any bit of the seed matters, including the last one.
    seed[63] ^= 1;
    let b = Keys::from_bip39_seed(&seed).expect("keys");
    assert_ne!(a.address(), b.address());
    assert_ne!(a.nullifier_key().to_field(), b.nullifier_key().to_field());
}

#[test]
fn sign_verify_roundtrip_and_rejections() {
    let keys = Keys::from_seed(seed(3)).expect("keys");
    let msg = Fr::from(123456789u64);
    let sig = keys.auth().sign(&msg);
    eddsa::verify(&keys.auth().public(), &msg, &sig).expect("valid");
    assert!(eddsa::verify(&keys.auth().public(), &(msg + Fr::from(1u64)), &sig).is_err());
    let other = Keys::from_seed(seed(4)).expect("keys");
    assert!(eddsa::verify(&other.auth().public(), &msg, &sig).is_err());
    let bad_s = Signature {
        s: sig.s + Fs::from(1u64),
        ..sig
    };
    assert!(eddsa::verify(&keys.auth().public(), &msg, &bad_s).is_err());
    // S >= l is rejected at parsing.
    assert!(eddsa::parse_s(&Fs::MODULUS.to_string()).is_err());
}

fn circuit_verifies(
    public: Point,
    msg: Fr,
    sig: Signature,
    enabled: bool,
) -> Result<bool, SynthesisError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let pk = PointVar::new_witness_on_curve(cs.clone(), || Ok(public))?;
    let m = FpVar::new_witness(cs.clone(), || Ok(msg))?;
    let s = SignatureVar::new_witness(&cs, || Ok(sig))?;
    let en = Boolean::new_witness(cs.clone(), || Ok(enabled))?;
    eddsa_verify_gadget(&pk, &m, &s, &en)?;
    cs.is_satisfied()
}

#[test]
fn gadget_accepts_valid_and_rejects_forged() {
    let keys = Keys::from_seed(seed(5)).expect("keys");
    let msg = Fr::from(42u64);
    let sig = keys.auth().sign(&msg);
    let pk = keys.auth().public();
    assert!(circuit_verifies(pk, msg, sig, true).expect("synth"));
    assert!(!circuit_verifies(pk, msg + Fr::from(1u64), sig, true).expect("synth"));
    let forged = Signature {
        s: sig.s + Fs::from(1u64),
        ..sig
    };
    assert!(!circuit_verifies(pk, msg, forged, true).expect("synth"));
    // Disabled: a wrong message passes (used for dummy spends).
    assert!(circuit_verifies(pk, msg + Fr::from(1u64), sig, false).expect("synth"));
}

fn satisfied_raw(public: Point, msg: Fr, r8: Point, s: ark_ff::BigInt<4>) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let pk = PointVar::new_witness_on_curve(cs.clone(), || Ok(public)).expect("pk");
    let m = FpVar::new_witness(cs.clone(), || Ok(msg)).expect("msg");
    let sig = SignatureVar::new_witness_raw(&cs, || Ok((r8, s))).expect("sig");
    eddsa_verify_gadget(&pk, &m, &sig, &Boolean::TRUE).expect("gadget");
    cs.is_satisfied().expect("sat")
}

#[test]
fn gadget_rejects_malleated_s() {
    // §7.2: S + l satisfies the verification equation (Base8 has order l) but is not canonical.
    let keys = Keys::from_seed(seed(7)).expect("keys");
    let pk = keys.auth().public();
    let two_251 = Fr::from(2u64).pow([251]).into_bigint();
    let (msg, sig, s_plus_l) = (0u64..)
        .find_map(|i| {
            let msg = Fr::from(i);
            let sig = keys.auth().sign(&msg);
            let mut s = sig.s.into_bigint();
            s.add_with_carry(&Fs::MODULUS);
            (s < two_251).then_some((msg, sig, s))
        })
        .expect("some S below 2^251 - l");
    assert_eq!(
        BASE8.mul_bigint(s_plus_l.as_ref()),
        BASE8.mul(&sig.s),
        "same point"
    );
    assert!(
        satisfied_raw(pk, msg, sig.r8, sig.s.into_bigint()),
        "control: canonical S"
    );
    assert!(!satisfied_raw(pk, msg, sig.r8, s_plus_l));
}

#[test]
fn gadget_rejects_small_order_public_key() {
    // §7.4: with A of order 2, S = r verifies every message; only the 8A != identity check fails.
    let a = Point {
        x: Fr::from(0u64),
        y: -Fr::from(1u64),
    };
    let r = Fs::from(12345u64);
    let r8 = BASE8.mul(&r);
    for msg in [Fr::from(1u64), Fr::from(2u64)] {
        assert!(!satisfied_raw(a, msg, r8, r.into_bigint()));
    }
}

#[test]
fn gadget_constraint_count_is_pinned() {
    let keys = Keys::from_seed(seed(6)).expect("keys");
    let msg = Fr::from(1u64);
    let sig = keys.auth().sign(&msg);
    let cs = ConstraintSystem::<Fr>::new_ref();
    let pk = PointVar::new_witness_on_curve(cs.clone(), || Ok(keys.auth().public())).expect("pk");
    let m = FpVar::new_witness(cs.clone(), || Ok(msg)).expect("msg");
    let s = SignatureVar::new_witness(&cs, || Ok(sig)).expect("sig");
    eddsa_verify_gadget(&pk, &m, &s, &Boolean::TRUE).expect("gadget");
    cs.finalize();
    // docs/circuits.md §6.10 quotes this cost.
    assert_eq!(cs.num_constraints(), EDDSA_GADGET_CONSTRAINTS);
}

const EDDSA_GADGET_CONSTRAINTS: usize = 6_409;

#[test]
fn circomlibjs_signatures_verify_natively_and_in_circuit() {
    let text = std::fs::read_to_string(vector_path("eddsa_circomlibjs.json")).expect("read");
    let file: Value = serde_json::from_str(&text).expect("json");
    let vectors = file["vectors"].as_array().expect("vectors");
    assert!(!vectors.is_empty());
    for (i, v) in vectors.iter().enumerate() {
        let public = point(&v["public"]);
        let msg = fr(v["msg"].as_str().expect("msg"));
        let sig = Signature {
            r8: point(&v["r8"]),
            s: eddsa::parse_s(v["s"].as_str().expect("s")).expect("S < l"),
        };
        eddsa::verify(&public, &msg, &sig).unwrap_or_else(|e| panic!("#{i}: {e}"));
        assert!(eddsa::verify(&public, &(msg + Fr::from(1u64)), &sig).is_err());
        if i == 0 {
            assert!(
                circuit_verifies(public, msg, sig, true).expect("synth"),
                "#{i} in-circuit"
            );
        }
    }
}

#[test]
fn committed_vectors_are_current() {
    let mut rng = ark_std::test_rng();
    let vectors: Vec<Value> = (0..6u8)
        .map(|i| {
            let keys = Keys::from_seed(seed(100 + i)).expect("keys");
            let msg = if i == 0 {
                Fr::from(0u64)
            } else {
                Fr::rand(&mut rng)
            };
            let sig = keys.auth().sign(&msg);
            let a = keys.auth().public();
            json!({
                "secret": keys.auth().scalar().into_bigint().to_string(),
                "public": [a.x.into_bigint().to_string(), a.y.into_bigint().to_string()],
                "msg": msg.into_bigint().to_string(),
                "r8": [sig.r8.x.into_bigint().to_string(), sig.r8.y.into_bigint().to_string()],
                "s": sig.s.into_bigint().to_string(),
            })
        })
        .collect();
    let file = json!({
        "description": "EdDSA-Poseidon on Baby Jubjub (circomlib flavour) signed by crates/zk (tests/it/eddsa.rs); decimal integers. scripts/zk/check-eddsa.mjs verifies them with circomlibjs 0.1.7.",
        "vectors": vectors,
    });
    check_committed(
        &vector_path("eddsa.json"),
        &(serde_json::to_string_pretty(&file).expect("json") + "\n"),
    );
}
