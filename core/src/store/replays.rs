//! Proofs already used (DPoP `jti`s, RFC 9449 §11.1), shared by every host
//! through the store, so that a proof replayed to another host is refused
//! too. Which proofs are fresh enough to accept at all is not the store's
//! to decide: it is the proof checker's ([`crate::dpop`]), above the store.

use super::StoreError;

/// Proofs seen, each until its time runs out. Atomic across every thread
/// and process sharing the storage.
pub trait ReplayStore: Send + Sync {
    /// Records the proof `id` (a hash of its key and `jti`: fixed size,
    /// whatever the client sent) until `expires_at`. True when it was the
    /// first use: not recorded, or recorded until at most `now`. Of
    /// concurrent calls with one `id`, in any number of processes, exactly
    /// one gets true.
    fn first_use(&self, id: &[u8; 32], expires_at: u64, now: u64) -> Result<bool, StoreError>;
}
