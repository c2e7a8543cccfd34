//! The history accumulator (docs/accumulator.md §13): a worker thread folds each built block's
//! touched coin ranges into the RSA accumulator, off the block-production path. Every new
//! header commits to the newest finished step (m, A_m); the sequencer only waits when the
//! worker falls more than `max_lag` blocks behind. After a restart, until the stored blocks are
//! replayed, headers re-commit the stored tip's (m, A_m), so m never decreases along the chain. The API serves values and exclusion
//! proofs from the same state.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Condvar, Mutex, mpsc},
};

use alloy_primitives::B256;
use debye_accumulator::{
    Accumulator, CoinRange, Elem, ExclusionProof, Geometry, coin_range, exclusion_factors,
    header_commitment,
};
use debye_primitives::Segment;
use debye_storage::Store;
use tracing::{error, info};

use crate::{Error, Result};

/// Most bits of a span's exponent the API proves over: beyond this a proof costs minutes of
/// operator CPU (~3 squarings per bit, docs/accumulator.md §10); callers split the span.
pub(crate) const MAX_SPAN_EXPONENT_BITS: u64 = 20_000_000;

/// Why an exclusion proof was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SpanRefusal {
    /// No committed heights a, b with from ≤ a < b ≤ to (yet).
    NoCommittedSpan,
    /// The segment was touched in the span.
    Touched,
    /// The span's exponent exceeds [`MAX_SPAN_EXPONENT_BITS`].
    TooLarge(u64),
}

/// A served exclusion proof: the segment is untouched in blocks `from+1..=to`.
#[derive(Debug, Clone)]
pub(crate) struct SpanProof {
    pub(crate) from: u64,
    pub(crate) to: u64,
    pub(crate) value_from: Elem,
    pub(crate) value_to: Elem,
    pub(crate) header_from: u64,
    pub(crate) header_to: u64,
    pub(crate) proof: ExclusionProof,
}

/// The accumulator itself; the worker holds this lock while it folds a block in (up to a
/// second), so nothing on the production path takes it.
struct State {
    acc: Accumulator,
}

#[derive(Default)]
struct Progress {
    /// Blocks folded in so far.
    height: u64,
    /// The stored tip at start-up: below it the worker is replaying.
    floor: u64,
    /// Set when the worker failed; sealing then fails too.
    failed: Option<String>,
    /// The stored tip's field: re-committed while a restart's replay is below `floor`.
    resume: B256,
    /// The header field for (height, A_height).
    latest: B256,
    /// Height m → the first header that committed (m, A_m).
    committed: BTreeMap<u64, u64>,
}

enum Job {
    Block(u64, Vec<CoinRange>),
    /// The stored headers' fields (number, accumulator), sent after their blocks.
    Replayed {
        fields: Vec<(u64, [u8; 32])>,
    },
}

fn run(service: &std::sync::Weak<AccumulatorService>, rx: &mpsc::Receiver<Job>) {
    while let Ok(job) = rx.recv() {
        let Some(s) = service.upgrade() else { return };
        let r = match job {
            Job::Block(n, ranges) => s.apply(n, &ranges),
            Job::Replayed { fields } => s.index_headers(&fields),
        };
        if let Err(e) = r {
            s.fail(&e);
            return;
        }
    }
}

/// The accumulator service shared by the sequencer, the worker and the API.
pub(crate) struct AccumulatorService {
    state: Mutex<State>,
    progress: Mutex<Progress>,
    advanced: Condvar,
    jobs: Mutex<mpsc::Sender<Job>>,
    max_lag: u64,
    /// Held while an exclusion proof is computed (one at a time).
    proving: Mutex<()>,
}

fn to_range(s: &Segment) -> Result<CoinRange> {
    coin_range(&s.start().to_be_bytes::<32>(), &s.end().to_be_bytes::<32>()).map_err(|e| {
        Error::Internal(format!(
            "segment {s} outside the accumulator's coin space: {e}"
        ))
    })
}

/// The coin ranges a block's transactions touch (its tree's non-null leaves).
pub(crate) fn touched(
    txs: &[(B256, debye_primitives::SignedTransaction)],
) -> Result<Vec<CoinRange>> {
    txs.iter()
        .flat_map(|(_, stx)| stx.transaction.coin_ranges())
        .map(|s| to_range(&s))
        .collect()
}

impl AccumulatorService {
    /// Starts the worker and queues the replay of the stored blocks 1..=tip.
    pub(crate) fn start(store: &Arc<dyn Store>, max_lag: u64) -> Result<Arc<Self>> {
        let stored_tip = store.tip()?;
        let tip = stored_tip.map_or(0, |h| h.number);
        let (tx, rx) = mpsc::channel();
        let acc = Accumulator::new(Geometry::EXACT);
        let latest = B256::from(header_commitment(acc.group(), 0, acc.group().generator()));
        let service = Arc::new(Self {
            state: Mutex::new(State { acc }),
            progress: Mutex::new(Progress {
                floor: tip,
                resume: stored_tip.map_or(B256::ZERO, |h| h.accumulator),
                latest,
                ..Progress::default()
            }),
            advanced: Condvar::new(),
            jobs: Mutex::new(tx.clone()),
            max_lag,
            proving: Mutex::new(()),
        });
        // The worker holds the service weakly: when the node drops it, the job channel closes
        // and the thread ends (and with it nothing keeps the store open).
        let worker = Arc::downgrade(&service);
        std::thread::Builder::new()
            .name("debye-accumulator".into())
            .spawn(move || run(&worker, &rx))?;
        let mut fields = Vec::with_capacity(usize::try_from(tip).unwrap_or(0));
        for n in 1..=tip {
            let txs = store.block_txs(n)?;
            tx.send(Job::Block(n, touched(&txs)?))
                .map_err(|_| Error::Internal("accumulator worker gone".into()))?;
            if let Some(h) = store.header(n)? {
                fields.push((n, h.accumulator.0));
            }
        }
        tx.send(Job::Replayed { fields })
            .map_err(|_| Error::Internal("accumulator worker gone".into()))?;
        Ok(service)
    }

    fn fail(&self, e: &Error) {
        error!(error = %e, "accumulator worker failed");
        if let Ok(mut p) = self.progress.lock() {
            p.failed = Some(e.to_string());
        }
        self.advanced.notify_all();
    }

    fn apply(&self, n: u64, ranges: &[CoinRange]) -> Result<()> {
        let mut st = self
            .state
            .lock()
            .map_err(|_| Error::Internal("accumulator lock".into()))?;
        if st.acc.height() + 1 != n {
            return Err(Error::Internal(format!(
                "accumulator at height {} was handed block {n}",
                st.acc.height()
            )));
        }
        let v = st
            .acc
            .append_block(ranges)
            .map_err(|e| Error::Internal(format!("accumulator step {n}: {e}")))?;
        // Chain proofs are not served (watchers recompute the steps, docs/accumulator.md §13.4):
        // proving would double the worker's cost, so the block's primes go now.
        st.acc.drop_primes(n);
        let latest = B256::from(header_commitment(st.acc.group(), n, &v.value));
        drop(st);
        if let Ok(mut p) = self.progress.lock() {
            p.height = n;
            p.latest = latest;
        }
        self.advanced.notify_all();
        tracing::debug!(
            block = n,
            primes = v.primes,
            bits = v.exponent_bits,
            "accumulator step"
        );
        Ok(())
    }

    /// After a replay: which stored header committed which height.
    fn index_headers(&self, fields: &[(u64, [u8; 32])]) -> Result<()> {
        let st = self
            .state
            .lock()
            .map_err(|_| Error::Internal("accumulator lock".into()))?;
        let group = st.acc.group();
        let mut by_field = HashMap::new();
        for m in 0..=st.acc.height() {
            let v = st
                .acc
                .value(m)
                .map_err(|e| Error::Internal(e.to_string()))?;
            by_field.insert(header_commitment(group, m, v), m);
        }
        let height = st.acc.height();
        drop(st);
        let mut p = self
            .progress
            .lock()
            .map_err(|_| Error::Internal("accumulator lock".into()))?;
        for (n, field) in fields {
            if let Some(m) = by_field.get(field) {
                p.committed.entry(*m).or_insert(*n);
            }
        }
        info!(
            height,
            committed = p.committed.len(),
            "accumulator replayed"
        );
        Ok(())
    }

    /// The header field for block `number`: waits until the worker is within `max_lag` blocks,
    /// then commits to its newest (m, A_m). While a restart's replay is below the stored tip it
    /// re-commits the tip's field (the same (m, A_m) again, so m never decreases) instead of
    /// holding block production for the replay.
    pub(crate) fn seal(&self, number: u64) -> Result<B256> {
        let need = number.saturating_sub(1).saturating_sub(self.max_lag);
        let mut p = self
            .progress
            .lock()
            .map_err(|_| Error::Internal("accumulator lock".into()))?;
        loop {
            if let Some(e) = &p.failed {
                return Err(Error::Internal(format!("accumulator failed: {e}")));
            }
            if p.height >= need && p.height < p.floor {
                return Ok(p.resume);
            }
            if p.height >= need {
                break;
            }
            p = self
                .advanced
                .wait(p)
                .map_err(|_| Error::Internal("accumulator lock".into()))?;
        }
        let m = p.height;
        p.committed.entry(m).or_insert(number);
        Ok(p.latest)
    }

    /// Queues block `number` (already stored) for the worker.
    pub(crate) fn push(&self, number: u64, ranges: Vec<CoinRange>) -> Result<()> {
        self.jobs
            .lock()
            .map_err(|_| Error::Internal("accumulator lock".into()))?
            .send(Job::Block(number, ranges))
            .map_err(|_| Error::Internal("accumulator worker gone".into()))
    }

    /// Blocks folded in so far.
    pub(crate) fn height(&self) -> u64 {
        self.progress.lock().map_or(0, |p| p.height)
    }

    /// A_m with the first header that committed it (`None` if none has yet).
    pub(crate) fn value(&self, m: u64) -> Option<(Elem, Option<u64>)> {
        let committed = self.progress.lock().ok()?.committed.get(&m).copied();
        let v = self.state.lock().ok()?.acc.value(m).ok()?.clone();
        Some((v, committed))
    }

    /// An exclusion proof of `segment` over the widest committed span (a, b] inside
    /// (from, to].
    pub(crate) fn prove_exclusion(
        &self,
        segment: &Segment,
        from: u64,
        to: u64,
    ) -> Result<std::result::Result<SpanProof, SpanRefusal>> {
        let range = to_range(segment)?;
        let (a, b) = {
            let p = self
                .progress
                .lock()
                .map_err(|_| Error::Internal("accumulator lock".into()))?;
            let a = p.committed.range(from..).next().map(|(m, n)| (*m, *n));
            let b = p
                .committed
                .range(..=to.min(p.height))
                .next_back()
                .map(|(m, n)| (*m, *n));
            (a, b)
        };
        let (Some((a, header_from)), Some((b, header_to))) = (a, b) else {
            return Ok(Err(SpanRefusal::NoCommittedSpan));
        };
        if a >= b {
            return Ok(Err(SpanRefusal::NoCommittedSpan));
        }
        let st = self
            .state
            .lock()
            .map_err(|_| Error::Internal("accumulator lock".into()))?;
        let d = st
            .acc
            .span_exponent(a, b)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let value = |m| {
            st.acc
                .value(m)
                .cloned()
                .map_err(|e| Error::Internal(e.to_string()))
        };
        let (value_from, value_to) = (value(a)?, value(b)?);
        let group = st.acc.group();
        // Prove outside the state lock: a proof takes seconds, and holding the lock would stall
        // the worker and, past `max_lag`, block production — a denial of service by API calls.
        drop(st);
        let bits = d.bits();
        if bits > MAX_SPAN_EXPONENT_BITS {
            return Ok(Err(SpanRefusal::TooLarge(bits)));
        }
        // One proof at a time: the others wait here, not on a core the sequencer needs.
        let _one = self
            .proving
            .lock()
            .map_err(|_| Error::Internal("accumulator lock".into()))?;
        let x = exclusion_factors(&Geometry::EXACT, &range)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let proof = match ExclusionProof::prove(group, &value_from, &value_to, &d, &x) {
            Ok(p) => p,
            Err(debye_accumulator::Error::RangeTouched) => return Ok(Err(SpanRefusal::Touched)),
            Err(e) => return Err(Error::Internal(e.to_string())),
        };
        Ok(Ok(SpanProof {
            from: a,
            to: b,
            value_from,
            value_to,
            header_from,
            header_to,
            proof,
        }))
    }
}
