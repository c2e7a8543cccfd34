//! L1 ingestion as a pure state update: a log of the anchor or of its forced-inclusion game in,
//! the state and the step's [`Batch`] changed (`docs/watcher.md` §1 step 1, §2). Every handler
//! is idempotent (records are keyed by exit id, challenge id, forced index), so a round read
//! again after a crash changes nothing twice.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use debye_l1::{
    L1Log,
    contracts::{BlockSubmitted, Deposit},
    exits::{
        ChallengeAnswered, ChallengeClosed, ChallengeRequested, ExitCancelled, ExitFinalized,
        ExitStarted, ExitWithdrawn,
    },
    forced::{
        ForcedCancelled, ForcedIncluded, ForcedLapsed, ForcedPosted, ForcedSigned,
        posted_transaction,
    },
};
use debye_primitives::BlockHeader;
use tracing::warn;

use crate::{
    error::{Error, Result},
    mode::Mode,
    state::{Batch, State},
    types::{
        DepositInfo, ExitPhase, ExitRecord, ForcedPhase, ForcedRecord, RequestRecord, WatchEvent,
    },
};

/// Who reads the logs: what it guards and which account its bonds are paid to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ingest<'a> {
    /// The guarded coins: exits and forced transactions over others are not recorded.
    pub(crate) mode: &'a Mode,
    /// This watcher's account: cancellations paying it are counted.
    pub(crate) account: Address,
}

fn dec<E: SolEvent>(log: &L1Log) -> Result<E> {
    E::decode_raw_log(log.topics.iter().copied(), &log.data)
        .map_err(|e| Error::L1(debye_l1::Error::Decode(e)))
}

/// The header a `BlockSubmitted` log commits to: the log carries every field, and its
/// `headerHash` (computed by the anchor) must be that header's hash.
fn committed_header(b: &BlockSubmitted) -> Result<BlockHeader> {
    let header = BlockHeader::from(&b.header);
    if header.number != b.number || header.hash() != b.headerHash {
        return Err(Error::L1(debye_l1::Error::Rejected(format!(
            "BlockSubmitted log of block {} carries a header that does not hash to {}",
            b.number, b.headerHash
        ))));
    }
    Ok(header)
}

impl Ingest<'_> {
    /// Applies one log of the anchor, read at L1 time `now`. Returns the event it gives rise to:
    /// `RequestAnswered` when a request of this watcher was answered.
    pub(crate) fn anchor_log(
        &self,
        state: &mut State,
        batch: &mut Batch,
        log: &L1Log,
        now: u64,
    ) -> Result<Option<WatchEvent>> {
        let Some(topic) = log.topics.first().copied() else {
            return Ok(None);
        };
        if topic == Deposit::SIGNATURE_HASH {
            let info = DepositInfo::from(dec::<Deposit>(log)?);
            state.deposits.insert(info.start, info.clone());
            batch.deposits.push(info);
        } else if topic == BlockSubmitted::SIGNATURE_HASH {
            // Headers come from L1 alone, never from the operator (docs/watcher.md §1).
            let header = committed_header(&dec(log)?)?;
            state.headers.insert(header.number, header);
            state.meta.last_commit_at = now;
            batch.headers.push(header);
        } else if topic == ExitStarted::SIGNATURE_HASH {
            self.exit_started(state, batch, log)?;
        } else if topic == ExitCancelled::SIGNATURE_HASH {
            let e: ExitCancelled = dec(log)?;
            if let Some(rec) = state.exits.get_mut(&e.exitId)
                && rec.phase == ExitPhase::Pending
            {
                rec.phase = ExitPhase::Cancelled;
                if e.beneficiary == self.account {
                    state.meta.exits_cancelled += 1;
                    state.meta.bonds_collected += rec.bond;
                }
                batch.exits.push(rec.clone());
            }
        } else if topic == ExitFinalized::SIGNATURE_HASH || topic == ExitWithdrawn::SIGNATURE_HASH {
            let id = log.topics.get(1).copied().unwrap_or_default();
            if let Some(rec) = state.exits.get_mut(&id)
                && rec.phase == ExitPhase::Pending
            {
                rec.phase = ExitPhase::Settled;
                batch.exits.push(rec.clone());
            }
        } else if topic == ChallengeRequested::SIGNATURE_HASH {
            let r: ChallengeRequested = dec(log)?;
            if state.exits.contains_key(&r.exitId) {
                let rec = RequestRecord {
                    challenge_id: r.challengeId,
                    exit_id: r.exitId,
                    position: r.outputPosition.into(),
                    owner: r.outputOwner,
                    coin: r.coin,
                    challenger: r.challenger,
                    deadline: r.deadline.to::<u64>(),
                    done: false,
                };
                state.requests.insert(rec.challenge_id, rec.clone());
                batch.requests.push(rec);
            }
        } else if topic == ChallengeAnswered::SIGNATURE_HASH
            || topic == ChallengeClosed::SIGNATURE_HASH
        {
            let answered = topic == ChallengeAnswered::SIGNATURE_HASH;
            return Ok(self.request_closed(state, batch, log, answered));
        }
        Ok(None)
    }

    /// An exit over guarded coins is stored when its log is read, not when it is judged: a
    /// watcher that crashes in between still judges it after the restart (docs/watcher.md §2).
    fn exit_started(&self, state: &mut State, batch: &mut Batch, log: &L1Log) -> Result<()> {
        let e: ExitStarted = dec(log)?;
        if state.exits.contains_key(&e.exitId) || !self.mode.watches_range(e.start, e.end) {
            return Ok(());
        }
        let rec = ExitRecord {
            id: e.exitId,
            owner: e.owner,
            start: e.start,
            end: e.end,
            position: e.position.into(),
            tx_id: e.txId,
            exitable_at: e.exitableAt.to::<u64>(),
            bond: U256::from(e.bond.to::<u128>()),
            phase: ExitPhase::Pending,
            action: None,
            reported: false,
            l1_block: log.block_number,
        };
        state.exits.insert(rec.id, rec.clone());
        batch.exits.push(rec);
        Ok(())
    }

    /// A request was answered or closed. When a request of ours was answered, the exit is judged
    /// again next round, so the game continues on a younger output if the answer's block is (or
    /// becomes) known (docs/watcher.md §1 step 6).
    fn request_closed(
        &self,
        state: &mut State,
        batch: &mut Batch,
        log: &L1Log,
        answered: bool,
    ) -> Option<WatchEvent> {
        let challenge_id = log.topics.get(2).copied().unwrap_or_default();
        let rec = state.requests.get_mut(&challenge_id)?;
        rec.done = true;
        batch.requests.push(rec.clone());
        if !answered || rec.challenger != self.account {
            return None;
        }
        let exit_id = rec.exit_id;
        if let Some(exit) = state.exits.get_mut(&exit_id) {
            exit.action = None;
            batch.exits.push(exit.clone());
        }
        Some(WatchEvent::RequestAnswered {
            exit_id,
            challenge_id,
        })
    }

    /// Applies one log of the forced game (`docs/exit-game.md` §12): posted transactions over
    /// watched coins are recorded to be judged (§12.2) and, once included, used as spends
    /// (§12.4).
    pub(crate) fn forced_log(
        &self,
        state: &mut State,
        batch: &mut Batch,
        log: &L1Log,
    ) -> Result<()> {
        let Some(topic) = log.topics.first().copied() else {
            return Ok(());
        };
        let (index, phase) = if topic == ForcedPosted::SIGNATURE_HASH {
            return self.forced_posted(state, batch, log);
        } else if topic == ForcedSigned::SIGNATURE_HASH {
            let sig: ForcedSigned = dec(log)?;
            if let Some(rec) = state.forced.get_mut(&sig.index)
                && !rec.signers.contains(&sig.owner)
            {
                rec.signers.push(sig.owner);
                batch.forced.push(rec.clone());
            }
            return Ok(());
        } else if topic == ForcedCancelled::SIGNATURE_HASH {
            let c: ForcedCancelled = dec(log)?;
            if c.beneficiary == self.account
                && let Some(rec) = state.forced.get(&c.index)
                && rec.phase == ForcedPhase::Pending
            {
                state.meta.forced_cancelled += 1;
                state.meta.bonds_collected += rec.bond;
            }
            (c.index, ForcedPhase::Cancelled)
        } else if topic == ForcedIncluded::SIGNATURE_HASH {
            (dec::<ForcedIncluded>(log)?.index, ForcedPhase::Included)
        } else if topic == ForcedLapsed::SIGNATURE_HASH {
            (dec::<ForcedLapsed>(log)?.index, ForcedPhase::Lapsed)
        } else {
            return Ok(());
        };
        if let Some(rec) = state.forced.get_mut(&index)
            && rec.phase == ForcedPhase::Pending
        {
            rec.phase = phase;
            batch.forced.push(rec.clone());
        }
        Ok(())
    }

    /// A forced transaction is stored when posted, so one posted just before a crash is judged
    /// after the restart (docs/watcher.md §2).
    fn forced_posted(&self, state: &mut State, batch: &mut Batch, log: &L1Log) -> Result<()> {
        let p: ForcedPosted = dec(log)?;
        let tx = match posted_transaction(&p) {
            Ok(tx) => tx,
            Err(e) => {
                warn!(target: "debye_watcher", index = p.index, error = %e, "ignoring undecodable forced transaction");
                return Ok(());
            }
        };
        if state.forced.contains_key(&p.index)
            || !tx.coin_ranges().iter().any(|s| self.mode.watches(s))
        {
            return Ok(());
        }
        let rec = ForcedRecord {
            index: p.index,
            tx_id: p.txId,
            tx,
            position: p.position.into(),
            bond: p.bond,
            phase: ForcedPhase::Pending,
            signers: Vec::new(),
            action: None,
        };
        state.forced.insert(rec.index, rec.clone());
        batch.forced.push(rec);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{
        B256,
        aliases::{U40, U96},
    };
    use debye_primitives::{Position, Segment};

    use super::*;

    const ME: Address = Address::repeat_byte(0x77);

    fn log(event: &impl SolEvent) -> L1Log {
        let data = event.encode_log_data();
        L1Log {
            address: Address::ZERO,
            topics: data.topics().to_vec(),
            data: data.data,
            block_number: 7,
            tx_hash: B256::ZERO,
            log_index: 0,
        }
    }

    fn started(id: u8, start: u64, end: u64) -> L1Log {
        log(&ExitStarted {
            exitId: B256::repeat_byte(id),
            owner: Address::repeat_byte(0xb0),
            start: U256::from(start),
            end: U256::from(end),
            position: Position::output(3).to_u256(),
            txId: B256::repeat_byte(0xee),
            exitableAt: Default::default(),
            bond: U96::from(5u8),
        })
    }

    /// Applies `logs` to `state` as a watcher of `mode`; the events they give.
    fn ingest(state: &mut State, mode: &Mode, logs: &[L1Log]) -> Vec<WatchEvent> {
        let ingest = Ingest { mode, account: ME };
        let mut batch = Batch::default();
        let mut events = Vec::new();
        for l in logs {
            events.extend(ingest.anchor_log(state, &mut batch, l, 0).expect("decodes"));
        }
        events
    }

    #[test]
    fn only_exits_over_guarded_coins_are_recorded_when_read() {
        // docs/watcher.md §2: recorded when read, judged even after a restart.
        let mut state = State::default();
        let guard = Mode::Guard(vec![
            Segment::new(U256::ZERO, U256::from(10u8)).expect("coins"),
        ]);
        ingest(&mut state, &guard, &[started(1, 20, 30), started(2, 5, 15)]);
        assert_eq!(state.exits.len(), 1);
        let exit = &state.exits[&B256::repeat_byte(2)];
        assert_eq!(
            (exit.phase, exit.position),
            (ExitPhase::Pending, Position::output(3))
        );
        assert_eq!((exit.l1_block, exit.bond), (7, U256::from(5u8)));
    }

    #[test]
    fn an_answer_to_our_request_reopens_the_exit_and_only_ours() {
        // docs/watcher.md §1 step 6: the game continues on a younger output.
        let mut state = State::default();
        ingest(&mut state, &Mode::Archival, &[started(1, 0, 10)]);
        let exit_id = B256::repeat_byte(1);
        state.exits.get_mut(&exit_id).expect("recorded").action = Some("request".into());
        let requested = |challenge: u8, challenger| {
            log(&ChallengeRequested {
                exitId: exit_id,
                challengeId: B256::repeat_byte(challenge),
                outputPosition: Position::deposit(1).to_u256(),
                outputOwner: Address::repeat_byte(0xa1),
                coin: U256::ZERO,
                challenger,
                deadline: U40::from(100u8),
            })
        };
        let answered = |challenge: u8| {
            log(&ChallengeAnswered {
                exitId: exit_id,
                challengeId: B256::repeat_byte(challenge),
                responder: Address::ZERO,
            })
        };
        let theirs = [requested(8, Address::repeat_byte(0xca)), answered(8)];
        assert_eq!(ingest(&mut state, &Mode::Archival, &theirs), vec![]);
        assert!(state.requests[&B256::repeat_byte(8)].done);
        assert!(state.exits[&exit_id].action.is_some());
        let ours = [requested(9, ME), answered(9)];
        let challenge_id = B256::repeat_byte(9);
        let events = ingest(&mut state, &Mode::Archival, &ours);
        let reopened = WatchEvent::RequestAnswered {
            exit_id,
            challenge_id,
        };
        assert_eq!(events, vec![reopened]);
        assert_eq!(state.exits[&exit_id].action, None);
    }

    #[test]
    fn a_cancellation_paying_us_counts_the_bond_once() {
        let mut state = State::default();
        let cancelled = log(&ExitCancelled {
            exitId: B256::repeat_byte(1),
            reason: Default::default(),
            beneficiary: ME,
        });
        let logs = [started(1, 0, 10), cancelled.clone(), cancelled];
        ingest(&mut state, &Mode::Archival, &logs);
        assert_eq!(state.meta.exits_cancelled, 1);
        assert_eq!(state.meta.bonds_collected, U256::from(5u8));
        assert_eq!(
            state.exits[&B256::repeat_byte(1)].phase,
            ExitPhase::Cancelled
        );
    }
}
