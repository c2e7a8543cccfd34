//! `debye wallet restore`: a backup decrypted into a new wallet directory under a new passphrase
//! (docs/wallet.md §7).

use std::{fmt, path::PathBuf};

use alloy_primitives::Address;
use clap::Args;
use serde::Serialize;

use super::context::{Context, Kdf, backup_source};
use crate::{error::Result, keystore::Keystore, wallet::Wallet};

/// Options of `debye wallet restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Backup file.
    #[arg(long)]
    pub from: PathBuf,
    /// Read the backup passphrase from this file (else DEBYE_BACKUP_PASSPHRASE, else a prompt).
    #[arg(long)]
    pub backup_passphrase_file: Option<PathBuf>,
    /// scrypt cost of the restored keystore.
    #[arg(long, value_enum, default_value_t)]
    pub kdf: Kdf,
}

/// A wallet restored.
#[derive(Clone, Debug, Serialize)]
pub struct RestoreOutput {
    /// Its address.
    pub address: Address,
    /// How many coins it holds.
    pub coins: usize,
    /// Its new directory.
    pub dir: PathBuf,
}

impl fmt::Display for RestoreOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "restored {} with {} coin(s) into {}",
            self.address,
            self.coins,
            self.dir.display()
        )
    }
}

/// Runs `restore`.
pub fn run(ctx: &Context, args: RestoreArgs) -> Result<RestoreOutput> {
    let backup = Keystore::load(&args.from)?;
    let bpass = backup_source(args.backup_passphrase_file).read("the backup", false)?;
    let pass = ctx.passphrase.read("the restored wallet", true)?;
    let w = Wallet::restore(&ctx.dir, &backup, &bpass, &pass, args.kdf.params())?;
    Ok(RestoreOutput {
        address: w.address(),
        coins: w.state().coins.len(),
        dir: ctx.dir.clone(),
    })
}
