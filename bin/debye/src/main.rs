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
    /// Run a local chain on the embedded EVM: deploy the anchor, deposit ETH and an ERC-20,
    /// transfer on L2, commit blocks to L1, and print what happened.
    ///
    /// Example: `debye devnet` (narrative) or `debye devnet --json` (one JSON object).
    Devnet {
        /// Print one JSON object instead of the narrative.
        #[arg(long)]
        json: bool,
    },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> eyre::Result<()> {
    match Cli::parse().command {
        Command::Devnet { json } => {
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
    }
    Ok(())
}
