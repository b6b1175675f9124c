//! The in-memory store: the fastest, for one process; lost on restart.

use super::{
    throttle_step, Failures, GrantId, LoginAttempt, RefreshState, Rotation, Store, StoreError,
    StoreStats, TokenKind, TokenRecord,
};
use crate::config::ThrottleConfig;
use crate::token::{TokenHash, TokenHashBuilder};
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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
        now < self.record.expires_at
            && self
                .grant
                .as_ref()
                .is_none_or(|g| !g.revoked.load(Ordering::Acquire))
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
        self.next_purge = now.saturating_add(PURGE_INTERVAL_SECS);
        before - self.access.len() - self.refresh.len()
    }
}

/// The default store: everything in this process's memory, sharded by token
/// hash so that threads seldom wait on one another. Expired entries are
/// purged as it goes (each shard at most once a minute, when written to) and
/// by [`Store::purge`]. A restart forgets every token and every revocation;
/// several processes each have their own: see the README's "Choosing a store".
///
/// The tokens of one grant share one revocation flag, so revoking a grant is
/// one store, whatever the number of its tokens.
pub struct MemoryStore {
    shards: Box<[RwLock<Shard>]>,
    failures: Mutex<HashMap<Box<str>, Failures>>,
    /// Credential versions of users whose tokens were ended (absent: 0).
    versions: RwLock<HashMap<Box<str>, u64>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore {
            shards: (0..SHARDS).map(|_| RwLock::new(Shard::default())).collect(),
            failures: Mutex::new(HashMap::new()),
            versions: RwLock::new(HashMap::new()),
        }
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("stats", &self.stats())
            .finish()
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

    fn version(&self, username: &str) -> u64 {
        // Most servers never end a user's tokens: an empty map costs no hashing.
        let versions = self.versions.read();
        if versions.is_empty() {
            0
        } else {
            versions.get(username).copied().unwrap_or(0)
        }
    }

    fn current(&self, record: &TokenRecord) -> bool {
        record.user_version == self.version(&record.username)
    }

    fn put(
        &self,
        kind: TokenKind,
        hash: TokenHash,
        record: TokenRecord,
        grant: Option<Arc<GrantCell>>,
    ) {
        let now = record.issued_at;
        let mut shard = self.shard(&hash).write();
        if now >= shard.next_purge {
            shard.purge(now);
        }
        shard.map(kind).insert(
            hash,
            Entry {
                record,
                grant,
                rotated: false,
            },
        );
    }
}

impl Store for MemoryStore {
    fn insert_grant(
        &self,
        access: (TokenHash, TokenRecord),
        refresh: Option<(TokenHash, TokenRecord)>,
    ) -> Result<(), StoreError> {
        let cell = refresh.map(|(hash, record)| {
            let cell = Arc::new(GrantCell::default());
            self.put(TokenKind::Refresh, hash, record, Some(Arc::clone(&cell)));
            cell
        });
        self.put(TokenKind::Access, access.0, access.1, cell);
        Ok(())
    }

    fn access(&self, hash: &TokenHash, now: u64) -> Result<Option<TokenRecord>, StoreError> {
        let found = {
            let shard = self.shard(hash).read();
            shard
                .access
                .get(hash)
                .filter(|e| e.live(now))
                .map(|e| e.record.clone())
        };
        Ok(found.filter(|r| self.current(r)))
    }

    fn refresh(&self, hash: &TokenHash, now: u64) -> Result<Option<RefreshState>, StoreError> {
        let found = {
            let shard = self.shard(hash).read();
            shard
                .refresh
                .get(hash)
                .filter(|e| e.live(now))
                .map(|e| (e.record.clone(), e.rotated))
        };
        Ok(found.filter(|(r, _)| self.current(r)).map(|(r, rotated)| {
            if rotated {
                RefreshState::Rotated(r)
            } else {
                RefreshState::Active(r)
            }
        }))
    }

    fn rotate(
        &self,
        old: &TokenHash,
        client_id: &str,
        now: u64,
        next_refresh: (TokenHash, TokenRecord),
        next_access: (TokenHash, TokenRecord),
    ) -> Result<Rotation, StoreError> {
        let (record, cell) = {
            let mut shard = self.shard(old).write();
            let Some(entry) = shard.refresh.get_mut(old).filter(|e| e.live(now)) else {
                return Ok(Rotation::Invalid);
            };
            if entry.record.user_version != self.version(&entry.record.username) {
                return Ok(Rotation::Invalid);
            }
            if *entry.record.client_id != *client_id {
                return Ok(Rotation::WrongClient);
            }
            if entry.rotated {
                if let Some(g) = &entry.grant {
                    g.revoked.store(true, Ordering::Release);
                }
                return Ok(Rotation::Reused);
            }
            entry.rotated = true;
            let cell = entry.grant.get_or_insert_with(Default::default);
            (entry.record.clone(), Arc::clone(cell))
        };
        // The swap above decided the winner; the successors join its grant,
        // so a later reuse of `old` revokes them too.
        self.put(
            TokenKind::Refresh,
            next_refresh.0,
            next_refresh.1,
            Some(Arc::clone(&cell)),
        );
        self.put(TokenKind::Access, next_access.0, next_access.1, Some(cell));
        Ok(Rotation::Rotated(record))
    }

    fn remove(&self, kind: TokenKind, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self
            .shard(hash)
            .write()
            .map(kind)
            .remove(hash)
            .map(|e| e.record))
    }

    fn revoke_grant(&self, kind: TokenKind, hash: &TokenHash) -> Result<(), StoreError> {
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
        Ok(())
    }

    fn login_attempt(
        &self,
        account: &str,
        now: u64,
        policy: &ThrottleConfig,
    ) -> Result<LoginAttempt, StoreError> {
        let allowed = {
            let mut failures = self.failures.lock();
            // Counters exist for any name tried, existing or not: forget the
            // stale ones as the map grows, so random names cannot fill memory.
            if failures.len() >= FAILURES_PURGE_AT && failures.len().is_power_of_two() {
                let forget_before = now.saturating_sub(policy.forget_after_seconds);
                failures.retain(|_, f| f.last >= forget_before);
            }
            let (allowed, after) = throttle_step(failures.get(account).copied(), now, policy);
            failures.insert(account.into(), after);
            allowed
        };
        Ok(LoginAttempt {
            allowed,
            user_version: self.version(account),
        })
    }

    fn clear_failures(&self, account: &str) -> Result<(), StoreError> {
        self.failures.lock().remove(account);
        Ok(())
    }

    fn failures(&self, account: &str) -> Result<Option<Failures>, StoreError> {
        Ok(self.failures.lock().get(account).copied())
    }

    fn revoke_user(&self, username: &str) -> Result<u64, StoreError> {
        let mut versions = self.versions.write();
        let v = versions.entry(username.into()).or_insert(0);
        *v = v.saturating_add(1);
        Ok(*v)
    }

    fn purge(&self, now: u64, forget_before: u64) -> Result<usize, StoreError> {
        let dropped: usize = self.shards.iter().map(|s| s.write().purge(now)).sum();
        let mut failures = self.failures.lock();
        let before = failures.len();
        failures.retain(|_, f| f.last >= forget_before);
        Ok(dropped + before - failures.len())
    }

    fn stats(&self) -> Result<StoreStats, StoreError> {
        let (mut access_tokens, mut refresh_tokens) = (0, 0);
        for shard in self.shards.iter() {
            let s = shard.read();
            access_tokens += s.access.len();
            refresh_tokens += s.refresh.len();
        }
        Ok(StoreStats {
            access_tokens,
            refresh_tokens,
            throttled_accounts: self.failures.lock().len(),
        })
    }

    fn may_block(&self) -> bool {
        false
    }
}

impl MemoryStore {
    /// The grant a held token belongs to (for tests and tools).
    pub fn grant_of(&self, kind: TokenKind, hash: &TokenHash) -> Option<GrantId> {
        self.shard(hash)
            .write()
            .map(kind)
            .get(hash)
            .map(|e| e.record.grant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_failure_counters_do_not_pile_up() {
        let store = MemoryStore::new();
        let p = ThrottleConfig {
            max_failures: 100,
            lockout_seconds: 10,
            forget_after_seconds: 50_000,
        };
        for i in 0..FAILURES_PURGE_AT {
            store.login_attempt(&format!("name{i}"), 10, &p).unwrap();
        }
        // Much later, new names keep arriving: the stale ones are dropped.
        store.login_attempt("late", 100_000, &p).unwrap();
        assert!(
            store.stats().unwrap().throttled_accounts < 10,
            "{:?}",
            store.stats()
        );
    }
}
