//! Durable storage for the Debye operator.
//!
//! [`Store`] (in [`store`]) is the storage contract the operator codes against: accepted
//! transactions, blocks, the range-ownership index, deposits, exits and the L1 submission state,
//! each change applied atomically. [`RedbStore`] (in [`redb_store`]) implements it on an embedded
//! ACID [redb](https://docs.rs/redb) file; a server database can implement the same trait later.
//!
//! Every write method commits durably (fsync) before it returns, so what the operator
//! acknowledges survives a crash. The schema is versioned ([`SCHEMA_VERSION`]): opening a file
//! written with another version fails with [`Error::SchemaMismatch`], except versions 2 and 3,
//! which are migrated in place.

mod codec;
mod error;
mod redb_shielded;
pub mod redb_store;
pub mod shielded;
pub mod store;

pub use error::{Error, Result};
pub use redb_store::{DEFAULT_INDEX_BATCH, RedbStore};
pub use shielded::{
    NoteFrontier, PendingShielded, ShieldedCommit, ShieldedDepositEntry, ShieldedDropReason,
    ShieldedExitEntry, ShieldedRebuild, ShieldedRow, ShieldedStatus,
};
pub use store::{
    AccumulatorStep, BlockCommit, ChainIdentity, DepositEntry, DropReason, ExitEntry, L1Events,
    Origin, PendingTx, RangeDelta, RangeRecord, Store, SubmissionState, TxStatus,
};

/// Version of the on-disk layout; bumped on every incompatible change. 2: headers are the
/// 11-field, 352-byte encoding (docs/formats.md §7); a version-1 file cannot be migrated (its
/// headers lack the timestamp and shielded fields, and their hashes are what an old anchor
/// committed), so it is refused.
/// 3: the shielded tables (pool, block entries, nullifier set, note frontiers); a version-2 file
/// is migrated in place when opened (the tables are created empty: no version-2 block had a
/// shielded entry).
/// 4: the queues imported from the L1 shielded pool (deposits not yet appended, the nullifiers
/// of imported exits, the count of imported exits); a version-2 or -3 file is migrated in place
/// (the new tables are created empty: no earlier operator imported from the pool).
pub const SCHEMA_VERSION: u32 = 4;
