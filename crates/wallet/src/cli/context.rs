//! What every command shares: the global options resolved once ([`Context`]: the wallet
//! directory, `--json`, where the passphrase comes from), the L1 and KDF options, reading and
//! writing the JSON files commands exchange, and printing a command's output as text or JSON.
//! Commands use this module; it uses none of them.

use std::{fmt::Display, path::Path, path::PathBuf};

use alloy_primitives::{Address, U256};
use clap::{Args, ValueEnum};
use debye_l1::{RpcL1, contracts::DebyeChainClient};
use debye_primitives::Segment;
use serde::{Serialize, de::DeserializeOwned};

use crate::{
    error::{Error, Result, io},
    keystore::ScryptParams,
    passphrase::PassphraseSource,
    secret::{Passphrase, Secret},
    store::write_atomic,
    wallet::{Payment, Wallet},
};

/// The global options, resolved.
#[derive(Debug)]
pub struct Context {
    /// The wallet directory.
    pub dir: PathBuf,
    /// `--json`: print one JSON object instead of text.
    pub json: bool,
    /// Where the wallet passphrase comes from.
    pub passphrase: PassphraseSource,
}

impl Context {
    /// `--wallet DIR`, else `~/.debye/wallet`.
    pub fn new(
        wallet: Option<PathBuf>,
        json: bool,
        passphrase_file: Option<PathBuf>,
    ) -> Result<Self> {
        let dir = match wallet {
            Some(d) => d,
            None => std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".debye").join("wallet"))
                .ok_or_else(|| Error::Passphrase("no --wallet and no HOME".into()))?,
        };
        Ok(Self {
            dir,
            json,
            passphrase: PassphraseSource::choose(passphrase_file),
        })
    }

    /// Opens the wallet with its passphrase (asked for `purpose`).
    pub fn unlock(&self, purpose: &str) -> Result<(Wallet, Passphrase)> {
        let pass = self.passphrase.read(purpose, false)?;
        Ok((Wallet::open(&self.dir, &pass)?, pass))
    }

    /// The text of `out`, or its JSON with `--json`.
    pub fn render<T: Serialize + Display>(&self, out: &T) -> String {
        if self.json {
            // Through a `Value`, so the keys come out as the JSON the CLI always printed.
            serde_json::to_value(out)
                .and_then(|v| serde_json::to_string_pretty(&v))
                .unwrap_or_default()
        } else {
            out.to_string()
        }
    }
}

/// Key derivation cost for new keystores.
#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum Kdf {
    /// scrypt n=2^18, r=8, p=1 (256 MiB, about a second): the default.
    #[default]
    Standard,
    /// scrypt n=2^12, r=8, p=6: for tests and throwaway wallets only.
    Light,
}

impl Kdf {
    /// The scrypt parameters.
    pub const fn params(self) -> ScryptParams {
        match self {
            Self::Standard => ScryptParams::STANDARD,
            Self::Light => ScryptParams::LIGHT,
        }
    }
}

/// Where L1 is.
#[derive(Debug, Args)]
pub struct L1Args {
    /// L1 JSON-RPC endpoint.
    #[arg(long, env = "DEBYE_L1_RPC")]
    pub l1_rpc: String,
    /// The DebyeChain anchor contract.
    #[arg(long, env = "DEBYE_ANCHOR")]
    pub anchor: Address,
}

impl L1Args {
    /// The anchor, signing from the wallet's L1 account.
    pub fn connect(&self, w: &Wallet) -> Result<DebyeChainClient<RpcL1>> {
        let rpc = RpcL1::connect(&self.l1_rpc, [w.key().l1_signer()])?;
        Ok(DebyeChainClient::at(rpc, self.anchor))
    }
}

/// Parses `START..END` (decimal or `0x` hex coin ids) into a segment.
pub fn parse_segment(s: &str) -> std::result::Result<Segment, String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| "expected START..END".to_owned())?;
    let num = |x: &str| x.trim().parse::<U256>().map_err(|e| format!("{x:?}: {e}"));
    Segment::new(num(a)?, num(b)?).map_err(|e| e.to_string())
}

/// Reads a JSON file another command (or wallet) wrote.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::MalformedHistory(format!("{}: {e}", path.display())))
}

/// Reads a file written by `send` (a [`Payment`]), else the bare item such a file carries (a
/// history, a signed transaction), and makes one value of either.
pub fn read_payment_or<T: DeserializeOwned, R>(
    path: &Path,
    from_payment: impl FnOnce(Payment) -> R,
    from_item: impl FnOnce(T) -> R,
) -> Result<R> {
    match read_json::<Payment>(path) {
        Ok(p) => Ok(from_payment(p)),
        Err(_) => read_json::<T>(path).map(from_item),
    }
}

/// Writes a JSON file for another command (or wallet), atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| Error::Operator(e.to_string()))?;
    write_atomic(path, &bytes)
}

/// A secret read from a file (never from the command line: it would show in `ps`).
pub fn read_secret_file(path: &Path) -> Result<Secret<String>> {
    std::fs::read_to_string(path)
        .map(Secret::new)
        .map_err(io(path))
}

/// Where a backup passphrase comes from: `file`, else `DEBYE_BACKUP_PASSPHRASE`, else a prompt.
pub fn backup_source(file: Option<PathBuf>) -> PassphraseSource {
    match file {
        Some(f) => PassphraseSource::File(f),
        None if std::env::var_os("DEBYE_BACKUP_PASSPHRASE").is_some() => {
            PassphraseSource::Env("DEBYE_BACKUP_PASSPHRASE".into())
        }
        None => PassphraseSource::Prompt,
    }
}

/// Writes `text` and a newline to standard output: the one way the command line prints there.
/// A reader that went away (`debye … | head`) ends the process quietly with status 0: the
/// output was not wanted any more, which is no failure of the command (and `set -o pipefail`
/// scripts keep working). `println!` would panic instead.
pub fn print_line(text: impl Display) {
    match try_print_line(text) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        // Any other failure to write (a full disk) is reported, as `println!` would, but
        // without a panic's source location.
        Err(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            std::process::exit(1);
        }
        Ok(()) => {}
    }
}

/// Writes `text` and a newline to standard output and flushes it, returning any failure (for
/// a caller that exits with a status of its own either way).
pub fn try_print_line(text: impl Display) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()
}
