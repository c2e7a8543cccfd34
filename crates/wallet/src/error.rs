//! The crate's single error type.

use std::{borrow::Cow, path::PathBuf};

use alloy_primitives::{Address, B256, U256};
use debye_primitives::Segment;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong in the wallet.
///
/// The history variants ([`Error::is_history_fault`]) say exactly why a coin's history was refused;
/// each is a reason to distrust the sender or the operator, never the wallet's own fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file exists where the wallet would create a new one.
    #[error("{0} already exists; refusing to overwrite it")]
    AlreadyExists(PathBuf),
    /// A keystore file is not valid Web3 Secret Storage (v3) JSON.
    #[error("invalid keystore: {0}")]
    KeystoreFormat(String),
    /// The keystore uses a key derivation function or cipher this wallet does not implement.
    #[error("unsupported keystore {what}: {name}")]
    KeystoreUnsupported {
        /// `kdf` or `cipher`.
        what: &'static str,
        /// The name found in the file.
        name: String,
    },
    /// The keystore MAC did not match: wrong passphrase (or a corrupted file).
    #[error("wrong passphrase (keystore MAC mismatch)")]
    WrongPassphrase,
    /// A passphrase could not be obtained from the prompt, file or environment.
    #[error("cannot read passphrase: {0}")]
    Passphrase(String),
    /// A BIP-39 mnemonic is malformed (unknown word, bad checksum, wrong length).
    #[error("invalid mnemonic: {0}")]
    InvalidMnemonic(String),
    /// A private key or derived key is not a valid secp256k1 scalar.
    #[error("invalid private key")]
    InvalidKey,
    /// A BIP-32 derivation path could not be parsed.
    #[error("invalid derivation path {0:?}")]
    InvalidPath(String),
    /// The wallet store file is unreadable or from an unknown version.
    #[error("wallet store {path}: {reason}")]
    StoreCorrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A backup file could not be decoded.
    #[error("invalid backup: {0}")]
    Backup(String),
    /// A Plasma Prime rule rejected something the wallet built or received.
    #[error(transparent)]
    Prime(#[from] debye_primitives::Error),
    /// An L1 call failed.
    #[error(transparent)]
    L1(#[from] debye_l1::Error),
    /// The operator (or another block source) failed or answered nonsense.
    #[error("operator: {0}")]
    Operator(String),
    /// The operator answered a submission with an error: the transaction was not accepted (the
    /// wallet puts the coins it would have spent back).
    #[error("operator refused the transaction: {0}")]
    Refused(String),
    /// The operator answered a shielded submission with a refusal (docs/api.md 1015–1021, or
    /// 1007/1011/1012): the entry was not admitted (the wallet puts its notes back). `reason`,
    /// `message` and `hint` are the operator's `data`, carried through as given.
    #[error("operator refused the private transfer ({}): {message}", refusal.name())]
    ShieldedRefused {
        /// Which rule, as the wallet understands it.
        refusal: ShieldedRefusal,
        /// The operator's rule name (`data.reason`, e.g. `RootMismatch`), or empty.
        reason: String,
        /// What was wrong (`data.message`, else the code's message).
        message: String,
        /// What to do (`data.hint`), when the operator gave one.
        hint: Option<String>,
    },
    /// The wallet is bound to another chain than the one it is talking to.
    #[error(
        "wrong chain: wallet is for chain {expected_chain} anchor {expected_anchor}, got chain {chain} anchor {anchor}"
    )]
    WrongChain {
        /// Chain id the wallet was created for.
        expected_chain: u64,
        /// Anchor the wallet was created for.
        expected_anchor: Address,
        /// Chain id found.
        chain: u64,
        /// Anchor found.
        anchor: Address,
    },
    /// Not enough spendable coins of a token.
    #[error("insufficient funds in token {token}: need {needed}, have {available}")]
    InsufficientFunds {
        /// Token id.
        token: u32,
        /// Amount asked for.
        needed: U256,
        /// Spendable amount.
        available: U256,
    },
    /// An amount of zero, or one that does not fit.
    #[error("invalid amount: {0}")]
    InvalidAmount(String),
    /// The wallet holds no spendable coin matching the request.
    #[error("no such coin: {0}")]
    NoSuchCoin(String),
    /// A transaction shared for co-signing is not the one expected (atomic swap).
    #[error("swap rejected: {0}")]
    SwapRejected(String),
    /// A transaction to force on L1 spends none of the wallet's coins: only an input owner may
    /// post it with the owners' signature (`docs/exit-game.md` §12).
    #[error("cannot force tx {tx_id}: none of its inputs belongs to {address}")]
    NotAnOwner {
        /// The transaction.
        tx_id: B256,
        /// The wallet's address.
        address: Address,
    },
    /// The wallet has no record of forced transaction `index`.
    #[error("no forced transaction {0} in this wallet")]
    UnknownForced(u64),

    /// A shielded address (`dbs1…`) could not be parsed.
    #[error("invalid private address {input}…: {reason}")]
    InvalidPrivateAddress {
        /// The first characters of what was given.
        input: String,
        /// What is wrong.
        reason: String,
    },
    /// The shielded cryptography refused a value (a witness, a key, a proof).
    #[error("shielded: {0}")]
    Zk(#[from] debye_zk::Error),
    /// A block's shielded section does not match its header (count, entries root, positions,
    /// ciphertext hashes or note root): the wallet treats the block as withheld
    /// (docs/shielded.md S-6.1, S-7.2) and accepts nothing from it.
    #[error("shielded section of block {block} refused: {reason}")]
    ShieldedBlock {
        /// The block.
        block: u64,
        /// What does not match.
        reason: String,
    },
    /// Not enough unspent notes of a token.
    #[error("insufficient private funds in token {token}: need {needed}, have {available}")]
    InsufficientPrivateFunds {
        /// The token (address, or ETH).
        token: String,
        /// Amount asked for, in token units.
        needed: u64,
        /// Unspent amount, in token units.
        available: u64,
    },
    /// The amount is there but spread over more notes than one JoinSplit spends (two).
    #[error(
        "{needed} notes would be needed to pay {amount}; one private transfer spends at most two"
    )]
    TooManyNotes {
        /// Amount asked for.
        amount: u64,
        /// Notes the smallest cover needs.
        needed: usize,
    },
    /// No block committed on L1 holds the notes to spend yet.
    #[error("no committed block holds notes {0:?} yet")]
    NoCommittedRoot(Vec<u64>),
    /// The wallet holds no note at this position.
    #[error("no note #{0} in this wallet")]
    UnknownNote(u64),
    /// The note cannot be exited or spent in its state.
    #[error("note #{position} is {status}")]
    NoteNotSpendable {
        /// Its position.
        position: u64,
        /// Its state, in words.
        status: String,
    },
    /// An exit to the zero address (L1 refuses it, S-5.5).
    #[error("an exit needs a recipient other than the zero address")]
    ZeroRecipient,
    /// The relayer's fee exceeds the note (L1 refuses it, S-5.5).
    #[error("fee {fee} is more than the note's {amount} units")]
    FeeAboveAmount {
        /// The fee.
        fee: u64,
        /// The note's amount.
        amount: u64,
    },
    /// A fee with nobody to pay it to (L1 refuses it).
    #[error("a nonzero fee needs a fee recipient (--relayer)")]
    FeeWithoutRelayer,
    /// No committed root holding the note is `REP` old yet (S-6.4).
    #[error(
        "no committed root holding note #{position} is a day old yet; one will be at unix time {ready_at}"
    )]
    NoExitRootYet {
        /// The note's position.
        position: u64,
        /// When the oldest root holding it turns `REP` old.
        ready_at: u64,
    },
    /// A relay request file that this wallet does not accept.
    #[error("relay request refused: {0}")]
    RelayRequest(String),
    /// The wallet's store predates shielded keys and was opened without its passphrase.
    #[error("this wallet has no shielded address yet")]
    NoShieldedKeys,

    // ---- history faults: why a coin's history was refused ----
    /// The history lacks committed block `block` (withheld by the operator or left out by the sender).
    #[error("history incomplete: committed block {block} is missing")]
    MissingBlock {
        /// The block.
        block: u64,
    },
    /// A header in the history does not hash to the commitment stored on L1.
    #[error("header of block {block} does not match the L1 commitment")]
    HeaderMismatch {
        /// The block.
        block: u64,
    },
    /// Part of a live range has neither an inclusion nor an exclusion proof in a block.
    #[error("history gap: block {block} proves nothing about {segment}")]
    Gap {
        /// The block.
        block: u64,
        /// Coins left unproven.
        segment: Segment,
    },
    /// A proof does not check against the committed root.
    #[error("forged proof for {segment} in block {block}: {reason}")]
    ForgedProof {
        /// The block.
        block: u64,
        /// Coins the proof claims.
        segment: Segment,
        /// Why it fails (the primitives' error code and message).
        reason: String,
    },
    /// An accumulator span (one proof that the coins did not move in blocks `from+1..=to`) does
    /// not check against the headers committed on L1 (docs/accumulator.md §13.3).
    #[error("forged accumulator span ({from}, {to}]: {reason}")]
    ForgedSpan {
        /// Start height (exclusive).
        from: u64,
        /// End height (inclusive).
        to: u64,
        /// The failing check.
        reason: String,
    },
    /// A transaction moves coins without a valid signature of their owner.
    #[error(
        "unsigned spend in block {block}: tx {tx_id} moves {segment} of {owner} without their signature"
    )]
    UnsignedSpend {
        /// The block.
        block: u64,
        /// The transaction.
        tx_id: B256,
        /// Coins moved.
        segment: Segment,
        /// Their rightful owner.
        owner: Address,
    },
    /// A transaction spending the coins is invalid (expired, malformed, not moving them).
    #[error("invalid spend in block {block}: tx {tx_id}: {reason}")]
    InvalidSpend {
        /// The block.
        block: u64,
        /// The transaction.
        tx_id: B256,
        /// Why.
        reason: String,
    },
    /// A spend does not point at the output (or deposit) that created the coins.
    #[error(
        "broken chain in block {block}: tx {tx_id} does not spend the output that holds {segment}"
    )]
    BrokenChain {
        /// The block.
        block: u64,
        /// The transaction.
        tx_id: B256,
        /// Coins concerned.
        segment: Segment,
    },
    /// A deposit claimed by the history is not recorded on L1.
    #[error("deposit starting at {start:#x} is not recorded on L1 as claimed")]
    UnknownDeposit {
        /// First coin of the claimed deposit.
        start: U256,
    },
    /// Deposits in the history do not cover the coins.
    #[error("no deposit covers {segment}")]
    NoDeposit {
        /// Coins without a deposit.
        segment: Segment,
    },
    /// At the end of a valid history the coins belong to someone else.
    #[error("{segment} belongs to {owner}, not {expected}")]
    WrongOwner {
        /// Coins concerned.
        segment: Segment,
        /// Their owner per the history.
        owner: Address,
        /// Who should own them.
        expected: Address,
    },
    /// A history for another chain, or one whose parts do not fit together.
    #[error("malformed history: {0}")]
    MalformedHistory(String),
    /// Some of the coins are being exited, or were exited, on L1 (docs/threat-model.md F4): the
    /// exit would take them out from under the recipient.
    #[error("{segment} is {} on L1 (exit {exit})", if *.finalized { "exited" } else { "being exited" })]
    ExitedOnL1 {
        /// Coins concerned.
        segment: Segment,
        /// The exit's id.
        exit: alloy_primitives::B256,
        /// Settled (the coins left the chain) rather than pending.
        finalized: bool,
    },
    /// A forced transaction on L1, pending or included, spends an output (or deposit) of the
    /// coins' history that their L2 history does not account for (docs/exit-game.md §12.3,
    /// "Late settlement"): once it counts, the coins are not the recipient's.
    #[error(
        "{segment} is spent on L1 by {} forced transaction {index} ({tx_id}), not by its L2 history",
        if *.included { "the included" } else { "the pending" }
    )]
    ForcedOnL1 {
        /// Coins concerned: the forced input's overlap with the history's output.
        segment: Segment,
        /// The forced transaction's index in the forced-inclusion game.
        index: u64,
        /// Its transaction id.
        tx_id: alloy_primitives::B256,
        /// Included (it counts before the history's own spend) rather than pending.
        included: bool,
    },
}

impl Error {
    /// Whether this error refuses a coin history (as opposed to I/O or usage errors).
    pub const fn is_history_fault(&self) -> bool {
        matches!(
            self,
            Self::MissingBlock { .. }
                | Self::HeaderMismatch { .. }
                | Self::Gap { .. }
                | Self::ForgedProof { .. }
                | Self::ForgedSpan { .. }
                | Self::UnsignedSpend { .. }
                | Self::InvalidSpend { .. }
                | Self::BrokenChain { .. }
                | Self::UnknownDeposit { .. }
                | Self::NoDeposit { .. }
                | Self::WrongOwner { .. }
                | Self::MalformedHistory(_)
                | Self::ExitedOnL1 { .. }
                | Self::ForcedOnL1 { .. }
        )
    }

    /// A stable, machine-readable code (the variant name) for `--json` output.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "Io",
            Self::AlreadyExists(_) => "AlreadyExists",
            Self::KeystoreFormat(_) => "KeystoreFormat",
            Self::KeystoreUnsupported { .. } => "KeystoreUnsupported",
            Self::WrongPassphrase => "WrongPassphrase",
            Self::Passphrase(_) => "Passphrase",
            Self::InvalidMnemonic(_) => "InvalidMnemonic",
            Self::InvalidKey => "InvalidKey",
            Self::InvalidPath(_) => "InvalidPath",
            Self::StoreCorrupt { .. } => "StoreCorrupt",
            Self::Backup(_) => "Backup",
            Self::Prime(_) => "Prime",
            Self::L1(_) => "L1",
            Self::Operator(_) => "Operator",
            Self::Refused(_) => "Refused",
            Self::ShieldedRefused { .. } => "ShieldedRefused",
            Self::WrongChain { .. } => "WrongChain",
            Self::InsufficientFunds { .. } => "InsufficientFunds",
            Self::InvalidAmount(_) => "InvalidAmount",
            Self::NoSuchCoin(_) => "NoSuchCoin",
            Self::SwapRejected(_) => "SwapRejected",
            Self::NotAnOwner { .. } => "NotAnOwner",
            Self::UnknownForced(_) => "UnknownForced",
            Self::InvalidPrivateAddress { .. } => "InvalidPrivateAddress",
            Self::Zk(_) => "Zk",
            Self::ShieldedBlock { .. } => "ShieldedBlock",
            Self::InsufficientPrivateFunds { .. } => "InsufficientPrivateFunds",
            Self::TooManyNotes { .. } => "TooManyNotes",
            Self::NoCommittedRoot(_) => "NoCommittedRoot",
            Self::NoShieldedKeys => "NoShieldedKeys",
            Self::UnknownNote(_) => "UnknownNote",
            Self::NoteNotSpendable { .. } => "NoteNotSpendable",
            Self::ZeroRecipient => "ZeroRecipient",
            Self::FeeAboveAmount { .. } => "FeeAboveAmount",
            Self::FeeWithoutRelayer => "FeeWithoutRelayer",
            Self::NoExitRootYet { .. } => "NoExitRootYet",
            Self::RelayRequest(_) => "RelayRequest",
            Self::MissingBlock { .. } => "MissingBlock",
            Self::HeaderMismatch { .. } => "HeaderMismatch",
            Self::Gap { .. } => "Gap",
            Self::ForgedProof { .. } => "ForgedProof",
            Self::ForgedSpan { .. } => "ForgedSpan",
            Self::UnsignedSpend { .. } => "UnsignedSpend",
            Self::InvalidSpend { .. } => "InvalidSpend",
            Self::BrokenChain { .. } => "BrokenChain",
            Self::UnknownDeposit { .. } => "UnknownDeposit",
            Self::NoDeposit { .. } => "NoDeposit",
            Self::WrongOwner { .. } => "WrongOwner",
            Self::MalformedHistory(_) => "MalformedHistory",
            Self::ExitedOnL1 { .. } => "ExitedOnL1",
            Self::ForcedOnL1 { .. } => "ForcedOnL1",
        }
    }

    /// A hint for the command line: what the user can do about it (for an operator's refusal,
    /// the operator's own hint when it gave one).
    pub fn hint(&self) -> Option<Cow<'_, str>> {
        if let Self::ShieldedRefused { refusal, hint, .. } = self {
            return hint
                .as_deref()
                .map(Cow::Borrowed)
                .or_else(|| refusal.hint().map(Cow::Borrowed));
        }
        Some(Cow::Borrowed(match self {
            Self::WrongPassphrase => {
                "check the passphrase (DEBYE_PASSPHRASE, --passphrase-file or the prompt)"
            }
            Self::AlreadyExists(_) => {
                "pass another --wallet directory, or remove the old wallet after backing it up"
            }
            Self::InvalidMnemonic(_) => {
                "a mnemonic is 12 to 24 English BIP-39 words separated by spaces"
            }
            Self::InsufficientFunds { .. } => {
                "deposit more with `debye wallet deposit`, or pay a smaller amount"
            }
            Self::MissingBlock { .. } => {
                "the operator withholds a committed block: exit your coins with `debye wallet exit`"
            }
            Self::UnsignedSpend { .. } => {
                "the operator included a spend you did not sign: exit with `debye wallet exit` before the challenge period ends"
            }
            Self::ForgedProof { .. } | Self::HeaderMismatch { .. } | Self::Gap { .. } => {
                "do not accept these coins; ask the sender for a complete history"
            }
            Self::WrongChain { .. } => "pass the --l1-rpc and --anchor the wallet was created for",
            Self::ExitedOnL1 { .. } => {
                "do not accept these coins: a pending exit may still be cancelled by a challenge; ask again after it is resolved"
            }
            Self::ForcedOnL1 {
                included: false, ..
            } => {
                "do not accept these coins yet: anyone holding the L2 spend can cancel the forced transaction (challengeForcedSpent, for its bond), and an unsigned one lapses once matured (finalizeForced); ask again after that"
            }
            Self::ForcedOnL1 { included: true, .. } => {
                "do not accept these coins: the forced transaction on L1 took them first; ask the sender to pay with other coins"
            }
            Self::InvalidPrivateAddress { .. } => {
                "a private address starts with dbs1 and is 114 characters: copy it whole from the recipient's `debye wallet address --private`"
            }
            Self::ShieldedBlock { .. } => {
                "the operator served a block whose shielded section does not match its committed header: treat it as withheld; if no valid body appears within an hour, exit your notes (docs/shielded.md S-7.2)"
            }
            Self::InsufficientPrivateFunds { .. } => {
                "scan new blocks for notes, or pay a smaller amount"
            }
            Self::TooManyNotes { .. } => {
                "pay in two steps (each private transfer merges two notes into your change), or pay a smaller amount"
            }
            Self::NoCommittedRoot(_) => {
                "wait until the block holding the notes is committed on L1, then run `debye wallet sync`"
            }
            Self::UnknownNote(_) => "list the notes and their ids with `debye wallet notes`",
            Self::NoteNotSpendable { .. } => "pick an unspent note from `debye wallet notes`",
            Self::ZeroRecipient => "pass --to with the L1 address that should receive the funds",
            Self::FeeAboveAmount { .. } => "lower --fee to at most the note's amount",
            Self::FeeWithoutRelayer => "pass --relayer ADDR, or --fee 0",
            Self::NoExitRootYet { .. } => {
                "wait until then (a younger root would tell everyone which block holds the note, docs/shielded.md S-6.4), then run the command again"
            }
            Self::RelayRequest(_) => {
                "ask for a fresh request written by `debye wallet exit --private --out FILE`"
            }
            Self::NoShieldedKeys => {
                "run any command that unlocks the wallet (e.g. `debye wallet sync`) once to derive its shielded keys"
            }
            Self::StoreCorrupt { .. } => {
                "restore the wallet from a backup with `debye wallet restore`"
            }
            _ => return None,
        }))
    }
}

/// Why the operator refused a shielded entry: the wallet's reading of `debye_submitShielded`'s
/// error codes (docs/api.md), so callers match on a type rather than on numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum ShieldedRefusal {
    /// 1015: a format rule (ciphertext size, field range, `ext`, hashes, equal nullifiers).
    Malformed,
    /// 1016: not a `TRANSFER` with `publicAmount = 0`.
    WrongKind,
    /// 1017: `ext.expiry` outside the admitted window.
    Expired,
    /// 1018: the root block is unknown, not committed on L1, or its root differs.
    UnknownRoot,
    /// 1019: a nullifier was spent in a block.
    NullifierSpent,
    /// 1020: a nullifier is held by an entry already in the shielded pool.
    NullifierPending,
    /// 1021: the proof is malformed or does not verify.
    InvalidProof,
    /// 1007: the pool is full; retry later.
    PoolFull,
    /// 1011: the node is shutting down or runs no shielded ledger.
    Unavailable,
    /// Any other error answer (1012 and codes this wallet does not know).
    Other(i32),
}

impl ShieldedRefusal {
    /// The refusal for a JSON-RPC error code.
    pub const fn from_code(code: i32) -> Self {
        match code {
            1015 => Self::Malformed,
            1016 => Self::WrongKind,
            1017 => Self::Expired,
            1018 => Self::UnknownRoot,
            1019 => Self::NullifierSpent,
            1020 => Self::NullifierPending,
            1021 => Self::InvalidProof,
            1007 => Self::PoolFull,
            1011 => Self::Unavailable,
            c => Self::Other(c),
        }
    }

    /// A short name for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Malformed => "malformed entry",
            Self::WrongKind => "wrong kind",
            Self::Expired => "expired",
            Self::UnknownRoot => "unknown or stale root",
            Self::NullifierSpent => "note already spent",
            Self::NullifierPending => "note pending in another transfer",
            Self::InvalidProof => "invalid proof",
            Self::PoolFull => "pool full",
            Self::Unavailable => "operator unavailable",
            Self::Other(_) => "error",
        }
    }

    /// The wallet's own hint, used when the operator gave none.
    pub const fn hint(self) -> Option<&'static str> {
        Some(match self {
            Self::UnknownRoot => {
                "run `debye wallet sync` so the wallet proves against a root committed on L1, then send again"
            }
            Self::NullifierSpent => {
                "run `debye wallet sync`: the note was spent in a committed block"
            }
            Self::NullifierPending => {
                "another transfer spending this note is waiting for a block: wait for it, or for its expiry"
            }
            Self::Expired => "check this machine's clock, then send again",
            Self::PoolFull | Self::Unavailable => "retry later",
            _ => return None,
        })
    }
}

/// Builds an [`Error::Io`] for `path`.
pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
