//! Where batched Groth16 verification spends its time, per proof (one thread unless noted):
//! `cargo run --release -p debye-zk --example profile_verify [n]`.

use std::time::Instant;

use ark_bn254::{Bn254, Fr, G1Projective};
use ark_ec::{CurveGroup, pairing::Pairing};
use ark_ff::PrimeField;
use ark_std::rand::{RngCore, SeedableRng, rngs::StdRng};
use debye_zk::{bench::sample_circuit, groth16};

fn time<T>(label: &str, n: usize, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    println!(
        "{label:40} {:8.1} µs/proof",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(64);
    let (pk, vk) = groth16::insecure_dev_setup()?;
    let pvk = groth16::prepare(&vk);
    let circuit = sample_circuit()?;
    let public = circuit.public;
    let mut rng = StdRng::seed_from_u64(1);
    let proof = groth16::prove(&pk, circuit, &mut rng)?;
    let items: Vec<_> = (0..n)
        .map(|_| {
            (
                ark_groth16::Groth16::<Bn254>::rerandomize_proof(&vk, &proof, &mut rng),
                public,
            )
        })
        .collect();
    let zs: Vec<Fr> = (0..n)
        .map(|_| {
            let mut b = [0u8; 16];
            rng.fill_bytes(&mut b);
            Fr::from_le_bytes_mod_order(&b)
        })
        .collect();
    let _ = time("G1 subgroup+curve A,C", n, || {
        items.iter().all(|(p, _)| {
            p.a.is_on_curve()
                && p.a.is_in_correct_subgroup_assuming_on_curve()
                && p.c.is_on_curve()
                && p.c.is_in_correct_subgroup_assuming_on_curve()
        })
    });
    let _ = time("G2 curve+subgroup B", n, || {
        items
            .iter()
            .all(|(p, _)| p.b.is_on_curve() && p.b.is_in_correct_subgroup_assuming_on_curve())
    });
    let az: Vec<G1Projective> = time("A*z (128-bit)", n, || {
        items.iter().zip(&zs).map(|((p, _), z)| p.a * z).collect()
    });
    let _ = time("A*z into_affine each", n, || {
        az.iter().map(|p| p.into_affine()).collect::<Vec<_>>()
    });
    let aff = time("A*z normalize_batch", n, || {
        G1Projective::normalize_batch(&az)
    });
    let _ = time("C*z sum (scalar mults)", n, || {
        items
            .iter()
            .zip(&zs)
            .map(|((p, _), z)| p.c * z)
            .sum::<G1Projective>()
    });
    let cs: Vec<_> = items.iter().map(|(p, _)| p.c).collect();
    let _ = time("sum z*C as MSM", n, || {
        <G1Projective as ark_ec::VariableBaseMSM>::msm(&cs, &zs).ok()
    });
    let _ = time("public.to_vec + scalars", n, || {
        items
            .iter()
            .zip(&zs)
            .map(|((_, p), z)| p.to_vec().iter().map(|x| *z * x).sum::<Fr>())
            .sum::<Fr>()
    });
    let g2: Vec<<Bn254 as Pairing>::G2Prepared> = time("G2Prepared::from(B)", n, || {
        items.iter().map(|(p, _)| p.b.into()).collect()
    });
    let g1: Vec<<Bn254 as Pairing>::G1Prepared> = aff.iter().map(|p| (*p).into()).collect();
    let ml = time("multi_miller_loop (rayon)", n, || {
        Bn254::multi_miller_loop(g1.clone(), g2.clone())
    });
    let _ = time("final exponentiation (once)", n, || {
        Bn254::final_exponentiation(ml)
    });
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let _ = pool.install(|| {
        time("multi_miller_loop (1 thread)", n, || {
            Bn254::multi_miller_loop(g1.clone(), g2.clone())
        })
    });
    let _ = pool.install(|| {
        time("verify_batch (1 thread)", n, || {
            groth16::verify_batch(&pvk, &items)
        })
    });
    let _ = time("verify_batch (rayon)", n, || {
        groth16::verify_batch(&pvk, &items)
    });
    let _ = pool.install(|| {
        time("verify_prepared single (1 thread)", n, || {
            items
                .iter()
                .all(|(p, x)| groth16::verify_prepared(&pvk, x, p).unwrap_or(false))
        })
    });
    Ok(())
}
