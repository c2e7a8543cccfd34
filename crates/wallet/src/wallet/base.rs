//! The `Wallet` object itself: its directory and files, keys on disk, the user-held store, the
//! chain it is bound to, deposits, and what an exit of each coin needs. Syncing, payments and
//! backups extend it in sibling modules; this one uses none of them.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use alloy_primitives::{Address, B256, Signature, U256};
use alloy_sol_types::SolCall;
use debye_l1::{L1, L1Tx, contracts::DebyeChainClient};
use debye_primitives::{BlockHeader, InclusionProof, Segment, SignedTransaction};
use serde::{Deserialize, Serialize};

use crate::{
    error::{Error, Result, io},
    history::model::{ChainId, CoinHistory, DepositEvidence, Evidence, Origin},
    keys::{AccountKey, Mnemonic},
    keystore::{Keystore, ScryptParams},
    records::{Activity, Coin, CoinStatus, WalletState},
    secret::Passphrase,
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

/// A wallet opened from its directory.
#[derive(Debug)]
pub struct Wallet {
    // Visible to the sibling modules that extend the object (sync, pay, backup), no further.
    pub(super) key: AccountKey,
    pub(super) store: Store,
    pub(super) dir: PathBuf,
    /// The shielded keys once [`Wallet::shielded_keys`] derived them: [`Wallet::sync`] scans
    /// each block's shielded section with them (kept in memory only).
    pub(super) scanner: Option<crate::shielded::scan::Scanner>,
}

pub(super) fn create_dir(dir: &Path) -> Result<()> {
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
        let address = key.address();
        Self::write_files(
            dir,
            key,
            Some(entropy.expose()),
            passphrase,
            params,
            |path| Store::create(path, address),
        )
    }

    /// Creates a wallet in `dir` around an existing private key (no mnemonic).
    pub fn import_key(
        dir: &Path,
        key: AccountKey,
        passphrase: &Passphrase,
        params: ScryptParams,
    ) -> Result<Self> {
        create_dir(dir)?;
        let address = key.address();
        Self::write_files(dir, key, None, passphrase, params, |path| {
            Store::create(path, address)
        })
    }

    /// Writes a new wallet's files into `dir` (made by [`create_dir`]): the mnemonic entropy if
    /// any, then the key, each encrypted under `passphrase`, then the store `store` makes at its
    /// path. Creating, importing and restoring all go through here, so the files stay alike.
    pub(super) fn write_files(
        dir: &Path,
        key: AccountKey,
        entropy: Option<&[u8]>,
        passphrase: &Passphrase,
        params: ScryptParams,
        store: impl FnOnce(&Path) -> Result<Store>,
    ) -> Result<Self> {
        if let Some(e) = entropy {
            Keystore::encrypt(e, passphrase, params, None)?.save(&dir.join(files::MNEMONIC))?;
        }
        Keystore::encrypt(
            key.to_bytes().expose(),
            passphrase,
            params,
            Some(key.address()),
        )?
        .save(&dir.join(files::KEYSTORE))?;
        let mut store = store(&dir.join(files::STORE))?;
        // The shielded address is public: record it now so `address --private` needs no
        // passphrase (the keys themselves are derived again when needed).
        let shielded = match entropy {
            Some(e) => crate::shielded::keys::from_mnemonic(&Mnemonic::from_entropy(e)?)?,
            None => crate::shielded::keys::from_account_key(&key)?,
        };
        let address = Some(crate::shielded::PrivateAddress(shielded.address()));
        if store.state.shielded.address != address {
            store.state.shielded.address = address;
            store.save()?;
        }
        Ok(Self {
            key,
            store,
            dir: dir.to_owned(),
            scanner: None,
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
            scanner: None,
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

    pub(super) fn save(&self) -> Result<()> {
        self.store.save()
    }

    /// The account's signature over `digest` (a transaction id), for signing on L1.
    pub(crate) fn sign_digest(&self, digest: &B256) -> Result<Signature> {
        Ok(debye_primitives::tx::sign_digest(
            self.key.signing_key(),
            digest,
        )?)
    }

    /// Changes the stored state and saves it.
    pub(crate) fn with_state(&mut self, f: impl FnOnce(&mut WalletState)) -> Result<()> {
        f(&mut self.store.state);
        self.save()
    }

    pub(super) fn chain(&self) -> Result<ChainId> {
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

    /// What an exit of each coin needs, from the held data alone.
    pub fn exit_claims(&self) -> Vec<ExitClaim> {
        self.store.state.coins.iter().map(exit_claim).collect()
    }
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

/// Balances by token as `(spendable, pending, exiting)`.
pub fn balances(state: &WalletState) -> BTreeMap<u32, (U256, U256, U256)> {
    state.balances()
}
