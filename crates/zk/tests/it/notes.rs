//! Notes, nullifiers, encrypted delivery and the incremental Merkle tree.

use ark_ff::{UniformRand, Zero};
use debye_zk::{
    Error, Fr,
    keys::Keys,
    merkle::{MerkleTree, TREE_DEPTH, zero_hashes},
    note::{self, Note, encrypt_note, nullifier, token_from_address, try_decrypt_note},
    poseidon::{hash, hash2},
};
use proptest::prelude::*;

fn keys(i: u8) -> Keys {
    Keys::from_seed([i; 32]).expect("keys")
}

fn sample_note(k: &Keys, amount: u64) -> Note {
    Note {
        owner: k.address().owner,
        token: token_from_address(&[0xaa; 20]),
        amount,
        randomness: k.output_secret(0).randomness(Fr::from(amount)),
    }
}

#[test]
fn commitment_and_nullifier_definitions() {
    let k = keys(1);
    let n = sample_note(&k, 5);
    // §4.1 split commitment: ownerPart = Poseidon(3, owner, rho), cm = Poseidon(ownerPart,
    // token, amount).
    let part = hash([Fr::from(3u64), n.owner, n.randomness]);
    assert_eq!(n.owner_part(), part);
    assert_eq!(n.commitment(), hash([part, n.token, Fr::from(5u64)]));
    assert_eq!(note::cm_zero(), hash([Fr::zero(); 3]));
    assert_ne!(
        Note {
            randomness: Fr::from(9u64),
            ..n
        }
        .commitment(),
        n.commitment()
    );
    let cm = n.commitment();
    let nk = k.nullifier_key().to_field();
    assert_eq!(nullifier(&nk, &cm, 3), hash([nk, cm, Fr::from(3u64)]));
    assert_ne!(nullifier(&nk, &cm, 3), nullifier(&nk, &cm, 4));
    assert_ne!(
        nullifier(&nk, &cm, 3),
        nullifier(&keys(2).nullifier_key().to_field(), &cm, 3)
    );
    assert_ne!(Note { amount: 6, ..n }.commitment(), cm);
}

#[test]
fn note_encryption_roundtrip_detection_and_tamper() {
    let (alice, bob) = (keys(1), keys(2));
    let n = sample_note(&alice, 1_000_000);
    let ct = encrypt_note(&n, &alice.address(), [7u8; 32]).expect("encrypt");
    assert_eq!(ct.len(), note::NOTE_CIPHERTEXT_LEN);
    let got = try_decrypt_note(alice.viewing(), &alice.address().owner, &ct).expect("ok");
    assert_eq!(got, Some(n));
    // Someone else: the detection tag almost always mismatches (2^-16 false positives), and a
    // false positive still fails authentication rather than yielding a note.
    match try_decrypt_note(bob.viewing(), &bob.address().owner, &ct) {
        Ok(None) | Err(Error::Decryption) => {}
        other => panic!("bob decrypted alice's note: {other:?}"),
    }
    for i in [0usize, 5, 34, 40, ct.len() - 1] {
        let mut bad = ct.clone();
        bad[i] ^= 1;
        assert!(
            !matches!(
                try_decrypt_note(alice.viewing(), &alice.address().owner, &bad),
                Ok(Some(_))
            ),
            "tampered byte {i} accepted"
        );
    }
    assert!(try_decrypt_note(alice.viewing(), &alice.address().owner, &ct[1..]).is_err());
}

/// Root of the sparse tree over `leaves`, computed level by level from scratch.
fn naive_root(leaves: &[Fr]) -> Fr {
    let zeros = zero_hashes();
    let mut layer = leaves.to_vec();
    for z in zeros.iter().take(TREE_DEPTH) {
        if layer.len() % 2 == 1 {
            layer.push(*z);
        }
        layer = layer.chunks(2).map(|p| hash2(p[0], p[1])).collect();
        if layer.is_empty() {
            layer.push(hash2(*z, *z));
        }
    }
    layer[0]
}

#[test]
fn empty_tree_root() {
    let t = MerkleTree::new();
    assert!(t.is_empty());
    assert_eq!(t.root(), zero_hashes()[TREE_DEPTH]);
    assert_eq!(zero_hashes()[1], hash2(Fr::zero(), Fr::zero()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]
    #[test]
    fn witnesses_track_the_tree(n in 1usize..40, tracked in proptest::collection::vec(0usize..40, 1..4), seed in any::<u64>()) {
        let mut rng = <ark_std::rand::rngs::StdRng as ark_std::rand::SeedableRng>::seed_from_u64(seed);
        let leaves: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let mut tree = MerkleTree::new();
        let mut witnesses = Vec::new();
        for (i, leaf) in leaves.iter().enumerate() {
            for w in witnesses.iter_mut() {
                debye_zk::merkle::Witness::append(w, *leaf).expect("append");
            }
            if tracked.contains(&i) {
                witnesses.push(tree.append_tracked(*leaf).expect("append"));
            } else {
                tree.append(*leaf).expect("append");
            }
            for w in &witnesses {
                prop_assert_eq!(w.root(), tree.root());
            }
        }
        prop_assert_eq!(tree.root(), naive_root(&leaves));
        for w in &witnesses {
            prop_assert_eq!(w.path().root(leaves[w.position() as usize]), tree.root());
            // A different leaf does not verify under the same path.
            prop_assert_ne!(w.path().root(w.leaf() + Fr::from(1u64)), tree.root());
        }
    }
}

/// Owner fields, commitments, nullifiers, tree roots, external-data hashes, a note ciphertext and
/// the intent digest, cross-checked by scripts/zk/check-notes.mjs (circomlibjs Poseidon, viem
/// ABI/keccak, Node's own X25519/HKDF/ChaCha20-Poly1305).
#[test]
fn committed_vectors_are_current() {
    use ark_ff::PrimeField;
    use debye_zk::{
        ext_data::ExtData,
        keys::{ShieldedAddress, ViewingKey},
    };
    use serde_json::json;

    let dec = |x: &Fr| x.into_bigint().to_string();
    let k = keys(9);
    let a = k.auth().public();
    let nk = k.nullifier_key().to_field();
    let owner = k.address().owner;
    let mut tree = MerkleTree::new();
    let mut notes = Vec::new();
    let mut roots = Vec::new();
    for (i, amount) in [0u64, 1, 1_000_000, u64::MAX, 42].into_iter().enumerate() {
        let n = Note {
            owner,
            token: token_from_address(&[i as u8 + 1; 20]),
            amount,
            randomness: k.output_secret(i as u32).randomness(Fr::from(i as u64)),
        };
        let cm = n.commitment();
        let pos = tree.append(cm).expect("append");
        roots.push(dec(&tree.root()));
        notes.push(json!({
            "owner": dec(&n.owner), "token": dec(&n.token), "amount": amount.to_string(),
            "randomness": dec(&n.randomness), "owner_part": dec(&n.owner_part()), "commitment": dec(&cm),
            "position": pos, "nullifier": dec(&nullifier(&nk, &cm, pos)),
        }));
    }
    let exit = ExtData::exit(
        [0xab; 20],
        [0xfe; 20],
        123_456_789,
        2_000_000_000,
        31337,
        [0xde; 20],
        [0xcd; 32],
    );
    let transfer = ExtData::transfer(1, [0xde; 20], 1_999_999_999, [0x5a; 32], [&[1, 2, 3], &[]]);
    let ext_json = |e: &ExtData, cts: Option<[&[u8]; 2]>| {
        let h = |b: &[u8]| format!("0x{}", hex::encode(b));
        json!({
            "kind": e.kind, "recipient": h(&e.recipient), "fee_recipient": h(&e.fee_recipient),
            "fee": e.fee.to_string(), "expiry": e.expiry.to_string(), "chain_id": e.chain_id.to_string(),
            "anchor": h(&e.anchor), "policy": e.policy, "nonce": h(&e.nonce),
            "ct_hash": [h(&e.ct_hash[0]), h(&e.ct_hash[1])],
            "ciphertexts": cts.map(|c| vec![h(c[0]), h(c[1])]),
            "abi_encoded": h(&e.abi_encode()), "hash": dec(&e.hash()),
        })
    };
    // Note encryption to a fixed viewing key.
    let viewing_secret = [0x77u8; 32];
    let vk = ViewingKey::from_bytes(viewing_secret);
    let to = ShieldedAddress {
        owner,
        viewing_public: vk.public(),
    };
    let enc_note = Note {
        owner,
        token: token_from_address(&[0x11; 20]),
        amount: 987_654_321,
        randomness: Fr::from(5u64),
    };
    let ct = encrypt_note(&enc_note, &to, [0x99; 32]).expect("encrypt");
    let fixture = crate::joinsplit::scenario();
    let file = json!({
        "description": "Notes (docs/circuits.md §3-§6; split commitment and ExtData v1 of docs/shielded.md S-4.1, S-3.4) produced by crates/zk (tests/it/notes.rs); decimal field elements. Checked by scripts/zk/check-notes.mjs against circomlibjs 0.1.7 Poseidon, viem's ABI encoding and keccak, and Node's X25519/HKDF-SHA256/ChaCha20-Poly1305.",
        "keys": {
            "auth_public": [dec(&a.x), dec(&a.y)], "nullifier_key": dec(&nk), "owner": dec(&owner),
        },
        "notes": notes,
        "cm_zero": dec(&note::cm_zero()),
        "tree": { "depth": TREE_DEPTH, "roots_after_each_append": roots, "empty_root": dec(&zero_hashes()[TREE_DEPTH]) },
        "ext_data": {
            "tag": format!("0x{}", hex::encode(debye_zk::ext_data::ext_tag())),
            "exit": ext_json(&exit, None),
            "transfer": ext_json(&transfer, Some([&[1, 2, 3], &[]])),
        },
        "note_encryption": {
            "viewing_secret": hex::encode(viewing_secret), "viewing_public": hex::encode(vk.public()),
            "token": dec(&enc_note.token), "amount": enc_note.amount.to_string(),
            "randomness": dec(&enc_note.randomness), "ciphertext": hex::encode(&ct),
        },
        "intent": {
            "public_inputs": fixture.public.to_vec().iter().map(&dec).collect::<Vec<_>>(),
            "digest": dec(&fixture.public.intent_digest()),
        },
    });
    crate::util::check_committed(
        &crate::util::vector_path("notes.json"),
        &(serde_json::to_string_pretty(&file).expect("json") + "\n"),
    );
}
