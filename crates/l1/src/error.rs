use alloy_primitives::Bytes;

/// Errors from L1 access.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The EVM reverted the call or transaction; `data` is the raw revert payload (decode it with
    /// the contracts' error types, e.g. with `contracts::Revert::decode`).
    #[error("L1 call reverted ({})", crate::bindings::Revert::decode(.data))]
    Reverted {
        /// ABI-encoded revert reason or custom error.
        data: Bytes,
    },
    /// The EVM halted abnormally (out of gas, invalid opcode, ...).
    #[error("L1 call halted: {0}")]
    Halted(String),
    /// The transaction could not be executed at all (bad nonce, insufficient funds for value, ...).
    #[error("L1 transaction rejected: {0}")]
    Rejected(String),
    /// The JSON-RPC transport or node failed.
    #[error("L1 RPC error: {0}")]
    Rpc(String),
    /// No signing key is registered for the sender.
    #[error("no signing key for L1 account {0}")]
    UnknownSender(alloy_primitives::Address),
    /// A response from the contract could not be decoded with the committed ABI.
    #[error("cannot decode L1 data: {0}")]
    Decode(#[from] alloy_sol_types::Error),
    /// The operation only exists on development chains (time travel, funding accounts).
    #[error("{0} is only available on development chains")]
    DevOnly(&'static str),
    /// A local process (e.g. an anvil node) could not be started or reached.
    #[error("process error: {0}")]
    Process(String),
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
