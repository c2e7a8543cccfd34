//! Compares 2048-bit modular exponentiation backends on the RSA-2048 modulus, in CPU time of this
//! thread (median of runs, each repeated for ≥ 100 ms, old and new alternately; release build):
//! `cargo run --release -p debye-accumulator --example modexp -- 256,4096,65536,1000000 5`.
//!
//! Rows: num-bigint `modpow` against the Montgomery kernel (`debye_accumulator::mont`), one base
//! and a random exponent of each length (top bit set); then the verifier's two- and three-base
//! products with 256-bit exponents, crypto-bigint's `multi_exponentiate_bounded_exp` against the
//! kernel's shared-squaring `multi_pow`. Every result is cross-checked.

use crypto_bigint::modular::{MontyForm, MontyParams};
use crypto_bigint::{MultiExponentiateBoundedExp, Odd, U256, U2048};
use debye_accumulator::Group;
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
fn once_ms(f: &mut impl FnMut()) -> f64 {
    let t = thread_cpu_ns();
    let mut reps = 0u32;
    while reps == 0 || thread_cpu_ns() - t < 100_000_000 {
        f();
        reps += 1;
    }
    (thread_cpu_ns() - t) as f64 / 1e6 / f64::from(reps)
}

/// Medians over `runs` of the CPU ms of one call of `old` and of `new`, the two measured
/// alternately so that both see the same load on a shared machine.
fn compare_ms(runs: usize, mut old: impl FnMut(), mut new: impl FnMut()) -> (f64, f64) {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        xs.push(once_ms(&mut old));
        ys.push(once_ms(&mut new));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(xs), median(ys))
}

fn random(state: &mut u64, bits: u64) -> BigUint {
    let mut digits = Vec::new();
    for _ in 0..bits.div_ceil(64) {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        digits.push(*state);
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
    let mut args = std::env::args().skip(1);
    let lengths: Vec<u64> = args
        .next()
        .unwrap_or_else(|| "256,4096,65536,1000000".into())
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let runs: usize = args.next().unwrap_or_else(|| "5".into()).parse()?;
    let n = Group::rsa2048().modulus().clone();
    let kernel = Mont2048::new(&n).ok_or("RSA-2048 fits the kernel")?;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    println!(
        "exponent bits | num-bigint ms | kernel ms | num-bigint ns/bit | kernel ns/bit | speed-up"
    );
    for &bits in &lengths {
        let base = random(&mut state, 2048) % &n;
        let e = random(&mut state, bits);
        assert_eq!(
            base.modpow(&e, &n),
            kernel.pow(&base, &e),
            "kernel ≠ num-bigint"
        );
        let (old, new) = compare_ms(
            runs,
            || {
                std::hint::black_box(base.modpow(std::hint::black_box(&e), &n));
            },
            || {
                std::hint::black_box(kernel.pow(&base, std::hint::black_box(&e)));
            },
        );
        println!(
            "{bits} | {old:.3} | {new:.3} | {:.0} | {:.0} | {:.2}x",
            old * 1e6 / bits as f64,
            new * 1e6 / bits as f64,
            old / new
        );
    }

    let params = MontyParams::new_vartime(
        Odd::new(U2048::from_be_slice(&pad(&n.to_bytes_be(), 256)))
            .into_option()
            .ok_or("odd")?,
    );
    println!("bases × 256-bit exponents | crypto-bigint ms | kernel multi_pow ms | speed-up");
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
        let (old, new) = compare_ms(
            runs,
            || {
                std::hint::black_box(cb());
            },
            || {
                std::hint::black_box(kernel.multi_pow(std::hint::black_box(&terms)));
            },
        );
        println!("{k} | {old:.3} | {new:.3} | {:.2}x", old / new);
    }
    Ok(())
}

fn pad(bytes: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len.saturating_sub(bytes.len())];
    out.extend_from_slice(&bytes[bytes.len().saturating_sub(len)..]);
    out
}
