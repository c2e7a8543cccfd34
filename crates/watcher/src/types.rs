//! What the watcher stores and reports.

use alloy_primitives::{Address, B256, U256};
use debye_l1::exits::{DepositRecord, ExitData};
use debye_primitives::{InclusionProof, Position, SignedTransaction, Transaction};
use serde::{Deserialize, Serialize};

/// A deposit, from its `Deposit` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositInfo {
    /// Depositor.
    pub owner: Address,
    /// First coin.
    pub start: U256,
    /// End of the range (exclusive).
    pub end: U256,
    /// First child block that may spend it.
    pub block_number: u64,
}

impl From<debye_l1::contracts::Deposit> for DepositInfo {
    fn from(d: debye_l1::contracts::Deposit) -> Self {
        Self {
            owner: d.owner,
            start: d.start,
            end: d.end,
            block_number: d.blockNumber,
        }
    }
}

impl DepositInfo {
    /// The contract's record of this deposit.
    pub fn record(&self) -> DepositRecord {
        DepositRecord {
            owner: self.owner,
            start: self.start,
            end: self.end,
            blockNumber: self.block_number,
        }
    }
}

/// A transaction of a committed block touching watched coins, with its proofs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredTx {
    /// Child block.
    pub block: u64,
    /// Position in the block.
    pub index: u32,
    /// Transaction id.
    pub tx_id: B256,
    /// The transaction as included.
    pub stx: SignedTransaction,
    /// Signatures, stateless rules and expiry hold (usable as a spend on L1).
    pub signed_ok: bool,
    /// `signed_ok` and every input names an output (or deposit) that exists, is owned by the
    /// input's owner and holds its coins, and that output's transaction is valid too.
    pub valid: bool,
    /// Inclusion proof of each input's segment, in input order.
    pub input_proofs: Vec<InclusionProof>,
    /// Inclusion proof of each output's segment, in output order.
    pub output_proofs: Vec<InclusionProof>,
}

/// Status of an exit as the watcher last saw it on L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExitPhase {
    /// Started, neither settled nor cancelled.
    Pending,
    /// Cancelled by a challenge.
    Cancelled,
    /// Settled (batch) or paid.
    Settled,
}

/// An exit seen on L1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitRecord {
    /// Exit id.
    pub id: B256,
    /// Owner.
    pub owner: Address,
    /// First coin.
    pub start: U256,
    /// End (exclusive).
    pub end: U256,
    /// Exit position (priority).
    pub position: Position,
    /// Exited transaction (zero for a deposit).
    pub tx_id: B256,
    /// When it may finalize (L1 seconds).
    pub exitable_at: u64,
    /// Bond paid.
    pub bond: U256,
    /// Where it stands.
    pub phase: ExitPhase,
    /// What this watcher did about it (`spent`, `doubleSpend`, `depositAfter`, `withdrawn`,
    /// `request`), if
    /// anything; set once the L1 transaction is mined.
    pub action: Option<String>,
    /// An unprovable exit was reported already.
    pub reported: bool,
    /// L1 block of its `ExitStarted` (and `ExitTransaction`) event; 0 in records stored before
    /// it was kept.
    #[serde(default)]
    pub l1_block: u64,
}

impl ForcedRecord {
    /// Every distinct input owner has signed it on L1 (§12.1).
    pub fn fully_signed(&self) -> bool {
        self.tx
            .inputs
            .iter()
            .all(|i| self.signers.contains(&i.owner))
    }
}

impl ExitRecord {
    /// The contract's `ExitData`.
    pub fn data(&self) -> ExitData {
        ExitData {
            owner: self.owner,
            start: self.start,
            end: self.end,
            position: self.position.to_u256(),
            txId: self.tx_id,
        }
    }
}

/// A challenge request seen on L1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// Challenge id.
    pub challenge_id: B256,
    /// Exit challenged.
    pub exit_id: B256,
    /// Position of the named output.
    pub position: Position,
    /// Its owner.
    pub owner: Address,
    /// The coin.
    pub coin: U256,
    /// Who opened it.
    pub challenger: Address,
    /// Answer deadline (L1 seconds).
    pub deadline: u64,
    /// Answered, closed or resolved.
    pub done: bool,
}

/// Where a forced transaction (`docs/exit-game.md` §12) stands, as the watcher last saw it on L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ForcedPhase {
    /// Posted, in its challenge period (§12.2).
    Pending,
    /// Cancelled by a challenge.
    Cancelled,
    /// Counts as included (§12.3): a spend of its inputs in the exit game (§12.4).
    Included,
    /// Matured without every owner's signature: it never counts.
    Lapsed,
}

/// A forced transaction seen on L1 (its `ForcedPosted` event and what followed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForcedRecord {
    /// Its index `k` in the forced game.
    pub index: u64,
    /// Transaction id.
    pub tx_id: B256,
    /// The (unsigned) transaction posted.
    pub tx: Transaction,
    /// Exit position of its outputs (`docs/exit-game.md` §12.4).
    pub position: Position,
    /// The forcing bond (paid to whoever cancels it).
    pub bond: U256,
    /// Where it stands.
    pub phase: ForcedPhase,
    /// Input owners whose `ForcedSigned` was seen (§12.1).
    #[serde(default)]
    pub signers: Vec<Address>,
    /// What this watcher did about it (`forcedSpent`, `forcedWithdrawn`, `forcedDeposit`,
    /// `forcedOutput`, `forcedExcluded`), once the L1 transaction is mined.
    pub action: Option<String>,
}

/// A byzantine condition or an action, reported as a structured `tracing` event (target
/// `debye_watcher`) and kept in [`Status::recent`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum WatchEvent {
    /// A committed block the operator does not serve (or serves with another body).
    #[serde(rename_all = "camelCase")]
    BlockWithheld {
        /// Child block number.
        block: u64,
    },
    /// A committed header's `accumulator` field commits to no (m, A_m) the blocks give, with m
    /// between the height the previous non-zero header committed and the block before it: the
    /// operator left a touched range out, or committed another value (docs/accumulator.md
    /// §13.4). Wallets must not rely on spans across it.
    #[serde(rename_all = "camelCase")]
    AccumulatorMismatch {
        /// Child block number of the header.
        block: u64,
    },
    /// A withheld block was served after all.
    #[serde(rename_all = "camelCase")]
    BlockRecovered {
        /// Child block number.
        block: u64,
    },
    /// A committed block holds a transaction that is not validly signed or spends nothing valid.
    #[serde(rename_all = "camelCase")]
    InvalidTransaction {
        /// Child block number.
        block: u64,
        /// Transaction id.
        tx_id: B256,
    },
    /// No block commitment for longer than the configured stall time.
    #[serde(rename_all = "camelCase")]
    OperatorStalled {
        /// Seconds since the last commitment (L1 time).
        seconds: u64,
    },
    /// The operator API failed.
    #[serde(rename_all = "camelCase")]
    OperatorUnreachable {
        /// The error.
        error: String,
    },
    /// An exit over watched coins that the watcher cannot prove wrong but whose history it
    /// does not know (its transaction is in no block it has).
    #[serde(rename_all = "camelCase")]
    UnprovableExit {
        /// Exit id.
        exit_id: B256,
    },
    /// The watcher challenged an exit.
    #[serde(rename_all = "camelCase")]
    Challenged {
        /// Exit id.
        exit_id: B256,
        /// `spent`, `doubleSpend`, `depositAfter`, `withdrawn`, `request` or `resolve`.
        how: String,
    },
    /// The watcher answered a challenge request on an honest exit.
    #[serde(rename_all = "camelCase")]
    Answered {
        /// Exit id.
        exit_id: B256,
        /// Challenge id.
        challenge_id: B256,
    },
    /// A challenge request of this watcher was answered: the exit's history holds up to the
    /// named output (a wrong request costs a quarter bond; the game continues if the watcher
    /// learns a younger output).
    #[serde(rename_all = "camelCase")]
    RequestAnswered {
        /// Exit id.
        exit_id: B256,
        /// Challenge id.
        challenge_id: B256,
    },
    /// The watcher cancelled a forced transaction that must fail (`docs/exit-game.md` §12.2).
    #[serde(rename_all = "camelCase")]
    ForcedChallenged {
        /// Index of the forced transaction.
        index: u64,
        /// `forcedSpent`, `forcedWithdrawn`, `forcedDeposit`, `forcedOutput` or
        /// `forcedExcluded`.
        how: String,
    },
    /// A challenge of a forced transaction failed (someone was faster, or the evidence was
    /// refused).
    #[serde(rename_all = "camelCase")]
    ForcedActionFailed {
        /// Index of the forced transaction.
        index: u64,
        /// The error.
        error: String,
    },
    /// A challenge transaction failed (someone was faster, or the evidence was refused).
    #[serde(rename_all = "camelCase")]
    ActionFailed {
        /// Exit id.
        exit_id: B256,
        /// The error.
        error: String,
    },
}

/// What the watcher knows and has done: [`crate::Watcher::status`], printed by
/// `debye watcher --status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// `guard` or `archival`.
    pub mode: String,
    /// The account challenges are sent from.
    pub account: Address,
    /// Next L1 block to read.
    pub l1_cursor: u64,
    /// Highest committed child block seen on L1.
    pub committed_blocks: u64,
    /// Next child block to fetch.
    pub next_child_block: u64,
    /// Committed blocks the operator has not served.
    pub withheld_blocks: Vec<u64>,
    /// Deposits known.
    pub deposits: usize,
    /// Transactions stored.
    pub stored_txs: usize,
    /// Exits known / pending.
    pub exits: usize,
    /// Pending exits.
    pub pending_exits: usize,
    /// Challenges sent.
    pub challenges_sent: u64,
    /// Answers sent.
    pub answers_sent: u64,
    /// Exits cancelled paying this watcher.
    pub exits_cancelled: u64,
    /// Wei collected from bonds (exit and forcing bonds).
    pub bonds_collected: U256,
    /// Forced transactions known.
    pub forced: usize,
    /// Forced transactions cancelled paying this watcher.
    pub forced_cancelled: u64,
    /// Byzantine reports.
    pub byzantine_reports: u64,
    /// Blocks the accumulator replica has folded in (`None` when it is off).
    #[serde(default)]
    pub accumulator_height: Option<u64>,
    /// Events of the last step.
    pub recent: Vec<WatchEvent>,
}
