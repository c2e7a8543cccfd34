//! Integration tests for `debye-zk` (one binary; see DEVELOPERS.md).

mod poseidon;
mod util;
