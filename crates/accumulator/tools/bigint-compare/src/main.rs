//! 2048-bit modular exponentiation with a 256-bit exponent: num-bigint, crypto-bigint, ibig,
//! dashu-int on the same inputs (results cross-checked), plus crypto-bigint's simultaneous
//! multi-exponentiation. Times are this thread's CPU time (Linux schedstat).

use std::time::Instant;

use crypto_bigint::modular::{MontyForm, MontyParams};
use crypto_bigint::{MultiExponentiateBoundedExp, Odd, U256, U2048};
use num_bigint::BigUint;

const N: &str = concat!(
    "25195908475657893494027183240048398571429282126204032027777137836043662020707595556264018525",
    "88078440691829064124951508218929855914917618450280848912007284499268739280728777673597141834",
    "72702618963750149718246911650776133798590957000973304597488084284017974291006424586918171951",
    "18746121515172654632282216869987549182422433637259085141865462043576798423387184774447920739",
    "93423658482382428119816381501067481045166037730605620161967625613384414360383390441495263443",
    "21901146575444541784240209246165157233507787077498171257724679629263863563732899121548314381",
    "67899885040445364023527381951378636564391212010397122822120720357"
);

fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| Instant::now().elapsed().as_nanos() as u64)
}

fn bench<F: FnMut() -> usize>(name: &str, iters: u32, mut f: F) {
    for _ in 0..3 {
        std::hint::black_box(f());
    }
    let t = cpu_ns();
    let mut acc = 0usize;
    for _ in 0..iters {
        acc ^= f();
    }
    let ms = (cpu_ns() - t) as f64 / 1e6 / f64::from(iters);
    println!("{name:>28}: {ms:7.3} ms/op  ({acc})");
}

fn pad(b: &[u8], n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n - b.len()];
    v.extend_from_slice(b);
    v
}

fn main() {
    let n = BigUint::parse_bytes(N.as_bytes(), 10).expect("decimal");
    assert_eq!(n.bits(), 2048);
    let nb = n.to_bytes_be();
    let b1 = BigUint::from(3u32).pow(1290) % &n;
    let b2 = BigUint::from(5u32).pow(1000) % &n;
    let e1: BigUint = BigUint::from(7u32).pow(91) | (BigUint::from(1u32) << 255);
    let e2: BigUint = BigUint::from(11u32).pow(73);
    let reference = b1.modpow(&e1, &n);
    bench("num-bigint modpow", 200, || {
        b1.modpow(&e1, &n).bits() as usize
    });

    let params = MontyParams::new_vartime(Odd::new(U2048::from_be_slice(&nb)).expect("odd"));
    let m =
        |x: &BigUint| MontyForm::new(&U2048::from_be_slice(&pad(&x.to_bytes_be(), 256)), params);
    let e = |x: &BigUint| U256::from_be_slice(&pad(&x.to_bytes_be(), 32));
    let (m1, m2, x1, x2) = (m(&b1), m(&b2), e(&e1), e(&e2));
    assert_eq!(
        m1.pow_bounded_exp(&x1, 256)
            .retrieve()
            .to_be_bytes()
            .to_vec(),
        pad(&reference.to_bytes_be(), 256)
    );
    bench("crypto-bigint pow", 200, || {
        m1.pow_bounded_exp(&x1, 256).retrieve().as_words()[0] as usize
    });
    bench("crypto-bigint multi 2 bases", 200, || {
        MontyForm::multi_exponentiate_bounded_exp(&[(m1, x1), (m2, x2)], 256)
            .retrieve()
            .as_words()[0] as usize
    });
    bench("num-bigint 2 modpows", 200, || {
        ((b1.modpow(&e1, &n) * b2.modpow(&e2, &n)) % &n).bits() as usize
    });

    {
        use ibig::{UBig, modular::ModuloRing};
        let ring = ModuloRing::new(&UBig::from_be_bytes(&nb));
        let b = ring.from(UBig::from_be_bytes(&b1.to_bytes_be()));
        let x = UBig::from_be_bytes(&e1.to_bytes_be());
        assert_eq!(b.pow(&x).residue().to_be_bytes(), reference.to_bytes_be());
        bench("ibig pow", 200, || b.pow(&x).residue().bit_len());
    }
    {
        use dashu_int::{UBig, fast_div::ConstDivisor, modular::IntoRing};
        let ring = ConstDivisor::new(UBig::from_be_bytes(&nb));
        let b = UBig::from_be_bytes(&b1.to_bytes_be()).into_ring(&ring);
        let x = UBig::from_be_bytes(&e1.to_bytes_be());
        assert_eq!(
            b.pow(&x).residue().to_be_bytes().to_vec(),
            reference.to_bytes_be()
        );
        bench("dashu-int pow", 200, || {
            b.pow(&x).residue().to_be_bytes().len()
        });
    }
}
