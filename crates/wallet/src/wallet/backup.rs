//! Backup and restore (docs/wallet.md §7): the key, the mnemonic entropy and the whole store in
//! one keystore-v3 container under a separate passphrase.

use std::path::Path;

use zeroize::Zeroizing;

use super::base::{Wallet, create_dir, files};
use crate::{
    error::{Error, Result},
    keys::AccountKey,
    keystore::{Keystore, ScryptParams},
    records::BackupPayload,
    secret::Passphrase,
    store::Store,
};

pub use crate::records::BACKUP_VERSION;

impl Wallet {
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
        // Version 1 predates shielded notes; it restores with none.
        if !(1..=BACKUP_VERSION).contains(&payload.version) {
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
        let entropy = payload
            .mnemonic_entropy
            .as_ref()
            .map(|e| hex::decode(e).map(Zeroizing::new))
            .transpose()
            .map_err(|e| Error::Backup(e.to_string()))?;
        let state = payload.state.clone();
        Self::write_files(
            dir,
            key,
            entropy.as_deref().map(Vec::as_slice),
            new_passphrase,
            params,
            |path| Store::overwrite(path, state),
        )
    }
}
