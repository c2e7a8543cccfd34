//! Poseidon over the BN254 scalar field with circomlib's exact parameters.
//!
//! Parameters follow circomlib's `poseidon.circom` / circomlibjs `poseidon_reference.js`: width
//! `t = inputs + 1` (capacity element first, initialised to zero), `x^5` S-box, 8 full rounds and
//! `N_ROUNDS_P[t - 2]` partial rounds, output `state[0]`.
//!
//! Round constants and the MDS matrix are not embedded: they are regenerated with the Grain LFSR
//! procedure of the Poseidon reference script (`generate_parameters_grain.sage`, Grassi et al.,
//! <https://extgit.iaik.tugraz.at/krypto/hadeshash>) that circomlib used to produce
//! `poseidon_constants.js`. The test vectors in `test-vectors/zk/poseidon.json` are cross-checked
//! against circomlibjs 0.1.7 by `scripts/zk/check-poseidon.mjs`.

use std::collections::VecDeque;
use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::{BigInteger, Field, PrimeField, Zero};

use crate::{Error, Result};

/// Number of full rounds (circomlib: `nRoundsF = 8`).
pub const FULL_ROUNDS: usize = 8;

/// Partial rounds for `t = 2..=17` (circomlib's `N_ROUNDS_P`).
pub const PARTIAL_ROUNDS: [usize; 16] = [
    56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68,
];

/// Largest number of inputs supported (`t = 17`).
pub const MAX_INPUTS: usize = 16;

/// The parameters of one Poseidon width.
#[derive(Debug, Clone)]
pub struct PoseidonParams {
    /// State width `t` (inputs + 1).
    pub t: usize,
    /// Number of partial rounds.
    pub partial_rounds: usize,
    /// Round constants, `t` per round, `(FULL_ROUNDS + partial_rounds) * t` in all.
    pub round_constants: Vec<Fr>,
    /// The `t x t` MDS matrix, row-major: `new[i] = sum_j mds[i][j] * state[j]`.
    pub mds: Vec<Vec<Fr>>,
}

impl PoseidonParams {
    /// Total number of rounds.
    pub fn rounds(&self) -> usize {
        FULL_ROUNDS + self.partial_rounds
    }

    /// Whether round `r` applies the S-box to the whole state.
    pub fn is_full_round(&self, r: usize) -> bool {
        r < FULL_ROUNDS / 2 || r >= FULL_ROUNDS / 2 + self.partial_rounds
    }
}

/// The parameters for `n` inputs (`t = n + 1`), generated once and cached.
pub fn params(n_inputs: usize) -> Result<&'static PoseidonParams> {
    static CACHE: [OnceLock<PoseidonParams>; MAX_INPUTS] = [const { OnceLock::new() }; MAX_INPUTS];
    if n_inputs == 0 || n_inputs > MAX_INPUTS {
        return Err(Error::PoseidonArity(n_inputs));
    }
    let t = n_inputs + 1;
    Ok(CACHE[n_inputs - 1].get_or_init(|| generate_params(t, PARTIAL_ROUNDS[t - 2])))
}

/// Poseidon hash of 1..=16 field elements (circomlib `Poseidon(n)`).
pub fn poseidon(inputs: &[Fr]) -> Result<Fr> {
    let p = params(inputs.len())?;
    let mut state = Vec::with_capacity(p.t);
    state.push(Fr::zero());
    state.extend_from_slice(inputs);
    permute(p, &mut state);
    Ok(state[0])
}

/// Poseidon of two elements, the Merkle-tree node hash. Never fails.
pub fn hash2(left: Fr, right: Fr) -> Fr {
    let p = params(2).unwrap_or_else(|_| unreachable!("2 inputs are supported"));
    let mut state = vec![Fr::zero(), left, right];
    permute(p, &mut state);
    state[0]
}

/// Poseidon with a fixed-size input; the arity is checked at compile time by `MAX_INPUTS`.
pub fn hash<const N: usize>(inputs: [Fr; N]) -> Fr {
    const { assert!(N >= 1 && N <= MAX_INPUTS) };
    let p = params(N).unwrap_or_else(|_| unreachable!("arity checked at compile time"));
    let mut state = Vec::with_capacity(N + 1);
    state.push(Fr::zero());
    state.extend_from_slice(&inputs);
    permute(p, &mut state);
    state[0]
}

fn permute(p: &PoseidonParams, state: &mut [Fr]) {
    let t = p.t;
    let mut next = vec![Fr::zero(); t];
    for r in 0..p.rounds() {
        for (s, c) in state.iter_mut().zip(&p.round_constants[r * t..(r + 1) * t]) {
            *s += c;
        }
        if p.is_full_round(r) {
            state.iter_mut().for_each(sbox);
        } else {
            sbox(&mut state[0]);
        }
        for (i, n) in next.iter_mut().enumerate() {
            *n = p.mds[i].iter().zip(state.iter()).map(|(m, s)| *m * s).sum();
        }
        state.copy_from_slice(&next);
    }
}

fn sbox(x: &mut Fr) {
    let x2 = x.square();
    *x *= x2.square();
}

/// The Grain LFSR of the Poseidon reference parameter script (80-bit state, self-shrinking).
struct Grain {
    state: VecDeque<bool>,
}

impl Grain {
    fn new(t: usize, full: usize, partial: usize) -> Self {
        let mut state = VecDeque::with_capacity(80);
        let mut push = |value: u64, width: u32| {
            for i in (0..width).rev() {
                state.push_back((value >> i) & 1 == 1);
            }
        };
        push(1, 2); // field: prime field
        push(0, 4); // S-box: x^alpha
        push(254, 12); // field size in bits
        push(t as u64, 12);
        push(full as u64, 10);
        push(partial as u64, 10);
        push((1 << 30) - 1, 30);
        let mut g = Self { state };
        for _ in 0..160 {
            g.clock();
        }
        g
    }

    fn clock(&mut self) -> bool {
        let s = &self.state;
        let bit = s[62] ^ s[51] ^ s[38] ^ s[23] ^ s[13] ^ s[0];
        self.state.pop_front();
        self.state.push_back(bit);
        bit
    }

    fn next_bit(&mut self) -> bool {
        loop {
            let keep = self.clock();
            let bit = self.clock();
            if keep {
                return bit;
            }
        }
    }

    /// 254 bits, most significant first, as a big-endian integer.
    fn next_bytes(&mut self) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        for i in 2..256 {
            if self.next_bit() {
                bytes[i / 8] |= 0x80 >> (i % 8);
            }
        }
        bytes
    }

    /// A uniformly sampled field element (rejection sampling), used for round constants.
    fn next_field_rejecting(&mut self) -> Fr {
        loop {
            let bytes = self.next_bytes();
            let bits: Vec<bool> = bytes
                .iter()
                .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1 == 1))
                .collect();
            let big = <Fr as PrimeField>::BigInt::from_bits_be(&bits);
            if let Some(f) = Fr::from_bigint(big) {
                return f;
            }
        }
    }

    /// 254 bits reduced modulo the field order, used for the MDS matrix.
    fn next_field_reduced(&mut self) -> Fr {
        Fr::from_be_bytes_mod_order(&self.next_bytes())
    }
}

fn generate_params(t: usize, partial: usize) -> PoseidonParams {
    let mut grain = Grain::new(t, FULL_ROUNDS, partial);
    let round_constants = (0..(FULL_ROUNDS + partial) * t)
        .map(|_| grain.next_field_rejecting())
        .collect();
    // Cauchy matrix 1 / (x_i + y_j) over 2t distinct sampled elements.
    let mds = loop {
        let xy: Vec<Fr> = (0..2 * t).map(|_| grain.next_field_reduced()).collect();
        let distinct = xy
            .iter()
            .enumerate()
            .all(|(i, a)| xy[i + 1..].iter().all(|b| a != b));
        if !distinct {
            continue;
        }
        let (xs, ys) = xy.split_at(t);
        let rows: Option<Vec<Vec<Fr>>> = xs
            .iter()
            .map(|x| ys.iter().map(|y| (*x + y).inverse()).collect())
            .collect();
        if let Some(rows) = rows {
            break rows;
        }
    };
    PoseidonParams {
        t,
        partial_rounds: partial,
        round_constants,
        mds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn fr(s: &str) -> Fr {
        Fr::from_str(s).unwrap_or_else(|_| panic!("bad decimal {s}"))
    }

    /// Values published with circomlib (`test/poseidoncircuit.js`), independent of our code.
    #[test]
    fn matches_circomlib_published_values() {
        assert_eq!(
            poseidon(&[Fr::from(1u64), Fr::from(2u64)]).expect("arity"),
            fr("7853200120776062878684798364095072458815029376092732009249414926327459813530")
        );
        assert_eq!(
            poseidon(&[Fr::from(3u64), Fr::from(4u64)]).expect("arity"),
            fr("14763215145315200506921711489642608356394854266165572616578112107564877678998")
        );
    }

    #[test]
    fn arity_is_checked() {
        assert!(matches!(poseidon(&[]), Err(Error::PoseidonArity(0))));
        assert!(matches!(
            poseidon(&[Fr::zero(); 17]),
            Err(Error::PoseidonArity(17))
        ));
    }
}
