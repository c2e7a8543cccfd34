//! Keys: BIP-39 mnemonics, BIP-32 derivation along `m/44'/60'/0'/0/i`, and the account key.

use alloy_primitives::Address;
use hmac::{Hmac, Mac};
use k256::{
    Scalar,
    ecdsa::SigningKey,
    elliptic_curve::{PrimeField, sec1::ToEncodedPoint},
};
use sha2::Sha512;
use zeroize::Zeroizing;

use crate::{Error, PrivateKeyBytes, Result, Secret};

/// The Ethereum BIP-44 path prefix; account `i` is `m/44'/60'/0'/0/i`.
pub const ETH_PATH_PREFIX: &str = "m/44'/60'/0'/0";

const HARDENED: u32 = 0x8000_0000;

/// A BIP-39 mnemonic (English), held as a secret.
#[derive(Clone, Debug)]
pub struct Mnemonic(Secret<String>);

impl Mnemonic {
    /// A fresh 24-word mnemonic from the operating system's random source.
    pub fn generate() -> Result<Self> {
        let mut entropy = Zeroizing::new([0u8; 32]);
        rand::fill(&mut entropy[..]);
        Self::from_entropy(&entropy[..])
    }

    /// The mnemonic of `entropy` (16 to 32 bytes, a multiple of 4).
    pub fn from_entropy(entropy: &[u8]) -> Result<Self> {
        let m = bip39::Mnemonic::from_entropy(entropy)
            .map_err(|e| Error::InvalidMnemonic(e.to_string()))?;
        Ok(Self(Secret::new(m.to_string())))
    }

    /// Parses and checks a phrase (word list and checksum); extra whitespace is ignored.
    pub fn parse(phrase: &str) -> Result<Self> {
        let normalized = Zeroizing::new(phrase.split_whitespace().collect::<Vec<_>>().join(" "));
        let m = bip39::Mnemonic::parse_normalized(&normalized)
            .map_err(|e| Error::InvalidMnemonic(e.to_string()))?;
        Ok(Self(Secret::new(m.to_string())))
    }

    /// The phrase. Show it to the user only when they ask for it.
    pub fn phrase(&self) -> &str {
        self.0.expose()
    }

    /// The entropy the phrase encodes.
    pub fn entropy(&self) -> Result<Secret<Vec<u8>>> {
        let m = bip39::Mnemonic::parse_normalized(self.0.expose())
            .map_err(|e| Error::InvalidMnemonic(e.to_string()))?;
        Ok(Secret::new(m.to_entropy()))
    }

    /// The 64-byte BIP-39 seed (PBKDF2-HMAC-SHA512, 2048 rounds, salt `"mnemonic" ‖ password`).
    pub fn seed(&self, password: &str) -> Result<Secret<[u8; 64]>> {
        let m = bip39::Mnemonic::parse_normalized(self.0.expose())
            .map_err(|e| Error::InvalidMnemonic(e.to_string()))?;
        Ok(Secret::new(m.to_seed_normalized(password)))
    }

    /// The private key of account `index` (`m/44'/60'/0'/0/index`), no BIP-39 password.
    pub fn account_key(&self, index: u32) -> Result<AccountKey> {
        let seed = self.seed("")?;
        let path = format!("{ETH_PATH_PREFIX}/{index}");
        AccountKey::from_bytes(derive_path(seed.expose(), &path)?.expose())
    }
}

/// Parses `m/a/b'/...` into child indexes (hardened ones with the top bit set).
pub fn parse_path(path: &str) -> Result<Vec<u32>> {
    let bad = || Error::InvalidPath(path.to_owned());
    let mut parts = path.split('/');
    if parts.next() != Some("m") {
        return Err(bad());
    }
    parts
        .map(|p| {
            let (digits, hardened) = match p.strip_suffix('\'').or_else(|| p.strip_suffix('h')) {
                Some(d) => (d, true),
                None => (p, false),
            };
            let i: u32 = digits.parse().map_err(|_| bad())?;
            if i >= HARDENED {
                return Err(bad());
            }
            Ok(if hardened { i | HARDENED } else { i })
        })
        .collect()
}

type HmacSha512 = Hmac<Sha512>;

fn hmac512(key: &[u8], parts: &[&[u8]]) -> Zeroizing<[u8; 64]> {
    // HMAC accepts keys of any length.
    let mut mac = <HmacSha512 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for p in parts {
        mac.update(p);
    }
    let mut out = Zeroizing::new([0u8; 64]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

fn scalar(bytes: &[u8]) -> Option<Scalar> {
    let arr: [u8; 32] = bytes.try_into().ok()?;
    Option::from(Scalar::from_repr(arr.into()))
}

/// BIP-32 private derivation of `path` from `seed`: the derived 32-byte private key.
pub fn derive_path(seed: &[u8], path: &str) -> Result<PrivateKeyBytes> {
    let indexes = parse_path(path)?;
    let i = hmac512(b"Bitcoin seed", &[seed]);
    let mut key = scalar(&i[..32])
        .filter(|k| !bool::from(k.is_zero()))
        .ok_or(Error::InvalidKey)?;
    let mut chain = Zeroizing::new([0u8; 32]);
    chain.copy_from_slice(&i[32..]);
    for index in indexes {
        let i = if index & HARDENED != 0 {
            hmac512(
                &chain[..],
                &[&[0], &key.to_repr()[..], &index.to_be_bytes()],
            )
        } else {
            let sk = SigningKey::from_bytes(&key.to_repr()).map_err(|_| Error::InvalidKey)?;
            let point = sk.verifying_key().as_affine().to_encoded_point(true);
            hmac512(&chain[..], &[point.as_bytes(), &index.to_be_bytes()])
        };
        // Invalid child (IL >= n or a zero key): BIP-32 says skip to the next index; with
        // probability below 2^-127 we report it instead.
        let tweak = scalar(&i[..32]).ok_or(Error::InvalidKey)?;
        key += tweak;
        if bool::from(key.is_zero()) {
            return Err(Error::InvalidKey);
        }
        chain.copy_from_slice(&i[32..]);
    }
    Ok(Secret::new(key.to_repr().into()))
}

/// The wallet's account key: signs L2 transactions and L1 transactions.
#[derive(Clone)]
pub struct AccountKey {
    key: SigningKey,
    address: Address,
}

impl core::fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AccountKey")
            .field("address", &self.address)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl AccountKey {
    /// From 32 private key bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self> {
        let key = SigningKey::from_slice(bytes).map_err(|_| Error::InvalidKey)?;
        Ok(Self::from_signing_key(key))
    }

    /// From a k256 signing key.
    pub fn from_signing_key(key: SigningKey) -> Self {
        let address = debye_primitives::tx::address_of(&key);
        Self { key, address }
    }

    /// A fresh random key.
    pub fn random() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        loop {
            rand::fill(&mut bytes[..]);
            if let Ok(k) = Self::from_bytes(&bytes) {
                return Ok(k);
            }
        }
    }

    /// The Ethereum address (L1 account and L2 identity).
    pub const fn address(&self) -> Address {
        self.address
    }

    /// The signing key, for signing L2 transactions.
    pub const fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The private key bytes (for encrypting into a keystore).
    pub fn to_bytes(&self) -> PrivateKeyBytes {
        Secret::new(self.key.to_bytes().into())
    }

    /// A local signer for [`debye_l1::RpcL1`].
    pub fn l1_signer(&self) -> alloy_signer_local::PrivateKeySigner {
        alloy_signer_local::PrivateKeySigner::from_signing_key(self.key.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("m/44'/60'/0'/0/7").ok(),
            Some(vec![44 | HARDENED, 60 | HARDENED, HARDENED, 0, 7])
        );
        assert!(parse_path("44'/60'").is_err());
        assert!(parse_path("m/x").is_err());
        assert!(parse_path("m/2147483648").is_err());
    }

    #[test]
    fn debug_is_redacted() {
        let k = AccountKey::from_bytes(&[7; 32]).expect("valid");
        let s = format!("{k:?}");
        assert!(!s.contains("0707"), "{s}");
        let m = Mnemonic::from_entropy(&[0; 16]).expect("valid");
        assert_eq!(format!("{m:?}"), "Mnemonic(<redacted>)");
    }
}
