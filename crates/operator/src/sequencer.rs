//! The sequencer: the single writer. It owns the mempool and every change to the ownership
//! index, makes accepted transactions durable in group commits, builds blocks and applies L1
//! events. It runs on a dedicated thread because every step ends in a blocking fsync.

use std::{
    sync::{Arc, atomic::Ordering},
    time::Instant,
};

use alloy_primitives::B256;
use debye_primitives::{BlockHeader, SumMerkleTree, block::FIRST_BLOCK_NUMBER};
use debye_storage::{
    BlockCommit, DepositEntry, DropReason, ExitEntry, L1Events, Origin, PendingTx, ShieldedRebuild,
    ShieldedRow,
};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, error, info, warn};

mod shielded;

use crate::{
    Error, Result,
    blocks::BlockIndex,
    command::{Command, ForcedTx, ShieldedImport, Submission},
    ledger::Ledger,
    mempool::{Admission, Mempool, Refusal},
    shielded::{
        restamp::{self, StoredSection},
        submission::BlockEntry,
        tree::NoteTree,
    },
    state::NodeState,
};

/// The timestamp of a block after `parent` built at L1 time `l1_time`: `max(parent.timestamp,
/// l1_time)`, which `submitBlock` accepts (`prev.timestamp <= ts <= block.timestamp`) as long as
/// the block reaches L1 within `TS_WINDOW` of `l1_time` (else the submitter re-stamps it).
pub(crate) fn stamp(parent: Option<&BlockHeader>, l1_time: u64) -> u64 {
    parent.map_or(0, |p| p.timestamp).max(l1_time)
}

/// Answers owed to submitters once their batch is durable.
type Replies = Vec<(B256, oneshot::Sender<Result<B256, Refusal>>)>;

pub(crate) struct Sequencer {
    state: Arc<NodeState>,
    mempool: Mempool,
    shielded: shielded::ShieldedSeq,
    tip: Option<BlockHeader>,
    max_batch: usize,
    max_block_txs: usize,
}

impl Sequencer {
    /// Rebuilds the in-memory state from the store: the index, then the pending transactions
    /// replayed in acceptance order.
    pub(crate) fn recover(state: Arc<NodeState>) -> Result<Self> {
        let store = state.store();
        let tip = store.tip()?;
        let next_seq = store.next_seq()?;
        let pending = store.pending()?;
        {
            let mut ledger = state.ledger_mut()?;
            *ledger = Ledger::from_records(store.ranges()?);
            for p in &pending {
                match ledger.check(&p.tx.transaction, p.tx_id) {
                    Ok(_) => ledger.mark_pending(&p.tx.transaction, p.tx_id),
                    Err(e) => {
                        return Err(Error::Internal(format!(
                            "stored pending tx {} no longer applies: {e}",
                            p.tx_id
                        )));
                    }
                }
            }
            // Replaying splits stored ranges at the pending inputs' bounds. The store does not
            // hold those splits (acceptance stores transactions, not ranges), so they stay dirty
            // and go out with the next block's delta: dropping them here lost the unsplit
            // remainder of a range once one of its pieces was included (found by the crash test).
        }
        state.set_mempool_len(pending.len());
        state.set_tip(tip.as_ref());
        info!(
            tip = tip.map_or(0, |h| h.number),
            pending = pending.len(),
            "state recovered"
        );
        let config = state.config();
        Ok(Self {
            max_batch: config.mempool.max_batch,
            max_block_txs: config.block.max_txs,
            mempool: Mempool::new(pending, next_seq, config.mempool.max_size),
            shielded: shielded::ShieldedSeq::recover(store.as_ref(), tip.as_ref())?,
            state,
            tip,
        })
    }

    fn next_number(&self) -> u64 {
        self.tip
            .map_or(FIRST_BLOCK_NUMBER, |h| h.number.saturating_add(1))
    }

    /// Runs until every command sender is gone. Returns an error when storage fails, after
    /// which the node must stop (memory may be ahead of the store).
    pub(crate) fn run(mut self, mut rx: mpsc::Receiver<Command>) -> Result<()> {
        let mut batch = Vec::with_capacity(self.max_batch);
        while let Some(first) = rx.blocking_recv() {
            batch.push(first);
            while batch.len() < self.max_batch {
                match rx.try_recv() {
                    Ok(c) => batch.push(c),
                    Err(_) => break,
                }
            }
            let mut accepted: Vec<PendingTx> = Vec::new();
            let mut replies: Replies = Vec::new();
            let mut build = false;
            let mut deferred = Vec::new();
            let mut shutdown = false;
            let mut checked = Vec::new();
            let next_time = stamp(self.tip.as_ref(), self.state.l1_time());
            for cmd in batch.drain(..) {
                match cmd {
                    Command::Submit(s) => self.admit(s, &mut accepted, &mut replies),
                    Command::SubmitShielded(s) => {
                        self.shielded
                            .admit(&self.state, next_time, *s, &mut checked);
                    }
                    Command::Tick => build = true,
                    other => deferred.push(other),
                }
            }
            self.commit_accepted(accepted, replies)?;
            self.shielded.commit(&self.state, checked)?;
            for cmd in deferred {
                match cmd {
                    Command::L1 {
                        deposits,
                        exits,
                        forced,
                        shielded,
                        next_l1_block,
                        reply,
                    } => {
                        let r = self.apply_l1(deposits, exits, forced, shielded, next_l1_block);
                        let failed = r.as_ref().err().map(ToString::to_string);
                        let _ = reply.send(r);
                        if let Some(e) = failed {
                            return Err(Error::Internal(format!("L1 events not stored: {e}")));
                        }
                    }
                    Command::Restamp { from, now, reply } => {
                        let r = self.restamp(from, now);
                        let failed = r.as_ref().err().map(ToString::to_string);
                        let _ = reply.send(r);
                        if let Some(e) = failed {
                            return Err(Error::Internal(format!("headers not re-stamped: {e}")));
                        }
                    }
                    Command::Flush(reply) => {
                        let r = self.build_block();
                        let failed = r.as_ref().err().map(ToString::to_string);
                        let _ = reply.send(r);
                        if let Some(e) = failed {
                            return Err(Error::Internal(format!("block not stored: {e}")));
                        }
                    }
                    Command::Shutdown => shutdown = true,
                    Command::Submit(_) | Command::SubmitShielded(_) | Command::Tick => {}
                }
            }
            if shutdown {
                break;
            }
            while build
                || self.mempool.len() >= self.max_block_txs
                || self.shielded.pooled() >= self.max_block_txs
            {
                build = false;
                if self.build_block()?.is_none() {
                    break;
                }
            }
        }
        info!("sequencer stopped");
        Ok(())
    }

    /// Admits a verified transaction (see [`Mempool::admit`]): a new one joins the batch to make
    /// durable, a known one is answered at once, a refused one is answered with why.
    fn admit(&mut self, s: Submission, accepted: &mut Vec<PendingTx>, replies: &mut Replies) {
        let next = self.next_number();
        let admitted = self.mempool.admit(
            &self.state,
            next,
            s.tx_id,
            &s.tx.transaction,
            accepted.len(),
        );
        match admitted {
            Ok(Admission::Known) => {
                let _ = s.reply.send(Ok(s.tx_id));
            }
            Ok(Admission::New { seq }) => {
                accepted.push(PendingTx {
                    seq,
                    tx_id: s.tx_id,
                    tx: s.tx,
                });
                replies.push((s.tx_id, s.reply));
            }
            Err(refusal) => {
                self.state
                    .metrics()
                    .txs_rejected
                    .fetch_add(1, Ordering::Relaxed);
                let _ = s.reply.send(Err(refusal));
            }
        }
    }

    /// Makes a batch durable with one commit, then answers it.
    fn commit_accepted(&mut self, accepted: Vec<PendingTx>, replies: Replies) -> Result<()> {
        if accepted.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.state.store().accept(&accepted) {
            error!(error = %e, "cannot make accepted transactions durable");
            if let Ok(mut ledger) = self.state.ledger_mut() {
                for p in &accepted {
                    ledger.unmark(&p.tx.transaction, p.tx_id);
                }
            }
            for (_, reply) in replies {
                let _ = reply.send(Err(Refusal::Internal));
            }
            return Err(e.into());
        }
        let n = accepted.len() as u64;
        self.mempool.extend(accepted);
        self.state.set_mempool_len(self.mempool.len());
        let metrics = self.state.metrics();
        metrics.txs_accepted.fetch_add(n, Ordering::Relaxed);
        metrics.group_commits.fetch_add(1, Ordering::Relaxed);
        for (id, reply) in replies {
            let _ = reply.send(Ok(id));
        }
        Ok(())
    }

    /// Builds, stores and announces the next block from the oldest pending transactions. Returns
    /// the block number, or `None` when nothing was pending.
    fn build_block(&mut self) -> Result<Option<u64>> {
        if self.mempool.is_empty() && !self.shielded.has_work(self.tip.as_ref()) {
            return Ok(None);
        }
        let started = Instant::now();
        let number = self.next_number();
        // Before the ledger lock: sealing may wait for the accumulator worker (max_lag).
        let accumulator = match self.state.accumulator() {
            Some(acc) => acc.seal(number)?,
            None => B256::ZERO,
        };
        let mut txs = Vec::new();
        let mut seqs = Vec::new();
        let mut dropped = Vec::new();
        let mut ledger = self.state.ledger_mut()?;
        while txs.len() < self.max_block_txs {
            let Some(p) = self.mempool.pop_front() else {
                break;
            };
            if p.tx.transaction.max_block_index < number {
                ledger.unmark(&p.tx.transaction, p.tx_id);
                dropped.push((p.tx_id, p.seq, DropReason::Expired));
                continue;
            }
            seqs.push(p.seq);
            txs.push((p.tx_id, p.tx));
        }
        let entries = txs.iter().flat_map(|(id, stx)| {
            stx.transaction
                .coin_ranges()
                .into_iter()
                .map(move |r| (r, *id))
        });
        let tree = SumMerkleTree::build(entries)
            .map_err(|e| Error::Internal(format!("pending transactions overlap: {e}")))?;
        // Without shielded entries the note tree and the deposit cursor are carried from the
        // parent (docs/shielded.md §2.1), and the entries root and count are zero. The exit
        // cursor counts every exit start imported (S-2.2 rule 3; S-4.3: their nullifiers are in
        // the set from this block on, and no entry below spends them).
        let parent = self.tip.unwrap_or_default();
        let timestamp = stamp(self.tip.as_ref(), self.state.l1_time());
        let mut header = BlockHeader {
            number,
            prev_hash: self.tip.map_or(B256::ZERO, |h| h.hash()),
            tx_root: tree.root(),
            accumulator,
            note_root: parent.note_root,
            note_count: parent.note_count,
            entries_root: B256::ZERO,
            entry_count: 0,
            deposit_cursor: parent.deposit_cursor,
            exit_cursor: self.shielded.exit_cursor(),
            timestamp,
        };
        let taken = self
            .shielded
            .take(timestamp, self.max_block_txs, self.tip.as_ref())?;
        if let Some(t) = taken.as_ref().filter(|t| t.section.entry_count() > 0) {
            header.note_root = t.section.note_root;
            header.note_count = t.section.tree.count();
            header.entries_root = t.section.entries_root;
            header.entry_count = t.section.entry_count();
            header.deposit_cursor = parent.deposit_cursor.saturating_add(t.deposits);
        }
        for (index, (_, stx)) in txs.iter().enumerate() {
            let index =
                u32::try_from(index).map_err(|_| Error::Internal("block too big".into()))?;
            ledger.apply_included(&stx.transaction, number, index);
        }
        let ranges = ledger.take_delta();
        drop(ledger);
        let included = txs.len();
        let commit = BlockCommit {
            header,
            txs,
            included_seqs: seqs,
            dropped,
            ranges,
            shielded: taken.as_ref().map(|t| t.commit.clone()).unwrap_or_default(),
        };
        self.state.store().commit_block(&commit)?;
        if let Some(t) = &taken {
            self.shielded.applied(t);
        }
        if let Some(acc) = self.state.accumulator() {
            acc.push(number, crate::accumulator::touched(&commit.txs)?)?;
        }
        self.tip = Some(header);
        let positions = commit
            .txs
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (*id, u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        self.state.cache_block(
            number,
            BlockIndex {
                tree: Arc::new(tree),
                positions,
            },
        );
        self.state.set_tip(Some(&header));
        self.state.set_mempool_len(self.mempool.len());
        let metrics = self.state.metrics();
        metrics.blocks_built.fetch_add(1, Ordering::Relaxed);
        metrics
            .txs_included
            .fetch_add(included as u64, Ordering::Relaxed);
        metrics
            .txs_dropped
            .fetch_add(commit.dropped.len() as u64, Ordering::Relaxed);
        metrics.block_build.observe(started.elapsed());
        info!(
            number,
            txs = included,
            dropped = commit.dropped.len(),
            ms = started.elapsed().as_millis() as u64,
            "block stored"
        );
        Ok(Some(number))
    }

    /// Re-stamps the stored blocks `from ..= tip` with L1 time `now` and relinks them: each
    /// gets [`stamp`] of its (possibly re-stamped) parent and `now`, and the `prevHash` of its
    /// new parent. Numbers, transparent bodies and cursors stay. Called by the submitter for a
    /// block L1 has not committed whose timestamp `submitBlock` would refuse (built before an L1
    /// time jump, or before the node first read L1's clock); blocks before `from` are committed
    /// and untouched. Nothing to do when `from` is past the tip. A shielded transfer expired at
    /// its block's new timestamp is left out and dropped, and the sections from there on are
    /// rebuilt (docs/shielded.md §10: else the block is provably invalid, F3).
    fn restamp(&mut self, from: u64, now: u64) -> Result<()> {
        let Some(tip) = self.tip.filter(|t| t.number >= from) else {
            return Ok(());
        };
        let store = self.state.store();
        let before = from.checked_sub(1).filter(|n| *n >= FIRST_BLOCK_NUMBER);
        let mut parent = match before {
            Some(n) => store.header(n)?,
            None => None,
        };
        let mut old = Vec::new();
        let mut sections = Vec::new();
        let mut ts_parent = parent;
        for n in from..=tip.number {
            let header = store
                .header(n)?
                .ok_or_else(|| Error::Internal(format!("stored block {n} is missing")))?;
            let timestamp = stamp(ts_parent.as_ref(), now);
            ts_parent = Some(BlockHeader {
                timestamp,
                ..header
            });
            let entries = store
                .block_shielded(n)?
                .into_iter()
                .map(|row| {
                    BlockEntry::decode(&row.data)
                        .map(|e| (row.id, e))
                        .map_err(|e| Error::Internal(format!("stored entry of block {n}: {e}")))
                })
                .collect::<Result<Vec<_>>>()?;
            sections.push(StoredSection { timestamp, entries });
            old.push(header);
        }
        let frontier = store
            .note_frontier(before.unwrap_or(0))?
            .unwrap_or_default();
        let tree = NoteTree::from_frontier(&frontier)
            .map_err(|e| Error::Internal(format!("note tree before block {from}: {e}")))?;
        let rebuilt = restamp::rebuild(&tree, &sections)
            .map_err(|e| Error::Internal(format!("re-stamped shielded section: {e}")))?;
        let mut headers = Vec::new();
        let mut rebuilds = Vec::new();
        for (i, (old, stored)) in old.iter().zip(&sections).enumerate() {
            let mut new = BlockHeader {
                prev_hash: parent.map_or(B256::ZERO, |p| p.hash()),
                timestamp: stored.timestamp,
                ..*old
            };
            if let Some(r) = rebuilt.as_ref().and_then(|r| r.get(i)) {
                let p = parent.unwrap_or_default();
                let count = r.section.entry_count();
                (
                    new.note_root,
                    new.note_count,
                    new.entries_root,
                    new.entry_count,
                ) = if count > 0 {
                    (
                        r.section.note_root,
                        r.section.tree.count(),
                        r.section.entries_root,
                        count,
                    )
                } else {
                    (p.note_root, p.note_count, B256::ZERO, 0)
                };
                for id in &r.dropped {
                    warn!(%id, block = old.number, timestamp = stored.timestamp, "shielded entry expired at its block's new timestamp: dropped");
                }
                rebuilds.push(ShieldedRebuild {
                    number: old.number,
                    entries: r
                        .section
                        .entries
                        .iter()
                        .zip(&r.ids)
                        .map(|(e, id)| ShieldedRow {
                            id: *id,
                            data: e.encode(),
                        })
                        .collect(),
                    dropped: r.dropped.clone(),
                    freed: r.freed.clone(),
                    frontier: (count > 0).then(|| r.section.tree.frontier()),
                });
            }
            headers.push(new);
            parent = Some(new);
        }
        store.replace_blocks(&headers, &rebuilds)?;
        if let Some(last) = rebuilt.as_ref().and_then(|r| r.last()) {
            self.shielded.set_tree(last.section.tree.clone());
        }
        if let Some(last) = parent {
            self.tip = Some(last);
            self.state.set_tip(Some(&last));
        }
        warn!(
            from,
            to = tip.number,
            timestamp = now,
            rebuilt = rebuilds.len(),
            "re-stamped blocks L1 would refuse as too old"
        );
        Ok(())
    }

    /// Credits deposits and applies exits and included forced transactions, and imports the
    /// shielded pool's queues, durably (one store transaction with the L1 cursor).
    fn apply_l1(
        &mut self,
        deposits: Vec<DepositEntry>,
        exits: Vec<ExitEntry>,
        forced: Vec<ForcedTx>,
        shielded: ShieldedImport,
        next_l1_block: u64,
    ) -> Result<()> {
        let imported = self.shielded.import(shielded)?;
        let (shielded_deposits, shielded_exits) =
            (imported.deposits.len() as u64, imported.exits.len() as u64);
        let mut events = L1Events {
            next_l1_block,
            shielded_deposits: imported.deposits,
            shielded_exits: imported.exits,
            shielded_dropped: imported.dropped,
            ..Default::default()
        };
        let mut ledger = self.state.ledger_mut()?;
        for d in deposits {
            if self.state.store().deposit(d.segment.start())?.is_some()
                || ledger.overlaps(&d.segment)
            {
                debug!(start = %d.segment.start(), "deposit already known");
                continue;
            }
            ledger.insert(d.segment, d.owner, Origin::deposit(d.block));
            info!(owner = %d.owner, segment = %d.segment, block = d.block, "deposit credited");
            events.deposits.push(d);
        }
        for e in exits {
            let ids = ledger.exit(&e.segment);
            for id in ids {
                if let Some(p) = self.mempool.remove(id) {
                    ledger.unmark(&p.tx.transaction, p.tx_id);
                    // The exited part stays exited: unmark only frees Pending entries.
                    events.dropped.push((p.tx_id, p.seq, DropReason::Exited));
                }
            }
            warn!(segment = %e.segment, "range exited");
            events.exits.push(e);
        }
        // docs/exit-game.md §12.3–12.4, §13: an included forced transaction is the earlier spend
        // of its inputs; its outputs are held by their recipients, created at `FORCED_BLOCK | k`
        // (docs/formats.md §3.1). Pending transactions spending its inputs can never be valid.
        for f in forced {
            for id in ledger.pending_over(&f.tx) {
                if let Some(p) = self.mempool.remove(id) {
                    ledger.unmark(&p.tx.transaction, p.tx_id);
                    events.dropped.push((p.tx_id, p.seq, DropReason::Forced));
                }
            }
            let block = debye_l1::forced::forced_block_index(f.index);
            ledger.apply_included(&f.tx, block, 0);
            info!(
                index = f.index,
                block, "forced transaction included on L1 applied"
            );
        }
        events.ranges = ledger.take_delta();
        drop(ledger);
        self.state.store().record_l1_events(&events)?;
        self.state.set_mempool_len(self.mempool.len());
        self.state
            .metrics()
            .deposits
            .fetch_add(events.deposits.len() as u64, Ordering::Relaxed);
        let metrics = self.state.metrics();
        metrics
            .shielded_deposits
            .fetch_add(shielded_deposits, Ordering::Relaxed);
        metrics
            .shielded_exits
            .fetch_add(shielded_exits, Ordering::Relaxed);
        Ok(())
    }
}
