//! Secrets in memory: wrappers whose `Debug` is redacted and whose bytes are wiped on drop.

use zeroize::{Zeroize, Zeroizing};

/// A secret value: `Debug` prints `<redacted>`, `Display` is not implemented, and the value is
/// zeroized when dropped. Read it with [`Secret::expose`] only where it is used.
pub struct Secret<T: Zeroize>(Zeroizing<T>);

impl<T: Zeroize> Secret<T> {
    /// Wraps a secret.
    pub fn new(value: T) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The secret itself. Keep the borrow short and never log it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize + Clone> Clone for Secret<T> {
    fn clone(&self) -> Self {
        Self::new((*self.0).clone())
    }
}

impl<T: Zeroize> core::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A passphrase.
pub type Passphrase = Secret<String>;

impl From<&str> for Passphrase {
    fn from(s: &str) -> Self {
        Self::new(s.to_owned())
    }
}

/// A 32-byte secp256k1 private key.
pub type PrivateKeyBytes = Secret<[u8; 32]>;
