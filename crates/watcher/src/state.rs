//! What the watcher knows, in memory: the records the store mirrors, the indexes the judges
//! search, and the [`Batch`] of changes a step commits together (`docs/watcher.md` §2).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use alloy_primitives::{B256, U256};
use debye_primitives::{BlockHeader, Position};
use serde::{Deserialize, Serialize};

use crate::{
    error::{Error, Result},
    types::{DepositInfo, ExitRecord, ForcedRecord, RequestRecord, StoredTx},
};

/// Cursors and counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// `chainId:anchor` this store follows.
    pub chain: String,
    /// Next L1 block to read logs from.
    pub l1_cursor: u64,
    /// Next child block to fetch from the operator.
    pub next_child: u64,
    /// Committed child blocks the operator has not served (yet).
    pub withheld: BTreeSet<u64>,
    /// L1 timestamp of the latest block commitment seen.
    pub last_commit_at: u64,
    /// Challenges (spent, double spend, deposit after, requests, resolutions) this watcher sent.
    pub challenges_sent: u64,
    /// Answers to challenge requests this watcher sent.
    pub answers_sent: u64,
    /// Exits cancelled with the bond paid to this watcher's account.
    pub exits_cancelled: u64,
    /// Wei of exit and forcing bonds paid to this watcher's account.
    pub bonds_collected: U256,
    /// Forced transactions cancelled with the forcing bond paid to this watcher's account.
    #[serde(default)]
    pub forced_cancelled: u64,
    /// Byzantine conditions reported so far.
    pub byzantine_reports: u64,
    /// Highest block whose accumulator field the replica has checked (docs/accumulator.md
    /// §13.4): the replica is rebuilt after a restart without reporting these again.
    #[serde(default)]
    pub accumulator_checked: u64,
}

/// Everything the watcher knows, in memory, mirrored by the store.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) meta: Meta,
    pub(crate) deposits: BTreeMap<U256, DepositInfo>,
    pub(crate) headers: BTreeMap<u64, BlockHeader>,
    pub(crate) txs: BTreeMap<(u64, u32), StoredTx>,
    /// tx id → where it is.
    pub(crate) by_id: HashMap<B256, (u64, u32)>,
    /// [`Position::spend_key`] of a spent output → transactions with an input naming it.
    pub(crate) spends: HashMap<U256, Vec<(u64, u32)>>,
    pub(crate) exits: BTreeMap<B256, ExitRecord>,
    pub(crate) requests: BTreeMap<B256, RequestRecord>,
    /// Forced transactions by index.
    pub(crate) forced: BTreeMap<u64, ForcedRecord>,
}

impl State {
    /// Adds a stored transaction and indexes its inputs by the output each spends, so that a
    /// spend of an exited output is found from the exit's position alone
    /// (`docs/exit-game.md` §3.1, §12.4: `Position::spent_by` and `Position::spend_key` agree).
    pub(crate) fn index_tx(&mut self, tx: StoredTx) {
        let key = (tx.block, tx.index);
        self.by_id.insert(tx.tx_id, key);
        for input in &tx.stx.transaction.inputs {
            let list = self.spends.entry(Position::spent_by(input)).or_default();
            if !list.contains(&key) {
                list.push(key);
            }
        }
        self.txs.insert(key, tx);
    }

    /// The header committed on L1 for `block`: proofs are built against it, never against what
    /// the operator serves.
    pub(crate) fn header(&self, block: u64) -> Result<BlockHeader> {
        self.headers
            .get(&block)
            .copied()
            .ok_or_else(|| Error::Operator(format!("no committed header for block {block}")))
    }
}

/// Changes of one step, committed together.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) deposits: Vec<DepositInfo>,
    pub(crate) headers: Vec<BlockHeader>,
    pub(crate) txs: Vec<StoredTx>,
    pub(crate) exits: Vec<ExitRecord>,
    pub(crate) requests: Vec<RequestRecord>,
    pub(crate) forced: Vec<ForcedRecord>,
}
