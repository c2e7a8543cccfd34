//! The safety rule on real blocks committed to the embedded L1, against honest and lying
//! operators.

use alloy_primitives::{Address, B256, U256};
use debye_l1::{
    L1,
    exits::{ExitData, ExitStatus, SpendProof, deposit_record, exit_id, spend_proof},
};
use debye_primitives::{
    Input, Origin, Output, Segment, SignedTransaction, Transaction,
    test_utils::{test_address, test_key},
};
use debye_wallet::{
    Error,
    history::{AnchorView, CoinHistory, DepositEvidence, Evidence, verify_history},
    source::BlockSource,
};

use crate::util::{Net, net};

fn seg(a: u64, b: u64) -> Segment {
    Segment::new(U256::from(a), U256::from(b)).unwrap()
}

/// Alice deposits 100 wei for block 1; block 1: Alice pays Bob [0, 60), change [60, 100);
/// block 2: an unrelated deposit of Carol's moves; block 3: empty. Returns Bob's history of
/// [0, 60) built from the operator's blocks.
struct Story {
    net: Net,
    alice_deposit: DepositEvidence,
    pay: SignedTransaction,
}

async fn story() -> Story {
    let net = net().await;
    let (alice, bob, carol) = (test_address(1), test_address(2), test_address(3));
    let d = net
        .client
        .deposit_eth(alice, U256::from(100u64))
        .await
        .unwrap();
    let dc = net
        .client
        .deposit_eth(carol, U256::from(50u64))
        .await
        .unwrap();
    let alice_deposit = DepositEvidence::from(&d);
    let domain = net.chain.chain().domain();
    let pay = Transaction {
        inputs: vec![Input::deposit(alice, d.blockNumber, seg(0, 100))],
        outputs: vec![
            Output {
                owner: bob,
                segment: seg(0, 60),
            },
            Output {
                owner: alice,
                segment: seg(60, 100),
            },
        ],
        max_block_index: 10,
    }
    .sign(&domain, &[test_key(1)])
    .unwrap();
    net.chain.submit(pay.clone()).await.unwrap();
    net.chain.commit_pending().await.unwrap();
    let carol_moves = move_all(
        &net,
        Input::deposit(carol, dc.blockNumber, seg(100, 150)),
        alice,
        3,
    );
    net.chain.submit(carol_moves).await.unwrap();
    net.chain.commit_pending().await.unwrap();
    net.chain.commit_pending().await.unwrap();
    Story {
        net,
        alice_deposit,
        pay,
    }
}

/// `input`'s coins moved whole to `to` (valid up to block 10), signed with test key `key`.
fn move_all(net: &Net, input: Input, to: Address, key: u64) -> SignedTransaction {
    Transaction {
        inputs: vec![input],
        outputs: vec![Output {
            owner: to,
            segment: input.segment,
        }],
        max_block_index: 10,
    }
    .sign(&net.chain.chain().domain(), &[test_key(key)])
    .unwrap()
}

impl Story {
    /// The operator commits `tx` as the next block exactly as given (a lying operator); returns
    /// Bob's history of [0, 60) built up to it.
    async fn commit_raw(&self, tx: SignedTransaction) -> CoinHistory {
        self.net.chain.commit_raw(vec![tx]).await.unwrap();
        history_of(&self.net, seg(0, 60), vec![self.alice_deposit]).await
    }
}

async fn history_of(net: &Net, segment: Segment, deposits: Vec<DepositEvidence>) -> CoinHistory {
    let mut h = CoinHistory::new(net.chain.chain(), segment, deposits);
    let tip = net.client.next_block().await.unwrap() - 1;
    for n in h.next_block()..=tip {
        let block = net.chain.block(n).await.unwrap().unwrap();
        h.extend_with_block(&block, &net.chain.tree(n).unwrap())
            .unwrap();
    }
    h
}

async fn anchor(net: &Net, h: &CoinHistory) -> AnchorView {
    AnchorView::fetch(&net.client, h.deposits.iter().map(|d| d.start))
        .await
        .unwrap()
}

async fn check(net: &Net, h: &CoinHistory, owner: Address) -> Result<usize, Error> {
    let view = anchor(net, h).await;
    verify_history(h, &net.chain.chain(), &view, owner).map(|p| p.len())
}

#[tokio::test]
async fn honest_history_verifies_and_travels_as_json() {
    let s = story().await;
    let h = history_of(&s.net, seg(0, 60), vec![s.alice_deposit]).await;
    assert_eq!(h.blocks.len(), 3);
    let view = anchor(&s.net, &h).await;
    let pieces = verify_history(&h, &s.net.chain.chain(), &view, test_address(2)).unwrap();
    assert_eq!(pieces.len(), 1);
    assert_eq!(pieces[0].segment, seg(0, 60));
    assert_eq!(
        (
            pieces[0].origin.block,
            pieces[0].origin.tx_index,
            pieces[0].origin.output_index
        ),
        (1, 0, 0)
    );
    // Untouched blocks are exclusion proofs; the payment block is an inclusion proof.
    assert!(matches!(h.blocks[0].items[..], [Evidence::Included { .. }]));
    assert!(matches!(h.blocks[1].items[..], [Evidence::Excluded { .. }]));
    // The bundle survives the wire.
    let back = CoinHistory::from_json(&h.to_json().unwrap()).unwrap();
    assert_eq!(back, h);
    // A part of the coins, as a sender hands it on, verifies on its own.
    let part = h.restrict(seg(10, 20)).unwrap();
    assert_eq!(check(&s.net, &part, test_address(2)).await.unwrap(), 1);
    // Alice's change verifies for Alice, not for Bob.
    let change = history_of(&s.net, seg(60, 100), vec![s.alice_deposit]).await;
    assert_eq!(check(&s.net, &change, test_address(1)).await.unwrap(), 1);
    let err = check(&s.net, &change, test_address(2)).await.unwrap_err();
    assert!(
        matches!(err, Error::WrongOwner { owner, .. } if owner == test_address(1)),
        "{err}"
    );
    // Before the first block, Alice's deposit alone proves her coins.
    assert!(err.is_history_fault());
}

#[tokio::test]
async fn tampered_histories_are_refused_with_the_reason() {
    let s = story().await;
    let bob = test_address(2);
    let h = history_of(&s.net, seg(0, 60), vec![s.alice_deposit]).await;

    // Withheld block: the bundle lacks block 2.
    let mut missing = h.clone();
    missing.blocks.remove(1);
    assert!(matches!(
        check(&s.net, &missing, bob).await,
        Err(Error::MissingBlock { block: 2 })
    ));
    // Incomplete: the bundle stops before the L1 tip.
    let mut short = h.clone();
    short.blocks.pop();
    assert!(matches!(
        check(&s.net, &short, bob).await,
        Err(Error::MissingBlock { block: 3 })
    ));

    // Forged header: not what L1 committed.
    let mut forged_header = h.clone();
    forged_header.blocks[1].header.accumulator = B256::repeat_byte(1);
    assert!(matches!(
        check(&s.net, &forged_header, bob).await,
        Err(Error::HeaderMismatch { block: 2 })
    ));

    // Forged proof: a sibling changed.
    let mut forged = h.clone();
    if let Evidence::Excluded { proof, .. } = &mut forged.blocks[1].items[0] {
        proof.0.siblings[0].hash = B256::repeat_byte(9);
    }
    assert!(matches!(
        check(&s.net, &forged, bob).await,
        Err(Error::ForgedProof { block: 2, .. })
    ));

    // Gap: block 2 proves only part of the coins.
    let mut gap = h.clone();
    let Evidence::Excluded { proof, .. } = gap.blocks[1].items[0].clone() else {
        panic!()
    };
    gap.blocks[1].items = vec![Evidence::Excluded {
        segment: seg(0, 30),
        proof,
    }];
    let err = check(&s.net, &gap, bob).await.unwrap_err();
    assert!(
        matches!(&err, Error::Gap { block: 2, segment } if *segment == seg(30, 60)),
        "{err}"
    );

    // A deposit L1 never recorded (claimed for Bob directly).
    let mut fake_deposit = h.clone();
    fake_deposit.deposits[0].owner = bob;
    assert!(matches!(
        check(&s.net, &fake_deposit, bob).await,
        Err(Error::UnknownDeposit { .. })
    ));

    // The payment block replaced by "untouched" in block 1: the exclusion proof cannot check
    // against the root that holds the payment.
    let mut hidden = h.clone();
    let Evidence::Excluded { proof, .. } = h.blocks[1].items[0].clone() else {
        panic!()
    };
    hidden.blocks[0].items = vec![Evidence::Excluded {
        segment: seg(0, 60),
        proof,
    }];
    assert!(matches!(
        check(&s.net, &hidden, bob).await,
        Err(Error::ForgedProof { block: 1, .. })
    ));

    // Someone else's history: wrong owner.
    let err = check(&s.net, &h, test_address(3)).await.unwrap_err();
    assert!(matches!(err, Error::WrongOwner { .. }), "{err}");
    assert!(err.is_history_fault());
    assert_eq!(s.pay.transaction.outputs[0].owner, bob);
}

#[tokio::test]
async fn lying_operator_spends_without_the_owners_signature() {
    let s = story().await;
    let bob = test_address(2);
    let operator = s.net.operator;
    // The operator moves Bob's [0, 60) to itself, signing as the input owner.
    let theft = move_all(
        &s.net,
        Origin::tx(1, 0, 0).input(operator, seg(0, 60)),
        operator,
        100,
    );
    let h = s.commit_raw(theft).await;
    let err = check(&s.net, &h, s.net.operator).await.unwrap_err();
    assert!(
        matches!(err, Error::UnsignedSpend { block: 4, owner, .. } if owner == bob),
        "{err}"
    );
    // Nor can Bob's history be made to end with Bob: the block is there and moves his coins.
    assert!(check(&s.net, &h, bob).await.unwrap_err().is_history_fault());
}

#[tokio::test]
async fn lying_operator_forges_bobs_signature_and_replays_alices() {
    let s = story().await;
    let (alice, bob) = (test_address(1), test_address(2));
    let domain = s.net.chain.chain().domain();
    // Input claims Bob as owner, but the signature is the operator's.
    let bobs = Origin::tx(1, 0, 0).input(bob, seg(0, 60));
    let mut forged = move_all(&s.net, bobs, s.net.operator, 2);
    let digest = forged.tx_id(&domain);
    forged.signatures = vec![debye_primitives::tx::sign_digest(&test_key(100), &digest).unwrap()];
    let h = s.commit_raw(forged).await;
    let err = check(&s.net, &h, s.net.operator).await.unwrap_err();
    assert!(
        matches!(err, Error::UnsignedSpend { block: 4, owner, .. } if owner == bob),
        "{err}"
    );

    // Alice, the previous owner, double-spends her deposit in block 5 (validly signed by her).
    let s = story().await;
    let double = move_all(
        &s.net,
        Input::deposit(alice, 1, seg(0, 100)),
        test_address(3),
        1,
    );
    let h = s.commit_raw(double).await;
    let err = check(&s.net, &h, test_address(3)).await.unwrap_err();
    assert!(
        matches!(err, Error::UnsignedSpend { owner, .. } if owner == bob),
        "{err}"
    );
}

#[tokio::test]
async fn spend_of_the_wrong_output_breaks_the_chain() {
    let s = story().await;
    let bob = test_address(2);
    // Bob signs, but his input points at output 1 (Alice's change), not output 0.
    let bad = move_all(
        &s.net,
        Origin::tx(1, 0, 1).input(bob, seg(0, 60)),
        test_address(3),
        2,
    );
    let h = s.commit_raw(bad).await;
    let err = check(&s.net, &h, test_address(3)).await.unwrap_err();
    assert!(matches!(err, Error::BrokenChain { block: 4, .. }), "{err}");
}

/// Alice exits her deposit [0, 100) on L1, then pays all of it to Bob on L2 through an
/// operator that does not look at exits (docs/threat-model.md F4). Returns the exit, Bob's
/// history and the spend of the exited deposit as challenge evidence.
async fn exit_then_pay(net: &Net) -> (ExitData, CoinHistory, SpendProof) {
    let (alice, bob) = (test_address(1), test_address(2));
    let d = net
        .client
        .deposit_eth(alice, U256::from(100u64))
        .await
        .unwrap();
    let exit = net
        .client
        .start_deposit_exit(alice, &deposit_record(&d), d.start, d.end)
        .await
        .unwrap();
    let pay = move_all(
        net,
        Input::deposit(alice, d.blockNumber, seg(0, 100)),
        bob,
        1,
    );
    net.chain.submit(pay).await.unwrap();
    net.chain.commit_pending().await.unwrap();
    let h = history_of(net, seg(0, 100), vec![DepositEvidence::from(&d)]).await;
    let [
        Evidence::Included {
            transaction, proof, ..
        },
    ] = &h.blocks[0].items[..]
    else {
        panic!("block 1 should include the payment");
    };
    let spend = spend_proof(transaction, 0, &h.blocks[0].header, &proof.0).unwrap();
    (exit, h, spend)
}

#[tokio::test]
async fn coins_being_exited_are_refused_until_a_challenge_cancels_the_exit() {
    let net = net().await;
    let bob = test_address(2);
    let (exit, h, spend) = exit_then_pay(&net).await;
    let err = check(&net, &h, bob).await.unwrap_err();
    assert!(
        matches!(err, Error::ExitedOnL1 { segment, exit: id, finalized: false }
            if segment == seg(0, 100) && id == exit_id(&exit)),
        "{err:?}"
    );
    assert!(err.is_history_fault());
    // Anyone holding the spend (here Carol, as a watcher would) cancels the exit: the coins are
    // then safe to take.
    net.client
        .challenge_spent(test_address(3), &exit, &spend)
        .await
        .unwrap();
    assert_eq!(
        net.client.exit_status(&exit).await.unwrap(),
        ExitStatus::Cancelled
    );
    assert_eq!(check(&net, &h, bob).await.unwrap(), 1);
}

#[tokio::test]
async fn coins_exited_on_l1_are_refused_for_good() {
    let net = net().await;
    let (exit, h, _) = exit_then_pay(&net).await;
    let period = net.client.exit_period().await.unwrap();
    net.l1.advance_time(period + period / 2 + 1).await.unwrap();
    let key = net.client.range_key(U256::ZERO, 0).await.unwrap();
    net.client
        .finalize_exit(test_address(1), &exit, key)
        .await
        .unwrap();
    assert_eq!(
        net.client.exit_status(&exit).await.unwrap(),
        ExitStatus::Withdrawn,
        "settled and paid"
    );
    // Even a part of the coins is refused, naming the part.
    let part = h.restrict(seg(40, 60)).unwrap();
    let err = check(&net, &part, test_address(2)).await.unwrap_err();
    assert!(
        matches!(err, Error::ExitedOnL1 { segment, exit: id, finalized: true }
            if segment == seg(40, 60) && id == exit_id(&exit)),
        "{err:?}"
    );
}
