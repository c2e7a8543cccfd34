//! Runs the whole adversarial suite on the embedded EVM through the binary's `--json` output.
#![allow(clippy::unwrap_used, missing_docs)]

use std::process::Command;

#[test]
fn every_scenario_passes_on_the_embedded_evm() {
    let out = Command::new(env!("CARGO_BIN_EXE_debye-scenarios"))
        .args(["--embedded", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert!(list.len() >= 12, "{v}");
    for o in list {
        assert!(o["name"].is_string());
        assert!(o["detail"].is_string());
        assert_eq!(o["passed"], true, "{o}");
    }
    assert!(out.status.success());
}
