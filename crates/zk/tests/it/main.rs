//! Integration tests for `debye-zk` (one binary; see DEVELOPERS.md).

mod eddsa;
mod notes;
mod poseidon;
mod util;
