//! `debye wallet deposit`: ETH, or an ERC-20 (approve + deposit), from the wallet's L1 account.

use std::fmt;

use alloy_primitives::{Address, U256};
use clap::Args;
use debye_primitives::Segment;
use serde::Serialize;

use super::context::{Context, L1Args};
use crate::error::Result;

/// Options of `debye wallet deposit`.
#[derive(Debug, Args)]
pub struct DepositArgs {
    /// Amount in base units (wei for ETH).
    #[arg(long)]
    pub amount: U256,
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

/// Runs `deposit`.
pub async fn run(ctx: &Context, args: DepositArgs) -> Result<DepositOutput> {
    let (mut w, _) = ctx.unlock("the wallet")?;
    let client = args.l1.connect(&w)?;
    let coin = match args.token {
        None => w.deposit_eth(&client, args.amount).await?,
        Some(t) => w.deposit_token(&client, t, args.amount).await?,
    };
    Ok(DepositOutput {
        segment: coin.segment,
        token: coin.token(),
        block: coin.origin.block,
        amount: args.amount,
    })
}
