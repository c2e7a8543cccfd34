//! Block submission: stored blocks go to the anchor on L1 strictly in order, restart- and
//! reorg-safe, driven by what L1 says.

use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256};
use debye_l1::{
    L1,
    contracts::{self, DebyeChainClient},
};
use debye_primitives::{BlockHeader, block::TS_WINDOW};
use debye_storage::SubmissionState;
use tokio::sync::{mpsc, watch};
use tracing::{debug, error, info, warn};

use crate::{Error, Result, command::Commands, state::NodeState};

/// Slack kept below `TS_WINDOW`: a header older than `TS_WINDOW - RESTAMP_MARGIN` at the last
/// L1 time read is re-stamped before it is sent, so the L1 block that includes it (mined later)
/// still finds it within the window.
pub(crate) const RESTAMP_MARGIN: u64 = 5 * 60;

/// Whether `submitBlock` at L1 time about `now` could refuse `header`'s timestamp: later than
/// `now`, or older than the window allows (less [`RESTAMP_MARGIN`]).
pub(crate) fn needs_restamp(header: &BlockHeader, now: u64) -> bool {
    header.timestamp > now || header.timestamp.saturating_add(TS_WINDOW - RESTAMP_MARGIN) < now
}

/// What re-reading L1's commitment of a block below the `nextBlock()` just read found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recheck {
    /// L1 commits the stored header.
    Matches,
    /// L1 no longer holds any commitment for the number: a reorg took `nextBlock()` back after
    /// it was read (docs/operator-guide.md, reorgs). Not a conflict: the next round reads the
    /// anchor again and resends what it lacks.
    Gone,
    /// L1 commits another header, or one the store lacks: the store is stale or another key
    /// submits.
    Mismatch,
}

/// Classifies L1's commitment `on_l1` of a block against the stored header's hash `local`. A
/// zero commitment is what the anchor returns for a number it has not committed (no header
/// hashes to zero).
pub(crate) fn classify_commitment(on_l1: B256, local: Option<B256>) -> Recheck {
    if on_l1 == B256::ZERO {
        Recheck::Gone
    } else if local == Some(on_l1) {
        Recheck::Matches
    } else {
        Recheck::Mismatch
    }
}

/// Submits stored blocks to the anchor, strictly in order, driven by what L1 says.
///
/// The anchor accepts block `n` only when `nextBlock() == n` and `prevHash` is its commitment
/// of `n - 1`, so a block can neither be skipped nor committed twice. Every round the submitter
/// reads `nextBlock()`, re-checks the commitments of the last `recheck_blocks` blocks against the
/// store (a mismatch or a commitment the store lacks stops the node: the store is stale or
/// another key submits; a commitment gone since `nextBlock()` was read, a reorg in between, ends
/// the round instead, [`classify_commitment`]), and then sends every stored block from
/// `nextBlock()` on. A send that fails or times out (dropped or replaced L1 transaction) is
/// followed by reading the commitment back: if it landed anyway the block counts as committed,
/// otherwise the next round retries. An L1 reorg that removes commitments lowers `nextBlock()`,
/// so the next round resubmits them.
///
/// Headers carry a timestamp that `submitBlock` bounds by L1 time (docs/shielded.md S-2.2). A
/// stored block whose timestamp L1 would refuse (built before an L1 time jump, or before the
/// node first read L1's clock; [`needs_restamp`]) is re-stamped by the sequencer first, together
/// with every later stored block (their `prevHash` changes), then sent. Only blocks L1 has not
/// committed are ever re-stamped.
pub(crate) struct Submitter<L> {
    state: Arc<NodeState>,
    chain: DebyeChainClient<L>,
    commands: Commands,
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
        state: Arc<NodeState>,
        chain: DebyeChainClient<L>,
        commands: Commands,
        operator: Address,
        reconnect: Option<Reconnect<L>>,
    ) -> Self {
        Self {
            state,
            chain,
            commands,
            operator,
            reconnect,
        }
    }

    fn set_committed(&self, n: u64, l1_block: u64) -> Result<()> {
        let prev = self.state.set_l1_committed(n);
        if prev != n {
            self.state.store().set_submission(&SubmissionState {
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
        let timeout = Duration::from_millis(self.state.config().l1.submit_timeout_ms);
        match tokio::time::timeout(timeout, fut).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(Error::L1(debye_l1::Error::Rpc("request timed out".into()))),
        }
    }

    /// One round: check recent commitments, then submit what L1 lacks.
    pub(crate) async fn reconcile(&mut self, stop: &watch::Receiver<bool>) -> Result<()> {
        let store = self.state.store();
        let l1_next = self.timed(self.chain.next_block()).await?;
        let committed = l1_next.saturating_sub(1);
        debug!(l1_next, "reconciling with L1");
        let recheck = self.state.config().l1.recheck_blocks.max(1);
        let from = committed.saturating_sub(recheck - 1).max(1);
        for n in from..=committed {
            let on_l1 = self.timed(self.chain.block_hash(n)).await?;
            let local = store.header(n)?.map(|h| h.hash());
            match classify_commitment(on_l1, local) {
                Recheck::Matches => {}
                Recheck::Gone => {
                    info!(
                        number = n,
                        l1_next, "commitment gone since nextBlock() was read (L1 reorg); rereading"
                    );
                    return Ok(());
                }
                Recheck::Mismatch => {
                    return Err(Error::CommitmentMismatch {
                        number: n,
                        l1: on_l1,
                        local: local.unwrap_or_default(),
                    });
                }
            }
        }
        let l1_block = self
            .timed(self.chain.l1().block_number())
            .await
            .unwrap_or(0);
        debug!(l1_block, "L1 head");
        self.set_committed(committed, l1_block)?;
        let now = self.timed(self.chain.l1().timestamp()).await?;
        self.state.observe_l1_time(now);
        let mut n = l1_next;
        while let Some(mut header) = store.header(n)? {
            if *stop.borrow() {
                // Abandoning here is safe: the next start reads nextBlock() again.
                break;
            }
            if needs_restamp(&header, now) {
                info!(
                    number = n,
                    timestamp = header.timestamp,
                    l1_time = now,
                    "header timestamp outside L1's window; re-stamping"
                );
                self.commands.restamp(n, now).await?;
                match store.header(n)? {
                    Some(h) => header = h,
                    None => break,
                }
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
                    self.state.metrics().l1_submit.observe(started.elapsed());
                    info!(
                        number = n,
                        l1_block = receipt.block_number,
                        "block committed on L1"
                    );
                    self.set_committed(n, receipt.block_number)?;
                }
                Err(failed) => {
                    self.state
                        .metrics()
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
        let poll = self.state.config().poll_interval();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequencer::stamp;

    #[test]
    fn a_commitment_gone_after_a_reorg_is_no_mismatch() {
        let stored = BlockHeader::default().hash();
        assert_eq!(classify_commitment(stored, Some(stored)), Recheck::Matches);
        // nextBlock() read before an L1 reorg, the commitment after it: the number is empty.
        assert_eq!(classify_commitment(B256::ZERO, Some(stored)), Recheck::Gone);
        assert_eq!(classify_commitment(B256::ZERO, None), Recheck::Gone);
        let other = B256::repeat_byte(7);
        assert_eq!(classify_commitment(other, Some(stored)), Recheck::Mismatch);
        assert_eq!(classify_commitment(other, None), Recheck::Mismatch);
    }

    #[test]
    fn headers_are_restamped_outside_the_window() {
        let at = |timestamp| BlockHeader {
            timestamp,
            ..BlockHeader::default()
        };
        let now = 1_000_000;
        assert!(!needs_restamp(&at(now), now));
        assert!(!needs_restamp(&at(now - (TS_WINDOW - RESTAMP_MARGIN)), now));
        assert!(needs_restamp(
            &at(now - (TS_WINDOW - RESTAMP_MARGIN) - 1),
            now
        ));
        assert!(needs_restamp(&at(now - 3 * 24 * 3600), now), "time travel");
        assert!(needs_restamp(&at(now + 1), now), "ahead of L1");
        assert!(needs_restamp(&at(0), now), "stamped before L1 was read");
    }

    #[test]
    fn a_stamp_never_goes_before_the_parent() {
        let parent = BlockHeader {
            timestamp: 500,
            ..BlockHeader::default()
        };
        assert_eq!(stamp(None, 7), 7);
        assert_eq!(stamp(Some(&parent), 700), 700);
        assert_eq!(stamp(Some(&parent), 300), 500);
        assert_eq!(stamp(Some(&parent), 0), 500);
    }
}
