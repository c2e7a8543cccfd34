//! L1 anchor reads: what the anchor contract and the forced-inclusion game say about blocks,
//! deposits, exits and forced transactions ([`Commitments`]), and one snapshot of it read from any
//! [`L1`] backend ([`AnchorView`]). The safety rule ([`super::verify`]) checks histories against
//! these answers and nothing else.

use std::collections::BTreeMap;

use alloy_primitives::{B256, U256};
use debye_l1::{
    L1,
    contracts::DebyeChainClient,
    exits::ExitEvent,
    forced::{ForcedEvent, posted_transaction},
};
use debye_primitives::{Input, Segment, exit::Position};

use crate::error::{Error, Result};

/// What L1 says: the committed blocks and the recorded deposits.
pub trait Commitments {
    /// Highest committed block (0 when none).
    fn tip(&self) -> u64;
    /// The commitment (header hash) of block `number`, if committed.
    fn block_hash(&self, number: u64) -> Option<B256>;
    /// The recorded hash of the deposit starting at `start`, if any.
    fn deposit_hash(&self, start: U256) -> Option<B256>;
    /// Exits that are pending or settled (not cancelled): their coins cannot be received.
    fn exits(&self) -> &[L1Exit];
    /// Forced transactions that are pending or included (neither cancelled nor lapsed).
    fn forced(&self) -> &[L1Forced];
}

/// A forced transaction on L1 that is pending or included (docs/exit-game.md §12), from the
/// forced-inclusion game's events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L1Forced {
    /// Its index `k` in the game.
    pub index: u64,
    /// Its transaction id.
    pub tx_id: B256,
    /// The outputs (and deposits) it spends.
    pub inputs: Vec<Input>,
    /// Once included (`ForcedIncluded`): the block `q` it counts as included after, read from
    /// its final position (rank `2q + 1`, docs/exit-game.md §12.4). `None` while pending.
    pub included_after: Option<u64>,
}

/// An exit on L1 that is pending or settled, from the anchor's exit events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct L1Exit {
    /// The exit's id.
    pub id: B256,
    /// The exited coins.
    pub segment: Segment,
    /// Settled (`ExitFinalized`): the coins left the chain.
    pub finalized: bool,
}

/// A snapshot of the anchor contract's commitments, read from any [`L1`] backend.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnchorView {
    /// Highest committed block.
    pub tip: u64,
    /// Block number → header hash.
    pub block_hashes: BTreeMap<u64, B256>,
    /// Deposit start → deposit hash.
    pub deposits: BTreeMap<U256, B256>,
    /// Exits not cancelled.
    pub exits: Vec<L1Exit>,
    /// Forced transactions neither cancelled nor lapsed.
    pub forced: Vec<L1Forced>,
}

impl AnchorView {
    /// Reads every block commitment (from the `BlockSubmitted` logs, cross-checked with
    /// `nextBlock`) and the deposit hashes of `deposit_starts`.
    pub async fn fetch<L: L1>(
        client: &DebyeChainClient<L>,
        deposit_starts: impl IntoIterator<Item = U256>,
    ) -> Result<Self> {
        let tip = client.next_block().await?.saturating_sub(1);
        let block_hashes: BTreeMap<u64, B256> = client
            .submitted_blocks(0)
            .await?
            .into_iter()
            .map(|b| (b.number, b.headerHash))
            .collect();
        if block_hashes.len() as u64 != tip {
            return Err(Error::Operator(format!(
                "L1 logs show {} blocks but nextBlock says {tip}",
                block_hashes.len()
            )));
        }
        let mut deposits = BTreeMap::new();
        for start in deposit_starts {
            let h = client.deposit_hash(start).await?;
            if !h.is_zero() {
                deposits.insert(start, h);
            }
        }
        Ok(Self {
            tip,
            block_hashes,
            deposits,
            exits: open_exits(&client.exit_events(0).await?),
            forced: open_forced(&client.forced_events(0).await?),
        })
    }
}

impl Commitments for AnchorView {
    fn tip(&self) -> u64 {
        self.tip
    }
    fn block_hash(&self, number: u64) -> Option<B256> {
        self.block_hashes.get(&number).copied()
    }
    fn deposit_hash(&self, start: U256) -> Option<B256> {
        self.deposits.get(&start).copied()
    }
    fn exits(&self) -> &[L1Exit] {
        &self.exits
    }
    fn forced(&self) -> &[L1Forced] {
        &self.forced
    }
}

/// The forced transactions that are pending or included, from the forced-inclusion game's events
/// in log order, by index.
pub fn open_forced(events: &[ForcedEvent]) -> Vec<L1Forced> {
    let mut forced: BTreeMap<u64, L1Forced> = BTreeMap::new();
    for e in events {
        match e {
            ForcedEvent::Posted(p) => {
                // The contract checked the transaction's stateless rules when it was posted
                // (docs/exit-game.md §12.1), so it always parses.
                if let Ok(tx) = posted_transaction(p) {
                    forced.insert(
                        p.index,
                        L1Forced {
                            index: p.index,
                            tx_id: p.txId,
                            inputs: tx.inputs,
                            included_after: None,
                        },
                    );
                }
            }
            ForcedEvent::Included(i) => {
                if let Some(f) = forced.get_mut(&i.index) {
                    // A forced output's position ranks it after its newest input's block `q`
                    // (docs/exit-game.md §12.4).
                    f.included_after = Some(Position::from(i.position).block());
                }
            }
            ForcedEvent::Cancelled(c) => {
                forced.remove(&c.index);
            }
            ForcedEvent::Lapsed(l) => {
                forced.remove(&l.index);
            }
            ForcedEvent::Signed(_) => {}
        }
    }
    forced.into_values().collect()
}

/// The exits that are pending or settled, from the anchor's exit events in log order.
pub fn open_exits(events: &[ExitEvent]) -> Vec<L1Exit> {
    let mut exits: BTreeMap<B256, L1Exit> = BTreeMap::new();
    for e in events {
        match e {
            ExitEvent::Started(s) => {
                if let Ok(segment) = Segment::new(s.start, s.end) {
                    exits.insert(
                        s.exitId,
                        L1Exit {
                            id: s.exitId,
                            segment,
                            finalized: false,
                        },
                    );
                }
            }
            ExitEvent::Cancelled(c) => {
                exits.remove(&c.exitId);
            }
            ExitEvent::Finalized(f) => {
                if let Some(x) = exits.get_mut(&f.exitId) {
                    x.finalized = true;
                }
            }
            _ => {}
        }
    }
    exits.into_values().collect()
}
