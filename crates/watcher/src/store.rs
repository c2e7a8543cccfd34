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

use std::{collections::BTreeMap, path::Path};

use debye_primitives::BlockHeader;
use redb::{
    Database, Key, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition,
    WriteTransaction,
};
use serde::{Serialize, de::DeserializeOwned};

use crate::{
    error::{Result, store as db},
    state::{Batch, Meta, State},
    types::{DepositInfo, ExitRecord, ForcedRecord, RequestRecord, StoredTx},
};

const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
const DEPOSITS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("deposits");
const HEADERS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("headers");
const TXS: TableDefinition<'_, (u64, u32), &[u8]> = TableDefinition::new("txs");
const EXITS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("exits");
const REQUESTS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("requests");
const FORCED: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("forced");

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

/// Loads every row of `table` (JSON values) into `into`, each under `key(row)`.
fn load<K: Key + 'static, M: Ord, T: DeserializeOwned>(
    rtx: &ReadTransaction,
    table: TableDefinition<'_, K, &'static [u8]>,
    into: &mut BTreeMap<M, T>,
    key: impl Fn(&T) -> M,
) -> Result<()> {
    for row in rtx.open_table(table).map_err(db)?.iter().map_err(db)? {
        let value: T = dec(row.map_err(db)?.1.value())?;
        into.insert(key(&value), value);
    }
    Ok(())
}

/// Writes `rows` into `table` as JSON, each under `key(row)`: the keys of the table above, so
/// that a store written before stays readable.
fn put<K: Key + 'static, T: Serialize>(
    wtx: &WriteTransaction,
    table: TableDefinition<'_, K, &'static [u8]>,
    rows: &[T],
    key: impl Fn(&T) -> K::SelfType<'static>,
) -> Result<()> {
    let mut t = wtx.open_table(table).map_err(db)?;
    for row in rows {
        t.insert(key(row), serde_json::to_vec(row)?.as_slice())
            .map_err(db)?;
    }
    Ok(())
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
        load(&rtx, DEPOSITS, &mut state.deposits, |d: &DepositInfo| {
            d.start
        })?;
        load(&rtx, HEADERS, &mut state.headers, |h: &BlockHeader| {
            h.number
        })?;
        load(&rtx, EXITS, &mut state.exits, |e: &ExitRecord| e.id)?;
        load(&rtx, REQUESTS, &mut state.requests, |r: &RequestRecord| {
            r.challenge_id
        })?;
        load(&rtx, FORCED, &mut state.forced, |f: &ForcedRecord| f.index)?;
        // Transactions are indexed by the outputs they spend as well.
        let mut txs = BTreeMap::new();
        load(&rtx, TXS, &mut txs, |t: &StoredTx| (t.block, t.index))?;
        txs.into_values().for_each(|t| state.index_tx(t));
        Ok((Self { db: database }, state))
    }

    /// Writes `batch` and `meta` in one transaction.
    pub(crate) fn commit(&self, meta: &Meta, batch: &Batch) -> Result<()> {
        let wtx = self.db.begin_write().map_err(db)?;
        {
            let mut t = wtx.open_table(META).map_err(db)?;
            t.insert("meta", serde_json::to_vec(meta)?.as_slice())
                .map_err(db)?;
        }
        put(&wtx, DEPOSITS, &batch.deposits, |d| {
            d.start.to_be_bytes::<32>()
        })?;
        put(&wtx, HEADERS, &batch.headers, |h| h.number)?;
        put(&wtx, TXS, &batch.txs, |x| (x.block, x.index))?;
        put(&wtx, EXITS, &batch.exits, |e| e.id.0)?;
        put(&wtx, REQUESTS, &batch.requests, |r| r.challenge_id.0)?;
        put(&wtx, FORCED, &batch.forced, |f| f.index)?;
        wtx.commit().map_err(db)?;
        Ok(())
    }
}
