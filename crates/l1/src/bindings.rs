//! The `sol!` bindings of the committed contract artifacts (`contracts/artifacts/`; a test in
//! `contracts/` fails when they are stale), the conversions between them and the protocol's
//! ABI structs, and one decoder for revert data from any of them.
//!
//! The contracts declare their shared structs once, in `contracts/src/lib/Types.sol` (header,
//! exit, deposit record, evidence) and `PrimeLib.sol` (transaction, signatures, sum proof).
//! `sol!` binds each artifact on its own, so the anchor's artifact gives the crate's one set of
//! those types ([`Types`], [`PrimeLib`]: what every client method takes and returns), and the
//! forced-inclusion game's artifact a second, private set with the same fields. Both, and
//! `debye_primitives::abi`, are converted field by field by the `From` impls below: no ABI
//! round trip, and the compiler checks every field name.
//!
//! This module depends on no other module of the crate.

use alloy_sol_types::{SolError, SolInterface};
use debye_primitives::abi as pabi;

use forced_abi::{ForcedInclusion, PrimeLib as fp_prime, Types as fp_types};

/// The anchor's bindings: the `DebyeChain` interface (calls, events, errors, bytecode), the
/// shared structs ([`Types`], [`PrimeLib`]) and the anchor's state types ([`IDebyeChain`]).
/// The artifact carries no NatSpec (see `docs/formats.md` and `docs/exit-game.md`).
#[allow(missing_docs, clippy::too_many_arguments)]
mod chain {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        DebyeChain,
        "../../contracts/artifacts/DebyeChain.json"
    );
}

/// The forced-inclusion game's bindings. Its `Types`/`PrimeLib` are its own copies of the
/// shared structs, reached only through the `From` impls below.
#[allow(missing_docs, clippy::too_many_arguments)]
pub(crate) mod forced_abi {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        ForcedInclusion,
        "../../contracts/artifacts/ForcedInclusion.json"
    );
}

/// The exit game's stateless evidence checker, deployed on its own and handed to the anchor's
/// constructor (docs/contracts.md §6a); only its bytecode is used here.
#[allow(missing_docs)]
mod verifier {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        ExitVerifier,
        "../../contracts/artifacts/ExitVerifier.json"
    );
}

/// The shielded pool (docs/shielded.md §5), deployed before the anchor for the anchor's
/// address (docs/contracts.md §6a).
#[allow(missing_docs, clippy::too_many_arguments)]
mod pool {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        ShieldedPool,
        "../../contracts/artifacts/ShieldedPool.json"
    );
}

/// The test ERC-20 (OpenZeppelin ERC20 with public mint).
#[allow(missing_docs)]
mod token {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        TestToken,
        "../../contracts/artifacts/TestToken.json"
    );
}

pub use chain::{DebyeChain, IDebyeChain, PrimeLib, Types};
pub use pool::{IShieldedPool, ShieldedPool, Types as PoolTypes};
pub use token::TestToken;
pub use verifier::ExitVerifier;

alloy_sol_types::sol! {
    /// `ExitLib.IndexOutOfRange`: an input or output index past the end of its transaction. The
    /// verifier raises it and both contracts let it bubble up (`docs/exit-game.md` §3), so it
    /// is in neither contract's ABI.
    #[derive(Debug, PartialEq, Eq)]
    error IndexOutOfRange(uint256 index, uint256 count);
}

/// `impl From<$from> for $to` assigning each listed field; `[vec]` fields convert element-wise.
macro_rules! field_by_field {
    ($($from:ty => $to:ty { $($field:ident $([$vec:ident])?),* $(,)? })*) => {$(
        impl From<$from> for $to {
            fn from(v: $from) -> Self {
                Self { $($field: field_by_field!(@field v.$field $(, $vec)?)),* }
            }
        }
    )*};
    (@field $e:expr) => { $e.into() };
    (@field $e:expr, vec) => { $e.into_iter().map(Into::into).collect() };
}

/// The `PrimeLib` structs (and the header) from module `$a` to module `$b`.
macro_rules! prime_structs {
    ($a:ident :: $ah:ident => $b:ident :: $bh:ident) => {
        field_by_field! {
            $a::Segment => $b::Segment { start, end }
            $a::Input => $b::Input { owner, blockIndex, txIndex, outputIndex, segment }
            $a::Output => $b::Output { owner, segment }
            $a::Transaction => $b::Transaction { inputs[vec], outputs[vec], maxBlockIndex }
            $a::SignedTransaction => $b::SignedTransaction { transaction, signatures }
            $a::ProofNode => $b::ProofNode { length, hash }
            $a::SumProof => $b::SumProof { leafLength, path, siblings[vec] }
            $ah::BlockHeader => $bh::BlockHeader {
                number, prevHash, txRoot, accumulator, noteRoot, noteCount, entriesRoot,
                entryCount, depositCursor, exitCursor, timestamp,
            }
        }
    };
}

prime_structs!(pabi::pabi => PrimeLib::Types);
prime_structs!(PrimeLib::Types => pabi::pabi);
prime_structs!(PrimeLib::Types => fp_prime::fp_types);
prime_structs!(pabi::pabi => fp_prime::fp_types);
prime_structs!(fp_prime::fp_types => pabi::pabi);

// The pool's own copy of the header (its `startExit` and `challengeSpent` take one).
field_by_field! {
    pabi::BlockHeader => PoolTypes::BlockHeader {
        number, prevHash, txRoot, accumulator, noteRoot, noteCount, entriesRoot,
        entryCount, depositCursor, exitCursor, timestamp,
    }
}

field_by_field! {
    Types::ExitData => fp_types::ExitData { owner, start, end, position, txId }
    Types::DepositRecord => fp_types::DepositRecord { owner, start, end, blockNumber }
    Types::OutputProof => fp_types::OutputProof { transaction, outputIndex, header, proof }
    Types::SpendProof => fp_types::SpendProof { spend, inputIndex, header, proof }
}

/// Revert data decoded against every ABI the contracts can revert with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revert {
    /// One of the anchor's custom errors.
    Chain(DebyeChain::DebyeChainErrors),
    /// One of the forced-inclusion game's custom errors.
    Forced(ForcedInclusion::ForcedInclusionErrors),
    /// One of the shielded pool's custom errors (an error whose signature the anchor shares,
    /// e.g. `Reentrancy()`, decodes as the anchor's).
    Pool(ShieldedPool::ShieldedPoolErrors),
    /// The verifier's `IndexOutOfRange`, bubbled up by either contract.
    IndexOutOfRange(IndexOutOfRange),
    /// `Error(string)`.
    Reason(String),
    /// Nothing matched (or no data).
    Unknown(alloy_primitives::Bytes),
}

impl Revert {
    /// Decodes `data`, trying each ABI in turn.
    pub fn decode(data: &[u8]) -> Self {
        if let Ok(e) = DebyeChain::DebyeChainErrors::abi_decode(data) {
            Self::Chain(e)
        } else if let Ok(e) = ForcedInclusion::ForcedInclusionErrors::abi_decode(data) {
            Self::Forced(e)
        } else if let Ok(e) = ShieldedPool::ShieldedPoolErrors::abi_decode(data) {
            Self::Pool(e)
        } else if let Ok(e) = IndexOutOfRange::abi_decode(data) {
            Self::IndexOutOfRange(e)
        } else if let Ok(r) = alloy_sol_types::Revert::abi_decode(data) {
            Self::Reason(r.reason)
        } else {
            Self::Unknown(data.to_vec().into())
        }
    }
}

impl std::fmt::Display for Revert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Chain(e) => write!(f, "{e:?}"),
            Self::Forced(e) => write!(f, "{e:?}"),
            Self::Pool(e) => write!(f, "{e:?}"),
            Self::IndexOutOfRange(e) => write!(f, "{e:?}"),
            Self::Reason(r) => f.write_str(r),
            Self::Unknown(d) if d.is_empty() => f.write_str("no reason"),
            Self::Unknown(d) => write!(f, "{d}"),
        }
    }
}
