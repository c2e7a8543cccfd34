//! How amounts and hashes read in the narration.

use alloy_primitives::{B256, U256};
use debye_primitives::{Segment, coin};

pub(crate) const ETHER: u128 = 1_000_000_000_000_000_000;
pub(crate) const TOKEN_UNIT: u128 = 1_000_000;

/// `0x12345678…abcd`.
pub(crate) fn short(h: B256) -> String {
    let s = h.to_string();
    format!("{}…{}", &s[..8], &s[s.len() - 4..])
}

/// The amount a range holds, in its token's unit.
pub(crate) fn describe(segment: &Segment) -> String {
    let (token, len) = (segment.token(), segment.len());
    if token == coin::ETH_TOKEN {
        format!("{} ETH", ether(len))
    } else {
        format!("{} dUSD", len / U256::from(TOKEN_UNIT))
    }
}

/// Wei as ether with three decimals.
pub(crate) fn ether(wei: U256) -> String {
    let whole = wei / U256::from(ETHER);
    let frac = (wei % U256::from(ETHER)) / U256::from(ETHER / 1000);
    format!("{whole}.{frac:0>3}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_in_their_unit() {
        assert_eq!(ether(U256::from(ETHER / 4 + 5 * ETHER)), "5.250");
        let eth = Segment::deposit(coin::ETH_TOKEN, 0, 2 * ETHER).expect("valid");
        assert_eq!(describe(&eth), "2.000 ETH");
        let usd = Segment::deposit(1, 0, 250 * TOKEN_UNIT).expect("valid");
        assert_eq!(describe(&usd), "250 dUSD");
    }
}
