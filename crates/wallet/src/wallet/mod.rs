//! The wallet: keys on disk, the user-held store, and what the user does with them.
//!
//! One object, [`Wallet`], built in [`base`] (files, keys, store, deposits, exit claims) and
//! extended by [`sync`] (following the chain, receiving), [`pay`] (payments and swaps) and
//! [`backup`]; `crate::exits` and `crate::forced` extend it with the exit and forced-inclusion
//! games. This module only gathers them under the `wallet::` paths other crates use.

pub mod backup;
pub mod base;
pub mod pay;
pub mod private;
pub mod private_l1;
pub mod sync;

pub use backup::BACKUP_VERSION;
pub(crate) use base::exit_claim;
pub use base::{ExitClaim, Wallet, balances, files};
pub use pay::{Payment, SwapOffer, SwapProposal};
pub use sync::SyncReport;
