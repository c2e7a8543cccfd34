//! The exit game end to end with real transactions, signatures and sum Merkle proofs from
//! `debye-primitives`: a spent deposit exit challenged, a griefing challenge request answered, a
//! forged exit held back by an older one and cancelled by an unanswered request, then one exit
//! finalized alone and two in a batch — run unchanged on the embedded EVM and on anvil.

use alloy_primitives::{Address, U256};
use debye_l1::{
    Error, L1,
    contracts::{DebyeChain::DebyeChainErrors, decode_revert},
    exits::{ExitEvent, ExitStatus, challenge_id, deposit_record, exit_id, spend_proof},
    test_utils::{PERIOD, alice_pays_bob, deposit_alice_bob, eth, revert_data},
};
use debye_primitives::{Input, Output, Segment, Transaction};

use crate::fixture::{assert_exit_status, on_both_backends, start};

fn revert_of(err: Error) -> DebyeChainErrors {
    decode_revert(&revert_data(err)).expect("one of the anchor's errors")
}

/// Asserts that `err` is the anchor's custom error `variant`.
macro_rules! assert_chain_error {
    ($err:expr, $variant:ident) => {
        assert!(matches!(revert_of($err), DebyeChainErrors::$variant(_)))
    };
}

async fn scenario<L: L1 + Clone>(l1: L) {
    let (dev, domain, op) = start(&l1).await;
    let (chain, keys, [operator, alice, bob, carol]) = (dev.chain, dev.keys, dev.actors);
    assert_eq!(chain.exit_period().await.unwrap(), PERIOD);
    let bond = chain.exit_bond().await.unwrap();
    assert_eq!(
        bond,
        U256::from(60_000_000_000_000_000u64),
        "default bond 0.06 ETH"
    );
    assert_eq!(
        chain.domain_separator().await.unwrap(),
        domain.separator(),
        "Rust and Solidity agree on the EIP-712 domain"
    );
    let from_block = l1.block_number().await.unwrap();

    // Deposits: Alice 3 ETH at [0, 3), Bob 1 ETH at [3, 4).
    let (dep_a, dep_b) = deposit_alice_bob(&chain, alice, bob).await.unwrap();
    let cut = dep_a.start + eth(1);

    // Child block 1: Alice pays Bob [0, 1) and keeps [1, 3).
    let t1 = alice_pays_bob(alice, bob, &dep_a, 100).unwrap();
    let st1 = t1.sign(&domain, &keys[1..2]).unwrap();
    let (block1, tree1) = op.commit(None, std::slice::from_ref(&st1)).await;
    let id1 = t1.tx_id(&domain);
    let leaf1 = tree1.prove_inclusion(&t1.inputs[0].segment, id1).unwrap().0;
    let spend1 = spend_proof(&st1, 0, &block1.header, &leaf1).unwrap();

    // 1. Alice exits the deposit she already spent; Bob shows the spend and takes her bond.
    let mallory_exit = chain
        .start_deposit_exit(alice, &dep_a, dep_a.start, dep_a.end)
        .await
        .unwrap();
    assert_exit_status(&chain, &mallory_exit, ExitStatus::Pending).await;
    // Only the owner exits: Carol cannot exit Alice's output.
    let err = chain
        .start_output_exit(carol, &t1, 1, &block1.header, &leaf1, cut, dep_a.end)
        .await
        .unwrap_err();
    assert_chain_error!(err, NotOwner);
    chain
        .challenge_spent(bob, &mallory_exit, &spend1)
        .await
        .unwrap();
    assert_exit_status(&chain, &mallory_exit, ExitStatus::Cancelled).await;

    // 2. Bob exits his output; Carol griefs with a request on Alice's deposit; Bob answers.
    let bob_exit = chain
        .start_output_exit(bob, &t1, 0, &block1.header, &leaf1, dep_a.start, cut)
        .await
        .unwrap();
    let griefing = chain
        .request_with_deposit(carol, &bob_exit, &t1, &dep_a, dep_a.start + U256::from(5u8))
        .await
        .unwrap();
    let (_, state) = chain.exit_state(exit_id(&bob_exit)).await.unwrap();
    assert_eq!(state.open, 1);
    chain
        .respond_challenge(bob, &bob_exit, &griefing, &spend1)
        .await
        .unwrap();
    let (_, state) = chain.exit_state(exit_id(&bob_exit)).await.unwrap();
    assert_eq!(state.open, 0);
    let closed = chain
        .challenge_state(challenge_id(
            exit_id(&bob_exit),
            griefing.outputPosition,
            griefing.outputOwner,
            griefing.coin,
        ))
        .await
        .unwrap();
    assert_eq!(closed.challenger, Address::ZERO);

    // 3. Alice exits part of her change output.
    let alice_exit = chain
        .start_output_exit(alice, &t1, 1, &block1.header, &leaf1, cut, cut + eth(1))
        .await
        .unwrap();

    // 4. The operator includes a forged transfer of Bob's deposit to Carol (Bob never signed;
    //    the block is built by hand because the honest builder refuses it). Carol exits it.
    let forged = Transaction {
        inputs: vec![Input::deposit(
            bob,
            dep_b.blockNumber,
            Segment::new(dep_b.start, dep_b.end).unwrap(),
        )],
        outputs: vec![Output {
            owner: carol,
            segment: Segment::new(dep_b.start, dep_b.end).unwrap(),
        }],
        max_block_index: 100,
    };
    let (header2, leaf2) = op
        .commit_forged(&block1.header, &forged, forged.outputs[0].segment)
        .await;
    let carol_exit = chain
        .start_output_exit(carol, &forged, 0, &header2, &leaf2, dep_b.start, dep_b.end)
        .await
        .unwrap();
    // Bob exits his deposit (older position) and holds Carol's exit back, and asks for the spend
    // of his deposit, which nobody can show.
    let bob_deposit_exit = chain
        .start_deposit_exit(bob, &dep_b, dep_b.start, dep_b.end)
        .await
        .unwrap();
    chain
        .block_exit(bob, &carol_exit, &bob_deposit_exit)
        .await
        .unwrap();
    let request = chain
        .request_with_deposit(bob, &carol_exit, &forged, &dep_b, dep_b.start)
        .await
        .unwrap();
    // Carol's "answer" is her forged transaction signed by herself: rejected.
    let by_carol = debye_primitives::SignedTransaction {
        transaction: forged.clone(),
        signatures: t1.sign(&domain, &keys[1..2]).unwrap().signatures,
    };
    let fake = spend_proof(&by_carol, 0, &header2, &leaf2).unwrap();
    assert!(
        chain
            .respond_challenge(carol, &carol_exit, &request, &fake)
            .await
            .is_err()
    );

    // 5. Time passes: the unanswered request cancels Carol's exit; the honest exits settle.
    l1.advance_time(PERIOD + PERIOD / 2 + 1).await.unwrap();
    let err = chain
        .finalize_exit(
            carol,
            &carol_exit,
            chain.range_key(dep_b.start, from_block).await.unwrap(),
        )
        .await
        .unwrap_err();
    assert_chain_error!(err, NotFinalizable);
    chain
        .resolve_challenge(bob, &carol_exit, &request)
        .await
        .unwrap();
    assert_exit_status(&chain, &carol_exit, ExitStatus::Cancelled).await;
    // The block holds while the older exit is pending, whatever happened to the newer one.
    let err = chain
        .unblock_exit(carol, &carol_exit, &bob_deposit_exit)
        .await
        .unwrap_err();
    assert_chain_error!(err, InvalidChallenge);

    let key = chain.range_key(bob_exit.start, from_block).await.unwrap();
    chain.finalize_exit(bob, &bob_exit, key).await.unwrap();
    assert_exit_status(&chain, &bob_exit, ExitStatus::Withdrawn).await;
    let batch = [alice_exit.clone(), bob_deposit_exit.clone()];
    let mut keys_batch = Vec::new();
    for e in &batch {
        keys_batch.push(chain.range_key(e.start, from_block).await.unwrap());
    }
    let settled = chain
        .finalize_exits(operator, &batch, &keys_batch)
        .await
        .unwrap();
    assert_eq!(
        settled,
        vec![exit_id(&alice_exit), exit_id(&bob_deposit_exit)]
    );
    for e in &batch {
        assert_exit_status(&chain, e, ExitStatus::Finalized).await;
        chain.withdraw(operator, e).await.unwrap();
        assert_exit_status(&chain, e, ExitStatus::Withdrawn).await;
    }
    chain
        .unblock_exit(carol, &carol_exit, &bob_deposit_exit)
        .await
        .unwrap();
    // Coins paid once: Bob's [0,1) can never exit again.
    let again = chain
        .start_output_exit(bob, &t1, 0, &block1.header, &leaf1, dep_a.start, cut)
        .await;
    assert_chain_error!(again.unwrap_err(), ExitExists);

    // What is left: Alice's unexited [2, 3) — every bond was paid back or credited to a
    // challenger, who pulls it (docs/exit-game.md §5.3).
    for who in [operator, alice, bob, carol] {
        if chain.credit_of(who).await.unwrap() > U256::ZERO {
            chain.claim(who).await.unwrap();
        }
        assert_eq!(chain.credit_of(who).await.unwrap(), U256::ZERO);
    }
    assert_eq!(l1.balance(chain.address()).await.unwrap(), eth(1));

    let events = chain.exit_events(from_block).await.unwrap();
    let count = |f: fn(&ExitEvent) -> bool| events.iter().filter(|e| f(e)).count();
    assert_eq!(count(|e| matches!(e, ExitEvent::Started(_))), 5);
    assert_eq!(count(|e| matches!(e, ExitEvent::Cancelled(_))), 2);
    assert_eq!(count(|e| matches!(e, ExitEvent::Finalized(_))), 3);
    assert_eq!(count(|e| matches!(e, ExitEvent::Withdrawn(_))), 3);
    assert_eq!(count(|e| matches!(e, ExitEvent::ChallengeRequested(_))), 2);
    assert_eq!(count(|e| matches!(e, ExitEvent::ChallengeAnswered(_))), 1);
    assert!(events.iter().any(|e| matches!(
        e,
        ExitEvent::Cancelled(c) if c.exitId == exit_id(&carol_exit) && c.beneficiary == bob
    )));
}

on_both_backends!(scenario: exits_on_embedded_evm, exits_on_anvil);

/// The remaining challenge kinds through the client: a double spend, a forged exit over coins
/// deposited later, an exit over withdrawn coins, and a bond change.
async fn more_challenges<L: L1 + Clone>(l1: L) {
    let (dev, domain, op) = start(&l1).await;
    let (chain, keys, [operator, alice, bob, carol]) = (dev.chain, dev.keys, dev.actors);
    let from_block = l1.block_number().await.unwrap();
    let dep = deposit_record(&chain.deposit_eth(alice, eth(1)).await.unwrap());
    let seg = Segment::new(dep.start, dep.end).unwrap();
    let pay = |to: Address, max: u64| Transaction {
        inputs: vec![Input::deposit(alice, dep.blockNumber, seg)],
        outputs: vec![Output {
            owner: to,
            segment: seg,
        }],
        max_block_index: max,
    };
    // Alice pays Bob (block 1), then signs the same coins to Carol (block 2).
    let mut headers = Vec::new();
    let mut leaves = Vec::new();
    let mut signed = Vec::new();
    for (to, max) in [(bob, 100), (carol, 99)] {
        let tx = pay(to, max);
        let stx = tx.sign(&domain, &keys[1..2]).unwrap();
        let (block, tree) = op.commit(headers.last(), std::slice::from_ref(&stx)).await;
        leaves.push(tree.prove_inclusion(&seg, tx.tx_id(&domain)).unwrap().0);
        headers.push(block.header);
        signed.push(stx);
    }
    let carol_exit = chain
        .start_output_exit(
            carol,
            &signed[1].transaction,
            0,
            &headers[1],
            &leaves[1],
            dep.start,
            dep.end,
        )
        .await
        .unwrap();
    let bob_exit = chain
        .start_output_exit(
            bob,
            &signed[0].transaction,
            0,
            &headers[0],
            &leaves[0],
            dep.start,
            dep.end,
        )
        .await
        .unwrap();
    let earlier = spend_proof(&signed[0], 0, &headers[0], &leaves[0]).unwrap();
    let later = spend_proof(&signed[1], 0, &headers[1], &leaves[1]).unwrap();
    // The later spend cannot cancel Bob's earlier transfer; the earlier one cancels Carol's.
    let err = chain
        .challenge_double_spend(carol, &bob_exit, &signed[0].transaction, 0, &later)
        .await
        .unwrap_err();
    assert_chain_error!(err, InvalidChallenge);
    chain
        .challenge_double_spend(bob, &carol_exit, &signed[1].transaction, 0, &earlier)
        .await
        .unwrap();
    assert_exit_status(&chain, &carol_exit, ExitStatus::Cancelled).await;

    // The operator puts, in block 3, a transfer of coins [1, 2) that are deposited only after.
    let future = Segment::new(dep.end, dep.end + eth(1)).unwrap();
    let forged = Transaction {
        inputs: vec![Input::deposit(carol, 3, future)],
        outputs: vec![Output {
            owner: carol,
            segment: future,
        }],
        max_block_index: 100,
    };
    let (header3, leaf3) = op.commit_forged(&headers[1], &forged, future).await;
    // Not deposited yet: refused outright.
    let err = chain
        .start_output_exit(
            carol,
            &forged,
            0,
            &header3,
            &leaf3,
            future.start(),
            future.end(),
        )
        .await
        .unwrap_err();
    assert_chain_error!(err, CoinsNotDeposited);
    let later_dep = deposit_record(&chain.deposit_eth(bob, eth(1)).await.unwrap());
    assert_eq!(later_dep.blockNumber, 4);
    let forged_exit = chain
        .start_output_exit(
            carol,
            &forged,
            0,
            &header3,
            &leaf3,
            future.start(),
            future.end(),
        )
        .await
        .unwrap();
    chain
        .challenge_deposit_after(bob, &forged_exit, &later_dep)
        .await
        .unwrap();
    assert_exit_status(&chain, &forged_exit, ExitStatus::Cancelled).await;

    // Bob's exit settles; a second exit of the same coins (Alice's spent deposit) is then
    // cancelled as withdrawn.
    let alice_again = chain
        .start_deposit_exit(alice, &dep, dep.start, dep.start + U256::from(10u8))
        .await
        .unwrap();
    l1.advance_time(PERIOD + 1).await.unwrap();
    let key = chain.range_key(dep.start, from_block).await.unwrap();
    chain.finalize_exit(bob, &bob_exit, key).await.unwrap();
    assert_eq!(chain.exitable_range(key).await.unwrap(), Some(dep.end));
    chain
        .challenge_withdrawn(carol, &alice_again, &bob_exit)
        .await
        .unwrap();
    assert_exit_status(&chain, &alice_again, ExitStatus::Cancelled).await;

    // Bond changes: operator only, at most doubled, effective one exit period later.
    let bond = chain.exit_bond().await.unwrap();
    let doubled = u128::try_from(bond * U256::from(2u8)).unwrap();
    assert!(chain.schedule_exit_bond(alice, doubled).await.is_err());
    assert!(
        chain
            .schedule_exit_bond(operator, doubled + 1)
            .await
            .is_err()
    );
    chain.schedule_exit_bond(operator, doubled).await.unwrap();
    assert_eq!(chain.exit_bond().await.unwrap(), bond);
    l1.advance_time(PERIOD).await.unwrap();
    assert_eq!(chain.exit_bond().await.unwrap(), U256::from(doubled));
    let events = chain.exit_events(from_block).await.unwrap();
    assert!(events.iter().any(
        |e| matches!(e, ExitEvent::BondScheduled(b) if U256::from(b.bond) == U256::from(doubled))
    ));
}

on_both_backends!(more_challenges: more_challenges_on_embedded_evm, more_challenges_on_anvil);
