//! Fraud never pays: a spent exit, an exit of an unsigned spend, a restart during an open
//! fraudulent exit, a withheld block — each judged by the watcher, with exact L1 balances.

use std::sync::Arc;

use alloy_primitives::{Address, U256};
use debye_l1::{
    EmbeddedL1, L1,
    anvil::{Anvil, dev_signers},
    contracts::DebyeChainClient,
    exits::{DepositRecord, ExitStatus, deposit_record},
};
use debye_primitives::{Input, Output, Segment, SignedTransaction, Transaction, tx::sign_digest};
use debye_rpc_api::HttpClient;
use debye_watcher::{Config, Mode, WatchEvent, Watcher, testnet::ByzantineOperator};
use k256::ecdsa::SigningKey;

const ETH: u128 = 1_000_000_000_000_000_000;
pub(crate) const PERIOD: u64 = 600;

pub(crate) fn eth(n: u128) -> U256 {
    U256::from(n * ETH)
}

pub(crate) struct World<L> {
    pub(crate) l1: L,
    pub(crate) chain: DebyeChainClient<L>,
    pub(crate) op: ByzantineOperator<L>,
    pub(crate) keys: Vec<SigningKey>,
    pub(crate) operator: Address,
    pub(crate) alice: Address,
    pub(crate) bob: Address,
    pub(crate) guard: Address,
    pub(crate) dep_a: DepositRecord,
    pub(crate) dep_b: DepositRecord,
    /// Alice → Bob `[a, a+1)`, change `[a+1, a+3)` to Alice, in block 1.
    pub(crate) t1: SignedTransaction,
    pub(crate) dir: tempfile::TempDir,
}

pub(crate) async fn world<L: L1 + Clone + 'static>(l1: L) -> World<L> {
    let signers = dev_signers();
    let keys: Vec<SigningKey> = signers.iter().map(|s| s.credential().clone()).collect();
    let [operator, alice, bob, guard] = [0, 1, 2, 3].map(|i| signers[i].address());
    let chain = DebyeChainClient::deploy_with(l1.clone(), operator, operator, PERIOD, 0)
        .await
        .unwrap();
    let mut op = ByzantineOperator::start(chain.clone(), operator)
        .await
        .unwrap();
    let dep_a = deposit_record(&chain.deposit_eth(alice, eth(3)).await.unwrap());
    let dep_b = deposit_record(&chain.deposit_eth(bob, eth(1)).await.unwrap());
    let cut = dep_a.start + eth(1);
    let t1 = Transaction {
        inputs: vec![Input::deposit(
            alice,
            dep_a.blockNumber,
            Segment::new(dep_a.start, dep_a.end).unwrap(),
        )],
        outputs: vec![
            Output {
                owner: bob,
                segment: Segment::new(dep_a.start, cut).unwrap(),
            },
            Output {
                owner: alice,
                segment: Segment::new(cut, dep_a.end).unwrap(),
            },
        ],
        max_block_index: 100,
    }
    .sign(op.domain(), &keys[1..2])
    .unwrap();
    op.commit(vec![t1.clone()], false).await.unwrap();
    World {
        l1,
        chain,
        op,
        keys,
        operator,
        alice,
        bob,
        guard,
        dep_a,
        dep_b,
        t1,
        dir: tempfile::tempdir().unwrap(),
    }
}

impl<L: L1 + Clone + 'static> World<L> {
    pub(crate) async fn watcher(&self, mode: Mode) -> Watcher<L, HttpClient> {
        let config = Config {
            mode,
            account: self.guard,
            stall_after: 3600,
            from_l1_block: 0,
            confirmations: 0,
            verify_accumulator: true,
        };
        Watcher::open(
            self.chain.clone(),
            self.op.client().unwrap(),
            self.dir.path().join("watcher.redb"),
            config,
        )
        .await
        .unwrap()
    }

    pub(crate) fn all_coins(&self) -> Mode {
        Mode::Guard(vec![
            Segment::new(self.dep_a.start, self.dep_b.end).unwrap(),
        ])
    }
}

fn challenged(events: &[WatchEvent], how: &str) -> bool {
    events
        .iter()
        .any(|e| matches!(e, WatchEvent::Challenged { how: h, .. } if h == how))
}

pub(crate) async fn embedded() -> Arc<EmbeddedL1> {
    let l1 = Arc::new(EmbeddedL1::new());
    for a in debye_l1::anvil::dev_accounts() {
        l1.fund(a, eth(100));
    }
    l1
}

/// Alice exits the deposit she already paid to Bob: the watcher shows the spend, Alice loses
/// her bond to the watcher, Bob's exit of what he was paid still settles.
async fn spent_exit<L: L1 + Clone + 'static>(w: &World<L>, gas_free: bool) {
    let mut watcher = w.watcher(w.all_coins()).await;
    watcher.step().await.unwrap();
    let bond = w.chain.exit_bond().await.unwrap();
    let (alice0, guard0) = (
        w.l1.balance(w.alice).await.unwrap(),
        w.l1.balance(w.guard).await.unwrap(),
    );
    let fraud = w
        .chain
        .start_deposit_exit(w.alice, &w.dep_a, w.dep_a.start, w.dep_a.end)
        .await
        .unwrap();
    let events = watcher.step().await.unwrap();
    assert!(challenged(&events, "spent"), "{events:?}");
    assert_eq!(
        w.chain.exit_status(&fraud).await.unwrap(),
        ExitStatus::Cancelled
    );
    let alice1 = w.l1.balance(w.alice).await.unwrap();
    let guard1 = w.l1.balance(w.guard).await.unwrap();
    if gas_free {
        assert_eq!(alice1, alice0 - bond, "the exitor lost exactly the bond");
        assert_eq!(guard1, guard0 + bond, "the watcher gained exactly the bond");
    } else {
        assert!(alice1 <= alice0 - bond, "the exitor lost at least the bond");
        assert!(
            guard1 > guard0,
            "the bond pays more than the challenge's gas"
        );
    }
    watcher.step().await.unwrap();
    let status = watcher.status();
    assert_eq!(status.exits_cancelled, 1);
    assert_eq!(status.bonds_collected, bond);

    // Bob, the honest owner, exits what he was paid; the watcher leaves it alone.
    let (block1, cut) = (1, w.dep_a.start + eth(1));
    let seg = Segment::new(w.dep_a.start, cut).unwrap();
    let id = w.t1.tx_id(w.op.domain());
    let proof = w.op.proof(block1, &seg, id).unwrap();
    let header = w.op.header(block1).unwrap();
    let bob_exit = w
        .chain
        .start_output_exit(
            w.bob,
            &w.t1.transaction,
            0,
            &header,
            &proof,
            w.dep_a.start,
            cut,
        )
        .await
        .unwrap();
    let events = watcher.step().await.unwrap();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, WatchEvent::Challenged { .. })),
        "{events:?}"
    );
    w.l1.advance_time(PERIOD + 1).await.unwrap();
    let bob0 = w.l1.balance(w.bob).await.unwrap();
    let key = w.chain.range_key(w.dep_a.start, 0).await.unwrap();
    w.chain
        .finalize_exit(w.guard, &bob_exit, key)
        .await
        .unwrap();
    assert_eq!(
        w.l1.balance(w.bob).await.unwrap(),
        bob0 + eth(1) + bond,
        "the honest owner got his coins and his bond back"
    );
}

#[tokio::test]
async fn spent_exit_is_challenged_embedded() {
    let w = world(embedded().await).await;
    spent_exit(&w, true).await;
}

#[tokio::test]
async fn spent_exit_is_challenged_anvil() {
    let anvil = Anvil::spawn().unwrap();
    let w = world(Arc::new(anvil.l1().unwrap())).await;
    spent_exit(&w, false).await;
}

/// The watcher records an open fraudulent exit, is dropped before acting, and a new watcher on
/// the same store still challenges it.
#[tokio::test]
async fn restart_during_open_fraudulent_exit() {
    let w = world(embedded().await).await;
    let fraud = w
        .chain
        .start_deposit_exit(w.alice, &w.dep_a, w.dep_a.start, w.dep_a.end)
        .await
        .unwrap();
    {
        let mut first = w.watcher(w.all_coins()).await;
        first.sync().await.unwrap();
        assert_eq!(first.status().pending_exits, 1);
        assert_eq!(first.status().stored_txs, 1);
        // dropped here without acting: the crash
    }
    w.l1.advance_time(PERIOD / 2).await.unwrap();
    let guard0 = w.l1.balance(w.guard).await.unwrap();
    let mut second = w.watcher(w.all_coins()).await;
    let status = second.status();
    assert_eq!(
        status.pending_exits, 1,
        "the open exit survived the restart"
    );
    assert!(status.l1_cursor > 0);
    let events = second.step().await.unwrap();
    assert!(challenged(&events, "spent"), "{events:?}");
    assert_eq!(
        w.chain.exit_status(&fraud).await.unwrap(),
        ExitStatus::Cancelled
    );
    let bond = w.chain.exit_bond().await.unwrap();
    assert_eq!(w.l1.balance(w.guard).await.unwrap(), guard0 + bond);
}

/// The operator includes a spend of Bob's deposit that Bob never signed and exits it: the
/// watcher asks for Bob's signed spend, nobody can show one, the exit is cancelled.
#[tokio::test]
async fn unsigned_spend_exit_falls_to_a_request() {
    let mut w = world(embedded().await).await;
    let seg_b = Segment::new(w.dep_b.start, w.dep_b.end).unwrap();
    let transaction = Transaction {
        inputs: vec![Input::deposit(w.bob, w.dep_b.blockNumber, seg_b)],
        outputs: vec![Output {
            owner: w.operator,
            segment: seg_b,
        }],
        max_block_index: 100,
    };
    // Signed by the operator, not by Bob.
    let digest = transaction.tx_id(w.op.domain());
    let forged = SignedTransaction {
        transaction,
        signatures: vec![sign_digest(&w.keys[0], &digest).unwrap()],
    };
    let n = w.op.commit(vec![forged.clone()], false).await.unwrap();
    let mut watcher = w.watcher(Mode::Guard(vec![seg_b])).await;
    let events = watcher.step().await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, WatchEvent::InvalidTransaction { block, .. } if *block == n)),
        "{events:?}"
    );
    let proof = w.op.proof(n, &seg_b, forged.tx_id(w.op.domain())).unwrap();
    let op0 = w.l1.balance(w.operator).await.unwrap();
    let fraud = w
        .chain
        .start_output_exit(
            w.operator,
            &forged.transaction,
            0,
            &w.op.header(n).unwrap(),
            &proof,
            seg_b.start(),
            seg_b.end(),
        )
        .await
        .unwrap();
    let guard0 = w.l1.balance(w.guard).await.unwrap();
    let events = watcher.step().await.unwrap();
    assert!(challenged(&events, "request"), "{events:?}");
    w.l1.advance_time(PERIOD / 2 + 1).await.unwrap();
    let events = watcher.step().await.unwrap();
    assert!(challenged(&events, "resolve"), "{events:?}");
    assert_eq!(
        w.chain.exit_status(&fraud).await.unwrap(),
        ExitStatus::Cancelled
    );
    let bond = w.chain.exit_bond().await.unwrap();
    assert_eq!(
        w.l1.balance(w.guard).await.unwrap(),
        guard0 + bond,
        "the request bond came back and the exit bond was won"
    );
    assert_eq!(w.l1.balance(w.operator).await.unwrap(), op0 - bond);
    watcher.step().await.unwrap();
    assert_eq!(watcher.status().bonds_collected, bond);
}

/// A committed block the operator does not serve is reported, and recovered once served.
#[tokio::test]
async fn withheld_block_is_reported() {
    let mut w = world(embedded().await).await;
    let mut watcher = w.watcher(Mode::Archival).await;
    watcher.step().await.unwrap();
    let n = w.op.commit(vec![], true).await.unwrap();
    let events = watcher.step().await.unwrap();
    assert!(
        events.contains(&WatchEvent::BlockWithheld { block: n }),
        "{events:?}"
    );
    assert_eq!(watcher.status().withheld_blocks, vec![n]);
    w.op.serve(n);
    let events = watcher.step().await.unwrap();
    assert!(events.contains(&WatchEvent::BlockRecovered { block: n }));
    assert!(watcher.status().withheld_blocks.is_empty());
}

/// Guard mode judges only the guarded coins' links: a swap of Bob's guarded deposit against
/// Alice's unguarded output (whose history the guard does not keep) is not reported invalid.
#[tokio::test]
async fn guard_mode_does_not_flag_unguarded_inputs() {
    let mut w = world(embedded().await).await;
    let seg_b = Segment::new(w.dep_b.start, w.dep_b.end).unwrap();
    let change = w.t1.transaction.outputs[1].segment;
    let swap = Transaction {
        inputs: vec![
            Input {
                owner: w.alice,
                block_index: 1,
                tx_index: 0,
                output_index: 1,
                segment: change,
            },
            Input::deposit(w.bob, w.dep_b.blockNumber, seg_b),
        ],
        outputs: vec![
            Output {
                owner: w.bob,
                segment: change,
            },
            Output {
                owner: w.alice,
                segment: seg_b,
            },
        ],
        max_block_index: 100,
    }
    .sign(w.op.domain(), &[w.keys[1].clone(), w.keys[2].clone()])
    .unwrap();
    w.op.commit(vec![swap], false).await.unwrap();
    let mut watcher = w.watcher(Mode::Guard(vec![seg_b])).await;
    let events = watcher.step().await.unwrap();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, WatchEvent::InvalidTransaction { .. })),
        "{events:?}"
    );
    let status = watcher.status();
    assert_eq!(
        status.stored_txs, 1,
        "only the swap touches the guarded coins"
    );
    assert_eq!(status.byzantine_reports, 0);
}
