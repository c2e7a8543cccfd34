//! The sequencer's shielded half: the rules over chain state (expiry against the next header's
//! time, root, nullifier set and pool), the proofs of one command batch verified together, the
//! batch made durable before any answer, and the shielded section of each block built from the
//! pool (tree appends only here, off the admission path: docs/shielded.md S-4.3); and the L1
//! pool's queues imported: deposits waiting to be appended, exits whose nullifiers join the set.

use std::collections::VecDeque;

use alloy_primitives::B256;
use debye_primitives::BlockHeader;
use debye_storage::{
    PendingShielded, ShieldedCommit, ShieldedDepositEntry, ShieldedExitEntry, ShieldedRow,
    ShieldedStatus, Store,
};
use tokio::sync::oneshot;
use tracing::{error, info, warn};

use crate::{
    Error, Result,
    command::{ShieldedImport, ShieldedSubmit},
    shielded::{
        ShieldedRefusal, Submission, import,
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

/// What an L1 scan changes in the shielded ledger, to store with the scan's cursor.
#[derive(Debug, Default)]
pub(super) struct Imported {
    pub(super) deposits: Vec<ShieldedDepositEntry>,
    pub(super) exits: Vec<ShieldedExitEntry>,
    /// Pooled entries spending an exited note: id and pool sequence number.
    pub(super) dropped: Vec<(B256, u64)>,
}

/// The pool, the note tree and the imported L1 queues, owned by the sequencer.
pub(super) struct ShieldedSeq {
    pool: ShieldedPool,
    tree: NoteTree,
    /// L1 deposits imported and not yet appended, in index order (S-4.3).
    deposits: VecDeque<ShieldedDepositEntry>,
    /// Index of the next L1 deposit to import.
    next_deposit: u32,
    /// L1 exit starts imported: the next header's `exitCursor` (S-2.2 rule 3).
    exits_imported: u32,
}

impl ShieldedSeq {
    /// The pool replayed from the store, the tree after block `tip` and the imported queues.
    pub(super) fn recover(store: &dyn Store, tip: Option<&BlockHeader>) -> Result<Self> {
        let deposits: VecDeque<_> = store.shielded_deposit_queue()?.into();
        let next_deposit = match deposits.back() {
            Some(d) => d.index.saturating_add(1),
            None => tip.map_or(0, |h| h.deposit_cursor),
        };
        let tip = tip.map_or(0, |h| h.number);
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
            deposits,
            next_deposit,
            exits_imported: store.shielded_exits_imported()?,
        })
    }

    /// The `exitCursor` of the next header: every exit start imported.
    pub(super) fn exit_cursor(&self) -> u32 {
        self.exits_imported
    }

    /// Takes what an L1 scan read from the pool: the events not imported yet, in index order
    /// (a gap is an internal error), and the pooled entries an exit invalidates (S-4.3: they
    /// are dropped, else the block holding them would be fraud F5). Memory moves on here; the
    /// caller stores [`Imported`] with the L1 cursor, and stops the node if that fails.
    pub(super) fn import(&mut self, events: ShieldedImport) -> Result<Imported> {
        let gap = |e: import::QueueGap| Error::Internal(e.to_string());
        let deposits = import::in_order("deposit", self.next_deposit, events.deposits, |d| d.index)
            .map_err(gap)?;
        let exits = import::in_order("exit", self.exits_imported, events.exits, |e| e.index)
            .map_err(gap)?;
        let exited = import::exited_nullifiers(exits.iter().map(|e| &e.nullifiers));
        let dropped: Vec<(B256, u64)> = self
            .pool
            .remove_spending(&exited)
            .into_iter()
            .map(|p| {
                warn!(id = %p.id, "shielded entry dropped: an L1 exit took a note it spends");
                (p.id, p.seq)
            })
            .collect();
        self.next_deposit += u32::try_from(deposits.len()).unwrap_or(u32::MAX);
        self.exits_imported += u32::try_from(exits.len()).unwrap_or(u32::MAX);
        self.deposits.extend(deposits.iter().copied());
        if !deposits.is_empty() || !exits.is_empty() {
            info!(
                deposits = deposits.len(),
                exits = exits.len(),
                dropped = dropped.len(),
                "shielded pool events imported from L1"
            );
        }
        Ok(Imported {
            deposits,
            exits,
            dropped,
        })
    }

    /// Entries waiting in the pool.
    pub(super) fn pooled(&self) -> usize {
        self.pool.len()
    }

    /// Whether a block after `parent` has shielded work to do: entries to include, deposits
    /// to append, or exits its `exitCursor` must count (S-2.2 rules 2 and 3 make both due
    /// within `Q_WINDOW`).
    pub(super) fn has_work(&self, parent: Option<&BlockHeader>) -> bool {
        !self.pool.is_empty()
            || !self.deposits.is_empty()
            || self.exits_imported > parent.map_or(0, |p| p.exit_cursor)
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
            |nf| store.nullifier_exit(nf),
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
        for (c, ok) in checked.into_iter().zip(valid) {
            if ok {
                good.push(c);
            } else {
                self.pool.release(&c.pooled.sub, &c.pooled.id);
                let _ = c.reply.send(Err(ShieldedRefusal::BadProof));
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

    /// The shielded section of the block stamped `now` after `parent`: up to `max` imported
    /// deposits in index order (S-3.3), then up to `max` pooled transfers; entries that expired
    /// while pooled are dropped (S-8.3). `None` when there is nothing to do.
    pub(super) fn take(
        &mut self,
        now: u64,
        max: usize,
        parent: Option<&BlockHeader>,
    ) -> Result<Option<Taken>> {
        if !self.has_work(parent) {
            return Ok(None);
        }
        let deposit_cursor = parent.map_or(0, |p| p.deposit_cursor);
        if let Some(first) = self.deposits.front()
            && first.index != deposit_cursor
        {
            // S-2.2 rule 2: the next append is the deposit the parent's cursor names.
            return Err(Error::Internal(format!(
                "imported deposit {} is next in the queue, but the cursor is at {deposit_cursor}",
                first.index
            )));
        }
        let deposits: Vec<DepositAppend> = self
            .deposits
            .iter()
            .take(max)
            .map(|d| DepositAppend {
                index: d.index,
                cm: d.cm,
            })
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
            appended_deposits: deposits.iter().map(|d| d.index).collect(),
            nullifiers: section.nullifiers.clone(),
        };
        Ok(Some(Taken {
            deposits: u32::try_from(deposits.len()).unwrap_or(u32::MAX),
            section,
            commit,
        }))
    }

    /// Stored blocks were re-stamped and their sections rebuilt: the tree after the tip is
    /// `tree`.
    pub(super) fn set_tree(&mut self, tree: NoteTree) {
        self.tree = tree;
    }

    /// The block holding `taken` is stored: the tree moves on and its deposits leave the queue.
    pub(super) fn applied(&mut self, taken: &Taken) {
        self.tree = taken.section.tree.clone();
        for _ in 0..taken.deposits {
            self.deposits.pop_front();
        }
    }
}
