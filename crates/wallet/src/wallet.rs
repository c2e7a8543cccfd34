//! The wallet: keys on disk, the user-held store, and what the user does with them.

use std::{
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
};

use alloy_primitives::{Address, B256, Signature, U256};
use alloy_sol_types::SolCall;
use debye_l1::{L1, L1Tx, contracts::DebyeChainClient};
use debye_primitives::{
    Block, BlockHeader, InclusionProof, Input, Output, Segment, SignedTransaction, SumMerkleTree,
    Transaction, tx::MAX_INPUTS,
};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{
    error::{Error, Result, io},
    history::{
        anchor::{AnchorView, Commitments},
        model::{
            ChainId, CoinHistory, DepositEvidence, Evidence, Origin, extend_to, intersect,
            merge_runs,
        },
        verify::{HistoryVerifier, Piece, verify_history},
    },
    keys::{AccountKey, Mnemonic},
    keystore::{Keystore, ScryptParams},
    records::{Activity, BackupPayload, Coin, CoinStatus, WalletState},
    secret::Passphrase,
    source::BlockSource,
    store::Store,
};

/// File names inside a wallet directory.
pub mod files {
    /// The account key, keystore v3.
    pub const KEYSTORE: &str = "keystore.json";
    /// The BIP-39 entropy, in the same encrypted container (absent for imported raw keys).
    pub const MNEMONIC: &str = "mnemonic.json";
    /// The user-held store.
    pub const STORE: &str = "wallet.json";
}

pub use crate::records::BACKUP_VERSION;

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
}

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

/// What an exit of a coin needs on L1: the coin's origin, the transaction that created it with
/// its inclusion proof and header (or the deposit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitClaim {
    /// The coins exited.
    pub segment: Segment,
    /// The output (or deposit) exited from.
    pub origin: Origin,
    /// The deposit, when the coins come straight from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit: Option<DepositEvidence>,
    /// The creating transaction, its block header and inclusion proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<(SignedTransaction, BlockHeader, InclusionProof)>,
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

/// A wallet opened from its directory.
#[derive(Debug)]
pub struct Wallet {
    key: AccountKey,
    store: Store,
    dir: PathBuf,
}

fn create_dir(dir: &Path) -> Result<()> {
    if dir.join(files::KEYSTORE).exists() {
        return Err(Error::AlreadyExists(dir.join(files::KEYSTORE)));
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io(dir))?;
    }
    Ok(())
}

impl Wallet {
    /// Creates a wallet in `dir` from a mnemonic (account `index`), encrypting the key and the
    /// mnemonic under `passphrase`.
    pub fn create(
        dir: &Path,
        mnemonic: &Mnemonic,
        index: u32,
        passphrase: &Passphrase,
        params: ScryptParams,
    ) -> Result<Self> {
        create_dir(dir)?;
        let key = mnemonic.account_key(index)?;
        let entropy = mnemonic.entropy()?;
        Keystore::encrypt(entropy.expose(), passphrase, params, None)?
            .save(&dir.join(files::MNEMONIC))?;
        Self::create_with_key(dir, key, passphrase, params)
    }

    /// Creates a wallet in `dir` around an existing private key (no mnemonic).
    pub fn import_key(
        dir: &Path,
        key: AccountKey,
        passphrase: &Passphrase,
        params: ScryptParams,
    ) -> Result<Self> {
        create_dir(dir)?;
        Self::create_with_key(dir, key, passphrase, params)
    }

    fn create_with_key(
        dir: &Path,
        key: AccountKey,
        passphrase: &Passphrase,
        params: ScryptParams,
    ) -> Result<Self> {
        Keystore::encrypt(
            key.to_bytes().expose(),
            passphrase,
            params,
            Some(key.address()),
        )?
        .save(&dir.join(files::KEYSTORE))?;
        let store = Store::create(&dir.join(files::STORE), key.address())?;
        Ok(Self {
            key,
            store,
            dir: dir.to_owned(),
        })
    }

    /// Opens the wallet in `dir`, decrypting its key.
    pub fn open(dir: &Path, passphrase: &Passphrase) -> Result<Self> {
        let key = Keystore::load(&dir.join(files::KEYSTORE))?.decrypt_key(passphrase)?;
        let store = Store::open(&dir.join(files::STORE))?;
        if store.state.address != key.address() {
            return Err(Error::StoreCorrupt {
                path: store.path().to_owned(),
                reason: format!(
                    "store is for {}, key is {}",
                    store.state.address,
                    key.address()
                ),
            });
        }
        Ok(Self {
            key,
            store,
            dir: dir.to_owned(),
        })
    }

    /// The state of the wallet in `dir`, read without the passphrase (nothing in it is secret).
    pub fn read_state(dir: &Path) -> Result<WalletState> {
        Ok(Store::open(&dir.join(files::STORE))?.state)
    }

    /// The address.
    pub const fn address(&self) -> Address {
        self.key.address()
    }

    /// The account key.
    pub const fn key(&self) -> &AccountKey {
        &self.key
    }

    /// The stored state.
    pub const fn state(&self) -> &WalletState {
        &self.store.state
    }

    /// The wallet directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn save(&self) -> Result<()> {
        self.store.save()
    }

    /// Changes the stored state and saves it.
    /// The account's signature over `digest` (a transaction id), for signing on L1.
    pub(crate) fn sign_digest(&self, digest: &B256) -> Result<Signature> {
        Ok(debye_primitives::tx::sign_digest(
            self.key.signing_key(),
            digest,
        )?)
    }

    pub(crate) fn with_state(&mut self, f: impl FnOnce(&mut WalletState)) -> Result<()> {
        f(&mut self.store.state);
        self.save()
    }

    fn chain(&self) -> Result<ChainId> {
        self.store
            .state
            .chain
            .ok_or_else(|| Error::NoSuchCoin("the wallet is not bound to a chain yet".into()))
    }

    /// Binds the wallet to the chain of `client` on first use; afterwards checks it is the same.
    pub async fn bind<L: L1>(&mut self, client: &DebyeChainClient<L>) -> Result<ChainId> {
        let found = ChainId {
            chain_id: client.l1().chain_id().await?,
            anchor: client.address(),
        };
        match self.store.state.chain {
            Some(c) if c != found => Err(Error::WrongChain {
                expected_chain: c.chain_id,
                expected_anchor: c.anchor,
                chain: found.chain_id,
                anchor: found.anchor,
            }),
            Some(c) => Ok(c),
            None => {
                self.store.state.chain = Some(found);
                self.save()?;
                Ok(found)
            }
        }
    }

    fn add_deposit(&mut self, chain: ChainId, d: DepositEvidence) -> Result<Coin> {
        let segment = d.segment()?;
        let coin = Coin {
            segment,
            origin: Origin::deposit(d.block_number),
            origin_segment: segment,
            created_by: None,
            history: CoinHistory::new(chain, segment, vec![d]),
            status: CoinStatus::Owned,
        };
        self.store.state.coins.push(coin.clone());
        self.store
            .state
            .activity
            .push(Activity::Deposit { deposit: d });
        self.save()?;
        Ok(coin)
    }

    /// Deposits `wei` of ETH from the wallet's L1 account; tracks the new coins.
    pub async fn deposit_eth<L: L1>(
        &mut self,
        client: &DebyeChainClient<L>,
        wei: U256,
    ) -> Result<Coin> {
        let chain = self.bind(client).await?;
        let d = client.deposit_eth(self.address(), wei).await?;
        self.add_deposit(chain, DepositEvidence::from(&d))
    }

    /// Approves the anchor for `amount` of ERC-20 `token` and deposits it; tracks the new coins.
    pub async fn deposit_token<L: L1>(
        &mut self,
        client: &DebyeChainClient<L>,
        token: Address,
        amount: U256,
    ) -> Result<Coin> {
        let chain = self.bind(client).await?;
        let approve = debye_l1::contracts::TestToken::approveCall {
            spender: client.address(),
            value: amount,
        };
        client
            .l1()
            .send(L1Tx::call(self.address(), token, approve.abi_encode()))
            .await?;
        let d = client.deposit_token(self.address(), token, amount).await?;
        self.add_deposit(chain, DepositEvidence::from(&d))
    }

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
        'blocks: for n in first..=view.tip {
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
        self.save()?;
        Ok(report)
    }

    fn alert(&mut self, report: &mut SyncReport, block: u64, e: &Error) {
        report.alerts.push(format!("{}: {e}", e.code()));
        self.store.state.activity.push(Activity::Alert {
            block,
            code: e.code().into(),
            message: e.to_string(),
        });
    }

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

    fn mark_spending(&mut self, segment: &Segment, tx_id: B256) -> Result<()> {
        for c in &mut self.store.state.coins {
            if c.segment == *segment {
                c.status = CoinStatus::Spending { tx_id };
            }
        }
        self.save()
    }

    /// What an exit of each coin needs, from the held data alone.
    pub fn exit_claims(&self) -> Vec<ExitClaim> {
        self.store.state.coins.iter().map(exit_claim).collect()
    }

    /// An encrypted export of the key, the mnemonic (if any) and every held proof: a keystore
    /// v3 container whose plaintext is the JSON backup payload.
    pub fn backup(
        &self,
        wallet_passphrase: &Passphrase,
        backup_passphrase: &Passphrase,
        params: ScryptParams,
    ) -> Result<Keystore> {
        let mnemonic_path = self.dir.join(files::MNEMONIC);
        let mnemonic_entropy = if mnemonic_path.exists() {
            let e = Keystore::load(&mnemonic_path)?.decrypt(wallet_passphrase)?;
            Some(hex::encode(e.expose()))
        } else {
            None
        };
        let payload = BackupPayload {
            version: BACKUP_VERSION,
            private_key: hex::encode(self.key.to_bytes().expose()),
            mnemonic_entropy,
            state: self.store.state.clone(),
        };
        let json =
            Zeroizing::new(serde_json::to_vec(&payload).map_err(|e| Error::Backup(e.to_string()))?);
        Keystore::encrypt(&json, backup_passphrase, params, Some(self.address()))
    }

    /// Restores a backup into a new wallet directory `dir`, protected by `new_passphrase`.
    pub fn restore(
        dir: &Path,
        backup: &Keystore,
        backup_passphrase: &Passphrase,
        new_passphrase: &Passphrase,
        params: ScryptParams,
    ) -> Result<Self> {
        let plain = backup.decrypt(backup_passphrase)?;
        let payload: BackupPayload =
            serde_json::from_slice(plain.expose()).map_err(|e| Error::Backup(e.to_string()))?;
        if payload.version != BACKUP_VERSION {
            return Err(Error::Backup(format!("version {}", payload.version)));
        }
        let key_bytes = Zeroizing::new(
            hex::decode(&payload.private_key).map_err(|e| Error::Backup(e.to_string()))?,
        );
        let key = AccountKey::from_bytes(
            key_bytes
                .as_slice()
                .try_into()
                .map_err(|_| Error::Backup("key is not 32 bytes".into()))?,
        )?;
        if key.address() != payload.state.address {
            return Err(Error::Backup(
                "key and store disagree on the address".into(),
            ));
        }
        create_dir(dir)?;
        if let Some(e) = &payload.mnemonic_entropy {
            let entropy = Zeroizing::new(hex::decode(e).map_err(|e| Error::Backup(e.to_string()))?);
            Keystore::encrypt(&entropy, new_passphrase, params, None)?
                .save(&dir.join(files::MNEMONIC))?;
        }
        Keystore::encrypt(
            key.to_bytes().expose(),
            new_passphrase,
            params,
            Some(key.address()),
        )?
        .save(&dir.join(files::KEYSTORE))?;
        let store = Store::overwrite(&dir.join(files::STORE), payload.state.clone())?;
        Ok(Self {
            key,
            store,
            dir: dir.to_owned(),
        })
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

pub(crate) fn exit_claim(c: &Coin) -> ExitClaim {
    let deposit = c
        .origin
        .is_deposit()
        .then(|| {
            c.history
                .deposits
                .iter()
                .find(|d| d.segment().is_ok_and(|s| s.contains(&c.segment)))
                .copied()
        })
        .flatten();
    let created_by = c
        .history
        .blocks
        .iter()
        .find(|b| b.header.number == c.origin.block && !c.origin.is_deposit())
        .and_then(|b| {
            b.items.iter().find_map(|e| match e {
                Evidence::Included {
                    segment,
                    transaction,
                    proof,
                    ..
                } if segment.overlaps(&c.segment) => {
                    Some((transaction.clone(), b.header, proof.clone()))
                }
                _ => None,
            })
        });
    ExitClaim {
        segment: c.segment,
        origin: c.origin,
        deposit,
        created_by,
    }
}

/// Merges touching segments of the same token (input sorted by start).
fn merge_touching(segs: Vec<Segment>) -> Vec<Segment> {
    merge_runs(segs, |s| *s, extend_to)
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

/// Balances by token as `(spendable, pending, exiting)`.
pub fn balances(state: &WalletState) -> BTreeMap<u32, (U256, U256, U256)> {
    state.balances()
}
