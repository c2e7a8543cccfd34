use alloy_primitives::{Address, B256, Bytes, U256};

/// A transaction or call to send to L1. `to = None` deploys `input` as init code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct L1Tx {
    /// Sender; must be an account the backend can sign for.
    pub from: Address,
    /// Callee, or `None` to create a contract.
    pub to: Option<Address>,
    /// Wei sent along.
    pub value: U256,
    /// Calldata or init code.
    pub input: Bytes,
    /// Gas limit; `None` lets the backend estimate.
    pub gas_limit: Option<u64>,
}

impl L1Tx {
    /// A call from `from` to `to` with `input`.
    pub fn call(from: Address, to: Address, input: impl Into<Bytes>) -> Self {
        Self {
            from,
            to: Some(to),
            input: input.into(),
            ..Default::default()
        }
    }

    /// A contract creation from `from` with init code `code`.
    pub fn create(from: Address, code: impl Into<Bytes>) -> Self {
        Self {
            from,
            to: None,
            input: code.into(),
            ..Default::default()
        }
    }

    /// Attach `value` wei.
    pub fn with_value(mut self, value: U256) -> Self {
        self.value = value;
        self
    }
}

/// One log emitted on L1, with where it was emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L1Log {
    /// Emitting contract.
    pub address: Address,
    /// Indexed topics; `topics[0]` is the event signature hash for non-anonymous events.
    pub topics: Vec<B256>,
    /// Non-indexed data.
    pub data: Bytes,
    /// L1 block that holds the log.
    pub block_number: u64,
    /// Transaction that emitted it.
    pub tx_hash: B256,
    /// Position of the log in its block.
    pub log_index: u64,
}

/// The outcome of a mined, successful L1 transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L1Receipt {
    /// Transaction hash.
    pub tx_hash: B256,
    /// Block it was mined in.
    pub block_number: u64,
    /// Gas used, including the intrinsic cost.
    pub gas_used: u64,
    /// Address of the created contract, for deployments.
    pub contract_address: Option<Address>,
    /// Logs emitted.
    pub logs: Vec<L1Log>,
}

/// Which logs to read: one contract, optional first topics, an inclusive block span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFilter {
    /// Contract whose logs are wanted.
    pub address: Address,
    /// Accept only these event signatures (empty = all).
    pub event_signatures: Vec<B256>,
    /// First block to read.
    pub from_block: u64,
    /// Last block to read; `None` = the latest.
    pub to_block: Option<u64>,
}

impl LogFilter {
    /// All logs of `address` from `from_block` on.
    pub fn new(address: Address, from_block: u64) -> Self {
        Self {
            address,
            event_signatures: Vec::new(),
            from_block,
            to_block: None,
        }
    }

    /// Restrict to the given event signature hashes.
    pub fn events(mut self, signatures: impl IntoIterator<Item = B256>) -> Self {
        self.event_signatures.extend(signatures);
        self
    }

    pub(crate) fn matches(&self, log: &L1Log) -> bool {
        log.address == self.address
            && log.block_number >= self.from_block
            && self.to_block.is_none_or(|to| log.block_number <= to)
            && (self.event_signatures.is_empty()
                || log
                    .topics
                    .first()
                    .is_some_and(|t| self.event_signatures.contains(t)))
    }
}
