//! Mutable state: tokens, their grants (lineages), failed-login counters and
//! resource owners' credential versions.
//!
//! Protocol code talks to a [`Store`] only. Three implementations ship:
//! [`MemoryStore`] (one process, lost on restart), [`SqliteStore`] (one host,
//! any number of processes, durable) and [`PostgresStore`] (many hosts). A
//! store never sees a token, only its SHA-256 ([`TokenHash`]), and never a
//! password.
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
//! `invalid_token`, which would make clients discard good tokens).
//!
//! A token is *live* at `now` when `now < expires_at`, its grant has not been
//! revoked, and its `user_version` equals the owner's current version (see
//! [`Store::revoke_user`]). Lookups return live tokens only. Records are kept
//! as they were given and returned equal to them. The conformance suite in
//! [`conformance`] (cargo feature `conformance`) checks exactly these rules;
//! every store in this crate runs it.

use crate::config::ThrottleConfig;
use crate::random::fill as fill_random;
use crate::token::TokenHash;
use std::sync::Arc;

mod memory;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod pool;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
mod unavailable;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresConnection, PostgresOptions, PostgresStore, PostgresTls};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sql::SqlStore;
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteConnection, SqliteOptions, SqliteStore};
pub use unavailable::UnavailableStore;

/// A store could not do what was asked: its storage is unreachable, full,
/// locked or failing. Never a statement about a token: the caller answers
/// `503` and the client retries.
///
/// The message says what failed for the operator's logs; it never holds a
/// token, a password or a connection secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError {
    message: String,
}

impl StoreError {
    /// A failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        StoreError {
            message: message.into(),
        }
    }

    /// What failed.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the token store failed: {}", self.message)
    }
}

impl std::error::Error for StoreError {}

/// Access token or refresh token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A bearer access token.
    Access,
    /// A refresh token.
    Refresh,
}

impl TokenKind {
    /// The number a database stores for the kind.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) fn code(self) -> i64 {
        match self {
            TokenKind::Access => 0,
            TokenKind::Refresh => 1,
        }
    }
}

/// The identity of a grant (a lineage): the password grant that started it
/// and every token descended from it by refreshing. 128 random bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct GrantId(pub [u8; 16]);

impl GrantId {
    /// A fresh random id.
    pub fn random() -> GrantId {
        let mut id = [0u8; 16];
        fill_random(&mut id);
        GrantId(id)
    }

    /// The id in hex, as introspection and logs show it.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Debug for GrantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GrantId({})", self.to_hex())
    }
}

/// What a token stands for. Self-describing: scope *names*, the grant, the
/// client, the owner, times and the owner's credential version, so a record
/// means the same after the configuration changes or in another process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// The grant (lineage) the token belongs to.
    pub grant: GrantId,
    /// The client it was issued to; it is bound to that client.
    pub client_id: Arc<str>,
    /// The resource owner.
    pub username: Arc<str>,
    /// The scope names granted, space-separated (for a refresh token: the
    /// scope granted originally).
    pub scope: Arc<str>,
    /// Issued at, seconds since the epoch.
    pub issued_at: u64,
    /// Expires at: the token is valid while `now < expires_at`.
    pub expires_at: u64,
    /// The owner's credential version when the grant began (from
    /// [`Store::login_attempt`]); the token dies when the version moves on.
    pub user_version: u64,
    /// When the resource owner authenticated (the password grant that
    /// began the grant): the same for every token of the lineage, so that
    /// a maximum session age counts from it whatever the rotations.
    pub auth_time: u64,
}

/// A [`TokenRecord`] lent where the store keeps it: what
/// [`Store::access_with`] hands its reader. A host's own store builds one
/// from whatever it keeps (its fields are a record's, borrowed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenView<'a> {
    /// As [`TokenRecord::grant`].
    pub grant: GrantId,
    /// As [`TokenRecord::client_id`].
    pub client_id: &'a str,
    /// As [`TokenRecord::username`].
    pub username: &'a str,
    /// As [`TokenRecord::scope`].
    pub scope: &'a str,
    /// As [`TokenRecord::issued_at`].
    pub issued_at: u64,
    /// As [`TokenRecord::expires_at`].
    pub expires_at: u64,
    /// As [`TokenRecord::user_version`].
    pub user_version: u64,
    /// As [`TokenRecord::auth_time`].
    pub auth_time: u64,
}

impl From<TokenView<'_>> for TokenRecord {
    /// A lent record, copied out.
    fn from(t: TokenView<'_>) -> TokenRecord {
        TokenRecord {
            grant: t.grant,
            client_id: t.client_id.into(),
            username: t.username.into(),
            scope: t.scope.into(),
            issued_at: t.issued_at,
            expires_at: t.expires_at,
            user_version: t.user_version,
            auth_time: t.auth_time,
        }
    }
}

impl TokenRecord {
    /// This record, lent.
    pub fn view(&self) -> TokenView<'_> {
        TokenView {
            grant: self.grant,
            client_id: &self.client_id,
            username: &self.username,
            scope: &self.scope,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            user_version: self.user_version,
            auth_time: self.auth_time,
        }
    }
}

/// A refresh token as the store finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshState {
    /// Valid and not yet used.
    Active(TokenRecord),
    /// Already exchanged for a successor: presenting it again is reuse
    /// (or a retry, within the client's grace window: see [`Store::rotate`]).
    Rotated(TokenRecord),
    /// Issued, then superseded by a retry of its predecessor within the
    /// grace window before it was ever used: presenting it is reuse (two
    /// parties hold tokens of the lineage), and revokes the grant.
    Retired(TokenRecord),
}

/// The tokens a rotation stores. They inherit from the old refresh token
/// its grant, client, owner, credential version and scope (the access token
/// may have a narrower scope), so a rotation needs nothing read beforehand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Successors {
    /// The new refresh token.
    pub refresh: TokenHash,
    /// The new access token.
    pub access: TokenHash,
    /// When both were issued.
    pub issued_at: u64,
    /// When the new refresh token expires.
    pub refresh_expires_at: u64,
    /// When the new access token expires.
    pub access_expires_at: u64,
    /// The access token's scope when the request narrowed it; `None`: the old token's.
    pub access_scope: Option<Arc<str>>,
    /// The client's refresh grace window in seconds (0: none): see
    /// [`Store::rotate`].
    pub grace_seconds: u64,
    /// The grant's maximum age in seconds, counted from the old token's
    /// `auth_time` (`None`: no maximum): the successors expire by then, and
    /// past it there is no rotation.
    pub max_session: Option<u64>,
}

impl Successors {
    /// Whether a token rotated at `rotated_at` and presented again at `now`
    /// is within the client's grace window (exclusive of its end; never
    /// with no window).
    pub fn within_grace(&self, rotated_at: u64, now: u64) -> bool {
        now < rotated_at.saturating_add(self.grace_seconds)
    }

    /// Whether a token rotated at `rotated_at` and retried `retries` times
    /// since may be retried once more at `now`: within the grace window and
    /// fewer than [`MAX_REFRESH_RETRIES`] retries.
    pub fn retry_allowed(&self, rotated_at: u64, retries: u32, now: u64) -> bool {
        self.within_grace(rotated_at, now) && retries < MAX_REFRESH_RETRIES
    }

    /// When the grant ends, by its maximum age (`None`: never).
    pub fn session_end(&self, old: &TokenRecord) -> Option<u64> {
        self.max_session.map(|m| old.auth_time.saturating_add(m))
    }

    /// The refresh and access records, inheriting from `old` (their expiry
    /// capped by the grant's maximum age); `None` when the grant has
    /// reached its maximum age, and so cannot be refreshed.
    pub fn records(&self, old: &TokenRecord) -> Option<(TokenRecord, TokenRecord)> {
        let end = self.session_end(old).unwrap_or(u64::MAX);
        if self.issued_at >= end {
            return None;
        }
        let refresh = TokenRecord {
            issued_at: self.issued_at,
            expires_at: self.refresh_expires_at.min(end),
            ..old.clone()
        };
        let access = TokenRecord {
            issued_at: self.issued_at,
            expires_at: self.access_expires_at.min(end),
            scope: self
                .access_scope
                .clone()
                .unwrap_or_else(|| Arc::clone(&old.scope)),
            ..old.clone()
        };
        Some((refresh, access))
    }
}

/// A refresh token's rotation state as a store finds it, the token locked
/// for the rest of the rotation: what [`decide_rotation`] decides from.
#[derive(Clone, Copy, Debug)]
pub struct RefreshRow<'a> {
    /// The token's record.
    pub record: &'a TokenRecord,
    /// Exchanged for a successor before.
    pub rotated: bool,
    /// Superseded by a retry of its predecessor.
    pub retired: bool,
    /// When it was rotated (meaningful when `rotated`).
    pub rotated_at: u64,
    /// Retries of it within the grace window so far.
    pub retries: u32,
}

/// What a store does with a presented refresh token, as
/// [`decide_rotation`] decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotationStep {
    /// Nothing: the token belongs to another client.
    WrongClient,
    /// Nothing: the grant reached its maximum age.
    Invalid,
    /// Mark it rotated at `now` and store the successors.
    Rotate,
    /// Retire its successor and delete the access token issued with it,
    /// store the new successors in their place, count the retry.
    Retry,
    /// Revoke its whole grant (reuse).
    Revoke,
}

/// The rules of refresh-token rotation, written once for every store
/// (RFC 9700 §4.14.2, and the grace window the README states): another
/// client's token changes nothing; a retired token (a successor a retry
/// superseded) is reuse; past the grant's maximum age, nothing; an active
/// token rotates; a rotated one is a retry when within the window, retried
/// fewer than [`MAX_REFRESH_RETRIES`] times and its successor never used
/// (`successor_unused`, asked only then), and reuse otherwise. A store
/// calls it with the token locked and does what it says, in the same
/// transaction.
pub fn decide_rotation(
    row: &RefreshRow<'_>,
    client_id: &str,
    now: u64,
    next: &Successors,
    successor_unused: &mut dyn FnMut() -> Result<bool, StoreError>,
) -> Result<RotationStep, StoreError> {
    if *row.record.client_id != *client_id {
        return Ok(RotationStep::WrongClient);
    }
    if row.retired {
        return Ok(RotationStep::Revoke);
    }
    if next.records(row.record).is_none() {
        return Ok(RotationStep::Invalid);
    }
    if !row.rotated {
        return Ok(RotationStep::Rotate);
    }
    if next.retry_allowed(row.rotated_at, row.retries, now) && successor_unused()? {
        return Ok(RotationStep::Retry);
    }
    Ok(RotationStep::Revoke)
}

/// What [`Store::rotate`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rotation {
    /// The old token was active and is now rotated; the new tokens are stored.
    Rotated(TokenRecord),
    /// The old token had been rotated, within the grace window, fewer than
    /// [`MAX_REFRESH_RETRIES`] times retried, and its successor was not used
    /// yet: that successor is retired, the access token issued with it
    /// deleted, and the new tokens take their place.
    Retried(TokenRecord),
    /// The old token had been rotated before (outside the grace window,
    /// after its successor was used, or with its retries spent), or it was
    /// a successor a retry retired: the whole grant is now revoked. With
    /// the old token's record.
    Reused(TokenRecord),
    /// The token belongs to another client; nothing changed.
    WrongClient,
    /// Unknown, expired or revoked; nothing changed.
    Invalid,
}

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

/// Failed-login bookkeeping for one account name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Failures {
    /// Failed attempts since the last success (or since they were forgotten).
    pub count: u32,
    /// Attempts admitted whose outcome is not known yet.
    pub pending: u32,
    /// When the last failure (or a lock's last admitted try) happened.
    pub last: u64,
    /// When the latest pending attempt was admitted.
    pub pending_since: u64,
}

/// What the throttle says of an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Check the password (the attempt is now pending).
    Proceed,
    /// The account is locked: answer exactly like a wrong password.
    Locked,
    /// So many attempts are in flight that one more could pass the limit if
    /// they all failed: nothing was counted; answer 503 and let the client
    /// retry (a burst of correct logins is not a lockout).
    Busy,
}

/// The answer of [`Store::login_attempt`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginAttempt {
    /// Whether the password may be checked.
    pub verdict: Verdict,
    /// The account's current credential version, to stamp on the grant.
    pub user_version: u64,
}

/// How many times one rotated refresh token may be retried within its
/// client's grace window (a response lost twice running); the next
/// presentation is reuse and revokes the grant.
pub const MAX_REFRESH_RETRIES: u32 = 2;

/// A pending attempt whose outcome never came (its process died) stops
/// counting after this long.
pub const PENDING_TIMEOUT_SECS: u64 = 120;

/// The throttle's rule for a new attempt, shared by every store so that all
/// count alike: the verdict and the counter after it. An attempt is counted
/// (as pending) *before* its password is checked, and failures plus pending
/// attempts never exceed `max_failures`: N concurrent guesses, in any
/// number of processes, never get more checks than the limit. A locked
/// account's counter is left as it is (the lock does not grow with every
/// refused try); once the lock has run out, one attempt at a time goes
/// through and, if it fails too, locks the account again.
pub fn throttle_step(
    before: Option<Failures>,
    now: u64,
    policy: &ThrottleConfig,
) -> (Verdict, Failures) {
    let forget_before = now.saturating_sub(policy.forget_after_seconds);
    let mut f = before
        .filter(|f| f.last >= forget_before || f.pending_since >= forget_before)
        .unwrap_or_default();
    if f.last < forget_before {
        f.count = 0;
    }
    if now >= f.pending_since.saturating_add(PENDING_TIMEOUT_SECS) {
        f.pending = 0;
    }
    let verdict = if f.count >= policy.max_failures {
        if now < f.last.saturating_add(policy.lockout_seconds) {
            Verdict::Locked
        } else if f.pending == 0 {
            Verdict::Proceed
        } else {
            Verdict::Busy
        }
    } else if f.count.saturating_add(f.pending) >= policy.max_failures {
        Verdict::Busy
    } else {
        Verdict::Proceed
    };
    if verdict == Verdict::Proceed {
        f.pending = f.pending.saturating_add(1);
        f.pending_since = now;
        if f.count >= policy.max_failures {
            // The one try after a lock: a failure locks again from now.
            f.last = now;
        }
    }
    (verdict, f)
}

/// Whether the counter `before` holds its account locked at `now`: what
/// [`throttle_step`] would answer, without counting anything.
pub fn throttle_locked(before: Option<Failures>, now: u64, policy: &ThrottleConfig) -> bool {
    throttle_step(before, now, policy).0 == Verdict::Locked
}

/// The throttle's rule for an outcome: the counter after an admitted
/// attempt succeeded (failures forgotten) or failed (one more failure).
/// `None`: nothing left to keep.
pub fn throttle_finish(before: Option<Failures>, now: u64, succeeded: bool) -> Option<Failures> {
    let mut f = before.unwrap_or_default();
    f.pending = f.pending.saturating_sub(1);
    if succeeded {
        f.count = 0;
    } else {
        f.count = f.count.saturating_add(1);
        f.last = now;
    }
    (f.count > 0 || f.pending > 0).then_some(f)
}

/// The state behind a server. See the [module documentation](self) for what
/// every implementation must guarantee.
pub trait Store: Send + Sync {
    /// Stores the tokens of a new grant: an access token and, when the
    /// client gets one, a refresh token. Both records carry the same grant id.
    fn insert_grant(
        &self,
        access: (TokenHash, TokenRecord),
        refresh: Option<(TokenHash, TokenRecord)>,
    ) -> Result<(), StoreError>;

    /// A live access token.
    fn access(&self, hash: &TokenHash, now: u64) -> Result<Option<TokenRecord>, StoreError>;

    /// [`Store::access`] lent to `read` rather than returned, as a check
    /// and an introspection need it (they copy out a few strings); whether
    /// the token was live. Answers as `access` does: the default calls it.
    ///
    /// A store that keeps its records in memory lends them where they are:
    /// a returned record's `Arc`s are counts that every thread reading the
    /// same client's or user's tokens would write. `read` may run under the
    /// store's lock: it only copies.
    fn access_with(
        &self,
        hash: &TokenHash,
        now: u64,
        read: &mut dyn FnMut(TokenView<'_>),
    ) -> Result<bool, StoreError> {
        Ok(self.access(hash, now)?.map(|r| read(r.view())).is_some())
    }

    /// A live refresh token, active or rotated.
    fn refresh(&self, hash: &TokenHash, now: u64) -> Result<Option<RefreshState>, StoreError>;

    /// The compare-and-swap at the heart of refresh-token rotation: with the
    /// live refresh token `old` locked, [`decide_rotation`] decides (the
    /// rules are not the store's) and the store does what it says, in one
    /// transaction. In effect, if `old` is a live refresh token bound to
    /// `client_id` and its grant is within its maximum age
    /// ([`Successors::records`]; past it: `Invalid`):
    ///
    /// - active: mark it rotated (at `now`), store the successors in its
    ///   grant and remember them as its successors: [`Rotation::Rotated`];
    /// - rotated, at most `next.grace_seconds` ago (`now < rotated_at +
    ///   grace`), retried fewer than [`MAX_REFRESH_RETRIES`] times, and its
    ///   successor refresh token still live and active (never used):
    ///   retire that successor, delete the access token issued with it,
    ///   store the new ones in their place and count the retry (the old
    ///   token's rotation time stays): [`Rotation::Retried`];
    /// - rotated otherwise: revoke its whole grant: [`Rotation::Reused`];
    /// - retired (a successor a retry superseded): revoke its whole grant,
    ///   [`Rotation::Reused`]: whoever presents it is not whoever retried.
    ///
    /// Of many concurrent calls with one token, in any number of processes,
    /// at most one returns `Rotated`; they are serialized so that a grant
    /// never has more than one active refresh token.
    fn rotate(
        &self,
        old: &TokenHash,
        client_id: &str,
        now: u64,
        next: &Successors,
    ) -> Result<Rotation, StoreError>;

    /// Removes one token; returns its record if it was held (live or not).
    fn remove(&self, kind: TokenKind, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError>;

    /// Revokes every token of the grant that the token `hash` belongs to
    /// (active, rotated or already revoked alike).
    fn revoke_grant(&self, kind: TokenKind, hash: &TokenHash) -> Result<(), StoreError>;

    /// Counts one login attempt on the counter `account` and says whether it
    /// may go on ([`throttle_step`], applied atomically), with `username`'s
    /// current credential version (one round trip for both). The server
    /// names a counter by the folded name ([`crate::fold_name`]) and the
    /// user by the name a token would be issued to. Counters exist for any
    /// name, known or not. Every [`Verdict::Proceed`] is followed by one
    /// [`Store::login_finished`].
    fn login_attempt(
        &self,
        account: &str,
        username: &str,
        now: u64,
        policy: &ThrottleConfig,
    ) -> Result<LoginAttempt, StoreError>;

    /// Records the outcome of an admitted attempt ([`throttle_finish`],
    /// applied atomically); returns the counter after it (`None`: nothing
    /// left to keep), from which the server tells that a failure locked
    /// the account.
    fn login_finished(
        &self,
        account: &str,
        now: u64,
        succeeded: bool,
    ) -> Result<Option<Failures>, StoreError>;

    /// The failed-login counter of `account`, if any.
    fn failures(&self, account: &str) -> Result<Option<Failures>, StoreError>;

    /// `username`'s credential version now (0 until [`Store::revoke_user`]
    /// or [`Store::sync_credential`] moved it on).
    fn user_version(&self, username: &str) -> Result<u64, StoreError>;

    /// Moves `username`'s credential version on, which ends every token the
    /// user holds, everywhere; returns the new version. Versions start at 0
    /// and never go back (not even across restarts of a durable store).
    fn revoke_user(&self, username: &str) -> Result<u64, StoreError>;

    /// Records the credential version the host's accounts report for
    /// `username` (see [`crate::Owner::credential`]) and returns the user's
    /// credential version now: the first version seen is only recorded; a
    /// different one than recorded moves the credential version on (as
    /// [`Store::revoke_user`] does, ending the user's older tokens
    /// everywhere) and is recorded. Atomic across every process sharing the
    /// store; persistent where the store is.
    fn sync_credential(&self, username: &str, credential: u64) -> Result<u64, StoreError>;

    /// Drops expired tokens, revoked grants and failure counters older than
    /// `forget_before`, in bounded batches. Returns how many tokens and
    /// counters were dropped.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throttle_counts_before_the_check_and_locks_for_a_while() {
        let p = ThrottleConfig {
            max_failures: 2,
            lockout_seconds: 10,
            forget_after_seconds: 100,
        };
        let (v, f) = throttle_step(None, 1000, &p);
        assert_eq!(v, Verdict::Proceed);
        let (v, f2) = throttle_step(Some(f), 1000, &p);
        assert_eq!(v, Verdict::Proceed);
        let (v, busy) = throttle_step(Some(f2), 1000, &p);
        assert_eq!(
            v,
            Verdict::Busy,
            "two in flight with a limit of two: a third waits"
        );
        assert_eq!(busy, f2, "nothing counted for a busy answer");
        let f = throttle_finish(Some(f2), 1001, false);
        let f = throttle_finish(f, 1001, false).expect("two failures");
        assert_eq!((f.count, f.pending), (2, 0));
        let (v, locked) = throttle_step(Some(f), 1002, &p);
        assert_eq!(v, Verdict::Locked);
        assert_eq!(locked, f, "a refused try leaves the counter as it was");
        let (v, one) = throttle_step(Some(f), 1011, &p);
        assert_eq!(v, Verdict::Proceed, "the lock ran out: one try");
        assert_eq!(
            throttle_step(Some(one), 1011, &p).0,
            Verdict::Locked,
            "one at a time: while it runs, the account stays locked"
        );
        let after = throttle_finish(Some(one), 1012, false).expect("a third failure");
        assert_eq!(
            throttle_step(Some(after), 1013, &p).0,
            Verdict::Locked,
            "and locked again"
        );
        assert_eq!(
            throttle_step(Some(after), 1012 + 101, &p).0,
            Verdict::Proceed,
            "forgotten after a while"
        );
        assert_eq!(
            throttle_finish(Some(one), 1012, true),
            None,
            "a success forgets the failures"
        );
    }

    #[test]
    fn concurrent_correct_logins_are_busy_not_locked() {
        let p = ThrottleConfig {
            max_failures: 3,
            lockout_seconds: 10,
            forget_after_seconds: 100,
        };
        let mut f = None;
        let mut verdicts = Vec::new();
        for _ in 0..5 {
            let (v, after) = throttle_step(f, 1000, &p);
            verdicts.push(v);
            f = Some(after);
        }
        assert_eq!(
            verdicts.iter().filter(|v| **v == Verdict::Proceed).count(),
            3
        );
        assert!(
            verdicts.iter().all(|v| *v != Verdict::Locked),
            "no failure happened: {verdicts:?}"
        );
        let f = throttle_finish(f, 1000, true);
        assert_eq!(
            throttle_step(f, 1000, &p).0,
            Verdict::Proceed,
            "a success makes room"
        );
    }

    #[test]
    fn pending_attempts_of_a_dead_process_stop_counting() {
        let p = ThrottleConfig {
            max_failures: 1,
            lockout_seconds: 10,
            forget_after_seconds: 1000,
        };
        let (_, f) = throttle_step(None, 1000, &p);
        assert_eq!(throttle_step(Some(f), 1001, &p).0, Verdict::Busy);
        assert_eq!(
            throttle_step(Some(f), 1000 + PENDING_TIMEOUT_SECS, &p).0,
            Verdict::Proceed
        );
    }

    #[test]
    fn no_overflow_turns_a_lock_off() {
        let huge = ThrottleConfig {
            max_failures: 1,
            lockout_seconds: u64::MAX,
            forget_after_seconds: u64::MAX,
        };
        let (_, f) = throttle_step(None, 5, &huge);
        let f = throttle_finish(Some(f), 5, false);
        assert_eq!(throttle_step(f, u64::MAX - 1, &huge).0, Verdict::Locked);
    }

    /// The rotation rule, case by case (each store applies it; the
    /// conformance suite shows each does).
    #[test]
    fn the_rotation_rule_case_by_case() {
        let record = TokenRecord {
            grant: GrantId([1; 16]),
            client_id: "app".into(),
            username: "u".into(),
            scope: "read".into(),
            issued_at: 100,
            expires_at: 10_000,
            user_version: 0,
            auth_time: 100,
        };
        let next = |max_session: Option<u64>| Successors {
            refresh: TokenHash([2; 32]),
            access: TokenHash([3; 32]),
            issued_at: 200,
            refresh_expires_at: 2_000,
            access_expires_at: 300,
            access_scope: None,
            grace_seconds: 30,
            max_session,
        };
        let row = |rotated, retired, rotated_at, retries| RefreshRow {
            record: &record,
            rotated,
            retired,
            rotated_at,
            retries,
        };
        let decide = |row: RefreshRow<'_>, client: &str, max: Option<u64>, unused: bool| {
            let mut asked = false;
            let step = decide_rotation(&row, client, 200, &next(max), &mut || {
                asked = true;
                Ok(unused)
            })
            .unwrap();
            (step, asked)
        };
        use RotationStep::*;
        for (case, got, want) in [
            (
                "another client's",
                decide(row(false, false, 0, 0), "other", None, true),
                (WrongClient, false),
            ),
            (
                "active",
                decide(row(false, false, 0, 0), "app", None, true),
                (Rotate, false),
            ),
            (
                "past the maximum age",
                decide(row(false, false, 0, 0), "app", Some(50), true),
                (Invalid, false),
            ),
            (
                "retired",
                decide(row(false, true, 0, 0), "app", None, true),
                (Revoke, false),
            ),
            (
                "a retry",
                decide(row(true, false, 190, 0), "app", None, true),
                (Retry, true),
            ),
            (
                "successor used",
                decide(row(true, false, 190, 0), "app", None, false),
                (Revoke, true),
            ),
            (
                "past the window",
                decide(row(true, false, 170, 0), "app", None, true),
                (Revoke, false),
            ),
            (
                "retries spent",
                decide(
                    row(true, false, 190, MAX_REFRESH_RETRIES),
                    "app",
                    None,
                    true,
                ),
                (Revoke, false),
            ),
        ] {
            assert_eq!(got, want, "{case}");
        }
    }
}
