//! Committed test vectors (`test-vectors/primitives/*.json`, format in `docs/formats.md`).
//!
//! `generated_vectors_match_committed` regenerates every file in memory and fails when the
//! committed copy differs; run it with `DEBYE_REGEN_VECTORS=1` to rewrite the files instead.
//! The `committed_*` tests read the committed files back and check every case with the library
//! (decode, hash, recover, verify), independently of how the files were produced.

use std::{
    fs,
    path::{Path, PathBuf},
};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::{Eip712Domain, SolStruct, SolValue};
use debye_primitives::{
    Block, BlockBuilder, BlockHeader, Codec, ExclusionProof, InclusionProof, Input, Output,
    ProofNode, Segment, SignedTransaction, SumMerkleProof, SumMerkleTree, Transaction, abi,
    coin::{self, COIN_SPACE_END, TOKEN_SPACE_SIZE, coin_id},
    test_utils::{segment, test_address, test_domain, test_key},
    tree::MAX_PROOF_DEPTH,
    tx::{self, DEPOSIT_TX_INDEX, MAX_INPUTS, MAX_OUTPUTS, SECP256K1_HALF_N},
};
use k256::ecdsa::SigningKey;
use serde_json::{Value, json};

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-vectors/primitives")
}

const FILES: [&str; 4] = [
    "transactions.json",
    "trees.json",
    "headers.json",
    "shielded_entries.json",
];

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

fn seg(token: u32, a: u128, b: u128) -> Segment {
    segment(token, a, b).expect("test segment is valid")
}

fn raw_seg(start: U256, end: U256) -> abi::Segment {
    abi::Segment { start, end }
}

fn keys(ids: &[u64]) -> Vec<SigningKey> {
    ids.iter().map(|i| test_key(*i)).collect()
}

/// Signs an ABI-level transaction (which may break the domain invariants) with `keys`, in order.
fn sign_raw(
    tx: abi::Transaction,
    domain: &Eip712Domain,
    keys: &[SigningKey],
) -> abi::SignedTransaction {
    let digest = tx.eip712_signing_hash(domain);
    let sigs: Vec<u8> = keys
        .iter()
        .flat_map(|k| tx::signature_to_bytes(&tx::sign_digest(k, &digest).expect("signs")))
        .collect();
    abi::SignedTransaction {
        transaction: tx,
        signatures: sigs.into(),
    }
}

fn input(owner: u64, block: u64, tx_index: u32, out: u8, s: Segment) -> Input {
    Input {
        owner: test_address(owner),
        block_index: block,
        tx_index,
        output_index: out,
        segment: s,
    }
}

fn output(owner: u64, s: Segment) -> Output {
    Output {
        owner: test_address(owner),
        segment: s,
    }
}

// ---------------------------------------------------------------- transactions

/// Valid transactions: (name, transaction, key ids that sign).
fn valid_txs() -> Vec<(&'static str, Transaction, Vec<u64>)> {
    let mut v = vec![
        (
            "deposit-transfer",
            Transaction {
                inputs: vec![Input::deposit(test_address(1), 1, seg(0, 0, 1_000))],
                outputs: vec![output(2, seg(0, 0, 1_000))],
                max_block_index: 100,
            },
            vec![1],
        ),
        (
            "split-with-change",
            Transaction {
                inputs: vec![input(2, 2, 0, 0, seg(0, 0, 1_000))],
                outputs: vec![output(3, seg(0, 0, 300)), output(2, seg(0, 300, 1_000))],
                max_block_index: 100,
            },
            vec![2],
        ),
        (
            "merge-two-inputs",
            Transaction {
                inputs: vec![
                    input(3, 3, 0, 0, seg(0, 0, 300)),
                    input(3, 4, 7, 1, seg(0, 300, 600)),
                ],
                outputs: vec![output(1, seg(0, 0, 600))],
                max_block_index: 100,
            },
            vec![3],
        ),
        (
            "atomic-swap-eth-for-token",
            Transaction {
                inputs: vec![
                    input(1, 5, 2, 0, seg(0, 2_000, 2_500)),
                    Input::deposit(test_address(2), 6, seg(1, 0, 10)),
                ],
                outputs: vec![output(2, seg(0, 2_000, 2_500)), output(1, seg(1, 0, 10))],
                max_block_index: 200,
            },
            vec![1, 2],
        ),
        (
            "reshuffle-segments",
            Transaction {
                inputs: vec![
                    input(4, 9, 1, 3, seg(5, 10, 20)),
                    input(4, 9, 1, 4, seg(5, 0, 10)),
                ],
                outputs: vec![
                    output(1, seg(5, 5, 20)),
                    output(2, seg(5, 0, 2)),
                    output(3, seg(5, 2, 5)),
                ],
                max_block_index: 9,
            },
            vec![4],
        ),
        (
            "across-token-boundary",
            Transaction {
                inputs: vec![
                    input(1, 7, 0, 0, token_tail(0, 10)),
                    input(1, 7, 0, 1, seg(1, 0, 10)),
                ],
                outputs: vec![
                    output(
                        2,
                        Segment::new(token_tail(0, 10).start(), token_tail(0, 4).start())
                            .expect("ok"),
                    ),
                    output(3, token_tail(0, 4)),
                    output(2, seg(1, 0, 10)),
                ],
                max_block_index: 7,
            },
            vec![1],
        ),
        (
            "end-of-coin-space",
            Transaction {
                inputs: vec![input(3, u64::MAX - 1, u32::MAX - 1, 15, last_coins(1_000))],
                outputs: vec![output(4, last_coins(1_000))],
                max_block_index: u64::MAX,
            },
            vec![3],
        ),
    ];
    // 16 inputs from two owners, 16 outputs, every input in a different block.
    let inputs: Vec<Input> = (0..MAX_INPUTS as u128)
        .map(|i| {
            input(
                1 + (i % 2) as u64,
                10 + i as u64,
                i as u32,
                (i % 16) as u8,
                seg(2, i * 10, i * 10 + 10),
            )
        })
        .collect();
    let outputs: Vec<Output> = (0..MAX_OUTPUTS as u128)
        .map(|i| output(3 + (i % 2) as u64, seg(2, i * 10, i * 10 + 10)))
        .collect();
    v.push((
        "max-inputs-and-outputs",
        Transaction {
            inputs,
            outputs,
            max_block_index: 1_000,
        },
        vec![1, 2],
    ));
    v
}

/// The last `n` coins of token `u32::MAX` (ending at 2^160).
fn last_coins(n: u128) -> Segment {
    Segment::new(COIN_SPACE_END - U256::from(n), COIN_SPACE_END).expect("valid")
}

/// The last `n` coins of token `t`.
fn token_tail(t: u32, n: u128) -> Segment {
    let end = coin::token_end(t);
    Segment::new(end - U256::from(n), end).expect("valid")
}

/// Invalid signed transactions: (name, wire value, expected error code).
fn invalid_txs(d: &Eip712Domain) -> Vec<(String, abi::SignedTransaction, &'static str)> {
    let base = Transaction {
        inputs: vec![
            input(1, 3, 0, 0, seg(0, 0, 100)),
            input(1, 4, 1, 2, seg(0, 100, 200)),
        ],
        outputs: vec![output(2, seg(0, 0, 150)), output(1, seg(0, 150, 200))],
        max_block_index: 50,
    };
    let signed = |tx: &Transaction, ks: &[u64]| sign_raw(tx.to_abi(), d, &keys(ks));
    let mut out: Vec<(String, abi::SignedTransaction, &'static str)> = Vec::new();
    let mut add = |name: &str, stx: abi::SignedTransaction, err: &'static str| {
        out.push((name.to_string(), stx, err));
    };
    let with_raw = |f: &dyn Fn(&mut abi::Transaction)| {
        let mut t = base.to_abi();
        f(&mut t);
        sign_raw(t, d, &keys(&[1]))
    };
    let with_tx = |f: &dyn Fn(&mut Transaction)| {
        let mut t = base.clone();
        f(&mut t);
        t
    };
    let u = U256::from;

    // segment format
    add(
        "input-segment-empty",
        with_raw(&|t| t.inputs[0].segment = raw_seg(u(100u8), u(100u8))),
        "EmptySegment",
    );
    add(
        "output-segment-reversed",
        with_raw(&|t| t.outputs[0].segment = raw_seg(u(150u8), u(0u8))),
        "EmptySegment",
    );
    add(
        "segment-beyond-coin-space",
        with_raw(&|t| t.outputs[1].segment = raw_seg(COIN_SPACE_END, COIN_SPACE_END + u(1u8))),
        "SegmentOutOfSpace",
    );
    add(
        "segment-crosses-token",
        with_raw(&|t| t.inputs[1].segment = raw_seg(u(100u8), TOKEN_SPACE_SIZE + u(1u8))),
        "SegmentCrossesToken",
    );
    // signature format
    let mut short = signed(&base, &[1]);
    short.signatures = Bytes::from(short.signatures[..64].to_vec());
    add("signature-64-bytes", short, "InvalidSignatureEncoding");
    for v in [0u8, 1, 29] {
        let mut s = signed(&base, &[1]);
        let mut b = s.signatures.to_vec();
        b[64] = v;
        s.signatures = b.into();
        add(&format!("signature-v-{v}"), s, "InvalidSignature");
    }
    // counts
    add(
        "no-inputs",
        signed(&with_tx(&|t| t.inputs.clear()), &[]),
        "NoInputs",
    );
    add(
        "no-outputs",
        signed(&with_tx(&|t| t.outputs.clear()), &[1]),
        "NoOutputs",
    );
    let many_in = Transaction {
        inputs: (0..17u128)
            .map(|i| input(1, 1, 0, 0, seg(0, i, i + 1)))
            .collect(),
        outputs: vec![output(2, seg(0, 0, 17))],
        max_block_index: 5,
    };
    add("17-inputs", signed(&many_in, &[1]), "TooManyInputs");
    let many_out = Transaction {
        inputs: vec![input(1, 1, 0, 0, seg(0, 0, 17))],
        outputs: (0..17u128).map(|i| output(2, seg(0, i, i + 1))).collect(),
        max_block_index: 5,
    };
    add("17-outputs", signed(&many_out, &[1]), "TooManyOutputs");
    // owners and references
    let zero_in = with_tx(&|t| t.inputs[1].owner = Address::ZERO);
    add("zero-input-owner", signed(&zero_in, &[1]), "ZeroOwner");
    add(
        "zero-output-owner",
        signed(&with_tx(&|t| t.outputs[0].owner = Address::ZERO), &[1]),
        "ZeroOwner",
    );
    let dep = with_tx(&|t| {
        t.inputs[0].tx_index = DEPOSIT_TX_INDEX;
        t.inputs[0].output_index = 1;
    });
    add(
        "deposit-output-index-1",
        signed(&dep, &[1]),
        "InvalidOutputIndex",
    );
    add(
        "output-index-16",
        signed(
            &with_tx(&|t| t.inputs[1].output_index = MAX_OUTPUTS as u8),
            &[1],
        ),
        "InvalidOutputIndex",
    );
    // coin accounting: one change to the valid transfer, signed by its owner
    type Change = dyn Fn(&mut Transaction);
    #[rustfmt::skip]
    let accounting: [(&str, &Change, &'static str); 7] = [
        ("overlapping-inputs",   &|t| t.inputs[1].segment = seg(0, 99, 200),   "OverlappingInputs"),
        ("duplicate-input",      &|t| t.inputs[1] = t.inputs[0],               "OverlappingInputs"),
        ("overlapping-outputs",  &|t| t.outputs[1].segment = seg(0, 149, 200), "OverlappingOutputs"),
        ("output-creates-coins", &|t| t.outputs[1].segment = seg(0, 150, 201), "UnionMismatch"),
        ("output-drops-coins",   &|t| t.outputs[1].segment = seg(0, 150, 199), "UnionMismatch"),
        ("output-shifted",       &|t| t.outputs[0].segment = seg(0, 1, 150),   "UnionMismatch"),
        ("output-other-token",   &|t| t.outputs[1].segment = seg(1, 150, 200), "UnionMismatch"),
    ];
    for (name, change, err) in accounting {
        add(name, signed(&with_tx(change), &[1]), err);
    }
    let three = Transaction {
        inputs: (0..3u128)
            .map(|i| input(1 + i as u64, 1, 0, 0, seg(0, i * 10, i * 10 + 10)))
            .collect(),
        outputs: vec![output(4, seg(0, 0, 30))],
        max_block_index: 5,
    };
    add("three-owners", signed(&three, &[1, 2, 3]), "TooManyOwners");
    // signatures
    let swap = with_tx(&|t| t.inputs[1].owner = test_address(2));
    add(
        "swap-missing-signature",
        signed(&swap, &[1]),
        "SignatureCount",
    );
    add("extra-signature", signed(&base, &[1, 1]), "SignatureCount");
    add("no-signature", signed(&base, &[]), "SignatureCount");
    add(
        "swap-signatures-swapped",
        signed(&swap, &[2, 1]),
        "WrongSigner",
    );
    add("signed-by-stranger", signed(&base, &[4]), "WrongSigner");
    let other_domain = tx::domain(1, d.verifying_contract.unwrap_or_default());
    add(
        "signed-for-other-chain",
        sign_raw(base.to_abi(), &other_domain, &keys(&[1])),
        "WrongSigner",
    );
    let mut tampered = signed(&base, &[1]);
    tampered.transaction.outputs[0].owner = test_address(3);
    add("tampered-after-signing", tampered, "WrongSigner");
    let mut bumped = signed(&base, &[1]);
    bumped.transaction.maxBlockIndex += 1;
    add("max-block-index-bumped", bumped, "WrongSigner");
    let mut high = signed(&base, &[1]);
    let mut b = high.signatures.to_vec();
    let s = U256::from_be_slice(&b[32..64]);
    let n = SECP256K1_HALF_N * U256::from(2u8) + U256::from(1u8);
    b[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
    b[64] = if b[64] == 27 { 28 } else { 27 };
    high.signatures = b.into();
    add("high-s-twin", high, "HighS");
    for (name, r, s) in [
        ("r-zero", Some(U256::ZERO), None),
        ("s-zero", None, Some(U256::ZERO)),
        ("r-is-group-order", Some(n), None),
    ] {
        let mut x = signed(&base, &[1]);
        let mut b = x.signatures.to_vec();
        if let Some(r) = r {
            b[..32].copy_from_slice(&r.to_be_bytes::<32>());
        }
        if let Some(s) = s {
            b[32..64].copy_from_slice(&s.to_be_bytes::<32>());
        }
        x.signatures = b.into();
        add(&format!("signature-{name}"), x, "InvalidSignature");
    }
    out
}

fn transactions_json() -> Value {
    let d = test_domain();
    let type_entry =
        |enc: String| json!({"encodeType": enc, "typeHash": keccak256(enc.as_bytes())});
    let valid: Vec<Value> = valid_txs()
        .into_iter()
        .map(|(name, t, signers)| {
            let stx = t.sign(&d, &keys(&signers)).expect("signs");
            json!({
                "name": name,
                "transaction": t,
                "structHash": t.struct_hash(),
                "txId": t.tx_id(&d),
                "signers": t.owners(),
                "signatures": stx.signatures.iter().map(|s| hex0x(&tx::signature_to_bytes(s))).collect::<Vec<_>>(),
                "encodedTransaction": hex0x(&t.encode()),
                "encoded": hex0x(&stx.encode()),
                "coinRanges": t.coin_ranges(),
            })
        })
        .collect();
    let invalid: Vec<Value> = invalid_txs(&d)
        .into_iter()
        .map(|(name, stx, err)| json!({"name": name, "encoded": hex0x(&stx.abi_encode()), "error": err}))
        .collect();
    let t = valid_txs().swap_remove(1).1; // max_block_index 100
    let expiry: Vec<Value> = [(99u64, None), (100, None), (101, Some("TxExpired"))]
        .into_iter()
        .map(|(block, err)| {
            json!({"encodedTransaction": hex0x(&t.encode()), "maxBlockIndex": format!("{:#x}", t.max_block_index),
                   "block": format!("{block:#x}"), "error": err})
        })
        .collect();
    json!({
        "format": "debye-primitives/transactions/v1",
        "domain": {
            "name": tx::DOMAIN_NAME,
            "version": tx::DOMAIN_VERSION,
            "chainId": format!("{:#x}", debye_primitives::test_utils::TEST_CHAIN_ID),
            "verifyingContract": debye_primitives::test_utils::TEST_CONTRACT,
        },
        "domainSeparator": d.separator(),
        "types": {
            "EIP712Domain": type_entry(d.encode_type()),
            "Segment": type_entry(abi::Segment::eip712_encode_type().into_owned()),
            "Input": type_entry(abi::Input::eip712_encode_type().into_owned()),
            "Output": type_entry(abi::Output::eip712_encode_type().into_owned()),
            "Transaction": type_entry(abi::Transaction::eip712_encode_type().into_owned()),
        },
        "keys": (1..=4u64).map(|i| json!({
            "privateKey": hex0x(&test_key(i).to_bytes()),
            "address": test_address(i),
        })).collect::<Vec<_>>(),
        "valid": valid,
        "invalid": invalid,
        "expiry": expiry,
    })
}

// ---------------------------------------------------------------- trees

fn id(label: &str) -> B256 {
    keccak256(label.as_bytes())
}

/// The block used by the trees and headers files: non-conflicting valid transactions.
fn sample_block(prev: Option<&BlockHeader>) -> (Block, SumMerkleTree) {
    let d = test_domain();
    let mut b = BlockBuilder::after(d.clone(), prev);
    let txs = valid_txs();
    // deposit-transfer [0:0,1000), atomic swap [0:2000,2500)+[1:0,10), reshuffle [5:0,20),
    // across-token-boundary, end-of-coin-space
    for name in [
        "deposit-transfer",
        "atomic-swap-eth-for-token",
        "reshuffle-segments",
        "end-of-coin-space",
    ] {
        let (_, t, ks) = txs.iter().find(|(n, ..)| *n == name).expect("known vector");
        let mut t = t.clone();
        t.max_block_index = t.max_block_index.max(b.number());
        b.push(t.sign(&d, &keys(ks)).expect("signs"))
            .expect("valid and disjoint");
    }
    b.build().expect("builds")
}

fn proof_json(
    kind: &str,
    leaf_index: usize,
    s: &Segment,
    tx_id: B256,
    p: &SumMerkleProof,
) -> Value {
    json!({
        "kind": kind, "leafIndex": leaf_index, "segment": s, "txId": tx_id,
        "proof": p, "encoded": hex0x(&p.encode()),
    })
}

/// Segments to prove in a leaf: the whole leaf when it is a valid segment, its first coin(s)
/// in its first token, and its last coin.
fn probe_segments(start: U256, end: U256) -> Vec<Segment> {
    let mut v = Vec::new();
    if let Ok(s) = Segment::new(start, end) {
        v.push(s);
    }
    let first_token_end = coin::token_end(coin::token_of(start).unwrap_or(u32::MAX)).min(end);
    let ten = (start + U256::from(10u8)).min(first_token_end);
    for (a, b) in [(start, ten), (end - U256::from(1u8), end)] {
        if let Ok(s) = Segment::new(a, b)
            && !v.contains(&s)
        {
            v.push(s);
        }
    }
    v
}

fn tree_json(name: &str, tree: &SumMerkleTree, txs: &[SignedTransaction]) -> Value {
    let mut proofs = Vec::new();
    for (i, leaf) in tree.leaves().iter().enumerate() {
        for s in probe_segments(leaf.start, leaf.end()) {
            if leaf.is_null() {
                let p = tree.prove_exclusion(&s).expect("gap");
                proofs.push(proof_json("exclusion", i, &s, B256::ZERO, &p.0));
            } else {
                let p = tree.prove_inclusion(&s, leaf.hash).expect("included");
                proofs.push(proof_json("inclusion", i, &s, leaf.hash, &p.0));
            }
        }
    }
    json!({
        "name": name,
        "transactions": txs.iter().map(|t| hex0x(&t.encode())).collect::<Vec<_>>(),
        "leaves": tree.leaves(),
        "root": tree.root(),
        "proofs": proofs,
    })
}

fn trees() -> Vec<(&'static str, SumMerkleTree, Vec<SignedTransaction>)> {
    let (block, tree) = sample_block(None);
    vec![
        ("empty", SumMerkleTree::empty(), vec![]),
        (
            "one-leaf-at-zero",
            SumMerkleTree::build([(seg(0, 0, 1_000), id("a"))]).expect("ok"),
            vec![],
        ),
        (
            "no-gaps-at-ends",
            SumMerkleTree::build([
                (seg(0, 0, 5), id("a")),
                (seg(0, 5, 6), id("b")),
                (seg(0, 6, 100), id("a")),
                (seg(7, 0, 1), id("c")),
                (last_coins(1), id("d")),
                (
                    Segment::new(
                        COIN_SPACE_END - U256::from(3u8),
                        COIN_SPACE_END - U256::from(1u8),
                    )
                    .expect("ok"),
                    id("e"),
                ),
            ])
            .expect("ok"),
            vec![],
        ),
        ("sample-block", tree, block.transactions),
    ]
}

/// A malformed proof case.
struct Bad {
    name: &'static str,
    kind: &'static str,
    root: B256,
    segment: (U256, U256),
    tx_id: B256,
    proof: SumMerkleProof,
    error: &'static str,
}

fn malformed(tree: &SumMerkleTree) -> Vec<Bad> {
    let root = tree.root();
    // An inclusion proof for a leaf deep in the tree with both left and right siblings.
    let (li, leaf) = tree
        .leaves()
        .iter()
        .enumerate()
        .find(|(i, l)| {
            !l.is_null()
                && *i > 0
                && tree
                    .prove_leaf(*i)
                    .is_some_and(|p| p.path != 0 && p.siblings.len() > 2)
        })
        .expect("sample tree has such a leaf");
    let good = tree.prove_leaf(li).expect("leaf");
    let s = (leaf.start, leaf.end());
    let (gi, gap) = tree
        .leaves()
        .iter()
        .enumerate()
        .find(|(_, l)| l.is_null())
        .expect("gap");
    let gap_proof = tree.prove_leaf(gi).expect("leaf");
    let gs = (gap.start, gap.start + U256::from(1u8));
    let one = U256::from(1u8);
    let mk = |name, kind, proof: SumMerkleProof, error| Bad {
        name,
        kind,
        root,
        segment: if kind == "inclusion" { s } else { gs },
        tx_id: if kind == "inclusion" {
            leaf.hash
        } else {
            B256::ZERO
        },
        proof,
        error,
    };
    let tweak = |f: &dyn Fn(&mut SumMerkleProof)| {
        let mut p = good.clone();
        f(&mut p);
        p
    };
    let mut v = vec![
        mk("control-valid", "inclusion", good.clone(), "ok"),
        mk(
            "control-valid-exclusion",
            "exclusion",
            gap_proof.clone(),
            "ok",
        ),
        mk(
            "leaf-length-plus-one",
            "inclusion",
            tweak(&|p| p.leaf_length += one),
            "WrongTotalLength",
        ),
        mk(
            "leaf-length-moved-from-sibling",
            "inclusion",
            tweak(&|p| {
                p.leaf_length += one;
                p.siblings[0].length -= one;
            }),
            "RootMismatch",
        ),
        mk(
            "sibling-length-minus-one",
            "inclusion",
            tweak(&|p| p.siblings[1].length -= one),
            "WrongTotalLength",
        ),
        mk(
            "sibling-hash-flipped",
            "inclusion",
            tweak(&|p| p.siblings[0].hash.0[31] ^= 1),
            "RootMismatch",
        ),
        mk(
            "top-sibling-hash-zeroed",
            "inclusion",
            tweak(&|p| {
                let last = p.siblings.len() - 1;
                p.siblings[last].hash = B256::ZERO;
            }),
            "RootMismatch",
        ),
        mk(
            "sibling-length-max",
            "inclusion",
            tweak(&|p| p.siblings[0].length = U256::MAX),
            "ProofOverflow",
        ),
        mk(
            "lengths-wrap-to-2^160",
            "inclusion",
            tweak(&|p| {
                // Move 2^255 from sibling 0 to the leaf: unchecked, the lengths still sum to
                // 2^160 modulo 2^256, but leaf + sibling 0 overflows.
                let half = U256::from(1u8) << 255;
                p.leaf_length += half;
                p.siblings[0].length = p.siblings[0].length.wrapping_sub(half);
            }),
            "ProofOverflow",
        ),
        mk(
            "path-bit-flipped",
            "inclusion",
            tweak(&|p| p.path ^= 1),
            "RootMismatch",
        ),
        mk(
            "path-bit-above-depth",
            "inclusion",
            tweak(&|p| p.path |= 1 << p.siblings.len()),
            "NonCanonicalPath",
        ),
        mk(
            "sibling-dropped",
            "inclusion",
            tweak(&|p| {
                p.siblings.remove(0);
                p.path >>= 1;
            }),
            "WrongTotalLength",
        ),
        mk(
            "zero-sibling-appended",
            "inclusion",
            tweak(&|p| {
                p.siblings.push(ProofNode {
                    length: U256::ZERO,
                    hash: B256::ZERO,
                })
            }),
            "RootMismatch",
        ),
        mk(
            "too-many-siblings",
            "inclusion",
            tweak(&|p| {
                p.siblings.resize(
                    MAX_PROOF_DEPTH + 1,
                    ProofNode {
                        length: U256::ZERO,
                        hash: B256::ZERO,
                    },
                )
            }),
            "ProofTooLong",
        ),
        mk(
            "inclusion-proof-as-exclusion",
            "exclusion",
            good.clone(),
            "RootMismatch",
        ),
        mk(
            "exclusion-proof-as-inclusion",
            "inclusion",
            gap_proof.clone(),
            "RootMismatch",
        ),
    ];
    let with = |mut b: Bad, f: &dyn Fn(&mut Bad)| {
        f(&mut b);
        b
    };
    v.push(with(
        mk("wrong-root", "inclusion", good.clone(), "RootMismatch"),
        &|b| b.root = id("other root"),
    ));
    v.push(with(
        mk("wrong-tx-id", "inclusion", good.clone(), "RootMismatch"),
        &|b| b.tx_id = id("other tx"),
    ));
    v.push(with(
        mk("zero-tx-id", "inclusion", good.clone(), "ZeroTxId"),
        &|b| b.tx_id = B256::ZERO,
    ));
    v.push(with(
        mk(
            "segment-starts-before-leaf",
            "inclusion",
            good.clone(),
            "SegmentOutsideLeaf",
        ),
        &|b| b.segment.0 -= U256::from(1u8),
    ));
    v.push(with(
        mk(
            "segment-ends-after-leaf",
            "inclusion",
            good.clone(),
            "SegmentOutsideLeaf",
        ),
        &|b| b.segment.1 += U256::from(1u8),
    ));
    v.push(with(
        mk(
            "segment-in-other-leaf",
            "exclusion",
            gap_proof.clone(),
            "SegmentOutsideLeaf",
        ),
        &|b| {
            b.segment = s;
        },
    ));
    v.push(with(
        mk("segment-empty", "inclusion", good.clone(), "EmptySegment"),
        &|b| b.segment.1 = b.segment.0,
    ));
    v.push(with(
        mk(
            "segment-crosses-token",
            "exclusion",
            gap_proof.clone(),
            "SegmentCrossesToken",
        ),
        &|b| {
            b.segment = (
                TOKEN_SPACE_SIZE - U256::from(1u8),
                TOKEN_SPACE_SIZE + U256::from(1u8),
            );
        },
    ));
    v
}

fn malformed_json(b: &Bad) -> Value {
    json!({
        "name": b.name, "kind": b.kind, "root": b.root,
        "segment": {"start": b.segment.0, "end": b.segment.1},
        "txId": b.tx_id, "proof": b.proof, "encoded": hex0x(&b.proof.encode()),
        "error": if b.error == "ok" { Value::Null } else { json!(b.error) },
    })
}

/// Encodings that do not decode (checked by the Rust codec; the Solidity decoder is laxer, see
/// docs/formats.md).
fn bad_encodings() -> Vec<Value> {
    let (_, tree) = sample_block(None);
    let proof = tree.prove_leaf(1).expect("leaf").encode();
    let d = test_domain();
    let (_, t, ks) = valid_txs().swap_remove(3);
    let stx = t.sign(&d, &keys(&ks)).expect("signs").encode();
    let mut trailing = proof.clone();
    trailing.extend_from_slice(&[0u8; 32]);
    let mut dirty_path = proof.clone();
    dirty_path[32 + 32] = 1; // high byte of the uint64 `path` word
    let mut bad_offset = stx.clone();
    bad_offset[31] = 0x40; // outer tuple offset
    vec![
        json!({"name": "empty", "type": "SumProof", "encoded": "0x", "error": "Decode"}),
        json!({"name": "truncated-proof", "type": "SumProof", "encoded": hex0x(&proof[..proof.len() - 1]), "error": "Decode"}),
        json!({"name": "proof-trailing-word", "type": "SumProof", "encoded": hex0x(&trailing), "error": "NonCanonicalEncoding"}),
        json!({"name": "proof-dirty-uint64", "type": "SumProof", "encoded": hex0x(&dirty_path), "error": "Decode"}),
        json!({"name": "truncated-signed-tx", "type": "SignedTransaction", "encoded": hex0x(&stx[..stx.len() - 32]), "error": "Decode"}),
        json!({"name": "signed-tx-bad-offset", "type": "SignedTransaction", "encoded": hex0x(&bad_offset), "error": "Decode"}),
        json!({"name": "oversized-signed-tx", "type": "SignedTransaction", "encoded": hex0x(&vec![0u8; 16 * 1024 + 32]), "error": "TooLarge"}),
    ]
}

fn gas_case() -> Value {
    // 2^15 one-coin transactions at even coins, each followed by a gap: exactly 2^16 leaves.
    let entries = (0..1u128 << 15).map(|i| {
        (
            seg(0, 2 * i, 2 * i + 1),
            keccak256((i as u64).to_be_bytes()),
        )
    });
    let tree = SumMerkleTree::build(entries).expect("ok");
    assert_eq!(tree.leaves().len(), 1 << 16);
    let i = 12_345 * 2;
    let leaf = tree.leaves()[i];
    let s = Segment::new(leaf.start, leaf.end()).expect("one coin");
    let p = tree.prove_inclusion(&s, leaf.hash).expect("included");
    json!({"leaves": 1 << 16, "root": tree.root(), "segment": s, "txId": leaf.hash, "proof": p, "encoded": hex0x(&p.encode())})
}

fn trees_json() -> Value {
    let all = trees();
    let sample = &all
        .iter()
        .find(|(n, ..)| *n == "sample-block")
        .expect("present")
        .1;
    json!({
        "format": "debye-primitives/trees/v1",
        "coinSpaceEnd": COIN_SPACE_END,
        "trees": all.iter().map(|(n, t, txs)| tree_json(n, t, txs)).collect::<Vec<_>>(),
        "malformed": malformed(sample).iter().map(malformed_json).collect::<Vec<_>>(),
        "badEncodings": bad_encodings(),
        "gas": gas_case(),
    })
}

// ---------------------------------------------------------------- headers

/// A chain of three headers: block 1 (the sample block) and an empty block 2 with the shielded
/// state of a fresh chain, then block 3 as if it carried three shielded entries (two deposits),
/// so every field holds a distinct nonzero value.
fn headers_json() -> Value {
    let (b1, _) = sample_block(None);
    let h1 = BlockHeader {
        timestamp: 1_767_225_600,
        ..b1.header
    };
    let h2 = BlockBuilder::after(test_domain(), Some(&h1))
        .timestamp(1_767_225_612)
        .build()
        .expect("empty")
        .0
        .header;
    let h3 = BlockHeader {
        note_root: id("note root"),
        note_count: 6,
        entries_root: id("entries root"),
        entry_count: 3,
        deposit_cursor: 2,
        exit_cursor: 1,
        ..BlockBuilder::after(test_domain(), Some(&h2))
            .accumulator(id("accumulator"))
            .timestamp(1_767_225_624)
            .build()
            .expect("empty")
            .0
            .header
    };
    let headers: Vec<Value> = [h1, h2, h3]
        .iter()
        .map(|h| json!({"header": h, "encoded": hex0x(&h.encode()), "hash": h.hash()}))
        .collect();
    json!({"format": "debye-primitives/headers/v2", "headers": headers})
}

fn generate() -> Vec<(&'static str, Value)> {
    vec![
        (FILES[0], transactions_json()),
        (FILES[1], trees_json()),
        (FILES[2], headers_json()),
        (FILES[3], crate::shielded::shielded_json()),
    ]
}

fn read(name: &str) -> R<Value> {
    Ok(serde_json::from_str(&fs::read_to_string(
        vectors_dir().join(name),
    )?)?)
}

#[test]
fn generated_vectors_match_committed() -> R {
    let regen = std::env::var("DEBYE_REGEN_VECTORS").is_ok_and(|v| v == "1");
    for (name, value) in generate() {
        let path = vectors_dir().join(name);
        if regen {
            fs::create_dir_all(vectors_dir())?;
            fs::write(&path, serde_json::to_string_pretty(&value)? + "\n")?;
        } else {
            let committed = read(name)?;
            assert!(
                committed == value,
                "{} differs from what the code generates now; if the change is intended, rerun \
                 with DEBYE_REGEN_VECTORS=1 and review the diff",
                path.display()
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- checks of the committed files

fn b256(v: &Value) -> R<B256> {
    Ok(serde_json::from_value(v.clone())?)
}

fn bytes(v: &Value) -> R<Vec<u8>> {
    let s = v.as_str().ok_or("expected hex string")?;
    Ok(hex::decode(s.trim_start_matches("0x"))?)
}

fn arr(v: &Value) -> R<&Vec<Value>> {
    v.as_array().ok_or_else(|| "expected array".into())
}

fn committed_domain(f: &Value) -> R<Eip712Domain> {
    let chain = u64::from_str_radix(
        f["domain"]["chainId"]
            .as_str()
            .ok_or("chainId")?
            .trim_start_matches("0x"),
        16,
    )?;
    let contract: Address = serde_json::from_value(f["domain"]["verifyingContract"].clone())?;
    Ok(tx::domain(chain, contract))
}

#[test]
fn committed_transactions_check() -> R {
    let f = read(FILES[0])?;
    let d = committed_domain(&f)?;
    assert_eq!(b256(&f["domainSeparator"])?, d.separator());
    for (name, enc) in [
        ("Segment", abi::Segment::eip712_encode_type()),
        ("Input", abi::Input::eip712_encode_type()),
        ("Output", abi::Output::eip712_encode_type()),
        ("Transaction", abi::Transaction::eip712_encode_type()),
    ] {
        assert_eq!(f["types"][name]["encodeType"], json!(enc), "{name}");
        assert_eq!(
            b256(&f["types"][name]["typeHash"])?,
            keccak256(enc.as_bytes()),
            "{name}"
        );
    }
    for k in arr(&f["keys"])? {
        let key = SigningKey::from_slice(&bytes(&k["privateKey"])?)?;
        assert_eq!(
            serde_json::from_value::<Address>(k["address"].clone())?,
            tx::address_of(&key)
        );
    }
    let valid = arr(&f["valid"])?;
    assert!(valid.len() >= 8);
    for v in valid {
        let name = &v["name"];
        let stx = SignedTransaction::decode(&bytes(&v["encoded"])?)?;
        let t: Transaction = serde_json::from_value(v["transaction"].clone())?;
        assert_eq!(stx.transaction, t, "{name}: JSON and encoding disagree");
        assert_eq!(
            Transaction::decode(&bytes(&v["encodedTransaction"])?)?,
            t,
            "{name}"
        );
        assert_eq!(
            stx.encode(),
            bytes(&v["encoded"])?,
            "{name}: re-encoding differs"
        );
        assert_eq!(t.struct_hash(), b256(&v["structHash"])?, "{name}");
        assert_eq!(stx.verify(&d)?, b256(&v["txId"])?, "{name}");
        let signers: Vec<Address> = serde_json::from_value(v["signers"].clone())?;
        assert_eq!(stx.recover_signers(&d)?, signers, "{name}");
        let sigs: Vec<Vec<u8>> = arr(&v["signatures"])?.iter().map(bytes).collect::<R<_>>()?;
        assert_eq!(sigs.concat(), stx.signature_bytes(), "{name}");
        let ranges: Vec<Segment> = serde_json::from_value(v["coinRanges"].clone())?;
        assert_eq!(t.coin_ranges(), ranges, "{name}");
    }
    let invalid = arr(&f["invalid"])?;
    assert!(invalid.len() >= 30);
    for v in invalid {
        let name = &v["name"];
        let got = SignedTransaction::decode(&bytes(&v["encoded"])?).and_then(|s| s.verify(&d));
        assert_eq!(
            got.map_err(|e| e.code()),
            Err(v["error"].as_str().ok_or("error")?),
            "{name}"
        );
    }
    for v in arr(&f["expiry"])? {
        let t = Transaction::decode(&bytes(&v["encodedTransaction"])?)?;
        let block = u64::from_str_radix(
            v["block"].as_str().ok_or("block")?.trim_start_matches("0x"),
            16,
        )?;
        let got = t.check_block(block).map_err(|e| e.code());
        let want = match v["error"].as_str() {
            Some(e) => Err(e),
            None => Ok(()),
        };
        assert_eq!(got, want, "expiry at {block}");
    }
    Ok(())
}

fn check_proof(
    kind: &str,
    root: B256,
    segment: &Value,
    tx_id: B256,
    encoded: &[u8],
) -> debye_primitives::Result<()> {
    let seg = Segment::new(
        serde_json::from_value(segment["start"].clone()).unwrap_or_default(),
        serde_json::from_value(segment["end"].clone()).unwrap_or_default(),
    )?;
    match kind {
        "inclusion" => InclusionProof::decode(encoded)?.verify(root, &seg, tx_id),
        _ => ExclusionProof::decode(encoded)?.verify(root, &seg),
    }
}

#[test]
fn committed_trees_check() -> R {
    let f = read(FILES[1])?;
    let d = test_domain();
    for t in arr(&f["trees"])? {
        let name = &t["name"];
        let leaves: Vec<debye_primitives::Leaf> = serde_json::from_value(t["leaves"].clone())?;
        // Leaves tile the coin space in order.
        let mut cursor = U256::ZERO;
        for l in &leaves {
            assert_eq!(l.start, cursor, "{name}");
            cursor = l.end();
        }
        assert_eq!(cursor, COIN_SPACE_END, "{name}");
        let root = b256(&t["root"])?;
        // Independent root computation from the leaves: pairwise, odd node promoted.
        let mut level: Vec<ProofNode> = leaves
            .iter()
            .map(|l| ProofNode {
                length: l.length,
                hash: l.hash,
            })
            .collect();
        while level.len() > 1 {
            level = level
                .chunks(2)
                .map(|c| {
                    if c.len() == 2 {
                        debye_primitives::tree::parent(&c[0], &c[1]).expect("no overflow")
                    } else {
                        c[0]
                    }
                })
                .collect();
        }
        assert_eq!(level[0].hash, root, "{name}");
        // Transactions, when given, rebuild the same tree.
        let txs: Vec<SignedTransaction> = arr(&t["transactions"])?
            .iter()
            .map(|e| Ok(SignedTransaction::decode(&bytes(e)?)?))
            .collect::<R<_>>()?;
        if !txs.is_empty() {
            let block = Block {
                header: BlockHeader {
                    number: 1,
                    tx_root: root,
                    ..BlockHeader::default()
                },
                transactions: txs,
                shielded: Default::default(),
            };
            assert_eq!(block.verify(&d)?.leaves(), leaves.as_slice(), "{name}");
        }
        let proofs = arr(&t["proofs"])?;
        assert!(proofs.len() >= leaves.len(), "{name}: every leaf is proven");
        for p in proofs {
            let kind = p["kind"].as_str().ok_or("kind")?;
            let encoded = bytes(&p["encoded"])?;
            let decoded = SumMerkleProof::decode(&encoded)?;
            assert_eq!(
                decoded,
                serde_json::from_value::<SumMerkleProof>(p["proof"].clone())?,
                "{name}"
            );
            check_proof(kind, root, &p["segment"], b256(&p["txId"])?, &encoded)?;
        }
    }
    for m in arr(&f["malformed"])? {
        let got = check_proof(
            m["kind"].as_str().ok_or("kind")?,
            b256(&m["root"])?,
            &m["segment"],
            b256(&m["txId"])?,
            &bytes(&m["encoded"])?,
        );
        let want = match m["error"].as_str() {
            Some(e) => Err(e),
            None => Ok(()),
        };
        assert_eq!(
            got.map_err(|e| e.code()),
            want,
            "malformed case {}",
            m["name"]
        );
    }
    for b in arr(&f["badEncodings"])? {
        let enc = bytes(&b["encoded"])?;
        let got = match b["type"].as_str() {
            Some("SumProof") => SumMerkleProof::decode(&enc).map(drop),
            _ => SignedTransaction::decode(&enc).map(drop),
        };
        assert_eq!(
            got.map_err(|e| e.code()),
            Err(b["error"].as_str().ok_or("error")?),
            "{}",
            b["name"]
        );
    }
    let g = &f["gas"];
    check_proof(
        "inclusion",
        b256(&g["root"])?,
        &g["segment"],
        b256(&g["txId"])?,
        &bytes(&g["encoded"])?,
    )?;
    assert_eq!(
        serde_json::from_value::<SumMerkleProof>(g["proof"].clone())?
            .siblings
            .len(),
        16
    );
    Ok(())
}

#[test]
fn committed_headers_check() -> R {
    let f = read(FILES[2])?;
    let mut parent: Option<BlockHeader> = None;
    for h in arr(&f["headers"])? {
        let header: BlockHeader = serde_json::from_value(h["header"].clone())?;
        assert_eq!(BlockHeader::decode(&bytes(&h["encoded"])?)?, header);
        assert_eq!(header.hash(), b256(&h["hash"])?);
        // keccak256(abi.encode(...)) computed by hand: eleven 32-byte words.
        let mut words = Vec::new();
        let int = |v: u64| U256::from(v).to_be_bytes::<32>();
        words.extend_from_slice(&int(header.number));
        for w in [
            header.prev_hash,
            header.tx_root,
            header.accumulator,
            header.note_root,
        ] {
            words.extend_from_slice(w.as_slice());
        }
        words.extend_from_slice(&int(header.note_count));
        words.extend_from_slice(header.entries_root.as_slice());
        for v in [
            header.entry_count,
            header.deposit_cursor,
            header.exit_cursor,
        ] {
            words.extend_from_slice(&int(v.into()));
        }
        words.extend_from_slice(&int(header.timestamp));
        assert_eq!(words.len(), 352);
        assert_eq!(keccak256(&words), header.hash());
        header.check_parent(parent.as_ref())?;
        parent = Some(header);
    }
    Ok(())
}

#[test]
fn deposit_coin_layout_vector() {
    // Documented example in docs/formats.md: 1 ETH then 5 units of token 2.
    let eth = Segment::deposit(0, 0, 1_000_000_000_000_000_000).expect("fits");
    assert_eq!(eth.end(), U256::from(1_000_000_000_000_000_000u128));
    let tok = Segment::deposit(2, 7, 5).expect("fits");
    assert_eq!(tok.start(), coin_id(2, 7));
    assert_eq!(
        format!("{:#x}", tok.start()),
        "0x200000000000000000000000000000007"
    );
}
