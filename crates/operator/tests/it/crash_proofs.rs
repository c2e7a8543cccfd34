//! The shielded transfers of the crash test (`crash.rs`), proved once and cached under
//! `target/`: Alice's notes, their commitments and the tree they make are fixed, and so are
//! anvil's chain id and the pool's address, so a proof stays good for as long as its `expiry`
//! is (docs/shielded.md S-8.3: at most `MAX_LIFETIME` ahead). The expiry is rounded down to the
//! hour, so every run within an hour finds the same key; a cache made for another root, pool,
//! chain or expiry is proved again, never used.

use std::path::PathBuf;

use alloy_primitives::{Address, B256, Bytes, U256};
use ark_ff::PrimeField;
use ark_std::rand::{SeedableRng, rngs::StdRng};
use debye_primitives::shielded::{ExtData, TransferBody};
use debye_rpc_api::types::ShieldedTransfer;
use debye_zk::{
    Fr,
    circuit::{InputAssignment, JoinSplitCircuit, OutputAssignment},
    ext_data, groth16,
    keys::Keys,
    merkle::{MerkleTree, Witness},
    note::{Note, encrypt_note},
};
use serde::{Deserialize, Serialize};

use crate::shielded::{proof_words, word};

/// Transfers in the test; each spends two deposited notes.
pub const TRANSFERS: usize = 4;

/// Bump when the layout of the transfers changes (a cache of another layout is proved again).
const FORMAT: u32 = 1;

/// `MAX_LIFETIME` of docs/shielded.md S-8.3.
const MAX_LIFETIME: u64 = 86_400;

/// Alice, whose notes are deposited and spent.
pub fn alice() -> Keys {
    Keys::from_seed([0xa1; 32]).unwrap()
}

/// Alice's `2 * TRANSFERS` notes (10, 11, … units of ETH), in deposit order.
pub fn notes(alice: &Keys) -> Vec<Note> {
    let secret = alice.output_secret(0);
    (0..2 * TRANSFERS as u64)
        .map(|i| Note {
            owner: alice.address().owner,
            token: Fr::from(0u64),
            amount: 10 + i,
            randomness: secret.randomness(Fr::from(100 + i)),
        })
        .collect()
}

/// The note tree's leaves after the deposits: each DEPOSIT entry appends `[cm, 0]` (S-3.3).
pub fn leaves(notes: &[Note]) -> Vec<Fr> {
    notes
        .iter()
        .flat_map(|n| [n.commitment(), Fr::from(0u64)])
        .collect()
}

/// An expiry every run within the same hour agrees on: `now ≤ expiry ≤ now + MAX_LIFETIME`
/// for the next day or so, with `l1_now` anvil's time (the clock headers are stamped with).
pub fn expiry(l1_now: u64) -> u64 {
    (l1_now.saturating_sub(300) / 3_600) * 3_600 + MAX_LIFETIME
}

#[derive(Serialize, Deserialize, PartialEq, Eq, Debug)]
struct Key {
    format: u32,
    chain_id: u64,
    pool: Address,
    root: U256,
    expiry: u64,
}

#[derive(Serialize, Deserialize)]
struct Cache {
    key: Key,
    transfers: Vec<ShieldedTransfer>,
}

fn cache_path() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("crash-shielded-transfers.json")
}

/// The test's transfers for `chain_id`, `pool` and `expiry` (`rootBlock` 0: the caller sets it,
/// the proof does not cover it), from the cache when it was made for the same key; otherwise
/// proved here (a few seconds) and cached. `fresh` forces proving (the node refused a cached
/// proof: the circuit or the development key changed).
pub fn transfers(chain_id: u64, pool: Address, expiry: u64, fresh: bool) -> Vec<ShieldedTransfer> {
    let alice = alice();
    let notes = notes(&alice);
    let leaves = leaves(&notes);
    let mut tree = MerkleTree::new();
    for l in &leaves {
        tree.append(*l).unwrap();
    }
    let key = Key {
        format: FORMAT,
        chain_id,
        pool,
        root: word(&tree.root()),
        expiry,
    };
    let path = cache_path();
    if !fresh
        && let Ok(text) = std::fs::read(&path)
        && let Ok(cache) = serde_json::from_slice::<Cache>(&text)
        && cache.key == key
        && cache.transfers.len() == TRANSFERS
    {
        return cache.transfers;
    }
    eprintln!("proving {TRANSFERS} shielded transfers for {key:?} (no usable cache)");
    let (pk, _) = groth16::insecure_dev_setup().unwrap();
    let transfers: Vec<_> = (0..TRANSFERS)
        .map(|k| prove(&pk, &alice, &notes, &leaves, k, &key))
        .collect();
    let cache = Cache {
        key,
        transfers: transfers.clone(),
    };
    // Written whole, then renamed: an interrupted run leaves no half a cache.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, serde_json::to_vec(&cache).unwrap()).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    transfers
}

/// Transfer `k`: Alice's notes `2k` and `2k+1` (leaves `4k` and `4k+2`), the first's amount to
/// Bob and the second's back to her.
fn prove(
    pk: &groth16::JoinSplitProvingKey,
    alice: &Keys,
    notes: &[Note],
    leaves: &[Fr],
    k: usize,
    key: &Key,
) -> ShieldedTransfer {
    let tracked = [4 * k, 4 * k + 2];
    let mut tree = MerkleTree::new();
    let mut witnesses: Vec<Witness> = Vec::new();
    for (i, leaf) in leaves.iter().enumerate() {
        for w in &mut witnesses {
            w.append(*leaf).unwrap();
        }
        if tracked.contains(&i) {
            witnesses.push(tree.append_tracked(*leaf).unwrap());
        } else {
            tree.append(*leaf).unwrap();
        }
    }
    let nk = alice.nullifier_key().to_field();
    let a = alice.auth().public();
    let inputs =
        [0, 1].map(|j| InputAssignment::new(&notes[2 * k + j], a, nk, &witnesses[j].path()));
    let bob = Keys::from_seed([0xb0; 32]).unwrap();
    let secret = alice.output_secret(0);
    let out = |owner: &Keys, amount: u64, j: usize| Note {
        owner: owner.address().owner,
        token: Fr::from(0u64),
        amount,
        randomness: secret.randomness(Fr::from((1_000 + 2 * k + j) as u64)),
    };
    let (o0, o1) = (
        out(&bob, notes[2 * k].amount, 0),
        out(alice, notes[2 * k + 1].amount, 1),
    );
    let ct0 = encrypt_note(&o0, &bob.address(), [k as u8 + 1; 32]).unwrap();
    let ct1 = encrypt_note(&o1, &alice.address(), [k as u8 + 101; 32]).unwrap();
    let zext = ext_data::ExtData::transfer(
        key.chain_id,
        key.pool.0.0,
        key.expiry,
        [k as u8 + 0x40; 32],
        [&ct0, &ct1],
    );
    let c = JoinSplitCircuit::new(
        inputs,
        [OutputAssignment::new(&o0), OutputAssignment::new(&o1)],
        tree.root(),
        0,
        Fr::from(0u64),
        zext.hash(),
    )
    .unwrap()
    .sign(alice.auth())
    .unwrap();
    let public = c.public;
    let proof = groth16::prove(pk, c, &mut StdRng::seed_from_u64(k as u64)).unwrap();
    let ext = ExtData {
        kind: zext.kind,
        recipient: Address::from(zext.recipient),
        fee_recipient: Address::from(zext.fee_recipient),
        fee: zext.fee,
        expiry: zext.expiry,
        chain_id: zext.chain_id,
        anchor: Address::from(zext.anchor),
        policy: zext.policy,
        nonce: B256::from(zext.nonce),
        ct_hash0: B256::from(zext.ct_hash[0]),
        ct_hash1: B256::from(zext.ct_hash[1]),
    };
    assert_eq!(
        word(&public.ext_data_hash),
        ext.hash(),
        "zk and primitives agree"
    );
    ShieldedTransfer {
        body: TransferBody {
            root_block: 0,
            root: word(&public.root),
            public_amount: U256::ZERO,
            token: U256::ZERO,
            ext_data_hash: word(&public.ext_data_hash),
            proof: proof_words(&proof),
            ext,
        },
        nullifiers: public.nullifiers.map(|x| word(&x)),
        commitments: public.commitments.map(|x| word(&x)),
        ciphertexts: [Bytes::from(ct0), Bytes::from(ct1)],
    }
}

/// `cm` as a field element (a header word back into the tree).
pub fn fr(x: U256) -> Fr {
    Fr::from_be_bytes_mod_order(&x.to_be_bytes::<32>())
}
