//! `debye wallet import`: a wallet from an existing BIP-39 mnemonic or raw private key, read from
//! a file or the environment, never from the command line (docs/wallet.md §3).

use std::path::PathBuf;

use clap::Args;

use super::{
    context::{Context, Kdf, read_secret_file},
    create::NewWallet,
};
use crate::{
    error::{Error, Result},
    keys::{AccountKey, Mnemonic},
    secret::Secret,
    wallet::Wallet,
};

/// Options of `debye wallet import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// File holding the mnemonic.
    #[arg(long, group = "secret")]
    pub mnemonic_file: Option<PathBuf>,
    /// Environment variable holding the mnemonic.
    #[arg(long, group = "secret")]
    pub mnemonic_env: Option<String>,
    /// File holding a hex private key.
    #[arg(long, group = "secret")]
    pub private_key_file: Option<PathBuf>,
    /// Account index along m/44'/60'/0'/0/i.
    #[arg(long, default_value_t = 0)]
    pub index: u32,
    /// scrypt cost of the keystore.
    #[arg(long, value_enum, default_value_t)]
    pub kdf: Kdf,
}

/// Runs `import`.
pub fn run(ctx: &Context, args: ImportArgs) -> Result<NewWallet> {
    let pass = ctx.passphrase.read("the imported wallet", true)?;
    let params = args.kdf.params();
    let w = if let Some(f) = args.private_key_file {
        Wallet::import_key(&ctx.dir, read_key(&f)?, &pass, params)?
    } else {
        let phrase = match (args.mnemonic_file, args.mnemonic_env) {
            (Some(f), _) => read_secret_file(&f)?,
            (None, Some(var)) => Secret::new(
                std::env::var(&var)
                    .map_err(|_| Error::InvalidMnemonic(format!("{var} is not set")))?,
            ),
            (None, None) => Secret::new(
                rpassword::prompt_password("Mnemonic: ")
                    .map_err(|e| Error::Passphrase(e.to_string()))?,
            ),
        };
        let m = Mnemonic::parse(phrase.expose())?;
        Wallet::create(&ctx.dir, &m, args.index, &pass, params)?
    };
    Ok(NewWallet {
        address: w.address(),
        dir: ctx.dir.clone(),
        imported: true,
    })
}

/// A hex private key (with or without `0x`) from a file.
fn read_key(path: &std::path::Path) -> Result<AccountKey> {
    let text = read_secret_file(path)?;
    let t = text.expose().trim();
    let bytes =
        Secret::new(hex::decode(t.strip_prefix("0x").unwrap_or(t)).map_err(|_| Error::InvalidKey)?);
    let arr: &[u8; 32] = bytes
        .expose()
        .as_slice()
        .try_into()
        .map_err(|_| Error::InvalidKey)?;
    AccountKey::from_bytes(arr)
}
