//! The watcher's loop and wiring: each round reads L1 into the state (`crate::ingest`), fetches
//! and accepts child blocks (`crate::accept`) and follows the accumulator replica, then asks the
//! judges (`crate::judge`) about every pending exit, forced transaction and request and hands
//! what they decide to the executor (`crate::execute`). Everything here is I/O and order; the
//! rules live in the modules it calls (`docs/watcher.md` §1).

use std::{collections::BTreeMap, path::Path};

use alloy_primitives::{Address, U256};
use alloy_sol_types::Eip712Domain;
use debye_l1::{L1, LogFilter, contracts::DebyeChainClient};
use debye_primitives::{Block, SumMerkleTree, domain};
use tracing::{info, warn};

use crate::{
    BlockSource,
    accept::{accept_block, checked_tree},
    challenge::Challenge,
    error::{Error, Result},
    execute::Executor,
    ingest::Ingest,
    judge::{
        evidence::View,
        exit::{ExitVerdict, judge_exit, judge_withheld_exit},
        forced::{ForcedVerdict, Trees, judge_forced},
        request::judge_request,
    },
    mode::Mode,
    replica::{self, Replica},
    state::{Batch, State},
    store::Store,
    types::{ExitPhase, ExitRecord, ForcedPhase, ForcedRecord, Status, WatchEvent},
};

/// Watcher settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// What to keep and defend.
    pub mode: Mode,
    /// L1 account challenges and answers are sent from (receives the bonds).
    pub account: Address,
    /// Report the operator stalled after this many L1 seconds without a block commitment.
    pub stall_after: u64,
    /// First L1 block to read (the anchor's deployment block).
    pub from_l1_block: u64,
    /// Read L1 only this many blocks behind the latest (reorg safety; 0 on dev chains).
    pub confirmations: u64,
    /// Recompute the history accumulator from every block and report headers committing values
    /// the blocks do not give (`AccumulatorMismatch`, docs/accumulator.md §13.4). Costs
    /// ≈1.6 µs of CPU per exponent bit, ~40k bits per touched range (docs/watcher.md §1).
    pub verify_accumulator: bool,
}

/// Follows L1 and the operator, keeps what it needs in a redb store, challenges invalid exits
/// and answers challenge requests on valid ones. Call [`Watcher::step`] periodically (at least
/// several times per exit period; see `docs/watcher.md`) or [`Watcher::run`].
#[derive(Debug)]
pub struct Watcher<L, S> {
    chain: DebyeChainClient<L>,
    /// The anchor's forced-inclusion game (`docs/exit-game.md` §12).
    forced_game: Address,
    source: S,
    store: Store,
    state: State,
    config: Config,
    domain: Eip712Domain,
    recent: Vec<WatchEvent>,
    stalled_reported: bool,
    /// The accumulator replica (`None` when [`Config::verify_accumulator`] is off). In memory
    /// only: rebuilt from the source's blocks after a restart.
    replica: Option<Replica>,
    /// Set when the replica met a block it cannot fold: it stops for good (logged once).
    replica_stuck: bool,
}

impl<L: L1, S: BlockSource> Watcher<L, S> {
    /// Opens (or creates) the store at `path` and resumes from it. Fails with
    /// [`Error::WrongChain`] if the store follows another chain or anchor.
    pub async fn open(
        chain: DebyeChainClient<L>,
        source: S,
        path: impl AsRef<Path>,
        config: Config,
    ) -> Result<Self> {
        let chain_id = chain.l1().chain_id().await?;
        let id = format!("{chain_id}:{}", chain.address());
        let (store, mut state) = Store::open(path.as_ref())?;
        if state.meta.chain.is_empty() {
            state.meta.chain = id;
            state.meta.l1_cursor = config.from_l1_block;
            state.meta.next_child = debye_primitives::block::FIRST_BLOCK_NUMBER;
            store.commit(&state.meta, &Batch::default())?;
        } else if state.meta.chain != id {
            return Err(Error::WrongChain {
                found: state.meta.chain.clone(),
                expected: id,
            });
        }
        Ok(Self {
            domain: domain(chain_id, chain.address()),
            forced_game: chain.forced_inclusion().await?,
            chain,
            source,
            store,
            state,
            recent: Vec::new(),
            stalled_reported: false,
            replica: config.verify_accumulator.then(Replica::new),
            replica_stuck: false,
            config,
        })
    }

    /// The anchor client.
    pub fn chain(&self) -> &DebyeChainClient<L> {
        &self.chain
    }

    /// One round: read new L1 events, fetch new child blocks, then challenge, answer and resolve.
    /// Returns the events of this round (also logged with `tracing` and kept for [`Self::status`]).
    pub async fn step(&mut self) -> Result<Vec<WatchEvent>> {
        self.recent.clear();
        self.sync().await?;
        self.act().await?;
        self.claim_bonds().await?;
        Ok(self.recent.clone())
    }

    /// Claims the bonds this watcher won (the anchor and the forced-inclusion game credit them,
    /// `docs/exit-game.md` §5.3), so that its L1 balance reflects what it earned.
    async fn claim_bonds(&mut self) -> Result<()> {
        let me = self.config.account;
        if self.chain.credit_of(me).await? > U256::ZERO {
            self.chain.claim(me).await?;
        }
        if self.chain.forced_credit_of(me).await? > U256::ZERO {
            self.chain.claim_forced(me).await?;
        }
        Ok(())
    }

    /// Reads L1 and child blocks into the store without acting.
    pub async fn sync(&mut self) -> Result<()> {
        self.sync_l1().await?;
        self.sync_blocks().await?;
        self.check_stall().await?;
        Ok(())
    }

    /// Runs [`Self::step`] every `interval` until `stop` resolves.
    pub async fn run(
        &mut self,
        interval: std::time::Duration,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<()> {
        tokio::pin!(stop);
        loop {
            if let Err(e) = self.step().await {
                warn!(target: "debye_watcher", error = %e, "step failed; retrying");
            }
            tokio::select! {
                () = &mut stop => return Ok(()),
                () = tokio::time::sleep(interval) => {}
            }
        }
    }

    /// What the watcher knows and has done.
    pub fn status(&self) -> Status {
        let m = &self.state.meta;
        Status {
            mode: match self.config.mode {
                Mode::Archival => "archival".into(),
                Mode::Guard(_) => "guard".into(),
            },
            account: self.config.account,
            l1_cursor: m.l1_cursor,
            committed_blocks: self.state.headers.keys().next_back().copied().unwrap_or(0),
            next_child_block: m.next_child,
            withheld_blocks: m.withheld.iter().copied().collect(),
            deposits: self.state.deposits.len(),
            stored_txs: self.state.txs.len(),
            exits: self.state.exits.len(),
            pending_exits: self
                .state
                .exits
                .values()
                .filter(|e| e.phase == ExitPhase::Pending)
                .count(),
            challenges_sent: m.challenges_sent,
            answers_sent: m.answers_sent,
            exits_cancelled: m.exits_cancelled,
            bonds_collected: m.bonds_collected,
            forced: self.state.forced.len(),
            forced_cancelled: m.forced_cancelled,
            byzantine_reports: m.byzantine_reports,
            accumulator_height: self.replica.as_ref().map(Replica::height),
            recent: self.recent.clone(),
        }
    }

    /// Logs `event` (byzantine conditions as warnings, counted) and keeps it for the status.
    fn report(&mut self, event: WatchEvent) {
        let byzantine = matches!(
            event,
            WatchEvent::BlockWithheld { .. }
                | WatchEvent::InvalidTransaction { .. }
                | WatchEvent::OperatorStalled { .. }
                | WatchEvent::OperatorUnreachable { .. }
                | WatchEvent::UnprovableExit { .. }
                | WatchEvent::AccumulatorMismatch { .. }
        );
        let json = serde_json::to_string(&event).unwrap_or_default();
        if byzantine {
            self.state.meta.byzantine_reports += 1;
            warn!(target: "debye_watcher", byzantine = true, event = %json, "byzantine condition");
        } else {
            info!(target: "debye_watcher", event = %json, "watcher action");
        }
        self.recent.push(event);
    }

    fn view(&self) -> View<'_> {
        View {
            state: &self.state,
            mode: &self.config.mode,
        }
    }

    // ---- L1 -------------------------------------------------------------------------------

    async fn sync_l1(&mut self) -> Result<()> {
        let l1 = self.chain.l1();
        let to = l1
            .block_number()
            .await?
            .saturating_sub(self.config.confirmations);
        if to < self.state.meta.l1_cursor {
            return Ok(());
        }
        let now = l1.timestamp().await?;
        let mut filter = LogFilter::new(self.chain.address(), self.state.meta.l1_cursor);
        filter.to_block = Some(to);
        let logs = l1.logs(filter).await?;
        // The forced game's events (docs/exit-game.md §12), over the same L1 blocks.
        let mut forced_filter = LogFilter::new(self.forced_game, self.state.meta.l1_cursor);
        forced_filter.to_block = Some(to);
        let forced_logs = l1.logs(forced_filter).await?;
        let ingest = Ingest {
            mode: &self.config.mode,
            account: self.config.account,
        };
        let mut batch = Batch::default();
        let mut events = Vec::new();
        for log in &logs {
            events.extend(ingest.anchor_log(&mut self.state, &mut batch, log, now)?);
        }
        for log in &forced_logs {
            ingest.forced_log(&mut self.state, &mut batch, log)?;
        }
        // A new commitment: a later stall is a new one.
        if !batch.headers.is_empty() {
            self.stalled_reported = false;
        }
        for event in events {
            self.report(event);
        }
        self.state.meta.l1_cursor = to + 1;
        self.store.commit(&self.state.meta, &batch)
    }

    async fn check_stall(&mut self) -> Result<()> {
        let last = self.state.meta.last_commit_at;
        if last == 0 || self.stalled_reported {
            return Ok(());
        }
        let now = self.chain.l1().timestamp().await?;
        let seconds = now.saturating_sub(last);
        if seconds > self.config.stall_after {
            self.stalled_reported = true;
            self.report(WatchEvent::OperatorStalled { seconds });
        }
        Ok(())
    }

    // ---- child blocks -----------------------------------------------------------------------

    async fn sync_blocks(&mut self) -> Result<()> {
        let Some(&top) = self.state.headers.keys().next_back() else {
            return Ok(());
        };
        // After a restart the replica starts empty: bring it up to the blocks already accepted.
        let checked = self.state.meta.accumulator_checked;
        self.follow_accumulator(None).await?;
        if self.state.meta.accumulator_checked != checked {
            self.store.commit(&self.state.meta, &Batch::default())?;
        }
        let mut todo: Vec<u64> = self.state.meta.withheld.iter().copied().collect();
        todo.extend(self.state.meta.next_child..=top);
        for n in todo {
            let Some(header) = self.state.headers.get(&n).copied() else {
                continue;
            };
            let served = match self.source.block(n).await {
                Ok(b) => b,
                Err(e) => {
                    self.report(WatchEvent::OperatorUnreachable {
                        error: e.to_string(),
                    });
                    return Ok(());
                }
            };
            let was_withheld = self.state.meta.withheld.contains(&n);
            let mut batch = Batch::default();
            let accepted = served.filter(|b| b.header == header).and_then(|block| {
                let (mode, domain) = (&self.config.mode, &self.domain);
                let events = accept_block(&mut self.state, &mut batch, mode, domain, &block)?;
                Some((block, events))
            });
            let accepted = match accepted {
                Some((block, events)) => {
                    for event in events {
                        self.report(event);
                    }
                    if was_withheld {
                        self.state.meta.withheld.remove(&n);
                        self.report(WatchEvent::BlockRecovered { block: n });
                    }
                    Some(block)
                }
                None => {
                    if !was_withheld {
                        self.state.meta.withheld.insert(n);
                        self.report(WatchEvent::BlockWithheld { block: n });
                    }
                    None
                }
            };
            self.state.meta.next_child = self.state.meta.next_child.max(n + 1);
            if accepted.is_some() {
                self.follow_accumulator(accepted.as_ref()).await?;
            }
            self.store.commit(&self.state.meta, &batch)?;
        }
        Ok(())
    }

    /// Advances the accumulator replica over the accepted blocks in order (docs/accumulator.md
    /// §13.4), checking each header before folding its block in. `at_hand` is a block just
    /// accepted; any other block the replica needs (after a restart, or past a withheld block
    /// now served) is fetched again, since the store keeps only watched transactions. The
    /// replica stops at a withheld or unavailable block: headers beyond it are checked once it
    /// is served, never reported meanwhile.
    async fn follow_accumulator(&mut self, at_hand: Option<&Block>) -> Result<()> {
        loop {
            let Some(n) = self.replica.as_ref().map(|r| r.height() + 1) else {
                return Ok(());
            };
            if self.replica_stuck
                || n >= self.state.meta.next_child
                || self.state.meta.withheld.contains(&n)
            {
                return Ok(());
            }
            let Some(header) = self.state.headers.get(&n).copied() else {
                return Ok(());
            };
            let fetched;
            let block = match at_hand {
                Some(b) if b.header.number == n => b,
                _ => match self.source.block(n).await {
                    Ok(Some(b)) if checked_tree(&b, &header, &self.domain).is_some() => {
                        fetched = b;
                        &fetched
                    }
                    Ok(_) => {
                        // Served once (it was accepted) but not now: wait for it.
                        warn!(target: "debye_watcher", block = n, "accumulator replica waits for a block the operator no longer serves");
                        return Ok(());
                    }
                    Err(e) => {
                        self.report(WatchEvent::OperatorUnreachable {
                            error: e.to_string(),
                        });
                        return Ok(());
                    }
                },
            };
            let Some(ranges) = replica::touched(block) else {
                // A range outside the 160-bit coin space has no accumulator step (the operator's
                // own worker fails on it): the replica cannot go past this block.
                self.replica_stuck = true;
                warn!(target: "debye_watcher", block = n, "accumulator replica stopped: a coin range outside the accumulator's coin space");
                return Ok(());
            };
            let Some(replica) = self.replica.as_mut() else {
                return Ok(());
            };
            let consistent = replica.check(&header.accumulator.0);
            let folded = replica.fold(&ranges);
            // Blocks checked before a restart are checked again while the replica is rebuilt;
            // a mismatch among them was already reported.
            if !consistent && n > self.state.meta.accumulator_checked {
                self.report(WatchEvent::AccumulatorMismatch { block: n });
            }
            self.state.meta.accumulator_checked = self.state.meta.accumulator_checked.max(n);
            if let Err(e) = folded {
                self.replica_stuck = true;
                warn!(target: "debye_watcher", block = n, error = %e, "accumulator replica stopped");
                return Ok(());
            }
        }
    }

    // ---- acting ---------------------------------------------------------------------------

    /// Judges every pending exit, then every pending forced transaction, then every open
    /// request, each against the state as the previous actions left it.
    async fn act(&mut self) -> Result<()> {
        let me = self.config.account;
        let exits = to_act_on(&self.state.exits, |e| {
            e.phase == ExitPhase::Pending && e.action.is_none()
        });
        for exit in exits {
            self.act_on_exit(&exit).await?;
        }
        let forced = to_act_on(&self.state.forced, |f| {
            f.phase == ForcedPhase::Pending && f.action.is_none()
        });
        for f in forced {
            self.act_on_forced(&f).await?;
        }
        let now = self.chain.l1().timestamp().await?;
        let open = to_act_on(&self.state.requests, |r| !r.done);
        for r in open {
            let decided = judge_request(&self.view(), &r, me, now);
            if let Some(c) = decided {
                self.execute(&c).await?;
            }
        }
        Ok(())
    }

    /// Judges `exit`; one the watcher cannot prove wrong is reported once (`UnprovableExit`),
    /// and if its block is withheld a request may still be opened from the exited transaction
    /// the anchor published (docs/watcher.md §1 step 3, §5).
    async fn act_on_exit(&mut self, exit: &ExitRecord) -> Result<()> {
        let withheld = match judge_exit(&self.view(), exit) {
            None => return Ok(()),
            Some(ExitVerdict::Challenge(c)) => return self.execute(&c).await,
            Some(ExitVerdict::Unprovable { withheld }) => withheld,
        };
        if !exit.reported {
            let mut rec = exit.clone();
            rec.reported = true;
            self.state.exits.insert(rec.id, rec.clone());
            let batch = Batch {
                exits: vec![rec],
                ..Batch::default()
            };
            self.store.commit(&self.state.meta, &batch)?;
            self.report(WatchEvent::UnprovableExit { exit_id: exit.id });
        }
        if !withheld {
            return Ok(());
        }
        // The exited transaction of an exit from a withheld block is on L1 all the same
        // (docs/exit-game.md §3.4.1).
        let published = self
            .chain
            .exit_transactions(exit.l1_block, exit.l1_block.max(self.state.meta.l1_cursor))
            .await?;
        let Some((_, exit_tx)) = published.into_iter().find(|(id, _)| *id == exit.id) else {
            return Ok(());
        };
        match judge_withheld_exit(&self.view(), exit, &exit_tx) {
            Some(c) => self.execute(&c).await,
            None => Ok(()),
        }
    }

    /// Judges forced transaction `f`, fetching again the blocks the judge needs an exclusion
    /// proof from (the store keeps only the watched transactions).
    async fn act_on_forced(&mut self, f: &ForcedRecord) -> Result<()> {
        let mut trees = Trees::new();
        loop {
            match judge_forced(&self.view(), f, &trees) {
                None => return Ok(()),
                Some(ForcedVerdict::Challenge(c)) => return self.execute(&c).await,
                Some(ForcedVerdict::NeedBlock(n)) => {
                    let tree = self.served_tree(n).await;
                    trees.insert(n, tree);
                }
            }
        }
    }

    /// The tree of committed block `n` as the operator serves it now, if it matches the
    /// committed header and root.
    async fn served_tree(&mut self, n: u64) -> Option<SumMerkleTree> {
        let header = self.state.headers.get(&n).copied()?;
        match self.source.block(n).await {
            Ok(Some(b)) => checked_tree(&b, &header, &self.domain),
            Ok(None) => None,
            Err(e) => {
                self.report(WatchEvent::OperatorUnreachable {
                    error: e.to_string(),
                });
                None
            }
        }
    }

    /// Hands `c` to the executor and reports what came of it.
    async fn execute(&mut self, c: &Challenge) -> Result<()> {
        let executor = Executor {
            chain: &self.chain,
            store: &self.store,
            from: self.config.account,
        };
        let event = executor.execute(&mut self.state, c).await?;
        self.report(event);
        Ok(())
    }
}

/// The records of `map` still to act on, copied: acting changes the state they come from.
fn to_act_on<K, V: Clone>(map: &BTreeMap<K, V>, keep: impl Fn(&V) -> bool) -> Vec<V> {
    map.values().filter(|v| keep(v)).cloned().collect()
}
