//! `scan_ciphertexts_per_s`: trial decryption of note ciphertexts that are not the wallet's
//! (the common case when scanning blocks, docs/shielded.md S-6.2), on one thread.
//!
//! `cargo run --release -p debye-zk --example scan_ciphertexts [count]` (the wallet's
//! `shielded::scan::Scanner::try_decrypt` is this call and an `Option` flatten).
//! Prints one JSON line per run and the median of three runs, by wall clock and by the process's
//! CPU time (on a loaded machine the CPU rate is what one otherwise idle core would reach), then
//! the cost of each step of a trial decryption: the X25519 key agreement alone and HKDF alone.

use std::time::Instant;

use debye_zk::{
    Fr,
    keys::Keys,
    note::{Note, NoteScanner, encrypt_note},
};

/// CPU seconds (user + system) this process used so far (Linux `/proc/self/stat`, 100 ticks per
/// second; 0 elsewhere).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let f: Vec<String> = s
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .map(String::from)
                .collect();
            Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / 100.0)
        })
        .unwrap_or(0.0)
}

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let keys = Keys::from_seed([1; 32]).expect("keys");
    let me = NoteScanner::new(keys.viewing(), keys.address().owner);
    let other = Keys::from_seed([2; 32]).expect("keys").address();
    let cts: Vec<Vec<u8>> = (0..count as u64)
        .map(|i| {
            let note = Note {
                owner: other.owner,
                token: Fr::from(0u64),
                amount: i + 1,
                randomness: Fr::from(i),
            };
            let mut eph = [0u8; 32];
            eph[..8].copy_from_slice(&i.to_le_bytes());
            eph[31] = 7;
            encrypt_note(&note, &other, eph).expect("encrypt")
        })
        .collect();
    let mut rates = Vec::new();
    let mut cpu_rates = Vec::new();
    for run in 0..3 {
        let cpu = cpu_seconds();
        let start = Instant::now();
        let mut found = 0usize;
        for ct in &cts {
            found += usize::from(matches!(me.try_decrypt(ct), Ok(Some(_))));
        }
        let secs = start.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu;
        let rate = count as f64 / secs;
        let cpu_rate = count as f64 / cpu.max(0.01);
        println!(
            "{{\"run\":{run},\"ciphertexts\":{count},\"found\":{found},\"seconds\":{secs:.4},\"cpuSeconds\":{cpu:.2},\"perSecond\":{rate:.0},\"perCpuSecond\":{cpu_rate:.0}}}"
        );
        rates.push(rate);
        cpu_rates.push(cpu_rate);
    }
    rates.sort_by(f64::total_cmp);
    cpu_rates.sort_by(f64::total_cmp);
    println!(
        "{{\"scan_ciphertexts_per_s_median\":{:.0},\"scan_ciphertexts_per_cpu_s_median\":{:.0}}}",
        rates[1], cpu_rates[1]
    );
    // The steps of one trial decryption, each over every ciphertext.
    let secret = x25519_dalek::StaticSecret::from([9u8; 32]);
    let cpu = cpu_seconds();
    let start = Instant::now();
    let mut acc = 0u8;
    for ct in &cts {
        let mut epk = [0u8; 32];
        epk.copy_from_slice(&ct[1..33]);
        acc ^= secret
            .diffie_hellman(&x25519_dalek::PublicKey::from(epk))
            .as_bytes()[0];
    }
    let dh_us = start.elapsed().as_secs_f64() * 1e6 / count as f64;
    let dh_cpu_us = (cpu_seconds() - cpu) * 1e6 / count as f64;
    let cpu = cpu_seconds();
    let start = Instant::now();
    for ct in &cts {
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(&ct[..64]), &ct[1..33]);
        let mut okm = [0u8; 34];
        hk.expand(b"debye/zk/v1/note-encryption", &mut okm)
            .expect("length");
        acc ^= okm[0];
    }
    let kdf_us = start.elapsed().as_secs_f64() * 1e6 / count as f64;
    let kdf_cpu_us = (cpu_seconds() - cpu) * 1e6 / count as f64;
    println!(
        "{{\"x25519_us\":{dh_us:.1},\"x25519_cpu_us\":{dh_cpu_us:.1},\"hkdf_us\":{kdf_us:.2},\"hkdf_cpu_us\":{kdf_cpu_us:.2},\"checksum\":{acc}}}"
    );
}
