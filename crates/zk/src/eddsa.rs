//! EdDSA-Poseidon on Baby Jubjub, verification-compatible with circomlib's `EdDSAPoseidonVerifier`
//! and circomlibjs `eddsa.verifyPoseidon`:
//! `S * Base8 == R8 + (8 * hm) * A` with `hm = Poseidon(R8.x, R8.y, A.x, A.y, msg)` and `S < l`.
//!
//! Our signer keeps the secret as a subgroup scalar `a` with `A = a * Base8` (derived from the wallet
//! seed, see [`crate::keys`]) and signs `S = r + 8 * hm * a mod l`; the deterministic nonce `r` is
//! SHA-512 of a separate nonce key and the message, reduced modulo `l`. circomlibjs derives `a` and
//! `r` from a private key with BLAKE-512 instead; signatures from either signer verify under both.

use ark_ff::{BigInteger, PrimeField, Zero};
use sha2::{Digest, Sha512};

use crate::babyjub::{BASE8, Fs, Point, fr_to_fs};
use crate::poseidon::hash;
use crate::{Error, Fr, Result};

/// An EdDSA-Poseidon signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    /// The nonce point `R8 = r * Base8`.
    pub r8: Point,
    /// The response `S`, reduced modulo the subgroup order.
    pub s: Fs,
}

/// A signing key: the subgroup scalar and the key for deterministic nonces.
#[derive(Clone)]
pub struct SigningKey {
    scalar: Fs,
    nonce_key: [u8; 32],
    public: Point,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A key from its secret scalar (must be non-zero) and nonce key.
    pub fn new(scalar: Fs, nonce_key: [u8; 32]) -> Result<Self> {
        if scalar.is_zero() {
            return Err(Error::Encoding("zero EdDSA scalar".into()));
        }
        Ok(Self {
            scalar,
            nonce_key,
            public: BASE8.mul(&scalar),
        })
    }

    /// The public key `A = a * Base8`.
    pub fn public(&self) -> Point {
        self.public
    }

    /// The secret scalar (for cross-checking the public key against circomlibjs).
    pub fn scalar(&self) -> Fs {
        self.scalar
    }

    /// Sign a field element (e.g. an intent digest).
    pub fn sign(&self, msg: &Fr) -> Signature {
        let mut h = Sha512::new();
        h.update(b"debye/zk/v1/eddsa-nonce");
        h.update(self.nonce_key);
        h.update(msg.into_bigint().to_bytes_le());
        let r = Fs::from_le_bytes_mod_order(&h.finalize());
        let r8 = BASE8.mul(&r);
        let hm = challenge(&r8, &self.public, msg);
        let s = r + Fs::from(8u64) * fr_to_fs(&hm) * self.scalar;
        Signature { r8, s }
    }
}

/// `hm = Poseidon(R8.x, R8.y, A.x, A.y, msg)`.
pub fn challenge(r8: &Point, public: &Point, msg: &Fr) -> Fr {
    hash([r8.x, r8.y, public.x, public.y, *msg])
}

/// Verify a signature against a public key in the prime-order subgroup.
pub fn verify(public: &Point, msg: &Fr, sig: &Signature) -> Result<()> {
    if !public.is_in_subgroup() || !sig.r8.is_on_curve() {
        return Err(Error::InvalidPoint);
    }
    let hm = challenge(&sig.r8, public, msg);
    let left = BASE8.mul(&sig.s);
    let a8 = public.double().double().double();
    let right = sig.r8.add(&a8.mul_fr(&hm));
    if left == right {
        Ok(())
    } else {
        Err(Error::InvalidSignature)
    }
}

/// Parse a response `S` given as a decimal integer, rejecting `S >= l` (malleability).
pub fn parse_s(decimal: &str) -> Result<Fs> {
    let big: ark_ff::BigInt<4> = decimal
        .parse()
        .map_err(|_| Error::Encoding(format!("bad integer {decimal}")))?;
    Fs::from_bigint(big)
        .ok_or_else(|| Error::Encoding("EdDSA S not below the subgroup order".into()))
}
