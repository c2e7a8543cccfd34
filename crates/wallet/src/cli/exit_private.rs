//! `debye wallet exit --private --note ID --to ADDR`: prove the exit of one whole shielded note
//! on this machine (docs/shielded.md S-5.5) against a committed root at least a day old
//! (S-6.4), and either write a relay request for a relayer (`--out FILE`: a fresh recipient has
//! no gas, the relayer earns `--fee`) or start the exit from the wallet's own L1 account
//! (`--submit`, it pays the bond and the gas).

use std::{fmt, path::PathBuf};

use alloy_primitives::{Address, U256};
use debye_l1::pool::ShieldedPoolClient;
use serde::Serialize;

use super::context::{Context, L1Args, write_json};
use crate::{
    error::{Error, Result},
    shielded::{
        exit::{ExitParams, RelayRequest},
        format_amount,
        scan::Scanner,
    },
    wallet::private_l1::ExitStarted,
};

/// What `exit --private` takes (parsed by `exit`'s options).
#[derive(Debug)]
pub struct PrivateExitArgs {
    /// The note's id (its position, as `debye wallet notes` lists it).
    pub note: u64,
    /// The L1 recipient.
    pub to: Address,
    /// The relayer's fee recipient.
    pub relayer: Option<Address>,
    /// The fee in token units.
    pub fee: u64,
    /// Where to write the relay request.
    pub out: Option<PathBuf>,
    /// Start the exit from the wallet's own account.
    pub submit: bool,
    /// How long the request stays valid, seconds (at most a day).
    pub ttl: u64,
    /// L1 access (chain id, pool, clock; and the transaction with `--submit`).
    pub l1: L1Args,
}

/// A proven exit, written or started.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateExitOutput {
    /// The note.
    pub note: u64,
    /// Token field element (0 = ETH).
    pub token: U256,
    /// The note's amount in token units.
    pub amount: u64,
    /// The fee in token units.
    pub fee: u64,
    /// The recipient.
    pub recipient: Address,
    /// The fee recipient.
    pub fee_recipient: Address,
    /// The committed block whose root the proof names.
    pub root_block: u64,
    /// The request's expiry (unix seconds).
    pub expiry: u64,
    /// Milliseconds spent proving.
    pub prove_ms: u64,
    /// Where the relay request was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out: Option<PathBuf>,
    /// The exit started on L1 (`--submit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<ExitStarted>,
}

impl fmt::Display for PrivateExitOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "proved the exit of note #{} ({}) to {} against the root of block {} (proof {} ms): {} to the recipient, fee {}",
            self.note,
            format_amount(&self.token, self.amount),
            self.recipient,
            self.root_block,
            self.prove_ms,
            format_amount(&self.token, self.amount.saturating_sub(self.fee)),
            format_amount(&self.token, self.fee),
        )?;
        if let Some(out) = &self.out {
            write!(
                f,
                "\nrelay request written to {}: any wallet with an L1 key starts it with `debye wallet relay {}` before unix time {}",
                out.display(),
                out.display(),
                self.expiry
            )?;
        }
        if let Some(s) = &self.started {
            write!(f, "\n{}", started_text(s))?;
        }
        Ok(())
    }
}

/// One line on a started exit: index, amounts, maturity.
pub fn started_text(s: &ExitStarted) -> String {
    let token = U256::from_be_slice(s.token.as_slice());
    format!(
        "exit {} started: {} ({} to {}, fee {} to {}), payable from unix time {}; then `debye wallet relay --finalize --token {}`",
        s.index,
        format_amount(&token, s.amount),
        format_amount(&token, s.amount.saturating_sub(s.fee)),
        s.recipient,
        format_amount(&token, s.fee),
        s.fee_recipient,
        s.exitable_at,
        s.token,
    )
}

/// Runs `exit --private`.
pub async fn run(ctx: &Context, args: PrivateExitArgs) -> Result<PrivateExitOutput> {
    if args.out.is_none() && !args.submit {
        return Err(Error::InvalidAmount(
            "exit --private needs --out FILE (a relayer submits it) or --submit (this wallet pays the gas)".into(),
        ));
    }
    let (mut w, pass) = ctx.unlock("the wallet")?;
    let scanner = Scanner::new(w.shielded_keys(&pass)?);
    let client = args.l1.connect(&w)?;
    let pool = ShieldedPoolClient::at(client.l1(), client.shielded_pool().await?);
    let l1 = client.l1();
    let params = ExitParams {
        position: args.note,
        recipient: args.to,
        fee: args.fee,
        fee_recipient: args.relayer.unwrap_or_default(),
        chain_id: debye_l1::L1::chain_id(l1).await?,
        pool: pool.address(),
        now: debye_l1::L1::timestamp(l1).await?,
        ttl: args.ttl,
        // Under a withheld-data alert leaving beats the timing leak (S-7.2).
        allow_young_root: w.state().shielded.withheld.is_some(),
    };
    // Refuse bad input before the (slow) key generation.
    w.state().shielded.check_exit(&params)?;
    w.state()
        .shielded
        .choose_exit_root(params.position, params.now, params.allow_young_root)?;
    let x = w.build_private_exit(&scanner, super::send_private::proving_key()?, &params)?;
    if let Some(out) = &args.out {
        write_json(out, &RelayRequest::new(x.clone()))?;
    }
    let started = if args.submit {
        Some(w.submit_private_exit(&pool, &x).await?)
    } else {
        None
    };
    Ok(PrivateExitOutput {
        note: x.position,
        token: U256::from_be_slice(x.token.as_slice()),
        amount: x.amount,
        fee: x.ext.fee,
        recipient: x.ext.recipient,
        fee_recipient: x.ext.fee_recipient,
        root_block: x.root_header.number,
        expiry: x.ext.expiry,
        prove_ms: x.prove_ms,
        out: args.out,
        started,
    })
}
