//! Shared helpers: a shallow geometry and slice constructors for fast tests.

use debye_accumulator::{CoinRange, Geometry, Point, Slice};

/// Depth of the test tree: leaves are 2^152 coins (256 leaves), so primes stay small.
pub(crate) const DEPTH: u32 = 8;

pub(crate) fn geometry() -> Geometry {
    Geometry::new(160 - DEPTH).expect("valid geometry")
}

/// The coin at leaf `i` of the shallow tree (leaf i starts at i·2^152).
pub(crate) fn leaf_point(i: u32) -> Point {
    if i >= 1 << DEPTH {
        return Point::END;
    }
    // bits [152, 160) live in the top byte of the token id
    Point::coin(i << (32 - DEPTH), 0)
}

/// Leaves [a, b) of the shallow tree as a coin range.
pub(crate) fn leaves(a: u32, b: u32) -> CoinRange {
    CoinRange::new(leaf_point(a), leaf_point(b)).expect("non-empty leaf range")
}

/// The slice of level `level` ≤ DEPTH and index `index`.
pub(crate) fn slice(level: u32, index: u32) -> Slice {
    let leaf = index << (DEPTH - level);
    Slice::new(level, leaf_point(leaf)).expect("aligned slice")
}
