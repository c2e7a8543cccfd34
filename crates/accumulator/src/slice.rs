//! Aligned slices of the coin space, the seed's α/β keys and the sets a block or a proof needs.
//!
//! The coin space is [0, 2^160) (token id in bits [128, 160), offset in bits [0, 128)). A slice
//! of level d (0 ≤ d ≤ 160) and index i covers [i·2^(160−d), (i+1)·2^(160−d)): level 0 is the
//! whole space, level 160 a single coin. A [`Geometry`] cuts the tree at a leaf level; ranges
//! are rounded outward to whole leaves (docs/accumulator.md, "Slices").

use std::collections::BTreeSet;
use std::fmt;

use num_bigint::BigUint;
use serde::{Deserialize, Serialize};

use crate::prime::{WINDOW_BITS, first_prime_in_window};
use crate::{Error, Result};

/// Bits of a coin id.
pub const COIN_BITS: u32 = 160;

/// A point of the coin line in [0, 2^160] (a coin id, or the exclusive end of a range).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Point {
    hi: u64,
    lo: u128,
}

impl Point {
    /// The first coin, 0.
    pub const ZERO: Point = Point { hi: 0, lo: 0 };
    /// The end of the coin space, 2^160.
    pub const END: Point = Point { hi: 1 << 32, lo: 0 };

    /// The coin `offset` of token `token`.
    pub const fn coin(token: u32, offset: u128) -> Point {
        Point {
            hi: token as u64,
            lo: offset,
        }
    }

    /// The exclusive end of token `token`'s sub-space.
    pub const fn token_end(token: u32) -> Point {
        Point {
            hi: token as u64 + 1,
            lo: 0,
        }
    }

    /// Big-endian 21-byte encoding (the top byte is 1 only for [`Point::END`]).
    pub fn to_be_bytes(&self) -> [u8; 21] {
        let mut out = [0u8; 21];
        out[..5].copy_from_slice(&self.hi.to_be_bytes()[3..]);
        out[5..].copy_from_slice(&self.lo.to_be_bytes());
        out
    }

    /// Decodes a 21-byte big-endian point; fails above 2^160.
    pub fn from_be_bytes(bytes: [u8; 21]) -> Result<Point> {
        let mut hi = [0u8; 8];
        hi[3..].copy_from_slice(&bytes[..5]);
        let mut lo = [0u8; 16];
        lo.copy_from_slice(&bytes[5..]);
        let p = Point {
            hi: u64::from_be_bytes(hi),
            lo: u128::from_be_bytes(lo),
        };
        if p > Point::END {
            return Err(Error::InvalidPoint);
        }
        Ok(p)
    }

    fn trailing_zeros(&self) -> u32 {
        if self.lo != 0 {
            self.lo.trailing_zeros()
        } else if self.hi != 0 {
            128 + self.hi.trailing_zeros()
        } else {
            u32::MAX
        }
    }

    fn pow2(j: u32) -> Point {
        if j < 128 {
            Point {
                hi: 0,
                lo: 1u128 << j,
            }
        } else {
            Point {
                hi: 1u64 << (j - 128),
                lo: 0,
            }
        }
    }

    fn add(self, o: Point) -> Point {
        let (lo, carry) = self.lo.overflowing_add(o.lo);
        Point {
            hi: self.hi + o.hi + u64::from(carry),
            lo,
        }
    }

    fn shr(self, j: u32) -> Point {
        match j {
            0 => self,
            j if j < 128 => Point {
                hi: self.hi.checked_shr(j).unwrap_or(0),
                lo: (self.lo >> j) | (u128::from(self.hi) << (128 - j)),
            },
            j if j < 192 => Point {
                hi: 0,
                lo: u128::from(self.hi >> (j - 128)),
            },
            _ => Point::ZERO,
        }
    }

    fn shl(self, j: u32) -> Point {
        match j {
            0 => self,
            j if j < 128 => Point {
                hi: self.hi.checked_shl(j).unwrap_or(0) | (self.lo >> (128 - j)) as u64,
                lo: self.lo << j,
            },
            j => Point {
                hi: (self.lo << (j - 128)) as u64,
                lo: 0,
            },
        }
    }

    fn round_down(self, j: u32) -> Point {
        self.shr(j).shl(j)
    }

    fn round_up(self, j: u32) -> Point {
        let down = self.round_down(j);
        if down == self {
            self
        } else {
            down.add(Point::pow2(j))
        }
    }

    fn to_biguint(self) -> BigUint {
        (BigUint::from(self.hi) << 128u32) + BigUint::from(self.lo)
    }
}

impl fmt::Debug for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex_string(&self.to_be_bytes()))
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A non-empty half-open range [start, end) of coins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CoinRange {
    start: Point,
    end: Point,
}

impl CoinRange {
    /// [start, end); fails unless start < end ≤ 2^160.
    pub fn new(start: Point, end: Point) -> Result<CoinRange> {
        if start >= end || end > Point::END {
            return Err(Error::InvalidRange { start, end });
        }
        Ok(CoinRange { start, end })
    }

    /// [offset_start, offset_end) inside token `token`; `offset_end = None` means the token's end.
    pub fn in_token(token: u32, offset_start: u128, offset_end: Option<u128>) -> Result<CoinRange> {
        let end = match offset_end {
            Some(e) => Point::coin(token, e),
            None => Point::token_end(token),
        };
        CoinRange::new(Point::coin(token, offset_start), end)
    }

    /// First coin.
    pub fn start(&self) -> Point {
        self.start
    }

    /// Exclusive end.
    pub fn end(&self) -> Point {
        self.end
    }

    /// True if the two ranges share a coin.
    pub fn intersects(&self, other: &CoinRange) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// An aligned slice: level d and index i < 2^d cover [i·2^(160−d), (i+1)·2^(160−d)).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Slice {
    level: u32,
    index: Point,
}

impl fmt::Debug for Slice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Slice(level {}, [{}, {}))",
            self.level,
            self.start(),
            self.end()
        )
    }
}

impl Slice {
    /// The whole coin space.
    pub const ROOT: Slice = Slice {
        level: 0,
        index: Point::ZERO,
    };

    /// The slice of level `level` that starts at `start`; fails if `start` is not aligned.
    pub fn new(level: u32, start: Point) -> Result<Slice> {
        if level > COIN_BITS || start >= Point::END {
            return Err(Error::InvalidSlice);
        }
        let shift = COIN_BITS - level;
        if start.round_down(shift) != start {
            return Err(Error::InvalidSlice);
        }
        Ok(Slice {
            level,
            index: start.shr(shift),
        })
    }

    /// Depth in the tree (0 = whole space).
    pub fn level(&self) -> u32 {
        self.level
    }

    /// First coin.
    pub fn start(&self) -> Point {
        self.index.shl(COIN_BITS - self.level)
    }

    /// Exclusive end.
    pub fn end(&self) -> Point {
        self.start().add(Point::pow2(COIN_BITS - self.level))
    }

    /// The coins of the slice as a range.
    pub fn range(&self) -> CoinRange {
        CoinRange {
            start: self.start(),
            end: self.end(),
        }
    }

    /// The enclosing slice one level up (`None` for the root).
    pub fn parent(&self) -> Option<Slice> {
        (self.level > 0).then(|| Slice {
            level: self.level - 1,
            index: self.index.shr(1),
        })
    }

    /// The two halves (`None` at coin level).
    pub fn children(&self) -> Option<[Slice; 2]> {
        (self.level < COIN_BITS).then(|| {
            let left = self.index.shl(1);
            [
                Slice {
                    level: self.level + 1,
                    index: left,
                },
                Slice {
                    level: self.level + 1,
                    index: left.add(Point { hi: 0, lo: 1 }),
                },
            ]
        })
    }

    /// All strict ancestors, nearest first.
    pub fn ancestors(&self) -> impl Iterator<Item = Slice> + '_ {
        std::iter::successors(self.parent(), Slice::parent)
    }

    /// True if `self` contains `other` (a slice contains itself).
    pub fn contains(&self, other: &Slice) -> bool {
        other.level >= self.level && other.index.shr(other.level - self.level) == self.index
    }

    /// Heap number 2^level + index (root = 1), at most 161 bits.
    fn heap(&self) -> Point {
        Point::pow2(self.level).add(self.index)
    }
}

/// Which of the two primes of a slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// α(P): P is a maximal touched slice of the block.
    Alpha,
    /// β(P): some maximal touched slice lies at or below P.
    Beta,
}

/// One accumulated statement: α(P) or β(P).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    /// α or β.
    pub kind: Kind,
    /// The slice.
    pub slice: Slice,
}

impl Key {
    /// α(P).
    pub fn alpha(slice: Slice) -> Key {
        Key {
            kind: Kind::Alpha,
            slice,
        }
    }

    /// β(P).
    pub fn beta(slice: Slice) -> Key {
        Key {
            kind: Kind::Beta,
            slice,
        }
    }

    /// Injective id 2·heap(P) + (0 for α, 1 for β), below 2^162.
    pub fn id(&self) -> BigUint {
        let kind = match self.kind {
            Kind::Alpha => 0u32,
            Kind::Beta => 1u32,
        };
        (self.slice.heap().to_biguint() << 1u32) + kind
    }

    /// The key's prime: the first prime in [id·2^16, (id+1)·2^16).
    pub fn prime(&self) -> Result<BigUint> {
        first_prime_in_window(&(self.id() << WINDOW_BITS))
    }
}

/// Where the slice tree stops: leaves are slices of 2^leaf_bits coins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Geometry {
    leaf_bits: u32,
}

impl Default for Geometry {
    fn default() -> Self {
        Geometry::EXACT
    }
}

impl Geometry {
    /// Coin-exact tree of depth 160 (the default).
    pub const EXACT: Geometry = Geometry { leaf_bits: 0 };

    /// A tree whose leaves hold 2^leaf_bits coins (depth 160 − leaf_bits); leaf_bits < 160.
    pub fn new(leaf_bits: u32) -> Result<Geometry> {
        if leaf_bits >= COIN_BITS {
            return Err(Error::InvalidGeometry(leaf_bits));
        }
        Ok(Geometry { leaf_bits })
    }

    /// log2 of the coins per leaf.
    pub fn leaf_bits(&self) -> u32 {
        self.leaf_bits
    }

    /// Depth of the leaves.
    pub fn depth(&self) -> u32 {
        COIN_BITS - self.leaf_bits
    }

    /// The range rounded outward to whole leaves.
    pub fn round(&self, r: &CoinRange) -> CoinRange {
        CoinRange {
            start: r.start.round_down(self.leaf_bits),
            end: r.end.round_up(self.leaf_bits),
        }
    }

    /// Canonical decomposition of the (rounded) range into maximal aligned slices, left to
    /// right: at most 2·depth slices.
    pub fn decompose(&self, r: &CoinRange) -> Vec<Slice> {
        let r = self.round(r);
        let mut out = Vec::new();
        let mut s = r.start;
        while s < r.end {
            let mut j = s.trailing_zeros().min(COIN_BITS);
            while s.add(Point::pow2(j)) > r.end {
                j -= 1;
            }
            out.push(Slice {
                level: COIN_BITS - j,
                index: s.shr(j),
            });
            s = s.add(Point::pow2(j));
        }
        out
    }
}

/// What one block accumulates: its maximal touched slices and its α/β keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockKeys {
    /// α slices: the maximal aligned slices of the union of the touched ranges.
    pub alpha: BTreeSet<Slice>,
    /// α(P) for every α slice and β(R) for every α slice and each of its ancestors.
    pub keys: BTreeSet<Key>,
}

/// Union of ranges as sorted, disjoint, non-adjacent ranges.
fn merge(mut ranges: Vec<CoinRange>) -> Vec<CoinRange> {
    ranges.sort();
    let mut out: Vec<CoinRange> = Vec::new();
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// The seed's α/β keys of a block that touched `ranges` (rounded to leaves).
///
/// included(P) ⇔ P lies inside the touched set; α(P) ⇔ included(P) ∧ no ancestor is
/// included; β(P) ⇔ some α slice lies at or below P.
pub fn block_keys(geometry: &Geometry, ranges: &[CoinRange]) -> BlockKeys {
    let merged = merge(ranges.iter().map(|r| geometry.round(r)).collect());
    let mut out = BlockKeys::default();
    for r in &merged {
        for s in geometry.decompose(r) {
            out.alpha.insert(s);
        }
    }
    for s in &out.alpha {
        out.keys.insert(Key::alpha(*s));
        out.keys.insert(Key::beta(*s));
        for a in s.ancestors() {
            // ancestors are shared between α slices: stop at the first one already present
            if !out.keys.insert(Key::beta(a)) {
                break;
            }
        }
    }
    out
}

/// Keys whose absence proves `exclusionproof(P)` for every slice P of the range's
/// decomposition: β(P) and α(Q) for Q ∈ parent(P) ∪ {P}.
pub fn exclusion_keys(geometry: &Geometry, range: &CoinRange) -> BTreeSet<Key> {
    let mut out = BTreeSet::new();
    for p in geometry.decompose(range) {
        out.insert(Key::beta(p));
        out.insert(Key::alpha(p));
        for a in p.ancestors() {
            if !out.insert(Key::alpha(a)) {
                break;
            }
        }
    }
    out
}

/// Keys whose presence proves `inclusionproof(P)` for every slice P of the range's
/// decomposition, given the α slices of the block(s) that touched it: for each P the α slice Q
/// at or above P, α(Q) and β(R) for R ∈ parent(Q) ∪ {Q}. Fails if some P has no such Q.
pub fn inclusion_keys(
    geometry: &Geometry,
    range: &CoinRange,
    alpha: &BTreeSet<Slice>,
) -> Result<BTreeSet<Key>> {
    let mut out = BTreeSet::new();
    for p in geometry.decompose(range) {
        let q = std::iter::once(p)
            .chain(p.ancestors())
            .find(|q| alpha.contains(q))
            .ok_or(Error::RangeNotIncluded)?;
        out.insert(Key::alpha(q));
        out.insert(Key::beta(q));
        for a in q.ancestors() {
            if !out.insert(Key::beta(a)) {
                break;
            }
        }
    }
    Ok(out)
}

/// The seed's `inclusionproof(P)` over an arbitrary key set S (honest or not):
/// ∃ Q ∈ parent(P) ∪ {P}: α(Q) ∈ S ∧ ∀ R ∈ parent(Q) ∪ {Q}: β(R) ∈ S.
pub fn inclusion_holds(set: &BTreeSet<Key>, p: &Slice) -> bool {
    std::iter::once(*p).chain(p.ancestors()).any(|q| {
        set.contains(&Key::alpha(q))
            && std::iter::once(q)
                .chain(q.ancestors())
                .all(|r| set.contains(&Key::beta(r)))
    })
}

/// The seed's `exclusionproof(P)` over an arbitrary key set S:
/// β(P) ∉ S ∧ ∀ Q ∈ parent(P) ∪ {P}: α(Q) ∉ S.
pub fn exclusion_holds(set: &BTreeSet<Key>, p: &Slice) -> bool {
    !set.contains(&Key::beta(*p))
        && std::iter::once(*p)
            .chain(p.ancestors())
            .all(|q| !set.contains(&Key::alpha(q)))
}
