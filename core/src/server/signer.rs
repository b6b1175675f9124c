//! The keys a server signs JWT access tokens with (RFC 9068): read from
//! the store, made and dropped on the schedule every host follows
//! ([`crate::signing::KeySchedule`]), opened with the operator's
//! key-encryption key and kept open in memory; or the operator's own keys,
//! read from PEM files at start (`signing.key_files`).

use crate::config::SigningConfig;
use crate::error::{ConfigError, OAuthError};
use crate::jws::{Algorithm, SigningKey};
use crate::signing::{KeyEncryptionKey, KeySchedule};
use crate::store::{keys::newest, KeyStore, StoreError, StoredKey};
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// How often a server reads the keys again (another host may have made
/// the next one). Far below the announcement lead: every host knows a key
/// long before it signs.
pub(crate) const REREAD_SECONDS: u64 = 60;

/// The media type of an RFC 9068 access token.
pub(crate) const AT_JWT: &str = "at+jwt";

pub(crate) enum Signer {
    /// Keys that rotate by themselves, shared through the store.
    Rotating(Box<Rotating>),
    /// The operator's keys: the first signs, all are published.
    Files(Files),
}

pub(crate) struct Files {
    keys: Vec<Arc<SigningKey>>,
    jwks: String,
}

/// How long a key set of the operator's keys may be cached: an operator
/// publishing a new key (second in `key_files`) waits this long before
/// making it sign.
pub(crate) const FILES_MAX_AGE_SECONDS: u64 = 300;

pub(crate) struct Rotating {
    kek: KeyEncryptionKey,
    alg: Algorithm,
    schedule: KeySchedule,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    keys: Vec<StoredKey>,
    read_at: Option<u64>,
    opened: HashMap<String, Arc<SigningKey>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signer::Rotating(r) => f
                .debug_struct("Signer")
                .field("alg", &r.alg.name())
                .finish_non_exhaustive(),
            Signer::Files(k) => f
                .debug_struct("Signer")
                .field("key_files", &k.keys.len())
                .finish_non_exhaustive(),
        }
    }
}

/// The store's keys, or the error a store without them gets.
fn need(store: Option<&dyn KeyStore>) -> Result<&dyn KeyStore, OAuthError> {
    store.ok_or_else(|| OAuthError::server_error("this store keeps no signing keys"))
}

impl Signer {
    /// The signer `config` describes: the operator's key files, or keys
    /// that rotate by themselves under the key-encryption key.
    pub(crate) fn from_config(
        config: &SigningConfig,
        keep_seconds: u64,
    ) -> Result<Signer, ConfigError> {
        if config.key_files.is_empty() {
            return Rotating::from_config(config, keep_seconds)
                .map(|r| Signer::Rotating(Box::new(r)));
        }
        if config.key_encryption_key_env.is_some() || config.key_encryption_key_file.is_some() {
            return Err(ConfigError::new(
                "signing.key_files",
                "the operator's key files and a key-encryption key (for keys that rotate by themselves) exclude each other",
            ));
        }
        let mut keys: Vec<Arc<SigningKey>> = Vec::new();
        for (i, path) in config.key_files.iter().enumerate() {
            let field = format!("signing.key_files[{i}]");
            let pem = zeroize::Zeroizing::new(
                std::fs::read(path)
                    .map_err(|e| ConfigError::new(&field, format!("cannot read {path}: {e}")))?,
            );
            let key = SigningKey::from_pem(&pem)
                .map_err(|e| ConfigError::new(&field, format!("{path}: {}", e.reason())))?;
            if keys.iter().any(|k| k.kid() == key.kid()) {
                return Err(ConfigError::new(
                    &field,
                    format!("{path} holds a key listed already"),
                ));
            }
            keys.push(Arc::new(key));
        }
        let jwks =
            crate::jws::KeySet::new(keys.iter().map(|k| k.verifying_key()).collect()).to_json();
        Ok(Signer::Files(Files { keys, jwks }))
    }

    /// The key that signs now.
    pub(crate) fn current(
        &self,
        store: Option<&dyn KeyStore>,
        now: u64,
    ) -> Result<Arc<SigningKey>, OAuthError> {
        match self {
            Signer::Rotating(r) => r.current(need(store)?, now),
            Signer::Files(f) => Ok(Arc::clone(&f.keys[0])),
        }
    }

    /// The public keys to publish now, as a JWKS document.
    pub(crate) fn key_set(
        &self,
        store: Option<&dyn KeyStore>,
        now: u64,
    ) -> Result<String, OAuthError> {
        match self {
            Signer::Rotating(r) => r.key_set(need(store)?, now),
            Signer::Files(f) => Ok(f.jwks.clone()),
        }
    }

    /// How long a key set may be cached.
    pub(crate) fn max_age(&self) -> u64 {
        match self {
            Signer::Rotating(r) => r.max_age(),
            Signer::Files(_) => FILES_MAX_AGE_SECONDS,
        }
    }

    /// Checks at start that the keys can sign: the store keeps keys and
    /// its keys open with this key-encryption key.
    pub(crate) fn check(&self, store: Option<&dyn KeyStore>, now: u64) -> Result<(), ConfigError> {
        match self {
            Signer::Files(_) => Ok(()),
            Signer::Rotating(r) => r.check(
                store.ok_or_else(|| {
                    ConfigError::new(
                        "store",
                        "this store keeps no signing keys: keys that rotate by themselves need one that does (memory, SQLite, PostgreSQL), or give signing.key_files",
                    )
                })?,
                now,
            ),
        }
    }
}

impl Rotating {
    /// Keys that rotate by themselves, the key-encryption key read from the
    /// environment or the file named; tokens live at most `keep_seconds`.
    fn from_config(config: &SigningConfig, keep_seconds: u64) -> Result<Rotating, ConfigError> {
        let alg = Algorithm::from_name(&config.algorithm).ok_or_else(|| {
            ConfigError::new(
                "signing.algorithm",
                format!("{:?} is not one of \"EdDSA\", \"ES256\"", config.algorithm),
            )
        })?;
        if config.rotate_days == 0 || config.rotate_days > 3650 {
            return Err(ConfigError::new(
                "signing.rotate_days",
                "must be 1 to 3650 days",
            ));
        }
        if config.announce_days == 0 || config.announce_days >= config.rotate_days {
            return Err(ConfigError::new(
                "signing.announce_days",
                "must be at least 1 and less than rotate_days",
            ));
        }
        let kek = kek_of(config)?;
        Ok(Rotating {
            kek,
            alg,
            schedule: KeySchedule {
                rotate_seconds: config.rotate_days * 86_400,
                lead_seconds: config.announce_days * 86_400,
                // A little past the longest token: clocks differ.
                keep_seconds: keep_seconds.saturating_add(300),
            },
            state: Mutex::new(State::default()),
        })
    }

    /// Reads the keys (when due), makes and drops what the schedule says,
    /// and opens the key that signs now.
    fn current(&self, store: &dyn KeyStore, now: u64) -> Result<Arc<SigningKey>, OAuthError> {
        let mut state = self.state.lock();
        self.refresh(&mut state, store, now, false)?;
        let key = match self.schedule.signing(&state.keys, now) {
            Some(k) => k.clone(),
            None => {
                // Made by another host since the read, or none yet.
                self.refresh(&mut state, store, now, true)?;
                self.schedule
                    .signing(&state.keys, now)
                    .cloned()
                    .ok_or_else(|| OAuthError::server_error("no signing key"))?
            }
        };
        if let Some(open) = state.opened.get(&key.kid) {
            return Ok(Arc::clone(open));
        }
        let open = Arc::new(self.kek.load(&key).map_err(|e| {
            log::error!(target: "ropc::signing", "signing key {}: {e}", key.kid);
            OAuthError::server_error("the signing key cannot be opened")
        })?);
        state.opened.insert(key.kid.clone(), Arc::clone(&open));
        Ok(open)
    }

    /// The public keys to publish now, as a JWKS document.
    fn key_set(&self, store: &dyn KeyStore, now: u64) -> Result<String, OAuthError> {
        let mut state = self.state.lock();
        self.refresh(&mut state, store, now, false)?;
        let keys: Vec<Value> = self
            .schedule
            .published(&state.keys, now)
            .into_iter()
            .filter_map(|k| serde_json::from_str(&k.public_jwk).ok())
            .collect();
        Ok(serde_json::json!({ "keys": keys }).to_string())
    }

    /// How long a key set may be cached: well within the lead (a key is
    /// published that long before it signs), at most an hour.
    fn max_age(&self) -> u64 {
        (self.schedule.lead_seconds / 4).min(3600)
    }

    /// Checks that the stored keys open with this key-encryption key (a
    /// host given another would sign with nothing): for `build`.
    fn check(&self, store: &dyn KeyStore, now: u64) -> Result<(), ConfigError> {
        let keys = store
            .signing_keys()
            .map_err(|e| ConfigError::new("store", e.message()))?;
        if let Some(key) = self.schedule.signing(&keys, now) {
            self.kek
                .load(key)
                .map_err(|e| ConfigError::new("signing", e.reason()))?;
        }
        Ok(())
    }

    fn refresh(
        &self,
        state: &mut State,
        store: &dyn KeyStore,
        now: u64,
        force: bool,
    ) -> Result<(), StoreError> {
        let due = state
            .read_at
            .is_none_or(|at| now >= at.saturating_add(REREAD_SECONDS) || now < at);
        if !force && !due {
            return Ok(());
        }
        let mut keys = store.signing_keys()?;
        let plan = self.schedule.plan(&keys, now);
        if let Some(at) = plan.make {
            match self.kek.make_key(self.alg, now, at) {
                Ok((stored, _)) => {
                    // Another host may have made it first: then its is kept.
                    let latest = newest(&keys).map(|k| k.kid.clone());
                    store.add_signing_key(stored, latest.as_deref())?;
                    keys = store.signing_keys()?;
                }
                Err(e) => log::error!(target: "ropc::signing", "making a signing key: {e}"),
            }
        }
        for kid in &plan.drop {
            store.remove_signing_key(kid)?;
            state.opened.remove(kid);
        }
        if !plan.drop.is_empty() {
            keys.retain(|k| !plan.drop.contains(&k.kid));
        }
        state.keys = keys;
        state.read_at = Some(now);
        Ok(())
    }
}

/// The key-encryption key, from the environment variable or the file the
/// configuration names (exactly one). Its bytes never reach an error.
fn kek_of(config: &SigningConfig) -> Result<KeyEncryptionKey, ConfigError> {
    let Some((text, field)) = crate::config::key_text(
        "signing",
        (
            "key_encryption_key_env",
            config.key_encryption_key_env.as_deref(),
        ),
        (
            "key_encryption_key_file",
            config.key_encryption_key_file.as_deref(),
        ),
        "key-encryption key",
    )?
    else {
        return Err(ConfigError::new(
            "signing",
            "needs exactly one of key_encryption_key_env and key_encryption_key_file",
        ));
    };
    KeyEncryptionKey::from_text(&text).map_err(|e| ConfigError::new(field, e.reason()))
}
