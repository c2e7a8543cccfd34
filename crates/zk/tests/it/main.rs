//! Integration tests for `debye-zk` (one binary; see DEVELOPERS.md).

mod eddsa;
mod groth16;
mod joinsplit;
mod notes;
mod poseidon;
mod util;
