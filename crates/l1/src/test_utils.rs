//! Fixtures for tests that play against a deployed anchor (feature `test-utils`): funded dev
//! accounts on the embedded EVM or anvil, a fresh anchor with the four dev actors, the usual
//! deposits and the transactions built on them.

use std::sync::Arc;

use alloy_primitives::{Address, U256};
use debye_primitives::{Input, Output, Segment, Transaction};
pub use k256::ecdsa::SigningKey;

use crate::{
    EmbeddedL1, Error, L1,
    anvil::{Anvil, dev_accounts, dev_signers},
    contracts::{DebyeChainClient, Deployment, deploy_contracts},
    exits::{DepositRecord, deposit_record},
};

/// One ether in wei.
pub const ETH: u128 = 1_000_000_000_000_000_000;

/// Exit period of the test anchors (seconds).
pub const PERIOD: u64 = 600;

/// `n` ether in wei.
pub fn eth(n: u128) -> U256 {
    U256::from(n * ETH)
}

/// An embedded EVM where every dev account holds 100 ETH.
pub fn funded_embedded() -> Arc<EmbeddedL1> {
    let l1 = Arc::new(EmbeddedL1::new());
    for a in dev_accounts() {
        l1.fund(a, eth(100));
    }
    l1
}

/// A fresh anvil node (panics, naming the fix, where none can be started).
pub fn spawn_anvil() -> Anvil {
    Anvil::spawn().expect("anvil from contracts/node_modules (run npm ci)")
}

/// A fresh anchor with its shielded pool, and the four dev actors: `[operator, alice, bob,
/// fourth]` (the operator is also the deployer).
#[derive(Debug)]
pub struct DevChain<L> {
    /// The anchor, deployed with exit period [`PERIOD`] and the default bond.
    pub chain: DebyeChainClient<L>,
    /// Where the anchor, its shielded pool and its exit verifier were deployed.
    pub deployment: Deployment,
    /// The dev accounts' keys, in [`DEV_KEYS`](crate::anvil::DEV_KEYS) order.
    pub keys: Vec<SigningKey>,
    /// The dev accounts' addresses, in the same order.
    pub actors: [Address; 4],
}

/// Deploys a fresh pool and anchor on `l1` (pool first, [`deploy_contracts`]), deployed and
/// operated by dev account 0.
pub async fn deploy_dev_chain<L: L1 + Clone>(l1: &L) -> crate::Result<DevChain<L>> {
    let signers = dev_signers();
    let keys = signers.iter().map(|s| s.credential().clone()).collect();
    let actors = [0, 1, 2, 3].map(|i| signers[i].address());
    let deployment = deploy_contracts(l1, actors[0], actors[0], PERIOD, 0).await?;
    Ok(DevChain {
        chain: DebyeChainClient::at(l1.clone(), deployment.chain),
        deployment,
        keys,
        actors,
    })
}

/// The usual deposits: 3 ETH by `alice`, then 1 ETH by `bob`.
pub async fn deposit_alice_bob<L: L1>(
    chain: &DebyeChainClient<L>,
    alice: Address,
    bob: Address,
) -> crate::Result<(DepositRecord, DepositRecord)> {
    let dep_a = deposit_record(&chain.deposit_eth(alice, eth(3)).await?);
    let dep_b = deposit_record(&chain.deposit_eth(bob, eth(1)).await?);
    Ok((dep_a, dep_b))
}

/// Alice pays Bob the first ether of her deposit `dep_a` and keeps the rest.
pub fn alice_pays_bob(
    alice: Address,
    bob: Address,
    dep_a: &DepositRecord,
    max_block_index: u64,
) -> debye_primitives::Result<Transaction> {
    let cut = dep_a.start + eth(1);
    Ok(Transaction {
        inputs: vec![Input::deposit(
            alice,
            dep_a.blockNumber,
            Segment::new(dep_a.start, dep_a.end)?,
        )],
        outputs: vec![
            Output {
                owner: bob,
                segment: Segment::new(dep_a.start, cut)?,
            },
            Output {
                owner: alice,
                segment: Segment::new(cut, dep_a.end)?,
            },
        ],
        max_block_index,
    })
}

/// One input, one output of the same coins to `to`.
pub fn transfer(input: Input, to: Address, max_block_index: u64) -> Transaction {
    Transaction {
        outputs: vec![Output {
            owner: to,
            segment: input.segment,
        }],
        inputs: vec![input],
        max_block_index,
    }
}

/// An input spending output 0 of the transaction at index 0 of block `block`, holding `segment`.
pub fn tx_input(owner: Address, block: u64, segment: Segment) -> Input {
    Input {
        owner,
        block_index: block,
        tx_index: 0,
        output_index: 0,
        segment,
    }
}

/// The revert data of a reverted call (panics on any other error).
pub fn revert_data(err: Error) -> Vec<u8> {
    match err {
        Error::Reverted { data } => data.to_vec(),
        other => panic!("expected a revert, got {other}"),
    }
}
