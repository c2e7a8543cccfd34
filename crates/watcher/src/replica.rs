//! The watcher's accumulator replica (docs/accumulator.md §13.4).
//!
//! Wallets accept one exclusion proof in place of many blocks (spans), which is sound only if
//! every header's `accumulator` field commits to a value the blocks really give: an operator
//! that leaves a touched range out of P_n could prove a spent coin untouched. The replica
//! recomputes A_n = A_{n−1}^{P_n} from each block's touched ranges, as the operator does
//! (`Accumulator::append_block` over `Geometry::EXACT`, §6), and checks each header against it.
//!
//! Memory stays bounded by the operator's lag, not the chain (once values are committed): only
//! the newest value and the header commitments of heights a later header may still commit
//! (≥ the last committed height, since m never decreases along the chain, §13.1) are kept.

use std::collections::VecDeque;

use debye_accumulator::{
    CoinRange, Elem, Geometry, Group, block_factors, coin_range, header_commitment,
};
use debye_primitives::Block;

/// A_0..A_height as far as later headers can still need them.
#[derive(Debug)]
pub(crate) struct Replica {
    group: &'static Group,
    geometry: Geometry,
    /// A_height: blocks 1..=height are folded in.
    value: Elem,
    height: u64,
    /// Lowest height a later non-zero header may commit: the height the previous non-zero
    /// header committed (0 before any).
    floor: u64,
    /// `header_commitment(floor + i, A_{floor + i})` for floor ≤ floor + i ≤ height.
    commitments: VecDeque<[u8; 32]>,
}

/// The touched coin ranges of `block` as the operator folds them: every transaction's
/// `coin_ranges()` (its tree's non-null leaves). `None` if one lies outside the accumulator's
/// 160-bit coin space (no value exists for such a block).
pub(crate) fn touched(block: &Block) -> Option<Vec<CoinRange>> {
    block
        .transactions
        .iter()
        .flat_map(|stx| stx.transaction.coin_ranges())
        .map(|s| coin_range(&s.start().to_be_bytes::<32>(), &s.end().to_be_bytes::<32>()).ok())
        .collect()
}

impl Replica {
    /// The empty chain: A_0 = g over RSA-2048 (the operator's group).
    pub(crate) fn new() -> Self {
        let group = Group::rsa2048();
        let value = group.generator().clone();
        Self {
            group,
            geometry: Geometry::EXACT,
            commitments: VecDeque::from([header_commitment(group, 0, &value)]),
            value,
            height: 0,
            floor: 0,
        }
    }

    /// Blocks folded in so far.
    pub(crate) fn height(&self) -> u64 {
        self.height
    }

    /// Whether `field`, the header of block height + 1, is consistent: zero (no accumulator),
    /// or `header_commitment(m, A_m)` for floor ≤ m ≤ height (§13.1: m < n, never decreasing).
    /// A consistent commitment raises the floor to m; a mismatch leaves it.
    pub(crate) fn check(&mut self, field: &[u8; 32]) -> bool {
        if field == &[0u8; 32] {
            return true;
        }
        let Some(i) = self.commitments.iter().position(|c| c == field) else {
            return false;
        };
        self.commitments.drain(..i);
        self.floor += i as u64;
        true
    }

    /// Folds in the next block, which touched `ranges`: A_{n} = A_{n−1}^{P_n}.
    pub(crate) fn fold(&mut self, ranges: &[CoinRange]) -> debye_accumulator::Result<()> {
        let exponent = block_factors(&self.geometry, ranges)?.product();
        self.value = self.group.pow(&self.value, &exponent);
        self.height += 1;
        self.commitments
            .push_back(header_commitment(self.group, self.height, &self.value));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use debye_accumulator::{Accumulator, CoinRange};

    use super::*;

    /// The replica gives the operator's values (`append_block`) and accepts exactly the heights
    /// from the floor up.
    #[test]
    fn follows_the_operator_and_bounds_heights() {
        let blocks = [
            vec![CoinRange::in_token(0, 5, Some(9)).unwrap()],
            vec![],
            vec![
                CoinRange::in_token(0, 0, Some(1)).unwrap(),
                CoinRange::in_token(1, 7, Some(8)).unwrap(),
            ],
        ];
        let mut acc = Accumulator::new(Geometry::EXACT);
        let mut r = Replica::new();
        let g = Group::rsa2048();
        let field = |acc: &Accumulator, m: u64| header_commitment(g, m, acc.value(m).unwrap());
        for b in &blocks {
            acc.append_block(b).unwrap();
            r.fold(b).unwrap();
            assert_eq!(&r.value, acc.value(r.height()).unwrap());
        }
        assert!(r.check(&[0; 32]));
        assert!(r.check(&field(&acc, 1)));
        assert!(r.check(&field(&acc, 1)), "m may stay");
        assert!(!r.check(&field(&acc, 0)), "m never decreases");
        assert!(r.check(&field(&acc, 3)));
        assert!(!r.check(&field(&acc, 2)));
        assert!(!r.check(&[1; 32]));
    }
}
