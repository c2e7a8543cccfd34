//! Primality (Baillie–PSW), the injective slice→prime map and Fiat–Shamir challenge primes.
//!
//! * Slice primes: the key id k = 2·heap(slice) + kind is at most 162 bits; its prime is the
//!   first prime in the window [k·2^16, (k+1)·2^16). Windows of distinct keys are disjoint, so
//!   distinct keys get distinct primes *by construction* (docs/accumulator.md, "Hash-to-prime").
//! * Challenge primes: 256-bit, SHA-256(tag ‖ transcript digest ‖ counter) with the top and bottom
//!   bits set, the first candidate that passes Baillie–PSW.

use std::sync::OnceLock;

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{One, Zero};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// log2 of the width of the window searched for a slice prime.
pub const WINDOW_BITS: u32 = 16;
/// Bit length of every Fiat–Shamir challenge prime.
pub const CHALLENGE_BITS: u32 = 256;
const CHALLENGE_TAG: &[u8] = b"debye/accumulator/v1/challenge-prime";
const SIEVE_LIMIT: u32 = 4096;
const SIEVE_CHUNK: usize = 1024;

struct SmallPrimes {
    /// Odd primes below [`SIEVE_LIMIT`].
    odd: Vec<u32>,
    /// Odd primes grouped so that each group's product fits in 63 bits.
    groups: Vec<(u64, Vec<u32>)>,
}

fn small_primes() -> &'static SmallPrimes {
    static SP: OnceLock<SmallPrimes> = OnceLock::new();
    SP.get_or_init(|| {
        let limit = SIEVE_LIMIT as usize;
        let mut composite = vec![false; limit];
        let mut odd = Vec::new();
        for i in 2..limit {
            if !composite[i] {
                if i > 2 {
                    odd.push(i as u32);
                }
                let mut j = i * i;
                while j < limit {
                    composite[j] = true;
                    j += i;
                }
            }
        }
        let mut groups = Vec::new();
        let mut prod: u64 = 1;
        let mut cur = Vec::new();
        for &p in &odd {
            match prod.checked_mul(u64::from(p)) {
                Some(v) if v < (1u64 << 63) => {
                    prod = v;
                    cur.push(p);
                }
                _ => {
                    groups.push((prod, std::mem::take(&mut cur)));
                    prod = u64::from(p);
                    cur.push(p);
                }
            }
        }
        if !cur.is_empty() {
            groups.push((prod, cur));
        }
        SmallPrimes { odd, groups }
    })
}

fn rem_u64(n: &BigUint, m: u64) -> u64 {
    let mut r: u128 = 0;
    for d in n.iter_u64_digits().rev() {
        r = ((r << 64) | u128::from(d)) % u128::from(m);
    }
    r as u64
}

/// True if some odd prime below 4096 divides `n` (and `n` is not that prime).
fn has_small_factor(n: &BigUint) -> bool {
    let sp = small_primes();
    for (prod, primes) in &sp.groups {
        let r = rem_u64(n, *prod);
        for &p in primes {
            if r.is_multiple_of(u64::from(p)) {
                return *n != BigUint::from(p);
            }
        }
    }
    false
}

/// Baillie–PSW probable-prime test: trial division, a strong Fermat test to base 2 and a strong
/// Lucas test with Selfridge's parameters. No composite is known to pass it.
pub fn is_probable_prime(n: &BigUint) -> bool {
    if n < &BigUint::from(2u32) {
        return false;
    }
    if n.is_even() {
        return *n == BigUint::from(2u32);
    }
    if n < &BigUint::from(SIEVE_LIMIT) {
        return small_primes()
            .odd
            .binary_search(&(rem_u64(n, u64::MAX) as u32))
            .is_ok();
    }
    if has_small_factor(n) {
        return false;
    }
    bpsw_after_sieve(n)
}

fn bpsw_after_sieve(n: &BigUint) -> bool {
    if n.bits() <= 256 {
        // slice primes (≤ 178 bits) and challenge primes (256 bits): 4-limb Montgomery arithmetic
        return fast::bpsw(n);
    }
    bpsw_general(n)
}

/// Baillie–PSW on arbitrary-size num-bigint arithmetic (the reference for [`fast::bpsw`]).
pub fn bpsw_general(n: &BigUint) -> bool {
    n.is_odd() && strong_fermat_base2(n) && strong_lucas(n)
}

/// Baillie–PSW for odd n < 2^256 in 4-limb Montgomery form (crypto-bigint, no allocation per
/// step); the num-bigint version stays as the reference it is cross-checked against.
pub mod fast {
    use crypto_bigint::modular::{MontyForm, MontyParams};
    use crypto_bigint::{Odd, U256};
    use num_bigint::BigUint;
    use num_integer::Integer;

    type M = MontyForm<{ U256::LIMBS }>;

    fn u256(n: &BigUint) -> U256 {
        let raw = n.to_bytes_be();
        let mut b = [0u8; 32];
        b[32 - raw.len()..].copy_from_slice(&raw);
        U256::from_be_slice(&b)
    }

    fn small(v: i64, p: MontyParams<{ U256::LIMBS }>) -> M {
        let m = M::new(&U256::from_u64(v.unsigned_abs()), p);
        if v < 0 { -m } else { m }
    }

    /// Baillie–PSW for odd 3 < n < 2^256 with no small factor checked by the caller or not
    /// (the test is complete on its own for such n).
    pub fn bpsw(n: &BigUint) -> bool {
        if n.is_even() || n.bits() > 256 || n < &BigUint::from(5u32) {
            return super::is_probable_prime(n);
        }
        let nu = u256(n);
        let Some(odd) = Option::<Odd<U256>>::from(Odd::new(nu)) else {
            return false;
        };
        let p = MontyParams::new_vartime(odd);
        let one = M::one(p);
        let minus_one = -one;
        // strong Fermat test to base 2
        let n_minus_1 = n - 1u32;
        let s = n_minus_1.trailing_zeros().unwrap_or(0);
        let d = &n_minus_1 >> s;
        let mut x = small(2, p).pow_bounded_exp(&u256(&d), d.bits() as u32);
        if x != one && x != minus_one {
            let mut ok = false;
            for _ in 1..s {
                x = x.square();
                if x == minus_one {
                    ok = true;
                    break;
                }
                if x == one {
                    return false;
                }
            }
            if !ok {
                return false;
            }
        }
        // strong Lucas test, Selfridge parameters
        let root = n.sqrt();
        if &(&root * &root) == n {
            return false;
        }
        let mut dd: i64 = 5;
        loop {
            match super::jacobi(&super::signed_mod(dd, n), n) {
                -1 => break,
                0 if BigUint::from(dd.unsigned_abs()) != *n => return false,
                _ => {}
            }
            dd = if dd > 0 { -(dd + 2) } else { -dd + 2 };
        }
        let q = (1 - dd) / 4;
        let (dm, qm) = (small(dd, p), small(q, p));
        let n_plus_1 = n + 1u32;
        let s = n_plus_1.trailing_zeros().unwrap_or(0);
        let k = &n_plus_1 >> s;
        let (mut u, mut v, mut qk) = (one, one, qm);
        for i in (0..k.bits() - 1).rev() {
            u *= v;
            v = v.square() - (qk + qk);
            qk = qk.square();
            if k.bit(i) {
                let nu = (u + v).div_by_2();
                v = (dm * u + v).div_by_2();
                u = nu;
                qk *= qm;
            }
        }
        let zero = M::zero(p);
        if u == zero || v == zero {
            return true;
        }
        for _ in 1..s {
            v = v.square() - (qk + qk);
            qk = qk.square();
            if v == zero {
                return true;
            }
        }
        false
    }
}

fn strong_fermat_base2(n: &BigUint) -> bool {
    let one = BigUint::one();
    let n_minus_1 = n - &one;
    let s = n_minus_1.trailing_zeros().unwrap_or(0);
    let d = &n_minus_1 >> s;
    let mut x = BigUint::from(2u32).modpow(&d, n);
    if x == one || x == n_minus_1 {
        return true;
    }
    for _ in 1..s {
        x = (&x * &x) % n;
        if x == n_minus_1 {
            return true;
        }
        if x == one {
            return false;
        }
    }
    false
}

/// Jacobi symbol (a/n) for odd n > 0.
fn jacobi(a: &BigUint, n: &BigUint) -> i32 {
    let mut a = a % n;
    let mut n = n.clone();
    let mut result = 1;
    while !a.is_zero() {
        let tz = a.trailing_zeros().unwrap_or(0);
        if tz > 0 {
            a >>= tz;
            let r = rem_u64(&n, 8);
            if tz % 2 == 1 && (r == 3 || r == 5) {
                result = -result;
            }
        }
        std::mem::swap(&mut a, &mut n);
        if rem_u64(&a, 4) == 3 && rem_u64(&n, 4) == 3 {
            result = -result;
        }
        a %= &n;
    }
    if n.is_one() { result } else { 0 }
}

fn signed_mod(v: i64, n: &BigUint) -> BigUint {
    if v >= 0 {
        BigUint::from(v as u64) % n
    } else {
        let m = BigUint::from(v.unsigned_abs()) % n;
        if m.is_zero() { m } else { n - m }
    }
}

fn half_mod(x: BigUint, n: &BigUint) -> BigUint {
    if x.is_even() {
        x >> 1u32
    } else {
        (x + n) >> 1u32
    }
}

fn strong_lucas(n: &BigUint) -> bool {
    // a perfect square has no D with (D/n) = -1
    let root = n.sqrt();
    if &(&root * &root) == n {
        return false;
    }
    // Selfridge: D in 5, -7, 9, -11, ... with (D/n) = -1
    let mut d: i64 = 5;
    loop {
        let dm = signed_mod(d, n);
        match jacobi(&dm, n) {
            -1 => break,
            // gcd(|D|, n) > 1: composite unless n = |D|
            0 if BigUint::from(d.unsigned_abs()) != *n => return false,
            _ => {}
        }
        d = if d > 0 { -(d + 2) } else { -d + 2 };
    }
    let p: i64 = 1;
    let q: i64 = (1 - d) / 4;
    let d_mod = signed_mod(d, n);
    let q_mod = signed_mod(q, n);
    let n_plus_1 = n + 1u32;
    let s = n_plus_1.trailing_zeros().unwrap_or(0);
    let k = &n_plus_1 >> s;
    // binary Lucas chain for U_k, V_k, Q^k
    let mut u = BigUint::one();
    let mut v = BigUint::from(p as u64);
    let mut qk = q_mod.clone();
    let bits = k.bits();
    for i in (0..bits - 1).rev() {
        // doubling
        u = (&u * &v) % n;
        let two_qk = (&qk << 1u32) % n;
        v = ((&v * &v) + n - two_qk) % n;
        qk = (&qk * &qk) % n;
        if k.bit(i) {
            // k -> k + 1 with P = 1
            let new_u = half_mod(&u + &v, n);
            let new_v = half_mod((&d_mod * &u) % n + &v, n);
            u = new_u % n;
            v = new_v % n;
            qk = (&qk * &q_mod) % n;
        }
    }
    if u.is_zero() || v.is_zero() {
        return true;
    }
    for _ in 1..s {
        let two_qk = (&qk << 1u32) % n;
        v = ((&v * &v) + n - two_qk) % n;
        qk = (&qk * &qk) % n;
        if v.is_zero() {
            return true;
        }
    }
    false
}

/// The first prime in [base + 1, base + 2^16), searched with a segmented sieve.
pub(crate) fn first_prime_in_window(base: &BigUint) -> Result<BigUint> {
    let sp = small_primes();
    let width = 1usize << WINDOW_BITS;
    // residues of (base + 1) mod p; candidate i is base + 1 + 2i
    let start = base + 1u32;
    // one multi-limb reduction per group of small primes, then word-sized remainders
    // (groups hold the odd primes in order, so this lines up with `sp.odd`)
    let residues: Vec<u64> = sp
        .groups
        .iter()
        .flat_map(|(prod, primes)| {
            let r = rem_u64(&start, *prod);
            primes.iter().map(move |&p| r % u64::from(p))
        })
        .collect();
    let mut offset = 0usize; // candidate index of the chunk start
    while 2 * offset < width {
        let mut sieve = [true; SIEVE_CHUNK];
        for (&p, &r) in sp.odd.iter().zip(&residues) {
            let p64 = u64::from(p);
            let inv2 = p64.div_ceil(2); // (p + 1) / 2
            // first i >= 0 with start + 2i ≡ 0 (mod p)
            let i0 = ((p64 - r) % p64) * inv2 % p64;
            // first index within this chunk
            let off = offset as u64 % p64;
            let mut i = ((i0 + p64 - off) % p64) as usize;
            while i < SIEVE_CHUNK {
                sieve[i] = false;
                i += p as usize;
            }
        }
        for (i, &alive) in sieve.iter().enumerate() {
            if !alive {
                continue;
            }
            let idx = offset + i;
            if 2 * idx + 1 >= width {
                break;
            }
            let cand = &start + BigUint::from(2 * idx as u64);
            if bpsw_after_sieve(&cand) {
                return Ok(cand);
            }
        }
        offset += SIEVE_CHUNK;
    }
    Err(Error::PrimeWindowExhausted)
}

/// A 256-bit prime derived from a 32-byte transcript digest (Fiat–Shamir).
pub fn challenge_prime(seed: &[u8; 32]) -> BigUint {
    let mut counter: u64 = 0;
    loop {
        let mut h = Sha256::new();
        h.update(CHALLENGE_TAG);
        h.update(seed);
        h.update(counter.to_be_bytes());
        let mut bytes: [u8; 32] = h.finalize().into();
        bytes[0] |= 0x80;
        bytes[31] |= 1;
        let cand = BigUint::from_bytes_be(&bytes);
        if !has_small_factor(&cand) && bpsw_after_sieve(&cand) {
            return cand;
        }
        counter += 1;
    }
}
