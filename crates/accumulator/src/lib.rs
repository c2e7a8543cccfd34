//! History compression for Debye: range chunking over aligned slices and an RSA accumulator
//! with constant-size proofs that a coin range was untouched across a span of blocks.
//!
//! * [`slice`]: the binary tree of aligned slices over the 160-bit coin space, the seed's α/β
//!   keys and the key sets of blocks, inclusion and exclusion.
//! * [`prime`]: Baillie–PSW, the injective slice→prime map, Fiat–Shamir challenge primes.
//! * [`group`]: Z_N*/{±1} for the RSA-2048 challenge modulus.
//! * [`mont`]: the 2048-bit Montgomery kernel behind the group's exponentiations.
//! * [`proof`]: chain-step proof of exponentiation, inclusion and exclusion proofs.
//! * [`header`]: the block header's commitment to (m, A_m); coin ranges from 256-bit ids.
//! * [`accumulator`]: the operator's [`Accumulator`] and the wallet's `verify_*` functions.
//! * [`bench`]: the `debye bench history` harness.
//!
//! Design, soundness arguments and measured figures: `docs/accumulator.md`.
//!
//! ```
//! use debye_accumulator::{Accumulator, CoinRange, Error, Geometry, verify_exclusion};
//! # fn main() -> debye_accumulator::Result<()> {
//! // token-granular leaves keep the example fast; production uses Geometry::EXACT
//! let mut acc = Accumulator::new(Geometry::new(128)?);
//! let coin = CoinRange::in_token(1, 0, None)?;
//! acc.apply_block(&[coin])?; // block 1 touches the coin
//! let update = acc.apply_block(&[CoinRange::in_token(2, 0, None)?])?; // block 2 does not
//! let header_field: [u8; 32] = update.digest;
//! # let _ = header_field;
//!
//! let proof = acc.prove_exclusion(&coin, 1, 2)?; // "untouched in block 2"
//! let (a, b) = (acc.value(1)?, acc.value(2)?);
//! verify_exclusion(acc.group(), acc.geometry(), &coin, a, b, &proof)?;
//! assert_eq!(proof.to_bytes(acc.group())?.len(), 1856);
//! assert_eq!(acc.prove_exclusion(&coin, 0, 2), Err(Error::RangeTouched));
//! # Ok(()) }
//! ```

pub mod accumulator;
pub mod bench;
pub mod group;
pub mod header;
pub mod mont;
pub mod prime;
pub mod proof;
pub mod slice;

pub use accumulator::{
    Accumulator, BlockUpdate, BlockValue, block_factors, check_digest, exclusion_factors,
    verify_block, verify_exclusion, verify_inclusion,
};
pub use group::{Elem, Group};
pub use header::{check_header_commitment, coin_range, header_commitment};
/// The big-integer type of the public API (exponents, primes, products).
pub use num_bigint::BigUint;
pub use proof::{ChainProof, ExclusionProof, Factors, InclusionProof};
pub use slice::{CoinRange, Geometry, Key, Kind, Point, Slice};

/// Errors of the accumulator crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A range is empty, reversed or reaches past 2^160.
    #[error("invalid coin range [{start}, {end})")]
    InvalidRange {
        /// First coin.
        start: Point,
        /// Exclusive end.
        end: Point,
    },
    /// A point encoding lies above 2^160.
    #[error("coin point above 2^160")]
    InvalidPoint,
    /// A slice is not aligned to its level or lies outside the coin space.
    #[error("invalid aligned slice")]
    InvalidSlice,
    /// The leaf size of a geometry leaves no tree (leaf_bits must be below 160).
    #[error("invalid geometry: leaf_bits {0} (must be < 160)")]
    InvalidGeometry(u32),
    /// A modulus is even or shorter than 1024 bits.
    #[error("invalid RSA modulus")]
    InvalidModulus,
    /// A group element encoding is not a canonical element of Z_N*/{±1}.
    #[error("invalid group element encoding")]
    InvalidElement,
    /// A proof encoding has the wrong length or an oversized field.
    #[error("malformed proof encoding")]
    MalformedProof,
    /// A proof does not verify; names the failing check.
    #[error("proof does not verify: {0}")]
    VerificationFailed(&'static str),
    /// The range was touched in the span, so no exclusion proof exists.
    #[error("range touched in the span: no exclusion proof exists")]
    RangeTouched,
    /// The range was not wholly touched in one block of the span, so no inclusion proof exists.
    #[error("range not included in the span")]
    RangeNotIncluded,
    /// An accumulator value does not match the digest a block header carries.
    #[error("accumulator value does not match the header digest")]
    DigestMismatch,
    /// A block number outside the accumulator's history, or whose chain proof was already taken.
    #[error("unknown block {0}")]
    UnknownBlock(u64),
    /// Block n was compacted (`Accumulator::compact`): only A_n is kept, so spans and inclusion
    /// proofs over it need the caller's stored products.
    #[error("block {0} is compacted: only its accumulator value is kept")]
    Compacted(u64),
    /// A span whose start lies after its end.
    #[error("invalid span ({a}, {b}]")]
    InvalidSpan {
        /// Start (exclusive).
        a: u64,
        /// End (inclusive).
        b: u64,
    },
    /// No prime in a slice key's 2^16-wide window (never observed: it needs a prime gap above
    /// 65,536 near 2^178).
    #[error("no prime in the slice key's window")]
    PrimeWindowExhausted,
}

/// Result alias of the accumulator crate.
pub type Result<T> = std::result::Result<T, Error>;
