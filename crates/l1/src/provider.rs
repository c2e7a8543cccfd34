use std::future::Future;

use alloy_primitives::{Address, Bytes, U256};

use crate::{L1Log, L1Receipt, L1Tx, LogFilter, Result};

/// Access to an Ethereum L1, implemented by an embedded EVM and by JSON-RPC.
///
/// Reverts are errors ([`crate::Error::Reverted`]) on both backends and leave no state change
/// behind, so callers handle a failed contract rule the same way whichever L1 they run on.
pub trait L1: Send + Sync {
    /// The chain id (EIP-155), which EIP-712 domains bind to.
    fn chain_id(&self) -> impl Future<Output = Result<u64>> + Send;

    /// Sends a transaction and waits until it is mined.
    fn send(&self, tx: L1Tx) -> impl Future<Output = Result<L1Receipt>> + Send;

    /// Executes a read-only call against the latest state.
    fn call(&self, tx: L1Tx) -> impl Future<Output = Result<Bytes>> + Send;

    /// Logs matching `filter`, in chain order.
    fn logs(&self, filter: LogFilter) -> impl Future<Output = Result<Vec<L1Log>>> + Send;

    /// Number of the latest block.
    fn block_number(&self) -> impl Future<Output = Result<u64>> + Send;

    /// Timestamp of the latest block, in seconds.
    fn timestamp(&self) -> impl Future<Output = Result<u64>> + Send;

    /// Wei balance of `account`.
    fn balance(&self, account: Address) -> impl Future<Output = Result<U256>> + Send;

    /// Transactions `account` has had mined (its next nonce, ignoring any still pending): what
    /// a deployment needs to know the address its next creations get.
    fn nonce(&self, account: Address) -> impl Future<Output = Result<u64>> + Send;

    /// Development chains only: moves the clock forward by `seconds` and mines a block, so
    /// challenge and exit periods elapse in tests. Other chains answer [`crate::Error::DevOnly`].
    fn advance_time(&self, seconds: u64) -> impl Future<Output = Result<()>> + Send;
}

/// Shared handles to an L1 are L1s too, so one backend can serve many clients.
macro_rules! forward_l1 {
    ($($ty:ty),*) => {$(
        impl<T: L1> L1 for $ty {
            fn chain_id(&self) -> impl Future<Output = Result<u64>> + Send {
                (**self).chain_id()
            }
            fn send(&self, tx: L1Tx) -> impl Future<Output = Result<L1Receipt>> + Send {
                (**self).send(tx)
            }
            fn call(&self, tx: L1Tx) -> impl Future<Output = Result<Bytes>> + Send {
                (**self).call(tx)
            }
            fn logs(&self, filter: LogFilter) -> impl Future<Output = Result<Vec<L1Log>>> + Send {
                (**self).logs(filter)
            }
            fn block_number(&self) -> impl Future<Output = Result<u64>> + Send {
                (**self).block_number()
            }
            fn timestamp(&self) -> impl Future<Output = Result<u64>> + Send {
                (**self).timestamp()
            }
            fn balance(&self, account: Address) -> impl Future<Output = Result<U256>> + Send {
                (**self).balance(account)
            }
            fn nonce(&self, account: Address) -> impl Future<Output = Result<u64>> + Send {
                (**self).nonce(account)
            }
            fn advance_time(&self, seconds: u64) -> impl Future<Output = Result<()>> + Send {
                (**self).advance_time(seconds)
            }
        }
    )*};
}

forward_l1!(std::sync::Arc<T>, &T);
