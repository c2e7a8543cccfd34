//! The exit game's calls on [`DebyeChainClient`]: start exits from deposits and transaction
//! outputs, challenge them (spent, double spend, deposit after, withdrawn, priority), open and
//! answer challenge requests, finalize one or a batch, withdraw, and read exits and their events.
//! Rules, attacks and timing: `docs/exit-game.md`.
//!
//! Transactions, signatures and sum Merkle proofs come from `debye-primitives`; they reach the
//! contract's ABI types through the field-by-field `From` impls of the bindings module, and
//! positions through [`debye_primitives::exit::Position`].

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::{SolCall, SolEvent, SolValue};
use debye_primitives::{
    self as primitives, SignedTransaction, SumMerkleProof, Transaction, abi as pabi, exit::Position,
};

use crate::{
    L1, L1Receipt, LogFilter, Result,
    contracts::{DebyeChain, DebyeChainClient, PrimeLib, decode_event, decode_logs, first_event},
};

pub use crate::contracts::DebyeChain::{
    ChallengeAnswered, ChallengeClosed, ChallengeRequested, ExitBlocked, ExitBondScheduled,
    ExitCancelled, ExitFinalized, ExitSkipped, ExitStarted, ExitUnblocked, ExitWithdrawn,
};
pub use crate::contracts::IDebyeChain::{ChallengeState, ExitState};
pub use crate::contracts::Types::{DepositRecord, ExitData, OutputProof, SpendProof};

/// Bits of a coin id below the token id.
const TOKEN_BITS: usize = 128;

/// Life of an exit, as the contract stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// No exit with this id.
    None,
    /// Started, not settled or cancelled.
    Pending,
    /// Settled by a batch, not paid yet (see [`DebyeChainClient::withdraw`]).
    Finalized,
    /// Paid.
    Withdrawn,
    /// Cancelled by a challenge.
    Cancelled,
}

impl From<u8> for ExitStatus {
    fn from(v: u8) -> Self {
        match v {
            1 => Self::Pending,
            2 => Self::Finalized,
            3 => Self::Withdrawn,
            4 => Self::Cancelled,
            _ => Self::None,
        }
    }
}

/// Exit position of a deposit made for child block `block` ([`Position::deposit`]).
pub fn deposit_position(block: u64) -> U256 {
    Position::deposit(block).to_u256()
}

/// Exit position of an output of a transaction included in child block `block`
/// ([`Position::output`]).
pub fn output_position(block: u64) -> U256 {
    Position::output(block).to_u256()
}

/// `keccak256(abi.encode(exit))`, the contract's exit id.
pub fn exit_id(exit: &ExitData) -> B256 {
    keccak256(exit.abi_encode())
}

/// Id of the challenge request on `exit_id` naming the output at `position` owned by `owner`
/// and `coin`.
pub fn challenge_id(exit_id: B256, position: U256, owner: Address, coin: U256) -> B256 {
    keccak256((exit_id, position, owner, coin).abi_encode())
}

/// The exitable-range key for a token no exit has touched yet: `(token + 1) << 128`.
pub fn token_range_key(token: u32) -> U256 {
    U256::from(u64::from(token) + 1) << TOKEN_BITS
}

/// A transaction in the contract's ABI type.
pub(crate) fn tx_abi(tx: &Transaction) -> PrimeLib::Transaction {
    tx.to_abi().into()
}

/// A transaction the anchor or the forced-inclusion game published (its segments checked here;
/// the contract checked nothing about it beyond inclusion, or the stateless rules).
pub(crate) fn tx_from_abi(tx: impl Into<pabi::Transaction>, what: &str) -> Result<Transaction> {
    Transaction::try_from(&tx.into())
        .map_err(|e| crate::Error::Rejected(format!("malformed {what} transaction: {e}")))
}

/// An output of an included transaction, as the contract's evidence.
pub fn output_proof(
    tx: &Transaction,
    output_index: usize,
    header: &primitives::BlockHeader,
    proof: &SumMerkleProof,
) -> Result<OutputProof> {
    Ok(OutputProof {
        transaction: tx_abi(tx),
        outputIndex: U256::from(output_index),
        header: header.into(),
        proof: pabi::SumProof::from(proof).into(),
    })
}

/// A signed, included transaction and one of its inputs, as the contract's evidence.
pub fn spend_proof(
    spend: &SignedTransaction,
    input_index: usize,
    header: &primitives::BlockHeader,
    proof: &SumMerkleProof,
) -> Result<SpendProof> {
    Ok(SpendProof {
        spend: pabi::SignedTransaction::from(spend).into(),
        inputIndex: U256::from(input_index),
        header: header.into(),
        proof: pabi::SumProof::from(proof).into(),
    })
}

/// A deposit record from its `Deposit` event.
pub fn deposit_record(event: &crate::contracts::Deposit) -> DepositRecord {
    DepositRecord {
        owner: event.owner,
        start: event.start,
        end: event.end,
        blockNumber: event.blockNumber,
    }
}

/// Any exit-game event of the anchor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExitEvent {
    /// An exit started.
    Started(ExitStarted),
    /// An exit was cancelled.
    Cancelled(ExitCancelled),
    /// An exit was settled.
    Finalized(ExitFinalized),
    /// A batch passed over an exit.
    Skipped(ExitSkipped),
    /// An exit was paid.
    Withdrawn(ExitWithdrawn),
    /// An exit was held back by an older one.
    Blocked(ExitBlocked),
    /// An exit was released.
    Unblocked(ExitUnblocked),
    /// A challenge request was opened.
    ChallengeRequested(ChallengeRequested),
    /// A challenge request was answered.
    ChallengeAnswered(ChallengeAnswered),
    /// A challenge request was closed after its exit ended.
    ChallengeClosed(ChallengeClosed),
    /// A bond change was scheduled.
    BondScheduled(ExitBondScheduled),
}

impl<L: L1> DebyeChainClient<L> {
    /// Sends `call` to the anchor from `from` with no value.
    async fn act<C: SolCall>(&self, from: Address, call: C) -> Result<L1Receipt> {
        self.send(from, call, U256::ZERO).await
    }

    /// The exit period in seconds (challenge requests get half of it to be answered).
    pub async fn exit_period(&self) -> Result<u64> {
        self.view(DebyeChain::exitPeriodCall {}).await
    }

    /// The bond a new exit pays now, in wei.
    pub async fn exit_bond(&self) -> Result<U256> {
        Ok(U256::from(self.view(DebyeChain::exitBondCall {}).await?))
    }

    /// The EIP-712 domain separator the contract checks signatures under.
    pub async fn domain_separator(&self) -> Result<B256> {
        self.view(DebyeChain::domainSeparatorCall {}).await
    }

    /// State of exit `id` and its decoded status.
    pub async fn exit_state(&self, id: B256) -> Result<(ExitStatus, ExitState)> {
        let state = self.view(DebyeChain::exitStateCall { id }).await?;
        Ok((ExitStatus::from(state.status), state))
    }

    /// Status of `exit`.
    pub async fn exit_status(&self, exit: &ExitData) -> Result<ExitStatus> {
        Ok(self.exit_state(exit_id(exit)).await?.0)
    }

    /// An open challenge request's challenger and deadline (zero when closed or unknown).
    pub async fn challenge_state(&self, challenge_id: B256) -> Result<ChallengeState> {
        self.view(DebyeChain::challengeStateCall {
            challengeId: challenge_id,
        })
        .await
    }

    /// The start of the exitable range ending at `end`, if there is one.
    pub async fn exitable_range(&self, end: U256) -> Result<Option<U256>> {
        let r = self.view(DebyeChain::exitableRangeCall { end }).await?;
        Ok(r.exists.then_some(r.start))
    }

    /// The key (end) of the exitable range holding `coin`, from the `ExitFinalized` events since
    /// L1 block `from_block`: the start of the first settled range after `coin` in its token, or
    /// the token's end.
    pub async fn range_key(&self, coin: U256, from_block: u64) -> Result<U256> {
        let token_end = ((coin >> TOKEN_BITS) + U256::from(1u8)) << TOKEN_BITS;
        let filter =
            LogFilter::new(self.address(), from_block).events([ExitFinalized::SIGNATURE_HASH]);
        let mut key = token_end;
        for log in self.l1().logs(filter).await? {
            let e: ExitFinalized = decode_event(&log)?;
            if e.start > coin && e.start < key {
                key = e.start;
            }
        }
        Ok(key)
    }

    /// Starts an exit of `[start, end)` of the caller's deposit, paying the current bond.
    pub async fn start_deposit_exit(
        &self,
        from: Address,
        deposit: &DepositRecord,
        start: U256,
        end: U256,
    ) -> Result<ExitData> {
        let bond = self.exit_bond().await?;
        let call = DebyeChain::startDepositExitCall {
            d: deposit.clone(),
            start,
            end,
        };
        let receipt = self.send(from, call, bond).await?;
        Ok(ExitData::from(&first_event::<ExitStarted>(&receipt.logs)?))
    }

    /// Starts an exit of `[start, end)` of output `output_index` of `tx`, included in the block
    /// of `header` with `proof` (the proof of the leaf holding that output), paying the bond.
    #[allow(clippy::too_many_arguments)]
    pub async fn start_output_exit(
        &self,
        from: Address,
        tx: &Transaction,
        output_index: usize,
        header: &primitives::BlockHeader,
        proof: &SumMerkleProof,
        start: U256,
        end: U256,
    ) -> Result<ExitData> {
        let bond = self.exit_bond().await?;
        let call = DebyeChain::startExitCall {
            p: output_proof(tx, output_index, header, proof)?,
            start,
            end,
        };
        let receipt = self.send(from, call, bond).await?;
        Ok(ExitData::from(&first_event::<ExitStarted>(&receipt.logs)?))
    }

    /// Cancels `exit` with a spend of it signed by its owner (input `input_index` of `spend`).
    pub async fn challenge_spent(
        &self,
        from: Address,
        exit: &ExitData,
        spend: &SpendProof,
    ) -> Result<L1Receipt> {
        let call = DebyeChain::challengeSpentCall {
            e: exit.clone(),
            p: spend.clone(),
        };
        self.act(from, call).await
    }

    /// Cancels `exit` with an earlier spend of what input `exit_input` of its transaction spends.
    pub async fn challenge_double_spend(
        &self,
        from: Address,
        exit: &ExitData,
        exit_tx: &Transaction,
        exit_input: usize,
        earlier: &SpendProof,
    ) -> Result<L1Receipt> {
        let call = DebyeChain::challengeDoubleSpendCall {
            e: exit.clone(),
            exitTx: tx_abi(exit_tx),
            exitInput: U256::from(exit_input),
            p: earlier.clone(),
        };
        self.act(from, call).await
    }

    /// Cancels `exit` with a deposit of its coins made after its block.
    pub async fn challenge_deposit_after(
        &self,
        from: Address,
        exit: &ExitData,
        deposit: &DepositRecord,
    ) -> Result<L1Receipt> {
        let call = DebyeChain::challengeDepositAfterCall {
            e: exit.clone(),
            d: deposit.clone(),
        };
        self.act(from, call).await
    }

    /// Cancels `exit` with a settled exit `done` over some of its coins.
    pub async fn challenge_withdrawn(
        &self,
        from: Address,
        exit: &ExitData,
        done: &ExitData,
    ) -> Result<L1Receipt> {
        let call = DebyeChain::challengeWithdrawnCall {
            e: exit.clone(),
            done: done.clone(),
        };
        self.act(from, call).await
    }

    /// Holds `newer` back while the older overlapping exit `older` is pending.
    pub async fn block_exit(
        &self,
        from: Address,
        newer: &ExitData,
        older: &ExitData,
    ) -> Result<L1Receipt> {
        let call = DebyeChain::blockExitCall {
            newer: newer.clone(),
            older: older.clone(),
        };
        self.act(from, call).await
    }

    /// Releases `newer` once `older` is no longer pending.
    pub async fn unblock_exit(
        &self,
        from: Address,
        newer: &ExitData,
        older: &ExitData,
    ) -> Result<L1Receipt> {
        let call = DebyeChain::unblockExitCall {
            newerId: exit_id(newer),
            olderId: exit_id(older),
        };
        self.act(from, call).await
    }

    /// The request bond of a challenge against `exit`: a quarter of its bond.
    pub async fn request_bond(&self, exit: &ExitData) -> Result<U256> {
        let (_, state) = self.exit_state(exit_id(exit)).await?;
        Ok(U256::from(state.bond) / U256::from(4u8))
    }

    /// Opens a challenge request against `exit` (whose transaction is `exit_tx`) with the
    /// deposit `deposit` holding `coin`, no newer than `exit_tx`'s parent for `coin`
    /// (`docs/exit-game.md` §3.4.1).
    pub async fn request_with_deposit(
        &self,
        from: Address,
        exit: &ExitData,
        exit_tx: &Transaction,
        deposit: &DepositRecord,
        coin: U256,
    ) -> Result<ChallengeRequested> {
        let value = self.request_bond(exit).await?;
        let call = DebyeChain::requestWithDepositCall {
            e: exit.clone(),
            exitTx: tx_abi(exit_tx),
            d: deposit.clone(),
            coin,
        };
        let receipt = self.send(from, call, value).await?;
        first_event(&receipt.logs)
    }

    /// Opens a challenge request against `exit` (whose transaction is `exit_tx`) with an
    /// included output holding `coin`, no newer than `exit_tx`'s parent for `coin`
    /// (`docs/exit-game.md` §3.4.1).
    pub async fn request_with_output(
        &self,
        from: Address,
        exit: &ExitData,
        exit_tx: &Transaction,
        output: &OutputProof,
        coin: U256,
    ) -> Result<ChallengeRequested> {
        let value = self.request_bond(exit).await?;
        let call = DebyeChain::requestWithOutputCall {
            e: exit.clone(),
            exitTx: tx_abi(exit_tx),
            p: output.clone(),
            coin,
        };
        let receipt = self.send(from, call, value).await?;
        first_event(&receipt.logs)
    }

    /// Answers `request` with a spend of the challenged output.
    pub async fn respond_challenge(
        &self,
        from: Address,
        exit: &ExitData,
        request: &ChallengeRequested,
        answer: &SpendProof,
    ) -> Result<L1Receipt> {
        let call = DebyeChain::respondChallengeCall {
            e: exit.clone(),
            position: request.outputPosition,
            owner: request.outputOwner,
            coin: request.coin,
            p: answer.clone(),
        };
        self.act(from, call).await
    }

    /// Bonds credited to `account` on the anchor and not yet claimed (`docs/exit-game.md` §5.3).
    pub async fn credit_of(&self, account: Address) -> Result<U256> {
        let call = DebyeChain::creditOfCall { account };
        self.view(call).await
    }

    /// Pays `from` every bond credited to it on the anchor (`docs/exit-game.md` §5.3).
    pub async fn claim(&self, from: Address) -> Result<L1Receipt> {
        self.send(from, DebyeChain::claimCall {}, U256::ZERO).await
    }

    /// The transactions of the transaction exits started in L1 blocks `[from, to]`
    /// (`ExitTransaction` events), by exit id: a challenger who never saw an exit's block reads
    /// its parent from here (`docs/exit-game.md` §3.4.1).
    pub async fn exit_transactions(&self, from: u64, to: u64) -> Result<Vec<(B256, Transaction)>> {
        let logs = self
            .l1()
            .logs(LogFilter {
                address: self.address(),
                event_signatures: vec![DebyeChain::ExitTransaction::SIGNATURE_HASH],
                from_block: from,
                to_block: Some(to),
            })
            .await?;
        logs.iter()
            .map(|log| {
                let ev: DebyeChain::ExitTransaction = decode_event(log)?;
                Ok((ev.exitId, tx_from_abi(ev.transaction, "exited")?))
            })
            .collect()
    }

    /// Closes `request`: cancels the exit if unanswered past the deadline, else refunds.
    pub async fn resolve_challenge(
        &self,
        from: Address,
        exit: &ExitData,
        request: &ChallengeRequested,
    ) -> Result<L1Receipt> {
        let call = DebyeChain::resolveChallengeCall {
            e: exit.clone(),
            position: request.outputPosition,
            owner: request.outputOwner,
            coin: request.coin,
        };
        self.act(from, call).await
    }

    /// Settles and pays one matured exit; `range_key` from [`Self::range_key`].
    pub async fn finalize_exit(
        &self,
        from: Address,
        exit: &ExitData,
        range_key: U256,
    ) -> Result<L1Receipt> {
        let call = DebyeChain::finalizeExitCall {
            e: exit.clone(),
            rangeKey: range_key,
        };
        self.act(from, call).await
    }

    /// Settles many exits in one transaction (skipping those that cannot be); returns the ids
    /// settled. Each is then paid by [`Self::withdraw`].
    pub async fn finalize_exits(
        &self,
        from: Address,
        exits: &[ExitData],
        range_keys: &[U256],
    ) -> Result<Vec<B256>> {
        let call = DebyeChain::finalizeExitsCall {
            es: exits.to_vec(),
            rangeKeys: range_keys.to_vec(),
        };
        let receipt = self.send(from, call, U256::ZERO).await?;
        receipt
            .logs
            .iter()
            .filter(|l| l.topics.first() == Some(&ExitFinalized::SIGNATURE_HASH))
            .map(|l| Ok(decode_event::<ExitFinalized>(l)?.exitId))
            .collect()
    }

    /// Pays a settled exit to its owner.
    pub async fn withdraw(&self, from: Address, exit: &ExitData) -> Result<L1Receipt> {
        let call = DebyeChain::withdrawCall { e: exit.clone() };
        self.act(from, call).await
    }

    /// Schedules a new exit bond (operator only; ×2 / ÷2 bounds, effective after an exit period).
    pub async fn schedule_exit_bond(&self, operator: Address, bond: u128) -> Result<L1Receipt> {
        let bond = alloy_primitives::Uint::<96, 2>::try_from(bond)
            .map_err(|_| crate::Error::Rejected("exit bond does not fit in 96 bits".into()))?;
        let call = DebyeChain::scheduleExitBondCall { bond };
        self.send(operator, call, U256::ZERO).await
    }

    /// Every exit-game event from L1 block `from_block` on, in chain order.
    pub async fn exit_events(&self, from_block: u64) -> Result<Vec<ExitEvent>> {
        let logs = self
            .l1()
            .logs(LogFilter::new(self.address(), from_block))
            .await?;
        decode_logs!(
            logs,
            ExitStarted => ExitEvent::Started,
            ExitCancelled => ExitEvent::Cancelled,
            ExitFinalized => ExitEvent::Finalized,
            ExitSkipped => ExitEvent::Skipped,
            ExitWithdrawn => ExitEvent::Withdrawn,
            ExitBlocked => ExitEvent::Blocked,
            ExitUnblocked => ExitEvent::Unblocked,
            ChallengeRequested => ExitEvent::ChallengeRequested,
            ChallengeAnswered => ExitEvent::ChallengeAnswered,
            ChallengeClosed => ExitEvent::ChallengeClosed,
            ExitBondScheduled => ExitEvent::BondScheduled,
        )
    }
}

/// The exit an `ExitStarted` event describes.
impl From<&ExitStarted> for ExitData {
    fn from(e: &ExitStarted) -> Self {
        Self {
            owner: e.owner,
            start: e.start,
            end: e.end,
            position: e.position,
            txId: e.txId,
        }
    }
}
