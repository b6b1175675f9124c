//! The logic of the database stores, written once: [`SqlStore`] runs every
//! store operation as statements of a [`Dialect`], so SQLite and
//! PostgreSQL differ only in how a statement is spelled and bound.
//!
//! Tables (prefix `ropc_`): `grants` (id, revoked, expires_at), `tokens`
//! (hash, kind, grant_id, client_id, username, scope, issued_at, expires_at,
//! user_version, rotated, auth_time, retired, rotated_at, successor), `users` (username, version), `credentials`
//! (username, credential: what host accounts last reported), `failures`
//! (account: a keyed hash of the name, count, last), `secrets` (name,
//! value: that key), `signing_keys`, `replays` (id, expires_at: DPoP
//! proofs used) and `schema` (version). A token is live when it is
//! unexpired, its grant is not revoked and its user_version equals the
//! user's (0 when the user has no row).

use super::pool::Pool;
use super::{
    CounterStore, CredentialStore, Failures, GrantId, KeyStore, RefreshRow, RefreshState, Rotation,
    RotationRequest, RotationStep, Store, StoreError, StoreStats, StoredKey, Successors, TokenKind,
    TokenRecord, TokenStore,
};
use crate::token::TokenHash;
use std::sync::atomic::{AtomicU64, Ordering};

/// The schema version this build reads and writes. Version 3 added the
/// tokens' `auth_time` (a grant's maximum age) and the rotation's
/// `retired`, `rotated_at` and `successor` (the refresh grace window);
/// version 4 the table `secrets`, failure counters under keyed hashes of
/// the names, and the rotation's `retries` and `successor_access`; version
/// 5 the table `signing_keys`; version 6 the table `replays` (DPoP proofs
/// used).
pub(crate) const SCHEMA_VERSION: i64 = 6;

/// A token row's rotation state.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RowState {
    /// Exchanged for a successor.
    pub rotated: bool,
    /// Superseded by a retry of its predecessor within the grace window.
    pub retired: bool,
    /// When it was rotated.
    pub rotated_at: u64,
    /// The refresh token it was (last) exchanged for.
    pub successor: Option<TokenHash>,
    /// Retries of it within the grace window so far.
    pub retries: u32,
    /// The access token issued with `successor`.
    pub successor_access: Option<TokenHash>,
}
/// Rows a purge deletes per table and statement.
pub(crate) const PURGE_BATCH: usize = 1000;
/// How often writes purge a batch by the way.
const PURGE_INTERVAL_SECS: u64 = 60;

/// A connection to one database, spelling each operation the store needs.
/// Methods outside a transaction run on their own (autocommit).
pub trait Dialect: Send + 'static {
    #[doc(hidden)]
    fn begin_write(&mut self) -> Result<(), StoreError>;
    #[doc(hidden)]
    fn commit(&mut self) -> Result<(), StoreError>;
    #[doc(hidden)]
    fn rollback(&mut self);
    /// A live token and its rotation state; `lock`: for update, inside a transaction.
    #[doc(hidden)]
    fn live(
        &mut self,
        kind: TokenKind,
        hash: &TokenHash,
        now: u64,
        lock: bool,
    ) -> Result<Option<(TokenRecord, RowState)>, StoreError>;
    #[doc(hidden)]
    fn insert_token(
        &mut self,
        kind: TokenKind,
        hash: &TokenHash,
        record: &TokenRecord,
    ) -> Result<(), StoreError>;
    /// Inserts the grant, or raises its expiry to `expires_at` if later.
    #[doc(hidden)]
    fn upsert_grant(&mut self, grant: &GrantId, expires_at: u64) -> Result<(), StoreError>;
    /// Marks a refresh token rotated at `now`, exchanged for `successor`
    /// and `successor_access`.
    #[doc(hidden)]
    fn mark_rotated(
        &mut self,
        hash: &TokenHash,
        now: u64,
        successor: &TokenHash,
        successor_access: &TokenHash,
    ) -> Result<(), StoreError>;
    /// Points a rotated refresh token at new successors and counts the
    /// retry.
    #[doc(hidden)]
    fn set_successor(
        &mut self,
        hash: &TokenHash,
        successor: &TokenHash,
        successor_access: &TokenHash,
    ) -> Result<(), StoreError>;
    /// Marks a refresh token retired.
    #[doc(hidden)]
    fn retire(&mut self, hash: &TokenHash) -> Result<(), StoreError>;
    #[doc(hidden)]
    fn revoke_grant_id(&mut self, grant: &GrantId) -> Result<(), StoreError>;
    /// Revokes the grant of the token `hash`, whatever its state.
    #[doc(hidden)]
    fn revoke_grant_of(&mut self, kind: TokenKind, hash: &TokenHash) -> Result<(), StoreError>;
    /// Deletes a token, returning its record.
    #[doc(hidden)]
    fn take_token(
        &mut self,
        kind: TokenKind,
        hash: &TokenHash,
    ) -> Result<Option<TokenRecord>, StoreError>;
    /// The counter of `account`, locked for the rest of the transaction.
    #[doc(hidden)]
    fn failures_locked(&mut self, account: &str) -> Result<Option<Failures>, StoreError>;
    #[doc(hidden)]
    fn put_failures(&mut self, account: &str, f: Failures) -> Result<(), StoreError>;
    #[doc(hidden)]
    fn clear_failures(&mut self, account: &str) -> Result<(), StoreError>;
    #[doc(hidden)]
    fn failures(&mut self, account: &str) -> Result<Option<Failures>, StoreError>;
    #[doc(hidden)]
    fn user_version(&mut self, username: &str) -> Result<u64, StoreError>;
    /// Adds one to the user's version (creating it at 1); returns it.
    #[doc(hidden)]
    fn bump_user(&mut self, username: &str) -> Result<u64, StoreError>;
    /// Records a host's credential version for a user unless one is
    /// recorded; whether it did.
    #[doc(hidden)]
    fn insert_credential(&mut self, username: &str, credential: u64) -> Result<bool, StoreError>;
    /// The recorded credential version, locked for the rest of the transaction.
    #[doc(hidden)]
    fn credential_locked(&mut self, username: &str) -> Result<Option<u64>, StoreError>;
    #[doc(hidden)]
    fn set_credential(&mut self, username: &str, credential: u64) -> Result<(), StoreError>;
    /// One bounded batch: expired tokens, tokens of revoked grants, dead
    /// grants, stale counters. Returns the tokens and counters deleted.
    #[doc(hidden)]
    fn purge_batch(
        &mut self,
        now: u64,
        forget_before: u64,
        limit: usize,
    ) -> Result<usize, StoreError>;
    #[doc(hidden)]
    fn stats(&mut self) -> Result<StoreStats, StoreError>;
    /// Every signing key.
    #[doc(hidden)]
    fn signing_keys(&mut self) -> Result<Vec<StoredKey>, StoreError>;
    /// Locks the signing keys for the rest of the transaction (SQLite:
    /// the write transaction has the database already).
    #[doc(hidden)]
    fn lock_signing_keys(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    #[doc(hidden)]
    fn insert_signing_key(&mut self, key: &StoredKey) -> Result<(), StoreError>;
    #[doc(hidden)]
    fn delete_signing_key(&mut self, kid: &str) -> Result<(), StoreError>;
    /// Records a proof until `expires_at` unless it is recorded past `now`
    /// (one statement: an insert, or an update of an expired row); whether
    /// it did.
    #[doc(hidden)]
    fn first_use(&mut self, id: &[u8; 32], expires_at: u64, now: u64) -> Result<bool, StoreError>;
    /// The common case of a rotation in one round trip, where the database
    /// can: the `Rotate` step of the rotation rule, and only it (a live,
    /// active token of `client_id` within its grant's maximum age): mark it
    /// rotated and store the successors ([`Successors`]) atomically,
    /// returning its record; every other case goes to the full path, which
    /// asks the rule;
    /// `None` if it was not rotated (the full path then says why). The
    /// default does nothing (`None`).
    #[doc(hidden)]
    fn try_rotate(
        &mut self,
        _old: &TokenHash,
        _client_id: &str,
        _now: u64,
        _next: &Successors,
    ) -> Result<Option<TokenRecord>, StoreError> {
        Ok(None)
    }
}

fn in_tx<C: Dialect, T>(
    c: &mut C,
    f: impl FnOnce(&mut C) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    c.begin_write()?;
    match f(c) {
        Ok(v) => c.commit().map(|_| v),
        Err(e) => {
            c.rollback();
            Err(e)
        }
    }
}

/// A store on an SQL database: [`super::SqliteStore`] or
/// [`super::PostgresStore`]. Every operation is one statement or one
/// transaction, so every process sharing the database sees one state.
pub struct SqlStore<C> {
    pool: Pool<C>,
    next_purge: AtomicU64,
    label: &'static str,
    /// Hashes the names the failure counters are kept under (the table
    /// `secrets`, made once per database and shared by every process).
    failure_key: ring::hmac::Key,
}

/// The key in the table `secrets`, as 32 bytes.
pub(crate) fn secret_key(bytes: &[u8]) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::new("a stored secret is not 32 bytes"))
}

impl<C> std::fmt::Debug for SqlStore<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("database", &self.label)
            .finish_non_exhaustive()
    }
}

impl<C: Dialect> SqlStore<C> {
    pub(crate) fn from_pool(pool: Pool<C>, label: &'static str, failure_key: [u8; 32]) -> Self {
        SqlStore {
            pool,
            next_purge: AtomicU64::new(0),
            label,
            failure_key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &failure_key),
        }
    }

    /// What a failure counter is stored under: HMAC-SHA256 of the name,
    /// base64url. Counters exist for any name typed, a password typed into the
    /// username field among them; the database holds none of them as typed.
    fn counter_id(&self, account: &str) -> String {
        let tag = ring::hmac::sign(&self.failure_key, account.as_bytes());
        crate::token::encode(tag.as_ref())
    }

    /// Purges one batch by the way, at most once a minute per process.
    fn purge_by_the_way(&self, c: &mut C, now: u64) {
        let due = self.next_purge.load(Ordering::Relaxed);
        if now >= due
            && self
                .next_purge
                .compare_exchange(
                    due,
                    now.saturating_add(PURGE_INTERVAL_SECS),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            // Counters are forgotten by purge(): here only what is dead for sure.
            let _ = c.purge_batch(now, 0, PURGE_BATCH);
        }
    }
}

impl<C: Dialect> TokenStore for SqlStore<C> {
    fn insert_grant(
        &self,
        access: (TokenHash, TokenRecord),
        refresh: Option<(TokenHash, TokenRecord)>,
    ) -> Result<(), StoreError> {
        let now = access.1.issued_at;
        self.pool.with(|c| {
            in_tx(c, |c| {
                let expires = refresh.as_ref().map_or(access.1.expires_at, |r| {
                    r.1.expires_at.max(access.1.expires_at)
                });
                c.upsert_grant(&access.1.grant, expires)?;
                c.insert_token(TokenKind::Access, &access.0, &access.1)?;
                if let Some((hash, record)) = &refresh {
                    c.insert_token(TokenKind::Refresh, hash, record)?;
                }
                Ok(())
            })?;
            self.purge_by_the_way(c, now);
            Ok(())
        })
    }

    fn access(&self, hash: &TokenHash, now: u64) -> Result<Option<TokenRecord>, StoreError> {
        self.pool
            .with(|c| Ok(c.live(TokenKind::Access, hash, now, false)?.map(|(r, _)| r)))
    }

    fn refresh(&self, hash: &TokenHash, now: u64) -> Result<Option<RefreshState>, StoreError> {
        self.pool.with(|c| {
            Ok(c.live(TokenKind::Refresh, hash, now, false)?
                .map(|(r, state)| {
                    if state.retired {
                        RefreshState::Retired(r)
                    } else if state.rotated {
                        RefreshState::Rotated(r)
                    } else {
                        RefreshState::Active(r)
                    }
                }))
        })
    }

    fn rotate(&self, old: &TokenHash, req: &RotationRequest<'_>) -> Result<Rotation, StoreError> {
        let (now, next, rule) = (req.now, req.next, req.rule);
        self.pool.with(|c| {
            if let Some(record) = c.try_rotate(old, rule.client_id(), now, next)? {
                return Ok(Rotation::Rotated(record));
            }
            // Not rotated by the one-statement path (or none): decide in a
            // transaction, with the old token's row locked (SQLite: the
            // database). `rotated` only ever goes from false to true, so
            // whichever path wins, it wins once; retries of one rotated
            // token wait on its row, so each retires the one before.
            in_tx(c, |c| {
                let Some((record, state)) = c.live(TokenKind::Refresh, old, now, true)? else {
                    return Ok(Rotation::Invalid);
                };
                let row = RefreshRow {
                    record: &record,
                    rotated: state.rotated,
                    retired: state.retired,
                    rotated_at: state.rotated_at,
                    retries: state.retries,
                };
                let step = rule.decide(&row, now, next, &mut || {
                    Ok(match state.successor {
                        Some(s) => matches!(
                            c.live(TokenKind::Refresh, &s, now, true)?,
                            Some((_, st)) if !st.rotated && !st.retired
                        ),
                        None => false,
                    })
                })?;
                let retry = match step {
                    RotationStep::WrongClient => return Ok(Rotation::WrongClient),
                    RotationStep::Invalid => return Ok(Rotation::Invalid),
                    RotationStep::Revoke => {
                        c.revoke_grant_id(&record.grant)?;
                        return Ok(Rotation::Reused(record));
                    }
                    RotationStep::Retry => true,
                    RotationStep::Rotate => false,
                };
                let Some((refresh, access)) = next.records(&record) else {
                    return Ok(Rotation::Invalid); // decided above: not reached
                };
                if retry {
                    if let Some(s) = state.successor {
                        c.retire(&s)?;
                    }
                    // The abandoned branch's access token ends with it.
                    if let Some(a) = state.successor_access {
                        c.take_token(TokenKind::Access, &a)?;
                    }
                    c.set_successor(old, &next.refresh, &next.access)?;
                } else {
                    c.mark_rotated(old, now, &next.refresh, &next.access)?;
                }
                c.upsert_grant(&refresh.grant, refresh.expires_at.max(access.expires_at))?;
                c.insert_token(TokenKind::Refresh, &next.refresh, &refresh)?;
                c.insert_token(TokenKind::Access, &next.access, &access)?;
                Ok(if retry {
                    Rotation::Retried(record)
                } else {
                    Rotation::Rotated(record)
                })
            })
        })
    }

    fn remove(&self, kind: TokenKind, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        self.pool.with(|c| c.take_token(kind, hash))
    }

    fn revoke_grant(&self, kind: TokenKind, hash: &TokenHash) -> Result<(), StoreError> {
        self.pool.with(|c| c.revoke_grant_of(kind, hash))
    }
}

impl<C: Dialect> CounterStore for SqlStore<C> {
    fn update_counter(
        &self,
        account: &str,
        _now: u64,
        _forget_before: u64,
        update: &mut dyn FnMut(Option<Failures>) -> Option<Failures>,
    ) -> Result<Option<Failures>, StoreError> {
        let id = self.counter_id(account);
        self.pool.with(|c| {
            in_tx(c, |c| {
                let before = c.failures_locked(&id)?;
                let after = update(before);
                if after != before {
                    match after {
                        Some(after) => c.put_failures(&id, after)?,
                        None => c.clear_failures(&id)?,
                    }
                }
                Ok(after)
            })
        })
    }

    fn counter(&self, account: &str) -> Result<Option<Failures>, StoreError> {
        let id = self.counter_id(account);
        self.pool.with(|c| c.failures(&id))
    }
}

impl<C: Dialect> CredentialStore for SqlStore<C> {
    fn user_version(&self, username: &str) -> Result<u64, StoreError> {
        self.pool.with(|c| c.user_version(username))
    }

    fn revoke_user(&self, username: &str) -> Result<u64, StoreError> {
        self.pool.with(|c| c.bump_user(username))
    }

    fn sync_credential(&self, username: &str, credential: u64) -> Result<u64, StoreError> {
        self.pool.with(|c| {
            in_tx(c, |c| {
                if c.insert_credential(username, credential)? {
                    return c.user_version(username);
                }
                match c.credential_locked(username)? {
                    Some(seen) if seen != credential => {
                        c.set_credential(username, credential)?;
                        c.bump_user(username)
                    }
                    _ => c.user_version(username),
                }
            })
        })
    }
}

impl<C: Dialect> KeyStore for SqlStore<C> {
    fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        self.pool.with(|c| c.signing_keys())
    }

    fn add_signing_key(&self, key: StoredKey, newest: Option<&str>) -> Result<bool, StoreError> {
        self.pool.with(|c| {
            in_tx(c, |c| {
                c.lock_signing_keys()?;
                let keys = c.signing_keys()?;
                if super::keys::newest(&keys).map(|k| k.kid.as_str()) != newest {
                    return Ok(false);
                }
                c.insert_signing_key(&key)?;
                Ok(true)
            })
        })
    }

    fn remove_signing_key(&self, kid: &str) -> Result<(), StoreError> {
        self.pool.with(|c| c.delete_signing_key(kid))
    }
}

impl<C: Dialect> super::ReplayStore for SqlStore<C> {
    fn first_use(&self, id: &[u8; 32], expires_at: u64, now: u64) -> Result<bool, StoreError> {
        self.pool.with(|c| c.first_use(id, expires_at, now))
    }
}

impl<C: Dialect> Store for SqlStore<C> {
    fn purge(&self, now: u64, forget_before: u64) -> Result<usize, StoreError> {
        self.pool.with(|c| {
            let mut total = 0;
            loop {
                let n = c.purge_batch(now, forget_before, PURGE_BATCH)?;
                total += n;
                if n < PURGE_BATCH {
                    return Ok(total);
                }
            }
        })
    }

    fn stats(&self) -> Result<StoreStats, StoreError> {
        self.pool.with(|c| c.stats())
    }

    fn keys(&self) -> Option<&dyn KeyStore> {
        Some(self)
    }

    fn replays(&self) -> Option<&dyn super::ReplayStore> {
        Some(self)
    }
}

/// Seconds and versions are u64 in Rust and BIGINT in SQL; every value we
/// store is far below 2^63, and anything larger is clamped, never wrapped.
pub(crate) fn to_sql(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn from_sql(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A host's credential version is any u64 (a hash, say): stored bit for
/// bit, so that two different ones never look alike.
pub(crate) fn bits_to_sql(v: u64) -> i64 {
    i64::from_ne_bytes(v.to_ne_bytes())
}

pub(crate) fn bits_from_sql(v: i64) -> u64 {
    u64::from_ne_bytes(v.to_ne_bytes())
}

pub(crate) fn grant_from(bytes: &[u8]) -> Result<GrantId, StoreError> {
    let id: [u8; 16] = bytes
        .try_into()
        .map_err(|_| StoreError::new("a stored grant id is not 16 bytes"))?;
    Ok(GrantId(id))
}
