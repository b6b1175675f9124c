//! The in-memory store: the fastest, for one process; lost on restart.

use super::{
    CounterStore, CredentialStore, Failures, GrantId, KeyStore, RefreshRow, RefreshState,
    ReplayStore, Rotation, RotationRequest, RotationStep, Store, StoreError, StoreStats, StoredKey,
    TokenKind, TokenRecord, TokenStore, TokenView,
};
use crate::token::{TokenHash, TokenHashBuilder};
use crossbeam_utils::CachePadded;
use parking_lot::{Mutex, RwLock};
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const SHARDS: usize = 32;
/// Maps of users' credential versions.
const VERSION_SHARDS: usize = 16;
/// Users' credential versions, by name.
type Versions = HashMap<Box<str>, u64>;

/// Where each shard's share of the token hashes starts, out of 1024. The
/// shares grow geometrically from 22 to 44 (each 2^(1/32) times the last).
///
/// A shard's maps double when 7/8 full. With equal shares all 32 double at
/// the same count, so what a live token costs swung with the count: 169
/// bytes at 100,000 tokens, 295 at 115,000, 271 at a million. With shares
/// spread over one doubling, the shards are at every point of it at once:
/// 199 to 222 bytes at any count from 10,000 up, and the rehashes are
/// spread out rather than all due together.
const SHARD_STARTS: [u16; SHARDS + 1] = [
    0, 22, 45, 69, 93, 117, 142, 168, 194, 220, 248, 276, 304, 333, 363, 393, 424, 456, 488, 521,
    555, 590, 625, 661, 698, 736, 774, 814, 854, 895, 937, 980, 1024,
];

/// The shard of each 10-bit slice of a token hash (taken from its last two
/// bytes; the maps hash its first eight).
static SHARD_OF: [u8; 1024] = shard_table();

const fn shard_table() -> [u8; 1024] {
    let mut table = [0u8; 1024];
    let (mut shard, mut slot) = (0, 0);
    while slot < 1024 {
        while SHARD_STARTS[shard + 1] as usize <= slot {
            shard += 1;
        }
        // At most 31: fits.
        table[slot] = shard as u8;
        slot += 1;
    }
    table
}
const PURGE_INTERVAL_SECS: u64 = 60;
const FAILURES_PURGE_AT: usize = 4096;
/// Accounts whose failed logins are counted one by one (names are at most
/// 256 bytes: at most about 25 MiB however many names an attacker tries).
pub const TRACKED_ACCOUNTS: usize = 65_536;
/// Shared counters for the names beyond [`TRACKED_ACCOUNTS`] (24 bytes each).
const OVERFLOW_BUCKETS: usize = 16_384;

/// What the tokens of one grant with a refresh token share.
#[derive(Debug, Default)]
struct GrantCell {
    revoked: AtomicBool,
    /// Set by the first rotation; every rotation of the grant runs under
    /// this lock (taken before any shard lock), so a grant never has two
    /// active refresh tokens.
    lineage: Mutex<Option<Box<Lineage>>>,
}

/// The last rotation of a grant.
#[derive(Debug)]
struct Lineage {
    /// The token last rotated, and when.
    rotated: TokenHash,
    rotated_at: u64,
    /// Its successor: the grant's active refresh token until rotated or
    /// retired, and the access token issued with it.
    current: TokenHash,
    current_access: TokenHash,
    /// Retries of `rotated` so far ([`super::MAX_REFRESH_RETRIES`] at most).
    retries: u32,
}

/// A token as this store keeps it: a [`TokenRecord`] packed into 96 bytes
/// (with its 32-byte key, a 128-byte map bucket), which is most of what a
/// live token costs.
struct Entry {
    grant_id: GrantId,
    client_id: Arc<str>,
    username: Arc<str>,
    scope: Arc<str>,
    expires_at: u64,
    /// `expires_at - issued_at`: exact for every lifetime a server issues
    /// (at most ten years); a record whose lifetime is negative or beyond
    /// 136 years keeps its `issued_at` clamped into that range.
    lifetime: u32,
    /// The credential version (30 bits) and, in the top bits, whether the
    /// token was rotated or retired.
    state: u32,
    /// `issued_at - auth_time` (clamped like `lifetime`).
    auth_age: u32,
    /// Shared by the tokens of one lineage. A grant without a refresh token
    /// has a single token and needs none: it is revoked by removing it
    /// (which saves a 32-byte allocation a live token).
    grant: Option<Arc<GrantCell>>,
}

/// What separates a bound token's scope from its key's thumbprint in
/// `Entry::scope`: no scope token holds it (RFC 6749 §3.3), so an unbound
/// token's scope is kept as it is and shared, and an entry stays 96 bytes.
const JKT_SEPARATOR: char = '\0';

/// Versions above this are kept as this (a billion ends of one user's
/// tokens in one process's life: beyond reach).
const MAX_VERSION: u64 = (1 << 30) - 1;
const ROTATED: u32 = 1 << 31;
const RETIRED: u32 = 1 << 30;

impl Entry {
    fn new(record: TokenRecord, grant: Option<Arc<GrantCell>>) -> Entry {
        let lifetime = record.expires_at.saturating_sub(record.issued_at);
        let auth_age = record.issued_at.saturating_sub(record.auth_time);
        Entry {
            auth_age: u32::try_from(auth_age).unwrap_or(u32::MAX),
            grant_id: record.grant,
            client_id: record.client_id,
            username: record.username,
            scope: match &record.jkt {
                None => record.scope,
                Some(jkt) => format!("{}{JKT_SEPARATOR}{jkt}", record.scope).into(),
            },
            expires_at: record.expires_at,
            lifetime: u32::try_from(lifetime).unwrap_or(u32::MAX),
            // At most MAX_VERSION, below 2^30: the cast keeps the value.
            state: record.user_version.min(MAX_VERSION) as u32,
            grant,
        }
    }

    fn user_version(&self) -> u64 {
        u64::from(self.state & !(ROTATED | RETIRED))
    }

    fn retired(&self) -> bool {
        self.state & RETIRED != 0
    }

    fn rotated(&self) -> bool {
        self.state & ROTATED != 0
    }

    /// The record, handed out: its names' `Arc`s cloned.
    fn record(&self) -> TokenRecord {
        let v = self.view();
        TokenRecord {
            grant: v.grant,
            client_id: Arc::clone(&self.client_id),
            username: Arc::clone(&self.username),
            scope: match v.jkt {
                None => Arc::clone(&self.scope),
                Some(_) => v.scope.into(),
            },
            issued_at: v.issued_at,
            expires_at: v.expires_at,
            user_version: v.user_version,
            auth_time: v.auth_time,
            jkt: v.jkt.map(Into::into),
        }
    }

    /// The record, lent: the one place its times are unpacked.
    fn view(&self) -> TokenView<'_> {
        let (scope, jkt) = match self.scope.split_once(JKT_SEPARATOR) {
            None => (&*self.scope, None),
            Some((scope, jkt)) => (scope, Some(jkt)),
        };
        TokenView {
            grant: self.grant_id,
            client_id: &self.client_id,
            username: &self.username,
            scope,
            issued_at: self.issued_at(),
            expires_at: self.expires_at,
            user_version: self.user_version(),
            auth_time: self.issued_at() - u64::from(self.auth_age),
            jkt,
        }
    }

    fn issued_at(&self) -> u64 {
        self.expires_at - u64::from(self.lifetime)
    }

    fn live(&self, now: u64) -> bool {
        now < self.expires_at
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
/// several processes each have their own: see the book's "Stores" (docs/src/stores.md).
///
/// The tokens of one grant share one revocation flag, so revoking a grant is
/// one store, whatever the number of its tokens.
pub struct MemoryStore {
    /// Each on lines of its own: a read lock writes the lock's word.
    shards: Box<[CachePadded<RwLock<Shard>>]>,
    failures: Mutex<FailureTable>,
    /// Credential versions of users whose tokens were ended (absent: 0),
    /// in [`VERSION_SHARDS`] maps by a hash of the name: once any user's
    /// tokens were ended, every check reads one, and threads checking at
    /// once would otherwise all write one lock's word.
    versions: Box<[CachePadded<RwLock<Versions>>]>,
    /// Which of `versions` holds a name.
    versions_hasher: RandomState,
    /// Whether `versions` has ever held anything.
    any_versions: AtomicBool,
    /// The credential versions host accounts reported, by user.
    credentials: Mutex<HashMap<Box<str>, u64>>,
    /// Signing keys.
    signing_keys: Mutex<Vec<StoredKey>>,
    /// Proofs used (DPoP), until when.
    replays: Mutex<HashMap<[u8; 32], u64>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore {
            shards: (0..SHARDS)
                .map(|_| CachePadded::new(RwLock::new(Shard::default())))
                .collect(),
            failures: Mutex::new(FailureTable::new(TRACKED_ACCOUNTS, OVERFLOW_BUCKETS)),
            versions: (0..VERSION_SHARDS)
                .map(|_| CachePadded::new(RwLock::new(HashMap::new())))
                .collect(),
            versions_hasher: RandomState::new(),
            any_versions: AtomicBool::new(false),
            credentials: Mutex::new(HashMap::new()),
            signing_keys: Mutex::new(Vec::new()),
            replays: Mutex::new(HashMap::new()),
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

    /// An empty store that counts failed logins one by one for at most
    /// `accounts` names (default 65,536) and in shared counters
    /// beyond: see the book's `throttle` (docs/src/configuration.md). Fewer saves memory; a name that
    /// overflows may be locked sooner, never later.
    pub fn with_tracked_accounts(accounts: usize) -> Self {
        Self::with_failure_table(accounts.max(1), OVERFLOW_BUCKETS)
    }

    fn with_failure_table(accounts: usize, buckets: usize) -> Self {
        MemoryStore {
            failures: Mutex::new(FailureTable::new(accounts, buckets)),
            ..Self::default()
        }
    }

    fn shard(&self, hash: &TokenHash) -> &RwLock<Shard> {
        let slot = usize::from(u16::from_le_bytes([hash.0[30], hash.0[31]])) % SHARD_OF.len();
        &self.shards[usize::from(SHARD_OF[slot])]
    }

    fn version(&self, username: &str) -> u64 {
        // Most servers seldom end a user's tokens: until one does, a check
        // costs one relaxed load here, not a lock.
        if !self.any_versions.load(Ordering::Acquire) {
            return 0;
        }
        self.versions_of(username)
            .read()
            .get(username)
            .copied()
            .unwrap_or(0)
    }

    fn versions_of(&self, username: &str) -> &RwLock<Versions> {
        let h = self.versions_hasher.hash_one(username);
        // The remainder is below VERSION_SHARDS: the cast keeps it.
        &self.versions[(h % VERSION_SHARDS as u64) as usize]
    }

    fn current(&self, entry: &Entry) -> bool {
        entry.user_version() == self.version(&entry.username)
    }

    /// The entry of `hash` in `map` if its token is live: not expired, its
    /// grant not revoked, its owner's credential version current.
    fn live<'a>(&self, map: &'a TokenMap, hash: &TokenHash, now: u64) -> Option<&'a Entry> {
        map.get(hash).filter(|e| e.live(now) && self.current(e))
    }

    /// Whether `hash` is a live refresh token never rotated nor retired.
    fn is_active(&self, hash: &TokenHash, now: u64) -> bool {
        let shard = self.shard(hash).read();
        shard
            .refresh
            .get(hash)
            .is_some_and(|e| e.live(now) && self.current(e) && !e.rotated() && !e.retired())
    }

    /// Retires a live, active refresh token (a retry of its predecessor
    /// supersedes it); whether it was one.
    fn retire(&self, hash: &TokenHash, now: u64) -> bool {
        let mut shard = self.shard(hash).write();
        match shard.refresh.get_mut(hash) {
            Some(e) if e.live(now) && !e.rotated() && !e.retired() => {
                e.state |= RETIRED;
                true
            }
            _ => false,
        }
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
        shard.map(kind).insert(hash, Entry::new(record, grant));
    }
}

/// Failed-login counters in bounded memory. Up to `capacity` names each get
/// a counter of their own; past that (random names by the hundred thousand),
/// a name without one counts in one of [`OVERFLOW_BUCKETS`] shared counters
/// chosen by a hash keyed at random per process, so an attacker can neither
/// aim names at a victim's counter nor predict which names share one.
///
/// The rule that keeps a lockout from being undone: a name's count can only
/// be over-stated, never lost. A shared counter counts every failure of every
/// name in it and a success there forgets nothing (it only ends its pending
/// attempt); a name that later gets a counter of its own starts from its
/// shared counter's state, not from zero. Filling the table therefore makes
/// lockouts come sooner for the names that overflow (a denial of service
/// that costs the attacker one password check a failure), never later.
struct FailureTable {
    exact: HashMap<Box<str>, Failures>,
    capacity: usize,
    /// Allocated when the table first fills.
    overflow: Vec<Failures>,
    buckets: usize,
    hasher: RandomState,
    /// When a full table may next look for stale counters to drop.
    next_purge: u64,
    /// The size at which a table not yet full next looks for them: twice
    /// its size after the last look, so that each attempt's share of the
    /// scans stays bounded (amortized) however many counters are recent.
    purge_at: usize,
    /// Counters visited by purges, for the tests of that bound.
    scanned: u64,
}

impl FailureTable {
    fn new(capacity: usize, buckets: usize) -> Self {
        FailureTable {
            exact: HashMap::new(),
            capacity,
            overflow: Vec::new(),
            buckets: buckets.max(1),
            hasher: RandomState::new(),
            next_purge: 0,
            purge_at: FAILURES_PURGE_AT,
            scanned: 0,
        }
    }

    fn bucket(&self, account: &str) -> usize {
        // The modulo keeps the value below `buckets`, a usize: the cast is exact.
        (self.hasher.hash_one(account) % self.buckets as u64) as usize
    }

    fn shared(&self, account: &str) -> Option<Failures> {
        self.overflow.get(self.bucket(account)).copied()
    }

    fn get(&self, account: &str) -> Option<Failures> {
        match self.exact.get(account) {
            Some(f) => Some(*f),
            None => self.shared(account).filter(|f| *f != Failures::default()),
        }
    }

    fn purge(&mut self, forget_before: u64) -> usize {
        let before = self.exact.len();
        self.scanned += (before + self.overflow.len()) as u64;
        self.exact.retain(|_, f| f.recent(forget_before));
        let mut dropped = before - self.exact.len();
        for f in &mut self.overflow {
            if *f != Failures::default() && !f.recent(forget_before) {
                *f = Failures::default();
                dropped += 1;
            }
        }
        dropped
    }

    /// Applies `update` to `account`'s counter: its own, or, once the
    /// table is full, the one it shares (which is never lowered while
    /// recent, so that no name's failures are lost).
    fn update(
        &mut self,
        account: &str,
        now: u64,
        forget_before: u64,
        update: &mut dyn FnMut(Option<Failures>) -> Option<Failures>,
    ) -> Option<Failures> {
        let len = self.exact.len();
        let full = len >= self.capacity;
        if (!full && len >= self.purge_at) || (full && now >= self.next_purge) {
            // Counters exist for any name tried, existing or not: forget the
            // stale ones as the map doubles (and, once full, once a minute).
            // A scan that drops nothing (a spray of fresh names) is not
            // repeated at every attempt: the next waits for twice the size.
            self.purge(forget_before);
            self.next_purge = now.saturating_add(PURGE_INTERVAL_SECS);
            self.purge_at = FAILURES_PURGE_AT.max(self.exact.len().saturating_mul(2));
        }
        if let Some(f) = self.exact.get(account).copied() {
            let after = update(Some(f));
            match after {
                Some(after) => self.exact.insert(account.into(), after),
                None => self.exact.remove(account),
            };
            return after;
        }
        // A name new to the table starts from its shared counter: whatever
        // it failed while it overflowed still counts.
        let seed = self.shared(account).filter(|f| *f != Failures::default());
        let after = update(seed);
        if self.exact.len() < self.capacity {
            if let Some(after) = after.filter(|f| *f != Failures::default()) {
                self.exact.insert(account.into(), after);
            }
            return after;
        }
        if self.overflow.is_empty() {
            log::warn!(
                target: "ropc::throttle",
                "failed-login counters for {} names: further names share {} counters \
                 (is someone trying random usernames?)",
                self.capacity,
                self.buckets
            );
            self.overflow = vec![Failures::default(); self.buckets];
        }
        let i = self.bucket(account);
        let before = self.overflow[i];
        let mut merged = after.unwrap_or_default();
        if before.recent(forget_before) {
            // Other names may share this counter: forget none of their
            // failures (a success here only ends its pending attempt).
            merged.count = merged.count.max(before.count);
            merged.last = merged.last.max(before.last);
        }
        self.overflow[i] = merged;
        Some(merged).filter(|f| *f != Failures::default())
    }

    fn len(&self) -> usize {
        self.exact.len()
            + self
                .overflow
                .iter()
                .filter(|f| **f != Failures::default())
                .count()
    }
}

impl TokenStore for MemoryStore {
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
        let shard = self.shard(hash).read();
        Ok(self.live(&shard.access, hash, now).map(Entry::record))
    }

    fn access_with(
        &self,
        hash: &TokenHash,
        now: u64,
        read: &mut dyn FnMut(TokenView<'_>),
    ) -> Result<bool, StoreError> {
        // Lent under the read lock: no `Arc` is cloned, so checks on
        // several threads write nothing they share but the lock's word.
        let shard = self.shard(hash).read();
        let entry = self.live(&shard.access, hash, now);
        Ok(entry.map(|e| read(e.view())).is_some())
    }

    fn refresh(&self, hash: &TokenHash, now: u64) -> Result<Option<RefreshState>, StoreError> {
        let shard = self.shard(hash).read();
        Ok(self.live(&shard.refresh, hash, now).map(|e| {
            if e.retired() {
                RefreshState::Retired(e.record())
            } else if e.rotated() {
                RefreshState::Rotated(e.record())
            } else {
                RefreshState::Active(e.record())
            }
        }))
    }

    fn rotate(&self, old: &TokenHash, req: &RotationRequest<'_>) -> Result<Rotation, StoreError> {
        let (now, next, rule) = (req.now, req.next, req.rule);
        // The grant's cell first (a refresh token always has one; one made
        // here would be for a record put in by other means), then its
        // lineage lock, then the token again: every rotation of a grant is
        // decided under that lock, by the rule handed in.
        let cell = {
            let mut shard = self.shard(old).write();
            let Some(entry) = shard.refresh.get_mut(old).filter(|e| e.live(now)) else {
                return Ok(Rotation::Invalid);
            };
            Arc::clone(entry.grant.get_or_insert_with(Default::default))
        };
        let mut lineage = cell.lineage.lock();
        let (record, step) = {
            let shard = self.shard(old).read();
            let Some(entry) = shard.refresh.get(old).filter(|e| e.live(now)) else {
                return Ok(Rotation::Invalid);
            };
            if !self.current(entry) {
                return Ok(Rotation::Invalid);
            }
            let record = entry.record();
            // The lineage remembers the last rotation only: an older
            // rotated token has no retry left (reuse).
            let last = lineage.as_deref().filter(|l| l.rotated == *old);
            let row = RefreshRow {
                record: &record,
                rotated: entry.rotated(),
                retired: entry.retired(),
                rotated_at: last.map_or(0, |l| l.rotated_at),
                retries: last.map_or(u32::MAX, |l| l.retries),
            };
            let current = last.map(|l| l.current);
            drop(shard);
            let step = rule.decide(&row, now, next, &mut || {
                Ok(current.is_some_and(|c| self.is_active(&c, now)))
            })?;
            (record, step)
        };
        match step {
            RotationStep::WrongClient => return Ok(Rotation::WrongClient),
            RotationStep::Invalid => return Ok(Rotation::Invalid),
            RotationStep::Revoke => {
                cell.revoked.store(true, Ordering::Release);
                return Ok(Rotation::Reused(record));
            }
            RotationStep::Rotate | RotationStep::Retry => {}
        }
        let Some((refresh, access)) = next.records(&record) else {
            return Ok(Rotation::Invalid); // decided above: not reached
        };
        let outcome = if step == RotationStep::Retry {
            // The abandoned successor and its access token end here.
            if let Some(l) = lineage.as_deref_mut() {
                self.retire(&l.current, now);
                self.shard(&l.current_access)
                    .write()
                    .access
                    .remove(&l.current_access);
                l.current = next.refresh;
                l.current_access = next.access;
                l.retries += 1;
            }
            Rotation::Retried(record)
        } else {
            // Still there (a removal takes no lineage lock): marked in the
            // same write as the check.
            let marked = self
                .shard(old)
                .write()
                .refresh
                .get_mut(old)
                .filter(|e| e.live(now))
                .map(|e| e.state |= ROTATED)
                .is_some();
            if !marked {
                return Ok(Rotation::Invalid);
            }
            *lineage = Some(Box::new(Lineage {
                rotated: *old,
                rotated_at: now,
                current: next.refresh,
                current_access: next.access,
                retries: 0,
            }));
            Rotation::Rotated(record)
        };
        // The successors join the grant, so a later reuse revokes them too.
        self.put(
            TokenKind::Refresh,
            next.refresh,
            refresh,
            Some(Arc::clone(&cell)),
        );
        self.put(
            TokenKind::Access,
            next.access,
            access,
            Some(Arc::clone(&cell)),
        );
        drop(lineage);
        Ok(outcome)
    }

    fn remove(&self, kind: TokenKind, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self
            .shard(hash)
            .write()
            .map(kind)
            .remove(hash)
            .map(|e| e.record()))
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
}

impl CounterStore for MemoryStore {
    fn update_counter(
        &self,
        account: &str,
        now: u64,
        forget_before: u64,
        update: &mut dyn FnMut(Option<Failures>) -> Option<Failures>,
    ) -> Result<Option<Failures>, StoreError> {
        Ok(self
            .failures
            .lock()
            .update(account, now, forget_before, update))
    }

    fn counter(&self, account: &str) -> Result<Option<Failures>, StoreError> {
        Ok(self.failures.lock().get(account))
    }
}

impl CredentialStore for MemoryStore {
    fn user_version(&self, username: &str) -> Result<u64, StoreError> {
        Ok(self.version(username))
    }

    fn revoke_user(&self, username: &str) -> Result<u64, StoreError> {
        let mut versions = self.versions_of(username).write();
        let v = versions.entry(username.into()).or_insert(0);
        *v = v.saturating_add(1).min(MAX_VERSION);
        // Set under the write lock: a reader that sees the flag sees the map.
        self.any_versions.store(true, Ordering::Release);
        Ok(*v)
    }

    fn sync_credential(&self, username: &str, credential: u64) -> Result<u64, StoreError> {
        // One lock for the whole decision: two threads reporting a new
        // credential at once move the version on once.
        let mut credentials = self.credentials.lock();
        match credentials.insert(username.into(), credential) {
            Some(seen) if seen != credential => self.revoke_user(username),
            _ => Ok(self.version(username)),
        }
    }
}

impl Store for MemoryStore {
    fn purge(&self, now: u64, forget_before: u64) -> Result<usize, StoreError> {
        let dropped: usize = self.shards.iter().map(|s| s.write().purge(now)).sum();
        self.replays.lock().retain(|_, until| *until > now);
        Ok(dropped + self.failures.lock().purge(forget_before))
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

    fn keys(&self) -> Option<&dyn KeyStore> {
        Some(self)
    }

    fn replays(&self) -> Option<&dyn ReplayStore> {
        Some(self)
    }
}

/// Proofs remembered before the expired ones are dropped in one sweep (a
/// proof lives two minutes: far more than any server sees in that time).
const REPLAY_SWEEP_AT: usize = 1 << 16;

impl ReplayStore for MemoryStore {
    fn first_use(&self, id: &[u8; 32], expires_at: u64, now: u64) -> Result<bool, StoreError> {
        let mut seen = self.replays.lock();
        if seen.len() >= REPLAY_SWEEP_AT {
            seen.retain(|_, until| *until > now);
        }
        match seen.get_mut(id) {
            Some(until) if *until > now => Ok(false),
            Some(until) => {
                *until = expires_at;
                Ok(true)
            }
            None => {
                seen.insert(*id, expires_at);
                Ok(true)
            }
        }
    }
}

impl KeyStore for MemoryStore {
    fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        Ok(self.signing_keys.lock().clone())
    }

    fn add_signing_key(&self, key: StoredKey, newest: Option<&str>) -> Result<bool, StoreError> {
        let mut keys = self.signing_keys.lock();
        if super::keys::newest(&keys).map(|k| k.kid.as_str()) != newest {
            return Ok(false);
        }
        keys.push(key);
        Ok(true)
    }

    fn remove_signing_key(&self, kid: &str) -> Result<(), StoreError> {
        self.signing_keys.lock().retain(|k| k.kid != kid);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_proofs_are_forgotten_when_they_run_out() {
        let s = MemoryStore::new();
        assert!(s.first_use(&[1; 32], 100, 0).unwrap());
        assert!(s.first_use(&[2; 32], 300, 0).unwrap());
        s.purge(200, 0).unwrap();
        assert_eq!(s.replays.lock().len(), 1, "the one that ran out is gone");
        assert!(!s.first_use(&[2; 32], 400, 200).unwrap());
    }
    use crate::config::ThrottleConfig;
    use crate::throttle::{self, Verdict};

    /// A login attempt's verdict, as the server gets it.
    struct Attempt {
        verdict: Verdict,
    }

    /// The throttle's calls on this store, as the server makes them.
    impl MemoryStore {
        fn login_attempt(
            &self,
            account: &str,
            _user: &str,
            now: u64,
            p: &ThrottleConfig,
        ) -> Result<Attempt, StoreError> {
            let verdict = throttle::attempt(self, account, now, p)?;
            Ok(Attempt { verdict })
        }

        fn login_finished(
            &self,
            account: &str,
            now: u64,
            ok: bool,
        ) -> Result<Option<Failures>, StoreError> {
            throttle::finished(self, account, now, ok, &ThrottleConfig::default())
        }

        fn failures(&self, account: &str) -> Result<Option<Failures>, StoreError> {
            self.counter(account)
        }
    }

    #[test]
    fn an_entry_fits_a_128_byte_bucket_and_keeps_its_record() {
        assert_eq!(
            std::mem::size_of::<Entry>() + std::mem::size_of::<TokenHash>(),
            128
        );
        let record = TokenRecord {
            grant: GrantId([7; 16]),
            client_id: "c".into(),
            username: "u".into(),
            scope: "read".into(),
            issued_at: 1_700_000_000,
            expires_at: 1_700_000_000 + 10 * 365 * 24 * 3600,
            user_version: MAX_VERSION,
            auth_time: 1_600_000_000,
            jkt: None,
        };
        let mut entry = Entry::new(record.clone(), None);
        entry.state |= ROTATED;
        assert_eq!(entry.record(), record);
        assert!(entry.rotated() && !entry.retired());
        entry.state |= RETIRED;
        assert_eq!(entry.record(), record);
        assert!(entry.retired());
        assert_eq!(entry.user_version(), MAX_VERSION);
    }

    #[test]
    fn the_shards_shares_grow_geometrically_over_one_doubling() {
        // SHARD_STARTS written out is the rounded geometric series.
        let r = 2f64.powf(1.0 / 32.0);
        let total: f64 = (0..SHARDS).map(|j| r.powi(j as i32)).sum();
        for (i, start) in SHARD_STARTS.iter().enumerate() {
            let exact: f64 = (0..i).map(|j| r.powi(j as i32)).sum::<f64>() * 1024.0 / total;
            assert_eq!(f64::from(*start), exact.round(), "start of shard {i}");
        }
        // Every slot has a shard, in order, each share its start to the next.
        for (i, pair) in SHARD_STARTS.windows(2).enumerate() {
            let slots = SHARD_OF.iter().filter(|&&s| usize::from(s) == i).count();
            assert_eq!(slots, usize::from(pair[1] - pair[0]), "shard {i}");
        }
        let (first, last) = (
            SHARD_STARTS[1],
            SHARD_STARTS[SHARDS] - SHARD_STARTS[SHARDS - 1],
        );
        assert!(first == 22 && last == 44, "{first} {last}");
    }

    /// At 120,000 tokens, 32 equal shards hold about 3,750 each, past 7/8
    /// of 4,096 buckets by over five standard deviations: every map has
    /// just doubled, with room for 1.91 times the tokens it holds (about
    /// 280 bytes a token). Shares spread over a doubling keep it near 1.46.
    #[test]
    fn the_maps_never_all_double_at_once() {
        let store = MemoryStore::new();
        let n = 120_000;
        for i in 0..n {
            let mut raw = [0u8; 32];
            raw[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let hash = TokenHash::of(&crate::token::encode(&raw));
            store.put(TokenKind::Access, hash, record_for_tests(), None);
        }
        let shards: Vec<_> = store.shards.iter().map(|s| s.read()).collect();
        let held: usize = shards.iter().map(|s| s.access.len()).sum();
        let room: usize = shards.iter().map(|s| s.access.capacity()).sum();
        assert_eq!(held, n);
        let ratio = room as f64 / n as f64;
        // Equal shares: 1.91. These: 1.46.
        assert!(
            ratio < 1.6,
            "room for {room} tokens to hold {n}: {ratio:.3}"
        );
        // And the shards did not all grow to one size.
        let sizes: std::collections::BTreeSet<_> =
            shards.iter().map(|s| s.access.capacity()).collect();
        assert!(sizes.len() > 1, "{sizes:?}");
    }

    fn record_for_tests() -> TokenRecord {
        TokenRecord {
            grant: GrantId([1; 16]),
            client_id: "c".into(),
            username: "u".into(),
            scope: "read".into(),
            issued_at: 1_700_000_000,
            expires_at: 1_700_003_600,
            user_version: 0,
            auth_time: 1_700_000_000,
            jkt: None,
        }
    }

    /// What a check reads is lent where it lies: no `Arc` of the record is
    /// counted up (a clone would be a write to a count every thread
    /// checking the same client's or user's tokens shares). `access`, which
    /// hands the record out, does count up: the test sees the difference.
    #[test]
    fn access_with_lends_without_counting_the_records_arcs() {
        let store = MemoryStore::new();
        let record = record_for_tests();
        let (client, user, scope) = (
            Arc::clone(&record.client_id),
            Arc::clone(&record.username),
            Arc::clone(&record.scope),
        );
        let hash = TokenHash([7; 32]);
        store.insert_grant((hash, record), None).unwrap();
        let counts = || {
            [
                Arc::strong_count(&client),
                Arc::strong_count(&user),
                Arc::strong_count(&scope),
            ]
        };
        let stored = counts();
        let mut seen = None;
        let live = store
            .access_with(&hash, 1_700_000_001, &mut |t| {
                seen = Some((t.client_id.to_owned(), t.username.to_owned(), counts()));
            })
            .unwrap();
        assert!(live);
        assert_eq!(seen, Some(("c".to_owned(), "u".to_owned(), stored)));
        let handed_out = store.access(&hash, 1_700_000_001).unwrap();
        assert_eq!(counts(), stored.map(|n| n + 1));
        drop(handed_out);
        // Expired: nothing lent.
        let live = store
            .access_with(&hash, 1_700_003_600, &mut |_| {
                panic!("lent an expired token")
            })
            .unwrap();
        assert!(!live);
    }

    /// Asserts that no two of `items` share a 128-byte line (two 64-byte
    /// lines, as x86's adjacent-line prefetcher fetches them in pairs):
    /// each starts on one, and the next starts at least 128 bytes on.
    #[cfg(target_arch = "x86_64")]
    fn assert_apart<T>(items: &[CachePadded<T>]) {
        assert!(std::mem::align_of::<CachePadded<T>>() >= 128);
        for pair in items.windows(2) {
            let (x, y) = (
                std::ptr::from_ref::<T>(&pair[0]) as usize,
                std::ptr::from_ref::<T>(&pair[1]) as usize,
            );
            assert!(y - x >= 128 && x % 128 == 0 && y % 128 == 0);
        }
    }

    /// Shard locks and credential-version maps each on lines of their own.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_locks_threads_write_are_on_lines_of_their_own() {
        let store = MemoryStore::new();
        assert_apart(&store.shards);
        assert_apart(&store.versions);
    }

    /// Users' versions spread over the maps and are found where they were put.
    #[test]
    fn credential_versions_are_kept_in_several_maps() {
        let store = MemoryStore::new();
        for i in 0..200 {
            assert_eq!(store.revoke_user(&format!("user{i}")).unwrap(), 1);
        }
        for i in 0..200 {
            assert_eq!(store.version(&format!("user{i}")), 1);
        }
        assert_eq!(store.version("someone else"), 0);
        let used = store
            .versions
            .iter()
            .filter(|m| !m.read().is_empty())
            .count();
        assert!(used > VERSION_SHARDS / 2, "{used} maps used");
    }

    #[test]
    fn stale_failure_counters_do_not_pile_up() {
        let store = MemoryStore::new();
        let p = ThrottleConfig {
            max_failures: 100,
            lockout_seconds: 10,
            forget_after_seconds: 50_000,
        };
        for i in 0..FAILURES_PURGE_AT {
            store
                .login_attempt(&format!("name{i}"), &format!("name{i}"), 10, &p)
                .unwrap();
        }
        // Much later, new names keep arriving: the stale ones are dropped.
        store.login_attempt("late", "late", 100_000, &p).unwrap();
        assert!(
            store.stats().unwrap().throttled_accounts < 10,
            "{:?}",
            store.stats()
        );
    }

    /// A spray of fresh names (every counter recent, so a purge drops
    /// nothing) fills the table: purges scan at most about twice as many
    /// counters as there were attempts, and once the table is full at most
    /// once a minute, where every attempt used to scan the whole table.
    #[test]
    fn purges_cost_each_attempt_a_bounded_share_during_a_spray() {
        let store = MemoryStore::new();
        let p = ThrottleConfig {
            max_failures: 100,
            lockout_seconds: 10,
            forget_after_seconds: 50_000,
        };
        let scanned = || store.failures.lock().scanned;
        let attempts = TRACKED_ACCOUNTS + 10_000;
        for i in 0..attempts {
            store
                .login_attempt(&format!("n{i}"), &format!("n{i}"), 10, &p)
                .unwrap();
        }
        let first_minute = scanned();
        assert!(
            first_minute <= 2 * attempts as u64 + OVERFLOW_BUCKETS as u64,
            "{first_minute} counters scanned for {attempts} attempts"
        );
        for i in 0..1000 {
            store.login_attempt(&format!("m{i}"), "m", 20, &p).unwrap();
        }
        assert_eq!(scanned(), first_minute, "a full table waits a minute");
        store.login_attempt("later", "later", 80, &p).unwrap();
        assert!(scanned() > first_minute, "and then looks again");
    }

    fn policy(max_failures: u32) -> ThrottleConfig {
        ThrottleConfig {
            max_failures,
            lockout_seconds: 900,
            forget_after_seconds: 86_400,
        }
    }

    fn fail(store: &MemoryStore, name: &str, now: u64, p: &ThrottleConfig) -> Verdict {
        let verdict = store.login_attempt(name, name, now, p).unwrap().verdict;
        if verdict == Verdict::Proceed {
            store.login_finished(name, now, false).unwrap();
        }
        verdict
    }

    #[test]
    fn random_names_by_the_hundred_thousand_take_bounded_memory() {
        let store = MemoryStore::with_tracked_accounts(5_000);
        let p = policy(3);
        for i in 0..100_000 {
            fail(&store, &format!("random-{i}"), 10, &p);
        }
        let failures = store.failures.lock();
        assert_eq!(
            failures.exact.len(),
            5_000,
            "one counter for each tracked name"
        );
        assert_eq!(
            failures.overflow.len(),
            OVERFLOW_BUCKETS,
            "and a fixed table beyond"
        );
    }

    #[test]
    fn a_locked_account_stays_locked_however_many_names_follow() {
        let store = MemoryStore::with_failure_table(100, 4);
        let p = policy(3);
        for _ in 0..3 {
            assert_eq!(fail(&store, "victim", 10, &p), Verdict::Proceed);
        }
        assert_eq!(fail(&store, "victim", 11, &p), Verdict::Locked);
        for i in 0..10_000 {
            fail(&store, &format!("flood-{i}"), 12, &p);
        }
        assert_eq!(
            fail(&store, "victim", 13, &p),
            Verdict::Locked,
            "the flood evicted nothing"
        );
        assert_eq!(store.failures("victim").unwrap().map(|f| f.count), Some(3));
    }

    #[test]
    fn a_name_that_overflows_is_locked_and_a_neighbour_s_success_does_not_unlock_it() {
        // One shared counter: every overflowing name shares it.
        let store = MemoryStore::with_failure_table(2, 1);
        let p = policy(3);
        fail(&store, "a", 10, &p);
        fail(&store, "b", 10, &p);
        for _ in 0..3 {
            assert_eq!(fail(&store, "victim", 20, &p), Verdict::Proceed);
        }
        assert_eq!(fail(&store, "victim", 21, &p), Verdict::Locked);
        // The attacker signs in to its own overflowing account: that success
        // must not forget the victim's failures.
        let own = store.login_attempt("attacker", "attacker", 22, &p).unwrap();
        assert_eq!(
            own.verdict,
            Verdict::Locked,
            "sharing a counter locks sooner"
        );
        assert_eq!(fail(&store, "victim", 23, &p), Verdict::Locked);
        // A success admitted into the shared counter only ends its attempt.
        {
            let mut t = store.failures.lock();
            t.overflow[0].pending = 1;
        }
        store.login_finished("attacker", 24, true).unwrap();
        let shared = store.failures("victim").unwrap().unwrap();
        assert_eq!((shared.count, shared.pending), (3, 0), "the count stays");
        assert_eq!(fail(&store, "victim", 25, &p), Verdict::Locked);
    }

    #[test]
    fn a_name_that_gets_a_counter_of_its_own_keeps_what_it_failed_while_overflowing() {
        let store = MemoryStore::with_failure_table(2, 1);
        let p = policy(3);
        fail(&store, "a", 10, &p);
        fail(&store, "b", 10, &p);
        fail(&store, "victim", 20, &p);
        fail(&store, "victim", 20, &p);
        assert!(!store.failures.lock().exact.contains_key("victim"));
        // "a" signs in: its counter goes and the victim's next attempt gets one.
        assert_eq!(
            store.login_attempt("a", "a", 30, &p).unwrap().verdict,
            Verdict::Proceed
        );
        store.login_finished("a", 30, true).unwrap();
        assert_eq!(
            fail(&store, "victim", 31, &p),
            Verdict::Proceed,
            "the third failure"
        );
        assert_eq!(
            store.failures.lock().exact.get("victim").map(|f| f.count),
            Some(3),
            "started from the two it failed while overflowing"
        );
        assert_eq!(fail(&store, "victim", 32, &p), Verdict::Locked);
    }

    #[test]
    fn a_full_table_drops_stale_counters_and_tracks_new_names_again() {
        let store = MemoryStore::with_failure_table(10, 4);
        let p = ThrottleConfig {
            forget_after_seconds: 100,
            ..policy(3)
        };
        for i in 0..10 {
            fail(&store, &format!("old-{i}"), 10, &p);
        }
        fail(&store, "new", 50, &p);
        assert!(!store.failures.lock().exact.contains_key("new"), "full");
        fail(&store, "newer", 1_000, &p);
        let t = store.failures.lock();
        assert!(
            t.exact.contains_key("newer"),
            "the stale counters made room"
        );
        assert_eq!(t.exact.len(), 1);
    }
}
