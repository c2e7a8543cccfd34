//! Integration tests for the devnet run.
#![allow(clippy::unwrap_used, missing_docs)]

use alloy_primitives::U256;

#[tokio::test]
async fn devnet_story_balances_add_up() {
    let mut lines = Vec::new();
    let report = debye_devnet::run(|l| lines.push(l)).await.unwrap();
    assert_eq!(report.blocks.len(), 2);
    assert_eq!(report.blocks[1].header.prev_hash, report.blocks[0].hash);
    let ether = U256::from(10u128.pow(18));
    let (alice, bob) = (&report.parties[0], &report.parties[1]);
    assert_eq!(alice.l2_eth_wei, U256::from(35) * ether / U256::from(10));
    assert_eq!(bob.l2_eth_wei, U256::from(15) * ether / U256::from(10));
    assert_eq!(alice.l2_token, U256::from(250_000_000u64));
    assert_eq!(bob.l2_token, U256::from(750_000_000u64));
    assert_eq!(alice.l1_eth_wei, U256::from(95) * ether);
    assert!(lines.iter().any(|l| l.contains("exclusion proof")));
    assert_eq!(report.steps.len(), lines.len() - report.parties.len());
}
