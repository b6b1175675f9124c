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

use std::sync::Arc;

mod counters;
mod credentials;
mod memory;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod pool;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
mod tokens;
mod unavailable;

pub use crate::error::StoreError;
pub use counters::{CounterStore, Failures};
pub use credentials::CredentialStore;
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresConnection, PostgresOptions, PostgresStore, PostgresTls};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sql::SqlStore;
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteConnection, SqliteOptions, SqliteStore};
pub use tokens::{
    GrantId, RefreshRow, RefreshState, Rotation, RotationRule, RotationStep, Successors, TokenKind,
    TokenRecord, TokenStore, TokenView,
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
}

/// Opens the store a configuration names. Bad settings and an unreachable
/// database are configuration errors naming the field.
pub(crate) fn open(
    config: &crate::config::StoreConfig,
) -> Result<Arc<dyn Store>, crate::error::ConfigError> {
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    use crate::error::ConfigError;
    match settings(config)? {
        Opening::Memory => Ok(Arc::new(MemoryStore::new())),
        Opening::Unavailable => Ok(Arc::new(UnavailableStore)),
        #[cfg(feature = "sqlite")]
        Opening::Sqlite(path, options) => {
            let store = SqliteStore::open_with(&path, options)
                .map_err(|e| ConfigError::new("store.path", e.message()))?;
            Ok(Arc::new(store))
        }
        #[cfg(feature = "postgres")]
        Opening::Postgres {
            url,
            field,
            options,
        } => {
            let store = PostgresStore::connect_with(&url, options)
                .map_err(|e| ConfigError::new(field, e.message()))?;
            Ok(Arc::new(store))
        }
    }
}

/// What opening a store takes, every setting checked and nothing opened
/// (what `Config::check` and `ropc check-config` answer from).
pub(crate) enum Opening {
    Memory,
    Unavailable,
    #[cfg(feature = "sqlite")]
    Sqlite(String, sqlite::SqliteOptions),
    #[cfg(feature = "postgres")]
    Postgres {
        url: String,
        field: &'static str,
        options: postgres::PostgresOptions,
    },
}

/// The store's settings, checked: bad values, an unset `url_env`, a TLS
/// mode that cannot be met are configuration errors naming the field.
pub(crate) fn settings(
    config: &crate::config::StoreConfig,
) -> Result<Opening, crate::error::ConfigError> {
    use crate::config::StoreConfig;
    use crate::error::ConfigError;
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    fn millis(
        field: &str,
        v: Option<u64>,
        default: std::time::Duration,
    ) -> Result<std::time::Duration, ConfigError> {
        match v {
            None => Ok(default),
            Some(ms @ 1..=600_000) => Ok(std::time::Duration::from_millis(ms)),
            Some(_) => Err(ConfigError::new(
                format!("store.{field}"),
                "must be 1 to 600000 milliseconds",
            )),
        }
    }
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    fn pool(v: Option<u32>, default: usize) -> Result<usize, ConfigError> {
        match v {
            None => Ok(default),
            Some(n @ 1..=256) => Ok(n as usize),
            Some(_) => Err(ConfigError::new("store.pool_size", "must be 1 to 256")),
        }
    }
    match config {
        StoreConfig::Memory => Ok(Opening::Memory),
        StoreConfig::Unavailable => Ok(Opening::Unavailable),
        #[cfg(feature = "sqlite")]
        StoreConfig::Sqlite { path, pool_size, busy_timeout_ms, durable } => {
            if path.is_empty() {
                return Err(ConfigError::new("store.path", "the SQLite store needs the path of its database file"));
            }
            let defaults = sqlite::SqliteOptions::default();
            let options = sqlite::SqliteOptions {
                pool_size: pool(*pool_size, defaults.pool_size)?,
                busy_timeout: millis("busy_timeout_ms", *busy_timeout_ms, defaults.busy_timeout)?,
                durable: durable.unwrap_or(defaults.durable),
            };
            Ok(Opening::Sqlite(path.clone(), options))
        }
        #[cfg(feature = "postgres")]
        StoreConfig::Postgres { url, url_env, pool_size, connect_timeout_ms, statement_timeout_ms, sslmode, sslrootcert } => {
            let (url, field) = match (url, url_env) {
                (Some(url), None) => (url.clone(), "store.url"),
                (None, Some(name)) => match std::env::var(name) {
                    Ok(url) if !url.is_empty() => (url, "store.url_env"),
                    _ => {
                        return Err(ConfigError::new(
                            "store.url_env",
                            format!("the environment variable {name} is not set (it should hold the PostgreSQL URL)"),
                        ))
                    }
                },
                _ => return Err(ConfigError::new("store", "the postgres store needs exactly one of url and url_env")),
            };
            let defaults = postgres::PostgresOptions::default();
            let tls = match (sslmode.as_deref(), sslrootcert) {
                (None, None) => None,
                (None | Some("disable"), Some(_)) => {
                    return Err(ConfigError::new("store.sslrootcert", "is for sslmode \"verify-full\""))
                }
                (Some("disable"), None) => Some(postgres::PostgresTls::Disable),
                (Some("require"), None) => Some(postgres::PostgresTls::Require),
                (Some("require"), Some(_)) => {
                    return Err(ConfigError::new("store.sslrootcert", "sslmode \"require\" verifies nothing: use \"verify-full\" with a CA file"))
                }
                (Some("verify-full"), Some(ca)) => Some(postgres::PostgresTls::VerifyFull { ca_file: ca.into() }),
                (Some("verify-full"), None) => {
                    return Err(ConfigError::new("store.sslrootcert", "sslmode \"verify-full\" needs the CA certificates to trust (a PEM file)"))
                }
                (Some(other), _) => {
                    return Err(ConfigError::new(
                        "store.sslmode",
                        format!("{other:?} is not one of \"disable\", \"require\", \"verify-full\""),
                    ))
                }
            };
            let options = postgres::PostgresOptions {
                pool_size: pool(*pool_size, defaults.pool_size)?,
                connect_timeout: millis("connect_timeout_ms", *connect_timeout_ms, defaults.connect_timeout)?,
                statement_timeout: millis("statement_timeout_ms", *statement_timeout_ms, defaults.statement_timeout)?,
                tls,
            };
            Ok(Opening::Postgres { url, field, options })
        }
        #[allow(unreachable_patterns)]
        other => Err(ConfigError::new(
            "store.type",
            format!("this build of ropc has no {other:?} store (it was built without that cargo feature)"),
        )),
    }
}
