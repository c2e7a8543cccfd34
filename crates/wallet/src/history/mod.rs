//! Coin histories and the Plasma Cash/Prime safety rule.
//!
//! Before a wallet counts a received range as its own it checks the range's whole history from
//! its deposit (docs/wallet.md, "The safety rule"):
//!
//! 1. the deposits that created the coins are recorded on L1 (`depositHash(start)` equals the
//!    hash of the claimed owner, range and block);
//! 2. for every block committed on L1 from the deposit block to the tip, the history holds the
//!    block's header, which must hash to the L1 commitment, and for every coin either an
//!    exclusion proof (untouched) or an inclusion proof of the transaction that moved it;
//! 3. every transaction that moves the coins is valid, carries the signature of the coins' owner
//!    at that time, was not expired, and spends exactly the output (or deposit) that created them;
//! 4. at the tip, every coin belongs to the recipient;
//! 5. no exit on L1 that is not cancelled overlaps the coins, and no forced transaction on L1
//!    that is pending or included spends an output of their history that the L2 history does
//!    not already account for (docs/wallet.md §1, rules 6 and 7).
//!
//! A [`CoinHistory`] is the self-contained, serialisable bundle that proves this for one range.
//! The sender hands it to the recipient (directly, or through the operator as an opaque relay);
//! the recipient needs nothing else but L1 to check it ([`verify_history`]).
//!
//! Split by concern, lowest first: [`model`] (what a history holds and how it is narrowed,
//! joined and extended), [`anchor`] (what L1 says: commitments, deposits, exits, forced
//! transactions) and [`verify`] (the rule itself, over the other two). This module only gathers
//! them under the paths other crates use.

pub mod anchor;
pub mod model;
pub mod verify;

pub use anchor::{AnchorView, Commitments, L1Exit, L1Forced, open_exits, open_forced};
pub use model::{
    BlockEvidence, ChainId, CoinHistory, DepositEvidence, Evidence, HISTORY_VERSION, Origin,
    SpanEvidence, evidence_for, intersect,
};
pub use verify::{HistoryVerifier, Piece, SpentPiece, merge_pieces, verify_history};
