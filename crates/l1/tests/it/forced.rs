//! The forced-inclusion game end to end (`docs/exit-game.md` §12) with real transactions,
//! signatures and proofs from `debye-primitives`: a censored payment forced, signed on L1,
//! included after the period (time travel) and exited by its recipient; every challenge of the
//! forced game (owner mismatch on a deposit and on an output, exclusion proof, L2 spend,
//! withdrawn input) played and won; the included forced transaction used as the spend in
//! `challengeSpent`, the answer in `respondChallenge` and the earlier spend in
//! `challengeDoubleSpend` — run unchanged on the embedded EVM and on anvil.

use alloy_primitives::U256;
use debye_l1::{
    L1,
    exits::{
        ExitStatus, deposit_position, deposit_record, output_position, output_proof, spend_proof,
    },
    forced::{
        FORCED_BLOCK, ForcedEvent, ForcedInclusion::ForcedInclusionErrors, ForcedStatus,
        IndexOutOfRange, decode_forced_revert, decode_index_out_of_range, forced_block_index,
        forced_position, forced_spend_proof,
    },
    test_utils::{PERIOD, eth, revert_data, transfer, tx_input},
};
use debye_primitives::{Input, Segment};

use crate::fixture::{assert_exit_status, on_both_backends, start};

async fn forced_scenario<L: L1 + Clone>(l1: L) {
    let (dev, domain, op) = start(&l1).await;
    let (chain, keys, [_, alice, bob, carol]) = (dev.chain, dev.keys, dev.actors);
    let bond = chain.exit_bond().await.unwrap();
    let force_bond = chain.force_bond().await.unwrap();
    assert_eq!(force_bond, bond * U256::from(3u8), "three exit bonds");
    let from_block = l1.block_number().await.unwrap();

    // Deposits for child block 1, which the operator commits empty: Alice's payment to Bob is
    // censored. Block 2: Bob pays his deposit to Carol.
    let dep_a = deposit_record(&chain.deposit_eth(alice, eth(2)).await.unwrap());
    let dep_b = deposit_record(&chain.deposit_eth(bob, eth(1)).await.unwrap());
    let seg_a = Segment::new(dep_a.start, dep_a.end).unwrap();
    let seg_b = Segment::new(dep_b.start, dep_b.end).unwrap();
    let (block1, tree1) = op.commit(None, &[]).await;
    let pay_b = transfer(Input::deposit(bob, dep_b.blockNumber, seg_b), carol, 50);
    let signed_b = pay_b.sign(&domain, &keys[2..3]).unwrap();
    let (block2, tree2) = op
        .commit(Some(&block1.header), std::slice::from_ref(&signed_b))
        .await;
    let leaf2 = tree2
        .prove_inclusion(&seg_b, pay_b.tx_id(&domain))
        .unwrap()
        .0;

    // 1. Alice forces the payment and signs it on L1.
    let pay = transfer(Input::deposit(alice, dep_a.blockNumber, seg_a), bob, 50);
    let posted = chain.force(alice, &pay).await.unwrap();
    let k = posted.index;
    assert_eq!(
        posted.txId,
        pay.tx_id(&domain),
        "Rust and Solidity agree on the tx id"
    );
    let posted_position = forced_position(k, deposit_position(dep_a.blockNumber));
    assert_eq!(posted.position, posted_position);
    let signed = pay.sign(&domain, &keys[1..2]).unwrap();
    chain.sign_forced_all(bob, k, &signed).await.unwrap();
    let state = chain.forced_state(k).await.unwrap();
    assert_eq!(state.status, ForcedStatus::Pending);
    assert!(state.signed);
    let err = chain.finalize_forced(bob, k).await.unwrap_err();
    assert!(
        matches!(
            decode_forced_revert(&revert_data(err)),
            Some(ForcedInclusionErrors::ForcedNotMature(_))
        ),
        "not before the period"
    );

    // Meanwhile Alice exits the deposit she is paying away, and Carol exits her block-2 output.
    let alice_exit = chain
        .start_deposit_exit(alice, &dep_a, dep_a.start, dep_a.end)
        .await
        .unwrap();
    let forced_spend = forced_spend_proof(&pay, 0, k).unwrap();
    assert!(
        chain
            .challenge_spent(carol, &alice_exit, &forced_spend)
            .await
            .is_err(),
        "a pending forced transaction is no spend yet"
    );
    let carol_exit = chain
        .start_output_exit(
            carol,
            &pay_b,
            0,
            &block2.header,
            &leaf2,
            dep_b.start,
            dep_b.end,
        )
        .await
        .unwrap();

    // 2. Attacks on the forced game, each refuted for the bond (§12.2).
    // (b) owner mismatch on a deposit: Carol claims Alice's deposit.
    let claim = transfer(Input::deposit(carol, dep_a.blockNumber, seg_a), carol, 49);
    let k_claim = chain.force(carol, &claim).await.unwrap().index;
    chain
        .challenge_forced_deposit(bob, k_claim, &claim, 0, &dep_a)
        .await
        .unwrap();
    // (b) non-inclusion: Carol spends "her" output of block 1, where nothing happened.
    let ghost = transfer(tx_input(carol, 1, seg_b), carol, 48);
    let k_ghost = chain.force(carol, &ghost).await.unwrap().index;
    let excl = tree1.prove_exclusion(&seg_b).unwrap().0;
    chain
        .challenge_forced_excluded(bob, k_ghost, &ghost, 0, &block1.header, &seg_b, &excl)
        .await
        .unwrap();
    // (b) owner mismatch on an output: Alice claims Carol's output of block 2.
    let mismatch = transfer(tx_input(alice, 2, seg_b), alice, 47);
    let k_mismatch = chain.force(alice, &mismatch).await.unwrap().index;
    let carol_output = output_proof(&pay_b, 0, &block2.header, &leaf2).unwrap();
    chain
        .challenge_forced_output(carol, k_mismatch, &mismatch, 0, &carol_output)
        .await
        .unwrap();
    // (a) spent: Bob forces his deposit back to himself after paying it to Carol on L2.
    let respend = transfer(Input::deposit(bob, dep_b.blockNumber, seg_b), bob, 46);
    let k_respend = chain.force(bob, &respend).await.unwrap().index;
    let l2_spend = spend_proof(&signed_b, 0, &block2.header, &leaf2).unwrap();
    chain
        .challenge_forced_spent(carol, k_respend, &respend, 0, &l2_spend)
        .await
        .unwrap();
    for i in [k_claim, k_ghost, k_mismatch, k_respend] {
        assert_eq!(
            chain.forced_state(i).await.unwrap().status,
            ForcedStatus::Cancelled
        );
    }

    // 3. After the period (time travel) the forced payment counts as included; Carol's exit
    //    settles.
    l1.advance_time(PERIOD + 1).await.unwrap();
    chain.finalize_forced(alice, k).await.unwrap();
    let state = chain.forced_state(k).await.unwrap();
    assert_eq!(state.status, ForcedStatus::Included);
    // It counts as included after every block committed before its settlement (§12.4).
    let settled_after = chain.next_block().await.unwrap() - 1;
    let expected_position = forced_position(k, output_position(settled_after));
    assert_eq!(state.position, expected_position);
    let key_b = chain.range_key(dep_b.start, from_block).await.unwrap();
    chain
        .finalize_exit(carol, &carol_exit, key_b)
        .await
        .unwrap();

    // (a) withdrawn: Carol forces a spend of the output she just withdrew.
    let gone = transfer(tx_input(carol, 2, seg_b), alice, 45);
    let k_gone = chain.force(carol, &gone).await.unwrap().index;
    chain
        .challenge_forced_withdrawn(bob, k_gone, &gone, 0, &carol_exit)
        .await
        .unwrap();
    assert_eq!(
        chain.forced_state(k_gone).await.unwrap().status,
        ForcedStatus::Cancelled
    );

    // 4. The forced transaction in the exit game: the spend that cancels Alice's exit ...
    chain
        .challenge_spent(carol, &alice_exit, &forced_spend)
        .await
        .unwrap();
    assert_exit_status(&chain, &alice_exit, ExitStatus::Cancelled).await;
    // ... the answer to a griefing request on Bob's exit of the forced output ...
    let bob_exit = chain
        .start_forced_exit(bob, &pay, 0, k, dep_a.start, dep_a.end)
        .await
        .unwrap();
    assert_eq!(bob_exit.position, expected_position);
    // A bad output index is a typed error, not a panic (docs/exit-game.md §3).
    let err = chain
        .start_forced_exit(bob, &pay, 3, k, dep_a.start, dep_a.end)
        .await
        .unwrap_err();
    assert_eq!(
        decode_index_out_of_range(&revert_data(err)),
        Some(IndexOutOfRange {
            index: U256::from(3u8),
            count: U256::from(1u8)
        })
    );
    let griefing = chain
        .request_with_deposit(carol, &bob_exit, &pay, &dep_a, dep_a.start)
        .await
        .unwrap();
    chain
        .respond_challenge(bob, &bob_exit, &griefing, &forced_spend)
        .await
        .unwrap();
    // ... and the earlier spend against Alice's later double spend to Carol (block 3).
    let twice = transfer(Input::deposit(alice, dep_a.blockNumber, seg_a), carol, 50);
    let signed_twice = twice.sign(&domain, &keys[1..2]).unwrap();
    let (block3, tree3) = op.commit(Some(&block2.header), &[signed_twice]).await;
    let leaf3 = tree3
        .prove_inclusion(&seg_a, twice.tx_id(&domain))
        .unwrap()
        .0;
    let carol_double = chain
        .start_output_exit(
            carol,
            &twice,
            0,
            &block3.header,
            &leaf3,
            dep_a.start,
            dep_a.end,
        )
        .await
        .unwrap();
    chain
        .challenge_double_spend(bob, &carol_double, &twice, 0, &forced_spend)
        .await
        .unwrap();
    assert_exit_status(&chain, &carol_double, ExitStatus::Cancelled).await;

    // 5. Bob's exit of the forced output is paid.
    l1.advance_time(PERIOD + 1).await.unwrap();
    let key_a = chain.range_key(dep_a.start, from_block).await.unwrap();
    chain.finalize_exit(bob, &bob_exit, key_a).await.unwrap();
    assert_exit_status(&chain, &bob_exit, ExitStatus::Withdrawn).await;
    // An L2 input spending a forced output names it by the reserved block index.
    assert_eq!(forced_block_index(k), FORCED_BLOCK | k);

    let events = chain.forced_events(from_block).await.unwrap();
    let count = |f: fn(&ForcedEvent) -> bool| events.iter().filter(|e| f(e)).count();
    assert_eq!(count(|e| matches!(e, ForcedEvent::Posted(_))), 6);
    assert_eq!(count(|e| matches!(e, ForcedEvent::Signed(_))), 1);
    assert_eq!(count(|e| matches!(e, ForcedEvent::Cancelled(_))), 5);
    assert_eq!(count(|e| matches!(e, ForcedEvent::Included(_))), 1);
}

on_both_backends!(forced_scenario: forced_inclusion_on_embedded_evm, forced_inclusion_on_anvil);
