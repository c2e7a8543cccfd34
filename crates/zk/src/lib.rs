//! Shielded notes: Poseidon, keys, notes, the JoinSplit circuit and Groth16 proofs.
