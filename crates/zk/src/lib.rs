//! Shielded notes for Debye: Poseidon with circomlib's parameters (native and as an R1CS gadget),
//! keys derived from one seed, notes and their encrypted delivery, an incremental Merkle tree of
//! note commitments, the 2-in/2-out JoinSplit circuit, Groth16 proving on BN254 and a generated
//! Solidity verifier.
//!
//! Every circuit constraint cites the section of `docs/circuits.md` that motivates it. Spending
//! needs both the nullifier key and an EdDSA signature by the authorising key over the intent digest,
//! so a delegated prover (seed 004) cannot spend or alter a transaction on its own.

pub mod babyjub;
pub mod batch;
pub mod bench;
pub mod circuit;
pub mod eddsa;
mod error;
pub mod ext_data;
pub mod gadgets;
pub mod groth16;
pub mod keys;
pub mod merkle;
pub mod note;
pub mod poseidon;
pub mod solidity;
pub mod solidity_poseidon;

pub use ark_bn254::Fr;
pub use error::{Error, Result};
