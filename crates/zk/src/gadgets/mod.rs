//! R1CS gadgets (over the BN254 scalar field) mirroring the native primitives.

mod babyjub;
mod eddsa;
mod poseidon;

pub use babyjub::PointVar;
pub use eddsa::{SignatureVar, eddsa_verify_gadget};
pub use poseidon::poseidon_gadget;

use ark_bn254::Fr;
use ark_r1cs_std::fields::fp::FpVar;

/// A field-element variable of the BN254 scalar field.
pub type FrVar = FpVar<Fr>;
