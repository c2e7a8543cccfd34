//! The watcher in the forced-inclusion game (`docs/exit-game.md` §12): forced transactions that
//! must fail are cancelled for the forcing bond (§12.2), across a restart; an honest one is left
//! alone, becomes included and is then the spend that cancels an exit of what it spent (§12.4).

use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use debye_l1::{
    L1,
    exits::{exit_id, output_proof},
    forced::{ForcedStatus, forced_block_index},
    test_utils::{self, tx_input},
};
use debye_primitives::{Input, Segment, Transaction};
use debye_watcher::WatchEvent;

use crate::fraud::{PERIOD, challenged_any, embedded, eth, flagged_invalid, world};

/// Spends `input` whole to `to`.
fn transfer(input: Input, to: Address) -> Transaction {
    test_utils::transfer(input, to, 100)
}

/// What `pick` makes of the events it selects, sorted.
fn sorted<T: Ord>(events: &[WatchEvent], pick: impl Fn(&WatchEvent) -> Option<T>) -> Vec<T> {
    let mut out: Vec<T> = events.iter().filter_map(pick).collect();
    out.sort();
    out
}

fn forced_challenges(events: &[WatchEvent]) -> Vec<(u64, String)> {
    sorted(events, |e| match e {
        WatchEvent::ForcedChallenged { index, how } => Some((*index, how.clone())),
        _ => None,
    })
}

/// Four forced transactions that must fail — an input already spent on L2 (§12.2 (a)), an
/// output of another owner (§12.2 (b)), a deposit of another owner (§12.2 (b)), an output of a
/// block where nothing touched those coins (§12.2 (b), exclusion proof) — recorded by a watcher
/// that crashes before acting, then cancelled by the restarted one, which earns every bond.
#[tokio::test]
async fn malicious_forced_transactions_are_challenged_for_the_bond() {
    let w = world(embedded().await).await;
    // The byzantine operator forces too.
    let mallory = w.operator;
    let seg_a = Segment::new(w.dep_a.start, w.dep_a.end).unwrap();
    let seg_b = Segment::new(w.dep_b.start, w.dep_b.end).unwrap();
    let bob_out = w.t1.transaction.outputs[0].segment;
    let mut first = w.watcher(w.all_coins()).await;
    first.step().await.unwrap();

    let bond = w.chain.force_bond().await.unwrap();
    let (alice0, mallory0, guard0) = (
        w.l1.balance(w.alice).await.unwrap(),
        w.l1.balance(mallory).await.unwrap(),
        w.l1.balance(w.guard).await.unwrap(),
    );
    // Alice forces her deposit to herself after paying it to Bob in block 1.
    let respend = transfer(Input::deposit(w.alice, w.dep_a.blockNumber, seg_a), w.alice);
    let k_spent = w.chain.force(w.alice, &respend).await.unwrap().index;
    // Mallory claims Bob's output of block 1.
    let claim_out = transfer(tx_input(mallory, 1, bob_out), mallory);
    let k_output = w.chain.force(mallory, &claim_out).await.unwrap().index;
    // Mallory claims Bob's deposit.
    let claim_dep = transfer(Input::deposit(mallory, w.dep_b.blockNumber, seg_b), mallory);
    let k_deposit = w.chain.force(mallory, &claim_dep).await.unwrap().index;
    // Mallory claims an output of block 1 over coins no transaction of block 1 touched.
    let ghost = transfer(tx_input(mallory, 1, seg_b), mallory);
    let k_ghost = w.chain.force(mallory, &ghost).await.unwrap().index;

    first.sync().await.unwrap();
    assert_eq!(first.status().forced, 4);
    drop(first); // the crash, before acting

    let mut watcher = w.watcher(w.all_coins()).await;
    assert_eq!(watcher.status().forced, 4, "the forced records survived");
    let events = watcher.step().await.unwrap();
    let mut expected = vec![
        (k_spent, "forcedSpent".to_string()),
        (k_output, "forcedOutput".to_string()),
        (k_deposit, "forcedDeposit".to_string()),
        (k_ghost, "forcedExcluded".to_string()),
    ];
    expected.sort();
    assert_eq!(forced_challenges(&events), expected, "{events:?}");
    for k in [k_spent, k_output, k_deposit, k_ghost] {
        assert_eq!(
            w.chain.forced_state(k).await.unwrap().status,
            ForcedStatus::Cancelled
        );
    }
    let four = bond * U256::from(4u8);
    assert_eq!(w.l1.balance(w.guard).await.unwrap(), guard0 + four);
    assert_eq!(w.l1.balance(w.alice).await.unwrap(), alice0 - bond);
    assert_eq!(
        w.l1.balance(mallory).await.unwrap(),
        mallory0 - bond * U256::from(3u8)
    );
    let events = watcher.step().await.unwrap();
    assert!(forced_challenges(&events).is_empty(), "{events:?}");
    let status = watcher.status();
    assert_eq!(status.forced_cancelled, 4);
    assert_eq!(status.bonds_collected, four);
}

/// Bob forces a censored payment of his block-1 output to Carol: the watcher has no evidence
/// against it (§12.2, honest case) and it becomes included (§12.3). Carol's L2 spend of the
/// forced output (`FORCED_BLOCK | k`) is valid; Bob's exit of the output he paid away is
/// cancelled with the forced transaction as the spend, Carol's exit of the forced output she
/// paid on with her L2 spend (§12.4); Alice, paid through the forced output, exits and is paid.
#[tokio::test]
async fn honest_forced_tx_is_included_and_is_a_spend() {
    let mut w = world(embedded().await).await;
    let carol_signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0xca)).unwrap();
    let (carol, carol_key) = (carol_signer.address(), carol_signer.credential().clone());
    w.l1.fund(carol, eth(10));
    let bob_out = w.t1.transaction.outputs[0].segment;
    let mut watcher = w.watcher(w.all_coins()).await;
    watcher.step().await.unwrap();

    let bob0 = w.l1.balance(w.bob).await.unwrap();
    let pay = transfer(tx_input(w.bob, 1, bob_out), carol);
    let k = w.chain.force(w.bob, &pay).await.unwrap().index;
    let signed = pay.sign(w.op.domain(), &w.keys[2..3]).unwrap();
    w.chain.sign_forced_all(w.bob, k, &signed).await.unwrap();
    let events = watcher.step().await.unwrap();
    assert!(
        !events.iter().any(|e| matches!(
            e,
            WatchEvent::ForcedChallenged { .. } | WatchEvent::ForcedActionFailed { .. }
        )),
        "{events:?}"
    );
    w.l1.advance_time(PERIOD + 1).await.unwrap();
    watcher.step().await.unwrap();
    w.chain.finalize_forced(carol, k).await.unwrap();
    assert_eq!(
        w.chain.forced_state(k).await.unwrap().status,
        ForcedStatus::Included
    );
    w.chain.claim_forced(w.bob).await.unwrap();
    assert_eq!(
        w.l1.balance(w.bob).await.unwrap(),
        bob0,
        "the forcing bond came back"
    );
    watcher.step().await.unwrap();
    assert_eq!(watcher.status().forced_cancelled, 0);

    // Carol pays the forced output to Alice on L2, naming it FORCED_BLOCK | k: a valid spend.
    let carol_pays = transfer(tx_input(carol, forced_block_index(k), bob_out), w.alice)
        .sign(w.op.domain(), &[carol_key])
        .unwrap();
    let n = w.op.commit(vec![carol_pays.clone()], false).await.unwrap();
    let events = watcher.step().await.unwrap();
    assert!(!flagged_invalid(&events), "{events:?}");
    assert_eq!(watcher.status().byzantine_reports, 0);

    // Bob exits the output he paid away by force: the forced transaction is the spend. Carol
    // exits the forced output she paid on: the L2 spend naming it is the spend.
    let exit_bond = w.chain.exit_bond().await.unwrap();
    let bob_exit = w.exit_output(w.bob, &w.t1, 0, 1, &bob_out).await.unwrap();
    let carol_exit = w
        .chain
        .start_forced_exit(carol, &pay, 0, k, bob_out.start(), bob_out.end())
        .await
        .unwrap();
    let guard0 = w.l1.balance(w.guard).await.unwrap();
    let events = watcher.step().await.unwrap();
    let challenged = sorted(&events, |e| match e {
        WatchEvent::Challenged { exit_id, how } => Some((*exit_id, how.clone())),
        _ => None,
    });
    let mut expected = vec![
        (exit_id(&bob_exit), "spent".to_string()),
        (exit_id(&carol_exit), "spent".to_string()),
    ];
    expected.sort();
    assert_eq!(challenged, expected, "{events:?}");
    for e in [&bob_exit, &carol_exit] {
        w.assert_cancelled(e).await;
    }
    assert_eq!(
        w.l1.balance(w.guard).await.unwrap(),
        guard0 + exit_bond * U256::from(2u8)
    );

    // Alice, paid through the forced output, exits and is paid.
    let alice_exit = w
        .exit_output(w.alice, &carol_pays, 0, n, &bob_out)
        .await
        .unwrap();
    let why = "the owner paid through the forced output is paid";
    w.stands_and_settles(&mut watcher, &alice_exit, w.alice, exit_bond, why)
        .await;
}

/// A griefer asks for the spend of the output an included forced transaction spent, against an
/// exit of its output: the watcher answers with the forced transaction (§12.4, `respondChallenge`)
/// and earns the request bond; the exit is paid.
#[tokio::test]
async fn forced_tx_answers_a_request() {
    let w = world(embedded().await).await;
    let carol = Address::repeat_byte(0xcb);
    w.l1.fund(carol, eth(10));
    let bob_out = w.t1.transaction.outputs[0].segment;
    let mut watcher = w.watcher(w.all_coins()).await;
    watcher.step().await.unwrap();
    let pay = transfer(tx_input(w.bob, 1, bob_out), carol);
    let k = w.chain.force(w.bob, &pay).await.unwrap().index;
    let signed = pay.sign(w.op.domain(), &w.keys[2..3]).unwrap();
    w.chain.sign_forced_all(w.bob, k, &signed).await.unwrap();
    w.l1.advance_time(PERIOD + 1).await.unwrap();
    w.chain.finalize_forced(carol, k).await.unwrap();
    let carol_exit = w
        .chain
        .start_forced_exit(carol, &pay, 0, k, bob_out.start(), bob_out.end())
        .await
        .unwrap();
    let events = watcher.step().await.unwrap();
    assert!(!challenged_any(&events), "{events:?}");

    let bond = w.chain.exit_bond().await.unwrap();
    let [griefer0, guard0] = w.balances([w.operator, w.guard]).await;
    let id1 = w.t1.tx_id(w.op.domain());
    let named = output_proof(
        &w.t1.transaction,
        0,
        &w.op.header(1).unwrap(),
        &w.op.proof(1, &bob_out, id1).unwrap(),
    )
    .unwrap();
    w.chain
        .request_with_output(w.operator, &carol_exit, &pay, &named, bob_out.start())
        .await
        .unwrap();
    let events = watcher.step().await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, WatchEvent::Answered { .. })),
        "{events:?}"
    );
    // The request bond goes to the delayed exit's owner, not to the answering watcher
    // (docs/exit-game.md §3.4).
    let quarter = bond / U256::from(4u8);
    assert_eq!(w.l1.balance(w.guard).await.unwrap(), guard0);
    assert_eq!(w.chain.credit_of(carol).await.unwrap(), quarter);
    assert_eq!(w.l1.balance(w.operator).await.unwrap(), griefer0 - quarter);
    assert_eq!(watcher.status().answers_sent, 1);

    let why = "the forced output's owner is paid";
    w.settles_to(&carol_exit, carol, bond, why).await;
}

/// Alice forces and signs two spends of her block-1 change: either is a spend of the other's
/// input (§12.2 (a), pending with all signatures). The watcher cancels the first with the second
/// for the bond, and the second, no longer contradicted, becomes included.
#[tokio::test]
async fn two_signed_forced_spends_of_one_input_leave_one() {
    let w = world(embedded().await).await;
    let change = w.t1.transaction.outputs[1].segment;
    let mut watcher = w.watcher(w.all_coins()).await;
    watcher.step().await.unwrap();
    let bond = w.chain.force_bond().await.unwrap();
    let [alice0, guard0] = w.balances([w.alice, w.guard]).await;
    let mut input = tx_input(w.alice, 1, change);
    input.output_index = 1;
    let to_bob = transfer(input, w.bob);
    let to_self = transfer(input, w.alice);
    let mut ks = Vec::new();
    for tx in [&to_bob, &to_self] {
        let k = w.chain.force(w.alice, tx).await.unwrap().index;
        let signed = tx.sign(w.op.domain(), &w.keys[1..2]).unwrap();
        w.chain.sign_forced_all(w.alice, k, &signed).await.unwrap();
        ks.push(k);
    }
    let events = watcher.step().await.unwrap();
    assert_eq!(
        forced_challenges(&events),
        vec![(ks[0], "forcedSpent".to_string())],
        "{events:?}"
    );
    let events = watcher.step().await.unwrap();
    assert!(forced_challenges(&events).is_empty(), "{events:?}");
    w.l1.advance_time(PERIOD + 1).await.unwrap();
    w.chain.finalize_forced(w.guard, ks[1]).await.unwrap();
    assert_eq!(
        w.chain.forced_state(ks[0]).await.unwrap().status,
        ForcedStatus::Cancelled
    );
    assert_eq!(
        w.chain.forced_state(ks[1]).await.unwrap().status,
        ForcedStatus::Included
    );
    assert_eq!(w.l1.balance(w.guard).await.unwrap(), guard0 + bond);
    w.chain.claim_forced(w.alice).await.unwrap(); // the included one's bond, credited (§5.3)
    assert_eq!(w.l1.balance(w.alice).await.unwrap(), alice0 - bond);
    watcher.step().await.unwrap();
    assert_eq!(watcher.status().forced_cancelled, 1);
}
