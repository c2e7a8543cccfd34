//! Fixed-size Montgomery arithmetic for 2048-bit moduli (32 limbs of 64 bits).
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
//! The constants (n', R mod N, R² mod N with R = 2^2048) are computed once per modulus
//! ([`Mont2048::new`], held by [`crate::group::Group`]). Any odd modulus of 1,985 to 2,048 bits
//! works (N < R is all that REDC needs; smaller moduli would waste limbs and use num-bigint).
//!
//! **Not constant time.** Squarings, multiplications, the final subtraction and the table
//! index all depend on the exponent and the data. That is deliberate: every exponent here is
//! public (products of public primes, Fiat–Shamir quotients and remainders), so there is no
//! secret to leak. Do not reuse this kernel for secret exponents.
//!
//! Safe Rust only; the loops are over fixed-length arrays and slices so the compiler removes
//! the bounds checks. Figures against num-bigint's `modpow`: docs/accumulator.md, "Big
//! integers".

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
    /// exponent.
    pub fn multi_pow(&self, terms: &[(&BigUint, &BigUint)]) -> BigUint {
        // (low bit of the window, index into the table of odd powers, which term)
        let mut events: Vec<(u64, usize, usize)> = Vec::new();
        let mut tables: Vec<Vec<MontElem>> = Vec::with_capacity(terms.len());
        for (k, (base, e)) in terms.iter().enumerate() {
            let bits = e.bits();
            if bits == 0 {
                tables.push(Vec::new());
                continue;
            }
            let w = window_width(bits);
            tables.push(self.odd_powers(&self.to_mont(base), w));
            sliding_windows(e, w, |low, value| events.push((low, value >> 1, k)));
        }
        // Highest window first; ties in any order (multiplication commutes).
        events.sort_unstable_by_key(|&(low, _, _)| std::cmp::Reverse(low));
        let mut acc: Option<MontElem> = None;
        let mut pos = 0u64;
        for &(low, index, k) in &events {
            let factor = &tables[k][index];
            acc = Some(match acc {
                None => *factor,
                Some(mut a) => {
                    for _ in low..pos {
                        a = self.square(&a);
                    }
                    self.mul(&a, factor)
                }
            });
            pos = low;
        }
        match acc {
            None => BigUint::from(1u8),
            Some(mut a) => {
                for _ in 0..pos {
                    a = self.square(&a);
                }
                self.from_mont(&a)
            }
        }
    }

    /// base^1, base^3, …, base^(2^w − 1).
    fn odd_powers(&self, base: &MontElem, w: usize) -> Vec<MontElem> {
        let mut table = Vec::with_capacity(1 << (w - 1));
        table.push(*base);
        if w > 1 {
            let sq = self.square(base);
            for i in 1..(1 << (w - 1)) {
                let next = self.mul(&table[i - 1], &sq);
                table.push(next);
            }
        }
        table
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
    let mut digits = Vec::with_capacity(2 * LIMBS);
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
