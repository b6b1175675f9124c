//! Resource owners' credential versions: a number per owner that ends
//! every token stamped with an older one, kept by a [`CredentialStore`].

use super::StoreError;

/// Owners' credential versions. Every method is atomic on its own across
/// every thread and process sharing the storage, and persistent where the
/// store is.
pub trait CredentialStore: Send + Sync {
    /// `username`'s credential version now (0 until
    /// [`CredentialStore::revoke_user`] or
    /// [`CredentialStore::sync_credential`] moved it on).
    fn user_version(&self, username: &str) -> Result<u64, StoreError>;

    /// Moves `username`'s credential version on, which ends every token the
    /// user holds, everywhere; returns the new version. Versions start at 0
    /// and never go back (not even across restarts of a durable store).
    fn revoke_user(&self, username: &str) -> Result<u64, StoreError>;

    /// A compare-and-set on what the host's accounts last reported for
    /// `username` (see [`crate::Owner::credential`]); returns the user's
    /// credential version now. The first report is only recorded; a report
    /// that differs from the recorded one is recorded and moves the
    /// credential version on (as [`CredentialStore::revoke_user`] does):
    /// of concurrent reports of one new credential, one moves it.
    fn sync_credential(&self, username: &str, credential: u64) -> Result<u64, StoreError>;
}
