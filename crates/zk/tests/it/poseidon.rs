//! Poseidon: native vs gadget, and the committed circomlibjs cross-check vectors.

use ark_ff::{Field, PrimeField, Zero};
use ark_r1cs_std::{GR1CSVar, alloc::AllocVar, fields::fp::FpVar};
use ark_relations::gr1cs::ConstraintSystem;
use debye_zk::{
    Fr,
    gadgets::poseidon_gadget,
    poseidon,
    solidity_poseidon::{POSEIDON_T3_PATH, POSEIDON_T4_PATH, render_poseidon},
};
use serde_json::json;

use crate::util::{check_committed, fr_from_label, repo_path, vector_path};

fn vector_inputs() -> Vec<Vec<Fr>> {
    let mut sets = Vec::new();
    for n in 1..=poseidon::MAX_INPUTS {
        sets.push((1..=n as u64).map(Fr::from).collect());
        sets.push(
            (0..n)
                .map(|i| fr_from_label(&format!("poseidon/{n}/{i}")))
                .collect(),
        );
    }
    // Edge values: all zero and all p - 1 for the widths the protocol uses.
    for n in 1..=5 {
        sets.push(vec![Fr::zero(); n]);
        sets.push(vec![-Fr::ONE; n]);
    }
    // More 2- and 3-input vectors: the widths contracts/src/shielded/PoseidonT{3,4}.sol implement
    // (contracts/test/Poseidon.t.sol checks every 2- and 3-input vector of the file).
    for n in 2..=3 {
        for k in 0..6 {
            sets.push(
                (0..n)
                    .map(|i| fr_from_label(&format!("poseidon/sol/{n}/{k}/{i}")))
                    .collect(),
            );
        }
        let mut mixed = vec![Fr::zero(); n];
        mixed[0] = -Fr::ONE;
        mixed[n - 1] = Fr::ONE;
        sets.push(mixed);
    }
    sets
}

#[test]
fn gadget_agrees_with_native() {
    for inputs in vector_inputs().into_iter().filter(|v| v.len() <= 6) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let vars: Vec<FpVar<Fr>> = inputs
            .iter()
            .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).expect("alloc"))
            .collect();
        let out = poseidon_gadget(&vars).expect("gadget");
        assert_eq!(
            out.value().expect("value"),
            poseidon::poseidon(&inputs).expect("native")
        );
        assert!(cs.is_satisfied().expect("sat"));
        let p = poseidon::params(inputs.len()).expect("params");
        // The capacity element is a constant in the first round, so its first S-box is free.
        let sboxes = p.t * poseidon::FULL_ROUNDS + p.partial_rounds - 1;
        assert_eq!(
            cs.num_constraints(),
            3 * sboxes,
            "3 constraints per S-box for t={}",
            p.t
        );
    }
}

#[test]
fn gadget_output_is_constrained() {
    // Tampering with the output witness must break satisfiability.
    let cs = ConstraintSystem::<Fr>::new_ref();
    let a = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1u64))).expect("alloc");
    let b = FpVar::new_witness(cs.clone(), || Ok(Fr::from(2u64))).expect("alloc");
    let out = poseidon_gadget(&[a, b]).expect("gadget");
    let claimed = FpVar::new_input(cs.clone(), || Ok(Fr::from(42u64))).expect("alloc");
    ark_r1cs_std::eq::EqGadget::enforce_equal(&out, &claimed).expect("eq");
    assert!(!cs.is_satisfied().expect("sat"));
}

#[test]
fn committed_vectors_are_current() {
    let vectors: Vec<_> = vector_inputs()
        .iter()
        .map(|inputs| {
            json!({
                "inputs": inputs.iter().map(|x| x.into_bigint().to_string()).collect::<Vec<_>>(),
                "output": poseidon::poseidon(inputs).expect("arity").into_bigint().to_string(),
            })
        })
        .collect();
    let file = json!({
        "description": "Poseidon over BN254 with circomlib parameters (t = inputs + 1, x^5, 8 full rounds, circomlib N_ROUNDS_P); decimal field elements. Produced by crates/zk (tests/it/poseidon.rs), checked against circomlibjs 0.1.7 by scripts/zk/check-poseidon.mjs.",
        "vectors": vectors,
    });
    let text = serde_json::to_string_pretty(&file).expect("json") + "\n";
    check_committed(&vector_path("poseidon.json"), &text);
}

#[test]
fn poseidon_sol_is_current() {
    // The committed Solidity libraries are exactly what the renderer makes from our parameters.
    for (n, path) in [(2, POSEIDON_T3_PATH), (3, POSEIDON_T4_PATH)] {
        let sol = render_poseidon(n).expect("render");
        check_committed(&repo_path(path), &sol);
    }
}
