//! The store a configuration names: its settings checked, then opened.

use crate::store::{MemoryStore, Store, UnavailableStore};
#[cfg(feature = "postgres")]
use crate::store::{PostgresOptions, PostgresStore, PostgresTls};
#[cfg(feature = "sqlite")]
use crate::store::{SqliteOptions, SqliteStore};
use std::sync::Arc;

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
    Sqlite(String, SqliteOptions),
    #[cfg(feature = "postgres")]
    Postgres {
        url: String,
        field: &'static str,
        options: PostgresOptions,
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
            let defaults = SqliteOptions::default();
            let options = SqliteOptions {
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
            let defaults = PostgresOptions::default();
            let tls = match (sslmode.as_deref(), sslrootcert) {
                (None, None) => None,
                (None | Some("disable"), Some(_)) => {
                    return Err(ConfigError::new("store.sslrootcert", "is for sslmode \"verify-full\""))
                }
                (Some("disable"), None) => Some(PostgresTls::Disable),
                (Some("require"), None) => Some(PostgresTls::Require),
                (Some("require"), Some(_)) => {
                    return Err(ConfigError::new("store.sslrootcert", "sslmode \"require\" verifies nothing: use \"verify-full\" with a CA file"))
                }
                (Some("verify-full"), Some(ca)) => Some(PostgresTls::VerifyFull { ca_file: ca.into() }),
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
            let options = PostgresOptions {
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
