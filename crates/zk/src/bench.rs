//! Proving benchmark: `bench_prove` measures the JoinSplit prover on a fixed sample transaction
//! (wired to `debye bench prove --json`). Uses the INSECURE development keys.

use std::time::Instant;

use ark_ff::UniformRand;
use ark_groth16::{Groth16, prepare_verifying_key};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, OptimizationGoal};
use ark_serialize::CanonicalSerialize;
use ark_std::rand::{SeedableRng, rngs::StdRng};
use serde::Serialize;

use crate::circuit::{InputAssignment, JoinSplitCircuit, OutputAssignment};
use crate::groth16::{constraint_count, insecure_dev_setup, prove};
use crate::keys::Keys;
use crate::merkle::MerkleTree;
use crate::note::{Note, token_from_address};
use crate::{Error, Fr, Result};

/// Medians over the samples, sizes in bytes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProveBenchReport {
    /// R1CS constraints of the JoinSplit circuit.
    pub constraints: usize,
    /// Number of timed proofs.
    pub samples: usize,
    /// Median wall-clock proving time (witness generation included), milliseconds.
    #[serde(rename = "prove_ms")]
    pub prove_ms_median: f64,
    /// Median CPU time of the process per proof (user + system, all threads), milliseconds: the
    /// figure to compare when the machine is shared and wall-clock times are inflated.
    pub prove_cpu_ms_median: f64,
    /// Median time to synthesise the witness alone (constraint system in proving mode, linear
    /// combinations inlined), milliseconds; part of the proving time.
    pub witness_ms_median: f64,
    /// Median verification time (prepared key), milliseconds.
    #[serde(rename = "verify_ms")]
    pub verify_ms_median: f64,
    /// Groth16 key generation time, milliseconds (one run).
    pub setup_ms: f64,
    /// Compressed arkworks proof size.
    pub proof_bytes: usize,
    /// Proof size as the Solidity verifier takes it (8 words).
    pub proof_evm_bytes: usize,
    /// Compressed proving-key size.
    #[serde(rename = "pk_bytes")]
    pub proving_key_bytes: usize,
    /// Peak resident set size of the process (`VmHWM`), if the OS reports it.
    pub peak_rss_bytes: Option<u64>,
    /// The same in MiB (`debye bench prove --json` reports this name).
    pub peak_rss_mb: Option<f64>,
    /// Worker threads available to the prover (1 unless built with parallel arkworks).
    pub threads: usize,
}

/// A valid sample JoinSplit: two real inputs in a tree of 1,000 leaves, two outputs, a withdrawal.
pub fn sample_circuit() -> Result<JoinSplitCircuit> {
    let alice = Keys::from_seed([0x5a; 32])?;
    let bob = Keys::from_seed([0x5b; 32])?;
    let token = token_from_address(&[0x42; 20]);
    let secret = alice.output_secret(0);
    let mut rng = StdRng::seed_from_u64(1);
    let note = |owner, amount, nonce: u64| Note {
        owner,
        token,
        amount,
        randomness: secret.randomness(Fr::from(nonce)),
    };
    let (n0, n1) = (
        note(alice.address().owner, 700, 1),
        note(alice.address().owner, 300, 2),
    );
    let mut tree = MerkleTree::new();
    for _ in 0..997 {
        tree.append(Fr::rand(&mut rng))?;
    }
    let mut w0 = tree.append_tracked(n0.commitment())?;
    let leaf = Fr::rand(&mut rng);
    tree.append(leaf)?;
    w0.append(leaf)?;
    let w1 = tree.append_tracked(n1.commitment())?;
    w0.append(n1.commitment())?;
    let (a, nk) = (alice.auth().public(), alice.nullifier_key().to_field());
    JoinSplitCircuit::new(
        [
            InputAssignment::new(&n0, a, nk, &w0.path()),
            InputAssignment::new(&n1, a, nk, &w1.path()),
        ],
        [
            OutputAssignment::new(&note(bob.address().owner, 600, 3)),
            OutputAssignment::new(&note(alice.address().owner, 250, 4)),
        ],
        tree.root(),
        -150,
        token,
        Fr::from(12345u64),
    )?
    .sign(alice.auth())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// Process CPU time (user + system) in milliseconds from `/proc/self/stat` (clock ticks of 10 ms).
fn process_cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 10.0)
}

fn synthesize_witness(circuit: JoinSplitCircuit) -> Result<()> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    circuit.generate_constraints(cs.clone())?;
    cs.finalize();
    Ok(())
}

fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Run key generation once, then `samples` proofs and verifications; report medians.
pub fn bench_prove(samples: usize) -> Result<ProveBenchReport> {
    let samples = samples.max(1);
    let circuit = sample_circuit()?;
    let t = Instant::now();
    let (pk, vk) = insecure_dev_setup()?;
    let setup_ms = t.elapsed().as_secs_f64() * 1e3;
    let pvk = prepare_verifying_key(&vk);
    let inputs = circuit.public.to_vec();
    let mut rng = StdRng::seed_from_u64(99);
    let (mut prove_ms, mut prove_cpu_ms, mut witness_ms, mut verify_ms) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut proof = None;
    for _ in 0..samples {
        let t = Instant::now();
        synthesize_witness(circuit.clone())?;
        witness_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let cpu = process_cpu_ms();
        let t = Instant::now();
        let p = prove(&pk, circuit.clone(), &mut rng)?;
        prove_ms.push(t.elapsed().as_secs_f64() * 1e3);
        if let (Some(before), Some(after)) = (cpu, process_cpu_ms()) {
            prove_cpu_ms.push(after - before);
        }
        let t = Instant::now();
        let ok = Groth16::<ark_bn254::Bn254>::verify_proof(&pvk, &p, &inputs)
            .map_err(|e| Error::Groth16(e.to_string()))?;
        verify_ms.push(t.elapsed().as_secs_f64() * 1e3);
        if !ok {
            return Err(Error::Groth16("benchmark proof did not verify".into()));
        }
        proof = Some(p);
    }
    let proof = proof.ok_or_else(|| Error::Groth16("no proof".into()))?;
    Ok(ProveBenchReport {
        constraints: constraint_count()?,
        samples,
        prove_ms_median: median(prove_ms),
        prove_cpu_ms_median: median(prove_cpu_ms),
        witness_ms_median: median(witness_ms),
        verify_ms_median: median(verify_ms),
        setup_ms,
        proof_bytes: proof.compressed_size(),
        proof_evm_bytes: 8 * 32,
        proving_key_bytes: pk.compressed_size(),
        peak_rss_bytes: peak_rss_bytes(),
        peak_rss_mb: peak_rss_bytes().map(|b| b as f64 / (1024.0 * 1024.0)),
        threads: if cfg!(feature = "parallel") {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            1
        },
    })
}
