//! The watcher proper: sync L1 and child blocks into the store, then act.

use std::path::Path;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{Eip712Domain, SolEvent};
use debye_l1::{
    L1, L1Log, LogFilter,
    contracts::{BlockSubmitted, DebyeChainClient, Deposit},
    exits::{
        ChallengeAnswered, ChallengeClosed, ChallengeRequested, ExitCancelled, ExitFinalized,
        ExitStarted, ExitWithdrawn, output_proof, spend_proof,
    },
    forced::{
        FORCED_BLOCK, ForcedCancelled, ForcedIncluded, ForcedLapsed, ForcedPosted, ForcedSigned,
        forced_spend_proof, posted_transaction,
    },
};
use debye_primitives::{Block, BlockHeader, Input, Segment, SumMerkleTree, Transaction, domain};
use tracing::{info, warn};

use crate::{
    BlockSource, Error, Result,
    replica::{self, Replica},
    store::{Batch, State, Store, exit_key, spend_key},
    types::{
        DepositInfo, ExitPhase, ExitRecord, ForcedPhase, ForcedRecord, RequestRecord, Status,
        StoredTx, WatchEvent,
    },
};

/// Which coins the watcher keeps histories for and defends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every transaction and every exit.
    Archival,
    /// Only transactions and exits touching these coin ranges (a user's or a custodian's).
    Guard(Vec<Segment>),
}

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

/// An output named by a challenge request.
enum Named {
    /// A deposit.
    Deposit(DepositInfo),
    /// Output `.1` of a stored transaction.
    Output(StoredTx, usize),
}

/// Position (exit priority) of a regular output, as `u64` (a forced position, `>= 2^128`,
/// saturates; callers that may see one use [`exit_key`] or [`block_of`]).
fn pos_u64(p: U256) -> u64 {
    p.saturating_to::<u64>()
}

/// The child block a position ranks at (`docs/exit-game.md` §12.4: `blockOf(position)`, the
/// newest input's block for a forced position).
fn block_of(p: U256) -> u64 {
    let rank = p & ((U256::from(1u8) << 128) - U256::from(1u8));
    pos_u64(rank >> 1)
}

/// `ExitLib.order`: how the exit game compares positions (`docs/exit-game.md` §12.4).
fn order(p: U256) -> U256 {
    let rank = p & ((U256::from(1u8) << 128) - U256::from(1u8));
    rank * U256::from(2u8) + U256::from(u8::from(p >> 128 != U256::ZERO))
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

    fn watched(&self, seg: &Segment) -> bool {
        match &self.config.mode {
            Mode::Archival => true,
            Mode::Guard(ranges) => ranges.iter().any(|r| r.overlaps(seg)),
        }
    }

    /// The first coin of `range` the watcher guards.
    fn watched_coin(&self, range: &Segment) -> Option<U256> {
        match &self.config.mode {
            Mode::Archival => Some(range.start()),
            Mode::Guard(ranges) => ranges
                .iter()
                .filter(|r| r.overlaps(range))
                .map(|r| r.start().max(range.start()))
                .min(),
        }
    }

    fn watched_range(&self, start: U256, end: U256) -> bool {
        Segment::new(start, end).is_ok_and(|s| self.watched(&s))
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
        let mut batch = Batch::default();
        for log in &logs {
            self.apply_log(log, now, &mut batch)?;
        }
        for log in &forced_logs {
            self.apply_forced_log(log, &mut batch)?;
        }
        self.state.meta.l1_cursor = to + 1;
        self.store.commit(&self.state.meta, &batch)
    }

    fn apply_log(&mut self, log: &L1Log, now: u64, batch: &mut Batch) -> Result<()> {
        fn dec<E: SolEvent>(log: &L1Log) -> Result<E> {
            E::decode_raw_log(log.topics.iter().copied(), &log.data)
                .map_err(|e| Error::L1(debye_l1::Error::Decode(e)))
        }
        let Some(topic) = log.topics.first().copied() else {
            return Ok(());
        };
        let account = self.config.account;
        if topic == Deposit::SIGNATURE_HASH {
            let d: Deposit = dec(log)?;
            let info = DepositInfo {
                owner: d.owner,
                start: d.start,
                end: d.end,
                block_number: d.blockNumber,
            };
            self.state.deposits.insert(info.start, info.clone());
            batch.deposits.push(info);
        } else if topic == BlockSubmitted::SIGNATURE_HASH {
            let b: BlockSubmitted = dec(log)?;
            let header = BlockHeader {
                number: b.number,
                prev_hash: b.prevHash,
                tx_root: b.txRoot,
                accumulator: b.accumulator,
                note_root: b.noteRoot,
            };
            self.state.headers.insert(header.number, header);
            self.state.meta.last_commit_at = now;
            self.stalled_reported = false;
            batch.headers.push(header);
        } else if topic == ExitStarted::SIGNATURE_HASH {
            let e: ExitStarted = dec(log)?;
            if !self.state.exits.contains_key(&e.exitId) && self.watched_range(e.start, e.end) {
                let rec = ExitRecord {
                    id: e.exitId,
                    owner: e.owner,
                    start: e.start,
                    end: e.end,
                    position: e.position,
                    tx_id: e.txId,
                    exitable_at: e.exitableAt.to::<u64>(),
                    bond: U256::from(e.bond.to::<u128>()),
                    phase: ExitPhase::Pending,
                    action: None,
                    reported: false,
                    l1_block: log.block_number,
                };
                self.state.exits.insert(rec.id, rec.clone());
                batch.exits.push(rec);
            }
        } else if topic == ExitCancelled::SIGNATURE_HASH {
            let e: ExitCancelled = dec(log)?;
            if let Some(rec) = self.state.exits.get_mut(&e.exitId)
                && rec.phase == ExitPhase::Pending
            {
                rec.phase = ExitPhase::Cancelled;
                if e.beneficiary == account {
                    self.state.meta.exits_cancelled += 1;
                    self.state.meta.bonds_collected += rec.bond;
                }
                batch.exits.push(rec.clone());
            }
        } else if topic == ExitFinalized::SIGNATURE_HASH || topic == ExitWithdrawn::SIGNATURE_HASH {
            let id = log.topics.get(1).copied().unwrap_or_default();
            if let Some(rec) = self.state.exits.get_mut(&id)
                && rec.phase == ExitPhase::Pending
            {
                rec.phase = ExitPhase::Settled;
                batch.exits.push(rec.clone());
            }
        } else if topic == ChallengeRequested::SIGNATURE_HASH {
            let r: ChallengeRequested = dec(log)?;
            if self.state.exits.contains_key(&r.exitId) {
                let rec = RequestRecord {
                    challenge_id: r.challengeId,
                    exit_id: r.exitId,
                    position: r.outputPosition,
                    owner: r.outputOwner,
                    coin: r.coin,
                    challenger: r.challenger,
                    deadline: r.deadline.to::<u64>(),
                    done: false,
                };
                self.state.requests.insert(rec.challenge_id, rec.clone());
                batch.requests.push(rec);
            }
        } else if topic == ChallengeAnswered::SIGNATURE_HASH
            || topic == ChallengeClosed::SIGNATURE_HASH
        {
            let id = log.topics.get(2).copied().unwrap_or_default();
            let answered = topic == ChallengeAnswered::SIGNATURE_HASH;
            let mut ours = None;
            if let Some(rec) = self.state.requests.get_mut(&id) {
                rec.done = true;
                batch.requests.push(rec.clone());
                if answered && rec.challenger == account {
                    ours = Some(rec.exit_id);
                }
            }
            // Our request was answered: the exit gets judged again next round, so the game
            // continues on a younger output if the answer's block is (or becomes) known.
            if let Some(exit_id) = ours {
                if let Some(exit) = self.state.exits.get_mut(&exit_id) {
                    exit.action = None;
                    batch.exits.push(exit.clone());
                }
                self.report(WatchEvent::RequestAnswered {
                    exit_id,
                    challenge_id: id,
                });
            }
        }
        Ok(())
    }

    /// Follows the forced game (`docs/exit-game.md` §12): posted transactions over watched coins
    /// are recorded to be judged (§12.2) and, once included, used as spends (§12.4).
    fn apply_forced_log(&mut self, log: &L1Log, batch: &mut Batch) -> Result<()> {
        fn dec<E: SolEvent>(log: &L1Log) -> Result<E> {
            E::decode_raw_log(log.topics.iter().copied(), &log.data)
                .map_err(|e| Error::L1(debye_l1::Error::Decode(e)))
        }
        let Some(topic) = log.topics.first().copied() else {
            return Ok(());
        };
        let (index, phase) = if topic == ForcedPosted::SIGNATURE_HASH {
            let p: ForcedPosted = dec(log)?;
            let tx = match posted_transaction(&p) {
                Ok(tx) => tx,
                Err(e) => {
                    warn!(target: "debye_watcher", index = p.index, error = %e, "ignoring undecodable forced transaction");
                    return Ok(());
                }
            };
            if self.state.forced.contains_key(&p.index)
                || !tx.coin_ranges().iter().any(|s| self.watched(s))
            {
                return Ok(());
            }
            let rec = ForcedRecord {
                index: p.index,
                tx_id: p.txId,
                tx,
                position: p.position,
                bond: p.bond,
                phase: ForcedPhase::Pending,
                signers: Vec::new(),
                action: None,
            };
            self.state.forced.insert(rec.index, rec.clone());
            batch.forced.push(rec);
            return Ok(());
        } else if topic == ForcedSigned::SIGNATURE_HASH {
            let sig: ForcedSigned = dec(log)?;
            if let Some(rec) = self.state.forced.get_mut(&sig.index)
                && !rec.signers.contains(&sig.owner)
            {
                rec.signers.push(sig.owner);
                batch.forced.push(rec.clone());
            }
            return Ok(());
        } else if topic == ForcedCancelled::SIGNATURE_HASH {
            let c: ForcedCancelled = dec(log)?;
            if c.beneficiary == self.config.account
                && let Some(rec) = self.state.forced.get(&c.index)
                && rec.phase == ForcedPhase::Pending
            {
                self.state.meta.forced_cancelled += 1;
                self.state.meta.bonds_collected += rec.bond;
            }
            (c.index, ForcedPhase::Cancelled)
        } else if topic == ForcedIncluded::SIGNATURE_HASH {
            (dec::<ForcedIncluded>(log)?.index, ForcedPhase::Included)
        } else if topic == ForcedLapsed::SIGNATURE_HASH {
            (dec::<ForcedLapsed>(log)?.index, ForcedPhase::Lapsed)
        } else {
            return Ok(());
        };
        if let Some(rec) = self.state.forced.get_mut(&index)
            && rec.phase == ForcedPhase::Pending
        {
            rec.phase = phase;
            batch.forced.push(rec.clone());
        }
        Ok(())
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
            let mut accepted = None;
            match served.filter(|b| b.header == header) {
                Some(block) if self.process_block(&block, &mut batch) => {
                    if was_withheld {
                        self.state.meta.withheld.remove(&n);
                        self.report(WatchEvent::BlockRecovered { block: n });
                    }
                    accepted = Some(block);
                }
                _ => {
                    if !was_withheld {
                        self.state.meta.withheld.insert(n);
                        self.report(WatchEvent::BlockWithheld { block: n });
                    }
                }
            }
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
                    Ok(Some(b)) if b.header == header && self.body_matches(&b) => {
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

    /// Whether a served body rebuilds the tree root its (committed) header carries.
    fn body_matches(&self, block: &Block) -> bool {
        block
            .tree(&self.domain)
            .is_ok_and(|t| t.root() == block.header.tx_root)
    }

    /// Stores the watched transactions of `block` (whose header is committed). Returns false if
    /// the body does not match the committed root.
    fn process_block(&mut self, block: &Block, batch: &mut Batch) -> bool {
        let Ok(tree) = block.tree(&self.domain) else {
            return false;
        };
        if tree.root() != block.header.tx_root {
            return false;
        }
        let number = block.header.number;
        for (index, stx) in block.transactions.iter().enumerate() {
            let tx = &stx.transaction;
            if !tx.coin_ranges().iter().any(|s| self.watched(s)) {
                continue;
            }
            let tx_id = stx.tx_id(&self.domain);
            let signed_ok = stx.verify(&self.domain).is_ok() && number <= tx.max_block_index;
            let inputs_ok = tx.inputs.iter().all(|i| self.input_ok(i, number));
            let prove = |seg: &Segment| tree.prove_inclusion(seg, tx_id).ok();
            let input_proofs: Option<Vec<_>> =
                tx.inputs.iter().map(|i| prove(&i.segment)).collect();
            let output_proofs: Option<Vec<_>> =
                tx.outputs.iter().map(|o| prove(&o.segment)).collect();
            let (Some(input_proofs), Some(output_proofs)) = (input_proofs, output_proofs) else {
                continue;
            };
            let stored = StoredTx {
                block: number,
                index: u32::try_from(index).unwrap_or(u32::MAX),
                tx_id,
                stx: stx.clone(),
                signed_ok,
                valid: signed_ok && inputs_ok,
                input_proofs,
                output_proofs,
            };
            let unknown_parent = tx
                .inputs
                .iter()
                .any(|i| !i.is_deposit() && self.state.meta.withheld.contains(&i.block_index));
            if !stored.valid && !unknown_parent {
                self.report(WatchEvent::InvalidTransaction {
                    block: number,
                    tx_id,
                });
            }
            batch.txs.push(stored.clone());
            self.state.index_tx(stored);
        }
        true
    }

    /// Whether `input` (of a transaction in block `block`) names an existing, valid output owned
    /// by its owner that holds its coins.
    fn input_ok(&self, input: &Input, block: u64) -> bool {
        let seg = input.segment;
        if input.block_index & debye_l1::forced::FORCED_BLOCK != 0 {
            // An output of forced transaction `k` (docs/formats.md §3.1): it exists once `k` is
            // included on L1 (docs/exit-game.md §12.4).
            let k = input.block_index & !debye_l1::forced::FORCED_BLOCK;
            return self.state.forced.get(&k).is_some_and(|f| {
                f.phase == ForcedPhase::Included
                    && f.tx
                        .outputs
                        .get(usize::from(input.output_index))
                        .is_some_and(|o| o.owner == input.owner && o.segment.contains(&seg))
            }) || !self.watched(&seg);
        }
        if input.block_index > block || (!input.is_deposit() && input.block_index == block) {
            return false;
        }
        if !self.watched(&seg) {
            // Guard mode: coins outside the guard have no stored history; only the guarded
            // coins' links are judged (an unknown link is not evidence of fraud).
            return true;
        }
        if input.is_deposit() {
            return self
                .state
                .deposits
                .range(..=seg.start())
                .next_back()
                .is_some_and(|(_, d)| {
                    d.block_number == input.block_index
                        && d.owner == input.owner
                        && seg.end() <= d.end
                });
        }
        self.state
            .txs
            .range((input.block_index, 0)..=(input.block_index, u32::MAX))
            .any(|(_, t)| {
                t.valid
                    && t.stx
                        .transaction
                        .outputs
                        .iter()
                        .any(|o| o.owner == input.owner && o.segment.contains(&seg))
            })
    }

    // ---- acting ---------------------------------------------------------------------------

    async fn act(&mut self) -> Result<()> {
        let pending: Vec<ExitRecord> = self
            .state
            .exits
            .values()
            .filter(|e| e.phase == ExitPhase::Pending && e.action.is_none())
            .cloned()
            .collect();
        for exit in pending {
            self.judge(exit).await?;
        }
        let forced: Vec<ForcedRecord> = self
            .state
            .forced
            .values()
            .filter(|f| f.phase == ForcedPhase::Pending && f.action.is_none())
            .cloned()
            .collect();
        for f in forced {
            self.judge_forced(f).await?;
        }
        self.requests().await
    }

    /// Challenges `exit` with the first evidence that applies.
    async fn judge(&mut self, exit: ExitRecord) -> Result<()> {
        let data = exit.data();
        let me = self.config.account;
        let range = Segment::new(exit.start, exit.end)?;
        let position = pos_u64(exit.position);
        let key = exit_key(exit.position);

        // §3.1 spent: a valid spend, signed by the exitor, of the exited output.
        if let Some((t, j)) = self.find_spend(key, exit.owner, |s| s.overlaps(&range), None) {
            let header = self.header(t.block)?;
            let proof = spend_proof(&t.stx, j, &header, &t.input_proofs[j].0)?;
            let r = self.chain.challenge_spent(me, &data, &proof).await;
            return self.done(exit, "spent", r.map(|_| ()));
        }
        // §12.4: an included forced transaction spending the exited output is a spend too.
        if let Some((f, j)) = self.find_forced_spend(key, exit.owner, |s| s.overlaps(&range), None)
        {
            let proof = forced_spend_proof(&f.tx, j, f.index)?;
            let r = self.chain.challenge_spent(me, &data, &proof).await;
            return self.done(exit, "spent", r.map(|_| ()));
        }
        // §3.3 deposit after: a deposit of the exited coins younger than the exit.
        let younger = self
            .state
            .deposits
            .values()
            .find(|d| {
                d.start < exit.end
                    && exit.start < d.end
                    && order(U256::from(d.block_number) * U256::from(2u8)) > order(exit.position)
            })
            .cloned();
        if let Some(d) = younger {
            let r = self
                .chain
                .challenge_deposit_after(me, &data, &d.record())
                .await;
            return self.done(exit, "depositAfter", r.map(|_| ()));
        }
        // §4.1 withdrawn: some of its coins were settled by another exit already.
        let settled = self
            .state
            .exits
            .values()
            .find(|d| d.phase == ExitPhase::Settled && d.start < exit.end && exit.start < d.end)
            .cloned();
        if let Some(d) = settled {
            let r = self.chain.challenge_withdrawn(me, &data, &d.data()).await;
            return self.done(exit, "withdrawn", r.map(|_| ()));
        }
        if exit.tx_id.is_zero() {
            return Ok(());
        }
        // An exit of a forced output (§12.4): the contract checked it names the included forced
        // transaction; its inputs were judged during the forced period (§12.2).
        if exit.position >> 128 != U256::ZERO {
            return Ok(());
        }
        let Some(&key) = self.state.by_id.get(&exit.tx_id) else {
            let mut rec = exit.clone();
            if !exit.reported {
                rec.reported = true;
                self.persist_exit(rec.clone())?;
                self.report(WatchEvent::UnprovableExit { exit_id: exit.id });
            }
            // Its block is withheld: ask for the spend of the last output we know to be valid,
            // no newer than the exited transaction's parent, read from the anchor's
            // `ExitTransaction` event (docs/watcher.md §1, §5; docs/exit-game.md §3.4.1). If its
            // owner never signed one, nobody can answer.
            if self.state.meta.withheld.contains(&(position / 2)) {
                let coin = self.watched_coin(&range).unwrap_or(exit.start);
                let published = self
                    .chain
                    .exit_transactions(exit.l1_block, exit.l1_block.max(self.state.meta.l1_cursor))
                    .await?;
                let Some((_, exit_tx)) = published.into_iter().find(|(id, _)| *id == exit.id)
                else {
                    return Ok(());
                };
                let before = parent_bound(&exit_tx, coin).map_or(position, |p| p + 1);
                if let Some(named) = self.latest_valid_output(coin, before.min(position)) {
                    return self.request_on(rec, exit_tx, named, coin).await;
                }
            }
            return Ok(());
        };
        let et = self.state.txs[&key].clone();
        // §3.2 double spend: an earlier spend of what the exited transaction spends.
        for (xi, x) in et.stx.transaction.inputs.iter().enumerate() {
            if !x.segment.overlaps(&range) {
                continue;
            }
            let found = self.find_spend(
                spend_key(x),
                x.owner,
                |s| s.overlaps(&x.segment) && s.overlaps(&range),
                Some(et.block.saturating_sub(1)),
            );
            if let Some((t, j)) = found {
                let header = self.header(t.block)?;
                let proof = spend_proof(&t.stx, j, &header, &t.input_proofs[j].0)?;
                let r = self
                    .chain
                    .challenge_double_spend(me, &data, &et.stx.transaction, xi, &proof)
                    .await;
                return self.done(exit, "doubleSpend", r.map(|_| ()));
            }
            // §12.4: an included forced transaction ranking before the exited transaction's
            // block is the earlier spend.
            let forced = self.find_forced_spend(
                spend_key(x),
                x.owner,
                |s| s.overlaps(&x.segment) && s.overlaps(&range),
                Some(et.block.saturating_sub(1)),
            );
            if let Some((f, j)) = forced {
                let proof = forced_spend_proof(&f.tx, j, f.index)?;
                let r = self
                    .chain
                    .challenge_double_spend(me, &data, &et.stx.transaction, xi, &proof)
                    .await;
                return self.done(exit, "doubleSpend", r.map(|_| ()));
            }
        }
        // §3.4 invalid history: request on the last valid output before the broken link.
        if !et.valid {
            let coin = self.watched_coin(&range).unwrap_or(exit.start);
            let exit_tx = et.stx.transaction.clone();
            if let Some(named) = self.before_broken_link(et, coin) {
                return self.request_on(exit, exit_tx, named, coin).await;
            }
            if !exit.reported {
                let mut rec = exit.clone();
                rec.reported = true;
                self.persist_exit(rec)?;
                self.report(WatchEvent::UnprovableExit { exit_id: exit.id });
            }
        }
        Ok(())
    }

    /// Walks `coin`'s history back from the invalid transaction `tx` to the last valid output
    /// (or deposit) before the first broken link: the output a challenge request must name.
    fn before_broken_link(&self, tx: StoredTx, coin: U256) -> Option<Named> {
        let mut cur = tx;
        for _ in 0..4096 {
            let x = cur
                .stx
                .transaction
                .inputs
                .iter()
                .find(|i| i.segment.contains_coin(coin))
                .copied()?;
            if x.is_deposit() {
                return self
                    .state
                    .deposits
                    .range(..=coin)
                    .next_back()
                    .map(|(_, d)| d)
                    .filter(|d| coin < d.end)
                    .map(|d| Named::Deposit(d.clone()));
            }
            let (prev, oi) = self
                .state
                .txs
                .range((x.block_index, 0)..=(x.block_index, u32::MAX))
                .find_map(|(_, t)| {
                    let oi = t
                        .stx
                        .transaction
                        .outputs
                        .iter()
                        .position(|o| o.segment.contains_coin(coin))?;
                    Some((t, oi))
                })?;
            if prev.valid {
                return Some(Named::Output(prev.clone(), oi));
            }
            cur = prev.clone();
        }
        None
    }

    /// Resolves this watcher's unanswered requests after their deadline and answers others'
    /// requests on exits whose history it holds.
    async fn requests(&mut self) -> Result<()> {
        let me = self.config.account;
        let now = self.chain.l1().timestamp().await?;
        let open: Vec<RequestRecord> = self
            .state
            .requests
            .values()
            .filter(|r| !r.done)
            .cloned()
            .collect();
        for r in open {
            let Some(exit) = self.state.exits.get(&r.exit_id).cloned() else {
                continue;
            };
            let req = ChallengeRequested {
                exitId: r.exit_id,
                challengeId: r.challenge_id,
                outputPosition: r.position,
                outputOwner: r.owner,
                coin: r.coin,
                challenger: r.challenger,
                deadline: Default::default(),
            };
            if r.challenger == me {
                if now > r.deadline {
                    let res = self.chain.resolve_challenge(me, &exit.data(), &req).await;
                    self.request_done(&r, res.is_ok())?;
                    self.sent(&exit, "resolve", res.map(|_| ()));
                }
                continue;
            }
            if exit.phase != ExitPhase::Pending {
                continue;
            }
            let limit = block_of(exit.position);
            let Ok(coin) = Segment::new(r.coin, r.coin + U256::from(1u8)) else {
                continue;
            };
            let found = self.find_spend(
                exit_key(r.position),
                r.owner,
                |s| s.contains(&coin),
                Some(limit),
            );
            let proof = if let Some((t, j)) = found {
                let header = self.header(t.block)?;
                Some(spend_proof(&t.stx, j, &header, &t.input_proofs[j].0)?)
            } else {
                // §12.4: an included forced transaction answers too, if it counts no later than
                // the exit (order 4q + 3 ≤ the exit's order).
                let forced_exit = exit.position >> 128 != U256::ZERO;
                let max = if forced_exit {
                    limit
                } else {
                    limit.saturating_sub(1)
                };
                self.find_forced_spend(
                    exit_key(r.position),
                    r.owner,
                    |s| s.contains(&coin),
                    Some(max),
                )
                .map(|(f, j)| forced_spend_proof(&f.tx, j, f.index))
                .transpose()?
            };
            if let Some(proof) = proof {
                let res = self
                    .chain
                    .respond_challenge(me, &exit.data(), &req, &proof)
                    .await;
                if res.is_ok() {
                    self.state.meta.answers_sent += 1;
                    self.report(WatchEvent::Answered {
                        exit_id: exit.id,
                        challenge_id: r.challenge_id,
                    });
                } else if let Err(e) = res {
                    self.report(WatchEvent::ActionFailed {
                        exit_id: exit.id,
                        error: e.to_string(),
                    });
                }
                self.request_done(&r, false)?;
            }
        }
        Ok(())
    }

    fn request_done(&mut self, r: &RequestRecord, done: bool) -> Result<()> {
        if done {
            let mut rec = r.clone();
            rec.done = true;
            self.state.requests.insert(rec.challenge_id, rec.clone());
            let batch = Batch {
                requests: vec![rec],
                ..Batch::default()
            };
            self.store.commit(&self.state.meta, &batch)?;
        } else {
            self.store.commit(&self.state.meta, &Batch::default())?;
        }
        Ok(())
    }

    /// The youngest output (or deposit) older than `before` that holds `coin` and that the
    /// watcher knows to be valid.
    fn latest_valid_output(&self, coin: U256, before: u64) -> Option<Named> {
        let out = self
            .state
            .txs
            .values()
            .rev()
            .filter(|t| t.valid && t.block * 2 + 1 < before)
            .find_map(|t| {
                let oi = t
                    .stx
                    .transaction
                    .outputs
                    .iter()
                    .position(|o| o.segment.contains_coin(coin))?;
                Some(Named::Output(t.clone(), oi))
            });
        out.or_else(|| {
            self.state
                .deposits
                .range(..=coin)
                .next_back()
                .map(|(_, d)| d)
                .filter(|d| coin < d.end && d.block_number * 2 < before)
                .map(|d| Named::Deposit(d.clone()))
        })
    }

    /// Opens a challenge request on `exit` naming `named` and `coin`.
    async fn request_on(
        &mut self,
        exit: ExitRecord,
        exit_tx: Transaction,
        named: Named,
        coin: U256,
    ) -> Result<()> {
        let me = self.config.account;
        let data = exit.data();
        let (position, owner) = match &named {
            Named::Deposit(d) => (U256::from(d.block_number * 2), d.owner),
            Named::Output(t, oi) => (
                U256::from(t.block * 2 + 1),
                t.stx.transaction.outputs[*oi].owner,
            ),
        };
        // One request per (exit, output, coin): never repeat an answered one.
        if self.state.requests.values().any(|r| {
            r.exit_id == exit.id && r.position == position && r.owner == owner && r.coin == coin
        }) {
            return Ok(());
        }
        let r = match named {
            Named::Deposit(d) => {
                self.chain
                    .request_with_deposit(me, &data, &exit_tx, &d.record(), coin)
                    .await
            }
            Named::Output(t, oi) => {
                let header = self.header(t.block)?;
                let proof = output_proof(&t.stx.transaction, oi, &header, &t.output_proofs[oi].0)?;
                self.chain
                    .request_with_output(me, &data, &exit_tx, &proof, coin)
                    .await
            }
        };
        self.done(exit, "request", r.map(|_| ()))
    }

    /// A valid, included spend signed by `owner` of the output at `position` whose input segment
    /// satisfies `pick`, in a block `≤ max_block` if given: the transaction and input index.
    fn find_spend(
        &self,
        position: U256,
        owner: Address,
        pick: impl Fn(&Segment) -> bool,
        max_block: Option<u64>,
    ) -> Option<(StoredTx, usize)> {
        let keys = self.state.spends.get(&position)?;
        let mut keys = keys.clone();
        keys.sort_unstable();
        for key in keys {
            let t = &self.state.txs[&key];
            if !t.signed_ok || max_block.is_some_and(|m| t.block > m) {
                continue;
            }
            for (j, i) in t.stx.transaction.inputs.iter().enumerate() {
                if i.owner == owner && spend_key(i) == position && pick(&i.segment) {
                    return Some((t.clone(), j));
                }
            }
        }
        None
    }

    /// An included forced transaction (`docs/exit-game.md` §12.4) with an input of `owner`
    /// naming the output with spend key `key` whose segment satisfies `pick`, ranking at a block
    /// `≤ max_block` if given: the record and input index.
    fn find_forced_spend(
        &self,
        key: U256,
        owner: Address,
        pick: impl Fn(&Segment) -> bool,
        max_block: Option<u64>,
    ) -> Option<(ForcedRecord, usize)> {
        self.state
            .forced
            .values()
            .filter(|f| f.phase == ForcedPhase::Included)
            .filter(|f| max_block.is_none_or(|m| block_of(f.position) <= m))
            .find_map(|f| {
                let j =
                    f.tx.inputs.iter().position(|i| {
                        i.owner == owner && spend_key(i) == key && pick(&i.segment)
                    })?;
                Some((f.clone(), j))
            })
    }

    // ---- the forced game (docs/exit-game.md §12.2) ------------------------------------------

    /// Cancels forced transaction `f` with the first evidence that refutes one of its inputs over
    /// watched coins; an honest forced transaction has none (§12.2 "honest case") and is left to
    /// become included.
    async fn judge_forced(&mut self, f: ForcedRecord) -> Result<()> {
        let me = self.config.account;
        for (i, x) in f.tx.inputs.iter().enumerate() {
            if !self.watched(&x.segment) {
                continue;
            }
            // (a) spent: an included L2 spend of what `x` spends (§12.2 (a)).
            let l2 = self.find_spend(spend_key(x), x.owner, |s| s.overlaps(&x.segment), None);
            if let Some((t, j)) = l2 {
                let header = self.header(t.block)?;
                let proof = spend_proof(&t.stx, j, &header, &t.input_proofs[j].0)?;
                let r = self
                    .chain
                    .challenge_forced_spent(me, f.index, &f.tx, i, &proof)
                    .await;
                return self.forced_done(f, "forcedSpent", r.map(|_| ()));
            }
            // (a) spent by another forced transaction that is included, or pending with all its
            // signatures and not already challenged by this watcher (§12.2 (a): of two signed
            // forced spends of one input exactly one survives).
            let other = self.state.forced.values().find_map(|o| {
                let usable = o.index != f.index
                    && (o.phase == ForcedPhase::Included
                        || (o.phase == ForcedPhase::Pending
                            && o.action.is_none()
                            && o.fully_signed()));
                if !usable {
                    return None;
                }
                let j = o.tx.inputs.iter().position(|i| {
                    i.owner == x.owner
                        && spend_key(i) == spend_key(x)
                        && i.segment.overlaps(&x.segment)
                })?;
                Some((o.clone(), j))
            });
            if let Some((o, j)) = other {
                let proof = forced_spend_proof(&o.tx, j, o.index)?;
                let r = self
                    .chain
                    .challenge_forced_spent(me, f.index, &f.tx, i, &proof)
                    .await;
                return self.forced_done(f, "forcedSpent", r.map(|_| ()));
            }
            // (a) withdrawn: a settled exit overlapping `x` (§12.2 (a) withdrawn).
            let settled = self
                .state
                .exits
                .values()
                .find(|d| {
                    d.phase == ExitPhase::Settled
                        && d.start < x.segment.end()
                        && x.segment.start() < d.end
                })
                .cloned();
            if let Some(d) = settled {
                let r = self
                    .chain
                    .challenge_forced_withdrawn(me, f.index, &f.tx, i, &d.data())
                    .await;
                return self.forced_done(f, "forcedWithdrawn", r.map(|_| ()));
            }
            // (b) no such deposit: the deposit covering `x` has another owner, block or bounds.
            if x.is_deposit() {
                let seg = x.segment;
                let covering = self
                    .state
                    .deposits
                    .range(..seg.end())
                    .next_back()
                    .map(|(_, d)| d)
                    .filter(|d| d.end > seg.start())
                    .cloned();
                if let Some(d) = covering
                    && (d.owner != x.owner
                        || d.block_number != x.block_index
                        || d.start > seg.start()
                        || d.end < seg.end())
                {
                    let r = self
                        .chain
                        .challenge_forced_deposit(me, f.index, &f.tx, i, &d.record())
                        .await;
                    return self.forced_done(f, "forcedDeposit", r.map(|_| ()));
                }
                continue;
            }
            // (b) no such output: the included output of the named block covering `x` has
            // another owner or bounds, or no transaction of that block touched `x`'s coins.
            let n = x.block_index;
            let output = self
                .state
                .txs
                .range((n, 0)..=(n, u32::MAX))
                .find_map(|(_, t)| {
                    let oi = t
                        .stx
                        .transaction
                        .outputs
                        .iter()
                        .position(|o| o.segment.overlaps(&x.segment))?;
                    Some((t.clone(), oi))
                });
            if let Some((t, oi)) = output {
                let o = t.stx.transaction.outputs[oi];
                if o.owner != x.owner || !o.segment.contains(&x.segment) {
                    let header = self.header(n)?;
                    let proof =
                        output_proof(&t.stx.transaction, oi, &header, &t.output_proofs[oi].0)?;
                    let r = self
                        .chain
                        .challenge_forced_output(me, f.index, &f.tx, i, &proof)
                        .await;
                    return self.forced_done(f, "forcedOutput", r.map(|_| ()));
                }
                continue;
            }
            if let Some((header, segment, proof)) = self.exclusion(n, &x.segment).await? {
                let r = self
                    .chain
                    .challenge_forced_excluded(me, f.index, &f.tx, i, &header, &segment, &proof)
                    .await;
                return self.forced_done(f, "forcedExcluded", r.map(|_| ()));
            }
        }
        Ok(())
    }

    /// An exclusion proof, in committed block `n`, of a part of `seg` that no transaction of the
    /// block touched. The watcher stores only the transactions touching its coins, so the body
    /// is fetched again from the source and checked against the committed header; a withheld
    /// block gives none (its outputs rank at that block, `docs/exit-game.md` §12.4).
    async fn exclusion(
        &mut self,
        n: u64,
        seg: &Segment,
    ) -> Result<Option<(BlockHeader, Segment, debye_primitives::SumMerkleProof)>> {
        let Some(header) = self.state.headers.get(&n).copied() else {
            return Ok(None);
        };
        if self.state.meta.withheld.contains(&n) || n >= self.state.meta.next_child {
            return Ok(None);
        }
        let block = match self.source.block(n).await {
            Ok(Some(b)) if b.header == header => b,
            Ok(_) => return Ok(None),
            Err(e) => {
                self.report(WatchEvent::OperatorUnreachable {
                    error: e.to_string(),
                });
                return Ok(None);
            }
        };
        let Ok(tree) = block.tree(&self.domain) else {
            return Ok(None);
        };
        if tree.root() != header.tx_root {
            return Ok(None);
        }
        let one = U256::from(1u8);
        let mut candidates = vec![*seg];
        if let Some(c) = self.watched_coin(seg) {
            candidates.push(Segment::new(c, c + one)?);
        }
        candidates.push(Segment::new(seg.start(), seg.start() + one)?);
        Ok(candidates
            .into_iter()
            .find_map(|s| excluded(&tree, &s).map(|p| (header, s, p))))
    }

    /// Records the outcome of a challenge of forced transaction `f`.
    fn forced_done(
        &mut self,
        f: ForcedRecord,
        how: &str,
        result: Result<(), debye_l1::Error>,
    ) -> Result<()> {
        match result {
            Ok(()) => {
                self.state.meta.challenges_sent += 1;
                self.report(WatchEvent::ForcedChallenged {
                    index: f.index,
                    how: how.into(),
                });
                let mut rec = f;
                rec.action = Some(how.into());
                self.state.forced.insert(rec.index, rec.clone());
                let batch = Batch {
                    forced: vec![rec],
                    ..Batch::default()
                };
                self.store.commit(&self.state.meta, &batch)
            }
            Err(e) => {
                self.report(WatchEvent::ForcedActionFailed {
                    index: f.index,
                    error: e.to_string(),
                });
                Ok(())
            }
        }
    }

    fn header(&self, block: u64) -> Result<BlockHeader> {
        self.state
            .headers
            .get(&block)
            .copied()
            .ok_or_else(|| Error::Operator(format!("no committed header for block {block}")))
    }

    fn persist_exit(&mut self, rec: ExitRecord) -> Result<()> {
        self.state.exits.insert(rec.id, rec.clone());
        let batch = Batch {
            exits: vec![rec],
            ..Batch::default()
        };
        self.store.commit(&self.state.meta, &batch)
    }

    fn sent(&mut self, exit: &ExitRecord, how: &str, result: Result<(), debye_l1::Error>) {
        match result {
            Ok(()) => {
                self.state.meta.challenges_sent += 1;
                self.report(WatchEvent::Challenged {
                    exit_id: exit.id,
                    how: how.into(),
                });
            }
            Err(e) => self.report(WatchEvent::ActionFailed {
                exit_id: exit.id,
                error: e.to_string(),
            }),
        }
    }

    /// Records the outcome of a challenge of `exit`.
    fn done(
        &mut self,
        exit: ExitRecord,
        how: &str,
        result: Result<(), debye_l1::Error>,
    ) -> Result<()> {
        let ok = result.is_ok();
        self.sent(&exit, how, result);
        if ok {
            let mut rec = exit;
            rec.action = Some(how.into());
            self.persist_exit(rec)?;
        }
        Ok(())
    }
}

/// The exclusion proof of `seg` in `tree`, if no transaction of the block touched it.
fn excluded(tree: &SumMerkleTree, seg: &Segment) -> Option<debye_primitives::SumMerkleProof> {
    tree.prove_exclusion(seg).ok().map(|p| p.0)
}

/// The regular position (`2b`, `2b + 1`) of the output `exit_tx` spends holding `coin`: no
/// request may name a newer one (`docs/exit-game.md` §3.4.1). `None` for a forced parent or when
/// no single input holds the coin.
fn parent_bound(exit_tx: &Transaction, coin: U256) -> Option<u64> {
    let mut holding = exit_tx
        .inputs
        .iter()
        .filter(|i| i.segment.contains_coin(coin));
    let x = holding.next()?;
    if holding.next().is_some() || x.block_index >= FORCED_BLOCK {
        return None;
    }
    // For a regular output the spend key is its position (`2b`, `2b + 1`).
    u64::try_from(spend_key(x)).ok()
}
