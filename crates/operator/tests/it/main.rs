//! Integration tests of the operator: the API with good and bad input, restart and recovery,
//! exits, and a crash test that SIGKILLs the node process during block production.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod accumulator;
mod api;
mod crash;
mod crash_proofs;
mod dropped;
mod forced;
mod helpers;
mod reorg;
mod restart;
mod shielded;
mod shutdown;
