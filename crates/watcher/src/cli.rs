//! `debye watcher`: the watcher as a service (arguments parsed here; the `debye` binary only
//! forwards them).

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use debye_l1::{RpcL1, contracts::DebyeChainClient};
use debye_primitives::Segment;

use crate::{
    Config, Error, Mode, Result, Status, Watcher,
    rpc::{SharedStatus, serve_status},
};

/// Arguments of `debye watcher`.
#[derive(Debug, clap::Args)]
pub struct WatcherArgs {
    /// L1 JSON-RPC endpoint.
    #[arg(long, env = "DEBYE_L1_RPC", default_value = "http://127.0.0.1:8545")]
    pub l1_rpc: String,
    /// Address of the anchor contract.
    #[arg(long, env = "DEBYE_ANCHOR")]
    pub anchor: Address,
    /// Operator JSON-RPC endpoint.
    #[arg(
        long,
        env = "DEBYE_OPERATOR_RPC",
        default_value = "http://127.0.0.1:8645"
    )]
    pub operator: String,
    /// File holding the hex private key of the L1 account that sends challenges and receives
    /// bonds; without it the key is read from the environment variable `DEBYE_WATCHER_KEY`.
    /// Never on the command line (other users see it in the process list).
    #[arg(long, env = "DEBYE_WATCHER_KEY_FILE", value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// The watcher's store (redb file).
    #[arg(long, default_value = "watcher.redb")]
    pub store: PathBuf,
    /// Guard these coin ranges (`START:END`, decimal or 0x-hex, repeatable); without any,
    /// the watcher is archival (watches everything).
    #[arg(long = "guard", value_parser = parse_range)]
    pub guard: Vec<Segment>,
    /// Seconds between rounds.
    #[arg(long, default_value_t = 12)]
    pub interval: u64,
    /// Report the operator stalled after this many seconds without a block commitment.
    #[arg(long, default_value_t = 3600)]
    pub stall_after: u64,
    /// First L1 block to read (the anchor's deployment block).
    #[arg(long, default_value_t = 0)]
    pub from_block: u64,
    /// Read L1 this many blocks behind the latest (reorg safety).
    #[arg(long, default_value_t = 2)]
    pub confirmations: u64,
    /// Do not recompute the history accumulator (saves ≈1.6 µs of CPU per exponent bit, ~40k
    /// bits per touched range; no `AccumulatorMismatch` is then reported).
    #[arg(long)]
    pub no_verify_accumulator: bool,
    /// Serve `watcher_status` (JSON-RPC over HTTP) on this address.
    #[arg(long)]
    pub status_addr: Option<std::net::SocketAddr>,
    /// Run one round, print the status as JSON and exit.
    #[arg(long)]
    pub status: bool,
}

fn parse_u256(s: &str) -> Result<U256, String> {
    s.parse::<U256>()
        .map_err(|e| format!("bad coin id {s:?}: {e}"))
}

/// Parses `START:END` into a segment.
pub fn parse_range(s: &str) -> Result<Segment, String> {
    let (a, b) = s.split_once(':').ok_or("expected START:END")?;
    Segment::new(parse_u256(a)?, parse_u256(b)?).map_err(|e| e.to_string())
}

/// The environment variable that holds the watcher's key when no `--key-file` is given.
pub const KEY_ENV: &str = "DEBYE_WATCHER_KEY";

/// The watcher's L1 key: from `--key-file`, else from [`KEY_ENV`].
fn signer(key_file: Option<&std::path::Path>) -> Result<PrivateKeySigner> {
    let text = match key_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("key file {}: {e}", path.display())))?,
        None => std::env::var(KEY_ENV)
            .map_err(|_| Error::Config(format!("no key: pass --key-file FILE or set {KEY_ENV}")))?,
    };
    text.trim()
        .trim_start_matches("0x")
        .parse()
        .map_err(|e| Error::Config(format!("bad key: {e}")))
}

/// Runs the watcher service until Ctrl-C (or one round with `--status`) and returns the last
/// status, for the caller to print as JSON.
pub async fn run(args: WatcherArgs) -> Result<Status> {
    let signer = signer(args.key_file.as_deref())?;
    let account = signer.address();
    let l1 = RpcL1::connect(&args.l1_rpc, [signer])?;
    let chain = DebyeChainClient::at(l1, args.anchor);
    let source =
        debye_rpc_api::http_client(&args.operator).map_err(|e| Error::Operator(e.to_string()))?;
    let mode = if args.guard.is_empty() {
        Mode::Archival
    } else {
        Mode::Guard(args.guard.clone())
    };
    let config = Config {
        mode,
        account,
        stall_after: args.stall_after,
        from_l1_block: args.from_block,
        confirmations: args.confirmations,
        verify_accumulator: !args.no_verify_accumulator,
    };
    let mut watcher = Watcher::open(chain, source, &args.store, config).await?;
    if args.status {
        watcher.step().await?;
        return Ok(watcher.status());
    }
    tracing::info!(target: "debye_watcher", %account, store = %args.store.display(), "watching");
    let shared: SharedStatus = Arc::new(Mutex::new(watcher.status()));
    let _endpoint = match args.status_addr {
        Some(addr) => {
            let (handle, local) = serve_status(addr, shared.clone()).await?;
            tracing::info!(target: "debye_watcher", %local, "status endpoint (watcher_status)");
            Some(handle)
        }
        None => None,
    };
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    let interval = Duration::from_secs(args.interval.max(1));
    loop {
        if let Err(e) = watcher.step().await {
            tracing::warn!(target: "debye_watcher", error = %e, "round failed; retrying");
        }
        if let Ok(mut s) = shared.lock() {
            *s = watcher.status();
        }
        tokio::select! {
            _ = &mut stop => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
    Ok(watcher.status())
}
