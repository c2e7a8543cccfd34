//! Prometheus metrics: counters and histograms in atomics, served as the text exposition format
//! by a tiny HTTP endpoint (`GET /metrics`).

use std::{
    fmt::Write as _,
    net::SocketAddr,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    sync::watch,
};
use tracing::{info, warn};

/// Bucket upper bounds (seconds) of the latency histograms.
const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0,
];

/// A latency histogram.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (b, bound) in self.buckets.iter().zip(BUCKETS) {
            if secs <= bound {
                b.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(
            u64::try_from(d.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Sum of the observations, in seconds.
    pub fn sum_secs(&self) -> f64 {
        self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (b, bound) in self.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                b.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

/// The operator's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Transactions accepted (durable).
    pub txs_accepted: AtomicU64,
    /// Transactions rejected (any reason).
    pub txs_rejected: AtomicU64,
    /// Transactions included in stored blocks.
    pub txs_included: AtomicU64,
    /// Accepted transactions dropped (expired or exited).
    pub txs_dropped: AtomicU64,
    /// Current mempool size.
    pub mempool_size: AtomicU64,
    /// Blocks built and stored.
    pub blocks_built: AtomicU64,
    /// Highest block committed on L1.
    pub l1_committed: AtomicU64,
    /// Block submissions that failed or timed out (retried).
    pub l1_submit_failures: AtomicU64,
    /// Group commits of accepted transactions.
    pub group_commits: AtomicU64,
    /// Deposits credited.
    pub deposits: AtomicU64,
    /// L1 shielded deposits imported by this process (docs/shielded.md S-4.3).
    pub shielded_deposits: AtomicU64,
    /// L1 shielded exit starts imported by this process (docs/shielded.md S-4.3).
    pub shielded_exits: AtomicU64,
    /// Accumulator steps computed (primes and exponentiation) by this process.
    pub accumulator_steps_computed: AtomicU64,
    /// Accumulator steps read back from the store at start instead of recomputed.
    pub accumulator_steps_restored: AtomicU64,
    /// API connections closed at once: their address already held `rpc.max_connections_per_ip`,
    /// or the server `rpc.max_connections`.
    pub rpc_connections_refused: AtomicU64,
    /// API connections closed because a request's headers or body did not arrive within
    /// `rpc.read_timeout_ms` (kept-alive connections closed while idle are not counted).
    pub rpc_read_timeouts: AtomicU64,
    /// Time to build and store a block.
    pub block_build: Histogram,
    /// Time from sending a block commitment to L1 until it is mined.
    pub l1_submit: Histogram,
    /// Time the accumulator worker spends folding one block in (primes and exponentiation).
    pub accumulator_step: Histogram,
}

impl Metrics {
    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let counters: [(&str, &str, &AtomicU64, &str); 16] = [
            (
                "debye_txs_accepted_total",
                "Transactions accepted and made durable.",
                &self.txs_accepted,
                "counter",
            ),
            (
                "debye_txs_rejected_total",
                "Transactions rejected.",
                &self.txs_rejected,
                "counter",
            ),
            (
                "debye_txs_included_total",
                "Transactions included in stored blocks.",
                &self.txs_included,
                "counter",
            ),
            (
                "debye_txs_dropped_total",
                "Accepted transactions dropped (expired or exited).",
                &self.txs_dropped,
                "counter",
            ),
            (
                "debye_mempool_size",
                "Pending transactions.",
                &self.mempool_size,
                "gauge",
            ),
            (
                "debye_blocks_built_total",
                "Blocks built and stored.",
                &self.blocks_built,
                "counter",
            ),
            (
                "debye_l1_committed_block",
                "Highest block committed on L1.",
                &self.l1_committed,
                "gauge",
            ),
            (
                "debye_l1_submit_failures_total",
                "Failed or timed-out block submissions.",
                &self.l1_submit_failures,
                "counter",
            ),
            (
                "debye_group_commits_total",
                "Durable commits of accepted transaction batches.",
                &self.group_commits,
                "counter",
            ),
            (
                "debye_deposits_total",
                "Deposits credited.",
                &self.deposits,
                "counter",
            ),
            (
                "debye_shielded_deposits_imported_total",
                "L1 shielded deposits imported (appended by a later block).",
                &self.shielded_deposits,
                "counter",
            ),
            (
                "debye_shielded_exits_imported_total",
                "L1 shielded exit starts imported (their nullifiers joined the set).",
                &self.shielded_exits,
                "counter",
            ),
            (
                "debye_accumulator_steps_computed_total",
                "Accumulator steps computed by this process.",
                &self.accumulator_steps_computed,
                "counter",
            ),
            (
                "debye_accumulator_steps_restored_total",
                "Accumulator steps read back from the store at start.",
                &self.accumulator_steps_restored,
                "counter",
            ),
            (
                "debye_rpc_connections_refused_total",
                "API connections closed at once (per-address or server connection cap).",
                &self.rpc_connections_refused,
                "counter",
            ),
            (
                "debye_rpc_read_timeouts_total",
                "API connections closed because a request did not arrive in time.",
                &self.rpc_read_timeouts,
                "counter",
            ),
        ];
        for (name, help, v, kind) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
        self.block_build.render(
            &mut out,
            "debye_block_build_seconds",
            "Time to build and store a block.",
        );
        self.l1_submit.render(
            &mut out,
            "debye_l1_submit_seconds",
            "L1 block submission latency.",
        );
        self.accumulator_step.render(
            &mut out,
            "debye_accumulator_step_seconds",
            "Time to fold one block into the history accumulator.",
        );
        out
    }
}

/// Serves `GET /metrics` on `addr` until `stop` turns true.
pub(crate) async fn serve(
    addr: SocketAddr,
    metrics: std::sync::Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    info!(%local, "metrics endpoint listening");
    tokio::spawn(async move {
        loop {
            let conn = tokio::select! {
                c = listener.accept() => c,
                _ = stop.changed() => break,
            };
            let Ok((mut sock, _)) = conn else { continue };
            let metrics = metrics.clone();
            tokio::spawn(async move {
                // Read the request head (up to 8 KiB) before answering.
                let mut buf = vec![0u8; 8192];
                let mut n = 0;
                while n < buf.len() && !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                    match tokio::time::timeout(Duration::from_secs(5), sock.read(&mut buf[n..]))
                        .await
                    {
                        Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
                        Ok(Ok(k)) => n += k,
                    }
                }
                let head = String::from_utf8_lossy(&buf[..n]);
                let (status, body) = if head.starts_with("GET /metrics") {
                    ("200 OK", metrics.render())
                } else {
                    ("404 Not Found", "not found\n".to_string())
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                if let Err(e) = sock.write_all(resp.as_bytes()).await {
                    warn!(error = %e, "metrics write failed");
                }
            });
        }
    });
    Ok(local)
}
