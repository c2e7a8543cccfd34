//! `debye bench operator`: sustained accepted-and-blocked transfers per second, with durable
//! storage and signature checks, on the embedded L1.
//!
//! Setup (not timed): a fresh store in a temporary directory, an embedded L1 with the anchor,
//! `SENDERS` deposits, and `txs` transfers signed in advance, each spending one coin of a
//! deposit. Timed: `concurrency` clients submit through [`Operator::submit`] (the handler of
//! `debye_submitTransaction`: signature recovery, ownership checks, group commit, answer) until
//! every transaction is accepted and stored in a block.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_primitives::{Address, U256, keccak256};
use debye_l1::{EmbeddedL1, contracts::DebyeChainClient};
use debye_primitives::{Input, Output, Segment, SignedTransaction, Transaction, tx};
use k256::ecdsa::SigningKey;
use serde::Serialize;

use crate::{Config, Error, Operator, Result};

/// Number of depositing senders the transfers are spread over.
const SENDERS: u64 = 64;

/// Benchmark parameters.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Transactions to submit.
    pub txs: usize,
    /// Concurrent submitters.
    pub concurrency: usize,
    /// Block size bound.
    pub block_max_txs: usize,
    /// Block interval.
    pub block_interval_ms: u64,
    /// Submit over JSON-RPC (HTTP on loopback) instead of in-process.
    pub rpc: bool,
    /// Maintain the history accumulator (docs/accumulator.md §13): the sustained rate is then
    /// bounded by the accumulator worker (sealing waits beyond `max_lag`).
    pub accumulator: bool,
}

/// Concurrent submitters by default. While the sequencer builds and stores a block (~110 ms at
/// ~7k transactions) it admits nothing; to keep both cores verifying during that pause at 20k tx/s
/// about 20,000 × 0.11 ≈ 2,200 submissions must be in flight (Little's law). With 512 the
/// verification threads run dry and a quiet 2-core machine measured ~19k tx/s; with 2,048, ~21k.
pub const DEFAULT_CONCURRENCY: usize = 2_048;

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            txs: 100_000,
            concurrency: DEFAULT_CONCURRENCY,
            block_max_txs: 8_192,
            block_interval_ms: 1_000,
            rpc: false,
            accumulator: false,
        }
    }
}

/// What the benchmark measured.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// Transactions submitted (all accepted and included).
    pub txs: usize,
    /// Accepted-and-blocked transactions per second over the timed phase.
    pub tx_per_sec: f64,
    /// Median submit latency (call to durable answer), milliseconds.
    pub p50_submit_ms: f64,
    /// 99th-percentile submit latency, milliseconds.
    pub p99_submit_ms: f64,
    /// Peak resident memory of the process, MiB.
    pub peak_rss_mb: f64,
    /// Blocks built.
    pub blocks: u64,
    /// Blocks committed on L1 when the timed phase ended.
    pub l1_committed: u64,
    /// Durable group commits of accepted transactions.
    pub group_commits: u64,
    /// Seconds the sequencer spent building and storing blocks (no transaction is admitted
    /// meanwhile).
    pub block_build_s: f64,
    /// Seconds of the timed phase.
    pub elapsed_s: f64,
    /// Seconds spent signing the transactions beforehand (not timed).
    pub signing_s: f64,
    /// CPU seconds the process used in the timed phase (all threads).
    pub cpu_s: f64,
    /// CPU microseconds per transaction in the timed phase: the throughput two otherwise idle
    /// cores could reach is about `2e6 / cpu_us_per_tx`.
    pub cpu_us_per_tx: f64,
    /// Worker threads of the runtime.
    pub threads: usize,
    /// Whether submissions went over JSON-RPC (HTTP) rather than in-process.
    pub rpc: bool,
    /// Whether the history accumulator was maintained.
    pub accumulator: bool,
    /// With the accumulator: milliseconds from a restart on the bench's store until the worker
    /// is back at the tip (every step read back from the store, docs/accumulator.md §13.2).
    pub accumulator_restart_ms: Option<f64>,
    /// With the accumulator: steps read back by that restart.
    pub accumulator_steps_restored: Option<u64>,
    /// With the accumulator: seconds the worker spent folding the run's blocks in (wall time of
    /// the folds, one core).
    pub accumulator_fold_s: Option<f64>,
    /// With the accumulator: seconds from the last block stored until the worker caught up.
    pub accumulator_catch_up_s: Option<f64>,
}

async fn wait_accumulator(node: &Operator, tip: u64) {
    while node.accumulator_height().is_some_and(|h| h < tip) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn key(i: u64) -> SigningKey {
    let mut counter = 0u64;
    loop {
        let seed = keccak256(
            [
                b"debye-bench".as_slice(),
                &i.to_be_bytes(),
                &counter.to_be_bytes(),
            ]
            .concat(),
        );
        if let Ok(k) = SigningKey::from_slice(seed.as_slice()) {
            return k;
        }
        counter += 1;
    }
}

/// CPU seconds (user + system) this process used so far (Linux; 0 elsewhere). Assumes the usual
/// 100 clock ticks per second.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = f.get(11)?.parse().ok()?;
            let stime: f64 = f.get(12)?.parse().ok()?;
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0)
}

/// Peak resident set size in MiB (Linux `VmHWM`; 0 elsewhere).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[idx.min(sorted.len() - 1)]) / 1000.0
}

/// [`run`] on its own multi-threaded runtime, blocking the caller.
pub fn run_blocking(
    opts: BenchOptions,
    progress: impl Fn(&str) + Send + Sync + 'static,
) -> Result<BenchReport> {
    crate::run::on_runtime(async move { run(opts, progress).await })
}

/// Runs the benchmark; `progress` receives human-readable lines.
pub async fn run(opts: BenchOptions, progress: impl Fn(&str) + Sync) -> Result<BenchReport> {
    let dir = std::env::temp_dir().join(format!(
        "debye-bench-{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    ));
    let result = run_in(&dir, &opts, &progress).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run_in(
    dir: &std::path::Path,
    opts: &BenchOptions,
    progress: &(impl Fn(&str) + Sync),
) -> Result<BenchReport> {
    let n = opts.txs;
    let l1 = Arc::new(EmbeddedL1::new());
    let eth = U256::from(10u64).pow(U256::from(18u64));
    let deployer = Address::repeat_byte(0x0e);
    l1.fund(deployer, eth);
    let chain = DebyeChainClient::deploy(l1.clone(), deployer, crate::DEV_OPERATOR).await?;
    let keys: Vec<SigningKey> = (0..SENDERS).map(key).collect();
    let per_sender = (n as u64).div_ceil(SENDERS).max(1);
    let mut deposits = Vec::new();
    for k in &keys {
        let owner = tx::address_of(k);
        l1.fund(owner, U256::from(per_sender) * U256::from(2u8));
        deposits.push(chain.deposit_eth(owner, U256::from(per_sender)).await?);
    }
    let config = Config {
        data_dir: dir.to_path_buf(),
        rpc_addr: "127.0.0.1:0"
            .parse()
            .map_err(|_| Error::Internal("addr".into()))?,
        block: crate::BlockConfig {
            interval_ms: opts.block_interval_ms,
            max_txs: opts.block_max_txs,
        },
        mempool: crate::MempoolConfig {
            max_size: n.max(1) + 1,
            max_batch: 4_096,
        },
        l1: crate::L1Config {
            confirmations: 0,
            poll_interval_ms: 20,
            ..Default::default()
        },
        // Off by default: the accumulator folds ~38k exponent bits per touched range
        // (docs/accumulator.md §10) and cannot follow 20k tx/s on one core, so sealing would be
        // paced at `max_lag`. `--accumulator` measures that paced rate.
        accumulator: crate::AccumulatorConfig {
            enabled: opts.accumulator,
            ..Default::default()
        },
        ..Default::default()
    };
    let node = Operator::start(config.clone(), chain.clone(), crate::DEV_OPERATOR).await?;
    while node.metrics().deposits.load(Ordering::Relaxed) < SENDERS {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    progress(&format!("signing {n} transfers..."));
    let signed_at = Instant::now();
    let domain = node.domain().clone();
    let recipient = Address::repeat_byte(0x77);
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let chunk = n.div_ceil(threads).max(1);
    let mut txs: Vec<SignedTransaction> = Vec::with_capacity(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (keys, deposits, domain) = (&keys, &deposits, &domain);
                s.spawn(move || {
                    (t * chunk..((t + 1) * chunk).min(n))
                        .filter_map(|i| {
                            let sender = i as u64 % SENDERS;
                            let offset = i as u64 / SENDERS;
                            let d = &deposits[sender as usize];
                            let start = d.start + U256::from(offset);
                            let segment = Segment::new(start, start + U256::from(1u8)).ok()?;
                            let k = &keys[sender as usize];
                            Transaction {
                                inputs: vec![Input::deposit(
                                    tx::address_of(k),
                                    d.blockNumber,
                                    segment,
                                )],
                                outputs: vec![Output {
                                    owner: recipient,
                                    segment,
                                }],
                                max_block_index: u64::MAX,
                            }
                            .sign(domain, std::slice::from_ref(k))
                            .ok()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            if let Ok(part) = h.join() {
                txs.extend(part);
            }
        }
    });
    if txs.len() != n {
        return Err(Error::Internal("signing failed".into()));
    }
    let signing_s = signed_at.elapsed().as_secs_f64();
    progress(&format!(
        "signed in {signing_s:.1} s; submitting with {} clients...",
        opts.concurrency
    ));

    let node = Arc::new(node);
    let txs = Arc::new(txs);
    let next = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let failures = Arc::new(AtomicUsize::new(0));
    let blocks_before = node.metrics().blocks_built.load(Ordering::Relaxed);
    let started = Instant::now();
    let cpu_before = cpu_seconds();
    let mut clients = Vec::new();
    for _ in 0..opts.concurrency.max(1) {
        let (node, txs, next, latencies, failures) = (
            node.clone(),
            txs.clone(),
            next.clone(),
            latencies.clone(),
            failures.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(stx) = txs.get(i) else { break };
                let t = Instant::now();
                if node.submit(stx.clone()).await.is_err() {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                mine.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
            }
            if let Ok(mut l) = latencies.lock() {
                l.extend(mine);
            }
        }));
    }
    for c in clients {
        c.await.map_err(|e| Error::Internal(e.to_string()))?;
    }
    let failed = failures.load(Ordering::Relaxed);
    if failed > 0 {
        return Err(Error::Internal(format!("{failed} submissions failed")));
    }
    // Everything accepted; wait until it is all in stored blocks.
    while node.metrics().txs_included.load(Ordering::Relaxed) < n as u64 {
        node.flush().await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_s = cpu_seconds() - cpu_before;
    let mut lat = std::mem::take(
        &mut *latencies
            .lock()
            .map_err(|_| Error::Internal("lock".into()))?,
    );
    lat.sort_unstable();
    let report = BenchReport {
        txs: n,
        tx_per_sec: n as f64 / elapsed,
        p50_submit_ms: percentile(&lat, 0.50),
        p99_submit_ms: percentile(&lat, 0.99),
        peak_rss_mb: peak_rss_mb(),
        blocks: node.metrics().blocks_built.load(Ordering::Relaxed) - blocks_before,
        l1_committed: node.status().l1_committed,
        group_commits: node.metrics().group_commits.load(Ordering::Relaxed),
        block_build_s: node.metrics().block_build.sum_secs(),
        elapsed_s: elapsed,
        signing_s,
        cpu_s,
        cpu_us_per_tx: cpu_s * 1e6 / n.max(1) as f64,
        threads,
        rpc: opts.rpc,
        accumulator: opts.accumulator,
        accumulator_restart_ms: None,
        accumulator_steps_restored: None,
        accumulator_fold_s: None,
        accumulator_catch_up_s: None,
    };
    let node = Arc::try_unwrap(node).map_err(|_| Error::Internal("node still shared".into()))?;
    if !opts.accumulator {
        node.shutdown(Duration::from_secs(30)).await?;
        return Ok(report);
    }
    // Restart on the same store once the worker has caught up: how long until it is back.
    let tip = node.status().tip;
    progress(&format!(
        "waiting for the accumulator worker to reach block {tip}..."
    ));
    let catch_up = Instant::now();
    wait_accumulator(&node, tip).await;
    let catch_up_s = catch_up.elapsed().as_secs_f64();
    let fold_s = node.metrics().accumulator_step.sum_secs();
    node.shutdown(Duration::from_secs(30)).await?;
    let started = Instant::now();
    let node = Operator::start(config, chain, crate::DEV_OPERATOR).await?;
    wait_accumulator(&node, tip).await;
    let restart_ms = started.elapsed().as_secs_f64() * 1e3;
    let restored = node
        .metrics()
        .accumulator_steps_restored
        .load(Ordering::Relaxed);
    node.shutdown(Duration::from_secs(30)).await?;
    Ok(BenchReport {
        accumulator_restart_ms: Some(restart_ms),
        accumulator_steps_restored: Some(restored),
        accumulator_fold_s: Some(fold_s),
        accumulator_catch_up_s: Some(catch_up_s),
        ..report
    })
}
