//! `debye wallet receive`: accept coins handed over with their history, once the safety rule
//! holds for them (docs/wallet.md §1).

use std::{fmt, path::PathBuf};

use clap::Args;
use debye_primitives::Segment;
use serde::Serialize;

use super::context::{Context, L1Args, read_payment_or};
use crate::{error::Result, history::CoinHistory, rpc::RpcSource};

/// Options of `debye wallet receive`.
#[derive(Debug, Args)]
pub struct ReceiveArgs {
    /// Payment or history file (JSON).
    #[arg(long)]
    pub history: PathBuf,
    /// Operator JSON-RPC endpoint.
    #[arg(long, env = "DEBYE_OPERATOR")]
    pub operator: String,
    /// L1 access.
    #[command(flatten)]
    pub l1: L1Args,
}

/// The coins accepted.
#[derive(Clone, Debug, Serialize)]
pub struct ReceiveOutput {
    /// The ranges, one per coin.
    pub received: Vec<Segment>,
}

impl fmt::Display for ReceiveOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "verified and accepted {} range(s): {:?}",
            self.received.len(),
            self.received
        )
    }
}

/// Runs `receive`.
pub async fn run(ctx: &Context, args: ReceiveArgs) -> Result<ReceiveOutput> {
    let (mut w, _) = ctx.unlock("the wallet")?;
    let histories = read_payment_or(&args.history, |p| p.histories, |h: CoinHistory| vec![h])?;
    let client = args.l1.connect(&w)?;
    let source = RpcSource::connect(&args.operator)?;
    let mut received = Vec::new();
    for h in histories {
        received.extend(
            w.receive(&client, &source, h)
                .await?
                .into_iter()
                .map(|c| c.segment),
        );
    }
    Ok(ReceiveOutput { received })
}
