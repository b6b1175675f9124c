//! A store written from ropc_core's public API alone, to show that the
//! store contract is small: every kind of stored thing in `BTreeMap`s behind
//! one mutex (so every method is atomic). It passes every conformance suite
//! (tests/stores.rs), and serves the tests that need a store whose every
//! call a hook sees first (to count calls or fail them).

use ropc_core::store::{
    CounterStore, CredentialStore, Failures, RefreshRow, RefreshState, Rotation, RotationRequest,
    RotationStep, Store, StoreError, StoreStats, TokenKind, TokenRecord, TokenStore, TokenView,
};
use ropc_core::TokenHash;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// What runs before each call, by the name of the method; an error is the
/// call's.
pub trait Before: Send + Sync {
    fn before(&self, call: &'static str) -> Result<(), StoreError>;
}

impl Before for () {
    fn before(&self, _: &'static str) -> Result<(), StoreError> {
        Ok(())
    }
}

struct Token {
    record: TokenRecord,
    rotated: bool,
    retired: bool,
    rotated_at: u64,
    retries: u32,
    /// The refresh and access tokens it was last exchanged for.
    successor: Option<(TokenHash, TokenHash)>,
}

#[derive(Default)]
struct State {
    tokens: BTreeMap<(bool, [u8; 32]), Token>,
    revoked: BTreeSet<[u8; 16]>,
    counters: BTreeMap<String, Failures>,
    versions: BTreeMap<String, u64>,
    credentials: BTreeMap<String, u64>,
}

fn key(kind: TokenKind, hash: &TokenHash) -> (bool, [u8; 32]) {
    (kind == TokenKind::Refresh, hash.0)
}

impl State {
    fn version(&self, user: &str) -> u64 {
        self.versions.get(user).copied().unwrap_or(0)
    }

    fn live(&self, kind: TokenKind, hash: &TokenHash, now: u64) -> Option<&Token> {
        self.tokens.get(&key(kind, hash)).filter(|t| {
            now < t.record.expires_at
                && !self.revoked.contains(&t.record.grant.0)
                && t.record.user_version == self.version(&t.record.username)
        })
    }

    fn insert(&mut self, kind: TokenKind, hash: &TokenHash, record: TokenRecord) {
        let token = Token {
            record,
            rotated: false,
            retired: false,
            rotated_at: 0,
            retries: 0,
            successor: None,
        };
        self.tokens.insert(key(kind, hash), token);
    }
}

/// The store, with the hook `H` (`()`: none).
#[derive(Default)]
pub struct BTreeStore<H = ()> {
    state: Mutex<State>,
    pub hook: H,
}

impl<H: Before> BTreeStore<H> {
    fn with<T>(
        &self,
        call: &'static str,
        f: impl FnOnce(&mut State) -> T,
    ) -> Result<T, StoreError> {
        self.hook.before(call)?;
        let mut state = self.state.lock().map_err(|_| StoreError::new("poisoned"))?;
        Ok(f(&mut state))
    }
}

impl<H: Before> TokenStore for BTreeStore<H> {
    fn insert_grant(
        &self,
        access: (TokenHash, TokenRecord),
        refresh: Option<(TokenHash, TokenRecord)>,
    ) -> Result<(), StoreError> {
        self.with("insert_grant", |s| {
            s.insert(TokenKind::Access, &access.0, access.1);
            if let Some((hash, record)) = refresh {
                s.insert(TokenKind::Refresh, &hash, record);
            }
        })
    }

    fn access(&self, hash: &TokenHash, now: u64) -> Result<Option<TokenRecord>, StoreError> {
        self.with("access", |s| {
            s.live(TokenKind::Access, hash, now)
                .map(|t| t.record.clone())
        })
    }

    fn access_with(
        &self,
        hash: &TokenHash,
        now: u64,
        read: &mut dyn FnMut(TokenView<'_>),
    ) -> Result<bool, StoreError> {
        self.with("access_with", |s| {
            s.live(TokenKind::Access, hash, now)
                .map(|t| read(t.record.view()))
                .is_some()
        })
    }

    fn refresh(&self, hash: &TokenHash, now: u64) -> Result<Option<RefreshState>, StoreError> {
        self.with("refresh", |s| {
            s.live(TokenKind::Refresh, hash, now).map(|t| {
                let r = t.record.clone();
                match (t.retired, t.rotated) {
                    (true, _) => RefreshState::Retired(r),
                    (false, true) => RefreshState::Rotated(r),
                    (false, false) => RefreshState::Active(r),
                }
            })
        })
    }

    fn rotate(&self, old: &TokenHash, req: &RotationRequest<'_>) -> Result<Rotation, StoreError> {
        let (now, next, rule) = (req.now, req.next, req.rule);
        self.hook.before("rotate")?;
        let mut s = self.state.lock().map_err(|_| StoreError::new("poisoned"))?;
        let Some(t) = s.live(TokenKind::Refresh, old, now) else {
            return Ok(Rotation::Invalid);
        };
        let record = t.record.clone();
        let successor = t.successor;
        let row = RefreshRow {
            record: &record,
            rotated: t.rotated,
            retired: t.retired,
            rotated_at: t.rotated_at,
            retries: t.retries,
        };
        let step = rule.decide(&row, now, next, &mut || {
            Ok(successor.is_some_and(|(r, _)| {
                s.live(TokenKind::Refresh, &r, now)
                    .is_some_and(|t| !t.rotated && !t.retired)
            }))
        })?;
        let retry = match step {
            RotationStep::Rotate => false,
            RotationStep::Retry => true,
            RotationStep::Revoke => {
                s.revoked.insert(record.grant.0);
                return Ok(Rotation::Reused(record));
            }
            RotationStep::WrongClient => return Ok(Rotation::WrongClient),
            RotationStep::Invalid => return Ok(Rotation::Invalid),
        };
        let Some((refresh, access)) = next.records(&record) else {
            return Ok(Rotation::Invalid);
        };
        if retry {
            if let Some((r, a)) = successor {
                if let Some(t) = s.tokens.get_mut(&key(TokenKind::Refresh, &r)) {
                    t.retired = true;
                }
                s.tokens.remove(&key(TokenKind::Access, &a));
            }
        }
        let t = s
            .tokens
            .get_mut(&key(TokenKind::Refresh, old))
            .ok_or_else(|| StoreError::new("the token went"))?;
        t.successor = Some((next.refresh, next.access));
        if retry {
            t.retries += 1;
        } else {
            t.rotated = true;
            t.rotated_at = now;
        }
        s.insert(TokenKind::Refresh, &next.refresh, refresh);
        s.insert(TokenKind::Access, &next.access, access);
        Ok(if retry {
            Rotation::Retried(record)
        } else {
            Rotation::Rotated(record)
        })
    }

    fn remove(&self, kind: TokenKind, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        self.with("remove", |s| {
            s.tokens.remove(&key(kind, hash)).map(|t| t.record)
        })
    }

    fn revoke_grant(&self, kind: TokenKind, hash: &TokenHash) -> Result<(), StoreError> {
        self.with("revoke_grant", |s| {
            if let Some(grant) = s.tokens.get(&key(kind, hash)).map(|t| t.record.grant) {
                s.revoked.insert(grant.0);
            }
        })
    }
}

impl<H: Before> CounterStore for BTreeStore<H> {
    fn update_counter(
        &self,
        account: &str,
        _now: u64,
        _forget_before: u64,
        update: &mut dyn FnMut(Option<Failures>) -> Option<Failures>,
    ) -> Result<Option<Failures>, StoreError> {
        self.with("update_counter", |s| {
            let after = update(s.counters.get(account).copied());
            match after {
                Some(f) => s.counters.insert(account.into(), f),
                None => s.counters.remove(account),
            };
            after
        })
    }

    fn counter(&self, account: &str) -> Result<Option<Failures>, StoreError> {
        self.with("counter", |s| s.counters.get(account).copied())
    }
}

impl<H: Before> CredentialStore for BTreeStore<H> {
    fn user_version(&self, username: &str) -> Result<u64, StoreError> {
        self.with("user_version", |s| s.version(username))
    }

    fn revoke_user(&self, username: &str) -> Result<u64, StoreError> {
        self.with("revoke_user", |s| {
            let v = s.versions.entry(username.into()).or_insert(0);
            *v += 1;
            *v
        })
    }

    fn sync_credential(&self, username: &str, credential: u64) -> Result<u64, StoreError> {
        self.with("sync_credential", |s| {
            match s.credentials.insert(username.into(), credential) {
                Some(seen) if seen != credential => {
                    let v = s.versions.entry(username.into()).or_insert(0);
                    *v += 1;
                    *v
                }
                _ => s.version(username),
            }
        })
    }
}

impl<H: Before> Store for BTreeStore<H> {
    fn purge(&self, now: u64, forget_before: u64) -> Result<usize, StoreError> {
        self.with("purge", |s| {
            let before = s.tokens.len() + s.counters.len();
            let revoked = std::mem::take(&mut s.revoked);
            s.tokens
                .retain(|_, t| now < t.record.expires_at && !revoked.contains(&t.record.grant.0));
            s.revoked = revoked;
            s.counters.retain(|_, f| f.recent(forget_before));
            before - s.tokens.len() - s.counters.len()
        })
    }

    fn stats(&self) -> Result<StoreStats, StoreError> {
        self.with("stats", |s| StoreStats {
            access_tokens: s.tokens.keys().filter(|k| !k.0).count(),
            refresh_tokens: s.tokens.keys().filter(|k| k.0).count(),
            throttled_accounts: s.counters.len(),
        })
    }

    fn may_block(&self) -> bool {
        false
    }
}
