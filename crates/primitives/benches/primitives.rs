//! Criterion benchmarks: sum Merkle tree construction, proof verification, EIP-712 hashing and
//! signer recovery.

use std::hint::black_box;

use alloy_primitives::{U256, keccak256};
use alloy_sol_types::SolStruct;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use debye_primitives::{
    Input, Output, Segment, SumMerkleTree, Transaction,
    coin::coin_id,
    test_utils::{test_address, test_domain, test_key},
    tx,
};

/// `leaves / 2` one-coin transactions at even coins, each followed by a gap.
fn entries(leaves: u128) -> Vec<(Segment, alloy_primitives::B256)> {
    (0..leaves / 2)
        .map(|i| {
            let s = Segment::new(coin_id(0, 2 * i), coin_id(0, 2 * i + 1)).expect("valid");
            (s, keccak256(i.to_be_bytes()))
        })
        .collect()
}

fn tree(c: &mut Criterion) {
    let mut g = c.benchmark_group("sum_tree_build");
    g.sample_size(10);
    for n in [10_000u128, 100_000] {
        let e = entries(n);
        g.bench_with_input(BenchmarkId::from_parameter(n), &e, |b, e| {
            b.iter(|| SumMerkleTree::build(black_box(e.clone())).expect("builds"))
        });
    }
    g.finish();

    let t = SumMerkleTree::build(entries(100_000)).expect("builds");
    let leaf = t.leaves()[50_000];
    let s = Segment::new(leaf.start, leaf.start + U256::from(1u8)).expect("one coin");
    let p = t.prove_inclusion(&s, leaf.hash).expect("included");
    let root = t.root();
    c.bench_function("inclusion_proof_verify_100k_leaves", |b| {
        b.iter(|| {
            p.verify(black_box(root), black_box(&s), black_box(leaf.hash))
                .expect("valid")
        })
    });
}

fn eip712(c: &mut Criterion) {
    let d = test_domain();
    let seg = |a: u128, b: u128| Segment::new(coin_id(0, a), coin_id(0, b)).expect("valid");
    let tx = Transaction {
        inputs: vec![
            Input {
                owner: test_address(1),
                block_index: 5,
                tx_index: 3,
                output_index: 1,
                segment: seg(0, 100),
            },
            Input {
                owner: test_address(1),
                block_index: 6,
                tx_index: 0,
                output_index: 0,
                segment: seg(100, 200),
            },
        ],
        outputs: vec![
            Output {
                owner: test_address(2),
                segment: seg(0, 150),
            },
            Output {
                owner: test_address(1),
                segment: seg(150, 200),
            },
        ],
        max_block_index: 1_000,
    };
    let stx = tx.sign(&d, &[test_key(1)]).expect("signs");
    let sep = d.separator();
    let digest = tx.tx_id(&d);
    let sig = stx.signatures[0];
    // The per-transaction costs of the operator's submission path, each next to the generic
    // path it replaced (alloy's EIP-712 encoder, k256 recovery).
    c.bench_function("eip712_domain_separator", |b| {
        b.iter(|| black_box(&d).separator())
    });
    c.bench_function("tx_eip712_hash", |b| b.iter(|| black_box(&tx).tx_id(&d)));
    c.bench_function("tx_eip712_hash_with_separator", |b| {
        b.iter(|| black_box(&tx).tx_id_with_separator(black_box(&sep)))
    });
    c.bench_function("tx_eip712_hash_alloy_encoder", |b| {
        b.iter(|| black_box(&tx).to_abi().eip712_signing_hash(black_box(&d)))
    });
    c.bench_function("recover_secp256k1", |b| {
        b.iter(|| tx::recover_address(black_box(&sig), black_box(&digest)).expect("recovers"))
    });
    c.bench_function("recover_k256", |b| {
        b.iter(|| {
            black_box(&sig)
                .recover_address_from_prehash(black_box(&digest))
                .expect("recovers")
        })
    });
    c.bench_function("tx_hash_and_recover", |b| {
        b.iter(|| black_box(&stx).recover_signers(&d).expect("recovers"))
    });
    c.bench_function("tx_full_verify", |b| {
        b.iter(|| black_box(&stx).verify(&d).expect("valid"))
    });
    c.bench_function("tx_full_verify_with_separator", |b| {
        b.iter(|| {
            black_box(&stx)
                .verify_with_separator(black_box(&sep))
                .expect("valid")
        })
    });
}

criterion_group!(benches, tree, eip712);
criterion_main!(benches);
