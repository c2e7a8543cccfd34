//! The forced-inclusion game end to end (`docs/exit-game.md` §12) with real transactions,
//! signatures and proofs from `debye-primitives`: a censored payment forced, signed on L1,
//! included after the period (time travel) and exited by its recipient; the forced transaction
//! used as the spend that cancels the payer's exit of the coins she paid away; a forced
//! transaction claiming someone else's deposit and one spending a non-existent output, both
//! cancelled for the bond — run unchanged on the embedded EVM and on anvil.

use std::sync::Arc;

use alloy_primitives::U256;
use debye_l1::{
    EmbeddedL1, L1,
    anvil::{Anvil, dev_signers},
    contracts::{BlockHeader, DebyeChainClient},
    exits::{ExitStatus, deposit_position, deposit_record},
    forced::{
        FORCED_BLOCK, ForcedEvent, ForcedStatus, forced_block_index, forced_position,
        forced_spend_proof,
    },
};
use debye_primitives::{BlockBuilder, Input, Output, Segment, SumMerkleTree, Transaction, domain};

const ETH: u128 = 1_000_000_000_000_000_000;
const PERIOD: u64 = 600;

fn eth(n: u128) -> U256 {
    U256::from(n * ETH)
}

async fn forced_scenario<L: L1 + Clone>(l1: L) {
    let signers = dev_signers();
    let keys: Vec<_> = signers.iter().map(|s| s.credential().clone()).collect();
    let [operator, alice, bob, carol] = [0, 1, 2, 3].map(|i| signers[i].address());
    let chain = DebyeChainClient::deploy_with(l1.clone(), operator, operator, PERIOD, 0)
        .await
        .unwrap();
    let domain = domain(l1.chain_id().await.unwrap(), chain.address());
    let bond = chain.exit_bond().await.unwrap();
    let force_bond = chain.force_bond().await.unwrap();
    assert_eq!(force_bond, bond * U256::from(3u8), "three exit bonds");
    let from_block = l1.block_number().await.unwrap();

    // Deposits for child block 1, which the operator then commits empty: Alice's payment to Bob
    // is censored.
    let dep_a = deposit_record(&chain.deposit_eth(alice, eth(2)).await.unwrap());
    let dep_b = deposit_record(&chain.deposit_eth(bob, eth(1)).await.unwrap());
    let (block1, tree1) = BlockBuilder::after(domain.clone(), None).build().unwrap();
    chain
        .submit_block(operator, BlockHeader::from(&block1.header))
        .await
        .unwrap();

    // 1. Alice forces the payment and signs it on L1.
    let pay = Transaction {
        inputs: vec![Input::deposit(
            alice,
            dep_a.blockNumber,
            Segment::new(dep_a.start, dep_a.end).unwrap(),
        )],
        outputs: vec![Output {
            owner: bob,
            segment: Segment::new(dep_a.start, dep_a.end).unwrap(),
        }],
        max_block_index: 50,
    };
    let posted = chain.force(alice, &pay).await.unwrap();
    let k = posted.index;
    assert_eq!(
        posted.txId,
        pay.tx_id(&domain),
        "Rust and Solidity agree on the tx id"
    );
    let expected_position = forced_position(k, deposit_position(dep_a.blockNumber));
    assert_eq!(posted.position, expected_position);
    let signed = pay.sign(&domain, &keys[1..2]).unwrap();
    chain.sign_forced_all(bob, k, &signed).await.unwrap();
    let state = chain.forced_state(k).await.unwrap();
    assert_eq!(state.status, ForcedStatus::Pending);
    assert!(state.signed);
    assert!(
        chain.finalize_forced(bob, k).await.is_err(),
        "not before the period"
    );

    // Meanwhile Alice exits the deposit she is paying away.
    let alice_exit = chain
        .start_deposit_exit(alice, &dep_a, dep_a.start, dep_a.end)
        .await
        .unwrap();
    let spend = forced_spend_proof(&pay, 0, k).unwrap();
    assert!(
        chain
            .challenge_spent(carol, &alice_exit, &spend)
            .await
            .is_err(),
        "a pending forced transaction is no spend yet"
    );

    // 2. Attacks on the forced game itself, posted by Carol.
    // (b) owner mismatch: Carol claims Bob's deposit.
    let claim = Transaction {
        inputs: vec![Input::deposit(
            carol,
            dep_b.blockNumber,
            Segment::new(dep_b.start, dep_b.end).unwrap(),
        )],
        outputs: vec![Output {
            owner: carol,
            segment: Segment::new(dep_b.start, dep_b.end).unwrap(),
        }],
        max_block_index: 50,
    };
    let k_claim = chain.force(carol, &claim).await.unwrap().index;
    chain
        .challenge_forced_deposit(bob, k_claim, &claim, 0, &dep_b)
        .await
        .unwrap();
    assert_eq!(
        chain.forced_state(k_claim).await.unwrap().status,
        ForcedStatus::Cancelled
    );
    // (b) non-inclusion: Carol spends "her" output of block 1, where nothing happened.
    let ghost_seg = Segment::new(dep_b.start, dep_b.end).unwrap();
    let ghost = Transaction {
        inputs: vec![Input {
            owner: carol,
            block_index: 1,
            tx_index: 0,
            output_index: 0,
            segment: ghost_seg,
        }],
        outputs: vec![Output {
            owner: carol,
            segment: ghost_seg,
        }],
        max_block_index: 50,
    };
    let k_ghost = chain.force(carol, &ghost).await.unwrap().index;
    let excl = tree1.prove_exclusion(&ghost_seg).unwrap().0;
    chain
        .challenge_forced_excluded(bob, k_ghost, &ghost, 0, &block1.header, &ghost_seg, &excl)
        .await
        .unwrap();
    assert_eq!(
        chain.forced_state(k_ghost).await.unwrap().status,
        ForcedStatus::Cancelled
    );
    // An exclusion proof does not exist for included coins: the honest forced tx stands.
    assert_eq!(
        SumMerkleTree::empty().root(),
        block1.header.tx_root,
        "block 1 is empty"
    );

    // 3. After the period (time travel) the forced payment counts as included.
    l1.advance_time(PERIOD + 1).await.unwrap();
    chain.finalize_forced(alice, k).await.unwrap();
    let state = chain.forced_state(k).await.unwrap();
    assert_eq!(state.status, ForcedStatus::Included);
    assert_eq!(state.position, expected_position);

    // The forced transaction is the spend that cancels Alice's exit.
    chain
        .challenge_spent(carol, &alice_exit, &spend)
        .await
        .unwrap();
    assert_eq!(
        chain.exit_status(&alice_exit).await.unwrap(),
        ExitStatus::Cancelled
    );

    // 4. Bob exits the forced output and is paid.
    let bob_exit = chain
        .start_forced_exit(bob, &pay, 0, k, dep_a.start, dep_a.end)
        .await
        .unwrap();
    assert_eq!(bob_exit.position, expected_position);
    l1.advance_time(PERIOD + 1).await.unwrap();
    let key = chain.range_key(dep_a.start, from_block).await.unwrap();
    chain.finalize_exit(bob, &bob_exit, key).await.unwrap();
    assert_eq!(
        chain.exit_status(&bob_exit).await.unwrap(),
        ExitStatus::Withdrawn
    );

    // An L2 input spending a forced output names it by the reserved block index.
    assert_eq!(forced_block_index(k), FORCED_BLOCK | k);

    let events = chain.forced_events(from_block).await.unwrap();
    let count = |f: fn(&ForcedEvent) -> bool| events.iter().filter(|e| f(e)).count();
    assert_eq!(count(|e| matches!(e, ForcedEvent::Posted(_))), 3);
    assert_eq!(count(|e| matches!(e, ForcedEvent::Signed(_))), 1);
    assert_eq!(count(|e| matches!(e, ForcedEvent::Cancelled(_))), 2);
    assert_eq!(count(|e| matches!(e, ForcedEvent::Included(_))), 1);
}

#[tokio::test]
async fn forced_inclusion_on_embedded_evm() {
    let l1 = Arc::new(EmbeddedL1::new());
    for signer in dev_signers() {
        l1.fund(signer.address(), U256::from(100 * ETH));
    }
    forced_scenario(l1).await;
}

#[tokio::test]
async fn forced_inclusion_on_anvil() {
    let anvil = Anvil::spawn().expect("anvil from contracts/node_modules (run npm ci)");
    forced_scenario(anvil.l1().unwrap()).await;
}
