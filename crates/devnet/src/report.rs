//! What `debye demo` reports: each step, each committed block, and where every party ended.

use alloy_primitives::{Address, B256, U256};
use debye_primitives::{BlockHeader, Segment};
use serde::Serialize;

/// What one step did.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// Short name of the step.
    pub name: String,
    /// What happened, in words.
    pub outcome: String,
    /// Whether the step's check held. A step that fails ends the run with an error, so a
    /// finished report has every step `ok`; the field lets a reader of a partial log see which
    /// step broke.
    pub ok: bool,
    /// L1 gas used by the step's transaction, if it sent one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l1_gas: Option<u64>,
}

/// One party's balances at the end of the run.
#[derive(Clone, Debug, Serialize)]
pub struct Party {
    /// Party name.
    pub name: String,
    /// L1 address (also its L2 identity).
    pub address: Address,
    /// ETH on L1, in wei.
    pub l1_eth_wei: U256,
    /// Test ERC-20 on L1, in base units.
    pub l1_token: U256,
    /// ETH held on L2 (sum of owned ranges, as the party's wallet counts it), in wei.
    pub l2_eth_wei: U256,
    /// Test ERC-20 held on L2, in base units.
    pub l2_token: U256,
    /// Ranges owned on L2, as `[start, end)` hex coin ids.
    pub l2_ranges: Vec<Segment>,
}

/// Everything the run did and where it ended.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Address of the anchor contract.
    pub anchor: Address,
    /// Address of the test ERC-20.
    pub token: Address,
    /// Steps in order.
    pub steps: Vec<Step>,
    /// Committed block headers with their L1 commitments.
    pub blocks: Vec<CommittedBlock>,
    /// Final balances of each party.
    pub parties: Vec<Party>,
}

/// A block committed to L1.
#[derive(Clone, Debug, Serialize)]
pub struct CommittedBlock {
    /// The header.
    pub header: BlockHeader,
    /// Its hash, as stored on L1.
    pub hash: B256,
    /// Number of transactions in it.
    pub transactions: usize,
    /// L1 gas of its `submitBlock` transaction (including the 21,000 base).
    pub l1_gas: u64,
}
