//! Which proofs of a batch are valid, for the operator's admission path (docs/shielded.md S-4.3):
//! the batch is cut into chunks verified on every core, each chunk with one random linear
//! combination (one multi-Miller loop, one final exponentiation); a failing chunk is bisected
//! over cached per-proof Miller loops, so a bad proof costs a few extra final exponentiations
//! instead of every proof of its chunk being verified again alone.
//!
//! Soundness (F1): the weights are 128-bit, secret and fresh per chunk, and every point was
//! checked on its curve and in the prime-order subgroup before ([`CheckedProof`]): a
//! small-order component of `B` could otherwise cancel between proofs.

use ark_bn254::{Bn254, Fr, G1Projective};
use ark_ec::{
    AffineRepr, CurveGroup, VariableBaseMSM,
    pairing::{MillerLoopOutput, Pairing},
};
use ark_ff::{CyclotomicMultSubgroup, One, PrimeField, Zero};
use ark_std::rand::{CryptoRng, RngCore, SeedableRng, rngs::StdRng};
use rayon::prelude::*;

use crate::circuit::{NUM_PUBLIC_INPUTS, PublicInputs};
use crate::groth16::{BATCH_WEIGHT_BITS, JoinSplitProof, PreparedJoinSplitVerifyingKey};
use crate::{Error, Result};

/// Proofs per chunk: large enough that the chunk's final exponentiation and two aggregate
/// pairings are small per proof, small enough that both cores get several chunks and that a
/// chunk with a bad proof is bisected in a few steps.
pub const CHUNK: usize = 32;

/// Proofs per group inside a chunk: when a chunk fails, each group is tested and only a failing
/// group is bisected. With one proof in ten invalid about half the groups of eight are clean,
/// which needs fewer tests (each a final exponentiation) than bisecting the whole chunk.
pub const GROUP: usize = 8;

type G1Prepared = <Bn254 as Pairing>::G1Prepared;
type G2Prepared = <Bn254 as Pairing>::G2Prepared;
type Gt = <Bn254 as Pairing>::TargetField;

/// A proof whose three points are on their curves and in the prime-order subgroups.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedProof(JoinSplitProof);

impl CheckedProof {
    /// `proof` if its points pass every check a verifier must make (`G1` has cofactor 1, so for
    /// `A` and `C` the subgroup check is the curve check; `B` needs the `G2` subgroup check,
    /// the costly one, ~0.3 ms).
    pub fn new(proof: JoinSplitProof) -> Option<Self> {
        let g1_ok = |p: &ark_bn254::G1Affine| {
            p.is_zero() || (p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve())
        };
        let b_ok = proof.b.is_zero()
            || (proof.b.is_on_curve() && proof.b.is_in_correct_subgroup_assuming_on_curve());
        (g1_ok(&proof.a) && g1_ok(&proof.c) && b_ok).then_some(Self(proof))
    }

    /// The proof.
    pub fn proof(&self) -> &JoinSplitProof {
        &self.0
    }
}

/// [`CheckedProof::new`] of each proof, on every core (the `G2` subgroup check is the costly
/// part of admitting a proof after its pairings).
pub fn check_each(proofs: Vec<JoinSplitProof>) -> Vec<Option<CheckedProof>> {
    proofs.into_par_iter().map(CheckedProof::new).collect()
}

/// For each statement, whether its proof verifies (each `true` is wrong with probability about
/// `2^-128`; each `false` is certain). Chunks of [`CHUNK`] run in parallel on rayon's pool,
/// each with weights from a CSPRNG seeded by the operating system.
pub fn verify_each(
    pvk: &PreparedJoinSplitVerifyingKey,
    items: &[(CheckedProof, PublicInputs)],
) -> Result<Vec<bool>> {
    check_key(pvk)?;
    // Small batches are split too, so that both cores work on them.
    let size = items
        .len()
        .div_ceil(rayon::current_num_threads())
        .clamp(GROUP, CHUNK);
    let chunks: Vec<Vec<bool>> = items
        .par_chunks(size)
        .map(|chunk| {
            let seed: [u8; 32] = rand::random();
            Chunk::new(pvk, chunk, &mut StdRng::from_seed(seed)).valid()
        })
        .collect();
    Ok(chunks.concat())
}

/// [`verify_each`] on one chunk with the caller's CSPRNG (tests: deterministic weights).
pub fn verify_chunk_with_rng<R: RngCore + CryptoRng>(
    pvk: &PreparedJoinSplitVerifyingKey,
    items: &[(CheckedProof, PublicInputs)],
    rng: &mut R,
) -> Result<Vec<bool>> {
    check_key(pvk)?;
    Ok(Chunk::new(pvk, items, rng).valid())
}

fn check_key(pvk: &PreparedJoinSplitVerifyingKey) -> Result<()> {
    let n = pvk.vk.gamma_abc_g1.len();
    if n != NUM_PUBLIC_INPUTS + 1 {
        return Err(Error::Groth16(format!(
            "verifying key has {n} IC points, expected {}",
            NUM_PUBLIC_INPUTS + 1
        )));
    }
    Ok(())
}

/// One chunk with its weights and per-proof precomputation.
struct Chunk<'a> {
    pvk: &'a PreparedJoinSplitVerifyingKey,
    items: &'a [(CheckedProof, PublicInputs)],
    z: Vec<Fr>,
    inputs: Vec<Vec<Fr>>,
    za: Vec<G1Prepared>,
    b: Vec<G2Prepared>,
}

impl<'a> Chunk<'a> {
    fn new<R: RngCore>(
        pvk: &'a PreparedJoinSplitVerifyingKey,
        items: &'a [(CheckedProof, PublicInputs)],
        rng: &mut R,
    ) -> Self {
        let z: Vec<Fr> = items
            .iter()
            .map(|_| {
                let mut bytes = [0u8; (BATCH_WEIGHT_BITS / 8) as usize];
                rng.fill_bytes(&mut bytes);
                Fr::from_le_bytes_mod_order(&bytes)
            })
            .collect();
        let za: Vec<G1Projective> = items.iter().zip(&z).map(|((p, _), z)| p.0.a * z).collect();
        Self {
            pvk,
            items,
            inputs: items.iter().map(|(_, x)| x.to_vec()).collect(),
            // One inversion per point: `normalize_batch` measured slower here (it goes
            // parallel inside a chunk that is already one of rayon's tasks).
            za: za.iter().map(|p| p.into_affine().into()).collect(),
            b: items.iter().map(|(p, _)| p.0.b.into()).collect(),
            z,
        }
    }

    fn valid(&self) -> Vec<bool> {
        let n = self.items.len();
        let all: Vec<usize> = (0..n).collect();
        // One Miller loop per group (arkworks shares the squarings over four pairs only, so
        // nothing is lost): the chunk's test is their product, and on failure each group is
        // tested from its own.
        let groups: Vec<&[usize]> = all.chunks(GROUP).collect();
        let miller = |set: &[usize]| {
            Bn254::multi_miller_loop(
                set.iter().map(|&i| self.za[i].clone()),
                set.iter().map(|&i| self.b[i].clone()),
            )
            .0
        };
        let group_f: Vec<Gt> = groups.iter().map(|g| miller(g)).collect();
        if self.passes(&all, group_f.iter().product()) {
            return vec![true; n];
        }
        let mut valid = vec![false; n];
        let mut single = vec![Gt::one(); n];
        for (group, f) in groups.into_iter().zip(group_f) {
            if self.passes(group, f) {
                group.iter().for_each(|&i| valid[i] = true);
                continue;
            }
            // Per-proof Miller loops of a failing group, each computed once: a subset's test
            // is then a product, two aggregate pairings and one final exponentiation.
            for &i in group {
                single[i] = miller(&[i]);
            }
            self.bisect(&single, group, &mut valid);
        }
        valid
    }

    /// `set` is known to hold an invalid proof: marks the valid ones.
    fn bisect(&self, single: &[Gt], set: &[usize], valid: &mut [bool]) {
        if set.len() <= 1 {
            return;
        }
        let (left, right) = set.split_at(set.len() / 2);
        let test = |s: &[usize]| self.passes(s, s.iter().map(|&i| single[i]).product());
        if test(left) {
            left.iter().for_each(|&i| valid[i] = true);
            // The whole set failed and the left half passed: the right half holds a bad proof.
            self.bisect(single, right, valid);
        } else {
            self.bisect(single, left, valid);
            if test(right) {
                right.iter().for_each(|&i| valid[i] = true);
            } else {
                self.bisect(single, right, valid);
            }
        }
    }

    /// Whether `Π_S e(z_i·A_i, B_i) · e(Σ_S z_i·vk_x_i, −γ) · e(Σ_S z_i·C_i, −δ) = e(α, β)^(Σ_S z_i)`
    /// where `f` is the Miller loop of the first product.
    fn passes(&self, set: &[usize], f: Gt) -> bool {
        let ic = &self.pvk.vk.gamma_abc_g1;
        let mut ic_scalars = vec![Fr::zero(); ic.len()];
        let mut z_sum = Fr::zero();
        let mut c = Vec::with_capacity(set.len());
        let mut cz = Vec::with_capacity(set.len());
        for &i in set {
            let z = self.z[i];
            z_sum += z;
            ic_scalars[0] += z;
            for (s, x) in ic_scalars[1..].iter_mut().zip(&self.inputs[i]) {
                *s += z * x;
            }
            c.push(self.items[i].0.0.c);
            cz.push(z);
        }
        let (Ok(vk_x), Ok(c_sum)) = (
            G1Projective::msm(ic, &ic_scalars),
            G1Projective::msm(&c, &cz),
        ) else {
            return false;
        };
        let agg: [G1Prepared; 2] = [vk_x.into_affine().into(), c_sum.into_affine().into()];
        let g2 = [
            self.pvk.gamma_g2_neg_pc.clone(),
            self.pvk.delta_g2_neg_pc.clone(),
        ];
        let f = f * Bn254::multi_miller_loop(agg, g2).0;
        Bn254::final_exponentiation(MillerLoopOutput(f)).is_some_and(|lhs| {
            // e(α, β) lies in the cyclotomic subgroup: the cheaper exponentiation applies.
            lhs.0
                == self
                    .pvk
                    .alpha_g1_beta_g2
                    .cyclotomic_exp(z_sum.into_bigint())
        })
    }
}
