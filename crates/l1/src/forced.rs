//! The forced-inclusion game (`docs/exit-game.md` §12) on [`DebyeChainClient`]: post an unsigned
//! transaction with a bond, add the owners' EIP-712 signatures on L1, challenge it (spent input,
//! no such output, owner mismatch, withdrawn input), settle it, read its state and events; and
//! the evidence that names an included forced transaction in the exit game (exit its outputs,
//! use it as the spend in `challengeSpent`, `challengeDoubleSpend` and `respondChallenge`).
//!
//! The game lives in its own contract, `ForcedInclusion`, deployed by the anchor's constructor
//! (`DebyeChain.forcedInclusion()`); these methods find it through the anchor.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use debye_primitives::{
    self as primitives, Segment, SignedTransaction, SumMerkleProof, Transaction, abi as pabi,
    exit::Position,
};

pub use crate::bindings::IndexOutOfRange;
pub use crate::bindings::forced_abi::ForcedInclusion::{
    self, ForcedCancelled, ForcedIncluded, ForcedLapsed, ForcedPosted, ForcedSigned,
};
pub use crate::bindings::forced_abi::IForcedInclusion;
pub use debye_primitives::exit::{FORCED_BLOCK, forced_block_index};

use crate::{
    L1, L1Receipt, LogFilter, Result,
    bindings::Revert,
    contracts::{DebyeChain, DebyeChainClient, PrimeLib, Types, decode_logs, first_event},
    exits::{DepositRecord, ExitData, OutputProof, SpendProof, tx_abi, tx_from_abi},
};

/// Decodes revert data as one of the forced-inclusion game's custom errors.
pub fn decode_forced_revert(data: &[u8]) -> Option<ForcedInclusion::ForcedInclusionErrors> {
    match Revert::decode(data) {
        Revert::Forced(e) => Some(e),
        _ => None,
    }
}

/// Decodes revert data as `IndexOutOfRange(index, count)`.
pub fn decode_index_out_of_range(data: &[u8]) -> Option<IndexOutOfRange> {
    match Revert::decode(data) {
        Revert::IndexOutOfRange(e) => Some(e),
        _ => None,
    }
}

/// Exit position of the outputs of forced transaction `index` whose newest input has position
/// `newest_input` ([`Position::forced`], `docs/exit-game.md` §12.4).
pub fn forced_position(index: u64, newest_input: U256) -> U256 {
    Position::forced(index, Position::from_u256(newest_input)).to_u256()
}

/// Life of a forced transaction, as the contract stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForcedStatus {
    /// No forced transaction with this index.
    None,
    /// Posted, in its challenge period.
    Pending,
    /// Counts as included (fully signed, unchallenged, matured).
    Included,
    /// Cancelled by a challenge.
    Cancelled,
    /// Matured without every owner's signature.
    Lapsed,
}

impl From<u8> for ForcedStatus {
    fn from(v: u8) -> Self {
        match v {
            1 => Self::Pending,
            2 => Self::Included,
            3 => Self::Cancelled,
            4 => Self::Lapsed,
            _ => Self::None,
        }
    }
}

/// What `forcedState(index)` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForcedState {
    /// Its status.
    pub status: ForcedStatus,
    /// The transaction id (EIP-712 digest).
    pub tx_id: B256,
    /// Exit position of its outputs.
    pub position: U256,
    /// End of its challenge period (a late signature adds half a period, §12.3).
    pub matures_at: u64,
    /// Whether every distinct input owner has signed.
    pub signed: bool,
}

/// Any event of the forced-inclusion game.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ForcedEvent {
    /// A transaction was posted.
    Posted(ForcedPosted),
    /// An owner signed.
    Signed(ForcedSigned),
    /// It was cancelled by a challenge.
    Cancelled(ForcedCancelled),
    /// It counts as included.
    Included(ForcedIncluded),
    /// It matured unsigned.
    Lapsed(ForcedLapsed),
}

/// The transaction a `ForcedPosted` event carries, as a protocol object (its segments checked;
/// the contract checked the stateless rules when it was posted).
pub fn posted_transaction(ev: &ForcedPosted) -> Result<Transaction> {
    tx_from_abi(ev.transaction.clone(), "forced")
}

/// The anchor's evidence for output `output_index` of the included forced transaction `index`
/// (for `startExit` and `requestWithOutput`): the header names `FORCED_BLOCK | index`.
pub fn forced_output_proof(
    tx: &Transaction,
    output_index: usize,
    index: u64,
) -> Result<OutputProof> {
    Ok(OutputProof {
        transaction: tx_abi(tx),
        outputIndex: U256::from(output_index),
        header: forced_header(index),
        proof: empty_proof(),
    })
}

/// The anchor's evidence for the included forced transaction `index` as a spend (input
/// `input_index`), for `challengeSpent`, `challengeDoubleSpend` and `respondChallenge`. Its owners
/// signed on L1, so no signatures are carried.
pub fn forced_spend_proof(tx: &Transaction, input_index: usize, index: u64) -> Result<SpendProof> {
    Ok(SpendProof {
        spend: PrimeLib::SignedTransaction {
            transaction: tx_abi(tx),
            signatures: Default::default(),
        },
        inputIndex: U256::from(input_index),
        header: forced_header(index),
        proof: empty_proof(),
    })
}

fn forced_header(index: u64) -> Types::BlockHeader {
    Types::BlockHeader::from(&debye_primitives::BlockHeader {
        number: forced_block_index(index),
        ..Default::default()
    })
}

fn empty_proof() -> PrimeLib::SumProof {
    PrimeLib::SumProof {
        leafLength: U256::ZERO,
        path: 0,
        siblings: Vec::new(),
    }
}

impl<L: L1> DebyeChainClient<L> {
    /// Address of the anchor's forced-inclusion game contract.
    pub async fn forced_inclusion(&self) -> Result<Address> {
        self.view(DebyeChain::forcedInclusionCall {}).await
    }

    async fn forced_view<C: SolCall>(&self, call: C) -> Result<C::Return> {
        let at = self.forced_inclusion().await?;
        crate::contracts::view_at(self.l1(), at, call).await
    }

    async fn forced_send<C: SolCall>(
        &self,
        from: Address,
        call: C,
        value: U256,
    ) -> Result<L1Receipt> {
        let at = self.forced_inclusion().await?;
        crate::contracts::send_to(self.l1(), from, at, call, value).await
    }

    /// Sends `call` to the forced-inclusion game from `from` with no value.
    async fn forced_act<C: SolCall>(&self, from: Address, call: C) -> Result<L1Receipt> {
        self.forced_send(from, call, U256::ZERO).await
    }

    /// The bond `force` asks for now (three exit bonds, `docs/exit-game.md` §5.1).
    pub async fn force_bond(&self) -> Result<U256> {
        self.forced_view(ForcedInclusion::forceBondCall {}).await
    }

    /// Posts `tx` (unsigned) for forced inclusion, paying the bond; returns its index.
    pub async fn force(&self, from: Address, tx: &Transaction) -> Result<ForcedPosted> {
        let bond = self.force_bond().await?;
        let call = ForcedInclusion::forceCall {
            t: tx_abi(tx).into(),
        };
        let receipt = self.forced_send(from, call, bond).await?;
        first_event(&receipt.logs)
    }

    /// Adds one owner's 65-byte signature (`r ‖ s ‖ v` over the transaction id).
    pub async fn sign_forced(
        &self,
        from: Address,
        index: u64,
        signature: &[u8],
    ) -> Result<L1Receipt> {
        let call = ForcedInclusion::signForcedCall {
            index,
            signature: signature.to_vec().into(),
        };
        self.forced_act(from, call).await
    }

    /// Adds every signature of `signed` (its owners' signatures, made off-chain) to `index`.
    pub async fn sign_forced_all(
        &self,
        from: Address,
        index: u64,
        signed: &SignedTransaction,
    ) -> Result<()> {
        // 65 bytes per signature, r ‖ s ‖ v (docs/formats.md §4).
        for sig in signed.signature_bytes().chunks(65) {
            self.sign_forced(from, index, sig).await?;
        }
        Ok(())
    }

    /// Cancels forced transaction `index` (content `forced`) with a spend of what its input
    /// `input_index` spends: `spend`, an included signed transaction (see
    /// [`crate::exits::spend_proof`]) or another forced one ([`forced_spend_proof`]).
    pub async fn challenge_forced_spent(
        &self,
        from: Address,
        index: u64,
        forced: &Transaction,
        input_index: usize,
        spend: &SpendProof,
    ) -> Result<L1Receipt> {
        let call = ForcedInclusion::challengeForcedSpentCall {
            index,
            t: tx_abi(forced).into(),
            inputIndex: U256::from(input_index),
            p: spend.clone().into(),
        };
        self.forced_act(from, call).await
    }

    /// Cancels forced transaction `index` whose input `input_index` names an output that does
    /// not exist: `output` (see [`crate::exits::output_proof`]) is the included output of the
    /// named block covering its coins, with another owner or other bounds.
    pub async fn challenge_forced_output(
        &self,
        from: Address,
        index: u64,
        forced: &Transaction,
        input_index: usize,
        output: &OutputProof,
    ) -> Result<L1Receipt> {
        let call = ForcedInclusion::challengeForcedOutputCall {
            index,
            t: tx_abi(forced).into(),
            inputIndex: U256::from(input_index),
            p: output.clone().into(),
        };
        self.forced_act(from, call).await
    }

    /// Cancels forced transaction `index` whose input `input_index` names a block where no
    /// transaction touched the coins `segment` (an exclusion proof under `header`).
    #[allow(clippy::too_many_arguments)]
    pub async fn challenge_forced_excluded(
        &self,
        from: Address,
        index: u64,
        forced: &Transaction,
        input_index: usize,
        header: &primitives::BlockHeader,
        segment: &Segment,
        proof: &SumMerkleProof,
    ) -> Result<L1Receipt> {
        let call = ForcedInclusion::challengeForcedExcludedCall {
            index,
            t: tx_abi(forced).into(),
            inputIndex: U256::from(input_index),
            h: pabi::BlockHeader::from(header).into(),
            s: pabi::Segment::from(segment).into(),
            proof: pabi::SumProof::from(proof).into(),
        };
        self.forced_act(from, call).await
    }

    /// Cancels forced transaction `index` whose input `input_index` names a deposit wrongly:
    /// `deposit` covers its coins with another owner, block or bounds.
    pub async fn challenge_forced_deposit(
        &self,
        from: Address,
        index: u64,
        forced: &Transaction,
        input_index: usize,
        deposit: &DepositRecord,
    ) -> Result<L1Receipt> {
        let call = ForcedInclusion::challengeForcedDepositCall {
            index,
            t: tx_abi(forced).into(),
            inputIndex: U256::from(input_index),
            d: deposit.clone().into(),
        };
        self.forced_act(from, call).await
    }

    /// Cancels forced transaction `index` whose input `input_index` overlaps the settled exit
    /// `done`.
    pub async fn challenge_forced_withdrawn(
        &self,
        from: Address,
        index: u64,
        forced: &Transaction,
        input_index: usize,
        done: &ExitData,
    ) -> Result<L1Receipt> {
        let call = ForcedInclusion::challengeForcedWithdrawnCall {
            index,
            t: tx_abi(forced).into(),
            inputIndex: U256::from(input_index),
            done: done.clone().into(),
        };
        self.forced_act(from, call).await
    }

    /// Settles forced transaction `index` after its period: included if fully signed, else lapsed.
    pub async fn finalize_forced(&self, from: Address, index: u64) -> Result<L1Receipt> {
        let call = ForcedInclusion::finalizeForcedCall { index };
        self.forced_act(from, call).await
    }

    /// Forcing bonds credited to `account` and not yet claimed (`docs/exit-game.md` §5.3).
    pub async fn forced_credit_of(&self, account: Address) -> Result<U256> {
        self.forced_view(ForcedInclusion::creditOfCall { account })
            .await
    }

    /// Pays `from` every forcing bond credited to it (`docs/exit-game.md` §5.3).
    pub async fn claim_forced(&self, from: Address) -> Result<L1Receipt> {
        self.forced_act(from, ForcedInclusion::claimCall {}).await
    }

    /// The state of forced transaction `index`.
    pub async fn forced_state(&self, index: u64) -> Result<ForcedState> {
        let r = self
            .forced_view(ForcedInclusion::forcedStateCall { index })
            .await?;
        Ok(ForcedState {
            status: ForcedStatus::from(r.status),
            tx_id: r.txId,
            position: r.position,
            matures_at: r.maturesAt.to::<u64>(),
            signed: r.signed,
        })
    }

    /// Starts an exit of `[start, end)` of output `output_index` of the included forced
    /// transaction `index` (content `tx`), paying the exit bond.
    pub async fn start_forced_exit(
        &self,
        from: Address,
        tx: &Transaction,
        output_index: usize,
        index: u64,
        start: U256,
        end: U256,
    ) -> Result<ExitData> {
        let bond = self.exit_bond().await?;
        let call = DebyeChain::startExitCall {
            p: forced_output_proof(tx, output_index, index)?,
            start,
            end,
        };
        let receipt = self.send(from, call, bond).await?;
        let e: crate::exits::ExitStarted = first_event(&receipt.logs)?;
        Ok(ExitData::from(&e))
    }

    /// Every event of the forced-inclusion game from L1 block `from_block` on, in chain order.
    pub async fn forced_events(&self, from_block: u64) -> Result<Vec<ForcedEvent>> {
        let at = self.forced_inclusion().await?;
        let logs = self.l1().logs(LogFilter::new(at, from_block)).await?;
        decode_logs!(
            logs,
            ForcedPosted => ForcedEvent::Posted,
            ForcedSigned => ForcedEvent::Signed,
            ForcedCancelled => ForcedEvent::Cancelled,
            ForcedIncluded => ForcedEvent::Included,
            ForcedLapsed => ForcedEvent::Lapsed,
        )
    }
}
