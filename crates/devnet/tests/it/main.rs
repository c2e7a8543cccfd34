//! Integration tests for the devnet run.
#![allow(clippy::unwrap_used, missing_docs)]

use alloy_primitives::U256;

#[tokio::test]
async fn devnet_story_balances_add_up() {
    let mut lines = Vec::new();
    let report = debye_devnet::run(|l| lines.push(l)).await.unwrap();
    assert_eq!(report.blocks.len(), 3);
    assert_eq!(report.blocks[1].header.prev_hash, report.blocks[0].hash);
    let ether = U256::from(10u128.pow(18));
    let (alice, bob, carol) = (&report.parties[0], &report.parties[1], &report.parties[2]);
    let milli = ether / U256::from(1000);
    // Alice: 5 deposited, 2 to bob, 0.5 back, 0.25 from the swap.
    assert_eq!(alice.l2_eth_wei, U256::from(3_750) * milli);
    // Bob's remaining 1.25 ETH left through his exit.
    assert_eq!(bob.l2_eth_wei, U256::ZERO);
    assert_eq!(alice.l2_token, U256::from(150_000_000u64));
    assert_eq!(bob.l2_token, U256::from(850_000_000u64));
    assert_eq!(alice.l1_eth_wei, U256::from(95) * ether);
    // Bob lost the fraudulent exit's bond (0.06) and received his 1.25 ETH exit.
    assert_eq!(bob.l1_eth_wei, U256::from(101_190) * milli);
    // Carol, the challenger, earned that bond.
    assert_eq!(carol.l1_eth_wei, U256::from(1_060) * milli);
    assert!(lines.iter().any(|l| l.contains("exit cancelled")));
    assert!(lines.iter().any(|l| l.contains("exclusion proof")));
    assert_eq!(report.steps.len(), lines.len() - report.parties.len());
    assert!(report.steps.iter().all(|s| s.ok));
    // The real parts played: the operator's node and the watcher each took a step.
    for name in [
        "operator",
        "carol watches",
        "carol challenges",
        "bob withdraws",
    ] {
        assert!(
            report.steps.iter().any(|s| s.name == name),
            "no step {name}"
        );
    }
}
