//! Criterion benchmarks of the accumulator's hot paths (small sizes; the span and operator
//! figures come from `debye_accumulator::bench`).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use debye_accumulator::bench::bench_coin;
use debye_accumulator::prime::challenge_prime;
use debye_accumulator::{
    ChainProof, ExclusionProof, Geometry, Group, Key, Slice, block_factors, exclusion_factors,
};
use num_bigint::BigUint;

fn benches(c: &mut Criterion) {
    let g = Group::rsa2048();
    let geo = Geometry::EXACT;
    let coin = bench_coin().expect("coin");

    c.bench_function("slice_prime_level160", |b| {
        let s = geo.decompose(&coin)[0];
        b.iter(|| Key::beta(black_box(s)).prime())
    });
    c.bench_function("challenge_prime_256", |b| {
        b.iter(|| challenge_prime(black_box(&[7u8; 32])))
    });
    // Group::pow is the Montgomery kernel (debye_accumulator::mont); the num-bigint rows are the
    // former backend, for the per-bit comparison (CPU-time figures: examples/modexp.rs)
    c.bench_function("modexp_2048_256", |b| {
        let e = challenge_prime(&[9u8; 32]);
        b.iter(|| g.pow(g.generator(), black_box(&e)))
    });
    c.bench_function("modexp_2048_256_num_bigint", |b| {
        let e = challenge_prime(&[9u8; 32]);
        let base = g.generator().as_biguint();
        b.iter(|| base.modpow(black_box(&e), g.modulus()))
    });
    let long = (BigUint::from(1u8) << 65_536u32) - 1u8 - (BigUint::from(1u8) << 40_000u32);
    c.bench_function("modexp_2048_65536", |b| {
        b.iter(|| g.pow(g.generator(), black_box(&long)))
    });
    c.bench_function("modexp_2048_65536_num_bigint", |b| {
        let base = g.generator().as_biguint();
        b.iter(|| base.modpow(black_box(&long), g.modulus()))
    });

    let x = exclusion_factors(&geo, &coin).expect("primes");
    let a = g.pow(g.generator(), &BigUint::from(65_537u32));
    let d = block_factors(
        &geo,
        &[debye_accumulator::CoinRange::in_token(3, 0, None).expect("r")],
    )
    .expect("primes")
    .product();
    let bv = g.pow(&a, &d);
    let proof = ExclusionProof::prove(g, &a, &bv, &d, &x).expect("untouched");
    c.bench_function("exclusion_verify", |b| {
        b.iter(|| proof.verify(g, &a, &bv, black_box(&x)))
    });

    let block = block_factors(&geo, &[Slice::ROOT.range()]).expect("primes");
    let (next, chain) = ChainProof::prove(g, &a, &block);
    c.bench_function("chain_verify", |b| {
        b.iter(|| chain.verify(g, &a, black_box(&block), &next))
    });
}

criterion_group! {
    name = accumulator;
    config = Criterion::default().sample_size(10);
    targets = benches
}
criterion_main!(accumulator);
