//! Benchmark harness behind `debye bench history` (what is measured: docs/accumulator.md,
//! "Benchmark").
//!
//! [`history`] compares, per span of blocks, the plain way of showing a coin untouched (one
//! sum-Merkle exclusion proof per block) with one accumulator exclusion proof.
//! [`operator_block`] measures the operator's cost of one accumulator step.

use std::time::Instant;

use num_bigint::BigUint;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Result;
use crate::accumulator::{block_factors, exclusion_factors};
use crate::group::Group;
use crate::proof::{ChainProof, ExclusionProof, Factors, product};
use crate::slice::{CoinRange, Geometry, block_keys};

/// Figures for one span, serialised as the `--json` output of `debye bench history`.
#[derive(Clone, Debug, Serialize)]
pub struct SpanFigures {
    /// Span length in blocks.
    pub blocks: u64,
    /// Bytes of the plain proof: one sum-Merkle exclusion proof per block (model below).
    pub plain_bytes: u64,
    /// Time to verify all plain proofs of the span (ms; measured per proof over
    /// `plain_verify_samples` verifications, times `blocks`).
    pub plain_verify_ms: f64,
    /// Bytes of the accumulator exclusion proof (constant).
    pub accumulator_bytes: u64,
    /// Time to decode and verify the accumulator exclusion proof (ms, median of runs), with the
    /// coin's excluded primes already derived.
    ///
    /// All times are the benchmark thread's CPU time where Linux exposes it.
    pub accumulator_verify_ms: f64,
    /// Bytes of the statement's values A_a, A_b (their digests are in the block headers).
    pub accumulator_statement_bytes: u64,
    /// One-off time to derive the coin's excluded primes (ms).
    pub range_primes_ms: f64,
    /// Number of the coin's excluded primes (β and α keys of its decomposition).
    pub excluded_primes: usize,
    /// Blocks of the synthetic span that carry activity; the others are empty.
    pub active_blocks: u64,
    /// Bit length of the span's aggregate exponent D.
    pub aggregate_bits: u64,
    /// Operator time to build the exclusion proof from D (ms).
    pub accumulator_prove_ms: f64,
}

/// Parameters of [`history`].
#[derive(Clone, Debug)]
pub struct HistoryConfig {
    /// Leaves of each block's sum-Merkle tree (segments per block) in the plain model.
    pub plain_leaves_per_block: u64,
    /// Bytes per plain proof besides the siblings: leaf hash, leaf length, leaf offset, block
    /// number.
    pub plain_overhead_bytes: u64,
    /// At most this many blocks of a span carry activity (spread evenly); the rest are empty.
    pub max_active_blocks: u64,
    /// Plain proofs verified to time one (the time is scaled to the span).
    pub plain_verify_samples: u64,
    /// Timing runs of the accumulator verification (each ≥ 100 ms of repeats; median reported).
    pub accumulator_verify_runs: usize,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            plain_leaves_per_block: 1 << 16,
            plain_overhead_bytes: 32 + 32 + 32 + 8,
            max_active_blocks: 256,
            plain_verify_samples: 20_000,
            accumulator_verify_runs: 5,
        }
    }
}

/// The coin whose history is compressed: 1 unit of 10^18 at offset 5·10^18 in token 0.
pub fn bench_coin() -> Result<CoinRange> {
    const ONE: u128 = 1_000_000_000_000_000_000;
    CoinRange::in_token(0, 5 * ONE, Some(6 * ONE))
}

/// Activity of active block i: the whole sub-space of token 1 + (i mod 1000).
fn active_block(i: u64) -> Result<Vec<CoinRange>> {
    Ok(vec![CoinRange::in_token(1 + (i % 1000) as u32, 0, None)?])
}

// ---------------------------------------------------------------------------------------------
// Plain model: a sum-Merkle tree, node = SHA-256(len_l ‖ hash_l ‖ len_r ‖ hash_r).

fn node(lh: &[u8; 32], ll: u128, rh: &[u8; 32], rl: u128) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8; 16]);
    h.update(ll.to_be_bytes());
    h.update(lh);
    h.update([0u8; 16]);
    h.update(rl.to_be_bytes());
    h.update(rh);
    h.finalize().into()
}

struct SumMerkleProof {
    leaf_hash: [u8; 32],
    leaf_len: u128,
    siblings: Vec<([u8; 32], u128, bool)>, // (hash, length, sibling is on the left)
}

/// Builds a tree of `leaves` leaves, leaf `target` a null leaf; returns its root and a proof.
fn sum_merkle_fixture(leaves: u64, target: u64) -> ([u8; 32], u128, SumMerkleProof) {
    let mut level: Vec<([u8; 32], u128)> = (0..leaves)
        .map(|i| {
            let hash: [u8; 32] = if i == target {
                [0u8; 32]
            } else {
                Sha256::digest(i.to_be_bytes()).into()
            };
            (hash, 1_000 + u128::from(i % 7))
        })
        .collect();
    let leaf = level[target as usize];
    let mut idx = target as usize;
    let mut siblings = Vec::new();
    while level.len() > 1 {
        if level.len() % 2 == 1 {
            level.push(([0u8; 32], 0));
        }
        let sib = level[idx ^ 1];
        siblings.push((sib.0, sib.1, idx % 2 == 1));
        level = level
            .chunks(2)
            .map(|c| (node(&c[0].0, c[0].1, &c[1].0, c[1].1), c[0].1 + c[1].1))
            .collect();
        idx /= 2;
    }
    (
        level[0].0,
        level[0].1,
        SumMerkleProof {
            leaf_hash: leaf.0,
            leaf_len: leaf.1,
            siblings,
        },
    )
}

/// Checks a null leaf's proof: recomputes root and total, and the leaf's offset.
fn verify_sum_merkle(root: &[u8; 32], total: u128, p: &SumMerkleProof) -> Option<u128> {
    if p.leaf_hash != [0u8; 32] {
        return None;
    }
    let (mut h, mut len, mut offset) = (p.leaf_hash, p.leaf_len, 0u128);
    for (sh, sl, left) in &p.siblings {
        if *left {
            h = node(sh, *sl, &h, len);
            offset += sl;
        } else {
            h = node(&h, len, sh, *sl);
        }
        len += sl;
    }
    (h == *root && len == total).then_some(offset)
}

/// A stopwatch on the calling thread's CPU time (Linux `/proc/thread-self/schedstat`, so other
/// processes on a shared machine do not inflate the figures), falling back to wall time.
#[derive(Clone, Copy)]
struct Stopwatch {
    wall: Instant,
    cpu_ns: Option<u64>,
}

fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

impl Stopwatch {
    fn start() -> Stopwatch {
        Stopwatch {
            wall: Instant::now(),
            cpu_ns: thread_cpu_ns(),
        }
    }

    fn ms(&self) -> f64 {
        match (self.cpu_ns, thread_cpu_ns()) {
            (Some(a), Some(b)) => b.saturating_sub(a) as f64 / 1e6,
            _ => self.wall.elapsed().as_secs_f64() * 1e3,
        }
    }
}

fn ms(start: Stopwatch) -> f64 {
    start.ms()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(0.0)
}

/// Runs the history benchmark for each span length in `spans`.
///
/// Per span of L blocks: a prefix history (the coin's deposit and unrelated activity) gives
/// A_a; the span's aggregate exponent D is the honest product of every block's primes, where
/// min(L, `max_active_blocks`) evenly spread blocks each touch one whole token sub-space and the
/// other blocks are empty (P_n = 1); A_b = A_a^D. The exclusion proof is built from D and
/// verified as a wallet would. Per-block chain proofs are not built here (see
/// [`operator_block`]).
pub fn history(spans: &[u64], cfg: &HistoryConfig) -> Result<Vec<SpanFigures>> {
    let group = Group::rsa2048();
    let geometry = Geometry::EXACT;
    let coin = bench_coin()?;

    // prefix: the coin's deposit block and one unrelated block
    let prefix = [vec![coin], vec![CoinRange::in_token(7, 0, Some(1 << 80))?]];
    let mut e_a = BigUint::from(1u32);
    for touched in &prefix {
        e_a *= block_factors(&geometry, touched)?.product();
    }
    let a_value = group.pow(group.generator(), &e_a);

    let t = Stopwatch::start();
    let x = exclusion_factors(&geometry, &coin)?;
    let range_primes_ms = ms(t);

    // plain fixture
    let leaves = cfg.plain_leaves_per_block.max(2);
    let depth = u64::from(64 - (leaves - 1).leading_zeros());
    let (root, total, plain_proof) = sum_merkle_fixture(leaves, leaves / 3);
    let plain_one = cfg.plain_overhead_bytes + depth * 64;

    let mut out = Vec::with_capacity(spans.len());
    for &blocks in spans {
        let active = blocks.min(cfg.max_active_blocks);
        let stride = blocks.checked_div(active).unwrap_or(1);
        let mut parts = Vec::with_capacity(active as usize);
        let mut cache: std::collections::HashMap<u64, BigUint> = std::collections::HashMap::new();
        for k in 0..active {
            let block_no = k * stride;
            let key = block_no % 1000;
            let p = match cache.get(&key) {
                Some(p) => p.clone(),
                None => {
                    let p = block_factors(&geometry, &active_block(block_no)?)?.product();
                    cache.insert(key, p.clone());
                    p
                }
            };
            parts.push(p);
        }
        let d = product(&parts);
        let b_value = group.pow(&a_value, &d);

        let t = Stopwatch::start();
        let proof = ExclusionProof::prove(group, &a_value, &b_value, &d, &x)?;
        let accumulator_prove_ms = ms(t);
        let bytes = proof.to_bytes(group)?;

        let mut runs = Vec::with_capacity(cfg.accumulator_verify_runs);
        for _ in 0..cfg.accumulator_verify_runs.max(1) {
            // one run = as many verifications as fit in 100 ms, averaged (the CPU clock ticks
            // in milliseconds)
            let t = Stopwatch::start();
            let mut n = 0u32;
            while n == 0 || ms(t) < 100.0 {
                let decoded = ExclusionProof::from_bytes(group, &bytes)?;
                decoded.verify(group, &a_value, &b_value, &x)?;
                n += 1;
            }
            runs.push(ms(t) / f64::from(n));
        }

        let samples = cfg.plain_verify_samples.max(1);
        let t = Stopwatch::start();
        let mut ok = 0u64;
        for _ in 0..samples {
            if verify_sum_merkle(&root, total, std::hint::black_box(&plain_proof)).is_some() {
                ok += 1;
            }
        }
        let per_proof = ms(t) / samples as f64;
        if ok != samples {
            return Err(crate::Error::VerificationFailed("plain sum-Merkle fixture"));
        }

        out.push(SpanFigures {
            blocks,
            plain_bytes: blocks * plain_one,
            plain_verify_ms: per_proof * blocks as f64,
            accumulator_bytes: bytes.len() as u64,
            accumulator_verify_ms: median(runs),
            accumulator_statement_bytes: 2 * group.element_bytes() as u64,
            range_primes_ms,
            excluded_primes: x.factors().len(),
            active_blocks: active,
            aggregate_bits: d.bits(),
            accumulator_prove_ms,
        });
    }
    Ok(out)
}

/// The operator's cost of one block.
#[derive(Clone, Debug, Serialize)]
pub struct OperatorFigures {
    /// α/β keys (touched slices) accumulated by the block.
    pub touched_slices: usize,
    /// Ranges the block touched.
    pub ranges: usize,
    /// Bit length of P_n.
    pub exponent_bits: u64,
    /// Deriving the keys and their primes, cold cache (ms).
    pub primes_ms: f64,
    /// A_n = A_{n−1}^{P_n} alone: the block-production path (ms).
    pub value_ms: f64,
    /// The chain proof Q = A_{n−1}^⌊P_n/ℓ⌋, which can run off that path (ms).
    pub proof_ms: f64,
    /// Both (ms).
    pub accumulate_ms: f64,
    /// Verifying the chain proof with the primes known (ms).
    pub chain_verify_ms: f64,
}

/// One step of Marsaglia's xorshift64 (13, 7, 17): the deterministic pseudo-random source of the
/// benchmarks, examples and tests.
pub fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Deterministic pseudo-random ranges until the block accumulates at least `target` keys:
/// coins of 2^40..2^64 units at random offsets in 64 tokens.
pub fn synthetic_block(geometry: &Geometry, target: usize) -> Result<Vec<CoinRange>> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut ranges = Vec::new();
    loop {
        let keys = block_keys(geometry, &ranges).keys.len();
        if keys >= target {
            return Ok(ranges);
        }
        // add a batch sized by the remaining gap (a range adds ~250 keys in the exact geometry)
        let batch = ((target - keys) / 400).max(1);
        for _ in 0..batch {
            let token = (xorshift(&mut state) % 64) as u32;
            let len_bits = 40 + (xorshift(&mut state) % 25) as u32;
            let start =
                u128::from(xorshift(&mut state)) << 32 | u128::from(xorshift(&mut state) as u32);
            let len =
                (1u128 << len_bits) + u128::from(xorshift(&mut state) >> (64 - len_bits.min(63)));
            ranges.push(CoinRange::in_token(token, start, Some(start + len))?);
        }
    }
}

/// Measures one accumulator step for a block of about `touched_slices` keys.
pub fn operator_block(touched_slices: usize) -> Result<OperatorFigures> {
    let group = Group::rsa2048();
    let geometry = Geometry::EXACT;
    let ranges = synthetic_block(&geometry, touched_slices)?;
    let prev = group.pow(group.generator(), &BigUint::from(65_537u32));

    let t = Stopwatch::start();
    let factors: Factors = block_factors(&geometry, &ranges)?;
    let primes_ms = ms(t);

    let t = Stopwatch::start();
    let next = group.pow(&prev, &factors.product());
    let value_ms = ms(t);
    let t = Stopwatch::start();
    let proof = ChainProof::prove_for(group, &prev, &factors, &next);
    let proof_ms = ms(t);

    let t = Stopwatch::start();
    proof.verify(group, &prev, &factors, &next)?;
    let chain_verify_ms = ms(t);

    Ok(OperatorFigures {
        touched_slices: factors.factors().len(),
        ranges: ranges.len(),
        exponent_bits: factors.product().bits(),
        primes_ms,
        value_ms,
        proof_ms,
        accumulate_ms: value_ms + proof_ms,
        chain_verify_ms,
    })
}

/// Keys and exponent bits one touched range costs, per geometry.
#[derive(Clone, Debug, Serialize)]
pub struct GeometryFigures {
    /// log2 of the coins per leaf.
    pub leaf_bits: u32,
    /// Ranges sampled (the [`synthetic_block`] ranges of a 20,000-key exact block).
    pub ranges: usize,
    /// Mean α/β keys a block accumulates per touched range (range alone in its block).
    pub keys_per_range: f64,
    /// Mean exponent bits per touched range.
    pub bits_per_range: f64,
    /// Mean excluded primes of a range (what a wallet shows absent).
    pub excluded_per_range: f64,
}

/// The geometry trade-off: per-range cost of the same ranges at several leaf sizes.
pub fn geometry_table(leaf_bits: &[u32]) -> Result<Vec<GeometryFigures>> {
    let ranges = synthetic_block(&Geometry::EXACT, 20_000)?;
    let mut out = Vec::new();
    for &lb in leaf_bits {
        let geo = Geometry::new(lb)?;
        let (mut keys, mut bits, mut excl) = (0usize, 0u64, 0usize);
        for r in &ranges {
            let f = block_factors(&geo, std::slice::from_ref(r))?;
            keys += f.factors().len();
            bits += f.factors().iter().map(BigUint::bits).sum::<u64>();
            excl += crate::slice::exclusion_keys(&geo, r).len();
        }
        let n = ranges.len() as f64;
        out.push(GeometryFigures {
            leaf_bits: lb,
            ranges: ranges.len(),
            keys_per_range: keys as f64 / n,
            bits_per_range: bits as f64 / n,
            excluded_per_range: excl as f64 / n,
        });
    }
    Ok(out)
}

/// The command line of the benchmark examples: a comma-separated list of sizes, then a count,
/// each falling back to its default when absent.
pub fn example_args(
    mut args: impl Iterator<Item = String>,
    sizes: &str,
    count: &str,
) -> std::result::Result<(Vec<u64>, usize), std::num::ParseIntError> {
    let sizes = args
        .next()
        .unwrap_or_else(|| sizes.into())
        .split(',')
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()?;
    let count = args.next().unwrap_or_else(|| count.into()).parse()?;
    Ok((sizes, count))
}
