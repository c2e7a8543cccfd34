//! Block submissions whose L1 transaction never gets a receipt, on a real anvil with automine
//! off: one dropped from the node's pool (`anvil_dropAllTransactions`), one left stuck in the
//! pool. Either way the submitter's receipt wait times out, it reads the anchor back, and the
//! next round sends the block again with the account's nonce read afresh (a stuck transaction is
//! replaced with higher fees), so the block lands exactly once: one commitment per number, one
//! mined L1 transaction per block.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use alloy_primitives::{Address, U256};
use debye_l1::{
    RpcL1,
    anvil::{Anvil, DEV_KEYS, dev_accounts},
    contracts::{DebyeChainClient, Deposit},
};
use debye_operator::{L1Config, Operator};
use debye_primitives::{Input, Output, Segment, Transaction};
use k256::ecdsa::SigningKey;
use serde_json::json;

use crate::helpers::{PATIENCE, config, eventually, raw_post};

fn anvil_call(addr: SocketAddr, method: &str, params: &serde_json::Value) -> serde_json::Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let (_, resp) = raw_post(addr, body.to_string().as_bytes());
    assert!(resp.get("error").is_none(), "{method}: {resp}");
    resp["result"].clone()
}

fn quantity(v: &serde_json::Value) -> u128 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a quantity: {v}"));
    u128::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

/// Transactions waiting in anvil's pool.
fn pooled(rpc: SocketAddr) -> u128 {
    quantity(&anvil_call(rpc, "txpool_status", &json!([]))["pending"])
}

/// `maxFeePerGas` of the operator's pooled transactions.
fn pooled_fees(rpc: SocketAddr, operator: Address) -> Vec<u128> {
    let content = anvil_call(rpc, "txpool_content", &json!([]));
    let pending = &content["pending"];
    let Some(accounts) = pending.as_object() else {
        return Vec::new();
    };
    accounts
        .iter()
        .filter(|(a, _)| a.parse::<Address>().ok() == Some(operator))
        .flat_map(|(_, by_nonce)| {
            by_nonce
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
                .map(|tx| quantity(&tx["maxFeePerGas"]))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn mined_nonce(rpc: SocketAddr, account: Address) -> u128 {
    quantity(&anvil_call(
        rpc,
        "eth_getTransactionCount",
        &json!([account, "latest"]),
    ))
}

struct Setup {
    anvil: Anvil,
    rpc: SocketAddr,
    chain: DebyeChainClient<Arc<RpcL1>>,
    operator: Address,
    alice: Address,
    bob: Address,
    deposit: Deposit,
    key: SigningKey,
    node: Operator,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let anvil = Anvil::spawn().unwrap();
    let rpc: SocketAddr = anvil
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let l1 = Arc::new(anvil.l1().unwrap());
    let [deployer, operator, alice, bob] = dev_accounts()[..4].try_into().unwrap();
    let chain = DebyeChainClient::deploy(l1, deployer, operator)
        .await
        .unwrap();
    let deposit = chain
        .deposit_eth(alice, U256::from(1_000u64))
        .await
        .unwrap();
    let key = SigningKey::from_slice(&alloy_primitives::hex::decode(DEV_KEYS[2]).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.l1 = L1Config {
        confirmations: 0,
        poll_interval_ms: 50,
        // How long the submitter waits for a receipt before reading the anchor back.
        submit_timeout_ms: 1_000,
        ..Default::default()
    };
    // No reconnect hook: the RpcL1 client must recover from the lost transaction on its own.
    let node = Operator::start(cfg, chain.clone(), operator).await.unwrap();
    let credited = eventually(async || {
        node.metrics()
            .deposits
            .load(std::sync::atomic::Ordering::Relaxed)
            == 1
    })
    .await;
    assert!(credited, "deposit not credited within {PATIENCE:?}");
    Setup {
        anvil,
        rpc,
        chain,
        operator,
        alice,
        bob,
        deposit,
        key,
        node,
        _dir: dir,
    }
}

impl Setup {
    /// Submits a transfer of coin `i` of the deposit and stores it in a block; returns its number.
    async fn block_with_transfer(&self, i: u64) -> u64 {
        let start = self.deposit.start + U256::from(i);
        let segment = Segment::new(start, start + U256::from(1u8)).unwrap();
        let stx = Transaction {
            inputs: vec![Input::deposit(
                self.alice,
                self.deposit.blockNumber,
                segment,
            )],
            outputs: vec![Output {
                owner: self.bob,
                segment,
            }],
            max_block_index: 100,
        }
        .sign(self.node.domain(), std::slice::from_ref(&self.key))
        .unwrap();
        self.node.submit(stx).await.unwrap();
        self.node.flush().await.unwrap().unwrap()
    }

    fn failures(&self) -> u64 {
        self.node
            .metrics()
            .l1_submit_failures
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Mines what is pooled and waits until the anchor holds `n` blocks.
    async fn mine_until_committed(&self, n: u64) {
        let committed = eventually(async || {
            if pooled(self.rpc) > 0 {
                anvil_call(self.rpc, "evm_mine", &json!([]));
            }
            self.chain.next_block().await.unwrap() == n + 1
        })
        .await;
        assert!(
            committed,
            "block {n} was not committed within {PATIENCE:?}: the anchor's next block is {}",
            self.chain.next_block().await.unwrap()
        );
    }

    /// One commitment per number, the stored chain; the operator's nonce advanced by
    /// exactly one mined transaction per block.
    async fn assert_committed_once(&self, blocks: u64, nonce_before: u128) {
        let events = self.chain.submitted_blocks(0).await.unwrap();
        let numbers: Vec<u64> = events.iter().map(|e| e.number).collect();
        assert_eq!(numbers, (1..=blocks).collect::<Vec<_>>());
        // The commitments chain up to the node's stored tip.
        for pair in events.windows(2) {
            assert_eq!(pair[1].prevHash, pair[0].headerHash);
        }
        let status = self.node.status();
        assert_eq!(status.tip, blocks);
        assert_eq!(events.last().map(|e| e.headerHash), Some(status.tip_hash));
        assert_eq!(
            mined_nonce(self.rpc, self.operator),
            nonce_before + u128::from(blocks)
        );
        assert_eq!(self.chain.next_block().await.unwrap(), blocks + 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_block_submission_is_resent_once() {
    let s = setup().await;
    let nonce_before = mined_nonce(s.rpc, s.operator);
    anvil_call(s.rpc, "evm_setAutomine", &json!([false]));

    assert_eq!(s.block_with_transfer(0).await, 1);
    assert!(eventually(async || pooled(s.rpc) == 1).await, "not sent");
    anvil_call(s.rpc, "anvil_dropAllTransactions", &json!([]));
    assert_eq!(pooled(s.rpc), 0);
    // The receipt never comes: the wait times out and the anchor is read back.
    assert!(
        eventually(async || s.failures() >= 1).await,
        "the lost submission was not noticed"
    );
    // The next round sends block 1 again, at the nonce the dropped transaction had.
    assert!(eventually(async || pooled(s.rpc) == 1).await, "not resent");
    assert_eq!(mined_nonce(s.rpc, s.operator), nonce_before);
    s.mine_until_committed(1).await;

    // Later blocks go on from there, with no nonce gap.
    anvil_call(s.rpc, "evm_setAutomine", &json!([true]));
    assert_eq!(s.block_with_transfer(1).await, 2);
    s.mine_until_committed(2).await;
    s.assert_committed_once(2, nonce_before).await;
    let _ = &s.anvil;
    s.node.shutdown(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stuck_block_submission_is_replaced_with_higher_fees() {
    let s = setup().await;
    let nonce_before = mined_nonce(s.rpc, s.operator);
    anvil_call(s.rpc, "evm_setAutomine", &json!([false]));

    assert_eq!(s.block_with_transfer(0).await, 1);
    assert!(
        eventually(async || pooled_fees(s.rpc, s.operator).len() == 1).await,
        "not sent"
    );
    let first_fee = pooled_fees(s.rpc, s.operator)[0];
    // No receipt: after the timeout the block is sent again with the same nonce and higher fees,
    // replacing the pooled transaction rather than queueing a second one behind it.
    assert!(
        eventually(async || {
            let fees = pooled_fees(s.rpc, s.operator);
            fees.len() == 1 && fees[0] > first_fee
        })
        .await,
        "the stuck transaction was not replaced"
    );
    assert!(s.failures() >= 1);
    assert_eq!(pooled(s.rpc), 1);
    s.mine_until_committed(1).await;

    anvil_call(s.rpc, "evm_setAutomine", &json!([true]));
    assert_eq!(s.block_with_transfer(1).await, 2);
    s.mine_until_committed(2).await;
    s.assert_committed_once(2, nonce_before).await;
    s.node.shutdown(Duration::from_secs(5)).await.unwrap();
}
