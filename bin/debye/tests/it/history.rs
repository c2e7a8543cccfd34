//! A coin history compressed by the operator's accumulator (docs/accumulator.md §13.3): the
//! real operator on the embedded L1 serves the span, the wallet puts it in place of the blocks
//! in which the coins did not move, and the recipient's check accepts it — and refuses it once
//! tampered with, moved onto other coins, or stretched over a block that moved the coins.

use std::{sync::Arc, time::Duration};

use alloy_primitives::{Address, U256};
use debye_l1::{EmbeddedL1, contracts::DebyeChainClient};
use debye_operator::{DEV_OPERATOR, Operator};
use debye_primitives::{
    Input, Output, Segment, Transaction,
    test_utils::{test_address, test_key},
};
use debye_rpc_api::{DebyeApiClient, HttpClient};
use debye_wallet::{
    Error,
    history::{AnchorView, ChainId, CoinHistory, DepositEvidence, SpanEvidence, verify_history},
    rpc::RpcSource,
    source::BlockSource,
};

fn seg(a: u64, b: u64) -> Segment {
    Segment::new(U256::from(a), U256::from(b)).unwrap()
}

/// How long the test waits for the node's background work (L1 sync and submission, the
/// accumulator worker): generous, because CI runs the tests in parallel with CPU-heavy ones on
/// two cores.
const PATIENCE: Duration = Duration::from_secs(60);

/// Polls `cond` every 20 ms until it holds (true) or [`PATIENCE`] has passed (false).
async fn eventually(cond: impl AsyncFnMut() -> bool) -> bool {
    debye_operator::test_utils::eventually(PATIENCE, cond).await
}

struct Net {
    chain: DebyeChainClient<Arc<EmbeddedL1>>,
    id: ChainId,
    node: Operator,
    rpc: HttpClient,
    source: RpcSource,
    deposits: Vec<DepositEvidence>,
    _dir: tempfile::TempDir,
}

async fn net() -> Net {
    let l1 = Arc::new(EmbeddedL1::new());
    let eth = U256::from(10u64).pow(U256::from(18u64));
    let deployer = Address::new([0x0e; 20]);
    l1.fund(deployer, eth);
    let chain = DebyeChainClient::deploy(l1.clone(), deployer, DEV_OPERATOR)
        .await
        .unwrap();
    let mut deposits = Vec::new();
    for k in [1u64, 2] {
        l1.fund(test_address(k), eth);
        let d = chain
            .deposit_eth(test_address(k), U256::from(1_000u64))
            .await
            .unwrap();
        deposits.push(DepositEvidence::from(&d));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut config = debye_operator::test_utils::config(dir.path());
    config.metrics_addr = None;
    let node = Operator::start(config, chain.clone(), DEV_OPERATOR)
        .await
        .unwrap();
    let credited = || {
        node.metrics()
            .deposits
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    assert!(
        eventually(async || credited() >= 2).await,
        "the deposits were not credited within {PATIENCE:?}: {} of 2",
        credited()
    );
    let url = format!("http://{}", node.rpc_addr().unwrap());
    let id = ChainId {
        chain_id: node.status().chain_id,
        anchor: chain.address(),
    };
    Net {
        rpc: debye_rpc_api::http_client(&url).unwrap(),
        source: RpcSource::connect(&url).unwrap(),
        chain,
        id,
        node,
        deposits,
        _dir: dir,
    }
}

impl Net {
    /// Moves `s` (from `owner`'s deposit, key `key`) to `to` in a block of its own, after the
    /// accumulator caught up (so every height is committed by the next header).
    async fn block(&self, key: u64, input: Input, outputs: Vec<Output>) -> u64 {
        let tip = self.node.status().tip;
        let height = async || self.rpc.accumulator(None).await.unwrap().unwrap().height;
        assert!(
            eventually(async || height().await >= tip).await,
            "the accumulator did not reach height {tip} within {PATIENCE:?}: at {}",
            height().await
        );
        let tx = Transaction {
            inputs: vec![input],
            outputs,
            max_block_index: 1_000,
        }
        .sign(self.node.domain(), &[test_key(key)])
        .unwrap();
        self.node.submit(tx).await.unwrap();
        let n = self.node.flush().await.unwrap().unwrap();
        assert!(
            eventually(async || self.node.status().l1_committed >= n).await,
            "block {n} not committed on L1 within {PATIENCE:?}: {:?}",
            self.node.status()
        );
        n
    }

    async fn history(&self, segment: Segment, deposit: usize) -> CoinHistory {
        let mut h = CoinHistory::new(self.id, segment, vec![self.deposits[deposit]]);
        self.extend(&mut h).await;
        h
    }

    async fn extend(&self, h: &mut CoinHistory) {
        let tip = self.chain.next_block().await.unwrap() - 1;
        for n in h.next_block()..=tip {
            let block = self.source.block(n).await.unwrap().unwrap();
            let tree = block.tree(self.node.domain()).unwrap();
            h.extend_with_block(&block, &tree).unwrap();
        }
    }

    async fn check(&self, h: &CoinHistory, owner: Address) -> Result<usize, Error> {
        let view = AnchorView::fetch(&self.chain, h.deposits.iter().map(|d| d.start))
            .await
            .unwrap();
        verify_history(h, &self.id, &view, owner).map(|p| p.len())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untouched_history_shrinks_to_one_accumulator_span_and_forgeries_are_refused() {
    let net = net().await;
    let (alice, bob, carol, dave) = (
        test_address(1),
        test_address(2),
        test_address(3),
        test_address(4),
    );
    let bob_block = net.deposits[1].block_number;
    // Blocks 1..=5 move Bob's coins; Alice's deposit [0, 1000) does not move.
    for i in 0..5u64 {
        let s = seg(1_000 + 10 * i, 1_010 + 10 * i);
        let out = vec![Output {
            owner: carol,
            segment: s,
        }];
        net.block(2, Input::deposit(bob, bob_block, s), out).await;
    }
    let mut h = net.history(seg(0, 1_000), 0).await;
    assert_eq!(h.blocks.len(), 5);
    let plain = h.to_json().unwrap().len();
    assert_eq!(net.check(&h, alice).await.unwrap(), 1);

    let replaced = net.source.compress(&mut h).await.unwrap();
    assert_eq!(
        replaced, 4,
        "header 5 commits height 4: blocks 1..=4 become one span"
    );
    assert_eq!((h.spans.len(), h.blocks.len()), (1, 1));
    assert_eq!((h.spans[0].span.from, h.spans[0].span.to), (0, 4));
    let compressed = h.to_json().unwrap();
    let back = CoinHistory::from_json(&compressed).unwrap();
    assert_eq!(net.check(&back, alice).await.unwrap(), 1);
    println!(
        "history JSON: {plain} bytes per-block, {} bytes with the span",
        compressed.len()
    );

    // Alice pays Dave [0, 100) in block 6; Dave's history keeps the span for (0, 4].
    let alice_block = net.deposits[0].block_number;
    let outs = vec![
        Output {
            owner: dave,
            segment: seg(0, 100),
        },
        Output {
            owner: alice,
            segment: seg(100, 1_000),
        },
    ];
    let six = net
        .block(1, Input::deposit(alice, alice_block, seg(0, 1_000)), outs)
        .await;
    net.extend(&mut h).await;
    let daves = h.restrict(seg(0, 100)).unwrap();
    assert_eq!(daves.spans.len(), 1);
    assert_eq!(net.check(&daves, dave).await.unwrap(), 1);

    // Forgeries of the span are refused by the recipient.
    let span = h.spans[0].clone();
    let forged = |f: &dyn Fn(&mut SpanEvidence)| {
        let mut bad = h.clone();
        f(&mut bad.spans[0]);
        bad
    };
    let flipped = forged(&|s| {
        let mut p = s.span.proof.to_vec();
        p[700] ^= 1;
        s.span.proof = p.into();
    });
    assert!(matches!(
        net.check(&flipped, alice).await,
        Err(Error::ForgedSpan { .. })
    ));
    let other_value = net.rpc.accumulator(Some(3)).await.unwrap().unwrap().value;
    let swapped = forged(&|s| s.span.value_to = other_value.clone());
    assert!(matches!(
        net.check(&swapped, alice).await,
        Err(Error::ForgedSpan { .. })
    ));
    let mut other_header = span.header_to;
    other_header.tx_root = alloy_primitives::B256::repeat_byte(7);
    let rewritten = forged(&|s| s.header_to = other_header);
    assert!(matches!(
        net.check(&rewritten, alice).await,
        Err(Error::HeaderMismatch { .. })
    ));
    // The same proof claimed for more coins than it speaks about.
    let widened = forged(&|s| s.span.segment = seg(0, 2_000));
    assert!(matches!(
        net.check(&widened, alice).await,
        Err(Error::ForgedSpan { .. })
    ));
    // A span of Bob's untouched coins does not stand for Alice's.
    let mut bobs = net.history(seg(1_500, 2_000), 1).await;
    assert!(net.source.compress(&mut bobs).await.unwrap() > 0);
    assert_eq!(net.check(&bobs, bob).await.unwrap(), 1);
    let mut foreign = h.clone();
    foreign.spans[0] = bobs.spans[0].clone();
    assert!(matches!(
        net.check(&foreign, alice).await,
        Err(Error::MissingBlock { block: 1 })
    ));
    // No span may replace a block that moved the coins.
    let mut fake = span.clone();
    fake.span.from = six - 1;
    fake.span.to = six;
    assert!(matches!(
        h.clone().compress(fake),
        Err(Error::MalformedHistory(_))
    ));
    // Nothing is left to compress after the move.
    assert_eq!(net.source.compress(&mut h.clone()).await.unwrap(), 0);
    net.node.shutdown(Duration::from_secs(5)).await.unwrap();
}

/// A payment the operator refuses (here: already expired, error 1003) gives the wallet its coins
/// back at once, so the next payment goes through; before, they stayed reserved until a sync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_the_operator_refuses_gives_the_coins_back() {
    let net = net().await;
    let dir = tempfile::tempdir().unwrap();
    let mut alice = debye_wallet::Wallet::import_key(
        &dir.path().join("alice"),
        debye_wallet::AccountKey::from_signing_key(test_key(1)),
        &"correct horse".into(),
        debye_wallet::keystore::ScryptParams {
            n: 1 << 10,
            r: 8,
            p: 1,
        },
    )
    .unwrap();
    alice
        .deposit_eth(&net.chain, U256::from(500u64))
        .await
        .unwrap();
    let alice_addr = test_address(1);
    // The operator credits it on its own clock.
    let owned = async || net.rpc.ranges_owned_by(alice_addr).await.unwrap();
    assert!(
        eventually(async || owned().await.len() >= 2).await,
        "the operator did not credit the second deposit within {PATIENCE:?}: alice owns {:?}",
        owned().await
    );
    let before = alice.state().balance(0);
    assert_eq!(before, U256::from(500u64));
    let bob = test_address(2);
    // maxBlockIndex 0 is below the next block: refused
    let err = alice
        .pay(&net.source, bob, 0, U256::from(10u64), 0)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Refused(_)), "{err}");
    assert_eq!(
        alice.state().balance(0),
        before,
        "the refused payment's coins are spendable"
    );
    alice
        .pay(&net.source, bob, 0, U256::from(10u64), 1_000)
        .await
        .unwrap();
    net.node.shutdown(Duration::from_secs(5)).await.unwrap();
}
