//! `debye wallet backup`: an encrypted export of the key, the mnemonic and every held proof,
//! under a separate backup passphrase (docs/wallet.md §7).

use std::{fmt, path::PathBuf};

use alloy_primitives::Address;
use clap::Args;
use serde::Serialize;

use super::context::{Context, Kdf, backup_source};
use crate::error::Result;

/// Options of `debye wallet backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Backup file.
    #[arg(long)]
    pub out: PathBuf,
    /// Read the backup passphrase from this file (else DEBYE_BACKUP_PASSPHRASE, else a prompt).
    #[arg(long)]
    pub backup_passphrase_file: Option<PathBuf>,
    /// scrypt cost of the backup.
    #[arg(long, value_enum, default_value_t)]
    pub kdf: Kdf,
}

/// A backup written.
#[derive(Clone, Debug, Serialize)]
pub struct BackupOutput {
    /// The wallet backed up.
    pub address: Address,
    /// The backup file.
    pub out: PathBuf,
}

impl fmt::Display for BackupOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "encrypted backup of {} written to {}",
            self.address,
            self.out.display()
        )
    }
}

/// Runs `backup`.
pub fn run(ctx: &Context, args: BackupArgs) -> Result<BackupOutput> {
    let (w, pass) = ctx.unlock("the wallet")?;
    let bpass = backup_source(args.backup_passphrase_file).read("the backup", true)?;
    w.backup(&pass, &bpass, args.kdf.params())?
        .save(&args.out)?;
    Ok(BackupOutput {
        address: w.address(),
        out: args.out,
    })
}
