//! The shielded ledger on the operator's side (docs/shielded.md §4.3): what a submitted
//! `TRANSFER` is ([`submission`]), the rules it must pass to be admitted, each a pure function
//! returning a typed [`ShieldedRefusal`] ([`rules`]), proof parsing and batched verification
//! ([`proof`]), the pool of admitted entries and its nullifiers ([`pool`]), the note tree kept as
//! a frontier ([`tree`]), the block's shielded section ([`section`]) and its rebuild when a
//! stored block is re-stamped ([`restamp`]), and the order in which the
//! L1 pool's deposit and exit queues are imported ([`import`]).
//!
//! Admission runs in two halves like transparent transactions: the stateless rules on the API's
//! thread ([`rules::check_stateless`]), the rules over chain state (root, nullifier set, pool) and
//! the proofs in the sequencer, proofs verified per sequencer batch ([`proof::verify_all`]). Tree
//! appends and checkpoint roots happen at block building only (S-4.3), off the admission path.

pub(crate) mod field;
pub(crate) mod import;
pub(crate) mod pool;
pub(crate) mod proof;
pub(crate) mod refusal;
pub(crate) mod restamp;
pub(crate) mod rules;
pub(crate) mod section;
pub(crate) mod service;
pub(crate) mod submission;
pub(crate) mod tree;

pub(crate) use refusal::ShieldedRefusal;
pub(crate) use submission::Submission;

/// `CT_LEN` (docs/shielded.md §1.4): every note ciphertext is exactly this long (S-6.1).
pub(crate) const CT_LEN: usize = 123;
/// `MAX_LIFETIME` (docs/shielded.md §1.4): an expiry may lie at most this far past the time
/// the entry executes (S-8.3).
pub(crate) const MAX_LIFETIME: u64 = 86_400;
/// `C` (docs/shielded.md §1.4): leaves per aligned chunk with a checkpoint root (S-3.6).
pub(crate) const CHUNK: u64 = 64;
