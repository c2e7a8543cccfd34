//! `debye wallet deposit`: ETH, or an ERC-20 (approve + deposit), from the wallet's L1 account.

use std::fmt;

use alloy_primitives::{Address, U256};
use clap::Args;
use debye_primitives::Segment;
use serde::Serialize;

use debye_l1::pool::ShieldedPoolClient;

use super::context::{Context, L1Args};
use crate::{
    error::{Error, Result},
    shielded::{format_amount, parse_amount},
};

/// Options of `debye wallet deposit`.
#[derive(Debug, Args)]
pub struct DepositArgs {
    /// Amount in base units (wei for ETH); with `--private`, in whole token units
    /// (docs/shielded.md S-5.2: gwei for ETH, or a decimal ETH amount written `2ETH`; the
    /// listed unit for an ERC-20).
    #[arg(long)]
    pub amount: String,
    /// Deposit into the shielded pool as a note for this wallet's own private address.
    #[arg(long)]
    pub private: bool,
    /// ERC-20 token address (ETH when omitted).
    #[arg(long)]
    pub token: Option<Address>,
    /// L1 access.
    #[command(flatten)]
    pub l1: L1Args,
}

/// The coins a deposit created.
#[derive(Clone, Debug, Serialize)]
pub struct DepositOutput {
    /// The coins.
    pub segment: Segment,
    /// Their token id.
    pub token: u32,
    /// The first child block they can move in.
    pub block: u64,
    /// The amount deposited.
    #[serde(skip)]
    pub amount: U256,
}

impl fmt::Display for DepositOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "deposited {} of token {} as coins {} (spendable from block {})",
            self.amount, self.token, self.segment, self.block
        )
    }
}

/// A private deposit queued in the pool.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateDepositOutput {
    /// Token field element (0 = ETH).
    pub token: U256,
    /// Amount in token units.
    pub amount: u64,
    /// The note's commitment (L1 computed the same).
    pub commitment: U256,
    /// Index in the pool's deposit queue.
    pub index: u32,
    /// Base units moved (wei for ETH).
    pub base_units: U256,
}

impl fmt::Display for PrivateDepositOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "deposited {} into the shielded pool (deposit {}); the note is spendable once `debye wallet sync` sees the block that appends it",
            format_amount(&self.token, self.amount),
            self.index
        )
    }
}

/// Either kind of deposit.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum DepositResult {
    /// Coins on the transparent chain.
    Transparent(DepositOutput),
    /// A shielded note.
    Private(PrivateDepositOutput),
}

impl fmt::Display for DepositResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transparent(o) => o.fmt(f),
            Self::Private(o) => o.fmt(f),
        }
    }
}

/// A private deposit's amount in token units: an integer number of units (gwei for ETH), or
/// for ETH a decimal amount with an `ETH` suffix.
fn private_units(token: &U256, s: &str) -> Result<u64> {
    let t = s.trim();
    if token.is_zero() && (t.ends_with("ETH") || t.ends_with("eth") || t.ends_with("gwei")) {
        return parse_amount(token, t);
    }
    match t.parse::<u64>() {
        Ok(0) | Err(_) => Err(Error::InvalidAmount(format!(
            "{s:?}: a private deposit is a whole number of token units (gwei for ETH, or e.g. 1.5ETH)"
        ))),
        Ok(v) => Ok(v),
    }
}

/// Runs `deposit`.
pub async fn run(ctx: &Context, args: DepositArgs) -> Result<DepositResult> {
    let (mut w, pass) = ctx.unlock("the wallet")?;
    let client = args.l1.connect(&w)?;
    if args.private {
        let field = args
            .token
            .map_or(U256::ZERO, |a| U256::from_be_slice(a.as_slice()));
        let amount = private_units(&field, &args.amount)?;
        let keys = w.shielded_keys(&pass)?;
        let pool = ShieldedPoolClient::at(client.l1(), client.shielded_pool().await?);
        let sent = w.deposit_private(&pool, &keys, args.token, amount).await?;
        return Ok(DepositResult::Private(PrivateDepositOutput {
            token: field,
            amount,
            commitment: sent.deposit.commitment,
            index: sent.index,
            base_units: sent.base_units,
        }));
    }
    let amount: U256 = args.amount.parse().map_err(|_| {
        Error::InvalidAmount(format!("{:?}: not a number of base units", args.amount))
    })?;
    let coin = match args.token {
        None => w.deposit_eth(&client, amount).await?,
        Some(t) => w.deposit_token(&client, t, amount).await?,
    };
    Ok(DepositResult::Transparent(DepositOutput {
        segment: coin.segment,
        token: coin.token(),
        block: coin.origin.block,
        amount,
    }))
}
