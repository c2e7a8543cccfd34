use debye_rpc_api::{ApiError, ErrorCode};

/// Errors of the operator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file or an environment override is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// Storage failed; the node stops rather than diverge from its durable state.
    #[error("storage: {0}")]
    Storage(#[from] debye_storage::Error),
    /// L1 access failed.
    #[error("L1: {0}")]
    L1(#[from] debye_l1::Error),
    /// The store belongs to another chain or anchor than the configured one.
    #[error(
        "store belongs to chain {stored_chain} anchor {stored_anchor}, configured {chain} {anchor}"
    )]
    WrongChain {
        /// Chain id in the store.
        stored_chain: u64,
        /// Anchor in the store.
        stored_anchor: alloy_primitives::Address,
        /// Configured chain id.
        chain: u64,
        /// Configured anchor.
        anchor: alloy_primitives::Address,
    },
    /// L1 holds a commitment that differs from (or is missing in) the local store: the store is
    /// stale (restored from an old backup) or another key submitted blocks. Needs an operator.
    #[error("L1 commitment of block {number} is {l1} but the store has {local}")]
    CommitmentMismatch {
        /// Block number.
        number: u64,
        /// Hash on L1.
        l1: alloy_primitives::B256,
        /// Hash in the store (zero: block missing locally).
        local: alloy_primitives::B256,
    },
    /// A transaction was rejected; carries the API error answered to the client.
    #[error("rejected: {}", .0.code.message())]
    Rejected(ApiError),
    /// An I/O failure (sockets, files).
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// An internal invariant broke (a bug); the node stops.
    #[error("internal: {0}")]
    Internal(String),
    /// The node is shutting down.
    #[error("shutting down")]
    ShuttingDown,
    /// Shutdown stopped every part of the node, but the store was still referenced once the
    /// wait for it to close ran out: the database is still open, and opening it again (a
    /// restart in this process) would fail. A caller of `Operator::start_with_store` that kept a
    /// clone of the store does this.
    #[error("the store is still open after shutdown ({references} other references)")]
    StoreStillOpen {
        /// References to the store other than the node's own when the wait ran out.
        references: usize,
    },
}

impl Error {
    /// The API error this error is answered with.
    pub fn to_api(&self) -> ApiError {
        match self {
            Self::Rejected(e) => e.clone(),
            Self::ShuttingDown => ApiError::new(ErrorCode::Unavailable),
            other => ApiError::with_data(ErrorCode::Internal, other.to_string()),
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
