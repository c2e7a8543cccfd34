//! `scan_ciphertexts_per_s`: trial decryption of note ciphertexts that are not the wallet's
//! (the common case when scanning blocks, docs/shielded.md S-6.2), on one thread.
//!
//! `cargo run --release -p debye-zk --example scan_ciphertexts [count]` (the wallet's
//! `shielded::scan::Scanner::try_decrypt` is this call and an `Option` flatten).
//! Prints one JSON line per run and the median of three runs.

use std::time::Instant;

use debye_zk::{
    Fr,
    keys::Keys,
    note::{Note, NoteScanner, encrypt_note},
};

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
    for run in 0..3 {
        let start = Instant::now();
        let mut found = 0usize;
        for ct in &cts {
            found += usize::from(matches!(me.try_decrypt(ct), Ok(Some(_))));
        }
        let secs = start.elapsed().as_secs_f64();
        let rate = count as f64 / secs;
        println!(
            "{{\"run\":{run},\"ciphertexts\":{count},\"found\":{found},\"seconds\":{secs:.4},\"perSecond\":{rate:.0}}}"
        );
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    println!("{{\"scan_ciphertexts_per_s_median\":{:.0}}}", rates[1]);
}
