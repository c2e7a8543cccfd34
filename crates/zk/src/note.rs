//! Notes, their split commitments and nullifiers (docs/circuits.md §4), and encrypted note
//! delivery (§4.3).

use ark_ff::{BigInteger, PrimeField};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};

use crate::keys::{ShieldedAddress, ViewingKey};
use crate::poseidon::hash;
use crate::{Error, Fr, Result};

/// A shielded note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Note {
    /// `owner = Poseidon(A.x, A.y, nk)` of the recipient (§3.6).
    pub owner: Fr,
    /// Token identifier: the ERC-20 address as a field element ([`token_from_address`]).
    pub token: Fr,
    /// Amount in the token's base units (64-bit, range-checked in the circuit).
    pub amount: u64,
    /// Blinding randomness `rho`, derived from the sender's output secret (§3.4).
    pub randomness: Fr,
}

/// Domain tag of the owner part: `ownerPart = Poseidon(DOMAIN_OWNER_PART, owner, rho)` (§4.1;
/// tags 1 and 2 are output randomness and the intent digest).
pub const DOMAIN_OWNER_PART: u64 = 3;

/// `ownerPart = Poseidon(3, owner, rho)` (§4.1): what a depositor gives L1, hiding the owner.
pub fn owner_part(owner: &Fr, rho: &Fr) -> Fr {
    hash([Fr::from(DOMAIN_OWNER_PART), *owner, *rho])
}

/// `cm = Poseidon(ownerPart, token, amount)` (§4.1): the last hash, which L1 computes itself for
/// a deposit.
pub fn commitment_from_owner_part(owner_part: &Fr, token: &Fr, amount: &Fr) -> Fr {
    hash([*owner_part, *token, *amount])
}

/// `CM_ZERO = Poseidon(0, 0, 0)`: the commitment L1 requires for both outputs of an exit
/// (docs/shielded.md S-5.5), pinned in `test-vectors/zk/notes.json`.
pub fn cm_zero() -> Fr {
    hash([Fr::from(0u64); 3])
}

impl Note {
    /// Its owner part, `Poseidon(3, owner, randomness)` (§4.1).
    pub fn owner_part(&self) -> Fr {
        owner_part(&self.owner, &self.randomness)
    }

    /// `cm = Poseidon(Poseidon(3, owner, randomness), token, amount)` (§4.1).
    pub fn commitment(&self) -> Fr {
        commitment_from_owner_part(&self.owner_part(), &self.token, &Fr::from(self.amount))
    }
}

/// `nf = Poseidon(nk, cm, position)` (§4.2): one per leaf, unlinkable without `nk`.
pub fn nullifier(nk: &Fr, commitment: &Fr, position: u64) -> Fr {
    hash([*nk, *commitment, Fr::from(position)])
}

/// An ERC-20 address (20 bytes, big-endian) as a field element.
pub fn token_from_address(address: &[u8; 20]) -> Fr {
    Fr::from_be_bytes_mod_order(address)
}

/// Format version byte of [`encrypt_note`] output.
pub const NOTE_CIPHERTEXT_VERSION: u8 = 1;
/// Length of the detection tag.
pub const DETECTION_TAG_LEN: usize = 2;
const PLAINTEXT_LEN: usize = 32 + 8 + 32;
/// Total ciphertext length: version, ephemeral key, tag, encrypted plaintext, Poly1305 tag.
pub const NOTE_CIPHERTEXT_LEN: usize = 1 + 32 + DETECTION_TAG_LEN + PLAINTEXT_LEN + 16;
const HKDF_INFO: &[u8] = b"debye/zk/v1/note-encryption";

fn fr_be(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_be());
    out
}

fn fr_from_be(bytes: &[u8]) -> Result<Fr> {
    Fr::from_bigint(num_from_be(bytes)).ok_or(Error::Decryption)
}

fn num_from_be(bytes: &[u8]) -> ark_ff::BigInt<4> {
    let bits: Vec<bool> = bytes
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1 == 1))
        .collect();
    ark_ff::BigInt::<4>::from_bits_be(&bits)
}

/// Key material shared by sender and recipient: AEAD key and detection tag.
fn kdf(shared: &[u8; 32], epk: &[u8; 32], vpk: &[u8; 32]) -> ([u8; 32], [u8; DETECTION_TAG_LEN]) {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(epk);
    salt[32..].copy_from_slice(vpk);
    let hk = Hkdf::<Sha256>::new(Some(&salt), shared);
    let mut okm = [0u8; 32 + DETECTION_TAG_LEN];
    // 34 bytes is far below HKDF-SHA256's 8160-byte limit.
    hk.expand(HKDF_INFO, &mut okm)
        .unwrap_or_else(|_| unreachable!("valid HKDF length"));
    let mut key = [0u8; 32];
    key.copy_from_slice(&okm[..32]);
    let mut tag = [0u8; DETECTION_TAG_LEN];
    tag.copy_from_slice(&okm[32..]);
    (key, tag)
}

/// Encrypt `note` to `recipient` with a fresh ephemeral X25519 secret (the caller supplies 32
/// random bytes). Output: `version ‖ epk ‖ tag ‖ ChaCha20-Poly1305(token ‖ amount ‖ randomness)`,
/// [`NOTE_CIPHERTEXT_LEN`] bytes. The owner is not sent: the recipient knows its own.
pub fn encrypt_note(
    note: &Note,
    recipient: &ShieldedAddress,
    ephemeral: [u8; 32],
) -> Result<Vec<u8>> {
    let esk = StaticSecret::from(ephemeral);
    let epk = PublicKey::from(&esk).to_bytes();
    let shared = esk.diffie_hellman(&PublicKey::from(recipient.viewing_public));
    if !shared.was_contributory() {
        return Err(Error::Encoding("viewing public key of small order".into()));
    }
    let (key, tag) = kdf(shared.as_bytes(), &epk, &recipient.viewing_public);
    let mut plaintext = Vec::with_capacity(PLAINTEXT_LEN);
    plaintext.extend_from_slice(&fr_be(&note.token));
    plaintext.extend_from_slice(&note.amount.to_be_bytes());
    plaintext.extend_from_slice(&fr_be(&note.randomness));
    let mut header = Vec::with_capacity(NOTE_CIPHERTEXT_LEN);
    header.push(NOTE_CIPHERTEXT_VERSION);
    header.extend_from_slice(&epk);
    header.extend_from_slice(&tag);
    // The key is unique per ephemeral key, so a fixed nonce is safe.
    let ct = ChaCha20Poly1305::new(&Key::from(key))
        .encrypt(
            &Nonce::default(),
            Payload {
                msg: &plaintext,
                aad: &header,
            },
        )
        .map_err(|_| Error::Encoding("AEAD encryption failed".into()))?;
    header.extend_from_slice(&ct);
    Ok(header)
}

/// Try to decrypt a delivered note: `Ok(None)` when the detection tag says it is not ours (one
/// X25519 + HKDF, no AEAD), `Err(Decryption)` when the tag matches but authentication fails.
/// To scan many ciphertexts, build a [`NoteScanner`] once: this function recomputes the viewing
/// public key (one more scalar multiplication) on every call.
pub fn try_decrypt_note(
    viewing: &ViewingKey,
    owner: &Fr,
    ciphertext: &[u8],
) -> Result<Option<Note>> {
    NoteScanner::new(viewing, *owner).try_decrypt(ciphertext)
}

/// Trial decryption with the per-wallet values that do not change per ciphertext (the viewing
/// secret, its public key, the owner field) computed once (docs/shielded.md S-6.2).
#[derive(Clone)]
pub struct NoteScanner {
    secret: StaticSecret,
    public: [u8; 32],
    owner: Fr,
}

impl std::fmt::Debug for NoteScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteScanner")
            .field("viewing_public", &hex::encode(self.public))
            .finish_non_exhaustive()
    }
}

impl NoteScanner {
    /// A scanner for the wallet with viewing key `viewing` and owner field `owner`.
    pub fn new(viewing: &ViewingKey, owner: Fr) -> Self {
        Self {
            secret: viewing.secret().clone(),
            public: viewing.public(),
            owner,
        }
    }

    /// As [`try_decrypt_note`].
    pub fn try_decrypt(&self, ciphertext: &[u8]) -> Result<Option<Note>> {
        if ciphertext.len() != NOTE_CIPHERTEXT_LEN || ciphertext[0] != NOTE_CIPHERTEXT_VERSION {
            return Err(Error::Decryption);
        }
        let mut epk = [0u8; 32];
        epk.copy_from_slice(&ciphertext[1..33]);
        let shared = self.secret.diffie_hellman(&PublicKey::from(epk));
        if !shared.was_contributory() {
            return Err(Error::Decryption);
        }
        let (key, tag) = kdf(shared.as_bytes(), &epk, &self.public);
        let header_len = 33 + DETECTION_TAG_LEN;
        if ciphertext[33..header_len] != tag {
            return Ok(None);
        }
        let plaintext = ChaCha20Poly1305::new(&Key::from(key))
            .decrypt(
                &Nonce::default(),
                Payload {
                    msg: &ciphertext[header_len..],
                    aad: &ciphertext[..header_len],
                },
            )
            .map_err(|_| Error::Decryption)?;
        let token = fr_from_be(&plaintext[..32])?;
        let mut amount = [0u8; 8];
        amount.copy_from_slice(&plaintext[32..40]);
        let randomness = fr_from_be(&plaintext[40..72])?;
        Ok(Some(Note {
            owner: self.owner,
            token,
            amount: u64::from_be_bytes(amount),
            randomness,
        }))
    }
}
