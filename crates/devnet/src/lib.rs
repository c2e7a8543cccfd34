//! The whole Debye story on the embedded EVM, narrated: `debye demo`.
//!
//! It runs the product, not a model of it: a real `debye-operator` node (its store in a temporary
//! directory, its JSON-RPC API on a loopback port), two `debye-wallet` wallets that reach the
//! operator only through that API and check every block and history against L1, and a
//! `debye-watcher` guarding the chain. The story: the anchor and a test ERC-20 are deployed,
//! Alice deposits ETH and Bob dUSD, they pay each other on L2 with EIP-712 signed Plasma Prime
//! transactions (one an atomic swap signed by both), the operator commits each block's header to
//! L1, and each recipient's wallet verifies what it received. Then Bob tries to exit coins he has
//! already spent, and Carol's watcher cancels the exit with Bob's own signed spend, taking the
//! bond; finally Bob's wallet exits his remaining ETH and is paid after the challenge period.
//! The shielded act follows: Alice shields 1,000 dUSD in the pool, pays Bob 400 privately (the
//! proof made by her wallet), Bob's wallet finds the note by scanning, and Bob exits it to a fresh
//! address through a relayer who pays the gas and the bond for a fee; every step says what an L1
//! observer sees, and the run searches all of L1 for what it must not see.
//!
//! [`run`] returns a [`Report`] of every step, every committed block and the final balances, and
//! fails if any check does: the wallets, the operator's books and L1 must agree at the end.

mod meter;
mod observer;
mod report;
mod story;
mod text;

pub use observer::Exposure;
pub use report::{
    CommittedBlock, DepositSeen, ExitSeen, ObserverCheck, Party, PaymentSeen, Payouts, Report,
    ShieldedReport, Step,
};

/// Errors that stop the devnet run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An L1 call failed.
    #[error(transparent)]
    L1(#[from] debye_l1::Error),
    /// A Plasma Prime rule rejected something the story built.
    #[error(transparent)]
    Prime(#[from] debye_primitives::Error),
    /// The operator node failed to start or stop.
    #[error("operator: {0}")]
    Operator(#[from] debye_operator::Error),
    /// A wallet refused or failed an operation (boxed: the wallet's error is large).
    #[error("wallet: {0}")]
    Wallet(Box<debye_wallet::Error>),
    /// The watcher failed.
    #[error("watcher: {0}")]
    Watcher(#[from] debye_watcher::Error),
    /// A call to the operator's API failed.
    #[error("operator API: {0}")]
    Api(String),
    /// The temporary directory could not be made.
    #[error("temporary directory: {0}")]
    Io(#[from] std::io::Error),
    /// Something the story waits for did not happen in time.
    #[error("timed out waiting for {0}")]
    Timeout(String),
    /// The parts disagree: a committed block, a proof, a balance or a challenge is not what the
    /// protocol says it must be.
    #[error("consistency check failed: {0}")]
    Inconsistent(String),
}

impl From<debye_wallet::Error> for Error {
    fn from(e: debye_wallet::Error) -> Self {
        Self::Wallet(Box::new(e))
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Runs the devnet story in a fresh temporary directory, calling `narrate` with one line per
/// event, and returns the report.
pub async fn run(narrate: impl FnMut(String)) -> Result<Report> {
    let dir = tempfile::tempdir()?;
    story::play(dir.path(), narrate).await
}
