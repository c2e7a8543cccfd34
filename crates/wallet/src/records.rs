//! Persisted records: everything the wallet writes into `wallet.json` ([`WalletState`]: coins
//! with their histories, headers, activity, exits and forced transactions it started). Their
//! serde shapes are the file format (docs/wallet.md §4): a change here must stay readable by
//! wallets already on disk. Reading and writing the file is [`crate::store`]'s job.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use debye_l1::exits::{self, ExitData};
use debye_primitives::{BlockHeader, Segment, SignedTransaction};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{
    history::model::{ChainId, CoinHistory, DepositEvidence, Origin},
    shielded::ShieldedState,
};

/// Format version of [`WalletState`]. 2: stored headers are the 11-field header
/// (docs/formats.md §7); a version-1 file belongs to a chain with 5-field headers and is refused.
pub const STORE_VERSION: u32 = 2;

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
    /// A private deposit into the shielded pool (docs/shielded.md S-5.3).
    #[serde(rename_all = "camelCase")]
    PrivateDeposit {
        /// Its index in the pool's deposit queue.
        index: u32,
        /// Token field element (0 = ETH).
        token: U256,
        /// Amount in token units.
        amount: u64,
    },
    /// A ZK exit of a note, proven (`exit: None`) or started on L1 (S-5.5).
    #[serde(rename_all = "camelCase")]
    PrivateExit {
        /// The note's position.
        position: u64,
        /// The L1 payee.
        recipient: Address,
        /// The note's amount in token units.
        amount: u64,
        /// The relayer's fee in token units.
        fee: u64,
        /// The pool's exit index once started.
        exit: Option<u32>,
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
    pub headers: BTreeMap<u64, BlockHeader>,
    /// Highest block whose evidence every owned coin's history holds.
    pub synced_to: u64,
    /// Owned coins.
    pub coins: Vec<Coin>,
    /// What happened, oldest first.
    pub activity: Vec<Activity>,
    /// Exits started and not yet paid or cancelled.
    #[serde(default)]
    pub exits: Vec<ExitRecord>,
    /// Transactions forced on L1 and not yet settled (`docs/exit-game.md` §12).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forced: Vec<ForcedRecord>,
    /// The shielded ledger's notes and tree (docs/shielded.md S-4.4; docs/wallet.md §4).
    #[serde(default)]
    pub shielded: ShieldedState,
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
            shielded: ShieldedState::default(),
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
    pub fn balances(&self) -> BTreeMap<u32, (U256, U256, U256)> {
        let mut out: BTreeMap<u32, (U256, U256, U256)> = Default::default();
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

/// An exit the wallet started: the contract's `ExitData`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitRecord {
    /// Exit owner (the wallet).
    pub owner: Address,
    /// First coin.
    pub start: U256,
    /// One past the last coin.
    pub end: U256,
    /// The exited output's position, as the contract stores it (`debye_primitives::exit::Position`).
    pub position: U256,
    /// Id of the transaction exited from (zero for a deposit).
    pub tx_id: B256,
}

impl ExitRecord {
    /// The contract's view.
    pub const fn data(&self) -> ExitData {
        ExitData {
            owner: self.owner,
            start: self.start,
            end: self.end,
            position: self.position,
            txId: self.tx_id,
        }
    }

    /// The contract's exit id.
    pub fn id(&self) -> B256 {
        exits::exit_id(&self.data())
    }

    pub(crate) fn from_data(d: &ExitData) -> Self {
        Self {
            owner: d.owner,
            start: d.start,
            end: d.end,
            position: d.position,
            tx_id: d.txId,
        }
    }
}

/// A transaction the wallet forced on L1 and has not seen settled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForcedRecord {
    /// Index `k` in the forced-inclusion game.
    pub index: u64,
    /// The transaction id (EIP-712 digest).
    pub tx_id: B256,
    /// The transaction with the signatures the wallet held when it forced it.
    pub transaction: SignedTransaction,
    /// The bond paid to post it.
    pub bond: U256,
    /// Input owners other than the wallet: they must sign on L1 too (§12.1, §12.3).
    pub other_owners: Vec<Address>,
}

/// Format version of backups. 2: the store may hold shielded notes (`state.shielded`); a wallet
/// that reads only version 1 would drop them silently, so it must refuse the file instead.
pub const BACKUP_VERSION: u32 = 2;

/// The plaintext of a backup file (docs/wallet.md §7): the key, the mnemonic entropy and the
/// whole store, encrypted as a keystore v3 container.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BackupPayload {
    pub(crate) version: u32,
    pub(crate) private_key: String,
    pub(crate) mnemonic_entropy: Option<String>,
    #[zeroize(skip)]
    pub(crate) state: WalletState,
}
