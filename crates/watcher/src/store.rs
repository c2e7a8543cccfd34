//! The watcher's durable store: one redb file, JSON values, written in one ACID transaction per
//! sync step (L1 events with the L1 cursor; each child block with the child cursor), so a crash
//! leaves either the whole step or none of it. Everything is loaded into memory on open.
//!
//! | table      | key                 | value                                  |
//! |------------|---------------------|----------------------------------------|
//! | `meta`     | `"meta"`            | chain identity, cursors, counters      |
//! | `deposits` | range start         | [`DepositInfo`]                        |
//! | `headers`  | child block number  | committed header                       |
//! | `txs`      | (block, tx index)   | [`StoredTx`]: signed tx and its proofs |
//! | `exits`    | exit id             | [`ExitRecord`]                         |
//! | `requests` | challenge id        | [`RequestRecord`]                      |
//! | `forced`   | forced index `k`    | [`ForcedRecord`] (docs/exit-game.md §12) |

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    path::Path,
};

use alloy_primitives::{B256, U256};
use debye_primitives::BlockHeader;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::{
    Result,
    error::store as db,
    types::{DepositInfo, ExitRecord, ForcedRecord, RequestRecord, StoredTx},
};

const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
const DEPOSITS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("deposits");
const HEADERS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("headers");
const TXS: TableDefinition<'_, (u64, u32), &[u8]> = TableDefinition::new("txs");
const EXITS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("exits");
const REQUESTS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("requests");
const FORCED: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("forced");

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
    /// spend key ([`spend_key`]) of a spent output → transactions with an input naming it.
    pub(crate) spends: HashMap<U256, Vec<(u64, u32)>>,
    pub(crate) exits: BTreeMap<B256, ExitRecord>,
    pub(crate) requests: BTreeMap<B256, RequestRecord>,
    /// Forced transactions by index.
    pub(crate) forced: BTreeMap<u64, ForcedRecord>,
}

/// `Input.blockIndex` bit naming a forced transaction's output (`docs/formats.md` §3.1).
const FORCED_BLOCK: u64 = debye_l1::forced::FORCED_BLOCK;

/// The key under which a spend of the output `input` names is indexed: its position
/// (`docs/exit-game.md` §1.2, `2b` or `2b + 1`) for a regular output, `(k + 1) << 128` for an
/// output of forced transaction `k` (§12.4: the upper bits of a forced position). [`exit_key`] maps
/// an exit's position to the same key.
pub(crate) fn spend_key(input: &debye_primitives::Input) -> U256 {
    if input.block_index & FORCED_BLOCK != 0 {
        let k = input.block_index & !FORCED_BLOCK;
        (U256::from(k) + U256::from(1u8)) << 128
    } else {
        U256::from(input.block_index) * U256::from(2u8) + U256::from(u8::from(!input.is_deposit()))
    }
}

/// The spend key ([`spend_key`]) of the output an exit at `position` exits.
pub(crate) fn exit_key(position: U256) -> U256 {
    if position >> 128 == U256::ZERO {
        position
    } else {
        (position >> 128) << 128
    }
}

impl State {
    pub(crate) fn index_tx(&mut self, tx: StoredTx) {
        let key = (tx.block, tx.index);
        self.by_id.insert(tx.tx_id, key);
        for input in &tx.stx.transaction.inputs {
            let list = self.spends.entry(spend_key(input)).or_default();
            if !list.contains(&key) {
                list.push(key);
            }
        }
        self.txs.insert(key, tx);
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

/// The redb file.
pub(crate) struct Store {
    db: Database,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

fn dec<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    Ok(serde_json::from_slice(bytes)?)
}

impl Store {
    /// Opens or creates the store and loads it.
    pub(crate) fn open(path: &Path) -> Result<(Self, State)> {
        let database = Database::create(path).map_err(db)?;
        let wtx = database.begin_write().map_err(db)?;
        for t in [DEPOSITS, EXITS, REQUESTS] {
            wtx.open_table(t).map_err(db)?;
        }
        wtx.open_table(META).map_err(db)?;
        wtx.open_table(HEADERS).map_err(db)?;
        wtx.open_table(TXS).map_err(db)?;
        wtx.open_table(FORCED).map_err(db)?;
        wtx.commit().map_err(db)?;

        let mut state = State::default();
        let rtx = database.begin_read().map_err(db)?;
        if let Some(v) = rtx.open_table(META).map_err(db)?.get("meta").map_err(db)? {
            state.meta = dec(v.value())?;
        }
        for row in rtx.open_table(DEPOSITS).map_err(db)?.iter().map_err(db)? {
            let d: DepositInfo = dec(row.map_err(db)?.1.value())?;
            state.deposits.insert(d.start, d);
        }
        for row in rtx.open_table(HEADERS).map_err(db)?.iter().map_err(db)? {
            let h: BlockHeader = dec(row.map_err(db)?.1.value())?;
            state.headers.insert(h.number, h);
        }
        for row in rtx.open_table(TXS).map_err(db)?.iter().map_err(db)? {
            let t: StoredTx = dec(row.map_err(db)?.1.value())?;
            state.index_tx(t);
        }
        for row in rtx.open_table(EXITS).map_err(db)?.iter().map_err(db)? {
            let e: ExitRecord = dec(row.map_err(db)?.1.value())?;
            state.exits.insert(e.id, e);
        }
        for row in rtx.open_table(REQUESTS).map_err(db)?.iter().map_err(db)? {
            let r: RequestRecord = dec(row.map_err(db)?.1.value())?;
            state.requests.insert(r.challenge_id, r);
        }
        for row in rtx.open_table(FORCED).map_err(db)?.iter().map_err(db)? {
            let f: ForcedRecord = dec(row.map_err(db)?.1.value())?;
            state.forced.insert(f.index, f);
        }
        Ok((Self { db: database }, state))
    }

    /// Writes `batch` and `meta` in one transaction.
    pub(crate) fn commit(&self, meta: &Meta, batch: &Batch) -> Result<()> {
        let wtx = self.db.begin_write().map_err(db)?;
        {
            let mut t = wtx.open_table(META).map_err(db)?;
            t.insert("meta", serde_json::to_vec(meta)?.as_slice())
                .map_err(db)?;
            let mut t = wtx.open_table(DEPOSITS).map_err(db)?;
            for d in &batch.deposits {
                t.insert(
                    d.start.to_be_bytes::<32>(),
                    serde_json::to_vec(d)?.as_slice(),
                )
                .map_err(db)?;
            }
            let mut t = wtx.open_table(HEADERS).map_err(db)?;
            for h in &batch.headers {
                t.insert(h.number, serde_json::to_vec(h)?.as_slice())
                    .map_err(db)?;
            }
            let mut t = wtx.open_table(TXS).map_err(db)?;
            for x in &batch.txs {
                t.insert((x.block, x.index), serde_json::to_vec(x)?.as_slice())
                    .map_err(db)?;
            }
            let mut t = wtx.open_table(EXITS).map_err(db)?;
            for e in &batch.exits {
                t.insert(e.id.0, serde_json::to_vec(e)?.as_slice())
                    .map_err(db)?;
            }
            let mut t = wtx.open_table(REQUESTS).map_err(db)?;
            for r in &batch.requests {
                t.insert(r.challenge_id.0, serde_json::to_vec(r)?.as_slice())
                    .map_err(db)?;
            }
            let mut t = wtx.open_table(FORCED).map_err(db)?;
            for f in &batch.forced {
                t.insert(f.index, serde_json::to_vec(f)?.as_slice())
                    .map_err(db)?;
            }
        }
        wtx.commit().map_err(db)?;
        Ok(())
    }
}
