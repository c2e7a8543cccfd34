//! Test helpers (feature `test-utils`): a configuration for a node driven by its test, and a
//! bounded wait for the node's background work.

use std::{path::Path, time::Duration};

use crate::{BlockConfig, Config, L1Config};

/// A node for tests: store in `dir`, API and metrics on free loopback ports, blocks only when
/// the test flushes (an hour's interval), deposits credited at once, L1 polled every 20 ms.
pub fn config(dir: &Path) -> Config {
    Config {
        data_dir: dir.to_path_buf(),
        rpc_addr: ([127, 0, 0, 1], 0).into(),
        metrics_addr: Some(([127, 0, 0, 1], 0).into()),
        block: BlockConfig {
            interval_ms: 3_600_000,
            max_txs: 1_000,
        },
        l1: L1Config {
            confirmations: 0,
            poll_interval_ms: 20,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Polls `cond` every 20 ms until it holds (true) or `patience` has passed (false). Callers
/// assert the result with a message saying what they saw: a wait for background work (L1 sync,
/// submission, the accumulator worker) must fail loudly, never fall through.
pub async fn eventually(patience: Duration, mut cond: impl AsyncFnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        if cond().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
