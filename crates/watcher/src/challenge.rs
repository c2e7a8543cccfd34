//! What the watcher does on L1, as data: one [`Challenge`] variant per action of the anchor
//! and the forced-inclusion game the watcher takes (`docs/exit-game.md` §3, §12.2), carrying
//! the records that make up its evidence. The judges (`crate::judge`) decide which applies;
//! the executor (`crate::execute`) builds the proofs, sends and records.

use alloy_primitives::{B256, U256};
use debye_primitives::{BlockHeader, Position, Segment, SumMerkleProof, Transaction};

use crate::types::{DepositInfo, ExitRecord, ForcedRecord, RequestRecord, StoredTx};

/// A spend of an output: evidence that its owner gave it away (`docs/exit-game.md` §3.1, §3.2,
/// §12.2 (a)) or an answer to a request (§3.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Spend {
    /// Input `input` of a transaction included in a committed block.
    Included {
        /// The stored transaction, with its inclusion proofs.
        tx: StoredTx,
        /// Which of its inputs spends the output.
        input: usize,
    },
    /// Input `input` of a forced transaction: it spends once included (§12.4), or, pending
    /// with all its signatures, it contradicts another forced spend (§12.2 (a)).
    Forced {
        /// The forced transaction.
        tx: ForcedRecord,
        /// Which of its inputs spends the output.
        input: usize,
    },
}

/// The output a challenge request names (`docs/exit-game.md` §3.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Named {
    /// A deposit.
    Deposit(DepositInfo),
    /// Output `.1` of a stored transaction.
    Output(StoredTx, usize),
}

impl Named {
    /// Its exit position and owner: what the contract records of a request.
    pub(crate) fn position_and_owner(&self) -> (Position, alloy_primitives::Address) {
        match self {
            Self::Deposit(d) => (Position::deposit(d.block_number), d.owner),
            Self::Output(t, oi) => (
                Position::output(t.block),
                t.stx.transaction.outputs[*oi].owner,
            ),
        }
    }
}

/// One action the watcher takes on L1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// `challengeSpent` (§3.1, §12.4): the exitor already spent the exited output.
    Spent {
        /// The exit.
        exit: ExitRecord,
        /// Its spend.
        spend: Spend,
    },
    /// `challengeDoubleSpend` (§3.2, §12.4): an earlier spend of what the exited transaction
    /// spends.
    DoubleSpend {
        /// The exit.
        exit: ExitRecord,
        /// The exited transaction.
        exit_tx: Transaction,
        /// Its input spent earlier.
        input: usize,
        /// The earlier spend.
        earlier: Spend,
    },
    /// `challengeDepositAfter` (§3.3, §12.4): the exited coins were deposited after the exit's
    /// position.
    DepositAfter {
        /// The exit.
        exit: ExitRecord,
        /// The younger deposit.
        deposit: DepositInfo,
    },
    /// `challengeWithdrawn` (§4.1): some of the exited coins were settled already.
    Withdrawn {
        /// The exit.
        exit: ExitRecord,
        /// The settled exit.
        settled: ExitRecord,
    },
    /// `requestWithDeposit` (§3.4): ask for the spend of a deposit.
    RequestWithDeposit {
        /// The exit.
        exit: ExitRecord,
        /// The exited transaction.
        exit_tx: Transaction,
        /// The deposit named.
        deposit: DepositInfo,
        /// The coin the game is about.
        coin: U256,
    },
    /// `requestWithOutput` (§3.4): ask for the spend of an output.
    RequestWithOutput {
        /// The exit.
        exit: ExitRecord,
        /// The exited transaction.
        exit_tx: Transaction,
        /// The transaction of the named output.
        tx: StoredTx,
        /// The named output's index.
        output: usize,
        /// The coin the game is about.
        coin: U256,
    },
    /// `resolveChallenge` (§3.4): this watcher's request went unanswered past its deadline.
    Resolve {
        /// The exit.
        exit: ExitRecord,
        /// The request.
        request: RequestRecord,
    },
    /// `respondChallenge` (§3.4, §3.4.2): the spend another challenger asked for.
    Respond {
        /// The exit.
        exit: ExitRecord,
        /// The request.
        request: RequestRecord,
        /// The named output's spend.
        answer: Spend,
    },
    /// One of the forced game's challenges (§12.2): input `input` of forced transaction
    /// `forced` is refuted, and the forcing bond is won.
    Forced {
        /// The forced transaction.
        forced: ForcedRecord,
        /// Its refuted input.
        input: usize,
        /// The evidence, which names the contract call.
        refutation: Refutation,
    },
}

/// Why an input of a forced transaction must fail (`docs/exit-game.md` §12.2): one variant per
/// challenge of the forced-inclusion game.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refutation {
    /// `challengeForcedSpent` (§12.2 (a)): what the input spends is spent.
    Spent(Spend),
    /// `challengeForcedWithdrawn` (§12.2 (a)): its coins were settled by an exit.
    Withdrawn(ExitRecord),
    /// `challengeForcedDeposit` (§12.2 (b)): no such deposit; this one covers its coins.
    Deposit(DepositInfo),
    /// `challengeForcedOutput` (§12.2 (b)): no such output; output `output` of `tx` covers its
    /// coins.
    Output {
        /// The transaction whose output really covers its coins.
        tx: StoredTx,
        /// That output's index.
        output: usize,
    },
    /// `challengeForcedExcluded` (§12.2 (b)): the named block has no leaf over its coins.
    Excluded {
        /// The committed header of the named block.
        header: BlockHeader,
        /// The excluded segment.
        segment: Segment,
        /// Its exclusion proof.
        proof: SumMerkleProof,
    },
}

/// What a [`Challenge`] is about: the record its outcome is written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// An exit, by id.
    Exit(B256),
    /// A forced transaction, by index.
    Forced(u64),
}

impl Challenge {
    /// The name the action is reported and recorded under (`WatchEvent::Challenged::how`,
    /// `ExitRecord::action`, `WatchEvent::ForcedChallenged::how`, `ForcedRecord::action`).
    pub(crate) const fn how(&self) -> &'static str {
        match self {
            Self::Spent { .. } => "spent",
            Self::DoubleSpend { .. } => "doubleSpend",
            Self::DepositAfter { .. } => "depositAfter",
            Self::Withdrawn { .. } => "withdrawn",
            Self::RequestWithDeposit { .. } | Self::RequestWithOutput { .. } => "request",
            Self::Resolve { .. } => "resolve",
            Self::Respond { .. } => "respond",
            Self::Forced { refutation, .. } => match refutation {
                Refutation::Spent(_) => "forcedSpent",
                Refutation::Withdrawn(_) => "forcedWithdrawn",
                Refutation::Deposit(_) => "forcedDeposit",
                Refutation::Output { .. } => "forcedOutput",
                Refutation::Excluded { .. } => "forcedExcluded",
            },
        }
    }

    /// The exit or forced transaction it acts on.
    pub(crate) fn target(&self) -> Target {
        match self {
            Self::Spent { exit, .. }
            | Self::DoubleSpend { exit, .. }
            | Self::DepositAfter { exit, .. }
            | Self::Withdrawn { exit, .. }
            | Self::RequestWithDeposit { exit, .. }
            | Self::RequestWithOutput { exit, .. }
            | Self::Resolve { exit, .. }
            | Self::Respond { exit, .. } => Target::Exit(exit.id),
            Self::Forced { forced, .. } => Target::Forced(forced.index),
        }
    }
}
