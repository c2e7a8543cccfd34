//! The Plasma Cash/Prime safety rule (docs/wallet.md §1): [`HistoryVerifier`] follows coins
//! block by block from their deposits, [`verify_history`] checks a whole [`CoinHistory`] against
//! L1 and the expected recipient, including the exits and forced transactions that would make the
//! coins worthless (rules 6 and 7).

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use debye_accumulator::{
    ExclusionProof as AccExclusionProof, Geometry, Group, check_header_commitment, coin_range,
    verify_exclusion,
};
use debye_primitives::{Eip712Domain, Input, Segment, SignedTransaction};
use serde::{Deserialize, Serialize};

use super::{
    anchor::{Commitments, L1Forced},
    model::{
        BlockEvidence, ChainId, CoinHistory, DepositEvidence, Evidence, HISTORY_VERSION, Origin,
        SpanEvidence, extend_to, intersect, merge_runs,
    },
};
use crate::error::{Error, Result};

// Checking a span against L1 is part of the rule, so it lives here: the model stays free of L1.
impl SpanEvidence {
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
pub fn merge_pieces(pieces: Vec<Piece>) -> Vec<Piece> {
    merge_runs(
        pieces,
        |p| p.segment,
        |last, p| {
            last.owner == p.owner
                && last.origin == p.origin
                && last.origin_segment == p.origin_segment
                && last.live_from == p.live_from
                && extend_to(&mut last.segment, &p.segment)
        },
    )
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
        && input.is_deposit() == piece.origin.is_deposit())
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
