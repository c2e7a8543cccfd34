//! The executor: sends a [`Challenge`] the judges decided on to L1, then records what came of it
//! (counters, the exit's or forced transaction's action, the request's state) and commits.
//! The only place the watcher acts on L1 besides claiming its bonds.

use alloy_primitives::Address;
use debye_l1::{
    L1, L1Receipt,
    contracts::DebyeChainClient,
    exits::{ChallengeRequested, OutputProof, SpendProof, output_proof, spend_proof},
    forced::forced_spend_proof,
};

use crate::{
    challenge::{Challenge, Refutation, Spend, Target},
    error::Result,
    state::{Batch, State},
    store::Store,
    types::{ForcedRecord, RequestRecord, StoredTx, WatchEvent},
};

/// Sends challenges from one account and records them in one store.
pub(crate) struct Executor<'a, L> {
    /// The anchor (and, through it, the forced-inclusion game).
    pub(crate) chain: &'a DebyeChainClient<L>,
    /// The store the outcome is committed to.
    pub(crate) store: &'a Store,
    /// The account challenges are sent from (it receives the bonds).
    pub(crate) from: Address,
}

impl<L: L1> Executor<'_, L> {
    /// Sends `c`, records its outcome in `state` and the store, and returns the event to report.
    /// Fails only when the evidence cannot be built or the store cannot be written; a refused or
    /// lost challenge is an `ActionFailed` / `ForcedActionFailed` event (`docs/watcher.md` §5).
    pub(crate) async fn execute(&self, state: &mut State, c: &Challenge) -> Result<WatchEvent> {
        let sent = self.send(state, c).await?;
        let mut batch = Batch::default();
        let event = record(state, &mut batch, c, sent);
        self.store.commit(&state.meta, &batch)?;
        Ok(event)
    }

    /// Builds the evidence of `c` from `state` (proofs against committed headers) and sends it.
    async fn send(&self, state: &State, c: &Challenge) -> Result<Result<(), debye_l1::Error>> {
        let (chain, me) = (self.chain, self.from);
        let sent = match c {
            Challenge::Spent { exit, spend } => chain
                .challenge_spent(me, &exit.data(), &proof(state, spend)?)
                .await
                .map(drop),
            Challenge::DoubleSpend {
                exit,
                exit_tx,
                input,
                earlier,
            } => chain
                .challenge_double_spend(me, &exit.data(), exit_tx, *input, &proof(state, earlier)?)
                .await
                .map(drop),
            Challenge::DepositAfter { exit, deposit } => chain
                .challenge_deposit_after(me, &exit.data(), &deposit.record())
                .await
                .map(drop),
            Challenge::Withdrawn { exit, settled } => chain
                .challenge_withdrawn(me, &exit.data(), &settled.data())
                .await
                .map(drop),
            Challenge::RequestWithDeposit {
                exit,
                exit_tx,
                deposit,
                coin,
            } => chain
                .request_with_deposit(me, &exit.data(), exit_tx, &deposit.record(), *coin)
                .await
                .map(drop),
            Challenge::RequestWithOutput {
                exit,
                exit_tx,
                tx,
                output,
                coin,
            } => {
                let named = named_output(state, tx, *output)?;
                chain
                    .request_with_output(me, &exit.data(), exit_tx, &named, *coin)
                    .await
                    .map(drop)
            }
            Challenge::Resolve { exit, request } => chain
                .resolve_challenge(me, &exit.data(), &requested(request))
                .await
                .map(drop),
            Challenge::Respond {
                exit,
                request,
                answer,
            } => chain
                .respond_challenge(
                    me,
                    &exit.data(),
                    &requested(request),
                    &proof(state, answer)?,
                )
                .await
                .map(drop),
            Challenge::Forced {
                forced,
                input,
                refutation,
            } => self
                .send_forced(state, forced, *input, refutation)
                .await?
                .map(drop),
        };
        Ok(sent)
    }

    /// Sends the challenge of input `i` of forced transaction `forced` that `refutation` names
    /// (§12.2).
    async fn send_forced(
        &self,
        state: &State,
        forced: &ForcedRecord,
        i: usize,
        refutation: &Refutation,
    ) -> Result<Result<L1Receipt, debye_l1::Error>> {
        let (chain, me, k, tx) = (self.chain, self.from, forced.index, &forced.tx);
        Ok(match refutation {
            Refutation::Spent(spend) => {
                let spend = proof(state, spend)?;
                chain.challenge_forced_spent(me, k, tx, i, &spend).await
            }
            Refutation::Withdrawn(settled) => {
                chain
                    .challenge_forced_withdrawn(me, k, tx, i, &settled.data())
                    .await
            }
            Refutation::Deposit(deposit) => {
                chain
                    .challenge_forced_deposit(me, k, tx, i, &deposit.record())
                    .await
            }
            Refutation::Output { tx: stored, output } => {
                let named = named_output(state, stored, *output)?;
                chain.challenge_forced_output(me, k, tx, i, &named).await
            }
            Refutation::Excluded {
                header,
                segment,
                proof,
            } => {
                chain
                    .challenge_forced_excluded(me, k, tx, i, header, segment, proof)
                    .await
            }
        })
    }
}

/// The contract's proof of `spend`: an included transaction against its committed header, or a
/// forced transaction under its forced header (`docs/exit-game.md` §12.4).
fn proof(state: &State, spend: &Spend) -> Result<SpendProof> {
    Ok(match spend {
        Spend::Included { tx, input } => spend_proof(
            &tx.stx,
            *input,
            &state.header(tx.block)?,
            &tx.input_proofs[*input].0,
        )?,
        Spend::Forced { tx, input } => forced_spend_proof(&tx.tx, *input, tx.index)?,
    })
}

/// The contract's proof of output `output` of the stored `tx`, against its committed header.
fn named_output(state: &State, tx: &StoredTx, output: usize) -> Result<OutputProof> {
    let header = state.header(tx.block)?;
    let proof = &tx.output_proofs[output].0;
    Ok(output_proof(&tx.stx.transaction, output, &header, proof)?)
}

/// The request as the contract identifies it (its deadline is not part of that).
fn requested(r: &RequestRecord) -> ChallengeRequested {
    ChallengeRequested {
        exitId: r.exit_id,
        challengeId: r.challenge_id,
        outputPosition: r.position.to_u256(),
        outputOwner: r.owner,
        coin: r.coin,
        challenger: r.challenger,
        deadline: Default::default(),
    }
}

/// Records the outcome of `c` in `state` and `batch`; returns the event to report. An exit or
/// forced transaction acted on is not judged again (its action is set), unless a request of
/// ours is answered (ingestion clears it); an answered request stays open for its challenger.
fn record(
    state: &mut State,
    batch: &mut Batch,
    c: &Challenge,
    sent: Result<(), debye_l1::Error>,
) -> WatchEvent {
    let target = c.target();
    if let Err(e) = sent {
        let error = e.to_string();
        return match target {
            Target::Exit(exit_id) => WatchEvent::ActionFailed { exit_id, error },
            Target::Forced(index) => WatchEvent::ForcedActionFailed { index, error },
        };
    }
    let how = c.how().to_owned();
    if let Challenge::Respond { request, .. } = c {
        // Answering earns nothing for the watcher (the bond goes to the exit's owner, §3.4.2)
        // and leaves the request to its challenger.
        state.meta.answers_sent += 1;
        let (exit_id, challenge_id) = (request.exit_id, request.challenge_id);
        return WatchEvent::Answered {
            exit_id,
            challenge_id,
        };
    }
    state.meta.challenges_sent += 1;
    match (c, target) {
        (Challenge::Resolve { request, .. }, _) => {
            let rec = RequestRecord {
                done: true,
                ..request.clone()
            };
            state.requests.insert(rec.challenge_id, rec.clone());
            batch.requests.push(rec);
        }
        (_, Target::Exit(id)) => {
            if let Some(rec) = state.exits.get_mut(&id) {
                rec.action = Some(how.clone());
                batch.exits.push(rec.clone());
            }
        }
        (_, Target::Forced(index)) => {
            if let Some(rec) = state.forced.get_mut(&index) {
                rec.action = Some(how.clone());
                batch.forced.push(rec.clone());
            }
        }
    }
    match target {
        Target::Exit(exit_id) => WatchEvent::Challenged { exit_id, how },
        Target::Forced(index) => WatchEvent::ForcedChallenged { index, how },
    }
}
