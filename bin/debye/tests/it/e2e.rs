//! Three OS processes — the operator and two wallets, each a `debye` process — plus the contracts
//! on anvil: deposit → transfer → the recipient verifies the history → the recipient exits →
//! the funds arrive on L1.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, U256};
use debye_l1::{
    L1,
    anvil::{Anvil, DEV_KEYS, dev_accounts},
    contracts::DebyeChainClient,
};

const ETHER: u128 = 1_000_000_000_000_000_000;

/// The API address in the operator's "operator running" log line, if it was written yet.
pub(crate) fn logged_rpc_addr(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    // Drop colour escapes (ESC [ … m) around the field names.
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().take_while(|c| *c != 'm').for_each(drop);
        } else {
            plain.push(c);
        }
    }
    plain
        .lines()
        .find(|l| l.contains("operator running"))?
        .split_whitespace()
        .find_map(|w| w.strip_prefix("rpc="))
        .map(str::to_owned)
}

/// Kills the operator when the test ends, however it ends.
pub(crate) struct Operator(Child);

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) struct WalletCli {
    dir: PathBuf,
    passphrase: PathBuf,
}

impl WalletCli {
    pub(crate) fn new(root: &Path, name: &str, key: &str) -> Self {
        let dir = root.join(name);
        let passphrase = root.join(format!("{name}.pass"));
        std::fs::write(&passphrase, "correct horse battery staple\n").unwrap();
        let key_file = root.join(format!("{name}.key"));
        std::fs::write(&key_file, key).unwrap();
        let w = Self { dir, passphrase };
        w.ok(&[
            "import",
            "--private-key-file",
            key_file.to_str().unwrap(),
            "--kdf",
            "light",
        ]);
        w
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_debye"))
            .arg("wallet")
            .arg("--wallet")
            .arg(&self.dir)
            .arg("--passphrase-file")
            .arg(&self.passphrase)
            .arg("--json")
            .args(args)
            .output()
            .unwrap()
    }

    pub(crate) fn ok(&self, args: &[&str]) -> serde_json::Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "debye wallet {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
    }

    /// Spendable ETH (token 0) as the wallet counts it.
    fn spendable_eth(&self) -> U256 {
        fn find(v: &serde_json::Value) -> Option<U256> {
            match v {
                serde_json::Value::Object(m) => {
                    if m.get("token").and_then(|t| t.as_u64()) == Some(0) {
                        return m.get("spendable").and_then(amount);
                    }
                    m.values().find_map(find)
                }
                serde_json::Value::Array(a) => a.iter().find_map(find),
                _ => None,
            }
        }
        fn amount(v: &serde_json::Value) -> Option<U256> {
            match v {
                serde_json::Value::String(s) => s.parse().ok(),
                serde_json::Value::Number(n) => n.as_u64().map(U256::from),
                _ => None,
            }
        }
        find(&self.ok(&["balance"])).unwrap_or(U256::ZERO)
    }
}

/// Starts the operator process over JSON-RPC against anvil at `url` (anchor `anchor`, key of
/// anvil account 1), with the TOML `config` if given; returns it and its API URL. It binds ports
/// of its own choosing (no other process can take them between a pick and the bind) and logs
/// the API address.
pub(crate) async fn spawn_operator(
    root: &Path,
    url: &str,
    anchor: &str,
    config: Option<&Path>,
) -> (Operator, String) {
    let log = root.join("operator.log");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_debye"));
    cmd.arg("operator");
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    let mut node = Operator(
        cmd.env("DEBYE_DATA_DIR", root.join("operator"))
            .env("DEBYE_RPC_ADDR", "127.0.0.1:0")
            .env("DEBYE_METRICS_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "warn,debye_operator::node=info")
            .env("NO_COLOR", "1")
            .env("DEBYE_L1", "rpc")
            .env("DEBYE_L1_URL", url)
            .env("DEBYE_L1_ANCHOR", anchor)
            .env("DEBYE_OPERATOR_KEY", format!("0x{}", DEV_KEYS[1]))
            .env("DEBYE_L1_CONFIRMATIONS", "0")
            .env("DEBYE_L1_POLL_MS", "100")
            .env("DEBYE_BLOCK_INTERVAL_MS", "200")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let api = loop {
        if let Some(addr) = logged_rpc_addr(&log) {
            break addr;
        }
        if let Ok(Some(status)) = node.0.try_wait() {
            panic!(
                "the operator exited with {status}: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "the operator did not start within 60 s: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    (node, format!("http://{api}"))
}

/// Retries `f` until it returns true (the operator builds blocks and syncs L1 on its own clock).
pub(crate) fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deposit_transfer_verify_exit_across_processes_on_anvil() {
    let anvil = Anvil::spawn().expect("anvil from contracts/node_modules (run npm ci)");
    let l1 = anvil.l1().unwrap();
    let accounts = dev_accounts();
    let (deployer, operator, alice, bob): (Address, Address, Address, Address) =
        (accounts[0], accounts[1], accounts[2], accounts[3]);
    let chain = DebyeChainClient::deploy(l1.clone(), deployer, operator)
        .await
        .unwrap();
    let anchor = chain.address().to_string();
    let url = anvil.endpoint();
    let root = tempfile::tempdir().unwrap();

    // Process 1: the operator, over JSON-RPC against anvil.
    let (_node, operator_url) = spawn_operator(root.path(), &url, &anchor, None).await;

    // Processes 2 and 3: two wallets, each command its own `debye wallet` process.
    let alice_w = WalletCli::new(root.path(), "alice", DEV_KEYS[2]);
    let bob_w = WalletCli::new(root.path(), "bob", DEV_KEYS[3]);
    let l1_args = ["--l1-rpc", url.as_str(), "--anchor", anchor.as_str()];

    let deposit = ETHER.to_string();
    alice_w.ok(&[&["deposit", "--amount", &deposit][..], &l1_args].concat());
    let pay = root.path().join("pay.json");
    let amount = U256::from(ETHER / 4);
    // The deposit becomes spendable once a block after it is committed and the wallet has synced
    // it; the operator also credits it only after it sees it on L1. Until then the send is refused.
    let sync = [&["sync", "--operator", operator_url.as_str()][..], &l1_args].concat();
    // The operator credits the deposit on its own clock: wait for that rather than send into
    // refusals (a refused send gives its coins back, `Wallet::submit_or_release`).
    let api_client = debye_rpc_api::http_client(&operator_url).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while debye_rpc_api::DebyeApiClient::ranges_owned_by(&api_client, alice)
        .await
        .map_or(true, |r| r.is_empty())
    {
        assert!(
            Instant::now() < deadline,
            "the operator never credited alice's deposit"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eventually("the operator accepts alice's payment", || {
        let _ = alice_w.run(&sync);
        alice_w
            .run(
                &[
                    &[
                        "send",
                        "--to",
                        &bob.to_string(),
                        "--amount",
                        &amount.to_string(),
                    ][..],
                    &["--max-block", "1000", "--out", pay.to_str().unwrap()],
                    // --compress: the histories in pay.json get an accumulator span from the
                    // operator where the coins sat still for two blocks or more
                    &["--operator", &operator_url, "--compress"],
                ]
                .concat(),
            )
            .status
            .success()
    });

    // Bob counts the coins only after verifying their whole history against L1.
    eventually("bob's wallet verifies and counts the payment", || {
        bob_w.run(&sync).status.success() && bob_w.spendable_eth() == amount
    });
    alice_w.ok(&sync);
    assert_eq!(alice_w.spendable_eth(), U256::from(ETHER) - amount);

    // Bob exits his coins and, after the exit period, they arrive on his L1 account.
    bob_w.ok(&[&["exit", "--start"][..], &l1_args].concat());
    let period = chain.exit_period().await.unwrap();
    l1.advance_time(period + 1).await.unwrap();
    let before = l1.balance(bob).await.unwrap();
    bob_w.ok(&[&["exit", "--finalize"][..], &l1_args].concat());
    let after = l1.balance(bob).await.unwrap();
    // Gas is paid from the same account, so allow for it; the coins and the bond come back.
    let bond = chain.exit_bond().await.unwrap();
    let gained = after - before;
    assert!(
        gained > amount + bond - U256::from(ETHER / 100),
        "bob gained only {gained}"
    );
    assert!(gained <= amount + bond);
    assert!(l1.balance(alice).await.unwrap() < U256::from(10_000 * ETHER - ETHER));
}
