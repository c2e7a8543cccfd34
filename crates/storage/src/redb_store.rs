//! [`Store`] on an embedded redb file.
//!
//! Tables (integers big-endian, `U256` as 32 bytes; value layouts in `codec.rs`):
//!
//! | table       | key                  | value                                     |
//! |-------------|----------------------|-------------------------------------------|
//! | `meta`      | name                 | schema version, chain, cursors, counters  |
//! | `pending`   | acceptance seq       | tx id ‖ ABI-encoded signed transaction    |
//! | `tx_status` | tx id                | included(block, index) / dropped(reason)  |
//! | `headers`   | block number         | ABI-encoded header                         |
//! | `hashes`    | header hash          | block number                               |
//! | `block_txs` | (block, tx index)    | tx id ‖ ABI-encoded signed transaction    |
//! | `ranges`    | range start          | end ‖ owner ‖ origin ‖ exited             |
//! | `deposits`  | range start          | end ‖ owner ‖ child block ‖ L1 block      |
//! | `exits`     | range start          | end ‖ L1 block                            |
//! | `acc_steps` | block number         | u32 len ‖ A_n ‖ P_n (accumulator step)     |
//!
//! The shielded tables (schema 2) are described in `redb_shielded.rs`.
//!
//! `tx_status` is keyed by a hash, so every insert lands on a random page that the commit copies,
//! checksums and writes: one 4 KiB page per row once the table is large. So it is written
//! sparingly, as an index derived from the other tables:
//!
//! - The status of a pending transaction is never written there: it is answered from an
//!   in-memory map of tx id → seq, rebuilt from `pending` (whose rows start with the id) when the
//!   store opens.
//! - The rows of included transactions are written in batches: a block commit only records them
//!   in memory until at least [`DEFAULT_INDEX_BATCH`] are waiting, and the block commit that
//!   reaches the bound writes them all (one page write then covers many rows) and moves the
//!   `indexed_through` watermark in `meta` to its block. When the store opens, the blocks after
//!   the watermark are read back from `block_txs` (whose rows start with the id) into memory.
//!   A file without the watermark (written before batching) had every row written at commit.
//! - Dropped transactions are rare and written at once.
//!
//! Files written before this scheme may still hold pending rows in `tx_status`; they are
//! overwritten at inclusion or drop, and until then say the same as the map.

use std::{borrow::Borrow, collections::HashMap, path::Path, sync::Mutex};

use alloy_primitives::{B256, U256};
use debye_primitives::{BlockHeader, Codec, SignedTransaction, block::FIRST_BLOCK_NUMBER};
use redb::{Database, Key, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};

use crate::{
    Error, Result, SCHEMA_VERSION,
    codec::{self, Reader, u256_key},
    error::db,
    redb_shielded::{self as sh, K_SH_EXITS, K_SH_NEXT_SEQ},
    shielded::{
        NoteFrontier, PendingShielded, ShieldedDepositEntry, ShieldedRebuild, ShieldedRow,
        ShieldedStatus,
    },
    store::{
        AccumulatorStep, BlockCommit, ChainIdentity, DepositEntry, Dropped, ExitEntry, L1Events,
        PendingTx, RangeDelta, RangeRecord, Store, SubmissionState, TxStatus,
    },
};

const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
const PENDING: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("pending");
const TX_STATUS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("tx_status");
const HEADERS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("headers");
const HASHES: TableDefinition<'_, [u8; 32], u64> = TableDefinition::new("hashes");
const BLOCK_TXS: TableDefinition<'_, (u64, u32), &[u8]> = TableDefinition::new("block_txs");
const RANGES: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("ranges");
const DEPOSITS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("deposits");
const EXITS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("exits");
/// Added after schema 1 without a version change: a file without it gains it empty on open, and
/// missing steps are recomputed.
const ACC_STEPS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("acc_steps");

const K_VERSION: &str = "schema_version";
const K_CHAIN: &str = "chain";
const K_SUBMISSION: &str = "submission";
const K_L1_CURSOR: &str = "l1_cursor";
const K_NEXT_SEQ: &str = "next_seq";
const K_INDEXED: &str = "indexed_through";

/// Included transactions held in memory before their `tx_status` rows are written together (see
/// the module docs): about 3 MiB of memory, and at most this many rows to read back at start.
pub const DEFAULT_INDEX_BATCH: usize = 65_536;

/// The derived, in-memory part of the transaction index.
#[derive(Debug, Default)]
struct TxIndex {
    /// Transactions in `pending`, with their seq.
    pending: HashMap<B256, u64>,
    /// Included transactions whose `tx_status` row is not written yet.
    unindexed: HashMap<B256, (u64, u32)>,
}

/// The operator's store on a redb file.
pub struct RedbStore {
    db: Database,
    /// See the module docs.
    index: Mutex<TxIndex>,
    index_batch: usize,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore").finish_non_exhaustive()
    }
}

impl RedbStore {
    /// Opens (or creates) the store at `path`, creating the tables of a new file and checking the
    /// schema version of an existing one ([`Error::SchemaMismatch`]). Fails if another process
    /// has the file open.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let database = Database::create(path).map_err(db)?;
        let wtx = database.begin_write().map_err(db)?;
        {
            let mut meta = wtx.open_table(META).map_err(db)?;
            let found = match meta.get(K_VERSION).map_err(db)? {
                Some(v) => Some(Reader::new(v.value(), "meta").u32()?),
                None => None,
            };
            match found {
                // Schemas 2 and 3 lack only tables created (empty) below: the shielded ones,
                // and the queues imported from the L1 pool.
                Some(2 | 3) => {
                    meta.insert(K_VERSION, SCHEMA_VERSION.to_be_bytes().as_slice())
                        .map_err(db)?;
                }
                Some(found) if found != SCHEMA_VERSION => {
                    return Err(Error::SchemaMismatch {
                        found,
                        expected: SCHEMA_VERSION,
                    });
                }
                Some(_) => {}
                None => {
                    meta.insert(K_VERSION, SCHEMA_VERSION.to_be_bytes().as_slice())
                        .map_err(db)?;
                }
            }
        }
        // Create every table so readers never see a missing one.
        wtx.open_table(PENDING).map_err(db)?;
        wtx.open_table(TX_STATUS).map_err(db)?;
        wtx.open_table(HEADERS).map_err(db)?;
        wtx.open_table(HASHES).map_err(db)?;
        wtx.open_table(BLOCK_TXS).map_err(db)?;
        wtx.open_table(RANGES).map_err(db)?;
        wtx.open_table(DEPOSITS).map_err(db)?;
        wtx.open_table(EXITS).map_err(db)?;
        wtx.open_table(ACC_STEPS).map_err(db)?;
        sh::create_tables(&wtx)?;
        wtx.commit().map_err(db)?;
        let store = Self {
            db: database,
            index: Mutex::new(TxIndex::default()),
            index_batch: DEFAULT_INDEX_BATCH,
        };
        let pending = store
            .pending()?
            .into_iter()
            .map(|p| (p.tx_id, p.seq))
            .collect();
        let tip = store.tip()?.map_or(0, |h| h.number);
        let indexed = match store.meta(K_INDEXED)? {
            Some(v) => Reader::new(&v, "meta").u64()?,
            None => {
                // Written before batching: every included row is in `tx_status`.
                store.write(|wtx| put(wtx, META, K_INDEXED, tip.to_be_bytes()))?;
                tip
            }
        };
        let mut unindexed = HashMap::new();
        {
            let rtx = store.db.begin_read().map_err(db)?;
            let txs = rtx.open_table(BLOCK_TXS).map_err(db)?;
            for row in txs.range((indexed.saturating_add(1), 0)..).map_err(db)? {
                let (k, v) = row.map_err(db)?;
                let id = v.value().get(..32).ok_or(Error::Corrupt {
                    table: "block_txs",
                    reason: "row shorter than a tx id".into(),
                })?;
                unindexed.insert(B256::from_slice(id), k.value());
            }
        }
        *store.tx_index()? = TxIndex { pending, unindexed };
        Ok(store)
    }

    /// Sets how many included transactions wait in memory before their `tx_status` rows are
    /// written together (default [`DEFAULT_INDEX_BATCH`]; 1 writes them with their block).
    pub fn with_index_batch(mut self, rows: usize) -> Self {
        self.index_batch = rows.max(1);
        self
    }

    /// Included transactions whose `tx_status` row is not written yet.
    pub fn unindexed(&self) -> usize {
        self.tx_index().map_or(0, |i| i.unindexed.len())
    }

    fn tx_index(&self) -> Result<std::sync::MutexGuard<'_, TxIndex>> {
        self.index.lock().map_err(|_| Error::Corrupt {
            table: "tx_status",
            reason: "index lock poisoned".into(),
        })
    }

    /// Overwrites the stored schema version (for migration tooling and tests).
    pub fn set_schema_version(&self, version: u32) -> Result<()> {
        self.write(|wtx| put(wtx, META, K_VERSION, version.to_be_bytes()))
    }

    fn write(&self, f: impl FnOnce(&WriteTransaction) -> Result<()>) -> Result<()> {
        let wtx = self.db.begin_write().map_err(db)?;
        f(&wtx)?;
        wtx.commit().map_err(db)?;
        Ok(())
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.get(META, key, |v| Ok(v.to_vec()))
    }

    /// The row of `table` at `key`, decoded, in a read transaction of its own.
    fn get<'k, K: Key + 'static, T>(
        &self,
        table: TableDefinition<'_, K, &'static [u8]>,
        key: impl Borrow<K::SelfType<'k>>,
        decode: impl FnOnce(&[u8]) -> Result<T>,
    ) -> Result<Option<T>> {
        let rtx = self.db.begin_read().map_err(db)?;
        let table = rtx.open_table(table).map_err(db)?;
        table
            .get(key)
            .map_err(db)?
            .map(|v| decode(v.value()))
            .transpose()
    }

    /// Every row of `table` in key order, decoded from key and value, in a read transaction of
    /// its own.
    fn rows<K: Key + 'static, T>(
        &self,
        table: TableDefinition<'_, K, &'static [u8]>,
        decode: impl Fn(K::SelfType<'_>, &[u8]) -> Result<T>,
    ) -> Result<Vec<T>> {
        let rtx = self.db.begin_read().map_err(db)?;
        let table = rtx.open_table(table).map_err(db)?;
        table
            .iter()
            .map_err(db)?
            .map(|row| {
                let (k, v) = row.map_err(db)?;
                decode(k.value(), v.value())
            })
            .collect()
    }
}

/// Inserts (or overwrites) `rows` of `table`.
fn put_rows<'k, K: Key + 'static>(
    wtx: &WriteTransaction,
    table: TableDefinition<'_, K, &'static [u8]>,
    rows: impl IntoIterator<Item = (impl Borrow<K::SelfType<'k>>, impl AsRef<[u8]>)>,
) -> Result<()> {
    let mut table = wtx.open_table(table).map_err(db)?;
    for (key, value) in rows {
        table.insert(key, value.as_ref()).map_err(db)?;
    }
    Ok(())
}

/// Inserts (or overwrites) one row of `table`.
fn put<'k, K: Key + 'static>(
    wtx: &WriteTransaction,
    table: TableDefinition<'_, K, &'static [u8]>,
    key: impl Borrow<K::SelfType<'k>>,
    value: impl AsRef<[u8]>,
) -> Result<()> {
    put_rows(wtx, table, [(key, value)])
}

fn apply_ranges(wtx: &WriteTransaction, delta: &RangeDelta) -> Result<()> {
    if delta.is_empty() {
        return Ok(());
    }
    let mut ranges = wtx.open_table(RANGES).map_err(db)?;
    for start in &delta.deletes {
        ranges.remove(u256_key(*start)).map_err(db)?;
    }
    for rec in &delta.upserts {
        ranges
            .insert(
                u256_key(rec.segment.start()),
                codec::encode_range(rec).as_slice(),
            )
            .map_err(db)?;
    }
    Ok(())
}

fn apply_dropped(wtx: &WriteTransaction, dropped: &[Dropped]) -> Result<()> {
    if dropped.is_empty() {
        return Ok(());
    }
    let mut pending = wtx.open_table(PENDING).map_err(db)?;
    let mut status = wtx.open_table(TX_STATUS).map_err(db)?;
    for (id, seq, reason) in dropped {
        pending.remove(*seq).map_err(db)?;
        let s = codec::encode_status(&TxStatus::Dropped { reason: *reason });
        status.insert(id.0, s.as_slice()).map_err(db)?;
    }
    Ok(())
}

impl Store for RedbStore {
    fn chain_identity(&self) -> Result<Option<ChainIdentity>> {
        let Some(bytes) = self.meta(K_CHAIN)? else {
            return Ok(None);
        };
        let mut r = Reader::new(&bytes, "meta");
        let id = ChainIdentity {
            chain_id: r.u64()?,
            anchor: r.address()?,
        };
        r.finish()?;
        Ok(Some(id))
    }

    fn set_chain_identity(&self, id: &ChainIdentity) -> Result<()> {
        let mut v = id.chain_id.to_be_bytes().to_vec();
        v.extend_from_slice(id.anchor.as_slice());
        self.write(|wtx| put(wtx, META, K_CHAIN, &v))
    }

    fn accept(&self, txs: &[PendingTx]) -> Result<()> {
        let Some(last) = txs.iter().map(|t| t.seq).max() else {
            return Ok(());
        };
        self.write(|wtx| {
            let rows = txs
                .iter()
                .map(|t| (t.seq, codec::encode_tx(&t.tx_id, &t.tx)));
            put_rows(wtx, PENDING, rows)?;
            put(wtx, META, K_NEXT_SEQ, last.saturating_add(1).to_be_bytes())
        })?;
        self.tx_index()?
            .pending
            .extend(txs.iter().map(|t| (t.tx_id, t.seq)));
        Ok(())
    }

    fn pending(&self) -> Result<Vec<PendingTx>> {
        self.rows(PENDING, |seq, v| {
            let (tx_id, tx) = codec::decode_tx(v, "pending")?;
            Ok(PendingTx { seq, tx_id, tx })
        })
    }

    fn next_seq(&self) -> Result<u64> {
        match self.meta(K_NEXT_SEQ)? {
            Some(v) => Reader::new(&v, "meta").u64(),
            None => Ok(0),
        }
    }

    fn commit_block(&self, commit: &BlockCommit) -> Result<()> {
        let expected = self
            .tip()?
            .map_or(FIRST_BLOCK_NUMBER, |h| h.number.saturating_add(1));
        let number = commit.header.number;
        if number != expected {
            return Err(Error::OutOfOrder {
                expected,
                got: number,
            });
        }
        let flush = {
            let index = self.tx_index()?;
            (index.unindexed.len() + commit.txs.len() >= self.index_batch)
                .then(|| index.unindexed.clone())
        };
        self.write(|wtx| {
            put(wtx, HEADERS, number, commit.header.encode())?;
            wtx.open_table(HASHES)
                .map_err(db)?
                .insert(commit.header.hash().0, number)
                .map_err(db)?;
            {
                let mut txs = wtx.open_table(BLOCK_TXS).map_err(db)?;
                let mut status = wtx.open_table(TX_STATUS).map_err(db)?;
                let mut pending = wtx.open_table(PENDING).map_err(db)?;
                for (index, (id, tx)) in commit.txs.iter().enumerate() {
                    let index = u32::try_from(index).map_err(|_| Error::Corrupt {
                        table: "block_txs",
                        reason: "more than 2^32 transactions".into(),
                    })?;
                    // Move the bytes stored at acceptance instead of encoding again.
                    let moved = match commit.included_seqs.get(index as usize) {
                        Some(seq) => pending
                            .remove(*seq)
                            .map_err(db)?
                            .map(|v| v.value().to_vec()),
                        None => None,
                    };
                    let bytes = moved
                        .filter(|b| b.get(..32) == Some(id.as_slice()))
                        .unwrap_or_else(|| codec::encode_tx(id, tx));
                    txs.insert((number, index), bytes.as_slice()).map_err(db)?;
                }
                for seq in commit.included_seqs.iter().skip(commit.txs.len()) {
                    pending.remove(*seq).map_err(db)?;
                }
                if let Some(waiting) = &flush {
                    // The batch: everything waiting plus this block, in key order.
                    let mut rows: Vec<(B256, (u64, u32))> = waiting
                        .iter()
                        .map(|(id, at)| (*id, *at))
                        .chain(
                            commit
                                .txs
                                .iter()
                                .enumerate()
                                .map(|(i, (id, _))| (*id, (number, i as u32))),
                        )
                        .collect();
                    rows.sort_unstable_by_key(|(id, _)| *id);
                    for (id, (block, index)) in rows {
                        let s = codec::encode_status(&TxStatus::Included { block, index });
                        status.insert(id.0, s.as_slice()).map_err(db)?;
                    }
                    put(wtx, META, K_INDEXED, number.to_be_bytes())?;
                }
            }
            apply_dropped(wtx, &commit.dropped)?;
            apply_ranges(wtx, &commit.ranges)?;
            sh::apply_block(wtx, number, &commit.shielded)
        })?;
        let mut index = self.tx_index()?;
        if flush.is_some() {
            index.unindexed.clear();
        } else {
            index.unindexed.extend(
                commit
                    .txs
                    .iter()
                    .enumerate()
                    .map(|(i, (id, _))| (*id, (number, i as u32))),
            );
        }
        for (id, _) in &commit.txs {
            index.pending.remove(id);
        }
        for (id, _, _) in &commit.dropped {
            index.pending.remove(id);
        }
        Ok(())
    }

    fn replace_headers(&self, headers: &[BlockHeader]) -> Result<()> {
        self.replace_blocks(headers, &[])
    }

    fn replace_blocks(&self, headers: &[BlockHeader], sections: &[ShieldedRebuild]) -> Result<()> {
        if let Some(s) = sections
            .iter()
            .find(|s| !headers.iter().any(|h| h.number == s.number))
        {
            return Err(Error::Restamp {
                number: s.number,
                reason: "a rebuilt section without its header",
            });
        }
        let Some(first) = headers.first() else {
            return Ok(());
        };
        let mut parent = match first
            .number
            .checked_sub(1)
            .filter(|n| *n >= FIRST_BLOCK_NUMBER)
        {
            Some(n) => Some(self.header(n)?.ok_or(Error::Restamp {
                number: first.number,
                reason: "its parent is not stored",
            })?),
            None => None,
        };
        let mut old = Vec::with_capacity(headers.len());
        for h in headers {
            let stored = self.header(h.number)?.ok_or(Error::Restamp {
                number: h.number,
                reason: "no block with this number is stored",
            })?;
            if h.check_parent(parent.as_ref()).is_err() {
                return Err(Error::Restamp {
                    number: h.number,
                    reason: "it does not extend the header before it",
                });
            }
            old.push(stored);
            parent = Some(*h);
        }
        self.write(|wtx| {
            let mut hashes = wtx.open_table(HASHES).map_err(db)?;
            for (h, o) in headers.iter().zip(&old) {
                hashes.remove(o.hash().0).map_err(db)?;
                hashes.insert(h.hash().0, h.number).map_err(db)?;
            }
            drop(hashes);
            for h in headers {
                put(wtx, HEADERS, h.number, h.encode())?;
            }
            for section in sections {
                sh::rebuild(wtx, section)?;
            }
            Ok(())
        })
    }

    fn tip(&self) -> Result<Option<BlockHeader>> {
        let rtx = self.db.begin_read().map_err(db)?;
        let headers = rtx.open_table(HEADERS).map_err(db)?;
        match headers.last().map_err(db)? {
            Some((_, v)) => Ok(Some(Reader::new(v.value(), "headers").header()?)),
            None => Ok(None),
        }
    }

    fn header(&self, number: u64) -> Result<Option<BlockHeader>> {
        self.get(HEADERS, number, |v| Reader::new(v, "headers").header())
    }

    fn block_number(&self, hash: B256) -> Result<Option<u64>> {
        let rtx = self.db.begin_read().map_err(db)?;
        let hashes = rtx.open_table(HASHES).map_err(db)?;
        Ok(hashes.get(hash.0).map_err(db)?.map(|v| v.value()))
    }

    fn block_txs(&self, number: u64) -> Result<Vec<(B256, SignedTransaction)>> {
        let rtx = self.db.begin_read().map_err(db)?;
        let txs = rtx.open_table(BLOCK_TXS).map_err(db)?;
        txs.range((number, 0)..=(number, u32::MAX))
            .map_err(db)?
            .map(|row| {
                let (_, v) = row.map_err(db)?;
                codec::decode_tx(v.value(), "block_txs")
            })
            .collect()
    }

    fn block_tx(&self, number: u64, index: u32) -> Result<Option<(B256, SignedTransaction)>> {
        self.get(BLOCK_TXS, (number, index), |v| {
            codec::decode_tx(v, "block_txs")
        })
    }

    fn tx_status(&self, tx_id: B256) -> Result<Option<TxStatus>> {
        // Rows in the table are final (included or dropped); then the in-memory index. The maps
        // change right after the commit they describe, so a reader in between may see the
        // previous status for that moment.
        let stored = self.get(TX_STATUS, tx_id.0, codec::decode_status)?;
        if let Some(s @ (TxStatus::Included { .. } | TxStatus::Dropped { .. })) = stored {
            return Ok(Some(s));
        }
        {
            let index = self.tx_index()?;
            if let Some((block, index)) = index.unindexed.get(&tx_id) {
                return Ok(Some(TxStatus::Included {
                    block: *block,
                    index: *index,
                }));
            }
            if let Some(seq) = index.pending.get(&tx_id) {
                return Ok(Some(TxStatus::Pending { seq: *seq }));
            }
        }
        if stored.is_some() {
            return Ok(stored);
        }
        // In neither map: a batch or drop may have committed since the read above (ids leave
        // the maps only after their commit), so look once more.
        self.get(TX_STATUS, tx_id.0, codec::decode_status)
    }

    fn ranges(&self) -> Result<Vec<RangeRecord>> {
        self.rows(RANGES, |k, v| codec::decode_range(&k, v))
    }

    fn record_l1_events(&self, events: &L1Events) -> Result<()> {
        self.write(|wtx| {
            let deposits = events
                .deposits
                .iter()
                .map(|d| (u256_key(d.segment.start()), codec::encode_deposit(d)));
            put_rows(wtx, DEPOSITS, deposits)?;
            let exits = events
                .exits
                .iter()
                .map(|e| (u256_key(e.segment.start()), codec::encode_exit(e)));
            put_rows(wtx, EXITS, exits)?;
            put(wtx, META, K_L1_CURSOR, events.next_l1_block.to_be_bytes())?;
            let exits_before = self.shielded_exits_imported()?;
            if let Some(count) = sh::import(
                wtx,
                exits_before,
                &events.shielded_deposits,
                &events.shielded_exits,
                &events.shielded_dropped,
            )? {
                put(wtx, META, K_SH_EXITS, count.to_be_bytes())?;
            }
            apply_dropped(wtx, &events.dropped)?;
            apply_ranges(wtx, &events.ranges)
        })?;
        let mut index = self.tx_index()?;
        for (id, _, _) in &events.dropped {
            index.pending.remove(id);
        }
        Ok(())
    }

    fn deposit(&self, start: U256) -> Result<Option<DepositEntry>> {
        let key = u256_key(start);
        self.get(DEPOSITS, key, |v| codec::decode_deposit(&key, v))
    }

    fn exits(&self) -> Result<Vec<ExitEntry>> {
        self.rows(EXITS, |k, v| codec::decode_exit(&k, v))
    }

    fn l1_cursor(&self) -> Result<Option<u64>> {
        self.meta(K_L1_CURSOR)?
            .map(|v| Reader::new(&v, "meta").u64())
            .transpose()
    }

    fn submission(&self) -> Result<SubmissionState> {
        let Some(v) = self.meta(K_SUBMISSION)? else {
            return Ok(SubmissionState::default());
        };
        let mut r = Reader::new(&v, "meta");
        let s = SubmissionState {
            l1_committed: r.u64()?,
            l1_block: r.u64()?,
        };
        r.finish()?;
        Ok(s)
    }

    fn set_submission(&self, state: &SubmissionState) -> Result<()> {
        let mut v = state.l1_committed.to_be_bytes().to_vec();
        v.extend_from_slice(&state.l1_block.to_be_bytes());
        self.write(|wtx| put(wtx, META, K_SUBMISSION, &v))
    }

    fn put_accumulator_step(&self, number: u64, step: &AccumulatorStep) -> Result<()> {
        let v = codec::encode_acc_step(step);
        self.write(|wtx| put(wtx, ACC_STEPS, number, &v))
    }

    fn accumulator_step(&self, number: u64) -> Result<Option<AccumulatorStep>> {
        self.get(ACC_STEPS, number, codec::decode_acc_step)
    }

    fn accept_shielded(&self, entries: &[PendingShielded]) -> Result<()> {
        let Some(last) = entries.iter().map(|e| e.seq).max() else {
            return Ok(());
        };
        self.write(|wtx| {
            sh::accept(wtx, entries)?;
            put(
                wtx,
                META,
                K_SH_NEXT_SEQ,
                last.saturating_add(1).to_be_bytes(),
            )
        })
    }

    fn pending_shielded(&self) -> Result<Vec<PendingShielded>> {
        self.rows(sh::SH_PENDING, |seq, v| {
            let row = sh::decode_row(v, "sh_pending")?;
            Ok(PendingShielded {
                seq,
                id: row.id,
                data: row.data,
            })
        })
    }

    fn next_shielded_seq(&self) -> Result<u64> {
        match self.meta(K_SH_NEXT_SEQ)? {
            Some(v) => Reader::new(&v, "meta").u64(),
            None => Ok(0),
        }
    }

    fn nullifier_block(&self, nullifier: U256) -> Result<Option<u64>> {
        let rtx = self.db.begin_read().map_err(db)?;
        let table = rtx.open_table(sh::NULLIFIERS).map_err(db)?;
        Ok(table
            .get(sh::nullifier_key(nullifier))
            .map_err(db)?
            .map(|v| v.value()))
    }

    fn block_shielded(&self, number: u64) -> Result<Vec<ShieldedRow>> {
        let rtx = self.db.begin_read().map_err(db)?;
        let rows = rtx.open_table(sh::SH_ENTRIES).map_err(db)?;
        rows.range((number, 0)..=(number, u32::MAX))
            .map_err(db)?
            .map(|row| {
                let (_, v) = row.map_err(db)?;
                sh::decode_row(v.value(), "sh_entries")
            })
            .collect()
    }

    fn note_frontier(&self, number: u64) -> Result<Option<NoteFrontier>> {
        let rtx = self.db.begin_read().map_err(db)?;
        let headers = rtx.open_table(HEADERS).map_err(db)?;
        let tip = match headers.last().map_err(db)? {
            Some((k, _)) => k.value(),
            None => 0,
        };
        if number > tip {
            return Ok(None);
        }
        let frontiers = rtx.open_table(sh::NOTE_FRONTIERS).map_err(db)?;
        sh::frontier_at(&frontiers, number).map(Some)
    }

    fn shielded_status(&self, id: B256) -> Result<Option<ShieldedStatus>> {
        self.get(sh::SH_STATUS, id.0, sh::decode_status)
    }

    fn shielded_deposit_queue(&self) -> Result<Vec<ShieldedDepositEntry>> {
        self.rows(sh::SH_DEPOSIT_QUEUE, sh::decode_deposit)
    }

    fn shielded_exits_imported(&self) -> Result<u32> {
        match self.meta(K_SH_EXITS)? {
            Some(v) => Reader::new(&v, "meta").u32(),
            None => Ok(0),
        }
    }

    fn nullifier_exit(&self, nullifier: U256) -> Result<Option<u32>> {
        let rtx = self.db.begin_read().map_err(db)?;
        let table = rtx.open_table(sh::EXIT_NULLIFIERS).map_err(db)?;
        Ok(table
            .get(sh::nullifier_key(nullifier))
            .map_err(db)?
            .map(|v| v.value()))
    }
}
