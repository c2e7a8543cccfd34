//! The JSON-RPC L1: any Ethereum node through alloy, signing locally.

use std::{collections::HashMap, sync::Arc};

use alloy_network::{EthereumWallet, TransactionBuilder};
use alloy_primitives::{Address, Bytes, U256};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_transport::{RpcError, TransportError};
use tokio::sync::Mutex;
use tracing::{debug, warn};

use crate::{Error, L1, L1Log, L1Receipt, L1Tx, LogFilter, Result};

/// Receipt polling interval for loopback endpoints.
const LOCAL_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(10);

/// An Ethereum JSON-RPC endpoint implementing [`L1`]. Transactions are signed locally with the
/// registered keys; the sender of each [`L1Tx`] picks the key.
///
/// Every transaction is simulated with `eth_call` first, so a contract rule that rejects it comes
/// back as [`Error::Reverted`] with the revert data and nothing is broadcast, as on the embedded
/// backend.
///
/// Nonces and fees are managed here, per sender, one transaction in flight at a time: each send
/// reads the account's mined transaction count (`eth_getTransactionCount` at `latest`) and uses it
/// as the nonce. So a transaction that never got a receipt (the caller gave up waiting: dropped
/// from the node's pool, or stuck underpriced) leaves no gap: if it was dropped, the next send
/// reuses its nonce; if it is still pooled, the next send replaces it, with both EIP-1559 fees
/// raised by at least 25 % over the stuck one (nodes refuse replacements that pay
/// less than +10%). Clones share this state.
#[derive(Clone, Debug)]
pub struct RpcL1 {
    provider: DynProvider,
    /// Per sender: the lock that keeps one send in flight, and the last broadcast attempt.
    accounts: Arc<HashMap<Address, Mutex<Option<Attempt>>>>,
}

/// Percentage by which a replacement raises both fees of the transaction it replaces.
const FEE_BUMP_PERCENT: u128 = 25;

/// A broadcast transaction: its nonce and fees, to price a replacement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Attempt {
    nonce: u64,
    max_fee: u128,
    priority_fee: u128,
}

/// `fee` raised by [`FEE_BUMP_PERCENT`] (and by at least 1 wei).
fn bumped(fee: u128) -> u128 {
    fee.saturating_add((fee.saturating_mul(FEE_BUMP_PERCENT) / 100).max(1))
}

/// Fees for a transaction with `nonce`: the node's estimate, raised above `last` when `last` was
/// broadcast with the same nonce (the new transaction replaces it).
fn fees_for(nonce: u64, estimate: (u128, u128), last: Option<Attempt>) -> Attempt {
    let (mut max_fee, mut priority_fee) = estimate;
    if let Some(last) = last.filter(|a| a.nonce == nonce) {
        priority_fee = priority_fee.max(bumped(last.priority_fee));
        max_fee = max_fee.max(bumped(last.max_fee));
    }
    Attempt {
        nonce,
        max_fee: max_fee.max(priority_fee),
        priority_fee,
    }
}

impl RpcL1 {
    /// Connects to `url` (http) and signs with `signers`.
    pub fn connect(url: &str, signers: impl IntoIterator<Item = PrivateKeySigner>) -> Result<Self> {
        let url = url
            .parse()
            .map_err(|e| Error::Rpc(format!("bad RPC url {url:?}: {e}")))?;
        let mut signers = signers.into_iter();
        let first = signers
            .next()
            .ok_or(Error::Rpc("at least one signing key is needed".into()))?;
        let mut senders = vec![first.address()];
        let mut wallet = EthereumWallet::new(first);
        for signer in signers {
            senders.push(signer.address());
            wallet.register_signer(signer);
        }
        let provider = ProviderBuilder::new().wallet(wallet).connect_http(url);
        // A loopback node (anvil, a local devnet) mines at once: poll for receipts every 10 ms
        // instead of alloy's 250 ms, which otherwise dominates every test on anvil. Remote
        // endpoints keep alloy's default.
        if provider.client().is_local() {
            provider.client().set_poll_interval(LOCAL_POLL_INTERVAL);
        }
        let accounts = senders.iter().map(|a| (*a, Mutex::new(None))).collect();
        Ok(Self {
            provider: provider.erased(),
            accounts: Arc::new(accounts),
        })
    }

    /// The JSON-RPC provider (for calls this type does not wrap).
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    fn request(&self, tx: &L1Tx) -> TransactionRequest {
        let mut req = TransactionRequest::default()
            .with_from(tx.from)
            .with_value(tx.value)
            .with_input(tx.input.clone());
        match tx.to {
            Some(to) => req.set_to(to),
            None => req.set_create(),
        }
        if let Some(gas) = tx.gas_limit {
            req.set_gas_limit(gas);
        }
        req
    }
}

fn rpc_error(e: TransportError) -> Error {
    if let Some(data) = e.as_error_resp().and_then(|p| p.as_revert_data()) {
        return Error::Reverted { data };
    }
    match e {
        RpcError::ErrorResp(p) if p.message.contains("revert") => {
            Error::Reverted { data: Bytes::new() }
        }
        other => Error::Rpc(other.to_string()),
    }
}

impl L1 for RpcL1 {
    async fn chain_id(&self) -> Result<u64> {
        self.provider.get_chain_id().await.map_err(rpc_error)
    }

    async fn send(&self, tx: L1Tx) -> Result<L1Receipt> {
        let account = self
            .accounts
            .get(&tx.from)
            .ok_or(Error::UnknownSender(tx.from))?;
        // Held until the receipt comes (or the caller drops this future): one send in flight.
        let mut last = account.lock().await;
        let mut req = self.request(&tx);
        // Simulated and estimated on the mined state, like the nonce below: a stuck transaction
        // of ours that this one replaces must not count (alloy's defaults use the pending block).
        self.provider
            .call(req.clone())
            .block(BlockNumberOrTag::Latest.into())
            .await
            .map_err(rpc_error)?;
        if tx.gas_limit.is_none() {
            let gas = self
                .provider
                .estimate_gas(req.clone())
                .block(BlockNumberOrTag::Latest.into())
                .await
                .map_err(rpc_error)?;
            req.set_gas_limit(gas);
        }
        let nonce = self
            .provider
            .get_transaction_count(tx.from)
            .latest()
            .await
            .map_err(rpc_error)?;
        let estimate = self
            .provider
            .estimate_eip1559_fees()
            .await
            .map_err(rpc_error)?;
        let attempt = fees_for(
            nonce,
            (estimate.max_fee_per_gas, estimate.max_priority_fee_per_gas),
            *last,
        );
        if last.is_some_and(|a| a.nonce == nonce) {
            warn!(
                from = %tx.from,
                nonce,
                max_fee = attempt.max_fee,
                "an earlier L1 transaction with this nonce got no receipt; replacing it"
            );
        }
        debug!(from = %tx.from, nonce, "sending L1 transaction");
        // Recorded before broadcasting: if this future is dropped while waiting, the next send
        // knows what it has to outbid.
        *last = Some(attempt);
        let req = req
            .with_nonce(nonce)
            .with_max_fee_per_gas(attempt.max_fee)
            .with_max_priority_fee_per_gas(attempt.priority_fee);
        let pending = self
            .provider
            .send_transaction(req)
            .await
            .map_err(rpc_error)?;
        let receipt = pending
            .get_receipt()
            .await
            .map_err(|e| Error::Rpc(e.to_string()))?;
        if !receipt.status() {
            // Mined but reverted: the state moved between simulation and inclusion.
            return Err(Error::Reverted { data: Bytes::new() });
        }
        let block_number = receipt.block_number.unwrap_or_default();
        let logs = receipt
            .inner
            .logs()
            .iter()
            .map(|log| L1Log {
                address: log.address(),
                topics: log.topics().to_vec(),
                data: log.data().data.clone(),
                block_number,
                tx_hash: receipt.transaction_hash,
                log_index: log.log_index.unwrap_or_default(),
            })
            .collect();
        Ok(L1Receipt {
            tx_hash: receipt.transaction_hash,
            block_number,
            gas_used: receipt.gas_used,
            contract_address: receipt.contract_address,
            logs,
        })
    }

    async fn call(&self, tx: L1Tx) -> Result<Bytes> {
        // The latest mined state, as the trait says (alloy's default is the node's pending
        // block, where a pooled transaction would already count: a block submission still
        // waiting in the pool would read as committed).
        self.provider
            .call(self.request(&tx))
            .block(BlockNumberOrTag::Latest.into())
            .await
            .map_err(rpc_error)
    }

    async fn logs(&self, filter: LogFilter) -> Result<Vec<L1Log>> {
        let mut f = Filter::new()
            .address(filter.address)
            .from_block(filter.from_block);
        f = match filter.to_block {
            Some(to) => f.to_block(to),
            None => f.to_block(BlockNumberOrTag::Latest),
        };
        if !filter.event_signatures.is_empty() {
            f = f.event_signature(filter.event_signatures.clone());
        }
        let logs = self.provider.get_logs(&f).await.map_err(rpc_error)?;
        Ok(logs
            .into_iter()
            .map(|log| L1Log {
                address: log.address(),
                topics: log.topics().to_vec(),
                data: log.data().data.clone(),
                block_number: log.block_number.unwrap_or_default(),
                tx_hash: log.transaction_hash.unwrap_or_default(),
                log_index: log.log_index.unwrap_or_default(),
            })
            .collect())
    }

    async fn block_number(&self) -> Result<u64> {
        self.provider.get_block_number().await.map_err(rpc_error)
    }

    async fn timestamp(&self) -> Result<u64> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(rpc_error)?
            .ok_or(Error::Rpc("node has no latest block".into()))?;
        Ok(block.header.timestamp)
    }

    async fn balance(&self, account: Address) -> Result<U256> {
        self.provider.get_balance(account).await.map_err(rpc_error)
    }

    async fn nonce(&self, account: Address) -> Result<u64> {
        self.provider
            .get_transaction_count(account)
            .latest()
            .await
            .map_err(rpc_error)
    }

    async fn advance_time(&self, seconds: u64) -> Result<()> {
        let moved: Result<serde_json::Value, _> = self
            .provider
            .raw_request("evm_increaseTime".into(), (seconds,))
            .await;
        moved.map_err(|_| Error::DevOnly("advance_time"))?;
        let _: serde_json::Value = self
            .provider
            .raw_request("evm_mine".into(), ())
            .await
            .map_err(|_| Error::DevOnly("advance_time"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_outbids_the_stuck_transaction() {
        let first = fees_for(7, (100, 10), None);
        assert_eq!(
            first,
            Attempt {
                nonce: 7,
                max_fee: 100,
                priority_fee: 10
            }
        );
        // Same nonce, unchanged estimate: both fees +25 %.
        let second = fees_for(7, (100, 10), Some(first));
        assert_eq!((second.max_fee, second.priority_fee), (125, 12));
        // And again on top of the replacement.
        let third = fees_for(7, (100, 10), Some(second));
        assert_eq!((third.max_fee, third.priority_fee), (156, 15));
        // A higher estimate wins over the bump.
        assert_eq!(fees_for(7, (1_000, 50), Some(first)).max_fee, 1_000);
        // A new nonce starts from the estimate again.
        assert_eq!(fees_for(8, (100, 10), Some(third)).max_fee, 100);
        // Tiny fees still go up by at least 1 wei; max fee never below the tip.
        let tiny = fees_for(1, (0, 0), Some(fees_for(1, (0, 0), None)));
        assert_eq!((tiny.max_fee, tiny.priority_fee), (1, 1));
    }
}
