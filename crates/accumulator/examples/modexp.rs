//! Compares 2048-bit modular exponentiation backends on the RSA-2048 modulus, in CPU time of this
//! thread (median of runs, each repeated for ≥ 100 ms, the backends in turn; release build):
//! `cargo run --release -p debye-accumulator --example modexp -- 256,4096,65536,1000000 5`.
//!
//! Rows: num-bigint `modpow` against the Montgomery kernel (`debye_accumulator::mont`: its
//! portable engine, and `pow` as `Group` runs it, i.e. AVX-512 IFMA where the CPU has it), one
//! base and a random exponent of each length (top bit set); then the verifier's two- and
//! three-base products with 256-bit exponents, crypto-bigint's `multi_exponentiate_bounded_exp`
//! against the kernel's shared-squaring `multi_pow`. Every result is cross-checked.

use crypto_bigint::modular::{MontyForm, MontyParams};
use crypto_bigint::{MultiExponentiateBoundedExp, Odd, U256, U2048};
use debye_accumulator::Group;
use debye_accumulator::bench::{example_args, xorshift};
use debye_accumulator::mont::Mont2048;
use num_bigint::BigUint;

fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
        })
}

/// CPU ms of one call of `f` (repeated for ≥ 100 ms).
fn once_ms(f: &mut dyn FnMut()) -> f64 {
    let t = thread_cpu_ns();
    let mut reps = 0u32;
    while reps == 0 || thread_cpu_ns() - t < 100_000_000 {
        f();
        reps += 1;
    }
    (thread_cpu_ns() - t) as f64 / 1e6 / f64::from(reps)
}

/// Medians over `runs` of the CPU ms of one call of each function, the functions measured in
/// turn so that all see the same load on a shared machine.
fn compare_ms(runs: usize, fs: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    let mut xs = vec![Vec::new(); fs.len()];
    for _ in 0..runs {
        for (f, x) in fs.iter_mut().zip(&mut xs) {
            x.push(once_ms(&mut **f));
        }
    }
    xs.into_iter()
        .map(|mut v| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect()
}

fn random(state: &mut u64, bits: u64) -> BigUint {
    let mut digits = Vec::new();
    for _ in 0..bits.div_ceil(64) {
        digits.push(xorshift(state));
    }
    let mut x = BigUint::from_slice(
        &digits
            .iter()
            .flat_map(|d| [*d as u32, (*d >> 32) as u32])
            .collect::<Vec<_>>(),
    );
    x &= (BigUint::from(1u8) << bits) - 1u8;
    x.set_bit(bits - 1, true);
    x
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (lengths, runs) = example_args(std::env::args().skip(1), "256,4096,65536,1000000", "5")?;
    let n = Group::rsa2048().modulus().clone();
    let kernel = Mont2048::new(&n).ok_or("RSA-2048 fits the kernel")?;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let engine = if kernel.uses_simd() {
        "AVX-512 IFMA"
    } else {
        "portable"
    };
    println!("kernel engine: {engine}");
    println!(
        "exponent bits | num-bigint ms | portable ms | kernel ms | num-bigint ns/bit | \
         portable ns/bit | kernel ns/bit | kernel speed-up"
    );
    for &bits in &lengths {
        let base = random(&mut state, 2048) % &n;
        let e = random(&mut state, bits);
        let want = base.modpow(&e, &n);
        assert_eq!(want, kernel.pow(&base, &e), "kernel ≠ num-bigint");
        let portable = kernel.multi_pow_portable(&[(&base, &e)]);
        assert_eq!(want, portable, "portable ≠ num-bigint");
        let t = compare_ms(
            runs,
            &mut [
                &mut || {
                    std::hint::black_box(base.modpow(std::hint::black_box(&e), &n));
                },
                &mut || {
                    let e = std::hint::black_box(&e);
                    std::hint::black_box(kernel.multi_pow_portable(&[(&base, e)]));
                },
                &mut || {
                    std::hint::black_box(kernel.pow(&base, std::hint::black_box(&e)));
                },
            ],
        );
        let per_bit = |ms: f64| ms * 1e6 / bits as f64;
        println!(
            "{bits} | {:.3} | {:.3} | {:.3} | {:.0} | {:.0} | {:.0} | {:.2}x",
            t[0],
            t[1],
            t[2],
            per_bit(t[0]),
            per_bit(t[1]),
            per_bit(t[2]),
            t[0] / t[2]
        );
    }

    let params = MontyParams::new_vartime(
        Odd::new(U2048::from_be_slice(&pad(&n.to_bytes_be(), 256)))
            .into_option()
            .ok_or("odd")?,
    );
    println!("bases × 256-bit exponents | crypto-bigint ms | portable ms | kernel ms | speed-up");
    for k in [2usize, 3] {
        let bases: Vec<BigUint> = (0..k).map(|_| random(&mut state, 2048) % &n).collect();
        let exps: Vec<BigUint> = (0..k).map(|_| random(&mut state, 256)).collect();
        let terms: Vec<(&BigUint, &BigUint)> = bases.iter().zip(&exps).collect();
        let cb = || {
            let pairs: Vec<(MontyForm<{ U2048::LIMBS }>, U256)> = terms
                .iter()
                .map(|(b, e)| {
                    (
                        MontyForm::new(&U2048::from_be_slice(&pad(&b.to_bytes_be(), 256)), params),
                        U256::from_be_slice(&pad(&e.to_bytes_be(), 32)),
                    )
                })
                .collect();
            let out = match pairs.as_slice() {
                [a, b] => MontyForm::multi_exponentiate_bounded_exp(&[*a, *b], 256),
                [a, b, c] => MontyForm::multi_exponentiate_bounded_exp(&[*a, *b, *c], 256),
                _ => unreachable!("two or three bases"),
            };
            BigUint::from_bytes_be(&out.retrieve().to_be_bytes())
        };
        assert_eq!(cb(), kernel.multi_pow(&terms), "kernel ≠ crypto-bigint");
        assert_eq!(
            cb(),
            kernel.multi_pow_portable(&terms),
            "portable ≠ crypto-bigint"
        );
        let t = compare_ms(
            runs,
            &mut [
                &mut || {
                    std::hint::black_box(cb());
                },
                &mut || {
                    let terms = std::hint::black_box(&terms);
                    std::hint::black_box(kernel.multi_pow_portable(terms));
                },
                &mut || {
                    std::hint::black_box(kernel.multi_pow(std::hint::black_box(&terms)));
                },
            ],
        );
        println!(
            "{k} | {:.3} | {:.3} | {:.3} | {:.2}x",
            t[0],
            t[1],
            t[2],
            t[0] / t[2]
        );
    }
    Ok(())
}

fn pad(bytes: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len.saturating_sub(bytes.len())];
    out.extend_from_slice(&bytes[bytes.len().saturating_sub(len)..]);
    out
}
