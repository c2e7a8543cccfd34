//! Signature checks on the submission path, without the redundant work of the generic path.
//!
//! `SignedTransaction::verify` recovers each signer with `ecdsa`'s `recover_from_prehash`, which
//! after computing the key `Q = r⁻¹(s·R − z·G)` verifies the signature against `Q` again — a
//! second double-scalar multiplication that cannot fail for a `Q` computed this way. Recovery is
//! most of the operator's CPU per transaction, so [`verify`] computes `Q` once. It applies the
//! same rules, in the same order, with the same errors as `SignedTransaction::verify` (a test
//! cross-checks both on valid and malformed signatures).

use alloy_primitives::{Address, B256, Signature, keccak256};
use debye_primitives::{Eip712Domain, Error, SignedTransaction, tx::SECP256K1_HALF_N};
use k256::{
    AffinePoint, FieldBytes, ProjectivePoint, Scalar,
    elliptic_curve::{
        PrimeField,
        ops::{Invert, LinearCombination, Reduce},
        point::DecompressPoint,
        sec1::ToEncodedPoint,
        subtle::Choice,
    },
};

/// The address that signed `digest`, or `None` when the signature recovers no key.
pub(crate) fn recover(sig: &Signature, digest: &B256) -> Option<Address> {
    let r_bytes = FieldBytes::from(sig.r().to_be_bytes::<32>());
    let r = Option::<Scalar>::from(Scalar::from_repr(r_bytes))?;
    let s = Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(
        sig.s().to_be_bytes::<32>(),
    )))?;
    if bool::from(r.is_zero()) || bool::from(s.is_zero()) {
        return None;
    }
    let z = <Scalar as Reduce<k256::U256>>::reduce_bytes(&FieldBytes::from(digest.0));
    let big_r = Option::<AffinePoint>::from(AffinePoint::decompress(
        &r_bytes,
        Choice::from(u8::from(sig.v())),
    ))?;
    let r_inv = Option::<Scalar>::from(Invert::invert_vartime(&r))?;
    let u1 = -(r_inv * z);
    let u2 = r_inv * s;
    let q = ProjectivePoint::lincomb(
        &ProjectivePoint::GENERATOR,
        &u1,
        &ProjectivePoint::from(big_r),
        &u2,
    );
    if q == ProjectivePoint::IDENTITY {
        return None;
    }
    let encoded = q.to_affine().to_encoded_point(false);
    let hash = keccak256(&encoded.as_bytes()[1..]);
    Some(Address::from_slice(&hash[12..]))
}

/// Same result as `SignedTransaction::verify`: the format rules, one signature per distinct
/// input owner, each low-s and recovering to that owner in order. Returns the transaction id.
pub(crate) fn verify(stx: &SignedTransaction, domain: &Eip712Domain) -> Result<B256, Error> {
    stx.transaction.validate()?;
    let owners = stx.transaction.owners();
    if stx.signatures.len() != owners.len() {
        return Err(Error::SignatureCount {
            expected: owners.len(),
            got: stx.signatures.len(),
        });
    }
    let digest = stx.tx_id(domain);
    for (index, (sig, owner)) in stx.signatures.iter().zip(&owners).enumerate() {
        if sig.s() > SECP256K1_HALF_N {
            return Err(Error::HighS { index });
        }
        let recovered = recover(sig, &digest).ok_or(Error::InvalidSignature { index })?;
        if recovered != *owner {
            return Err(Error::WrongSigner {
                index,
                expected: *owner,
                recovered,
            });
        }
    }
    Ok(digest)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;
    use debye_primitives::{Input, Output, Segment, Transaction, tx};
    use k256::ecdsa::SigningKey;

    use super::*;

    #[test]
    fn agrees_with_the_generic_verifier() {
        let domain = tx::domain(31337, Address::repeat_byte(0xdb));
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for i in 0..300u64 {
            let key = SigningKey::from_slice(&keccak256(i.to_be_bytes()).0).expect("key");
            let owner = tx::address_of(&key);
            let seg = Segment::new(U256::from(i), U256::from(i + 1 + next() % 100)).expect("seg");
            let t = Transaction {
                inputs: vec![Input::deposit(owner, 1 + next() % 5, seg)],
                outputs: vec![Output {
                    owner: Address::repeat_byte(7),
                    segment: seg,
                }],
                max_block_index: next(),
            };
            let mut stx = t.sign(&domain, &[key]).expect("signs");
            match i % 6 {
                0 => {}
                1 => {
                    stx.signatures[0] =
                        Signature::new(stx.signatures[0].r(), U256::from(next()), next() & 1 == 1)
                }
                2 => {
                    stx.signatures[0] = Signature::new(
                        U256::from(next()) << 100,
                        stx.signatures[0].s(),
                        next() & 1 == 1,
                    )
                }
                3 => {
                    let s0 = stx.signatures[0];
                    let n = SECP256K1_HALF_N * U256::from(2u8) + U256::from(1u8);
                    stx.signatures[0] = Signature::new(s0.r(), n - s0.s(), !s0.v());
                }
                4 => stx.signatures[0] = Signature::new(U256::ZERO, stx.signatures[0].s(), false),
                _ => stx.signatures.push(stx.signatures[0]),
            }
            assert_eq!(verify(&stx, &domain), stx.verify(&domain), "case {i}");
        }
    }
}
