//! The node's state shared by the sequencer, the API and the L1 tasks: the configuration, the
//! store, the ownership ledger, the metrics and the accumulator, and the chain as the node sees
//! it (tip, what L1 has committed, mempool size, whether transactions are accepted).
//!
//! Only the sequencer changes the ledger and the tip; the submitter records L1 commitments;
//! everyone else reads.

use std::sync::{
    Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard,
    atomic::{AtomicBool, AtomicU64, Ordering},
};

use alloy_primitives::B256;
use debye_primitives::{BlockHeader, Eip712Domain};
use debye_rpc_api::types::ChainStatus;
use debye_storage::{ChainIdentity, Store};
use tokio::sync::watch;

use crate::{
    Config, Error, Result,
    accumulator::AccumulatorService,
    blocks::{BlockCache, BlockIndex},
    ledger::Ledger,
    metrics::Metrics,
    shielded::service::ShieldedService,
};

/// State shared by the sequencer, the API and the L1 tasks.
pub(crate) struct NodeState {
    config: Config,
    store: Arc<dyn Store>,
    ledger: RwLock<Ledger>,
    domain: Eip712Domain,
    /// `domain.separator()`, computed once for the submission path.
    separator: B256,
    identity: ChainIdentity,
    metrics: Arc<Metrics>,
    /// The history accumulator (`None` when disabled in the config).
    accumulator: Option<Arc<AccumulatorService>>,
    mempool_len: AtomicU64,
    l1_committed: AtomicU64,
    /// The latest L1 block timestamp the node has seen (0 before the first read).
    l1_time: AtomicU64,
    accepting: AtomicBool,
    tip: Mutex<Option<BlockHeader>>,
    tip_tx: watch::Sender<u64>,
    blocks: BlockCache,
    /// The shielded ledger's key and chain values (`None`: disabled in the config).
    shielded: Option<Arc<ShieldedService>>,
}

impl NodeState {
    /// A node with an empty ledger and no tip yet (the sequencer's recovery fills both); the
    /// receiver follows the tip's number.
    pub(crate) fn new(
        config: Config,
        store: Arc<dyn Store>,
        identity: ChainIdentity,
        domain: Eip712Domain,
        metrics: Arc<Metrics>,
        accumulator: Option<Arc<AccumulatorService>>,
    ) -> (Self, watch::Receiver<u64>) {
        let (tip_tx, tip_rx) = watch::channel(0);
        let state = Self {
            config,
            store,
            ledger: RwLock::new(Ledger::default()),
            separator: domain.separator(),
            domain,
            identity,
            metrics,
            accumulator,
            mempool_len: AtomicU64::new(0),
            l1_committed: AtomicU64::new(0),
            l1_time: AtomicU64::new(0),
            accepting: AtomicBool::new(true),
            tip: Mutex::new(None),
            tip_tx,
            blocks: BlockCache::default(),
            shielded: None,
        };
        (state, tip_rx)
    }

    /// This state with the shielded ledger's service (`None`: disabled).
    pub(crate) fn with_shielded(mut self, shielded: Option<Arc<ShieldedService>>) -> Self {
        self.shielded = shielded;
        self
    }

    /// The shielded ledger's service (`None`: disabled in the config).
    pub(crate) fn shielded(&self) -> Option<&Arc<ShieldedService>> {
        self.shielded.as_ref()
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(crate) fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The history accumulator (`None` when disabled in the config).
    pub(crate) fn accumulator(&self) -> Option<&Arc<AccumulatorService>> {
        self.accumulator.as_ref()
    }

    pub(crate) fn identity(&self) -> &ChainIdentity {
        &self.identity
    }

    /// The EIP-712 domain transactions are signed for.
    pub(crate) fn domain(&self) -> &Eip712Domain {
        &self.domain
    }

    /// The domain's separator, computed once for the submission path.
    pub(crate) fn separator(&self) -> &B256 {
        &self.separator
    }

    /// The ledger, to change it (the sequencer).
    pub(crate) fn ledger_mut(&self) -> Result<RwLockWriteGuard<'_, Ledger>> {
        self.ledger
            .write()
            .map_err(|_| Error::Internal("ledger lock".into()))
    }

    /// The ledger, to read it (the API).
    pub(crate) fn ledger(&self) -> Result<RwLockReadGuard<'_, Ledger>> {
        self.ledger
            .read()
            .map_err(|_| Error::Internal("ledger lock".into()))
    }

    /// Whether new transactions are taken (false once shutdown began).
    pub(crate) fn is_accepting(&self) -> bool {
        self.accepting.load(Ordering::Relaxed)
    }

    pub(crate) fn stop_accepting(&self) {
        self.accepting.store(false, Ordering::Relaxed);
    }

    pub(crate) fn set_tip(&self, tip: Option<&BlockHeader>) {
        if let Ok(mut t) = self.tip.lock() {
            *t = tip.copied();
        }
        self.tip_tx.send_replace(tip.map_or(0, |h| h.number));
    }

    pub(crate) fn tip(&self) -> Option<BlockHeader> {
        self.tip.lock().ok().and_then(|t| *t)
    }

    /// The tip's number (0: no block yet).
    pub(crate) fn tip_number(&self) -> u64 {
        self.tip().map_or(0, |h| h.number)
    }

    /// The last block L1 has committed.
    pub(crate) fn l1_committed(&self) -> u64 {
        self.l1_committed.load(Ordering::Relaxed)
    }

    /// Whether block `number` is committed on L1.
    pub(crate) fn is_committed(&self, number: u64) -> bool {
        number <= self.l1_committed()
    }

    /// Records that L1 has committed up to block `n`; returns the previous value.
    pub(crate) fn set_l1_committed(&self, n: u64) -> u64 {
        let prev = self.l1_committed.swap(n, Ordering::Relaxed);
        self.metrics.l1_committed.store(n, Ordering::Relaxed);
        prev
    }

    /// Records the mempool's size (the status and the metric).
    /// Records an L1 block timestamp the node has read; the clock only moves forward (a stale
    /// read from a lagging endpoint cannot take it back).
    pub(crate) fn observe_l1_time(&self, timestamp: u64) {
        self.l1_time.fetch_max(timestamp, Ordering::Relaxed);
    }

    /// The latest L1 block timestamp the node has seen: the clock new headers are stamped with
    /// (never the wall clock, so a development L1 that travels in time moves it too).
    pub(crate) fn l1_time(&self) -> u64 {
        self.l1_time.load(Ordering::Relaxed)
    }

    pub(crate) fn set_mempool_len(&self, len: usize) {
        let len = len as u64;
        self.mempool_len.store(len, Ordering::Relaxed);
        self.metrics.mempool_size.store(len, Ordering::Relaxed);
    }

    /// Keeps the tree of a block just built, for proofs.
    pub(crate) fn cache_block(&self, number: u64, index: BlockIndex) {
        self.blocks.insert(number, index);
    }

    /// The tree and positions of block `number` (cached; rebuilt from the store on a miss).
    pub(crate) fn block_index(&self, number: u64) -> Result<Option<Arc<BlockIndex>>> {
        self.blocks.get(self.store.as_ref(), number)
    }

    pub(crate) fn status(&self) -> ChainStatus {
        let tip = self.tip();
        ChainStatus {
            chain_id: self.identity.chain_id,
            anchor: self.identity.anchor,
            tip: tip.map_or(0, |h| h.number),
            tip_hash: tip.map_or(B256::ZERO, |h| h.hash()),
            l1_committed: self.l1_committed(),
            mempool_size: self.mempool_len.load(Ordering::Relaxed),
            next_block: tip.map_or(1, |h| h.number.saturating_add(1)),
        }
    }
}
