//! What `debye demo` reports: each step, each committed block, and where every party ended.

use alloy_primitives::{Address, B256, U256};
use debye_primitives::{BlockHeader, Segment};
use serde::Serialize;

/// What one step did.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// Short name of the step.
    pub name: String,
    /// What happened, in words.
    pub outcome: String,
    /// Whether the step's check held. A step that fails ends the run with an error, so a
    /// finished report has every step `ok`; the field lets a reader of a partial log see which
    /// step broke.
    pub ok: bool,
    /// L1 gas used by the step's transaction, if it sent one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l1_gas: Option<u64>,
}

/// One party's balances at the end of the run.
#[derive(Clone, Debug, Serialize)]
pub struct Party {
    /// Party name.
    pub name: String,
    /// L1 address (also its L2 identity).
    pub address: Address,
    /// ETH on L1, in wei.
    pub l1_eth_wei: U256,
    /// Test ERC-20 on L1, in base units.
    pub l1_token: U256,
    /// ETH held on L2 (sum of owned ranges, as the party's wallet counts it), in wei.
    pub l2_eth_wei: U256,
    /// Test ERC-20 held on L2, in base units.
    pub l2_token: U256,
    /// Ranges owned on L2, as `[start, end)` hex coin ids.
    pub l2_ranges: Vec<Segment>,
}

/// Everything the run did and where it ended.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Address of the anchor contract.
    pub anchor: Address,
    /// Address of the test ERC-20.
    pub token: Address,
    /// Steps in order.
    pub steps: Vec<Step>,
    /// Committed block headers with their L1 commitments.
    pub blocks: Vec<CommittedBlock>,
    /// Final balances of each party.
    pub parties: Vec<Party>,
    /// The shielded act: what each step showed an L1 observer.
    pub shielded: ShieldedReport,
}

/// The shielded act (`story::shielded`): a deposit, a private payment and a relayed ZK exit,
/// each with what an L1 observer sees.
#[derive(Clone, Debug, Serialize)]
pub struct ShieldedReport {
    /// The `ShieldedPool` contract.
    pub pool: Address,
    /// Base units of dUSD per note unit (the unit the token is listed with).
    pub unit: u64,
    /// Alice's deposit as L1 sees it.
    pub deposit: DepositSeen,
    /// Alice's private payment to Bob as L1 sees it.
    pub payment: PaymentSeen,
    /// Bob's relayed exit as L1 sees it.
    pub exit: ExitSeen,
    /// What the exit paid, in dUSD base units.
    pub payouts: Payouts,
    /// The search of every L1 transaction for what must not be there.
    pub observer: ObserverCheck,
}

/// A shielded deposit: everything in it is public.
#[derive(Clone, Debug, Serialize)]
pub struct DepositSeen {
    /// Who paid the pool.
    pub depositor: Address,
    /// Note units deposited.
    pub amount: u64,
    /// The commitment L1 computed and appended to its queue.
    pub commitment: U256,
    /// Its index in the pool's deposit queue.
    pub index: u32,
    /// The block that appended it to the note tree.
    pub block: u64,
    /// L1 gas of `depositToken` (the ERC-20 `approve` not included).
    pub l1_gas: u64,
}

/// A private payment: L1 sees only the header hash of the block that holds it.
#[derive(Clone, Debug, Serialize)]
pub struct PaymentSeen {
    /// The block holding the payment's entry.
    pub block: u64,
    /// The one thing L1 stores for it: that block's header hash.
    pub header_hash: B256,
    /// L1 transactions between the deposit and the exit: each a `submitBlock`.
    pub l1_transactions: usize,
    /// Wall-clock milliseconds of the client's proof (varies by machine).
    pub prove_ms: u64,
    /// Notes Bob's wallet found by scanning with his viewing key.
    pub notes_found_by_bob: usize,
}

/// A ZK exit: what `startExit` shows.
#[derive(Clone, Debug, Serialize)]
pub struct ExitSeen {
    /// The pool's exit index.
    pub index: u32,
    /// The spent note's nullifier and the dummy's.
    pub nullifiers: [U256; 2],
    /// Note units exited (the whole note).
    pub amount: u64,
    /// The fresh address paid `amount − fee`.
    pub recipient: Address,
    /// The relayer's fee in note units.
    pub fee: u64,
    /// The relayer, who sent `startExit`, paid the gas and the bond.
    pub relayer: Address,
    /// The committed block whose note root the proof names.
    pub root_block: u64,
    /// Leaves under that root (notes and zero fillers).
    pub leaves_under_root: u64,
    /// Notes under that root (leaves but the zero fillers).
    pub notes_under_root: u64,
    /// The notes under that root the exit could be for an L1 observer: all but the deposits it
    /// saw with another amount or token (docs/shielded.md S-6.3).
    pub anonymity_set: u64,
    /// Unix time from which the exit is paid.
    pub exitable_at: u64,
    /// L1 gas of `startExit`.
    pub l1_gas: u64,
    /// Wall-clock milliseconds of the client's proof (varies by machine).
    pub prove_ms: u64,
}

/// What the exit paid, in dUSD base units, read from the token's balances.
#[derive(Clone, Debug, Serialize)]
pub struct Payouts {
    /// To the fresh address: `(amount − fee) × unit`.
    pub recipient: U256,
    /// To the relayer: `fee × unit`.
    pub relayer_fee: U256,
}

/// The L1 observer test: each list must be empty (the run fails otherwise).
#[derive(Clone, Debug, Serialize)]
pub struct ObserverCheck {
    /// L1 transactions searched (calldata and logs), the whole run.
    pub transactions_searched: usize,
    /// Logs searched.
    pub logs_searched: usize,
    /// The deposit's fields found in the exit's calldata or logs.
    pub deposit_fields_in_exit: Vec<crate::observer::Exposure>,
    /// The payment's owners, amounts, commitments, nullifiers or ciphertexts found on L1.
    pub payment_fields_on_l1: Vec<crate::observer::Exposure>,
}

/// A block committed to L1.
#[derive(Clone, Debug, Serialize)]
pub struct CommittedBlock {
    /// The header.
    pub header: BlockHeader,
    /// Its hash, as stored on L1.
    pub hash: B256,
    /// Number of transactions in it.
    pub transactions: usize,
    /// L1 gas of its `submitBlock` transaction (including the 21,000 base).
    pub l1_gas: u64,
}
