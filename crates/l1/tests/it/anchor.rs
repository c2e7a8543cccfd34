//! Deploy, deposit ETH and ERC-20, submit two blocks and read them back through events — run
//! unchanged on both L1 backends.

use std::sync::Arc;

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::{SolCall, SolValue};
use debye_l1::{
    EmbeddedL1, Error, L1, L1Tx,
    anvil::{Anvil, dev_accounts},
    contracts::{
        BlockHeader, DebyeChain::DebyeChainErrors, DebyeChainClient, ShieldedPool, TestTokenClient,
        decode_revert, deploy_contracts,
    },
};

const ETH: u128 = 1_000_000_000_000_000_000;

fn revert_of(err: Error) -> DebyeChainErrors {
    match err {
        Error::Reverted { data } => decode_revert(&data).expect("one of the anchor's errors"),
        other => panic!("expected a revert, got {other}"),
    }
}

/// A header with no shielded activity, stamped with L1 time `timestamp`.
fn header(number: u64, prev_hash: B256, tag: &str, timestamp: u64) -> BlockHeader {
    BlockHeader::from(&debye_primitives::BlockHeader {
        number,
        prev_hash,
        tx_root: keccak256(tag),
        timestamp,
        ..Default::default()
    })
}

async fn scenario<L: L1 + Clone>(l1: L, accounts: [Address; 4]) {
    let [deployer, operator, alice, bob] = accounts;
    // Pool first, for the anchor's future address; then the anchor, which checks the pool.
    let deployed = deploy_contracts(&l1, deployer, operator, 0, 0)
        .await
        .unwrap();
    let chain = DebyeChainClient::at(l1.clone(), deployed.chain);
    assert_eq!(chain.shielded_pool().await.unwrap(), deployed.pool);
    let named = l1
        .call(L1Tx::call(
            Address::ZERO,
            deployed.pool,
            ShieldedPool::chainCall {}.abi_encode(),
        ))
        .await
        .unwrap();
    assert_eq!(
        ShieldedPool::chainCall::abi_decode_returns(&named).unwrap(),
        deployed.chain
    );
    assert_eq!(chain.operator().await.unwrap(), operator);
    assert_eq!(chain.next_block().await.unwrap(), 1);

    // A real ERC-20, listed by the operator only.
    let token = TestTokenClient::deploy(l1.clone(), deployer, "Test USD", "TUSD")
        .await
        .unwrap();
    let err = chain.list_token(alice, token.address()).await.unwrap_err();
    assert!(matches!(revert_of(err), DebyeChainErrors::NotOperator(_)));
    let token_id = chain.list_token(operator, token.address()).await.unwrap();
    assert_eq!(token_id, 1);
    assert_eq!(chain.token_id(token.address()).await.unwrap(), 1);

    // ETH deposits allocate consecutive ranges in token 0's space.
    let l1_before = l1.balance(alice).await.unwrap();
    let d1 = chain.deposit_eth(alice, U256::from(2 * ETH)).await.unwrap();
    let d2 = chain.deposit_eth(bob, U256::from(ETH)).await.unwrap();
    assert_eq!((d1.start, d1.end), (U256::ZERO, U256::from(2 * ETH)));
    assert_eq!(
        (d2.start, d2.end),
        (U256::from(2 * ETH), U256::from(3 * ETH))
    );
    assert_eq!((d1.owner, d1.tokenId, d1.blockNumber), (alice, 0, 1));
    assert_eq!(
        l1.balance(chain.address()).await.unwrap(),
        U256::from(3 * ETH)
    );
    assert!(l1.balance(alice).await.unwrap() <= l1_before - U256::from(2 * ETH));
    let record = (alice, d1.start, d1.end, d1.blockNumber).abi_encode();
    assert_eq!(
        chain.deposit_hash(d1.start).await.unwrap(),
        keccak256(record)
    );

    let err = chain.deposit_eth(alice, U256::ZERO).await.unwrap_err();
    assert!(matches!(revert_of(err), DebyeChainErrors::ZeroAmount(_)));

    // ERC-20 deposit: approve, deposit, range in token 1's space (token id in bits 128..160).
    let amount = U256::from(500_000_000u64);
    token.mint(deployer, bob, amount).await.unwrap();
    token.approve(bob, chain.address(), amount).await.unwrap();
    let d3 = chain
        .deposit_token(bob, token.address(), amount)
        .await
        .unwrap();
    let base = U256::from(1u8) << 128;
    assert_eq!((d3.start, d3.end, d3.tokenId), (base, base + amount, 1));
    assert_eq!(token.balance_of(chain.address()).await.unwrap(), amount);
    assert_eq!(token.balance_of(bob).await.unwrap(), U256::ZERO);

    let unknown = Address::repeat_byte(0x42);
    let err = chain.deposit_token(bob, unknown, amount).await.unwrap_err();
    assert!(matches!(revert_of(err), DebyeChainErrors::UnknownToken(_)));

    // Two blocks, chained by header hash; only the operator may submit, in order.
    let now = l1.timestamp().await.unwrap();
    let h1 = header(1, B256::ZERO, "block one", now);
    let err = chain.submit_block(alice, h1.clone()).await.unwrap_err();
    assert!(matches!(revert_of(err), DebyeChainErrors::NotOperator(_)));
    let err = chain
        .submit_block(operator, header(2, B256::ZERO, "skip", now))
        .await
        .unwrap_err();
    assert!(matches!(
        revert_of(err),
        DebyeChainErrors::WrongBlockNumber(_)
    ));
    chain.submit_block(operator, h1.clone()).await.unwrap();
    let hash1 = keccak256(h1.abi_encode());
    assert_eq!(chain.block_hash(1).await.unwrap(), hash1);

    let err = chain
        .submit_block(operator, header(2, B256::ZERO, "bad prev", now))
        .await
        .unwrap_err();
    assert!(matches!(revert_of(err), DebyeChainErrors::WrongPrevHash(_)));
    // The header's clock (docs/shielded.md S-2.2 rule 1): not before the parent's, not after
    // L1's, and at most TS_WINDOW behind it.
    let window = debye_primitives::block::TS_WINDOW;
    for (ts, what) in [(now - 1, "before parent"), (now + 3600, "in the future")] {
        let err = chain
            .submit_block(operator, header(2, hash1, "block two", ts))
            .await
            .unwrap_err();
        assert!(
            matches!(revert_of(err), DebyeChainErrors::BadTimestamp(_)),
            "{what}"
        );
    }
    l1.advance_time(window + 60).await.unwrap();
    let err = chain
        .submit_block(operator, header(2, hash1, "block two", now))
        .await
        .unwrap_err();
    assert!(matches!(revert_of(err), DebyeChainErrors::BadTimestamp(_)));
    let now = l1.timestamp().await.unwrap();
    let h2 = header(2, hash1, "block two", now);
    chain.submit_block(operator, h2.clone()).await.unwrap();
    assert_eq!(chain.next_block().await.unwrap(), 3);

    // Read everything back through events, as the operator's L1 sync will.
    let deposits = chain.deposits(0).await.unwrap();
    let ranges: Vec<_> = deposits
        .iter()
        .map(|d| (d.event.owner, d.event.start, d.event.end))
        .collect();
    assert_eq!(
        ranges,
        vec![
            (alice, d1.start, d1.end),
            (bob, d2.start, d2.end),
            (bob, d3.start, d3.end)
        ]
    );
    let blocks = chain.submitted_blocks(0).await.unwrap();
    assert_eq!(blocks.len(), 2);
    // The log carries the whole header, so a reader of logs alone has every preimage.
    assert_eq!((blocks[0].number, blocks[0].headerHash), (1, hash1));
    assert_eq!(blocks[0].header, h1);
    assert_eq!((blocks[1].number, blocks[1].header.prevHash), (2, hash1));
    assert_eq!(blocks[1].header, h2);
    assert_eq!(blocks[1].headerHash, keccak256(h2.abi_encode()));
    assert_eq!(
        debye_primitives::BlockHeader::from(&blocks[1].header).hash(),
        blocks[1].headerHash
    );
    // Logs from a later block on exclude the earlier ones.
    let later = chain.deposits(deposits[2].l1_block).await.unwrap();
    assert_eq!(later.len(), 1);

    // Time travel moves the clock on every dev backend.
    let t0 = l1.timestamp().await.unwrap();
    l1.advance_time(7 * 24 * 3600).await.unwrap();
    assert!(l1.timestamp().await.unwrap() >= t0 + 7 * 24 * 3600);
}

#[tokio::test]
async fn anchor_on_embedded_evm() {
    let l1 = Arc::new(EmbeddedL1::new());
    let accounts = [1u8, 2, 3, 4].map(Address::repeat_byte);
    for account in accounts {
        l1.fund(account, U256::from(100 * ETH));
    }
    scenario(l1, accounts).await;
}

#[tokio::test]
async fn anchor_on_anvil() {
    let anvil = Anvil::spawn().expect("anvil from contracts/node_modules (run npm ci)");
    let accounts = dev_accounts();
    scenario(
        anvil.l1().unwrap(),
        [accounts[0], accounts[1], accounts[2], accounts[3]],
    )
    .await;
}

#[tokio::test]
async fn embedded_revert_leaves_no_trace() {
    let l1 = EmbeddedL1::new();
    let operator = Address::repeat_byte(9);
    l1.fund(operator, U256::from(ETH));
    let chain = DebyeChainClient::deploy(&l1, operator, operator)
        .await
        .unwrap();
    let height = l1.block_number().await.unwrap();
    assert!(chain.deposit_eth(operator, U256::ZERO).await.is_err());
    assert_eq!(
        l1.block_number().await.unwrap(),
        height,
        "a reverted tx mines no block"
    );
    assert_eq!(l1.balance(operator).await.unwrap(), U256::from(ETH));
}
