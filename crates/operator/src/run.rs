//! Running a node from a configuration: choosing the L1 backend, signals, shutdown.

use std::{sync::Arc, time::Duration};

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use debye_l1::{EmbeddedL1, RpcL1, contracts::DebyeChainClient};
use tracing::{error, info};

use crate::{Config, Error, L1Backend, Operator, Result};

/// Operator account on the embedded development L1 (it signs nothing: the embedded EVM takes
/// the sender as given).
pub const DEV_OPERATOR: Address = Address::new([0x0d; 20]);
/// Deployer account on the embedded development L1.
const DEV_DEPLOYER: Address = Address::new([0x0e; 20]);

/// The operator's L1 key: `DEBYE_OPERATOR_KEY`, else the configured key file.
fn operator_key(config: &Config) -> Result<PrivateKeySigner> {
    let text = match std::env::var("DEBYE_OPERATOR_KEY")
        .ok()
        .filter(|k| !k.is_empty())
    {
        Some(k) => k,
        None => {
            let path = config.l1.operator_key_file.as_ref().ok_or_else(|| {
                Error::Config("backend rpc needs DEBYE_OPERATOR_KEY or l1.operator_key_file".into())
            })?;
            std::fs::read_to_string(path)
                .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?
        }
    };
    text.trim()
        .trim_start_matches("0x")
        .parse()
        .map_err(|_| Error::Config("operator key is not a 32-byte hex private key".into()))
}

/// Starts a node as configured: on the embedded L1 (deploying a fresh anchor) or on a
/// JSON-RPC L1 with the operator key.
pub async fn start_from_config(config: Config) -> Result<Operator> {
    match config.l1.backend {
        L1Backend::Embedded => {
            let l1 = Arc::new(EmbeddedL1::new());
            let eth = U256::from(10u64).pow(U256::from(18u64));
            l1.fund(DEV_DEPLOYER, eth * U256::from(1_000u64));
            l1.fund(DEV_OPERATOR, eth * U256::from(1_000u64));
            let chain = DebyeChainClient::deploy(l1, DEV_DEPLOYER, DEV_OPERATOR).await?;
            info!(anchor = %chain.address(), "embedded L1: anchor deployed");
            Operator::start(config, chain, DEV_OPERATOR).await
        }
        L1Backend::Rpc => {
            let key = operator_key(&config)?;
            let operator = key.address();
            let url = config.l1.url.clone().unwrap_or_default();
            let anchor = config.l1.anchor.unwrap_or_default();
            let l1 = Arc::new(RpcL1::connect(&url, [key])?);
            let chain = DebyeChainClient::at(l1, anchor);
            let expected = chain.operator().await?;
            if expected != operator {
                return Err(Error::Config(format!(
                    "the anchor's operator is {expected}, the configured key is {operator}"
                )));
            }
            std::fs::create_dir_all(&config.data_dir)?;
            let store = Arc::new(debye_storage::RedbStore::open(config.store_path())?);
            // No reconnect hook: RpcL1 reads the nonce afresh for every send and outbids its own
            // stuck transactions, state a fresh client would lose.
            Operator::start_with(config, store, chain, operator, None).await
        }
    }
}

/// Runs a node until SIGINT or SIGTERM (then stops gracefully) or until a part of it fails.
pub async fn run(config: Config) -> Result<()> {
    let mut node = start_from_config(config).await?;
    let outcome = tokio::select! {
        r = shutdown_signal() => r.map(|()| None),
        e = node.failed() => Ok(Some(e)),
    };
    let stopped = node.shutdown(Duration::from_secs(10)).await;
    match outcome {
        Ok(None) => stopped,
        Ok(Some(e)) => {
            error!(error = %e, "operator failed");
            Err(e)
        }
        Err(e) => Err(e),
    }
}

async fn shutdown_signal() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    info!("signal received");
    Ok(())
}

/// Runs `fut` on a fresh multi-threaded runtime on its own thread (callers may be inside another
/// runtime, e.g. the `debye` binary's).
pub(crate) fn on_runtime<T: Send + 'static>(
    fut: impl std::future::Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    std::thread::Builder::new()
        .name("debye-operator".into())
        .spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(Error::Io)?
                .block_on(fut)
        })?
        .join()
        .map_err(|_| Error::Internal("operator thread panicked".into()))?
}

/// [`run`] on its own multi-threaded runtime, blocking the caller.
pub fn run_blocking(config: Config) -> Result<()> {
    on_runtime(run(config))
}
