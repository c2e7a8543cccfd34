//! Spending: payments that pick, split and merge ranges, their submission and release, and
//! atomic swaps of two ranges between two wallets (docs/wallet.md §5).

use alloy_primitives::{Address, B256, Signature, U256};
use debye_primitives::{Input, Output, Segment, SignedTransaction, Transaction, tx::MAX_INPUTS};
use serde::{Deserialize, Serialize};

use super::base::Wallet;
use crate::{
    error::{Error, Result},
    history::model::{CoinHistory, extend_to, intersect, merge_runs},
    records::{Activity, Coin, CoinStatus},
    source::BlockSource,
};

/// A payment: the signed transaction and, per recipient output, the history to hand over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// The transaction.
    pub transaction: SignedTransaction,
    /// Its id.
    pub tx_id: B256,
    /// Coins paid.
    pub paid: Vec<Segment>,
    /// Histories of the paid coins up to the block before inclusion; the recipient extends them
    /// from the operator and verifies them.
    pub histories: Vec<CoinHistory>,
}

/// One side of an atomic swap: the coins a party will give, from which coin, and their history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SwapOffer {
    /// The offering party.
    pub owner: Address,
    /// The whole coin spent (the input of the swap transaction).
    pub input: Input,
    /// The part of it given to the other party (the rest comes back as change).
    pub give: Segment,
    /// History of `give`, for the other party to verify.
    pub history: CoinHistory,
}

/// A swap transaction signed by its proposer, for the counterparty to check and co-sign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SwapProposal {
    /// The transaction (proposer's input first).
    pub transaction: Transaction,
    /// The proposer's signature.
    pub signature: Signature,
    /// The proposer's offer (what the counterparty receives, with its history).
    pub offer: SwapOffer,
}

impl Wallet {
    fn spendable(&self, token: u32) -> Vec<&Coin> {
        self.store
            .state
            .coins
            .iter()
            .filter(|c| c.token() == token && c.status == CoinStatus::Owned)
            .collect()
    }

    /// Builds and signs a payment of `amount` of `token` to `to`: picks the smallest coin that
    /// covers it (else the largest coins first), splits the last one, and merges touching
    /// ranges into single outputs. Marks the coins as being spent.
    pub fn build_payment(
        &mut self,
        to: Address,
        token: u32,
        amount: U256,
        max_block_index: u64,
    ) -> Result<Payment> {
        if amount.is_zero() {
            return Err(Error::InvalidAmount("zero".into()));
        }
        let chain = self.chain()?;
        let me = self.address();
        let mut coins = self.spendable(token);
        let available: U256 = coins.iter().map(|c| c.segment.len()).sum();
        let chosen: Vec<Coin> = match coins
            .iter()
            .filter(|c| c.segment.len() >= amount)
            .min_by_key(|c| c.segment.len())
        {
            Some(c) => vec![(*c).clone()],
            None => {
                coins.sort_by_key(|c| std::cmp::Reverse(c.segment.len()));
                let mut sum = U256::ZERO;
                let mut v = Vec::new();
                for c in coins.into_iter().take(MAX_INPUTS - 1) {
                    if sum >= amount {
                        break;
                    }
                    sum += c.segment.len();
                    v.push(c.clone());
                }
                if sum < amount {
                    return Err(Error::InsufficientFunds {
                        token,
                        needed: amount,
                        available,
                    });
                }
                v.sort_by_key(|c| c.segment.start());
                v
            }
        };
        let mut remaining = amount;
        let (mut paid, mut change) = (Vec::new(), Vec::new());
        for c in &chosen {
            let take = remaining.min(c.segment.len());
            remaining -= take;
            if !take.is_zero() {
                paid.push(Segment::new(c.segment.start(), c.segment.start() + take)?);
            }
            if take < c.segment.len() {
                change.push(Segment::new(c.segment.start() + take, c.segment.end())?);
            }
        }
        let paid = merge_touching(paid);
        let change = merge_touching(change);
        let transaction = Transaction {
            inputs: chosen
                .iter()
                .map(|c| c.origin.input(me, c.segment))
                .collect(),
            outputs: paid
                .iter()
                .map(|s| Output {
                    owner: to,
                    segment: *s,
                })
                .chain(change.iter().map(|s| Output {
                    owner: me,
                    segment: *s,
                }))
                .collect(),
            max_block_index,
        };
        let signed = transaction.sign(
            &chain.domain(),
            std::slice::from_ref(self.key.signing_key()),
        )?;
        let tx_id = signed.verify(&chain.domain())?;
        let histories = paid
            .iter()
            .map(|s| history_of(&chosen, *s))
            .collect::<Result<Vec<_>>>()?;
        for c in &mut self.store.state.coins {
            if chosen.iter().any(|x| x.segment == c.segment) {
                c.status = CoinStatus::Spending { tx_id };
            }
        }
        self.store.state.activity.push(Activity::Sent {
            tx_id,
            to,
            segments: paid.clone(),
        });
        self.save()?;
        Ok(Payment {
            transaction: signed,
            tx_id,
            paid,
            histories,
        })
    }

    /// Builds a payment and submits it to the operator.
    pub async fn pay<S: BlockSource>(
        &mut self,
        source: &S,
        to: Address,
        token: u32,
        amount: U256,
        max_block_index: u64,
    ) -> Result<Payment> {
        let payment = self.build_payment(to, token, amount, max_block_index)?;
        self.submit_or_release(source, &payment).await?;
        Ok(payment)
    }

    /// Submits a built payment; if the operator refuses it ([`Error::Refused`]), the coins it
    /// would have spent become spendable again. Any other failure leaves them reserved: the
    /// transaction may have been accepted, and `sync` settles it (included, or released once
    /// expired).
    pub async fn submit_or_release<S: BlockSource>(
        &mut self,
        source: &S,
        payment: &Payment,
    ) -> Result<()> {
        match source.submit(payment.transaction.clone()).await {
            Ok(_) => Ok(()),
            Err(e @ Error::Refused(_)) => {
                self.release(payment.tx_id)?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Puts back coins whose spending transaction was never included (expired or dropped).
    pub fn release(&mut self, tx_id: B256) -> Result<()> {
        for c in &mut self.store.state.coins {
            if c.status == (CoinStatus::Spending { tx_id }) {
                c.status = CoinStatus::Owned;
            }
        }
        self.save()
    }

    fn owned_coin_containing(&self, segment: &Segment) -> Result<&Coin> {
        self.store
            .state
            .coins
            .iter()
            .find(|c| c.status == CoinStatus::Owned && c.segment.contains(segment))
            .ok_or_else(|| Error::NoSuchCoin(format!("no spendable coin holds {segment}")))
    }

    /// The counterparty's side of a swap: offers `give` (inside one owned coin).
    pub fn swap_offer(&self, give: Segment) -> Result<SwapOffer> {
        let coin = self.owned_coin_containing(&give)?;
        Ok(SwapOffer {
            owner: self.address(),
            input: coin.origin.input(self.address(), coin.segment),
            give,
            history: coin.history.restrict(give)?,
        })
    }

    /// Proposes a swap of `give` (inside one owned coin) for the counterparty's `offer`: builds
    /// the transaction (each side's change goes back to it) and signs it.
    pub fn swap_propose(
        &mut self,
        give: Segment,
        offer: &SwapOffer,
        max_block_index: u64,
    ) -> Result<SwapProposal> {
        let chain = self.chain()?;
        let mine = self.swap_offer(give)?;
        if !offer.input.segment.contains(&offer.give) || offer.input.owner != offer.owner {
            return Err(Error::SwapRejected(
                "the offer's coins do not match its input".into(),
            ));
        }
        let transaction = swap_transaction(&mine, offer, max_block_index)?;
        let signature = debye_primitives::tx::sign_digest(
            self.key.signing_key(),
            &transaction.tx_id(&chain.domain()),
        )?;
        self.mark_spending(&mine.input.segment, transaction.tx_id(&chain.domain()))?;
        Ok(SwapProposal {
            transaction,
            signature,
            offer: mine,
        })
    }

    /// The counterparty checks a proposal against its own `my_offer` (the transaction must be
    /// exactly the swap of the two offers), co-signs, and returns the fully signed transaction.
    /// The history of what it receives is verified separately with [`Wallet::receive`] once the
    /// transaction is in a block; before signing, [`Wallet::check_offer`] verifies it up to now.
    pub fn swap_cosign(
        &mut self,
        proposal: &SwapProposal,
        my_offer: &SwapOffer,
    ) -> Result<SignedTransaction> {
        let chain = self.chain()?;
        let expected = swap_transaction(
            &proposal.offer,
            my_offer,
            proposal.transaction.max_block_index,
        )?;
        if expected != proposal.transaction {
            return Err(Error::SwapRejected(
                "the transaction is not the agreed swap".into(),
            ));
        }
        let digest = proposal.transaction.tx_id(&chain.domain());
        let proposer = debye_primitives::tx::recover_signer(&proposal.signature, &digest, 0)?;
        if proposer != proposal.offer.owner {
            return Err(Error::SwapRejected(
                "the proposer's signature is not theirs".into(),
            ));
        }
        let mine = debye_primitives::tx::sign_digest(self.key.signing_key(), &digest)?;
        let signed = SignedTransaction {
            transaction: proposal.transaction.clone(),
            signatures: vec![proposal.signature, mine],
        };
        let tx_id = signed.verify(&chain.domain())?;
        self.mark_spending(&my_offer.input.segment, tx_id)?;
        self.store.state.activity.push(Activity::Swap {
            tx_id,
            gave: my_offer.give,
            got: proposal.offer.give,
        });
        self.save()?;
        Ok(signed)
    }

    fn mark_spending(&mut self, segment: &Segment, tx_id: B256) -> Result<()> {
        for c in &mut self.store.state.coins {
            if c.segment == *segment {
                c.status = CoinStatus::Spending { tx_id };
            }
        }
        self.save()
    }
}

/// Merges touching segments of the same token (input sorted by start).
fn merge_touching(segs: Vec<Segment>) -> Vec<Segment> {
    merge_runs(segs, |s| *s, extend_to)
}

/// The history of `segment`, assembled from the coins that hold it.
fn history_of(coins: &[Coin], segment: Segment) -> Result<CoinHistory> {
    let mut parts = coins
        .iter()
        .filter_map(|c| intersect(&c.segment, &segment).map(|s| c.history.restrict(s)));
    let mut h = parts
        .next()
        .ok_or_else(|| Error::NoSuchCoin(format!("no coin holds {segment}")))??;
    for p in parts {
        h = h.merge(&p?)?;
    }
    Ok(h)
}

/// The swap transaction of two offers: proposer's input first; each side's given coins go to the
/// other, the rest of each input comes back as change.
fn swap_transaction(a: &SwapOffer, b: &SwapOffer, max_block_index: u64) -> Result<Transaction> {
    let mut outputs = vec![
        Output {
            owner: b.owner,
            segment: a.give,
        },
        Output {
            owner: a.owner,
            segment: b.give,
        },
    ];
    for o in [a, b] {
        for s in difference(&o.input.segment, &o.give)? {
            outputs.push(Output {
                owner: o.owner,
                segment: s,
            });
        }
    }
    let tx = Transaction {
        inputs: vec![a.input, b.input],
        outputs,
        max_block_index,
    };
    tx.validate()?;
    Ok(tx)
}

/// `whole` minus `part` (inside it): up to two segments.
fn difference(whole: &Segment, part: &Segment) -> Result<Vec<Segment>> {
    let mut out = Vec::new();
    if whole.start() < part.start() {
        out.push(Segment::new(whole.start(), part.start())?);
    }
    if part.end() < whole.end() {
        out.push(Segment::new(part.end(), whole.end())?);
    }
    Ok(out)
}
