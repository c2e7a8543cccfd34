//! The history accumulator (docs/accumulator.md §13): a worker thread folds each built block's
//! touched coin ranges into the RSA accumulator, off the block-production path, and stores each
//! step (A_n, P_n). Every new header commits to the newest finished step (m, A_m); the sequencer
//! only waits when the worker falls more than `max_lag` blocks behind. Memory keeps A_n only:
//! exclusion proofs multiply the span's stored products. A restart reads the stored steps back;
//! until the worker is back at the stored tip, headers re-commit the tip's (m, A_m), so m never
//! decreases along the chain.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Condvar, Mutex, PoisonError, RwLock, Weak, atomic::Ordering, mpsc},
};

use alloy_primitives::B256;
use debye_accumulator::{
    Accumulator, BigUint, CoinRange, Elem, ExclusionProof, Geometry, coin_range, exclusion_factors,
    header_commitment,
};
use debye_primitives::Segment;
use debye_storage::{AccumulatorStep, Store};
use tracing::{error, info, warn};

use crate::{Error, Result, metrics::Metrics};

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
    /// The span's exponent exceeds [`MAX_SPAN_EXPONENT_BITS`]: the bits counted when the bound
    /// was passed (a lower bound of the whole span's).
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
    /// A block whose step was stored by an earlier run: A_n.
    Restore(u64, Elem),
    /// The stored headers' fields (number, accumulator), sent after their blocks.
    Replayed {
        fields: Vec<(u64, [u8; 32])>,
    },
}

fn run(service: &Weak<AccumulatorService>, rx: &mpsc::Receiver<Job>) {
    while let Ok(job) = rx.recv() {
        let Some(s) = service.upgrade() else { return };
        if s.stopped() {
            // Shutting down: the queued blocks are folded in at the next start.
            return;
        }
        let r = match job {
            Job::Block(n, ranges) => s.apply(n, &ranges),
            Job::Restore(n, value) => s.restore(n, value),
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
    /// Where each folded step is kept, so a restart need not redo it (and where exclusion proofs
    /// read the products back). Weak, and used only through [`AccumulatorService::with_store`],
    /// under the read lock: [`AccumulatorService::stop`] empties it under the write lock, so once
    /// `stop` returns neither the worker (which may still be folding a block) nor a proof (which
    /// may outlive the API call that asked for it) holds the store, and the node's shutdown can
    /// close the database for a restart. `None` once stopped.
    store: RwLock<Option<Weak<dyn Store>>>,
    metrics: Arc<Metrics>,
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
    pub(crate) fn start(
        store: &Arc<dyn Store>,
        max_lag: u64,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Self>> {
        let stored_tip = store.tip()?;
        let tip = stored_tip.map_or(0, |h| h.number);
        let (tx, rx) = mpsc::channel();
        let acc = Accumulator::new(Geometry::EXACT);
        let latest = B256::from(header_commitment(acc.group(), 0, acc.group().generator()));
        let service = Arc::new(Self {
            state: Mutex::new(State { acc }),
            store: RwLock::new(Some(Arc::downgrade(store))),
            metrics,
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
        let group = debye_accumulator::Group::rsa2048();
        let mut restored = 0u64;
        for n in 1..=tip {
            // The stored steps are a prefix (the worker writes them in order); a missing one, or
            // one that does not decode, is recomputed from the block, and so is every later one.
            let stored = if restored + 1 == n {
                store.accumulator_step(n)?
            } else {
                None
            };
            let job = match stored.map(|step| group.decode(&step.value)) {
                Some(Ok(value)) => {
                    restored = n;
                    Job::Restore(n, value)
                }
                Some(Err(e)) => {
                    warn!(block = n, error = %e, "stored accumulator step unreadable; recomputing");
                    Job::Block(n, touched(&store.block_txs(n)?)?)
                }
                None => Job::Block(n, touched(&store.block_txs(n)?)?),
            };
            tx.send(job)
                .map_err(|_| Error::Internal("accumulator worker gone".into()))?;
            if let Some(h) = store.header(n)? {
                fields.push((n, h.accumulator.0));
            }
        }
        info!(
            stored = tip,
            restored,
            recompute = tip - restored,
            "accumulator replay queued"
        );
        tx.send(Job::Replayed { fields })
            .map_err(|_| Error::Internal("accumulator worker gone".into()))?;
        Ok(service)
    }

    /// Runs `f` on the store, holding it (and the read lock [`AccumulatorService::stop`] waits
    /// for) only while `f` runs; `None` once stopped or when the node has let the store go.
    fn with_store<T>(&self, f: impl FnOnce(&dyn Store) -> Result<T>) -> Result<Option<T>> {
        let gate = self
            .store
            .read()
            .map_err(|_| Error::Internal("accumulator store lock".into()))?;
        let Some(store) = gate.as_ref().and_then(Weak::upgrade) else {
            return Ok(None);
        };
        let r = f(store.as_ref());
        // The reference goes before the lock: `stop` returning means no reference is left.
        drop(store);
        drop(gate);
        r.map(Some)
    }

    /// Whether [`AccumulatorService::stop`] has run.
    fn stopped(&self) -> bool {
        self.store.read().map_or(true, |s| s.is_none())
    }

    fn fail(&self, e: &Error) {
        error!(error = %e, "accumulator worker failed");
        if let Ok(mut p) = self.progress.lock() {
            p.failed = Some(e.to_string());
        }
        self.advanced.notify_all();
    }

    /// The state, checked to be at height n − 1 (blocks are folded in strictly in order).
    fn state_before(&self, n: u64) -> Result<std::sync::MutexGuard<'_, State>> {
        let st = self
            .state
            .lock()
            .map_err(|_| Error::Internal("accumulator lock".into()))?;
        if st.acc.height() + 1 != n {
            return Err(Error::Internal(format!(
                "accumulator at height {} was handed block {n}",
                st.acc.height()
            )));
        }
        Ok(st)
    }

    /// Publishes height n and its header field to `seal` and the API.
    fn advance(&self, n: u64, latest: B256) {
        if let Ok(mut p) = self.progress.lock() {
            p.height = n;
            p.latest = latest;
        }
        self.advanced.notify_all();
    }

    fn apply(&self, n: u64, ranges: &[CoinRange]) -> Result<()> {
        let mut st = self.state_before(n)?;
        let started = std::time::Instant::now();
        let v = st
            .acc
            .append_block(ranges)
            .map_err(|e| Error::Internal(format!("accumulator step {n}: {e}")))?;
        self.metrics.accumulator_step.observe(started.elapsed());
        let latest = B256::from(header_commitment(st.acc.group(), n, &v.value));
        let step = AccumulatorStep {
            value: st.acc.group().encode(&v.value),
            product: st
                .acc
                .block_product(n)
                .map_err(|e| Error::Internal(e.to_string()))?
                .to_bytes_be(),
        };
        // Memory keeps A_n only; P_n lives in the store (read back for proofs). Chain proofs are
        // not served (watchers recompute the steps, docs/accumulator.md §13.4): proving would
        // double the worker's cost, so the block's primes go too.
        st.acc.compact(n);
        drop(st);
        if self
            .with_store(|store| Ok(store.put_accumulator_step(n, &step)?))?
            .is_none()
        {
            // Shutting down: the step is recomputed at the next start.
            return Ok(());
        }
        self.metrics
            .accumulator_steps_computed
            .fetch_add(1, Ordering::Relaxed);
        self.advance(n, latest);
        tracing::debug!(
            block = n,
            primes = v.primes,
            bits = v.exponent_bits,
            "accumulator step"
        );
        Ok(())
    }

    /// Folds in block `n` from its stored A_n: no primes, no exponentiation.
    fn restore(&self, n: u64, value: Elem) -> Result<()> {
        let mut st = self.state_before(n)?;
        let latest = B256::from(header_commitment(st.acc.group(), n, &value));
        st.acc.restore_block(value);
        drop(st);
        self.metrics
            .accumulator_steps_restored
            .fetch_add(1, Ordering::Relaxed);
        self.advance(n, latest);
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

    /// Lets the store go: waits for the step being written and the stored products an
    /// exclusion proof is reading, then drops the service's handle on the store. Once this
    /// returns nothing in the accumulator holds the store or can take it again (the worker may
    /// still finish folding a block, whose step the next start recomputes; a proof still being
    /// computed fails or completes without it). Blocks for at most one store access.
    pub(crate) fn stop(&self) {
        // A poisoned lock (a writer panicked) still guards the handle: empty it all the same.
        *self.store.write().unwrap_or_else(PoisonError::into_inner) = None;
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
        // D = P_{a+1}·…·P_b from the stored steps (memory keeps A_n only), refused before the
        // multiplication once the factors' bits pass the bound. The store is held for the reads
        // only, not through the proof (seconds): shutdown waits for the reads, then closes it.
        let parts = self.with_store(|store| {
            let mut parts = Vec::with_capacity(usize::try_from(b - a).unwrap_or(0));
            let mut bits = 0u64;
            for n in a + 1..=b {
                let step = store.accumulator_step(n)?.ok_or_else(|| {
                    Error::Internal(format!("accumulator step {n} missing from the store"))
                })?;
                let p = BigUint::from_bytes_be(&step.product);
                bits += p.bits();
                if bits > MAX_SPAN_EXPONENT_BITS {
                    return Ok(Err(SpanRefusal::TooLarge(bits)));
                }
                parts.push(p);
            }
            Ok(Ok(parts))
        })?;
        let parts = match parts {
            None => return Err(Error::ShuttingDown),
            Some(Err(refusal)) => return Ok(Err(refusal)),
            Some(Ok(parts)) => parts,
        };
        let d = debye_accumulator::proof::product(&parts);
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
