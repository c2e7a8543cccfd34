//! The shielded pool's client (`docs/shielded.md` §5) on the embedded EVM: list a real ERC-20,
//! queue ETH and token deposits, read them back as decoded `ShieldedDeposit` events, read the
//! views, and check the anchor's S-2.2 rule 2 against the queue the deposits filled.

use alloy_primitives::{Address, U256, keccak256};
use debye_l1::{
    Error, L1,
    contracts::{BlockHeader, DebyeChain::DebyeChainErrors, TestTokenClient, decode_revert},
    pool::{
        DepositStatus, ExitStatus, ShieldedPool::ShieldedPoolErrors, ShieldedPoolClient,
        decode_pool_revert,
    },
    test_utils::{PERIOD, deploy_dev_chain, eth, funded_embedded, revert_data},
};

/// A ciphertext of the pool's fixed length (S-6.1); the pool does not read it.
fn ct(tag: u8) -> Vec<u8> {
    vec![tag; 123]
}

const GWEI: u64 = 1_000_000_000;

#[tokio::test]
async fn pool_client_deposits_and_views() {
    let l1 = funded_embedded();
    let dev = deploy_dev_chain(&l1).await.unwrap();
    let [operator, alice, bob, _] = dev.actors;
    let pool = ShieldedPoolClient::of_chain(&dev.chain).await.unwrap();
    assert_eq!(pool.address(), dev.deployment.pool);
    assert_eq!(pool.exit_period().await.unwrap(), PERIOD);
    assert!(pool.exit_bond().await.unwrap() > U256::ZERO);
    assert_eq!(pool.token_unit(Address::ZERO).await.unwrap(), GWEI);

    // Two ETH deposits: indices 0 and 1, commitments computed on L1, events decoded.
    let from = l1.block_number().await.unwrap();
    let d0 = pool
        .deposit_eth(alice, U256::from(11u8), ct(1), eth(1))
        .await
        .unwrap();
    let d1 = pool
        .deposit_eth(bob, U256::from(12u8), ct(2), U256::from(3 * GWEI))
        .await
        .unwrap();
    assert_eq!((d0.index, d1.index), (0, 1));
    assert_ne!(d0.cm, d1.cm);
    assert_ne!(d0.cm, U256::ZERO);
    assert_eq!(d0.event.amountUnits, GWEI, "1 ETH is 1e9 gwei units");
    assert_eq!(d1.event.depositor, bob);
    assert_eq!(d1.event.ct.as_ref(), ct(2).as_slice());
    assert_eq!(pool.deposit_status(1).await.unwrap(), DepositStatus::Queued);
    assert_eq!(pool.deposit_status(2).await.unwrap(), DepositStatus::None);
    assert_eq!(
        pool.deposited(Address::ZERO).await.unwrap(),
        eth(1) + U256::from(3 * GWEI)
    );
    assert_eq!(pool.paid(Address::ZERO).await.unwrap(), U256::ZERO);

    // Not whole gwei: the pool's own error, decoded.
    let err = pool
        .deposit_eth(alice, U256::from(1u8), ct(3), U256::from(GWEI + 1))
        .await
        .unwrap_err();
    assert!(matches!(
        decode_pool_revert(&revert_data(err)),
        Some(ShieldedPoolErrors::BadAmount(_))
    ));

    // A real ERC-20: only the operator lists it; then a token deposit pulls it.
    let token = TestTokenClient::deploy(l1.clone(), operator, "Test USD", "TUSD")
        .await
        .unwrap();
    // (`NotOperator()` has the anchor's signature, so it decodes as the anchor's.)
    let err = pool
        .list_token(alice, token.address(), 100)
        .await
        .unwrap_err();
    assert!(matches!(revert_of(err), DebyeChainErrors::NotOperator(_)));
    let listed = pool
        .list_token(operator, token.address(), 100)
        .await
        .unwrap();
    assert_eq!((listed.token, listed.unit), (token.address(), 100));
    assert_eq!(pool.token_unit(token.address()).await.unwrap(), 100);
    token
        .mint(alice, alice, U256::from(10_000u32))
        .await
        .unwrap();
    token
        .approve(alice, pool.address(), U256::from(5_000u32))
        .await
        .unwrap();
    let d2 = pool
        .deposit_token(
            alice,
            token.address(),
            U256::from(5_000u32),
            U256::from(13u8),
            ct(4),
        )
        .await
        .unwrap();
    assert_eq!(d2.index, 2);
    assert_eq!(
        (d2.event.token, d2.event.amountUnits),
        (token.address(), 50)
    );
    assert_eq!(
        token.balance_of(pool.address()).await.unwrap(),
        U256::from(5_000u32)
    );

    // The reader returns the three, in order, with their L1 blocks; a span stops where asked.
    let to = l1.block_number().await.unwrap();
    let read = pool.deposits(from, to).await.unwrap();
    let got: Vec<_> = read.iter().map(|d| (d.event.index, d.event.cm)).collect();
    assert_eq!(got, vec![(0, d0.cm), (1, d1.cm), (2, d2.cm)]);
    assert_eq!(read[2].l1_block, d2.receipt.block_number);
    let first = pool.deposits(from, d0.receipt.block_number).await.unwrap();
    assert_eq!(first.len(), 1);
    assert!(pool.exit_starts(from, to).await.unwrap().is_empty());
    assert_eq!(pool.exit_status(0).await.unwrap(), ExitStatus::None);
    assert_eq!(pool.queue_length(Address::ZERO).await.unwrap(), U256::ZERO);
    assert_eq!(
        pool.credit_of(Address::ZERO, alice).await.unwrap(),
        U256::ZERO
    );

    // S-2.2 rule 2 against this queue: a header may not count a fourth deposit, and after
    // Q_WINDOW it must cover the three.
    let header = |cursor: u32, ts: u64| {
        BlockHeader::from(&debye_primitives::BlockHeader {
            number: 1,
            tx_root: keccak256("pool"),
            deposit_cursor: cursor,
            timestamp: ts,
            ..Default::default()
        })
    };
    let now = l1.timestamp().await.unwrap();
    let err = dev
        .chain
        .submit_block(operator, header(4, now))
        .await
        .unwrap_err();
    assert!(matches!(
        revert_of(err),
        DebyeChainErrors::DepositCursorOutOfRange(_)
    ));
    l1.advance_time(3600).await.unwrap();
    let now = l1.timestamp().await.unwrap();
    let err = dev
        .chain
        .submit_block(operator, header(2, now))
        .await
        .unwrap_err();
    assert!(matches!(
        revert_of(err),
        DebyeChainErrors::DepositNotImported(_)
    ));
    dev.chain
        .submit_block(operator, header(3, now))
        .await
        .unwrap();
}

fn revert_of(err: Error) -> DebyeChainErrors {
    decode_revert(&revert_data(err)).expect("one of the anchor's errors")
}

/// The embedded EVM's receipt gas is a mainnet receipt's `gasUsed`: spent less the capped
/// refund (EIP-3529), not the gas spent before it. Clearing an allowance (2 -> 0) costs what
/// setting it (1 -> 2) costs and refunds 4,800; the calldata differs by one byte (a zero
/// amount: 4 instead of 16). Reporting the gas before the refund would make the two differ
/// by 12 only. This is the figure the demo prints for `startExit` (docs/shielded.md §5.5).
#[tokio::test]
async fn embedded_receipt_gas_is_net_of_refunds() {
    let l1 = funded_embedded();
    let dev = deploy_dev_chain(&l1).await.unwrap();
    let [operator, alice, bob, _] = dev.actors;
    let token = TestTokenClient::deploy(l1.clone(), operator, "Test USD", "TUSD")
        .await
        .unwrap();
    token.approve(alice, bob, U256::from(1u8)).await.unwrap();
    let set = token.approve(alice, bob, U256::from(2u8)).await.unwrap();
    let cleared = token.approve(alice, bob, U256::ZERO).await.unwrap();
    assert_eq!(set.gas_used - cleared.gas_used, 4_800 + (16 - 4));
}
