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
