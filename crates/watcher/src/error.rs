//! The crate's one error type: what can stop a round (L1, store, operator, configuration).

/// Errors of the watcher.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An L1 call or transaction failed.
    #[error("L1: {0}")]
    L1(#[from] debye_l1::Error),
    /// The watcher's store failed (I/O, corruption, another process holds it).
    #[error("store: {0}")]
    Store(String),
    /// A stored value could not be encoded or decoded.
    #[error("store encoding: {0}")]
    Encoding(#[from] serde_json::Error),
    /// The store was written for another chain or anchor.
    #[error("store belongs to chain {found}, not {expected}")]
    WrongChain {
        /// What the store holds.
        found: String,
        /// What this watcher follows.
        expected: String,
    },
    /// The operator's API could not be reached or answered garbage.
    #[error("operator API: {0}")]
    Operator(String),
    /// A protocol object (transaction, proof) was malformed.
    #[error("protocol: {0}")]
    Primitives(#[from] debye_primitives::Error),
    /// Bad configuration (ranges, keys, addresses).
    #[error("configuration: {0}")]
    Config(String),
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn store<E: Into<redb::Error>>(e: E) -> Error {
    Error::Store(e.into().to_string())
}
