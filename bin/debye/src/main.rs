//! The `debye` binary: argument parsing only; the work lives in the library crates.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use debye_wallet::cli::context::print_line;

/// Debye: a Plasma Prime layer-2 for Ethereum.
#[derive(Debug, Parser)]
#[command(name = "debye", version, about, long_about = None)]
struct Cli {
    /// On failure, print the error with where it arose and, under `RUST_BACKTRACE=1`, a
    /// backtrace (for reporting a bug); without it, one `error: …` line.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

/// Logging options of the long-running commands.
#[derive(Debug, clap::Args)]
struct LogArgs {
    /// Log lines on stderr as `text` or `json` (one object per line). Default: text, or json
    /// under `DEBYE_LOG_JSON=1`. Text is coloured only on a terminal and never under `NO_COLOR`.
    #[arg(long, env = "DEBYE_LOG_FORMAT", value_name = "text|json")]
    log_format: Option<debye_operator::LogFormat>,
}

impl LogArgs {
    /// Installs the log subscriber (the one place the binary does).
    fn init(&self) {
        debye_operator::init_logging(
            self.log_format
                .unwrap_or_else(debye_operator::LogFormat::from_env),
        );
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The whole story on the embedded EVM: deposits of ETH and an ERC-20, L2 transfers with
    /// history checks, an atomic swap, a fraudulent exit challenged for its bond, and an honest
    /// exit paid out after the challenge period. Exits non-zero if any step fails.
    ///
    /// Example: `debye demo` (narrative) or `debye demo --json` (one JSON object with every
    /// party's final L1 and L2 balances and the steps).
    #[command(alias = "devnet")]
    Demo {
        /// Print one JSON object instead of the narrative.
        #[arg(long)]
        json: bool,
    },
    /// Run the operator node: mempool, block production, L1 sync and the JSON-RPC API.
    ///
    /// Example: `debye operator --config operator.toml` (see docs/operator-guide.md).
    Operator {
        /// Configuration file (TOML); `DEBYE_*` environment variables override it.
        #[arg(long)]
        config: Option<std::path::PathBuf>,
        #[command(flatten)]
        log: LogArgs,
    },
    /// The user's wallet: keys, deposits, balances, payments, coin histories, exits, backups.
    ///
    /// Example: `debye wallet create`, then `debye wallet --help` for every command.
    Wallet(Box<debye_wallet::cli::WalletArgs>),
    /// Run a watcher: follow L1 and the operator, challenge invalid exits, report a byzantine
    /// operator (see docs/watcher.md).
    ///
    /// Example: `DEBYE_WATCHER_KEY=0x.. debye watcher --anchor 0x.. --guard 0:1000` (or
    /// `--key-file FILE`), or `--status` for one round and a JSON status.
    Watcher {
        #[command(flatten)]
        args: Box<debye_watcher::cli::WatcherArgs>,
        #[command(flatten)]
        log: LogArgs,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        which: BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Sustained accepted-and-blocked transfers per second of the operator (durable storage,
    /// signature checks, embedded L1).
    ///
    /// Example: `debye bench operator --txs 1000000 --json`.
    Operator {
        /// Transactions to submit.
        #[arg(long, default_value_t = 100_000)]
        txs: usize,
        /// Concurrent submitters (enough in flight to cover the block-build pause).
        #[arg(long, default_value_t = debye_operator::bench::DEFAULT_CONCURRENCY)]
        concurrency: usize,
        /// Submit over JSON-RPC (HTTP on loopback) instead of in-process.
        #[arg(long)]
        rpc: bool,
        /// Maintain the history accumulator (the rate is then paced by its worker).
        #[arg(long)]
        accumulator: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// The operator's cost of folding one block into the history accumulator: key primes, A_n,
    /// the chain proof and its verification, for a synthetic block of at least N touched slices.
    ///
    /// Example: `debye bench accumulator --touched-slices 10000 --json`.
    Accumulator {
        /// α/β keys (touched slices) the block accumulates, at least.
        #[arg(long, default_value_t = 10_000)]
        touched_slices: usize,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Groth16 JoinSplit proving: median prove and verify time, proof and key sizes, peak memory.
    ///
    /// Example: `debye bench prove --samples 9 --json`.
    Prove {
        /// Timed proofs (the median is reported).
        #[arg(long, default_value_t = 9)]
        samples: usize,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// History proofs for a range untouched over spans of blocks: plain sum-Merkle exclusion
    /// proofs against one RSA-accumulator exclusion proof.
    ///
    /// Example: `debye bench history --blocks 10,1000,100000,1000000 --json`.
    History {
        /// Span lengths in blocks, comma separated.
        #[arg(long, value_delimiter = ',', default_value = "10,1000,100000,1000000")]
        blocks: Vec<u64>,
        /// Print one JSON array.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbose = cli.verbose;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let result = match runtime {
        Ok(rt) => rt.block_on(run(cli.command)),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report_error(&e, verbose);
            ExitCode::FAILURE
        }
    }
}

/// Prints a failed command's error on stderr: `error: ` and its causes on one line; with
/// `--verbose`, eyre's full report (where it arose, and the backtrace under `RUST_BACKTRACE=1`).
fn report_error(e: &eyre::Report, verbose: bool) {
    if verbose {
        eprintln!("error: {e:?}");
    } else {
        eprintln!("error: {e:#}");
    }
}

async fn run(command: Command) -> eyre::Result<()> {
    match command {
        Command::Demo { json } => {
            let report = debye_devnet::run(|line| {
                if !json {
                    print_line(line);
                }
            })
            .await?;
            if json {
                print_line(serde_json::to_string_pretty(&report)?);
            }
        }
        Command::Bench {
            which: BenchCommand::Prove { samples, json },
        } => {
            let report = debye_zk::bench::bench_prove(samples)?;
            print_report(&report, json)?;
        }
        Command::Bench {
            which: BenchCommand::History { blocks, json },
        } => {
            let cfg = debye_accumulator::bench::HistoryConfig::default();
            let rows = debye_accumulator::bench::history(&blocks, &cfg)?;
            print_report(&rows, json)?;
        }
        Command::Bench {
            which:
                BenchCommand::Accumulator {
                    touched_slices,
                    json,
                },
        } => {
            let figures = debye_accumulator::bench::operator_block(touched_slices)?;
            print_report(&figures, json)?;
        }
        Command::Wallet(args) => {
            let code = debye_wallet::cli::run(*args).await;
            if code != 0 {
                std::process::exit(code);
            }
        }
        Command::Watcher { args, log } => {
            log.init();
            let status = debye_watcher::cli::run(*args).await?;
            print_line(serde_json::to_string_pretty(&status)?);
        }
        Command::Operator { config, log } => {
            log.init();
            let config = debye_operator::Config::load(config.as_deref())?;
            debye_operator::run_blocking(config)?;
        }
        Command::Bench {
            which:
                BenchCommand::Operator {
                    txs,
                    concurrency,
                    rpc,
                    accumulator,
                    json,
                },
        } => {
            let opts = debye_operator::bench::BenchOptions {
                txs,
                concurrency,
                rpc,
                accumulator,
                ..Default::default()
            };
            let report = debye_operator::bench::run_blocking(opts, move |line| {
                if !json {
                    eprintln!("{line}");
                }
            })?;
            print_report(&report, json)?;
        }
    }
    Ok(())
}

/// One line of JSON for scripts, or indented JSON for people.
fn print_report(report: &impl serde::Serialize, json: bool) -> eyre::Result<()> {
    print_line(if json {
        serde_json::to_string(report)?
    } else {
        serde_json::to_string_pretty(report)?
    });
    Ok(())
}
