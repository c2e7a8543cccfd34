//! `debye-operator`: the operator node alone (what `debye operator` runs), used by the crash
//! tests. Usage: `debye-operator [--config operator.toml]`.

use std::path::PathBuf;

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let mut config_path: Option<PathBuf> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--config" => config_path = args.next().map(PathBuf::from),
            other => {
                eprintln!("unknown argument {other}; usage: debye-operator [--config FILE]");
                return std::process::ExitCode::from(2);
            }
        }
    }
    debye_operator::init_logging(debye_operator::LogFormat::from_env());
    let result =
        debye_operator::Config::load(config_path.as_deref()).and_then(debye_operator::run_blocking);
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("debye-operator: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
