//! The benchmark commands' wiring and output format (not their figures: those are measured by
//! running the commands in release builds, never asserted).

use std::process::Command;

fn bench_json(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_debye"))
        .arg("bench")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "debye bench {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn accumulator_block_bench_reports_the_operator_cost() {
    let v = bench_json(&["accumulator", "--touched-slices", "40"]);
    assert!(v["touched_slices"].as_u64().unwrap() >= 40, "{v}");
    assert!(v["exponent_bits"].as_u64().unwrap() > 40 * 100, "{v}");
    // Times are present (thread CPU time, coarse for such a small block: only their presence is
    // checked here).
    for key in ["primes_ms", "value_ms", "proof_ms", "chain_verify_ms"] {
        assert!(v[key].as_f64().is_some_and(|ms| ms >= 0.0), "{key}: {v}");
    }
}

#[test]
fn history_bench_prints_one_object_per_span() {
    let v = bench_json(&["history", "--blocks", "3,20"]);
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    for (row, blocks) in rows.iter().zip([3u64, 20]) {
        assert_eq!(row["blocks"], blocks);
        // the plain scheme grows with the span, the accumulator proof does not
        assert_eq!(row["accumulator_bytes"], 1_856);
        assert!(row["plain_bytes"].as_u64().is_some_and(|b| b > 0), "{row}");
        for key in ["plain_verify_ms", "accumulator_verify_ms"] {
            assert!(
                row[key].as_f64().is_some_and(|ms| ms >= 0.0),
                "{key}: {row}"
            );
        }
    }
    assert!(rows[1]["plain_bytes"].as_u64() > rows[0]["plain_bytes"].as_u64());
}
