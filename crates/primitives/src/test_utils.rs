//! Deterministic keys, domains and transaction builders for tests (feature `test-utils`).

use alloy_primitives::{Address, B256, keccak256};
use alloy_sol_types::Eip712Domain;
use k256::ecdsa::SigningKey;

use crate::{Input, Output, Result, Segment, SignedTransaction, Transaction, coin, tx};

/// Chain id of the test domain (anvil's default).
pub const TEST_CHAIN_ID: u64 = 31337;

/// Verifying contract of the test domain.
pub const TEST_CONTRACT: Address = Address::new([0xdb; 20]);

/// The test EIP-712 domain.
pub fn test_domain() -> Eip712Domain {
    tx::domain(TEST_CHAIN_ID, TEST_CONTRACT)
}

/// Deterministic private key number `i`: the first valid scalar among
/// `keccak256("debye-test-key" ‖ i ‖ counter)` for counter = 0, 1, ... (u64 big-endian).
pub fn test_key(i: u64) -> SigningKey {
    let mut counter = 0u64;
    loop {
        let mut seed = b"debye-test-key".to_vec();
        seed.extend_from_slice(&i.to_be_bytes());
        seed.extend_from_slice(&counter.to_be_bytes());
        let h: B256 = keccak256(&seed);
        if let Ok(key) = SigningKey::from_slice(h.as_slice()) {
            return key;
        }
        counter += 1;
    }
}

/// Address of [`test_key`]`(i)`.
pub fn test_address(i: u64) -> Address {
    tx::address_of(&test_key(i))
}

/// `[start, end)` offsets of `token` as a segment.
pub fn segment(token: u32, start: u128, end: u128) -> Result<Segment> {
    Segment::new(coin::coin_id(token, start), coin::coin_id(token, end))
}

/// A signed transfer of a whole deposit from key `from` to address of key `to`.
pub fn transfer_deposit(
    domain: &Eip712Domain,
    from: u64,
    to: u64,
    deposit_block: u64,
    segment: Segment,
    max_block_index: u64,
) -> Result<SignedTransaction> {
    Transaction {
        inputs: vec![Input::deposit(test_address(from), deposit_block, segment)],
        outputs: vec![Output {
            owner: test_address(to),
            segment,
        }],
        max_block_index,
    }
    .sign(domain, &[test_key(from)])
}
