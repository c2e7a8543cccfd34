//! `debye wallet address [--private]`: the wallet's L1/Plasma address, or its shielded `dbs1…`
//! address (both read from the store, no passphrase; a store made before shielded keys existed
//! asks for the passphrase once to derive them).

use std::fmt;

use alloy_primitives::Address;
use clap::Args;
use serde::Serialize;

use super::context::Context;
use crate::{error::Result, shielded::PrivateAddress, wallet::Wallet};

/// Options of `debye wallet address`.
#[derive(Debug, Default, Args)]
pub struct AddressArgs {
    /// Print the shielded address (`dbs1…`, bech32m) that private payments are sent to.
    #[arg(long)]
    pub private: bool,
}

/// The wallet's address.
#[derive(Clone, Debug, Serialize)]
pub struct AddressOutput {
    /// The address.
    pub address: Address,
    /// The shielded address, with `--private`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private: Option<PrivateAddress>,
}

impl fmt::Display for AddressOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.private {
            Some(p) => write!(f, "{p}"),
            None => write!(f, "{}", self.address),
        }
    }
}

/// Runs `address`.
pub fn run(ctx: &Context, args: &AddressArgs) -> Result<AddressOutput> {
    let state = Wallet::read_state(&ctx.dir)?;
    let private = match (args.private, state.shielded.address) {
        (false, _) => None,
        (true, Some(a)) => Some(a),
        (true, None) => {
            let (mut w, pass) = ctx.unlock("the wallet (to derive its shielded keys)")?;
            Some(PrivateAddress(w.shielded_keys(&pass)?.address()))
        }
    };
    Ok(AddressOutput {
        address: state.address,
        private,
    })
}
