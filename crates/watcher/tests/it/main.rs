//! Integration tests of the watcher against the real anchor contract (embedded EVM and anvil)
//! and a byzantine operator serving blocks over the real JSON-RPC API.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod accumulator;
mod forced;
mod fraud;
mod service;
