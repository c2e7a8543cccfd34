//! The `debye` binary: argument parsing only; the work lives in the library crates.

use clap::{Parser, Subcommand};

/// Debye: a Plasma Prime layer-2 for Ethereum.
#[derive(Debug, Parser)]
#[command(name = "debye", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    },
    /// The user's wallet: keys, deposits, balances, payments, coin histories, exits, backups.
    ///
    /// Example: `debye wallet create`, then `debye wallet --help` for every command.
    Wallet(Box<debye_wallet::cli::WalletArgs>),
    /// Run a watcher: follow L1 and the operator, challenge invalid exits, report a byzantine
    /// operator (see docs/watcher.md).
    ///
    /// Example: `debye watcher --anchor 0x.. --key 0x.. --guard 0:1000` or `--status` for one
    /// round and a JSON status.
    Watcher(Box<debye_watcher::cli::WatcherArgs>),
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

#[tokio::main(flavor = "current_thread")]
async fn main() -> eyre::Result<()> {
    match Cli::parse().command {
        Command::Demo { json } => {
            let report = debye_devnet::run(|line| {
                if !json {
                    println!("{line}");
                }
            })
            .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
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
        Command::Watcher(args) => {
            debye_operator::init_logging(false);
            debye_watcher::cli::run(*args).await?;
        }
        Command::Operator { config } => {
            debye_operator::init_logging(false);
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
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
        }
    }
    Ok(())
}

/// One line of JSON for scripts, or indented JSON for people.
fn print_report(report: &impl serde::Serialize, json: bool) -> eyre::Result<()> {
    if json {
        println!("{}", serde_json::to_string(report)?);
    } else {
        println!("{}", serde_json::to_string_pretty(report)?);
    }
    Ok(())
}
