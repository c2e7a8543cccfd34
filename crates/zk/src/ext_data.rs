//! External data bound by the JoinSplit proof, version 1 (docs/shielded.md S-3.4; docs/circuits.md
//! §6.8).
//!
//! ```solidity
//! struct ExtData { uint8 kind; address recipient; address feeRecipient; uint64 fee; uint64 expiry;
//!                  uint64 chainId; address anchor; uint32 policy; bytes32 nonce;
//!                  bytes32 ctHash0; bytes32 ctHash1; }
//! extDataHash = uint256(keccak256(abi.encode(EXT_TAG, ext))) mod r
//! EXT_TAG     = keccak256("debye/shielded/v1/ext-data")
//! ```
//!
//! Every field is static, so `abi.encode(EXT_TAG, ext)` is twelve words: the tag, then the
//! eleven fields in order, each left-padded to 32 bytes.

use ark_ff::PrimeField;
use sha3::{Digest, Keccak256};

use crate::Fr;

/// `ext.kind` of an L2 transfer (docs/shielded.md S-3.1).
pub const KIND_TRANSFER: u8 = 2;
/// `ext.kind` of an L1 exit (docs/shielded.md S-5.5).
pub const KIND_EXIT: u8 = 3;
/// The only policy version defined (docs/shielded.md §1.4, `POLICY`).
pub const POLICY: u32 = 1;
/// Length of the ABI encoding `abi.encode(EXT_TAG, ext)`.
pub const ENCODED_LEN: usize = 12 * 32;

/// `EXT_TAG = keccak256("debye/shielded/v1/ext-data")`.
pub fn ext_tag() -> [u8; 32] {
    keccak(b"debye/shielded/v1/ext-data")
}

/// What a JoinSplit commits to besides its notes (docs/shielded.md S-3.4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtData {
    /// [`KIND_TRANSFER`] or [`KIND_EXIT`].
    pub kind: u8,
    /// EXIT: the L1 payee; TRANSFER: zero.
    pub recipient: [u8; 20],
    /// EXIT: the relayer's L1 payee, or zero for no fee; TRANSFER: zero.
    pub fee_recipient: [u8; 20],
    /// In token units; EXIT: at most the amount; TRANSFER: 0.
    pub fee: u64,
    /// Unix seconds; valid while `time <= expiry <= time + MAX_LIFETIME`.
    pub expiry: u64,
    /// The L1 chain id.
    pub chain_id: u64,
    /// The ShieldedPool contract.
    pub anchor: [u8; 20],
    /// Policy version, [`POLICY`].
    pub policy: u32,
    /// Random, at least 128 bits of entropy (docs/shielded.md §8).
    pub nonce: [u8; 32],
    /// `keccak256` of each output's ciphertext; EXIT: zero.
    pub ct_hash: [[u8; 32]; 2],
}

/// `keccak256(data)`.
pub fn keccak(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

fn word_from(bytes: &[u8]) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[32 - bytes.len()..].copy_from_slice(bytes);
    w
}

impl ExtData {
    /// The external data of an L2 transfer: kind TRANSFER, no recipient or fee, and the hashes of
    /// the two output ciphertexts.
    pub fn transfer(
        chain_id: u64,
        anchor: [u8; 20],
        expiry: u64,
        nonce: [u8; 32],
        ciphertexts: [&[u8]; 2],
    ) -> Self {
        Self {
            kind: KIND_TRANSFER,
            expiry,
            chain_id,
            anchor,
            policy: POLICY,
            nonce,
            ct_hash: [keccak(ciphertexts[0]), keccak(ciphertexts[1])],
            ..Self::default()
        }
    }

    /// The external data of an L1 exit: kind EXIT, payees and fee, no ciphertexts (both outputs
    /// are `CM_ZERO`, docs/shielded.md S-5.5).
    #[allow(clippy::too_many_arguments)]
    pub fn exit(
        recipient: [u8; 20],
        fee_recipient: [u8; 20],
        fee: u64,
        expiry: u64,
        chain_id: u64,
        anchor: [u8; 20],
        nonce: [u8; 32],
    ) -> Self {
        Self {
            kind: KIND_EXIT,
            recipient,
            fee_recipient,
            fee,
            expiry,
            chain_id,
            anchor,
            policy: POLICY,
            nonce,
            ct_hash: [[0u8; 32]; 2],
        }
    }

    /// `abi.encode(EXT_TAG, ext)`: [`ENCODED_LEN`] bytes.
    pub fn abi_encode(&self) -> Vec<u8> {
        let words: [[u8; 32]; 12] = [
            ext_tag(),
            word_from(&[self.kind]),
            word_from(&self.recipient),
            word_from(&self.fee_recipient),
            word_from(&self.fee.to_be_bytes()),
            word_from(&self.expiry.to_be_bytes()),
            word_from(&self.chain_id.to_be_bytes()),
            word_from(&self.anchor),
            word_from(&self.policy.to_be_bytes()),
            self.nonce,
            self.ct_hash[0],
            self.ct_hash[1],
        ];
        words.concat()
    }

    /// The ABI encoding of the struct alone (`abi.encode(ext)`, 11 words), as calldata carries it.
    pub fn abi_encode_struct(&self) -> Vec<u8> {
        self.abi_encode()[32..].to_vec()
    }

    /// Public input 7: `keccak256(abi.encode(EXT_TAG, ext)) mod r`.
    pub fn hash(&self) -> Fr {
        Fr::from_be_bytes_mod_order(&keccak(&self.abi_encode()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_layout() {
        let e = ExtData::exit([1; 20], [2; 20], 10, 2_000_000_000, 31337, [3; 20], [4; 32]);
        let enc = e.abi_encode();
        assert_eq!(enc.len(), ENCODED_LEN);
        assert_eq!(&enc[..32], &ext_tag());
        assert_eq!(enc[63], KIND_EXIT);
        assert_eq!(&enc[64..76], &[0u8; 12]);
        assert_eq!(&enc[76..96], &[1u8; 20]);
        assert_eq!(&enc[128 + 24..160], &10u64.to_be_bytes());
        assert_eq!(&enc[256 + 28..288], &POLICY.to_be_bytes());
        assert_eq!(&enc[288..320], &[4u8; 32]);
        assert_eq!(&enc[320..], &[0u8; 64]);
        // Every field is bound.
        let mut other = e.clone();
        other.policy = 2;
        assert_ne!(other.hash(), e.hash());
        let t = ExtData::transfer(31337, [3; 20], 5, [4; 32], [b"a", b"b"]);
        assert_eq!(t.kind, KIND_TRANSFER);
        assert_eq!(t.ct_hash[0], keccak(b"a"));
    }
}
