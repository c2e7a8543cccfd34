//! Mempool admission: the stateless checks a submitted transaction passes on the caller's thread
//! (the node accepts transactions, the signatures are valid for the chain's domain) and the
//! stateful ones the sequencer applies (not expired, the ledger's rules, room in the mempool),
//! and the queue of accepted transactions waiting for a block.
//!
//! A refusal is a [`Refusal`]; the API turns it into its wire error (`rpc/convert.rs`).

use std::{collections::VecDeque, sync::atomic::Ordering};

use alloy_primitives::B256;
use debye_primitives::{SignedTransaction, Transaction};
use debye_storage::{PendingTx, TxStatus};

use crate::{ledger::Rejection, state::NodeState};

/// Why a submitted transaction is not accepted.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refusal {
    /// The node is shutting down (or the sequencer is gone).
    #[error("the node is not accepting transactions")]
    Unavailable,
    /// A stateless check failed (format, signatures).
    #[error("invalid transaction: {0}")]
    Invalid(debye_primitives::Error),
    /// `max_block_index` is before the next block.
    #[error("expired: valid until block {max_block_index}, next block is {next_block}")]
    Expired {
        /// The transaction's last block.
        max_block_index: u64,
        /// The block the sequencer builds next.
        next_block: u64,
    },
    /// An input breaks a rule of the ledger.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The mempool holds `mempool.max_size` transactions.
    #[error("the mempool is full")]
    Full,
    /// The node failed (storage, a poisoned lock).
    #[error("internal error")]
    Internal,
}

/// Checks `stx` on the caller's thread: the node accepts transactions and the transaction is
/// well formed and signed by its inputs' owners for this chain. Returns its id.
pub(crate) fn verify(state: &NodeState, stx: &SignedTransaction) -> Result<B256, Refusal> {
    if !state.is_accepting() {
        return Err(Refusal::Unavailable);
    }
    stx.verify_with_separator(state.separator()).map_err(|e| {
        state.metrics().txs_rejected.fetch_add(1, Ordering::Relaxed);
        Refusal::Invalid(e)
    })
}

/// How an admitted transaction was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// New: its inputs are now reserved, it gets acceptance number `seq`.
    New {
        /// Its place in acceptance order.
        seq: u64,
    },
    /// Already accepted (pending or included): answered with its id again.
    Known,
}

/// The accepted transactions waiting for a block, oldest first, replayed from the store on start.
#[derive(Debug)]
pub(crate) struct Mempool {
    queue: VecDeque<PendingTx>,
    next_seq: u64,
    max_size: usize,
}

impl Mempool {
    /// The mempool holding `pending` (in acceptance order); the next acceptance is `next_seq`.
    pub(crate) fn new(pending: Vec<PendingTx>, next_seq: u64, max_size: usize) -> Self {
        Self {
            queue: pending.into(),
            next_seq,
            max_size,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The stateful checks of a verified transaction `tx` (id `tx_id`) when `next_block` is
    /// built next and `in_batch` accepted transactions wait to be made durable with it: not
    /// expired, the ledger's rules (its inputs are then reserved for it), room in the mempool. A
    /// transaction already accepted and since included is [`Admission::Known`] too.
    pub(crate) fn admit(
        &mut self,
        state: &NodeState,
        next_block: u64,
        tx_id: B256,
        tx: &Transaction,
        in_batch: usize,
    ) -> Result<Admission, Refusal> {
        if tx.max_block_index < next_block {
            return Err(Refusal::Expired {
                max_block_index: tx.max_block_index,
                next_block,
            });
        }
        let result = state
            .ledger_mut()
            .map_err(|_| Refusal::Internal)
            .and_then(|mut ledger| {
                if ledger.check(tx, tx_id)? {
                    return Ok(Admission::Known);
                }
                if self.queue.len() + in_batch >= self.max_size {
                    return Err(Refusal::Full);
                }
                ledger.mark_pending(tx, tx_id);
                let seq = self.next_seq;
                self.next_seq += 1;
                Ok(Admission::New { seq })
            });
        match result {
            // Already accepted earlier and since included: answer the same id.
            Err(Refusal::Rejected(r))
                if r.is_not_owned()
                    && matches!(
                        state.store().tx_status(tx_id),
                        Ok(Some(TxStatus::Included { .. } | TxStatus::Pending { .. }))
                    ) =>
            {
                Ok(Admission::Known)
            }
            other => other,
        }
    }

    /// Appends transactions made durable.
    pub(crate) fn extend(&mut self, accepted: Vec<PendingTx>) {
        self.queue.extend(accepted);
    }

    /// The oldest pending transaction.
    pub(crate) fn pop_front(&mut self) -> Option<PendingTx> {
        self.queue.pop_front()
    }

    /// Takes the pending transaction with id `id` out of the mempool.
    pub(crate) fn remove(&mut self, id: B256) -> Option<PendingTx> {
        let pos = self.queue.iter().position(|p| p.tx_id == id)?;
        self.queue.remove(pos)
    }
}
