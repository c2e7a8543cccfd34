//! The shielded side's L1 actions (docs/shielded.md §5): a private deposit into the pool
//! (S-5.3), starting a ZK exit from the wallet's own account or any relayer's (S-5.5, S-5.9),
//! processing a token's exit queue and withdrawing credits (S-5.7, S-5.15), and following the
//! pool's logs: deposits a mnemonic-only restore must find (S-6.2) and exit starts that move a
//! note from "exiting" to "exited".

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use debye_l1::{
    L1, L1Tx,
    pool::{ExitRecord, ExitStatus, IShieldedPool, ShieldedPoolClient},
};
use debye_zk::keys::Keys;
use serde::{Deserialize, Serialize};

use super::{base::Wallet, private::PrivateDeposit};
use crate::{
    error::{Error, Result},
    records::Activity,
    shielded::{
        GWEI_PER_ETH,
        exit::{PrivateExit, RelayRequest},
        fr_to_u256,
        notes::{ExpectedNote, NoteStatus, ShieldedState},
        scan::Scanner,
    },
};

/// A private deposit sent to the pool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateDepositSent {
    /// The note deposited.
    pub deposit: PrivateDeposit,
    /// Its index in the pool's deposit queue.
    pub index: u32,
    /// L1 block of the deposit.
    pub l1_block: u64,
    /// Base units moved into the pool.
    pub base_units: U256,
}

/// An exit started on L1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitStarted {
    /// The pool's exit index (from its `ShieldedExitStarted` event).
    pub index: u32,
    /// The L1 token (zero for ETH).
    pub token: Address,
    /// The note's amount in token units.
    pub amount: u64,
    /// The relayer's fee in token units.
    pub fee: u64,
    /// The recipient.
    pub recipient: Address,
    /// The fee recipient.
    pub fee_recipient: Address,
    /// Unix time from which `processExits` pays it (S-5.6).
    pub exitable_at: u64,
    /// Bond paid, in wei.
    pub bond: U256,
    /// L1 block of the start.
    pub l1_block: u64,
}

impl ExitStarted {
    fn new(index: u32, r: &ExitRecord, l1_block: u64) -> Self {
        Self {
            index,
            token: r.token,
            amount: r.amount,
            fee: r.fee,
            recipient: r.recipient,
            fee_recipient: r.feeRecipient,
            exitable_at: r.exitableAt,
            bond: U256::from(r.bond),
            l1_block,
        }
    }
}

/// What processing a token's exit queue and withdrawing did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FinalizeReport {
    /// The token (zero for ETH).
    pub token: Address,
    /// Exits paid by this call.
    pub paid: Vec<u32>,
    /// Exits refused or dropped by this call.
    pub not_paid: Vec<u32>,
    /// Pending exits still waiting (not mature yet, or behind one that is not).
    pub waiting: Vec<(u32, u64)>,
    /// Base units withdrawn, per account.
    pub withdrawn: Vec<(Address, U256)>,
}

/// The `IShieldedPool.ExitRequest` of a proven exit.
pub fn exit_request(e: &PrivateExit) -> IShieldedPool::ExitRequest {
    let x = &e.ext;
    IShieldedPool::ExitRequest {
        nullifier0: e.nullifiers[0],
        nullifier1: e.nullifiers[1],
        token: e.token,
        amount: e.amount,
        proof: e.proof,
        ext: IShieldedPool::ExtData {
            kind: x.kind,
            recipient: x.recipient,
            feeRecipient: x.fee_recipient,
            fee: x.fee,
            expiry: x.expiry,
            chainId: x.chain_id,
            anchor: x.anchor,
            policy: x.policy,
            nonce: x.nonce,
            ctHash0: x.ct_hash0,
            ctHash1: x.ct_hash1,
        },
    }
}

/// Starts the exit in `request` from `from` (any account with ETH for the bond and the gas:
/// the relayer of S-5.9), after checking it is for this pool and chain.
pub async fn relay<L: L1>(
    pool: &ShieldedPoolClient<L>,
    from: Address,
    request: &RelayRequest,
) -> Result<ExitStarted> {
    let chain_id = pool.l1().chain_id().await?;
    if request.chain_id != chain_id || request.pool != pool.address() {
        return Err(Error::RelayRequest(format!(
            "it is for pool {} on chain {}, not pool {} on chain {chain_id}",
            request.pool,
            request.chain_id,
            pool.address()
        )));
    }
    // The root header travels in the file: check it is the one L1 committed before paying gas
    // (the pool would refuse it too, S-5.5, but only after the bond and gas were sent).
    let anchor = debye_l1::contracts::DebyeChainClient::at(pool.l1(), pool.chain().await?);
    let h = &request.exit.root_header;
    if anchor.block_hash(h.number).await? != h.hash() {
        return Err(Error::RelayRequest(format!(
            "the request's header of block {} is not the one committed on L1",
            h.number
        )));
    }
    let bond = pool.exit_bond().await?;
    let r = pool
        .start_exit(
            from,
            exit_request(&request.exit),
            &request.exit.root_header,
            bond,
        )
        .await?;
    Ok(ExitStarted::new(r.index, &r.record, r.receipt.block_number))
}

/// Processes `token`'s exit queue from `from` with the records of its pending exits, read from
/// the pool's `ShieldedExitStarted` logs, in queue order `(prioKey, index)` (S-5.7); then
/// withdraws the credit of each account in `accounts` (anyone may, S-5.15: the relayer for its
/// fee, and for a fresh recipient with no gas).
pub async fn finalize<L: L1>(
    pool: &ShieldedPoolClient<L>,
    from: Address,
    token: Address,
    accounts: &[Address],
) -> Result<FinalizeReport> {
    let tip = pool.l1().block_number().await?;
    let queued = pool.exits_queued().await?;
    let mut pending = Vec::new();
    let mut unqueued = Vec::new();
    for e in pool.exit_starts(0, tip).await? {
        if pool.exit_status(e.index).await? != ExitStatus::Pending {
            continue;
        }
        if e.index >= queued {
            unqueued.push((e.index, e.record.clone()));
        }
        if e.record.token == token {
            pending.push(e);
        }
    }
    // S-5.7: `processExits` pays nothing while an exit started before the head matured is not in
    // its queue; `startExit` leaves the push to whoever processes (docs/shielded.md §9 Q1).
    if !unqueued.is_empty() {
        unqueued.sort_by_key(|(index, _)| *index);
        pool.queue_exits(from, unqueued.into_iter().map(|(_, r)| r).collect())
            .await?;
    }
    pending.sort_by_key(|e| (e.record.prioKey, e.index));
    let mut report = FinalizeReport {
        token,
        ..FinalizeReport::default()
    };
    if !pending.is_empty() {
        let records = pending.iter().map(|e| e.record.clone()).collect();
        let r = pool.process_exits(from, token, records).await?;
        report.paid = r.paid;
        report.not_paid = r.not_paid;
    }
    report.waiting = pending
        .iter()
        .filter(|e| !report.paid.contains(&e.index) && !report.not_paid.contains(&e.index))
        .map(|e| (e.index, e.record.exitableAt))
        .collect();
    let mut seen = Vec::new();
    for &a in accounts {
        if seen.contains(&a) {
            continue;
        }
        seen.push(a);
        if pool.credit_of(token, a).await?.is_zero() {
            continue;
        }
        let w = pool.withdraw(from, token, a).await?;
        report.withdrawn.push((a, w.amount));
    }
    Ok(report)
}

impl Wallet {
    /// Deposits `amount` token units (S-5.2: gwei for ETH, the listed unit for an ERC-20) into
    /// the shielded pool from the wallet's L1 account, as a note for the wallet itself: the
    /// ciphertext in the deposit's log is encrypted to its own address (S-6.1), so a restore
    /// from the mnemonic finds it. The note is spendable once `sync` sees the `DEPOSIT` entry
    /// that appends it in a committed block.
    pub async fn deposit_private<L: L1>(
        &mut self,
        pool: &ShieldedPoolClient<L>,
        keys: &Keys,
        token: Option<Address>,
        amount: u64,
    ) -> Result<PrivateDepositSent> {
        let unit = match token {
            None => GWEI_PER_ETH,
            Some(t) => pool.token_unit(t).await?,
        };
        if unit == 0 {
            return Err(Error::InvalidAmount(format!(
                "token {} is not listed for the shielded pool",
                token.unwrap_or_default()
            )));
        }
        let base_units = U256::from(amount) * U256::from(unit);
        let field = token.map_or(U256::ZERO, |a| U256::from_be_slice(a.as_slice()));
        let dep = self.prepare_private_deposit(keys, field, amount)?;
        let sent = match token {
            None => {
                pool.deposit_eth(
                    self.address(),
                    dep.owner_part,
                    dep.ciphertext.clone(),
                    base_units,
                )
                .await
            }
            Some(t) => {
                let approve = debye_l1::contracts::TestToken::approveCall {
                    spender: pool.address(),
                    value: base_units,
                };
                match pool
                    .l1()
                    .send(L1Tx::call(self.address(), t, approve.abi_encode()))
                    .await
                {
                    Ok(_) => {
                        pool.deposit_token(
                            self.address(),
                            t,
                            base_units,
                            dep.owner_part,
                            dep.ciphertext.clone(),
                        )
                        .await
                    }
                    Err(e) => Err(e),
                }
            }
        };
        let receipt = match sent {
            Ok(r) => r,
            Err(e) => {
                // Nothing was queued: the note will never be appended.
                let s = &mut self.store.state.shielded;
                s.expected.retain(|x| x.commitment != dep.commitment);
                self.save()?;
                return Err(e.into());
            }
        };
        if receipt.cm != dep.commitment {
            return Err(Error::Operator(format!(
                "the pool computed commitment {:#x} for deposit {}, the wallet {:#x}",
                receipt.cm, receipt.index, dep.commitment
            )));
        }
        self.store.state.activity.push(Activity::PrivateDeposit {
            index: receipt.index,
            token: field,
            amount,
        });
        self.save()?;
        Ok(PrivateDepositSent {
            deposit: dep,
            index: receipt.index,
            l1_block: receipt.receipt.block_number,
            base_units,
        })
    }

    /// Records a proven exit: the note leaves the balance and the history says so.
    pub fn record_private_exit(&mut self, e: &PrivateExit) -> Result<()> {
        self.store.state.shielded.mark_exiting(e);
        self.store.state.activity.push(Activity::PrivateExit {
            position: e.position,
            recipient: e.ext.recipient,
            amount: e.amount,
            fee: e.ext.fee,
            exit: None,
        });
        self.save()
    }

    /// Starts a proven exit from the wallet's own L1 account (it pays the bond and the gas).
    pub async fn submit_private_exit<L: L1>(
        &mut self,
        pool: &ShieldedPoolClient<L>,
        e: &PrivateExit,
    ) -> Result<ExitStarted> {
        let started = relay(pool, self.address(), &RelayRequest::new(e.clone())).await?;
        self.store
            .state
            .shielded
            .mark_exit_started(&e.nullifiers[0], started.index);
        self.store.state.activity.push(Activity::PrivateExit {
            position: e.position,
            recipient: e.ext.recipient,
            amount: e.amount,
            fee: e.ext.fee,
            exit: Some(started.index),
        });
        self.save()?;
        Ok(started)
    }

    /// Follows the pool's logs up to L1 block `tip`: deposits whose ciphertext decrypts with
    /// the wallet's viewing key and recomputes the logged commitment become expected notes
    /// (S-6.2: a mnemonic-only restore finds its deposits), exit starts naming an own note's
    /// nullifier mark it exited, and a proven exit whose request expired unstarted makes its
    /// note spendable again. Called by `sync` before it scans blocks.
    pub async fn follow_pool<L: L1>(
        &mut self,
        pool: &ShieldedPoolClient<L>,
        scanner: &Scanner,
    ) -> Result<()> {
        let l1 = pool.l1();
        let tip = l1.block_number().await?;
        let now = l1.timestamp().await?;
        let s = &mut self.store.state.shielded;
        let from = s.pool_logs_to.map_or(0, |b| b + 1);
        if from > tip {
            return Ok(());
        }
        for d in pool.deposits(from, tip).await? {
            learn_deposit(s, scanner, &d.event.ct, d.event.cm);
        }
        for e in pool.exit_starts(from, tip).await? {
            s.mark_exit_started(&e.record.nullifier0, e.index);
        }
        for n in &mut s.notes {
            if let NoteStatus::Exiting { expiry, .. } = n.status
                && now > expiry
            {
                // `startExit` refuses a request past its expiry: nobody can start it now.
                n.status = NoteStatus::Unspent;
            }
        }
        s.pool_logs_to = Some(tip);
        self.save()
    }
}

/// Adds the deposit with ciphertext `ct` and commitment `cm` as an expected note when it is
/// the wallet's own and not known yet.
fn learn_deposit(s: &mut ShieldedState, scanner: &Scanner, ct: &[u8], cm: U256) {
    let Some(note) = scanner.try_decrypt(ct) else {
        return;
    };
    // The ciphertext must open the commitment L1 computed, or it is a lie (S-6.2).
    if fr_to_u256(&note.commitment()) != cm || note.owner != scanner.keys().address().owner {
        return;
    }
    let known =
        s.expected.iter().any(|e| e.commitment == cm) || s.notes.iter().any(|n| n.commitment == cm);
    if !known {
        s.expected.push(ExpectedNote {
            token: fr_to_u256(&note.token),
            amount: note.amount,
            rho: fr_to_u256(&note.randomness),
            commitment: cm,
        });
    }
}
