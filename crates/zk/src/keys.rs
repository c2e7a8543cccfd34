//! Keys derived from one 32-byte seed with domain separation (docs/circuits.md §3).
//!
//! | key | derivation | role |
//! |---|---|---|
//! | nullifier key `nk` | `H("nullifier-key")` | immutable; derives nullifiers, proves spending |
//! | authorising key `a` | `H("auth-key")`, `H("auth-nonce")` | EdDSA-Poseidon on Baby Jubjub; signs intents |
//! | viewing key | `H("viewing-key")` | X25519; decrypts delivered notes |
//! | output secret (epoch `e`) | `H("output-secret" ‖ e)` | rotatable; output randomness `Poseidon(tag, secret, nonce)` |
//!
//! `H(label)` is SHA-512 over `"debye/zk/v1/" ‖ label ‖ 0x00 ‖ seed` (plus the epoch, big-endian, for
//! output secrets), reduced modulo the target field where a field element is needed. The seed will
//! come from BIP-39 later; the derivation here takes the 32 bytes as given.

use ark_ff::{BigInteger, PrimeField};
use sha2::{Digest, Sha512};
use x25519_dalek::{PublicKey, StaticSecret};

use crate::babyjub::{Fs, Point};
use crate::eddsa::SigningKey;
use crate::poseidon::hash;
use crate::{Fr, Result};

/// Domain tag for output randomness: `Poseidon(DOMAIN_OUTPUT_RANDOMNESS, secret, nonce)`.
pub const DOMAIN_OUTPUT_RANDOMNESS: u64 = 1;

fn derive(seed: &[u8; 32], label: &str, extra: &[u8]) -> [u8; 64] {
    let mut h = Sha512::new();
    h.update(b"debye/zk/v1/");
    h.update(label.as_bytes());
    h.update([0u8]);
    h.update(seed);
    h.update(extra);
    h.finalize().into()
}

/// The immutable spending key: knowledge of `nk` is what the circuit checks to spend a note.
#[derive(Clone, PartialEq, Eq)]
pub struct NullifierKey(Fr);

impl NullifierKey {
    /// The field element (a circuit witness).
    pub fn to_field(&self) -> Fr {
        self.0
    }
}

impl std::fmt::Debug for NullifierKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NullifierKey(..)")
    }
}

/// The rotatable output secret of one epoch; it derives each output's randomness.
#[derive(Clone, PartialEq, Eq)]
pub struct OutputSecret {
    epoch: u32,
    secret: Fr,
}

impl OutputSecret {
    /// The rotation epoch this secret belongs to.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// Output randomness for `nonce` (e.g. intent nonce and output index): deterministic, so a
    /// prover given this secret can build outputs, and rotating the epoch cuts that prover off.
    pub fn randomness(&self, nonce: Fr) -> Fr {
        hash([Fr::from(DOMAIN_OUTPUT_RANDOMNESS), self.secret, nonce])
    }
}

impl std::fmt::Debug for OutputSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputSecret")
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

/// The X25519 viewing key used to receive encrypted notes.
#[derive(Clone)]
pub struct ViewingKey(StaticSecret);

impl ViewingKey {
    /// From raw secret bytes (clamped by X25519).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(StaticSecret::from(bytes))
    }

    /// The public half senders encrypt to.
    pub fn public(&self) -> [u8; 32] {
        PublicKey::from(&self.0).to_bytes()
    }

    pub(crate) fn secret(&self) -> &StaticSecret {
        &self.0
    }
}

impl std::fmt::Debug for ViewingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ViewingKey")
            .field(&hex::encode(self.public()))
            .finish()
    }
}

/// What a sender needs to pay a wallet: the owner field in note commitments and the viewing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShieldedAddress {
    /// `owner = Poseidon(A.x, A.y, nk)` (§3.6), committed in every note the wallet owns.
    pub owner: Fr,
    /// The X25519 public key notes are encrypted to.
    pub viewing_public: [u8; 32],
}

/// All keys of a wallet, derived from one seed.
#[derive(Clone)]
pub struct Keys {
    seed: [u8; 32],
    nullifier: NullifierKey,
    auth: SigningKey,
    viewing: ViewingKey,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("address", &self.address())
            .finish_non_exhaustive()
    }
}

impl Keys {
    /// Derive every key from a 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> Result<Self> {
        let nk = Fr::from_le_bytes_mod_order(&derive(&seed, "nullifier-key", &[]));
        let auth_scalar = Fs::from_le_bytes_mod_order(&derive(&seed, "auth-key", &[]));
        let mut nonce_key = [0u8; 32];
        nonce_key.copy_from_slice(&derive(&seed, "auth-nonce", &[])[..32]);
        let auth = SigningKey::new(auth_scalar, nonce_key)?;
        let mut vk = [0u8; 32];
        vk.copy_from_slice(&derive(&seed, "viewing-key", &[])[..32]);
        Ok(Self {
            seed,
            nullifier: NullifierKey(nk),
            auth,
            viewing: ViewingKey::from_bytes(vk),
        })
    }

    /// Derive every key from the 64-byte seed of a BIP-39 mnemonic (the wallet's one backup).
    ///
    /// The shielded seed is `SHA-512("debye/zk/v1/bip39-seed" ‖ 0 ‖ seed)[..32]`: a different hash
    /// domain from BIP-32's `HMAC-SHA512("Bitcoin seed", seed)`, so the shielded keys and the L1
    /// account keys derived from the same mnemonic are independent (docs/circuits.md §3).
    pub fn from_bip39_seed(seed: &[u8; 64]) -> Result<Self> {
        let mut h = Sha512::new();
        h.update(b"debye/zk/v1/bip39-seed");
        h.update([0u8]);
        h.update(seed);
        let wide: [u8; 64] = h.finalize().into();
        let mut shielded = [0u8; 32];
        shielded.copy_from_slice(&wide[..32]);
        Self::from_seed(shielded)
    }

    /// The immutable nullifier (spending) key.
    pub fn nullifier_key(&self) -> &NullifierKey {
        &self.nullifier
    }

    /// The authorising (intent-signing) key.
    pub fn auth(&self) -> &SigningKey {
        &self.auth
    }

    /// The viewing key.
    pub fn viewing(&self) -> &ViewingKey {
        &self.viewing
    }

    /// The output secret of rotation epoch `epoch`; rotate by moving to `epoch + 1`.
    pub fn output_secret(&self, epoch: u32) -> OutputSecret {
        let secret =
            Fr::from_le_bytes_mod_order(&derive(&self.seed, "output-secret", &epoch.to_be_bytes()));
        OutputSecret { epoch, secret }
    }

    /// The wallet's shielded address.
    pub fn address(&self) -> ShieldedAddress {
        ShieldedAddress {
            owner: owner_field(&self.auth.public(), &self.nullifier.0),
            viewing_public: self.viewing.public(),
        }
    }
}

/// `owner = Poseidon(A.x, A.y, nk)` (§3.6): binds the authorising key and the nullifier key.
pub fn owner_field(auth_public: &Point, nk: &Fr) -> Fr {
    hash([auth_public.x, auth_public.y, *nk])
}

/// Little-endian bytes of a field element (circomlibjs `F.toRprLE`).
pub fn fr_to_le_bytes(x: &Fr) -> Vec<u8> {
    x.into_bigint().to_bytes_le()
}
