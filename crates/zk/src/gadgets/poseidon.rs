//! Poseidon as an R1CS gadget: the same permutation as [`crate::poseidon`], 3 constraints per
//! S-box (`x^2`, `x^4`, `x^5`); additions and the MDS layer are free linear combinations.

use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;

use super::FrVar;
use crate::poseidon::params;

/// Poseidon of 1..=16 field variables; equals [`crate::poseidon::poseidon`] on their values.
///
/// Returns `SynthesisError::Unsatisfiable` for an unsupported arity (a programming error).
pub fn poseidon_gadget(inputs: &[FrVar]) -> Result<FrVar, SynthesisError> {
    let p = params(inputs.len()).map_err(|_| SynthesisError::Unsatisfiable)?;
    let t = p.t;
    let mds: Vec<Vec<FrVar>> = p
        .mds
        .iter()
        .map(|row| row.iter().map(|m| FrVar::constant(*m)).collect())
        .collect();
    let mut state = Vec::with_capacity(t);
    state.push(FrVar::zero());
    state.extend_from_slice(inputs);
    for r in 0..p.rounds() {
        for (s, c) in state.iter_mut().zip(&p.round_constants[r * t..(r + 1) * t]) {
            *s += *c;
        }
        if p.is_full_round(r) {
            for s in state.iter_mut() {
                *s = sbox(s)?;
            }
        } else {
            state[0] = sbox(&state[0])?;
        }
        // One linear combination per output element (cheaper to synthesise than a chain of adds).
        state = mds
            .iter()
            .map(|row| FrVar::inner_product(row, &state))
            .collect::<Result<_, _>>()?;
    }
    Ok(state.swap_remove(0))
}

fn sbox(x: &FrVar) -> Result<FrVar, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}
