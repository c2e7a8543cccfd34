//! Field elements on the wire: a public input is a `uint256` word that must be below the BN254
//! scalar modulus `r` (a word at or above it names no field element; docs/shielded.md §7.2 F1).

use alloy_primitives::{B256, U256};
use ark_ff::{BigInteger, PrimeField};
use debye_primitives::shielded::BN254_R;
use debye_zk::Fr;

/// The field element of `word`, or `None` when `word >= r`.
pub(crate) fn fr(word: U256) -> Option<Fr> {
    (word < BN254_R).then(|| Fr::from_be_bytes_mod_order(&word.to_be_bytes::<32>()))
}

/// `x` as a big-endian word.
pub(crate) fn word(x: &Fr) -> U256 {
    let bytes = x.into_bigint().to_bytes_be();
    U256::from_be_slice(&bytes)
}

/// `x` as a big-endian 32-byte value (how headers write `noteRoot`).
pub(crate) fn b256(x: &Fr) -> B256 {
    B256::from(word(x).to_be_bytes::<32>())
}

/// The field element written as `b` (`None` when `b >= r`).
pub(crate) fn from_b256(b: &B256) -> Option<Fr> {
    fr(U256::from_be_bytes(b.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_below_r_round_trip_and_others_are_refused() {
        for w in [U256::ZERO, U256::from(7), BN254_R - U256::from(1)] {
            let x = fr(w).expect("below r");
            assert_eq!(word(&x), w);
            assert_eq!(from_b256(&b256(&x)), Some(x));
        }
        assert_eq!(fr(BN254_R), None);
        assert_eq!(fr(U256::MAX), None);
    }
}
