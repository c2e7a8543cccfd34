//! External data bound by the JoinSplit proof (docs/circuits.md §6.8).
//!
//! `extDataHash = uint256(keccak256(abi.encode(recipient, fee, intentDigest,
//! keccak256(ciphertext0), keccak256(ciphertext1)))) mod r`, with `recipient` an `address`, `fee`
//! a `uint256`, the rest `bytes32`: five static words, so the L1 contract recomputes it from
//! calldata with one `abi.encode`.

use ark_ff::PrimeField;
use sha3::{Digest, Keccak256};

use crate::Fr;

/// What a JoinSplit commits to besides its notes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtData {
    /// L1 recipient of a withdrawal (zero address when none).
    pub recipient: [u8; 20],
    /// Fee paid to the relayer/prover, in token base units.
    pub fee: u128,
    /// keccak256 of the intent's L1-checked fields (chain id, pool address, expiry, policy
    /// version), checked by the contract; the whole external data is signed through the in-circuit
    /// intent digest (docs/circuits.md §6.10).
    pub intent_digest: [u8; 32],
    /// Encrypted deliveries of the two output notes.
    pub ciphertexts: [Vec<u8>; 2],
}

fn keccak(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

impl ExtData {
    /// `abi.encode(address, uint256, bytes32, bytes32, bytes32)`.
    pub fn abi_encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(5 * 32);
        out.extend_from_slice(&[0u8; 12]);
        out.extend_from_slice(&self.recipient);
        out.extend_from_slice(&[0u8; 16]);
        out.extend_from_slice(&self.fee.to_be_bytes());
        out.extend_from_slice(&self.intent_digest);
        out.extend_from_slice(&keccak(&self.ciphertexts[0]));
        out.extend_from_slice(&keccak(&self.ciphertexts[1]));
        out
    }

    /// The public input: keccak256 of the encoding, reduced modulo the BN254 scalar field.
    pub fn hash(&self) -> Fr {
        Fr::from_be_bytes_mod_order(&keccak(&self.abi_encode()))
    }
}
