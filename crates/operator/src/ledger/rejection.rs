//! Why the ledger refuses a transaction's input: the domain's reasons, with the data that
//! explains them. The API maps each to its wire error in one place (`rpc/convert.rs`).

use alloy_primitives::{Address, B256};
use debye_primitives::Segment;
use debye_storage::Origin;

/// A rule of [`super::Ledger::check`] that an input breaks. `input` is the input's position in
/// the transaction, `segment` its coins.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Rejection {
    /// Some of the coins are in no range the ledger knows (never deposited, or already spent by
    /// an included transaction).
    #[error("input {input}: coins {segment} are unknown")]
    UnknownCoins {
        /// Position of the input.
        input: usize,
        /// Its coins.
        segment: Segment,
    },
    /// Another pending transaction already spends some of the coins.
    #[error("input {input}: coins {segment} are spent by pending transaction {spent_by}")]
    Conflict {
        /// Position of the input.
        input: usize,
        /// Its coins.
        segment: Segment,
        /// The pending transaction that spends them.
        spent_by: B256,
    },
    /// Some of the coins exited to L1.
    #[error("input {input}: coins {segment} exited")]
    Exited {
        /// Position of the input.
        input: usize,
        /// Its coins.
        segment: Segment,
    },
    /// The coins are held by someone other than the input's owner.
    #[error("input {input}: coins {segment} are held by {owner}, not {claimed}")]
    WrongOwner {
        /// Position of the input.
        input: usize,
        /// Its coins.
        segment: Segment,
        /// Who holds them.
        owner: Address,
        /// The owner the input names.
        claimed: Address,
    },
    /// The coins were not created at the output the input points at (spent and re-created
    /// since, or a wrong reference).
    #[error("input {input}: coins {segment} were created at {origin:?}, not in block {block}")]
    WrongOrigin {
        /// Position of the input.
        input: usize,
        /// Its coins.
        segment: Segment,
        /// Where the held coins were created.
        origin: Origin,
        /// The block the input names.
        block: u64,
    },
}

impl Rejection {
    /// Whether the coins are not the input owner's to spend (unknown, someone else's, or created
    /// elsewhere), as opposed to taken by a pending spend or gone to L1.
    pub(crate) fn is_not_owned(&self) -> bool {
        matches!(
            self,
            Self::UnknownCoins { .. } | Self::WrongOwner { .. } | Self::WrongOrigin { .. }
        )
    }
}
