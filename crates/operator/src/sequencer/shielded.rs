//! The sequencer's shielded half: the rules over chain state (expiry against the next header's
//! time, root, nullifier set and pool), the proofs of one command batch verified together, the
//! batch made durable before any answer, and the shielded section of each block built from the
//! pool (tree appends only here, off the admission path: docs/shielded.md S-4.3).

use alloy_primitives::{B256, U256};
use debye_storage::{PendingShielded, ShieldedCommit, ShieldedRow, ShieldedStatus, Store};
use tokio::sync::oneshot;
use tracing::{error, warn};

use crate::{
    Error, Result,
    command::ShieldedSubmit,
    shielded::{
        ShieldedRefusal, Submission,
        pool::{Pooled, ShieldedPool},
        proof::{self, Statement},
        rules,
        section::{self, DepositAppend, Section},
        tree::NoteTree,
    },
    state::NodeState,
};

/// An entry past every rule but its proof, its nullifiers reserved in the pool.
pub(super) struct Checked {
    pooled: Pooled,
    statement: Statement,
    reply: oneshot::Sender<Result<B256, ShieldedRefusal>>,
}

/// The shielded section of a block being built.
pub(super) struct Taken {
    pub(super) section: Section,
    pub(super) commit: ShieldedCommit,
    /// DEPOSIT entries appended (moves `depositCursor`).
    pub(super) deposits: u32,
}

/// The pool and the note tree, owned by the sequencer.
pub(super) struct ShieldedSeq {
    pool: ShieldedPool,
    tree: NoteTree,
    /// TEST ONLY commitments to append as deposits (see `Command::TestDeposits`).
    test_deposits: Vec<U256>,
}

impl ShieldedSeq {
    /// The pool replayed from the store and the tree after block `tip`.
    pub(super) fn recover(store: &dyn Store, tip: u64) -> Result<Self> {
        let mut entries = Vec::new();
        for p in store.pending_shielded()? {
            let sub = Submission::decode(&p.data).ok_or_else(|| {
                Error::Internal(format!("stored shielded entry {} does not decode", p.id))
            })?;
            entries.push(Pooled {
                seq: p.seq,
                id: p.id,
                sub,
            });
        }
        let frontier = store.note_frontier(tip)?.unwrap_or_default();
        let tree = NoteTree::from_frontier(&frontier)
            .map_err(|e| Error::Internal(format!("note tree after block {tip}: {e}")))?;
        Ok(Self {
            pool: ShieldedPool::new(entries, store.next_shielded_seq()?),
            tree,
            test_deposits: Vec::new(),
        })
    }

    /// Entries waiting in the pool.
    pub(super) fn pooled(&self) -> usize {
        self.pool.len()
    }

    /// Whether a block has shielded work to do.
    pub(super) fn has_work(&self) -> bool {
        !self.pool.is_empty() || !self.test_deposits.is_empty()
    }

    /// TEST ONLY: queues deposit appends.
    #[cfg(feature = "test-utils")]
    pub(super) fn queue_test_deposits(&mut self, cms: Vec<U256>) {
        self.test_deposits.extend(cms);
    }

    /// The rules over chain state for `s`, when the next block is stamped `now`: an entry
    /// already admitted is answered with its id at once; a refused one with why; one that passes
    /// joins `checked` with its nullifiers held.
    pub(super) fn admit(
        &mut self,
        state: &NodeState,
        now: u64,
        s: ShieldedSubmit,
        checked: &mut Vec<Checked>,
    ) {
        match self.check(state, now, &s, checked.len()) {
            Ok(None) => {
                let _ = s.reply.send(Ok(s.id));
            }
            Ok(Some(statement)) => {
                let seq = self.pool.take_seq();
                self.pool.reserve(&s.sub, s.id, seq);
                checked.push(Checked {
                    pooled: Pooled {
                        seq,
                        id: s.id,
                        sub: s.sub,
                    },
                    statement,
                    reply: s.reply,
                });
            }
            Err(refusal) => {
                let _ = s.reply.send(Err(refusal));
            }
        }
    }

    /// `None`: already admitted.
    fn check(
        &self,
        state: &NodeState,
        now: u64,
        s: &ShieldedSubmit,
        checked: usize,
    ) -> Result<Option<Statement>, ShieldedRefusal> {
        let store = state.store();
        if self.pool.contains(&s.id) {
            return Ok(None);
        }
        match store.shielded_status(s.id) {
            Ok(Some(ShieldedStatus::Included { .. } | ShieldedStatus::Pending { .. })) => {
                return Ok(None);
            }
            Ok(_) => {}
            Err(_) => return Err(ShieldedRefusal::Internal),
        }
        if self.pool.len() + checked >= state.config().mempool.max_size {
            return Err(ShieldedRefusal::Full);
        }
        let body = &s.sub.body;
        rules::check_expiry(body.ext.expiry, now)?;
        let root_header = store
            .header(body.root_block)
            .map_err(|_| ShieldedRefusal::Internal)?;
        rules::check_root(
            body.root_block,
            body.root,
            state.tip_number(),
            state.l1_committed(),
            root_header.map(|h| h.note_root),
        )?;
        rules::check_nullifiers(
            &s.sub.nullifiers,
            |nf| store.nullifier_block(nf),
            |nf| self.pool.holds(nf),
        )?;
        let proof = proof::parse_proof(&body.proof)?;
        let public = proof::public_inputs(&s.sub)?;
        Ok(Some((proof, public)))
    }

    /// Verifies the batch's proofs together (one bad proof fails only its own entry), makes the
    /// valid entries durable in one commit, then answers every submitter.
    pub(super) fn commit(&mut self, state: &NodeState, checked: Vec<Checked>) -> Result<()> {
        if checked.is_empty() {
            return Ok(());
        }
        let Some(service) = state.shielded() else {
            for c in checked {
                self.pool.release(&c.pooled.sub, &c.pooled.id);
                let _ = c
                    .reply
                    .send(Err(ShieldedRefusal::Unavailable("not configured")));
            }
            return Ok(());
        };
        let statements: Vec<Statement> = checked.iter().map(|c| c.statement.clone()).collect();
        let valid = proof::verify_all(&service.pvk, &statements);
        let mut good = Vec::with_capacity(checked.len());
        for (c, verdict) in checked.into_iter().zip(valid) {
            match verdict {
                Ok(()) => good.push(c),
                Err(refusal) => {
                    self.pool.release(&c.pooled.sub, &c.pooled.id);
                    let _ = c.reply.send(Err(refusal));
                }
            }
        }
        let rows: Vec<PendingShielded> = good
            .iter()
            .map(|c| PendingShielded {
                seq: c.pooled.seq,
                id: c.pooled.id,
                data: c.pooled.sub.encode(),
            })
            .collect();
        if let Err(e) = state.store().accept_shielded(&rows) {
            error!(error = %e, "cannot make admitted shielded entries durable");
            for c in good {
                self.pool.release(&c.pooled.sub, &c.pooled.id);
                let _ = c.reply.send(Err(ShieldedRefusal::Internal));
            }
            return Err(e.into());
        }
        let mut replies = Vec::with_capacity(good.len());
        let mut pooled = Vec::with_capacity(good.len());
        for c in good {
            replies.push((c.pooled.id, c.reply));
            pooled.push(c.pooled);
        }
        self.pool.extend_reserved(pooled);
        for (id, reply) in replies {
            let _ = reply.send(Ok(id));
        }
        Ok(())
    }

    /// The shielded section of the block stamped `now` after a parent with `deposit_cursor`:
    /// queued deposits, then up to `max` pooled transfers; entries that expired while pooled are
    /// dropped (S-8.3). `None` when there is nothing to do.
    pub(super) fn take(
        &mut self,
        now: u64,
        max: usize,
        deposit_cursor: u32,
    ) -> Result<Option<Taken>> {
        if !self.has_work() {
            return Ok(None);
        }
        let deposits: Vec<DepositAppend> = (deposit_cursor..)
            .zip(std::mem::take(&mut self.test_deposits))
            .map(|(index, cm)| DepositAppend { index, cm })
            .collect();
        let mut transfers = Vec::new();
        let mut dropped = Vec::new();
        while transfers.len() < max {
            let Some(p) = self.pool.pop_front() else {
                break;
            };
            if p.sub.body.ext.expiry < now {
                warn!(id = %p.id, expiry = p.sub.body.ext.expiry, now, "shielded entry expired in the pool");
                dropped.push((p.id, p.seq));
                continue;
            }
            transfers.push(p);
        }
        let subs: Vec<Submission> = transfers.iter().map(|p| p.sub.clone()).collect();
        let section = section::build(&self.tree, &deposits, &subs)
            .map_err(|e| Error::Internal(format!("shielded section: {e}")))?;
        let deposit_ids = section
            .entries
            .iter()
            .take(deposits.len())
            .map(|e| e.entry.leaf());
        let ids: Vec<B256> = deposit_ids.chain(transfers.iter().map(|p| p.id)).collect();
        let entries: Vec<ShieldedRow> = section
            .entries
            .iter()
            .zip(ids)
            .map(|(e, id)| ShieldedRow {
                id,
                data: e.encode(),
            })
            .collect();
        let commit = ShieldedCommit {
            frontier: (!entries.is_empty()).then(|| section.tree.frontier()),
            entries,
            included_seqs: transfers.iter().map(|p| p.seq).collect(),
            dropped,
            nullifiers: section.nullifiers.clone(),
        };
        Ok(Some(Taken {
            deposits: u32::try_from(deposits.len()).unwrap_or(u32::MAX),
            section,
            commit,
        }))
    }

    /// The block holding `taken` is stored: the tree moves on.
    pub(super) fn applied(&mut self, taken: &Taken) {
        self.tree = taken.section.tree.clone();
    }
}
