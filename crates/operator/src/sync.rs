//! L1 follow-up: submitting stored blocks in order (restart- and reorg-safe) and ingesting
//! deposits and exits.

use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use alloy_primitives::Address;
use debye_l1::{
    L1,
    contracts::{self, DebyeChainClient},
};
use debye_primitives::{BlockHeader, Segment};
use debye_storage::{DepositEntry, ExitEntry, SubmissionState};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, error, info, warn};

use crate::{Error, Result, node::Shared, sequencer::Command};

/// The anchor's view of a header.
fn l1_header(h: &BlockHeader) -> contracts::BlockHeader {
    contracts::BlockHeader {
        number: h.number,
        prevHash: h.prev_hash,
        txRoot: h.tx_root,
        accumulator: h.accumulator,
        noteRoot: h.note_root,
    }
}

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
}

impl<L: L1 + Clone + 'static> Submitter<L> {
    pub(crate) fn new(shared: Arc<Shared>, chain: DebyeChainClient<L>, operator: Address) -> Self {
        Self {
            shared,
            chain,
            operator,
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

    /// One round: check recent commitments, then submit what L1 lacks.
    pub(crate) async fn reconcile(&self, stop: &watch::Receiver<bool>) -> Result<()> {
        let store = &self.shared.store;
        let l1_next = self.chain.next_block().await?;
        let committed = l1_next.saturating_sub(1);
        let recheck = self.shared.config.l1.recheck_blocks.max(1);
        let from = committed.saturating_sub(recheck - 1).max(1);
        for n in from..=committed {
            let on_l1 = self.chain.block_hash(n).await?;
            let local = store.header(n)?.map(|h| h.hash());
            if local != Some(on_l1) {
                return Err(Error::CommitmentMismatch {
                    number: n,
                    l1: on_l1,
                    local: local.unwrap_or_default(),
                });
            }
        }
        let l1_block = self.chain.l1().block_number().await.unwrap_or(0);
        self.set_committed(committed, l1_block)?;
        let timeout = Duration::from_millis(self.shared.config.l1.submit_timeout_ms);
        let mut n = l1_next;
        while let Some(header) = store.header(n)? {
            if *stop.borrow() {
                // Abandoning here is safe: the next start reads nextBlock() again.
                break;
            }
            let started = Instant::now();
            let sent = tokio::time::timeout(
                timeout,
                self.chain.submit_block(self.operator, l1_header(&header)),
            )
            .await;
            match sent {
                Ok(Ok(receipt)) => {
                    self.shared.metrics.l1_submit.observe(started.elapsed());
                    info!(
                        number = n,
                        l1_block = receipt.block_number,
                        "block committed on L1"
                    );
                    self.set_committed(n, receipt.block_number)?;
                }
                failed => {
                    self.shared
                        .metrics
                        .l1_submit_failures
                        .fetch_add(1, Ordering::Relaxed);
                    let reason = match failed {
                        Ok(Err(e)) => e.to_string(),
                        _ => "timed out".into(),
                    };
                    // The transaction may have landed anyway (or an earlier one for the same
                    // number did): believe only what the anchor stores.
                    if self.chain.block_hash(n).await? == header.hash() {
                        info!(
                            number = n,
                            "block found committed on L1 after a failed send"
                        );
                        self.set_committed(n, 0)?;
                    } else {
                        warn!(number = n, %reason, "block submission failed; retrying later");
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
        self,
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
    next_l1_block: u64,
) -> Result<()> {
    let (reply, answer) = oneshot::channel();
    commands
        .send(Command::L1 {
            deposits,
            exits,
            next_l1_block,
            reply,
        })
        .await
        .map_err(|_| Error::ShuttingDown)?;
    answer.await.map_err(|_| Error::ShuttingDown)?
}

/// Where exits come from. The exit game contract is being written; until it exists the
/// operator reads no exit events and [`crate::Operator::report_exits`] is the hook to feed them.
/// When it lands, decode its "range exited" events here into [`ExitEntry`] values.
async fn exit_events<L: L1>(
    _chain: &DebyeChainClient<L>,
    _from_l1_block: u64,
    _to_l1_block: u64,
) -> Result<Vec<ExitEntry>> {
    Ok(Vec::new())
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
    send_events(commands, deposits, exits, safe + 1).await
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
