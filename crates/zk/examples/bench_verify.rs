//! Groth16 verification, one at a time vs batched (docs/circuits.md §10):
//! `cargo run --release -p debye-zk --example bench_verify [runs] [batch]` (default 3 runs, 64).
//! Prints, per run and as medians, milliseconds per proof for `verify_prepared` over `batch`
//! proofs and for one `verify_batch` call over the same proofs, then for `batch::verify_each`
//! (chunks on every core, bisection on failure) with all proofs valid and with every tenth
//! proof invalid. INSECURE dev keys.

use std::time::Instant;

use ark_std::rand::{SeedableRng, rngs::StdRng};
use debye_zk::{
    batch::{self, CheckedProof},
    bench::sample_circuit,
    groth16,
};

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
    let checked: Vec<_> = items
        .iter()
        .map(|(p, x)| CheckedProof::new(p.clone()).map(|p| (p, *x)))
        .collect::<Option<_>>()
        .ok_or("proof points rejected")?;
    // Every tenth proof made invalid (a changed public input).
    let mut tenth = checked.clone();
    for item in tenth.iter_mut().step_by(10) {
        item.1.ext_data_hash += debye_zk::Fr::from(1u64);
    }
    let (mut single, mut batched) = (Vec::new(), Vec::new());
    let (mut each, mut each_bad) = (Vec::new(), Vec::new());
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
        let t = Instant::now();
        if batch::verify_each(&pvk, &checked)?.contains(&false) {
            return Err("valid proof rejected by verify_each".into());
        }
        let e = t.elapsed().as_secs_f64() * 1e3 / batch as f64;
        let t = Instant::now();
        let valid = batch::verify_each(&pvk, &tenth)?;
        let eb = t.elapsed().as_secs_f64() * 1e3 / batch as f64;
        if valid.iter().enumerate().any(|(i, &v)| v == (i % 10 == 0)) {
            return Err("verify_each misjudged a proof".into());
        }
        println!(
            "run {run}: single {s:.3} ms/proof, batched({batch}) {b:.3} ms/proof, \
             verify_each {e:.3} ms/proof, verify_each with 10% invalid {eb:.3} ms/proof"
        );
        single.push(s);
        batched.push(b);
        each.push(e);
        each_bad.push(eb);
    }
    println!(
        "median of {runs}: single {:.3} ms/proof, batched({batch}) {:.3} ms/proof ({:.1}x)",
        median(single.clone()),
        median(batched.clone()),
        median(single) / median(batched)
    );
    println!(
        "median of {runs}: verify_each {:.3} ms/proof, with 10% invalid {:.3} ms/proof ({} threads)",
        median(each),
        median(each_bad),
        rayon::current_num_threads()
    );
    Ok(())
}
