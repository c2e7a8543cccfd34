//! `debye wallet send --private dbs1… AMOUNT`: build, sign and prove a private transfer on this
//! machine (docs/wallet.md §10) and submit it to the operator (`debye_submitShielded`), or with
//! `--out FILE` only write what that method takes. The inputs stay pending until their
//! nullifiers appear in a committed block (or the intent expires); an operator's refusal puts
//! them back at once.

use std::{fmt, path::PathBuf, sync::OnceLock};

use alloy_primitives::{B256, U256};
use debye_rpc_api::types::ShieldedStatusView;
use debye_zk::groth16::{self, JoinSplitProvingKey};
use serde::Serialize;

use super::context::{Context, write_json};
use crate::{
    error::{Error, Result},
    rpc::RpcSource,
    shielded::{
        PrivateAddress, format_amount, fr_to_u256, parse_amount, scan::Scanner, token_field,
        transfer::TransferRequest,
    },
};

/// What `send --private` takes (parsed by `send`'s options).
#[derive(Debug)]
pub struct PrivateSendArgs {
    /// `[dbs1 address, amount]`.
    pub private: Vec<String>,
    /// L1 chain id.
    pub chain_id: Option<u64>,
    /// The ShieldedPool contract.
    pub pool: Option<alloy_primitives::Address>,
    /// ERC-20 token (default ETH).
    pub token: Option<alloy_primitives::Address>,
    /// Where to write the entry instead of submitting it.
    pub out: Option<PathBuf>,
    /// The operator to submit to.
    pub operator: Option<String>,
}

/// A private payment built and proven.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateSendOutput {
    /// The recipient.
    pub to: PrivateAddress,
    /// Token field element (0 = ETH).
    pub token: U256,
    /// Amount in token units.
    pub amount: u64,
    /// The block whose note root the proof uses.
    pub root_block: u64,
    /// Whether that root is younger than a day (S-6.4).
    pub root_reveals_timing: bool,
    /// The intent's expiry.
    pub expiry: u64,
    /// The spent notes' nullifiers.
    pub nullifiers: [U256; 2],
    /// Milliseconds spent proving.
    pub prove_ms: u64,
    /// Where the entry was written (`--out`), instead of being submitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out: Option<PathBuf>,
    /// The entry's id, when submitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<B256>,
    /// Where the entry stands at the operator, when submitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ShieldedStatusView>,
}

fn status_text(s: &ShieldedStatusView) -> String {
    match s {
        ShieldedStatusView::Unknown => "unknown to the operator".into(),
        ShieldedStatusView::Pending => "pending (admitted, waiting for a block)".into(),
        ShieldedStatusView::Included {
            block,
            l1_committed,
            ..
        } => format!(
            "included in block {block}{}",
            if *l1_committed {
                ", committed on L1"
            } else {
                ""
            }
        ),
        ShieldedStatusView::Dropped { reason } => format!("dropped ({reason})"),
    }
}

impl fmt::Display for PrivateSendOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "proved a private payment of {} to {} against the root of block {} (proof {} ms)",
            format_amount(&self.token, self.amount),
            self.to,
            self.root_block,
            self.prove_ms,
        )?;
        if let Some(out) = &self.out {
            write!(f, "; entry written to {}", out.display())?;
        }
        if let (Some(id), Some(status)) = (&self.id, &self.status) {
            write!(f, "\nsubmitted: entry {id}, {}", status_text(status))?;
        }
        if self.root_reveals_timing {
            write!(
                f,
                "\nnote: no root a day old holds these notes yet, so the proof names a recent block: it tells the operator roughly when they arrived"
            )?;
        }
        Ok(())
    }
}

/// The JoinSplit proving key. **INSECURE development setup** (`debye_zk::groth16`): the only
/// one there is until a ceremony's keys are published.
pub(crate) fn proving_key() -> Result<&'static JoinSplitProvingKey> {
    static PK: OnceLock<JoinSplitProvingKey> = OnceLock::new();
    if let Some(pk) = PK.get() {
        return Ok(pk);
    }
    eprintln!("warning: proving with the INSECURE development setup (docs/circuits.md §8)");
    let (pk, _) = groth16::insecure_dev_setup()?;
    Ok(PK.get_or_init(|| pk))
}

/// Runs `send --private`.
pub async fn run(ctx: &Context, args: PrivateSendArgs) -> Result<PrivateSendOutput> {
    let Ok([to, amount]) = <[String; 2]>::try_from(args.private) else {
        return Err(Error::InvalidAmount(
            "--private takes an address and an amount".into(),
        ));
    };
    let to: PrivateAddress = to.parse()?;
    let token = fr_to_u256(&token_field(args.token));
    let amount = parse_amount(&token, &amount)?;
    let missing = |what: &str| Error::InvalidAmount(format!("--{what} is required with --private"));
    let chain_id = args.chain_id.ok_or_else(|| missing("chain-id"))?;
    let pool = args.pool.ok_or_else(|| missing("pool"))?;
    // Where it goes, before anything is proven or marked.
    let source = match (&args.out, &args.operator) {
        (Some(_), _) => None,
        (None, Some(url)) => Some(RpcSource::connect(url)?),
        (None, None) => {
            return Err(Error::InvalidAmount(
                "--operator (or DEBYE_OPERATOR) is required to submit a private payment; pass --out FILE to only write it".into(),
            ));
        }
    };
    let (mut w, pass) = ctx.unlock("the wallet")?;
    let scanner = Scanner::new(w.shielded_keys(&pass)?);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let req = TransferRequest {
        to,
        token,
        amount,
        chain_id,
        pool,
        now,
        ttl: 3600,
    };
    // Fail on funds before the (slow) key generation.
    let available = w.state().shielded.balances().get(&token).map_or(0, |b| b.0);
    if available < amount {
        return Err(Error::InsufficientPrivateFunds {
            token: format_amount(&token, 0).trim_start_matches("0 ").to_owned(),
            needed: amount,
            available,
        });
    }
    let t = w.build_private_transfer(&scanner, proving_key()?, &req)?;
    let (mut id, mut status) = (None, None);
    if let Some(source) = &source {
        match source.submit_shielded(&t.to_rpc()).await {
            Ok(r) => (id, status) = (Some(r.id), Some(r.status)),
            // A definite refusal: the entry can never be included, so its notes are spendable
            // again at once. A transport failure leaves them pending (the entry may have been
            // admitted) until they are spent in a block or the intent expires.
            Err(e @ Error::ShieldedRefused { .. }) => {
                w.release_private_transfer(&t)?;
                return Err(e);
            }
            Err(e) => return Err(e),
        }
    } else if let Some(out) = &args.out {
        write_json(out, &t)?;
    }
    Ok(PrivateSendOutput {
        to,
        token,
        amount,
        root_block: t.body.root_block,
        root_reveals_timing: t.root_reveals_timing,
        expiry: t.body.ext.expiry,
        nullifiers: t.nullifiers,
        prove_ms: t.prove_ms,
        out: args.out,
        id,
        status,
    })
}
