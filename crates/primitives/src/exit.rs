//! The exit game's vocabulary, one for one with `contracts/src/lib/ExitLib.sol`: where coins were
//! created ([`Origin`], the fields an input spending them carries) and how the exit game ranks an
//! output ([`Position`], `docs/exit-game.md` §1.2, §12.4).
//!
//! Every client of the exit game (the L1 bindings, the watcher, the wallet, the operator's store)
//! names outputs and compares their age with these two types; the arithmetic lives nowhere else.
//! `test-vectors/primitives/positions.json` pins both sides: this module and `ExitLib` must give
//! the same answers (`crates/primitives/tests/it/vectors.rs`, `contracts/test/ExitVectors.t.sol`).

use std::{cmp::Ordering, fmt};

use alloy_primitives::{Address, U256};
use serde::{Deserialize, Serialize};

use crate::{Input, Segment, tx::DEPOSIT_TX_INDEX};

/// `Input.blockIndex` values with this bit set name a forced-included transaction: `FORCED_BLOCK | k`
/// is forced transaction `k` (`docs/formats.md` §3.1). Child blocks never reach 2^63.
pub const FORCED_BLOCK: u64 = 1 << 63;

/// The `blockIndex` an input uses to spend an output of forced transaction `index`.
pub const fn forced_block_index(index: u64) -> u64 {
    FORCED_BLOCK | index
}

/// Low 128 bits of a position: its rank (`2b` for a deposit, `2b + 1` for a transaction output).
const RANK_BITS: usize = 128;

/// An exit position as the anchor contract stores and emits it (`uint256`).
///
/// - deposit for child block `b`: `2b`;
/// - output of a transaction in block `b`: `2b + 1`;
/// - output of forced transaction `k` whose newest input has rank `2q` or `2q + 1`: rank `2q + 1`
///   and `k + 1` in the bits above 128 (`docs/exit-game.md` §12.4).
///
/// Positions are ordered by the exit game's age rule ([`Position::order`]), not by their raw
/// value: a forced output ranks right after the transactions of its newest input's block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Position(U256);

/// What a [`Position`] names, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PositionKind {
    /// A deposit made for child block `block`.
    Deposit {
        /// The deposit's child block.
        block: u64,
    },
    /// An output of a transaction included in child block `block`.
    Output {
        /// The transaction's block.
        block: u64,
    },
    /// An output of forced transaction `index`, ranked after the block of its newest input.
    Forced {
        /// The forced transaction's index in `ForcedInclusion`.
        index: u64,
        /// The block of its newest input.
        block: u64,
    },
}

impl Position {
    /// `ExitLib.depositPosition`.
    pub fn deposit(block: u64) -> Self {
        Self(U256::from(block) << 1usize)
    }

    /// `ExitLib.outputPosition`.
    pub fn output(block: u64) -> Self {
        Self((U256::from(block) << 1usize) | U256::from(1u8))
    }

    /// `ExitLib.forcedPosition`: an output of forced transaction `index` whose newest input is at
    /// `newest_input` (its rank is kept, the forced bits of `newest_input` are ignored).
    pub fn forced(index: u64, newest_input: Self) -> Self {
        Self(((U256::from(index) + U256::from(1u8)) << RANK_BITS) | newest_input.rank() | U256::ONE)
    }

    /// A position read from the contract.
    pub const fn from_u256(raw: U256) -> Self {
        Self(raw)
    }

    /// The `uint256` the contract takes.
    pub const fn to_u256(self) -> U256 {
        self.0
    }

    /// The low 128 bits: `2b` or `2b + 1`.
    fn rank(self) -> U256 {
        self.0 & ((U256::ONE << RANK_BITS) - U256::ONE)
    }

    /// `k + 1` for an output of forced transaction `k`, zero otherwise.
    fn forced_tag(self) -> U256 {
        self.0 >> RANK_BITS
    }

    /// `ExitLib.blockOf`: the child block of the position (for a forced output, the block of its
    /// newest input). Saturates at `u64::MAX` for a raw value no contract produces.
    pub fn block(self) -> u64 {
        (self.rank() >> 1usize).saturating_to::<u64>()
    }

    /// Whether this names an output of a forced transaction.
    pub fn is_forced(self) -> bool {
        self.forced_tag() != U256::ZERO
    }

    /// Whether this names a deposit.
    pub fn is_deposit(self) -> bool {
        !self.is_forced() && !self.0.bit(0)
    }

    /// The forced transaction's index, for a forced position.
    pub fn forced_index(self) -> Option<u64> {
        (self.is_forced()).then(|| (self.forced_tag() - U256::ONE).saturating_to::<u64>())
    }

    /// What the position names.
    pub fn kind(self) -> PositionKind {
        let block = self.block();
        match self.forced_index() {
            Some(index) => PositionKind::Forced { index, block },
            None if self.is_deposit() => PositionKind::Deposit { block },
            None => PositionKind::Output { block },
        }
    }

    /// `ExitLib.order`: the key positions are compared by (`docs/exit-game.md` §1.2). A deposit
    /// of block `b`, then the transactions of block `b`, then the forced transactions whose newest
    /// input is in `b`, then block `b + 1`. Lower is older.
    pub fn order(self) -> U256 {
        (self.rank() << 1usize) | U256::from(u8::from(self.is_forced()))
    }

    /// Whether `self` is strictly older than `other` in the exit game's order.
    pub fn is_older_than(self, other: Self) -> bool {
        self.order() < other.order()
    }

    /// `ExitLib.refersTo`: whether `input` spends the output at this position. An output is named
    /// by its block, its kind and a coin (`docs/exit-game.md` §1.3): the transaction and output
    /// indices are hints only, so they are not compared here.
    pub fn refers_to(self, input: &Input) -> bool {
        match self.forced_index() {
            Some(k) => input.block_index == forced_block_index(k) && !input.is_deposit(),
            None => {
                U256::from(input.block_index) == self.0 >> 1usize
                    && input.is_deposit() == self.is_deposit()
            }
        }
    }

    /// The key under which a spend of this output is indexed: the position itself, or for a
    /// forced output `(k + 1) << 128` alone, since an input spending it names only `k`
    /// ([`Position::spent_by`] gives the same key from the input).
    pub fn spend_key(self) -> U256 {
        if self.is_forced() {
            self.forced_tag() << RANK_BITS
        } else {
            self.0
        }
    }

    /// The [`Position::spend_key`] of the output `input` spends.
    pub fn spent_by(input: &Input) -> U256 {
        if input.block_index & FORCED_BLOCK != 0 {
            (U256::from(input.block_index & !FORCED_BLOCK) + U256::ONE) << RANK_BITS
        } else if input.is_deposit() {
            Self::deposit(input.block_index).0
        } else {
            Self::output(input.block_index).0
        }
    }
}

impl From<U256> for Position {
    fn from(raw: U256) -> Self {
        Self(raw)
    }
}

impl From<Position> for U256 {
    fn from(p: Position) -> Self {
        p.0
    }
}

impl PartialOrd for Position {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Position {
    /// The exit game's age order ([`Position::order`]), ties broken by the raw value so that
    /// `Ord` agrees with `Eq`.
    fn cmp(&self, other: &Self) -> Ordering {
        self.order()
            .cmp(&other.order())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind() {
            PositionKind::Deposit { block } => write!(f, "deposit of block {block}"),
            PositionKind::Output { block } => write!(f, "output of block {block}"),
            PositionKind::Forced { index, block } => {
                write!(
                    f,
                    "output of forced transaction {index} (after block {block})"
                )
            }
        }
    }
}

/// Where coins were created: exactly the fields an input spending them carries.
///
/// A deposit has `tx_index == DEPOSIT_TX_INDEX` and output 0; an output of forced transaction `k`
/// has `block == FORCED_BLOCK | k` (`docs/formats.md` §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Origin {
    /// Block of the creating transaction, or the deposit's block.
    pub block: u64,
    /// Index of the creating transaction, or [`DEPOSIT_TX_INDEX`] for a deposit.
    pub tx_index: u32,
    /// Output index (0 for a deposit).
    pub output_index: u8,
}

impl Origin {
    /// The origin of a deposit made for block `block`.
    pub const fn deposit(block: u64) -> Self {
        Self {
            block,
            tx_index: DEPOSIT_TX_INDEX,
            output_index: 0,
        }
    }

    /// Output `output_index` of transaction `tx_index` in block `block`.
    pub const fn tx(block: u64, tx_index: u32, output_index: u8) -> Self {
        Self {
            block,
            tx_index,
            output_index,
        }
    }

    /// The origin `input` points at.
    pub const fn of(input: &Input) -> Self {
        Self {
            block: input.block_index,
            tx_index: input.tx_index,
            output_index: input.output_index,
        }
    }

    /// Whether the coins come straight from a deposit.
    pub const fn is_deposit(&self) -> bool {
        self.tx_index == DEPOSIT_TX_INDEX
    }

    /// Whether the coins come from a forced-included transaction.
    pub const fn is_forced(&self) -> bool {
        self.block & FORCED_BLOCK != 0
    }

    /// The input that spends `segment` of these coins, owned by `owner`.
    pub const fn input(&self, owner: Address, segment: Segment) -> Input {
        Input {
            owner,
            block_index: self.block,
            tx_index: self.tx_index,
            output_index: self.output_index,
            segment,
        }
    }

    /// Whether `input` points at this origin (block, transaction and output index).
    pub const fn matches(&self, input: &Input) -> bool {
        input.block_index == self.block
            && input.tx_index == self.tx_index
            && input.output_index == self.output_index
    }

    /// The exit position of these coins; `None` for a forced output, whose position also
    /// depends on its newest input ([`Position::forced`]).
    pub fn position(&self) -> Option<Position> {
        if self.is_forced() {
            None
        } else if self.is_deposit() {
            Some(Position::deposit(self.block))
        } else {
            Some(Position::output(self.block))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(block_index: u64, tx_index: u32) -> Input {
        Input {
            owner: Address::ZERO,
            block_index,
            tx_index,
            output_index: 0,
            segment: Segment::new(U256::ZERO, U256::ONE).expect("non-empty"),
        }
    }

    #[test]
    fn a_deposit_is_older_than_its_blocks_transactions_and_forced_outputs_come_after_them() {
        let (d, o) = (Position::deposit(5), Position::output(5));
        let f = Position::forced(3, o);
        assert!(d < o && o < f && f < Position::deposit(6));
        assert_eq!(f.kind(), PositionKind::Forced { index: 3, block: 5 });
        assert_eq!(f.block(), 5);
        assert!(d.is_deposit() && !o.is_deposit() && !f.is_deposit());
    }

    #[test]
    fn a_forced_output_is_named_by_its_index_and_not_by_a_deposit_input() {
        let f = Position::forced(7, Position::deposit(2));
        assert!(f.refers_to(&input(forced_block_index(7), 0)));
        assert!(!f.refers_to(&input(forced_block_index(8), 0)));
        assert!(!f.refers_to(&input(forced_block_index(7), DEPOSIT_TX_INDEX)));
        assert_eq!(
            Position::spent_by(&input(forced_block_index(7), 0)),
            f.spend_key()
        );
    }

    #[test]
    fn an_input_spends_the_deposit_or_the_output_of_its_block_never_both() {
        let dep = input(4, DEPOSIT_TX_INDEX);
        let out = input(4, 2);
        assert!(Position::deposit(4).refers_to(&dep) && !Position::deposit(4).refers_to(&out));
        assert!(Position::output(4).refers_to(&out) && !Position::output(4).refers_to(&dep));
        assert_eq!(Position::spent_by(&dep), Position::deposit(4).spend_key());
        assert_eq!(Position::spent_by(&out), Position::output(4).spend_key());
    }

    #[test]
    fn origins_give_the_positions_of_their_coins() {
        assert_eq!(Origin::deposit(9).position(), Some(Position::deposit(9)));
        assert_eq!(Origin::tx(9, 1, 0).position(), Some(Position::output(9)));
        assert_eq!(Origin::tx(forced_block_index(1), 0, 0).position(), None);
        assert!(Origin::of(&input(9, 1)).matches(&input(9, 1)));
    }
}
