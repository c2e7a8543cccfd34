//! The user-held store: one JSON file, replaced atomically (write a temporary file in the same
//! directory, fsync it, rename it over the old one, fsync the directory). A crash leaves either
//! the old or the new file, never a torn one. See docs/wallet.md, "What the wallet stores".

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use alloy_primitives::{Address, B256, U256};
use debye_primitives::{BlockHeader, Segment, SignedTransaction};
use serde::{Deserialize, Serialize};

use crate::{
    Error, Result,
    error::io,
    history::{ChainId, CoinHistory, DepositEvidence, Origin},
};

/// Format version of [`WalletState`].
pub const STORE_VERSION: u32 = 1;

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

/// Where a coin stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum CoinStatus {
    /// Verified and spendable.
    Owned,
    /// A transaction the wallet signed spends it; waiting for a block.
    #[serde(rename_all = "camelCase")]
    Spending {
        /// The spending transaction.
        tx_id: B256,
    },
    /// An exit was started on L1 for it.
    Exiting,
}

/// A coin range the wallet owns, with everything needed to spend it, exit it, or defend it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coin {
    /// The coins.
    pub segment: Segment,
    /// The output (or deposit) that created them: what a spending input references.
    pub origin: Origin,
    /// That output's whole segment.
    pub origin_segment: Segment,
    /// The transaction that created the coins (`None` for a deposit), needed to exit them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<SignedTransaction>,
    /// The full verified history: deposits, headers, inclusion and exclusion proofs per block.
    pub history: CoinHistory,
    /// State.
    pub status: CoinStatus,
}

impl Coin {
    /// Token id.
    pub fn token(&self) -> u32 {
        self.segment.token()
    }
}

/// Something that happened to the wallet, for `debye wallet history`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Activity {
    /// A deposit from L1.
    #[serde(rename_all = "camelCase")]
    Deposit {
        /// The deposit.
        deposit: DepositEvidence,
    },
    /// A payment sent.
    #[serde(rename_all = "camelCase")]
    Sent {
        /// Transaction id.
        tx_id: B256,
        /// Recipient.
        to: Address,
        /// Coins paid.
        segments: Vec<Segment>,
    },
    /// A payment received and verified.
    #[serde(rename_all = "camelCase")]
    Received {
        /// Coins received.
        segment: Segment,
        /// Block it arrived in.
        block: u64,
    },
    /// An atomic swap.
    #[serde(rename_all = "camelCase")]
    Swap {
        /// Transaction id.
        tx_id: B256,
        /// Coins given.
        gave: Segment,
        /// Coins received.
        got: Segment,
    },
    /// An exit was started on L1.
    #[serde(rename_all = "camelCase")]
    ExitStarted {
        /// Coins exited.
        segment: Segment,
        /// The contract's exit id.
        exit_id: B256,
    },
    /// A coin history or block was refused.
    #[serde(rename_all = "camelCase")]
    Alert {
        /// Block concerned.
        block: u64,
        /// Why, as the error code.
        code: String,
        /// Why, in words.
        message: String,
    },
}

/// Everything the wallet keeps on disk besides its keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletState {
    /// [`STORE_VERSION`].
    pub version: u32,
    /// The wallet's address.
    pub address: Address,
    /// The chain, once bound (first deposit or sync).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<ChainId>,
    /// Headers seen and checked against their L1 commitments, by number.
    pub headers: std::collections::BTreeMap<u64, BlockHeader>,
    /// Highest block whose evidence every owned coin's history holds.
    pub synced_to: u64,
    /// Owned coins.
    pub coins: Vec<Coin>,
    /// What happened, oldest first.
    pub activity: Vec<Activity>,
    /// Exits started and not yet paid or cancelled.
    #[serde(default)]
    pub exits: Vec<crate::exits::ExitRecord>,
    /// Transactions forced on L1 and not yet settled (`docs/exit-game.md` §12).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forced: Vec<crate::forced::ForcedRecord>,
}

impl WalletState {
    /// An empty store for `address`.
    pub fn new(address: Address) -> Self {
        Self {
            version: STORE_VERSION,
            address,
            chain: None,
            headers: Default::default(),
            synced_to: 0,
            coins: Vec::new(),
            activity: Vec::new(),
            exits: Vec::new(),
            forced: Vec::new(),
        }
    }

    /// Spendable balance of `token`.
    pub fn balance(&self, token: u32) -> U256 {
        self.coins
            .iter()
            .filter(|c| c.token() == token && c.status == CoinStatus::Owned)
            .map(|c| c.segment.len())
            .sum()
    }

    /// Balances per token: `(spendable, pending, exiting)`.
    pub fn balances(&self) -> std::collections::BTreeMap<u32, (U256, U256, U256)> {
        let mut out: std::collections::BTreeMap<u32, (U256, U256, U256)> = Default::default();
        for c in &self.coins {
            let e = out.entry(c.token()).or_default();
            match c.status {
                CoinStatus::Owned => e.0 += c.segment.len(),
                CoinStatus::Spending { .. } => e.1 += c.segment.len(),
                CoinStatus::Exiting => e.2 += c.segment.len(),
            }
        }
        out
    }
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
