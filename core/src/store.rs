//! Mutable state: tokens, their grants (lineages) and failed-login counters.
//!
//! Protocol code talks to a [`Store`] only; each operation is atomic on its
//! own, so a durable embedded store or one shared by many hosts can be put in
//! place of [`MemoryStore`] without touching the rules. A store keeps the
//! records it is given as they are: it never sees a token, only its hash.

use crate::scope::ScopeSet;
use crate::token::{TokenHash, TokenHashBuilder};
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Access token or refresh token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A bearer access token.
    Access,
    /// A refresh token.
    Refresh,
}

/// What a token stands for. Every token belongs to a grant (lineage): the
/// password grant that started it and every token descended from it by
/// refreshing; the store keeps that membership (see [`Store::insert_grant`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// The client it was issued to; it is bound to that client.
    pub client_id: Arc<str>,
    /// The resource owner.
    pub username: Arc<str>,
    /// The scopes granted (for a refresh token: granted originally).
    pub scopes: ScopeSet,
    /// Issued at, seconds since the epoch.
    pub issued_at: u64,
    /// Expires at: the token is valid while `now < expires_at`.
    pub expires_at: u64,
    /// The user's credential epoch at issue; a password change moves it on
    /// and so ends every token issued before.
    pub user_epoch: u32,
}

/// A refresh token as the store finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefreshState {
    /// Valid and not yet used.
    Active(TokenRecord),
    /// Already exchanged for a successor: presenting it again is reuse.
    Rotated(TokenRecord),
}

/// What [`Store::rotate`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The old token was active and is now rotated; the new tokens are stored.
    Rotated(TokenRecord),
    /// The old token had been rotated before: the whole grant is now revoked.
    Reused,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failures {
    /// Consecutive failures.
    pub count: u32,
    /// When the last one happened.
    pub last: u64,
}

/// The state behind a server. Every method is atomic.
pub trait Store: Send + Sync {
    /// Stores the tokens of a new grant: an access token and, when the
    /// client gets one, a refresh token.
    fn insert_grant(&self, access: (TokenHash, TokenRecord), refresh: Option<(TokenHash, TokenRecord)>);
    /// An active access token: not expired at `now`, not revoked.
    fn access(&self, hash: &TokenHash, now: u64) -> Option<TokenRecord>;
    /// A refresh token not expired at `now` and not revoked, active or rotated.
    fn refresh(&self, hash: &TokenHash, now: u64) -> Option<RefreshState>;
    /// The compare-and-swap at the heart of refresh-token rotation: if `old`
    /// is active, bound to `client_id` and unexpired, mark it rotated and
    /// store `next_refresh` and `next_access`; if it was rotated already,
    /// revoke its whole grant. Of many concurrent calls with one token, at
    /// most one returns `Rotated`.
    fn rotate(
        &self,
        old: &TokenHash,
        client_id: &str,
        now: u64,
        next_refresh: (TokenHash, TokenRecord),
        next_access: (TokenHash, TokenRecord),
    ) -> Rotation;
    /// Removes one token; returns its record if it was held.
    fn remove(&self, kind: TokenKind, hash: &TokenHash) -> Option<TokenRecord>;
    /// Revokes every token of the grant that the token `hash` belongs to
    /// (active, rotated or already revoked alike).
    fn revoke_grant(&self, kind: TokenKind, hash: &TokenHash);
    /// Counts a failed login for `account` at `now`; counters older than
    /// `forget_before` start again from zero. Returns the new count.
    fn record_failure(&self, account: &str, now: u64, forget_before: u64) -> u32;
    /// The failed-login counter of `account`, if any.
    fn failures(&self, account: &str) -> Option<Failures>;
    /// Forgets the failures of `account` (after a successful login).
    fn clear_failures(&self, account: &str);
    /// Drops expired and revoked tokens and failure counters older than
    /// `forget_before`. Returns how many tokens and counters were dropped.
    fn purge(&self, now: u64, forget_before: u64) -> usize;
    /// Counts, for monitoring.
    fn stats(&self) -> StoreStats;
}

const SHARDS: usize = 32;
const PURGE_INTERVAL_SECS: u64 = 60;
const FAILURES_PURGE_AT: usize = 4096;

#[derive(Debug, Default)]
struct GrantCell {
    revoked: AtomicBool,
}

struct Entry {
    record: TokenRecord,
    /// Shared by the tokens of one lineage. A grant without a refresh token
    /// has a single token and needs none: it is revoked by removing it
    /// (which saves a 32-byte allocation a live token).
    grant: Option<Arc<GrantCell>>,
    rotated: bool,
}

impl Entry {
    fn live(&self, now: u64) -> bool {
        now < self.record.expires_at && self.grant.as_ref().is_none_or(|g| !g.revoked.load(Ordering::Acquire))
    }
}

type TokenMap = HashMap<TokenHash, Entry, TokenHashBuilder>;

#[derive(Default)]
struct Shard {
    access: TokenMap,
    refresh: TokenMap,
    next_purge: u64,
}

impl Shard {
    fn map(&mut self, kind: TokenKind) -> &mut TokenMap {
        match kind {
            TokenKind::Access => &mut self.access,
            TokenKind::Refresh => &mut self.refresh,
        }
    }

    fn purge(&mut self, now: u64) -> usize {
        let before = self.access.len() + self.refresh.len();
        self.access.retain(|_, e| e.live(now));
        self.refresh.retain(|_, e| e.live(now));
        self.next_purge = now + PURGE_INTERVAL_SECS;
        before - self.access.len() - self.refresh.len()
    }
}

/// The default store: everything in this process's memory, sharded by token
/// hash so that threads seldom wait on one another. Expired entries are
/// purged as it goes (each shard at most once a minute, when written to) and
/// by [`Store::purge`].
///
/// The tokens of one grant share one revocation flag, so revoking a grant is
/// one store, whatever the number of its tokens.
pub struct MemoryStore {
    shards: Box<[RwLock<Shard>]>,
    failures: Mutex<HashMap<Box<str>, Failures>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore {
            shards: (0..SHARDS).map(|_| RwLock::new(Shard::default())).collect(),
            failures: Mutex::new(HashMap::new()),
        }
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").field("stats", &self.stats()).finish()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn shard(&self, hash: &TokenHash) -> &RwLock<Shard> {
        &self.shards[usize::from(hash.0[31]) % SHARDS]
    }

    fn put(&self, kind: TokenKind, hash: TokenHash, record: TokenRecord, grant: Option<Arc<GrantCell>>) {
        let now = record.issued_at;
        let mut shard = self.shard(&hash).write();
        if now >= shard.next_purge {
            shard.purge(now);
        }
        shard.map(kind).insert(hash, Entry { record, grant, rotated: false });
    }
}

impl Store for MemoryStore {
    fn insert_grant(&self, access: (TokenHash, TokenRecord), refresh: Option<(TokenHash, TokenRecord)>) {
        let cell = refresh.map(|(hash, record)| {
            let cell = Arc::new(GrantCell::default());
            self.put(TokenKind::Refresh, hash, record, Some(Arc::clone(&cell)));
            cell
        });
        self.put(TokenKind::Access, access.0, access.1, cell);
    }

    fn access(&self, hash: &TokenHash, now: u64) -> Option<TokenRecord> {
        let shard = self.shard(hash).read();
        shard.access.get(hash).filter(|e| e.live(now)).map(|e| e.record.clone())
    }

    fn refresh(&self, hash: &TokenHash, now: u64) -> Option<RefreshState> {
        let shard = self.shard(hash).read();
        shard.refresh.get(hash).filter(|e| e.live(now)).map(|e| {
            if e.rotated {
                RefreshState::Rotated(e.record.clone())
            } else {
                RefreshState::Active(e.record.clone())
            }
        })
    }

    fn rotate(
        &self,
        old: &TokenHash,
        client_id: &str,
        now: u64,
        next_refresh: (TokenHash, TokenRecord),
        next_access: (TokenHash, TokenRecord),
    ) -> Rotation {
        let (record, cell) = {
            let mut shard = self.shard(old).write();
            let Some(entry) = shard.refresh.get_mut(old).filter(|e| e.live(now)) else {
                return Rotation::Invalid;
            };
            if *entry.record.client_id != *client_id {
                return Rotation::WrongClient;
            }
            if entry.rotated {
                if let Some(g) = &entry.grant {
                    g.revoked.store(true, Ordering::Release);
                }
                return Rotation::Reused;
            }
            entry.rotated = true;
            let cell = entry.grant.get_or_insert_with(Default::default);
            (entry.record.clone(), Arc::clone(cell))
        };
        // The swap above decided the winner; the successors join its grant,
        // so a later reuse of `old` revokes them too.
        self.put(TokenKind::Refresh, next_refresh.0, next_refresh.1, Some(Arc::clone(&cell)));
        self.put(TokenKind::Access, next_access.0, next_access.1, Some(cell));
        Rotation::Rotated(record)
    }

    fn remove(&self, kind: TokenKind, hash: &TokenHash) -> Option<TokenRecord> {
        self.shard(hash).write().map(kind).remove(hash).map(|e| e.record)
    }

    fn revoke_grant(&self, kind: TokenKind, hash: &TokenHash) {
        let mut shard = self.shard(hash).write();
        let single = match shard.map(kind).get(hash) {
            Some(Entry { grant: Some(g), .. }) => {
                g.revoked.store(true, Ordering::Release);
                false
            }
            Some(_) => true,
            None => false,
        };
        if single {
            shard.map(kind).remove(hash);
        }
    }

    fn record_failure(&self, account: &str, now: u64, forget_before: u64) -> u32 {
        let mut failures = self.failures.lock();
        // Counters exist for any name tried, existing or not: forget the
        // stale ones as the map grows, so random names cannot fill memory.
        if failures.len() >= FAILURES_PURGE_AT && failures.len().is_power_of_two() {
            failures.retain(|_, f| f.last >= forget_before);
        }
        let entry = failures.entry(account.into()).or_insert(Failures { count: 0, last: now });
        if entry.last < forget_before {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        entry.count
    }

    fn failures(&self, account: &str) -> Option<Failures> {
        self.failures.lock().get(account).copied()
    }

    fn clear_failures(&self, account: &str) {
        self.failures.lock().remove(account);
    }

    fn purge(&self, now: u64, forget_before: u64) -> usize {
        let dropped: usize = self.shards.iter().map(|s| s.write().purge(now)).sum();
        let mut failures = self.failures.lock();
        let before = failures.len();
        failures.retain(|_, f| f.last >= forget_before);
        dropped + before - failures.len()
    }

    fn stats(&self) -> StoreStats {
        let (mut access_tokens, mut refresh_tokens) = (0, 0);
        for shard in self.shards.iter() {
            let s = shard.read();
            access_tokens += s.access.len();
            refresh_tokens += s.refresh.len();
        }
        StoreStats { access_tokens, refresh_tokens, throttled_accounts: self.failures.lock().len() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(expires_at: u64) -> TokenRecord {
        TokenRecord {
            client_id: "c".into(),
            username: "u".into(),
            scopes: ScopeSet::from_ids([0]),
            issued_at: 0,
            expires_at,
            user_epoch: 0,
        }
    }

    fn h(s: &str) -> TokenHash {
        TokenHash::of(s)
    }

    #[test]
    fn a_lineage_is_revoked_through_any_of_its_tokens() {
        let store = MemoryStore::new();
        store.insert_grant((h("a1"), record(100)), Some((h("r1"), record(100))));
        let rotated = store.rotate(&h("r1"), "c", 10, (h("r2"), record(100)), (h("a2"), record(100)));
        assert!(matches!(rotated, Rotation::Rotated(_)));
        assert!(matches!(store.refresh(&h("r1"), 10), Some(RefreshState::Rotated(_))));
        assert_eq!(store.rotate(&h("r1"), "other", 10, (h("x"), record(100)), (h("y"), record(100))), Rotation::WrongClient);
        store.revoke_grant(TokenKind::Refresh, &h("r2"));
        for (kind, t) in [(TokenKind::Access, "a1"), (TokenKind::Access, "a2")] {
            assert!(store.access(&h(t), 10).is_none(), "{kind:?} {t}");
        }
        assert!(store.refresh(&h("r2"), 10).is_none());
        assert_eq!(store.rotate(&h("r2"), "c", 10, (h("x"), record(100)), (h("y"), record(100))), Rotation::Invalid);
    }

    #[test]
    fn a_grant_without_refresh_token_is_one_token() {
        let store = MemoryStore::new();
        store.insert_grant((h("solo"), record(100)), None);
        store.insert_grant((h("other"), record(100)), None);
        assert!(store.access(&h("solo"), 99).is_some());
        assert!(store.access(&h("solo"), 100).is_none(), "expiry is exclusive");
        store.revoke_grant(TokenKind::Access, &h("solo"));
        assert!(store.access(&h("solo"), 10).is_none());
        assert!(store.access(&h("other"), 10).is_some(), "other grants are untouched");
        assert_eq!(store.stats().access_tokens, 1);
    }

    #[test]
    fn reuse_of_a_rotated_token_revokes_its_successors() {
        let store = MemoryStore::new();
        store.insert_grant((h("a1"), record(100)), Some((h("r1"), record(100))));
        store.rotate(&h("r1"), "c", 1, (h("r2"), record(100)), (h("a2"), record(100)));
        assert_eq!(store.rotate(&h("r1"), "c", 2, (h("r3"), record(100)), (h("a3"), record(100))), Rotation::Reused);
        assert!(store.access(&h("a2"), 2).is_none());
        assert!(store.refresh(&h("r2"), 2).is_none());
        assert!(store.access(&h("a3"), 2).is_none(), "nothing was stored for the reuse");
    }

    #[test]
    fn stale_failure_counters_do_not_pile_up() {
        let store = MemoryStore::new();
        for i in 0..FAILURES_PURGE_AT {
            store.record_failure(&format!("name{i}"), 10, 0);
        }
        // Much later, new names keep arriving: the stale ones are dropped.
        store.record_failure("late", 100_000, 50_000);
        assert!(store.stats().throttled_accounts < 10, "{:?}", store.stats());
    }

    #[test]
    fn failures_count_and_are_forgotten() {
        let store = MemoryStore::new();
        assert_eq!(store.record_failure("x", 10, 0), 1);
        assert_eq!(store.record_failure("x", 11, 0), 2);
        assert_eq!(store.record_failure("x", 100, 50), 1, "older than forget_before: starts again");
        store.clear_failures("x");
        assert_eq!(store.failures("x"), None);
        store.record_failure("y", 10, 0);
        assert_eq!(store.purge(10, 11), 1);
    }
}
