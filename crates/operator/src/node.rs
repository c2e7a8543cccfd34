//! The running node, wiring only: start-up (recovery and L1 reconciliation), the tasks it owns
//! (the sequencer thread, the submitter, L1 sync, the block ticker, the metrics endpoint and the
//! API) and shutdown.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use alloy_primitives::{Address, B256};
use debye_l1::{L1, contracts::DebyeChainClient};
use debye_primitives::{Eip712Domain, SignedTransaction, tx};
use debye_rpc_api::{ApiError, types::ChainStatus};
use debye_storage::{ChainIdentity, ExitEntry, RedbStore, Store};
use tokio::sync::{mpsc, watch};
use tracing::{error, info, warn};

use crate::{
    Config, Error, Result,
    accumulator::AccumulatorService,
    command::Commands,
    http,
    metrics::{self, Metrics},
    rpc,
    sequencer::Sequencer,
    state::NodeState,
    submitter::{Reconnect, Submitter},
    sync,
};

/// How long [`Operator::shutdown`] waits, once every part of the node has stopped, for the last
/// other reference to the store to go. A thread that has let go of the node may still be dropping
/// its part of it (an API connection ending), so the wait is normally a few milliseconds; this
/// bound only turns a reference that is never dropped into [`Error::StoreStillOpen`].
const STORE_CLOSE_PATIENCE: Duration = Duration::from_secs(5);

/// A running operator node.
pub struct Operator {
    state: Arc<NodeState>,
    commands: Commands,
    stop: watch::Sender<bool>,
    fatal: mpsc::UnboundedReceiver<Error>,
    rpc: Option<(jsonrpsee::server::ServerHandle, SocketAddr)>,
    metrics_addr: Option<SocketAddr>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    sequencer: Option<std::thread::JoinHandle<Result<()>>>,
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator")
            .field("status", &self.state.status())
            .finish_non_exhaustive()
    }
}

impl Operator {
    /// Opens the store, recovers, reconciles with L1, then starts the sequencer, the L1 tasks,
    /// the metrics endpoint and the JSON-RPC server. `operator` is the L1 account that submits
    /// blocks (the backend must be able to sign for it).
    pub async fn start<L: L1 + Clone + 'static>(
        config: Config,
        chain: DebyeChainClient<L>,
        operator: Address,
    ) -> Result<Self> {
        std::fs::create_dir_all(&config.data_dir)?;
        let store: Arc<dyn Store> = Arc::new(RedbStore::open(config.store_path())?);
        Self::start_with_store(config, store, chain, operator).await
    }

    /// [`Operator::start`] on an already opened store. The node takes it: keep no clone, since
    /// [`Operator::shutdown`] closes it and reports [`Error::StoreStillOpen`] while another
    /// reference is alive.
    pub async fn start_with_store<L: L1 + Clone + 'static>(
        config: Config,
        store: Arc<dyn Store>,
        chain: DebyeChainClient<L>,
        operator: Address,
    ) -> Result<Self> {
        Self::start_with(config, store, chain, operator, None).await
    }

    /// [`Operator::start_with_store`] with a way to build a fresh L1 client, used after a block
    /// submission that neither succeeded nor landed (see [`Reconnect`]). The node takes `store`
    /// as there.
    pub async fn start_with<L: L1 + Clone + 'static>(
        config: Config,
        store: Arc<dyn Store>,
        chain: DebyeChainClient<L>,
        operator: Address,
        reconnect: Option<Reconnect<L>>,
    ) -> Result<Self> {
        let chain_id = chain.l1().chain_id().await?;
        let identity = ChainIdentity {
            chain_id,
            anchor: chain.address(),
        };
        match store.chain_identity()? {
            None => store.set_chain_identity(&identity)?,
            Some(stored) if stored != identity => {
                return Err(Error::WrongChain {
                    stored_chain: stored.chain_id,
                    stored_anchor: stored.anchor,
                    chain: chain_id,
                    anchor: chain.address(),
                });
            }
            Some(_) => {}
        }
        let domain = tx::domain(chain_id, chain.address());
        let metrics = Arc::new(Metrics::default());
        let accumulator = if config.accumulator.enabled {
            Some(AccumulatorService::start(
                &store,
                config.accumulator.max_lag,
                Arc::clone(&metrics),
            )?)
        } else {
            None
        };
        let shielded = match config.shielded.pool {
            Some(pool) => Some(Arc::new(
                crate::shielded::service::ShieldedService::insecure_dev(
                    crate::shielded::rules::ChainRules { chain_id, pool },
                )
                .map_err(|e| Error::Internal(format!("shielded verifying key: {e}")))?,
            )),
            None => None,
        };
        let (state, tip_rx) = NodeState::new(config, store, identity, domain, metrics, accumulator);
        let state = Arc::new(state.with_shielded(shielded));
        let sequencer = Sequencer::recover(state.clone())?;
        let (stop, stop_rx) = watch::channel(false);
        let (fatal_tx, fatal) = mpsc::unbounded_channel();

        // The sequencer runs first: the startup reconciliation may ask it to re-stamp stored
        // blocks whose timestamps L1 would now refuse. Nothing else reaches it until the API
        // and the ticker start below.
        let (commands, rx) = Commands::channel(64 * 1024);
        let seq_fatal = fatal_tx.clone();
        let sequencer = std::thread::Builder::new()
            .name("debye-sequencer".into())
            .spawn(move || {
                let r = sequencer.run(rx);
                if let Err(e) = &r {
                    error!(error = %e, "sequencer failed");
                    let _ = seq_fatal.send(Error::Internal(e.to_string()));
                }
                r
            })?;

        // Reconcile with L1 before serving: resubmits stored blocks L1 lacks, and refuses to
        // run on a store that disagrees with L1.
        let mut submitter = Submitter::new(
            state.clone(),
            chain.clone(),
            commands.clone(),
            operator,
            reconnect,
        );
        if let Err(e) = submitter.reconcile(&stop_rx).await {
            commands.shutdown().await;
            let _ = sequencer.join();
            return Err(e);
        }

        let tasks = vec![
            tokio::spawn(submitter.run(tip_rx, stop_rx.clone(), fatal_tx.clone())),
            tokio::spawn(sync::sync_loop(
                state.clone(),
                chain,
                commands.clone(),
                stop_rx.clone(),
                fatal_tx.clone(),
            )),
            tokio::spawn(ticker(
                state.config().block_interval(),
                commands.clone(),
                stop_rx.clone(),
            )),
        ];
        let metrics_addr = match state.config().metrics_addr {
            Some(addr) => {
                Some(metrics::serve(addr, state.metrics().clone(), stop_rx.clone()).await?)
            }
            None => None,
        };
        let (builder, methods) = rpc::service(&state, commands.clone())?;
        let rpc = http::serve(state.clone(), builder, methods).await?;
        info!(rpc = %rpc.1, chain_id, anchor = %state.identity().anchor, "operator running");
        Ok(Self {
            state,
            commands,
            stop,
            fatal,
            rpc: Some(rpc),
            metrics_addr,
            tasks,
            sequencer: Some(sequencer),
        })
    }

    /// Address the JSON-RPC server listens on.
    pub fn rpc_addr(&self) -> Option<SocketAddr> {
        self.rpc.as_ref().map(|(_, a)| *a)
    }

    /// Address of the metrics endpoint, when enabled.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The EIP-712 domain transactions must be signed for.
    pub fn domain(&self) -> &Eip712Domain {
        self.state.domain()
    }

    /// Blocks the history accumulator has folded in (`None` when it is disabled).
    pub(crate) fn accumulator_height(&self) -> Option<u64> {
        self.state.accumulator().map(|a| a.height())
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        self.state.metrics()
    }

    /// The chain as the node sees it.
    pub fn status(&self) -> ChainStatus {
        self.state.status()
    }

    /// Submits a transaction in-process (the same path as `debye_submitTransaction`).
    pub async fn submit(&self, stx: SignedTransaction) -> Result<B256, ApiError> {
        self.commands
            .submit(&self.state, stx)
            .await
            .map_err(ApiError::from)
    }

    /// Builds a block from the pending transactions now; returns its number (`None`: nothing
    /// was pending).
    pub async fn flush(&self) -> Result<Option<u64>> {
        self.commands.flush().await
    }

    /// Applies exits from a source other than the anchor's `ExitFinalized` events (which the node
    /// follows itself): coins in these ranges become unspendable and pending transactions spending
    /// them are dropped.
    pub async fn report_exits(&self, exits: Vec<ExitEntry>, next_l1_block: u64) -> Result<()> {
        self.commands
            .l1_events(
                Vec::new(),
                exits,
                Vec::new(),
                Default::default(),
                next_l1_block,
            )
            .await
    }

    /// Waits until a background part of the node fails (the error) — or forever.
    pub async fn failed(&mut self) -> Error {
        self.fatal.recv().await.unwrap_or(Error::ShuttingDown)
    }

    /// Stops gracefully: refuses new transactions, stops the API, lets the sequencer finish the
    /// batch or block in progress, gives L1 submission `grace` to finish, then closes the store.
    /// Whatever is not on L1 yet is submitted at the next start.
    ///
    /// When this returns `Ok` the store is closed (the database dropped), so it can be opened
    /// again at once. If a reference to it outlives every part of the node for
    /// `STORE_CLOSE_PATIENCE` (5 s), this fails with [`Error::StoreStillOpen`] instead. A
    /// failure of the sequencer is reported in preference to that.
    pub async fn shutdown(mut self, grace: Duration) -> Result<()> {
        info!("shutting down");
        self.state.stop_accepting();
        if let Some((handle, _)) = self.rpc.take() {
            let _ = handle.stop();
            handle.stopped().await;
        }
        // Let the submitter push what is stored, within the grace period.
        let deadline = tokio::time::Instant::now() + grace;
        while tokio::time::Instant::now() < deadline {
            if self.state.l1_committed() >= self.state.tip_number() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = self.stop.send(true);
        for mut t in self.tasks.drain(..) {
            // A task stuck in an L1 call is aborted, so that none outlives this call holding
            // the store.
            if tokio::time::timeout(Duration::from_secs(5), &mut t)
                .await
                .is_err()
            {
                t.abort();
                let _ = t.await;
            }
        }
        self.commands.shutdown().await;
        let result = match self.sequencer.take() {
            Some(handle) => tokio::task::spawn_blocking(move || handle.join())
                .await
                .map_err(|e| Error::Internal(e.to_string()))?
                .map_err(|_| Error::Internal("sequencer panicked".into()))?,
            None => Ok(()),
        };
        // The store must be closed when this returns (a restart opens it at once). The
        // accumulator lets it go once its worker has written the step in progress and any
        // exclusion proof has read its products (a proof outlives its API call when the client
        // goes away).
        if let Some(acc) = self.state.accumulator().cloned() {
            tokio::task::spawn_blocking(move || acc.stop())
                .await
                .map_err(|e| Error::Internal(e.to_string()))?;
        }
        let store = Arc::clone(self.state.store());
        drop(self);
        let closed = close_store(store).await;
        info!("stopped");
        result.and(closed)
    }
}

/// Waits until `store` is the last reference to the store, then drops it, closing the database.
/// Nothing can take a new reference meanwhile: every part of the node has stopped, and the
/// accumulator's weak handle is gone ([`AccumulatorService::stop`]). The reference is dropped
/// here rather than left to whichever thread let go last: dropping the last one closes the
/// database, and only then is it closed.
async fn close_store(store: Arc<dyn Store>) -> Result<()> {
    let deadline = tokio::time::Instant::now() + STORE_CLOSE_PATIENCE;
    let mut pause = Duration::from_millis(1);
    while Arc::strong_count(&store) > 1 {
        if tokio::time::Instant::now() >= deadline {
            let references = Arc::strong_count(&store) - 1;
            error!(references, "the store is still referenced after shutdown");
            return Err(Error::StoreStillOpen { references });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
    // Closing may write (redb records a clean shutdown): off the async threads.
    tokio::task::spawn_blocking(move || drop(store))
        .await
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Tells the sequencer every `interval` that a block is due, until `stop`.
async fn ticker(interval: Duration, commands: Commands, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if !commands.tick().await {
                    warn!("block ticker stopped: the sequencer is gone");
                    return;
                }
            }
            _ = stop.changed() => break,
        }
    }
    info!("block ticker stopped");
}
