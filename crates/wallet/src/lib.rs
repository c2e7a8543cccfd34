//! The Debye wallet: the user's side of a Plasma Prime chain.
//!
//! Modules (no import cycle among them: docs/wallet.md §9 draws who uses whom):
//! - Keys ([`keys`], [`keystore`]): a BIP-39 mnemonic, BIP-32 derivation along
//!   `m/44'/60'/0'/0/i`, and the account key encrypted in a Web3 Secret Storage (keystore v3)
//!   file; passphrases come from a prompt, a file or an environment variable ([`passphrase`]) and
//!   secrets are wrapped in [`Secret`] (redacted `Debug`, zeroized on drop).
//! - Coin histories ([`history`]): the self-contained bundle a sender hands to a recipient
//!   ([`history::model`]), what L1 says about blocks, deposits, exits and forced transactions
//!   ([`history::anchor`]), and the safety rule over both: a received range counts only once its
//!   whole history from the deposit checks against L1 ([`history::verify`]).
//! - Persisted records ([`records`]): what `wallet.json` and backups hold, in one JSON file
//!   replaced atomically ([`store`]).
//! - Where blocks come from ([`source::BlockSource`], the operator's API in [`rpc`]).
//! - The wallet itself ([`wallet`]): deposits of ETH and ERC-20 through any [`debye_l1::L1`]
//!   ([`wallet::base`]), syncing and receiving ([`wallet::sync`]), payments that pick, split and
//!   merge ranges and atomic swaps ([`wallet::pay`]), backup and restore ([`wallet::backup`]);
//!   its exits and challenges ([`exits`]) and forced transactions ([`forced`]) extend it.
//! - The `debye wallet` command tree (`cli`, feature `cli`) and an in-process operator for tests
//!   (`test_utils`, feature `test-utils`).
//!
//! The wallet never depends on the operator: it talks to it through a block source and checks
//! everything it says against L1. `docs/wallet.md` describes the rule, the files and the CLI.

#[cfg(feature = "cli")]
pub mod cli;
mod error;
pub mod exits;
pub mod forced;
pub mod history;
pub mod keys;
pub mod keystore;
pub mod passphrase;
pub mod records;
pub mod rpc;
mod secret;
pub mod shielded;
pub mod source;
pub mod store;
#[cfg(feature = "test-utils")]
pub mod test_utils;
pub mod wallet;

pub use error::{Error, Result, ShieldedRefusal};
pub use keys::{AccountKey, Mnemonic};
pub use secret::{Passphrase, PrivateKeyBytes, Secret};
pub use wallet::Wallet;
