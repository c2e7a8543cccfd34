//! A real `anvil` node for tests: started from `contracts/node_modules` on a loopback port it picks,
//! stopped when dropped.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicU64, Ordering},
        mpsc,
    },
    time::Duration,
};

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;

use crate::{Error, Result, RpcL1};

/// Private keys of anvil's first development accounts (from its public default mnemonic
/// `test test ... junk`); they hold 10,000 ETH each on a fresh node.
pub const DEV_KEYS: [&str; 4] = [
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
];

/// Signers for [`DEV_KEYS`].
pub fn dev_signers() -> Vec<PrivateKeySigner> {
    DEV_KEYS
        .iter()
        .map(|k| k.parse().expect("constant dev key parses"))
        .collect()
}

/// Addresses of [`DEV_KEYS`].
pub fn dev_accounts() -> Vec<Address> {
    dev_signers()
        .iter()
        .map(PrivateKeySigner::address)
        .collect()
}

/// A running anvil process; killed on drop.
#[derive(Debug)]
pub struct Anvil {
    child: Child,
    port: u16,
    /// Where this anvil may persist old states (`--cache-path`); removed on drop. Anvil's
    /// default, `~/.foundry/anvil/tmp`, is only cleaned by a graceful exit, and a killed anvil
    /// left ~4 GB there per mass-exit run.
    state_dir: PathBuf,
}

impl Anvil {
    /// Path of the anvil binary: `$DEBYE_ANVIL`, else the one `npm ci` put in `contracts/`.
    pub fn binary() -> PathBuf {
        std::env::var_os("DEBYE_ANVIL")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../../contracts/node_modules/.bin/anvil")
            })
    }

    /// Starts anvil on a loopback port of its own choosing and returns once it listens.
    ///
    /// The port comes from anvil's own "Listening on" line: a port picked beforehand (bind,
    /// drop, pass) could be taken by another process in between, and a connect probe would then
    /// succeed against that process instead.
    pub fn spawn() -> Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let bin = Self::binary();
        let state_dir = std::env::temp_dir().join(format!(
            "debye-anvil-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&state_dir)
            .map_err(|e| Error::Process(format!("cannot create {}: {e}", state_dir.display())))?;
        let mut child = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", "0", "--cache-path"])
            .arg(&state_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                Error::Process(format!(
                    "cannot start {}: {e} (run `npm ci` in contracts/)",
                    bin.display()
                ))
            })?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| Error::Process("anvil stdout not captured".into()))?;
        let (tx, rx) = mpsc::channel();
        // Reads the address, then drains anvil's request log for as long as it runs (a full pipe
        // would block it).
        std::thread::Builder::new()
            .name("anvil-stdout".into())
            .spawn(move || {
                let mut reader = BufReader::new(stdout);
                let mut line = String::new();
                let mut tx = Some(tx);
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                    if let Some(addr) = line.trim().strip_prefix("Listening on ")
                        && let Some(tx) = tx.take()
                    {
                        let _ = tx.send(addr.to_owned());
                    }
                    line.clear();
                }
            })
            .map_err(|e| Error::Process(format!("cannot read anvil's output: {e}")))?;
        let mut anvil = Self {
            child,
            port: 0,
            state_dir,
        };
        let addr = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => addr,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(Error::Process("anvil did not start within 30 s".into()));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = anvil
                    .child
                    .wait()
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                return Err(Error::Process(format!("anvil exited early: {status}")));
            }
        };
        anvil.port = addr
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .ok_or_else(|| Error::Process(format!("unexpected anvil address {addr:?}")))?;
        Ok(anvil)
    }

    /// HTTP endpoint of the node.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// An [`RpcL1`] on this node that signs with the development keys.
    pub fn l1(&self) -> Result<RpcL1> {
        RpcL1::connect(&self.endpoint(), dev_signers())
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.state_dir);
    }
}
