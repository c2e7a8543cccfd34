//! Block submissions whose L1 transaction never gets a receipt, on a real anvil with automine
//! off: one dropped from the node's pool (`anvil_dropAllTransactions`), one left stuck in the
//! pool. Either way the submitter's receipt wait times out, it reads the anchor back, and the
//! next round sends the block again with the account's nonce read afresh (a stuck transaction is
//! replaced with higher fees), so the block lands exactly once: one commitment per number, one
//! mined L1 transaction per block.

use std::{net::SocketAddr, time::Duration};

use alloy_primitives::{Address, U256};
use debye_operator::Operator;
use debye_primitives::Segment;
use serde_json::json;

use crate::helpers::{AnvilChain, PATIENCE, anvil_call, anvil_chain, anvil_config, eventually};

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
    c: AnvilChain,
    node: Operator,
    /// The operator's mined nonce once the node has started, before any block.
    nonce_before: u128,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let c = anvil_chain().await;
    let dir = tempfile::tempdir().unwrap();
    // The submit timeout is how long the submitter waits for a receipt before reading the
    // anchor back.
    let cfg = anvil_config(dir.path());
    // No reconnect hook: the RpcL1 client must recover from the lost transaction on its own.
    let node = Operator::start(cfg, c.chain.clone(), c.operator)
        .await
        .unwrap();
    let credited = eventually(async || {
        node.metrics()
            .deposits
            .load(std::sync::atomic::Ordering::Relaxed)
            == 1
    })
    .await;
    assert!(credited, "deposit not credited within {PATIENCE:?}");
    let nonce_before = mined_nonce(c.rpc, c.operator);
    Setup {
        c,
        node,
        nonce_before,
        _dir: dir,
    }
}

impl Setup {
    /// Turns anvil's automine on or off.
    fn automine(&self, on: bool) {
        anvil_call(self.c.rpc, "evm_setAutomine", &json!([on]));
    }

    /// Submits a transfer of coin `i` of the deposit and stores it in a block; returns its number.
    async fn block_with_transfer(&self, i: u64) -> u64 {
        let start = self.c.deposit.start + U256::from(i);
        let segment = Segment::new(start, start + U256::from(1u8)).unwrap();
        let stx = self.c.alice_pays_bob(self.node.domain(), segment);
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
            if pooled(self.c.rpc) > 0 {
                anvil_call(self.c.rpc, "evm_mine", &json!([]));
            }
            self.c.chain.next_block().await.unwrap() == n + 1
        })
        .await;
        assert!(
            committed,
            "block {n} was not committed within {PATIENCE:?}: the anchor's next block is {}",
            self.c.chain.next_block().await.unwrap()
        );
    }

    /// One commitment per number, the stored chain; the operator's nonce advanced by
    /// exactly one mined transaction per block.
    async fn assert_committed_once(&self, blocks: u64) {
        let events = self.c.chain.submitted_blocks(0).await.unwrap();
        let numbers: Vec<u64> = events.iter().map(|e| e.number).collect();
        assert_eq!(numbers, (1..=blocks).collect::<Vec<_>>());
        // The commitments chain up to the node's stored tip.
        for pair in events.windows(2) {
            assert_eq!(pair[1].header.prevHash, pair[0].headerHash);
        }
        let status = self.node.status();
        assert_eq!(status.tip, blocks);
        assert_eq!(events.last().map(|e| e.headerHash), Some(status.tip_hash));
        assert_eq!(
            mined_nonce(self.c.rpc, self.c.operator),
            self.nonce_before + u128::from(blocks)
        );
        assert_eq!(self.c.chain.next_block().await.unwrap(), blocks + 1);
    }

    /// Once block 1 is committed: with automine back on, block 2 goes on from there with no
    /// nonce gap, each block committed once; then the node shuts down.
    async fn block_2_follows_and_shut_down(self) {
        self.automine(true);
        assert_eq!(self.block_with_transfer(1).await, 2);
        self.mine_until_committed(2).await;
        self.assert_committed_once(2).await;
        self.node.shutdown(Duration::from_secs(5)).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_block_submission_is_resent_once() {
    let s = setup().await;
    s.automine(false);

    assert_eq!(s.block_with_transfer(0).await, 1);
    assert!(eventually(async || pooled(s.c.rpc) == 1).await, "not sent");
    anvil_call(s.c.rpc, "anvil_dropAllTransactions", &json!([]));
    assert_eq!(pooled(s.c.rpc), 0);
    // The receipt never comes: the wait times out and the anchor is read back.
    assert!(
        eventually(async || s.failures() >= 1).await,
        "the lost submission was not noticed"
    );
    // The next round sends block 1 again, at the nonce the dropped transaction had.
    assert!(
        eventually(async || pooled(s.c.rpc) == 1).await,
        "not resent"
    );
    assert_eq!(mined_nonce(s.c.rpc, s.c.operator), s.nonce_before);
    s.mine_until_committed(1).await;

    // Later blocks go on from there, with no nonce gap.
    s.block_2_follows_and_shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stuck_block_submission_is_replaced_with_higher_fees() {
    let s = setup().await;
    s.automine(false);

    assert_eq!(s.block_with_transfer(0).await, 1);
    assert!(
        eventually(async || pooled_fees(s.c.rpc, s.c.operator).len() == 1).await,
        "not sent"
    );
    let first_fee = pooled_fees(s.c.rpc, s.c.operator)[0];
    // No receipt: after the timeout the block is sent again with the same nonce and higher fees,
    // replacing the pooled transaction rather than queueing a second one behind it.
    assert!(
        eventually(async || {
            let fees = pooled_fees(s.c.rpc, s.c.operator);
            fees.len() == 1 && fees[0] > first_fee
        })
        .await,
        "the stuck transaction was not replaced"
    );
    assert!(s.failures() >= 1);
    assert_eq!(pooled(s.c.rpc), 1);
    s.mine_until_committed(1).await;

    s.block_2_follows_and_shut_down().await;
}
