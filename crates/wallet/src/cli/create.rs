//! `debye wallet create`: a new wallet from a fresh 24-word mnemonic.

use std::{fmt, path::PathBuf};

use alloy_primitives::Address;
use clap::Args;
use serde::Serialize;

use super::context::{Context, Kdf};
use crate::{error::Result, keys::Mnemonic, wallet::Wallet};

/// Options of `debye wallet create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Account index along m/44'/60'/0'/0/i.
    #[arg(long, default_value_t = 0)]
    pub index: u32,
    /// Print the mnemonic once (to stderr) so it can be written down.
    #[arg(long)]
    pub show_mnemonic: bool,
    /// scrypt cost of the keystore.
    #[arg(long, value_enum, default_value_t)]
    pub kdf: Kdf,
}

/// A wallet written to a directory (by `create` or `import`).
#[derive(Clone, Debug, Serialize)]
pub struct NewWallet {
    /// Its address.
    pub address: Address,
    /// Its directory.
    pub dir: PathBuf,
    /// Imported from an existing secret rather than created.
    #[serde(skip)]
    pub imported: bool,
}

impl fmt::Display for NewWallet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (verb, prep) = if self.imported {
            ("imported", "into")
        } else {
            ("created", "in")
        };
        write!(
            f,
            "{verb} wallet {} {prep} {}",
            self.address,
            self.dir.display()
        )
    }
}

/// Runs `create`.
pub fn run(ctx: &Context, args: &CreateArgs) -> Result<NewWallet> {
    let pass = ctx.passphrase.read("the new wallet", true)?;
    let m = Mnemonic::generate()?;
    let w = Wallet::create(&ctx.dir, &m, args.index, &pass, args.kdf.params())?;
    if args.show_mnemonic {
        eprintln!(
            "Write these words down and keep them offline:\n{}",
            m.phrase()
        );
    }
    Ok(NewWallet {
        address: w.address(),
        dir: ctx.dir.clone(),
        imported: false,
    })
}
