//! Integration tests for `debye-zk` (one binary; see DEVELOPERS.md).

mod eddsa;
mod groth16;
mod joinsplit;
mod notes;
mod pool_fixture;
mod poseidon;
mod util;
