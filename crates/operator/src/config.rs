//! Configuration: a TOML file, then `DEBYE_*` environment overrides.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use alloy_primitives::Address;
use serde::Deserialize;

use crate::{Error, Result};

/// The operator's configuration. Every field has a default; see `docs/operator-guide.md`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Directory of the store (`operator.redb`). Env `DEBYE_DATA_DIR`.
    pub data_dir: PathBuf,
    /// JSON-RPC listen address. Env `DEBYE_RPC_ADDR`.
    pub rpc_addr: SocketAddr,
    /// Prometheus metrics listen address; none disables. Env `DEBYE_METRICS_ADDR`.
    pub metrics_addr: Option<SocketAddr>,
    /// Block production.
    pub block: BlockConfig,
    /// Mempool.
    pub mempool: MempoolConfig,
    /// JSON-RPC server limits.
    pub rpc: RpcConfig,
    /// L1 access.
    pub l1: L1Config,
    /// The history accumulator.
    pub accumulator: AccumulatorConfig,
    /// The shielded ledger.
    pub shielded: ShieldedConfig,
}

/// Shielded ledger settings (docs/shielded.md).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ShieldedConfig {
    /// The `ShieldedPool` contract every transfer's `ext.anchor` must name; none disables the
    /// shielded ledger (`debye_submitShielded` answers "unavailable"). While set, the node
    /// verifies proofs with the INSECURE development key of `debye-zk` (a multi-party key is
    /// future work, docs/circuits.md §8.2).
    pub pool: Option<Address>,
}

/// History accumulator settings (docs/accumulator.md §13).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct AccumulatorConfig {
    /// Maintain the accumulator and commit it in every header (otherwise the header field is
    /// zero and wallets use per-block proofs only). Env `DEBYE_ACCUMULATOR` (`true`/`false`).
    pub enabled: bool,
    /// Seal a header only when the accumulator is at most this many blocks behind it.
    pub max_lag: u64,
}

impl Default for AccumulatorConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_lag: 64,
        }
    }
}

/// Block production settings.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct BlockConfig {
    /// Build a block at least this often when transactions wait. Env `DEBYE_BLOCK_INTERVAL_MS`.
    pub interval_ms: u64,
    /// Build a block as soon as this many transactions wait; also the block size bound.
    /// Env `DEBYE_BLOCK_MAX_TXS`.
    pub max_txs: usize,
}

/// Mempool settings.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct MempoolConfig {
    /// Most pending transactions; further submissions get `MempoolFull`. Env `DEBYE_MEMPOOL_MAX`.
    pub max_size: usize,
    /// Most transactions made durable in one commit (group commit).
    pub max_batch: usize,
}

/// JSON-RPC server limits.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct RpcConfig {
    /// Largest request body in bytes.
    pub max_request_bytes: u32,
    /// Largest response body in bytes.
    pub max_response_bytes: u32,
    /// Most calls per batch.
    pub max_batch: u32,
    /// Most concurrent connections; a connection beyond it is closed at once.
    pub max_connections: u32,
    /// Most concurrent connections from one client address (an IPv4 address, or an IPv6 /64);
    /// a connection beyond it is closed at once. At most `max_connections`.
    pub max_connections_per_ip: u32,
    /// A client must send a request's headers within this time (counted from the connection, or
    /// from the previous answer on a kept-alive connection), and then its body within this time
    /// again; otherwise the connection is closed (a stalled body gets HTTP 408 first).
    pub read_timeout_ms: u64,
    /// Browser origins (`scheme://host[:port]`) allowed to call the API cross-origin (CORS), or
    /// `["*"]` for any. Empty (the default): no CORS headers, so browsers refuse cross-origin
    /// calls; other clients are unaffected.
    pub cors_origins: Vec<String>,
}

/// Which L1 to use.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum L1Backend {
    /// An in-process EVM (development): the anchor is deployed at start, state is not kept.
    Embedded,
    /// An Ethereum JSON-RPC endpoint.
    Rpc,
}

/// L1 access settings.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct L1Config {
    /// `embedded` or `rpc`. Env `DEBYE_L1`.
    pub backend: L1Backend,
    /// JSON-RPC URL (backend `rpc`). Env `DEBYE_L1_URL`.
    pub url: Option<String>,
    /// Address of the deployed `DebyeChain` anchor (backend `rpc`). Env `DEBYE_L1_ANCHOR`.
    pub anchor: Option<Address>,
    /// File holding the operator's hex private key (backend `rpc`); the env variable
    /// `DEBYE_OPERATOR_KEY` (the key itself) takes precedence.
    pub operator_key_file: Option<PathBuf>,
    /// L1 blocks a deposit must be buried under before it is credited. Env `DEBYE_L1_CONFIRMATIONS`.
    pub confirmations: u64,
    /// L1 block the first deposit scan starts at.
    pub start_block: u64,
    /// How often L1 is polled for events and commitments. Env `DEBYE_L1_POLL_MS`.
    pub poll_interval_ms: u64,
    /// How many of the latest commitments are re-checked against the store on every poll
    /// (reorg detection).
    pub recheck_blocks: u64,
    /// Give up waiting for one block submission after this long and re-read L1.
    pub submit_timeout_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./debye-data"),
            rpc_addr: SocketAddr::from(([127, 0, 0, 1], 8645)),
            metrics_addr: None,
            block: BlockConfig::default(),
            mempool: MempoolConfig::default(),
            rpc: RpcConfig::default(),
            l1: L1Config::default(),
            accumulator: AccumulatorConfig::default(),
            shielded: ShieldedConfig::default(),
        }
    }
}

impl Default for BlockConfig {
    fn default() -> Self {
        Self {
            interval_ms: 1_000,
            max_txs: 8_192,
        }
    }
}

impl Default for MempoolConfig {
    fn default() -> Self {
        Self {
            max_size: 200_000,
            max_batch: 4_096,
        }
    }
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            max_request_bytes: debye_rpc_api::MAX_REQUEST_BYTES,
            max_response_bytes: 64 * 1024 * 1024,
            max_batch: debye_rpc_api::MAX_BATCH_LEN,
            max_connections: 1_024,
            max_connections_per_ip: 64,
            read_timeout_ms: 5_000,
            cors_origins: Vec::new(),
        }
    }
}

impl Default for L1Config {
    fn default() -> Self {
        Self {
            backend: L1Backend::Embedded,
            url: None,
            anchor: None,
            operator_key_file: None,
            confirmations: 2,
            start_block: 0,
            poll_interval_ms: 1_000,
            recheck_blocks: 64,
            submit_timeout_ms: 60_000,
        }
    }
}

fn parse<T: std::str::FromStr>(name: &str, value: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e| Error::Config(format!("{name}={value:?}: {e}")))
}

impl Config {
    /// Parses a TOML document (unknown keys are errors).
    pub fn from_toml(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| Error::Config(e.to_string()))
    }

    /// Reads `path` (or starts from the defaults when `None`), then applies the environment.
    pub fn load(path: Option<&std::path::Path>) -> Result<Self> {
        let mut config = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| Error::Config(format!("{}: {e}", p.display())))?;
                Self::from_toml(&text)?
            }
            None => Self::default(),
        };
        config.apply_env(|k| std::env::var(k).ok())?;
        config.validate()?;
        Ok(config)
    }

    /// Applies `DEBYE_*` overrides read through `var`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<()> {
        let get = |k: &str| var(k).filter(|v| !v.is_empty());
        // `from_env!(NAME => field)`: when `NAME` is set, its value parsed replaces the field
        // (`Some(field)`: the field is optional).
        macro_rules! from_env {
            ($name:literal => Some($field:expr)) => {
                if let Some(v) = get($name) {
                    $field = Some(parse($name, &v)?);
                }
            };
            ($name:literal => $field:expr) => {
                if let Some(v) = get($name) {
                    $field = parse($name, &v)?;
                }
            };
        }
        from_env!("DEBYE_DATA_DIR" => self.data_dir);
        from_env!("DEBYE_RPC_ADDR" => self.rpc_addr);
        from_env!("DEBYE_METRICS_ADDR" => Some(self.metrics_addr));
        from_env!("DEBYE_BLOCK_INTERVAL_MS" => self.block.interval_ms);
        from_env!("DEBYE_BLOCK_MAX_TXS" => self.block.max_txs);
        from_env!("DEBYE_MEMPOOL_MAX" => self.mempool.max_size);
        if let Some(v) = get("DEBYE_L1") {
            self.l1.backend = match v.as_str() {
                "embedded" => L1Backend::Embedded,
                "rpc" => L1Backend::Rpc,
                other => {
                    return Err(Error::Config(format!(
                        "DEBYE_L1={other:?}: embedded or rpc"
                    )));
                }
            };
        }
        from_env!("DEBYE_L1_URL" => Some(self.l1.url));
        from_env!("DEBYE_L1_ANCHOR" => Some(self.l1.anchor));
        from_env!("DEBYE_L1_CONFIRMATIONS" => self.l1.confirmations);
        from_env!("DEBYE_L1_POLL_MS" => self.l1.poll_interval_ms);
        from_env!("DEBYE_ACCUMULATOR" => self.accumulator.enabled);
        Ok(())
    }

    /// Checks values that parse but cannot work.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::Config(m.into()));
        if self.block.max_txs == 0 || self.block.max_txs > u32::MAX as usize - 1 {
            return bad("block.max_txs must be between 1 and 2^32 - 2");
        }
        if self.block.interval_ms == 0 || self.l1.poll_interval_ms == 0 {
            return bad("intervals must be positive");
        }
        if self.mempool.max_batch == 0 {
            return bad("mempool.max_batch must be positive");
        }
        let rpc = &self.rpc;
        if rpc.max_connections == 0
            || rpc.max_connections_per_ip == 0
            || rpc.max_connections_per_ip > rpc.max_connections
        {
            return bad("rpc: need 1 <= max_connections_per_ip <= max_connections");
        }
        if rpc.read_timeout_ms == 0 {
            return bad("rpc.read_timeout_ms must be positive");
        }
        if let Some(origin) = rpc.cors_origins.iter().find(|o| !valid_origin(o)) {
            return Err(Error::Config(format!(
                "rpc.cors_origins: {origin:?} is not \"*\" or an origin such as \"https://wallet.example:8443\""
            )));
        }
        if rpc.cors_origins.len() > 1 && rpc.cors_origins.iter().any(|o| o == "*") {
            return bad("rpc.cors_origins: \"*\" stands alone");
        }
        if self.l1.backend == L1Backend::Rpc && (self.l1.url.is_none() || self.l1.anchor.is_none())
        {
            return bad("l1.backend = \"rpc\" needs l1.url and l1.anchor");
        }
        Ok(())
    }

    /// Block interval.
    pub fn block_interval(&self) -> Duration {
        Duration::from_millis(self.block.interval_ms)
    }

    /// How long a client may take to send a request's headers, then its body.
    pub fn rpc_read_timeout(&self) -> Duration {
        Duration::from_millis(self.rpc.read_timeout_ms)
    }

    /// L1 poll interval.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.l1.poll_interval_ms)
    }

    /// Path of the store file.
    pub fn store_path(&self) -> PathBuf {
        self.data_dir.join("operator.redb")
    }
}

/// A browser origin as the `Origin` header carries it: `http://` or `https://`, a host of
/// lowercase letters, digits, `.` and `-` (or a bracketed IPv6 address), an optional `:port`, and
/// nothing else (no path, no trailing `/`). Browsers send exactly this form, and CORS compares it
/// byte for byte.
fn valid_origin(origin: &str) -> bool {
    if origin == "*" {
        return true;
    }
    let Some(rest) = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
    else {
        return false;
    };
    let port = if let Some(v6) = rest.strip_prefix('[') {
        match v6.split_once(']') {
            Some((addr, port)) if addr.parse::<std::net::Ipv6Addr>().is_ok() => port,
            _ => return false,
        }
    } else {
        let (host, port) = rest.split_at(rest.find(':').unwrap_or(rest.len()));
        let host_char =
            |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-';
        if host.is_empty() || !host.bytes().all(host_char) {
            return false;
        }
        port
    };
    match port.strip_prefix(':') {
        Some(p) => p.parse::<u16>().is_ok(),
        None => port.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rpc(toml: &str) -> Result<Config> {
        let config = Config::from_toml(&format!("[rpc]\n{toml}"))?;
        config.validate()?;
        Ok(config)
    }

    #[test]
    fn rpc_defaults_and_limits() {
        let d = RpcConfig::default();
        assert_eq!(
            (
                d.max_connections,
                d.max_connections_per_ip,
                d.read_timeout_ms
            ),
            (1_024, 64, 5_000)
        );
        assert!(d.cors_origins.is_empty());
        assert!(rpc("max_connections_per_ip = 1024").is_ok());
        for bad in [
            "max_connections_per_ip = 0",
            "max_connections_per_ip = 1025",
            "max_connections = 0",
            "read_timeout_ms = 0",
        ] {
            assert!(rpc(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cors_origins_must_be_origins() {
        let ok = [
            r#"["https://wallet.example"]"#,
            r#"["http://127.0.0.1:5173", "https://a-b.example.org:8443"]"#,
            r#"["http://[::1]:8080"]"#,
            r#"["*"]"#,
        ];
        for list in ok {
            assert!(rpc(&format!("cors_origins = {list}")).is_ok(), "{list}");
        }
        let bad = [
            r#"["https://wallet.example/"]"#,
            r#"["wallet.example"]"#,
            r#"["https://Wallet.example"]"#,
            r#"["https://wallet.example:99999"]"#,
            r#"["https://wallet.example:"]"#,
            r#"["ftp://wallet.example"]"#,
            r#"["https://"]"#,
            r#"["http://[::1"]"#,
            r#"["*", "https://wallet.example"]"#,
            r#"["https://wallet.example\r\nx: y"]"#,
        ];
        for list in bad {
            assert!(rpc(&format!("cors_origins = {list}")).is_err(), "{list}");
        }
    }
}
