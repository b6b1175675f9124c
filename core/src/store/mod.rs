//! Mutable state, by what it holds: tokens and their grants
//! ([`TokenStore`]), failed-login counters ([`CounterStore`]) and resource
//! owners' credential versions ([`CredentialStore`]). A [`Store`] is all
//! three, plus the upkeep that spans them (purging, counting).
//!
//! Protocol code talks to these traits only. Three implementations ship:
//! [`MemoryStore`] (one process, lost on restart), [`SqliteStore`] (one host,
//! any number of processes, durable) and [`PostgresStore`] (many hosts). A
//! store never sees a token, only its SHA-256 ([`crate::TokenHash`]), and never a
//! password. A store keeps and hands back; it decides nothing: refresh
//! rotation's rule comes in as a [`RotationRule`], and the throttle's
//! thresholds never reach it.
//!
//! # What an implementation must guarantee
//!
//! Every method is atomic on its own, across every thread and process that
//! shares the store, and either does all it says or returns a
//! [`StoreError`] and does nothing that a later call can observe as half
//! done. A method that cannot reach its storage returns an error: it never
//! reports success for something it did not save, and never reports a token
//! as unknown because its storage is down (the server turns errors into
//! `503 temporarily_unavailable`, never into `invalid_grant` or
//! `invalid_token`, which would make clients discard good tokens). Each
//! trait states the rest. The conformance suite
//! ([`crate::conformance::store`], cargo feature `conformance`) checks
//! exactly these rules; every store in this crate runs it, and so does a
//! store in the tests written from the public API alone.

mod counters;
mod credentials;
pub mod keys;
mod memory;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod pool;
#[cfg(feature = "postgres")]
mod postgres;
mod replays;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
mod tokens;
mod unavailable;

pub use crate::error::StoreError;
pub use counters::{CounterStore, Failures};
pub use credentials::CredentialStore;
pub use keys::{KeyStore, StoredKey};
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresConnection, PostgresOptions, PostgresStore, PostgresTls};
pub use replays::ReplayStore;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sql::SqlStore;
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteConnection, SqliteOptions, SqliteStore};
pub use tokens::{
    GrantId, RefreshRow, RefreshState, Rotation, RotationRequest, RotationRule, RotationStep,
    Successors, TokenKind, TokenRecord, TokenStore, TokenView,
};
pub use unavailable::UnavailableStore;

/// Counts in a store, for monitoring and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Access tokens held (including expired ones not yet purged).
    pub access_tokens: usize,
    /// Refresh tokens held (including rotated ones kept to detect reuse).
    pub refresh_tokens: usize,
    /// Accounts with failed-login counters.
    pub throttled_accounts: usize,
}

/// The state behind a server: every kind of stored thing, and the upkeep
/// that spans them. See the [module documentation](self) for what every
/// implementation must guarantee.
pub trait Store: TokenStore + CounterStore + CredentialStore {
    /// Drops expired tokens, revoked grants and failure counters not
    /// [`Failures::recent`] at `forget_before`, in bounded batches. Returns
    /// how many tokens and counters were dropped.
    fn purge(&self, now: u64, forget_before: u64) -> Result<usize, StoreError>;

    /// Counts, for monitoring.
    fn stats(&self) -> Result<StoreStats, StoreError>;

    /// Whether calls may wait on a disk or a network: bindings then keep
    /// them off event loops and release Python's GIL around them.
    fn may_block(&self) -> bool {
        true
    }

    /// The store's signing keys, if it keeps them (the default: it does
    /// not, and a server on it cannot issue signed tokens).
    fn keys(&self) -> Option<&dyn KeyStore> {
        None
    }

    /// The proofs already used, if the store keeps them (the default: it
    /// does not, and a server on it cannot accept DPoP proofs).
    fn replays(&self) -> Option<&dyn ReplayStore> {
        None
    }
}
