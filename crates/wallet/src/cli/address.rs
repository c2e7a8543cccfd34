//! `debye wallet address`: the wallet's address, read from the store (no passphrase).

use std::fmt;

use alloy_primitives::Address;
use serde::Serialize;

use super::context::Context;
use crate::{error::Result, wallet::Wallet};

/// The wallet's address.
#[derive(Clone, Debug, Serialize)]
pub struct AddressOutput {
    /// The address.
    pub address: Address,
}

impl fmt::Display for AddressOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.address)
    }
}

/// Runs `address`.
pub fn run(ctx: &Context) -> Result<AddressOutput> {
    Ok(AddressOutput {
        address: Wallet::read_state(&ctx.dir)?.address,
    })
}
