//! Fixed-size Montgomery arithmetic for 2048-bit moduli (32 limbs of 64 bits; 40 limbs of 52
//! bits on CPUs with AVX-512 IFMA).
//!
//! The accumulator's cost is long sequential exponentiations in Z_N (A_n = A_{n−1}^{P_n} with
//! exponents of millions of bits, chain proofs, exclusion proving). This kernel does them on
//! stack arrays of 32 `u64` limbs with `u128` intermediate products:
//!
//! * multiplication: Montgomery product by *finely integrated product scanning* — column k of
//!   the result sums a_i·b_{k−i} and the reduction products m_i·n_{k−i} in a 192-bit register
//!   accumulator, m_k = (column mod 2^64)·n' is chosen as soon as column k < 32 is complete, and
//!   no 4096-bit intermediate is written to memory (2·32² limb products). Measured here
//!   against schoolbook-then-REDC (separated operand scanning, ~1.2× slower), 2- and 4-way
//!   unrolled columns and fully unrolled code (86 KB per function, slower: instruction cache);
//! * squaring: per column only the cross products a_i·a_j with i < j, doubled, plus the
//!   diagonal a_{k/2}² (32·33/2 products instead of 32²), then the same reduction — about 3/4
//!   of a multiplication;
//! * one conditional subtraction of N at the end ((ab + mN)/R < 2N);
//! * exponentiation: left-to-right sliding windows over odd powers, the window width chosen
//!   from the exponent length (1 to 7 bits), any number of bases at once with one shared
//!   squaring chain ([`Mont2048::multi_pow`]).
//!
//! Exponentiation runs on one of two engines behind the same window logic:
//!
//! * the portable engine above (`u64` limbs, safe Rust, any CPU): ~1.6 µs per exponent bit on
//!   this machine, 1.5× num-bigint's `modpow`;
//! * on x86_64 CPUs that report AVX-512F and AVX-512 IFMA at run time, an engine on 40 limbs of
//!   52 bits in five 512-bit vectors (`vpmadd52luq`/`vpmadd52huq`, almost Montgomery
//!   multiplication with R = 2^2080, squaring as a product): ~0.55 µs per exponent bit, 4.5–5×
//!   num-bigint. It needs `unsafe` in three places, each with its SAFETY argument: calling the
//!   `#[target_feature]` function (sound because the engine is only built after the run-time
//!   check) and the unaligned vector loads and stores of the limb arrays (in bounds). That was
//!   measured to matter: 2.8× the portable engine on the operator's squaring chain.
//!
//! [`Mont2048::mul`], [`Mont2048::square`] and the conversions are the portable engine's;
//! [`Mont2048::multi_pow_portable`] forces it for exponentiation (tests cross-check both).
//!
//! The constants (n', R mod N, R² mod N with R = 2^2048, and the radix-2^52 ones) are computed
//! once per modulus ([`Mont2048::new`], held by [`crate::group::Group`]). Any odd modulus of
//! 1,985 to 2,048 bits works (N < R is all that REDC needs, 4N < 2^2080 all that the IFMA
//! engine needs; smaller moduli would waste limbs and use num-bigint).
//!
//! **Not constant time.** Squarings, multiplications, the final subtraction and the table
//! index all depend on the exponent and the data. That is deliberate: every exponent here is
//! public (products of public primes, Fiat–Shamir quotients and remainders), so there is no
//! secret to leak. Do not reuse this kernel for secret exponents.
//!
//! The portable engine's loops are over fixed-length arrays and slices so the compiler removes
//! the bounds checks. Figures against num-bigint's `modpow` and crypto-bigint:
//! docs/accumulator.md, "Big integers".

use num_bigint::BigUint;

/// Limbs of a 2048-bit number.
pub const LIMBS: usize = 32;

type Limbs = [u64; LIMBS];

/// Largest window width used by [`Mont2048::multi_pow`] (a table of 2^(w−1) = 64 odd powers,
/// 16 KiB per base).
const MAX_WINDOW: usize = 7;

/// A residue in Montgomery form x·R mod N, fully reduced (< N), limbs little-endian.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MontElem(Limbs);

/// Montgomery constants of one odd modulus N of 1,985 to 2,048 bits.
#[derive(Clone, Debug)]
pub struct Mont2048 {
    n: Limbs,
    /// −N^{−1} mod 2^64.
    n0: u64,
    /// R mod N (the Montgomery form of 1).
    one: Limbs,
    /// R² mod N (converts into Montgomery form with one multiplication).
    r2: Limbs,
    /// The AVX-512 IFMA engine, present only where the CPU supports it (checked at run time).
    #[cfg(target_arch = "x86_64")]
    simd: Option<ifma::Ifma>,
}

impl Mont2048 {
    /// The constants for `n`, or `None` unless `n` is odd and has 1,985 to 2,048 bits.
    pub fn new(n: &BigUint) -> Option<Mont2048> {
        let bits = n.bits();
        if bits <= 64 * (LIMBS as u64 - 1) || bits > 64 * LIMBS as u64 || !n.bit(0) {
            return None;
        }
        let limbs = to_limbs(n)?;
        // Newton iteration for N^{−1} mod 2^64: x = N is correct to 3 bits (N odd), each step
        // doubles the correct bits (3, 6, 12, 24, 48, 96).
        let mut inv = limbs[0];
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(limbs[0].wrapping_mul(inv)));
        }
        debug_assert_eq!(limbs[0].wrapping_mul(inv), 1);
        let r = BigUint::from(1u8) << (64 * LIMBS);
        let one = to_limbs(&(&r % n))?;
        let r2 = to_limbs(&((&r * &r) % n))?;
        Some(Mont2048 {
            n: limbs,
            n0: inv.wrapping_neg(),
            one,
            r2,
            #[cfg(target_arch = "x86_64")]
            simd: ifma::Ifma::new(n),
        })
    }

    /// The modulus N.
    pub fn modulus(&self) -> BigUint {
        from_limbs(&self.n)
    }

    /// x·R mod N for any x (reduced mod N first if it is not below N).
    pub fn to_mont(&self, x: &BigUint) -> MontElem {
        let limbs = match to_limbs(x) {
            Some(l) if lt(&l, &self.n) => l,
            _ => to_limbs(&(x % self.modulus())).unwrap_or([0; LIMBS]),
        };
        MontElem(self.mul_limbs(&limbs, &self.r2))
    }

    /// The integer x in [0, N) that `a` = x·R mod N stands for.
    pub fn from_mont(&self, a: &MontElem) -> BigUint {
        from_limbs(&self.redc_single(&a.0))
    }

    /// The Montgomery form of 1.
    pub fn one(&self) -> MontElem {
        MontElem(self.one)
    }

    /// The product a·b (Montgomery form in and out).
    pub fn mul(&self, a: &MontElem, b: &MontElem) -> MontElem {
        MontElem(self.mul_limbs(&a.0, &b.0))
    }

    /// The square a² (Montgomery form in and out), about 3/4 of the cost of [`Self::mul`].
    pub fn square(&self, a: &MontElem) -> MontElem {
        MontElem(self.sqr_limbs(&a.0))
    }

    /// base^e mod N for an exponent of any length (0^0 = 1).
    pub fn pow(&self, base: &BigUint, e: &BigUint) -> BigUint {
        self.multi_pow(&[(base, e)])
    }

    /// ∏ baseᵢ^{eᵢ} mod N with one shared squaring chain: each base gets its own table of odd
    /// powers and its own sliding windows, and the squarings are done once for the longest
    /// exponent. Runs on the AVX-512 IFMA engine where the CPU has it, else on the portable one.
    pub fn multi_pow(&self, terms: &[(&BigUint, &BigUint)]) -> BigUint {
        #[cfg(target_arch = "x86_64")]
        if let Some(simd) = &self.simd {
            return multi_pow_on(simd, terms);
        }
        multi_pow_on(self, terms)
    }

    /// The same as [`Self::multi_pow`] on the portable 64-bit engine whatever the CPU (for tests
    /// and measurements).
    pub fn multi_pow_portable(&self, terms: &[(&BigUint, &BigUint)]) -> BigUint {
        multi_pow_on(self, terms)
    }

    /// Whether [`Self::multi_pow`] and [`Self::pow`] run on the AVX-512 IFMA engine.
    pub fn uses_simd(&self) -> bool {
        #[cfg(target_arch = "x86_64")]
        return self.simd.is_some();
        #[cfg(not(target_arch = "x86_64"))]
        return false;
    }

    /// Montgomery product a·b·R^{−1} mod N, finely integrated product scanning: column k of
    /// the result sums a_i·b_{k−i} and the reduction products m_i·n_{k−i} in a 192-bit
    /// accumulator, so no 4096-bit intermediate is written to memory.
    fn mul_limbs(&self, a: &Limbs, b: &Limbs) -> Limbs {
        let mut acc = Acc::default();
        let mut m = [0u64; LIMBS];
        for k in 0..LIMBS {
            for (&x, &y) in a[..=k].iter().zip(b[..=k].iter().rev()) {
                acc.mac(x, y);
            }
            self.reduce_low_column(&mut acc, &mut m, k);
        }
        let mut r = [0u64; LIMBS];
        for k in LIMBS..2 * LIMBS - 1 {
            let from = k + 1 - LIMBS;
            for (&x, &y) in a[from..].iter().zip(b[from..].iter().rev()) {
                acc.mac(x, y);
            }
            self.reduce_high_column(&mut acc, &m, &mut r, k);
        }
        self.finish(acc, r)
    }

    /// Montgomery square a²·R^{−1} mod N: per column the cross products a_i·a_j (i < j) once,
    /// doubled, plus the diagonal a_{k/2}², plus the reduction products.
    fn sqr_limbs(&self, a: &Limbs) -> Limbs {
        let mut acc = Acc::default();
        let mut m = [0u64; LIMBS];
        for k in 0..LIMBS {
            let mut cross = Acc::default();
            let half = k.div_ceil(2);
            for (&x, &y) in a[..half].iter().zip(a[..=k].iter().rev()) {
                cross.mac(x, y);
            }
            acc.add_double(&cross);
            if k % 2 == 0 {
                acc.mac(a[k / 2], a[k / 2]);
            }
            self.reduce_low_column(&mut acc, &mut m, k);
        }
        let mut r = [0u64; LIMBS];
        for k in LIMBS..2 * LIMBS - 1 {
            let from = k + 1 - LIMBS;
            let mut cross = Acc::default();
            let half = k.div_ceil(2);
            for (&x, &y) in a[from..half].iter().zip(a[from..].iter().rev()) {
                cross.mac(x, y);
            }
            acc.add_double(&cross);
            if k % 2 == 0 {
                acc.mac(a[k / 2], a[k / 2]);
            }
            self.reduce_high_column(&mut acc, &m, &mut r, k);
        }
        self.finish(acc, r)
    }

    /// Column k < LIMBS: adds m_i·n_{k−i} (i < k), picks m_k so that the column becomes 0 mod
    /// 2^64, adds m_k·n_0 and shifts the column out.
    #[inline(always)]
    fn reduce_low_column(&self, acc: &mut Acc, m: &mut Limbs, k: usize) {
        for (&x, &y) in m[..k].iter().zip(self.n[1..=k].iter().rev()) {
            acc.mac(x, y);
        }
        let mk = acc.low().wrapping_mul(self.n0);
        m[k] = mk;
        acc.mac(mk, self.n[0]);
        acc.shift();
    }

    /// Column k ≥ LIMBS: adds m_i·n_{k−i} and shifts limb k − LIMBS of the result out.
    #[inline(always)]
    fn reduce_high_column(&self, acc: &mut Acc, m: &Limbs, r: &mut Limbs, k: usize) {
        let from = k + 1 - LIMBS;
        for (&x, &y) in m[from..].iter().zip(self.n[from..].iter().rev()) {
            acc.mac(x, y);
        }
        r[k - LIMBS] = acc.shift();
    }

    /// The last limb and the carry; (ab + mN)/R < 2N, so one subtraction at most.
    fn finish(&self, mut acc: Acc, mut r: Limbs) -> Limbs {
        r[LIMBS - 1] = acc.shift();
        if acc.low() != 0 || !lt(&r, &self.n) {
            sub_assign(&mut r, &self.n);
        }
        r
    }

    /// Montgomery reduction of a single-width t < R: t·R^{−1} mod N (leaves Montgomery form).
    fn redc_single(&self, t: &Limbs) -> Limbs {
        let mut one = [0u64; LIMBS];
        one[0] = 1;
        self.mul_limbs(t, &one)
    }
}

/// A 192-bit column accumulator.
#[derive(Clone, Copy, Default)]
struct Acc {
    lo: u128,
    hi: u64,
}

impl Acc {
    /// acc += x·y.
    #[inline(always)]
    fn mac(&mut self, x: u64, y: u64) {
        let (s, o) = self.lo.overflowing_add(u128::from(x) * u128::from(y));
        self.lo = s;
        self.hi += u64::from(o);
    }

    /// acc += 2·c.
    #[inline(always)]
    fn add_double(&mut self, c: &Acc) {
        let d_hi = (c.hi << 1) | (c.lo >> 127) as u64;
        let (s, o) = self.lo.overflowing_add(c.lo << 1);
        self.lo = s;
        self.hi += d_hi + u64::from(o);
    }

    #[inline(always)]
    fn low(&self) -> u64 {
        self.lo as u64
    }

    /// Returns the low limb and shifts the accumulator down by 64 bits.
    #[inline(always)]
    fn shift(&mut self) -> u64 {
        let out = self.lo as u64;
        self.lo = (self.lo >> 64) | (u128::from(self.hi) << 64);
        self.hi = 0;
        out
    }
}

/// What the exponentiation needs from an arithmetic engine: Montgomery-form elements, their
/// product and square, and conversion from and to integers.
trait Engine {
    type E: Copy;
    fn enter(&self, x: &BigUint) -> Self::E;
    fn leave(&self, a: &Self::E) -> BigUint;
    fn mul(&self, a: &Self::E, b: &Self::E) -> Self::E;
    fn sqr(&self, a: &Self::E) -> Self::E;
}

impl Engine for Mont2048 {
    type E = MontElem;
    fn enter(&self, x: &BigUint) -> MontElem {
        self.to_mont(x)
    }
    fn leave(&self, a: &MontElem) -> BigUint {
        self.from_mont(a)
    }
    fn mul(&self, a: &MontElem, b: &MontElem) -> MontElem {
        Mont2048::mul(self, a, b)
    }
    fn sqr(&self, a: &MontElem) -> MontElem {
        self.square(a)
    }
}

/// Sliding-window multi-exponentiation with a shared squaring chain on any engine.
fn multi_pow_on<En: Engine>(en: &En, terms: &[(&BigUint, &BigUint)]) -> BigUint {
    // (low bit of the window, index into the table of odd powers, which term)
    let mut events: Vec<(u64, usize, usize)> = Vec::new();
    let mut tables: Vec<Vec<En::E>> = Vec::with_capacity(terms.len());
    for (k, (base, e)) in terms.iter().enumerate() {
        let bits = e.bits();
        if bits == 0 {
            tables.push(Vec::new());
            continue;
        }
        let w = window_width(bits);
        tables.push(odd_powers(en, &en.enter(base), w));
        sliding_windows(e, w, |low, value| events.push((low, value >> 1, k)));
    }
    // Highest window first; ties in any order (multiplication commutes).
    events.sort_unstable_by_key(|&(low, _, _)| std::cmp::Reverse(low));
    let mut acc: Option<En::E> = None;
    let mut pos = 0u64;
    for &(low, index, k) in &events {
        let factor = &tables[k][index];
        acc = Some(match acc {
            None => *factor,
            Some(mut a) => {
                for _ in low..pos {
                    a = en.sqr(&a);
                }
                en.mul(&a, factor)
            }
        });
        pos = low;
    }
    match acc {
        None => BigUint::from(1u8),
        Some(mut a) => {
            for _ in 0..pos {
                a = en.sqr(&a);
            }
            en.leave(&a)
        }
    }
}

/// base^1, base^3, …, base^(2^w − 1).
fn odd_powers<En: Engine>(en: &En, base: &En::E, w: usize) -> Vec<En::E> {
    let mut table = Vec::with_capacity(1 << (w - 1));
    table.push(*base);
    if w > 1 {
        let sq = en.sqr(base);
        for i in 1..(1 << (w - 1)) {
            let next = en.mul(&table[i - 1], &sq);
            table.push(next);
        }
    }
    table
}

/// a < b.
fn lt(a: &Limbs, b: &Limbs) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

/// a ← a − b mod 2^2048.
fn sub_assign(a: &mut Limbs, b: &Limbs) {
    let mut borrow = false;
    for (x, &y) in a.iter_mut().zip(b) {
        let (d1, b1) = x.overflowing_sub(y);
        let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
        *x = d2;
        borrow = b1 || b2;
    }
}

/// The limbs of x, or `None` if x does not fit in 2048 bits.
fn to_limbs(x: &BigUint) -> Option<Limbs> {
    let digits = x.to_u64_digits();
    if digits.len() > LIMBS {
        return None;
    }
    let mut out = [0u64; LIMBS];
    out[..digits.len()].copy_from_slice(&digits);
    Some(out)
}

fn from_limbs(x: &Limbs) -> BigUint {
    from_limbs_slice(x)
}

/// The integer with these little-endian 64-bit limbs.
fn from_limbs_slice(x: &[u64]) -> BigUint {
    let mut digits = Vec::with_capacity(2 * x.len());
    for &limb in x {
        digits.push(limb as u32);
        digits.push((limb >> 32) as u32);
    }
    BigUint::new(digits)
}

/// The window width minimising squarings-free cost for an exponent of `bits` bits: about
/// bits/(w+1) multiplications for the windows plus 2^(w−1) for the table.
fn window_width(bits: u64) -> usize {
    (1..=MAX_WINDOW)
        .min_by_key(|&w| bits / (w as u64 + 1) + (1u64 << (w - 1)))
        .unwrap_or(1)
}

/// Calls `f(low, value)` for each window of the left-to-right sliding-window decomposition of
/// `e` (from the top): `value` is odd, below 2^w, and e = Σ value·2^low.
fn sliding_windows(e: &BigUint, w: usize, mut f: impl FnMut(u64, usize)) {
    let digits = e.to_u64_digits();
    let bit = |i: u64| (digits[(i / 64) as usize] >> (i % 64)) & 1 == 1;
    let mut i = e.bits();
    // i is one past the next bit to look at
    while i > 0 {
        let hi = i - 1;
        if !bit(hi) {
            i = hi;
            continue;
        }
        let mut low = hi.saturating_sub(w as u64 - 1);
        while !bit(low) {
            low += 1;
        }
        let mut value = 0usize;
        for j in (low..=hi).rev() {
            value = (value << 1) | usize::from(bit(j));
        }
        f(low, value);
        i = low;
    }
}

/// The AVX-512 IFMA engine: 40 limbs of 52 bits in five 512-bit vectors, R = 2^2080, almost
/// Montgomery multiplication (operand scanning, outputs in [0, 2N), which 4N < R keeps valid as
/// input), normalised to 52-bit limbs after each product.
#[cfg(target_arch = "x86_64")]
mod ifma {
    use core::arch::x86_64::{
        __m512i, _mm_cvtsi128_si64, _mm512_alignr_epi64, _mm512_castsi512_si128,
        _mm512_loadu_si512, _mm512_madd52hi_epu64, _mm512_madd52lo_epu64, _mm512_mask_add_epi64,
        _mm512_set1_epi64, _mm512_setzero_si512, _mm512_storeu_si512,
    };

    use num_bigint::BigUint;

    use super::Engine;

    /// 52-bit limbs of a 2080-bit number.
    const L: usize = 40;
    const MASK: u64 = (1 << 52) - 1;
    type L52 = [u64; L];

    /// The constants of one modulus in radix 2^52. Only [`Ifma::new`] makes one, and only after
    /// the CPU reported AVX-512F and AVX-512 IFMA.
    #[derive(Clone, Debug)]
    pub(super) struct Ifma {
        n: L52,
        n_big: BigUint,
        /// −N^{−1} mod 2^52.
        k0: u64,
        /// R² mod N with R = 2^2080.
        r2: L52,
    }

    impl Ifma {
        pub(super) fn new(n: &BigUint) -> Option<Ifma> {
            if !(std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512ifma"))
            {
                return None;
            }
            let n0 = *n.to_u64_digits().first()?;
            let mut inv = n0;
            for _ in 0..5 {
                inv = inv.wrapping_mul(2u64.wrapping_sub(n0.wrapping_mul(inv)));
            }
            let r = BigUint::from(1u8) << (52 * L);
            Some(Ifma {
                n: to52(n),
                n_big: n.clone(),
                k0: inv.wrapping_neg() & MASK,
                r2: to52(&((&r * &r) % n)),
            })
        }

        fn amm(&self, a: &L52, b: &L52) -> L52 {
            // SAFETY: an `Ifma` exists only if `new` saw AVX-512F and AVX-512 IFMA on this CPU,
            // which is everything `amm` is compiled for.
            unsafe { amm(a, b, &self.n, self.k0) }
        }
    }

    impl Engine for Ifma {
        type E = L52;
        fn enter(&self, x: &BigUint) -> L52 {
            let x = if *x < self.n_big {
                to52(x)
            } else {
                to52(&(x % &self.n_big))
            };
            self.amm(&x, &self.r2)
        }
        fn leave(&self, a: &L52) -> BigUint {
            let mut one = [0u64; L];
            one[0] = 1;
            // (a + mN)/R ≤ N, equal only for a ≡ 0
            let x = from52(&self.amm(a, &one));
            if x >= self.n_big { x - &self.n_big } else { x }
        }
        fn mul(&self, a: &L52, b: &L52) -> L52 {
            self.amm(a, b)
        }
        fn sqr(&self, a: &L52) -> L52 {
            self.amm(a, a)
        }
    }

    /// a·b·2^−2080 mod N in [0, 2N) for a, b < 2N in normalised 52-bit limbs.
    ///
    /// Row i adds the low halves of a·b_i and of N·m (m chosen so that lane 0 becomes 0 mod
    /// 2^52), moves lane 0's carry up, shifts all lanes down by one, and adds the high halves
    /// (which belong one position up). A lane collects at most 4·40 terms below 2^52 plus
    /// carries, so it stays below 2^60.
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn amm(a: &L52, b: &L52, n: &L52, k0: u64) -> L52 {
        // SAFETY: 8·v + 8 ≤ 40 = L, so each unaligned 64-byte load reads inside the array.
        let load = |x: &L52, v: usize| unsafe { _mm512_loadu_si512(x[8 * v..].as_ptr().cast()) };
        let av: [__m512i; 5] = std::array::from_fn(|v| load(a, v));
        let nv: [__m512i; 5] = std::array::from_fn(|v| load(n, v));
        let zero = _mm512_setzero_si512();
        let mut acc = [zero; 5];
        for &bi in b {
            let bv = _mm512_set1_epi64(bi as i64);
            for (x, &y) in acc.iter_mut().zip(&av) {
                *x = _mm512_madd52lo_epu64(*x, y, bv);
            }
            let lane0 = _mm_cvtsi128_si64(_mm512_castsi512_si128(acc[0])) as u64;
            let m = lane0.wrapping_mul(k0) & MASK;
            let mv = _mm512_set1_epi64(m as i64);
            for (x, &y) in acc.iter_mut().zip(&nv) {
                *x = _mm512_madd52lo_epu64(*x, y, mv);
            }
            let carry = (_mm_cvtsi128_si64(_mm512_castsi512_si128(acc[0])) as u64) >> 52;
            acc[0] = _mm512_alignr_epi64::<1>(acc[1], acc[0]);
            acc[1] = _mm512_alignr_epi64::<1>(acc[2], acc[1]);
            acc[2] = _mm512_alignr_epi64::<1>(acc[3], acc[2]);
            acc[3] = _mm512_alignr_epi64::<1>(acc[4], acc[3]);
            acc[4] = _mm512_alignr_epi64::<1>(zero, acc[4]);
            acc[0] = _mm512_mask_add_epi64(acc[0], 1, acc[0], _mm512_set1_epi64(carry as i64));
            for ((x, &y), &z) in acc.iter_mut().zip(&av).zip(&nv) {
                *x = _mm512_madd52hi_epu64(*x, y, bv);
                *x = _mm512_madd52hi_epu64(*x, z, mv);
            }
        }
        let mut lanes = [0u64; L];
        for (v, x) in acc.iter().enumerate() {
            // SAFETY: as for the loads, 64 bytes at lane 8·v lie inside the 40-lane array.
            unsafe { _mm512_storeu_si512(lanes[8 * v..].as_mut_ptr().cast(), *x) };
        }
        let mut carry = 0u64;
        for l in lanes.iter_mut() {
            let v = *l + carry;
            *l = v & MASK;
            carry = v >> 52;
        }
        debug_assert_eq!(carry, 0, "the result is below 2N < 2^2080");
        lanes
    }

    /// x < 2^2080 in 52-bit limbs.
    fn to52(x: &BigUint) -> L52 {
        let mut d = x.to_u64_digits();
        d.resize(34, 0);
        std::array::from_fn(|j| {
            let (w, o) = (52 * j / 64, 52 * j % 64);
            let mut v = d[w] >> o;
            if o > 12 {
                v |= d[w + 1] << (64 - o);
            }
            v & MASK
        })
    }

    fn from52(x: &L52) -> BigUint {
        let mut d = [0u64; 34];
        for (j, &l) in x.iter().enumerate() {
            let (w, o) = (52 * j / 64, 52 * j % 64);
            d[w] |= l << o;
            if o > 12 {
                d[w + 1] |= l >> (64 - o);
            }
        }
        super::from_limbs_slice(&d)
    }
}
