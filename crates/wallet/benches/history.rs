//! Cost of the safety rule: verifying a received range's history over many blocks, and the size
//! of the bundle a sender hands over. `cargo bench -p debye-wallet`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::Arc;

use alloy_primitives::U256;
use criterion::{Criterion, criterion_group, criterion_main};
use debye_l1::{EmbeddedL1, contracts::DebyeChainClient};
use debye_primitives::{
    Input, Output, Segment, Transaction,
    test_utils::{test_address, test_key},
};
use debye_wallet::{
    history::{AnchorView, CoinHistory, DepositEvidence, verify_history},
    source::BlockSource,
    test_utils::LocalChain,
};

const BLOCKS: u64 = 64;
const MOVERS: u64 = 32;

/// Bob's history of 600 coins received in block 1, followed over `BLOCKS` blocks in which
/// `MOVERS` other users move their coins every block (so every block's tree has ~2·MOVERS leaves).
fn setup() -> (CoinHistory, AnchorView, debye_wallet::history::ChainId) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let l1 = Arc::new(EmbeddedL1::new());
        let op = test_address(1000);
        for i in 0..=MOVERS + 2 {
            l1.fund(test_address(i), U256::from(10u64).pow(U256::from(21u64)));
        }
        l1.fund(op, U256::from(10u64).pow(U256::from(21u64)));
        let client = DebyeChainClient::deploy(l1.clone(), op, op).await.unwrap();
        let chain = LocalChain::new(client.clone(), op).await.unwrap();
        let domain = chain.chain().domain();
        let alice = client
            .deposit_eth(test_address(0), U256::from(1000u64))
            .await
            .unwrap();
        let mut movers = Vec::new();
        for i in 1..=MOVERS {
            // Spaced deposits so every mover's coins are a separate leaf.
            client
                .deposit_eth(test_address(MOVERS + 1), U256::from(7u64))
                .await
                .unwrap();
            let d = client
                .deposit_eth(test_address(i), U256::from(100u64))
                .await
                .unwrap();
            movers.push((
                i,
                Segment::new(d.start, d.end).unwrap(),
                Input::deposit(test_address(i), 1, Segment::new(d.start, d.end).unwrap()),
            ));
        }
        let whole = Segment::new(alice.start, alice.end).unwrap();
        let bob_part = Segment::new(alice.start, alice.start + U256::from(600u64)).unwrap();
        let pay = Transaction {
            inputs: vec![Input::deposit(test_address(0), 1, whole)],
            outputs: vec![
                Output {
                    owner: test_address(MOVERS + 2),
                    segment: bob_part,
                },
                Output {
                    owner: test_address(0),
                    segment: Segment::new(bob_part.end(), whole.end()).unwrap(),
                },
            ],
            max_block_index: BLOCKS + 1,
        };
        chain
            .submit(pay.sign(&domain, &[test_key(0)]).unwrap())
            .await
            .unwrap();
        for n in 1..=BLOCKS {
            for (k, (i, seg, input)) in movers.iter_mut().enumerate() {
                let tx = Transaction {
                    inputs: vec![*input],
                    outputs: vec![Output {
                        owner: test_address(*i),
                        segment: *seg,
                    }],
                    max_block_index: BLOCKS + 1,
                };
                chain
                    .submit(tx.sign(&domain, &[test_key(*i)]).unwrap())
                    .await
                    .unwrap();
                let tx_index = u32::try_from(k + usize::from(n == 1)).unwrap();
                *input = Input {
                    owner: test_address(*i),
                    block_index: n,
                    tx_index,
                    output_index: 0,
                    segment: *seg,
                };
            }
            chain.commit_pending().await.unwrap();
        }
        let mut h = CoinHistory::new(chain.chain(), bob_part, vec![DepositEvidence::from(&alice)]);
        for n in 1..=BLOCKS {
            let b = chain.block(n).await.unwrap().unwrap();
            h.extend_with_block(&b, &chain.tree(n).unwrap()).unwrap();
        }
        let view = AnchorView::fetch(&client, [alice.start]).await.unwrap();
        (h, view, chain.chain())
    })
}

fn bench(c: &mut Criterion) {
    let (h, view, chain) = setup();
    let bob = test_address(MOVERS + 2);
    assert_eq!(verify_history(&h, &chain, &view, bob).unwrap().len(), 1);
    let json = h.to_json().unwrap();
    eprintln!(
        "history of {BLOCKS} blocks ({MOVERS} movers per block): {} bytes of JSON, {} bytes per block",
        json.len(),
        json.len() / usize::try_from(BLOCKS).unwrap()
    );
    c.bench_function("verify_history_64_blocks", |b| {
        b.iter(|| verify_history(&h, &chain, &view, bob).unwrap())
    });
    c.bench_function("history_json_round_trip_64_blocks", |b| {
        b.iter(|| CoinHistory::from_json(&h.to_json().unwrap()).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
