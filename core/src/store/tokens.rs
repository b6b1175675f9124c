//! Tokens and their grants: what a [`TokenStore`] keeps, and the contract
//! it keeps it under.
//!
//! A token is *live* at `now` when `now < expires_at`, its grant has not been
//! revoked, and its `user_version` equals the owner's current version (see
//! [`super::CredentialStore::revoke_user`]). Lookups return live tokens
//! only. Records are kept as they were given and returned equal to them.

use super::StoreError;
use crate::random::fill as fill_random;
use crate::token::TokenHash;
use std::sync::Arc;

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
    /// [`super::CredentialStore::user_version`]); the token dies when the version moves on.
    pub user_version: u64,
    /// When the resource owner authenticated (the password grant that
    /// began the grant): the same for every token of the lineage, so that
    /// a maximum session age counts from it whatever the rotations.
    pub auth_time: u64,
    /// For a DPoP-bound access token (RFC 9449): the RFC 7638 thumbprint
    /// of the key it is bound to (`cnf.jkt`). Refresh tokens of
    /// confidential clients are never bound (§5).
    pub jkt: Option<Arc<str>>,
}

/// A [`TokenRecord`] lent where the store keeps it: what
/// [`TokenStore::access_with`] hands its reader. A host's own store builds one
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
    /// As [`TokenRecord::jkt`].
    pub jkt: Option<&'a str>,
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
            jkt: t.jkt.map(Into::into),
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
            jkt: self.jkt.as_deref(),
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
    /// (or a retry, within the client's grace window: see [`TokenStore::rotate`]).
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
    /// The grant's maximum age in seconds, counted from the old token's
    /// `auth_time` (`None`: no maximum): the successors expire by then, and
    /// past it there is no rotation.
    pub max_session: Option<u64>,
    /// The key the new access token is bound to (DPoP), if any; the new
    /// refresh token is bound to none.
    pub access_jkt: Option<Arc<str>>,
}

impl Successors {
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
            jkt: None,
            ..old.clone()
        };
        let access = TokenRecord {
            issued_at: self.issued_at,
            expires_at: self.access_expires_at.min(end),
            scope: self
                .access_scope
                .clone()
                .unwrap_or_else(|| Arc::clone(&old.scope)),
            jkt: self.access_jkt.clone(),
            ..old.clone()
        };
        Some((refresh, access))
    }
}

/// A refresh token's rotation state as a store finds it, the token locked
/// for the rest of the rotation: what [`RotationRule::decide`] decides from.
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
/// [`RotationRule::decide`] decided.
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

/// What decides a rotation: the core's rule (RFC 9700 §4.14.2 and the
/// grace window the README states), handed to [`TokenStore::rotate`] so
/// that no store decides. A store calls [`RotationRule::decide`] with the
/// presented token locked and does what it answers, in the same
/// transaction.
pub trait RotationRule: Sync {
    /// The client presenting the token.
    fn client_id(&self) -> &str;

    /// The step for `row`, rotating at `now` into `next`.
    /// `successor_unused` says whether the token's current successor is
    /// still live and active (never used); the rule asks it only when the
    /// answer matters, with the successor's row locked.
    fn decide(
        &self,
        row: &RefreshRow<'_>,
        now: u64,
        next: &Successors,
        successor_unused: &mut dyn FnMut() -> Result<bool, StoreError>,
    ) -> Result<RotationStep, StoreError>;
}

/// A rotation as the server asks for it: at `now`, into the successors
/// `next`, as `rule` decides.
#[derive(Clone, Copy)]
pub struct RotationRequest<'a> {
    /// When the rotation happens.
    pub now: u64,
    /// The tokens it stores.
    pub next: &'a Successors,
    /// The rule that decides (the core's).
    pub rule: &'a dyn RotationRule,
}

impl std::fmt::Debug for RotationRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotationRequest")
            .field("now", &self.now)
            .field("next", &self.next)
            .field("client_id", &self.rule.client_id())
            .finish()
    }
}

/// What [`TokenStore::rotate`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rotation {
    /// The old token was active and is now rotated; the new tokens are stored.
    Rotated(TokenRecord),
    /// The old token had been rotated, within the grace window, fewer than
    /// the rule's limit (`MAX_REFRESH_RETRIES`) times retried, and its successor was not used
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

/// Tokens and grants: inserted together, read by hash, rotated by a
/// compare-and-swap, revoked by grant. Every method is atomic on its own
/// across every thread and process sharing the storage (see the
/// [store module](super) for what an error means).
pub trait TokenStore: Send + Sync {
    /// Stores the tokens of a new grant: an access token and, when the
    /// client gets one, a refresh token. Both records carry the same grant id.
    fn insert_grant(
        &self,
        access: (TokenHash, TokenRecord),
        refresh: Option<(TokenHash, TokenRecord)>,
    ) -> Result<(), StoreError>;

    /// A live access token.
    fn access(&self, hash: &TokenHash, now: u64) -> Result<Option<TokenRecord>, StoreError>;

    /// [`TokenStore::access`] lent to `read` rather than returned, as a
    /// check and an introspection need it (they copy out a few strings);
    /// whether the token was live. Answers as `access` does: the default
    /// calls it.
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

    /// A live refresh token, active, rotated or retired.
    fn refresh(&self, hash: &TokenHash, now: u64) -> Result<Option<RefreshState>, StoreError>;

    /// The compare-and-swap at the heart of refresh-token rotation. With the
    /// live refresh token `old` locked, the store reports its state to the
    /// request's rule ([`RotationRule::decide`]) and does the step it
    /// answers, at the request's `now`, in one transaction:
    ///
    /// - [`RotationStep::Rotate`]: mark `old` rotated at `now`, store the
    ///   successors ([`Successors::records`]) in its grant and remember them
    ///   as its successors: [`Rotation::Rotated`];
    /// - [`RotationStep::Retry`]: retire the remembered successor, delete
    ///   the access token issued with it, store the new ones in their place
    ///   and count the retry (the rotation time stays): [`Rotation::Retried`];
    /// - [`RotationStep::Revoke`]: revoke the whole grant: [`Rotation::Reused`];
    /// - [`RotationStep::WrongClient`], [`RotationStep::Invalid`]: nothing.
    ///
    /// An unknown or dead `old` is [`Rotation::Invalid`] without asking the
    /// rule. Of many concurrent calls with one token, in any number of
    /// processes, at most one returns `Rotated`; they are serialized so
    /// that a grant never has more than one active refresh token.
    fn rotate(&self, old: &TokenHash, req: &RotationRequest<'_>) -> Result<Rotation, StoreError>;

    /// Removes one token; returns its record if it was held (live or not).
    fn remove(&self, kind: TokenKind, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError>;

    /// Revokes every token of the grant that the token `hash` belongs to
    /// (active, rotated or already revoked alike).
    fn revoke_grant(&self, kind: TokenKind, hash: &TokenHash) -> Result<(), StoreError>;
}
