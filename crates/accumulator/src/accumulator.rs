//! Operator-side accumulator state and wallet-side verification.
//!
//! A_0 = g and A_n = A_{n−1}^{P_n}, where P_n is the product of the primes of block n's α/β keys
//! ([`crate::slice::block_keys`]). A span (a, b] is the blocks a+1..=b; its exponent is
//! D = P_{a+1}·…·P_b and A_b = A_a^D.

use std::collections::{BTreeSet, HashMap};

use num_bigint::BigUint;

use crate::group::{Elem, Group};
use crate::proof::{ChainProof, ExclusionProof, Factors, InclusionProof, product};
use crate::slice::{CoinRange, Geometry, Key, Slice, block_keys, exclusion_keys, inclusion_keys};
use crate::{Error, Result};

/// Primes of a key set, in key order.
pub fn key_primes(keys: &BTreeSet<Key>) -> Result<Vec<BigUint>> {
    keys.iter().map(Key::prime).collect()
}

/// The primes a wallet must show absent to claim `range` untouched (computed once per coin).
pub fn exclusion_factors(geometry: &Geometry, range: &CoinRange) -> Result<Factors> {
    Ok(Factors::new(key_primes(&exclusion_keys(geometry, range))?))
}

/// The exponent P_n of a block that touched `touched`, as its list of primes.
pub fn block_factors(geometry: &Geometry, touched: &[CoinRange]) -> Result<Factors> {
    Ok(Factors::new(key_primes(
        &block_keys(geometry, touched).keys,
    )?))
}

/// What the operator publishes for a new block.
#[derive(Clone, Debug)]
pub struct BlockUpdate {
    /// Block number n (the first block is 1).
    pub number: u64,
    /// A_n.
    pub value: Elem,
    /// The header's 32-byte `accumulator` field: digest of A_n.
    pub digest: [u8; 32],
    /// Proof that A_n = A_{n−1}^{P_n}.
    pub proof: ChainProof,
    /// Number of primes in P_n.
    pub primes: usize,
    /// Bit length of P_n.
    pub exponent_bits: u64,
}

/// A_n published before its chain proof ([`Accumulator::append_block`]).
#[derive(Clone, Debug)]
pub struct BlockValue {
    /// Block number n (the first block is 1).
    pub number: u64,
    /// A_n.
    pub value: Elem,
    /// The header's 32-byte `accumulator` field: digest of A_n.
    pub digest: [u8; 32],
    /// Number of primes in P_n.
    pub primes: usize,
    /// Bit length of P_n.
    pub exponent_bits: u64,
}

/// What a block keeps beyond A_n; dropped by [`Accumulator::compact`].
struct BlockDetail {
    alpha: BTreeSet<Slice>,
    product: BigUint,
    /// The block's primes, kept until its chain proof is produced.
    pending: Option<Factors>,
}

struct BlockRecord {
    /// `None` once compacted (or restored from A_n alone).
    detail: Option<BlockDetail>,
}

/// Most key primes the operator's cache keeps (~100 bytes each).
const PRIME_CACHE_LIMIT: usize = 1 << 20;

/// The operator's accumulator: every A_n and, per block until [`Accumulator::compact`], its α slices
/// and prime product.
pub struct Accumulator {
    group: &'static Group,
    geometry: Geometry,
    values: Vec<Elem>,
    blocks: Vec<BlockRecord>,
    cache: HashMap<Key, BigUint>,
}

impl Accumulator {
    /// A fresh chain over RSA-2048 with A_0 = g.
    pub fn new(geometry: Geometry) -> Accumulator {
        Accumulator::with_group(Group::rsa2048(), geometry)
    }

    /// A fresh chain over another group (e.g. a ceremony modulus).
    pub fn with_group(group: &'static Group, geometry: Geometry) -> Accumulator {
        Accumulator {
            group,
            geometry,
            values: vec![group.generator().clone()],
            blocks: Vec::new(),
            cache: HashMap::new(),
        }
    }

    /// The group.
    pub fn group(&self) -> &'static Group {
        self.group
    }

    /// The slice geometry.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// Number of blocks applied.
    pub fn height(&self) -> u64 {
        self.blocks.len() as u64
    }

    /// A_n for 0 ≤ n ≤ height.
    pub fn value(&self, n: u64) -> Result<&Elem> {
        self.values.get(n as usize).ok_or(Error::UnknownBlock(n))
    }

    fn primes(&mut self, keys: &BTreeSet<Key>) -> Result<Vec<BigUint>> {
        // Deep keys rarely recur, so an unbounded cache would grow with the chain; starting
        // over at the bound keeps memory flat and the recurring (shallow) keys come back fast.
        if self.cache.len() + keys.len() > PRIME_CACHE_LIMIT {
            self.cache.clear();
        }
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            if let Some(p) = self.cache.get(k) {
                out.push(p.clone());
            } else {
                let p = k.prime()?;
                self.cache.insert(*k, p.clone());
                out.push(p);
            }
        }
        Ok(out)
    }

    /// Applies block height+1, which touched `touched`: A_n = A_{n−1}^{P_n}, with its proof.
    pub fn apply_block(&mut self, touched: &[CoinRange]) -> Result<BlockUpdate> {
        let v = self.append_block(touched)?;
        let proof = self.chain_proof(v.number)?;
        Ok(BlockUpdate {
            number: v.number,
            value: v.value,
            digest: v.digest,
            proof,
            primes: v.primes,
            exponent_bits: v.exponent_bits,
        })
    }

    /// Appends block n as a compacted block from A_n alone: a value this node computed and
    /// stored earlier, trusted (it comes from the node's own checksummed store), so neither
    /// primes nor the exponentiation are redone. What a restart uses instead of
    /// [`Accumulator::append_block`]; spans over such a block need the caller's stored
    /// products (see [`Accumulator::compact`]).
    pub fn restore_block(&mut self, value: Elem) -> u64 {
        self.values.push(value);
        self.blocks.push(BlockRecord { detail: None });
        self.height()
    }

    fn detail(&self, n: u64) -> Result<&BlockDetail> {
        let i = usize::try_from(n)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .ok_or(Error::UnknownBlock(n))?;
        self.blocks
            .get(i)
            .ok_or(Error::UnknownBlock(n))?
            .detail
            .as_ref()
            .ok_or(Error::Compacted(n))
    }

    /// P_n, the product of block n's primes (for a node to store with A_n).
    pub fn block_product(&self, n: u64) -> Result<&BigUint> {
        Ok(&self.detail(n)?.product)
    }

    /// Drops everything block n keeps but A_n: its α slices, P_n and primes. A node that stores
    /// P_n itself calls this so memory grows by one group element per block rather than by the
    /// blocks' exponents (P_n is ~168 KB for 10,000 keys); spans and inclusion proofs touching
    /// the block then fail with [`Error::Compacted`], and the node multiplies its stored
    /// products ([`crate::proof::product`]) and proves with [`ExclusionProof::prove`].
    pub fn compact(&mut self, n: u64) {
        if let Some(r) = usize::try_from(n)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.blocks.get_mut(i))
        {
            r.detail = None;
        }
    }

    /// Computes A_n only (one pass over P_n): what the block header needs. The chain proof
    /// (a second pass) can follow with [`Accumulator::chain_proof`].
    pub fn append_block(&mut self, touched: &[CoinRange]) -> Result<BlockValue> {
        let bk = block_keys(&self.geometry, touched);
        let factors = Factors::new(self.primes(&bk.keys)?);
        let prev = self.values.last().ok_or(Error::UnknownBlock(0))?;
        let product = factors.product();
        let value = self.group.pow(prev, &product);
        let out = BlockValue {
            number: self.height() + 1,
            digest: self.group.digest(&value),
            value: value.clone(),
            primes: factors.factors().len(),
            exponent_bits: product.bits(),
        };
        self.values.push(value);
        self.blocks.push(BlockRecord {
            detail: Some(BlockDetail {
                alpha: bk.alpha,
                product,
                pending: Some(factors),
            }),
        });
        Ok(out)
    }

    /// The chain proof of block n (1 ≤ n ≤ height). Computed from the block's primes, which
    /// are then dropped; [`Error::UnknownBlock`] if n is out of range or already proven.
    pub fn chain_proof(&mut self, n: u64) -> Result<ChainProof> {
        let i = usize::try_from(n).map_err(|_| Error::UnknownBlock(n))?;
        if i == 0 || i > self.blocks.len() {
            return Err(Error::UnknownBlock(n));
        }
        let factors = self.blocks[i - 1]
            .detail
            .as_mut()
            .and_then(|d| d.pending.take())
            .ok_or(Error::UnknownBlock(n))?;
        Ok(ChainProof::prove_for(
            self.group,
            &self.values[i - 1],
            &factors,
            &self.values[i],
        ))
    }

    fn check_span(&self, a: u64, b: u64) -> Result<()> {
        if a > b {
            return Err(Error::InvalidSpan { a, b });
        }
        if b > self.height() {
            return Err(Error::UnknownBlock(b));
        }
        Ok(())
    }

    /// D = P_{a+1}·…·P_b.
    pub fn span_exponent(&self, a: u64, b: u64) -> Result<BigUint> {
        self.check_span(a, b)?;
        let parts = (a + 1..=b)
            .map(|n| self.detail(n).map(|d| d.product.clone()))
            .collect::<Result<Vec<BigUint>>>()?;
        Ok(product(&parts))
    }

    /// One constant-size proof that `range` was untouched in blocks a+1..=b.
    pub fn prove_exclusion(&mut self, range: &CoinRange, a: u64, b: u64) -> Result<ExclusionProof> {
        let d = self.span_exponent(a, b)?;
        let x = Factors::new(self.primes(&exclusion_keys(&self.geometry, range))?);
        ExclusionProof::prove(self.group, self.value(a)?, self.value(b)?, &d, &x)
    }

    /// Exclusion proofs for several coins over one span, sharing the span's part of the work.
    pub fn prove_exclusions(
        &mut self,
        ranges: &[CoinRange],
        a: u64,
        b: u64,
    ) -> Result<Vec<Result<ExclusionProof>>> {
        let d = self.span_exponent(a, b)?;
        let mut xs = Vec::with_capacity(ranges.len());
        for r in ranges {
            xs.push(Factors::new(
                self.primes(&exclusion_keys(&self.geometry, r))?,
            ));
        }
        Ok(ExclusionProof::prove_many(
            self.group,
            self.value(a)?,
            self.value(b)?,
            &d,
            &xs,
        ))
    }

    /// A proof that `range` was touched in block n (a+1 ≤ n ≤ b), checkable against A_a, A_b.
    /// Returns the inclusion keys the verifier needs with the proof.
    pub fn prove_inclusion(
        &mut self,
        range: &CoinRange,
        a: u64,
        b: u64,
    ) -> Result<(BTreeSet<Key>, InclusionProof)> {
        self.check_span(a, b)?;
        // the first block of the span whose α slices cover the whole range
        let mut keys = None;
        for n in a + 1..=b {
            if let Ok(k) = inclusion_keys(&self.geometry, range, &self.detail(n)?.alpha) {
                keys = Some(k);
                break;
            }
        }
        let keys = keys.ok_or(Error::RangeNotIncluded)?;
        let y = Factors::new(self.primes(&keys)?);
        let d = self.span_exponent(a, b)?;
        let proof = InclusionProof::prove(self.group, self.value(a)?, self.value(b)?, &d, &y)?;
        Ok((keys, proof))
    }
}

/// Wallet side: checks an accumulator value received from the operator against the 32-byte
/// `accumulator` field of the block header that commits to it.
pub fn check_digest(group: &Group, value: &Elem, header_digest: &[u8; 32]) -> Result<()> {
    if group.digest(value) == *header_digest {
        Ok(())
    } else {
        Err(Error::DigestMismatch)
    }
}

/// Wallet side: checks a published chain step against the block's touched ranges.
pub fn verify_block(
    group: &Group,
    geometry: &Geometry,
    prev: &Elem,
    next: &Elem,
    touched: &[CoinRange],
    proof: &ChainProof,
) -> Result<()> {
    proof.verify(group, prev, &block_factors(geometry, touched)?, next)
}

/// Wallet side: "`range` untouched in the span (a, b]" against A_a and A_b (whose digests the
/// block headers a and b carry).
pub fn verify_exclusion(
    group: &Group,
    geometry: &Geometry,
    range: &CoinRange,
    a_value: &Elem,
    b_value: &Elem,
    proof: &ExclusionProof,
) -> Result<()> {
    proof.verify(
        group,
        a_value,
        b_value,
        &exclusion_factors(geometry, range)?,
    )
}

/// Wallet side: "`range` touched in the span (a, b]" given the inclusion keys claimed for it.
///
/// The keys must be an honest inclusion set for the range: for every slice P of its
/// decomposition, α(Q) and β of Q and its ancestors for some Q at or above P.
pub fn verify_inclusion(
    group: &Group,
    geometry: &Geometry,
    range: &CoinRange,
    keys: &BTreeSet<Key>,
    a_value: &Elem,
    b_value: &Elem,
    proof: &InclusionProof,
) -> Result<()> {
    for p in geometry.decompose(range) {
        if !crate::slice::inclusion_holds(keys, &p) {
            return Err(Error::RangeNotIncluded);
        }
    }
    proof.verify(group, a_value, b_value, &Factors::new(key_primes(keys)?))
}
