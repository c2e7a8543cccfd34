//! `debye wallet sync`: one round of [`crate::Wallet::guard`] (sync to the L1 tip, exits for coins put at
//! risk with `--auto-exit`, answers to challenge requests, cancels of others' exits of held
//! coins), or one every `--watch SECS` until killed (docs/wallet.md §6).

use std::fmt;

use clap::Args;
use serde::Serialize;

use super::context::{Context, L1Args, print_line};
use crate::{error::Result, exits::GuardReport, rpc::RpcSource};

/// Options of `debye wallet sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Operator JSON-RPC endpoint.
    #[arg(long, env = "DEBYE_OPERATOR")]
    pub operator: String,
    /// Start exits at once for coins the operator put at risk.
    #[arg(long)]
    pub auto_exit: bool,
    /// Keep watching: repeat every this many seconds (sync, exits when `--auto-exit`,
    /// answer challenge requests, cancel others' exits of the wallet's coins) until killed.
    #[arg(long)]
    pub watch: Option<u64>,
    /// L1 access.
    #[command(flatten)]
    pub l1: L1Args,
}

/// What one round did.
#[derive(Clone, Debug, Serialize)]
pub struct SyncOutput {
    /// The round's report.
    pub report: GuardReport,
}

impl fmt::Display for SyncOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.report;
        write!(
            f,
            "synced to block {}: {} received, {} spent",
            r.sync.synced_to,
            r.sync.received.len(),
            r.sync.spent.len()
        )?;
        if !r.sync.notes_received.is_empty() || !r.sync.notes_spent.is_empty() {
            write!(
                f,
                "; private notes: {} received, {} spent",
                r.sync.notes_received.len(),
                r.sync.notes_spent.len()
            )?;
        }
        for a in &r.sync.alerts {
            write!(f, "\nALERT {a}")?;
        }
        if !r.sync.exit_needed.is_empty() {
            write!(
                f,
                "\n{} coin(s) must exit: {}",
                r.sync.exit_needed.len(),
                if r.exits_started.is_empty() {
                    "run `debye wallet exit --start` (or sync with --auto-exit)"
                } else {
                    "exits started"
                }
            )?;
        }
        if r.challenges_answered + r.exits_cancelled > 0 {
            write!(
                f,
                "\n{} challenge request(s) answered, {} exit(s) of our coins cancelled",
                r.challenges_answered, r.exits_cancelled
            )?;
        }
        Ok(())
    }
}

/// Runs `sync`; with `--watch` prints each round (one compact JSON line per round with
/// `--json`) and never returns.
pub async fn run(ctx: &Context, args: SyncArgs) -> Result<SyncOutput> {
    let (mut w, pass) = ctx.unlock("the wallet")?;
    // Unlocks the shielded keys too, so each synced block's shielded section is scanned.
    w.shielded_keys(&pass)?;
    let client = args.l1.connect(&w)?;
    let source = RpcSource::connect(&args.operator)?;
    if let Some(secs) = args.watch {
        loop {
            let out = SyncOutput {
                report: w.guard(&client, &source, args.auto_exit).await?,
            };
            if ctx.json {
                print_line(serde_json::to_value(&out).unwrap_or_default());
            } else {
                print_line(&out);
            }
            // The CLI runs nothing else concurrently: a plain sleep between rounds.
            std::thread::sleep(std::time::Duration::from_secs(secs));
        }
    }
    Ok(SyncOutput {
        report: w.guard(&client, &source, args.auto_exit).await?,
    })
}
