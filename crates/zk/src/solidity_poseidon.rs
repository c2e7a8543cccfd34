//! Renders the Solidity Poseidon libraries `PoseidonT3` (2 inputs) and `PoseidonT4` (3 inputs)
//! from the crate's own circomlib parameters ([`crate::poseidon::params`]), so the pool's
//! on-chain hash cannot drift from the circuit's (docs/shielded.md §7.2, "pinned to
//! test-vectors/zk/poseidon.json").
//!
//! The generated code is straight-line inline assembly, one block per round:
//! - the state lives on the stack in lazily reduced form: after the MDS layer each word is a sum of
//!   `t ≤ 4` values below `r`, plus one round constant below `r`, so it stays below `5r < 2^256`
//!   and plain `add` never wraps; `mulmod` reduces whatever it is given, and the output is reduced
//!   once at the end;
//! - partial rounds use the sparse form of [`Schedule`] (one scalar constant, `2t − 1` products
//!   instead of `t²`), with their constants as `PUSH32` immediates; partial-round words other than
//!   `s0` are kept reduced (`addmod`) because they accumulate over many rounds;
//! - the two dense matrices of the full rounds are written once to free memory (beyond the
//!   free-memory pointer, which is not moved) and read with `mload`;
//! - the capacity word is `0`, so the first round's S-box on it is a constant computed here.
//!
//! **Inputs `≥ r` are refused**: `hash` reverts with `InputNotInField()`. The pool never hashes
//! such a value on an honest path (it checks `ownerPart < r` at deposit, docs/shielded.md S-5.3,
//! and tree nodes are hashes, hence below `r`), and reducing silently would give two encodings of
//! one commitment.

use std::fmt::Write;

use ark_ff::{BigInteger, Field, PrimeField, Zero};
use sha3::{Digest, Keccak256};

use crate::poseidon::{FULL_ROUNDS, params};
use crate::{Error, Fr, Result};

/// Path of the committed 2-input library, relative to the repository root.
pub const POSEIDON_T3_PATH: &str = "contracts/src/shielded/PoseidonT3.sol";
/// Path of the committed 3-input library, relative to the repository root.
pub const POSEIDON_T4_PATH: &str = "contracts/src/shielded/PoseidonT4.sol";

fn word(x: &Fr) -> String {
    crate::groth16::word_hex(&x.into_bigint().to_bytes_be())
}

type Matrix = Vec<Vec<Fr>>;

/// One partial round of the optimised schedule: `s0 ← (s0 + k)^5`, then the sparse layer
/// `s0' = a00·s0 + Σ v_j·s_j`, `s_i' = w_i·s0 + s_i` (`i, j ≥ 1`).
#[derive(Debug, Clone)]
pub struct SparseRound {
    /// The scalar round constant added to `s0` before the S-box.
    pub k: Fr,
    /// Top-left entry of the sparse matrix.
    pub a00: Fr,
    /// First row, columns `1..t`.
    pub v: Vec<Fr>,
    /// First column, rows `1..t`.
    pub w: Vec<Fr>,
}

/// Poseidon rewritten for cheaper partial rounds (the "efficient partial rounds" of the Poseidon
/// paper, appendix B): the same permutation as [`crate::poseidon`], proven by
/// [`permute_schedule`]'s test against it.
///
/// - Constants: the part of a partial round's constant that skips the S-box is linear, so it is
///   pushed forward through the MDS layer (`pending ← M·(0, b_1..)`) and lands in the first full
///   round after the partial rounds; each partial round keeps one scalar `k`.
/// - Matrices: from the last partial round back, the round's matrix `A` is factored `A = M''·M'`
///   with `M' = diag(1, Â)` (`Â` = `A` without row and column 0) and `M''` sparse; `M'` commutes
///   with an S-box on `s0` only, so it moves into the previous round (`A ← M'·M`). The last full
///   round before the partial rounds ends up with the dense matrix `M'_first·M`.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Width.
    pub t: usize,
    /// Round constants of the 8 full rounds (the first of the second half adjusted).
    pub full_constants: Vec<Vec<Fr>>,
    /// The MDS matrix of every full round but the fourth.
    pub mds: Matrix,
    /// The dense matrix of the fourth full round (`M'_first·M`).
    pub mds_before_partial: Matrix,
    /// The partial rounds, in order.
    pub partial: Vec<SparseRound>,
}

fn mat_mul(a: &Matrix, b: &Matrix) -> Matrix {
    let n = a.len();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..n).map(|k| a[i][k] * b[k][j]).sum())
                .collect()
        })
        .collect()
}

fn mat_inverse(a: &Matrix) -> Result<Matrix> {
    let n = a.len();
    let mut m: Matrix = a
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut r = row.clone();
            r.extend((0..n).map(|j| if i == j { Fr::ONE } else { Fr::zero() }));
            r
        })
        .collect();
    for col in 0..n {
        let pivot = (col..n)
            .find(|&r| !m[r][col].is_zero())
            .ok_or_else(|| Error::Encoding("singular Poseidon matrix".into()))?;
        m.swap(col, pivot);
        let inv = m[col][col]
            .inverse()
            .ok_or_else(|| Error::Encoding("singular Poseidon matrix".into()))?;
        m[col].iter_mut().for_each(|x| *x *= inv);
        let pivot_row = m[col].clone();
        for (r, row) in m.iter_mut().enumerate() {
            if r != col {
                let f = row[col];
                row.iter_mut()
                    .zip(&pivot_row)
                    .for_each(|(x, p)| *x -= f * p);
            }
        }
    }
    Ok(m.into_iter().map(|r| r[n..].to_vec()).collect())
}

/// The optimised schedule for `n_inputs` inputs.
pub fn schedule(n_inputs: usize) -> Result<Schedule> {
    let p = params(n_inputs)?;
    let t = p.t;
    let half = FULL_ROUNDS / 2;
    let rc = |r: usize| p.round_constants[r * t..(r + 1) * t].to_vec();
    let mds = p.mds.clone();

    // Constants forward.
    let mut pending = vec![Fr::zero(); t];
    let mut ks = Vec::with_capacity(p.partial_rounds);
    for r in half..half + p.partial_rounds {
        let b: Vec<Fr> = rc(r).iter().zip(&pending).map(|(c, a)| *c + a).collect();
        ks.push(b[0]);
        pending = (0..t)
            .map(|i| (1..t).map(|j| mds[i][j] * b[j]).sum())
            .collect();
    }
    let mut full_constants: Vec<Vec<Fr>> = (0..half).map(rc).collect();
    let after = half + p.partial_rounds;
    full_constants.push(
        rc(after)
            .iter()
            .zip(&pending)
            .map(|(c, a)| *c + a)
            .collect(),
    );
    full_constants.extend((after + 1..after + half).map(rc));

    // Matrices backward.
    let mut a = mds.clone();
    let mut sparse = Vec::with_capacity(p.partial_rounds);
    for _ in 0..p.partial_rounds {
        let hat: Matrix = (1..t).map(|i| a[i][1..].to_vec()).collect();
        let hat_inv = mat_inverse(&hat)?;
        let v = (0..t - 1)
            .map(|j| (0..t - 1).map(|k| a[0][k + 1] * hat_inv[k][j]).sum())
            .collect();
        let w = (1..t).map(|i| a[i][0]).collect();
        sparse.push((a[0][0], v, w));
        let mut m_prime: Matrix = vec![vec![Fr::zero(); t]; t];
        m_prime[0][0] = Fr::ONE;
        for i in 1..t {
            m_prime[i][1..].copy_from_slice(&hat[i - 1]);
        }
        a = mat_mul(&m_prime, &mds);
    }
    sparse.reverse();
    let partial = ks
        .into_iter()
        .zip(sparse)
        .map(|(k, (a00, v, w))| SparseRound { k, a00, v, w })
        .collect();
    Ok(Schedule {
        t,
        full_constants,
        mds,
        mds_before_partial: a,
        partial,
    })
}

/// The permutation's output word computed with `schedule` (what the Solidity code does).
pub fn permute_schedule(s: &Schedule, inputs: &[Fr]) -> Fr {
    let t = s.t;
    let mut state = vec![Fr::zero(); t];
    state[1..].copy_from_slice(&inputs[..t - 1]);
    let sbox = |x: Fr| x * x.square().square();
    let full = |state: &mut Vec<Fr>, c: &[Fr], m: &Matrix| {
        let x: Vec<Fr> = state.iter().zip(c).map(|(s, c)| sbox(*s + c)).collect();
        *state = (0..t)
            .map(|i| (0..t).map(|j| m[i][j] * x[j]).sum())
            .collect();
    };
    let half = FULL_ROUNDS / 2;
    for r in 0..half {
        let m = if r == half - 1 {
            &s.mds_before_partial
        } else {
            &s.mds
        };
        full(&mut state, &s.full_constants[r], m);
    }
    for pr in &s.partial {
        let x0 = sbox(state[0] + pr.k);
        let s0 = pr.a00 * x0 + (1..t).map(|j| pr.v[j - 1] * state[j]).sum::<Fr>();
        for (si, w) in state[1..].iter_mut().zip(&pr.w) {
            *si += *w * x0;
        }
        state[0] = s0;
    }
    for r in half..FULL_ROUNDS {
        full(&mut state, &s.full_constants[r], &s.mds);
    }
    state[0]
}

/// Render the library for `n_inputs` inputs (2 → `PoseidonT3`, 3 → `PoseidonT4`).
pub fn render_poseidon(n_inputs: usize) -> Result<String> {
    if !(2..=3).contains(&n_inputs) {
        return Err(Error::PoseidonArity(n_inputs));
    }
    let sch = schedule(n_inputs)?;
    let p = params(n_inputs)?;
    let t = p.t;
    let name = format!("PoseidonT{t}");
    let selector = &Keccak256::digest(b"InputNotInField()")[..4];
    let half = FULL_ROUNDS / 2;

    let mut body = String::new();
    let mut line = |s: &str| {
        let _ = writeln!(body, "            {s}");
    };
    line("let p := R");
    for i in 1..t {
        let at = match i {
            1 => "inputs".to_string(),
            _ => format!("add(inputs, {:#x})", (i - 1) * 32),
        };
        line(&format!("let s{i} := mload({at})"));
    }
    let all_below = (1..t)
        .map(|i| format!("lt(s{i}, p)"))
        .reduce(|a, b| format!("and({a}, {b})"))
        .unwrap_or_default();
    line(&format!("if iszero({all_below}) {{"));
    line(&format!(
        "    mstore(0, 0x{}{})",
        hex::encode(selector),
        "0".repeat(56)
    ));
    line("    revert(0, 4)");
    line("}");
    line("// The two dense matrices, row-major, in free memory (the pointer is not moved):");
    line("// MDS at m, the fourth full round's matrix after it.");
    line("let m := mload(0x40)");
    for (base, mat) in [(0, &sch.mds), (t * t, &sch.mds_before_partial)] {
        for (i, row) in mat.iter().enumerate() {
            for (j, x) in row.iter().enumerate() {
                let at = match (base + i * t + j) * 32 {
                    0 => "m".to_string(),
                    off => format!("add(m, {off})"),
                };
                line(&format!("mstore({at}, {})", word(x)));
            }
        }
    }
    // Round 0: the capacity word is the constant c(0, 0); its S-box is precomputed.
    let c0 = sch.full_constants[0][0];
    line(&format!("let s0 := {}", word(&(c0 * c0.square().square()))));
    line("let x := 0");
    line("let x2 := 0");
    for i in 0..t {
        line(&format!("let n{i} := 0"));
    }
    let full_round = |line: &mut dyn FnMut(&str), r: usize, base: usize| {
        line(&format!("// full round {r}"));
        for i in 0..t {
            if r == 0 && i == 0 {
                continue;
            }
            line(&format!(
                "x := add(s{i}, {})",
                word(&sch.full_constants[r][i])
            ));
            line("x2 := mulmod(x, x, p)");
            line(&format!("s{i} := mulmod(mulmod(x2, x2, p), x, p)"));
        }
        let at = |i: usize, j: usize| match (base + i * t + j) * 32 {
            0 => "mload(m)".to_string(),
            off => format!("mload(add(m, {off}))"),
        };
        for i in 0..t {
            line(&format!(
                "n{i} := add(mulmod(s0, {}, p), mulmod(s1, {}, p))",
                at(i, 0),
                at(i, 1)
            ));
            for j in 2..t {
                line(&format!("n{i} := add(n{i}, mulmod(s{j}, {}, p))", at(i, j)));
            }
        }
        for i in 0..t {
            line(&format!("s{i} := n{i}"));
        }
    };
    for r in 0..half {
        full_round(&mut line, r, if r == half - 1 { t * t } else { 0 });
    }
    for (k, pr) in sch.partial.iter().enumerate() {
        line(&format!("// partial round {k}"));
        line(&format!("x := add(s0, {})", word(&pr.k)));
        line("x2 := mulmod(x, x, p)");
        line("x := mulmod(mulmod(x2, x2, p), x, p)");
        line(&format!("n0 := mulmod(x, {}, p)", word(&pr.a00)));
        // Written the way `forge fmt` breaks these lines (over 100 columns).
        for j in 1..t {
            line("n0 := add(");
            line("    n0,");
            line(&format!("    mulmod(s{j}, {}, p)", word(&pr.v[j - 1])));
            line(")");
        }
        for i in 1..t {
            line(&format!("s{i} := addmod("));
            line(&format!("    s{i},"));
            line(&format!("    mulmod(x, {}, p),", word(&pr.w[i - 1])));
            line("    p");
            line(")");
        }
        line("s0 := n0");
    }
    for r in half..FULL_ROUNDS {
        full_round(&mut line, r, 0);
    }
    line("out := mod(s0, p)");

    debug_assert_eq!(FULL_ROUNDS, 8);
    Ok(format!(
        r#"// SPDX-License-Identifier: MIT OR Apache-2.0
// GENERATED by crates/zk (`debye_zk::solidity_poseidon::render_poseidon({n_inputs})`) from the crate's
// circomlib Poseidon parameters. Do not edit: regenerate with
// `DEBYE_ZK_UPDATE=1 cargo test -p debye-zk --test it poseidon`.
pragma solidity ^0.8.24;

/// @title Poseidon over BN254 with {n_inputs} inputs (t = {t}), circomlib parameters
/// @notice 8 full and {partial} partial rounds, x^5 S-box, output state[0]; equal to circomlib
///         `Poseidon({n_inputs})` and to `debye_zk::poseidon` (test-vectors/zk/poseidon.json).
/// @dev Inputs at or above the scalar field order R are refused (revert `InputNotInField()`),
///      never reduced: callers check canonical field elements first (docs/circuits.md §2).
library {name} {{
    /// @notice An input is not below the BN254 scalar field order.
    error InputNotInField();

    /// @notice Order of the BN254 scalar field.
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice circomlib `Poseidon({n_inputs})` of `inputs`, each below `R`.
    function hash(uint256[{n_inputs}] memory inputs) internal pure returns (uint256 out) {{
        assembly ("memory-safe") {{
{body}        }}
    }}
}}
"#,
        partial = p.partial_rounds,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_two_and_three_inputs() {
        assert!(matches!(render_poseidon(1), Err(Error::PoseidonArity(1))));
        assert!(matches!(render_poseidon(4), Err(Error::PoseidonArity(4))));
        let t4 = render_poseidon(3).expect("render");
        assert!(t4.contains("library PoseidonT4"));
        assert_eq!(t4.matches("// full round ").count(), 8);
        assert_eq!(t4.matches("// partial round ").count(), 56);
    }

    #[test]
    fn schedule_is_the_same_permutation() {
        // The optimised schedule that the Solidity code follows gives circomlib's outputs.
        for n in 2..=3 {
            let s = schedule(n).expect("schedule");
            for k in 0..20u64 {
                let inputs: Vec<Fr> = (0..n as u64)
                    .map(|i| Fr::from(k * 7 + i).pow([k + 3]) - Fr::from(i))
                    .collect();
                assert_eq!(
                    permute_schedule(&s, &inputs),
                    crate::poseidon::poseidon(&inputs).expect("arity"),
                    "n = {n}, k = {k}"
                );
            }
        }
    }
}
