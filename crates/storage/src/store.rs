//! The storage contract of the operator and the records it stores.

use alloy_primitives::{Address, B256, U256};
use debye_primitives::{BlockHeader, Segment, SignedTransaction};

use crate::{
    Result,
    shielded::{
        NoteFrontier, PendingShielded, ShieldedCommit, ShieldedDepositEntry, ShieldedExitEntry,
        ShieldedRebuild, ShieldedRow, ShieldedStatus,
    },
};

/// Where the coins of a range were created: the output (or deposit) an input must point at
/// (one definition for every client, in `debye-primitives`).
pub use debye_primitives::Origin;

/// One entry of the range-ownership index: `owner` holds `segment`, created at `origin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeRecord {
    /// The coins.
    pub segment: Segment,
    /// Their owner.
    pub owner: Address,
    /// Where they were created.
    pub origin: Origin,
    /// The coins left the chain through an L1 exit and can no longer be spent.
    pub exited: bool,
}

/// Changes to the range-ownership index, keyed by range start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeDelta {
    /// Records to insert or overwrite (keyed by `segment.start()`).
    pub upserts: Vec<RangeRecord>,
    /// Starts of records to remove.
    pub deletes: Vec<U256>,
}

impl RangeDelta {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.upserts.is_empty() && self.deletes.is_empty()
    }
}

/// An accepted transaction waiting for a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingTx {
    /// Acceptance order (strictly increasing, never reused).
    pub seq: u64,
    /// The transaction id (EIP-712 digest).
    pub tx_id: B256,
    /// The signed transaction.
    pub tx: SignedTransaction,
}

/// Why an accepted transaction was not included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// Its `maxBlockIndex` passed before a block could include it.
    Expired,
    /// Coins it spends exited on L1 while it waited.
    Exited,
    /// Coins it spends were spent by a forced transaction that became included on L1
    /// (`docs/exit-game.md` §12.3) while it waited.
    Forced,
}

/// Where an accepted transaction stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxStatus {
    /// Accepted and durable, waiting for a block.
    Pending {
        /// Acceptance order.
        seq: u64,
    },
    /// In block `block` at position `index`.
    Included {
        /// Block number.
        block: u64,
        /// Transaction index.
        index: u32,
    },
    /// Accepted but never included.
    Dropped {
        /// Why.
        reason: DropReason,
    },
}

/// The L1 chain and anchor a store belongs to; checked at every start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainIdentity {
    /// L1 chain id.
    pub chain_id: u64,
    /// Address of the `DebyeChain` anchor contract.
    pub anchor: Address,
}

/// A deposit ingested from L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepositEntry {
    /// The deposited coins.
    pub segment: Segment,
    /// The depositor.
    pub owner: Address,
    /// Child block from which the deposit may be spent (the inputs' `blockIndex`).
    pub block: u64,
    /// L1 block of the deposit event.
    pub l1_block: u64,
}

/// Coins that left the chain through an L1 exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitEntry {
    /// The exited coins.
    pub segment: Segment,
    /// L1 block of the exit event.
    pub l1_block: u64,
}

/// A transaction dropped from the mempool, with its acceptance sequence number.
pub type Dropped = (B256, u64, DropReason);

/// Everything a new block changes, applied in one atomic commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockCommit {
    /// The header; its number must follow the stored tip.
    pub header: BlockHeader,
    /// The transactions with their ids, in block order.
    pub txs: Vec<(B256, SignedTransaction)>,
    /// Acceptance sequence numbers of the included transactions (removed from the mempool);
    /// `included_seqs[i]` is the sequence number of `txs[i]`.
    pub included_seqs: Vec<u64>,
    /// Pending transactions dropped while building.
    pub dropped: Vec<Dropped>,
    /// Ownership index changes.
    pub ranges: RangeDelta,
    /// The shielded section and what it changes (entries, nullifiers, note tree, pool), in the
    /// same write transaction: a crash never leaves a nullifier without its block or a block
    /// without its nullifiers.
    pub shielded: ShieldedCommit,
}

/// L1 events ingested together, with the L1 block the next scan starts at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct L1Events {
    /// New deposits.
    pub deposits: Vec<DepositEntry>,
    /// New exits.
    pub exits: Vec<ExitEntry>,
    /// Pending transactions dropped because their coins exited.
    pub dropped: Vec<Dropped>,
    /// Ownership index changes.
    pub ranges: RangeDelta,
    /// `ShieldedDeposit`s imported (queued until a block appends them).
    pub shielded_deposits: Vec<ShieldedDepositEntry>,
    /// `ShieldedExitStarted`s imported, in index order: the first must be the next index
    /// ([`Store::shielded_exits_imported`]), else [`crate::Error::Corrupt`] and nothing changes.
    pub shielded_exits: Vec<ShieldedExitEntry>,
    /// Pooled shielded entries dropped because an imported exit holds a nullifier they spend:
    /// id and pool sequence number.
    pub shielded_dropped: Vec<(B256, u64)>,
    /// First L1 block of the next scan.
    pub next_l1_block: u64,
}

/// What the operator knows about its L1 commitments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubmissionState {
    /// Highest block number seen committed on L1 with the stored hash (0: none).
    pub l1_committed: u64,
    /// L1 block in which `l1_committed` was last seen committed.
    pub l1_block: u64,
}

/// One step of the history accumulator (docs/accumulator.md §13.2) as the operator folded it:
/// kept so that a restart reads the step back instead of redoing seconds of exponentiation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccumulatorStep {
    /// A_n, the group element's canonical encoding (256 bytes for RSA-2048).
    pub value: Vec<u8>,
    /// P_n, the product of the block's primes, big-endian without leading zeros.
    pub product: Vec<u8>,
}

/// The operator's durable state. Every write is atomic and durable when it returns.
///
/// Implementations must be usable from several threads: one writer (the operator's sequencer)
/// and any number of readers (API queries).
pub trait Store: Send + Sync + 'static {
    /// The chain this store belongs to, if recorded.
    fn chain_identity(&self) -> Result<Option<ChainIdentity>>;
    /// Records the chain this store belongs to.
    fn set_chain_identity(&self, id: &ChainIdentity) -> Result<()>;

    /// Makes accepted transactions durable (one commit for the whole batch).
    fn accept(&self, txs: &[PendingTx]) -> Result<()>;
    /// All pending transactions, in acceptance order.
    fn pending(&self) -> Result<Vec<PendingTx>>;
    /// The next free acceptance sequence number.
    fn next_seq(&self) -> Result<u64>;

    /// Stores a block and everything it changes, atomically.
    fn commit_block(&self, commit: &BlockCommit) -> Result<()>;
    /// Replaces the headers of stored blocks, atomically: the same numbers and bodies with new
    /// header fields (the operator re-stamps blocks L1 has not committed whose timestamp grew
    /// too old to submit, and with them every later header, whose `prevHash` changes). The
    /// headers must be stored already, in order, and each must extend the one before it (the
    /// first, the stored header before it); otherwise [`crate::Error::Restamp`] and nothing changes.
    fn replace_headers(&self, headers: &[BlockHeader]) -> Result<()>;
    /// [`Self::replace_headers`] with the shielded sections of some of those blocks rebuilt
    /// (docs/shielded.md §10: entries expired at a block's new time are left out and dropped),
    /// in the same write transaction.
    fn replace_blocks(&self, headers: &[BlockHeader], sections: &[ShieldedRebuild]) -> Result<()>;
    /// Header of the highest stored block.
    fn tip(&self) -> Result<Option<BlockHeader>>;
    /// Header of block `number`.
    fn header(&self, number: u64) -> Result<Option<BlockHeader>>;
    /// Number of the block whose header hash is `hash`.
    fn block_number(&self, hash: B256) -> Result<Option<u64>>;
    /// Transactions of block `number` with their ids, in order.
    fn block_txs(&self, number: u64) -> Result<Vec<(B256, SignedTransaction)>>;
    /// Transaction `index` of block `number` with its id.
    fn block_tx(&self, number: u64, index: u32) -> Result<Option<(B256, SignedTransaction)>>;
    /// Status of transaction `tx_id`.
    fn tx_status(&self, tx_id: B256) -> Result<Option<TxStatus>>;

    /// The whole ownership index, ordered by range start.
    fn ranges(&self) -> Result<Vec<RangeRecord>>;
    /// Stores L1 events and their ownership changes, atomically.
    fn record_l1_events(&self, events: &L1Events) -> Result<()>;
    /// The deposit whose range starts at `start`.
    fn deposit(&self, start: U256) -> Result<Option<DepositEntry>>;
    /// All recorded exits.
    fn exits(&self) -> Result<Vec<ExitEntry>>;
    /// First L1 block the next deposit/exit scan reads (`None`: never scanned).
    fn l1_cursor(&self) -> Result<Option<u64>>;

    /// What is known about L1 commitments.
    fn submission(&self) -> Result<SubmissionState>;
    /// Records what is known about L1 commitments.
    fn set_submission(&self, state: &SubmissionState) -> Result<()>;

    /// Makes accepted shielded entries durable (one commit for the whole batch).
    fn accept_shielded(&self, entries: &[PendingShielded]) -> Result<()>;
    /// The shielded pool, in acceptance order.
    fn pending_shielded(&self) -> Result<Vec<PendingShielded>>;
    /// The next free shielded acceptance sequence number.
    fn next_shielded_seq(&self) -> Result<u64>;
    /// The block whose shielded section spent `nullifier`, if any.
    fn nullifier_block(&self, nullifier: U256) -> Result<Option<u64>>;
    /// The shielded entries of block `number`, in order (empty for an unknown block).
    fn block_shielded(&self, number: u64) -> Result<Vec<ShieldedRow>>;
    /// The note tree after block `number` (`None` past the tip; the empty tree before the first
    /// leaf).
    fn note_frontier(&self, number: u64) -> Result<Option<NoteFrontier>>;
    /// Where shielded entry `id` stands.
    fn shielded_status(&self, id: B256) -> Result<Option<ShieldedStatus>>;
    /// The L1 deposits imported and not yet appended by a block, in index order.
    fn shielded_deposit_queue(&self) -> Result<Vec<ShieldedDepositEntry>>;
    /// How many L1 exit starts were imported (the next header's `exitCursor`).
    fn shielded_exits_imported(&self) -> Result<u32>;
    /// The imported L1 exit holding `nullifier`, if any (the first, if several do).
    fn nullifier_exit(&self, nullifier: U256) -> Result<Option<u32>>;

    /// Stores the accumulator step of block `number` (written after the block, by the
    /// accumulator worker; a step lost in a crash is recomputed at the next start).
    fn put_accumulator_step(&self, number: u64, step: &AccumulatorStep) -> Result<()>;
    /// The stored accumulator step of block `number`.
    fn accumulator_step(&self, number: u64) -> Result<Option<AccumulatorStep>>;
}
