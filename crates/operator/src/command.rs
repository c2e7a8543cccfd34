//! The sequencer's inbox: the work it is sent ([`Command`]) and [`Commands`], the handle the API,
//! the L1 tasks and the node use to send it and wait for the answer.

use alloy_primitives::B256;
use debye_primitives::{SignedTransaction, Transaction};
use debye_storage::{DepositEntry, ExitEntry, ShieldedDepositEntry, ShieldedExitEntry};
use tokio::sync::{mpsc, oneshot};

use crate::{
    Error, Result,
    mempool::{self, Refusal},
    shielded::{self, ShieldedRefusal, rules},
    state::NodeState,
};

/// A verified transaction waiting for the sequencer, with where to answer.
pub(crate) struct Submission {
    pub(crate) tx_id: B256,
    pub(crate) tx: SignedTransaction,
    pub(crate) reply: oneshot::Sender<Result<B256, Refusal>>,
}

/// A forced transaction that became included on L1 (`docs/exit-game.md` §12.3).
#[derive(Clone, Debug)]
pub(crate) struct ForcedTx {
    /// Its index `k` in the forced game; its outputs are named `FORCED_BLOCK | k`.
    pub(crate) index: u64,
    /// The transaction.
    pub(crate) tx: Transaction,
}

/// What one L1 scan read from the shielded pool (docs/shielded.md S-4.3): deposits to append
/// and exit starts to import, each in index order.
#[derive(Clone, Debug, Default)]
pub(crate) struct ShieldedImport {
    /// `ShieldedDeposit` events.
    pub(crate) deposits: Vec<ShieldedDepositEntry>,
    /// `ShieldedExitStarted` events.
    pub(crate) exits: Vec<ShieldedExitEntry>,
}

/// A shielded transfer that passed the stateless rules, with where to answer.
pub(crate) struct ShieldedSubmit {
    pub(crate) id: B256,
    pub(crate) sub: shielded::Submission,
    pub(crate) reply: oneshot::Sender<Result<B256, ShieldedRefusal>>,
}

/// Work for the sequencer.
pub(crate) enum Command {
    /// A verified transaction.
    Submit(Submission),
    /// A shielded transfer past the stateless rules (root, nullifiers and proof next).
    SubmitShielded(Box<ShieldedSubmit>),
    /// The block interval elapsed.
    Tick,
    /// Deposits, exits, included forced transactions and the shielded pool's queues from L1
    /// (answered once durable).
    L1 {
        deposits: Vec<DepositEntry>,
        exits: Vec<ExitEntry>,
        forced: Vec<ForcedTx>,
        shielded: ShieldedImport,
        next_l1_block: u64,
        reply: oneshot::Sender<Result<()>>,
    },
    /// Re-stamp stored blocks `from` and later with L1 time `now` (the submitter found block
    /// `from` too old, or too new, for `submitBlock`'s timestamp rule).
    Restamp {
        from: u64,
        now: u64,
        reply: oneshot::Sender<Result<()>>,
    },
    /// Build a block from whatever is pending now (tests, shutdown).
    Flush(oneshot::Sender<Result<Option<u64>>>),
    /// Finish the current batch and stop.
    Shutdown,
}

/// Sends work to the sequencer.
#[derive(Clone, Debug)]
pub(crate) struct Commands(mpsc::Sender<Command>);

impl Commands {
    /// A handle and the sequencer's end, holding up to `capacity` commands.
    pub(crate) fn channel(capacity: usize) -> (Self, mpsc::Receiver<Command>) {
        let (tx, rx) = mpsc::channel(capacity);
        (Self(tx), rx)
    }

    /// Verifies `stx` on the caller's thread, then hands it to the sequencer and waits until it
    /// is durable (or refused).
    pub(crate) async fn submit(
        &self,
        state: &NodeState,
        stx: SignedTransaction,
    ) -> Result<B256, Refusal> {
        let tx_id = mempool::verify(state, &stx)?;
        let (reply, answer) = oneshot::channel();
        self.0
            .send(Command::Submit(Submission {
                tx_id,
                tx: stx,
                reply,
            }))
            .await
            .map_err(|_| Refusal::Unavailable)?;
        answer.await.map_err(|_| Refusal::Unavailable)?
    }

    /// Checks a shielded transfer's stateless rules on the caller's thread, then hands it to the
    /// sequencer and waits until it is durable (or refused). Answers its id.
    pub(crate) async fn submit_shielded(
        &self,
        state: &NodeState,
        sub: shielded::Submission,
    ) -> Result<B256, ShieldedRefusal> {
        if !state.is_accepting() {
            return Err(ShieldedRefusal::Unavailable("shutting down"));
        }
        let service = state.shielded().ok_or(ShieldedRefusal::Unavailable(
            "the shielded ledger is not configured",
        ))?;
        rules::check_stateless(&sub, &service.chain)?;
        let id = sub.id();
        let (reply, answer) = oneshot::channel();
        self.0
            .send(Command::SubmitShielded(Box::new(ShieldedSubmit {
                id,
                sub,
                reply,
            })))
            .await
            .map_err(|_| ShieldedRefusal::Unavailable("shutting down"))?;
        answer
            .await
            .map_err(|_| ShieldedRefusal::Unavailable("shutting down"))?
    }

    /// Builds a block from the pending transactions now; returns its number (`None`: nothing
    /// was pending).
    pub(crate) async fn flush(&self) -> Result<Option<u64>> {
        let (tx, rx) = oneshot::channel();
        self.0
            .send(Command::Flush(tx))
            .await
            .map_err(|_| Error::ShuttingDown)?;
        rx.await.map_err(|_| Error::ShuttingDown)?
    }

    /// Sends L1 events to the sequencer and waits until they are durable.
    pub(crate) async fn l1_events(
        &self,
        deposits: Vec<DepositEntry>,
        exits: Vec<ExitEntry>,
        forced: Vec<ForcedTx>,
        shielded: ShieldedImport,
        next_l1_block: u64,
    ) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.0
            .send(Command::L1 {
                deposits,
                exits,
                forced,
                shielded,
                next_l1_block,
                reply,
            })
            .await
            .map_err(|_| Error::ShuttingDown)?;
        answer.await.map_err(|_| Error::ShuttingDown)?
    }

    /// Asks the sequencer to re-stamp the stored blocks from `from` on with L1 time `now`
    /// (see [`crate::sequencer`]) and waits until that is durable.
    pub(crate) async fn restamp(&self, from: u64, now: u64) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.0
            .send(Command::Restamp { from, now, reply })
            .await
            .map_err(|_| Error::ShuttingDown)?;
        answer.await.map_err(|_| Error::ShuttingDown)?
    }

    /// Says the block interval elapsed; false once the sequencer is gone.
    pub(crate) async fn tick(&self) -> bool {
        self.0.send(Command::Tick).await.is_ok()
    }

    /// Asks the sequencer to finish its batch and stop.
    pub(crate) async fn shutdown(&self) {
        let _ = self.0.send(Command::Shutdown).await;
    }
}
