//! Signing keys, shared by every host through the store: what a
//! [`KeyStore`] keeps. Which key signs, which are published and when a new
//! one is made is not the store's to decide: it is the schedule's
//! ([`crate::signing::KeySchedule`]), above the store.

use super::StoreError;

/// A signing key as the store keeps it. The private key never reaches the
/// store in the clear: `sealed` is its PKCS#8 document encrypted under the
/// operator's key-encryption key (AES-256-GCM, the `kid` and `alg` bound
/// in), which the store never sees.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// Its name in tokens and in the key set.
    pub kid: String,
    /// Its JOSE algorithm name (`"EdDSA"`, `"ES256"`).
    pub alg: String,
    /// When it was made, seconds since the epoch.
    pub created_at: u64,
    /// When it starts signing: the key that activated last signs.
    pub activates_at: u64,
    /// Its public half as a JWK (JSON), to publish without opening `sealed`.
    pub public_jwk: String,
    /// The private key, encrypted: a 12-byte nonce, then the ciphertext.
    pub sealed: Vec<u8>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created_at", &self.created_at)
            .field("activates_at", &self.activates_at)
            .finish_non_exhaustive()
    }
}

/// Signing keys, shared by every process on the store. Every method is
/// atomic on its own across every thread and process sharing the storage.
pub trait KeyStore: Send + Sync {
    /// Every key held, in no particular order.
    fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError>;

    /// A compare-and-set on the newest key: stores `key` if the key that
    /// activates last is now the one named `newest` (`None`: there is no
    /// key), and answers whether it did. Of hosts racing to add the next
    /// key, one adds it; the others find it on their next read.
    fn add_signing_key(&self, key: StoredKey, newest: Option<&str>) -> Result<bool, StoreError>;

    /// Removes the key named `kid` (nothing if there is none).
    fn remove_signing_key(&self, kid: &str) -> Result<(), StoreError>;
}

/// The key that activates last (ties broken by `kid`, so that every host
/// names the same one).
pub fn newest(keys: &[StoredKey]) -> Option<&StoredKey> {
    keys.iter()
        .max_by(|a, b| (a.activates_at, &a.kid).cmp(&(b.activates_at, &b.kid)))
}
