//! `debye wallet send`: sign a payment offline, write it with the recipient's histories, and
//! submit it when an operator is given (docs/wallet.md §5).

use std::{fmt, path::PathBuf};

use alloy_primitives::{Address, B256, U256};
use clap::Args;
use debye_primitives::Segment;
use serde::Serialize;

use super::context::{Context, write_json};
use crate::{
    error::{Error, Result},
    rpc::RpcSource,
};

impl From<SendOutput> for SendResult {
    fn from(o: SendOutput) -> Self {
        Self::Transparent(o)
    }
}

/// Options of `debye wallet send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// A private payment: `--private dbs1… AMOUNT` (ETH as "0.5" or "500gwei", other tokens in
    /// units). Proves a JoinSplit on this machine and submits the entry to `--operator`
    /// (`debye_submitShielded`); with `--out FILE` only writes it there.
    #[arg(long, num_args = 2, value_names = ["DBS_ADDRESS", "AMOUNT"], conflicts_with_all = ["to", "amount", "max_block", "compress"])]
    pub private: Option<Vec<String>>,
    /// L1 chain id (private payments: bound in the signed external data).
    #[arg(long, requires = "private")]
    pub chain_id: Option<u64>,
    /// The ShieldedPool contract (private payments: the external data's anchor).
    #[arg(long, requires = "private")]
    pub pool: Option<Address>,
    /// ERC-20 address of a private payment's token (default ETH).
    #[arg(long, requires = "private")]
    pub private_token: Option<Address>,
    /// Recipient.
    #[arg(long, required_unless_present = "private")]
    pub to: Option<Address>,
    /// Amount in base units.
    #[arg(long, required_unless_present = "private")]
    pub amount: Option<U256>,
    /// Token id (0 = ETH).
    #[arg(long, default_value_t = 0)]
    pub token: u32,
    /// Last block the transaction may be included in.
    #[arg(long, required_unless_present = "private")]
    pub max_block: Option<u64>,
    /// Where to write the payment (transaction + histories, JSON) for the recipient; with
    /// `--private`, write the entry there instead of submitting it.
    #[arg(long, required_unless_present = "private")]
    pub out: Option<PathBuf>,
    /// Operator JSON-RPC endpoint: submit the transaction there.
    #[arg(long, env = "DEBYE_OPERATOR")]
    pub operator: Option<String>,
    /// Replace the blocks in which the paid coins did not move by one accumulator proof
    /// from the operator (needs `--operator`; the recipient then relies on a watcher having
    /// checked the accumulator, docs/accumulator.md §13.4).
    #[arg(long, requires = "operator")]
    pub compress: bool,
}

/// A payment signed (and maybe submitted).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendOutput {
    /// The transaction id.
    pub tx_id: B256,
    /// The coins paid.
    pub paid: Vec<Segment>,
    /// The payment file.
    pub out: PathBuf,
    /// Whether the operator accepted it.
    pub submitted: bool,
    /// Block entries of the histories replaced by accumulator spans (`--compress`).
    pub blocks_replaced_by_spans: usize,
    /// The amount paid.
    #[serde(skip)]
    pub amount: U256,
    /// The recipient.
    #[serde(skip)]
    pub to: Address,
}

impl fmt::Display for SendOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "signed tx {} paying {} to {}{}; hand {} to the recipient",
            self.tx_id,
            self.amount,
            self.to,
            if self.submitted { ", submitted" } else { "" },
            self.out.display()
        )
    }
}

/// Either kind of payment.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum SendResult {
    /// A transparent payment.
    Transparent(SendOutput),
    /// A private payment.
    Private(super::send_private::PrivateSendOutput),
}

impl fmt::Display for SendResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transparent(o) => o.fmt(f),
            Self::Private(o) => o.fmt(f),
        }
    }
}

/// Runs `send`.
pub async fn run(ctx: &Context, args: SendArgs) -> Result<SendResult> {
    if let Some(private) = args.private {
        let args = super::send_private::PrivateSendArgs {
            private,
            chain_id: args.chain_id,
            pool: args.pool,
            token: args.private_token,
            out: args.out,
            operator: args.operator,
        };
        return super::send_private::run(ctx, args)
            .await
            .map(SendResult::Private);
    }
    let missing = |what: &str| Error::InvalidAmount(format!("--{what} is required"));
    let to = args.to.ok_or_else(|| missing("to"))?;
    let amount = args.amount.ok_or_else(|| missing("amount"))?;
    let max_block = args.max_block.ok_or_else(|| missing("max-block"))?;
    let out = args.out.ok_or_else(|| missing("out"))?;
    let (mut w, _) = ctx.unlock("the wallet")?;
    let mut p = w.build_payment(to, args.token, amount, max_block)?;
    write_json(&out, &p)?;
    let source = args
        .operator
        .as_deref()
        .map(RpcSource::connect)
        .transpose()?;
    if let Some(source) = &source {
        w.submit_or_release(source, &p).await?;
    }
    // After the submission, and best effort: the uncompressed payment is already
    // written and stays valid if the operator serves no span.
    let mut spanned = 0;
    if args.compress
        && let Some(source) = &source
    {
        for h in &mut p.histories {
            match source.compress(h).await {
                Ok(n) => spanned += n,
                Err(e) => eprintln!("warning: no accumulator span: {e}"),
            }
        }
        if spanned > 0 {
            write_json(&out, &p)?;
        }
    }
    Ok(SendOutput {
        tx_id: p.tx_id,
        paid: p.paid,
        out,
        submitted: source.is_some(),
        blocks_replaced_by_spans: spanned,
        amount,
        to,
    }
    .into())
}
