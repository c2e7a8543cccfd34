//! Groth16 over BN254 for the JoinSplit circuit (docs/circuits.md §8).
//!
//! **INSECURE development setup.** [`insecure_dev_setup`] derives the toxic waste from a public,
//! fixed seed: anyone can recompute it and forge proofs. It exists so that devnets, tests and the
//! committed Solidity verifier are reproducible. Production keys must come from a multi-party
//! ceremony (phase 1: a public powers-of-tau transcript; phase 2: circuit-specific contributions),
//! see docs/circuits.md §8.2.

use ark_bn254::{Bn254, Fq, Fq2, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Groth16, Proof, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};
use ark_serialize::CanonicalSerialize;
use ark_snark::SNARK;
use ark_std::rand::{CryptoRng, RngCore, SeedableRng, rngs::StdRng};
use sha2::{Digest, Sha256};

use crate::circuit::{JoinSplitCircuit, PublicInputs};
use crate::{Error, Result};

/// The public seed of the INSECURE development setup. Never use its keys with real value.
pub const INSECURE_DEV_SETUP_SEED: [u8; 32] = *b"debye-zk/INSECURE/dev-setup/v1\0\0";

/// The JoinSplit proving key.
pub type JoinSplitProvingKey = ProvingKey<Bn254>;
/// The JoinSplit verifying key.
pub type JoinSplitVerifyingKey = VerifyingKey<Bn254>;
/// A JoinSplit proof.
pub type JoinSplitProof = Proof<Bn254>;

fn g16(e: impl std::fmt::Display) -> Error {
    Error::Groth16(e.to_string())
}

/// INSECURE deterministic key generation from [`INSECURE_DEV_SETUP_SEED`] (development only).
pub fn insecure_dev_setup() -> Result<(JoinSplitProvingKey, JoinSplitVerifyingKey)> {
    let mut rng = StdRng::from_seed(INSECURE_DEV_SETUP_SEED);
    Groth16::<Bn254>::circuit_specific_setup(JoinSplitCircuit::blank(), &mut rng).map_err(g16)
}

/// Prove a JoinSplit. The statement is checked natively first ([`JoinSplitCircuit::validate`]),
/// so a bad witness or signature is an [`Error::InvalidWitness`] / [`Error::InvalidSignature`].
pub fn prove<R: RngCore + CryptoRng>(
    pk: &JoinSplitProvingKey,
    circuit: JoinSplitCircuit,
    rng: &mut R,
) -> Result<JoinSplitProof> {
    circuit.validate()?;
    Groth16::<Bn254>::prove(pk, circuit, rng).map_err(g16)
}

/// Verify a proof against public inputs.
pub fn verify(
    vk: &JoinSplitVerifyingKey,
    public: &PublicInputs,
    proof: &JoinSplitProof,
) -> Result<bool> {
    Groth16::<Bn254>::verify(vk, &public.to_vec(), proof).map_err(g16)
}

/// The prepared verifying key (pairing-friendly precomputation), for [`verify_prepared`] and
/// [`verify_batch`].
pub type PreparedJoinSplitVerifyingKey = ark_groth16::PreparedVerifyingKey<Bn254>;

/// Prepare a verifying key once for many verifications.
pub fn prepare(vk: &JoinSplitVerifyingKey) -> PreparedJoinSplitVerifyingKey {
    ark_groth16::prepare_verifying_key(vk)
}

/// Verify one proof with a prepared key.
pub fn verify_prepared(
    pvk: &PreparedJoinSplitVerifyingKey,
    public: &PublicInputs,
    proof: &JoinSplitProof,
) -> Result<bool> {
    Groth16::<Bn254>::verify_with_processed_vk(pvk, &public.to_vec(), proof).map_err(g16)
}

/// Bits of each batch-verification weight.
pub const BATCH_WEIGHT_BITS: u32 = 128;

/// Verify many proofs at once (the operator's admission path, docs/shielded.md S-4.3) with a
/// random linear combination, with weights from a CSPRNG seeded by the operating system.
/// `Ok(true)` iff every proof is valid, except with probability about `2^-128` per call.
/// See [`verify_batch_with_rng`].
pub fn verify_batch(
    pvk: &PreparedJoinSplitVerifyingKey,
    items: &[(JoinSplitProof, PublicInputs)],
) -> Result<bool> {
    // rand's thread-local generator is a CSPRNG seeded from the OS; its 32 bytes seed a ChaCha
    // StdRng (also a CryptoRng) in the rand version arkworks uses.
    let seed: [u8; 32] = rand::random();
    verify_batch_with_rng(pvk, items, &mut StdRng::from_seed(seed))
}

/// [`verify_batch`] with the caller's CSPRNG. With independent 128-bit weights `z_i`, checks
///
/// `Π e(z_i·A_i, B_i) · e(Σ z_i·vk_x_i, −γ) · e(Σ z_i·C_i, −δ) = e(α, β)^(Σ z_i)`
///
/// with one multi-Miller loop (one loop per proof plus two aggregated terms) and one final
/// exponentiation; `Σ z_i·vk_x_i` is one MSM over the IC points with aggregated scalars. Each
/// `B_i` is checked to lie in the prime-order subgroup first (`G1` has cofactor 1; points built
/// in memory skip the deserialiser's check), so a small-order component cannot cancel out. An
/// empty batch is `Ok(true)`.
pub fn verify_batch_with_rng<R: RngCore + CryptoRng>(
    pvk: &PreparedJoinSplitVerifyingKey,
    items: &[(JoinSplitProof, PublicInputs)],
    rng: &mut R,
) -> Result<bool> {
    use ark_ec::pairing::Pairing;
    use ark_ec::{CurveGroup, VariableBaseMSM};
    use ark_ff::{Field, Zero};

    let ic = &pvk.vk.gamma_abc_g1;
    if ic.len() != crate::circuit::NUM_PUBLIC_INPUTS + 1 {
        return Err(Error::Groth16(format!(
            "verifying key has {} IC points, expected {}",
            ic.len(),
            crate::circuit::NUM_PUBLIC_INPUTS + 1
        )));
    }
    if items.is_empty() {
        return Ok(true);
    }
    let valid_point =
        |p: &G1Affine| p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve();
    if items.iter().any(|(p, _)| {
        !valid_point(&p.a)
            || !valid_point(&p.c)
            || !p.b.is_on_curve()
            || !p.b.is_in_correct_subgroup_assuming_on_curve()
    }) {
        return Ok(false);
    }
    let mut ic_scalars = vec![ark_bn254::Fr::zero(); ic.len()];
    let mut z_sum = ark_bn254::Fr::zero();
    let mut g1 = Vec::with_capacity(items.len() + 2);
    let mut g2 = Vec::with_capacity(items.len() + 2);
    let mut c_sum = ark_bn254::G1Projective::zero();
    for (proof, public) in items {
        let mut bytes = [0u8; (BATCH_WEIGHT_BITS / 8) as usize];
        rng.fill_bytes(&mut bytes);
        let z = ark_bn254::Fr::from_le_bytes_mod_order(&bytes);
        z_sum += z;
        ic_scalars[0] += z;
        for (s, x) in ic_scalars[1..].iter_mut().zip(public.to_vec()) {
            *s += z * x;
        }
        g1.push((proof.a * z).into_affine());
        g2.push(<Bn254 as Pairing>::G2Prepared::from(proof.b));
        c_sum += proof.c * z;
    }
    let vk_x = ark_bn254::G1Projective::msm(ic, &ic_scalars)
        .map_err(|n| Error::Groth16(format!("MSM length mismatch ({n})")))?;
    g1.push(vk_x.into_affine());
    g2.push(pvk.gamma_g2_neg_pc.clone());
    g1.push(c_sum.into_affine());
    g2.push(pvk.delta_g2_neg_pc.clone());
    let g1: Vec<<Bn254 as Pairing>::G1Prepared> = g1.into_iter().map(Into::into).collect();
    let ml = Bn254::multi_miller_loop(g1, g2);
    let lhs = Bn254::final_exponentiation(ml)
        .ok_or_else(|| Error::Groth16("final exponentiation failed".into()))?;
    let rhs = pvk.alpha_g1_beta_g2.pow(z_sum.into_bigint());
    Ok(lhs.0 == rhs)
}

/// SHA-256 of the compressed arkworks encoding of the verifying key.
pub fn vk_hash(vk: &JoinSplitVerifyingKey) -> Result<[u8; 32]> {
    let mut bytes = Vec::new();
    vk.serialize_compressed(&mut bytes).map_err(g16)?;
    Ok(Sha256::digest(&bytes).into())
}

/// Number of R1CS constraints of the JoinSplit circuit, counted as key generation counts them.
pub fn constraint_count() -> Result<usize> {
    let cs = ConstraintSystem::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    JoinSplitCircuit::blank().generate_constraints(cs.clone())?;
    cs.finalize();
    Ok(cs.num_constraints())
}

/// A 256-bit word as `0x` + 64 hex digits.
pub fn word_hex(bytes_be: &[u8]) -> String {
    let mut padded = vec![0u8; 32usize.saturating_sub(bytes_be.len())];
    padded.extend_from_slice(bytes_be);
    format!("0x{}", hex::encode(padded))
}

fn fq_hex(x: &Fq) -> String {
    word_hex(&x.into_bigint().to_bytes_be())
}

/// A G1 point as EIP-196 words `[x, y]` (the identity is `[0, 0]`).
pub fn g1_words(p: &G1Affine) -> [String; 2] {
    let (x, y) = p.xy().unwrap_or_default();
    [fq_hex(&x), fq_hex(&y)]
}

/// A G2 point as EIP-197 words `[x_im, x_re, y_im, y_re]`.
pub fn g2_words(p: &G2Affine) -> [String; 4] {
    let (x, y): (Fq2, Fq2) = p.xy().unwrap_or_default();
    [fq_hex(&x.c1), fq_hex(&x.c0), fq_hex(&y.c1), fq_hex(&y.c0)]
}

/// A proof as the verifier contract takes it: `[A.x, A.y, B.x_im, B.x_re, B.y_im, B.y_re, C.x, C.y]`.
pub fn proof_words(proof: &JoinSplitProof) -> [String; 8] {
    let [ax, ay] = g1_words(&proof.a);
    let [bx1, bx0, by1, by0] = g2_words(&proof.b);
    let [cx, cy] = g1_words(&proof.c);
    [ax, ay, bx1, bx0, by1, by0, cx, cy]
}

/// Public inputs as EVM words, in `PI_*` order.
pub fn public_input_words(public: &PublicInputs) -> Vec<String> {
    public
        .to_vec()
        .iter()
        .map(|x| word_hex(&x.into_bigint().to_bytes_be()))
        .collect()
}
