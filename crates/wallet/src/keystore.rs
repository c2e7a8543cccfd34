//! Web3 Secret Storage (keystore v3): scrypt or PBKDF2-HMAC-SHA256, AES-128-CTR, keccak MAC.
//!
//! `derived = KDF(passphrase, salt)` (32 bytes); the ciphertext is
//! `AES-128-CTR(key = derived[0..16], iv, plaintext)` and the MAC is
//! `keccak256(derived[16..32] ‖ ciphertext)`. Decryption checks the MAC (in constant time) before
//! decrypting, so a wrong passphrase is [`Error::WrongPassphrase`], never garbage.
//!
//! The same container also stores the wallet's BIP-39 entropy (`mnemonic.json`), whose plaintext
//! is 16 to 32 bytes instead of a 32-byte key.

use std::path::Path;

use aes::cipher::{KeyIvInit, StreamCipher};
use alloy_primitives::{Address, keccak256};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{Error, Passphrase, Result, Secret, error::io, store::write_atomic};

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;

/// Scrypt cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScryptParams {
    /// CPU/memory cost (a power of two).
    pub n: u64,
    /// Block size.
    pub r: u32,
    /// Parallelism.
    pub p: u32,
}

impl ScryptParams {
    /// geth's "standard" parameters (n = 2^18, r = 8, p = 1: 256 MiB, about a second).
    pub const STANDARD: Self = Self {
        n: 1 << 18,
        r: 8,
        p: 1,
    };
    /// geth's "light" parameters (n = 2^12, r = 8, p = 6: 4 MiB), for tests and scripts only.
    pub const LIGHT: Self = Self {
        n: 1 << 12,
        r: 8,
        p: 6,
    };
}

/// A keystore v3 file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keystore {
    /// Always 3.
    pub version: u32,
    /// A random UUID.
    pub id: String,
    /// The address (lower-case hex without `0x`), when the plaintext is a private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Cipher, KDF and MAC.
    #[serde(alias = "Crypto")]
    pub crypto: CryptoSection,
}

/// The `crypto` object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptoSection {
    /// `aes-128-ctr`.
    pub cipher: String,
    /// The IV.
    pub cipherparams: CipherParams,
    /// Hex ciphertext.
    pub ciphertext: String,
    /// `scrypt` or `pbkdf2`.
    pub kdf: String,
    /// KDF parameters (scrypt: `n r p dklen salt`; pbkdf2: `c prf dklen salt`).
    pub kdfparams: serde_json::Value,
    /// Hex keccak MAC.
    pub mac: String,
}

/// The cipher parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CipherParams {
    /// 16-byte hex IV.
    pub iv: String,
}

fn unhex(field: &str, s: &str) -> Result<Vec<u8>> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s))
        .map_err(|e| Error::KeystoreFormat(format!("{field}: {e}")))
}

fn param_u64(params: &serde_json::Value, name: &str) -> Result<u64> {
    params
        .get(name)
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| Error::KeystoreFormat(format!("kdfparams.{name} missing")))
}

/// Derives the 32-byte key of the keystore's KDF.
fn derive(crypto: &CryptoSection, passphrase: &Passphrase) -> Result<Zeroizing<[u8; 32]>> {
    let params = &crypto.kdfparams;
    let salt = unhex(
        "salt",
        params.get("salt").and_then(|s| s.as_str()).unwrap_or(""),
    )?;
    if param_u64(params, "dklen")? != 32 {
        return Err(Error::KeystoreFormat("dklen must be 32".into()));
    }
    let mut out = Zeroizing::new([0u8; 32]);
    let pw = passphrase.expose().as_bytes();
    match crypto.kdf.as_str() {
        "scrypt" => {
            let n = param_u64(params, "n")?;
            if !n.is_power_of_two() || n < 2 {
                return Err(Error::KeystoreFormat(
                    "scrypt n must be a power of two".into(),
                ));
            }
            let log_n = u8::try_from(n.trailing_zeros())
                .map_err(|_| Error::KeystoreFormat("scrypt n too large".into()))?;
            let small = |name| {
                param_u64(params, name).and_then(|v| {
                    u32::try_from(v).map_err(|_| Error::KeystoreFormat(format!("{name} too large")))
                })
            };
            let p = scrypt::Params::new(log_n, small("r")?, small("p")?)
                .map_err(|e| Error::KeystoreFormat(format!("scrypt params: {e}")))?;
            scrypt::scrypt(pw, &salt, &p, &mut out[..])
                .map_err(|e| Error::KeystoreFormat(format!("scrypt: {e}")))?;
        }
        "pbkdf2" => {
            let prf = params.get("prf").and_then(|s| s.as_str()).unwrap_or("");
            if prf != "hmac-sha256" {
                return Err(Error::KeystoreUnsupported {
                    what: "prf",
                    name: prf.into(),
                });
            }
            let c = u32::try_from(param_u64(params, "c")?)
                .map_err(|_| Error::KeystoreFormat("pbkdf2 c too large".into()))?;
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pw, &salt, c, &mut out[..]);
        }
        other => {
            return Err(Error::KeystoreUnsupported {
                what: "kdf",
                name: other.into(),
            });
        }
    }
    Ok(out)
}

fn mac(derived: &[u8; 32], ciphertext: &[u8]) -> [u8; 32] {
    let mut buf = Vec::with_capacity(16 + ciphertext.len());
    buf.extend_from_slice(&derived[16..]);
    buf.extend_from_slice(ciphertext);
    keccak256(&buf).0
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    rand::fill(&mut b[..]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

impl Keystore {
    /// Encrypts `plaintext` under `passphrase` with scrypt `params`, a random salt and IV.
    pub fn encrypt(
        plaintext: &[u8],
        passphrase: &Passphrase,
        params: ScryptParams,
        address: Option<Address>,
    ) -> Result<Self> {
        let mut salt = [0u8; 32];
        let mut iv = [0u8; 16];
        rand::fill(&mut salt[..]);
        rand::fill(&mut iv[..]);
        let mut crypto = CryptoSection {
            cipher: "aes-128-ctr".into(),
            cipherparams: CipherParams {
                iv: hex::encode(iv),
            },
            ciphertext: String::new(),
            kdf: "scrypt".into(),
            kdfparams: serde_json::json!({
                "dklen": 32, "n": params.n, "r": params.r, "p": params.p, "salt": hex::encode(salt),
            }),
            mac: String::new(),
        };
        let derived = derive(&crypto, passphrase)?;
        let mut data = plaintext.to_vec();
        let mut cipher = Aes128Ctr::new_from_slices(&derived[..16], &iv)
            .map_err(|_| Error::KeystoreFormat("bad key or iv length".into()))?;
        cipher.apply_keystream(&mut data);
        crypto.mac = hex::encode(mac(&derived, &data));
        crypto.ciphertext = hex::encode(&data);
        Ok(Self {
            version: 3,
            id: uuid_v4(),
            address: address.map(|a| hex::encode(a.as_slice())),
            crypto,
        })
    }

    /// Checks the MAC and decrypts.
    pub fn decrypt(&self, passphrase: &Passphrase) -> Result<Secret<Vec<u8>>> {
        if self.version != 3 {
            return Err(Error::KeystoreFormat(format!("version {}", self.version)));
        }
        if self.crypto.cipher != "aes-128-ctr" {
            return Err(Error::KeystoreUnsupported {
                what: "cipher",
                name: self.crypto.cipher.clone(),
            });
        }
        let iv = unhex("iv", &self.crypto.cipherparams.iv)?;
        let ciphertext = unhex("ciphertext", &self.crypto.ciphertext)?;
        let expected = unhex("mac", &self.crypto.mac)?;
        let derived = derive(&self.crypto, passphrase)?;
        if !ct_eq(&mac(&derived, &ciphertext), &expected) {
            return Err(Error::WrongPassphrase);
        }
        let mut data = ciphertext;
        let mut cipher = Aes128Ctr::new_from_slices(&derived[..16], &iv)
            .map_err(|_| Error::KeystoreFormat("iv must be 16 bytes".into()))?;
        cipher.apply_keystream(&mut data);
        Ok(Secret::new(data))
    }

    /// Decrypts a keystore holding a private key into the account key.
    pub fn decrypt_key(&self, passphrase: &Passphrase) -> Result<crate::AccountKey> {
        let plain = self.decrypt(passphrase)?;
        let bytes: &[u8; 32] = plain
            .expose()
            .as_slice()
            .try_into()
            .map_err(|_| Error::KeystoreFormat("plaintext is not a 32-byte key".into()))?;
        crate::AccountKey::from_bytes(bytes)
    }

    /// Reads a keystore file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(io(path))?;
        serde_json::from_str(&text).map_err(|e| Error::KeystoreFormat(e.to_string()))
    }

    /// Writes the keystore atomically (owner-only permissions on Unix).
    pub fn save(&self, path: &Path) -> Result<()> {
        let json =
            serde_json::to_vec_pretty(self).map_err(|e| Error::KeystoreFormat(e.to_string()))?;
        write_atomic(path, &json)
    }
}
