//! Where the passphrase comes from: an interactive prompt, a file, or an environment variable.

use std::path::PathBuf;

use crate::{Error, Passphrase, Result};

/// Environment variable read by [`PassphraseSource::Env`] by default.
pub const PASSPHRASE_ENV: &str = "DEBYE_PASSPHRASE";

/// A way to obtain the passphrase. The passphrase itself is never logged or echoed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PassphraseSource {
    /// Ask on the terminal without echo (asks twice when creating).
    Prompt,
    /// The first line of a file (trailing newline removed).
    File(PathBuf),
    /// An environment variable, for automation.
    Env(String),
}

impl PassphraseSource {
    /// The file if given, else the environment variable if set, else the prompt.
    pub fn choose(file: Option<PathBuf>) -> Self {
        match file {
            Some(f) => Self::File(f),
            None if std::env::var_os(PASSPHRASE_ENV).is_some() => Self::Env(PASSPHRASE_ENV.into()),
            None => Self::Prompt,
        }
    }

    /// Reads the passphrase; with `confirm`, the prompt asks twice and both must agree.
    pub fn read(&self, purpose: &str, confirm: bool) -> Result<Passphrase> {
        let pass = match self {
            Self::Prompt => {
                let first = Passphrase::new(
                    rpassword::prompt_password(format!("Passphrase for {purpose}: "))
                        .map_err(|e| Error::Passphrase(e.to_string()))?,
                );
                if confirm {
                    let second = Passphrase::new(
                        rpassword::prompt_password("Repeat passphrase: ")
                            .map_err(|e| Error::Passphrase(e.to_string()))?,
                    );
                    if first.expose() != second.expose() {
                        return Err(Error::Passphrase("the two passphrases differ".into()));
                    }
                }
                first
            }
            Self::File(path) => {
                let text = Passphrase::new(
                    std::fs::read_to_string(path)
                        .map_err(|e| Error::Passphrase(format!("{}: {e}", path.display())))?,
                );
                Passphrase::new(text.expose().lines().next().unwrap_or("").to_owned())
            }
            Self::Env(var) => Passphrase::new(
                std::env::var(var).map_err(|_| Error::Passphrase(format!("{var} is not set")))?,
            ),
        };
        if pass.expose().is_empty() {
            return Err(Error::Passphrase("the passphrase is empty".into()));
        }
        Ok(pass)
    }
}
