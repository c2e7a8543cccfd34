//! The strict ABI decoder every wire decoder of the crate shares (docs/formats.md §8): a size
//! limit, alloy's validating decoder, and canonicality (the bytes must be the re-encoding of
//! what they decode to).

use alloy_sol_types::SolValue;

use crate::{Error, Result};

/// Decodes `bytes` as `T`: at most `max` bytes ([`Error::TooLarge`]), a valid ABI encoding
/// with clean high bits ([`Error::Decode`]), and canonical ([`Error::NonCanonicalEncoding`]).
pub(crate) fn decode_abi<T: SolValue + From<<T::SolType as alloy_sol_types::SolType>::RustType>>(
    bytes: &[u8],
    what: &'static str,
    max: usize,
) -> Result<T> {
    if bytes.len() > max {
        return Err(Error::TooLarge {
            what,
            len: bytes.len(),
            max,
        });
    }
    let value = T::abi_decode_validate(bytes).map_err(|e| Error::Decode {
        what,
        reason: e.to_string(),
    })?;
    if value.abi_encode() != bytes {
        return Err(Error::NonCanonicalEncoding(what));
    }
    Ok(value)
}
