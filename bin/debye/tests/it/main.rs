//! End-to-end tests of the `debye` binary: real OS processes against a real anvil node.
#![allow(clippy::unwrap_used, missing_docs)]

mod bench;
mod cli;
mod e2e;
mod e2e_shielded;
mod history;
