//! A real `anvil` node for tests: started from `contracts/node_modules` on a free loopback port,
//! stopped when dropped.

use std::{
    net::{TcpListener, TcpStream},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
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

    /// Starts anvil on a free loopback port and waits until it accepts connections.
    pub fn spawn() -> Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| Error::Process(format!("no free port: {e}")))?
            .port();
        let bin = Self::binary();
        let child = Command::new(&bin)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--silent",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                Error::Process(format!(
                    "cannot start {}: {e} (run `npm ci` in contracts/)",
                    bin.display()
                ))
            })?;
        let mut anvil = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = anvil.child.try_wait() {
                return Err(Error::Process(format!("anvil exited early: {status}")));
            }
            if Instant::now() > deadline {
                return Err(Error::Process("anvil did not start within 30 s".into()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        anvil.port = port;
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
    }
}
