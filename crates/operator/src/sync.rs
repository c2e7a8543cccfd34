//! L1 follow-up: submitting stored blocks in order (restart- and reorg-safe) and ingesting
//! deposits and exits.

use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use alloy_primitives::Address;
use alloy_sol_types::SolEvent;
use debye_l1::{
    L1, LogFilter,
    contracts::{self, DebyeChain::ExitFinalized, DebyeChainClient},
    forced::{ForcedIncluded, ForcedPosted, posted_transaction},
};
use debye_primitives::Segment;
use debye_storage::{DepositEntry, ExitEntry, SubmissionState};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, error, info, warn};

use crate::{
    Error, Result,
    node::Shared,
    sequencer::{Command, ForcedTx},
};

/// Submits stored blocks to the anchor, strictly in order, driven by what L1 says.
///
/// The anchor accepts block `n` only when `nextBlock() == n` and `prevHash` is its commitment
/// of `n - 1`, so a block can neither be skipped nor committed twice. Every round the submitter
/// reads `nextBlock()`, re-checks the commitments of the last `recheck_blocks` blocks against the
/// store (a mismatch or a commitment the store lacks stops the node: the store is stale or
/// another key submits), and then sends every stored block from `nextBlock()` on. A send that
/// fails or times out (dropped or replaced L1 transaction) is followed by reading the commitment
/// back: if it landed anyway the block counts as committed, otherwise the next round retries. An
/// L1 reorg that removes commitments lowers `nextBlock()`, so the next round resubmits them.
pub(crate) struct Submitter<L> {
    shared: Arc<Shared>,
    chain: DebyeChainClient<L>,
    operator: Address,
    reconnect: Option<Reconnect<L>>,
}

/// Builds a fresh L1 client. After a submission that neither succeeded nor landed (a dropped
/// transaction, or one a reorg discarded), the submitter replaces its client with a new one, so
/// that client-side state such as a cached account nonce cannot keep later submissions stuck
/// behind a nonce gap.
pub type Reconnect<L> =
    Arc<dyn Fn() -> debye_l1::Result<DebyeChainClient<L>> + Send + Sync + 'static>;

impl<L: L1 + Clone + 'static> Submitter<L> {
    pub(crate) fn new(
        shared: Arc<Shared>,
        chain: DebyeChainClient<L>,
        operator: Address,
        reconnect: Option<Reconnect<L>>,
    ) -> Self {
        Self {
            shared,
            chain,
            operator,
            reconnect,
        }
    }

    fn set_committed(&self, n: u64, l1_block: u64) -> Result<()> {
        let prev = self.shared.l1_committed.swap(n, Ordering::Relaxed);
        self.shared.metrics.l1_committed.store(n, Ordering::Relaxed);
        if prev != n {
            self.shared.store.set_submission(&SubmissionState {
                l1_committed: n,
                l1_block,
            })?;
        }
        Ok(())
    }

    /// Runs an L1 request with the submit timeout, so that no request (a receipt that never
    /// comes, a node that stopped answering) can stall the submitter.
    async fn timed<T>(
        &self,
        fut: impl std::future::Future<Output = debye_l1::Result<T>>,
    ) -> Result<T> {
        let timeout = Duration::from_millis(self.shared.config.l1.submit_timeout_ms);
        match tokio::time::timeout(timeout, fut).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(Error::L1(debye_l1::Error::Rpc("request timed out".into()))),
        }
    }

    /// One round: check recent commitments, then submit what L1 lacks.
    pub(crate) async fn reconcile(&mut self, stop: &watch::Receiver<bool>) -> Result<()> {
        let store = &self.shared.store;
        let l1_next = self.timed(self.chain.next_block()).await?;
        let committed = l1_next.saturating_sub(1);
        debug!(l1_next, "reconciling with L1");
        let recheck = self.shared.config.l1.recheck_blocks.max(1);
        let from = committed.saturating_sub(recheck - 1).max(1);
        for n in from..=committed {
            let on_l1 = self.timed(self.chain.block_hash(n)).await?;
            let local = store.header(n)?.map(|h| h.hash());
            if local != Some(on_l1) {
                return Err(Error::CommitmentMismatch {
                    number: n,
                    l1: on_l1,
                    local: local.unwrap_or_default(),
                });
            }
        }
        let l1_block = self
            .timed(self.chain.l1().block_number())
            .await
            .unwrap_or(0);
        debug!(l1_block, "L1 head");
        self.set_committed(committed, l1_block)?;
        let mut n = l1_next;
        while let Some(header) = store.header(n)? {
            if *stop.borrow() {
                // Abandoning here is safe: the next start reads nextBlock() again.
                break;
            }
            let started = Instant::now();
            debug!(number = n, "submitting block");
            let sent = self
                .timed(
                    self.chain
                        .submit_block(self.operator, contracts::BlockHeader::from(&header)),
                )
                .await;
            match sent {
                Ok(receipt) => {
                    self.shared.metrics.l1_submit.observe(started.elapsed());
                    info!(
                        number = n,
                        l1_block = receipt.block_number,
                        "block committed on L1"
                    );
                    self.set_committed(n, receipt.block_number)?;
                }
                Err(failed) => {
                    self.shared
                        .metrics
                        .l1_submit_failures
                        .fetch_add(1, Ordering::Relaxed);
                    let reason = failed.to_string();
                    debug!(number = n, %reason, "submission failed; reading the anchor back");
                    // The transaction may have landed anyway (or an earlier one for the same
                    // number did): believe only what the anchor stores.
                    if self.timed(self.chain.block_hash(n)).await? == header.hash() {
                        info!(
                            number = n,
                            "block found committed on L1 after a failed send"
                        );
                        self.set_committed(n, 0)?;
                    } else {
                        warn!(number = n, %reason, "block submission failed; retrying later");
                        if let Some(reconnect) = &self.reconnect {
                            self.chain = reconnect()?;
                        }
                        return Ok(());
                    }
                }
            }
            n += 1;
        }
        Ok(())
    }

    /// Runs rounds when a block is stored and on every poll interval until `stop`.
    pub(crate) async fn run(
        mut self,
        mut tip: watch::Receiver<u64>,
        mut stop: watch::Receiver<bool>,
        fatal: mpsc::UnboundedSender<Error>,
    ) {
        let poll = self.shared.config.poll_interval();
        loop {
            tokio::select! {
                _ = tip.changed() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                // One last round so a graceful stop leaves as little as possible to the restart.
                break;
            }
            match self.reconcile(&stop).await {
                Ok(()) => {}
                Err(Error::L1(e)) => warn!(error = %e, "L1 unavailable; retrying"),
                Err(e) => {
                    error!(error = %e, "block submission stopped");
                    let _ = fatal.send(e);
                    return;
                }
            }
        }
        debug!("submitter stopped");
    }
}

/// Sends L1 events to the sequencer and waits until they are durable.
pub(crate) async fn send_events(
    commands: &mpsc::Sender<Command>,
    deposits: Vec<DepositEntry>,
    exits: Vec<ExitEntry>,
    forced: Vec<ForcedTx>,
    next_l1_block: u64,
) -> Result<()> {
    let (reply, answer) = oneshot::channel();
    commands
        .send(Command::L1 {
            deposits,
            exits,
            forced,
            next_l1_block,
            reply,
        })
        .await
        .map_err(|_| Error::ShuttingDown)?;
    answer.await.map_err(|_| Error::ShuttingDown)?
}

/// Coins that left the chain: the anchor's `ExitFinalized(exitId, owner, start, end)` events in
/// `[from_l1_block, to_l1_block]`. Only finalized exits make coins unspendable: a started exit
/// can still be cancelled by a challenge (docs/exit-game.md), and the coins stay spendable on L2
/// until then. [`crate::Operator::report_exits`] feeds the same handler directly.
async fn exit_events<L: L1>(
    chain: &DebyeChainClient<L>,
    from_l1_block: u64,
    to_l1_block: u64,
) -> Result<Vec<ExitEntry>> {
    let filter = LogFilter {
        address: chain.address(),
        event_signatures: vec![ExitFinalized::SIGNATURE_HASH],
        from_block: from_l1_block,
        to_block: Some(to_l1_block),
    };
    let mut exits = Vec::new();
    for log in chain.l1().logs(filter).await? {
        let ev = match ExitFinalized::decode_raw_log(log.topics.iter().copied(), &log.data) {
            Ok(ev) => ev,
            Err(e) => {
                warn!(error = %e, "ignoring undecodable ExitFinalized log");
                continue;
            }
        };
        match Segment::new(ev.start, ev.end) {
            Ok(segment) => exits.push(ExitEntry {
                segment,
                l1_block: log.block_number,
            }),
            Err(e) => warn!(error = %e, "ignoring malformed exit range"),
        }
    }
    Ok(exits)
}

/// Forced transactions that became included (`docs/exit-game.md` §12.3, §13): the forced
/// game's `ForcedIncluded(index, txId, position)` events in `[from_l1_block, to_l1_block]`, each
/// with the transaction of the `ForcedPosted` event of the same index (posted about a period
/// earlier, so searched from `start_block`) whose id matches.
async fn forced_events<L: L1>(
    chain: &DebyeChainClient<L>,
    start_block: u64,
    from_l1_block: u64,
    to_l1_block: u64,
) -> Result<Vec<ForcedTx>> {
    let game = chain.forced_inclusion().await?;
    let filter = LogFilter {
        address: game,
        event_signatures: vec![ForcedIncluded::SIGNATURE_HASH],
        from_block: from_l1_block,
        to_block: Some(to_l1_block),
    };
    let mut included = Vec::new();
    for log in chain.l1().logs(filter).await? {
        match ForcedIncluded::decode_raw_log(log.topics.iter().copied(), &log.data) {
            Ok(ev) => included.push(ev),
            Err(e) => warn!(error = %e, "ignoring undecodable ForcedIncluded log"),
        }
    }
    if included.is_empty() {
        return Ok(Vec::new());
    }
    let filter = LogFilter {
        address: game,
        event_signatures: vec![ForcedPosted::SIGNATURE_HASH],
        from_block: start_block.min(from_l1_block),
        to_block: Some(to_l1_block),
    };
    let mut posted = std::collections::HashMap::new();
    for log in chain.l1().logs(filter).await? {
        match ForcedPosted::decode_raw_log(log.topics.iter().copied(), &log.data) {
            Ok(ev) => {
                posted.insert(ev.index, ev);
            }
            Err(e) => warn!(error = %e, "ignoring undecodable ForcedPosted log"),
        }
    }
    let mut out = Vec::new();
    for inc in included {
        let Some(p) = posted.get(&inc.index).filter(|p| p.txId == inc.txId) else {
            return Err(Error::Internal(format!(
                "forced transaction {} included but its ForcedPosted event (id {}) was not found \
                 from L1 block {start_block}",
                inc.index, inc.txId
            )));
        };
        out.push(ForcedTx {
            index: inc.index,
            tx: posted_transaction(p)?,
        });
    }
    Ok(out)
}

async fn sync_once<L: L1 + Clone>(
    shared: &Shared,
    chain: &DebyeChainClient<L>,
    commands: &mpsc::Sender<Command>,
) -> Result<()> {
    let head = chain.l1().block_number().await?;
    let safe = head.saturating_sub(shared.config.l1.confirmations);
    let from = shared
        .store
        .l1_cursor()?
        .unwrap_or(shared.config.l1.start_block);
    if safe < from {
        return Ok(());
    }
    let mut deposits = Vec::new();
    for rec in chain.deposits(from).await? {
        if rec.l1_block > safe {
            continue;
        }
        let ev = &rec.event;
        match Segment::new(ev.start, ev.end) {
            Ok(segment) => deposits.push(DepositEntry {
                segment,
                owner: ev.owner,
                block: ev.blockNumber,
                l1_block: rec.l1_block,
            }),
            Err(e) => warn!(error = %e, "ignoring malformed deposit event"),
        }
    }
    let exits = exit_events(chain, from, safe).await?;
    let forced = forced_events(chain, shared.config.l1.start_block, from, safe).await?;
    send_events(commands, deposits, exits, forced, safe + 1).await
}

/// Polls L1 for deposits (after `confirmations`) and exits until `stop`.
pub(crate) async fn sync_loop<L: L1 + Clone + 'static>(
    shared: Arc<Shared>,
    chain: DebyeChainClient<L>,
    commands: mpsc::Sender<Command>,
    mut stop: watch::Receiver<bool>,
    fatal: mpsc::UnboundedSender<Error>,
) {
    let poll = shared.config.poll_interval();
    loop {
        match sync_once(&shared, &chain, &commands).await {
            Ok(()) => {}
            Err(Error::L1(e)) => warn!(error = %e, "L1 unavailable; retrying"),
            Err(Error::ShuttingDown) => break,
            Err(e) => {
                error!(error = %e, "L1 sync stopped");
                let _ = fatal.send(e);
                return;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => break,
        }
    }
    debug!("L1 sync stopped");
}
