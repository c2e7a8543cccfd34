//! The command line's manners (issue 18, "Logs and errors"): logs without colour codes off a
//! terminal, `--log-format` on the long-running commands, a clean stop logged without a warning,
//! user errors on one line, a closed pipe ending a command quietly, and no secret on the command
//! line or in `--help`.

use std::{
    path::Path,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

fn debye() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_debye"));
    // The tests decide the log settings themselves.
    for var in [
        "NO_COLOR",
        "RUST_LOG",
        "RUST_BACKTRACE",
        "DEBYE_LOG_FORMAT",
        "DEBYE_LOG_JSON",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Starts `debye operator` on the embedded L1 (ports of its own choosing) with stderr in `log`,
/// waits until it is running, stops it with `signal` (`INT` or `TERM`) and returns its exit
/// status and log.
fn operator_until_signal(
    configure: impl FnOnce(&mut Command),
    signal: &str,
) -> (std::process::ExitStatus, String) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("operator.log");
    let mut cmd = debye();
    cmd.arg("operator")
        .env("DEBYE_DATA_DIR", dir.path().join("data"))
        .env("DEBYE_RPC_ADDR", "127.0.0.1:0")
        .env("DEBYE_METRICS_ADDR", "127.0.0.1:0")
        .env("DEBYE_L1", "embedded")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    configure(&mut cmd);
    let mut child = cmd.spawn().unwrap();
    wait_running(&mut child, &log);
    let kill = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    (status, std::fs::read_to_string(&log).unwrap())
}

fn wait_running(child: &mut Child, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains("operator running") {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the operator exited with {status}: {text}");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the operator did not start within 60 s: {text}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every line of `log` as JSON (panics on a line that is not).
fn json_lines(log: &str) -> Vec<serde_json::Value> {
    log.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}\n{log}")))
        .collect()
}

#[test]
fn operator_logs_to_a_file_carry_no_colour_and_a_clean_stop_warns_nothing() {
    let (status, log) = operator_until_signal(|_| {}, "INT");
    assert!(status.success(), "{status}: {log}");
    assert!(!log.contains('\x1b'), "colour codes in a log file:\n{log}");
    assert!(log.contains("stopped"), "{log}");
    for level in [" WARN ", " ERROR "] {
        assert!(!log.contains(level), "a clean stop logged{level}:\n{log}");
    }
}

#[test]
fn operator_logs_json_with_log_format_and_a_clean_stop_warns_nothing() {
    let (status, log) = operator_until_signal(
        |cmd| {
            cmd.args(["--log-format", "json"]);
        },
        "TERM",
    );
    assert!(status.success(), "{status}: {log}");
    let lines = json_lines(&log);
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "stopped"),
        "{log}"
    );
    for l in &lines {
        assert!(
            l["level"] == "INFO" || l["level"] == "DEBUG" || l["level"] == "TRACE",
            "a clean stop logged {l}"
        );
    }
}

#[test]
fn log_format_comes_from_the_environment_and_debye_log_json_still_works() {
    for (var, value) in [("DEBYE_LOG_FORMAT", "json"), ("DEBYE_LOG_JSON", "1")] {
        let (status, log) = operator_until_signal(
            |cmd| {
                cmd.env(var, value);
            },
            "TERM",
        );
        assert!(status.success(), "{var}={value}: {status}: {log}");
        assert!(!json_lines(&log).is_empty(), "{var}={value}: {log}");
    }
}

#[test]
fn every_long_running_command_offers_log_format() {
    for command in ["operator", "watcher"] {
        let out = debye().args([command, "--help"]).output().unwrap();
        assert!(out.status.success());
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            help.contains("--log-format"),
            "debye {command} --help:\n{help}"
        );
    }
}

#[test]
fn a_user_error_is_one_line_without_location_or_backtrace() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("operator.toml");
    let run = |verbose: bool| -> Output {
        let mut cmd = debye();
        if verbose {
            cmd.arg("--verbose");
        }
        cmd.arg("operator")
            .arg("--config")
            .arg(&missing)
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap()
    };
    let out = run(false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("operator.toml"), "{stderr}");
    for noise in ["Location", "main.rs", "backtrace"] {
        assert!(!stderr.contains(noise), "{noise} in:\n{stderr}");
    }
    // `--verbose` keeps the details for a bug report.
    let out = run(true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("Location"), "{stderr}");
}

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pass");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    let wallet = dir.path().join("wallet");
    let commands: [Vec<&str>; 2] = [
        vec!["bench", "accumulator", "--touched-slices", "1", "--json"],
        vec![
            "wallet",
            "--wallet",
            wallet.to_str().unwrap(),
            "--passphrase-file",
            pass.to_str().unwrap(),
            "--json",
            "create",
            "--kdf",
            "light",
        ],
    ];
    for args in commands {
        // A pipe whose reading end is closed before the command writes (`| head` that is done).
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = debye()
            .args(&args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "debye {args:?}: {stderr}");
        assert!(stderr.is_empty(), "debye {args:?} wrote:\n{stderr}");
    }
}

#[test]
fn the_watcher_key_comes_only_from_a_file_or_the_environment() {
    let secret = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    let out = debye()
        .args(["watcher", "--help"])
        .env("DEBYE_WATCHER_KEY", secret)
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(!help.contains(&secret[2..]), "the key in --help:\n{help}");
    assert!(
        !help.contains("--key <"),
        "a key argument in --help:\n{help}"
    );
    assert!(help.contains("--key-file"), "{help}");
    // The key is not accepted on the command line, where the process list shows it.
    let out = debye()
        .args([
            "watcher",
            "--anchor",
            "0x0000000000000000000000000000000000000000",
            "--key",
            secret,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
