//! Integration tests for `debye-l1`: the same anchor scenario on the embedded EVM and on anvil.
#![allow(clippy::unwrap_used, missing_docs)]

mod anchor;
mod exits;
mod fixture;
mod forced;
mod pool;
