//! Which seed the shielded keys come from (docs/wallet.md §3).
//!
//! - A wallet made from a mnemonic: `debye_zk::keys::Keys::from_bip39_seed` of the mnemonic's
//!   BIP-39 seed (empty BIP-39 password), the derivation docs/circuits.md §3 specifies. Its hash
//!   domain differs from BIP-32's, so the shielded keys are independent of the L1 account key:
//!   leaking `keystore.json`'s key does not leak the viewing or nullifier key, and the mnemonic
//!   alone recovers both. All account indexes of one mnemonic share the shielded keys.
//! - A wallet imported from a raw private key (no mnemonic): `Keys::from_seed(SHA-256(
//!   "debye/wallet/v1/shielded-from-account-key" ‖ 0 ‖ key))`. Here the account key is the only
//!   secret there is, so the shielded keys depend on it (and leak with it).

use debye_zk::keys::Keys;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{Mnemonic, error::Result, keys::AccountKey};

const FROM_KEY_DOMAIN: &[u8] = b"debye/wallet/v1/shielded-from-account-key";

/// The shielded keys of a mnemonic wallet.
pub fn from_mnemonic(mnemonic: &Mnemonic) -> Result<Keys> {
    let seed = mnemonic.seed("")?;
    Ok(Keys::from_bip39_seed(seed.expose())?)
}

/// The shielded keys of a wallet imported from a raw key.
pub fn from_account_key(key: &AccountKey) -> Result<Keys> {
    let mut h = Sha256::new();
    h.update(FROM_KEY_DOMAIN);
    h.update([0u8]);
    h.update(key.to_bytes().expose());
    let seed = Zeroizing::new(<[u8; 32]>::from(h.finalize()));
    Ok(Keys::from_seed(*seed)?)
}
