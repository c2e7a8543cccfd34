//! `debye wallet force`: force a transaction the operator censors on L1, or settle forced
//! transactions whose challenge period is over (docs/exit-game.md §12, docs/wallet.md §6).

use std::{fmt, path::PathBuf};

use clap::Args;
use debye_primitives::SignedTransaction;
use serde::Serialize;

use super::context::{Context, L1Args, read_payment_or};
use crate::{
    error::Result,
    forced::{ForcedOutcome, ForcedRecord},
};

/// Options of `debye wallet force`.
#[derive(Debug, Args)]
pub struct ForceArgs {
    /// The payment written by `send` (or a signed transaction, JSON) to force.
    #[arg(long, required_unless_present = "finalize")]
    pub tx: Option<PathBuf>,
    /// Settle matured forced transactions and report their outcome.
    #[arg(long)]
    pub finalize: bool,
    /// L1 access.
    #[command(flatten)]
    pub l1: L1Args,
}

/// What `force` did.
#[derive(Clone, Debug, Serialize)]
pub struct ForceOutput {
    /// The transaction forced now (`--tx`).
    pub forced: Option<ForcedRecord>,
    /// The forced transactions settled or still pending (`--finalize`).
    pub settled: Vec<ForcedOutcome>,
}

impl fmt::Display for ForceOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines = Vec::new();
        if let Some(r) = &self.forced {
            lines.push(format!(
                "forced tx {} as forced transaction {} (bond {} wei), signed on L1",
                r.tx_id, r.index, r.bond
            ));
            if !r.other_owners.is_empty() {
                lines.push(format!(
                    "other input owners must sign it on L1 before it matures: {:?}",
                    r.other_owners
                ));
            }
        }
        for o in &self.settled {
            let why = o.reason.as_ref().map(|r| format!(" ({r})"));
            lines.push(format!(
                "forced transaction {}: {}{}",
                o.record.index,
                o.status,
                why.unwrap_or_default()
            ));
        }
        write!(f, "{}", lines.join("\n"))
    }
}

/// Runs `force`.
pub async fn run(ctx: &Context, args: ForceArgs) -> Result<ForceOutput> {
    let (mut w, _) = ctx.unlock("the wallet")?;
    let client = args.l1.connect(&w)?;
    let mut out = ForceOutput {
        forced: None,
        settled: Vec::new(),
    };
    if let Some(path) = &args.tx {
        let signed = read_payment_or(path, |p| p.transaction, |t: SignedTransaction| t)?;
        out.forced = Some(w.force(&client, &signed).await?);
    }
    if args.finalize {
        out.settled = w.finalize_forced(&client).await?;
    }
    Ok(out)
}
