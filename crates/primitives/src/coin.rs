//! Coin identifiers and the layout of the coin space.
//!
//! Every coin is a `uint256` below 2^160: bits `[128, 160)` hold the token id (`uint32`, ETH is
//! token 0) and bits `[0, 128)` the offset of the coin inside that token's space. A deposit of
//! `amount` units of token `t` that lands at offset `o` creates the coins
//! `[(t << 128) | o, (t << 128) | (o + amount))`.

use alloy_primitives::U256;

/// A coin identifier (`uint256`, always `< COIN_SPACE_END` when valid).
pub type CoinId = U256;

/// Token id of ETH.
pub const ETH_TOKEN: u32 = 0;

/// Position of the token id inside a coin id.
pub const TOKEN_SHIFT: usize = 128;

/// Size of one token's coin space: 2^128.
pub const TOKEN_SPACE_SIZE: U256 = U256::from_limbs([0, 0, 1, 0]);

/// One past the last coin of the whole coin space: 2^160. Also the total length of every sum
/// Merkle tree.
pub const COIN_SPACE_END: U256 = U256::from_limbs([0, 0, 1 << 32, 0]);

/// The coin id of `offset` within `token`'s space.
pub fn coin_id(token: u32, offset: u128) -> CoinId {
    token_start(token) | U256::from(offset)
}

/// The token a coin belongs to, or `None` when the coin lies outside the coin space.
pub fn token_of(coin: CoinId) -> Option<u32> {
    if coin >= COIN_SPACE_END {
        return None;
    }
    // < 2^160, so the shifted value fits 32 bits.
    u32::try_from(coin >> TOKEN_SHIFT).ok()
}

/// The offset of a coin inside its token's space (the low 128 bits).
pub fn offset_of(coin: CoinId) -> u128 {
    let limbs = coin.as_limbs();
    (u128::from(limbs[1]) << 64) | u128::from(limbs[0])
}

/// First coin of `token`'s space.
pub fn token_start(token: u32) -> CoinId {
    U256::from(token) << TOKEN_SHIFT
}

/// One past the last coin of `token`'s space.
pub fn token_end(token: u32) -> CoinId {
    (U256::from(token) + U256::from(1u8)) << TOKEN_SHIFT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        assert_eq!(COIN_SPACE_END, U256::from(1u8) << 160);
        assert_eq!(TOKEN_SPACE_SIZE, U256::from(1u8) << 128);
        assert_eq!(token_end(u32::MAX), COIN_SPACE_END);
        let c = coin_id(7, 12345);
        assert_eq!(token_of(c), Some(7));
        assert_eq!(offset_of(c), 12345);
        assert_eq!(token_of(COIN_SPACE_END), None);
        assert_eq!(token_of(COIN_SPACE_END - U256::from(1u8)), Some(u32::MAX));
    }
}
