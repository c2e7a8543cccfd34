//! The admission rules of a shielded `TRANSFER` (docs/shielded.md S-4.3), each a pure function
//! over the submission and the values of chain state it needs, in the order the operator applies
//! them: stateless ones first (sizes, kind, amount, fields, hashes), then the root, then the
//! nullifiers; the proof last (`proof.rs`).

use alloy_primitives::{Address, B256, U256, keccak256};
use debye_primitives::shielded::{EntryKind, POLICY};

use super::{CT_LEN, MAX_LIFETIME, ShieldedRefusal, Submission, field};

/// The chain-wide values the external data must name (S-3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChainRules {
    /// The L1 chain id.
    pub(crate) chain_id: u64,
    /// The `ShieldedPool` contract (`ext.anchor`).
    pub(crate) pool: Address,
}

/// Every rule that needs no chain state: S-6.1 (ciphertext sizes), S-3.1 (kind `TRANSFER`,
/// `publicAmount = 0`), public inputs below `r` (S-3.8/F1), S-3.4 (the `ext` fields a transfer
/// must carry), S-4.3 (`keccak256(ct_i) = ctHash_i`) and `extDataHash` = hash of `ext`.
pub(crate) fn check_stateless(s: &Submission, chain: &ChainRules) -> Result<(), ShieldedRefusal> {
    for (index, ct) in (0u8..).zip(&s.ciphertexts) {
        if ct.len() != CT_LEN {
            return Err(ShieldedRefusal::CiphertextSize {
                index,
                len: ct.len(),
                expected: CT_LEN,
            });
        }
    }
    let b = &s.body;
    if b.ext.kind != u8::from(EntryKind::Transfer) {
        return Err(ShieldedRefusal::WrongKind { kind: b.ext.kind });
    }
    if !b.public_amount.is_zero() {
        return Err(ShieldedRefusal::NonzeroPublicAmount {
            public_amount: b.public_amount,
        });
    }
    let inputs = [
        ("root", b.root),
        ("nullifier0", s.nullifiers[0]),
        ("nullifier1", s.nullifiers[1]),
        ("commitment0", s.commitments[0]),
        ("commitment1", s.commitments[1]),
        ("token", b.token),
        ("extDataHash", b.ext_data_hash),
    ];
    if let Some((name, _)) = inputs.iter().find(|(_, w)| field::fr(*w).is_none()) {
        return Err(ShieldedRefusal::NotAField { field: name });
    }
    check_ext(s, chain)?;
    for (index, (ct, hash)) in
        (0u8..).zip(s.ciphertexts.iter().zip([b.ext.ct_hash0, b.ext.ct_hash1]))
    {
        if keccak256(ct) != hash {
            return Err(ShieldedRefusal::CiphertextHash { index });
        }
    }
    if b.ext.hash() != b.ext_data_hash {
        return Err(ShieldedRefusal::ExtDataHash);
    }
    Ok(())
}

/// S-3.4 for a `TRANSFER`: no recipient, fee recipient or fee; this chain, this pool, policy 1.
fn check_ext(s: &Submission, chain: &ChainRules) -> Result<(), ShieldedRefusal> {
    let ext = &s.body.ext;
    let bad =
        |field: &'static str, expected: String| Err(ShieldedRefusal::ExtField { field, expected });
    if ext.recipient != Address::ZERO {
        return bad("recipient", "zero for a TRANSFER".into());
    }
    if ext.fee_recipient != Address::ZERO {
        return bad("feeRecipient", "zero for a TRANSFER".into());
    }
    if ext.fee != 0 {
        return bad("fee", "0 for a TRANSFER".into());
    }
    if ext.chain_id != chain.chain_id {
        return bad("chainId", chain.chain_id.to_string());
    }
    if ext.anchor != chain.pool {
        return bad("anchor", format!("the ShieldedPool {}", chain.pool));
    }
    if ext.policy != POLICY {
        return bad("policy", POLICY.to_string());
    }
    Ok(())
}

/// S-8.3: `now ≤ expiry ≤ now + MAX_LIFETIME`, with `now` the timestamp the next block will
/// carry (checked again when a block is built: an entry that expired in the pool is dropped).
pub(crate) fn check_expiry(expiry: u64, now: u64) -> Result<(), ShieldedRefusal> {
    if expiry < now {
        return Err(ShieldedRefusal::Expired { expiry, now });
    }
    let limit = now.saturating_add(MAX_LIFETIME);
    if expiry > limit {
        return Err(ShieldedRefusal::ExpiryTooFar { expiry, limit });
    }
    Ok(())
}

/// S-4.3: `rootBlock` is a block (`tip` is the newest), committed on L1 (`l1_committed`), and
/// `root = noteRoot(rootBlock) ≠ 0`; `note_root` is that block's header value.
pub(crate) fn check_root(
    root_block: u64,
    root: U256,
    tip: u64,
    l1_committed: u64,
    note_root: Option<B256>,
) -> Result<(), ShieldedRefusal> {
    let Some(note_root) = note_root.filter(|_| root_block >= 1 && root_block <= tip) else {
        return Err(ShieldedRefusal::UnknownRootBlock { root_block, tip });
    };
    if root_block > l1_committed {
        return Err(ShieldedRefusal::RootBlockNotCommitted {
            root_block,
            l1_committed,
        });
    }
    if note_root.is_zero() {
        return Err(ShieldedRefusal::EmptyRoot { root_block });
    }
    if U256::from_be_bytes(note_root.0) != root {
        return Err(ShieldedRefusal::RootMismatch { root_block });
    }
    Ok(())
}

/// S-4.3: the nullifiers differ, neither is in the set (`spent_in` answers the spending block,
/// `exited_in` the imported L1 exit that holds it: an entry spending an exited note would make
/// its block provably invalid, F5) and neither is held by a pooled entry (`pooled`).
pub(crate) fn check_nullifiers<E>(
    nullifiers: &[U256; 2],
    mut spent_in: impl FnMut(U256) -> Result<Option<u64>, E>,
    mut exited_in: impl FnMut(U256) -> Result<Option<u32>, E>,
    pooled: impl Fn(U256) -> bool,
) -> Result<(), ShieldedRefusal> {
    if nullifiers[0] == nullifiers[1] {
        return Err(ShieldedRefusal::SameNullifier);
    }
    for (index, nf) in (0u8..).zip(nullifiers) {
        if let Some(block) = spent_in(*nf).map_err(|_| ShieldedRefusal::Internal)? {
            return Err(ShieldedRefusal::NullifierSpent { index, block });
        }
        if let Some(exit) = exited_in(*nf).map_err(|_| ShieldedRefusal::Internal)? {
            return Err(ShieldedRefusal::NullifierExited { index, exit });
        }
    }
    for (index, nf) in (0u8..).zip(nullifiers) {
        if pooled(*nf) {
            return Err(ShieldedRefusal::PoolDuplicate { index });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Bytes;
    use debye_primitives::shielded::BN254_R;

    use super::*;
    use crate::shielded::submission::tests::sample;

    const CHAIN: ChainRules = ChainRules {
        chain_id: 31337,
        pool: Address::repeat_byte(0xaa),
    };

    /// `sample()` changed by `f`, with `extDataHash` recomputed when `rehash`.
    fn with(f: impl FnOnce(&mut Submission), rehash: bool) -> Submission {
        let mut s = sample();
        f(&mut s);
        if rehash {
            s.body.ext_data_hash = s.body.ext.hash();
        }
        s
    }

    #[test]
    fn a_well_formed_transfer_passes() {
        assert_eq!(check_stateless(&sample(), &CHAIN), Ok(()));
    }

    #[test]
    fn each_stateless_rule_refuses_with_its_reason() {
        use ShieldedRefusal as R;
        let cases: Vec<(Submission, R)> = vec![
            (
                with(
                    |s| s.ciphertexts[1] = Bytes::from(vec![0u8; CT_LEN + 1]),
                    false,
                ),
                R::CiphertextSize {
                    index: 1,
                    len: CT_LEN + 1,
                    expected: CT_LEN,
                },
            ),
            (
                with(|s| s.ciphertexts[0] = Bytes::new(), false),
                R::CiphertextSize {
                    index: 0,
                    len: 0,
                    expected: CT_LEN,
                },
            ),
            (
                with(|s| s.body.ext.kind = 3, true),
                R::WrongKind { kind: 3 },
            ),
            (
                with(|s| s.body.ext.kind = 0, true),
                R::WrongKind { kind: 0 },
            ),
            (
                with(|s| s.body.public_amount = U256::from(1), false),
                R::NonzeroPublicAmount {
                    public_amount: U256::from(1),
                },
            ),
            (
                with(|s| s.body.public_amount = BN254_R - U256::from(5), false),
                R::NonzeroPublicAmount {
                    public_amount: BN254_R - U256::from(5),
                },
            ),
            (
                with(|s| s.nullifiers[1] = BN254_R, false),
                R::NotAField {
                    field: "nullifier1",
                },
            ),
            (
                with(|s| s.body.root = U256::MAX, false),
                R::NotAField { field: "root" },
            ),
            (
                with(|s| s.body.ext.recipient = Address::repeat_byte(1), true),
                R::ExtField {
                    field: "recipient",
                    expected: "zero for a TRANSFER".into(),
                },
            ),
            (
                with(|s| s.body.ext.fee = 1, true),
                R::ExtField {
                    field: "fee",
                    expected: "0 for a TRANSFER".into(),
                },
            ),
            (
                with(|s| s.body.ext.chain_id = 1, true),
                R::ExtField {
                    field: "chainId",
                    expected: "31337".into(),
                },
            ),
            (
                with(|s| s.body.ext.policy = 2, true),
                R::ExtField {
                    field: "policy",
                    expected: "1".into(),
                },
            ),
            (
                with(|s| s.ciphertexts[1] = Bytes::from(vec![7u8; CT_LEN]), false),
                R::CiphertextHash { index: 1 },
            ),
            (
                with(|s| s.body.ext.nonce = B256::ZERO, false),
                R::ExtDataHash,
            ),
        ];
        for (s, want) in cases {
            assert_eq!(check_stateless(&s, &CHAIN), Err(want));
        }
        let wrong_pool = with(|s| s.body.ext.anchor = Address::repeat_byte(1), true);
        assert!(matches!(
            check_stateless(&wrong_pool, &CHAIN),
            Err(ShieldedRefusal::ExtField {
                field: "anchor",
                ..
            })
        ));
    }

    #[test]
    fn expiry_is_a_window_from_the_next_block() {
        assert_eq!(check_expiry(100, 100), Ok(()));
        assert_eq!(check_expiry(100 + MAX_LIFETIME, 100), Ok(()));
        assert_eq!(
            check_expiry(99, 100),
            Err(ShieldedRefusal::Expired {
                expiry: 99,
                now: 100
            })
        );
        assert_eq!(
            check_expiry(101 + MAX_LIFETIME, 100),
            Err(ShieldedRefusal::ExpiryTooFar {
                expiry: 101 + MAX_LIFETIME,
                limit: 100 + MAX_LIFETIME
            })
        );
        assert!(check_expiry(u64::MAX, u64::MAX - 1).is_ok(), "no overflow");
    }

    #[test]
    fn the_root_must_be_a_committed_nonzero_note_root() {
        let r = B256::from(U256::from(11).to_be_bytes::<32>());
        assert_eq!(check_root(3, U256::from(11), 5, 4, Some(r)), Ok(()));
        assert_eq!(
            check_root(6, U256::from(11), 5, 5, None),
            Err(ShieldedRefusal::UnknownRootBlock {
                root_block: 6,
                tip: 5
            })
        );
        assert_eq!(
            check_root(0, U256::from(11), 5, 5, Some(r)),
            Err(ShieldedRefusal::UnknownRootBlock {
                root_block: 0,
                tip: 5
            })
        );
        assert_eq!(
            check_root(5, U256::from(11), 5, 4, Some(r)),
            Err(ShieldedRefusal::RootBlockNotCommitted {
                root_block: 5,
                l1_committed: 4
            })
        );
        assert_eq!(
            check_root(2, U256::ZERO, 5, 4, Some(B256::ZERO)),
            Err(ShieldedRefusal::EmptyRoot { root_block: 2 })
        );
        assert_eq!(
            check_root(3, U256::from(12), 5, 4, Some(r)),
            Err(ShieldedRefusal::RootMismatch { root_block: 3 })
        );
    }

    #[test]
    fn nullifiers_must_be_distinct_unspent_and_not_pooled() {
        let nf = [U256::from(1), U256::from(2)];
        let none = |_| Ok::<_, ()>(None);
        let no_exit = |_| Ok::<Option<u32>, ()>(None);
        assert_eq!(check_nullifiers(&nf, none, no_exit, |_| false), Ok(()));
        assert_eq!(
            check_nullifiers(&[nf[0], nf[0]], none, no_exit, |_| false),
            Err(ShieldedRefusal::SameNullifier)
        );
        let spent = |n: U256| Ok::<_, ()>((n == nf[1]).then_some(7));
        assert_eq!(
            check_nullifiers(&nf, spent, no_exit, |_| false),
            Err(ShieldedRefusal::NullifierSpent { index: 1, block: 7 })
        );
        let exited = |n: U256| Ok::<_, ()>((n == nf[1]).then_some(3u32));
        assert_eq!(
            check_nullifiers(&nf, none, exited, |_| false),
            Err(ShieldedRefusal::NullifierExited { index: 1, exit: 3 })
        );
        assert_eq!(
            check_nullifiers(&nf, none, no_exit, |n| n == nf[0]),
            Err(ShieldedRefusal::PoolDuplicate { index: 0 })
        );
        assert_eq!(
            check_nullifiers(&nf, |_| Err(()), no_exit, |_| false),
            Err(ShieldedRefusal::Internal)
        );
        assert_eq!(
            check_nullifiers(&nf, none, |_| Err(()), |_| false),
            Err(ShieldedRefusal::Internal)
        );
    }
}
