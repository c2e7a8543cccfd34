//! Plasma Prime data model for Debye: coin ranges, EIP-712 transactions, the per-block sum Merkle
//! tree with inclusion and exclusion proofs, and block headers.
//!
//! Everything here is pinned byte for byte by the test vectors in `test-vectors/primitives/`
//! and mirrored by `contracts/src/lib/PrimeLib.sol`; `docs/formats.md` is the normative
//! description.
//!
//! - [`coin`]: coin ids (`uint256`: token id in bits `[128, 160)`, offset in bits `[0, 128)`).
//! - [`Segment`]: a non-empty half-open coin range inside one token's space.
//! - [`Transaction`], [`Input`], [`Output`], [`SignedTransaction`]: EIP-712 typed transactions;
//!   the transaction id is the EIP-712 signing digest ([`Transaction::tx_id`]).
//! - [`SumMerkleTree`], [`InclusionProof`], [`ExclusionProof`]: the block's sum Merkle tree.
//! - [`BlockHeader`], [`Block`], [`BlockBuilder`]: headers hashed as the L1 contract does.
//! - [`Codec`]: canonical ABI wire encodings with non-panicking decoders.
//! - [`Position`], [`Origin`]: the exit game's names for outputs and their age ([`exit`]).
//! - [`shielded`]: shielded entries (external data, heads, bodies, leaves) and the entries tree.
//!
//! ```
//! use debye_primitives::{coin, tx, BlockBuilder, Input, Output, Segment, Transaction};
//! use alloy_primitives::Address;
//! use k256::ecdsa::SigningKey;
//!
//! let alice = SigningKey::from_slice(&[1; 32]).unwrap();
//! let bob = tx::address_of(&SigningKey::from_slice(&[2; 32]).unwrap());
//! let domain = tx::domain(31337, Address::repeat_byte(0xdb));
//! let deposit = Segment::deposit(coin::ETH_TOKEN, 0, 1_000).unwrap();
//! let transfer = Transaction {
//!     inputs: vec![Input::deposit(tx::address_of(&alice), 1, deposit)],
//!     outputs: vec![Output { owner: bob, segment: deposit }],
//!     max_block_index: 100,
//! };
//! let signed = transfer.sign(&domain, &[alice]).unwrap();
//! let mut builder = BlockBuilder::after(domain.clone(), None);
//! builder.push(signed.clone()).unwrap();
//! let (block, tree) = builder.build().unwrap();
//! let proof = tree.prove_inclusion(&deposit, signed.tx_id(&domain)).unwrap();
//! proof.verify(block.header.tx_root, &deposit, signed.tx_id(&domain)).unwrap();
//! ```

pub mod abi;
pub mod block;
pub mod codec;
pub mod coin;
mod error;
pub mod exit;
mod segment;
mod serde_hex;
pub mod shielded;
mod strict;
#[cfg(feature = "test-utils")]
pub mod test_utils;
pub mod tree;
pub mod tx;

pub use alloy_primitives::{Address, B256, Signature, U256};
pub use alloy_sol_types::Eip712Domain;
pub use block::{Block, BlockBuilder, BlockHeader, ShieldedEntry, ShieldedSection};
pub use codec::Codec;
pub use coin::CoinId;
pub use error::{Error, Result};
pub use exit::{Origin, Position, PositionKind};
pub use segment::Segment;
pub use tree::{ExclusionProof, InclusionProof, Leaf, ProofNode, SumMerkleProof, SumMerkleTree};
pub use tx::{Input, Output, SignedTransaction, Transaction, domain};
