//! `debye wallet balance`: spendable / being spent / exiting per token, read from the store (no
//! passphrase).

use std::fmt;

use alloy_primitives::{Address, U256};
use serde::Serialize;

use super::context::Context;
use crate::{
    error::Result,
    shielded::{WithheldAlert, format_amount},
    wallet::Wallet,
};

/// One token's shielded balance.
#[derive(Clone, Debug, Serialize)]
pub struct PrivateBalance {
    /// Token field element (0 = ETH).
    pub token: U256,
    /// Unspent, in token units (gwei for ETH).
    pub unspent: u64,
    /// In a transfer the wallet built, not yet in a block.
    pub pending: u64,
    /// In notes whose exit is proven or started (S-5.5).
    pub exiting: u64,
}

/// One token's balances.
#[derive(Clone, Debug, Serialize)]
pub struct TokenBalance {
    /// Token id (0 = ETH).
    pub token: u32,
    /// Owned and spendable.
    pub spendable: U256,
    /// Being spent by a transaction the wallet signed.
    pub pending: U256,
    /// Being exited on L1.
    pub exiting: U256,
}

/// The wallet's balances.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceOutput {
    /// The wallet's address.
    pub address: Address,
    /// Last block synced.
    pub synced_to: u64,
    /// Per token.
    pub balances: Vec<TokenBalance>,
    /// Shielded notes per token (scanned to `privateScannedTo`).
    pub private: Vec<PrivateBalance>,
    /// Last block scanned for shielded notes.
    pub private_scanned_to: u64,
    /// The withheld-data alert, when raised (S-7.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_withheld: Option<WithheldAlert>,
    /// Whether the wallet holds no coin at all (the text then says how to get some).
    #[serde(skip)]
    pub empty: bool,
}

impl fmt::Display for BalanceOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (synced to block {})", self.address, self.synced_to)?;
        for b in &self.balances {
            write!(
                f,
                "\n  token {}: {} spendable, {} being spent, {} exiting",
                b.token, b.spendable, b.pending, b.exiting
            )?;
        }
        for b in &self.private {
            write!(
                f,
                "\n  private {}: {} unspent, {} pending, {} exiting",
                if b.token.is_zero() {
                    "ETH".to_owned()
                } else {
                    format!("token {:#x}", b.token)
                },
                format_amount(&b.token, b.unspent),
                format_amount(&b.token, b.pending),
                format_amount(&b.token, b.exiting)
            )?;
        }
        if let Some(a) = &self.private_withheld {
            write!(f, "\n  ALERT: {}", a.message())?;
        }
        if self.empty && self.private.is_empty() {
            write!(f, "\n  no coins yet: deposit with `debye wallet deposit`")?;
        }
        Ok(())
    }
}

/// Runs `balance`.
pub fn run(ctx: &Context) -> Result<BalanceOutput> {
    let s = Wallet::read_state(&ctx.dir)?;
    let balances = s
        .balances()
        .into_iter()
        .map(|(token, (spendable, pending, exiting))| TokenBalance {
            token,
            spendable,
            pending,
            exiting,
        })
        .collect();
    Ok(BalanceOutput {
        address: s.address,
        synced_to: s.synced_to,
        balances,
        private: {
            let exiting = s.shielded.exiting();
            let mut tokens: Vec<U256> = s.shielded.balances().keys().copied().collect();
            tokens.extend(exiting.keys());
            tokens.sort();
            tokens.dedup();
            let bal = s.shielded.balances();
            tokens
                .into_iter()
                .map(|token| {
                    let (unspent, pending) = bal.get(&token).copied().unwrap_or_default();
                    PrivateBalance {
                        token,
                        unspent,
                        pending,
                        exiting: exiting.get(&token).copied().unwrap_or_default(),
                    }
                })
                .collect()
        },
        private_scanned_to: s.shielded.scanned_to,
        private_withheld: s.shielded.withheld.clone(),
        empty: s.coins.is_empty(),
    })
}
