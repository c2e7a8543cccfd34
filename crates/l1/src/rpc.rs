//! The JSON-RPC L1: any Ethereum node through alloy, signing locally.

use alloy_network::{EthereumWallet, TransactionBuilder};
use alloy_primitives::{Address, Bytes, U256};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_transport::{RpcError, TransportError};

use crate::{Error, L1, L1Log, L1Receipt, L1Tx, LogFilter, Result};

/// Receipt polling interval for loopback endpoints.
const LOCAL_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(10);

/// An Ethereum JSON-RPC endpoint implementing [`L1`]. Transactions are signed locally with the
/// registered keys; the sender of each [`L1Tx`] picks the key.
///
/// Every transaction is simulated with `eth_call` first, so a contract rule that rejects it comes
/// back as [`Error::Reverted`] with the revert data and nothing is broadcast, as on the embedded
/// backend.
#[derive(Clone, Debug)]
pub struct RpcL1 {
    provider: DynProvider,
    senders: Vec<Address>,
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
        Ok(Self {
            provider: provider.erased(),
            senders,
        })
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
        if !self.senders.contains(&tx.from) {
            return Err(Error::UnknownSender(tx.from));
        }
        let req = self.request(&tx);
        self.provider.call(req.clone()).await.map_err(rpc_error)?;
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
        self.provider
            .call(self.request(&tx))
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
