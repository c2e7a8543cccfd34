//! What the wallet keeps of the shielded ledger (docs/shielded.md S-4.4), inside `wallet.json`
//! and therefore inside backups: per note its opening, position, creation block, nullifier and
//! status, and a path to the `noteRoot` of a committed block whose header it also keeps, so that
//! it can exit with no operator (S-7.3); and the note tree's leaves, learnt from whole blocks.

use std::collections::BTreeMap;

use alloy_primitives::{B256, U256};
use debye_primitives::BlockHeader;
use debye_zk::{Fr, merkle::MerklePath, note::Note};
use serde::{Deserialize, Serialize};

use super::{PrivateAddress, fr_to_u256, u256_to_fr};
use crate::error::{Error, Result};

/// Where a note stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum NoteStatus {
    /// Spendable.
    Unspent,
    /// A transfer the wallet built spends it; back to unspent if its nullifier has not
    /// appeared in a committed block by `expiry`.
    #[serde(rename_all = "camelCase")]
    Pending {
        /// The intent's expiry (unix seconds).
        expiry: u64,
    },
    /// Its nullifier appeared in committed block `block`.
    #[serde(rename_all = "camelCase")]
    Spent {
        /// The block.
        block: u64,
    },
    /// The wallet proved its exit (S-5.5) to `recipient`; nobody has started it on L1 yet as
    /// far as the wallet saw. Back to unspent if L1's time passes `expiry` with no exit started
    /// (`startExit` refuses an expired request).
    #[serde(rename_all = "camelCase")]
    Exiting {
        /// The exit request's expiry (unix seconds).
        expiry: u64,
        /// The L1 payee.
        recipient: alloy_primitives::Address,
    },
    /// Exit `exit` started on L1 for it (its `ShieldedExitStarted` event names its nullifier).
    #[serde(rename_all = "camelCase")]
    Exited {
        /// The pool's exit index.
        exit: u32,
    },
}

impl NoteStatus {
    /// Where the note stands, in words.
    pub fn describe(&self) -> String {
        match self {
            Self::Unspent => "unspent".into(),
            Self::Pending { expiry } => format!("pending until {expiry}"),
            Self::Spent { block } => format!("spent in block {block}"),
            Self::Exiting { expiry, recipient } => {
                format!("exit proven to {recipient}, not started yet (request expires at {expiry})")
            }
            Self::Exited { exit } => format!("exiting on L1 (exit {exit})"),
        }
    }
}

/// Why the wallet raised the withheld-data alert (docs/shielded.md S-7.2, §7.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithheldAlert {
    /// The committed block whose shielded data the operator does not serve, or serves not
    /// matching its header.
    pub block: u64,
    /// What was wrong.
    pub reason: String,
}

impl WithheldAlert {
    /// The plain message `sync`, `balance` and `notes` print.
    pub fn message(&self) -> String {
        format!(
            "block {}'s shielded data is withheld: exit your notes now (debye wallet exit --private --note ID --to ADDR --submit); {}",
            self.block, self.reason
        )
    }
}

/// A path to the `noteRoot` of committed block `block` (whose header is in
/// [`ShieldedState::headers`]); siblings bottom-up, the trailing run of empty-subtree siblings
/// left out (they are `zeros[l]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotePath {
    /// The block whose root the path proves.
    pub block: u64,
    /// Sibling hashes from the leaf level up, as one hex string of 32-byte words.
    #[serde(with = "hex_words")]
    pub siblings: Vec<B256>,
}

impl NotePath {
    /// From a full path, trimming the empty subtrees at the top.
    pub fn new(block: u64, path: &MerklePath) -> Self {
        let zeros = debye_zk::merkle::zero_hashes();
        let mut n = path.siblings.len();
        while n > 0 && path.siblings[n - 1] == zeros[n - 1] {
            n -= 1;
        }
        Self {
            block,
            siblings: path.siblings[..n]
                .iter()
                .map(|s| B256::from(fr_to_u256(s)))
                .collect(),
        }
    }

    /// The full path of `position`.
    pub fn to_path(&self, position: u64) -> Result<MerklePath> {
        let zeros = debye_zk::merkle::zero_hashes();
        if self.siblings.len() > debye_zk::merkle::TREE_DEPTH {
            return Err(corrupt("note path longer than the tree"));
        }
        let mut siblings = self
            .siblings
            .iter()
            .map(|s| u256_to_fr(&U256::from_be_bytes(s.0)).ok_or_else(|| corrupt("sibling")))
            .collect::<Result<Vec<Fr>>>()?;
        for z in &zeros[siblings.len()..debye_zk::merkle::TREE_DEPTH] {
            siblings.push(*z);
        }
        Ok(MerklePath { position, siblings })
    }
}

mod hex_words {
    use alloy_primitives::B256;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(words: &[B256], s: S) -> Result<S::Ok, S::Error> {
        let mut out = String::with_capacity(words.len() * 64);
        for w in words {
            out.push_str(&hex::encode(w));
        }
        s.serialize_str(&out)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<B256>, D::Error> {
        let bytes = hex::decode(String::deserialize(d)?).map_err(D::Error::custom)?;
        if bytes.len() % 32 != 0 {
            return Err(D::Error::custom("not whole 32-byte words"));
        }
        Ok(bytes.chunks(32).map(B256::from_slice).collect())
    }
}

fn corrupt(what: &str) -> Error {
    Error::Backup(format!("shielded note record: bad {what}"))
}

/// One note the wallet owns (or owned).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteRecord {
    /// Token field element (ETH = 0, else the ERC-20 address).
    pub token: U256,
    /// Amount in token units (S-5.2).
    pub amount: u64,
    /// The randomness `rho` (the opening; `ownerPart = Poseidon(3, owner, rho)`).
    pub rho: U256,
    /// Its commitment.
    pub commitment: U256,
    /// Leaf position.
    pub position: u64,
    /// The block that appended it.
    pub block: u64,
    /// `Poseidon(nk, cm, position)`.
    pub nullifier: U256,
    /// Where it stands.
    pub status: NoteStatus,
    /// A path to a committed root, refreshed at each sync (S-4.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<NotePath>,
}

impl NoteRecord {
    /// The note, owned by `owner`.
    pub fn note(&self, owner: Fr) -> Result<Note> {
        Ok(Note {
            owner,
            token: u256_to_fr(&self.token).ok_or_else(|| corrupt("token"))?,
            amount: self.amount,
            randomness: u256_to_fr(&self.rho).ok_or_else(|| corrupt("rho"))?,
        })
    }
}

/// A note the wallet deposited on L1 and is waiting to see appended (its position is learnt
/// from the `DEPOSIT` entry carrying its commitment).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpectedNote {
    /// Token field element.
    pub token: U256,
    /// Amount in token units.
    pub amount: u64,
    /// Randomness.
    pub rho: U256,
    /// Commitment L1 computed.
    pub commitment: U256,
}

/// The shielded part of `wallet.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShieldedState {
    /// The wallet's shielded address (public; set when the keys are first derived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<PrivateAddress>,
    /// Last block scanned (every block up to it was committed on L1 when scanned).
    #[serde(default)]
    pub scanned_to: u64,
    /// Every leaf of the note tree, in order (two per entry, S-3.2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leaves: Vec<U256>,
    /// Headers of the scanned blocks that changed the note tree, and of the block each note
    /// path proves against: the roots a transfer or an exit may name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<u64, BlockHeader>,
    /// Notes received, newest last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<NoteRecord>,
    /// Own deposits not yet appended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expected: Vec<ExpectedNote>,
    /// Last L1 block whose pool logs (deposits, exit starts) the wallet has read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_logs_to: Option<u64>,
    /// Set when a committed block's shielded data was withheld (S-7.2): the wallet accepts no
    /// note past it and tells its user to exit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld: Option<WithheldAlert>,
}

impl ShieldedState {
    /// Balances per token: `(unspent, pending)`; notes being exited are in neither (see
    /// [`Self::exiting`]).
    pub fn balances(&self) -> BTreeMap<U256, (u64, u64)> {
        let mut out: BTreeMap<U256, (u64, u64)> = BTreeMap::new();
        for n in &self.notes {
            let e = out.entry(n.token).or_default();
            match n.status {
                NoteStatus::Unspent => e.0 = e.0.saturating_add(n.amount),
                NoteStatus::Pending { .. } => e.1 = e.1.saturating_add(n.amount),
                NoteStatus::Spent { .. }
                | NoteStatus::Exiting { .. }
                | NoteStatus::Exited { .. } => {}
            }
        }
        out
    }

    /// Per token, the amount in notes whose exit is proven or started (S-5.5).
    pub fn exiting(&self) -> BTreeMap<U256, u64> {
        let mut out: BTreeMap<U256, u64> = BTreeMap::new();
        for n in &self.notes {
            if matches!(
                n.status,
                NoteStatus::Exiting { .. } | NoteStatus::Exited { .. }
            ) {
                let e = out.entry(n.token).or_default();
                *e = e.saturating_add(n.amount);
            }
        }
        out
    }

    /// The leaves as field elements.
    pub fn leaf_fields(&self) -> Result<Vec<Fr>> {
        self.leaves
            .iter()
            .map(|l| u256_to_fr(l).ok_or_else(|| corrupt("leaf")))
            .collect()
    }
}
