//! L1 access for Debye.
//!
//! Everything that talks to Ethereum goes through the [`L1`] trait: send a transaction, make a
//! read-only call, read logs from a block on, read the clock, and (on development chains) move the
//! clock forward so challenge periods can elapse in tests. Two backends implement it:
//!
//! - [`EmbeddedL1`]: an in-process EVM (revm) with instant mining and time travel. Deterministic,
//!   no external process; the default for the demo and most tests.
//! - [`RpcL1`]: any Ethereum JSON-RPC endpoint through alloy, with local signing. Tested against a
//!   real `anvil` node.
//!
//! Modules, each depending only on those listed before it:
//! - `bindings` (private): the `sol!` bindings generated from the committed contract artifacts,
//!   field-by-field conversions between them and `debye_primitives::abi`, and one revert decoder
//!   ([`contracts::Revert`]) over every ABI;
//! - [`contracts`]: a typed client ([`contracts::DebyeChainClient`]) for the Debye anchor;
//! - [`exits`]: the exit game's calls on that client (start, challenge, answer, finalize, read);
//! - [`forced`]: the forced-inclusion game's (force, sign, challenge, settle, and forced evidence
//!   for exits);
//! - [`pool`]: a typed client ([`pool::ShieldedPoolClient`]) for the anchor's shielded pool.
//!
//! Exit positions are `debye_primitives::exit::Position`; the `*_position` functions here are
//! thin wrappers over it for callers that hold raw `U256`s.

mod bindings;
pub mod contracts;
mod error;
mod evm;
pub mod exits;
pub mod forced;
pub mod pool;
mod provider;
mod rpc;
mod types;

#[cfg(any(test, feature = "test-utils"))]
pub mod anvil;
#[cfg(feature = "test-utils")]
pub mod test_utils;

pub use error::{Error, Result};
pub use evm::{EMBEDDED_CHAIN_ID, EmbeddedL1};
pub use provider::L1;
pub use rpc::RpcL1;
pub use types::{L1Log, L1Receipt, L1Tx, LogFilter};

/// Re-exported so callers build calls and decode results with the same alloy versions.
pub use alloy_primitives::{Address, B256, Bytes, U256};
