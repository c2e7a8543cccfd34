//! The shielded tables of [`crate::RedbStore`] (docs/shielded.md §4.3):
//!
//! | table            | key                 | value                                         |
//! |------------------|---------------------|-----------------------------------------------|
//! | `sh_pending`     | acceptance seq      | id ‖ entry bytes (the pool)                   |
//! | `sh_entries`     | (block, entry index)| id ‖ entry bytes, ciphertexts included        |
//! | `sh_status`      | id                  | pending(seq) / included(block, index) / dropped |
//! | `nullifiers`     | nullifier           | block that spent it                           |
//! | `note_frontiers` | block number        | note count ‖ frontier nodes                   |
//! | `sh_deposit_queue` | L1 deposit index  | cm ‖ L1 block (imported, not yet appended)    |
//! | `exit_nullifiers` | nullifier          | index of the imported L1 exit holding it      |
//!
//! The meta key `sh_exits_imported` counts the imported L1 exit starts.
//!
//! The note tree is kept as one frontier per block that appends leaves (about 1.3 KB at depth
//! 40), not as its leaves: a restart reads the tip's row and can append at once, and
//! `debye_noteTreeFrontier(n)` is one range read (the last row at or before `n`). The leaves
//! themselves are the commitments of the stored entries, so a watcher that wants paths or the
//! chunk roots rebuilds them from the block bodies, which it must fetch anyway.

use alloy_primitives::{B256, U256};
use redb::{ReadableTable, TableDefinition, WriteTransaction};

use crate::{
    Error, Result,
    codec::{Reader, u256_key},
    error::db,
    shielded::{
        NoteFrontier, PendingShielded, ShieldedCommit, ShieldedDepositEntry, ShieldedDropReason,
        ShieldedExitEntry, ShieldedRebuild, ShieldedRow, ShieldedStatus,
    },
};

pub(crate) const SH_PENDING: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("sh_pending");
pub(crate) const SH_ENTRIES: TableDefinition<'_, (u64, u32), &[u8]> =
    TableDefinition::new("sh_entries");
pub(crate) const SH_STATUS: TableDefinition<'_, [u8; 32], &[u8]> =
    TableDefinition::new("sh_status");
pub(crate) const NULLIFIERS: TableDefinition<'_, [u8; 32], u64> =
    TableDefinition::new("nullifiers");
pub(crate) const NOTE_FRONTIERS: TableDefinition<'_, u64, &[u8]> =
    TableDefinition::new("note_frontiers");

pub(crate) const SH_DEPOSIT_QUEUE: TableDefinition<'_, u32, &[u8]> =
    TableDefinition::new("sh_deposit_queue");
pub(crate) const EXIT_NULLIFIERS: TableDefinition<'_, [u8; 32], u32> =
    TableDefinition::new("exit_nullifiers");

/// Meta key of the number of imported L1 exit starts.
pub(crate) const K_SH_EXITS: &str = "sh_exits_imported";

/// Meta key of the next shielded acceptance sequence number.
pub(crate) const K_SH_NEXT_SEQ: &str = "sh_next_seq";

/// Creates the shielded tables (a new file, or one written by schema 1).
pub(crate) fn create_tables(wtx: &WriteTransaction) -> Result<()> {
    wtx.open_table(SH_PENDING).map_err(db)?;
    wtx.open_table(SH_ENTRIES).map_err(db)?;
    wtx.open_table(SH_STATUS).map_err(db)?;
    wtx.open_table(NULLIFIERS).map_err(db)?;
    wtx.open_table(NOTE_FRONTIERS).map_err(db)?;
    wtx.open_table(SH_DEPOSIT_QUEUE).map_err(db)?;
    wtx.open_table(EXIT_NULLIFIERS).map_err(db)?;
    Ok(())
}

pub(crate) fn encode_row(id: &B256, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(32 + data.len());
    v.extend_from_slice(id.as_slice());
    v.extend_from_slice(data);
    v
}

pub(crate) fn decode_row(bytes: &[u8], table: &'static str) -> Result<ShieldedRow> {
    let mut r = Reader::new(bytes, table);
    let id = r.b256()?;
    Ok(ShieldedRow {
        id,
        data: r.rest().to_vec(),
    })
}

pub(crate) fn encode_status(s: &ShieldedStatus) -> Vec<u8> {
    let mut v = Vec::with_capacity(13);
    match s {
        ShieldedStatus::Pending { seq } => {
            v.push(0);
            v.extend_from_slice(&seq.to_be_bytes());
        }
        ShieldedStatus::Included { block, index } => {
            v.push(1);
            v.extend_from_slice(&block.to_be_bytes());
            v.extend_from_slice(&index.to_be_bytes());
        }
        // Tag 2 is what schema 3 wrote for every drop (expiry was the only reason then).
        ShieldedStatus::Dropped {
            reason: ShieldedDropReason::Expired,
        } => v.push(2),
        ShieldedStatus::Dropped {
            reason: ShieldedDropReason::Exited,
        } => v.push(3),
    }
    v
}

pub(crate) fn decode_status(bytes: &[u8]) -> Result<ShieldedStatus> {
    let mut r = Reader::new(bytes, "sh_status");
    let s = match r.u8()? {
        0 => ShieldedStatus::Pending { seq: r.u64()? },
        1 => ShieldedStatus::Included {
            block: r.u64()?,
            index: r.u32()?,
        },
        2 => ShieldedStatus::Dropped {
            reason: ShieldedDropReason::Expired,
        },
        3 => ShieldedStatus::Dropped {
            reason: ShieldedDropReason::Exited,
        },
        t => {
            return Err(Error::Corrupt {
                table: "sh_status",
                reason: format!("status tag {t}"),
            });
        }
    };
    r.finish()?;
    Ok(s)
}

pub(crate) fn encode_frontier(f: &NoteFrontier) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + 32 * f.nodes.len());
    v.extend_from_slice(&f.count.to_be_bytes());
    for n in &f.nodes {
        v.extend_from_slice(n.as_slice());
    }
    v
}

pub(crate) fn decode_frontier(bytes: &[u8]) -> Result<NoteFrontier> {
    let mut r = Reader::new(bytes, "note_frontiers");
    let count = r.u64()?;
    let mut nodes = Vec::with_capacity(count.count_ones() as usize);
    for _ in 0..count.count_ones() {
        nodes.push(r.b256()?);
    }
    r.finish()?;
    Ok(NoteFrontier { count, nodes })
}

/// Makes accepted entries durable and records their status, in `wtx`.
pub(crate) fn accept(wtx: &WriteTransaction, entries: &[PendingShielded]) -> Result<()> {
    let mut pending = wtx.open_table(SH_PENDING).map_err(db)?;
    let mut status = wtx.open_table(SH_STATUS).map_err(db)?;
    for e in entries {
        pending
            .insert(e.seq, encode_row(&e.id, &e.data).as_slice())
            .map_err(db)?;
        let s = encode_status(&ShieldedStatus::Pending { seq: e.seq });
        status.insert(e.id.0, s.as_slice()).map_err(db)?;
    }
    Ok(())
}

/// Applies a block's shielded changes in the block's own write transaction: the entries, the
/// nullifiers (refusing one already spent, which aborts the whole block), the frontier and the
/// pool.
pub(crate) fn apply_block(wtx: &WriteTransaction, number: u64, c: &ShieldedCommit) -> Result<()> {
    if c.is_empty() {
        return Ok(());
    }
    {
        let mut nullifiers = wtx.open_table(NULLIFIERS).map_err(db)?;
        let exited = wtx.open_table(EXIT_NULLIFIERS).map_err(db)?;
        for nf in &c.nullifiers {
            let key = u256_key(*nf);
            // S-4.3, F5: a block never spends a note an imported L1 exit took.
            if let Some(exit) = exited.get(key).map_err(db)? {
                return Err(Error::NullifierExited {
                    nullifier: *nf,
                    exit: exit.value(),
                });
            }
            if let Some(block) = nullifiers.get(key).map_err(db)? {
                return Err(Error::NullifierSpent {
                    nullifier: *nf,
                    block: block.value(),
                });
            }
            nullifiers.insert(key, number).map_err(db)?;
        }
    }
    let mut entries = wtx.open_table(SH_ENTRIES).map_err(db)?;
    let mut status = wtx.open_table(SH_STATUS).map_err(db)?;
    let mut pending = wtx.open_table(SH_PENDING).map_err(db)?;
    for (index, row) in c.entries.iter().enumerate() {
        let index = u32::try_from(index).map_err(|_| Error::Corrupt {
            table: "sh_entries",
            reason: "more than 2^32 entries".into(),
        })?;
        entries
            .insert((number, index), encode_row(&row.id, &row.data).as_slice())
            .map_err(db)?;
        let s = encode_status(&ShieldedStatus::Included {
            block: number,
            index,
        });
        status.insert(row.id.0, s.as_slice()).map_err(db)?;
    }
    for seq in &c.included_seqs {
        pending.remove(*seq).map_err(db)?;
    }
    drop_pooled(
        &mut pending,
        &mut status,
        &c.dropped,
        ShieldedDropReason::Expired,
    )?;
    {
        let mut queue = wtx.open_table(SH_DEPOSIT_QUEUE).map_err(db)?;
        for index in &c.appended_deposits {
            let first = queue.first().map_err(db)?.map(|(k, _)| k.value());
            if first != Some(*index) {
                return Err(Error::DepositQueue { index: *index });
            }
            queue.remove(*index).map_err(db)?;
        }
    }
    if let Some(f) = &c.frontier {
        if !f.is_consistent() {
            return Err(Error::Corrupt {
                table: "note_frontiers",
                reason: format!("{} nodes for {} leaves", f.nodes.len(), f.count),
            });
        }
        wtx.open_table(NOTE_FRONTIERS)
            .map_err(db)?
            .insert(number, encode_frontier(f).as_slice())
            .map_err(db)?;
    }
    Ok(())
}

/// The nullifier key of `nf`.
pub(crate) fn nullifier_key(nf: U256) -> [u8; 32] {
    u256_key(nf)
}

/// The frontier after block `number` from `frontiers`: the last row at or before it, or the
/// empty tree.
pub(crate) fn frontier_at(
    frontiers: &impl ReadableTable<u64, &'static [u8]>,
    number: u64,
) -> Result<NoteFrontier> {
    match frontiers.range(..=number).map_err(db)?.next_back() {
        Some(row) => {
            let (_, v) = row.map_err(db)?;
            decode_frontier(v.value())
        }
        None => Ok(NoteFrontier::default()),
    }
}

/// Marks pooled entries dropped for `reason` and removes them from the pool.
fn drop_pooled(
    pending: &mut redb::Table<'_, u64, &'static [u8]>,
    status: &mut redb::Table<'_, [u8; 32], &'static [u8]>,
    dropped: &[(B256, u64)],
    reason: ShieldedDropReason,
) -> Result<()> {
    let row = encode_status(&ShieldedStatus::Dropped { reason });
    for (id, seq) in dropped {
        pending.remove(*seq).map_err(db)?;
        status.insert(id.0, row.as_slice()).map_err(db)?;
    }
    Ok(())
}

pub(crate) fn encode_deposit(d: &ShieldedDepositEntry) -> Vec<u8> {
    let mut v = Vec::with_capacity(40);
    v.extend_from_slice(&d.cm.to_be_bytes::<32>());
    v.extend_from_slice(&d.l1_block.to_be_bytes());
    v
}

pub(crate) fn decode_deposit(index: u32, bytes: &[u8]) -> Result<ShieldedDepositEntry> {
    let mut r = Reader::new(bytes, "sh_deposit_queue");
    let cm = U256::from_be_bytes(r.b256()?.0);
    let l1_block = r.u64()?;
    r.finish()?;
    Ok(ShieldedDepositEntry {
        index,
        cm,
        l1_block,
    })
}

/// Records imported L1 shielded events in `wtx`: deposits join the queue, each exit's nullifiers
/// join the exit-nullifier set and the exit count moves to `exits_before + exits.len()` (the
/// exits must be the next indices, else nothing is written), and the pooled entries they
/// invalidate are dropped.
pub(crate) fn import(
    wtx: &WriteTransaction,
    exits_before: u32,
    deposits: &[ShieldedDepositEntry],
    exits: &[ShieldedExitEntry],
    dropped: &[(B256, u64)],
) -> Result<Option<u32>> {
    {
        let mut queue = wtx.open_table(SH_DEPOSIT_QUEUE).map_err(db)?;
        for d in deposits {
            queue
                .insert(d.index, encode_deposit(d).as_slice())
                .map_err(db)?;
        }
    }
    let mut count = exits_before;
    {
        let mut set = wtx.open_table(EXIT_NULLIFIERS).map_err(db)?;
        for e in exits {
            if e.index != count {
                return Err(Error::Corrupt {
                    table: "exit_nullifiers",
                    reason: format!("exit {} imported, {count} expected next", e.index),
                });
            }
            for nf in e.nullifiers {
                let key = u256_key(nf);
                // The first exit to hold a nullifier is the one named (a duplicate is S-5.10's).
                if set.get(key).map_err(db)?.is_none() {
                    set.insert(key, e.index).map_err(db)?;
                }
            }
            count += 1;
        }
    }
    let mut pending = wtx.open_table(SH_PENDING).map_err(db)?;
    let mut status = wtx.open_table(SH_STATUS).map_err(db)?;
    drop_pooled(
        &mut pending,
        &mut status,
        dropped,
        ShieldedDropReason::Exited,
    )?;
    Ok((!exits.is_empty()).then_some(count))
}

/// Replaces block `r.number`'s entries, statuses, freed nullifiers and frontier in `wtx` (a
/// re-stamped block's rebuilt section, docs/shielded.md §10).
pub(crate) fn rebuild(wtx: &WriteTransaction, r: &ShieldedRebuild) -> Result<()> {
    let number = r.number;
    let mut entries = wtx.open_table(SH_ENTRIES).map_err(db)?;
    let mut status = wtx.open_table(SH_STATUS).map_err(db)?;
    let old: Vec<(u64, u32)> = entries
        .range((number, 0)..=(number, u32::MAX))
        .map_err(db)?
        .map(|row| row.map(|(k, _)| k.value()).map_err(db))
        .collect::<Result<_>>()?;
    for k in old {
        entries.remove(k).map_err(db)?;
    }
    for (index, row) in r.entries.iter().enumerate() {
        let index = u32::try_from(index).map_err(|_| Error::Corrupt {
            table: "sh_entries",
            reason: "more than 2^32 entries".into(),
        })?;
        entries
            .insert((number, index), encode_row(&row.id, &row.data).as_slice())
            .map_err(db)?;
        let s = encode_status(&ShieldedStatus::Included {
            block: number,
            index,
        });
        status.insert(row.id.0, s.as_slice()).map_err(db)?;
    }
    let dropped = encode_status(&ShieldedStatus::Dropped {
        reason: ShieldedDropReason::Expired,
    });
    for id in &r.dropped {
        status.insert(id.0, dropped.as_slice()).map_err(db)?;
    }
    let mut nullifiers = wtx.open_table(NULLIFIERS).map_err(db)?;
    for nf in &r.freed {
        nullifiers.remove(u256_key(*nf)).map_err(db)?;
    }
    let mut frontiers = wtx.open_table(NOTE_FRONTIERS).map_err(db)?;
    match &r.frontier {
        Some(f) if f.is_consistent() => {
            frontiers
                .insert(number, encode_frontier(f).as_slice())
                .map_err(db)?;
        }
        Some(f) => {
            return Err(Error::Corrupt {
                table: "note_frontiers",
                reason: format!("{} nodes for {} leaves", f.nodes.len(), f.count),
            });
        }
        None => {
            frontiers.remove(number).map_err(db)?;
        }
    }
    Ok(())
}
