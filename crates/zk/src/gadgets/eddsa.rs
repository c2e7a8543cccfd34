//! In-circuit EdDSA-Poseidon verification (circomlib's `EdDSAPoseidonVerifier`), docs/circuits.md §7.

use ark_ff::{BigInt, BigInteger, PrimeField};
use ark_r1cs_std::{
    alloc::AllocVar, boolean::Boolean, convert::ToBitsGadget, eq::EqGadget, fields::FieldVar,
};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use super::{FrVar, PointVar, poseidon_gadget};
use crate::Fr;
use crate::babyjub::{BASE8, Fs, Point};
use crate::eddsa::Signature;

/// A signature as circuit variables: `R8` on the curve and `S` as 251 little-endian bits.
#[derive(Debug, Clone)]
pub struct SignatureVar {
    /// The nonce point.
    pub r8: PointVar,
    /// `S`, little-endian bits (251 bits: the subgroup order is below `2^251`).
    pub s_bits: Vec<Boolean<Fr>>,
}

/// Bits of the subgroup order `l` (251).
const S_BITS: usize = 251;

impl SignatureVar {
    /// Witness a signature: `R8` on the curve (§7.1) and `S < l` (§7.2).
    pub fn new_witness(
        cs: &ConstraintSystemRef<Fr>,
        sig: impl FnOnce() -> Result<Signature, SynthesisError>,
    ) -> Result<Self, SynthesisError> {
        let sig = sig();
        Self::new_witness_raw(cs, || sig.map(|s| (s.r8, s.s.into_bigint())))
    }

    /// Witness `R8` and an arbitrary 251-bit integer `S` (which need not be reduced; the
    /// constraints reject `S >= l`). Exposed so tests can attempt the malleated `S + l`.
    pub fn new_witness_raw(
        cs: &ConstraintSystemRef<Fr>,
        sig: impl FnOnce() -> Result<(Point, BigInt<4>), SynthesisError>,
    ) -> Result<Self, SynthesisError> {
        let sig = sig();
        let r8 = PointVar::new_witness_on_curve(cs.clone(), || sig.map(|s| s.0))?;
        let s_bits = (0..S_BITS)
            .map(|i| Boolean::new_witness(cs.clone(), || sig.map(|s| s.1.get_bit(i))))
            .collect::<Result<Vec<_>, _>>()?;
        // §7.2: S <= l - 1, so a signature cannot be mauled into S + l.
        let mut l_minus_one = Fs::MODULUS;
        l_minus_one.sub_with_borrow(&BigInt::from(1u64));
        Boolean::enforce_smaller_or_equal_than_le(&s_bits, l_minus_one)?;
        Ok(Self { r8, s_bits })
    }
}

/// Enforce, when `enabled`, that `sig` is a valid signature of `msg` under `public`
/// (`S * Base8 == R8 + 8 * hm * A`, `hm = Poseidon(R8, A, msg)`), as circomlib does.
pub fn eddsa_verify_gadget(
    public: &PointVar,
    msg: &FrVar,
    sig: &SignatureVar,
    enabled: &Boolean<Fr>,
) -> Result<(), SynthesisError> {
    // §7.3: the challenge binds R8, the public key and the message.
    let hm = poseidon_gadget(&[
        sig.r8.x.clone(),
        sig.r8.y.clone(),
        public.x.clone(),
        public.y.clone(),
        msg.clone(),
    ])?;
    // Canonical (strict) decomposition, so hm and hm + p cannot both be used.
    let hm_bits = hm.to_bits_le()?;
    // §7.4: clear the cofactor and reject small-order public keys (8A = identity iff x = 0).
    let a8 = public.double()?.double()?.double()?;
    a8.x.conditional_enforce_not_equal(&FrVar::zero(), enabled)?;
    let right = sig.r8.add(&a8.scalar_mul_le(&hm_bits)?)?;
    let left = PointVar::fixed_scalar_mul_le(&BASE8, &sig.s_bits)?;
    // §7.5: the verification equation.
    left.conditional_enforce_equal(&right, enabled)
}
