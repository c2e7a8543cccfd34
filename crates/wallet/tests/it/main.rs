//! Integration tests of debye-wallet: key vectors, the safety rule against honest and lying
//! operators on the embedded L1, and the wallet's flows (deposits, payments, swaps, sync, backup).
#![allow(clippy::unwrap_used, missing_docs, unreachable_pub)]

mod cli;
mod flows;
mod history;
mod keys;
mod shielded;
mod util;
