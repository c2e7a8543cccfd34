//! The wallet's shielded half (docs/shielded.md, issue 15 item 5): keys derived from the
//! wallet's mnemonic ([`keys`]), the `dbs1…` address ([`address`]), the note records it keeps per
//! S-4.4 ([`notes`]), the note tree it rebuilds from whole blocks ([`tree`]), scanning blocks
//! with the viewing key ([`scan`]) and building and proving a private transfer ([`transfer`]).
//!
//! Nothing here talks to the operator or to L1: callers hand in headers already checked against
//! their L1 commitment and the blocks' shielded sections, so the RPC glue stays a thin layer.

pub mod address;
pub mod exit;
pub mod keys;
pub mod notes;
pub mod scan;
pub mod transfer;
pub mod tree;

use alloy_primitives::{B256, U256};
use ark_ff::{BigInteger, PrimeField};
use debye_zk::Fr;

pub use address::PrivateAddress;
pub use notes::{NoteRecord, NoteStatus, ShieldedState, WithheldAlert};

/// `REP`: a wallet proves against a root at least this old when one holds its notes
/// (docs/shielded.md §1.4, S-6.4).
pub const REP_SECS: u64 = 86_400;
/// `MAX_LIFETIME`: an intent's expiry may lie at most this far ahead (docs/shielded.md §1.4).
pub const MAX_LIFETIME_SECS: u64 = 86_400;
/// Expiries are rounded down to a multiple of this, so they do not fingerprint the signing time
/// (S-6.4).
pub const EXPIRY_ROUNDING_SECS: u64 = 600;
/// One ETH in the pool's ETH unit (gwei, S-5.2).
pub const GWEI_PER_ETH: u64 = 1_000_000_000;

/// A field element as a 256-bit integer.
pub fn fr_to_u256(x: &Fr) -> U256 {
    U256::from_be_slice(&x.into_bigint().to_bytes_be())
}

/// A 256-bit integer as a field element; `None` at or above the modulus.
pub fn u256_to_fr(x: &U256) -> Option<Fr> {
    Fr::from_bigint(ark_ff::BigInt::new(x.into_limbs()))
}

/// A field element as the big-endian word headers carry (`noteRoot`).
pub fn fr_to_b256(x: &Fr) -> B256 {
    B256::from(fr_to_u256(x))
}

/// A token's field element: ETH is 0, an ERC-20 its address (docs/shielded.md S-4.1).
pub fn token_field(token: Option<alloy_primitives::Address>) -> Fr {
    token.map_or(Fr::from(0u64), |a| {
        debye_zk::note::token_from_address(&a.into_array())
    })
}

/// An amount in token units as people read it: ETH notes are in gwei (S-5.2) and print as ETH;
/// other tokens as units of their address.
pub fn format_amount(token: &U256, amount: u64) -> String {
    if token.is_zero() {
        let whole = amount / GWEI_PER_ETH;
        let frac = amount % GWEI_PER_ETH;
        if frac == 0 {
            format!("{whole} ETH")
        } else {
            let f = format!("{frac:09}");
            format!("{whole}.{} ETH", f.trim_end_matches('0'))
        }
    } else {
        let bytes = token.to_be_bytes::<32>();
        let addr = alloy_primitives::Address::from_slice(&bytes[12..]);
        format!("{amount} units of {addr}")
    }
}

/// Parses an amount for `token`: for ETH a decimal number of ETH ("0.5") converted to gwei, or
/// an integer followed by "gwei"; for other tokens an integer number of units.
pub fn parse_amount(token: &U256, s: &str) -> crate::Result<u64> {
    let bad = |why: &str| crate::Error::InvalidAmount(format!("{s:?}: {why}"));
    let s = s.trim();
    let value = if token.is_zero() {
        if let Some(g) = s.strip_suffix("gwei") {
            g.trim()
                .parse::<u64>()
                .map_err(|_| bad("not a whole number of gwei"))?
        } else {
            let eth = s
                .strip_suffix("ETH")
                .or_else(|| s.strip_suffix("eth"))
                .unwrap_or(s)
                .trim();
            let (whole, frac) = eth.split_once('.').unwrap_or((eth, ""));
            if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("ETH has at most 9 decimals in the pool (gwei)"));
            }
            let whole: u64 = whole.parse().map_err(|_| bad("not a number of ETH"))?;
            let frac: u64 = if frac.is_empty() {
                0
            } else {
                format!("{frac:0<9}")
                    .parse()
                    .map_err(|_| bad("not a number"))?
            };
            whole
                .checked_mul(GWEI_PER_ETH)
                .and_then(|w| w.checked_add(frac))
                .ok_or_else(|| bad("too large"))?
        }
    } else {
        s.parse::<u64>()
            .map_err(|_| bad("not a whole number of token units"))?
    };
    if value == 0 {
        return Err(bad("zero"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_and_amounts() {
        let x = Fr::from(123_456_789u64) - Fr::from(1u64);
        assert_eq!(u256_to_fr(&fr_to_u256(&x)), Some(x));
        assert_eq!(u256_to_fr(&U256::MAX), None);
        let eth = U256::ZERO;
        assert_eq!(parse_amount(&eth, "1.5").unwrap(), 1_500_000_000);
        assert_eq!(parse_amount(&eth, "2 ETH").unwrap(), 2_000_000_000);
        assert_eq!(parse_amount(&eth, "7gwei").unwrap(), 7);
        assert!(parse_amount(&eth, "0.0000000001").is_err());
        assert!(parse_amount(&eth, "0").is_err());
        assert!(parse_amount(&eth, "-1").is_err());
        assert_eq!(format_amount(&eth, 1_500_000_000), "1.5 ETH");
        assert_eq!(format_amount(&eth, 3_000_000_000), "3 ETH");
        assert_eq!(
            format_amount(&U256::from(1), 5),
            format!("5 units of 0x{:040x}", 1)
        );
    }
}
