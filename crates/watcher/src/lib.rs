//! The Debye watcher: guards users' coins against a byzantine operator and fraudulent exits.
//!
//! A [`Watcher`] follows the anchor contract on L1 (deposits, block commitments, exits,
//! challenge requests, cancellations and settlements) and the operator's blocks over its
//! JSON-RPC API ([`BlockSource`]), keeps in a redb store what it needs to challenge (deposits,
//! committed headers, the signed transactions touching the coins it guards with their sum Merkle
//! proofs, exits and requests), and on each [`Watcher::step`]:
//!
//! - challenges every invalid exit it can prove wrong — spent (`docs/exit-game.md` §3.1), double
//!   spend (§3.2), deposit after (§3.3), invalid history by a challenge request (§3.4) that it
//!   resolves after the deadline — and so collects the exit bond;
//! - answers challenge requests on exits whose valid history it holds (§3.4);
//! - reports byzantine conditions as structured [`WatchEvent`]s (withheld blocks, invalid
//!   transactions in committed blocks, accumulator values the blocks do not give, exits it
//!   cannot judge, stalled or unreachable operator).
//!
//! Two modes ([`Mode`]): guard a set of coin ranges, or archival (everything). The store is
//! resumable: a watcher reopened after a crash continues from its cursors and still judges every
//! pending exit it had recorded. See `docs/watcher.md`.

// Layers, lowest first; a module uses only modules of lower layers (no import cycle):
// error, types, mode → state → store, replica, source, rpc, challenge → ingest, accept,
// judge::evidence → judge::{exit, request, forced}, execute → watcher → cli, testnet.
mod accept;
mod challenge;
mod error;
mod execute;
mod ingest;
mod judge;
mod mode;
mod replica;
mod source;
mod state;
mod store;
pub mod types;
mod watcher;

pub mod cli;
pub mod rpc;
#[cfg(feature = "test-utils")]
pub mod testnet;

pub use error::{Error, Result};
pub use mode::Mode;
pub use source::BlockSource;
pub use state::Meta;
pub use types::{Status, WatchEvent};
pub use watcher::{Config, Watcher};
