//! The wallet's shielded side on the `Wallet` object: deriving its shielded keys from the
//! mnemonic (or the raw key) it already holds, scanning committed blocks into its notes, and
//! building a private transfer that marks its inputs pending (docs/wallet.md §10). The logic is
//! in [`crate::shielded`]; this module ties it to the files.

use alloy_primitives::{Bytes, U256};
use ark_ff::PrimeField;
use debye_primitives::{BlockHeader, shielded::Entry};
use debye_zk::{
    Fr,
    groth16::JoinSplitProvingKey,
    keys::Keys,
    note::{Note, encrypt_note},
};
use serde::{Deserialize, Serialize};

use super::base::{Wallet, files};
use crate::{
    error::Error,
    error::Result,
    keys::Mnemonic,
    keystore::Keystore,
    secret::Passphrase,
    shielded::{
        PrivateAddress,
        exit::{ExitParams, PrivateExit},
        fr_to_u256, keys as skeys,
        notes::ExpectedNote,
        scan::{BlockScan, Scanner},
        transfer::{PrivateTransfer, TransferRequest},
    },
};

/// What an L1 shielded deposit takes (docs/shielded.md S-5.3): the owner part and the note's
/// ciphertext, encrypted to the wallet itself so that a wallet restored from the mnemonic alone
/// finds it in the pool's `ShieldedDeposit` logs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateDeposit {
    /// Token field element (ETH = 0).
    pub token: U256,
    /// Amount in token units.
    pub amount: u64,
    /// `ownerPart = Poseidon(3, owner, rho)`.
    pub owner_part: U256,
    /// The commitment L1 will compute.
    pub commitment: U256,
    /// `CT_LEN` bytes.
    pub ciphertext: Bytes,
}

fn random32() -> [u8; 32] {
    let mut b = [0u8; 32];
    rand::fill(&mut b[..]);
    b
}

impl Wallet {
    /// Prepares a shielded deposit of `amount` units of `token` to the wallet itself and records
    /// the note as expected: scanning learns its position from the `DEPOSIT` entry that appends
    /// its commitment.
    pub fn prepare_private_deposit(
        &mut self,
        keys: &Keys,
        token: U256,
        amount: u64,
    ) -> Result<PrivateDeposit> {
        if amount == 0 {
            return Err(Error::InvalidAmount("zero".into()));
        }
        let token_f = crate::shielded::u256_to_fr(&token)
            .ok_or_else(|| Error::InvalidAmount("token is not a field element".into()))?;
        let address = keys.address();
        let note = Note {
            owner: address.owner,
            token: token_f,
            amount,
            randomness: keys
                .output_secret(0)
                .randomness(Fr::from_be_bytes_mod_order(&random32())),
        };
        let ciphertext = encrypt_note(&note, &address, random32())?;
        let commitment = fr_to_u256(&note.commitment());
        self.store.state.shielded.expected.push(ExpectedNote {
            token,
            amount,
            rho: fr_to_u256(&note.randomness),
            commitment,
        });
        self.save()?;
        Ok(PrivateDeposit {
            token,
            amount,
            owner_part: fr_to_u256(&note.owner_part()),
            commitment,
            ciphertext: ciphertext.into(),
        })
    }

    /// The shielded keys: from the mnemonic in `mnemonic.json` when there is one (decrypted with
    /// `passphrase`), else from the account key (`crate::shielded::keys`). Records the shielded
    /// address in the store the first time.
    pub fn shielded_keys(&mut self, passphrase: &Passphrase) -> Result<Keys> {
        let path = self.dir.join(files::MNEMONIC);
        let keys = if path.exists() {
            let entropy = Keystore::load(&path)?.decrypt(passphrase)?;
            skeys::from_mnemonic(&Mnemonic::from_entropy(entropy.expose())?)?
        } else {
            skeys::from_account_key(&self.key)?
        };
        let address = PrivateAddress(keys.address());
        if self.store.state.shielded.address != Some(address) {
            self.store.state.shielded.address = Some(address);
            self.save()?;
        }
        self.scanner = Some(Scanner::new(keys.clone()));
        Ok(keys)
    }

    /// Scans the next block's shielded section (see
    /// [`crate::shielded::ShieldedState::scan_block`]), refreshes note paths when the block
    /// changed the tree, and saves.
    pub fn scan_shielded_block<C: AsRef<[u8]>>(
        &mut self,
        scanner: &Scanner,
        header: &BlockHeader,
        l1_committed: bool,
        entries: &[(&Entry, &[C])],
    ) -> Result<BlockScan> {
        let mut state = self.store.state.shielded.clone();
        let report = state.scan_block(scanner, header, l1_committed, entries)?;
        if header.entry_count > 0 {
            state.refresh_paths()?;
        }
        self.store.state.shielded = state;
        self.save()?;
        Ok(report)
    }

    /// Puts a refused transfer's inputs back: notes it marked pending become unspent again
    /// (the operator answered a definite refusal, so the entry can never be included).
    pub fn release_private_transfer(&mut self, t: &PrivateTransfer) -> Result<()> {
        for n in &mut self.store.state.shielded.notes {
            if t.spends.contains(&n.position)
                && n.status
                    == (crate::shielded::notes::NoteStatus::Pending {
                        expiry: t.body.ext.expiry,
                    })
            {
                n.status = crate::shielded::notes::NoteStatus::Unspent;
            }
        }
        self.save()
    }

    /// Builds and proves the exit of one whole note (S-5.5), marks the note exiting, records it
    /// in the history and saves.
    pub fn build_private_exit(
        &mut self,
        scanner: &Scanner,
        pk: &JoinSplitProvingKey,
        params: &ExitParams,
    ) -> Result<PrivateExit> {
        let e = self.store.state.shielded.build_exit(scanner, pk, params)?;
        self.record_private_exit(&e)?;
        Ok(e)
    }

    /// Builds and proves a private transfer, marks its inputs pending and saves.
    pub fn build_private_transfer(
        &mut self,
        scanner: &Scanner,
        pk: &JoinSplitProvingKey,
        req: &TransferRequest,
    ) -> Result<PrivateTransfer> {
        let t = self.store.state.shielded.build_transfer(scanner, pk, req)?;
        self.store.state.shielded.mark_pending(&t);
        self.save()?;
        Ok(t)
    }
}
