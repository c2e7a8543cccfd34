//! `debye wallet relay FILE`: start someone's proven ZK exit from this wallet's L1 account
//! (docs/shielded.md S-5.9: it pays the bond and the gas, earns the request's fee);
//! `debye wallet relay --finalize --token ADDR --recipient ADDR`: process the token's exit queue
//! (S-5.7) and withdraw the credits of this wallet's account and of each recipient (anyone may
//! withdraw for anyone, so a fresh recipient needs no gas).

use std::{fmt, path::PathBuf};

use alloy_primitives::Address;
use clap::Args;
use debye_l1::pool::ShieldedPoolClient;
use serde::Serialize;

use super::{
    context::{Context, L1Args},
    exit_private::started_text,
};
use crate::{
    error::{Error, Result},
    shielded::exit::RelayRequest,
    wallet::private_l1::{ExitStarted, FinalizeReport, finalize, relay},
};

/// Options of `debye wallet relay`.
#[derive(Debug, Args)]
pub struct RelayArgs {
    /// The relay request (written by `debye wallet exit --private --out FILE`).
    #[arg(required_unless_present = "finalize")]
    pub request: Option<PathBuf>,
    /// Process the exit queue of `--token` and withdraw credits instead.
    #[arg(long, conflicts_with = "request")]
    pub finalize: bool,
    /// With `--finalize`: the token whose queue to process (ETH when omitted).
    #[arg(long, requires = "finalize")]
    pub token: Option<Address>,
    /// With `--finalize`: also withdraw this account's credit (repeatable).
    #[arg(long, requires = "finalize")]
    pub recipient: Vec<Address>,
    /// L1 access.
    #[command(flatten)]
    pub l1: L1Args,
}

/// What `relay` did.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum RelayOutput {
    /// An exit started.
    Started(ExitStarted),
    /// A queue processed and credits withdrawn.
    Finalized(FinalizeReport),
}

impl fmt::Display for RelayOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Started(s) => write!(f, "{}", started_text(s)),
            Self::Finalized(r) => {
                write!(
                    f,
                    "token {}: {} exit(s) paid {:?}, {} refused or dropped {:?}",
                    r.token,
                    r.paid.len(),
                    r.paid,
                    r.not_paid.len(),
                    r.not_paid
                )?;
                for (k, at) in &r.waiting {
                    write!(f, "\nexit {k} waits until unix time {at}")?;
                }
                for (a, amount) in &r.withdrawn {
                    write!(f, "\nwithdrew {amount} base units to {a}")?;
                }
                Ok(())
            }
        }
    }
}

/// Runs `relay`.
pub async fn run(ctx: &Context, args: RelayArgs) -> Result<RelayOutput> {
    // A bad request file is refused before any key is unlocked or L1 is asked anything.
    let request = match &args.request {
        Some(path) if !args.finalize => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
                path: path.clone(),
                source: e,
            })?;
            Some(RelayRequest::parse(&text)?)
        }
        _ => None,
    };
    let (w, _) = ctx.unlock("the relaying wallet's L1 key")?;
    let client = args.l1.connect(&w)?;
    let pool = ShieldedPoolClient::at(client.l1(), client.shielded_pool().await?);
    match request {
        Some(request) => Ok(RelayOutput::Started(
            relay(&pool, w.address(), &request).await?,
        )),
        None => {
            let mut accounts = vec![w.address()];
            accounts.extend(args.recipient);
            let token = args.token.unwrap_or(Address::ZERO);
            Ok(RelayOutput::Finalized(
                finalize(&pool, w.address(), token, &accounts).await?,
            ))
        }
    }
}
