//! Leaving to L1: start exits from held data, answer challenge requests with the spends in the
//! coins' histories, and finalize matured exits. The rules are the exit game's
//! (`docs/exit-game.md`); what the wallet must keep to play it is in `docs/wallet.md` §4.

use alloy_primitives::{Address, B256, U256};
use debye_l1::{
    L1,
    contracts::DebyeChainClient,
    exits::{self, ExitData, ExitEvent, ExitStatus},
};
use debye_primitives::{Segment, exit::Position};
use serde::{Deserialize, Serialize};

pub use crate::records::ExitRecord;
use crate::{
    error::{Error, Result},
    history::model::{Evidence, intersect},
    records::{Activity, Coin, CoinStatus},
    source::BlockSource,
    wallet::{SyncReport, Wallet, exit_claim},
};

/// What one [`Wallet::guard`] round did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardReport {
    /// The sync.
    pub sync: SyncReport,
    /// Exits started because the operator put coins at risk.
    pub exits_started: Vec<ExitRecord>,
    /// Challenge requests against the wallet's exits answered.
    pub challenges_answered: usize,
    /// Other people's exits of the wallet's coins cancelled.
    pub exits_cancelled: usize,
}

/// What [`Wallet::finalize_exits`] did with one exit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitOutcome {
    /// The exit.
    pub exit: ExitRecord,
    /// Its status after the call (`"pending"`, `"withdrawn"`, `"cancelled"`, ...).
    pub status: String,
}

fn status_name(s: ExitStatus) -> String {
    format!("{s:?}").to_lowercase()
}

impl Wallet {
    /// Starts an exit on L1 for every owned coin in `segments` (all coins when `None`), from the
    /// held data alone: a deposit exit for coins straight from a deposit, otherwise an output exit
    /// with the creating transaction, its block header and its inclusion proof. Pays the bond.
    pub async fn start_exits<L: L1>(
        &mut self,
        client: &DebyeChainClient<L>,
        segments: Option<&[Segment]>,
    ) -> Result<Vec<ExitRecord>> {
        self.bind(client).await?;
        let me = self.address();
        let wanted: Vec<Coin> = self
            .state()
            .coins
            .iter()
            .filter(|c| c.status != CoinStatus::Exiting)
            .filter(|c| segments.is_none_or(|s| s.iter().any(|x| x.overlaps(&c.segment))))
            .cloned()
            .collect();
        let mut started = Vec::new();
        for coin in wanted {
            let claim = exit_claim(&coin);
            let (start, end) = (coin.segment.start(), coin.segment.end());
            let data = if let Some(d) = claim.deposit {
                let record = exits::DepositRecord {
                    owner: d.owner,
                    start: d.start,
                    end: d.end,
                    blockNumber: d.block_number,
                };
                client.start_deposit_exit(me, &record, start, end).await?
            } else if let Some((tx, header, proof)) = &claim.created_by {
                client
                    .start_output_exit(
                        me,
                        &tx.transaction,
                        usize::from(coin.origin.output_index),
                        header,
                        &proof.0,
                        start,
                        end,
                    )
                    .await?
            } else {
                return Err(Error::NoSuchCoin(format!(
                    "{} has no exit evidence in the store",
                    coin.segment
                )));
            };
            let record = ExitRecord::from_data(&data);
            self.set_exiting(&coin.segment, record)?;
            started.push(record);
        }
        Ok(started)
    }

    /// Answers every open challenge request against the wallet's exits with the spend, found in
    /// the exited coins' histories, of the output (or deposit) the request names. Returns how
    /// many were answered. Requests the history cannot answer are left (they are honest: the
    /// exit would be invalid).
    pub async fn answer_challenges<L: L1>(
        &mut self,
        client: &DebyeChainClient<L>,
    ) -> Result<usize> {
        let me = self.address();
        let events = client.exit_events(0).await?;
        let answered: Vec<B256> = events
            .iter()
            .filter_map(|e| match e {
                ExitEvent::ChallengeAnswered(a) => Some(a.challengeId),
                ExitEvent::ChallengeClosed(c) => Some(c.challengeId),
                _ => None,
            })
            .collect();
        let mut count = 0;
        for e in &events {
            let ExitEvent::ChallengeRequested(req) = e else {
                continue;
            };
            if answered.contains(&req.challengeId) {
                continue;
            }
            let Some(exit) = self
                .state()
                .exits
                .iter()
                .find(|x| x.id() == req.exitId)
                .copied()
            else {
                continue;
            };
            let Some(coin) = self
                .state()
                .coins
                .iter()
                .find(|c| c.segment.start() == exit.start && c.segment.end() == exit.end)
            else {
                continue;
            };
            if let Some(answer) =
                find_spend(coin, req.outputPosition.into(), req.outputOwner, req.coin)?
            {
                client
                    .respond_challenge(me, &exit.data(), req, &answer)
                    .await?;
                count += 1;
            }
        }
        Ok(count)
    }

    /// One round of watching the wallet's coins, meant to run every block: sync; start exits for
    /// coins the operator put at risk (withheld block, unsigned spend) when `auto_exit`; answer
    /// challenge requests against the wallet's exits; cancel others' exits of its coins.
    pub async fn guard<L: L1, S: BlockSource>(
        &mut self,
        client: &DebyeChainClient<L>,
        source: &S,
        auto_exit: bool,
    ) -> Result<GuardReport> {
        let sync = self.sync(client, source).await?;
        let exits_started = if auto_exit && !sync.exit_needed.is_empty() {
            self.start_exits(client, Some(&sync.exit_needed)).await?
        } else {
            Vec::new()
        };
        let challenges_answered = self.answer_challenges(client).await?;
        let exits_cancelled = self.challenge_exits(client).await?;
        Ok(GuardReport {
            sync,
            exits_started,
            challenges_answered,
            exits_cancelled,
        })
    }

    /// Cancels other people's pending exits of coins the wallet holds, when the wallet's history
    /// shows the exited output (or deposit) was spent afterwards (`challengeSpent`: a previous
    /// owner exiting coins they paid away). Returns how many exits were cancelled. This is the
    /// owner's duty in the exit game (docs/exit-game.md); a watcher may do it on the owner's behalf.
    pub async fn challenge_exits<L: L1>(&mut self, client: &DebyeChainClient<L>) -> Result<usize> {
        let me = self.address();
        let mut count = 0;
        for e in client.exit_events(0).await? {
            let ExitEvent::Started(started) = e else {
                continue;
            };
            if started.owner == me {
                continue;
            }
            let exit = ExitData::from(&started);
            if client.exit_status(&exit).await? != ExitStatus::Pending {
                continue;
            }
            let Ok(exited) = Segment::new(exit.start, exit.end) else {
                continue;
            };
            let spend = self
                .state()
                .coins
                .iter()
                .filter_map(|c| {
                    let coin_id = intersect(&c.segment, &exited)?.start();
                    find_spend(c, exit.position.into(), exit.owner, coin_id).transpose()
                })
                .next()
                .transpose()?;
            if let Some(spend) = spend {
                client.challenge_spent(me, &exit, &spend).await?;
                count += 1;
            }
        }
        Ok(count)
    }

    /// Tries to settle and pay every pending exit of the wallet (those not matured stay
    /// pending); withdrawn or cancelled exits leave the store.
    pub async fn finalize_exits<L: L1>(
        &mut self,
        client: &DebyeChainClient<L>,
    ) -> Result<Vec<ExitOutcome>> {
        let me = self.address();
        let mut out = Vec::new();
        for exit in self.state().exits.clone() {
            let mut status = client.exit_status(&exit.data()).await?;
            if status == ExitStatus::Pending {
                let key = client.range_key(exit.start, 0).await?;
                // Not matured or held back: stays pending, try again later.
                if client.finalize_exit(me, &exit.data(), key).await.is_ok() {
                    status = client.exit_status(&exit.data()).await?;
                }
            } else if status == ExitStatus::Finalized {
                client.withdraw(me, &exit.data()).await?;
                status = client.exit_status(&exit.data()).await?;
            }
            if matches!(status, ExitStatus::Withdrawn | ExitStatus::Cancelled) {
                self.remove_exit(&exit)?;
            }
            out.push(ExitOutcome {
                exit,
                status: status_name(status),
            });
        }
        // Request bonds paid to this owner by griefers, and bonds won, are credited on the
        // anchor (docs/exit-game.md §5.3): pull them with the exits.
        if client.credit_of(me).await? > U256::ZERO {
            client.claim(me).await?;
        }
        Ok(out)
    }
}

/// The spend, in `coin`'s history, of the output at `position` owned by `owner` holding `coin_id`.
fn find_spend(
    coin: &Coin,
    position: Position,
    owner: Address,
    coin_id: U256,
) -> Result<Option<exits::SpendProof>> {
    // A coin history starts at deposits and follows child blocks only: it never holds a spend
    // of a forced output (an input naming `FORCED_BLOCK | k`, docs/exit-game.md §12.4).
    if position.is_forced() {
        return Ok(None);
    }
    for b in coin
        .history
        .blocks
        .iter()
        .filter(|b| b.header.number >= position.block())
    {
        for item in &b.items {
            let Evidence::Included {
                segment,
                transaction,
                proof,
                ..
            } = item
            else {
                continue;
            };
            if !segment.contains_coin(coin_id) {
                continue;
            }
            let found = transaction.transaction.inputs.iter().position(|i| {
                i.owner == owner && position.refers_to(i) && i.segment.contains_coin(coin_id)
            });
            if let Some(index) = found {
                return Ok(Some(exits::spend_proof(
                    transaction,
                    index,
                    &b.header,
                    &proof.0,
                )?));
            }
        }
    }
    Ok(None)
}

impl Wallet {
    fn set_exiting(&mut self, segment: &Segment, record: ExitRecord) -> Result<()> {
        self.with_state(|s| {
            for c in &mut s.coins {
                if c.segment == *segment {
                    c.status = CoinStatus::Exiting;
                }
            }
            s.exits.push(record);
            s.activity.push(Activity::ExitStarted {
                segment: *segment,
                exit_id: record.id(),
            });
        })
    }

    fn remove_exit(&mut self, exit: &ExitRecord) -> Result<()> {
        self.with_state(|s| {
            s.exits.retain(|x| x != exit);
            s.coins.retain(|c| {
                !(c.status == CoinStatus::Exiting
                    && c.segment.start() == exit.start
                    && c.segment.end() == exit.end)
            });
        })
    }
}
