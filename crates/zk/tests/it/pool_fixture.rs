//! `test-vectors/zk/pool_fixture.json`: a deposit note, its tree root, and an EXIT and a TRANSFER
//! proof spending it, for the ShieldedPool's forge tests (schema: test-vectors/zk/README.md).
//! Deterministic (fixed keys, seeded prover randomness): regenerating gives the same file.

use ark_ff::{PrimeField, UniformRand, Zero};
use ark_std::rand::{SeedableRng, rngs::StdRng};
use debye_zk::{
    Fr,
    circuit::{InputAssignment, JoinSplitCircuit, OutputAssignment, PublicInputs},
    ext_data::{ExtData, ext_tag},
    groth16::{self, word_hex},
    keys::Keys,
    merkle::{MerkleTree, TREE_DEPTH},
    note::{Note, cm_zero, encrypt_note},
};
use serde_json::{Value, json};

use crate::groth16::keys;
use crate::util::{check_committed, vector_path};

const CHAIN_ID: u64 = 31337;
const ANCHOR: [u8; 20] = hex20("00000000000000000000000000000000deb1e001");
const EXPIRY: u64 = 2_000_000_000;
const AMOUNT: u64 = 1000;

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("hex"),
    }
}

const fn hex20(s: &str) -> [u8; 20] {
    let b = s.as_bytes();
    let mut out = [0u8; 20];
    let mut i = 0;
    while i < 20 {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

fn w(x: &Fr) -> String {
    word_hex(&ark_ff::BigInteger::to_bytes_be(&x.into_bigint()))
}

fn h(b: &[u8]) -> String {
    format!("0x{}", hex::encode(b))
}

fn ext_json(e: &ExtData) -> Value {
    json!({
        "kind": e.kind,
        "recipient": h(&e.recipient),
        "feeRecipient": h(&e.fee_recipient),
        "fee": e.fee,
        "expiry": e.expiry,
        "chainId": e.chain_id,
        "anchor": h(&e.anchor),
        "policy": e.policy,
        "nonce": h(&e.nonce),
        "ctHash0": h(&e.ct_hash[0]),
        "ctHash1": h(&e.ct_hash[1]),
    })
}

fn proof_json(public: &PublicInputs, circuit: JoinSplitCircuit, seed: u64, ext: &ExtData) -> Value {
    let proof =
        groth16::prove(&keys().0, circuit, &mut StdRng::seed_from_u64(seed)).expect("prove");
    assert!(groth16::verify(&keys().1, public, &proof).expect("verify"));
    json!({
        "public_inputs": groth16::public_input_words(public),
        "proof": groth16::proof_words(&proof),
        "ext": ext_json(ext),
        "ext_encoded": h(&ext.abi_encode_struct()),
        "ext_data_hash": w(&ext.hash()),
    })
}

/// The fixture as JSON text.
fn fixture() -> String {
    let alice = Keys::from_seed([0xd0; 32]).expect("keys");
    let bob = Keys::from_seed([0xd1; 32]).expect("keys");
    let (a, nk) = (alice.auth().public(), alice.nullifier_key().to_field());
    let secret = alice.output_secret(0);
    let deposit = Note {
        owner: alice.address().owner,
        token: Fr::zero(),
        amount: AMOUNT,
        randomness: secret.randomness(Fr::from(1u64)),
    };
    let cm = deposit.commitment();
    // S-3.2: the deposit's aligned pair, cm at position 0 and the empty leaf at 1.
    let mut tree = MerkleTree::new();
    let mut witness = tree.append_tracked(cm).expect("append");
    tree.append(Fr::zero()).expect("append");
    witness.append(Fr::zero()).expect("feed");
    let root = tree.root();
    let real = InputAssignment::new(&deposit, a, nk, &witness.path());
    // The second input is a dummy (amount 0, §6.9) under Alice's own key.
    let mut rng = StdRng::seed_from_u64(0xd0);
    let mut dummy = real.clone();
    dummy.amount = Fr::zero();
    dummy.randomness = Fr::rand(&mut rng);
    dummy.position = 1;
    dummy.siblings = vec![Fr::zero(); TREE_DEPTH];

    // EXIT: the whole note to L1, both outputs CM_ZERO (docs/shielded.md S-5.5).
    let exit_ext = ExtData::exit(
        hex20("000000000000000000000000000000000000beef"),
        hex20("000000000000000000000000000000000000fee0"),
        10,
        EXPIRY,
        CHAIN_ID,
        ANCHOR,
        [0xe1; 32],
    );
    let exit = JoinSplitCircuit::new(
        [real.clone(), dummy.clone()],
        [OutputAssignment::zero(), OutputAssignment::zero()],
        root,
        -(AMOUNT as i128),
        Fr::zero(),
        exit_ext.hash(),
    )
    .expect("exit")
    .sign(alice.auth())
    .expect("sign");
    assert_eq!(exit.public.commitments, [cm_zero(); 2]);

    // TRANSFER: 400 to Bob, 600 change to Alice, publicAmount 0 (S-3.1).
    let out = |owner: Fr, amount: u64, i: u64| Note {
        owner,
        token: Fr::zero(),
        amount,
        randomness: secret.randomness(Fr::from(i)),
    };
    let (o0, o1) = (
        out(bob.address().owner, 400, 2),
        out(alice.address().owner, 600, 3),
    );
    let ct0 = encrypt_note(&o0, &bob.address(), [0x51; 32]).expect("encrypt");
    let ct1 = encrypt_note(&o1, &alice.address(), [0x52; 32]).expect("encrypt");
    let transfer_ext = ExtData::transfer(CHAIN_ID, ANCHOR, EXPIRY, [0x7a; 32], [&ct0, &ct1]);
    let transfer = JoinSplitCircuit::new(
        [real, dummy],
        [OutputAssignment::new(&o0), OutputAssignment::new(&o1)],
        root,
        0,
        Fr::zero(),
        transfer_ext.hash(),
    )
    .expect("transfer")
    .sign(alice.auth())
    .expect("sign");

    let (exit_public, transfer_public) = (exit.public, transfer.public);
    let mut transfer_json = proof_json(&transfer_public, transfer, 0x7a, &transfer_ext);
    transfer_json["ciphertexts"] = json!([h(&ct0), h(&ct1)]);
    transfer_json["outputs"] = json!(
        [o0, o1]
            .iter()
            .map(|n| json!({
                "owner_part": w(&n.owner_part()),
                "token": w(&n.token),
                "amount": n.amount,
                "commitment": w(&n.commitment()),
            }))
            .collect::<Vec<_>>()
    );
    let file = json!({
        "description": "ShieldedPool fixture (INSECURE dev setup keys): a 1000-unit ETH deposit note at positions 0/1, and an EXIT and a TRANSFER proof spending it. Produced by crates/zk tests/it/pool_fixture.rs; schema in test-vectors/zk/README.md.",
        "verifying_key_sha256": h(&groth16::vk_hash(&keys().1).expect("hash")),
        "constants": {
            "cm_zero": w(&cm_zero()),
            "ext_tag": h(&ext_tag()),
            "tree_depth": TREE_DEPTH,
        },
        "deposit": {
            "owner_part": w(&deposit.owner_part()),
            "token": w(&deposit.token),
            "amount": AMOUNT,
            "commitment": w(&cm),
            "position": 0,
        },
        "tree": {
            "leaves": [w(&cm), w(&Fr::zero())],
            "root": w(&root),
        },
        "exit": proof_json(&exit_public, exit, 0xe1, &exit_ext),
        "transfer": transfer_json,
    });
    serde_json::to_string_pretty(&file).expect("json") + "\n"
}

#[test]
fn pool_fixture_is_current() {
    check_committed(&vector_path("pool_fixture.json"), &fixture());
}
