//! The private payment across OS processes on anvil (issue 15's acceptance): the operator and
//! each wallet command a `debye` process. Alice shields 1,000 dUSD → the operator imports the
//! deposit → Alice pays Bob 400 privately (proof made by her wallet process) → Bob's wallet scans
//! and finds the note → Bob proves the exit of that note to a fresh address and hands the relay
//! request to a relayer's wallet, which starts it with the bond → after the exit period the relayer
//! finalizes, and the fresh address holds exactly 400 − fee units, the relayer the fee.

use alloy_primitives::{Address, U256, keccak256};
use debye_l1::{
    L1,
    anvil::{Anvil, DEV_KEYS, dev_accounts},
    contracts::{DebyeChainClient, TestTokenClient},
    pool::ShieldedPoolClient,
};

use super::e2e::{WalletCli, eventually, spawn_operator};

/// dUSD has 6 decimals; the pool lists it with a note unit of one cent.
const UNIT: u64 = 10_000;
/// 1,000 dUSD in cents: what Alice shields.
const SHIELDED: u64 = 100_000;
/// 400 dUSD: what she pays Bob.
const PAID: u64 = 40_000;
/// 2.50 dUSD: the relayer's fee.
const FEE: u64 = 250;
/// `REP` (docs/shielded.md S-6.4): an exit names a root at least a day old.
const REP: u64 = 86_400;

/// The id of an unspent note of `amount` units in `notes --json`.
fn note_of(notes: &serde_json::Value, amount: u64) -> Option<u64> {
    notes["notes"].as_array()?.iter().find_map(|n| {
        (n["amount"].as_u64() == Some(amount) && n["status"]["state"] == "unspent")
            .then(|| n["position"].as_u64())
            .flatten()
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn shielded_deposit_private_payment_relayed_exit_across_processes_on_anvil() {
    let anvil = Anvil::spawn().expect("anvil from contracts/node_modules (run npm ci)");
    let l1 = anvil.l1().unwrap();
    let accounts = dev_accounts();
    // anvil's dev accounts: 0 deploys and then relays (a third wallet with an L1 key, no dUSD),
    // 1 operates, 2 is Alice, 3 Bob.
    let (deployer, operator, alice) = (accounts[0], accounts[1], accounts[2]);
    let relayer = deployer;
    let chain = DebyeChainClient::deploy(l1.clone(), deployer, operator)
        .await
        .unwrap();
    let pool = ShieldedPoolClient::of_chain(&chain).await.unwrap();
    let token = TestTokenClient::deploy(l1.clone(), deployer, "Debye USD", "dUSD")
        .await
        .unwrap();
    pool.list_token(operator, token.address(), UNIT)
        .await
        .unwrap();
    token
        .mint(deployer, alice, U256::from(SHIELDED * UNIT))
        .await
        .unwrap();
    let (anchor, tok, pool_s) = (
        chain.address().to_string(),
        token.address().to_string(),
        pool.address().to_string(),
    );
    let url = anvil.endpoint();
    let chain_id = l1.chain_id().await.unwrap().to_string();
    let root = tempfile::tempdir().unwrap();

    // Process 1: the operator, running the shielded ledger for the pool.
    let config = root.path().join("operator.toml");
    std::fs::write(&config, format!("[shielded]\npool = \"{pool_s}\"\n")).unwrap();
    let (_node, operator_url) = spawn_operator(root.path(), &url, &anchor, Some(&config)).await;

    // Processes 2 and 3 (and the relayer's): each command its own `debye wallet` process.
    let alice_w = WalletCli::new(root.path(), "alice", DEV_KEYS[2]);
    let bob_w = WalletCli::new(root.path(), "bob", DEV_KEYS[3]);
    let relayer_w = WalletCli::new(root.path(), "relayer", DEV_KEYS[0]);
    let l1_args = ["--l1-rpc", url.as_str(), "--anchor", anchor.as_str()];
    let sync = [&["sync", "--operator", operator_url.as_str()][..], &l1_args].concat();

    // The deposit: the operator imports it from the pool's log and commits it; Alice's wallet
    // counts the note once it scans that committed block.
    let units = SHIELDED.to_string();
    alice_w.ok(&[
        &["deposit", "--private", "--amount", &units, "--token", &tok][..],
        &l1_args,
    ]
    .concat());
    eventually("alice's wallet scans her deposited note", || {
        alice_w.run(&sync).status.success() && note_of(&alice_w.ok(&["notes"]), SHIELDED).is_some()
    });

    // The private payment: proven in Alice's process, submitted to the operator.
    let bob_dbs = bob_w.ok(&["address", "--private"])["private"]
        .as_str()
        .expect("bob's dbs1 address")
        .to_owned();
    let paid = PAID.to_string();
    alice_w.ok(&[
        &["send", "--private", &bob_dbs, &paid][..],
        &[
            "--chain-id",
            &chain_id,
            "--pool",
            &pool_s,
            "--private-token",
            &tok,
        ],
        &["--operator", &operator_url],
    ]
    .concat());
    // Bob's wallet finds the note by scanning committed blocks with his viewing key.
    let mut position = None;
    eventually("bob's wallet scans and finds the payment", || {
        position = bob_w
            .run(&sync)
            .status
            .success()
            .then(|| note_of(&bob_w.ok(&["notes"]), PAID))
            .flatten();
        position.is_some()
    });
    let position = position.unwrap().to_string();
    eventually("alice's change is counted", || {
        alice_w.run(&sync).status.success()
            && note_of(&alice_w.ok(&["notes"]), SHIELDED - PAID).is_some()
    });

    // A day later the payment's root may be named without telling when the note arrived.
    l1.advance_time(REP + 60).await.unwrap();
    let fresh = Address::from_slice(&keccak256("bob's fresh address")[12..]);
    let request = root.path().join("request.json");
    bob_w.ok(&[
        &[
            "exit",
            "--private",
            "--note",
            &position,
            "--to",
            &fresh.to_string(),
        ][..],
        &["--relayer", &relayer.to_string(), "--fee", &FEE.to_string()],
        &["--out", request.to_str().unwrap()],
        &l1_args,
    ]
    .concat());
    let started = relayer_w.ok(&[&["relay", request.to_str().unwrap()][..], &l1_args].concat());
    let exitable_at = find_u64(&started, "exitableAt").expect("relay prints exitableAt");

    // After the exit period the relayer processes the queue and withdraws both credits; the fresh
    // address never needs gas.
    let now = l1.timestamp().await.unwrap();
    l1.advance_time(exitable_at.saturating_sub(now) + 1)
        .await
        .unwrap();
    relayer_w.ok(&[
        &["relay", "--finalize", "--token", &tok][..],
        &["--recipient", &fresh.to_string()],
        &l1_args,
    ]
    .concat());
    assert_eq!(
        token.balance_of(fresh).await.unwrap(),
        U256::from((PAID - FEE) * UNIT),
        "the fresh address is paid the note less the fee"
    );
    assert_eq!(
        token.balance_of(relayer).await.unwrap(),
        U256::from(FEE * UNIT),
        "the relayer earns the fee"
    );
    assert_eq!(l1.balance(fresh).await.unwrap(), U256::ZERO);
    // Bob's wallet sees its note exited, Alice keeps her change.
    bob_w.ok(&sync);
    assert_eq!(note_of(&bob_w.ok(&["notes"]), PAID), None);
    assert!(note_of(&alice_w.ok(&["notes"]), SHIELDED - PAID).is_some());
}

/// The first number under key `key` anywhere in `v`.
fn find_u64(v: &serde_json::Value, key: &str) -> Option<u64> {
    match v {
        serde_json::Value::Object(m) => m
            .get(key)
            .and_then(serde_json::Value::as_u64)
            .or_else(|| m.values().find_map(|x| find_u64(x, key))),
        serde_json::Value::Array(a) => a.iter().find_map(|x| find_u64(x, key)),
        _ => None,
    }
}
