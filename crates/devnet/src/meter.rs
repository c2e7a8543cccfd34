//! An [`L1`] that remembers the receipt of every transaction sent through it, so the story can
//! say what each step cost on L1 even when the real operator or watcher sent it.

use std::sync::Mutex;

use alloy_primitives::{Address, Bytes, U256};
use debye_l1::{EmbeddedL1, L1, L1Log, L1Receipt, L1Tx, LogFilter, Result};

/// A sent transaction: who sent it, its 4-byte selector and calldata, and its receipt.
#[derive(Clone, Debug)]
pub(crate) struct Sent {
    pub(crate) from: Address,
    pub(crate) input: Bytes,
    pub(crate) receipt: L1Receipt,
}

impl Sent {
    pub(crate) fn selector(&self) -> Option<[u8; 4]> {
        self.input.get(..4).and_then(|s| s.try_into().ok())
    }
}

/// The embedded EVM with a log of what was sent.
#[derive(Debug, Default)]
pub(crate) struct Metered {
    inner: EmbeddedL1,
    sent: Mutex<Vec<Sent>>,
}

impl Metered {
    pub(crate) fn fund(&self, account: Address, wei: U256) {
        self.inner.fund(account, wei);
    }

    /// Every transaction sent so far, oldest first.
    pub(crate) fn sent(&self) -> Vec<Sent> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl L1 for Metered {
    async fn chain_id(&self) -> Result<u64> {
        self.inner.chain_id().await
    }

    async fn send(&self, tx: L1Tx) -> Result<L1Receipt> {
        let (from, input) = (tx.from, tx.input.clone());
        let receipt = self.inner.send(tx).await?;
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(Sent {
                from,
                input,
                receipt: receipt.clone(),
            });
        }
        Ok(receipt)
    }

    async fn call(&self, tx: L1Tx) -> Result<Bytes> {
        self.inner.call(tx).await
    }

    async fn logs(&self, filter: LogFilter) -> Result<Vec<L1Log>> {
        self.inner.logs(filter).await
    }

    async fn block_number(&self) -> Result<u64> {
        self.inner.block_number().await
    }

    async fn timestamp(&self) -> Result<u64> {
        self.inner.timestamp().await
    }

    async fn balance(&self, account: Address) -> Result<U256> {
        self.inner.balance(account).await
    }

    async fn nonce(&self, account: Address) -> Result<u64> {
        self.inner.nonce(account).await
    }

    async fn advance_time(&self, seconds: u64) -> Result<()> {
        self.inner.advance_time(seconds).await
    }
}
