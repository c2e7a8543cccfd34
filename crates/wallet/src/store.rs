//! The user-held store: one JSON file, replaced atomically (write a temporary file in the same
//! directory, fsync it, rename it over the old one, fsync the directory). A crash leaves either
//! the old or the new file, never a torn one. See docs/wallet.md, "What the wallet stores".
//! What the file holds is [`crate::records`]; its types stay reachable here under their old paths.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use alloy_primitives::Address;

use crate::error::{Error, Result, io};
pub use crate::records::{Activity, Coin, CoinStatus, STORE_VERSION, WalletState};

/// Writes `bytes` to `path` atomically and durably (owner-only permissions on Unix).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io(path))?;
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))?;
    Ok(())
}

/// The store file.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    /// The state in memory; call [`Store::save`] after changing it.
    pub state: WalletState,
}

impl Store {
    /// Creates a new store file (fails if it exists).
    pub fn create(path: &Path, address: Address) -> Result<Self> {
        if path.exists() {
            return Err(Error::AlreadyExists(path.to_owned()));
        }
        let s = Self {
            path: path.to_owned(),
            state: WalletState::new(address),
        };
        s.save()?;
        Ok(s)
    }

    /// Opens an existing store.
    pub fn open(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(io(path))?;
        let state: WalletState =
            serde_json::from_slice(&bytes).map_err(|e| Error::StoreCorrupt {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        if state.version != STORE_VERSION {
            return Err(Error::StoreCorrupt {
                path: path.to_owned(),
                reason: format!("unknown version {}", state.version),
            });
        }
        Ok(Self {
            path: path.to_owned(),
            state,
        })
    }

    /// Replaces a store with `state` (restore).
    pub fn overwrite(path: &Path, state: WalletState) -> Result<Self> {
        let s = Self {
            path: path.to_owned(),
            state,
        };
        s.save()?;
        Ok(s)
    }

    /// Writes the state atomically.
    pub fn save(&self) -> Result<()> {
        let json = serde_json::to_vec(&self.state).map_err(|e| Error::StoreCorrupt {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        write_atomic(&self.path, &json)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
