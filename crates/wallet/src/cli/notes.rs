//! `debye wallet notes`: the shielded notes the wallet holds or held, read from the store (no
//! passphrase).

use std::fmt;

use alloy_primitives::U256;
use serde::Serialize;

use super::context::Context;
use crate::{
    error::Result,
    shielded::{NoteStatus, WithheldAlert, format_amount},
    wallet::Wallet,
};

/// One note.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteLine {
    /// Leaf position.
    pub position: u64,
    /// Block that appended it.
    pub block: u64,
    /// Token field element (0 = ETH).
    pub token: U256,
    /// Amount in token units.
    pub amount: u64,
    /// The amount as people read it.
    pub display: String,
    /// Where it stands.
    pub status: NoteStatus,
    /// The committed block its stored exit path proves against.
    pub path_block: Option<u64>,
}

/// The notes.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotesOutput {
    /// Last block scanned.
    pub scanned_to: u64,
    /// Notes, oldest first.
    pub notes: Vec<NoteLine>,
    /// Own deposits not appended yet.
    pub expected: usize,
    /// The withheld-data alert, when raised (S-7.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld: Option<WithheldAlert>,
}

impl fmt::Display for NotesOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(a) = &self.withheld {
            writeln!(f, "ALERT: {}", a.message())?;
        }
        write!(f, "shielded notes (scanned to block {})", self.scanned_to)?;
        if self.notes.is_empty() {
            write!(
                f,
                "\n  none yet: receive a private payment to `debye wallet address --private`"
            )?;
        }
        for n in &self.notes {
            let status = n.status.describe();
            write!(
                f,
                "\n  #{} (block {}): {}, {status}",
                n.position, n.block, n.display
            )?;
            if let Some(b) = n.path_block {
                write!(f, ", exit path to block {b}")?;
            }
        }
        if self.expected > 0 {
            write!(f, "\n  {} deposit(s) waiting to be appended", self.expected)?;
        }
        Ok(())
    }
}

/// Runs `notes`.
pub fn run(ctx: &Context) -> Result<NotesOutput> {
    let s = Wallet::read_state(&ctx.dir)?.shielded;
    Ok(NotesOutput {
        scanned_to: s.scanned_to,
        notes: s
            .notes
            .iter()
            .map(|n| NoteLine {
                position: n.position,
                block: n.block,
                token: n.token,
                amount: n.amount,
                display: format_amount(&n.token, n.amount),
                status: n.status,
                path_block: n.path.as_ref().map(|p| p.block),
            })
            .collect(),
        expected: s.expected.len(),
        withheld: s.withheld.clone(),
    })
}
