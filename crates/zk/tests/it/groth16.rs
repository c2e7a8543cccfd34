//! Groth16: the pinned circuit fingerprint, prove/verify, the proof fixture, the generated
//! Solidity verifier and its forge test. Keys come from one cached INSECURE dev setup.

use std::sync::OnceLock;

use ark_ec::AffineRepr;
use ark_ff::{AdditiveGroup, Field, PrimeField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::rand::{SeedableRng, rngs::StdRng};
use debye_zk::{
    Error, Fr,
    circuit::NUM_PUBLIC_INPUTS,
    groth16::{self, JoinSplitProof, JoinSplitProvingKey, JoinSplitVerifyingKey},
    solidity::{VERIFIER_PATH, render_verifier},
};
use serde_json::{Value, json};

use crate::joinsplit::scenario;
use crate::util::{check_committed, repo_path, vector_path};

/// Pinned circuit fingerprint: change only together with docs/circuits.md §8.3.
const PINNED_CONSTRAINTS: usize = 29_123;
const PINNED_VK_SHA256: &str = "62e60d27599e3672679db3eaf9fe2681a9e26b8e662517c64bbd77431d1bc491";

pub(crate) fn keys() -> &'static (JoinSplitProvingKey, JoinSplitVerifyingKey) {
    static KEYS: OnceLock<(JoinSplitProvingKey, JoinSplitVerifyingKey)> = OnceLock::new();
    KEYS.get_or_init(|| groth16::insecure_dev_setup().expect("dev setup"))
}

/// The fixture proof (deterministic: seeded prover randomness).
fn fixture_proof() -> &'static (debye_zk::circuit::PublicInputs, JoinSplitProof) {
    static PROOF: OnceLock<(debye_zk::circuit::PublicInputs, JoinSplitProof)> = OnceLock::new();
    PROOF.get_or_init(|| {
        let c = scenario();
        let public = c.public;
        let proof = groth16::prove(&keys().0, c, &mut StdRng::seed_from_u64(2026)).expect("prove");
        (public, proof)
    })
}

#[test]
fn circuit_fingerprint_is_pinned() {
    let constraints = groth16::constraint_count().expect("count");
    let vk_hash = hex::encode(groth16::vk_hash(&keys().1).expect("hash"));
    assert_eq!(keys().1.gamma_abc_g1.len(), NUM_PUBLIC_INPUTS + 1);
    assert_eq!(
        (constraints, vk_hash.as_str()),
        (PINNED_CONSTRAINTS, PINNED_VK_SHA256),
        "the JoinSplit circuit changed: update the pins, docs/circuits.md §8.3 and regenerate the verifier"
    );
}

#[test]
fn proofs_verify_and_bind_every_public_input() {
    let (public, proof) = fixture_proof();
    let vk = &keys().1;
    assert!(groth16::verify(vk, public, proof).expect("verify"));
    // Changing any single public input (including the external-data hash, §6.8) is rejected.
    for i in 0..NUM_PUBLIC_INPUTS {
        let mut inputs = public.to_vec();
        inputs[i] += Fr::ONE;
        let ok = ark_groth16::Groth16::<ark_bn254::Bn254>::verify_proof(
            &ark_groth16::prepare_verifying_key(vk),
            proof,
            &inputs,
        )
        .expect("verify");
        assert!(!ok, "public input {i} is not bound");
    }
    // A bad witness or signature is a typed error before any proving work.
    let mut bad = scenario();
    bad.outputs[0].amount += Fr::ONE;
    bad.public.commitments[0] = bad.outputs[0].commitment();
    let err = groth16::prove(&keys().0, bad, &mut StdRng::seed_from_u64(1));
    assert!(matches!(err, Err(Error::InvalidWitness(_))), "{err:?}");
    let mut unsigned = scenario();
    unsigned.signature = debye_zk::circuit::UNSIGNED;
    let err = groth16::prove(&keys().0, unsigned, &mut StdRng::seed_from_u64(1));
    assert!(matches!(err, Err(Error::InvalidSignature)), "{err:?}");
}

#[test]
fn proof_fixture_is_current() {
    let (public, proof) = fixture_proof();
    let mut compressed = Vec::new();
    proof
        .serialize_compressed(&mut compressed)
        .expect("serialize");
    let fixture = json!({
        "description": "JoinSplit Groth16 proof (INSECURE dev setup keys) for the scenario in crates/zk/tests/it/joinsplit.rs: 70 + 30 in, 60 + 25 out, 15 withdrawn. EVM words as contracts/src/verifier/JoinSplitVerifier.sol takes them.",
        "verifying_key_sha256": format!("0x{}", hex::encode(groth16::vk_hash(&keys().1).expect("hash"))),
        "public_inputs": groth16::public_input_words(public),
        "proof": groth16::proof_words(proof),
        "proof_arkworks_compressed": hex::encode(&compressed),
    });
    let text = serde_json::to_string_pretty(&fixture).expect("json") + "\n";
    check_committed(&vector_path("joinsplit_proof.json"), &text);
    // The committed encoding decodes and verifies.
    let back = JoinSplitProof::deserialize_compressed(&compressed[..]).expect("decode");
    assert!(groth16::verify(&keys().1, public, &back).expect("verify"));
}

#[test]
fn verifier_sol_is_current() {
    let sol = render_verifier(&keys().1).expect("render");
    check_committed(&repo_path(VERIFIER_PATH), &sol);
}

fn words(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .expect(key)
        .iter()
        .map(|w| w.as_str().expect("word").to_string())
        .collect()
}

#[test]
fn fixture_words_are_canonical() {
    // contracts/test/VerifierJoinSplit.t.sol reads the fixture; its words must be canonical
    // 32-byte field elements (public inputs below r).
    let text = std::fs::read_to_string(vector_path("joinsplit_proof.json")).expect("fixture");
    let fixture: Value = serde_json::from_str(&text).expect("json");
    let inputs = words(&fixture, "public_inputs");
    assert_eq!(inputs.len(), NUM_PUBLIC_INPUTS);
    for w in inputs {
        let bytes = hex::decode(w.trim_start_matches("0x")).expect("hex");
        assert_eq!(bytes.len(), 32);
        let x = Fr::from_be_bytes_mod_order(&bytes);
        assert_eq!(
            groth16::word_hex(&ark_ff::BigInteger::to_bytes_be(&x.into_bigint())),
            w
        );
    }
    assert_eq!(words(&fixture, "proof").len(), 8);
}

/// `n` distinct valid proofs of the fixture statement (re-randomised Groth16 proofs).
fn rerandomised(n: usize) -> Vec<(JoinSplitProof, debye_zk::circuit::PublicInputs)> {
    let (public, proof) = fixture_proof();
    let mut rng = StdRng::seed_from_u64(64);
    (0..n)
        .map(|_| {
            let p = ark_groth16::Groth16::<ark_bn254::Bn254>::rerandomize_proof(
                &keys().1,
                proof,
                &mut rng,
            );
            (p, *public)
        })
        .collect()
}

#[test]
fn batch_verification_agrees_with_single() {
    let pvk = groth16::prepare(&keys().1);
    let mut items = rerandomised(6);
    assert_ne!(items[0].0, items[1].0, "re-randomised proofs differ");
    for (p, public) in &items {
        assert!(groth16::verify_prepared(&pvk, public, p).expect("verify"));
    }
    assert!(groth16::verify_batch(&pvk, &items).expect("batch"));
    assert!(groth16::verify_batch(&pvk, &[]).expect("empty"));
    assert!(groth16::verify_batch(&pvk, &items[..1]).expect("one"));
    // One bad item anywhere makes the batch false: a changed public input, a proof for other
    // inputs, or a changed proof point; each is also rejected singly.
    let bad_input = {
        let mut v = items.clone();
        v[3].1.ext_data_hash += Fr::ONE;
        v
    };
    let bad_point = {
        let mut v = items.clone();
        v[5].0.c = (v[5].0.c + ark_bn254::G1Affine::generator()).into();
        v
    };
    let swapped = {
        let mut v = items.clone();
        v[0].1.public_amount = Fr::ZERO;
        v
    };
    for (name, v) in [
        ("input", bad_input),
        ("point", bad_point),
        ("swapped", swapped),
    ] {
        let single = v
            .iter()
            .all(|(p, public)| groth16::verify_prepared(&pvk, public, p).expect("verify"));
        assert!(!single, "{name}: control");
        let mut rng = StdRng::seed_from_u64(5);
        assert!(
            !groth16::verify_batch_with_rng(&pvk, &v, &mut rng).expect("batch"),
            "{name}: accepted in a batch"
        );
        assert!(!groth16::verify_batch(&pvk, &v).expect("batch"), "{name}");
    }
    // Two errors that cancel for fixed weights (A scaled by 2 in one proof and by 1/2 in
    // another) are caught because the weights are random and secret.
    let two = Fr::from(2u64);
    items[1].0.a = (items[1].0.a * two).into();
    items[2].0.a = (items[2].0.a * two.inverse().expect("inverse")).into();
    assert!(!groth16::verify_batch(&pvk, &items).expect("batch"));
}

/// `batch::verify_each` names exactly the bad proofs: a chunk that fails is split into groups
/// and bisected, and each `false` is certain. Bad proofs at the edges, adjacent, and several in
/// one group; a batch larger than one chunk; and all-bad.
#[test]
fn verify_each_finds_exactly_the_bad_proofs() {
    use debye_zk::batch::{self, CheckedProof};

    let pvk = groth16::prepare(&keys().1);
    let checked: Vec<(CheckedProof, _)> = rerandomised(40)
        .into_iter()
        .map(|(p, x)| (CheckedProof::new(p).expect("points"), x))
        .collect();
    let bad_at = |v: &[(CheckedProof, debye_zk::circuit::PublicInputs)], at: &[usize]| {
        let mut v = v.to_vec();
        for &i in at {
            v[i].1.ext_data_hash += Fr::ONE;
        }
        v
    };
    for at in [
        vec![],
        vec![0],
        vec![39],
        vec![7, 8],
        vec![1, 2, 3, 5, 31, 32],
        (0..40).collect::<Vec<_>>(),
    ] {
        let v = bad_at(&checked, &at);
        let want: Vec<bool> = (0..v.len()).map(|i| !at.contains(&i)).collect();
        assert_eq!(
            batch::verify_each(&pvk, &v).expect("verify"),
            want,
            "{at:?}"
        );
        let mut rng = StdRng::seed_from_u64(9);
        assert_eq!(
            batch::verify_chunk_with_rng(&pvk, &v[..20], &mut rng).expect("verify"),
            want[..20].to_vec(),
            "{at:?} in one chunk"
        );
    }
    assert!(batch::verify_each(&pvk, &[]).expect("empty").is_empty());
    // Two errors that cancel for fixed weights are caught: the weights are random and secret.
    let two = Fr::from(2u64);
    let mut v = checked[..2].to_vec();
    let mut a0 = v[0].0.proof().clone();
    let mut a1 = v[1].0.proof().clone();
    a0.a = (a0.a * two).into();
    a1.a = (a1.a * two.inverse().expect("inverse")).into();
    v[0].0 = CheckedProof::new(a0).expect("points");
    v[1].0 = CheckedProof::new(a1).expect("points");
    assert_eq!(
        batch::verify_each(&pvk, &v).expect("verify"),
        vec![false, false]
    );
}
