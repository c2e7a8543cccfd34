//! Following the chain: [`Wallet::sync`] checks each block against its L1 commitment, extends
//! every coin's history and raises alerts; [`Wallet::receive`] and [`Wallet::check_offer`] apply
//! the safety rule (docs/wallet.md §1) to coins handed over with their history.

use std::collections::HashMap;

use debye_l1::{L1, contracts::DebyeChainClient, pool::ShieldedPoolClient};
use debye_primitives::{Block, Segment, SignedTransaction, SumMerkleTree};
use serde::{Deserialize, Serialize};

use super::{base::Wallet, pay::SwapOffer};
use crate::{
    error::{Error, Result},
    history::{
        anchor::{AnchorView, Commitments},
        model::{ChainId, CoinHistory, DepositEvidence, Evidence, merge_runs},
        verify::{HistoryVerifier, Piece, verify_history},
    },
    records::{Activity, Coin, CoinStatus},
    shielded::{WithheldAlert, scan::Received},
    source::BlockSource,
};

/// What a sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    /// Last block processed.
    pub synced_to: u64,
    /// Coins received and verified.
    pub received: Vec<Segment>,
    /// Coins that left the wallet (spent by transactions it signed).
    pub spent: Vec<Segment>,
    /// Misbehaviour detected, as error codes with messages.
    pub alerts: Vec<String>,
    /// Coins that must be exited (the operator withheld a block or moved them without the
    /// wallet's signature).
    pub exit_needed: Vec<Segment>,
    /// Notes found in the blocks' shielded sections (when the wallet's shielded keys are
    /// unlocked, [`Wallet::shielded_keys`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes_received: Vec<Received>,
    /// Positions of own notes whose nullifier appeared in a committed block.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes_spent: Vec<u64>,
    /// The withheld-data alert (docs/shielded.md S-7.2) when it stands after this sync: a
    /// committed block's shielded section is not served, or does not match its header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shielded_withheld: Option<WithheldAlert>,
}

/// Blocks fetched during one operation, each with its recomputed tree.
struct BlockCache<'a, S> {
    source: &'a S,
    chain: ChainId,
    blocks: HashMap<u64, Option<(Block, SumMerkleTree)>>,
}

impl<'a, S: BlockSource> BlockCache<'a, S> {
    fn new(source: &'a S, chain: ChainId) -> Self {
        Self {
            source,
            chain,
            blocks: HashMap::new(),
        }
    }

    /// The block and its tree; `None` when withheld or when its body does not build a tree.
    async fn get(&mut self, n: u64) -> Result<Option<&(Block, SumMerkleTree)>> {
        if !self.blocks.contains_key(&n) {
            let entry = match self.source.block(n).await? {
                Some(b) if b.header.number == n => {
                    b.tree(&self.chain.domain()).ok().map(|t| (b, t))
                }
                _ => None,
            };
            self.blocks.insert(n, entry);
        }
        Ok(self.blocks.get(&n).and_then(Option::as_ref))
    }
}

impl Wallet {
    /// Coins from a verified history: one coin per piece, each with the history narrowed to it.
    fn coins_from(history: &CoinHistory, pieces: &[Piece]) -> Result<Vec<Coin>> {
        pieces
            .iter()
            .map(|p| {
                Ok(Coin {
                    segment: p.segment,
                    origin: p.origin,
                    origin_segment: p.origin_segment,
                    created_by: created_by(history, p),
                    history: history.restrict(p.segment)?,
                    status: CoinStatus::Owned,
                })
            })
            .collect()
    }

    /// Builds the history of `segment` from L1 deposits and the source's blocks up to `tip`.
    async fn build_history<L: L1, S: BlockSource>(
        client: &DebyeChainClient<L>,
        cache: &mut BlockCache<'_, S>,
        segment: Segment,
        tip: u64,
    ) -> Result<CoinHistory> {
        let deposits: Vec<DepositEvidence> = client
            .deposits(0)
            .await?
            .iter()
            .map(|r| DepositEvidence::from(&r.event))
            .filter(|d| d.segment().is_ok_and(|s| s.overlaps(&segment)))
            .collect();
        let mut h = CoinHistory::new(cache.chain, segment, deposits);
        Self::extend_history(&mut h, cache, tip).await?;
        Ok(h)
    }

    async fn extend_history<S: BlockSource>(
        h: &mut CoinHistory,
        cache: &mut BlockCache<'_, S>,
        tip: u64,
    ) -> Result<()> {
        while h.next_block() <= tip {
            let n = h.next_block();
            let Some((block, tree)) = cache.get(n).await? else {
                return Err(Error::MissingBlock { block: n });
            };
            h.extend_with_block(block, tree)?;
        }
        Ok(())
    }

    /// Accepts coins handed over with their history: extends it from the source to the L1 tip,
    /// applies the safety rule and, if it holds, adds the coins. Refuses with the typed reason.
    pub async fn receive<L: L1, S: BlockSource>(
        &mut self,
        client: &DebyeChainClient<L>,
        source: &S,
        mut history: CoinHistory,
    ) -> Result<Vec<Coin>> {
        let chain = self.bind(client).await?;
        let view = AnchorView::fetch(client, history.deposits.iter().map(|d| d.start)).await?;
        let mut cache = BlockCache::new(source, chain);
        Self::extend_history(&mut history, &mut cache, view.tip).await?;
        let pieces = verify_history(&history, &chain, &view, self.address())?;
        let coins = Self::coins_from(&history, &pieces)?;
        self.add_received(coins.clone(), view.tip)?;
        Ok(coins)
    }

    fn add_received(&mut self, coins: Vec<Coin>, block: u64) -> Result<()> {
        for c in coins {
            let dup = self
                .store
                .state
                .coins
                .iter()
                .any(|o| o.segment.overlaps(&c.segment));
            if dup {
                continue;
            }
            self.store.state.activity.push(Activity::Received {
                segment: c.segment,
                block,
            });
            self.store.state.coins.push(c);
        }
        self.store.state.coins.sort_by_key(|c| c.segment.start());
        self.save()
    }

    /// Follows the chain from where the wallet stopped to the L1 tip: checks each block against
    /// its L1 commitment, extends every coin's history, notices coins spent (by the wallet's own
    /// transactions) and received (verifying their whole history), and raises alerts, marking
    /// coins that must be exited, when the operator withholds a block or moves coins without the
    /// wallet's signature.
    pub async fn sync<L: L1, S: BlockSource>(
        &mut self,
        client: &DebyeChainClient<L>,
        source: &S,
    ) -> Result<SyncReport> {
        let chain = self.bind(client).await?;
        let me = self.address();
        let view = AnchorView::fetch(client, []).await?;
        let mut cache = BlockCache::new(source, chain);
        let mut report = SyncReport {
            synced_to: self.store.state.synced_to,
            ..Default::default()
        };
        let first = self
            .store
            .state
            .coins
            .iter()
            .filter(|c| c.status != CoinStatus::Exiting)
            .map(|c| c.history.next_block())
            .chain([self.store.state.synced_to.saturating_add(1)])
            .min()
            .unwrap_or(1);
        let mut incoming: Vec<Segment> = Vec::new();
        // The shielded side follows the same checked blocks, from where its own scan stopped.
        let mut scanner = self.scanner.clone();
        if let Some(s) = &scanner {
            // The pool's logs first: a deposit must be expected before its DEPOSIT entry is
            // scanned (a restored wallet learns its deposits only there, S-6.2).
            let pool = ShieldedPoolClient::at(client.l1(), client.shielded_pool().await?);
            self.follow_pool(&pool, s).await?;
        }
        let start = scanner.as_ref().map_or(first, |_| {
            first.min(self.store.state.shielded.scanned_to + 1)
        });
        'blocks: for n in start..=view.tip {
            let commitment = view.block_hash(n);
            let fault = match cache.get(n).await? {
                None => Some(Error::MissingBlock { block: n }),
                Some((block, tree)) => {
                    if Some(block.header.hash()) != commitment {
                        Some(Error::HeaderMismatch { block: n })
                    } else if tree.root() != block.header.tx_root {
                        Some(Error::Operator(format!(
                            "block {n}'s transactions do not build its committed root"
                        )))
                    } else {
                        None
                    }
                }
            };
            if let Some(e) = fault {
                self.alert(&mut report, n, &e);
                // The shielded section of a block nobody serves is withheld too (S-7.2): the
                // wallet must leave before the operator can spend what only it knows.
                if scanner.is_some() && n > self.store.state.shielded.scanned_to {
                    self.raise_withheld(&mut report, n, e.to_string());
                }
                // Every coin live at this block is at risk: the wallet cannot prove what
                // happened to it, so it must leave.
                for c in &mut self.store.state.coins {
                    if c.history.next_block() <= n && c.status != CoinStatus::Exiting {
                        report.exit_needed.push(c.segment);
                    }
                }
                break 'blocks;
            }
            let Some((block, tree)) = cache.get(n).await? else {
                break;
            };
            let (block, tree) = (block.clone(), tree.clone());
            // Scanned at most once: a block at or below `scanned_to` changes nothing.
            if let Some(s) = &scanner
                && n == self.store.state.shielded.scanned_to + 1
            {
                let mut state = self.store.state.shielded.clone();
                match state.scan_section(s, &block.header, true, &block.shielded) {
                    Ok(scan) => {
                        if block.header.entry_count > 0 {
                            state.refresh_paths()?;
                        }
                        // A body that now matches ends an alert raised for this block.
                        if state.withheld.as_ref().is_some_and(|a| a.block <= n) {
                            state.withheld = None;
                        }
                        self.store.state.shielded = state;
                        report.notes_received.extend(scan.received);
                        report.notes_spent.extend(scan.spent);
                    }
                    Err(e @ Error::ShieldedBlock { .. }) => {
                        // The section does not match the committed header: treat the block as
                        // withheld on the shielded side (S-7.2); stop scanning there.
                        self.alert(&mut report, n, &e);
                        let reason = match &e {
                            Error::ShieldedBlock { reason, .. } => reason.clone(),
                            other => other.to_string(),
                        };
                        self.raise_withheld(&mut report, n, reason);
                        scanner = None;
                    }
                    Err(e) => return Err(e),
                }
            }
            if n < first {
                continue;
            }
            self.store.state.headers.insert(n, block.header);
            let coins = std::mem::take(&mut self.store.state.coins);
            let mut kept = Vec::with_capacity(coins.len());
            for coin in coins {
                if coin.history.next_block() != n || coin.status == CoinStatus::Exiting {
                    kept.push(coin);
                    continue;
                }
                let mut h = coin.history.clone();
                h.extend_with_block(&block, &tree)?;
                let piece = Piece {
                    segment: coin.segment,
                    owner: me,
                    origin: coin.origin,
                    origin_segment: coin.origin_segment,
                    live_from: n,
                };
                let mut v = HistoryVerifier::resume(&chain, vec![piece], n);
                let ev = h.blocks.last().ok_or_else(|| {
                    Error::MalformedHistory("extended history has no block".into())
                })?;
                match v.step(ev, commitment) {
                    Err(e) if e.is_history_fault() => {
                        self.alert(&mut report, n, &e);
                        report.exit_needed.push(coin.segment);
                        kept.push(coin);
                    }
                    Err(e) => return Err(e),
                    Ok(()) => {
                        let pieces = v.pieces();
                        if let [p] = pieces
                            && p.owner == me
                            && p.origin == coin.origin
                        {
                            kept.push(Coin { history: h, ..coin });
                            continue;
                        }
                        for p in pieces {
                            if p.owner == me {
                                report.received.push(p.segment);
                                kept.extend(Self::coins_from(&h, std::slice::from_ref(p))?);
                            } else {
                                report.spent.push(p.segment);
                            }
                        }
                    }
                }
            }
            self.store.state.coins = merge_coins(kept);
            // Outputs to the wallet from coins it did not hold: payments to verify.
            for stx in &block.transactions {
                let from_me = stx.transaction.inputs.iter().all(|i| i.owner == me);
                if from_me {
                    continue;
                }
                for out in stx.transaction.outputs.iter().filter(|o| o.owner == me) {
                    incoming.push(out.segment);
                }
            }
            self.store.state.synced_to = n;
            report.synced_to = n;
        }
        let tip = report.synced_to;
        for segment in incoming {
            if self
                .store
                .state
                .coins
                .iter()
                .any(|c| c.segment.overlaps(&segment))
            {
                continue;
            }
            let checked = match Self::build_history(client, &mut cache, segment, tip).await {
                Ok(h) => {
                    let deposits = h.deposits.iter().map(|d| d.start);
                    let view = AnchorView::fetch(client, deposits).await?;
                    verify_history(&h, &chain, &view, me).map(|p| (h, p))
                }
                Err(e) => Err(e),
            };
            match checked {
                Ok((h, pieces)) => {
                    let coins = Self::coins_from(&h, &pieces)?;
                    report.received.extend(coins.iter().map(|c| c.segment));
                    self.add_received(coins, tip)?;
                }
                Err(e) if e.is_history_fault() => self.alert(&mut report, tip, &e),
                Err(e) => return Err(e),
            }
        }
        report.shielded_withheld = self.store.state.shielded.withheld.clone();
        self.save()?;
        Ok(report)
    }

    /// Raises the withheld-data alert for block `block` (S-7.2): kept in the store, so
    /// `balance` and `notes` repeat it until a matching body is scanned.
    fn raise_withheld(&mut self, report: &mut SyncReport, block: u64, reason: String) {
        let alert = WithheldAlert { block, reason };
        report
            .alerts
            .push(format!("ShieldedWithheld: {}", alert.message()));
        self.store.state.activity.push(Activity::Alert {
            block,
            code: "ShieldedWithheld".into(),
            message: alert.message(),
        });
        let s = &mut self.store.state.shielded;
        if s.withheld.as_ref().is_none_or(|a| a.block >= block) {
            s.withheld = Some(alert);
        }
    }

    fn alert(&mut self, report: &mut SyncReport, block: u64, e: &Error) {
        report.alerts.push(format!("{}: {e}", e.code()));
        self.store.state.activity.push(Activity::Alert {
            block,
            code: e.code().into(),
            message: e.to_string(),
        });
    }

    /// Verifies the history of coins offered to the wallet (up to the L1 tip, as if they were
    /// the offerer's), so a swap is only signed for coins that are real.
    pub async fn check_offer<L: L1, S: BlockSource>(
        &self,
        client: &DebyeChainClient<L>,
        source: &S,
        offer: &SwapOffer,
    ) -> Result<()> {
        let chain = self.chain()?;
        let view =
            AnchorView::fetch(client, offer.history.deposits.iter().map(|d| d.start)).await?;
        let mut h = offer.history.clone();
        let mut cache = BlockCache::new(source, chain);
        Self::extend_history(&mut h, &mut cache, view.tip).await?;
        verify_history(&h, &chain, &view, offer.owner).map(|_| ())
    }
}

/// The transaction that created the piece's coins, from the history's inclusion evidence.
fn created_by(history: &CoinHistory, p: &Piece) -> Option<SignedTransaction> {
    if p.origin.is_deposit() {
        return None;
    }
    history
        .blocks
        .iter()
        .find(|b| b.header.number == p.origin.block)?
        .items
        .iter()
        .find_map(|e| match e {
            Evidence::Included {
                segment,
                transaction,
                ..
            } if segment.overlaps(&p.segment) => Some(transaction.clone()),
            _ => None,
        })
}

/// Merges owned coins that touch and share an origin (pieces of one output) into one coin.
fn merge_coins(coins: Vec<Coin>) -> Vec<Coin> {
    merge_runs(
        coins,
        |c| c.segment,
        |last, c| {
            let joined = (last.origin == c.origin && last.status == c.status)
                .then(|| last.history.merge(&c.history).ok())
                .flatten();
            joined
                .map(|h| {
                    last.segment = h.segment;
                    last.history = h;
                })
                .is_some()
        },
    )
}
