//! The running node: shared state, start-up (recovery and L1 reconciliation), the background
//! tasks and shutdown.

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use alloy_primitives::{Address, B256};
use debye_l1::{L1, contracts::DebyeChainClient};
use debye_primitives::{BlockHeader, Eip712Domain, SignedTransaction, SumMerkleTree, tx};
use debye_rpc_api::{ApiError, ErrorCode, types::ChainStatus};
use debye_storage::{ChainIdentity, ExitEntry, RedbStore, Store};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{error, info, warn};

use crate::{
    Config, Error, Result,
    accumulator::AccumulatorService,
    ledger::Ledger,
    metrics::{self, Metrics},
    rpc,
    sequencer::{Command, Sequencer, Submission},
    sync::{self, Reconnect},
};

/// Blocks whose trees are kept in memory for proofs.
const TREE_CACHE: usize = 16;

/// How long [`Operator::shutdown`] waits, once every part of the node has stopped, for the last
/// other reference to the store to go. A thread that has let go of the node may still be dropping
/// its part of it (an API connection ending), so the wait is normally a few milliseconds; this
/// bound only turns a reference that is never dropped into [`Error::StoreStillOpen`].
const STORE_CLOSE_PATIENCE: Duration = Duration::from_secs(5);

/// A block's tree and where each transaction sits, for proofs.
#[derive(Debug)]
pub(crate) struct BlockIndex {
    pub(crate) tree: Arc<SumMerkleTree>,
    pub(crate) positions: HashMap<B256, u32>,
}

/// State shared by the sequencer, the API and the L1 tasks.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) ledger: RwLock<Ledger>,
    pub(crate) domain: Eip712Domain,
    /// `domain.separator()`, computed once for the submission path.
    pub(crate) separator: B256,
    pub(crate) identity: ChainIdentity,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) mempool_len: AtomicU64,
    pub(crate) l1_committed: AtomicU64,
    pub(crate) accepting: AtomicBool,
    /// The history accumulator (`None` when disabled in the config).
    pub(crate) accumulator: Option<Arc<AccumulatorService>>,
    tip: Mutex<Option<BlockHeader>>,
    tip_tx: watch::Sender<u64>,
    trees: Mutex<VecDeque<(u64, Arc<BlockIndex>)>>,
}

impl Shared {
    pub(crate) fn set_tip(&self, tip: Option<&BlockHeader>) {
        if let Ok(mut t) = self.tip.lock() {
            *t = tip.copied();
        }
        self.tip_tx.send_replace(tip.map_or(0, |h| h.number));
    }

    pub(crate) fn tip(&self) -> Option<BlockHeader> {
        self.tip.lock().ok().and_then(|t| *t)
    }

    pub(crate) fn cache_tree(&self, number: u64, index: BlockIndex) {
        if let Ok(mut trees) = self.trees.lock() {
            trees.push_back((number, Arc::new(index)));
            while trees.len() > TREE_CACHE {
                trees.pop_front();
            }
        }
    }

    /// The tree and positions of block `number` (cached; rebuilt from the store on a miss).
    pub(crate) fn block_index(&self, number: u64) -> Result<Option<Arc<BlockIndex>>> {
        if let Ok(trees) = self.trees.lock()
            && let Some((_, idx)) = trees.iter().find(|(n, _)| *n == number)
        {
            return Ok(Some(idx.clone()));
        }
        if self.store.header(number)?.is_none() {
            return Ok(None);
        }
        let txs = self.store.block_txs(number)?;
        let mut positions = HashMap::with_capacity(txs.len());
        let mut entries = Vec::with_capacity(txs.len());
        for (i, (id, stx)) in txs.iter().enumerate() {
            positions.insert(*id, u32::try_from(i).unwrap_or(u32::MAX));
            entries.extend(stx.transaction.coin_ranges().into_iter().map(|r| (r, *id)));
        }
        let tree = SumMerkleTree::build(entries)
            .map_err(|e| Error::Internal(format!("stored block {number} does not build: {e}")))?;
        let idx = Arc::new(BlockIndex {
            tree: Arc::new(tree),
            positions,
        });
        if let Ok(mut trees) = self.trees.lock() {
            trees.push_back((number, idx.clone()));
            while trees.len() > TREE_CACHE {
                trees.pop_front();
            }
        }
        Ok(Some(idx))
    }

    pub(crate) fn status(&self) -> ChainStatus {
        let tip = self.tip();
        ChainStatus {
            chain_id: self.identity.chain_id,
            anchor: self.identity.anchor,
            tip: tip.map_or(0, |h| h.number),
            tip_hash: tip.map_or(B256::ZERO, |h| h.hash()),
            l1_committed: self.l1_committed.load(Ordering::Relaxed),
            mempool_size: self.mempool_len.load(Ordering::Relaxed),
            next_block: tip.map_or(1, |h| h.number.saturating_add(1)),
        }
    }
}

/// Maps a failed stateless check to the API error.
pub(crate) fn invalid_tx(e: &debye_primitives::Error) -> ApiError {
    let code = match e.code() {
        "SignatureCount"
        | "InvalidSignatureEncoding"
        | "HighS"
        | "InvalidSignature"
        | "WrongSigner" => ErrorCode::InvalidSignature,
        _ => ErrorCode::InvalidTransaction,
    };
    ApiError::with_data(
        code,
        serde_json::json!({ "reason": e.code(), "message": e.to_string() }),
    )
}

/// Verifies `stx` on the caller's thread, then hands it to the sequencer and waits until it is
/// durable (or rejected).
pub(crate) async fn submit(
    shared: &Shared,
    commands: &mpsc::Sender<Command>,
    stx: SignedTransaction,
) -> Result<B256, ApiError> {
    if !shared.accepting.load(Ordering::Relaxed) {
        return Err(ApiError::new(ErrorCode::Unavailable));
    }
    let tx_id = match stx.verify_with_separator(&shared.separator) {
        Ok(id) => id,
        Err(e) => {
            shared.metrics.txs_rejected.fetch_add(1, Ordering::Relaxed);
            return Err(invalid_tx(&e));
        }
    };
    let (reply, answer) = oneshot::channel();
    commands
        .send(Command::Submit(Submission {
            tx_id,
            tx: stx,
            reply,
        }))
        .await
        .map_err(|_| ApiError::new(ErrorCode::Unavailable))?;
    answer
        .await
        .map_err(|_| ApiError::new(ErrorCode::Unavailable))?
}

/// A running operator node.
pub struct Operator {
    shared: Arc<Shared>,
    commands: mpsc::Sender<Command>,
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
            .field("status", &self.shared.status())
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
        let (tip_tx, tip_rx) = watch::channel(0);
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
        let shared = Arc::new(Shared {
            accumulator,
            separator: domain.separator(),
            domain,
            identity,
            store,
            ledger: RwLock::new(Ledger::default()),
            metrics,
            mempool_len: AtomicU64::new(0),
            l1_committed: AtomicU64::new(0),
            accepting: AtomicBool::new(true),
            tip: Mutex::new(None),
            tip_tx,
            trees: Mutex::new(VecDeque::new()),
            config,
        });
        let sequencer = Sequencer::recover(shared.clone())?;
        let (stop, stop_rx) = watch::channel(false);
        let (fatal_tx, fatal) = mpsc::unbounded_channel();

        // Reconcile with L1 before serving: resubmits stored blocks L1 lacks, and refuses to
        // run on a store that disagrees with L1.
        let mut submitter =
            sync::Submitter::new(shared.clone(), chain.clone(), operator, reconnect);
        submitter.reconcile(&stop_rx).await?;

        let (commands, rx) = mpsc::channel(64 * 1024);
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

        let tasks = vec![
            tokio::spawn(submitter.run(tip_rx, stop_rx.clone(), fatal_tx.clone())),
            tokio::spawn(sync::sync_loop(
                shared.clone(),
                chain,
                commands.clone(),
                stop_rx.clone(),
                fatal_tx.clone(),
            )),
            tokio::spawn(ticker(
                shared.config.block_interval(),
                commands.clone(),
                stop_rx.clone(),
            )),
        ];
        let metrics_addr = match shared.config.metrics_addr {
            Some(addr) => {
                Some(metrics::serve(addr, shared.metrics.clone(), stop_rx.clone()).await?)
            }
            None => None,
        };
        let rpc = rpc::serve(shared.clone(), commands.clone()).await?;
        info!(rpc = %rpc.1, chain_id, anchor = %shared.identity.anchor, "operator running");
        Ok(Self {
            shared,
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
        &self.shared.domain
    }

    /// Blocks the history accumulator has folded in (`None` when it is disabled).
    pub(crate) fn accumulator_height(&self) -> Option<u64> {
        self.shared.accumulator.as_ref().map(|a| a.height())
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// The chain as the node sees it.
    pub fn status(&self) -> ChainStatus {
        self.shared.status()
    }

    /// Submits a transaction in-process (the same path as `debye_submitTransaction`).
    pub async fn submit(&self, stx: SignedTransaction) -> Result<B256, ApiError> {
        submit(&self.shared, &self.commands, stx).await
    }

    /// Builds a block from the pending transactions now; returns its number (`None`: nothing
    /// was pending).
    pub async fn flush(&self) -> Result<Option<u64>> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Flush(tx))
            .await
            .map_err(|_| Error::ShuttingDown)?;
        rx.await.map_err(|_| Error::ShuttingDown)?
    }

    /// Applies exits from a source other than the anchor's `ExitFinalized` events (which the node
    /// follows itself): coins in these ranges become unspendable and pending transactions spending
    /// them are dropped.
    pub async fn report_exits(&self, exits: Vec<ExitEntry>, next_l1_block: u64) -> Result<()> {
        sync::send_events(&self.commands, Vec::new(), exits, Vec::new(), next_l1_block).await
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
        self.shared.accepting.store(false, Ordering::Relaxed);
        if let Some((handle, _)) = self.rpc.take() {
            let _ = handle.stop();
            handle.stopped().await;
        }
        // Let the submitter push what is stored, within the grace period.
        let deadline = tokio::time::Instant::now() + grace;
        while tokio::time::Instant::now() < deadline {
            let tip = self.shared.tip().map_or(0, |h| h.number);
            if self.shared.l1_committed.load(Ordering::Relaxed) >= tip {
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
        let _ = self.commands.send(Command::Shutdown).await;
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
        if let Some(acc) = self.shared.accumulator.clone() {
            tokio::task::spawn_blocking(move || acc.stop())
                .await
                .map_err(|e| Error::Internal(e.to_string()))?;
        }
        let store = Arc::clone(&self.shared.store);
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

async fn ticker(
    interval: Duration,
    commands: mpsc::Sender<Command>,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if commands.send(Command::Tick).await.is_err() {
                    break;
                }
            }
            _ = stop.changed() => break,
        }
    }
    warn!("block ticker stopped");
}
