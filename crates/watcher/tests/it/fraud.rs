//! Fraud never pays: a spent exit, an exit of an unsigned spend, a restart during an open
//! fraudulent exit, a withheld block — each judged by the watcher, with exact L1 balances.

use std::{
    ops::{Deref, DerefMut},
    sync::Arc,
};

use alloy_primitives::{Address, U256};
pub(crate) use debye_l1::test_utils::{PERIOD, eth};
use debye_l1::{
    EmbeddedL1, L1,
    anvil::Anvil,
    exits::{ExitData, ExitStatus},
    test_utils::funded_embedded,
};
use debye_primitives::{Input, Output, Segment, Transaction};
use debye_rpc_api::HttpClient;
use debye_watcher::{Mode, WatchEvent, Watcher, testnet};

/// The watcher tests' [`testnet::World`]: transactions valid up to block 100, watchers that
/// verify the accumulator, and no errors expected.
pub(crate) struct World<L>(testnet::World<L>);

impl<L> Deref for World<L> {
    type Target = testnet::World<L>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<L> DerefMut for World<L> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

pub(crate) async fn world<L: L1 + Clone + 'static>(l1: L) -> World<L> {
    World(testnet::World::new(l1, 100).await.unwrap())
}

impl<L: L1 + Clone + 'static> World<L> {
    pub(crate) async fn watcher(&self, mode: Mode) -> Watcher<L, HttpClient> {
        self.0.open_watcher(mode, true).await.unwrap()
    }

    pub(crate) fn all_coins(&self) -> Mode {
        Mode::Guard(vec![self.0.all_deposited().unwrap()])
    }

    /// After the exit period, `exit` of coins from `start` on is finalized (by the guard) and
    /// `owner` is paid 1 ETH and the bond.
    pub(crate) async fn settles_to(&self, exit: &ExitData, owner: Address, bond: U256, why: &str) {
        self.l1.advance_time(PERIOD + 1).await.unwrap();
        let owner0 = self.l1.balance(owner).await.unwrap();
        let key = self.chain.range_key(exit.start, 0).await.unwrap();
        self.chain
            .finalize_exit(self.guard, exit, key)
            .await
            .unwrap();
        assert_eq!(
            self.l1.balance(owner).await.unwrap(),
            owner0 + eth(1) + bond,
            "{why}"
        );
    }

    /// `watcher` lets `exit` stand (a round without any challenge), and it settles as in
    /// [`Self::settles_to`].
    pub(crate) async fn stands_and_settles(
        &self,
        watcher: &mut Watcher<L, HttpClient>,
        exit: &ExitData,
        owner: Address,
        bond: U256,
        why: &str,
    ) {
        let events = watcher.step().await.unwrap();
        assert!(!challenged_any(&events), "{events:?}");
        self.settles_to(exit, owner, bond, why).await;
    }

    /// The L1 balances of `who`, in order.
    pub(crate) async fn balances<const N: usize>(&self, who: [Address; N]) -> [U256; N] {
        let mut out = [U256::ZERO; N];
        for (balance, a) in out.iter_mut().zip(who) {
            *balance = self.l1.balance(a).await.unwrap();
        }
        out
    }

    /// `exit` was cancelled on L1.
    pub(crate) async fn assert_cancelled(&self, exit: &ExitData) {
        let status = self.chain.exit_status(exit).await.unwrap();
        assert_eq!(status, ExitStatus::Cancelled);
    }
}

/// Whether the watcher challenged any exit.
pub(crate) fn challenged_any(events: &[WatchEvent]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, WatchEvent::Challenged { .. }))
}

/// Whether the watcher reported an invalid transaction in a committed block.
pub(crate) fn flagged_invalid(events: &[WatchEvent]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, WatchEvent::InvalidTransaction { .. }))
}

fn challenged(events: &[WatchEvent], how: &str) -> bool {
    events
        .iter()
        .any(|e| matches!(e, WatchEvent::Challenged { how: h, .. } if h == how))
}

pub(crate) async fn embedded() -> Arc<EmbeddedL1> {
    funded_embedded()
}

/// Alice exits the deposit she already paid to Bob: the watcher shows the spend, Alice loses
/// her bond to the watcher, Bob's exit of what he was paid still settles.
async fn spent_exit<L: L1 + Clone + 'static>(w: &World<L>, gas_free: bool) {
    let mut watcher = w.watcher(w.all_coins()).await;
    watcher.step().await.unwrap();
    let bond = w.chain.exit_bond().await.unwrap();
    let [alice0, guard0] = w.balances([w.alice, w.guard]).await;
    let fraud = w
        .chain
        .start_deposit_exit(w.alice, &w.dep_a, w.dep_a.start, w.dep_a.end)
        .await
        .unwrap();
    let events = watcher.step().await.unwrap();
    assert!(challenged(&events, "spent"), "{events:?}");
    w.assert_cancelled(&fraud).await;
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
    let bob_exit = w.exit_output(w.bob, &w.t1, 0, block1, &seg).await.unwrap();
    w.stands_and_settles(
        &mut watcher,
        &bob_exit,
        w.bob,
        bond,
        "the honest owner got his coins and his bond back",
    )
    .await;
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
    w.assert_cancelled(&fraud).await;
    let bond = w.chain.exit_bond().await.unwrap();
    assert_eq!(w.l1.balance(w.guard).await.unwrap(), guard0 + bond);
}

/// The operator includes a spend of Bob's deposit that Bob never signed and exits it: the
/// watcher asks for Bob's signed spend, nobody can show one, the exit is cancelled.
#[tokio::test]
async fn unsigned_spend_exit_falls_to_a_request() {
    let mut w = world(embedded().await).await;
    let seg_b = Segment::new(w.dep_b.start, w.dep_b.end).unwrap();
    // Signed by the operator, not by Bob.
    let forged = w.forged_spend_of_bob().unwrap();
    let n = w.op.commit(vec![forged.clone()], false).await.unwrap();
    let mut watcher = w.watcher(Mode::Guard(vec![seg_b])).await;
    let events = watcher.step().await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, WatchEvent::InvalidTransaction { block, .. } if *block == n)),
        "{events:?}"
    );
    let op0 = w.l1.balance(w.operator).await.unwrap();
    let fraud = w
        .exit_output(w.operator, &forged, 0, n, &seg_b)
        .await
        .unwrap();
    let guard0 = w.l1.balance(w.guard).await.unwrap();
    let events = watcher.step().await.unwrap();
    assert!(challenged(&events, "request"), "{events:?}");
    w.l1.advance_time(PERIOD / 2 + 1).await.unwrap();
    let events = watcher.step().await.unwrap();
    assert!(challenged(&events, "resolve"), "{events:?}");
    w.assert_cancelled(&fraud).await;
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
    assert!(!flagged_invalid(&events), "{events:?}");
    let status = watcher.status();
    assert_eq!(
        status.stored_txs, 1,
        "only the swap touches the guarded coins"
    );
    assert_eq!(status.byzantine_reports, 0);
}
