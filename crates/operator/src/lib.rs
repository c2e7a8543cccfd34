//! The Debye operator node: `debye operator --config operator.toml`.
//!
//! - **Mempool and validation**: signed transactions arrive over the JSON-RPC API (or
//!   [`Operator::submit`]); signatures and formats are checked on the API's threads, then the
//!   single sequencer checks each input against the range-ownership index (owner, origin,
//!   unspent, not spent by another pending transaction) and makes accepted transactions durable
//!   in group commits before answering.
//! - **Blocks**: on an interval or when `block.max_txs` wait, the sequencer builds the sum Merkle
//!   tree and header, stores the block with its ownership changes atomically, then the submitter
//!   commits it on L1 strictly in order (see `submitter.rs`), reconciling with the anchor at start and
//!   on every poll.
//! - **L1 sync**: deposits are credited after `l1.confirmations`; finalized exits
//!   (`ExitFinalized` events) make their coins unspendable ([`Operator::report_exits`] is the
//!   same handler for other sources).
//! - **History accumulator**: a worker thread folds each block's touched ranges into the RSA
//!   accumulator off the production path; headers commit (m, A_m) (`docs/accumulator.md` §13).
//! - **Storage**: `debye-storage` ([`debye_storage::Store`], redb by default).
//! - **Operations**: TOML config with `DEBYE_*` overrides ([`Config`]), tracing logs, Prometheus
//!   metrics ([`metrics`]), graceful shutdown on SIGINT/SIGTERM ([`run`]).
//! - **Benchmark**: [`bench::run`] (`debye bench operator`).
//!
//! See `docs/operator-guide.md` and `docs/api.md`.

mod accumulator;
pub mod bench;
mod blocks;
mod command;
mod config;
mod error;
mod http;
mod ledger;
pub mod logging;
mod mempool;
pub mod metrics;
mod node;
mod rpc;
mod run;
mod sequencer;
mod shielded;
mod state;
mod submitter;
mod sync;
#[cfg(feature = "test-utils")]
pub mod test_utils;

pub use config::{
    AccumulatorConfig, BlockConfig, Config, L1Backend, L1Config, MempoolConfig, RpcConfig,
    ShieldedConfig,
};
pub use error::{Error, Result};
pub use logging::{LogFormat, init_logging};
pub use node::Operator;
pub use run::{DEV_OPERATOR, run, run_blocking, start_from_config};
pub use submitter::Reconnect;

/// A range that exited on L1 (the exit game's "range exited" event), see
/// [`Operator::report_exits`].
pub type RangeExited = debye_storage::ExitEntry;
