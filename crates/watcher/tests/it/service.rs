//! The service: one `debye watcher --status` round against anvil through the library's CLI
//! entry point, its store reopened by another watcher, and the `watcher_status` endpoint.

use std::sync::{Arc, Mutex};

use alloy_primitives::U256;
use debye_l1::{
    L1,
    anvil::{Anvil, DEV_KEYS, dev_accounts},
    contracts::DebyeChainClient,
};
use debye_watcher::{
    Config, Mode, Status, Watcher,
    cli::{WatcherArgs, run},
    rpc::serve_status,
    testnet::ByzantineOperator,
};
use jsonrpsee::{core::client::ClientT, rpc_params};

#[tokio::test]
async fn cli_round_then_status_endpoint() {
    let anvil = Anvil::spawn().unwrap();
    let accounts = dev_accounts();
    let l1 = Arc::new(anvil.l1().unwrap());
    let chain = DebyeChainClient::deploy_with(l1.clone(), accounts[0], accounts[0], 600, 0)
        .await
        .unwrap();
    let mut op = ByzantineOperator::start(chain.clone(), accounts[0])
        .await
        .unwrap();
    chain
        .deposit_eth(accounts[1], U256::from(1_000_000u64))
        .await
        .unwrap();
    op.commit(vec![], false).await.unwrap();
    op.commit(vec![], true).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("w.redb");
    let key_file = dir.path().join("watcher.key");
    std::fs::write(&key_file, format!("0x{}\n", DEV_KEYS[3])).unwrap();
    let args = WatcherArgs {
        l1_rpc: anvil.endpoint(),
        anchor: chain.address(),
        operator: op.url().to_string(),
        key_file: Some(key_file),
        store: store.clone(),
        guard: vec![],
        interval: 1,
        stall_after: 3600,
        from_block: 0,
        confirmations: 0,
        no_verify_accumulator: false,
        status_addr: None,
        status: true,
    };
    run(args).await.unwrap();

    // The round's work is in the store: another watcher resumes from it.
    let config = Config {
        mode: Mode::Archival,
        account: accounts[3],
        stall_after: 3600,
        from_l1_block: 0,
        confirmations: 0,
        verify_accumulator: true,
    };
    let watcher = Watcher::open(chain.clone(), op.client().unwrap(), &store, config)
        .await
        .unwrap();
    let status = watcher.status();
    assert_eq!(status.deposits, 1);
    assert_eq!(status.committed_blocks, 2);
    assert_eq!(status.withheld_blocks, vec![2]);
    assert_eq!(status.next_child_block, 3);
    assert!(status.l1_cursor > l1.block_number().await.unwrap() - 1);

    let (handle, addr) = serve_status(
        "127.0.0.1:0".parse().unwrap(),
        Arc::new(Mutex::new(status.clone())),
    )
    .await
    .unwrap();
    let client = debye_rpc_api::http_client(&format!("http://{addr}")).unwrap();
    let served: Status = client
        .request("watcher_status", rpc_params![])
        .await
        .unwrap();
    assert_eq!(served, status);
    handle.stop().unwrap();
}
