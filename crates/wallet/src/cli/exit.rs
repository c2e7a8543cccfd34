//! `debye wallet exit`: what each coin's exit needs from held data, or, with flags, start exits,
//! answer challenge requests and finalize matured exits on L1 (docs/wallet.md §6).

use std::fmt;

use alloy_primitives::Address;
use clap::Args;
use debye_primitives::Segment;
use serde::Serialize;

use super::context::{Context, L1Args, parse_segment};
use crate::{
    error::{Error, Result},
    exits::{ExitOutcome, ExitRecord},
    wallet::ExitClaim,
};

/// Options of `debye wallet exit`.
#[derive(Debug, Args)]
pub struct ExitArgs {
    /// Start exits for all coins (or those overlapping `--segment`).
    #[arg(long)]
    pub start: bool,
    /// Only coins overlapping this range (`START..END`, decimal or 0x-hex coin ids).
    #[arg(long, value_parser = parse_segment)]
    pub segment: Option<Segment>,
    /// Answer open challenge requests against the wallet's exits, and cancel other people's
    /// exits of the wallet's coins that its histories show were spent.
    #[arg(long)]
    pub answer: bool,
    /// Finalize and withdraw matured exits.
    #[arg(long)]
    pub finalize: bool,
    /// Exit a shielded note instead (docs/shielded.md S-5.5): needs `--note` and `--to`, and
    /// `--out` or `--submit`.
    #[arg(long, conflicts_with_all = ["start", "answer", "finalize", "segment"])]
    pub private: bool,
    /// `--private`: the note's id (`debye wallet notes`).
    #[arg(long, requires = "private")]
    pub note: Option<u64>,
    /// `--private`: the L1 address that receives the note's value less the fee.
    #[arg(long, requires = "private")]
    pub to: Option<Address>,
    /// `--private`: the relayer's L1 address, credited the fee.
    #[arg(long, requires = "private")]
    pub relayer: Option<Address>,
    /// `--private`: the relayer's fee in token units (gwei for ETH).
    #[arg(long, requires = "private", default_value_t = 0)]
    pub fee: u64,
    /// `--private`: write the relay request here.
    #[arg(long, requires = "private")]
    pub out: Option<std::path::PathBuf>,
    /// `--private`: start the exit from this wallet's L1 account (it pays bond and gas).
    #[arg(long, requires = "private")]
    pub submit: bool,
    /// `--private`: seconds the request stays valid (at most a day).
    #[arg(long, requires = "private", default_value_t = 3600)]
    pub ttl: u64,
    /// L1 JSON-RPC endpoint (needed with any flag).
    #[arg(long, env = "DEBYE_L1_RPC")]
    pub l1_rpc: Option<String>,
    /// The DebyeChain anchor contract (needed with any flag).
    #[arg(long, env = "DEBYE_ANCHOR")]
    pub anchor: Option<Address>,
}

/// What `exit` showed or did.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum ExitOutput {
    /// Without flags: what each coin's exit needs.
    Claims {
        /// One claim per coin.
        claims: Vec<ExitClaim>,
    },
    /// `--private`: a shielded note's exit.
    Private(Box<super::exit_private::PrivateExitOutput>),
    /// With flags: what was done on L1.
    Done {
        /// Exits started.
        started: Vec<ExitRecord>,
        /// Challenge requests answered plus others' exits cancelled.
        answered: usize,
        /// The wallet's exits checked for settlement, with their status.
        finalized: Vec<ExitOutcome>,
    },
}

impl fmt::Display for ExitOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Claims { claims } => write!(
                f,
                "{} coin(s) exitable from held data; `--start` starts their exits",
                claims.len()
            ),
            Self::Private(o) => o.fmt(f),
            Self::Done {
                started,
                answered,
                finalized,
            } => write!(
                f,
                "{} exit(s) started, {answered} challenge(s) answered, {} exit(s) checked: {:?}",
                started.len(),
                finalized.len(),
                finalized
                    .iter()
                    .map(|o| o.status.as_str())
                    .collect::<Vec<_>>()
            ),
        }
    }
}

/// Runs `exit`.
pub async fn run(ctx: &Context, args: ExitArgs) -> Result<ExitOutput> {
    if args.private {
        let missing =
            |what: &str| Error::InvalidAmount(format!("--{what} is required with --private"));
        let (Some(l1_rpc), Some(anchor)) = (args.l1_rpc, args.anchor) else {
            return Err(missing("l1-rpc and --anchor"));
        };
        let a = super::exit_private::PrivateExitArgs {
            note: args.note.ok_or_else(|| missing("note"))?,
            to: args.to.ok_or_else(|| missing("to"))?,
            relayer: args.relayer,
            fee: args.fee,
            out: args.out,
            submit: args.submit,
            ttl: args.ttl,
            l1: L1Args { l1_rpc, anchor },
        };
        return super::exit_private::run(ctx, a)
            .await
            .map(|o| ExitOutput::Private(Box::new(o)));
    }
    let (mut w, _) = ctx.unlock("the wallet")?;
    if !(args.start || args.answer || args.finalize) {
        return Ok(ExitOutput::Claims {
            claims: w.exit_claims(),
        });
    }
    let (Some(l1_rpc), Some(anchor)) = (args.l1_rpc, args.anchor) else {
        return Err(Error::InvalidAmount(
            "exits need --l1-rpc and --anchor (or DEBYE_L1_RPC, DEBYE_ANCHOR)".into(),
        ));
    };
    let client = L1Args { l1_rpc, anchor }.connect(&w)?;
    let (mut started, mut answered, mut finalized) = (Vec::new(), 0, Vec::new());
    if args.start {
        let only = args.segment.map(|s| vec![s]);
        started = w.start_exits(&client, only.as_deref()).await?;
    }
    if args.answer {
        answered = w.answer_challenges(&client).await? + w.challenge_exits(&client).await?;
    }
    if args.finalize {
        finalized = w.finalize_exits(&client).await?;
    }
    Ok(ExitOutput::Done {
        started,
        answered,
        finalized,
    })
}
