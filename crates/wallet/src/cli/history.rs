//! `debye wallet history`: the activity log (deposits, payments, swaps, exits, alerts), read
//! from the store (no passphrase).

use std::fmt;

use serde::Serialize;

use super::context::Context;
use crate::{error::Result, records::Activity, wallet::Wallet};

/// The activity log, oldest first.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryOutput {
    /// What happened.
    pub activity: Vec<Activity>,
}

impl fmt::Display for HistoryOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.activity.is_empty() {
            return write!(f, "nothing yet");
        }
        let lines: Vec<String> = self
            .activity
            .iter()
            .map(|a| serde_json::to_string(a).unwrap_or_default())
            .collect();
        write!(f, "{}", lines.join("\n"))
    }
}

/// Runs `history`.
pub fn run(ctx: &Context) -> Result<HistoryOutput> {
    Ok(HistoryOutput {
        activity: Wallet::read_state(&ctx.dir)?.activity,
    })
}
