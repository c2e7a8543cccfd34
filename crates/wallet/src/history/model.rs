//! The history model: what a [`CoinHistory`] holds (deposits, per-block evidence, accumulator
//! spans), how it is narrowed, joined, extended from a full block and compressed. It knows nothing
//! of L1 or of the safety rule; [`super::verify`] checks a history, [`super::anchor`] reads what
//! L1 says.

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::SolValue;
use debye_primitives::{
    Block, BlockHeader, Eip712Domain, ExclusionProof, InclusionProof, Segment, SignedTransaction,
    SumMerkleTree,
};
use debye_rpc_api::types::AccumulatorSpan;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Format version of [`CoinHistory`].
pub const HISTORY_VERSION: u32 = 1;

/// The chain a wallet or history belongs to: the L1 chain id and the anchor contract. Together
/// they fix the EIP-712 domain every signature is checked under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainId {
    /// L1 chain id.
    pub chain_id: u64,
    /// The `DebyeChain` anchor contract.
    pub anchor: Address,
}

impl ChainId {
    /// The EIP-712 domain of L2 transactions on this chain.
    pub fn domain(&self) -> Eip712Domain {
        debye_primitives::tx::domain(self.chain_id, self.anchor)
    }
}

/// Where coins were created (one definition for every client: [`debye_primitives::Origin`]).
pub use debye_primitives::Origin;

/// A deposit as recorded by the anchor contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositEvidence {
    /// Depositor (first owner of the coins).
    pub owner: Address,
    /// First coin.
    pub start: U256,
    /// One past the last coin.
    pub end: U256,
    /// First child block the coins may be spent in.
    pub block_number: u64,
}

impl DepositEvidence {
    /// `keccak256(abi.encode(owner, start, end, blockNumber))`, what L1 stores as `depositHash`.
    pub fn hash(&self) -> B256 {
        keccak256((self.owner, self.start, self.end, self.block_number).abi_encode_params())
    }

    /// The deposited coins.
    pub fn segment(&self) -> Result<Segment> {
        Ok(Segment::new(self.start, self.end)?)
    }
}

impl From<&debye_l1::contracts::Deposit> for DepositEvidence {
    fn from(d: &debye_l1::contracts::Deposit) -> Self {
        Self {
            owner: d.owner,
            start: d.start,
            end: d.end,
            block_number: d.blockNumber,
        }
    }
}

/// What one block says about a sub-range of the history's coins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Evidence {
    /// A transaction of the block touches these coins.
    #[serde(rename_all = "camelCase")]
    Included {
        /// The coins (inside one leaf).
        segment: Segment,
        /// Position of the transaction in its block (not committed by the root; used to follow
        /// the chain of inputs, which reference it).
        tx_index: u32,
        /// The transaction, with its signatures.
        transaction: SignedTransaction,
        /// Sum Merkle proof of the leaf whose hash is the transaction id.
        proof: InclusionProof,
    },
    /// No transaction of the block touches these coins.
    #[serde(rename_all = "camelCase")]
    Excluded {
        /// The coins (inside one gap leaf).
        segment: Segment,
        /// Sum Merkle proof of the gap leaf.
        proof: ExclusionProof,
    },
}

impl Evidence {
    /// The coins this item speaks about.
    pub const fn segment(&self) -> Segment {
        match self {
            Self::Included { segment, .. } | Self::Excluded { segment, .. } => *segment,
        }
    }

    fn with_segment(&self, s: Segment) -> Self {
        let mut e = self.clone();
        match &mut e {
            Self::Included { segment, .. } | Self::Excluded { segment, .. } => *segment = s,
        }
        e
    }
}

/// A block's header and its evidence about the history's coins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockEvidence {
    /// The header (must hash to the L1 commitment).
    pub header: BlockHeader,
    /// Evidence items, disjoint, sorted by start.
    pub items: Vec<Evidence>,
}

/// The self-contained history of one coin range: deposits and per-block evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoinHistory {
    /// [`HISTORY_VERSION`].
    pub version: u32,
    /// The chain.
    pub chain: ChainId,
    /// The coins this history is about.
    pub segment: Segment,
    /// Deposits covering the coins.
    pub deposits: Vec<DepositEvidence>,
    /// One entry per committed block from the first deposit block on, in order, except the
    /// blocks that [`CoinHistory::spans`] cover.
    pub blocks: Vec<BlockEvidence>,
    /// Runs of blocks in which the coins did not move, each shown by one accumulator proof
    /// instead of one exclusion proof per block (docs/accumulator.md §13.3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spans: Vec<SpanEvidence>,
}

/// One accumulator exclusion proof that no transaction of blocks `span.from+1..=span.to`
/// touches `span.segment`, with the two headers whose `accumulator` fields commit to the values
/// it is checked against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpanEvidence {
    /// What the operator served (`debye_accumulatorExclusion`).
    pub span: AccumulatorSpan,
    /// Header `span.headerFrom`: commits to (from, A_from).
    pub header_from: BlockHeader,
    /// Header `span.headerTo`: commits to (to, A_to).
    pub header_to: BlockHeader,
}

impl SpanEvidence {
    /// Whether this span shows `segment` untouched in block `n`.
    pub fn covers(&self, n: u64, segment: &Segment) -> bool {
        self.span.from < n && n <= self.span.to && self.span.segment.contains(segment)
    }
}

/// The intersection of two segments, if they share a coin.
pub fn intersect(a: &Segment, b: &Segment) -> Option<Segment> {
    let start = a.start().max(b.start());
    let end = a.end().min(b.end());
    Segment::new(start, end).ok()
}

/// Sorts `items` by their segments' starts and folds each into the one kept before it when
/// their segments touch and `join` can merge them (it extends the kept item and answers true):
/// how pieces of one range that were split become one again.
pub fn merge_runs<T>(
    mut items: Vec<T>,
    segment: impl Fn(&T) -> Segment,
    mut join: impl FnMut(&mut T, &T) -> bool,
) -> Vec<T> {
    items.sort_by_key(|i| segment(i).start());
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        if let Some(last) = out.last_mut()
            && segment(last).end() == segment(&item).start()
            && join(last, &item)
        {
            continue;
        }
        out.push(item);
    }
    out
}

/// Extends `seg` to the end of `next`, which starts where it ends; false if that is no segment.
pub fn extend_to(seg: &mut Segment, next: &Segment) -> bool {
    Segment::new(seg.start(), next.end())
        .map(|s| *seg = s)
        .is_ok()
}

impl CoinHistory {
    /// A history of `segment` starting from its deposits, with no blocks yet.
    pub fn new(chain: ChainId, segment: Segment, deposits: Vec<DepositEvidence>) -> Self {
        Self {
            version: HISTORY_VERSION,
            chain,
            segment,
            deposits,
            blocks: Vec::new(),
            spans: Vec::new(),
        }
    }

    /// First block the history must cover (the earliest deposit block).
    pub fn first_block(&self) -> Option<u64> {
        self.deposits.iter().map(|d| d.block_number).min()
    }

    /// Last block the history covers (`None` before the first block).
    pub fn last_block(&self) -> Option<u64> {
        let blocks = self.blocks.last().map(|b| b.header.number);
        let spans = self.spans.iter().map(|s| s.span.to).max();
        blocks.max(spans)
    }

    /// Replaces the per-block evidence of blocks `span.from+1..=span.to` by one accumulator span
    /// (docs/accumulator.md §13.3). Refuses a span that does not cover the whole history's
    /// segment or that would drop evidence of a move (an inclusion item): a span can only stand
    /// for blocks in which nothing happened to the coins. Returns how many block entries it
    /// replaced.
    pub fn compress(&mut self, ev: SpanEvidence) -> Result<usize> {
        let (from, to) = (ev.span.from, ev.span.to);
        if !ev.span.segment.contains(&self.segment) || from >= to {
            return Err(Error::MalformedHistory(format!(
                "span ({from}, {to}] over {} does not cover {}",
                ev.span.segment, self.segment
            )));
        }
        let inside = |b: &BlockEvidence| from < b.header.number && b.header.number <= to;
        if let Some(b) = self.blocks.iter().filter(|b| inside(b)).find(|b| {
            b.items
                .iter()
                .any(|e| matches!(e, Evidence::Included { .. }))
        }) {
            return Err(Error::MalformedHistory(format!(
                "block {} moved the coins: a span cannot replace it",
                b.header.number
            )));
        }
        let before = self.blocks.len();
        self.blocks.retain(|b| !inside(b));
        self.spans.push(ev);
        self.spans.sort_by_key(|s| s.span.from);
        Ok(before - self.blocks.len())
    }

    /// The next block to append.
    pub fn next_block(&self) -> u64 {
        self.last_block()
            .map_or_else(|| self.first_block().unwrap_or(1), |b| b.saturating_add(1))
    }

    /// The same history narrowed to `sub` (inside [`CoinHistory::segment`]): what a sender hands
    /// over with a part of its coins. Proofs stay valid for sub-ranges of their leaves.
    pub fn restrict(&self, sub: Segment) -> Result<Self> {
        if !self.segment.contains(&sub) {
            return Err(Error::MalformedHistory(format!(
                "{sub} is not inside {}",
                self.segment
            )));
        }
        let deposits = self
            .deposits
            .iter()
            .filter(|d| d.segment().is_ok_and(|s| s.overlaps(&sub)))
            .copied()
            .collect();
        let blocks = self
            .blocks
            .iter()
            .map(|b| BlockEvidence {
                header: b.header,
                items: b
                    .items
                    .iter()
                    .filter_map(|e| intersect(&e.segment(), &sub).map(|s| e.with_segment(s)))
                    .collect(),
            })
            .collect();
        let spans = self
            .spans
            .iter()
            .filter(|s| s.span.segment.contains(&sub))
            .cloned()
            .collect();
        Ok(Self {
            version: HISTORY_VERSION,
            chain: self.chain,
            segment: sub,
            deposits,
            blocks,
            spans,
        })
    }

    /// Joins the histories of two touching ranges (for coins merged by a transaction). Both must
    /// be for the same chain and agree on every header they share.
    pub fn merge(&self, other: &Self) -> Result<Self> {
        if self.chain != other.chain {
            return Err(Error::MalformedHistory("histories of two chains".into()));
        }
        let (lo, hi) = if self.segment.start() <= other.segment.start() {
            (self, other)
        } else {
            (other, self)
        };
        let segment = Segment::new(lo.segment.start(), hi.segment.end())?;
        if lo.segment.end() != hi.segment.start() {
            return Err(Error::MalformedHistory("merged ranges must touch".into()));
        }
        let mut deposits = lo.deposits.clone();
        for d in &hi.deposits {
            if !deposits.contains(d) {
                deposits.push(*d);
            }
        }
        deposits.sort_by_key(|d| d.start);
        let mut blocks: BTreeMap<u64, BlockEvidence> = BTreeMap::new();
        for b in lo.blocks.iter().chain(&hi.blocks) {
            let entry = blocks
                .entry(b.header.number)
                .or_insert_with(|| BlockEvidence {
                    header: b.header,
                    items: Vec::new(),
                });
            if entry.header != b.header {
                return Err(Error::MalformedHistory(format!(
                    "two headers for block {}",
                    b.header.number
                )));
            }
            entry.items.extend(b.items.iter().cloned());
        }
        let blocks = blocks
            .into_values()
            .map(|mut b| {
                b.items.sort_by_key(|e| e.segment().start());
                b
            })
            .collect();
        // A span of one side speaks only about that side's coins; the verifier takes it for
        // the pieces it covers and asks block evidence for the rest.
        let mut spans: Vec<SpanEvidence> = lo.spans.iter().chain(&hi.spans).cloned().collect();
        spans.sort_by_key(|s| s.span.from);
        spans.dedup();
        Ok(Self {
            version: HISTORY_VERSION,
            chain: self.chain,
            segment,
            deposits,
            blocks,
            spans,
        })
    }

    /// Appends the evidence of the next block, built from the full block and its tree.
    pub fn extend_with_block(&mut self, block: &Block, tree: &SumMerkleTree) -> Result<()> {
        let expected = self.next_block();
        if block.header.number != expected {
            return Err(Error::MalformedHistory(format!(
                "expected block {expected}, got {}",
                block.header.number
            )));
        }
        let items = evidence_for(block, tree, &self.chain.domain(), &self.segment)?;
        self.blocks.push(BlockEvidence {
            header: block.header,
            items,
        });
        Ok(())
    }

    /// JSON encoding (the form handed from sender to recipient).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::MalformedHistory(e.to_string()))
    }

    /// Parses the JSON form.
    pub fn from_json(s: &str) -> Result<Self> {
        let h: Self =
            serde_json::from_str(s).map_err(|e| Error::MalformedHistory(e.to_string()))?;
        if h.version != HISTORY_VERSION {
            return Err(Error::MalformedHistory(format!("version {}", h.version)));
        }
        Ok(h)
    }
}

/// The evidence a full block gives about `segment`: one item per tree leaf the segment touches.
pub fn evidence_for(
    block: &Block,
    tree: &SumMerkleTree,
    domain: &Eip712Domain,
    segment: &Segment,
) -> Result<Vec<Evidence>> {
    let ids: HashMap<B256, (u32, &SignedTransaction)> = block
        .transactions
        .iter()
        .enumerate()
        .map(|(i, stx)| {
            (
                stx.tx_id(domain),
                (u32::try_from(i).unwrap_or(u32::MAX), stx),
            )
        })
        .collect();
    let mut items = Vec::new();
    let mut cursor = segment.start();
    let mut index = tree
        .find_leaf(cursor)
        .ok_or_else(|| Error::Operator("segment outside the coin space".into()))?;
    while cursor < segment.end() {
        let leaf = tree
            .leaves()
            .get(index)
            .ok_or_else(|| Error::Operator("tree does not cover the coin space".into()))?;
        let s = Segment::new(cursor, leaf.end().min(segment.end()))?;
        if leaf.is_null() {
            items.push(Evidence::Excluded {
                segment: s,
                proof: tree.prove_exclusion(&s)?,
            });
        } else {
            let (tx_index, stx) = ids.get(&leaf.hash).ok_or_else(|| {
                Error::Operator(format!(
                    "block {} has a leaf of an unknown tx",
                    block.header.number
                ))
            })?;
            items.push(Evidence::Included {
                segment: s,
                tx_index: *tx_index,
                transaction: (*stx).clone(),
                proof: tree.prove_inclusion(&s, leaf.hash)?,
            });
        }
        cursor = s.end();
        index += 1;
    }
    Ok(items)
}
