//! `debye-scenarios`: the adversarial suite. Starts its own anvil (or, with `--embedded`, the
//! in-process EVM), runs each scenario against the real anchor contract with a byzantine
//! operator and a watcher, and prints each outcome (`--json`: an array of
//! `{name, passed, detail}`). Every scenario ends in L1 balance assertions. Exits non-zero when
//! a scenario fails.
//!
//! `cargo run -p debye-scenarios -- [--json] [--embedded] [NAME...]`

mod scenarios;
mod world;

use std::sync::Arc;

use debye_l1::{EmbeddedL1, L1, U256, anvil::Anvil};
use serde::Serialize;

/// One scenario's result.
#[derive(Debug, Serialize)]
struct Outcome {
    name: &'static str,
    passed: bool,
    detail: String,
    seconds: f64,
}

async fn run_all<L: L1 + Clone + 'static>(l1: L, only: &[String], json: bool) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (name, f) in scenarios::ALL {
        if !only.is_empty() && !only.iter().any(|o| o == name) {
            continue;
        }
        let t = std::time::Instant::now();
        let result = scenarios::run(*f, l1.clone()).await;
        let (passed, detail) = match result {
            Ok(d) => (true, d),
            Err(e) => (false, format!("{e:#}")),
        };
        let o = Outcome {
            name,
            passed,
            detail,
            seconds: t.elapsed().as_secs_f64(),
        };
        if !json {
            println!(
                "{} {:<28} {:>6.2}s  {}",
                if o.passed { "PASS" } else { "FAIL" },
                o.name,
                o.seconds,
                o.detail
            );
        }
        out.push(o);
    }
    out
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> eyre::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let embedded = args.iter().any(|a| a == "--embedded");
    let only: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .collect();
    let outcomes = if embedded {
        let l1 = Arc::new(EmbeddedL1::new());
        for a in debye_l1::anvil::dev_accounts() {
            l1.fund(a, U256::from(10_000u64) * U256::from(world::ETH));
        }
        run_all(l1, &only, json).await
    } else {
        let anvil = Anvil::spawn()?;
        let l1 = Arc::new(anvil.l1()?);
        run_all(l1, &only, json).await
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&outcomes)?);
    }
    if outcomes.iter().any(|o| !o.passed) || outcomes.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
