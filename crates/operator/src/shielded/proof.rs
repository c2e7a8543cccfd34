//! Proofs of shielded entries: the eight verifier-order words (docs/shielded.md S-3.5) read as
//! BN254 points with every check a verifier must make (coordinates below the base modulus,
//! points on their curve and in the prime-order subgroup; F1), the public inputs in circuit
//! order, and batched verification that finds the bad proofs of a batch by bisection so that
//! one bad proof never fails another client's entry.
//!
//! The `G2` subgroup check of `B` (~0.3 ms, a quarter of a proof's admission cost) runs with the
//! batch, on every core, not in the sequencer's admission loop; it still precedes any pairing.

use alloy_primitives::U256;
use ark_bn254::{Bn254, Fq, Fq2, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{PreparedVerifyingKey, Proof};
use debye_zk::{batch, circuit::PublicInputs};

use super::{ShieldedRefusal, Submission, field};

/// A base-field element from a word, `None` unless `word < q` (canonical).
fn fq(word: U256) -> Option<Fq> {
    let bytes = word.to_be_bytes::<32>();
    let x = Fq::from_be_bytes_mod_order(&bytes);
    (x.into_bigint().to_bytes_be() == bytes).then_some(x)
}

fn g1(x: U256, y: U256, name: &'static str) -> Result<G1Affine, ShieldedRefusal> {
    let (x, y) = fq(x)
        .zip(fq(y))
        .ok_or(ShieldedRefusal::MalformedProof(name))?;
    if x.0.is_zero() && y.0.is_zero() {
        // (0, 0) is how the EVM writes the point at infinity.
        return Ok(G1Affine::zero());
    }
    let p = G1Affine::new_unchecked(x, y);
    if p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve() {
        Ok(p)
    } else {
        Err(ShieldedRefusal::MalformedProof(name))
    }
}

/// `B` in EVM order: `x1, x0, y1, y0` (imaginary part first).
fn g2(w: &[U256], name: &'static str) -> Result<G2Affine, ShieldedRefusal> {
    let c = |i: usize| fq(w[i]).ok_or(ShieldedRefusal::MalformedProof(name));
    let (x1, x0, y1, y0) = (c(0)?, c(1)?, c(2)?, c(3)?);
    if w.iter().all(U256::is_zero) {
        return Ok(G2Affine::zero());
    }
    let p = G2Affine::new_unchecked(Fq2::new(x0, x1), Fq2::new(y0, y1));
    // The subgroup check follows in `verify_all`, in parallel with the batch's other checks.
    if p.is_on_curve() {
        Ok(p)
    } else {
        Err(ShieldedRefusal::MalformedProof(name))
    }
}

/// The proof of `s`, checked point by point ([`ShieldedRefusal::MalformedProof`]); `B`'s
/// subgroup membership is checked by [`verify_all`].
pub(crate) fn parse_proof(words: &[U256; 8]) -> Result<Proof<Bn254>, ShieldedRefusal> {
    Ok(Proof {
        a: g1(words[0], words[1], "A is not a point of G1")?,
        b: g2(&words[2..6], "B is not a point of G2")?,
        c: g1(words[6], words[7], "C is not a point of G1")?,
    })
}

/// The public inputs of `s` in circuit order (each below `r`, else
/// [`ShieldedRefusal::NotAField`]).
pub(crate) fn public_inputs(s: &Submission) -> Result<PublicInputs, ShieldedRefusal> {
    let f = |w: U256, name: &'static str| {
        field::fr(w).ok_or(ShieldedRefusal::NotAField { field: name })
    };
    Ok(PublicInputs {
        root: f(s.body.root, "root")?,
        nullifiers: [
            f(s.nullifiers[0], "nullifier0")?,
            f(s.nullifiers[1], "nullifier1")?,
        ],
        commitments: [
            f(s.commitments[0], "commitment0")?,
            f(s.commitments[1], "commitment1")?,
        ],
        public_amount: f(s.body.public_amount, "publicAmount")?,
        token: f(s.body.token, "token")?,
        ext_data_hash: f(s.body.ext_data_hash, "extDataHash")?,
    })
}

/// A proof ready to verify.
pub(crate) type Statement = (Proof<Bn254>, PublicInputs);

/// Which statements verify: `B` in the prime-order subgroup of `G2` (else
/// [`ShieldedRefusal::MalformedProof`]), then `debye_zk::batch::verify_each` (chunks on every
/// core, random 128-bit weights, a failing chunk bisected), so a bad proof costs only its
/// submitter (S-4.3: "verified in batches").
pub(crate) fn verify_all(
    pvk: &PreparedVerifyingKey<Bn254>,
    items: &[Statement],
) -> Vec<Result<(), ShieldedRefusal>> {
    let checked = batch::check_each(items.iter().map(|(p, _)| p.clone()).collect());
    let mut out: Vec<Result<(), ShieldedRefusal>> = checked
        .iter()
        .map(|c| {
            c.as_ref()
                .map(|_| ())
                .ok_or(ShieldedRefusal::MalformedProof(
                    "B is not in the prime-order subgroup of G2",
                ))
        })
        .collect();
    let (at, batch): (Vec<usize>, Vec<_>) = checked
        .into_iter()
        .zip(items)
        .enumerate()
        .filter_map(|(i, (c, (_, public)))| c.map(|c| (i, (c, *public))))
        .unzip();
    // An error here is a verifying key of the wrong shape: every proof is refused.
    let valid = batch::verify_each(pvk, &batch).unwrap_or_else(|_| vec![false; batch.len()]);
    for (i, ok) in at.into_iter().zip(valid) {
        if !ok {
            out[i] = Err(ShieldedRefusal::BadProof);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use ark_ec::CurveGroup;

    use super::*;

    fn words_of_g1(p: &G1Affine) -> [U256; 2] {
        let w = |x: &Fq| U256::from_be_slice(&x.into_bigint().to_bytes_be());
        [w(&p.x), w(&p.y)]
    }

    #[test]
    fn points_are_checked() {
        let gen1 = G1Affine::generator();
        let gen2 = G2Affine::generator();
        let w = |x: &Fq| U256::from_be_slice(&x.into_bigint().to_bytes_be());
        let b = [w(&gen2.x.c1), w(&gen2.x.c0), w(&gen2.y.c1), w(&gen2.y.c0)];
        let [ax, ay] = words_of_g1(&gen1);
        let c = words_of_g1(&(gen1 + gen1).into_affine());
        let good = [ax, ay, b[0], b[1], b[2], b[3], c[0], c[1]];
        let p = parse_proof(&good).expect("points");
        assert_eq!((p.a, p.b), (gen1, gen2));

        let mut off_curve = good;
        off_curve[1] += U256::from(1);
        assert_eq!(
            parse_proof(&off_curve).unwrap_err(),
            ShieldedRefusal::MalformedProof("A is not a point of G1")
        );
        let mut swapped = good;
        swapped.swap(2, 3);
        assert_eq!(
            parse_proof(&swapped).unwrap_err(),
            ShieldedRefusal::MalformedProof("B is not a point of G2")
        );
        let mut too_big = good;
        too_big[6] = U256::MAX;
        assert_eq!(
            parse_proof(&too_big).unwrap_err(),
            ShieldedRefusal::MalformedProof("C is not a point of G1")
        );
        // x ≥ q aliasing a valid x is refused, not reduced.
        let q = U256::from_be_slice(&Fq::MODULUS.to_bytes_be());
        let mut alias = good;
        alias[0] = ax + q;
        assert!(parse_proof(&alias).is_err());
        assert!(
            parse_proof(&[U256::ZERO; 8]).is_ok(),
            "infinity is a point; the pairing decides"
        );
    }

    /// `debye-zk`'s pool fixture (a real TRANSFER proof under the dev key, depth 40): it passes
    /// every stateless rule here (so primitives' `extDataHash` and ciphertext hashes agree with
    /// the circuit's), our tree reproduces its root, and one tampered statement in a batch fails
    /// alone (bisection keeps the valid ones), as does a `B` outside the subgroup.
    #[test]
    fn the_zk_fixture_passes_and_a_bad_proof_fails_alone() {
        use alloy_primitives::{Address, Bytes};
        use debye_primitives::shielded::{ExtData, TransferBody};

        use crate::shielded::{rules, tree::NoteTree};

        let fixture: serde_json::Value = serde_json::from_str(include_str!(
            "../../../../test-vectors/zk/pool_fixture.json"
        ))
        .expect("fixture");
        let t = &fixture["transfer"];
        let w = |v: &serde_json::Value| v.as_str().expect("hex").parse::<U256>().expect("word");
        let words: Vec<U256> = t["proof"]
            .as_array()
            .expect("proof")
            .iter()
            .map(w)
            .collect();
        let pi: Vec<U256> = t["public_inputs"]
            .as_array()
            .expect("pi")
            .iter()
            .map(w)
            .collect();
        let e = &t["ext"];
        let n = |k: &str| e[k].as_u64().expect("number");
        let a = |k: &str| {
            e[k].as_str()
                .expect("hex")
                .parse::<Address>()
                .expect("address")
        };
        let h = |k: &str| e[k].as_str().expect("hex").parse().expect("word");
        let ext = ExtData {
            kind: u8::try_from(n("kind")).expect("kind"),
            recipient: a("recipient"),
            fee_recipient: a("feeRecipient"),
            fee: n("fee"),
            expiry: n("expiry"),
            chain_id: n("chainId"),
            anchor: a("anchor"),
            policy: u32::try_from(n("policy")).expect("policy"),
            nonce: h("nonce"),
            ct_hash0: h("ctHash0"),
            ct_hash1: h("ctHash1"),
        };
        let cts: Vec<Bytes> = t["ciphertexts"]
            .as_array()
            .expect("cts")
            .iter()
            .map(|c| c.as_str().expect("hex").parse().expect("bytes"))
            .collect();
        let sub = Submission {
            body: TransferBody {
                root_block: 1,
                root: pi[0],
                public_amount: pi[5],
                token: pi[6],
                ext_data_hash: pi[7],
                proof: words.clone().try_into().expect("8 words"),
                ext,
            },
            nullifiers: [pi[1], pi[2]],
            commitments: [pi[3], pi[4]],
            ciphertexts: [cts[0].clone(), cts[1].clone()],
        };
        let chain = rules::ChainRules {
            chain_id: ext.chain_id,
            pool: ext.anchor,
        };
        assert_eq!(rules::check_stateless(&sub, &chain), Ok(()));
        let mut tree = NoteTree::default();
        for leaf in fixture["tree"]["leaves"].as_array().expect("leaves") {
            tree.append(field::fr(w(leaf)).expect("field"))
                .expect("room");
        }
        assert_eq!(field::word(&tree.root()), w(&fixture["tree"]["root"]));

        let (_, vk) = debye_zk::groth16::insecure_dev_setup().expect("dev key");
        let pvk = ark_groth16::prepare_verifying_key(&vk);
        let good = (
            parse_proof(&sub.body.proof).expect("points"),
            public_inputs(&sub).expect("pi"),
        );
        let mut bad = good.clone();
        bad.1.nullifiers[0] += debye_zk::Fr::from(1u64);
        assert_eq!(verify_all(&pvk, std::slice::from_ref(&good)), vec![Ok(())]);
        // B on the curve but outside the prime-order subgroup: parsed, then refused before any
        // pairing (F1).
        let outside = (1u64..)
            .find_map(|x| {
                G2Affine::get_point_from_x_unchecked(Fq2::new(Fq::from(x), Fq::from(1u64)), true)
                    .filter(|p| !p.is_in_correct_subgroup_assuming_on_curve())
            })
            .expect("a point outside the subgroup");
        let mut off_group = good.clone();
        off_group.0.b = outside;
        let mut items = vec![good.clone(), bad, good.clone(), off_group];
        items.extend(std::iter::repeat_n(good, 9));
        let verdicts = verify_all(&pvk, &items);
        assert_eq!(
            verdicts[..4].to_vec(),
            vec![
                Ok(()),
                Err(ShieldedRefusal::BadProof),
                Ok(()),
                Err(ShieldedRefusal::MalformedProof(
                    "B is not in the prime-order subgroup of G2"
                )),
            ]
        );
        assert!(verdicts[4..].iter().all(Result::is_ok));
    }
}
