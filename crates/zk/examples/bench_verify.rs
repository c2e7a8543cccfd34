//! Groth16 verification, one at a time vs batched (docs/circuits.md §10):
//! `cargo run --release -p debye-zk --example bench_verify [runs] [batch]` (default 3 runs, 64).
//! Prints, per run and as medians, milliseconds per proof for `verify_prepared` over `batch`
//! proofs and for one `verify_batch` call over the same proofs. INSECURE dev keys.

use std::time::Instant;

use ark_std::rand::{SeedableRng, rngs::StdRng};
use debye_zk::{bench::sample_circuit, groth16};

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(3);
    let batch: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(64);
    let (pk, vk) = groth16::insecure_dev_setup()?;
    let pvk = groth16::prepare(&vk);
    let circuit = sample_circuit()?;
    let public = circuit.public;
    let mut rng = StdRng::seed_from_u64(1);
    let proof = groth16::prove(&pk, circuit, &mut rng)?;
    // Distinct valid proofs of one statement: verification cost does not depend on which.
    let items: Vec<_> = (0..batch)
        .map(|_| {
            let p =
                ark_groth16::Groth16::<ark_bn254::Bn254>::rerandomize_proof(&vk, &proof, &mut rng);
            (p, public)
        })
        .collect();
    let (mut single, mut batched) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let t = Instant::now();
        for (p, public) in &items {
            if !groth16::verify_prepared(&pvk, public, p)? {
                return Err("valid proof rejected".into());
            }
        }
        let s = t.elapsed().as_secs_f64() * 1e3 / batch as f64;
        let t = Instant::now();
        if !groth16::verify_batch(&pvk, &items)? {
            return Err("valid batch rejected".into());
        }
        let b = t.elapsed().as_secs_f64() * 1e3 / batch as f64;
        println!("run {run}: single {s:.3} ms/proof, batched({batch}) {b:.3} ms/proof");
        single.push(s);
        batched.push(b);
    }
    println!(
        "median of {runs}: single {:.3} ms/proof, batched({batch}) {:.3} ms/proof ({:.1}x)",
        median(single.clone()),
        median(batched.clone()),
        median(single) / median(batched)
    );
    Ok(())
}
