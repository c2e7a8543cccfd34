//! The crate's error type.

use ark_relations::gr1cs::SynthesisError;

/// Everything that can go wrong in `debye-zk`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Poseidon was asked to hash a number of inputs it has no parameters for (1..=16 supported).
    #[error("poseidon: unsupported number of inputs {0} (supported: 1..=16)")]
    PoseidonArity(usize),
    /// Building or checking a constraint system failed.
    #[error("constraint synthesis: {0}")]
    Synthesis(#[from] SynthesisError),
    /// A byte string or number did not decode to a field element, scalar or curve point.
    #[error("invalid encoding: {0}")]
    Encoding(String),
    /// A Baby Jubjub point is not on the curve or not in the prime-order subgroup.
    #[error("invalid Baby Jubjub point")]
    InvalidPoint,
    /// An EdDSA signature did not verify.
    #[error("invalid EdDSA signature")]
    InvalidSignature,
    /// A note ciphertext is malformed, not addressed to us, or was tampered with.
    #[error("note decryption failed")]
    Decryption,
    /// The Merkle tree has no room for another leaf.
    #[error("Merkle tree is full")]
    TreeFull,
    /// A JoinSplit witness is inconsistent (e.g. values do not balance, amounts overflow).
    #[error("invalid JoinSplit witness: {0}")]
    InvalidWitness(String),
    /// Groth16 setup, proving or verification failed, or a key failed to (de)serialise.
    #[error("groth16: {0}")]
    Groth16(String),
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
