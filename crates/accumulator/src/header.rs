//! What a block header says about the accumulator, and coin ranges in the chain's 256-bit form.
//!
//! A header's 32-byte `accumulator` field commits to a pair (m, A_m): the accumulator after
//! block m, where m is the newest block whose accumulator step the operator had finished when it
//! sealed the header (m < n for header n, never decreasing along the chain). Committing the
//! height with the value lets the costly step run off the block-production path
//! (docs/accumulator.md §13.1) while every value a wallet uses stays bound to an L1 commitment.

use sha2::{Digest, Sha256};

use crate::group::{Elem, Group};
use crate::slice::{CoinRange, Point};
use crate::{Error, Result};

/// Domain tag of the header field.
const HEADER_TAG: &[u8] = b"debye/accumulator/v1/header";

/// The header field for (m, A_m): SHA-256(tag ‖ u64_be(m) ‖ digest(A_m)), where `digest`
/// ([`Group::digest`]) already binds the modulus.
pub fn header_commitment(group: &Group, height: u64, value: &Elem) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(HEADER_TAG);
    h.update(height.to_be_bytes());
    h.update(group.digest(value));
    h.finalize().into()
}

/// Checks that a header's `accumulator` field commits to (m, A_m); [`Error::DigestMismatch`]
/// otherwise.
pub fn check_header_commitment(
    group: &Group,
    height: u64,
    value: &Elem,
    field: &[u8; 32],
) -> Result<()> {
    if &header_commitment(group, height, value) == field {
        Ok(())
    } else {
        Err(Error::DigestMismatch)
    }
}

/// The coin range [start, end) from the chain's 256-bit big-endian coin ids (token id in bits
/// 128..160, offset below). Fails with [`Error::InvalidPoint`] above 2^160 and
/// [`Error::InvalidRange`] when empty or reversed.
pub fn coin_range(start: &[u8; 32], end: &[u8; 32]) -> Result<CoinRange> {
    CoinRange::new(point(start)?, point(end)?)
}

fn point(be: &[u8; 32]) -> Result<Point> {
    if be[..11].iter().any(|b| *b != 0) {
        return Err(Error::InvalidPoint);
    }
    let mut p = [0u8; 21];
    p.copy_from_slice(&be[11..]);
    Point::from_be_bytes(p)
}
