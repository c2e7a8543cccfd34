//! `debye wallet swap offer|propose|cosign`: an atomic swap of two ranges between two wallets,
//! through files (docs/wallet.md §5).

use std::{fmt, path::PathBuf};

use alloy_primitives::B256;
use clap::{Args, Subcommand};
use debye_primitives::Segment;
use serde::Serialize;

use super::context::{Context, L1Args, parse_segment, read_json, write_json};
use crate::{
    error::Result,
    rpc::RpcSource,
    source::BlockSource,
    wallet::{SwapOffer, SwapProposal},
};

/// Options of `debye wallet swap`.
#[derive(Debug, Args)]
pub struct SwapArgs {
    /// The step.
    #[command(subcommand)]
    pub step: SwapStep,
}

/// Steps of an atomic swap.
#[derive(Debug, Subcommand)]
pub enum SwapStep {
    /// Counterparty: offer a range (inside one coin) and write the offer with its history.
    Offer(OfferArgs),
    /// Proposer: check the counterparty's offer, build the swap transaction, sign it.
    Propose(ProposeArgs),
    /// Counterparty: check the proposal against its own offer, co-sign, submit.
    Cosign(CosignArgs),
}

/// `swap offer`.
#[derive(Debug, Args)]
pub struct OfferArgs {
    /// The range given (`START..END`).
    #[arg(long, value_parser = parse_segment)]
    pub give: Segment,
    /// Offer file to write.
    #[arg(long)]
    pub out: PathBuf,
}

/// `swap propose`.
#[derive(Debug, Args)]
pub struct ProposeArgs {
    /// The range given in exchange (`START..END`).
    #[arg(long, value_parser = parse_segment)]
    pub give: Segment,
    /// The counterparty's offer file.
    #[arg(long)]
    pub offer: PathBuf,
    /// Last block the transaction may be included in.
    #[arg(long)]
    pub max_block: u64,
    /// Proposal file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Operator JSON-RPC endpoint (to check the offer's history).
    #[arg(long, env = "DEBYE_OPERATOR")]
    pub operator: String,
    /// L1 access.
    #[command(flatten)]
    pub l1: L1Args,
}

/// `swap cosign`.
#[derive(Debug, Args)]
pub struct CosignArgs {
    /// The proposal file.
    #[arg(long)]
    pub proposal: PathBuf,
    /// The offer this wallet made.
    #[arg(long)]
    pub offer: PathBuf,
    /// Operator JSON-RPC endpoint (checks the proposer's coins, then submits).
    #[arg(long, env = "DEBYE_OPERATOR")]
    pub operator: String,
    /// L1 access.
    #[command(flatten)]
    pub l1: L1Args,
}

/// What a swap step did.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum SwapOutput {
    /// An offer was written.
    Offered {
        /// The range offered.
        give: Segment,
        /// The offer file.
        out: PathBuf,
    },
    /// A signed proposal was written.
    Proposed {
        /// The proposal file.
        out: PathBuf,
    },
    /// The swap was co-signed and submitted.
    #[serde(rename_all = "camelCase")]
    Cosigned {
        /// The swap transaction's id.
        tx_id: B256,
    },
}

impl fmt::Display for SwapOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Offered { give, out } => {
                write!(f, "offer of {give} written to {}", out.display())
            }
            Self::Proposed { out } => {
                write!(f, "signed swap proposal written to {}", out.display())
            }
            Self::Cosigned { tx_id } => write!(f, "swap {tx_id} co-signed and submitted"),
        }
    }
}

/// Runs one swap step.
pub async fn run(ctx: &Context, args: SwapArgs) -> Result<SwapOutput> {
    match args.step {
        SwapStep::Offer(a) => {
            let (w, _) = ctx.unlock("the wallet")?;
            write_json(&a.out, &w.swap_offer(a.give)?)?;
            Ok(SwapOutput::Offered {
                give: a.give,
                out: a.out,
            })
        }
        SwapStep::Propose(a) => {
            let (mut w, _) = ctx.unlock("the wallet")?;
            let offer: SwapOffer = read_json(&a.offer)?;
            let client = a.l1.connect(&w)?;
            w.check_offer(&client, &RpcSource::connect(&a.operator)?, &offer)
                .await?;
            write_json(&a.out, &w.swap_propose(a.give, &offer, a.max_block)?)?;
            Ok(SwapOutput::Proposed { out: a.out })
        }
        SwapStep::Cosign(a) => {
            let (mut w, _) = ctx.unlock("the wallet")?;
            let proposal: SwapProposal = read_json(&a.proposal)?;
            let mine: SwapOffer = read_json(&a.offer)?;
            let client = a.l1.connect(&w)?;
            let source = RpcSource::connect(&a.operator)?;
            w.check_offer(&client, &source, &proposal.offer).await?;
            let signed = w.swap_cosign(&proposal, &mine)?;
            Ok(SwapOutput::Cosigned {
                tx_id: source.submit(signed).await?,
            })
        }
    }
}
