//! Non-interactive proofs over Z_N*/{±1}, every challenge a 256-bit prime hashed from the whole
//! statement (domain tag, N, g, base, result, exponent commitment) and the prover's commitments.
//!
//! * [`ChainProof`]: Wesolowski proof of exponentiation (the verifier knows the exponent) for a
//!   chain step A_{n−1} → A_n.
//! * [`InclusionProof`]: A_b = (A_a^y)^k for some integer k, i.e. all primes of y were
//!   accumulated in the span.
//! * [`ExclusionProof`]: A_b = A_a^D with gcd(D, x) = 1, i.e. none of the primes of x was
//!   accumulated in the span; constant size whatever the span.
//!
//! Knowledge of an unknown exponent is never proven with a single Wesolowski check on a base
//! whose discrete logarithm the prover may know (the forgery of docs/accumulator.md): the prover
//! commits to the exponent as g^k and one remainder r must satisfy both the check on g and the
//! check on the base ("committed PoKE").

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{One, Zero};
use sha2::{Digest, Sha256};

use crate::group::{Elem, Group};
use crate::prime::challenge_prime;
use crate::{Error, Result};

const TAG_CHAIN: &[u8] = b"debye/accumulator/v1/chain-poe";
const TAG_INCLUSION: &[u8] = b"debye/accumulator/v1/inclusion";
const TAG_EXCLUSION: &[u8] = b"debye/accumulator/v1/exclusion";
const TAG_SPAN: &[u8] = b"debye/accumulator/v1/exclusion-span";
const RESIDUE_BYTES: usize = 32;

/// An exponent given as a product of factors (the verifier never needs the product itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Factors(Vec<BigUint>);

impl Factors {
    /// The product of `factors` (the empty product is 1).
    pub fn new(factors: Vec<BigUint>) -> Factors {
        Factors(factors)
    }

    /// The factors.
    pub fn factors(&self) -> &[BigUint] {
        &self.0
    }

    /// The product.
    pub fn product(&self) -> BigUint {
        product(&self.0)
    }

    /// The product reduced mod m.
    pub fn product_mod(&self, m: &BigUint) -> BigUint {
        self.0.iter().fold(BigUint::one(), |acc, f| (acc * f) % m)
    }

    /// SHA-256 commitment to the ordered factor list (bound into transcripts).
    pub fn commitment(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update((self.0.len() as u64).to_be_bytes());
        for f in &self.0 {
            let b = f.to_bytes_be();
            h.update((b.len() as u64).to_be_bytes());
            h.update(&b);
        }
        h.finalize().into()
    }
}

/// Product of many integers by balanced halving (subquadratic multiplications stay balanced).
pub fn product(xs: &[BigUint]) -> BigUint {
    match xs.len() {
        0 => BigUint::one(),
        1 => xs[0].clone(),
        n => product(&xs[..n / 2]) * product(&xs[n / 2..]),
    }
}

/// Fiat–Shamir transcript: SHA-256 over length-prefixed, labelled items.
#[derive(Clone)]
struct Transcript {
    h: Sha256,
}

impl Transcript {
    fn new(tag: &[u8], group: &Group) -> Transcript {
        let mut t = Transcript { h: Sha256::new() };
        t.absorb(b"tag", tag);
        t.absorb(b"N", group.modulus_bytes());
        t.absorb(b"g", &group.encode(group.generator()));
        t
    }

    /// The transcript of a statement about `base^exponent = result`: the exponent's factor
    /// commitment under `exponent.0`, then the prover's commitments in order.
    fn statement(
        tag: &[u8],
        group: &Group,
        [base, result]: [&Elem; 2],
        exponent: (&[u8], &Factors),
        commitments: &[(&[u8], &Elem)],
    ) -> Transcript {
        let mut t = Transcript::new(tag, group);
        t.elem(b"base", group, base);
        t.elem(b"result", group, result);
        t.absorb(exponent.0, &exponent.1.commitment());
        for (label, e) in commitments {
            t.elem(label, group, e);
        }
        t
    }

    fn absorb(&mut self, label: &[u8], bytes: &[u8]) {
        self.h.update((label.len() as u64).to_be_bytes());
        self.h.update(label);
        self.h.update((bytes.len() as u64).to_be_bytes());
        self.h.update(bytes);
    }

    fn elem(&mut self, label: &[u8], group: &Group, e: &Elem) {
        self.absorb(label, &group.encode(e));
    }

    fn prime(&self, label: &[u8]) -> BigUint {
        let mut t = self.clone();
        t.absorb(b"challenge", label);
        challenge_prime(&t.h.finalize().into())
    }
}

fn residue_bytes(r: &BigUint) -> Result<[u8; RESIDUE_BYTES]> {
    let raw = r.to_bytes_be();
    if raw.len() > RESIDUE_BYTES {
        return Err(Error::MalformedProof);
    }
    let mut out = [0u8; RESIDUE_BYTES];
    out[RESIDUE_BYTES - raw.len()..].copy_from_slice(&raw);
    Ok(out)
}

/// Reads fixed-size fields off a byte string.
struct Reader<'a> {
    group: &'a Group,
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn elem(&mut self) -> Result<Elem> {
        let n = self.group.element_bytes();
        if self.bytes.len() < n {
            return Err(Error::MalformedProof);
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        self.group.decode(head)
    }

    fn residue(&mut self) -> Result<BigUint> {
        if self.bytes.len() < RESIDUE_BYTES {
            return Err(Error::MalformedProof);
        }
        let (head, tail) = self.bytes.split_at(RESIDUE_BYTES);
        self.bytes = tail;
        Ok(BigUint::from_bytes_be(head))
    }

    fn finish(self) -> Result<()> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(Error::MalformedProof)
        }
    }
}

/// Encodes the layout every proof here uses: group elements, then residues, back to back.
fn encode_fields(group: &Group, elems: &[&Elem], residues: &[&BigUint]) -> Result<Vec<u8>> {
    let mut out =
        Vec::with_capacity(elems.len() * group.element_bytes() + residues.len() * RESIDUE_BYTES);
    for e in elems {
        out.extend(group.encode(e));
    }
    for r in residues {
        out.extend(residue_bytes(r)?);
    }
    Ok(out)
}

/// Decodes exactly `E` group elements then `R` residues ([`encode_fields`]), nothing after.
fn decode_fields<const E: usize, const R: usize>(
    group: &Group,
    bytes: &[u8],
) -> Result<([Elem; E], [BigUint; R])> {
    let mut rd = Reader { group, bytes };
    let elems = all_ok(std::array::from_fn(|_| rd.elem()))?;
    let residues = all_ok(std::array::from_fn(|_| rd.residue()))?;
    rd.finish()?;
    Ok((elems, residues))
}

/// The first error of `items`, or all of them.
fn all_ok<T, const N: usize>(items: [Result<T>; N]) -> Result<[T; N]> {
    let items: Vec<T> = items.into_iter().collect::<Result<_>>()?;
    Ok(items
        .try_into()
        .unwrap_or_else(|_| unreachable!("N items in, N items out")))
}

fn check(ok: bool, what: &'static str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::VerificationFailed(what))
    }
}

// ---------------------------------------------------------------------------------------------
// Chain step: Wesolowski proof of exponentiation, exponent known to the verifier.

/// Proof that A_n = A_{n−1}^{P_n} for the block's prime product P_n (one group element).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainProof {
    q: Elem,
}

fn chain_transcript(group: &Group, base: &Elem, result: &Elem, exp: &Factors) -> Transcript {
    Transcript::statement(TAG_CHAIN, group, [base, result], (b"exponent", exp), &[])
}

impl ChainProof {
    /// Computes result = base^exp and its proof Q = base^⌊e/ℓ⌋ (ℓ depends on the result, so the
    /// prover walks the exponent twice).
    pub fn prove(group: &Group, base: &Elem, exp: &Factors) -> (Elem, ChainProof) {
        let e = exp.product();
        let result = group.pow(base, &e);
        let proof = Self::prove_with_result(group, base, &e, exp, &result);
        (result, proof)
    }

    /// The proof for an already computed result = base^exp (lets the operator publish A_n
    /// first and prove the step off the block-production path).
    pub fn prove_for(group: &Group, base: &Elem, exp: &Factors, result: &Elem) -> ChainProof {
        Self::prove_with_result(group, base, &exp.product(), exp, result)
    }

    fn prove_with_result(
        group: &Group,
        base: &Elem,
        e: &BigUint,
        exp: &Factors,
        result: &Elem,
    ) -> ChainProof {
        let l = chain_transcript(group, base, result, exp).prime(b"l");
        ChainProof {
            q: group.pow(base, &(e / &l)),
        }
    }

    /// Checks Q^ℓ · base^(e mod ℓ) = result.
    pub fn verify(&self, group: &Group, base: &Elem, exp: &Factors, result: &Elem) -> Result<()> {
        let l = chain_transcript(group, base, result, exp).prime(b"l");
        let r = exp.product_mod(&l);
        check(
            group.multi_pow(&[(&self.q, &l), (base, &r)]) == *result,
            "chain step",
        )
    }

    /// Encoding: Q (one group element).
    pub fn to_bytes(&self, group: &Group) -> Vec<u8> {
        group.encode(&self.q)
    }

    /// Decodes and validates the encoding.
    pub fn from_bytes(group: &Group, bytes: &[u8]) -> Result<ChainProof> {
        let ([q], []) = decode_fields(group, bytes)?;
        Ok(ChainProof { q })
    }
}

// ---------------------------------------------------------------------------------------------
// Committed PoKE: knowledge of k with base^k = result and g^k = z, one shared remainder.

#[derive(Clone, Debug, PartialEq, Eq)]
struct CommittedPoke {
    q_g: Elem,
    q_u: Elem,
    r: BigUint,
}

impl CommittedPoke {
    fn prove(group: &Group, base: &Elem, k: &BigUint, l: &BigUint) -> CommittedPoke {
        let (q, r) = k.div_rem(l);
        CommittedPoke {
            q_g: group.pow(group.generator(), &q),
            q_u: group.pow(base, &q),
            r,
        }
    }

    fn verify(
        &self,
        group: &Group,
        base: &Elem,
        result: &Elem,
        z: &Elem,
        l: &BigUint,
    ) -> Result<()> {
        check(&self.r < l, "residue out of range")?;
        let g = group.generator();
        check(
            group.multi_pow(&[(&self.q_g, l), (g, &self.r)]) == *z,
            "exponent commitment",
        )?;
        check(
            group.multi_pow(&[(&self.q_u, l), (base, &self.r)]) == *result,
            "exponent on base",
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Inclusion.

/// Proof that every prime of y was accumulated between A_a and A_b: A_b = (A_a^y)^k.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    u: Elem,
    q_e: Elem,
    z: Elem,
    poke: CommittedPoke,
}

/// The two challenge primes of an inclusion proof (public: exposed for audits and tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionChallenges {
    /// ℓ_e, for the proof of exponentiation u = A_a^y.
    pub l_e: BigUint,
    /// ℓ, for the cofactor k with u^k = A_b.
    pub l: BigUint,
}

impl InclusionChallenges {
    /// Derives ℓ_e, ℓ from the statement (N, g, A_a, A_b, y) and the commitments (u, z).
    pub fn derive(
        group: &Group,
        base: &Elem,
        result: &Elem,
        y: &Factors,
        u: &Elem,
        z: &Elem,
    ) -> InclusionChallenges {
        let t = Transcript::statement(
            TAG_INCLUSION,
            group,
            [base, result],
            (b"exponent", y),
            &[(b"u", u), (b"z", z)],
        );
        InclusionChallenges {
            l_e: t.prime(b"l_e"),
            l: t.prime(b"l"),
        }
    }
}

impl InclusionProof {
    /// Encoded size: five group elements and one residue.
    pub fn encoded_len(group: &Group) -> usize {
        5 * group.element_bytes() + RESIDUE_BYTES
    }

    /// Proves A_b = A_a^D with y | D. Fails with [`Error::RangeNotIncluded`] if y ∤ D.
    pub fn prove(
        group: &Group,
        base: &Elem,
        result: &Elem,
        d: &BigUint,
        y: &Factors,
    ) -> Result<InclusionProof> {
        let yv = y.product();
        let (k, rem) = d.div_rem(&yv);
        if !rem.is_zero() {
            return Err(Error::RangeNotIncluded);
        }
        let u = group.pow(base, &yv);
        let z = group.pow(group.generator(), &k);
        let c = InclusionChallenges::derive(group, base, result, y, &u, &z);
        let q_e = group.pow(base, &(&yv / &c.l_e));
        let poke = CommittedPoke::prove(group, &u, &k, &c.l);
        Ok(InclusionProof { u, q_e, z, poke })
    }

    /// Verifies against the span's end points and the primes y.
    pub fn verify(&self, group: &Group, base: &Elem, result: &Elem, y: &Factors) -> Result<()> {
        let c = InclusionChallenges::derive(group, base, result, y, &self.u, &self.z);
        let r_e = y.product_mod(&c.l_e);
        check(
            group.multi_pow(&[(&self.q_e, &c.l_e), (base, &r_e)]) == self.u,
            "A_a^y",
        )?;
        self.poke.verify(group, &self.u, result, &self.z, &c.l)
    }

    /// Encoding: u ‖ Q_e ‖ z ‖ Q_g ‖ Q_u ‖ r.
    pub fn to_bytes(&self, group: &Group) -> Result<Vec<u8>> {
        encode_fields(
            group,
            &[&self.u, &self.q_e, &self.z, &self.poke.q_g, &self.poke.q_u],
            &[&self.poke.r],
        )
    }

    /// Decodes and validates the encoding.
    pub fn from_bytes(group: &Group, bytes: &[u8]) -> Result<InclusionProof> {
        let ([u, q_e, z, q_g, q_u], [r]) = decode_fields(group, bytes)?;
        Ok(InclusionProof {
            u,
            q_e,
            z,
            poke: CommittedPoke { q_g, q_u, r },
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Exclusion.

/// Proof that none of the primes of x was accumulated between A_a and A_b: A_b = A_a^D with
/// gcd(D, x) = 1. Seven group elements and two residues (1,856 bytes for RSA-2048), whatever the
/// length of the span and the number of primes in x.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExclusionProof {
    /// z = g^D, the commitment to the span's exponent.
    pub z: Elem,
    /// Q_g1 = g^⌊D/ℓ1⌋.
    pub q_g1: Elem,
    /// Q_u1 = A_a^⌊D/ℓ1⌋.
    pub q_u1: Elem,
    /// r1 = D mod ℓ1.
    pub r1: BigUint,
    /// V = g^t where s·D + t·x = 1.
    pub v: Elem,
    /// z2 = g^s, the commitment to the Bézout coefficient s.
    pub z2: Elem,
    /// Q_g2 = g^⌊s/ℓ2⌋.
    pub q_g2: Elem,
    /// Q_2 = z^⌊s/ℓ2⌋ · V^⌊x/ℓ2⌋.
    pub q_2: Elem,
    /// r2 = s mod ℓ2.
    pub r2: BigUint,
}

/// The two challenge primes of an exclusion proof (public: exposed for audits and tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExclusionChallenges {
    /// ℓ1, for the span exponent D.
    pub l1: BigUint,
    /// ℓ2, for the Bézout coefficient s.
    pub l2: BigUint,
}

/// ℓ1 depends only on the span (N, g, A_a, A_b, z), so part A is shared by every coin's proof
/// over the same span.
fn span_challenge(group: &Group, base: &Elem, result: &Elem, z: &Elem) -> BigUint {
    let mut t = Transcript::new(TAG_SPAN, group);
    t.elem(b"base", group, base);
    t.elem(b"result", group, result);
    t.elem(b"z", group, z);
    t.prime(b"l1")
}

/// Part A of an exclusion proof: z = g^D and the committed PoKE of D for A_a^D = A_b.
/// Independent of the coin: compute it once per span ([`ExclusionProof::prove_many`]).
#[derive(Clone, Debug, PartialEq, Eq)]
struct SpanPart {
    z: Elem,
    l1: BigUint,
    poke: CommittedPoke,
}

impl SpanPart {
    fn prove(group: &Group, base: &Elem, result: &Elem, d: &BigUint) -> SpanPart {
        let z = group.pow(group.generator(), d);
        let l1 = span_challenge(group, base, result, &z);
        let poke = CommittedPoke::prove(group, base, d, &l1);
        SpanPart { z, l1, poke }
    }
}

impl ExclusionChallenges {
    /// Derives ℓ1 from the span statement (N, g, A_a, A_b) and z, and ℓ2 from the whole
    /// statement (N, g, A_a, A_b, x) and the commitments (z, V, z2).
    pub fn derive(
        group: &Group,
        base: &Elem,
        result: &Elem,
        x: &Factors,
        z: &Elem,
        v: &Elem,
        z2: &Elem,
    ) -> ExclusionChallenges {
        let t = Transcript::statement(
            TAG_EXCLUSION,
            group,
            [base, result],
            (b"excluded", x),
            &[(b"z", z), (b"V", v), (b"z2", z2)],
        );
        ExclusionChallenges {
            l1: span_challenge(group, base, result, z),
            l2: t.prime(b"l2"),
        }
    }
}

impl ExclusionProof {
    /// Encoded size: 7 group elements and 2 residues.
    pub fn encoded_len(group: &Group) -> usize {
        7 * group.element_bytes() + 2 * RESIDUE_BYTES
    }

    /// Proves gcd(D, x) = 1 for A_b = A_a^D. Fails with [`Error::RangeTouched`] if a prime of x
    /// divides D (then no proof exists).
    pub fn prove(
        group: &Group,
        base: &Elem,
        result: &Elem,
        d: &BigUint,
        x: &Factors,
    ) -> Result<ExclusionProof> {
        let span = SpanPart::prove(group, base, result, d);
        Self::prove_with_span(group, base, result, d, x, &span)
    }

    /// Proofs for several coins over one span: part A (z = g^D and its PoKE, ~2·|D| squarings)
    /// is computed once; each coin adds ~|D| + 3·|x| squarings.
    pub fn prove_many(
        group: &Group,
        base: &Elem,
        result: &Elem,
        d: &BigUint,
        xs: &[Factors],
    ) -> Vec<Result<ExclusionProof>> {
        let span = SpanPart::prove(group, base, result, d);
        xs.iter()
            .map(|x| Self::prove_with_span(group, base, result, d, x, &span))
            .collect()
    }

    fn prove_with_span(
        group: &Group,
        base: &Elem,
        result: &Elem,
        d: &BigUint,
        x: &Factors,
        span: &SpanPart,
    ) -> Result<ExclusionProof> {
        let g = group.generator();
        let xv = x.product();
        // s = D^{-1} mod x, t = (1 − sD)/x
        let s_mag = if xv.is_one() {
            BigUint::zero()
        } else {
            (d % &xv).modinv(&xv).ok_or(Error::RangeTouched)?
        };
        let xi = BigInt::from(xv.clone());
        let sd = BigInt::from_biguint(Sign::Plus, &s_mag * d);
        let (t, t_rem) = (BigInt::one() - sd).div_rem(&xi);
        debug_assert!(t_rem.is_zero());
        let z = span.z.clone();
        let v = group.pow_signed(g, &t);
        let z2 = group.pow(g, &s_mag);
        let c = ExclusionChallenges::derive(group, base, result, x, &z, &v, &z2);
        debug_assert_eq!(c.l1, span.l1);
        let (q_g1, q_u1, r1) = (
            span.poke.q_g.clone(),
            span.poke.q_u.clone(),
            span.poke.r.clone(),
        );
        let (q2, r2) = s_mag.div_rem(&c.l2);
        let q_g2 = group.pow(g, &q2);
        let q_2 = group.multi_pow(&[(&z, &q2), (&v, &(&xv / &c.l2))]);
        Ok(ExclusionProof::from_fields(
            [z, q_g1, q_u1, v, z2, q_g2, q_2],
            [r1, r2],
        ))
    }

    /// Verifies against the span's end points A_a, A_b and the excluded primes x.
    pub fn verify(&self, group: &Group, base: &Elem, result: &Elem, x: &Factors) -> Result<()> {
        let c = ExclusionChallenges::derive(group, base, result, x, &self.z, &self.v, &self.z2);
        let g = group.generator();
        // A: z = g^D and A_b = A_a^D with one remainder r1 = D mod ℓ1
        CommittedPoke {
            q_g: self.q_g1.clone(),
            q_u: self.q_u1.clone(),
            r: self.r1.clone(),
        }
        .verify(group, base, result, &self.z, &c.l1)?;
        // B: z2 = g^s and z^s · V^x = g with one remainder r2 = s mod ℓ2
        check(self.r2 < c.l2, "residue out of range")?;
        check(
            group.multi_pow(&[(&self.q_g2, &c.l2), (g, &self.r2)]) == self.z2,
            "Bézout commitment",
        )?;
        let rx = x.product_mod(&c.l2);
        check(
            group.multi_pow(&[(&self.q_2, &c.l2), (&self.z, &self.r2), (&self.v, &rx)]) == *g,
            "Bézout relation",
        )
    }

    /// The proof from its fields in encoding order: z, Q_g1, Q_u1, V, z2, Q_g2, Q_2; r1, r2.
    fn from_fields(
        [z, q_g1, q_u1, v, z2, q_g2, q_2]: [Elem; 7],
        [r1, r2]: [BigUint; 2],
    ) -> ExclusionProof {
        ExclusionProof {
            z,
            q_g1,
            q_u1,
            r1,
            v,
            z2,
            q_g2,
            q_2,
            r2,
        }
    }

    /// Encoding: z ‖ Q_g1 ‖ Q_u1 ‖ V ‖ z2 ‖ Q_g2 ‖ Q_2 ‖ r1 ‖ r2.
    pub fn to_bytes(&self, group: &Group) -> Result<Vec<u8>> {
        encode_fields(
            group,
            &[
                &self.z, &self.q_g1, &self.q_u1, &self.v, &self.z2, &self.q_g2, &self.q_2,
            ],
            &[&self.r1, &self.r2],
        )
    }

    /// Decodes and validates the encoding.
    pub fn from_bytes(group: &Group, bytes: &[u8]) -> Result<ExclusionProof> {
        let (elems, residues) = decode_fields(group, bytes)?;
        Ok(ExclusionProof::from_fields(elems, residues))
    }
}
