//! Binary encodings: canonical Solidity ABI encodings (`abi.encode(value)`) of the [`crate::abi`]
//! structs, which is also what `PrimeLib.sol` decodes.
//!
//! Decoding never panics. It rejects, with a typed error: inputs over a size limit
//! ([`crate::Error::TooLarge`]), bytes that are not an ABI encoding of the type ([`crate::Error::Decode`]),
//! encodings that decode but are not canonical, i.e. differ from the re-encoding of what they
//! decode to ([`crate::Error::NonCanonicalEncoding`]), and values breaking the domain type's invariants
//! (segment rules, signature format). Semantic rules (transaction validity, proof checks) are
//! left to `verify`.

use alloy_sol_types::SolValue;

use crate::strict::decode_abi;

use crate::{
    BlockHeader, ExclusionProof, InclusionProof, Result, SignedTransaction, SumMerkleProof,
    Transaction, abi,
};

/// Largest accepted encoding of a transaction or signed transaction (a maximal transaction with
/// 16 inputs, 16 outputs and 2 signatures takes 5,056 bytes).
pub const MAX_TX_ENCODING: usize = 16 * 1024;
/// Largest accepted encoding of a proof (64 siblings take 4,256 bytes).
pub const MAX_PROOF_ENCODING: usize = 8 * 1024;

/// Encoding to and decoding from the wire format.
pub trait Codec: Sized {
    /// Canonical encoding.
    fn encode(&self) -> Vec<u8>;
    /// Strict decoding; never panics.
    fn decode(bytes: &[u8]) -> Result<Self>;
}

/// [`Codec`] for a type whose wire format is the ABI encoding of its [`crate::abi`] mirror: the
/// mirror decoded strictly ([`decode_abi`], at most `max` bytes) and converted back by `back`.
macro_rules! abi_codec {
    ($ty:ty, $mirror:ident, $max:expr, $back:expr) => {
        impl Codec for $ty {
            fn encode(&self) -> Vec<u8> {
                abi::$mirror::from(self).abi_encode()
            }
            fn decode(bytes: &[u8]) -> Result<Self> {
                let raw: abi::$mirror = decode_abi(bytes, stringify!($mirror), $max)?;
                $back(&raw)
            }
        }
    };
}

abi_codec!(Transaction, Transaction, MAX_TX_ENCODING, Self::try_from);
abi_codec!(
    SignedTransaction,
    SignedTransaction,
    MAX_TX_ENCODING,
    Self::try_from
);
abi_codec!(SumMerkleProof, SumProof, MAX_PROOF_ENCODING, |raw| Ok(
    Self::from(raw)
));
abi_codec!(
    BlockHeader,
    BlockHeader,
    crate::block::HEADER_LEN,
    |raw| Ok(Self::from(raw))
);

impl Codec for InclusionProof {
    fn encode(&self) -> Vec<u8> {
        self.0.encode()
    }
    fn decode(bytes: &[u8]) -> Result<Self> {
        SumMerkleProof::decode(bytes).map(Self)
    }
}

impl Codec for ExclusionProof {
    fn encode(&self) -> Vec<u8> {
        self.0.encode()
    }
    fn decode(bytes: &[u8]) -> Result<Self> {
        SumMerkleProof::decode(bytes).map(Self)
    }
}
