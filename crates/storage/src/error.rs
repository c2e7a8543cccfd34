/// Errors from the operator's storage.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The underlying database failed (I/O, corruption detected by the engine, lock held).
    #[error("database error: {0}")]
    Db(#[from] redb::Error),
    /// The file was written with another schema version.
    #[error(
        "storage schema version {found} found, this build expects {expected}; migrate or use a fresh file"
    )]
    SchemaMismatch {
        /// Version stored in the file.
        found: u32,
        /// Version this build writes.
        expected: u32,
    },
    /// A stored value could not be decoded (corruption or a bug).
    #[error("corrupt stored value in {table}: {reason}")]
    Corrupt {
        /// Table holding the value.
        table: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// A block spends a nullifier already in the set (docs/shielded.md S-4.3); the block was not
    /// stored.
    #[error("nullifier {nullifier:#x} was already spent in block {block}")]
    NullifierSpent {
        /// The nullifier.
        nullifier: alloy_primitives::U256,
        /// The block that spent it.
        block: u64,
    },
    /// A block spends a nullifier an imported L1 exit holds (docs/shielded.md S-4.3, F5); the
    /// block was not stored.
    #[error("nullifier {nullifier:#x} is held by imported L1 exit {exit}")]
    NullifierExited {
        /// The nullifier.
        nullifier: alloy_primitives::U256,
        /// The exit's index in L1's queue.
        exit: u32,
    },
    /// A block appends an L1 deposit that is not next in the imported queue.
    #[error("deposit {index} is not next in the imported deposit queue")]
    DepositQueue {
        /// The deposit's index.
        index: u32,
    },
    /// A block was committed out of order (its number is not the tip's successor).
    #[error("block {got} does not follow the stored tip (expected {expected})")]
    OutOfOrder {
        /// Number expected next.
        expected: u64,
        /// Number given.
        got: u64,
    },
    /// Replacement headers that are not stored blocks in order, each extending the one before.
    #[error("cannot replace header {number}: {reason}")]
    Restamp {
        /// Block number of the offending header.
        number: u64,
        /// What was wrong.
        reason: &'static str,
    },
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Converts any redb error into [`Error::Db`].
pub(crate) fn db<E: Into<redb::Error>>(e: E) -> Error {
    Error::Db(e.into())
}
