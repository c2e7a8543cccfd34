//! Coin histories and the Plasma Cash/Prime safety rule.
//!
//! Before a wallet counts a received range as its own it checks the range's whole history from
//! its deposit (docs/wallet.md, "The safety rule"):
//!
//! 1. the deposits that created the coins are recorded on L1 (`depositHash(start)` equals the
//!    hash of the claimed owner, range and block);
//! 2. for every block committed on L1 from the deposit block to the tip, the history holds the
//!    block's header, which must hash to the L1 commitment, and for every coin either an
//!    exclusion proof (untouched) or an inclusion proof of the transaction that moved it;
//! 3. every transaction that moves the coins is valid, carries the signature of the coins' owner
//!    at that time, was not expired, and spends exactly the output (or deposit) that created them;
//! 4. at the tip, every coin belongs to the recipient;
//! 5. no exit on L1 that is not cancelled overlaps the coins, and no forced transaction on L1
//!    that is pending or included spends an output of their history that the L2 history does
//!    not already account for (docs/wallet.md §1, rules 6 and 7).
//!
//! A [`CoinHistory`] is the self-contained, serialisable bundle that proves this for one range.
//! The sender hands it to the recipient (directly, or through the operator as an opaque relay);
//! the recipient needs nothing else but L1 to check it ([`verify_history`]).

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::SolValue;
use debye_accumulator::{
    ExclusionProof as AccExclusionProof, Geometry, Group, check_header_commitment, coin_range,
    verify_exclusion,
};
use debye_l1::{
    L1,
    contracts::DebyeChainClient,
    exits::ExitEvent,
    forced::{ForcedEvent, posted_transaction},
};
use debye_primitives::{
    Block, BlockHeader, Eip712Domain, ExclusionProof, InclusionProof, Input, Segment,
    SignedTransaction, SumMerkleTree, tx::DEPOSIT_TX_INDEX,
};
use debye_rpc_api::types::AccumulatorSpan;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

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

    /// Checks the span against L1 (docs/accumulator.md §13.3): both headers hash to their L1
    /// commitments and each commits to its height and value (a header commits only to heights
    /// below its own number), then the exclusion proof verifies for the segment.
    pub fn verify(&self, l1: &impl Commitments) -> Result<()> {
        let s = &self.span;
        let forged = |reason: String| Error::ForgedSpan {
            from: s.from,
            to: s.to,
            reason,
        };
        if s.from >= s.to {
            return Err(forged("empty span".into()));
        }
        for (header, number, height) in [
            (&self.header_from, s.header_from, s.from),
            (&self.header_to, s.header_to, s.to),
        ] {
            if header.number != number || height >= number {
                return Err(forged(format!(
                    "header {} cannot commit to height {height}",
                    header.number
                )));
            }
            if l1.block_hash(number) != Some(header.hash()) {
                return Err(Error::HeaderMismatch { block: number });
            }
        }
        let group = Group::rsa2048();
        let decode = |b: &[u8]| group.decode(b).map_err(|e| forged(e.to_string()));
        let (a, b) = (decode(&s.value_from)?, decode(&s.value_to)?);
        check_header_commitment(group, s.from, &a, &self.header_from.accumulator.0)
            .map_err(|e| forged(format!("value at {}: {e}", s.from)))?;
        check_header_commitment(group, s.to, &b, &self.header_to.accumulator.0)
            .map_err(|e| forged(format!("value at {}: {e}", s.to)))?;
        let range = coin_range(
            &s.segment.start().to_be_bytes::<32>(),
            &s.segment.end().to_be_bytes::<32>(),
        )
        .map_err(|e| forged(e.to_string()))?;
        let proof =
            AccExclusionProof::from_bytes(group, &s.proof).map_err(|e| forged(e.to_string()))?;
        verify_exclusion(group, &Geometry::EXACT, &range, &a, &b, &proof)
            .map_err(|e| forged(e.to_string()))
    }
}

/// The intersection of two segments, if they share a coin.
pub fn intersect(a: &Segment, b: &Segment) -> Option<Segment> {
    let start = a.start().max(b.start());
    let end = a.end().min(b.end());
    Segment::new(start, end).ok()
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
                    // position = ((k + 1) << 128) | (2q + 1) (docs/exit-game.md §12.4).
                    let rank = i.position & U256::from(u128::MAX);
                    f.included_after = Some(u64::try_from(rank >> 1).unwrap_or(u64::MAX));
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

/// Coins of a history spent by one of its transactions: what was spent, and by what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpentPiece {
    /// The coins as they were before the spend.
    pub piece: Piece,
    /// The block that includes the spend.
    pub block: u64,
    /// The spending transaction's id.
    pub tx_id: B256,
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

/// Coins with one owner and one origin, as followed through a history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Piece {
    /// The coins.
    pub segment: Segment,
    /// Their owner.
    pub owner: Address,
    /// The output (or deposit) that created them.
    pub origin: Origin,
    /// That output's (or deposit's) whole segment: an input spending it must lie inside.
    pub origin_segment: Segment,
    /// First block in which the coins can move.
    pub live_from: u64,
}

/// Follows coins block by block, applying the safety rule. Used for whole histories
/// ([`verify_history`]) and, by the wallet, one block at a time as the chain grows.
#[derive(Clone, Debug)]
pub struct HistoryVerifier {
    domain: Eip712Domain,
    pieces: Vec<Piece>,
    spent: Vec<SpentPiece>,
    next_block: u64,
}

fn is_signature_fault(e: &debye_primitives::Error) -> bool {
    use debye_primitives::Error as P;
    matches!(
        e,
        P::SignatureCount { .. }
            | P::InvalidSignature { .. }
            | P::HighS { .. }
            | P::WrongSigner { .. }
            | P::InvalidSignatureEncoding(_)
    )
}

impl HistoryVerifier {
    /// Starts from the deposits of `segment`, each checked against L1.
    pub fn from_deposits(
        chain: &ChainId,
        segment: Segment,
        deposits: &[DepositEvidence],
        l1: &impl Commitments,
    ) -> Result<Self> {
        let mut pieces = Vec::new();
        for d in deposits {
            if l1.deposit_hash(d.start) != Some(d.hash()) {
                return Err(Error::UnknownDeposit { start: d.start });
            }
            let whole = d.segment()?;
            if let Some(s) = intersect(&whole, &segment) {
                pieces.push(Piece {
                    segment: s,
                    owner: d.owner,
                    origin: Origin::deposit(d.block_number),
                    origin_segment: whole,
                    live_from: d.block_number,
                });
            }
        }
        pieces.sort_by_key(|p| p.segment.start());
        let mut cursor = segment.start();
        for p in &pieces {
            if p.segment.start() != cursor {
                let gap_end = p.segment.start().max(cursor);
                return Err(Error::NoDeposit {
                    segment: Segment::new(cursor, gap_end).unwrap_or(segment),
                });
            }
            cursor = p.segment.end();
        }
        if cursor != segment.end() {
            return Err(Error::NoDeposit {
                segment: Segment::new(cursor, segment.end()).unwrap_or(segment),
            });
        }
        let next_block = pieces.iter().map(|p| p.live_from).min().unwrap_or(1);
        Ok(Self {
            domain: chain.domain(),
            pieces,
            spent: Vec::new(),
            next_block,
        })
    }

    /// Resumes from pieces already verified up to `next_block - 1`.
    pub fn resume(chain: &ChainId, pieces: Vec<Piece>, next_block: u64) -> Self {
        Self {
            domain: chain.domain(),
            pieces,
            spent: Vec::new(),
            next_block,
        }
    }

    /// The next block [`HistoryVerifier::step`] expects.
    pub const fn next_block(&self) -> u64 {
        self.next_block
    }

    /// The coins as followed so far.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// The spends of the coins met so far, in block order: every output (or deposit) the coins
    /// left, with the block and transaction that spent it.
    pub fn spent(&self) -> &[SpentPiece] {
        &self.spent
    }

    /// Passes block `n` without block evidence: every piece must lie inside a span (verified
    /// by the caller, [`SpanEvidence::verify`]) that shows it untouched in `n`.
    pub fn skip_untouched(&mut self, n: u64, spans: &[&SpanEvidence]) -> Result<()> {
        if n != self.next_block {
            return Err(Error::MissingBlock { block: n });
        }
        for p in &self.pieces {
            if !spans.iter().any(|s| s.covers(n, &p.segment)) {
                return Err(Error::MissingBlock { block: n });
            }
        }
        self.next_block = n.saturating_add(1);
        Ok(())
    }

    /// Applies one block: checks its header against the L1 `commitment`, every proof against the
    /// header's root, and every move of a live coin against the rule.
    pub fn step(&mut self, ev: &BlockEvidence, commitment: Option<B256>) -> Result<()> {
        let n = self.next_block;
        if ev.header.number != n {
            return Err(Error::MissingBlock { block: n });
        }
        let commitment = commitment
            .ok_or_else(|| Error::MalformedHistory(format!("block {n} is not committed on L1")))?;
        if ev.header.hash() != commitment {
            return Err(Error::HeaderMismatch { block: n });
        }
        let root = ev.header.tx_root;
        let mut items: Vec<&Evidence> = ev.items.iter().collect();
        items.sort_by_key(|e| e.segment().start());
        for w in items.windows(2) {
            if w[0].segment().end() > w[1].segment().start() {
                return Err(Error::MalformedHistory(format!(
                    "overlapping evidence in block {n}"
                )));
            }
        }
        for item in &items {
            let r = match item {
                Evidence::Excluded { segment, proof } => proof.verify(root, segment),
                Evidence::Included {
                    segment,
                    transaction,
                    proof,
                    ..
                } => proof.verify(root, segment, transaction.tx_id(&self.domain)),
            };
            r.map_err(|e| Error::ForgedProof {
                block: n,
                segment: item.segment(),
                reason: format!("{}: {e}", e.code()),
            })?;
        }
        let mut next = Vec::with_capacity(self.pieces.len());
        let mut spent = Vec::new();
        for piece in &self.pieces {
            if piece.live_from > n {
                next.push(*piece);
                continue;
            }
            let mut cursor = piece.segment.start();
            for item in items
                .iter()
                .filter(|e| e.segment().overlaps(&piece.segment))
            {
                let Some(x) = intersect(&piece.segment, &item.segment()) else {
                    continue;
                };
                if x.start() > cursor {
                    return Err(Error::Gap {
                        block: n,
                        segment: Segment::new(cursor, x.start())?,
                    });
                }
                match item {
                    Evidence::Excluded { .. } => next.push(Piece {
                        segment: x,
                        ..*piece
                    }),
                    Evidence::Included {
                        tx_index,
                        transaction,
                        ..
                    } => {
                        let tx_id =
                            self.apply_spend(n, piece, x, *tx_index, transaction, &mut next)?;
                        spent.push(SpentPiece {
                            piece: Piece {
                                segment: x,
                                ..*piece
                            },
                            block: n,
                            tx_id,
                        });
                    }
                }
                cursor = x.end();
            }
            if cursor < piece.segment.end() {
                return Err(Error::Gap {
                    block: n,
                    segment: Segment::new(cursor, piece.segment.end())?,
                });
            }
        }
        self.pieces = merge_pieces(next);
        self.spent.extend(spent);
        self.next_block = n.saturating_add(1);
        Ok(())
    }

    /// Checks one spend of `piece`'s coins `x` and follows them to the outputs; returns the
    /// spending transaction's id.
    fn apply_spend(
        &self,
        n: u64,
        piece: &Piece,
        x: Segment,
        tx_index: u32,
        stx: &SignedTransaction,
        next: &mut Vec<Piece>,
    ) -> Result<B256> {
        let tx_id = stx.tx_id(&self.domain);
        let invalid = |reason: String| Error::InvalidSpend {
            block: n,
            tx_id,
            reason,
        };
        if let Err(e) = stx.verify(&self.domain) {
            return Err(if is_signature_fault(&e) {
                Error::UnsignedSpend {
                    block: n,
                    tx_id,
                    segment: x,
                    owner: piece.owner,
                }
            } else {
                invalid(e.to_string())
            });
        }
        stx.transaction
            .check_block(n)
            .map_err(|e| invalid(e.to_string()))?;
        let mut spent = U256::ZERO;
        for input in &stx.transaction.inputs {
            let Some(part) = intersect(&input.segment, &x) else {
                continue;
            };
            if input.owner != piece.owner {
                return Err(Error::UnsignedSpend {
                    block: n,
                    tx_id,
                    segment: part,
                    owner: piece.owner,
                });
            }
            if !piece.origin.matches(input) || !piece.origin_segment.contains(&input.segment) {
                return Err(Error::BrokenChain {
                    block: n,
                    tx_id,
                    segment: part,
                });
            }
            spent += part.len();
        }
        if spent != x.len() {
            return Err(invalid(format!(
                "the transaction does not spend all of {x}"
            )));
        }
        let mut created = U256::ZERO;
        for (i, out) in stx.transaction.outputs.iter().enumerate() {
            let Some(part) = intersect(&out.segment, &x) else {
                continue;
            };
            created += part.len();
            next.push(Piece {
                segment: part,
                owner: out.owner,
                origin: Origin {
                    block: n,
                    tx_index,
                    output_index: u8::try_from(i)
                        .map_err(|_| invalid("too many outputs".into()))?,
                },
                origin_segment: out.segment,
                live_from: n.saturating_add(1),
            });
        }
        if created != x.len() {
            return Err(invalid(format!(
                "the transaction does not create all of {x}"
            )));
        }
        Ok(tx_id)
    }

    /// Ends the walk: every coin must belong to `owner`. Returns the coins with their origins.
    pub fn finish(self, owner: Address) -> Result<Vec<Piece>> {
        if let Some(p) = self.pieces.iter().find(|p| p.owner != owner) {
            return Err(Error::WrongOwner {
                segment: p.segment,
                owner: p.owner,
                expected: owner,
            });
        }
        Ok(self.pieces)
    }
}

/// Sorts pieces and merges touching ones with the same owner, origin and liveness.
pub fn merge_pieces(mut pieces: Vec<Piece>) -> Vec<Piece> {
    pieces.sort_by_key(|p| p.segment.start());
    let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
    for p in pieces {
        if let Some(last) = out.last_mut()
            && last.segment.end() == p.segment.start()
            && last.owner == p.owner
            && last.origin == p.origin
            && last.origin_segment == p.origin_segment
            && last.live_from == p.live_from
            && let Ok(s) = Segment::new(last.segment.start(), p.segment.end())
        {
            last.segment = s;
            continue;
        }
        out.push(p);
    }
    out
}

/// Checks a whole history against L1 and the expected recipient, up to the L1 tip. On success
/// returns the coins (one piece per origin), all owned by `owner`.
pub fn verify_history(
    history: &CoinHistory,
    chain: &ChainId,
    l1: &impl Commitments,
    owner: Address,
) -> Result<Vec<Piece>> {
    if history.chain != *chain {
        return Err(Error::MalformedHistory(format!(
            "history is for chain {} anchor {}",
            history.chain.chain_id, history.chain.anchor
        )));
    }
    if history.version != HISTORY_VERSION {
        return Err(Error::MalformedHistory(format!(
            "version {}",
            history.version
        )));
    }
    let mut v = HistoryVerifier::from_deposits(chain, history.segment, &history.deposits, l1)?;
    let by_number: BTreeMap<u64, &BlockEvidence> = history
        .blocks
        .iter()
        .map(|b| (b.header.number, b))
        .collect();
    let spans: Vec<&SpanEvidence> = history.spans.iter().collect();
    for s in &spans {
        s.verify(l1)?;
    }
    for n in v.next_block()..=l1.tip() {
        match by_number.get(&n) {
            Some(ev) => v.step(ev, l1.block_hash(n))?,
            None => v.skip_untouched(n, &spans)?,
        }
    }
    let spent = v.spent().to_vec();
    let pieces = v.finish(owner)?;
    // docs/threat-model.md F4: a sender may pay coins it is exiting (or has exited) on L1,
    // through an operator that does not check; any exit not cancelled makes the coins unsafe.
    for p in &pieces {
        if let Some((x, segment)) = l1
            .exits()
            .iter()
            .find_map(|x| intersect(&p.segment, &x.segment).map(|s| (x, s)))
        {
            return Err(Error::ExitedOnL1 {
                segment,
                exit: x.id,
                finalized: x.finalized,
            });
        }
    }
    check_forced(l1.forced(), &spent, &pieces)?;
    Ok(pieces)
}

/// Whether forced transaction input `input` names the output (or deposit) `piece` sits in: same
/// owner, same block, same kind, overlapping coins (how L1 matches a spend, docs/exit-game.md
/// §1.3, §12.2 (a)). Returns the overlap.
fn names(input: &Input, piece: &Piece) -> Option<Segment> {
    (input.owner == piece.owner
        && input.block_index == piece.origin.block
        && (input.tx_index == DEPOSIT_TX_INDEX) == piece.origin.is_deposit())
    .then(|| intersect(&input.segment, &piece.segment))
    .flatten()
}

/// docs/exit-game.md §12.3 ("Late settlement") and §13: a sender may force, on L1, a spend of
/// coins (to an address of its own), leave it pending, and pay the same coins on L2; if it
/// settles the forced transaction before the block of the L2 payment is committed, the forced
/// transaction counts first and the recipient's coins are worthless. So the coins are refused
/// while a forced transaction that is pending or included spends an output (or deposit) they
/// passed through (`spent`) or sit in (`held`), unless the L2 history accounts for it: while
/// the forced transaction is pending, the history's spend of that output is the same transaction
/// (the operator included it on L2; that copy is committed before the forced one settles, so it
/// counts first, §12.3); once it is included after block `q`, the history's spend is in a block
/// `<= q` (the L2 spend counts first, §12.4).
/// A pending forced transaction is refused even where its rank would come after the L2 spend:
/// the wallet treats the inputs of a pending forced transaction as taken (§12.3, second line),
/// and anyone holding the L2 spend can cancel it (`challengeForcedSpent`, §12.2 (a)).
fn check_forced(forced: &[L1Forced], spent: &[SpentPiece], held: &[Piece]) -> Result<()> {
    let links = spent
        .iter()
        .map(|s| (&s.piece, Some(s)))
        .chain(held.iter().map(|p| (p, None)));
    for (piece, spend) in links {
        for f in forced {
            let Some(segment) = f.inputs.iter().find_map(|i| names(i, piece)) else {
                continue;
            };
            let accounted = match (spend, f.included_after) {
                (Some(s), None) => s.tx_id == f.tx_id,
                (Some(s), Some(q)) => s.block <= q,
                (None, _) => false,
            };
            if !accounted {
                return Err(Error::ForcedOnL1 {
                    segment,
                    index: f.index,
                    tx_id: f.tx_id,
                    included: f.included_after.is_some(),
                });
            }
        }
    }
    Ok(())
}
