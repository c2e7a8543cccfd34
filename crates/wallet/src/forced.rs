//! Forcing a censored transaction on L1 (`docs/exit-game.md` §12): when the operator never
//! includes a transaction the wallet signed, the wallet posts it to the forced-inclusion game with
//! the forcing bond, adds its owner's EIP-712 signature there, keeps the forced index in the store,
//! and settles it once the challenge period is over. An included forced transaction `k` creates
//! its outputs at `FORCED_BLOCK | k` (`docs/formats.md` §3.1); their owners exit them like any
//! other output (§12.4).

use alloy_primitives::{Address, U256};
use debye_l1::{
    L1,
    contracts::DebyeChainClient,
    forced::{ForcedEvent, ForcedStatus},
};
use debye_primitives::{Segment, SignedTransaction, exit::forced_block_index};
use serde::{Deserialize, Serialize};

pub use crate::records::ForcedRecord;
use crate::{
    error::{Error, Result},
    records::CoinStatus,
    wallet::Wallet,
};

/// One output of an included forced transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForcedOutput {
    /// Its owner.
    pub owner: Address,
    /// Its coins.
    pub segment: Segment,
    /// Output index in the transaction.
    pub output_index: usize,
    /// The `blockIndex` an input (or exit) names it by: `FORCED_BLOCK | k`.
    pub block_index: u64,
}

/// Where a forced transaction stands after [`Wallet::finalize_forced`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForcedOutcome {
    /// The record (removed from the store unless still pending).
    pub record: ForcedRecord,
    /// `pending`, `included`, `cancelled` or `lapsed`.
    pub status: String,
    /// When pending: the L1 time it matures at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matures_at: Option<u64>,
    /// When included: its outputs, at `FORCED_BLOCK | k`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<ForcedOutput>,
    /// When cancelled: why (the contract's reason), or when lapsed: who did not sign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

fn cancel_reason(code: u8) -> &'static str {
    // `ForcedCancelReason` in ForcedInclusion.sol (§12.2).
    match code {
        0 => "an input was already spent (challengeForcedSpent)",
        1 => "the transaction was already included",
        2 => "an input names an output or deposit that does not exist",
        3 => "an input overlaps a settled exit",
        _ => "unknown reason",
    }
}

impl Wallet {
    /// Forces `signed` (a transaction the wallet signed that the operator does not include) on
    /// L1: posts it with the forcing bond read from the contract, then adds the wallet's own
    /// EIP-712 signature (§12.1). Input owners other than the wallet are listed in the record:
    /// the transaction only counts as included if they sign on L1 as well before it matures
    /// (§12.3). The forced index is stored, so [`Wallet::finalize_forced`] finds it after a
    /// restart.
    pub async fn force<L: L1>(
        &mut self,
        client: &DebyeChainClient<L>,
        signed: &SignedTransaction,
    ) -> Result<ForcedRecord> {
        let chain = self.bind(client).await?;
        let me = self.address();
        let tx = &signed.transaction;
        let tx_id = tx.tx_id(&chain.domain());
        let owners = tx.owners();
        if !owners.contains(&me) {
            return Err(Error::NotAnOwner { tx_id, address: me });
        }
        // The wallet signs the digest itself rather than trusting the handed-in signatures: the
        // contract checks each one against an input owner (§12.1).
        let sig = self.sign_digest(&tx_id)?;
        let bond = client.force_bond().await?;
        let index = client.force(me, tx).await?.index;
        client
            .sign_forced(me, index, &debye_primitives::tx::signature_to_bytes(&sig))
            .await?;
        let record = ForcedRecord {
            index,
            tx_id,
            transaction: signed.clone(),
            bond,
            other_owners: owners.into_iter().filter(|o| *o != me).collect(),
        };
        self.with_state(|s| s.forced.push(record.clone()))?;
        Ok(record)
    }

    /// Settles every forced transaction the wallet posted whose challenge period is over
    /// (`finalizeForced`, §12.3) and reports each one: `pending` (not matured), `included` (its
    /// outputs now exist at `FORCED_BLOCK | k`; the wallet's coins it spent are dropped),
    /// `cancelled` (a challenge proved it invalid; the bond went to the challenger, §12.2) or
    /// `lapsed` (not every owner signed; the bond is refunded and the coins are spendable again).
    /// Settled ones leave the store.
    pub async fn finalize_forced<L: L1>(
        &mut self,
        client: &DebyeChainClient<L>,
    ) -> Result<Vec<ForcedOutcome>> {
        let mut out = Vec::new();
        for record in self.state().forced.clone() {
            out.push(self.settle_forced(client, record).await?);
        }
        // Settled forcing bonds are credited, not pushed (docs/exit-game.md §5.3): pull them.
        let me = self.address();
        if client.forced_credit_of(me).await? > U256::ZERO {
            client.claim_forced(me).await?;
        }
        Ok(out)
    }

    /// Settles one forced transaction if it has matured, reports where it stands, and drops it
    /// from the store once settled (its spent coins with it when included; they come back
    /// spendable when it lapsed).
    async fn settle_forced<L: L1>(
        &mut self,
        client: &DebyeChainClient<L>,
        record: ForcedRecord,
    ) -> Result<ForcedOutcome> {
        let mut state = client.forced_state(record.index).await?;
        if state.status == ForcedStatus::None {
            return Err(Error::UnknownForced(record.index));
        }
        // Not matured yet: the call reverts and it stays pending.
        if state.status == ForcedStatus::Pending
            && client
                .finalize_forced(self.address(), record.index)
                .await
                .is_ok()
        {
            state = client.forced_state(record.index).await?;
        }
        let mut outcome = ForcedOutcome {
            record: record.clone(),
            status: String::new(),
            matures_at: None,
            outputs: Vec::new(),
            reason: None,
        };
        match state.status {
            ForcedStatus::Pending | ForcedStatus::None => {
                outcome.status = "pending".into();
                outcome.matures_at = Some(state.matures_at);
                return Ok(outcome);
            }
            ForcedStatus::Included => {
                outcome.status = "included".into();
                let block_index = forced_block_index(record.index);
                outcome.outputs = record
                    .transaction
                    .transaction
                    .outputs
                    .iter()
                    .enumerate()
                    .map(|(i, o)| ForcedOutput {
                        owner: o.owner,
                        segment: o.segment,
                        output_index: i,
                        block_index,
                    })
                    .collect();
            }
            ForcedStatus::Cancelled => {
                outcome.status = "cancelled".into();
                let why = client
                    .forced_events(0)
                    .await?
                    .into_iter()
                    .find_map(|e| match e {
                        ForcedEvent::Cancelled(c) if c.index == record.index => {
                            Some(cancel_reason(c.reason))
                        }
                        _ => None,
                    })
                    .unwrap_or("cancelled by a challenge");
                outcome.reason = Some(why.to_string());
            }
            ForcedStatus::Lapsed => {
                outcome.status = "lapsed".into();
                outcome.reason = Some(format!(
                    "not every input owner signed on L1 in time: {:?}",
                    record.other_owners
                ));
            }
        }
        let tx_id = record.tx_id;
        self.with_state(|s| {
            s.forced.retain(|f| f.index != record.index);
            let spending = CoinStatus::Spending { tx_id };
            match state.status {
                ForcedStatus::Included => s.coins.retain(|c| c.status != spending),
                ForcedStatus::Lapsed => {
                    for c in s.coins.iter_mut().filter(|c| c.status == spending) {
                        c.status = CoinStatus::Owned;
                    }
                }
                _ => {}
            }
        })?;
        Ok(outcome)
    }
}
