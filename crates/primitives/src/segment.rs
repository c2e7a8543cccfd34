//! Half-open coin ranges.

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

use crate::{
    Error, Result,
    coin::{COIN_SPACE_END, CoinId, coin_id, token_end, token_of},
};

/// A non-empty, half-open range of coins `[start, end)` inside a single token's space.
///
/// The invariant (`start < end <= 2^160`, `start` and `end - 1` in the same token) is checked by
/// [`Segment::new`] and by deserialization, so every `Segment` value is valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "RawSegment")]
pub struct Segment {
    start: U256,
    end: U256,
}

#[derive(Deserialize)]
struct RawSegment {
    start: U256,
    end: U256,
}

impl TryFrom<RawSegment> for Segment {
    type Error = Error;
    fn try_from(raw: RawSegment) -> Result<Self> {
        Self::new(raw.start, raw.end)
    }
}

impl Segment {
    /// The segment created by depositing `amount` units of `token` when the token's next free offset
    /// is `next_offset`. Fails with [`Error::InvalidDeposit`] for a zero amount or when the deposit
    /// does not fit below 2^128.
    pub fn deposit(token: u32, next_offset: u128, amount: u128) -> Result<Self> {
        let bad = || Error::InvalidDeposit {
            offset: next_offset,
            amount,
        };
        if amount == 0 {
            return Err(bad());
        }
        let start = coin_id(token, next_offset);
        let end = start + U256::from(amount);
        if end > token_end(token) {
            return Err(bad());
        }
        Self::new(start, end)
    }

    /// Checks the segment rules, in this order: non-empty ([`Error::EmptySegment`]), inside the
    /// coin space ([`Error::SegmentOutOfSpace`]), inside one token ([`Error::SegmentCrossesToken`]).
    pub fn new(start: CoinId, end: CoinId) -> Result<Self> {
        if start >= end {
            return Err(Error::EmptySegment { start, end });
        }
        if end > COIN_SPACE_END {
            return Err(Error::SegmentOutOfSpace { end });
        }
        // start < end <= 2^160, so both tokens exist.
        let token = token_of(start).ok_or(Error::SegmentOutOfSpace { end })?;
        if end > token_end(token) {
            return Err(Error::SegmentCrossesToken { start, end });
        }
        Ok(Self { start, end })
    }

    /// First coin.
    pub const fn start(&self) -> CoinId {
        self.start
    }

    /// One past the last coin.
    pub const fn end(&self) -> CoinId {
        self.end
    }

    /// Number of coins (always at least 1).
    pub fn len(&self) -> U256 {
        self.end - self.start
    }

    /// Always `false`: segments are non-empty. Present for API symmetry with `len`.
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// The token all coins of this segment belong to.
    pub fn token(&self) -> u32 {
        // Valid by construction: start < 2^160.
        token_of(self.start).unwrap_or(u32::MAX)
    }

    /// Whether `coin` lies in the segment.
    pub fn contains_coin(&self, coin: CoinId) -> bool {
        self.start <= coin && coin < self.end
    }

    /// Whether `other` lies entirely inside this segment.
    pub fn contains(&self, other: &Self) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// Whether the two segments share at least one coin.
    pub fn overlaps(&self, other: &Self) -> bool {
        self.start < other.end && other.start < self.end
    }
}

impl core::fmt::Display for Segment {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "[{:#x}, {:#x})", self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deposits() {
        let s = Segment::deposit(1, 10, 5).expect("fits");
        assert_eq!(s.start(), coin_id(1, 10));
        assert_eq!(s.len(), U256::from(5u8));
        assert!(Segment::deposit(1, u128::MAX, 1).is_ok());
        assert_eq!(
            Segment::deposit(1, u128::MAX, 2).map_err(|e| e.code()),
            Err("InvalidDeposit")
        );
        assert_eq!(
            Segment::deposit(1, 0, 0).map_err(|e| e.code()),
            Err("InvalidDeposit")
        );
    }

    #[test]
    fn rules() {
        let u = U256::from;
        assert!(Segment::new(u(1u8), u(2u8)).is_ok());
        assert_eq!(
            Segment::new(u(2u8), u(2u8)).map_err(|e| e.code()),
            Err("EmptySegment")
        );
        assert_eq!(
            Segment::new(u(3u8), u(2u8)).map_err(|e| e.code()),
            Err("EmptySegment")
        );
        let last = coin_id(u32::MAX, u128::MAX);
        assert!(Segment::new(last, COIN_SPACE_END).is_ok());
        assert_eq!(
            Segment::new(last, COIN_SPACE_END + u(1u8)).map_err(|e| e.code()),
            Err("SegmentOutOfSpace")
        );
        assert_eq!(
            Segment::new(coin_id(0, u128::MAX), coin_id(1, 1)).map_err(|e| e.code()),
            Err("SegmentCrossesToken")
        );
        // The whole of token 3 is one segment.
        let whole = Segment::new(coin_id(3, 0), token_end(3)).expect("whole token");
        assert_eq!(whole.token(), 3);
        assert!(serde_json::from_str::<Segment>(r#"{"start":"0x5","end":"0x5"}"#).is_err());
        let s: Segment = serde_json::from_str(r#"{"start":"0x5","end":"0x6"}"#).expect("valid");
        assert_eq!(s.len(), u(1u8));
    }
}
